"""`export_run`: model.keras -> four artifacts, each evaluated in its real runtime, + manifest.

    run_dir/model.keras (+ config.toml)
      -> model_float32.tflite  model_int8.tflite  model_float32.onnx  model_int8.onnx
      -> manifest.json (last)

Everything is converted and evaluated in memory first; files are written only once all of it
succeeded (a stale manifest.json is removed before the artifacts are replaced, and written
again last), each through tinyflash.atomic. A manifest therefore always describes the files
beside it.

Evaluation: the full test set (10,000 MNIST images), x = pixels / 255 as float32 in the model's
input shape, (N, 784) for a dense model, (N, H, W, C) for a CNN; int8 artifacts get x quantized
with the int8 input tensor's scale/zero point (TFLite rounding).
Executors per artifact:
    tflite_float, tflite_int8: litert_reference (BUILTIN_REF), litert_default, tflm
    onnx_float, onnx_int8:     onnxruntime (graph optimizations on)
The int8 TFLite outputs fall in two integer semantics groups, recorded in the manifest:
"tflm" (tflm) and "litert" (litert_reference); see tinyflash.export.reference.
"""

from __future__ import annotations

import os
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tinyflash import atomic
from tinyflash.errors import UserError
from tinyflash.export import manifest as mf
from tinyflash.export import reference

__all__ = ["ARTIFACTS", "CALIBRATION_SEED", "calibration_images", "export_run"]

# kind -> file name; kinds are the names tinyflash.verify looks artifacts up by.
ARTIFACTS: dict[str, str] = {
    "tflite_float": "model_float32.tflite",
    "tflite_int8": "model_int8.tflite",
    "onnx_float": "model_float32.onnx",
    "onnx_int8": "model_int8.onnx",
}
CALIBRATION_SEED = 0
MANIFEST = "manifest.json"

SEMANTICS_GROUPS = {
    "tflm": {
        "executors": ["tflm"],
        "rounding": "gemmlowp double rounding: SaturatingRoundingDoublingHighMul, then "
        "RoundingDivideByPOT (what runs on a microcontroller)",
    },
    "litert": {
        "executors": ["litert_reference"],
        "rounding": "single rounding: one 64-bit multiply, add half, shift "
        "(ai-edge-litert BUILTIN_REF kernels)",
    },
}


def calibration_images(x_train: np.ndarray, n: int) -> np.ndarray:
    """n training images, chosen by a fixed-seed permutation: (n, ...) same dtype as x_train."""
    if not 1 <= n <= len(x_train):
        raise UserError(f"--calibration: expected 1..{len(x_train)} images, found {n}")
    order = np.random.default_rng(CALIBRATION_SEED).permutation(len(x_train))[:n]
    return x_train[order]


def _timed(timings: dict[str, float], key: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = fn()
    timings[key] = round(time.perf_counter() - start, 3)
    return result


def _accuracy(outputs: np.ndarray, labels: np.ndarray) -> float:
    return round(float(np.mean(outputs.argmax(axis=1) == labels)), 6)


def _int8_parity(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """How two (N, classes) int8 outputs differ: rows equal, elements, LSBs, argmax."""
    diff = np.abs(a.astype(np.int32) - b.astype(np.int32))
    return {
        "rows": int(len(a)),
        "rows_exact_match": round(float(np.mean(~diff.any(axis=1))), 6),
        "rows_differing": int(diff.any(axis=1).sum()),
        "elements_differing": int((diff > 0).sum()),
        "max_abs_diff_lsb": int(diff.max(initial=0)),
        "argmax_differing": int(np.sum(a.argmax(axis=1) != b.argmax(axis=1))),
    }


def _preprocessing(images: np.ndarray, shape: tuple[int, ...]) -> str:
    """How the test images became the model input, in words (recorded in the manifest)."""
    scaled = "float32 pixels / 255" if images.dtype == np.uint8 else "float32 images as given"
    if len(shape) == 1:
        return f"{scaled}, flattened to (N, {shape[0]})"
    return f"{scaled}, shaped (N, {', '.join(map(str, shape))})"


def _read_config(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / "config.toml"
    if not path.is_file():
        return None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{path}: not a valid TOML file: {exc}") from None


def export_run(
    run_dir: str | os.PathLike[str],
    calibration: int = 1000,
    log: Callable[[str], None] = print,
    *,
    data: Any = None,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Export run_dir/model.keras to every artifact, evaluate each, write the manifest.

    data: a tinyflash.train.data.Dataset, or a data path for load_mnist (recorded in the
    manifest as data_path), or None for load_mnist()'s default sources. timings: if given, filled
    with seconds per conversion ("convert/<kind>") and per evaluation ("eval/<kind>/<executor>").
    Returns the manifest as written.
    """
    from tinyflash.atomic import ensure_writable_dir
    from tinyflash.export import keras_model
    from tinyflash.export import onnx as onnx_export
    from tinyflash.export import tflite as tflite_export
    from tinyflash.runtime.quantize import quantize
    from tinyflash.train.model import preprocess

    run_dir = Path(run_dir)
    timings = {} if timings is None else timings
    keras_path = run_dir / "model.keras"
    model = keras_model.load(keras_path)  # UserError before anything is written
    ensure_writable_dir(run_dir)  # an unwritable folder fails now, not after the slow work
    config = _read_config(run_dir)
    data_path = None
    if data is None or isinstance(data, str | os.PathLike):
        from tinyflash.train.data import load_mnist

        data_path = None if data is None else str(data)
        data = load_mnist(data_path)
    shape = keras_model.input_shape(model)  # (784,) or (H, W, C)
    x_test, labels = preprocess(data.x_test, shape), np.asarray(data.y_test)  # (N, *shape)
    x_cal = preprocess(calibration_images(data.x_train, calibration), shape)

    blobs: dict[str, bytes] = {}
    blobs["tflite_float"] = _timed(
        timings, "convert/tflite_float", lambda: tflite_export.convert_float32(model)
    )
    blobs["tflite_int8"] = _timed(
        timings, "convert/tflite_int8", lambda: tflite_export.convert_int8(model, x_cal)
    )
    blobs["onnx_float"] = _timed(
        timings, "convert/onnx_float", lambda: onnx_export.convert_float32(model)
    )
    blobs["onnx_int8"] = _timed(
        timings, "convert/onnx_int8", lambda: onnx_export.convert_int8(blobs["tflite_int8"])
    )
    log(f"converted {len(blobs)} artifacts in {sum(timings.values()):.1f} s")

    records = {
        kind: mf.artifact_record(
            ARTIFACTS[kind],
            blob,
            (mf.tflite_description if kind.startswith("tflite") else mf.onnx_description)(blob),
        )
        for kind, blob in blobs.items()
    }
    in_q = records["tflite_int8"]["input"]["quantization"]
    out_q = records["tflite_int8"]["output"]["quantization"]
    x_q = quantize(x_test, in_q["scale"][0], in_q["zero_point"][0], "int8")  # (N, *shape) int8

    keras_out = _timed(
        timings, "eval/keras", lambda: model.predict(x_test, batch_size=1000, verbose=0)
    )
    keras_acc = _accuracy(keras_out, labels)
    executors: dict[str, list[tuple[str, Callable[[bytes, np.ndarray], np.ndarray]]]] = {
        "tflite": [
            ("litert_reference", lambda b, x: reference.run_litert(b, x, "reference")),
            ("litert_default", lambda b, x: reference.run_litert(b, x, "default")),
            ("tflm", reference.run_tflm),
        ],
        "onnx": [("onnxruntime", reference.run_onnxruntime)],
    }
    outputs: dict[str, dict[str, np.ndarray]] = {}
    for kind, blob in blobs.items():
        x = x_q if kind.endswith("int8") else x_test
        outputs[kind] = {}
        evaluation = {}
        for name, run in executors[kind.split("_")[0]]:
            y = _timed(timings, f"eval/{kind}/{name}", lambda: run(blob, x))  # noqa: B023
            outputs[kind][name] = y
            acc = _accuracy(y, labels)
            evaluation[name] = {
                "accuracy": acc,
                "accuracy_drop_pp": round(100 * (keras_acc - acc), 4),
                "semantics": reference.SEMANTICS.get(name) if kind == "tflite_int8" else None,
            }
            log(f"{ARTIFACTS[kind]:<22} {name:<17} accuracy {acc:.4f} "
                f"({timings[f'eval/{kind}/{name}']:.2f} s)")  # fmt: skip
        records[kind]["evaluation"] = evaluation

    i8 = outputs["tflite_int8"]
    parity = {
        "tflite_int8/tflm vs tflite_int8/litert_reference": _int8_parity(
            i8["tflm"], i8["litert_reference"]
        ),
        "onnx_int8/onnxruntime vs tflite_int8/litert_reference": _int8_parity(
            outputs["onnx_int8"]["onnxruntime"], i8["litert_reference"]
        ),
        "onnx_int8/onnxruntime vs tflite_int8/tflm": _int8_parity(
            outputs["onnx_int8"]["onnxruntime"], i8["tflm"]
        ),
        "float max abs diff vs keras": {
            f"{kind}/{name}": float(np.abs(y - keras_out).max())
            for kind in ("tflite_float", "onnx_float")
            for name, y in outputs[kind].items()
        },
    }

    keras_bytes = keras_path.read_bytes()
    manifest = {
        "schema_version": mf.SCHEMA_VERSION,
        "versions": mf.versions(),
        "config": config,
        "export": {
            "calibration": {"images": calibration, "seed": CALIBRATION_SEED, "from": "x_train"},
            "onnx_opset": onnx_export.OPSET,
            "input_preprocessing": _preprocessing(data.x_test, shape),
            "input_shape": list(shape),
        },
        "data": {"source": data.source, "test_images": int(len(labels))},
        "data_path": data_path,
        "class_names": list(data.class_names),
        "quantization": {  # the int8 model's input and output tensors (both int8 artifacts)
            "input": {"scale": in_q["scale"][0], "zero_point": in_q["zero_point"][0]},
            "output": {"scale": out_q["scale"][0], "zero_point": out_q["zero_point"][0]},
        },
        "integer_semantics": SEMANTICS_GROUPS,
        "artifacts": {
            "keras": {
                "file": keras_path.name,
                "sha256": mf.sha256(keras_bytes),
                "bytes": len(keras_bytes),
                "evaluation": {"keras": {"accuracy": keras_acc, "accuracy_drop_pp": 0.0}},
            },
            **records,
        },
        "parity": parity,
    }

    # Commit: stale manifest out, artifacts in, manifest last.
    (run_dir / MANIFEST).unlink(missing_ok=True)
    for kind, blob in blobs.items():
        atomic.write_bytes(run_dir / ARTIFACTS[kind], blob)
    atomic.write_json(run_dir / MANIFEST, manifest)
    log(f"wrote {len(blobs)} artifacts and {MANIFEST} to {run_dir}")
    return manifest
