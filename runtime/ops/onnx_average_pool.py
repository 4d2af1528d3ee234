"""ONNX AveragePool, NCHW, float32: the mean of the window's taps.

    x (N, C, H, W) -> y (N, C, out_h, out_w); kernel_shape, strides, pads, auto_pad
    (onnx_window.py); dilations 1 only.
    count_include_pad 0 (the default; what tf2onnx writes): divide by the taps inside the image
    count_include_pad 1: divide by kh * kw (padding taps count, reading 0)
Summed in float64 and rounded once (onnxruntime sums in float32: within 1e-6 relative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, attr, require, tensor
from tinyflash.runtime.ops.onnx_window import check_output, nchw_to_nhwc, nhwc_to_nchw, onnx_window
from tinyflash.runtime.ops.window import Window, pad, taps

__all__ = ["OnnxAveragePoolParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxAveragePoolParams:
    """window: geometry; counts (out_h, out_w, 1) float64: the divisor of every output."""

    window: Window
    counts: np.ndarray
    count_include_pad: bool


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxAveragePoolParams:
    arity(op, (1,))
    x = tensor(graph, op, 0, "input X", ("float32",))
    y = tensor(graph, op, -1, "output Y", ("float32",))
    kernel = op.options.get("kernel_shape", [])
    require(
        isinstance(kernel, list) and len(kernel) == 2 and all(isinstance(k, int) for k in kernel),
        op,
        f"AveragePool: kernel_shape {kernel!r}; supported: 2 values (2-D pooling)",
        unsupported=True,
    )
    dilations = op.options.get("dilations", [1, 1])
    require(
        dilations == [1, 1],
        op,
        f"AveragePool: dilations {dilations} are not supported; supported: [1, 1]",
        unsupported=True,
    )
    include = attr(op, "count_include_pad", 0, int)
    require(include in (0, 1), op, f"AveragePool: count_include_pad {include}: expected 0 or 1")
    window = onnx_window(op, x.shape, kernel[0], kernel[1])
    check_output(op, window, y.shape, x.shape[1])
    if include:
        counts = np.full((window.out_h, window.out_w, 1), window.kh * window.kw, np.float64)
    else:
        ones = pad(np.ones((1, window.in_h, window.in_w, 1)), window, 0.0)
        counts = sum(view for _, view in taps(ones, window))[0]
    return OnnxAveragePoolParams(window, counts, bool(include))


def run(p: OnnxAveragePoolParams, x: np.ndarray) -> np.ndarray:
    """x (N, C, H, W) float32 -> (N, C, out_h, out_w) float32."""
    xp = pad(nchw_to_nhwc(x).astype(np.float64), p.window, 0.0)
    acc = np.zeros((x.shape[0], p.window.out_h, p.window.out_w, x.shape[1]), np.float64)
    for _, view in taps(xp, p.window):
        acc += view
    return nhwc_to_nchw((acc / p.counts).astype(np.float32))
