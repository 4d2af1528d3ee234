"""CONV_2D int8, per-channel: firmware_c/tfk_conv_2d.c.

The convolution is a matmul on patches (im2col, one or two output pixels at a time in the
step's scratch), so its constants are FULLY_CONNECTED's layout (fully_connected.fc_constants)
of the runtime's (out_c, K = kh * kw * in_c) weights in (ky, kx, channel) order:
  weights (ceil4(out_c)/4, ceil16(K)/4, 4, 4) uint8 offset binary, padded with 128;
  bias (ceil4(out_c),) int32 folded with the input zero point; multiplier / shift (out_c,).
Geometry (sizes, stride, dilation, the SAME/VALID padding before the first row and column)
comes from the runtime's Window. Outside taps read 128 + input zero point (x = zp_in, a zero
term, as TFLM skips them). Requantization is double rounding in both modes, as the runtime's
conv_2d.REQUANTIZATION says: the C kernel calls the double-rounding helpers itself.
Scratch (scratch_bytes): two lane-split patches for the DSP path, a plain patch when in_c % 4
!= 0, and two pixels' int32 accumulators.
"""

from __future__ import annotations

from tinyflash.firmware_c.cformat import c_array
from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step, TensorSlot
from tinyflash.firmware_c.emit.int8.fully_connected import FcConstants, fc_constants
from tinyflash.runtime.errors import UnsupportedOperatorError
from tinyflash.runtime.ops import conv_2d as rt_conv

__all__ = ["EMITTER", "check", "emit", "scratch_bytes"]

U16 = 0xFFFF  # every size / stride / offset field of tfk_conv_2d_params is a uint16_t


def _constants(step: Step) -> FcConstants:
    prm = step.params
    return fc_constants(f"{step.name} (CONV_2D)", prm.fc, prm.fc.weights)


def check(step: Step) -> None:
    """Refuse what the kernel cannot run, with expected / found / supported."""
    prm = step.params
    if not isinstance(prm, rt_conv.Conv2DParams) or prm.fc.weights.dtype.kind != "i":
        raise UnsupportedOperatorError(
            f"{step.name}: expected int8 CONV_2D params, found {type(prm).__name__}; "
            "supported: int8 per-channel or per-tensor CONV_2D"
        )
    if rt_conv.REQUANTIZATION != {"tflm": "tflm", "litert": "tflm"}:
        raise UnsupportedOperatorError(
            f"{step.name}: the C kernel requantizes with double rounding in both modes; the "
            f"runtime now says {rt_conv.REQUANTIZATION}"
        )
    w = prm.window
    fields = {
        "input height": w.in_h,
        "input width": w.in_w,
        "output height": w.out_h,
        "output width": w.out_w,
        "filter height": w.kh,
        "filter width": w.kw,
        "stride": max(w.sh, w.sw),
        "dilation": max(w.dh, w.dw),
        "padding": max(w.top, w.left),
        "input channels": prm.fc.weights.shape[1] // (w.kh * w.kw),
        "output channels": prm.out_channels,
        "patch bytes (ceil16(K))": -(-prm.fc.weights.shape[1] // 16) * 16,
    }
    for what, v in fields.items():
        if v > U16:
            raise UnsupportedOperatorError(
                f"{step.name}: CONV_2D {what} {v}; supported: at most {U16} (uint16 fields)"
            )
    _constants(step)  # raises when the int32 accumulator could overflow


def scratch_bytes(step: Step, tensors: dict[int, TensorSlot]) -> int:
    """TFK_CONV_2D_SCRATCH_BYTES(k16, in_c, out_c), k16 = ceil16(K): two lane-split patches
    (4 * k16), a plain patch when in_c % 4 != 0 (k16), two pixels' int32 accumulators
    (8 * ceil4(out_c))."""
    prm = step.params
    out_c, k = prm.fc.weights.shape
    in_c = k // (prm.window.kh * prm.window.kw)
    k16 = -(-k // 16) * 16
    return (4 + (in_c % 4 != 0)) * k16 + 8 * (-(-out_c // 4) * 4)


def emit(step: Step, ctx: Context) -> Emitted:
    prm = step.params
    w = prm.window
    c = _constants(step)
    in_c = c.n_in // (w.kh * w.kw)
    x_slot, y_slot = ctx.tensors[step.inputs[0]], ctx.tensors[step.outputs[0]]
    if tuple(x_slot.shape) != (1, w.in_h, w.in_w, in_c):
        raise UnsupportedOperatorError(
            f"{step.name}: CONV_2D input {x_slot.shape}; supported: batch 1, "
            f"(1, {w.in_h}, {w.in_w}, {in_c})"
        )
    base = ctx.name(step, "conv")
    p = ctx.p
    act = "" if prm.fc.fused_activation == "NONE" else f", fused {prm.fc.fused_activation}"
    blocks, groups = c.weights.shape[0], c.weights.shape[1]
    what = (
        f"{step.name}: CONV_2D ({w.in_h}, {w.in_w}, {in_c}) -> ({w.out_h}, {w.out_w}, "
        f"{c.n_out}), filter {w.kh}x{w.kw}, stride {w.sh}x{w.sw}, dilation {w.dh}x{w.dw}, "
        f"padding top {w.top} left {w.left}{act}"
    )
    consts = f"""
/* {what}. */
/* ({blocks} blocks of 4 rows, {groups} groups of 4 inputs, 4, 4) uint8: weights (out {c.n_out}, ky, kx, in {in_c}) int8 + 128, as (out, K = {c.n_in}) padded with 128 */
static const uint8_t {base}_weights[{c.weights.size}] {p.upper()}__ALIGN8 = {{
{c_array(c.weights, 16)}
}};
/* ({c.bias.size},) int32: bias - (128 + input zero point) * row sums of the int8 weights */
static const int32_t {base}_bias[{c.bias.size}] = {{
{c_array(c.bias, 8)}
}};
/* ({c.n_out},) per-channel requantization: multiplier * 2^(shift - 31), double rounding */
static const int32_t {base}_multiplier[{c.n_out}] = {{
{c_array(c.multiplier, 8)}
}};
static const int8_t {base}_shift[{c.n_out}] = {{
{c_array(c.shift, 16)}
}};
static const {p}__conv_2d_params {base} = {{
    .weights = {base}_weights, .bias = {base}_bias,
    .multiplier = {base}_multiplier, .shift = {base}_shift,
    .in_h = {w.in_h}u, .in_w = {w.in_w}u, .in_c = {in_c}u,
    .out_h = {w.out_h}u, .out_w = {w.out_w}u, .out_c = {c.n_out}u,
    .kh = {w.kh}u, .kw = {w.kw}u, .stride_h = {w.sh}u, .stride_w = {w.sw}u,
    .dilation_h = {w.dh}u, .dilation_w = {w.dw}u, .pad_top = {w.top}u, .pad_left = {w.left}u,
    .k16 = {c.n_in16}u, .pad_byte = {128 + int(prm.fc.input_zero_point)}u,
    .right_shifts_only = {int(bool((c.shift < 0).all()))}u,
    .out_zero_point = {c.out_zero_point}, .act_min = {c.act_min}, .act_max = {c.act_max}}};
"""
    call = (
        f"  {p}__conv_2d(&{base}, {ctx.ptr(x_slot.index)}, {ctx.ptr(y_slot.index)}, "
        f"{ctx.scratch_ptr(step)});"
    )
    macs = w.out_h * w.out_w * c.n_out * c.n_in
    return Emitted(consts, call, macs=macs, const_bytes=c.nbytes)


EMITTER = OpEmitter(
    kernels=("tfk_fixedpoint.c", "tfk_conv_2d.c"),
    emit=emit,
    scratch_bytes=scratch_bytes,
    check=check,
)
