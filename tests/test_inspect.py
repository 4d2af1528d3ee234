"""`tinyflash inspect MODEL` on models nobody here trained, converted by TensorFlow Lite's own
converter (and tf2onnx): MACs per layer against an independent count from the Keras layers'
shapes, parameters against Keras, the arena against the generated header, unsupported
operators named, --json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from tests_support import require_tool

from tinyflash.cli import main
from tinyflash.inspect import inspect_model

# TF's converter warns that no input statistics were given (an int8 input needs none), and
# tf2onnx's TFLite reader uses the deprecated tf.lite.Interpreter
pytestmark = [
    pytest.mark.filterwarnings("ignore:Statistics for quantized inputs:UserWarning"),
    pytest.mark.filterwarnings("ignore:.*tf.lite.Interpreter is deprecated:UserWarning"),
]


def _convert(model, out: Path, name: str, calib: np.ndarray | None) -> Path:
    """A Keras model -> .tflite with tf.lite: float32, or full-integer int8 (int8 in and out)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if calib is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([row[None]] for row in calib)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    (out / name).write_bytes(converter.convert())
    return out / name


def _keras_macs(layer) -> int:
    """Multiply-accumulates of one Keras layer from its own kernel and output shapes."""
    import keras

    out = [int(d) for d in layer.output.shape[1:]]
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kh, kw, channels, multiplier = layer.kernel.shape
        return out[0] * out[1] * channels * multiplier * kh * kw
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw, channels, filters = layer.kernel.shape
        return out[0] * out[1] * filters * kh * kw * channels
    if isinstance(layer, keras.layers.Dense):
        n_in, units = layer.kernel.shape
        return n_in * units
    return 0


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict:
    """Seeded, untrained Keras models converted to files, and the Keras CNN itself."""
    import keras
    import tf2onnx

    out = tmp_path_factory.mktemp("inspect")
    keras.utils.set_random_seed(5)
    cnn = keras.Sequential([
        keras.Input((16, 16, 3)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, bias_initializer="ones"),
        keras.layers.Softmax(),
    ])  # fmt: skip
    images = np.random.default_rng(0).uniform(0, 1, (50, 16, 16, 3)).astype(np.float32)
    dense = keras.Sequential(
        [keras.Input((12,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(2)]
    )
    rows = np.random.default_rng(1).normal(0, 1, (100, 12)).astype(np.float32)
    exp = keras.Sequential(
        [keras.Input((12,)), keras.layers.Dense(16), keras.layers.Activation("exponential")]
    )
    # a dilated convolution with a free batch: SPACE_TO_BATCH_ND -> CONV_2D -> BATCH_TO_SPACE_ND
    L = keras.layers
    dilated = keras.Sequential([keras.Input((12, 12, 1)), L.Conv2D(2, 3, dilation_rate=2),
                                L.Flatten(), L.Dense(3)])  # fmt: skip
    paths = {
        "dilated_int8": _convert(dilated, out, "dilated_int8.tflite", images[:20, :12, :12, :1]),
        "cnn_int8": _convert(cnn, out, "cnn_int8.tflite", images),
        "cnn_float": _convert(cnn, out, "cnn_float.tflite", None),
        "dense_int8": _convert(dense, out, "dense_int8.tflite", rows),
        "exp": _convert(exp, out, "exp.tflite", None),
    }
    proto, _ = tf2onnx.convert.from_tflite(str(paths["cnn_float"]), opset=13)
    paths["cnn_onnx"] = out / "cnn.onnx"
    paths["cnn_onnx"].write_bytes(proto.SerializeToString())
    return {"paths": paths, "cnn": cnn}


@pytest.mark.parametrize("which", ["cnn_int8", "cnn_float", "cnn_onnx"])
def test_macs_per_layer_match_the_keras_layers(models, which):
    doc = inspect_model(models["paths"][which])
    want = [m for m in map(_keras_macs, models["cnn"].layers) if m]
    assert len(want) == 3  # conv, depthwise, dense
    found = [r["macs"] for r in doc["layers"] if r["macs"]]
    assert found == want, [(r["op"], r["macs"]) for r in doc["layers"]]
    assert doc["total"]["macs"] == sum(want)


def test_params_and_int8_bytes_match_keras(models):
    """Conv and depthwise weights and biases as Keras counts them; in an int8 file the int8
    bytes are the stored bytes (weights 1 B, int32 biases 4 B)."""
    doc = inspect_model(models["paths"]["cnn_int8"])
    conv = [r for r in doc["layers"] if r["op"] in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    layers = [x for x in models["cnn"].layers if _keras_macs(x)][:2]
    assert [r["params"] for r in conv] == [x.count_params() for x in layers]
    assert [r["int8_bytes"] for r in conv] == [
        int(np.prod(x.kernel.shape)) + 4 * int(np.prod(x.bias.shape)) for x in layers
    ]
    assert doc["total"]["int8_bytes"] == doc["total"]["stored_bytes"]
    f32 = inspect_model(models["paths"]["cnn_float"])
    assert f32["total"]["int8_bytes"] == doc["total"]["int8_bytes"]
    assert f32["total"]["stored_bytes"] == 4 * f32["total"]["params"]


def test_arena_is_the_generated_headers(models, tmp_path, capsys):
    path = models["paths"]["dense_int8"]
    doc = inspect_model(path)
    assert doc["unsupported"] == [] and doc["total"]["macs"] == 12 * 16 + 16 * 2
    assert main(["codegen", str(path), "--out", str(tmp_path), "--prefix", "net"]) == 0
    capsys.readouterr()
    header = (tmp_path / "net_model.h").read_text()
    arena = int(re.search(r"#define NET_ARENA_SIZE (\d+)", header).group(1))
    assert doc["arena"]["bytes"] == arena and "plan.py" in doc["arena"]["by"]
    assert main(["inspect", str(path)]) == 0
    text = capsys.readouterr().out
    assert f"arena of the generated C: {arena:,} B" in text
    assert "supported: every operator runs in the Python interpreter and in the C" in text


def test_unsupported_operators_are_named_in_words(models, capsys):
    from tinyflash.firmware_c.plan import SUPPORTED

    doc = inspect_model(models["paths"]["dilated_int8"])
    c = [u["op"] for u in doc["unsupported"] if u["stage"] == "c"]
    assert c == ["SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"]  # the RESHAPE's SHAPE chain is dropped
    assert all(u["supported"] == list(SUPPORTED) for u in doc["unsupported"])
    assert doc["arena"]["bytes"] is None and "SPACE_TO_BATCH_ND" in doc["arena"]["reason"]
    doc = inspect_model(models["paths"]["exp"])  # the runtime's reader refuses EXP
    assert [(u["op"], u["stage"]) for u in doc["unsupported"]] == [("EXP", "runtime")]
    assert [r["op"] for r in doc["layers"]] == ["FULLY_CONNECTED", "EXP"]
    assert doc["total"]["macs"] == 12 * 16
    assert main(["inspect", str(models["paths"]["exp"])]) == 0
    text = capsys.readouterr().out
    assert "not supported by the Python interpreter: EXP (operator 1)" in text
    assert "; supported: ADD, " in text


def test_json_and_errors(models, tmp_path, capsys):
    path = models["paths"]["cnn_onnx"]
    assert main(["inspect", str(path), "--json"]) == 0
    doc = inspect_model(path, flash=True)
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(doc))
    (tmp_path / "m.txt").write_text("x")
    cases = [
        (tmp_path / "none.tflite", "no such model file"),
        (tmp_path / "m.txt", "supported model files are .tflite, .onnx and .keras"),
    ]
    for arg, words in cases:
        assert main(["inspect", str(arg)]) == 2
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1, err


def test_a_keras_file_is_inspected_through_its_tflite(models, tmp_path, capsys):
    """The Keras CNN itself: MACs against its own layers, Keras's parameter count kept, the
    int8 arena and unsupported list from the int8 copy (random calibration, said so)."""
    path = tmp_path / "cnn.keras"
    models["cnn"].save(path)
    doc = inspect_model(path)
    want = [m for m in map(_keras_macs, models["cnn"].layers) if m]
    assert [r["macs"] for r in doc["layers"] if r["macs"]] == want
    assert doc["format"] == "keras" and doc["file"] == str(path) and "flash" not in doc
    assert doc["keras"]["keras_params"] == models["cnn"].count_params()
    assert "random" in doc["keras"]["int8"] and "scales mean nothing" in doc["keras"]["int8"]
    int8 = inspect_model(models["paths"]["cnn_int8"])
    assert doc["unsupported"] == int8["unsupported"]  # the same int8 operators and C support
    assert main(["inspect", str(path), "--no-flash"]) == 0
    text = capsys.readouterr().out
    assert "converted in memory with TensorFlow Lite's converter" in text
    assert "Captures:" not in text  # Keras's export printout is kept out of the table


def test_flash_per_core_is_measured_with_the_arm_toolchain(models, capsys):
    """The constants the linker placed hold at least the weights and biases inspect counts
    (the rest: the C's parameter structs and multipliers)."""
    require_tool("arm-none-eabi-gcc")
    from tinyflash.firmware_c.footprint import CORES

    doc = inspect_model(models["paths"]["dense_int8"], flash=True)
    flash = doc["flash"]
    assert flash["measured"] and [r["core"] for r in flash["cores"]] == list(CORES)
    for r in flash["cores"]:
        assert doc["total"]["int8_bytes"] <= r["constants"] < r["flash_total"]
        assert r["arena_bss"] == doc["arena"]["bytes"]
    assert main(["inspect", str(models["paths"]["dense_int8"])]) == 0
    assert "flash of the generated C, measured at -Os" in capsys.readouterr().out
    exp = inspect_model(models["paths"]["exp"], flash=True)["flash"]  # EXP: no C kernel
    assert not exp["measured"] and "EXP" in exp["reason"], exp
    assert exp["reason"].startswith("the C generator ") and exp["constants_at_least"] > 0


def test_flash_is_estimated_without_the_toolchain_or_the_generator(models, monkeypatch):
    monkeypatch.setenv("PATH", "")
    doc = inspect_model(models["paths"]["dense_int8"], flash=True)
    total = doc["total"]["int8_bytes"]
    assert doc["flash"] == {
        "measured": False,
        "reason": "arm-none-eabi-gcc not found (measured with it)",
        "constants_at_least": total,
        "estimate": f"estimated: at least {total:,} B of constants; the code is not estimated "
        "without a measurement",
    }
