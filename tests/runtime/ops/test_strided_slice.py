"""STRIDED_SLICE inside the converter's dynamic-batch Flatten chain, against TFLM and litert
BUILTIN_REF; the options it does not implement are refused by name."""

import flatbuffers
import pytest
from ai_edge_litert import schema_py_generated as schema
from runtime_testkit import check_tensors, flatten_model, random_input

import tinyflash.runtime as rt


@pytest.mark.parametrize("begin,begin_mask", [(0, 0), (0, 1)])
def test_slice_of_the_batch(begin, begin_mask):
    model = flatten_model(begin=begin, begin_mask=begin_mask)
    x = random_input(model, 6)
    trace = check_tensors(model, x)["litert"]
    assert int(trace["n"]) == 6


def test_ellipsis_mask_is_refused():
    m = schema.ModelT.InitFromPackedBuf(bytearray(flatten_model()), 0)
    m.subgraphs[0].operators[1].builtinOptions.ellipsisMask = 1
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    with pytest.raises(rt.UnsupportedOperatorError, match="STRIDED_SLICE: ellipsis_mask"):
        rt.load(bytes(b.Output()))
