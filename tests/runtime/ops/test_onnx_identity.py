"""ONNX Identity against onnxruntime, float32 and int8: bit-identical."""

import numpy as np
import pytest
from onnx_testkit import exact, single_node


@pytest.mark.parametrize("dtype", ["float32", "int8", "uint8"])
def test_bit_identical(dtype):
    x = np.random.default_rng(0).normal(0, 40, (3, 7)).astype(np.float32)
    x = x.astype(dtype) if dtype != "uint8" else np.abs(x).astype(np.uint8)
    exact(single_node("Identity", x), x)
