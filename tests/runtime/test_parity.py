"""Whole-model parity: tinyflash.runtime vs TFLM (rounding="tflm") and ai-edge-litert BUILTIN_REF
(rounding="litert"), every output byte, on real trained MNIST models."""

import numpy as np
import pytest

import tinyflash.runtime as rt
from tinyflash.export.reference import run_litert, run_tflm
from tinyflash.runtime.quantize import quantize

MODELS = [  # (hidden, activation): the main model first; odd sizes and depth; every activation
    ((32,), "relu"),
    ((32,), "sigmoid"),
    ((32,), "tanh"),
    ((32,), "linear"),
    ((37, 19), "relu"),
]


def _extremes(features: int) -> np.ndarray:
    alt = np.where(np.arange(features) % 2 == 0, -128, 127)
    return np.stack(
        [np.full(features, -128), np.full(features, 127), np.zeros(features), alt, -1 - alt]
    ).astype(np.int8)


def _inputs(model, pixels, n):
    rng = np.random.default_rng(2024)
    images = quantize(pixels[:n], model.input.scale, model.input.zero_point)
    noise = rng.integers(-128, 128, (n, pixels.shape[1]), dtype=np.int8)
    return {"mnist": images, "random_int8": noise, "extremes": _extremes(pixels.shape[1])}


def _assert_parity(path, pixels, n):
    disagreement = {}
    for label, x in _inputs(rt.load(path), pixels, n).items():
        want = {"tflm": run_tflm(path, x), "litert": run_litert(path, x, kernels="reference")}
        for rounding, ref in want.items():
            got = rt.load(path, rounding=rounding)(x)
            bad = np.flatnonzero(np.any(got != ref, axis=1))
            assert bad.size == 0, f"{label} {rounding}: {bad.size} rows differ, first {bad[:5]}"
        disagreement[label] = float(np.mean(np.any(want["tflm"] != want["litert"], axis=1)))
    return disagreement


@pytest.mark.slow
@pytest.mark.parametrize("weights", ["int8", "int8_per_tensor"])
def test_main_model_full_test_set(tflite_models, x_test_pixels, weights):
    """784-32-10 relu: all 10,000 test images + 10,000 random int8 rows + extremes."""
    d = _assert_parity(tflite_models((32,), "relu")[weights], x_test_pixels, 10_000)
    print(f"tflm vs litert rows differing ({weights}):", d)
    # the two references really differ, so matching each one is two distinct facts
    assert d["mnist"] + d["random_int8"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("hidden,activation", MODELS[1:])
@pytest.mark.parametrize("weights", ["int8", "int8_per_tensor"])
def test_other_models(tflite_models, x_test_pixels, hidden, activation, weights):
    """Other activations, deep and odd sizes: all 10,000 test images, 10,000 random rows,
    extremes."""
    d = _assert_parity(tflite_models(hidden, activation)[weights], x_test_pixels, 10_000)
    print(f"tflm vs litert rows differing ({hidden} {activation} {weights}):", d)


def test_per_tensor_rewrite_is_per_tensor(tflite_models):
    g = rt.load(tflite_models((32,), "relu")["int8_per_tensor"]).graph
    weights = [g.tensors[op.inputs[1]] for op in g.operators if op.op == "FULLY_CONNECTED"]
    assert weights and all(not w.quant.per_channel for w in weights)
    g = rt.load(tflite_models((32,), "relu")["int8"]).graph
    assert all(
        g.tensors[op.inputs[1]].quant.per_channel
        for op in g.operators
        if op.op == "FULLY_CONNECTED"
    )


@pytest.mark.parametrize("hidden,activation", MODELS)
def test_float_model_within_1e6(tflite_models, x_test_pixels, hidden, activation):
    path = tflite_models(hidden, activation)["float32"]
    x = x_test_pixels[:2000]
    got = rt.load(path)(x)
    assert got.dtype == np.float32
    for ref in (run_litert(path, x, kernels="reference"), run_tflm(path, x)):
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)  # float32 summation order


def test_float_pixels_are_quantized_like_the_quantize_op(tflite_models, x_test_pixels):
    model = rt.load(tflite_models((32,), "relu")["int8"])
    x = x_test_pixels[:100]
    q = quantize(x, model.input.scale, model.input.zero_point)
    np.testing.assert_array_equal(model(x), model(q))


def test_trace_names_every_tensor(tflite_models, x_test_pixels):
    model = rt.load(tflite_models((37, 19), "relu")["int8"])
    x = quantize(x_test_pixels[:7], model.input.scale, model.input.zero_point)
    trace = model.trace(x)
    g = model.graph
    assert list(trace) == [g.tensors[g.inputs[0]].name] + [
        g.tensors[op.outputs[0]].name for op in g.operators
    ]
    np.testing.assert_array_equal(trace[g.tensors[g.outputs[0]].name], model(x))
    assert [v.shape for v in trace.values()] == [(7, 784), (7, 37), (7, 19), (7, 10), (7, 10)]
    text = model.summary()
    assert "FULLY_CONNECTED" in text and "SOFTMAX" in text and "per-channel(37, axis 0)" in text
