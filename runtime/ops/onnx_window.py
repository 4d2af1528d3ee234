"""Sliding-window geometry of ONNX Conv / MaxPool / AveragePool on NCHW tensors.

The attributes, per the ONNX spec (opset 11-22), for each spatial axis with effective kernel
e = (k - 1) * dilation + 1:
    auto_pad NOTSET: pads = [top, left, bottom, right] as given (default 0),
        out = floor((in + begin + end - e) / stride) + 1
    VALID: no padding, out = floor((in - e) / stride) + 1
    SAME_UPPER / SAME_LOWER: out = ceil(in / stride), total = max((out - 1) * stride + e - in, 0),
        the odd pixel at the end (UPPER, what tf2onnx's SAME becomes) or at the start (LOWER)
ceil_mode 1 (windows past the padded border) is refused. The result is runtime.ops.window's
`Window`, so the kernels reuse its pad / taps on an NHWC view of the input.
"""

from __future__ import annotations

import numpy as np

from tinyflash.runtime.graph import Operator
from tinyflash.runtime.ops.common import require
from tinyflash.runtime.ops.window import Window

__all__ = ["AUTO_PADS", "check_output", "nchw_to_nhwc", "nhwc_to_nchw", "onnx_window"]

AUTO_PADS = ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER")


def _ints(op: Operator, name: str, default: list[int]) -> list[int]:
    value = op.options.get(name, default)
    ok = isinstance(value, list) and all(isinstance(v, int) for v in value)
    require(ok, op, f"{op.op}: attribute {name!r}: expected a list of ints, found {value!r}")
    return value


def _axis(op, size, k, stride, dilation, auto_pad, begin, end) -> tuple[int, int, int]:
    effective = (k - 1) * dilation + 1
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        out = -(-size // stride)
        total = max((out - 1) * stride + effective - size, 0)
        small, large = total // 2, total - total // 2
        begin, end = (small, large) if auto_pad == "SAME_UPPER" else (large, small)
    elif auto_pad == "VALID":
        begin = end = 0
    out = (size + begin + end - effective) // stride + 1
    return out, begin, end


def onnx_window(op: Operator, x_shape: tuple[int, ...], kh: int, kw: int) -> Window:
    """The window of a 2-D Conv / pool node on input x_shape (N, C, H, W). Raises naming it."""
    name = op.op
    require(
        len(x_shape) == 4,
        op,
        f"{name}: input of shape {x_shape}; supported: 4-D NCHW (2-D windows)",
        unsupported=True,
    )
    auto_pad = op.options.get("auto_pad", "NOTSET")
    require(
        auto_pad in AUTO_PADS,
        op,
        f"{name}: auto_pad {auto_pad!r} is not supported; supported: {list(AUTO_PADS)}",
        unsupported=True,
    )
    strides, dilations = _ints(op, "strides", [1, 1]), _ints(op, "dilations", [1, 1])
    pads = _ints(op, "pads", [0, 0, 0, 0])
    for label, v, n in (("strides", strides, 2), ("dilations", dilations, 2), ("pads", pads, 4)):
        require(len(v) == n, op, f"{name}: {label} {v}: expected {n} values (2-D window)")
    for label, v in (("strides", strides), ("dilations", dilations)):
        require(min(v) >= 1, op, f"{name}: {label} {v} is not supported; supported: >= 1", True)
    require(min(pads) >= 0, op, f"{name}: pads {pads}: expected >= 0", unsupported=True)
    require(
        op.options.get("ceil_mode", 0) == 0,
        op,
        f"{name}: ceil_mode {op.options.get('ceil_mode')} is not supported; supported: 0",
        unsupported=True,
    )
    require(kh >= 1 and kw >= 1, op, f"{name}: kernel {kh}x{kw}, expected at least 1x1")
    in_h, in_w = x_shape[2], x_shape[3]
    require(in_h >= 1 and in_w >= 1, op, f"{name}: expected static H and W, found {x_shape}")
    out_h, top, bottom = _axis(op, in_h, kh, strides[0], dilations[0], auto_pad, pads[0], pads[2])
    out_w, left, right = _axis(op, in_w, kw, strides[1], dilations[1], auto_pad, pads[1], pads[3])
    require(
        out_h >= 1 and out_w >= 1,
        op,
        f"{name}: a {kh}x{kw} kernel (dilations {dilations}, pads {pads}, auto_pad {auto_pad}) "
        f"does not fit the {in_h}x{in_w} input",
    )
    sh, sw = strides
    dh, dw = dilations
    return Window(kh, kw, sh, sw, dh, dw, top, bottom, left, right, in_h, in_w, out_h, out_w)


def check_output(op: Operator, w: Window, shape: tuple[int, ...], channels: int) -> None:
    """The declared output must be (N, channels, out_h, out_w); -1 (unknown) matches any size."""
    want = (channels, w.out_h, w.out_w)
    ok = len(shape) == 4 and all(d in (-1, e) for d, e in zip(shape[1:], want, strict=True))
    require(
        ok,
        op,
        f"{op.op}: output declared {shape}, but the window gives (N, {channels}, {w.out_h}, "
        f"{w.out_w})",
    )


def nchw_to_nhwc(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N, H, W, C) view."""
    return x.transpose(0, 2, 3, 1)


def nhwc_to_nchw(x: np.ndarray) -> np.ndarray:
    """(N, H, W, C) -> (N, C, H, W), contiguous."""
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
