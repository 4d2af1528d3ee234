"""Sliding-window geometry shared by CONV_2D, DEPTHWISE_CONV_2D and the 2-D pools (NHWC).

TFLite ComputePaddingHeightWidth, per spatial axis, with effective filter e = (k - 1) * d + 1:
    SAME:  out = ceil(in / stride)             VALID: out = floor((in - e) / stride) + 1
    total padding = max((out - 1) * stride + e - in, 0), before = total // 2, after = the rest
Input row y of output row o and tap t is o * stride - before + t * dilation; taps outside the
image are skipped by the reference kernels, which the kernels here reproduce by padding with a
value that contributes nothing (the input zero point for convolutions, 0 / -inf for pools).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyflash.runtime.graph import Operator
from tinyflash.runtime.ops.common import require

__all__ = ["Window", "check_output", "make_window", "pad", "taps"]


@dataclass(frozen=True)
class Window:
    """kernel (kh, kw), stride (sh, sw), dilation (dh, dw), padding (top, bottom, left, right),
    input (in_h, in_w) and output (out_h, out_w) sizes, all ints."""

    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    top: int
    bottom: int
    left: int
    right: int
    in_h: int
    in_w: int
    out_h: int
    out_w: int


def _axis(size: int, k: int, stride: int, dilation: int, padding: str) -> tuple[int, int, int]:
    effective = (k - 1) * dilation + 1
    out = -(-size // stride) if padding == "SAME" else (size - effective) // stride + 1
    total = max((out - 1) * stride + effective - size, 0)
    return out, total // 2, total - total // 2


def make_window(op: Operator, in_h: int, in_w: int, kh: int, kw: int) -> Window:
    """The window of a conv / pool operator from its decoded options. Raises naming the op."""
    o = op.options
    sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
    dh, dw = o.get("dilation_h", 1), o.get("dilation_w", 1)
    padding = o.get("padding", "VALID")
    name = op.op
    for label, v in (("stride_h", sh), ("stride_w", sw), ("dilation_h", dh), ("dilation_w", dw)):
        require(v >= 1, op, f"{name}: {label} {v} is not supported; supported: >= 1", True)
    require(kh >= 1 and kw >= 1, op, f"{name}: filter {kh}x{kw}, expected at least 1x1")
    out_h, top, bottom = _axis(in_h, kh, sh, dh, padding)
    out_w, left, right = _axis(in_w, kw, sw, dw, padding)
    require(
        out_h >= 1 and out_w >= 1,
        op,
        f"{name}: a {kh}x{kw} filter (dilation {dh}x{dw}) with {padding} padding does not fit "
        f"the {in_h}x{in_w} input",
    )
    return Window(kh, kw, sh, sw, dh, dw, top, bottom, left, right, in_h, in_w, out_h, out_w)


def check_output(op: Operator, w: Window, shape: tuple[int, ...], channels: int) -> None:
    """The output tensor the file declares must be (batch, out_h, out_w, channels)."""
    require(
        len(shape) == 4 and tuple(shape[1:]) == (w.out_h, w.out_w, channels),
        op,
        f"{op.op}: output declared {shape}, but the window gives (N, {w.out_h}, {w.out_w}, "
        f"{channels})",
    )


def pad(x: np.ndarray, w: Window, value) -> np.ndarray:
    """x: (N, in_h, in_w, C) -> (N, top + in_h + bottom, left + in_w + right, C), filled with
    `value` outside the image."""
    if not (w.top or w.bottom or w.left or w.right):
        return x
    n, h, wd, c = x.shape
    out = np.full((n, w.top + h + w.bottom, w.left + wd + w.right, c), value, x.dtype)
    out[:, w.top : w.top + h, w.left : w.left + wd] = x
    return out


def taps(xp: np.ndarray, w: Window):
    """Padded input (N, H', W', C) -> yields (tap index, (N, out_h, out_w, C) view) for every
    filter tap in (ky, kx) order: the input pixel each output position sees at that tap."""
    for ky in range(w.kh):
        for kx in range(w.kw):
            y0, x0 = ky * w.dh, kx * w.dw
            view = xp[
                :,
                y0 : y0 + (w.out_h - 1) * w.sh + 1 : w.sh,
                x0 : x0 + (w.out_w - 1) * w.sw + 1 : w.sw,
            ]
            yield ky * w.kw + kx, view
