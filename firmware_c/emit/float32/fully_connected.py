"""FULLY_CONNECTED float32: tfk_fully_connected_f32 of firmware_c/tfk_float.c (sums in input
order from 0.0f, then + bias, then the fused activation: TFLite's reference float kernel).

Constants, from the runtime's FullyConnectedFloat: weights (out, in) float32 row-major as in
the file; bias (out,) float32 (zeros when the file has none). An input of more than one row
((rows, in), keep_num_dims or a (1, T, in) sequence) runs the kernel once per row.
"""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.firmware_c.emit.float32.common import (
    FUSED_SOURCES,
    check_fused,
    float_array,
    fused_activation,
)

__all__ = ["EMITTER"]


def check(step: Step) -> None:
    check_fused(step, step.params.fused_activation)


def emit(step: Step, ctx: Context) -> Emitted:
    prm = step.params
    n_out, n_in = prm.weights.shape
    rows = ctx.tensors[step.inputs[0]].size // n_in
    base = ctx.name(step, "fc")
    act, after = fused_activation(
        step,
        ctx,
        prm.fused_activation,
        ctx.fptr(step.outputs[0]),
        ctx.tensors[step.outputs[0]].size,
    )
    consts = (
        f"/* {step.name}: FULLY_CONNECTED {n_in} -> {n_out}, fused {prm.fused_activation}. */\n"
        + float_array(f"{base}_weights", prm.weights, f"(out {n_out}, in {n_in}) float32")
        + float_array(f"{base}_bias", prm.bias, f"({n_out},) float32 bias")
    )
    x, y = ctx.fptr(step.inputs[0]), ctx.fptr(step.outputs[0])
    args = f"{base}_weights, {base}_bias, {n_in}u, {n_out}u, {act}"
    if rows == 1:
        call = f"  {ctx.p}__fully_connected_f32({args}, {x}, {y});"
    else:
        call = (
            f"  {{\n    size_t r;\n    for (r = 0; r < {rows}u; r++) {{\n"
            f"      {ctx.p}__fully_connected_f32({args}, {x} + r * {n_in}u, {y} + r * {n_out}u);"
            "\n    }\n  }"
        )
    nbytes = 4 * (prm.weights.size + n_out)
    return Emitted(consts, call + after, macs=rows * n_in * n_out, const_bytes=nbytes)


EMITTER = OpEmitter(kernels=FUSED_SOURCES, emit=emit, check=check)
