"""ONNX Conv, float32, NCHW: y = conv(x, W) + B, any group (dense, depthwise, grouped).

    x (N, C, H, W); W (M, C / group, kh, kw); B (M,) optional; y (N, M, out_h, out_w)
    y[n, m, i, j] = B[m] + sum_{c, ky, kx} x[n, g*C/group + c, i*sh - top + ky*dh,
                                             j*sw - left + kx*dw] * W[m, c, ky, kx]
    with g = m // (M / group); taps in the padding read 0 (onnx_window.py: pads, auto_pad).
The int8 files tf2onnx writes are QDQ: x, W and B arrive dequantized (DequantizeLinear of the
uint8 / int8 tensors), so this one float kernel serves both.

Summation: in float64 (im2col and one matmul for group 1 and grouped; one multiply-add per tap
for depthwise, group = C), rounded once to float32 at the end. onnxruntime's MLAS sums in
float32 in its own blocked order, which depends on the CPU, so the two agree within float32
rounding of the sum (tests: 1e-5), not bit for bit; in a QDQ graph that gap can move a
QuantizeLinear rounding by one step (tests/runtime/ops/test_onnx_conv.py measures it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Graph, Operator
from tinyflash.runtime.ops.common import arity, attr, require, tensor
from tinyflash.runtime.ops.conv_2d import im2col
from tinyflash.runtime.ops.onnx_window import check_output, nchw_to_nhwc, nhwc_to_nchw, onnx_window
from tinyflash.runtime.ops.window import Window, pad, taps

__all__ = ["OnnxConvParams", "prepare", "run"]


@dataclass(frozen=True, eq=False)
class OnnxConvParams:
    """window: geometry; group: the node's group; in_channels C, out_channels M;
    depthwise: group == C (one input channel per filter; M / C filters per channel)."""

    window: Window
    group: int
    in_channels: int
    out_channels: int
    depthwise: bool


def prepare(graph: Graph, op: Operator, rounding: str) -> OnnxConvParams:
    arity(op, (2, 3))
    x = tensor(graph, op, 0, "input X", ("float32",))
    w = tensor(graph, op, 1, "weights W", ("float32",))
    y = tensor(graph, op, -1, "output Y", ("float32",))
    require(
        len(w.shape) == 4 and min(w.shape) >= 1,
        op,
        f"Conv: weights of shape {w.shape}; supported: static 4-D (M, C / group, kh, kw)",
        unsupported=True,
    )
    m, c_per_group, kh, kw = w.shape
    kernel = op.options.get("kernel_shape", [kh, kw])
    require(kernel == [kh, kw], op, f"Conv: kernel_shape {kernel} != weights' {[kh, kw]}")
    window = onnx_window(op, x.shape, kh, kw)
    group = attr(op, "group", 1, int)
    c = x.shape[1]
    require(
        group >= 1 and c >= 1 and c == group * c_per_group and m % group == 0,
        op,
        f"Conv: group {group} with {c} input channels, weights {w.shape}: expected C = group * "
        "W.shape[1] and M divisible by group",
    )
    if len(op.inputs) == 3 and op.inputs[2] != -1:
        b = tensor(graph, op, 2, "bias B", ("float32",))
        require(b.shape == (m,), op, f"Conv: bias of shape {b.shape}, expected ({m},)")
    check_output(op, window, y.shape, m)
    return OnnxConvParams(window, group, c, m, depthwise=group == c and group > 1)


def _dense(x: np.ndarray, w: np.ndarray, win: Window) -> np.ndarray:
    """x (N, H, W, C) float32, w (M, C, kh, kw) -> (N * out_h * out_w, M) float64."""
    cols = im2col(x, win, 0.0)  # (rows, kh * kw * C) in (ky, kx, c) order
    mat = w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1).astype(np.float64)
    return cols.astype(np.float64) @ mat.T


def _depthwise(x: np.ndarray, w: np.ndarray, win: Window) -> np.ndarray:
    """x (N, H, W, C), w (M, 1, kh, kw), output channel o reading input channel o // (M / C)
    -> (N, out_h, out_w, M) float64."""
    multiplier = w.shape[0] // x.shape[3]
    x64 = x.astype(np.float64)
    xp = pad(np.repeat(x64, multiplier, axis=3) if multiplier > 1 else x64, win, 0.0)
    taps_w = w.reshape(w.shape[0], -1).T.astype(np.float64)  # (kh * kw, M)
    acc = np.zeros((x.shape[0], win.out_h, win.out_w, w.shape[0]), np.float64)
    for t, view in taps(xp, win):
        acc += view * taps_w[t]
    return acc


def run(p: OnnxConvParams, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None):
    """x (N, C, H, W) float32, w (M, C / group, kh, kw), b (M,) -> (N, M, out_h, out_w)."""
    win, n = p.window, x.shape[0]
    xh = nchw_to_nhwc(x)
    if p.depthwise:
        acc = _depthwise(xh, w, win)
    elif p.group == 1:
        acc = _dense(xh, w, win).reshape(n, win.out_h, win.out_w, p.out_channels)
    else:
        cg, mg = p.in_channels // p.group, p.out_channels // p.group
        acc = np.concatenate(
            [
                _dense(xh[..., g * cg : (g + 1) * cg], w[g * mg : (g + 1) * mg], win)
                for g in range(p.group)
            ],
            axis=1,
        ).reshape(n, win.out_h, win.out_w, p.out_channels)
    if b is not None:
        acc += b.astype(np.float64)
    return nhwc_to_nchw(acc.astype(np.float32))
