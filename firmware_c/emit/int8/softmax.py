"""SOFTMAX int8 over the last axis: firmware_c/tfk_softmax.c (TFLite reference_ops::Softmax
with gemmlowp's exp). Constants: the runtime's SoftmaxInt8 (input_multiplier,
input_left_shift, diff_min); output scale 1/256, zero point -128. In place: the kernel reads
each row before it writes it. A (rows, n) tensor runs the kernel once per row."""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step

__all__ = ["EMITTER"]


def emit(step: Step, ctx: Context) -> Emitted:
    prm = step.params
    x = ctx.tensors[step.inputs[0]]
    n = int(x.shape[-1]) if x.shape else 1
    rows = x.size // n
    name = ctx.name(step, "softmax")
    consts = f"""
/* {step.name}: SOFTMAX over {n} (x {rows} rows), output scale 1/256, zero point -128. */
static const {ctx.p}__softmax_params {name} = {{
    {int(prm.input_multiplier)}, {int(prm.input_left_shift)}, {int(prm.diff_min)}, {n}u, 0x80u, 0x80u}};
"""
    xp, yp = ctx.ptr(step.inputs[0]), ctx.ptr(step.outputs[0])
    if rows == 1:
        call = f"  {ctx.p}__softmax(&{name}, {xp}, {yp});"
    else:
        call = (
            f"  {{\n    size_t r;\n    for (r = 0; r < {rows}u; r++) {{\n"
            f"      {ctx.p}__softmax(&{name}, {xp} + r * {n}u, {yp} + r * {n}u);\n    }}\n  }}"
        )
    return Emitted(consts, call)


EMITTER = OpEmitter(kernels=("tfk_fixedpoint.c", "tfk_softmax.c"), emit=emit, in_place=True)
