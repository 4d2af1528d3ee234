"""PAD float32 (constant 0.0): firmware_c/tfk_float_pad.c. The only constant is a
`tfk_pad_f32_params` struct: input and output rank-4 shapes and the padding before each axis
(the runtime's PadParams.widths).
"""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.firmware_c.emit.float32.common import FLOAT_SOURCES, rank4

__all__ = ["EMITTER"]


def emit(step: Step, ctx: Context) -> Emitted:
    x, y = ctx.tensors[step.inputs[0]], ctx.tensors[step.outputs[0]]
    in4 = rank4(step, x.shape, "input")
    lead = (4 - len(x.shape)) * ((0, 0),)
    widths = lead + tuple(step.params.widths)
    out4 = tuple(d + a + b for d, (a, b) in zip(in4, widths, strict=True))
    base = ctx.name(step, "pad")

    def dims(v) -> str:
        return "{" + ", ".join(str(int(d)) for d in v) + "}"

    consts = (
        f"/* {step.name}: PAD {x.shape} -> {y.shape} with 0.0f, widths {list(step.params.widths)}"
        f". */\nstatic const {ctx.p}__pad_f32_params {base} = {{\n"
        f"    {dims(in4)}, {dims(out4)}, {dims(a for a, _ in widths)}}};\n"
    )
    call = f"  {ctx.p}__pad_f32(&{base}, {ctx.fptr(x.index)}, {ctx.fptr(y.index)});"
    return Emitted(consts, call, macs=0, const_bytes=0)


EMITTER = OpEmitter(kernels=(*FLOAT_SOURCES, "tfk_float_pad.c"), emit=emit)
