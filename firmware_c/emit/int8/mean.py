"""MEAN int8 (GlobalAveragePooling2D): firmware_c/tfk_mean.c.

The input is viewed as (outer, count, inner), the reduced axes being the middle block; axes of
size 1 do not count, so NHWC over (1, 2) is (1, H * W, C) with or without keep_dims. Constants:
one `{p}__mean_params` struct from tinyflash.runtime's MeanParams (m', s' with 1 / count folded
in, the zero points; bias = -(128 + input zero point) * count for the offset-binary input).
"""

from __future__ import annotations

import math

from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.runtime.errors import UnsupportedOperatorError

__all__ = ["EMITTER", "blocks"]


def blocks(shape: tuple[int, ...], axes: tuple[int, ...], where: str) -> tuple[int, int, int]:
    """(outer, count, inner) of `shape` reduced over `axes`, or UnsupportedOperatorError when the
    reduced axes of size > 1 are not one contiguous block."""
    real = [a for a in axes if shape[a] > 1]
    if real and real != list(range(real[0], real[-1] + 1)):
        raise UnsupportedOperatorError(
            f"{where}: MEAN over axes {list(axes)} of shape {shape}; supported: axes that are "
            "one contiguous block once size-1 axes are ignored (e.g. H, W of NHWC)"
        )
    lo = real[0] if real else len(shape)
    hi = real[-1] + 1 if real else len(shape)
    return math.prod(shape[:lo]), math.prod(shape[lo:hi]), math.prod(shape[hi:])


def check(step: Step) -> None:
    p = step.params
    if p.dtype != "int8" or p.rounding != "tflm":
        raise UnsupportedOperatorError(
            f"{step.name}: MEAN {p.dtype} with {p.rounding} rounding; supported here: int8 with "
            "double rounding (what tinyflash.runtime uses for MEAN in both modes)"
        )


def emit(step: Step, ctx: Context) -> Emitted:
    check(step)
    p = step.params
    x, y = ctx.tensors[step.inputs[0]], ctx.tensors[step.outputs[0]]
    outer, count, inner = blocks(x.shape, p.axes, step.name)
    assert count == p.count, (count, p.count)
    name = ctx.name(step, "mean")
    consts = f"""
/* {step.name}: MEAN over axes {list(p.axes)} of {x.shape} -> {y.shape}: input viewed as
 * (outer {outer}, count {count}, inner {inner}), offset binary. */
static const {ctx.p}__mean_params {name} = {{
    .outer = {outer}u, .count = {count}u, .inner = {inner}u,
    .bias = {-(128 + p.input_zero_point) * count}, .multiplier = {p.multiplier},
    .left = {max(p.shift, 0)}, .right = {max(-p.shift, 0)},
    .out_offset = {p.output_zero_point + 128}}};
"""
    call = f"  {ctx.p}__mean(&{name}, {ctx.ptr(step.inputs[0])}, {ctx.ptr(step.outputs[0])});"
    return Emitted(consts, call)


EMITTER = OpEmitter(kernels=("tfk_fixedpoint.c", "tfk_mean.c"), emit=emit, check=check)
