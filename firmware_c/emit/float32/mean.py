"""MEAN float32: firmware_c/tfk_float_mean.c (TFLite's reference float Mean: sum in memory
order, then divide). The only constant is a `tfk_mean_f32_params` struct: the input's rank-4
shape, each input axis's stride in the output (0 on the reduced axes, from the runtime's
MeanParams.axes), the output size and the element count n.
"""

from __future__ import annotations

import math

from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.firmware_c.emit.float32.common import FLOAT_SOURCES, rank4

__all__ = ["EMITTER"]


def emit(step: Step, ctx: Context) -> Emitted:
    prm = step.params
    x, y = ctx.tensors[step.inputs[0]], ctx.tensors[step.outputs[0]]
    shape = rank4(step, x.shape, "input")
    lead = 4 - len(x.shape)
    reduced = {a + lead for a in prm.axes}
    kept = [1 if a in reduced else d for a, d in enumerate(shape)]
    strides = [0 if a in reduced else math.prod(kept[a + 1 :]) for a in range(4)]
    base = ctx.name(step, "mean")
    consts = (
        f"/* {step.name}: MEAN of {x.shape} over axes {list(prm.axes)} ({prm.count} values "
        f"each) -> {y.shape}. */\n"
        f"static const {ctx.p}__mean_f32_params {base} = {{\n"
        f"    {{{', '.join(map(str, shape))}}}, {{{', '.join(map(str, strides))}}}, "
        f"{math.prod(kept)}, {prm.count}}};\n"
    )
    call = f"  {ctx.p}__mean_f32(&{base}, {ctx.fptr(x.index)}, {ctx.fptr(y.index)});"
    return Emitted(consts, call, macs=0, const_bytes=0)


EMITTER = OpEmitter(kernels=(*FLOAT_SOURCES, "tfk_float_mean.c"), emit=emit)
