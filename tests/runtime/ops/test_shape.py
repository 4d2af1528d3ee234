"""SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE, the converter's Flatten with a dynamic batch, on
a batch of N: the reshape sees the real batch; outputs equal TFLM and litert BUILTIN_REF."""

import numpy as np
from runtime_testkit import check_tensors, flatten_model, random_input

import tinyflash.runtime as rt


def test_flatten_with_dynamic_batch():
    model = flatten_model()
    x = random_input(model, 7)
    traces = check_tensors(model, x)
    trace = traces["litert"]
    np.testing.assert_array_equal(trace["new_shape"], [7, -1])
    np.testing.assert_array_equal(trace["y"], x.reshape(7, 24))
    assert rt.load(model)(x).shape == (7, 24)
