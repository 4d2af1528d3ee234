"""`tinyflash predict MODEL INPUT`: classify digits with an exported model.

    tinyflash predict run/model_int8.tflite test:7
    tinyflash predict run/model_int8.onnx digit.png --backend onnxruntime
    tinyflash predict run/model_float32.tflite batch.npy --backend tflite

INPUT: `test:K` (MNIST test image K), a PNG (grayscale/RGB(A), 8-bit; resized to 28x28 by area
averaging; a light background is inverted to MNIST's white-on-black), or a .npy array of
shape (784,), (28, 28), (N, 784) or (N, 28, 28) (uint8 0..255, or float pixels in [0, 1]).
Backends: python (tinyflash.runtime, numpy only; --rounding tflm|litert), tflite
(ai-edge-litert, reference kernels), onnxruntime. Prints the class and probabilities per image.
Only the standard library is imported at module level.
"""

from __future__ import annotations

import argparse
import struct
import zlib
from pathlib import Path

from tinyflash.errors import UserError

__all__ = ["add_arguments", "load_input", "read_png", "run"]

BACKENDS = ("python", "tflite", "onnxruntime")
MAX_PNG_PIXELS = 1 << 20  # a digit picture; checked before decompressing (no PNG bombs)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="an exported .tflite or .onnx file")
    parser.add_argument("input", help="test:K, a PNG digit, or a .npy array of images")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="python",
        help="who runs the model (default: python = tinyflash.runtime)",
    )
    parser.add_argument(
        "--rounding",
        choices=("tflm", "litert"),
        default="tflm",
        help="integer semantics of the python backend (default: tflm)",
    )
    parser.add_argument("--data", default=None, help="MNIST file for test:K (default: auto)")


def read_png(path: Path):
    """8-bit, non-interlaced PNG -> (H, W) uint8 luminance (alpha composited on black)."""
    import numpy as np

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
            f"{path}: PNG of {width}x{height} pixels; supported: 1 to {MAX_PNG_PIXELS:,} "
            "pixels (a picture of one digit)"
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
            out = cur.copy()
            for i in range(stride):
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
            cur = out
        elif f != 0:
            raise UserError(f"{path}: bad PNG filter type {f}")
        rows[y], prev = cur, cur
    img = rows.reshape(height, width, channels).astype(np.float64)
    gray = img[..., 0] if channels < 3 else img[..., :3] @ [0.299, 0.587, 0.114]
    if channels in (2, 4):
        gray = gray * img[..., -1] / 255.0
    return np.clip(np.rint(gray), 0, 255).astype(np.uint8)


def _to_mnist(gray):
    """(H, W) uint8 -> (784,) float32 in [0, 1], 28x28 by area averaging, white on black."""
    import numpy as np

    h, w = gray.shape
    ys = (np.arange(h) * 28) // h
    xs = (np.arange(w) * 28) // w
    sums = np.zeros((28, 28))
    counts = np.zeros((28, 28))
    np.add.at(sums, (ys[:, None], xs[None, :]), gray.astype(np.float64))
    np.add.at(counts, (ys[:, None], xs[None, :]), 1)
    img = sums / np.maximum(counts, 1)
    if img.mean() > 127:  # dark digit on a light background
        img = 255 - img
    return (np.rint(img).astype(np.float32) / np.float32(255)).reshape(784)


def load_input(spec: str, data: str | None = None):
    """INPUT -> ((N, 784) float32 pixels in [0, 1], labels or None)."""
    import numpy as np

    if spec.startswith("test:"):
        from tinyflash.train.data import load_mnist

        try:
            k = int(spec[5:])
        except ValueError:
            raise UserError(f"input {spec!r}: expected test:K with an integer K") from None
        ds = load_mnist(data, allow_download=False)
        if not 0 <= k < len(ds.x_test):
            raise UserError(f"input {spec!r}: K must be in [0, {len(ds.x_test)})")
        x = ds.x_test[k].reshape(1, 784).astype(np.float32) / np.float32(255)
        return x, np.array([int(ds.y_test[k])])
    path = Path(spec)
    if not path.is_file():
        raise UserError(f"input {spec!r}: no such file (or use test:K)")
    if path.suffix.lower() == ".png":
        return _to_mnist(read_png(path))[None], None
    if path.suffix.lower() == ".npy":
        try:  # memory-mapped: a header promising more data than the file holds is refused
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except Exception as exc:  # numpy's header parser raises ValueError, SyntaxError, ...
            raise UserError(f"{path}: unreadable .npy ({type(exc).__name__}: {exc})") from None
        if arr.shape in ((784,), (28, 28)):
            arr = arr[None]
        if arr.ndim not in (2, 3) or arr.shape[1:] not in ((784,), (28, 28)) or not len(arr):
            raise UserError(
                f"{path}: expected shape (784,), (28, 28), (N, 784) or (N, 28, 28) with N > 0, "
                f"found {arr.shape}"
            )
        x = np.array(arr).reshape(len(arr), 784)
        if x.dtype == np.uint8:
            return x.astype(np.float32) / np.float32(255), None
        if x.dtype.kind == "f" and np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1:
            return x.astype(np.float32), None
        found = f" in [{x.min()}, {x.max()}]" if x.dtype.kind in "iuf" else ""
        raise UserError(
            f"{path}: expected uint8 0..255 or float pixels in [0, 1], found {x.dtype}{found}"
        )
    raise UserError(f"input {spec!r}: supported inputs are test:K, .png and .npy")


def predict(model_path: str, x, backend: str, rounding: str):
    """(N, 784) float32 pixels -> (N, classes) float64 probabilities."""
    import numpy as np

    import tinyflash.runtime as rt
    from tinyflash.runtime.quantize import dequantize, quantize

    model = rt.load(model_path, rounding=rounding)  # also validates the file for every backend
    native = x
    if model.input.dtype != "float32":
        scale, zero_point = model.input.scale, model.input.zero_point
        if scale is None or zero_point is None:
            raise UserError(f"{model_path}: integer input without quantization parameters")
        native = quantize(x, scale, zero_point, model.input.dtype)
    if backend == "python":
        y = model(native)
    elif backend == "tflite":
        if model.graph.format != "tflite":
            raise UserError("--backend tflite needs a .tflite model")
        from tinyflash.export.reference import run_litert

        y = run_litert(model_path, native, kernels="reference")
    else:
        if model.graph.format != "onnx":
            raise UserError("--backend onnxruntime needs an .onnx model")
        from tinyflash.export.reference import run_onnxruntime

        y = run_onnxruntime(model_path, native)
    out_scale, out_zero_point = model.output.scale, model.output.zero_point
    if out_scale is not None and out_zero_point is not None and y.dtype != np.float32:
        y = dequantize(y, out_scale, out_zero_point)
    return np.asarray(y, np.float64)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    x, labels = load_input(args.input, args.data)
    probs = predict(args.model, x, args.backend, args.rounding)
    for i, p in enumerate(probs):
        cls = int(np.argmax(p))
        truth = "" if labels is None else f" (label {labels[i]})"
        print(f"image {i}: class {cls}{truth}")
        print("  " + "  ".join(f"{c}:{v:.4f}" for c, v in enumerate(p)))
    return 0
