"""ONNX MaxPool, NCHW, float32 (and int8 / uint8, where ONNX allows it): the maximum over the
window's taps inside the image (padding never wins: it reads -inf / the dtype minimum).

    x (N, C, H, W) -> y (N, C, out_h, out_w); kernel_shape, strides, pads, auto_pad, dilations
    (onnx_window.py); storage_order 0 only; the optional Indices output is refused.
Exact: a maximum has no rounding, so this equals onnxruntime bit for bit on every CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, attr, require, tensor
from tinyflash.runtime.ops.onnx_window import check_output, nchw_to_nhwc, nhwc_to_nchw, onnx_window
from tinyflash.runtime.ops.window import Window, pad, taps

__all__ = ["OnnxMaxPoolParams", "prepare", "run"]

DTYPES = ("float32", "int8", "uint8")


@dataclass(frozen=True, eq=False)
class OnnxMaxPoolParams:
    """window: geometry; low: what padding reads (-inf, or the integer dtype's minimum)."""

    window: Window
    low: float | int


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxMaxPoolParams:
    require(len(op.outputs) == 1, op, "MaxPool: the Indices output is not supported", True)
    arity(op, (1,))
    x = tensor(graph, op, 0, "input X", DTYPES)
    y = tensor(graph, op, -1, "output Y", (x.dtype,))
    kernel = op.options.get("kernel_shape", [])
    require(
        isinstance(kernel, list) and len(kernel) == 2 and all(isinstance(k, int) for k in kernel),
        op,
        f"MaxPool: kernel_shape {kernel!r}; supported: 2 values (2-D pooling)",
        unsupported=True,
    )
    order = attr(op, "storage_order", 0, int)
    require(order == 0, op, f"MaxPool: storage_order {order} is not supported; supported: 0", True)
    window = onnx_window(op, x.shape, kernel[0], kernel[1])
    check_output(op, window, y.shape, x.shape[1])
    low = -np.inf if x.dtype == "float32" else int(np.iinfo(x.dtype).min)
    return OnnxMaxPoolParams(window, low)


def run(p: OnnxMaxPoolParams, x: np.ndarray) -> np.ndarray:
    """x (N, C, H, W) -> (N, C, out_h, out_w), same dtype."""
    xp = pad(nchw_to_nhwc(x), p.window, p.low)
    (_, first), *rest = taps(xp, p.window)
    out = first.copy()
    for _, view in rest:
        np.maximum(out, view, out=out)
    return nhwc_to_nchw(out)
