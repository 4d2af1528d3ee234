"""CONCATENATION float32: firmware_c/tfk_float_concatenation.c. Constant inputs are emitted as
float32 arrays; the row sizes (each input's floats per outer row) are a const int array and
the input pointers a local array in forward().
"""

from __future__ import annotations

import math

import numpy as np

from tinyflash.firmware_c.cformat import c_array
from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.firmware_c.emit.float32.common import FLOAT_SOURCES, operand

__all__ = ["EMITTER"]


def emit(step: Step, ctx: Context) -> Emitted:
    axis = step.params.axis
    y = ctx.tensors[step.outputs[0]]
    shapes = [ctx.tensors[i].shape for i in step.inputs]
    outer = math.prod(y.shape[:axis])
    rows = [math.prod(s[axis:]) for s in shapes]
    ptrs, texts, nbytes = [], [], 0
    for k, index in enumerate(step.inputs):
        expr, text, n = operand(ctx, step, index, f"in{k}")
        ptrs.append(expr)
        texts.append(text)
        nbytes += n
    base = ctx.name(step, "concat")
    consts = (
        f"/* {step.name}: CONCATENATION of {len(shapes)} inputs along axis {axis} -> {y.shape}. "
        f"*/\n{''.join(texts)}"
        f"/* ({len(rows)},) floats per outer row of each input */\n"
        f"static const int {base}_rows[{len(rows)}] = {{\n{c_array(np.asarray(rows), 8)}\n}};\n"
    )
    inputs = ",\n                                  ".join(ptrs)
    call = (
        f"  {{\n    const float *const inputs[{len(ptrs)}] = {{{inputs}}};\n"
        f"    {ctx.p}__concatenation_f32({len(ptrs)}, inputs, {base}_rows, {outer}, "
        f"{ctx.fptr(y.index)});\n  }}"
    )
    return Emitted(consts, call, macs=0, const_bytes=nbytes + 4 * len(rows))


EMITTER = OpEmitter(kernels=(*FLOAT_SOURCES, "tfk_float_concatenation.c"), emit=emit)
