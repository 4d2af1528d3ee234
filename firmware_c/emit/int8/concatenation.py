"""CONCATENATION int8: firmware_c/tfk_concatenation.c.

Constants: inner (n_inputs,) uint32, the bytes of one row of each input (the product of its
shape from the axis on); a constant input as its offset-binary bytes (q + 128); the
`{p}__concatenation_params` struct. The call passes the inputs as a local array of pointers.
tinyflash.runtime only accepts inputs that share the output's quantization (TFLM copies bytes
then too), so the kernel never requantizes.
"""

from __future__ import annotations

import math

import numpy as np

from tinyflash.firmware_c.cformat import c_array
from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.firmware_c.emit.int8.add import const_input, input_expr
from tinyflash.runtime.errors import UnsupportedOperatorError

__all__ = ["EMITTER"]


def emit(step: Step, ctx: Context) -> Emitted:
    axis = step.params.axis
    xs = [ctx.tensors[i] for i in step.inputs]
    y = ctx.tensors[step.outputs[0]]
    if y.dtype != "int8" or any(x.shape[0] != 1 for x in xs):
        raise UnsupportedOperatorError(
            f"{step.name}: CONCATENATION of {[x.shape for x in xs]} {y.dtype}; supported here: "
            "int8, batch 1"
        )
    outer = math.prod(y.shape[:axis])
    inner = [math.prod(x.shape[axis:]) for x in xs]
    assert outer * sum(inner) == y.size, (outer, inner, y.shape)
    name = ctx.name(step, "concat")
    consts = [f"\n/* {step.name}: CONCATENATION of {[x.shape for x in xs]} on axis {axis} "
              f"-> {y.shape} */"]  # fmt: skip
    nbytes = 4 * len(inner)
    for k, x in enumerate(xs):
        if x.kind == "const":
            text, n = const_input(step, ctx, step.inputs[k], f"in{k + 1}")
            consts.append(text)
            nbytes += n
    consts.append(f"""/* ({len(inner)},) bytes of one row of each input */
static const uint32_t {name}_inner[{len(inner)}] = {{
{c_array(np.asarray(inner, np.int64), 8, fmt=lambda v: f"{v}u")}
}};
static const {ctx.p}__concatenation_params {name} = {{
    .inner = {name}_inner, .outer = {outer}u, .n_inputs = {len(inner)}u}};
""")
    ins = ", ".join(input_expr(step, ctx, k) for k in range(len(xs)))
    call = (
        f"  {{\n    const uint8_t *const ins[{len(xs)}] = {{{ins}}};\n"
        f"    {ctx.p}__concatenation(&{name}, ins, {ctx.ptr(step.outputs[0])});\n  }}"
    )
    return Emitted("\n".join(consts), call, const_bytes=nbytes)


EMITTER = OpEmitter(kernels=("tfk_concatenation.c",), emit=emit)
