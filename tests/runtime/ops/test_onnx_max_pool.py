"""ONNX MaxPool single-node models against onnxruntime (optimizations off and on), float32 and
int8: explicit asymmetric pads, auto_pad VALID / SAME_UPPER / SAME_LOWER on odd sizes, stride
2, dilation 2, a window larger than the stride. A maximum has no rounding: bit-identical."""

import numpy as np
import pytest
from onnx_testkit import exact, single_node

import tinyflash.runtime as rt

CASES = {
    "3x3_stride2_pads_0011": {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [0, 0, 1, 1]},
    "3x3_stride2_same_upper_odd": {
        "kernel_shape": [3, 3],
        "strides": [2, 2],
        "auto_pad": "SAME_UPPER",
    },
    "2x2_stride2_same_lower_odd": {
        "kernel_shape": [2, 2],
        "strides": [2, 2],
        "auto_pad": "SAME_LOWER",
    },
    "2x2_valid": {"kernel_shape": [2, 2], "strides": [2, 2], "auto_pad": "VALID"},
    "3x2_stride1_pads": {"kernel_shape": [3, 2], "pads": [1, 0, 1, 1]},
    "3x3_dilation2": {"kernel_shape": [3, 3], "dilations": [2, 2], "pads": [2, 2, 2, 2]},
}


@pytest.mark.parametrize("dtype", ["float32", "int8"])
@pytest.mark.parametrize("name", list(CASES))
def test_bit_identical(name, dtype):
    rng = np.random.default_rng(len(name))
    if dtype == "float32":
        x = rng.normal(0, 1, (3, 4, 9, 7)).astype(np.float32)
    else:
        x = rng.integers(-128, 128, (3, 4, 9, 7)).astype(np.int8)
        x[0] = -128  # padding must never win, even against the minimum
    exact(single_node("MaxPool", x, **CASES[name]), x)


@pytest.mark.parametrize(
    "attrs,message",
    [
        ({"kernel_shape": [3, 3], "ceil_mode": 1}, "ceil_mode"),
        ({"kernel_shape": [3, 3], "storage_order": 1}, "storage_order"),
        ({"kernel_shape": [3]}, "kernel_shape"),
    ],
)
def test_refused_in_words(attrs, message):
    from onnx import TensorProto, helper

    node = helper.make_node("MaxPool", ["x"], ["y"], **attrs)
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises((rt.UnsupportedOperatorError, rt.ModelFormatError), match=message):
        rt.load(data.SerializeToString())
