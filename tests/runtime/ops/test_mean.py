"""MEAN over H, W (GlobalAveragePooling2D) single-operator models against TFLM and ai-edge-litert
BUILTIN_REF, both rounding modes: keep_dims on and off, input and output quantization equal
(what the converter emits) and different, small and large windows; float within 1e-5."""

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from runtime_testkit import T, act_t, check_tensors, one_op, random_input

import tinyflash.runtime as rt


def mean_model(hw=(6, 6), c=8, keep=False, axes=(1, 2), in_q=(0.047, -11), out_q=None,
               dtype="int8"):  # fmt: skip
    o = schema.ReducerOptionsT()
    o.keepDims = keep
    if dtype == "float32":
        in_q = out_q = None
    out_shape = [1, *hw, c]
    for a in axes:
        out_shape[a] = 1
    if not keep:
        out_shape = [d for a, d in enumerate(out_shape) if a not in axes]
    x = act_t("x", (1, *hw, c), in_q)
    axis = T("axis", (len(axes),), "int32", np.array(axes, np.int32))
    y = act_t("y", tuple(out_shape), out_q or in_q)
    return one_op("MEAN", [x, axis], y, o, schema.BuiltinOptions.ReducerOptions)


CASES = {
    "same_quant": {},
    "same_quant_keep_dims": {"keep": True},
    "requantize": {"out_q": (0.011, 3)},
    "requantize_keep_dims": {"out_q": (0.011, 3), "keep": True},
    "requantize_up": {"out_q": (0.2, -100)},
    "25x5_dscnn": {"hw": (25, 5), "out_q": (0.02, 0)},
    "two_elements": {"hw": (1, 2)},
    "axis_2_only": {"axes": (2,), "out_q": (0.03, 1)},
    "negative_axes": {"axes": (-3, -2)},
}


@pytest.mark.parametrize("case", list(CASES))
def test_int8(case):
    kw = dict(CASES[case])
    axes = kw.get("axes", (1, 2))
    if min(axes) < 0:  # the model stores the negative axes; the shapes use their positive form
        model = mean_model(**{**kw, "axes": (1, 2)})
        m = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
        buf = m.buffers[m.subgraphs[0].tensors[1].buffer]
        buf.data = np.array(axes, np.int32).view(np.uint8).tolist()
        import flatbuffers

        b = flatbuffers.Builder(1024)
        b.Finish(m.Pack(b), file_identifier=b"TFL3")
        model = bytes(b.Output())
    else:
        model = mean_model(**kw)
    check_tensors(model, random_input(model, 200))


@pytest.mark.parametrize("case", ["same_quant", "same_quant_keep_dims", "25x5_dscnn"])
def test_float32(case):
    model = mean_model(**CASES[case], dtype="float32")
    check_tensors(model, random_input(model, 6), atol=1e-5)


def test_tflm_does_not_truncate_with_equal_quantization():
    """Some TFLM sources take trunc(sum / n) when input and output quantization are equal; the
    pinned build rounds like QuantizedMeanOrSum (mean.py's docstring rests on this)."""
    model = mean_model()
    x = random_input(model, 200)
    got = check_tensors(model, x, modes=("tflm",))["tflm"]["y"]
    s = x.astype(np.int64).sum(axis=(1, 2))
    truncated = np.sign(s) * (np.abs(s) // 36)
    assert np.any(truncated != got)


def test_batch_axis_is_refused():
    with pytest.raises(rt.UnsupportedOperatorError, match="MEAN: axes \\[0, 1\\]"):
        rt.load(mean_model(axes=(0, 1)))


def test_litert_mean_uses_double_rounding():
    from runtime_testkit import litert_tensors

    from tinyflash.runtime.ops import mean

    model = mean_model(out_q=(0.011, 3))
    x = random_input(model, 200)
    want = litert_tensors(model, x)["y"]
    p = rt.load(model, rounding="litert").params[0]
    assert mean.REQUANTIZATION["litert"] == "tflm" and p.rounding == "tflm"
    np.testing.assert_array_equal(mean.run(p, x), want)
    single = mean.run(mean.MeanParams(**{**p.__dict__, "rounding": "litert"}), x)
    assert np.any(single != want)
