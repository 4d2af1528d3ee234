"""DEPTHWISE_CONV_2D: one filter per output channel, NHWC, int8 (per-channel) and float32.

Output channel o = c * depth_multiplier + m reads input channel c = o // depth_multiplier
(the multiplier is out_channels / in_channels, as TFLite derives it; the option is checked).
int8 (reference_integer_ops::DepthwiseConvPerChannel; TFLM and litert BUILTIN_REF):
    acc[n, y, x, o] = sum_{ky, kx} (x[n, y*sh - top + ky*dh, x*sw - left + kx*dw, o // M] - in_zp)
                      * W[0, ky, kx, o] + bias[o]          taps outside the image contribute 0
    y = clamp(out_zp + MBQM(acc, multiplier[o], shift[o]), act_min, act_max)
Computed with one vectorised multiply-add per filter tap (kh * kw of them) in int32, exact:
|acc| <= kh * kw * 255 * 128 + |bias|, checked in prepare. float32: the same tap loop in
float32, in the reference's (ky, kx) order, then + bias.

Rounding: ai-edge-litert 2.3's BUILTIN_REF convolutions requantize with gemmlowp DOUBLE
rounding, although its FULLY_CONNECTED uses single rounding (measured: single rounding is 1 LSB
off on ~0.2 % of outputs, double rounding exact; tests/runtime/ops/test_<op>.py pins it), so
both modes use fixedpoint's "tflm" arithmetic here: REQUANTIZATION below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime import fixedpoint
from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import (
    FLOAT_RANGES,
    activation_range,
    arity,
    const,
    per_tensor,
    quantization,
    require,
    tensor,
)
from tinyflash.runtime.ops.window import Window, check_output, make_window, pad, taps

REQUANTIZATION = {"tflm": "tflm", "litert": "tflm"}  # mode -> fixedpoint rounding (measured)

__all__ = ["DepthwiseConv2DParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class DepthwiseConv2DParams:
    """Prepared DEPTHWISE_CONV_2D.

    weights: (kh * kw, out_c) int32 (int8 values) or float32, tap-major in (ky, kx) order.
    bias: (out_c,) int32 or float32. depth_multiplier: out_c / in_c. int8 only (else None):
    multipliers / shifts (out_c,) int32, input / output zero points. act_min / act_max: the
    fused activation clamp (int8 bounds, or float bounds).
    """

    window: Window
    depth_multiplier: int
    weights: np.ndarray
    bias: np.ndarray
    act_min: int | float
    act_max: int | float
    fused_activation: str
    input_zero_point: int | None = None
    output_zero_point: int | None = None
    multipliers: np.ndarray | None = None
    shifts: np.ndarray | None = None
    rounding: str = "tflm"
    requant: fixedpoint.Requantizer | None = None  # the multipliers / shifts, prepared


def prepare(graph: Graph, op: Operator, mode: str) -> DepthwiseConv2DParams:
    arity(op, (2, 3))
    rounding = REQUANTIZATION[mode]
    x = tensor(graph, op, 0, "input", ("int8", "float32"))
    wt = tensor(graph, op, 1, "filter", (x.dtype,))
    y = tensor(graph, op, -1, "output", (x.dtype,))
    w = const(op, wt, "filter")
    name = "DEPTHWISE_CONV_2D"
    require(len(x.shape) == 4, op, f"{name}: input must be 4-D NHWC, found shape {x.shape}")
    require(w.ndim == 4 and w.shape[0] == 1, op, f"{name}: filter must be (1, kh, kw, out_c)")
    _, kh, kw, out_c = w.shape
    in_c = x.shape[3]
    require(
        out_c % in_c == 0,
        op,
        f"{name}: {out_c} output channels for {in_c} input channels is not a multiple",
    )
    m = out_c // in_c
    option = op.options.get("depth_multiplier", 0)
    require(
        option in (0, m),
        op,
        f"{name}: depth_multiplier option {option} but the filter implies {m}",
    )
    window = make_window(op, x.shape[1], x.shape[2], kh, kw)
    check_output(op, window, y.shape, out_c)
    fused = op.options.get("fused_activation", "NONE")
    has_bias = len(op.inputs) == 3 and op.inputs[2] != -1
    bias_dtype = "float32" if x.dtype == "float32" else "int32"
    bias = np.zeros(out_c, bias_dtype)
    if has_bias:
        bias = const(op, tensor(graph, op, 2, "bias", (bias_dtype,)), "bias")
        require(bias.shape == (out_c,), op, f"bias shape {bias.shape}, expected ({out_c},)")
    taps_w = w.reshape(kh * kw, out_c)
    if x.dtype == "float32":
        lo, hi = FLOAT_RANGES[fused]
        return DepthwiseConv2DParams(window, m, taps_w.astype(np.float32), bias, lo, hi, fused)
    in_scale, in_zp = per_tensor(op, x, "input")
    out_scale, out_zp = per_tensor(op, y, "output")
    wq = quantization(op, wt, "filter")
    require(bool(np.all(wq.zero_point == 0)), op, "filter must be symmetric (zero point 0)", True)
    require(wq.axis in (None, 3), op, f"filter quantized on axis {wq.axis}, expected 3", True)
    scales = np.broadcast_to(wq.scale.astype(np.float64), (out_c,))
    pairs = [
        fixedpoint.quantize_multiplier(float(in_scale) * float(s) / float(out_scale), rounding)
        for s in scales
    ]
    shifts = [s for _, s in pairs]
    bound = kh * kw * 255 * 128 + int(np.abs(bias.astype(np.int64)).max(initial=0))
    require(
        bound < 2**31 and all(-31 <= s and (bound << max(s, 0)) < 2**31 for s in shifts),
        op,
        f"{name}: accumulator bound {bound} with requantization shifts "
        f"{min(shifts)}..{max(shifts)} does not fit int32",
        unsupported=True,
    )
    lo, hi = activation_range(fused, out_scale, out_zp, "int8")
    return DepthwiseConv2DParams(
        window=window,
        depth_multiplier=m,
        weights=taps_w.astype(np.int32),
        bias=bias.astype(np.int32),
        act_min=lo,
        act_max=hi,
        fused_activation=fused,
        input_zero_point=in_zp,
        output_zero_point=out_zp,
        multipliers=np.array([mm for mm, _ in pairs], np.int32),
        shifts=np.array(shifts, np.int32),
        rounding=rounding,
        requant=fixedpoint.requantizer([mm for mm, _ in pairs], shifts, rounding, bound),
    )


def run(p: DepthwiseConv2DParams, x: np.ndarray, *_constants) -> np.ndarray:
    """x: (N, in_h, in_w, in_c) int8 or float32 -> (N, out_h, out_w, in_c * M), same dtype."""
    w = p.window
    dtype = np.float32 if p.multipliers is None else np.int8
    out = np.empty((x.shape[0], w.out_h, w.out_w, p.weights.shape[1]), dtype)
    step = max(1, (1 << 16) // out[0].size)  # images per block: temporaries stay in cache
    for a in range(0, x.shape[0], step):
        out[a : a + step] = _block(p, x[a : a + step])
    return out


def _block(p: DepthwiseConv2DParams, x: np.ndarray) -> np.ndarray:
    w = p.window
    xs: np.ndarray
    if p.requant is None or p.input_zero_point is None:
        xs = x.astype(np.float32)
    else:
        xs = x.astype(np.int32) - np.int32(p.input_zero_point)  # outside taps: pad with 0
    if p.depth_multiplier > 1:
        xs = np.repeat(xs, p.depth_multiplier, axis=3)
    xp = pad(xs, w, 0)
    acc = np.zeros((x.shape[0], w.out_h, w.out_w, p.weights.shape[1]), xs.dtype)
    term = np.empty_like(acc)
    for t, view in taps(xp, w):
        np.multiply(view, p.weights[t], out=term)
        acc += term
    acc += p.bias
    if p.requant is None:
        return np.clip(acc, p.act_min, p.act_max)
    scaled = p.requant(acc.astype(np.int64))
    scaled += p.output_zero_point
    return np.clip(scaled, p.act_min, p.act_max, out=scaled)
