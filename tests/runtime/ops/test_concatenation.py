"""CONCATENATION models against TFLM and ai-edge-litert BUILTIN_REF: an activation joined with
a padded copy of itself along channels and along a spatial axis (negative axis too), int8 and
float32; requantizing inputs are refused."""

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from runtime_testkit import Op, T, act_t, build_model, check_tensors, random_input

import tinyflash.runtime as rt


def concat_model(axis, extra=2, shape=(1, 3, 4, 2), dtype="int8", q2=None):
    """x -> PAD(x) along `axis` by `extra` -> CONCATENATION([x, padded], axis)."""
    q = None if dtype == "float32" else (0.05, -17)
    pads = np.zeros((len(shape), 2), np.int32)
    pads[axis, 1] = extra
    padded = list(shape)
    padded[axis] += extra
    out = list(shape)
    out[axis] += padded[axis]
    o = schema.ConcatenationOptionsT()
    o.axis = axis
    tensors = [
        act_t("x", shape, q),
        T("pads", pads.shape, "int32", pads),
        act_t("p", tuple(padded), q2 or q),
        act_t("y", tuple(out), q),
    ]
    ops = [
        Op("PAD", [0, 1], [2], schema.PadOptionsT(), schema.BuiltinOptions.PadOptions),
        Op("CONCATENATION", [0, 2], [3], o, schema.BuiltinOptions.ConcatenationOptions),
    ]
    return build_model(tensors, ops, [0], [3])


@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("axis", [3, -1, 1, 2])
def test_concatenation(axis, dtype):
    model = concat_model(axis, dtype=dtype)
    check_tensors(model, random_input(model, 20), atol=0.0)


def test_requantizing_concatenation_is_refused():
    with pytest.raises(rt.UnsupportedOperatorError, match="quantization"):
        rt.load(concat_model(3, q2=(0.1, 0)))
