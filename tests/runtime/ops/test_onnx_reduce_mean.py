"""ONNX ReduceMean single-node models against onnxruntime: the spatial mean (what a global
average pooling can become), keepdims 1 and 0, axes as an attribute (opset 17) and as an input
(opset 18); float32 within FLOAT_ATOL (float64 sum, onnxruntime float32). The batch axis is
refused."""

import numpy as np
import pytest
from onnx_testkit import float_gap, single_node

import tinyflash.runtime as rt


@pytest.mark.parametrize("axes", [[2, 3], [-1], [1, 2, 3]])
@pytest.mark.parametrize("keepdims", [0, 1])
def test_float_within_contract(axes, keepdims):
    x = np.random.default_rng(0).normal(1, 2, (3, 16, 6, 5)).astype(np.float32)
    gap = float_gap(single_node("ReduceMean", x, axes=axes, keepdims=keepdims), x)
    axes_input = single_node(
        "ReduceMean", x, {"axes": np.array(axes, np.int64)}, opset=18, keepdims=keepdims
    )
    gap = max(gap, float_gap(axes_input, x))
    print(f"axes {axes} keepdims {keepdims}: max |runtime - onnxruntime| {gap:.2e}")


def test_batch_axis_refused():
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(rt.UnsupportedOperatorError, match="batch"):
        rt.load(single_node("ReduceMean", x, axes=[0, 1]))
