"""MAX_POOL_2D and AVERAGE_POOL_2D, NHWC, int8 and float32 (TFLite reference pooling).

Each output position pools the taps of its window that lie inside the image (windows that
overhang the border with SAME padding see fewer taps; they are skipped, never zero-filled).
int8 input and output share one quantization (the converter guarantees it; checked), so:
    MAX: y = clamp(max over taps of q, act_min, act_max)
    AVERAGE: s = sum over taps of q (int32), n = taps inside the image,
        y = clamp(round_half_away(s / n), act_min, act_max) as integer division:
        (s + n/2) / n for s > 0, (s - n/2) / n otherwise, truncating (C `/`)
float32: MAX the same; AVERAGE sums in float32 in (ky, kx) order, then divides by n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import (
    FLOAT_RANGES,
    activation_range,
    arity,
    per_tensor,
    require,
    tensor,
)
from tinyflash.runtime.ops.window import Window, check_output, make_window, pad, taps

__all__ = ["Pool2DParams", "prepare", "run_average", "run_max"]


@dataclass(frozen=True, eq=False)
class Pool2DParams:
    """window: geometry (dilation 1); counts: (out_h, out_w, 1) int32, taps inside the image;
    act_min / act_max: the fused activation clamp; dtype: "int8" or "float32"."""

    window: Window
    counts: np.ndarray
    act_min: int | float
    act_max: int | float
    fused_activation: str
    dtype: str


def prepare(graph: Graph, op: Operator, rounding: str) -> Pool2DParams:
    arity(op, (1,))
    x = tensor(graph, op, 0, "input", ("int8", "float32"))
    y = tensor(graph, op, -1, "output", (x.dtype,))
    require(len(x.shape) == 4, op, f"{op.op}: input must be 4-D NHWC, found shape {x.shape}")
    kh, kw = op.options.get("filter_h", 0), op.options.get("filter_w", 0)
    window = make_window(op, x.shape[1], x.shape[2], kh, kw)
    check_output(op, window, y.shape, x.shape[3])
    ones = pad(np.ones((1, x.shape[1], x.shape[2], 1), np.int32), window, 0)
    counts = sum(view for _, view in taps(ones, window))[0]
    fused = op.options.get("fused_activation", "NONE")
    if x.dtype == "float32":
        lo, hi = FLOAT_RANGES[fused]
        return Pool2DParams(window, counts, lo, hi, fused, "float32")
    in_q, out_q = per_tensor(op, x, "input"), per_tensor(op, y, "output")
    require(
        np.float32(in_q[0]) == np.float32(out_q[0]) and in_q[1] == out_q[1],
        op,
        f"{op.op}: input quantization {in_q} differs from the output's {out_q}; supported: "
        "the same scale and zero point (the reference kernels do not requantize)",
        unsupported=True,
    )
    lo, hi = activation_range(fused, out_q[0], out_q[1], "int8")
    return Pool2DParams(window, counts, lo, hi, fused, "int8")


def run_max(p: Pool2DParams, x: np.ndarray) -> np.ndarray:
    """x: (N, in_h, in_w, C) -> (N, out_h, out_w, C), same dtype."""
    low = -np.inf if p.dtype == "float32" else -128
    xp = pad(x, p.window, low)
    views = [view for _, view in taps(xp, p.window)]
    out = views[0].copy()
    for view in views[1:]:
        np.maximum(out, view, out=out)
    return np.clip(out, p.act_min, p.act_max).astype(p.dtype)


def run_average(p: Pool2DParams, x: np.ndarray) -> np.ndarray:
    """x: (N, in_h, in_w, C) -> (N, out_h, out_w, C), same dtype."""
    acc_dtype = np.float32 if p.dtype == "float32" else np.int32
    xp = pad(x.astype(acc_dtype), p.window, 0)
    acc = np.zeros((x.shape[0], p.window.out_h, p.window.out_w, x.shape[3]), acc_dtype)
    for _, view in taps(xp, p.window):
        acc += view
    if p.dtype == "float32":
        return np.clip(acc / p.counts.astype(np.float32), p.act_min, p.act_max).astype(np.float32)
    n = p.counts
    half = n // 2
    avg = np.where(acc > 0, (acc + half) // n, -((half - acc) // n))
    return np.clip(avg, p.act_min, p.act_max).astype(np.int8)
