"""What `tinyflash predict` feeds a model: a PNG, a .npy array or `test:K`, fitted to the
model's input and described in words (every change made to the input is named).

    loaded = load_input("digit.png", (784,), resize=False)   # refused if it does not fit
    loaded.x        # (N, *shape) float32 model-input values (or int8 codes, from an int8 .npy)
    loaded.notes    # ("32x32 RGB PNG", "resized from 32x32 to 28x28 by area averaging", ...)

A picture fits a model whose input is an image: (H, W), (H, W, C) or (C, H, W) with C 1 or 3,
or a flat (F,) with F = S * S (a grey S x S picture, row by row). It is used as it is only when
its size and channels are the model's (an opaque alpha channel is dropped, an RGB picture whose
three channels are equal is read as grey); anything else is refused unless resize=True allows
resizing (area averaging) and converting the colours. Pixels p become p / 255. A grey picture
on a light background (mean above 127) is inverted to white on black, as MNIST is, unless
invert=False. Only numpy and the standard library are imported.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyflash.errors import UserError

__all__ = ["Loaded", "image_geometry", "load_input", "read_png", "read_png_pixels"]

MAX_PNG_PIXELS = 1 << 20  # a picture of one digit; checked before decompressing (no PNG bombs)
COLOURS = {1: "grey", 2: "grey+alpha", 3: "RGB", 4: "RGBA"}
LUMINANCE = np.array([0.299, 0.587, 0.114])


@dataclass(frozen=True)
class Loaded:
    """x: (N, *model input shape) float32 values, or int8 codes for an int8 model;
    labels: (N,) int64 for test:K, else None; notes: what was done to the input, in words."""

    x: np.ndarray
    labels: np.ndarray | None
    notes: tuple[str, ...]


def read_png_pixels(path: Path) -> np.ndarray:
    """8-bit, non-interlaced PNG -> (H, W, C) uint8, C = 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise UserError(f"{path}: not a PNG file")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            if len(body) != 13:
                raise UserError(f"{path}: IHDR chunk of {len(body)} bytes, expected 13")
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise UserError(f"{path}: PNG without IHDR")
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise UserError(
            f"{path}: supported PNGs are 8-bit gray/RGB(A), not interlaced; found "
            f"depth {depth}, color type {color}, interlace {interlace}"
        )
    if not 0 < width * height <= MAX_PNG_PIXELS:
        raise UserError(
            f"{path}: PNG of {width}x{height} pixels; supported: 1 to {MAX_PNG_PIXELS:,} pixels"
        )
    stride = width * channels
    try:  # at most one byte more than the image needs, however well the data compresses
        raw = zlib.decompressobj().decompress(b"".join(idat), height * (stride + 1) + 1)
    except zlib.error as exc:
        raise UserError(f"{path}: corrupt PNG data ({exc})") from None
    if len(raw) != height * (stride + 1):
        raise UserError(f"{path}: PNG data has {len(raw)} bytes, expected {height * (stride + 1)}")
    rows = np.zeros((height, stride), np.int32)
    prev = np.zeros(stride, np.int32)
    for y in range(height):
        f, line = raw[y * (stride + 1)], np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1)
        cur = line.astype(np.int32)
        if f == 2:
            cur = (cur + prev) & 255
        elif f in (1, 3, 4):
            cur = _unfilter(f, cur, prev, channels)
        elif f != 0:
            raise UserError(f"{path}: bad PNG filter type {f}")
        rows[y], prev = cur, cur
    return rows.reshape(height, width, channels).astype(np.uint8)


def _unfilter(f: int, cur: np.ndarray, prev: np.ndarray, channels: int) -> np.ndarray:
    """PNG filters 1 (sub), 3 (average), 4 (Paeth): each byte depends on the one to its left."""
    out = cur.copy()
    for i in range(len(cur)):
        left = out[i - channels] if i >= channels else 0
        up, ul = prev[i], (prev[i - channels] if i >= channels else 0)
        if f == 1:
            pred = left
        elif f == 3:
            pred = (left + up) // 2
        else:
            p = left + up - ul
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
            pred = left if pa <= pb and pa <= pc else (up if pb <= pc else ul)
        out[i] = (out[i] + pred) & 255
    return out


def read_png(path: Path) -> np.ndarray:
    """8-bit PNG -> (H, W) uint8 luminance (0.299 R + 0.587 G + 0.114 B; alpha over black)."""
    img = read_png_pixels(path).astype(np.float64)
    gray = img[..., 0] if img.shape[2] < 3 else img[..., :3] @ LUMINANCE
    if img.shape[2] in (2, 4):
        gray = gray * img[..., -1] / 255.0
    return np.clip(np.rint(gray), 0, 255).astype(np.uint8)


def image_geometry(shape: tuple[int, ...]) -> tuple[int, int, int, str] | None:
    """Model input shape (without batch) -> (H, W, C, layout) if it is a picture, else None.
    layout: "flat" (F,) = S x S grey, "hw" (H, W), "hwc" (H, W, C), "chw" (C, H, W)."""
    if len(shape) == 1 and math.isqrt(shape[0]) ** 2 == shape[0] > 1:
        side = math.isqrt(shape[0])
        return side, side, 1, "flat"
    if len(shape) == 2:
        return shape[0], shape[1], 1, "hw"
    if len(shape) == 3 and shape[2] in (1, 3):
        return shape[0], shape[1], shape[2], "hwc"
    if len(shape) == 3 and shape[0] in (1, 3):
        return shape[1], shape[2], shape[0], "chw"
    return None


def _describe_image(h: int, w: int, c: int) -> str:
    return f"{h}x{w} {'grey' if c == 1 else 'RGB'}"


def _area_matrix(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in): output pixel i averages input pixels over [i, i+1) * n_in / n_out,
    each weighted by its overlap (shrinks and enlarges alike)."""
    lo = np.arange(n_out)[:, None] * n_in / n_out
    hi = lo + n_in / n_out
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def fit_picture(
    img: np.ndarray, shape: tuple[int, ...], resize: bool, invert: bool, what: str
) -> tuple[np.ndarray, list[str]]:
    """(h, w, c) uint8 picture -> ((1, *shape) float32 in [0, 1], notes). Refuses a picture
    that would need resizing or colour conversion unless resize is True."""
    geometry = image_geometry(shape)
    h, w, c = img.shape
    if geometry is None:
        raise UserError(
            f"{what}: the model's input {shape} is not a picture (expected (H, W), (H, W, C), "
            "(C, H, W) with C 1 or 3, or (S*S,)); give a .npy array of that shape"
        )
    H, W, C, layout = geometry
    notes, changes = [f"{h}x{w} {COLOURS[c]} PNG"], []
    pixels = img.astype(np.float64)
    if c in (2, 4):
        alpha, pixels = pixels[..., -1:], pixels[..., :-1]
        if (alpha == 255).all():
            notes.append("opaque alpha channel dropped")
        else:
            pixels = pixels * alpha / 255.0
            changes.append("composited its alpha channel on black")
    if pixels.shape[2] == 3 and C == 1:
        if (pixels == pixels[..., :1]).all():
            notes.append("equal R, G and B read as grey")
            pixels = pixels[..., :1]
        else:
            pixels = (pixels @ LUMINANCE)[..., None]
            changes.append("converted RGB to grey (0.299 R + 0.587 G + 0.114 B)")
    elif pixels.shape[2] == 1 and C == 3:
        pixels = np.repeat(pixels, 3, axis=2)
        changes.append("copied grey to R, G and B")
    if (h, w) != (H, W):
        pixels = np.einsum("ih,hwc,jw->ijc", _area_matrix(H, h), pixels, _area_matrix(W, w))
        changes.append(f"resized from {h}x{w} to {H}x{W} by area averaging")
    if changes and not resize:
        raise UserError(
            f"{what}: a {h}x{w} {COLOURS[c]} picture does not fit the model's input {shape} "
            f"({_describe_image(H, W, C)}); it would need: {'; '.join(changes)}. Pass --resize "
            "to do that"
        )
    notes += changes
    pixels = np.clip(np.rint(pixels), 0, 255)
    if C == 1 and invert and pixels.mean() > 127:
        pixels = 255 - pixels
        notes.append("inverted (a light background: p -> 255 - p, white on black as MNIST)")
    notes.append("pixels p -> p / 255")
    x = pixels.astype(np.float32) / np.float32(255)
    x = np.moveaxis(x, 2, 0) if layout == "chw" else x
    return x.reshape(1, *shape), notes


def _load_npy(path: Path, shape: tuple[int, ...], int8_codes: bool) -> Loaded:
    """(*shape), (N, *shape) or, for a grey picture input, (N, H, W) / (H, W) / (N, H*W)."""
    try:  # memory-mapped: a header promising more data than the file holds is refused
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except Exception as exc:  # numpy's header parser raises ValueError, SyntaxError, ...
        raise UserError(f"{path}: unreadable .npy ({type(exc).__name__}: {exc})") from None
    geometry = image_geometry(shape)
    rows = [shape]
    if geometry is not None and geometry[2] == 1:
        H, W = geometry[:2]
        rows += [s for s in ((H, W), (H * W,), (H, W, 1), (1, H, W)) if s != shape]
    notes = [f"{arr.dtype} array of shape {arr.shape}"]
    found = next((r for r in rows if tuple(arr.shape) == r), None)
    if found is not None:
        arr = arr[None]
    else:
        found = next((r for r in rows if arr.ndim == 1 + len(r) and arr.shape[1:] == r), None)
    if found is None and shape == (1,) and arr.ndim == 1:
        arr, found = arr[:, None], shape
        notes.append(f"read as {len(arr)} rows of one value")
    if found is None or not len(arr):
        forms = ", ".join(str(r) for r in rows)
        raise UserError(
            f"{path}: expected an array of the model's input shape, one row {forms} or N > 0 "
            f"rows (N, ...) of it, found {arr.shape}"
        )
    if found != shape:
        notes.append(f"rows reshaped from {found} to {shape}")
    x = np.array(arr).reshape(len(arr), *shape)
    if x.dtype == np.uint8:
        notes.append("uint8 pixels p -> p / 255")
        return Loaded(x.astype(np.float32) / np.float32(255), None, tuple(notes))
    if x.dtype == np.int8 and int8_codes:
        notes.append("int8 codes fed to the int8 model as they are")
        return Loaded(x, None, tuple(notes))
    if x.dtype.kind == "f" and np.isfinite(x).all():
        x = x.astype(np.float32)
        notes.append(f"values used as they are, in [{x.min():g}, {x.max():g}]")
        return Loaded(x, None, tuple(notes))
    also = ", int8 codes" if int8_codes else ""
    bad = " (not finite)" if x.dtype.kind == "f" else ""
    raise UserError(
        f"{path}: expected uint8 pixels, finite float values{also}; found {x.dtype}{bad}"
    )


def load_input(
    spec: str,
    shape: tuple[int, ...] = (784,),
    *,
    resize: bool = False,
    invert: bool = True,
    int8_codes: bool = False,
    data: str | None = None,
) -> Loaded:
    """INPUT (test:K, a .png, a .npy) for a model whose input rows have `shape`.
    int8_codes: the model's input is int8, so an int8 .npy holds its codes."""
    if spec.startswith("test:"):
        from tinyflash.train.data import load_mnist

        try:
            k = int(spec[5:])
        except ValueError:
            raise UserError(f"input {spec!r}: expected test:K with an integer K") from None
        ds = load_mnist(data, allow_download=False)
        if not 0 <= k < len(ds.x_test):
            raise UserError(f"input {spec!r}: K must be in [0, {len(ds.x_test)})")
        img = ds.x_test[k][..., None]
        x, notes = fit_picture(img, shape, resize, False, f"input {spec!r}")
        return Loaded(x, np.array([int(ds.y_test[k])]), (f"test image {k}", *notes[1:]))
    path = Path(spec)
    if not path.is_file():
        raise UserError(f"input {spec!r}: no such file (or use test:K)")
    if path.suffix.lower() == ".png":
        x, notes = fit_picture(read_png_pixels(path), shape, resize, invert, str(path))
        return Loaded(x, None, tuple(notes))
    if path.suffix.lower() == ".npy":
        return _load_npy(path, shape, int8_codes)
    raise UserError(f"input {spec!r}: supported inputs are test:K, .png and .npy")
