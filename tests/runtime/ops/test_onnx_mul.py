"""ONNX Mul against onnxruntime: the graph input times a per-channel constant (C, 1, 1) (tf2onnx's
unfolded BatchNormalization), a same-shape constant and a scalar; bit-identical (one float32
rounding per element)."""

import numpy as np
import pytest
from onnx_testkit import exact, single_node


@pytest.mark.parametrize("c_shape", [(3, 1, 1), (1, 3, 7, 5), (), (5,)])
def test_bit_identical(c_shape):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 3, (4, 3, 7, 5)).astype(np.float32)
    c = rng.normal(0, 2, c_shape).astype(np.float32)
    exact(single_node("Mul", x, {"c": c}), x)
