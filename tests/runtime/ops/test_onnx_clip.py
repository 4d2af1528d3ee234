"""ONNX Clip single-node models against onnxruntime: ReLU6 (min 0, max 6, what tf2onnx writes),
only a max, only a min, neither; bit-identical (no rounding)."""

import numpy as np
import pytest
from onnx_testkit import exact, single_node

F = np.float32
BOUNDS = {
    "relu6": {"min": F(0), "max": F(6)},
    "max_only": {"min": None, "max": F(1.5)},
    "min_only": {"min": F(-0.25)},
    "neither": {},
}


@pytest.mark.parametrize("name", list(BOUNDS))
def test_bit_identical(name):
    x = np.random.default_rng(0).normal(0, 5, (4, 3, 7, 5)).astype(np.float32)
    x[0, 0, 0, :3] = [0.0, 6.0, -0.0]
    exact(single_node("Clip", x, dict(BOUNDS[name])), x)
