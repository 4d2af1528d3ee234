"""`tinyflash export MODEL.keras --calibration-data FILE`: any Keras model -> a run folder.

    MODEL.keras + calibration inputs (.npy, .npz with x / x_train / one array, or a folder
    of PNG / JPEG pictures: export/image_folder.py)
      -> OUT/model.keras  model_float32.tflite  model_int8.tflite  model_float32.onnx
         model_int8.onnx  calibration.npy  manifest.json (last)

The folder is a normal run folder: codegen and verify take it like one `tinyflash run` made.
int8 quantization needs representative inputs: without them the exporter refuses (random data
would calibrate the scales to values the model never sees, a model silently wrong on real
inputs). Each artifact is evaluated on the calibration inputs (the first EVAL_ROWS) against
Keras: max and mean absolute difference of its (dequantized) outputs, recorded per executor.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tinyflash import atomic
from tinyflash.errors import UserError
from tinyflash.export import manifest as mf
from tinyflash.export import reference

__all__ = ["CALIBRATION_FILE", "EVAL_ROWS", "check_softmax_scales", "export_model",
           "load_calibration"]  # fmt: skip

CALIBRATION_FILE = "calibration.npy"
EVAL_ROWS = 1000
NPZ_KEYS = ("x", "x_train", "inputs")


def load_calibration(
    path: str | os.PathLike[str] | None, shape: tuple[int, ...], resize: bool = False
) -> tuple[np.ndarray, tuple[str, ...]]:
    """(the calibration inputs at `path` as float32 (N, *shape), what was done to them in
    words). A .npy / .npz: uint8 become values / 255, floats are taken as they are; (N, H, W)
    fits a (H, W, 1) input. A folder: its pictures, p / 255, fitted by predict's rules (resized
    or colour-converted only with resize=True). Raises UserError with the reason."""
    if path is None:
        raise UserError(
            "--calibration-data FILE is required to export a Keras model file: int8 "
            "quantization needs representative inputs (.npy, or .npz with an x array, of shape "
            f"(N, {', '.join(map(str, shape))}), or a folder of PNG / JPEG pictures); random "
            "data would give a model that is silently wrong on real inputs"
        )
    path = Path(path)
    if path.is_dir():
        from tinyflash.export.image_folder import load_image_folder

        return load_image_folder(path, shape, resize)
    if not path.is_file():
        raise UserError(f"{path}: no such calibration data file")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: not a readable .npy/.npz file ({exc})") from None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            names = [k for k in NPZ_KEYS if k in loaded.files] or loaded.files
            if len(names) != 1 and not set(names) & set(NPZ_KEYS):
                raise UserError(f"{path}: expected an array named x, found {loaded.files}")
            x = loaded[names[0]]
    else:
        x = loaded
    if x.ndim == len(shape) and x.shape + (1,) == (len(x), *shape):
        x = x[..., None]  # (N, H, W) images for a (H, W, 1) input
    if x.shape[1:] != shape or len(x) == 0 or x.dtype.kind not in "uif":
        raise UserError(
            f"{path}: expected calibration inputs of shape (N >= 1, {', '.join(map(str, shape))}) "
            f"(numbers), found {x.shape} {x.dtype}"
        )
    out = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    if not np.isfinite(out).all():
        raise UserError(f"{path}: calibration inputs contain NaN or Inf")
    scaled = "uint8 values p -> p / 255" if x.dtype == np.uint8 else "values as given"
    return out, (f"{len(out)} rows from {path.name}", scaled)


def check_softmax_scales(tflite_int8: bytes) -> None:
    """Raise UserError if an int8 SOFTMAX's input scale is too small for TFLite's kernels:
    they fold beta * input_scale * 2^26 into a multiplier they require to be > 1 (TFLM and
    litert abort the whole process otherwise, with no message). Seen on an untrained
    keras.applications.MobileNet, whose logits calibrate to a scale of ~8e-9."""
    from tinyflash.runtime.tflite import read_tflite

    graph = read_tflite(tflite_int8)
    for k, op in enumerate(graph.operators):
        quant = graph.tensors[op.inputs[0]].quant
        if op.op != "SOFTMAX" or quant is None:
            continue
        scale, beta = float(quant.scale[0]), float(op.options.get("beta", 1.0))
        if beta * scale * 2.0**26 <= 1.0:
            raise UserError(
                f"int8 model: SOFTMAX (operator {k}) input scale {scale:.3g}: expected beta * "
                f"scale * 2^26 > 1 (a scale above {2.0**-26 / beta:.3g}), which TFLite's "
                "kernels require; the calibration data gives near-constant logits (an untrained "
                "model, or inputs it does not respond to?)"
            )


def _difference(y: np.ndarray, reference_out: np.ndarray) -> dict[str, float]:
    d = np.abs(y.astype(np.float64) - reference_out)
    return {"max_abs_diff_vs_keras": float(d.max()), "mean_abs_diff_vs_keras": float(d.mean())}


def export_model(
    model_path: str | os.PathLike[str],
    calibration_data: str | os.PathLike[str] | None,
    out_dir: str | os.PathLike[str] | None = None,
    log: Callable[[str], None] = print,
    resize: bool = False,
) -> dict[str, Any]:
    """Export a Keras model file with its calibration inputs into out_dir (default: a folder
    <stem>_export beside the model); return the manifest as written."""
    from tinyflash.export import keras_model
    from tinyflash.export import onnx as onnx_export
    from tinyflash.export import tflite as tflite_export
    from tinyflash.export.pipeline import ARTIFACTS, MANIFEST, SEMANTICS_GROUPS
    from tinyflash.runtime.quantize import dequantize, quantize

    model_path = Path(model_path)
    model = keras_model.load(model_path)  # UserError naming the layer if not supported
    shape = keras_model.input_shape(model)
    x, notes = load_calibration(calibration_data, shape, resize)
    log("calibration: " + "; ".join(notes))
    out = (
        Path(out_dir) if out_dir is not None else model_path.with_name(f"{model_path.stem}_export")
    )
    atomic.ensure_writable_dir(out)
    blobs = {
        "tflite_float": tflite_export.convert_float32(model),
        "tflite_int8": tflite_export.convert_int8(model, x),
        "onnx_float": onnx_export.convert_float32(model),
    }
    check_softmax_scales(blobs["tflite_int8"])  # before TFLM and litert run it
    blobs["onnx_int8"] = onnx_export.convert_int8(blobs["tflite_int8"])
    log(f"converted {len(blobs)} artifacts (calibrated on {len(x)} inputs)")
    describe = {"tflite": mf.tflite_description, "onnx": mf.onnx_description}
    records = {k: mf.artifact_record(ARTIFACTS[k], b, describe[k.split("_")[0]](b))
               for k, b in blobs.items()}  # fmt: skip
    in_q, out_q = (records["tflite_int8"][w]["quantization"] for w in ("input", "output"))
    qin = (in_q["scale"][0], in_q["zero_point"][0])
    qout = (out_q["scale"][0], out_q["zero_point"][0])
    x_eval = x[:EVAL_ROWS]
    keras_out = np.asarray(model.predict(x_eval, batch_size=256, verbose=0), dtype=np.float64)
    runs: dict[str, list[tuple[str, Callable[[bytes, np.ndarray], np.ndarray]]]] = {
        "tflite": [("litert_reference", lambda b, v: reference.run_litert(b, v, "reference")),
                   ("tflm", reference.run_tflm)],
        "onnx": [("onnxruntime", reference.run_onnxruntime)],
    }  # fmt: skip
    for kind, blob in blobs.items():
        int8 = kind.endswith("int8")
        inputs = quantize(x_eval, *qin) if int8 else x_eval
        evaluation = {}
        for name, run in runs[kind.split("_")[0]]:
            y = np.asarray(run(blob, inputs))
            y = dequantize(y, *qout) if int8 else y
            evaluation[name] = _difference(y.reshape(keras_out.shape), keras_out)
            log(f"{ARTIFACTS[kind]:<22} {name:<17} max |y - keras| "
                f"{evaluation[name]['max_abs_diff_vs_keras']:.3g}")  # fmt: skip
        records[kind]["evaluation"] = evaluation
    keras_bytes = model_path.read_bytes()
    classifier = keras_model.is_classifier(model)
    manifest = {
        "schema_version": mf.SCHEMA_VERSION,
        "versions": mf.versions(),
        "config": None,
        "source_model": model_path.name,
        "task": "classifier" if classifier else "regression",
        "export": {
            "calibration": {
                "file": CALIBRATION_FILE,
                "rows": len(x),
                "from": str(calibration_data),
                "sha256": mf.sha256(_npy_bytes(x)),
            },  # fmt: skip
            "onnx_opset": onnx_export.OPSET,
            "input_preprocessing": "; ".join(notes),
            "input_shape": list(shape),
        },
        "data": None,
        "data_path": None,
        "class_names": [],
        "quantization": {
            "input": {"scale": qin[0], "zero_point": qin[1]},
            "output": {"scale": qout[0], "zero_point": qout[1]},
        },  # fmt: skip
        "integer_semantics": SEMANTICS_GROUPS,
        "artifacts": {
            "keras": {
                "file": "model.keras",
                "sha256": mf.sha256(keras_bytes),
                "bytes": len(keras_bytes),
            },  # fmt: skip
            **records,
        },
    }
    (out / MANIFEST).unlink(missing_ok=True)
    if model_path.resolve() != (out / "model.keras").resolve():
        shutil.copyfile(model_path, out / "model.keras")
    atomic.write_bytes(out / CALIBRATION_FILE, _npy_bytes(x))
    for kind, blob in blobs.items():
        atomic.write_bytes(out / ARTIFACTS[kind], blob)
    atomic.write_json(out / MANIFEST, manifest)
    log(f"wrote {len(blobs)} artifacts, {CALIBRATION_FILE} and {MANIFEST} to {out}")
    return manifest


def _npy_bytes(x: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, x, allow_pickle=False)
    return buf.getvalue()
