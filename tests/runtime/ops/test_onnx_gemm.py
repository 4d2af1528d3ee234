"""ONNX Gemm single-node models against onnxruntime: transB 0 / 1, alpha / beta, with and without
C. Bit-identical where onnxruntime runs the MLAS kernels the runtime reproduces (MLAS_AVX512),
else within FLOAT_ATOL; transA 1 is refused."""

import numpy as np
import pytest
from onnx_testkit import float_gap, single_node
from tests_support import MLAS_AVX512

import tinyflash.runtime as rt
from tinyflash.export.reference import run_onnxruntime


@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("with_c", [True, False])
def test_against_onnxruntime(trans_b, with_c):
    rng = np.random.default_rng(trans_b)
    x = rng.normal(0, 1, (5, 40)).astype(np.float32)
    b = (rng.normal(0, 1, (12, 40) if trans_b else (40, 12)) / 6).astype(np.float32)
    inits = {"b": b} | ({"c": rng.normal(0, 1, 12).astype(np.float32)} if with_c else {})
    attrs = {"transB": trans_b} | ({"alpha": 0.5, "beta": 2.0} if with_c else {})
    data = single_node("Gemm", x, inits, **attrs)
    float_gap(data, x)
    if MLAS_AVX512 and not with_c:  # with C, onnxruntime scales in another order (no claim)
        np.testing.assert_array_equal(rt.load(data)(x), run_onnxruntime(data, x, optimize=False))


def test_trans_a_refused():
    x = np.zeros((3, 4), np.float32)
    data = single_node("Gemm", x, {"b": np.zeros((3, 2), np.float32)}, transA=1)
    with pytest.raises(rt.UnsupportedOperatorError, match="transA"):
        rt.load(data)
