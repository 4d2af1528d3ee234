"""RESHAPE (new shape from options and from a shape tensor), int8 and float32, batched: the
runtime treats dimension 0 as the batch (the file says 1 or -1 there)."""

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from runtime_testkit import Op, T, build_model

import tinyflash.runtime as rt
from tinyflash.export.reference import run_litert, run_tflm


@pytest.mark.parametrize("dtype", ["int8", "float32"])
def test_reshape_there_and_back(dtype):
    q = {"scale": [0.1], "zero_point": [0]} if dtype == "int8" else {}
    opts = schema.ReshapeOptionsT()
    opts.newShape = [1, 3, 4]
    tensors = [
        T("x", (1, 12), dtype, **q),
        T("mid", (1, 3, 4), dtype, **q),
        T("shape", (2,), "int32", np.array([-1, 12], np.int32)),
        T("y", (1, 12), dtype, **q),
    ]
    ops = [
        Op("RESHAPE", [0], [1], opts, schema.BuiltinOptions.ReshapeOptions),
        Op("RESHAPE", [1, 2], [3]),
    ]
    model = build_model(tensors, ops, [0], [3])
    x = np.arange(-60, 60, dtype=np.int8 if dtype == "int8" else np.float32).reshape(10, 12)
    m = rt.load(model)
    np.testing.assert_array_equal(m(x), x)
    assert m.trace(x)["mid"].shape == (10, 3, 4)
    np.testing.assert_array_equal(m(x), run_tflm(model, x))
    # litert cannot batch a RESHAPE whose options fix dimension 0 at 1: one row per call
    rows = [run_litert(model, x[i : i + 1], kernels="reference") for i in range(len(x))]
    np.testing.assert_array_equal(m(x), np.concatenate(rows))


@pytest.mark.parametrize("dims", [[1, 2], [], [-3, -2]])
def test_squeeze_after_mean_keep_dims(dims):
    """(N, 1, 1, C) -> (N, C): what older converters emit after a keep_dims MEAN."""
    from runtime_testkit import act_t, check_tensors, one_op

    o = schema.SqueezeOptionsT()
    o.squeezeDims = dims
    q = (0.1, 3)
    model = one_op(
        "SQUEEZE", [act_t("x", (1, 1, 1, 6), q)], act_t("y", (1, 6), q), o,
        schema.BuiltinOptions.SqueezeOptions,
    )  # fmt: skip
    x = np.arange(-60, 60, dtype=np.int8).reshape(20, 1, 1, 6)
    check_tensors(model, x, modes=("litert",) if not dims else ("tflm", "litert"))  # TFLM
    # refuses an empty squeeze_dims (litert squeezes every size-1 axis, as we do)
    np.testing.assert_array_equal(rt.load(model)(x), x.reshape(20, 6))
