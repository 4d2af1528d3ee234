"""PAD single-operator models against TFLM and ai-edge-litert BUILTIN_REF: int8 pads with the
output zero point (ZeroPadding2D before a stride-2 VALID conv), float32 with 0."""

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from runtime_testkit import T, act_t, check_tensors, one_op, random_input

import tinyflash.runtime as rt


def pad_model(pads, shape=(1, 5, 4, 3), dtype="int8", out_q=None):
    q = None if dtype == "float32" else (0.05, -17)
    out = tuple(d + a + b for d, (a, b) in zip(shape, pads, strict=True))
    p = T("pads", (len(shape), 2), "int32", np.array(pads, np.int32))
    o = schema.PadOptionsT()
    x, y = act_t("x", shape, q), act_t("y", out, out_q or q)
    return one_op("PAD", [x, p], y, o, schema.BuiltinOptions.PadOptions)


CASES = {
    "zero_padding_2d": [[0, 0], [1, 1], [1, 1], [0, 0]],
    "asymmetric": [[0, 0], [0, 1], [2, 0], [0, 0]],
    "channels": [[0, 0], [0, 0], [0, 0], [1, 2]],
}


@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_pad(case, dtype):
    model = pad_model(CASES[case], dtype=dtype)
    traces = check_tensors(model, random_input(model, 20), atol=0.0)
    if dtype == "int8":  # the border really is the zero point
        assert np.any(traces["tflm"]["y"] == -17)


def test_batch_padding_is_refused():
    with pytest.raises(rt.UnsupportedOperatorError, match="PAD: padding the batch axis"):
        rt.load(pad_model([[1, 0], [0, 0], [0, 0], [0, 0]]))
