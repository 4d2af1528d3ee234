"""CONV_2D single-operator models against TFLM and ai-edge-litert BUILTIN_REF, every output
byte in both rounding modes: SAME / VALID, stride 2 on odd sizes, dilation 2, 1x1, every fused
activation, per-channel and per-tensor weights, no bias; float32 within 1e-5."""

import math

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from runtime_testkit import act_t, bias_t, check_tensors, filter_t, one_op, random_input

import tinyflash.runtime as rt

FUSED = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}
PAD = {"SAME": 0, "VALID": 1}


def conv_model(
    hw=(9, 7),
    cin=3,
    cout=5,
    k=(3, 3),
    stride=(1, 1),
    dilation=(1, 1),
    padding="SAME",
    fused="NONE",
    per_channel=True,
    bias=True,
    dtype="int8",
    seed=0,
):
    rng = np.random.default_rng(seed)
    o = schema.Conv2DOptionsT()
    o.padding, o.fusedActivationFunction = PAD[padding], FUSED[fused]
    o.strideH, o.strideW = stride
    o.dilationHFactor, o.dilationWFactor = dilation
    eh, ew = ((k[0] - 1) * dilation[0] + 1, (k[1] - 1) * dilation[1] + 1)
    if padding == "SAME":
        out_hw = (math.ceil(hw[0] / stride[0]), math.ceil(hw[1] / stride[1]))
    else:
        out_hw = ((hw[0] - eh) // stride[0] + 1, (hw[1] - ew) // stride[1] + 1)
    in_q = None if dtype == "float32" else (0.023, -9)
    out_q = None if dtype == "float32" else (0.0035 * math.sqrt(k[0] * k[1] * cin) * 3, 7)
    w = filter_t(rng, "w", (cout, *k, cin), 0, per_channel, dtype)
    b = bias_t(rng, "b", 0.023, w) if bias else None
    x = act_t("x", (1, *hw, cin), in_q)
    y = act_t("y", (1, *out_hw, cout), out_q)
    return one_op("CONV_2D", [x, w, b], y, o, schema.BuiltinOptions.Conv2DOptions)


CASES = {
    "same_3x3": {},
    "stride2_same_odd": {"stride": (2, 2), "hw": (9, 7)},
    "stride2_valid_odd": {"stride": (2, 2), "padding": "VALID"},
    "dilation2_same": {"dilation": (2, 2)},
    "dilation2_valid": {"dilation": (2, 2), "padding": "VALID", "hw": (11, 9)},
    "1x1": {"k": (1, 1), "cin": 16, "cout": 8},
    "1x1_stride2": {"k": (1, 1), "stride": (2, 2), "cin": 8},
    "10x4_stride2_dscnn": {"k": (10, 4), "stride": (2, 2), "hw": (49, 10), "cin": 1, "cout": 8},
    "asymmetric_stride": {"stride": (2, 1), "k": (3, 2)},
    "per_tensor": {"per_channel": False},
    "wide_k_float64_path": {"cin": 130, "k": (3, 3), "cout": 4, "hw": (5, 5)},  # K > 1024
}


@pytest.mark.parametrize("case", list(CASES))
def test_int8(case):
    model = conv_model(**CASES[case])
    check_tensors(model, random_input(model, 12))


def test_int8_without_bias_tflm():
    """litert refuses an int8 CONV_2D without bias ("Tensor at index 2 was optional but was
    expected"); TFLM runs it."""
    model = conv_model(bias=False)
    check_tensors(model, random_input(model, 12), modes=("tflm",))


@pytest.mark.parametrize("fused", list(FUSED))
def test_int8_fused_activations(fused):
    model = conv_model(fused=fused, stride=(2, 2))
    check_tensors(model, random_input(model, 12, seed=1))


@pytest.mark.parametrize("case", ["same_3x3", "stride2_same_odd", "dilation2_same", "1x1"])
def test_float32(case):
    model = conv_model(**CASES[case], dtype="float32", fused="RELU6")
    check_tensors(model, random_input(model, 6), atol=1e-5)


def test_litert_convolution_uses_double_rounding():
    """The measured fact REQUANTIZATION rests on: litert's int8 CONV_2D is not single-rounded
    (single rounding, fixedpoint "litert", is off by one somewhere on these rows)."""
    from runtime_testkit import litert_tensors

    from tinyflash.runtime.ops import conv_2d

    model = conv_model(hw=(16, 16), cin=8, cout=16)
    x = random_input(model, 40)
    want = litert_tensors(model, x)["y"]
    m = rt.load(model, rounding="litert")
    np.testing.assert_array_equal(m(x), want)
    assert conv_2d.REQUANTIZATION["litert"] == "tflm"
    p = m.params[0]
    cols = conv_2d.im2col(x, p.window, p.pad_value).astype(np.int64)
    acc = cols @ p.fc.weights.astype(np.int64).T + p.fc.offset
    from tinyflash.runtime import fixedpoint

    single = fixedpoint.multiply_by_quantized_multiplier(
        acc, p.fc.multipliers, p.fc.shifts, "litert"
    )
    single = np.clip(single + p.fc.output_zero_point, -128, 127).reshape(want.shape)
    assert np.any(single != want)


def test_grouped_convolution_is_refused_in_words():
    model = conv_model(cin=4)
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    m = s.ModelT.InitFromPackedBuf(bytearray(model), 0)
    m.subgraphs[0].tensors[0].shape = [1, 9, 7, 8]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    with pytest.raises(rt.UnsupportedOperatorError, match="CONV_2D: input channels 8"):
        rt.load(bytes(b.Output()))


def test_a_declared_output_shape_the_window_does_not_give_is_an_error():
    import flatbuffers

    m = schema.ModelT.InitFromPackedBuf(bytearray(conv_model(stride=(2, 2))), 0)
    m.subgraphs[0].tensors[-1].shape = [1, 9, 7, 5]  # stride 2 gives 5 x 4
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    with pytest.raises(rt.ModelFormatError, match=r"CONV_2D: output declared \(1, 9, 7, 5\)"):
        rt.load(bytes(b.Output()))
