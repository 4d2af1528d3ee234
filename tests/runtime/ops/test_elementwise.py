"""LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1 on all 256 int8 inputs, many quantizations, both
rounding modes, against single-operator models run by TFLM and ai-edge-litert BUILTIN_REF."""

import numpy as np
import pytest
from runtime_testkit import unary_model

import tinyflash.runtime as rt
from tinyflash.export.reference import run_litert, run_tflm
from tinyflash.runtime.ops.elementwise import ALL_INT8

INPUT_QUANT = [
    (0.0419051, 11),
    (0.02751614, 9),
    (0.1, -128),
    (0.003, 0),
    (0.25, 100),
    (1 / 16, -7),
    (0.0078125, 0),
    (0.9, 3),
]


def _check(model: bytes, modes=("tflm", "litert")):
    x = ALL_INT8[None]
    refs = {
        "tflm": lambda: run_tflm(model, x),
        "litert": lambda: run_litert(model, x, kernels="reference"),
    }
    for rounding in modes:
        ref = refs[rounding]()
        m = rt.load(model, rounding=rounding)
        np.testing.assert_array_equal(m(x), ref, err_msg=rounding)
        np.testing.assert_array_equal(m.params[0].table, ref[0], err_msg=rounding)


@pytest.mark.parametrize("in_q", INPUT_QUANT)
def test_logistic(in_q):
    _check(unary_model("LOGISTIC", 256, in_q, (1 / 256, -128)))


@pytest.mark.parametrize("in_q", INPUT_QUANT)
def test_tanh(in_q):
    _check(unary_model("TANH", 256, in_q, (1 / 128, 0)))


@pytest.mark.parametrize("op", ["RELU", "RELU6", "RELU_N1_TO_1"])
@pytest.mark.parametrize(
    "in_q,out_q",
    [
        ((0.05, -3), (0.05, -128)),
        ((0.05, 10), (0.03, -128)),
        ((0.02, 0), (0.047, -20)),
        ((0.1, 5), (0.2, 0)),
    ],
)
def test_relu_family(op, in_q, out_q):
    model = unary_model(op, 256, in_q, out_q)
    if op == "RELU_N1_TO_1":  # TFLM has no such kernel: our tflm mode refuses it too
        _check(model, modes=("litert",))
        with pytest.raises(rt.UnsupportedOperatorError, match="TFLM"):
            rt.load(model, rounding="tflm")
    else:
        _check(model)


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH", "RELU", "RELU6", "RELU_N1_TO_1"])
def test_float32(op):
    x = np.linspace(-9, 9, 301, dtype=np.float32).reshape(7, 43)  # small rows: TFLM arena
    model = unary_model(op, 43, None, None, dtype="float32")
    got = rt.load(model)(x)
    refs = [run_litert(model, x, kernels="reference")] + (
        [] if op == "RELU_N1_TO_1" else [run_tflm(model, x)]
    )
    for ref in refs:
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)


def test_logistic_rejects_other_output_quantization():
    with pytest.raises(rt.UnsupportedOperatorError, match="1/256"):
        rt.load(unary_model("LOGISTIC", 8, (0.1, 0), (1 / 128, -128)))
