"""ONNX Reshape against onnxruntime: -1 and 0 in the shape, the batch given as -1 or as the
file's size (the runtime follows the batch it runs), float32 and int8 (QDQ graphs reshape their
int8 input); bit-identical."""

import numpy as np
import pytest
from onnx_testkit import exact, single_node


@pytest.mark.parametrize("shape", [[-1, 60], [0, -1], [-1, 5, 12], [0, 3, 20]])
@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_bit_identical(shape, dtype):
    x = np.random.default_rng(0).normal(0, 40, (3, 3, 4, 5)).astype(dtype)
    exact(single_node("Reshape", x, {"shape": np.array(shape, np.int64)}), x)
