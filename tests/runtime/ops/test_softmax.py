"""SOFTMAX int8 and float32, many input scales and betas, against TFLM and litert BUILTIN_REF."""

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from runtime_testkit import Op, T, build_model

import tinyflash.runtime as rt
from tinyflash.export.reference import run_litert, run_tflm


def _model(depth, in_q, beta, dtype="int8"):
    opts = schema.SoftmaxOptionsT()
    opts.beta = beta

    def q(s, z):
        return dict(scale=[s], zero_point=[z]) if dtype == "int8" else {}

    tensors = [
        T("x", (1, depth), dtype, **q(*(in_q or (1, 0)))),
        T("y", (1, depth), dtype, **q(1 / 256, -128)),
    ]
    return build_model(
        tensors, [Op("SOFTMAX", [0], [1], opts, schema.BuiltinOptions.SoftmaxOptions)], [0], [1]
    )


def _rows(depth, n=400):
    rng = np.random.default_rng(3)
    rows = rng.integers(-128, 128, (n, depth), dtype=np.int8)
    rows[0], rows[1] = -128, 127
    rows[2] = np.where(np.arange(depth) % 2, 127, -128)
    rows[3:50] = rng.integers(100, 128, (47, depth))  # near-ties at the top
    return rows


@pytest.mark.parametrize("depth", [10, 3, 37])
@pytest.mark.parametrize(
    "in_q,beta",
    [
        ((0.05995163, 6), 1.0),
        ((0.01835163, 4), 1.0),
        ((0.25, -10), 1.0),
        ((0.1, 0), 0.5),
        ((0.004, 0), 2.0),
        ((1.5, 0), 1.0),
    ],
)
def test_softmax_int8(depth, in_q, beta):
    model = _model(depth, in_q, beta)
    rows = _rows(depth)
    want = {
        "tflm": run_tflm(model, rows),
        "litert": run_litert(model, rows, kernels="reference"),
    }
    for rounding, ref in want.items():
        np.testing.assert_array_equal(rt.load(model, rounding=rounding)(rows), ref, rounding)


def test_softmax_float():
    model = _model(10, None, 1.0, "float32")
    x = np.random.default_rng(0).normal(0, 4, (300, 10)).astype(np.float32)
    got = rt.load(model)(x)
    np.testing.assert_allclose(got, run_tflm(model, x), rtol=0, atol=1e-6)
