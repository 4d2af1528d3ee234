"""ADD int8: firmware_c/tfk_add.c (and the broadcasting and constant-input helpers MUL shares).

Constants:
  table1, table2 (256,) int32: 2 * a' (2 * b') for every offset-binary input byte, the runtime's
    own input requantizers evaluated on all 256 values (one table when both inputs share their
    quantization); 2 KB of flash per ADD, for one requantization per element instead of three;
  a constant input (a BatchNormalization's (C,) term) as its offset-binary bytes, q + 128;
  the `{p}__add_params` struct: collapsed output shape and input strides (broadcast_dims), the
  output requantization (m_y, 2^e, e + 1), zero point and clamp.
In place: the output may be input 1's bytes (the planner only does that when input 1 is not
broadcast: the output is not larger).
"""

from __future__ import annotations

import numpy as np

from tinyflash.firmware_c.cformat import c_array
from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.runtime.errors import UnsupportedOperatorError
from tinyflash.runtime.ops.add import LEFT_SHIFT

__all__ = ["EMITTER", "broadcast_dims", "const_input", "input_expr", "tables"]

RANK = 4  # the kernels walk at most 4 collapsed axes


def broadcast_dims(a: tuple[int, ...], b: tuple[int, ...], out: tuple[int, ...], where: str):
    """Output shape `out` (numpy broadcast of input shapes a and b) -> (dims, stride_a, stride_b),
    each RANK ints: the output walked as dims (outermost first, contiguous), each input stepping
    stride elements along an axis (0 where it is broadcast). Adjacent axes where both inputs
    broadcast alike merge, size-1 output axes drop out."""
    rank = len(out)
    a1 = (1,) * (rank - len(a)) + tuple(a)
    b1 = (1,) * (rank - len(b)) + tuple(b)
    axes: list[list[int]] = []  # [size, a present, b present]
    for n, da, db in zip(out, a1, b1, strict=True):
        if n == 1:
            continue
        flags = [int(da == n), int(db == n)]
        if axes and axes[-1][1:] == flags:
            axes[-1][0] *= n
        else:
            axes.append([n, *flags])
    if len(axes) > RANK:
        raise UnsupportedOperatorError(
            f"{where}: broadcasting {a} with {b} needs {len(axes)} axes once merged; supported: "
            f"at most {RANK}"
        )
    axes = [[1, 0, 0]] * (RANK - len(axes)) + axes
    dims = [n for n, _, _ in axes]
    strides: list[list[int]] = []
    for k in (1, 2):
        step, out_strides = 1, []
        for axis in reversed(axes):
            out_strides.append(step if axis[k] else 0)
            step *= axis[0] if axis[k] else 1
        strides.append(out_strides[::-1])
    return dims, strides[0], strides[1]


def const_input(step: Step, ctx: Context, index: int, what: str) -> tuple[str, int]:
    """A constant int8 input (its TensorSlot.data) as a static const offset-binary array ->
    (C text, bytes)."""
    slot = ctx.tensors[index]
    if slot.data is None or slot.dtype != "int8":
        raise UnsupportedOperatorError(
            f"{step.name}: {step.op} constant input {slot.name!r} ({slot.dtype}); expected int8 "
            "values in the plan's TensorSlot.data"
        )
    u = (np.asarray(slot.data, np.int64).reshape(-1) + 128).astype(np.uint8)
    text = f"""/* {slot.shape} uint8: constant {slot.name!r}, offset binary (q + 128) */
static const uint8_t {ctx.name(step, what)}[{u.size}] = {{
{c_array(u, 16)}
}};
"""
    return text, int(u.size)


def input_expr(step: Step, ctx: Context, k: int) -> str:
    """C expression for input k: the arena pointer, or the constant array's name."""
    index = step.inputs[k]
    if ctx.tensors[index].kind == "const":
        return ctx.name(step, f"in{k + 1}")
    return ctx.ptr(index)


def tables(p) -> tuple[np.ndarray, np.ndarray]:
    """(256,) int32 x 2: 2 * a' and 2 * b' for each offset-binary byte, from the runtime's own
    input requantizers (AddInt8.requant)."""
    u = np.arange(256, dtype=np.int64)
    za, zb, _ = p.zero_points
    ra, rb, _ = p.requant
    return 2 * ra((u - 128 - za) << LEFT_SHIFT), 2 * rb((u - 128 - zb) << LEFT_SHIFT)


def check(step: Step) -> None:
    p = step.params
    if not hasattr(p, "requant") or p.rounding != "tflm":
        raise UnsupportedOperatorError(
            f"{step.name}: ADD {type(p).__name__} ({getattr(p, 'rounding', 'float')}); supported "
            "here: int8 with double rounding (what tinyflash.runtime uses for ADD in both modes)"
        )
    t1, t2 = tables(p)
    worst = int(np.abs(t1).max() + np.abs(t2).max())  # |2 (a' + b')|
    if worst >= 2**29 or not 0 <= p.multipliers[2] < 2**31:
        raise UnsupportedOperatorError(
            f"{step.name}: ADD input rescaling reaches {worst}; supported: 2 |a' + b'| < 2^29 "
            "(always so for TFLite's multipliers below 1/2)"
        )


def emit(step: Step, ctx: Context) -> Emitted:
    check(step)
    p = step.params
    a, b, y = (ctx.tensors[i] for i in (*step.inputs, step.outputs[0]))
    dims, s1, s2 = broadcast_dims(a.shape, b.shape, y.shape, step.name)
    if y.offset == a.offset and y.kind == a.kind == "arena" and a.size != y.size:
        raise UnsupportedOperatorError(
            f"{step.name}: ADD in place on a broadcast input 1 {a.shape} -> {y.shape}; "
            "supported in place: input 1 the output's size"
        )
    t1, t2 = tables(p)
    name = ctx.name(step, "add")
    same = bool(np.array_equal(t1, t2))
    consts = [f"\n/* {step.name}: ADD {a.shape} + {b.shape} -> {y.shape}, collapsed {dims} */"]
    consts.append(f"""/* (256,) int32: 2 * input 1 rescaled (a' of tfk_add.c) per offset-binary byte */
static const int32_t {name}_t1[256] = {{
{c_array(t1, 8)}
}};""")
    if not same:
        consts.append(f"""/* (256,) int32: 2 * input 2 rescaled (b') per offset-binary byte */
static const int32_t {name}_t2[256] = {{
{c_array(t2, 8)}
}};""")
    nbytes = 1024 * (1 if same else 2)
    for k, t in enumerate((a, b)):
        if t.kind == "const":
            text, n = const_input(step, ctx, step.inputs[k], f"in{k + 1}")
            consts.append(text)
            nbytes += n
    e = min(-p.shifts[2], 30)
    consts.append(f"""static const {ctx.p}__add_params {name} = {{
    .table1 = {name}_t1, .table2 = {name}_t{1 if same else 2},
    .dims = {{{", ".join(f"{d}u" for d in dims)}}},
    .stride1 = {{{", ".join(f"{d}u" for d in s1)}}},
    .stride2 = {{{", ".join(f"{d}u" for d in s2)}}},
    .multiplier = {p.multipliers[2]}, .round = {1 << e}, .shift = {e + 1},
    .out_offset = {p.zero_points[2] + 128}, .act_min = {p.act_min + 128}u,
    .act_max = {p.act_max + 128}u}};
""")
    call = (
        f"  {ctx.p}__add(&{name}, {input_expr(step, ctx, 0)}, {input_expr(step, ctx, 1)}, "
        f"{ctx.ptr(step.outputs[0])});"
    )
    return Emitted("\n".join(consts), call, const_bytes=nbytes)


EMITTER = OpEmitter(kernels=("tfk_fixedpoint.c", "tfk_add.c"), emit=emit, in_place=True,
                    check=check)  # fmt: skip
