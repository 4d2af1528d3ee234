"""CONV_2D: y = act(conv(x, W) + b), NHWC, int8 (per-channel or per-tensor weights) and float32.

int8 (TFLite reference_integer_ops::ConvPerChannel; TFLM and ai-edge-litert BUILTIN_REF):
    acc[n, y, x, o] = sum_{ky, kx, i} (x[n, y*sh - top + ky*dh, x*sw - left + kx*dw, i] - in_zp)
                      * W[o, ky, kx, i] + bias[o]          taps outside the image contribute 0
    y = clamp(out_zp + MBQM(acc, multiplier[o], shift[o]), act_min, act_max)
The quantization constants are FULLY_CONNECTED's (one requantization per output channel).

Speed, exactly: im2col (window.taps, padded with in_zp so outside taps add (in_zp - in_zp) * w
= 0), then one BLAS matmul on the raw int8 values, acc = P @ W.T - in_zp * W.sum + bias. Every
partial sum is an integer of magnitude <= K * 128 * 128 (K = kh * kw * in_channels), exact in
float32 for K <= 1024 and in float64 above (fully_connected.py states the argument).
float32: the same patches through FULLY_CONNECTED's float path, which sums in float32 in
input order, i.e. the reference kernel's (ky, kx, i) order, then adds the bias.

Rounding: ai-edge-litert 2.3's BUILTIN_REF convolutions requantize with gemmlowp DOUBLE
rounding, although its FULLY_CONNECTED uses single rounding (measured: single rounding is 1 LSB
off on ~0.2 % of outputs, double rounding exact; tests/runtime/ops/test_<op>.py pins it), so
both modes use fixedpoint's "tflm" arithmetic here: REQUANTIZATION below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops import fully_connected
from tinyflash.runtime.ops.common import arity, const, require, tensor
from tinyflash.runtime.ops.window import Window, check_output, make_window, pad, taps

REQUANTIZATION = {"tflm": "tflm", "litert": "tflm"}  # mode -> fixedpoint rounding (measured)

__all__ = ["Conv2DParams", "im2col", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class Conv2DParams:
    """Prepared CONV_2D. window: the geometry; fc: the per-output-channel arithmetic as a
    FULLY_CONNECTED on patches (weights (out_c, kh * kw * in_c) int8 or float32, in (ky, kx, i)
    order; see fully_connected.FullyConnectedInt8 / FullyConnectedFloat for the fields).
    pad_value: what outside taps read (the input zero point, 0.0 for float)."""

    window: Window
    fc: fully_connected.FullyConnectedInt8 | fully_connected.FullyConnectedFloat
    pad_value: int | float
    out_channels: int
    weights_mat: np.ndarray = field(repr=False)  # (K, out_c) float32/float64 for BLAS


def im2col(x: np.ndarray, w: Window, value) -> np.ndarray:
    """x: (N, in_h, in_w, C) -> patches (N * out_h * out_w, kh * kw * C) in (ky, kx, c) order."""
    xp = pad(x, w, value)
    if w.kh == w.kw == 1:
        (_, view), *_ = taps(xp, w)
        return view.reshape(-1, x.shape[-1])
    cols = np.stack([view for _, view in taps(xp, w)], axis=3)  # (N, oh, ow, taps, C)
    return cols.reshape(-1, w.kh * w.kw * x.shape[-1])


def prepare(graph: Graph, op: Operator, mode: str) -> Conv2DParams:
    arity(op, (2, 3))
    rounding = REQUANTIZATION[mode]
    x = tensor(graph, op, 0, "input", ("int8", "float32"))
    wt = tensor(graph, op, 1, "filter", (x.dtype,))
    y = tensor(graph, op, -1, "output", (x.dtype,))
    weights = const(op, wt, "filter")
    require(len(x.shape) == 4, op, f"CONV_2D: input must be 4-D NHWC, found shape {x.shape}")
    require(weights.ndim == 4, op, f"CONV_2D: filter must be 4-D OHWI, found {weights.shape}")
    out_c, kh, kw, in_c = weights.shape
    require(
        x.shape[3] == in_c,
        op,
        f"CONV_2D: input channels {x.shape[3]} with a filter of {in_c} input channels "
        "(grouped convolution) is not supported; supported: filter input channels = input's",
        unsupported=True,
    )
    window = make_window(op, x.shape[1], x.shape[2], kh, kw)
    check_output(op, window, y.shape, out_c)
    fc = fully_connected.prepare_dense(
        graph, op, x, wt, y, weights.reshape(out_c, kh * kw * in_c), rounding
    )
    return Conv2DParams(
        window=window,
        fc=fc,
        pad_value=0.0 if x.dtype == "float32" else fc.input_zero_point,
        out_channels=out_c,
        weights_mat=fc.weights_t,
    )


def run(p: Conv2DParams, x: np.ndarray, *_constants) -> np.ndarray:
    """x: (N, in_h, in_w, in_c) int8 or float32 -> (N, out_h, out_w, out_c), same dtype."""
    w = p.window
    out = np.empty((x.shape[0], w.out_h, w.out_w, p.out_channels), x.dtype)
    step = max(1, (1 << 17) // (w.out_h * w.out_w * p.weights_mat.shape[0]))  # images/block
    for a in range(0, x.shape[0], step):  # the patches of a block stay in cache
        cols = im2col(x[a : a + step], w, p.pad_value)
        out[a : a + step] = fully_connected.run(p.fc, cols).reshape(-1, *out.shape[1:])
    return out
