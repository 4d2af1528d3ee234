"""ADD and MUL float32: firmware_c/tfk_float_add.c, tfk_float_mul.c (TFLite's reference float
Add / Mul with broadcasting). Either input may be a constant (what a standalone
BatchNormalization becomes: MUL and ADD by per-channel vectors), emitted here as a float32
array. The params struct holds the output's rank-4 shape and each input's strides along it
(0 where the input is broadcast).

in_place: the kernels may write over input 1 when it has the output's shape (each a[i] is read
just before y[i] is written). A broadcast input 1 sharing the output's bytes would be
overwritten before it is read again: emit refuses that plan rather than emit wrong C.
"""

from __future__ import annotations

import math

import numpy as np

from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.firmware_c.emit.float32.common import (
    FUSED_SOURCES,
    check_fused,
    fused_activation,
    operand,
    rank4,
)
from tinyflash.runtime.errors import UnsupportedOperatorError

__all__ = ["ADD_EMITTER", "MUL_EMITTER", "broadcast_strides"]


def broadcast_strides(step: Step, shape: tuple[int, ...], out: tuple[int, ...]) -> list[int]:
    """Strides in floats of a row-major tensor of `shape` along the rank-4 output `out`, 0
    along every axis where the input has size 1 (broadcast)."""
    dims = rank4(step, shape, "input")
    return [0 if dims[a] == 1 else math.prod(dims[a + 1 :]) for a in range(4)]


def emit(step: Step, ctx: Context) -> Emitted:
    kernel = step.op.lower()  # add, mul
    prm = step.params
    y = ctx.tensors[step.outputs[0]]
    shapes = [ctx.tensors[i].shape for i in step.inputs]
    out = rank4(step, tuple(np.broadcast_shapes(*shapes)), "output")
    a, a_text, a_bytes = operand(ctx, step, step.inputs[0], "a")
    b, b_text, b_bytes = operand(ctx, step, step.inputs[1], "b")
    x0 = ctx.tensors[step.inputs[0]]
    if x0.kind == "arena" and x0.offset == y.offset and x0.size != y.size:
        raise UnsupportedOperatorError(
            f"{step.name} ({step.op}): input 1 {x0.shape} is broadcast to {y.shape} but shares "
            "the output's bytes; expected in place only when input 1 has the output's size"
        )
    fused = _fused(prm)
    act, after = fused_activation(step, ctx, fused, ctx.fptr(y.index), y.size)
    base = ctx.name(step, kernel)
    sa, sb = (broadcast_strides(step, s, out) for s in shapes)
    consts = (
        f"/* {step.name}: {step.op} {shapes[0]} and {shapes[1]} -> {y.shape}, fused {fused}. */\n"
        f"{a_text}{b_text}"
        f"static const {ctx.p}__{kernel}_f32_params {base} = {{\n"
        f"    {{{', '.join(map(str, out))}}}, {{{', '.join(map(str, sa))}}}, "
        f"{{{', '.join(map(str, sb))}}}, {act}}};\n"
    )
    call = f"  {ctx.p}__{kernel}_f32(&{base}, {a}, {b}, {ctx.fptr(y.index)});"
    return Emitted(consts, call + after, macs=0, const_bytes=a_bytes + b_bytes)


def _fused(prm) -> str:
    """AddFloat / MulFloat keep only the clamp; name it back."""
    bounds = {(-np.inf, np.inf): "NONE", (0.0, np.inf): "RELU", (0.0, 6.0): "RELU6"}
    return bounds.get((float(prm.act_min), float(prm.act_max)), "RELU_N1_TO_1")


def check(step: Step) -> None:
    check_fused(step, _fused(step.params))


ADD_EMITTER = OpEmitter(
    kernels=(*FUSED_SOURCES, "tfk_float_add.c"), emit=emit, in_place=True, check=check
)
MUL_EMITTER = OpEmitter(
    kernels=(*FUSED_SOURCES, "tfk_float_mul.c"), emit=emit, in_place=True, check=check
)
