"""PACK inside the converter's dynamic-batch Flatten chain ([n, -1] for RESHAPE), against TFLM
and litert BUILTIN_REF; a values_count that contradicts the inputs is an error."""

import numpy as np
import pytest
from runtime_testkit import check_tensors, flatten_model, random_input

import tinyflash.runtime as rt


def test_pack_builds_the_reshape_target():
    model = flatten_model()
    x = random_input(model, 5)
    trace = check_tensors(model, x)["litert"]
    np.testing.assert_array_equal(trace["new_shape"], [5, -1])


def test_wrong_values_count_is_an_error():
    with pytest.raises(rt.ModelFormatError, match="PACK: values_count 3, 2 inputs"):
        rt.load(flatten_model(values_count=3))
