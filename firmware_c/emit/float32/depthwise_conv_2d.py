"""DEPTHWISE_CONV_2D float32: firmware_c/tfk_float_depthwise_conv_2d.c (TFLite's reference
float DepthwiseConv).

Constants, from the runtime's DepthwiseConv2DParams:
  filter (k_h * k_w, out_c) float32, tap-major: the file's (1, k_h, k_w, out_c) as it is, so one
    tap's weights for all output channels are contiguous (the kernel's inner loop);
  bias (out_c,) float32 (zeros when the file has none);
  the geometry as a `tfk_depthwise_conv_2d_f32_params` struct.
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
    check_fused(step, step.params.fused_activation)


def emit(step: Step, ctx: Context) -> Emitted:
    prm, w = step.params, step.params.window
    x, y = ctx.tensors[step.inputs[0]], ctx.tensors[step.outputs[0]]
    check_batch_1(step, x.shape, "input")
    in_c, out_c, mult = x.shape[3], prm.weights.shape[1], prm.depth_multiplier
    base = ctx.name(step, "dwconv")
    act, after = fused_activation(step, ctx, prm.fused_activation, ctx.fptr(y.index), y.size)
    consts = "\n".join(
        [
            f"/* {step.name}: DEPTHWISE_CONV_2D {w.kh}x{w.kw}, stride {w.sh}x{w.sw}, dilation "
            f"{w.dh}x{w.dw}, {in_c} channels x {mult}, fused {prm.fused_activation}. */",
            float_array(
                f"{base}_filter", prm.weights, f"({w.kh} * {w.kw}, {out_c}) float32 tap-major"
            ),
            float_array(f"{base}_bias", prm.bias, f"({out_c},) float32 bias"),
            f"static const {ctx.p}__depthwise_conv_2d_f32_params {base} = {{\n"
            f"    {w.in_h}, {w.in_w}, {in_c}, {w.out_h}, {w.out_w}, {out_c}, {mult}, {w.kh}, "
            f"{w.kw},\n    {w.sh}, {w.sw}, {w.dh}, {w.dw}, {w.top}, {w.left}, {act}}};\n",
        ]
    )
    call = (
        f"  {ctx.p}__depthwise_conv_2d_f32(&{base}, {base}_filter, {base}_bias, "
        f"{ctx.fptr(x.index)}, {ctx.fptr(y.index)});"
    )
    macs = w.out_h * w.out_w * out_c * w.kh * w.kw
    return Emitted(consts, call + after, macs=macs, const_bytes=4 * (prm.weights.size + out_c))


EMITTER = OpEmitter(
    kernels=(*FUSED_SOURCES, "tfk_float_depthwise_conv_2d.c"), emit=emit, check=check
)
