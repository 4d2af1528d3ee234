"""ONNX Pad single-node models against onnxruntime: constant (default 0 and a given value),
edge and reflect modes, float32 and int8, bit-identical; padding the batch axis is refused."""

import numpy as np
import pytest
from onnx_testkit import exact, single_node

import tinyflash.runtime as rt

PADS = np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)  # (N, C, H, W): H 1 + 2, W 2 + 1


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_bit_identical(mode, dtype):
    x = np.random.default_rng(0).normal(0, 40, (3, 2, 5, 4)).astype(dtype)
    exact(single_node("Pad", x, {"pads": PADS}, mode=mode), x)


@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_constant_value(dtype):
    x = np.random.default_rng(1).normal(0, 40, (3, 2, 5, 4)).astype(dtype)
    exact(single_node("Pad", x, {"pads": PADS, "value": np.array(-7, dtype)}), x)


def test_batch_padding_refused():
    x = np.zeros((3, 2, 5, 4), np.float32)
    pads = np.array([1, 0, 0, 0, 0, 0, 0, 0], np.int64)
    with pytest.raises(rt.UnsupportedOperatorError, match="batch"):
        rt.load(single_node("Pad", x, {"pads": pads}))
