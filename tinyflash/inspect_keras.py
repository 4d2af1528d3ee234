"""`tinyflash inspect MODEL.keras`: a Keras model inspected through the .tflite it converts to.

    doc = inspect_keras(Path("my.keras"))    # the inspect document (tinyflash/inspect.py)

Any Keras model TensorFlow Lite's converter takes (not only those `export` accepts) is
converted in memory, twice, nothing written beside it:

  - to a float32 .tflite: the per-layer table (operators, shapes, parameters, MACs) is that
    file's, so its operators are TFLite's (a Dense is FULLY_CONNECTED, a folded batch norm is
    in its convolution). The int8 bytes are counted by rule, as a full-integer model stores
    them: 1 B per weight, 4 B per int32 bias;
  - to a full-integer int8 .tflite calibrated on RANDOM_ROWS uniform [0, 1) random inputs,
    used only for sizes: the arena the int8 C would need, the flash per core, what the int8
    runtime and C do not support. Its scales mean nothing (random data): export the model
    with --calibration-data for a model that computes anything.

Keras's own parameter count is kept beside the table's ("keras_params"), with the reason when
they differ (the converter drops all-zero biases and folds batch norms).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from tinyflash.errors import UserError

__all__ = ["RANDOM_ROWS", "SEED", "inspect_keras"]

RANDOM_ROWS = 8
SEED = 0


def _load(path: Path) -> Any:
    import keras

    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - any failure to read is the file's fault
        raise UserError(
            f"{path}: not a readable Keras model: {type(exc).__name__}: {exc}"
        ) from None


def _convert(model: Any, calibration: np.ndarray | None) -> bytes:
    """Keras -> .tflite bytes: float32, or full-integer int8 (int8 input and output)."""
    import tensorflow as tf

    from tinyflash.export.keras_model import static_flatten

    try:  # Flatten / Reshape as one RESHAPE, as `export` writes them (not SHAPE, PACK, ...)
        model = static_flatten(model)
    except Exception:  # noqa: BLE001 - a layer that cannot be cloned: convert it as it is
        pass
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if calibration is not None:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([row[None]] for row in calibration)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    # Keras prints the exported signature ("Captures: ..."); TF warns "Statistics for
    # quantized inputs were expected" (an int8 input needs none)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore", UserWarning)
        return bytes(conv.convert())


def inspect_keras(path: Path, flash: bool = False) -> dict[str, Any]:
    """The inspect document of a .keras file (module doc); "keras" says what was converted."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tinyflash.inspect import inspect_model
    from tinyflash.inspect_flash import flash_per_core

    data = path.read_bytes()
    model = _load(path)
    if len(model.inputs) != 1:
        raise UserError(f"{path}: {len(model.inputs)} inputs; supported: one input")
    shape = tuple(model.inputs[0].shape[1:])
    if not all(isinstance(d, int) for d in shape):
        raise UserError(f"{path}: input shape {shape}; supported: fixed sizes (but the batch)")
    try:
        float_bytes = _convert(model, None)
    except Exception as exc:  # noqa: BLE001 - the converter's reason, in one line
        raise UserError(f"{path}: the TFLite converter refused it: {exc}") from None
    random_rows = np.random.default_rng(SEED).uniform(0, 1, (RANDOM_ROWS, *shape))
    int8_note = (f"int8 sizes from a copy calibrated on {RANDOM_ROWS} random uniform [0, 1) "
                 "inputs (sizes only: its scales mean nothing)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="tinyflash-inspect-") as tmp:
        float_path = Path(tmp) / f"{path.stem}_float32.tflite"
        float_path.write_bytes(float_bytes)
        doc = inspect_model(float_path, flash=False)
        try:
            int8_path = Path(tmp) / f"{path.stem}_int8.tflite"
            int8_path.write_bytes(_convert(model, random_rows.astype(np.float32)))
            int8 = inspect_model(int8_path, flash=False)
        except Exception as exc:  # noqa: BLE001 - the float table stands; say why
            int8, int8_note = None, f"no int8 copy: the converter refused it: {exc}"
        if int8 is not None:
            doc["arena"], doc["unsupported"] = int8["arena"], int8["unsupported"]
        if flash:
            target = int8_path if int8 is not None else float_path
            kept = doc["total"]["int8_bytes" if int8 is not None else "stored_bytes"]
            doc["flash"] = flash_per_core(target, kept)
    doc.update(file=str(path), format="keras", bytes=len(data))
    doc["sha256"] = hashlib.sha256(data).hexdigest()
    doc["keras"] = {
        "converted": "in memory with TensorFlow Lite's converter: the table from the float32 "
        ".tflite (TFLite operators); int8 B by rule: 1 B per weight, 4 B per int32 bias",
        "int8": int8_note,
        "float32_tflite_bytes": len(float_bytes),
        "keras_params": int(model.count_params()),
    }
    if doc["keras"]["keras_params"] != doc["total"]["params"]:
        doc["keras"]["params_note"] = (
            f"Keras counts {doc['keras']['keras_params']:,} parameters, the .tflite holds "
            f"{doc['total']['params']:,}: the converter drops all-zero biases (an untrained "
            "model's) and folds batch norms into the convolution before them"
        )
    return doc
