"""`tinyflash predict MODEL INPUT`: run an exported (or any) .tflite / .onnx model on an input.

    tinyflash predict run/model_int8.tflite test:7
    tinyflash predict run/model_int8.onnx digit.png --backend onnxruntime
    tinyflash predict sine.tflite x.npy --backend tflite
    tinyflash predict run/model_int8.tflite photo.png --resize

INPUT: `test:K` (test image K of the data set), a PNG, or a .npy array of the model's input
shape, one row (*shape) or a batch (N, *shape) (uint8 pixels -> p / 255; float values as they
are; int8 codes for an int8 model). A PNG whose size or channels differ from the model's input
is refused unless --resize is given (tinyflash.runtime.predict_input). Every change made to the
input (resized from HxW, converted to grey, inverted, ...) is printed before the results.
Backends: python (tinyflash.runtime, numpy only; --rounding tflm|litert), tflite
(ai-edge-litert, reference kernels), onnxruntime. A classifier (its last operator is a softmax)
prints the class and probabilities per input, any other model its output values.
Only the standard library is imported at module level.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tinyflash.errors import UserError

__all__ = ["add_arguments", "is_classifier", "load_input", "predict", "read_png", "run"]

BACKENDS = ("python", "tflite", "onnxruntime")
# Operators that only change the encoding of the result, not what it means
_PASS_THROUGH = frozenset({"QUANTIZE", "DEQUANTIZE", "RESHAPE", "QuantizeLinear",
                           "DequantizeLinear", "Reshape", "Flatten"})  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="a .tflite or .onnx file")
    parser.add_argument(
        "input", help="test:K, a PNG picture, or a .npy array of the model's input shape"
    )
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
    parser.add_argument(
        "--resize",
        action="store_true",
        help="fit a picture of another size or colour to the model's input (area averaging, "
        "grey <-> RGB); without it such a picture is refused",
    )
    parser.add_argument(
        "--no-invert",
        action="store_true",
        help="keep a light-background grey picture as it is (default: invert it to white on "
        "black, as MNIST)",
    )
    parser.add_argument("--data", default=None, help="MNIST file for test:K (default: auto)")


def read_png(path: Path):
    """8-bit PNG -> (H, W) uint8 luminance (tinyflash.runtime.predict_input.read_png)."""
    from tinyflash.runtime.predict_input import read_png as read

    return read(Path(path))


def load_input(spec: str, data: str | None = None, shape: tuple[int, ...] = (784,), **kw):
    """INPUT -> tinyflash.runtime.predict_input.Loaded (x, labels, notes) for `shape`."""
    from tinyflash.runtime.predict_input import load_input as load

    return load(spec, shape, data=data, **kw)


def is_classifier(model) -> bool:
    """The model's last operator that means something (not a (de)quantize or a reshape) is a
    softmax: its outputs are class probabilities."""
    ops = [op.op for op in model.graph.operators if op.op not in _PASS_THROUGH]
    return bool(ops) and ops[-1] in ("SOFTMAX", "Softmax")


def predict(model_path: str, x, backend: str, rounding: str, model=None):
    """(N, *input shape) float32 values (or the model's int8 codes) -> (N, ...) float64
    outputs, dequantized. `model`: the tinyflash.runtime.Model of model_path, if loaded."""
    import numpy as np

    import tinyflash.runtime as rt
    from tinyflash.runtime.quantize import dequantize, quantize

    if model is None:  # also validates the file for every backend
        model = rt.load(model_path, rounding=rounding)
    native = x
    if model.input.dtype != "float32" and x.dtype != np.dtype(model.input.dtype):
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

    import tinyflash.runtime as rt

    model = rt.load(args.model, rounding=args.rounding)
    loaded = load_input(
        args.input,
        args.data,
        model.input.shape,
        resize=args.resize,
        invert=not args.no_invert,
        int8_codes=model.input.dtype == "int8",
    )
    shape = ", ".join(map(str, model.input.shape))
    print(f"input {args.input} -> (N, {shape}) {model.input.dtype}: {', '.join(loaded.notes)}")
    y = predict(args.model, loaded.x, args.backend, args.rounding, model)
    classifier = is_classifier(model)
    for i, row in enumerate(y.reshape(len(y), -1)):
        if classifier:
            truth = "" if loaded.labels is None else f" (label {loaded.labels[i]})"
            print(f"input {i}: class {int(np.argmax(row))}{truth}")
            print("  " + "  ".join(f"{c}:{v:.4f}" for c, v in enumerate(row)))
        else:
            print(f"input {i}: output " + " ".join(f"{v:.6g}" for v in row))
    return 0
