"""`tinyflash codegen MODEL.tflite` straight from a file nobody here trained: a Keras dense
regression model (12 features in, 2 outputs, no softmax) converted by TensorFlow Lite's own
converter, not tinyflash's exporter. The int8 header compiled on the host is bit-exact with
TFLM (rounding tflm) and ai-edge-litert BUILTIN_REF (rounding litert); the float header is
within 1e-5 of ai-edge-litert's float kernels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinyflash.cli import main
from tinyflash.export import reference
from tinyflash.firmware_c import toolchain as tc

# TF's converter warns that no input statistics were given: an int8 input needs none
pytestmark = pytest.mark.filterwarnings("ignore:Statistics for quantized inputs:UserWarning")

REFERENCES = {
    "tflm": reference.run_tflm,
    "litert": lambda model, x: reference.run_litert(model, x, "reference"),
}


@pytest.fixture(scope="module")
def regression_models(tmp_path_factory) -> dict[str, Path]:
    """{"int8", "float32": Path}: Keras 12 -> 16 (relu) -> 2, seeded random weights, converted
    with tf.lite (full-integer int8 with int8 input/output, calibrated on N(0, 1) rows)."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(11)
    model = keras.Sequential(
        [keras.Input((12,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(2)]
    )
    calib = np.random.default_rng(1).normal(0, 1, (200, 12)).astype(np.float32)

    def representative():
        for row in calib:
            yield [row[None]]

    out = tmp_path_factory.mktemp("regression")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    (out / "regression_float32.tflite").write_bytes(converter.convert())
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    (out / "regression-int8.tflite").write_bytes(converter.convert())
    return {"int8": out / "regression-int8.tflite", "float32": out / "regression_float32.tflite"}


def _inputs(n: int = 400) -> np.ndarray:
    """(n, 12) int8: the extremes, then seeded uniform codes."""
    x = np.random.default_rng(2).integers(-128, 128, (n, 12)).astype(np.int8)
    x[0], x[1], x[2] = -128, 127, 0
    return x


def _compile(tmp_path: Path, header_dir: Path, prefix: str, mode: int, driver_flags) -> Path:
    return tc.compile_host(
        [tc.TARGET_DIR / "driver.c"],
        tmp_path / f"driver{mode}",
        flags=(f"-I{tc.TARGET_DIR}", *driver_flags(header_dir, mode, prefix)),
    )


@pytest.mark.parametrize("rounding", ["tflm", "litert"])
def test_int8_header_from_a_file_equals_the_reference(
    rounding, regression_models, tool, tmp_path, driver_flags, run_driver, capsys
):
    tool("gcc")
    model = regression_models["int8"]
    out = tmp_path / "fw"
    assert main(["codegen", str(model), "--out", str(out), "--rounding", rounding]) == 0
    header = out / "regression_int8_model.h"  # the prefix comes from the file's name
    assert f"wrote {header}" in capsys.readouterr().out
    text = header.read_text()
    assert "#define REGRESSION_INT8_INPUT_SIZE 12" in text
    assert "#define REGRESSION_INT8_OUTPUT_SIZE 2" in text
    assert "#define REGRESSION_INT8_OUTPUT_SHAPE {1, 2}" in text
    # A regression model's header does not speak of pixels or classes.
    api = text[: text.index("#endif /* REGRESSION_INT8_MODEL_H */")]
    assert "classify" not in api and "pixel" not in api and "class " not in api
    x = _inputs()
    exe = _compile(tmp_path, out, "regression_int8", 0, driver_flags)
    c = np.frombuffer(run_driver(exe, x.tobytes()), np.int8).reshape(-1, 2)
    real = REFERENCES[rounding](model, x)
    assert len(np.unique(real)) > 20  # the outputs vary: not a saturated model
    np.testing.assert_array_equal(c, real)


def test_float_header_and_default_folder(
    regression_models, tool, tmp_path, driver_flags, run_driver
):
    """A float .tflite gets the float header; without --out it lands beside the model;
    --prefix names it."""
    tool("gcc")
    model = tmp_path / "m.tflite"
    model.write_bytes(regression_models["float32"].read_bytes())
    assert main(["codegen", str(model), "--prefix", "reg"]) == 0
    assert (tmp_path / "reg_model.h").is_file()
    x = np.random.default_rng(3).normal(0, 2, (300, 12)).astype(np.float32)
    flags = ("-I" + str(tmp_path), '-DMODEL_HEADER="reg_model.h"', "-DMODEL_PREFIX=reg",
             "-DMODEL_PREFIX_UPPER=REG", "-DREG_IMPLEMENTATION", "-DDRIVER_MODE=2")  # fmt: skip
    exe = tc.compile_host(
        [tc.TARGET_DIR / "driver.c"], tmp_path / "driver", flags=(f"-I{tc.TARGET_DIR}", *flags)
    )
    c = np.frombuffer(run_driver(exe, x.tobytes()), np.float32).reshape(-1, 2)
    real = reference.run_litert(model, x, "reference")
    np.testing.assert_allclose(c, real, rtol=0, atol=1e-5)  # float sums in another order


def test_codegen_file_errors(regression_models, tmp_path, capsys):
    (tmp_path / "model.onnx").write_bytes(b"not used")
    for argv, words in [
        ([str(tmp_path / "nothing.tflite")], "no such model file"),
        ([str(tmp_path / "model.onnx")], "codegen reads a .tflite file"),
        ([str(regression_models["int8"]), "--prefix", "int"], "--prefix"),
    ]:
        assert main(["codegen", *argv, "--out", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1, err
