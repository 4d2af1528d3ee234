"""MUL int8: firmware_c/tfk_mul.c (broadcasting and constant inputs as for ADD, emit/int8/add.py).

Constants: a constant input (a BatchNormalization's (C,) scale) as its offset-binary bytes; the
`{p}__mul_params` struct: collapsed output shape and input strides, the bytes worth 0 of each
input (128 + zero point), the requantization (m, left + 1, 2^e, e + 1), output zero point and
clamp, all from tinyflash.runtime's MulInt8.
"""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.firmware_c.emit.int8.add import broadcast_dims, const_input, input_expr
from tinyflash.runtime.errors import UnsupportedOperatorError

__all__ = ["EMITTER"]


def check(step: Step) -> None:
    p = step.params
    if not hasattr(p, "multiplier") or p.rounding != "tflm":
        raise UnsupportedOperatorError(
            f"{step.name}: MUL {type(p).__name__} ({getattr(p, 'rounding', 'float')}); supported "
            "here: int8 with double rounding (what tinyflash.runtime uses for MUL in both modes)"
        )
    left = max(p.shift, 0)
    if (255 * 255) << (left + 1) >= 2**31 or not 0 <= p.multiplier < 2**31:
        raise UnsupportedOperatorError(
            f"{step.name}: MUL requantization shift {p.shift}; supported: shift <= 14"
        )


def emit(step: Step, ctx: Context) -> Emitted:
    check(step)
    p = step.params
    a, b, y = (ctx.tensors[i] for i in (*step.inputs, step.outputs[0]))
    dims, s1, s2 = broadcast_dims(a.shape, b.shape, y.shape, step.name)
    if y.offset == a.offset and y.kind == a.kind == "arena" and a.size != y.size:
        raise UnsupportedOperatorError(
            f"{step.name}: MUL in place on a broadcast input 1 {a.shape} -> {y.shape}; "
            "supported in place: input 1 the output's size"
        )
    name = ctx.name(step, "mul")
    consts = [f"\n/* {step.name}: MUL {a.shape} * {b.shape} -> {y.shape}, collapsed {dims} */"]
    nbytes = 0
    for k, t in enumerate((a, b)):
        if t.kind == "const":
            text, n = const_input(step, ctx, step.inputs[k], f"in{k + 1}")
            consts.append(text)
            nbytes += n
    za, zb, zy = p.zero_points
    e = min(max(-p.shift, 0), 30)

    def ints(values) -> str:
        return "{" + ", ".join(f"{v}u" for v in values) + "}"

    consts.append(f"""static const {ctx.p}__mul_params {name} = {{
    .dims = {ints(dims)}, .stride1 = {ints(s1)}, .stride2 = {ints(s2)},
    .offset1 = {128 + za}, .offset2 = {128 + zb}, .multiplier = {p.multiplier},
    .left = {max(p.shift, 0) + 1}, .round = {1 << e}, .shift = {e + 1},
    .out_offset = {zy + 128}, .act_min = {p.act_min + 128}u, .act_max = {p.act_max + 128}u}};
""")
    call = (
        f"  {ctx.p}__mul(&{name}, {input_expr(step, ctx, 0)}, {input_expr(step, ctx, 1)}, "
        f"{ctx.ptr(step.outputs[0])});"
    )
    return Emitted("\n".join(consts), call, macs=y.size, const_bytes=nbytes)


EMITTER = OpEmitter(kernels=("tfk_fixedpoint.c", "tfk_mul.c"), emit=emit, in_place=True,
                    check=check)  # fmt: skip
