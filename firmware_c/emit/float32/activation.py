"""LOGISTIC, TANH, RELU, RELU6 float32: tfk_activation_f32 of firmware_c/tfk_float.c, and
RELU_N1_TO_1: firmware_c/tfk_float_relu_n1_to_1.c; in place over the output (copied from the
input first when the plan gives them different bytes).
LOGISTIC is 1 / (1 + expf(-x)) and TANH tanhf(x), as tinyflash.runtime computes them; TFLite's
reference Logistic returns expf(x) below x = -9 (relative difference ~exp(x) there, below
1.3e-8 absolute).
"""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.firmware_c.emit.float32.common import FUSED_SOURCES, copy_call
from tinyflash.runtime.errors import UnsupportedOperatorError

__all__ = ["EMITTER"]

_ACT = {
    "LOGISTIC": "ACT_LOGISTIC",
    "TANH": "ACT_TANH",
    "RELU": "ACT_RELU",
    "RELU6": "ACT_RELU6",
    "RELU_N1_TO_1": "",  # its own kernel
}


def check(step: Step) -> None:
    if step.op not in _ACT:
        raise UnsupportedOperatorError(
            f"{step.name}: float32 {step.op} has no C kernel; supported: {sorted(_ACT)}"
        )


def emit(step: Step, ctx: Context) -> Emitted:
    check(step)
    x, y = step.inputs[0], step.outputs[0]
    n = ctx.tensors[y].size
    copy = copy_call(ctx, x, y, n)
    if step.op == "RELU_N1_TO_1":
        call = f"  {ctx.p}__relu_n1_to_1_f32({ctx.fptr(y)}, {n}u);"
    else:
        call = f"  {ctx.p}__activation_f32({ctx.p.upper()}__{_ACT[step.op]}, {ctx.fptr(y)}, {n}u);"
    return Emitted(
        f"/* {step.name}: {step.op} over {n} values. */\n", "\n".join(filter(None, [copy, call]))
    )


EMITTER = OpEmitter(kernels=FUSED_SOURCES, emit=emit, in_place=True, check=check)
