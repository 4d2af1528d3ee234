"""ONNX Relu against onnxruntime: bit-identical, including -0.0, 0 and large values."""

import numpy as np
from onnx_testkit import exact, single_node


def test_bit_identical():
    x = np.random.default_rng(0).normal(0, 50, (6, 3, 5, 4)).astype(np.float32)
    x[0, 0, 0, :3] = [-0.0, 0.0, 3e38]
    exact(single_node("Relu", x), x)
