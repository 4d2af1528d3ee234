"""CONV_2D int8, per-channel: firmware_c/tfk_conv_2d.c.

The convolution is a matmul on patches (im2col, one or two output pixels at a time in the
step's scratch) of the runtime's (out_c, K = kh * kw * in_c) weights in (ky, kx, channel)
order, laid out as FULLY_CONNECTED's are but blocked by 2 rows (the kernel computes 2 rows at a
time and walks the weights once, in order) and padded to 8 inputs instead of 16 (a first
layer's K = 27 or 40, or a 1x1 over 8 channels, would waste up to half its MACs):
  weights (ceil2(out_c)/2, ceil8(K)/4, 2, 4) uint8 offset binary, padded with 128;
  bias (ceil2(out_c),) int32 folded: bias[o] - (128 + input zero point) * sum_k w[o][k];
  multiplier / shift (out_c,): the per-channel requantization.
Geometry (sizes, stride, dilation, the SAME/VALID padding before the first row and column)
comes from the runtime's Window. Outside taps read 128 + input zero point (x = zp_in, a zero
term, as TFLM skips them). Requantization is double rounding in both modes, as the runtime's
conv_2d.REQUANTIZATION says: the C kernel calls its own double-rounding helpers.
Scratch (scratch_bytes): two lane-split patches for the DSP path, a plain patch when in_c % 4
!= 0, and two pixels' int32 accumulators.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.firmware_c.cformat import c_array
from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step, TensorSlot
from tinyflash.runtime.errors import UnsupportedOperatorError
from tinyflash.runtime.ops import conv_2d as rt_conv

__all__ = ["EMITTER", "ConvConstants", "check", "conv_constants", "emit", "scratch_bytes"]

U16 = 0xFFFF  # every size / stride / offset field of tfk_conv_2d_params is a uint16_t


def _ceil(n: int, k: int) -> int:
    return -(-n // k) * k


@dataclass(frozen=True)
class ConvConstants:
    """weights: (ceil2(out_c)/2, k8/4, 2, 4) uint8; bias: (ceil2(out_c),) int32 folded;
    multiplier / shift: (out_c,) int32. k: K = kh * kw * in_c; k8: K rounded up to 8."""

    out_c: int
    k: int
    k8: int
    weights: np.ndarray
    bias: np.ndarray
    multiplier: np.ndarray
    shift: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.weights.nbytes + self.bias.nbytes + self.multiplier.nbytes + self.shift.size


def conv_constants(step: Step) -> ConvConstants:
    """The kernel's layout of the step's constants (runtime Conv2DParams.fc). Raises
    UnsupportedOperatorError when the int32 accumulator could overflow."""
    fc = step.params.fc
    w = np.asarray(fc.weights, np.int64)  # (out_c, K), (ky, kx, channel) order
    out_c, k = w.shape
    r2, k8 = _ceil(out_c, 2), _ceil(k, 8)
    wu = np.full((r2, k8), 128, np.int64)
    wu[:out_c, :k] = w + 128
    blocked = wu.reshape(r2 // 2, 2, k8 // 4, 4).transpose(0, 2, 1, 3).astype(np.uint8)
    bias = np.zeros(r2, np.int64)
    bias[:out_c] = np.asarray(fc.bias, np.int64) - (128 + fc.input_zero_point) * w.sum(axis=1)
    # acc = bias + sum wu*u - 128*sum u: every partial sum must stay inside int32.
    worst = int(np.abs(bias).max()) + 255 * 255 * k8
    if worst >= 2**31:
        raise UnsupportedOperatorError(
            f"{step.name}: CONV_2D with K = {k} inputs per output may overflow the int32 "
            f"accumulator of the C kernel (worst case {worst}); supported: worst case < 2^31"
        )
    return ConvConstants(
        out_c=out_c,
        k=k,
        k8=k8,
        weights=blocked,
        bias=bias.astype(np.int32),
        multiplier=np.asarray(fc.multipliers, np.int32),
        shift=np.asarray(fc.shifts, np.int32),
    )


def check(step: Step) -> None:
    """Refuse what the kernel cannot run, with expected / found / supported."""
    prm = step.params
    if not isinstance(prm, rt_conv.Conv2DParams) or prm.fc.weights.dtype.kind != "i":
        found = (
            f"{prm.fc.weights.dtype} weights"
            if isinstance(prm, rt_conv.Conv2DParams)
            else type(prm).__name__
        )
        raise UnsupportedOperatorError(
            f"{step.name}: expected an int8 CONV_2D, found {found}; supported: int8 weights, "
            "per-channel or per-tensor (float32 convolutions belong to the float header)"
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
        "patch bytes (ceil8(K))": _ceil(prm.fc.weights.shape[1], 8),
    }
    for what, v in fields.items():
        if v > U16:
            raise UnsupportedOperatorError(
                f"{step.name}: CONV_2D {what} {v}; supported: at most {U16} (uint16 fields)"
            )
    conv_constants(step)  # raises when the int32 accumulator could overflow


def scratch_bytes(step: Step, tensors: dict[int, TensorSlot]) -> int:
    """TFK_CONV_2D_SCRATCH_BYTES(k8, in_c, out_c), k8 = ceil8(K): two lane-split patches
    (4 * k8), a plain patch when in_c % 4 != 0 (k8), two pixels' int32 accumulators
    (8 * ceil4(out_c))."""
    prm = step.params
    out_c, k = prm.fc.weights.shape
    in_c = k // (prm.window.kh * prm.window.kw)
    return (4 + (in_c % 4 != 0)) * _ceil(k, 8) + 8 * _ceil(out_c, 4)


def emit(step: Step, ctx: Context) -> Emitted:
    prm = step.params
    w = prm.window
    c = conv_constants(step)
    in_c = c.k // (w.kh * w.kw)
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
        f"{c.out_c}), filter {w.kh}x{w.kw}, stride {w.sh}x{w.sw}, dilation {w.dh}x{w.dw}, "
        f"padding top {w.top} left {w.left}{act}"
    )
    consts = f"""
/* {what}. */
/* ({blocks} pairs of rows, {groups} groups of 4 inputs, 2, 4) uint8: weights (out {c.out_c}, ky, kx, in {in_c}) int8 + 128, as (out, K = {c.k}) padded with 128 */
static const uint8_t {base}_weights[{c.weights.size}] {p.upper()}__ALIGN8 = {{
{c_array(c.weights, 16)}
}};
/* ({c.bias.size},) int32: bias - (128 + input zero point) * row sums of the int8 weights */
static const int32_t {base}_bias[{c.bias.size}] = {{
{c_array(c.bias, 8)}
}};
/* ({c.out_c},) per-channel requantization: multiplier * 2^(shift - 31), double rounding */
static const int32_t {base}_multiplier[{c.out_c}] = {{
{c_array(c.multiplier, 8)}
}};
static const int8_t {base}_shift[{c.out_c}] = {{
{c_array(c.shift, 16)}
}};
static const {p}__conv_2d_params {base} = {{
    .weights = {base}_weights, .bias = {base}_bias,
    .multiplier = {base}_multiplier, .shift = {base}_shift,
    .in_h = {w.in_h}u, .in_w = {w.in_w}u, .in_c = {in_c}u,
    .out_h = {w.out_h}u, .out_w = {w.out_w}u, .out_c = {c.out_c}u,
    .kh = {w.kh}u, .kw = {w.kw}u, .stride_h = {w.sh}u, .stride_w = {w.sw}u,
    .dilation_h = {w.dh}u, .dilation_w = {w.dw}u, .pad_top = {w.top}u, .pad_left = {w.left}u,
    .k8 = {c.k8}u, .pad_byte = {128 + int(prm.fc.input_zero_point)}u,
    .right_shifts_only = {int(bool((c.shift < 0).all()))}u,
    .out_zero_point = {int(prm.fc.output_zero_point)},
    .act_min = {int(prm.fc.act_min)}, .act_max = {int(prm.fc.act_max)}}};
"""
    call = (
        f"  {p}__conv_2d(&{base}, {ctx.ptr(x_slot.index)}, {ctx.ptr(y_slot.index)}, "
        f"{ctx.scratch_ptr(step)});"
    )
    macs = w.out_h * w.out_w * c.out_c * c.k
    return Emitted(consts, call, macs=macs, const_bytes=c.nbytes)


EMITTER = OpEmitter(
    kernels=("tfk_conv_2d.c",),  # its own double-rounding helpers: no tfk_fixedpoint.c
    emit=emit,
    scratch_bytes=scratch_bytes,
    check=check,
)
