"""tests/runtime fixtures: real trained models exported to .tflite (int8, per-tensor int8, float).

pytest runs with --import-mode=importlib, so this folder is put on sys.path for runtime_testkit.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from runtime_testkit import to_per_tensor  # noqa: E402


@pytest.fixture(scope="session")
def tflite_models(trained_run, mnist, tmp_path_factory):
    """make(hidden, activation) -> {"int8", "int8_per_tensor", "float32": Path, "x_test": ...}.

    Models come from the lead's trained_run fixture (real MNIST, 1 epoch) and the exporter's
    converters; calibration on the first 200 training images.
    """
    cache: dict = {}

    def make(hidden=(32,), activation="relu"):
        key = (tuple(hidden), activation)
        if key not in cache:
            import keras

            from tinyflash.export.tflite import convert_float32, convert_int8

            run = trained_run(hidden=tuple(hidden), activation=activation)
            model = keras.models.load_model(run / "model.keras", compile=False)
            calib = mnist.x_train[:200].reshape(200, -1).astype(np.float32) / np.float32(255)
            out = tmp_path_factory.mktemp("tfl_" + "-".join(map(str, hidden)) + "_" + activation)
            int8 = convert_int8(model, calib)
            paths = {
                "int8": out / "int8.tflite",
                "int8_per_tensor": out / "int8_pt.tflite",
                "float32": out / "float32.tflite",
                "keras": run / "model.keras",
            }
            paths["int8"].write_bytes(int8)
            paths["int8_per_tensor"].write_bytes(to_per_tensor(int8))
            paths["float32"].write_bytes(convert_float32(model))
            cache[key] = paths
        return cache[key]

    return make


@pytest.fixture(scope="session")
def onnx_models(tflite_models):
    """make(hidden, activation) -> {"float32", "int8": Path} from the exporter's ONNX converters
    (int8: tf2onnx's QDQ translation of the int8 .tflite)."""
    cache: dict = {}

    def make(hidden=(32,), activation="relu"):
        key = (tuple(hidden), activation)
        if key not in cache:
            import keras

            from tinyflash.export.onnx import convert_float32, convert_int8

            paths = tflite_models(hidden, activation)
            model = keras.models.load_model(paths["keras"], compile=False)
            out = paths["int8"].parent
            cache[key] = {"float32": out / "float32.onnx", "int8": out / "int8.onnx"}
            cache[key]["float32"].write_bytes(convert_float32(model))
            cache[key]["int8"].write_bytes(convert_int8(paths["int8"].read_bytes()))
        return cache[key]

    return make


@pytest.fixture(scope="session")
def x_test_pixels(mnist):
    """(10000, 784) float32 test pixels / 255."""
    return mnist.x_test.reshape(len(mnist.x_test), -1).astype(np.float32) / np.float32(255)
