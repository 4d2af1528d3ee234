"""SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE, the converter's Flatten with a dynamic batch, on
a batch of N: the reshape sees the real batch; outputs equal TFLM and litert BUILTIN_REF."""

import numpy as np
from ai_edge_litert import schema_py_generated as schema
from runtime_testkit import Op, T, act_t, build_model, check_tensors, random_input

import tinyflash.runtime as rt


def flatten_model():
    q = (0.05, -17)
    const = [
        T("begin", (1,), "int32", np.array([0], np.int32)),
        T("end", (1,), "int32", np.array([1], np.int32)),
        T("strides", (1,), "int32", np.array([1], np.int32)),
        T("minus_one", (), "int32", np.array(-1, np.int32)),
    ]
    tensors = [
        act_t("x", (1, 3, 4, 2), q),
        *const,
        T("shape", (4,), "int32"),
        T("n", (), "int32"),
        T("new_shape", (2,), "int32"),
        act_t("y", (1, 24), q),
    ]
    ss = schema.StridedSliceOptionsT()
    ss.shrinkAxisMask = 1
    pack = schema.PackOptionsT()
    pack.valuesCount, pack.axis = 2, 0
    shape = schema.ShapeOptionsT()
    shape.outType = 2  # INT32, as the converter writes it
    ops = [
        Op("SHAPE", [0], [5], shape, schema.BuiltinOptions.ShapeOptions),
        Op("STRIDED_SLICE", [5, 1, 2, 3], [6], ss, schema.BuiltinOptions.StridedSliceOptions),
        Op("PACK", [6, 4], [7], pack, schema.BuiltinOptions.PackOptions),
        Op("RESHAPE", [0, 7], [8], schema.ReshapeOptionsT(), schema.BuiltinOptions.ReshapeOptions),
    ]
    return build_model(tensors, ops, [0], [8])


def test_flatten_with_dynamic_batch():
    model = flatten_model()
    x = random_input(model, 7)
    traces = check_tensors(model, x)
    trace = traces["litert"]
    np.testing.assert_array_equal(trace["new_shape"], [7, -1])
    np.testing.assert_array_equal(trace["y"], x.reshape(7, 24))
    assert rt.load(model)(x).shape == (7, 24)
