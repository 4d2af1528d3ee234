"""CONV_2D float32: firmware_c/tfk_float_conv_2d.c (TFLite's reference float Conv).

Constants, from the runtime's Conv2DParams (its window and FullyConnectedFloat on patches):
  filter (out_c, k_h, k_w, in_c) float32, TFLite's OHWI order as in the file: one output
    channel's taps are contiguous, in the order the reference kernel sums them;
  bias (out_c,) float32 (zeros when the file has none: x + 0.0f is x);
  the geometry as a `tfk_conv_2d_f32_params` struct.
"""

from __future__ import annotations

from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step
from tinyflash.firmware_c.emit.float32.common import (
    FUSED_SOURCES,
    check_batch_1,
    check_fused,
    float_array,
    fused_activation,
)

__all__ = ["EMITTER"]


def check(step: Step) -> None:
    check_fused(step, step.params.fc.fused_activation)


def emit(step: Step, ctx: Context) -> Emitted:
    prm, w = step.params, step.params.window
    x, y = ctx.tensors[step.inputs[0]], ctx.tensors[step.outputs[0]]
    check_batch_1(step, x.shape, "input")
    in_c, out_c = x.shape[3], prm.out_channels
    base = ctx.name(step, "conv")
    filt = prm.fc.weights.reshape(out_c, w.kh, w.kw, in_c)
    act, after = fused_activation(step, ctx, prm.fc.fused_activation, ctx.fptr(y.index), y.size)
    consts = "\n".join(
        [
            f"/* {step.name}: CONV_2D {w.kh}x{w.kw}, stride {w.sh}x{w.sw}, dilation {w.dh}x{w.dw},"
            f" {in_c} -> {out_c} channels, fused {prm.fc.fused_activation}. */",
            float_array(f"{base}_filter", filt, f"({out_c}, {w.kh}, {w.kw}, {in_c}) float32 OHWI"),
            float_array(f"{base}_bias", prm.fc.bias, f"({out_c},) float32 bias"),
            f"static const {ctx.p}__conv_2d_f32_params {base} = {{\n"
            f"    {w.in_h}, {w.in_w}, {in_c}, {w.out_h}, {w.out_w}, {out_c}, {w.kh}, {w.kw},\n"
            f"    {w.sh}, {w.sw}, {w.dh}, {w.dw}, {w.top}, {w.left}, {act}}};\n",
        ]
    )
    call = (
        f"  {ctx.p}__conv_2d_f32(&{base}, {base}_filter, {base}_bias, {ctx.fptr(x.index)}, "
        f"{ctx.fptr(y.index)});"
    )
    macs = w.out_h * w.out_w * out_c * w.kh * w.kw * in_c
    return Emitted(consts, call + after, macs=macs, const_bytes=4 * (filt.size + out_c))


EMITTER = OpEmitter(kernels=(*FUSED_SOURCES, "tfk_float_conv_2d.c"), emit=emit, check=check)
