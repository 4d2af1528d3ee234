"""ONNX Concat against onnxruntime: the graph input joined with computed tensors of another size
on the axis (Pad of it) on axis 1, 2, -1, two and three inputs, float32 and int8,
bit-identical; joining along the batch is refused."""

import numpy as np
import pytest
from onnx import helper
from onnx_testkit import exact, model_bytes

import tinyflash.runtime as rt


def _concat(x: np.ndarray, axis: int, n: int) -> bytes:
    """Concat(x, Pad(x, 2 more on axis)[, x]) along axis."""
    rank = x.ndim
    a = axis % rank
    pads = np.zeros(2 * rank, np.int64)
    pads[rank + a] = 2
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["p"]),
        helper.make_node("Concat", ["x", "p", "x"][:n], ["y"], axis=axis),
    ]
    y_shape = list(x.shape)
    y_shape[a] = n * x.shape[a] + 2
    return model_bytes(nodes, x.shape, tuple(y_shape), {"pads": pads}, str(x.dtype), str(x.dtype))


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("axis", [1, 2, -1])
@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_bit_identical(axis, dtype, n):
    x = np.random.default_rng(0).normal(0, 40, (3, 2, 5, 4)).astype(dtype)
    exact(_concat(x, axis, n), x)


def test_batch_axis_refused():
    x = np.zeros((3, 2), np.float32)
    node = helper.make_node("Concat", ["x", "x"], ["y"], axis=0)
    with pytest.raises(rt.UnsupportedOperatorError, match="batch"):
        rt.load(model_bytes([node], x.shape, (6, 2)))
