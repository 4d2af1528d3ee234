"""What `tinyflash verify` runs on when the model is not an MNIST run: given, random or
calibration inputs, a model file made into a run folder, and the error per executor.

    verify my_run --inputs x.npy --labels y.npy    # a user's inputs; accuracy where labelled
    verify sine.tflite --random 1000                # any model file, random int8 inputs
    verify model.onnx --inputs x.npy                # an .onnx from anywhere: its executors
    verify exported                                 # `export MODEL.keras`: its calibration.npy

Inputs are float32 (N, *input_shape); int8 artifacts get them quantized with the int8 input's
(scale, zero point). Random inputs are uniform int8 codes (so every int8 value occurs), their
float executors the same codes dequantized: every executor sees the same logical input.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from tinyflash.errors import UserError

__all__ = ["float_errors", "load_array", "model_folder", "pick_inputs"]


def load_array(path: str | os.PathLike[str], what: str) -> np.ndarray:
    """A .npy file's array (no pickles); UserError naming the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{what} {path}: no such file")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise UserError(f"{what} {path}: not a readable .npy file ({exc})") from None


def _shaped(x: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
    if x.ndim == len(shape) and x.shape + (1,) == (len(x), *shape):
        x = x[..., None]  # (N, H, W) for an (H, W, 1) input
    if x.shape[1:] != shape or x.dtype.kind not in "uif":
        raise UserError(
            f"{what}: expected numbers of shape (N, {', '.join(map(str, shape))}), found "
            f"{x.shape} {x.dtype}"
        )
    return x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)


def pick_inputs(
    run_dir: Path,
    manifest: dict[str, Any],
    shape: tuple[int, ...],
    quant: tuple[float, int],
    *,
    inputs: Any = None,
    labels: Any = None,
    random: int | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, str] | None:
    """(x (N, *shape) float32, labels (N,) int64 or (0,), where they came from), or None for the
    run's own data set. inputs / labels: arrays or .npy paths; random: that many rows."""
    from tinyflash.runtime.quantize import dequantize

    none = np.zeros(0, dtype=np.int64)
    if inputs is not None:
        where = f"--inputs {inputs}" if isinstance(inputs, str | os.PathLike) else "inputs"
        raw = load_array(inputs, "--inputs") if isinstance(inputs, str | os.PathLike) else inputs
        x = _shaped(np.asarray(raw), shape, where)
        if labels is None:
            return x, none, where
        y = np.asarray(load_array(labels, "--labels") if isinstance(labels, str | os.PathLike)
                       else labels)  # fmt: skip
        if y.shape != (len(x),) or y.dtype.kind not in "iu":
            raise UserError(f"--labels: expected ({len(x)},) integers, found {y.shape} {y.dtype}")
        return x, y.astype(np.int64), where
    if labels is not None:
        raise UserError("--labels needs --inputs (the labels of those inputs)")
    if random:
        codes = np.random.default_rng(seed).integers(-128, 128, size=(random, *shape))
        return dequantize(codes.astype(np.int8), *quant), none, f"{random} random int8 rows"
    calibration = (manifest.get("export") or {}).get("calibration") or {}
    name = calibration.get("file")
    if isinstance(name, str) and Path(name).name == name:
        path = run_dir / name
        data = path.read_bytes() if path.is_file() else b""
        if hashlib.sha256(data).hexdigest() != calibration.get("sha256"):
            raise UserError(f"{path}: missing or differs from the sha256 manifest.json records")
        return _shaped(load_array(path, "calibration"), shape, name), none, name
    return None


MODEL_FILES = {  # (suffix, int8) -> (artifact kind, file name in the run folder)
    (".tflite", True): ("tflite_int8", "model_int8.tflite"),
    (".tflite", False): ("tflite_float", "model_float32.tflite"),
    (".onnx", True): ("onnx_int8", "model_int8.onnx"),
    (".onnx", False): ("onnx_float", "model_float32.onnx"),
}


def model_folder(model: Path, out: Path | None) -> Path:
    """A run folder for one model file, .tflite or .onnx, int8 (input int8; an ONNX file in
    QDQ form) or float32: the file copied in under its artifact name, a manifest.json with its
    sha256, input shape and quantization, and, for a .tflite, the C header where the C
    generator supports the model. The executors of that artifact kind then apply: a .tflite
    runs in the Python interpreter, TFLM, ai-edge-litert and the C; an .onnx in the Python
    interpreter and onnxruntime (the C generator reads .tflite only)."""
    import shutil

    from tinyflash.atomic import ensure_writable_dir, write_json
    from tinyflash.runtime.interpreter import load

    suffix = model.suffix.lower()
    if suffix not in (".tflite", ".onnx"):
        raise UserError(
            f"{model}: verify takes a run folder, a .tflite or an .onnx file; for a .keras "
            "model run `tinyflash export MODEL.keras --calibration-data FILE` first, then "
            "verify its folder"
        )
    m = load(model)  # UserError naming an unsupported operator
    int8 = m.input.dtype == "int8"
    kind, name = MODEL_FILES[suffix, int8]
    folder = ensure_writable_dir(
        out if out is not None else model.with_name(f"{model.stem}_verify")
    )
    if model.resolve() != (folder / name).resolve():
        shutil.copyfile(model, folder / name)
    data = (folder / name).read_bytes()
    manifest: dict[str, Any] = {
        "source_model": model.name,
        "export": {"input_shape": list(m.input.shape)},
        "artifacts": {
            kind: {"file": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        },  # fmt: skip
    }
    if int8:
        manifest["quantization"] = {
            "input": {"scale": m.input.scale, "zero_point": m.input.zero_point},
            "output": {"scale": m.output.scale, "zero_point": m.output.zero_point},
        }
    write_json(folder / "manifest.json", manifest)
    if suffix == ".tflite":
        _headers(model, folder / name, int8)
    return folder


def _headers(source: Path, model: Path, int8: bool) -> None:
    """The C header of the copied model (so the C executors run), recorded in the manifest;
    none when the C generator cannot write it (verify then says why the C executors skip)."""
    from tinyflash.firmware_c.cli import default_prefix, record_headers
    from tinyflash.firmware_c.generate import generate_header

    prefix = default_prefix(source) + ("" if int8 else "_f32")
    try:
        header = generate_header(model, model.parent, prefix, "tflm", None,
                                 "int8" if int8 else "float32")  # fmt: skip
    except UserError:
        return
    record_headers(model.parent, [header], prefix, "tflm")


def float_errors(outputs: dict[str, Any], n: int) -> tuple[str | None, dict[str, dict]]:
    """(the reference's name, executor -> {max_abs, mean_abs} of its outputs on the first n
    rows, dequantized, minus the reference's). outputs: name -> report_parity.Outputs in
    executor order; the reference is the first float one (Keras where it ran), or, for an
    int8 model alone (no float executor), the first executor that ran (its "vs" says which)."""
    from tinyflash.runtime.quantize import dequantize

    def real(o: Any) -> np.ndarray:
        v = o.values[:n]
        return dequantize(v, *o.quant).astype(np.float64) if o.quant else v.astype(np.float64)

    ref = next((k for k, o in outputs.items() if o.quant is None), next(iter(outputs), None))
    if ref is None or n == 0:
        return None, {}
    base = real(outputs[ref])
    errors = {}
    for name, o in outputs.items():
        d = np.abs(real(o) - base)
        errors[name] = {"max_abs": float(d.max()), "mean_abs": float(d.mean()), "vs": ref}
    return ref, errors
