"""MAX_POOL_2D and AVERAGE_POOL_2D float32: firmware_c/tfk_float_pool_2d.c (TFLite's reference
float MaxPool / AveragePool). The only constant is the geometry, a `tfk_pool_2d_f32_params`
struct, from the runtime's Pool2DParams window. MAX_EMITTER and AVERAGE_EMITTER share it.
"""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.firmware_c.emit.float32.common import (
    FUSED_SOURCES,
    check_batch_1,
    check_fused,
    fused_activation,
)

__all__ = ["AVERAGE_EMITTER", "MAX_EMITTER"]

_KERNEL = {"MAX_POOL_2D": "max_pool_2d_f32", "AVERAGE_POOL_2D": "average_pool_2d_f32"}


def check(step: Step) -> None:
    check_fused(step, step.params.fused_activation)


def emit(step: Step, ctx: Context) -> Emitted:
    prm, w = step.params, step.params.window
    x, y = ctx.tensors[step.inputs[0]], ctx.tensors[step.outputs[0]]
    check_batch_1(step, x.shape, "input")
    c = x.shape[3]
    base = ctx.name(step, "pool")
    act, after = fused_activation(step, ctx, prm.fused_activation, ctx.fptr(y.index), y.size)
    consts = (
        f"/* {step.name}: {step.op} {w.kh}x{w.kw}, stride {w.sh}x{w.sw}, ({w.in_h}, {w.in_w}) "
        f"-> ({w.out_h}, {w.out_w}) x {c} channels, fused {prm.fused_activation}. */\n"
        f"static const {ctx.p}__pool_2d_f32_params {base} = {{\n"
        f"    {w.in_h}, {w.in_w}, {c}, {w.out_h}, {w.out_w}, {w.kh}, {w.kw}, {w.sh}, {w.sw}, "
        f"{w.top}, {w.left},\n    {act}}};\n"
    )
    call = f"  {ctx.p}__{_KERNEL[step.op]}(&{base}, {ctx.fptr(x.index)}, {ctx.fptr(y.index)});"
    return Emitted(consts, call + after, macs=0, const_bytes=0)


MAX_EMITTER = OpEmitter(kernels=(*FUSED_SOURCES, "tfk_float_pool_2d.c"), emit=emit, check=check)
AVERAGE_EMITTER = MAX_EMITTER
