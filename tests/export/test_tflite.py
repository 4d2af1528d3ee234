"""TFLite conversion: byte-reproducible, and only the supported operators."""

from __future__ import annotations

import hashlib

import keras
import numpy as np
import pytest

from tinyflash.errors import UserError
from tinyflash.export import onnx as onnx_export
from tinyflash.export import tflite as tflite_export
from tinyflash.export.pipeline import calibration_images
from tinyflash.train.model import preprocess


@pytest.fixture(scope="module")
def model_and_calibration(exported, mnist):
    run_dir = exported()
    model = keras.models.load_model(run_dir / "model.keras", compile=False)
    return run_dir, model, preprocess(calibration_images(mnist.x_train, 500))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_same_model_same_bytes(model_and_calibration):
    """Converting twice (and once more inside export_run, earlier) gives identical files."""
    run_dir, model, cal = model_and_calibration
    again = keras.models.load_model(run_dir / "model.keras", compile=False)  # a fresh copy
    f32 = tflite_export.convert_float32(again)
    i8 = tflite_export.convert_int8(again, cal)
    assert _sha(f32) == _sha(tflite_export.convert_float32(model))
    assert _sha(i8) == _sha(tflite_export.convert_int8(model, cal))
    assert _sha(onnx_export.convert_float32(again)) == _sha(onnx_export.convert_float32(model))
    assert _sha(onnx_export.convert_int8(i8)) == _sha(onnx_export.convert_int8(i8))
    for name, data in [
        ("model_float32.tflite", f32),
        ("model_int8.tflite", i8),
        ("model_float32.onnx", onnx_export.convert_float32(again)),
        ("model_int8.onnx", onnx_export.convert_int8(i8)),
    ]:
        assert _sha((run_dir / name).read_bytes()) == _sha(data), name


def test_calibration_is_reproducible_and_sized(mnist):
    a = calibration_images(mnist.x_train, 100)
    assert a.shape == (100, 28, 28) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, calibration_images(mnist.x_train, 100))
    assert not np.array_equal(a, mnist.x_train[:100])  # a permutation, not the first images
    with pytest.raises(UserError, match="expected 1..60000"):
        calibration_images(mnist.x_train, 0)


def test_bad_calibration_shape(model_and_calibration):
    _, model, _ = model_and_calibration
    with pytest.raises(UserError, match=r"expected \(N >= 1, 784\)"):
        tflite_export.convert_int8(model, np.zeros((4, 28, 28), np.float32))
