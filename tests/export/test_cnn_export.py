"""A tiny CNN, trained for real, exported to all four formats and run in each real runtime.

The model has every layer type the exporter takes (convolution with a folded batch norm,
depthwise with depth multiplier 2 and ReLU6, stride 2 with SAME padding on an odd size, a
residual add with a 1x1 projection, separable convolution, max / average pooling with an
overhanging window, Flatten, Dense). It is trained one epoch on 600 images and evaluated on the
first 500 test images, so the module takes seconds, not minutes. Global average pooling (MEAN)
is checked on a second, untrained model.
"""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest

from tinyflash.export import reference
from tinyflash.export.pipeline import ARTIFACTS, export_run
from tinyflash.runtime.quantize import quantize
from tinyflash.train import config as cfg
from tinyflash.train.model import preprocess

LAYERS = [
    {"type": "conv2d", "filters": 8, "padding": "valid", "use_bias": False},  # 26x26x8
    {"type": "batch_norm", "momentum": 0.9},  # moving statistics settle within the 38 steps
    {"type": "relu"},
    {"type": "max_pool2d", "name": "pooled"},  # 13x13x8
    {"type": "depthwise_conv2d", "strides": 2, "depth_multiplier": 2, "activation": "relu6"},
    {"type": "conv2d", "filters": 12, "kernel": 1, "activation": "relu"},  # 7x7x12
    {"type": "add", "from": "pooled", "project": True},
    {"type": "relu"},
    {"type": "separable_conv2d", "filters": 16, "activation": "relu"},
    {"type": "average_pool2d", "pool": 3, "strides": 2, "padding": "same"},  # 4x4x16
    {"type": "flatten"},  # (a global average pool learns too slowly for a one-epoch fit)
]
FLOAT_TOLERANCE = 1e-5  # probabilities; float32 kernels differ in summation order only
LSB_BOUND = 24  # int8 outputs of two executors (see test_int8_artifacts_agree_with_each_other)


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory, mnist):
    """(run folder exported on 500 test images, the manifest, the Keras model, the data)."""
    import keras

    from tinyflash.train.fit import train

    config = cfg.resolve(cfg.TrainConfig(preset="test-cnn"), dict(
        layers=LAYERS, hidden=[], epochs=1, train_limit=600, batch_size=16,
        learning_rate=1e-2, early_stopping=False, validation_split=0.0, seed=5))  # fmt: skip
    data = dataclasses.replace(mnist, x_test=mnist.x_test[:500], y_test=mnist.y_test[:500])
    run_dir = tmp_path_factory.mktemp("cnn_export")
    train(config, data, run_dir, log=lambda s: None, verbose=0, plots=False)
    manifest = export_run(run_dir, calibration=100, log=lambda s: None, data=data)
    model = keras.models.load_model(run_dir / "model.keras", compile=False)
    return run_dir, manifest, model, data


def _x(data, model):
    return preprocess(data.x_test, tuple(model.inputs[0].shape[1:]))  # (500, 28, 28, 1)


def test_every_artifact_is_written_and_evaluated(cnn_run):
    run_dir, manifest, model, data = cnn_run
    assert manifest == json.loads((run_dir / "manifest.json").read_text())
    assert manifest["export"]["input_shape"] == [28, 28, 1]
    assert manifest["export"]["input_preprocessing"] == (
        "float32 pixels / 255, shaped (N, 28, 28, 1)"
    )
    for kind, file in ARTIFACTS.items():
        record = manifest["artifacts"][kind]
        assert (run_dir / file).is_file() and record["input"]["shape"] == [-1, 28, 28, 1]
        assert set(record["evaluation"]) == (
            {"onnxruntime"} if kind.startswith("onnx") else
            {"litert_reference", "litert_default", "tflm"}
        )  # fmt: skip
    ops = manifest["artifacts"]["tflite_int8"]["operators"]
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D", "ADD", "RESHAPE"):
        assert op in ops
    assert "MUL" not in ops  # the batch norm is folded into the convolution
    keras_acc = manifest["artifacts"]["keras"]["evaluation"]["keras"]["accuracy"]
    assert keras_acc > 0.4  # a real, if short, fit (measured 0.65): chance is 0.1


def test_float_artifacts_match_keras(cnn_run):
    run_dir, _, model, data = cnn_run
    x = _x(data, model)
    want = model.predict(x, verbose=0)
    tflite = run_dir / "model_float32.tflite"
    for got in (
        reference.run_litert(tflite, x, "reference"),
        reference.run_tflm(tflite, x),
        reference.run_onnxruntime(run_dir / "model_float32.onnx", x),
    ):
        assert got.shape == (500, 10) and got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=0, atol=FLOAT_TOLERANCE)


def _int8_input(run_dir, model, data):
    from ai_edge_litert import interpreter as litert

    it = litert.Interpreter(model_path=str(run_dir / "model_int8.tflite"))
    scale, zero_point = it.get_input_details()[0]["quantization"]
    return quantize(_x(data, model), scale, zero_point, "int8")


def test_int8_artifacts_agree_with_each_other(cnn_run):
    run_dir, manifest, model, data = cnn_run
    xq = _int8_input(run_dir, model, data)
    tflite = run_dir / "model_int8.tflite"
    ref = reference.run_litert(tflite, xq, "reference")
    tflm = reference.run_tflm(tflite, xq)
    onnx = reference.run_onnxruntime(run_dir / "model_int8.onnx", xq)
    assert ref.dtype == tflm.dtype == onnx.dtype == np.int8 and ref.shape == (500, 10)
    evaluation = manifest["artifacts"]["tflite_int8"]["evaluation"]
    for name, y in (("litert_reference", ref), ("tflm", tflm)):
        assert evaluation[name]["accuracy"] == round(float(np.mean(y.argmax(1) == data.y_test)), 6)
    # The two integer semantics differ only in rounding; ONNX QDQ requantizes in float (half
    # to even). A 1 LSB logit difference can grow in the softmax: measured 1 LSB here, 13 and
    # 19 on two trainings of the cnn preset (10,000 test images); the bound covers both.
    assert np.abs(tflm.astype(np.int32) - ref).max() <= LSB_BOUND
    assert np.abs(onnx.astype(np.int32) - ref).max() <= LSB_BOUND
    assert np.mean(onnx.argmax(1) == ref.argmax(1)) >= 0.95


def test_int8_weights_are_per_channel(cnn_run):
    from ai_edge_litert import interpreter as litert

    run_dir = cnn_run[0]
    it = litert.Interpreter(model_path=str(run_dir / "model_int8.tflite"))
    convs = 0
    for t in it.get_tensor_details():
        q = t["quantization_parameters"]
        if t["dtype"] == np.int8 and len(t["shape"]) == 4 and len(q["scales"]) > 1:
            axis = q["quantized_dimension"]  # CONV_2D: 0 (out channels); DEPTHWISE: 3
            assert len(q["scales"]) == t["shape"][axis] and not q["zero_points"].any()
            convs += 1
    assert convs >= 5  # conv, depthwise, 1x1, projection, separable's depthwise and 1x1


def _constant_bytes(data: bytes) -> int:
    """Bytes of every constant tensor an operator reads in subgraph 0 of a .tflite."""
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    graph = model.subgraphs[0]
    used = {i for op in graph.operators for i in op.inputs if i >= 0}
    buffers = [model.buffers[graph.tensors[i].buffer] for i in used]
    return sum(len(b.data) if b.data is not None else 0 for b in buffers)


def test_summary_int8_bytes_and_arena_match_the_real_file(cnn_run, capfd):
    """The train summary's int8 bytes equal the .tflite's constants, byte for byte; its arena
    estimate equals what TFLM's planner allocates for the activations (the arena head)."""
    from tflite_micro import runtime as tflm

    run_dir, _, model, _ = cnn_run
    from tinyflash.train.summary import arena_bytes, layer_costs

    data = (run_dir / "model_int8.tflite").read_bytes()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert sum(r.int8_bytes for r in layer_costs(model)) == metrics["int8_weight_bytes"]
    assert metrics["int8_weight_bytes"] == _constant_bytes(data)
    capfd.readouterr()
    tflm.Interpreter.from_bytes(data).print_allocations()
    printed = "".join(capfd.readouterr())  # TFLM's C++ logger writes to stdout or stderr
    head = int(re.search(r"Arena allocation head (\d+) bytes", printed)[1])
    assert arena_bytes(model) == metrics["int8_arena_bytes_estimate"]
    assert arena_bytes(model) <= head <= arena_bytes(model) + 16 * 8  # 16-byte alignment


def test_executors_name_the_image_shape(cnn_run):
    run_dir = cnn_run[0]
    flat = np.zeros((2, 784), np.int8)
    for run, suffix in ((reference.run_litert, "tflite"), (reference.run_tflm, "tflite"),
                        (reference.run_onnxruntime, "onnx")):  # fmt: skip
        with pytest.raises(reference.ExecutorInputError, match=r"\(N, 28, 28, 1\)"):
            run(run_dir / f"model_int8.{suffix}", flat)


@pytest.mark.parametrize("rounding", ["tflm", "litert"])
def test_tinyflash_runtime_is_bit_exact_when_it_supports_the_operators(cnn_run, rounding):
    """The pure-numpy interpreter against its reference; skipped while runtime/ lacks CNN ops."""
    import tinyflash.runtime as rt

    run_dir, _, model, data = cnn_run
    tflite = run_dir / "model_int8.tflite"
    xq = _int8_input(run_dir, model, data)
    try:
        got = np.asarray(rt.load(tflite, rounding=rounding)(xq))
    except rt.UnsupportedOperatorError as exc:
        pytest.skip(f"tinyflash.runtime does not run this CNN yet: {exc}")
    want = (
        reference.run_tflm(tflite, xq) if rounding == "tflm" else reference.run_litert(tflite, xq)
    )
    np.testing.assert_array_equal(got, want)


def test_dilated_conv_and_global_average_pooling(mnist):
    """An untrained dilated conv -> GAP -> Dense model: one CONV_2D with dilation (not the
    SPACE_TO_BATCH_ND chain TFLM cannot run) and MEAN; float TFLite and ONNX equal Keras, the
    int8 file runs in litert, TFLM and onnxruntime."""
    import keras

    from tinyflash.export import onnx as onnx_export
    from tinyflash.export import tflite as tflite_export
    from tinyflash.export.pipeline import calibration_images
    from tinyflash.export.tflite import tflite_ops
    from tinyflash.train.model import build_model

    keras.utils.set_random_seed(2)
    config = cfg.resolve(cfg.TrainConfig(), {"hidden": [], "layers": [
        {"type": "conv2d", "filters": 6, "dilation": 2, "activation": "relu"},
        {"type": "global_average_pool2d"}]})  # fmt: skip
    model = build_model(config, 10, (28, 28, 1))
    x = preprocess(mnist.x_test[:64], (28, 28, 1))
    f32 = tflite_export.convert_float32(model)
    assert tflite_ops(f32) == ["CONV_2D", "MEAN", "FULLY_CONNECTED", "SOFTMAX"]
    from tensorflow.lite.python import schema_py_generated as schema

    options = schema.ModelT.InitFromPackedBuf(bytearray(f32), 0).subgraphs[0].operators[0]
    assert (options.builtinOptions.dilationHFactor, options.builtinOptions.dilationWFactor) == (
        2,
        2,
    )
    want = model.predict(x, verbose=0)
    np.testing.assert_allclose(reference.run_litert(f32, x), want, rtol=0, atol=FLOAT_TOLERANCE)
    onnx_f32 = onnx_export.convert_float32(model)
    got = reference.run_onnxruntime(onnx_f32, x)
    np.testing.assert_allclose(got, want, rtol=0, atol=FLOAT_TOLERANCE)
    cal = preprocess(calibration_images(mnist.x_train, 50), (28, 28, 1))
    i8 = tflite_export.convert_int8(model, cal)
    assert "MEAN" in tflite_ops(i8)
    xq = quantize(x, 1 / 255, -128, "int8")  # pixels / 255 calibrate to exactly this
    ref, tflm = reference.run_litert(i8, xq), reference.run_tflm(i8, xq)
    assert np.abs(tflm.astype(np.int32) - ref).max() <= LSB_BOUND
    onnx_i8 = reference.run_onnxruntime(onnx_export.convert_int8(i8), xq)
    assert np.abs(onnx_i8.astype(np.int32) - ref).max() <= LSB_BOUND
