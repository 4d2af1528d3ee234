"""ONNX GlobalAveragePool single-node models against onnxruntime (optimizations off and on):
(N, C, H, W) -> (N, C, 1, 1), float32 within FLOAT_ATOL (float64 sum, onnxruntime float32)."""

import numpy as np
import pytest
from onnx_testkit import float_gap, single_node


@pytest.mark.parametrize("shape", [(3, 4, 9, 7), (2, 256, 3, 3), (2, 3, 1, 1), (2, 5, 48)])
def test_float_within_contract(shape):
    x = np.random.default_rng(0).normal(1, 2, shape).astype(np.float32)
    data = single_node("GlobalAveragePool", x)
    print(f"{shape}: max |runtime - onnxruntime| {float_gap(data, x):.2e}")
