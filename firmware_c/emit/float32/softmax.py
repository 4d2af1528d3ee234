"""SOFTMAX float32 over the last axis: tfk_softmax_f32 of firmware_c/tfk_float.c (TFLite's
reference float Softmax: exp((x - max) * beta), summed in order, each divided by the sum).
beta is the runtime's SoftmaxFloat.beta; an input of several rows runs the kernel per row.
The kernel may run in place.
"""

from __future__ import annotations

from tinyflash.firmware_c.cformat import c_float
from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.firmware_c.emit.float32.common import FLOAT_SOURCES

__all__ = ["EMITTER"]


def emit(step: Step, ctx: Context) -> Emitted:
    x = ctx.tensors[step.inputs[0]]
    depth = x.shape[-1] if x.shape else 1
    rows = x.size // depth
    beta = c_float(step.params.beta)
    xp, yp = ctx.fptr(x.index), ctx.fptr(step.outputs[0])
    if rows == 1:
        call = f"  {ctx.p}__softmax_f32({beta}, {xp}, {yp}, {depth}u);"
    else:
        call = (
            f"  {{\n    size_t r;\n    for (r = 0; r < {rows}u; r++) {{\n"
            f"      {ctx.p}__softmax_f32({beta}, {xp} + r * {depth}u, {yp} + r * {depth}u, "
            f"{depth}u);\n    }}\n  }}"
        )
    return Emitted(f"/* {step.name}: SOFTMAX over {depth} values, {rows} rows. */\n", call)


EMITTER = OpEmitter(kernels=FLOAT_SOURCES, emit=emit, in_place=True)
