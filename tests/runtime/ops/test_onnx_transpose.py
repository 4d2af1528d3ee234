"""ONNX Transpose single-node models against onnxruntime: float32 and int8 (QDQ files transpose
the int8 graph input), bit-identical; a permutation that moves the batch is refused."""

import numpy as np
import pytest
from onnx_testkit import exact, single_node

import tinyflash.runtime as rt


@pytest.mark.parametrize("perm", [[0, 3, 1, 2], [0, 2, 3, 1], [0, 1, 3, 2]])
@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_bit_identical(perm, dtype):
    x = np.random.default_rng(0).normal(0, 50, (3, 5, 4, 2)).astype(dtype)
    exact(single_node("Transpose", x, perm=perm), x)


def test_batch_axis_moved_refused():
    x = np.zeros((3, 5, 4, 2), np.float32)
    with pytest.raises(rt.UnsupportedOperatorError, match="batch"):
        rt.load(single_node("Transpose", x, perm=[1, 0, 2, 3]))
