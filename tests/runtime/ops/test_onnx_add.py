"""ONNX Add against onnxruntime: a bias (C,), a per-channel (C, 1, 1) offset, a same-shape
constant, and x + x; bit-identical (one float32 rounding per element)."""

import numpy as np
import pytest
from onnx import helper
from onnx_testkit import exact, model_bytes, single_node


@pytest.mark.parametrize("c_shape", [(5,), (3, 1, 1), (1, 3, 4, 5)])
def test_bit_identical(c_shape):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 3, (4, 3, 4, 5)).astype(np.float32)
    exact(single_node("Add", x, {"c": rng.normal(0, 2, c_shape).astype(np.float32)}), x)


def test_two_computed_operands():
    x = np.random.default_rng(1).normal(0, 3, (4, 6)).astype(np.float32)
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Add", ["x", "r"], ["y"])]
    exact(model_bytes(nodes, x.shape, x.shape), x)
