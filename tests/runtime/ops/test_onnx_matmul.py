"""ONNX MatMul single-node models against onnxruntime: a constant B (MLAS packs it: K blocks of
256) with K below and above 256, batches of 1 and many. Bit-identical where onnxruntime runs the
MLAS kernels the runtime reproduces (x86-64 AVX-512F/FMA3, tests_support.MLAS_AVX512), else
within FLOAT_ATOL (another SGEMM kernel, another float32 summation order)."""

import numpy as np
import pytest
from onnx_testkit import exact, float_gap, single_node
from tests_support import MLAS_AVX512


@pytest.mark.parametrize("rows", [1, 7])
@pytest.mark.parametrize("k,n", [(3, 2), (300, 10), (784, 32)])
def test_against_onnxruntime(k, n, rows):
    rng = np.random.default_rng(k)
    x = rng.normal(0, 1, (rows, k)).astype(np.float32)
    b = (rng.normal(0, 1, (k, n)) / np.sqrt(k)).astype(np.float32)
    data = single_node("MatMul", x, {"b": b})
    float_gap(data, x)
    if MLAS_AVX512:
        exact(data, x)
