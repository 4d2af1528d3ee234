"""ONNX Flatten (axis 1) against onnxruntime, float32 and int8: bit-identical; another axis is
refused."""

import numpy as np
import pytest
from onnx_testkit import exact, single_node

import tinyflash.runtime as rt


@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_bit_identical(dtype):
    x = np.random.default_rng(0).normal(0, 40, (3, 3, 4, 5)).astype(dtype)
    exact(single_node("Flatten", x), x)


def test_other_axis_refused():
    x = np.zeros((3, 3, 4, 5), np.float32)
    with pytest.raises(rt.UnsupportedOperatorError, match="axis"):
        rt.load(single_node("Flatten", x, axis=2))
