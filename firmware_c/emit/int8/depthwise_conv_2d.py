"""DEPTHWISE_CONV_2D int8 per-channel: firmware_c/tfk_depthwise_conv_2d.c.

Constants (all from tinyflash.runtime's DepthwiseConv2DParams; K = kh * kw taps in (ky, kx)
order, C = out_c output channels, pad = 128 + input zero point, the offset-binary byte worth 0):
  _w       (C, K) int8     the filter, channel-major (one row of taps per output channel)
  _bias    (C,) int32      the TFLite bias (border pixels and non-3x3 filters)
  _bfold   (C,) int32      bias - pad * sum of the row's taps (portable 3x3 fast path only)
  _rq      (C, 4) int32    requantization: m, H = 2^e + (zp_out + 128) * 2^(e + 1), e + 1,
                           left + 1, for shift = left - e (see the kernel's header comment)
  _dsp     (C / 4, 22) int32  the Cortex-M4/M7 3x3 stream (DSP builds only): per group of 4
                           channels the 4 folded biases, then per filter row the int16 pairs
                           of taps (0, 1) per channel and of tap 2 for channels (c, c+2),
                           (c+1, c+3); biases and weights times 2^(left + 1)
  _params  the {p}__dw_params struct
The 3x3 fast path (multiplier 1, channels a multiple of 4) runs every output pixel without a
test: on a padded input it reads a scratch ring of 3 input rows padded with the pad byte
(3 * pad_w * in_c bytes; each input row copied once), else the input in place. The generic loop
(the taps inside the image, as TFLM) does every other shape.
"""

from __future__ import annotations

import numpy as np

from tinyflash.firmware_c.cformat import c_array
from tinyflash.firmware_c.emit.base import Context, Emitted, OpEmitter, Step, TensorSlot
from tinyflash.runtime.errors import UnsupportedOperatorError

__all__ = ["EMITTER", "Layout", "check", "emit", "scratch_bytes"]

U16, U8 = 65535, 255


class Layout:
    """Every array and number the C needs for one layer, computed once (tests read it too)."""

    def __init__(self, step: Step) -> None:
        p, w = step.params, step.params.window
        taps = p.weights.astype(np.int64)  # (K, C)
        self.k, self.c = taps.shape
        self.in_c = self.c // p.depth_multiplier
        self.weights = taps.T.copy()  # (C, K)
        self.pad = 128 + int(p.input_zero_point)
        self.bias = p.bias.astype(np.int64)
        self.bias_folded = self.bias - self.pad * self.weights.sum(axis=1)
        shifts = p.shifts.astype(np.int64)
        self.left = np.maximum(shifts, 0)
        self.e = np.maximum(-shifts, 0)
        self.pre = self.left + 1
        m = p.multipliers.astype(np.int64)
        offset = int(p.output_zero_point) + 128
        # |acc| over every input (u - pad within [-pad, 255 - pad]) and the partial sums.
        absw = np.abs(self.weights).sum(axis=1)
        acc = np.abs(self.bias) + absw * max(self.pad, 255 - self.pad)
        partial = np.maximum(np.abs(self.bias), np.abs(self.bias_folded)) + absw * 255
        s_max = (acc << self.pre) * m // 2**32 + 1
        self.h = (1 << self.e) + (offset << (self.e + 1))
        self.fits = bool(
            np.all((acc << self.pre) < 2**30)
            and np.all((partial << self.pre) < 2**31)
            and np.all(self.e <= 29)
            and np.all(self.h + 2 * s_max + 1 < 2**31)
        )
        self.requant = np.stack([m, self.h, self.e + 1, self.pre], axis=1)
        self.fast = (
            (w.kh, w.kw) == (3, 3)
            and p.depth_multiplier == 1
            and self.c % 4 == 0
            and bool(np.all((np.abs(self.weights).max(axis=1) << self.pre) <= 32767))
        )
        self.pad_w = w.left + w.in_w + w.right
        padded = bool(w.top or w.bottom or w.left or w.right)
        self.scratch = 3 * self.pad_w * self.in_c if self.fast and padded else 0
        self.dsp = self._dsp_stream() if self.fast else None

    def _dsp_stream(self) -> np.ndarray:
        """(C / 4, 22) int32: see the module docstring."""
        scale = 1 << self.pre  # (C,)
        w = self.weights * scale[:, None]  # (C, 9)
        out = np.zeros((self.c // 4, 22), np.int64)
        for g in range(self.c // 4):
            ch = slice(4 * g, 4 * g + 4)
            out[g, :4] = self.bias_folded[ch] * scale[ch]
            for ky in range(3):
                base = 4 + 6 * ky
                wg = w[ch, 3 * ky : 3 * ky + 3]  # (4 channels, 3 taps)
                out[g, base : base + 4] = [_pack(wg[k, 0], wg[k, 1]) for k in range(4)]
                out[g, base + 4] = _pack(wg[0, 2], wg[2, 2])
                out[g, base + 5] = _pack(wg[1, 2], wg[3, 2])
        return out


def _pack(lo: int, hi: int) -> int:
    """Two int16 values as the int32 whose low half is lo and high half hi."""
    v = (int(lo) & 0xFFFF) | ((int(hi) & 0xFFFF) << 16)
    return v - (1 << 32) if v >= 1 << 31 else v


def check(step: Step) -> None:
    p = step.params
    w = p.window
    if p.multipliers is None:
        raise UnsupportedOperatorError(
            f"{step.name}: DEPTHWISE_CONV_2D on float32; expected int8 here (the float32 header "
            "has its own emitters)"
        )
    c = p.weights.shape[1]
    sizes = {"in_h": w.in_h, "in_w": w.in_w, "in_c": c // p.depth_multiplier, "out_h": w.out_h,
             "out_w": w.out_w, "out_c": c, "pad_w": w.left + w.in_w + w.right}  # fmt: skip
    small = {"kh": w.kh, "kw": w.kw, "sh": w.sh, "sw": w.sw, "dh": w.dh, "dw": w.dw,
             "pad_top": w.top, "pad_left": w.left, "depth_multiplier": p.depth_multiplier}  # fmt: skip
    big = {k: v for k, v in sizes.items() if v > U16}
    big.update({k: v for k, v in small.items() if v > U8})
    if big:
        raise UnsupportedOperatorError(
            f"{step.name}: DEPTHWISE_CONV_2D with {big}; supported: sizes <= {U16}, filter, "
            f"strides, dilations, padding and depth multiplier <= {U8}"
        )
    if not Layout(step).fits:
        raise UnsupportedOperatorError(
            f"{step.name}: DEPTHWISE_CONV_2D requantization shifts "
            f"{int(p.shifts.min())}..{int(p.shifts.max())} with this filter and bias leave "
            "int32 in the C kernel; supported: |acc| * 2^(left + 2) < 2^31 and right shifts "
            "<= 29 (every trained model seen so far)"
        )


def emit(step: Step, ctx: Context) -> Emitted:
    check(step)
    p, w = step.params, step.params.window
    x, y = ctx.tensors[step.inputs[0]], ctx.tensors[step.outputs[0]]
    if x.shape[0] != 1 or x.size != w.in_h * w.in_w * x.shape[3]:
        raise UnsupportedOperatorError(
            f"{step.name}: DEPTHWISE_CONV_2D input of shape {x.shape}; supported: batch 1, NHWC"
        )
    lay = Layout(step)
    n = {k: ctx.name(step, k) for k in ("w", "bias", "bfold", "rq", "dsp", "params")}
    use_dsp = f"{ctx.p.upper()}__USE_DSP"
    act = "" if p.fused_activation == "NONE" else f", fused {p.fused_activation}"
    path = "generic loop"
    if lay.fast:
        path = "3x3 fast path" + (
            f", input rows padded to {lay.pad_w} pixels in a 3-row scratch ring"
            if lay.scratch
            else ", input read in place"
        )
    dsp = ""
    if lay.dsp is not None:
        dsp = f"""/* ({lay.c // 4}, 22) int32: DSP 3x3 stream, per 4 channels 4 biases + 3 rows x 6
 * int16-pair words, times 2^(left + 1). */
static const int32_t {n["dsp"]}[{lay.dsp.size}] = {{
{c_array(lay.dsp, 8)}
}};
"""
    consts = f"""
/* {step.name}: DEPTHWISE_CONV_2D {w.kh}x{w.kw} stride {w.sh}x{w.sw} dilation {w.dh}x{w.dw},
 * pad top {w.top} left {w.left}, depth multiplier {p.depth_multiplier}{act}: input {x.shape} ->
 * output {y.shape}, offset binary; {path}. */
/* ({lay.c}, {lay.k}) int8: filter taps, one row per output channel, (ky, kx) order. */
static const int8_t {n["w"]}[{lay.weights.size}] = {{
{c_array(lay.weights, 18)}
}};
/* ({lay.c},) int32: bias. */
static const int32_t {n["bias"]}[{lay.c}] = {{
{c_array(lay.bias, 8)}
}};
/* ({lay.c}, 4) int32: multiplier, H (rounding + output offset), shift e + 1, left + 1. */
static const int32_t {n["rq"]}[{lay.requant.size}] = {{
{c_array(lay.requant, 8)}
}};
#if {use_dsp}
{dsp}#else
/* ({lay.c},) int32: bias - {lay.pad} * sum of the channel's taps (the 3x3 fast path). */
static const int32_t {n["bfold"]}[{lay.c}] = {{
{c_array(lay.bias_folded, 8)}
}};
#endif
static const {ctx.p}__dw_params {n["params"]} = {{
    .weights = {n["w"]}, .bias = {n["bias"]}, .requant = {n["rq"]},
#if {use_dsp}
    .bias_folded = NULL, .dsp = {n["dsp"] if lay.dsp is not None else "NULL"},
#else
    .bias_folded = {n["bfold"]}, .dsp = NULL,
#endif
    .in_h = {w.in_h}u, .in_w = {w.in_w}u, .in_c = {lay.in_c}u,
    .out_h = {w.out_h}u, .out_w = {w.out_w}u, .out_c = {lay.c}u,
    .pad_w = {lay.pad_w}u, .fast = {int(lay.fast)}u,
    .kh = {w.kh}u, .kw = {w.kw}u, .sh = {w.sh}u, .sw = {w.sw}u, .dh = {w.dh}u, .dw = {w.dw}u,
    .pad_top = {w.top}u, .pad_left = {w.left}u, .depth_multiplier = {p.depth_multiplier}u,
    .pad = {lay.pad}u, .act_min = {int(p.act_min) + 128}u, .act_max = {int(p.act_max) + 128}u}};
"""
    call = (
        f"  {ctx.p}__depthwise_conv_2d(&{n['params']}, {ctx.ptr(step.inputs[0])}, "
        f"{ctx.ptr(step.outputs[0])}, {ctx.scratch_ptr(step) if lay.scratch else 'NULL'});"
    )
    macs = w.out_h * w.out_w * lay.c * lay.k
    common = lay.weights.size + 4 * lay.c + 16 * lay.c + 64
    fast_bytes = max(4 * lay.c, 4 * lay.dsp.size if lay.dsp is not None else 0)
    return Emitted(consts, call, macs=macs, const_bytes=common + fast_bytes)


def scratch_bytes(step: Step, tensors: dict[int, TensorSlot]) -> int:
    """The fast path on a padded input: a ring of 3 padded rows, 3 * pad_w * in_c bytes."""
    return Layout(step).scratch


EMITTER = OpEmitter(
    kernels=("tfk_fixedpoint.c", "tfk_depthwise_conv_2d.c"),
    emit=emit,
    scratch_bytes=scratch_bytes,
    check=check,
)
