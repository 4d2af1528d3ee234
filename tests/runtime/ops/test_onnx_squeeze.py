"""ONNX Squeeze single-node models against onnxruntime: tf2onnx's (N, C, 1, 1) -> (N, C) after a
global pooling, axes given (positive, negative) or absent; float32 and int8, bit-identical.
Removing the batch axis is refused."""

import numpy as np
import pytest
from onnx_testkit import exact, single_node

import tinyflash.runtime as rt


@pytest.mark.parametrize("axes", [[2, 3], [-1, -2], None])
@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_bit_identical(axes, dtype):
    x = np.random.default_rng(0).normal(0, 40, (3, 6, 1, 1)).astype(dtype)
    inits = {} if axes is None else {"axes": np.array(axes, np.int64)}
    exact(single_node("Squeeze", x, inits), x)


def test_batch_axis_refused():
    x = np.zeros((1, 6, 1, 1), np.float32)
    with pytest.raises(rt.UnsupportedOperatorError, match="batch"):
        rt.load(single_node("Squeeze", x, {"axes": np.array([0], np.int64)}))
