"""DEPTHWISE_CONV_2D single-operator models against TFLM and ai-edge-litert BUILTIN_REF, every
output byte in both rounding modes: depth multiplier 1 and 2, stride 2 SAME on odd sizes,
dilation 2, VALID, fused activations, per-tensor filters; float32 within 1e-5."""

import math

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from runtime_testkit import act_t, bias_t, check_tensors, filter_t, one_op, random_input

import tinyflash.runtime as rt

FUSED = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}
PAD = {"SAME": 0, "VALID": 1}


def dw_model(
    hw=(9, 7),
    cin=4,
    mult=1,
    k=(3, 3),
    stride=(1, 1),
    dilation=(1, 1),
    padding="SAME",
    fused="NONE",
    per_channel=True,
    dtype="int8",
    seed=0,
):
    rng = np.random.default_rng(seed)
    o = schema.DepthwiseConv2DOptionsT()
    o.padding, o.fusedActivationFunction = PAD[padding], FUSED[fused]
    o.strideH, o.strideW = stride
    o.dilationHFactor, o.dilationWFactor = dilation
    o.depthMultiplier = mult
    eh, ew = ((k[0] - 1) * dilation[0] + 1, (k[1] - 1) * dilation[1] + 1)
    if padding == "SAME":
        out_hw = (math.ceil(hw[0] / stride[0]), math.ceil(hw[1] / stride[1]))
    else:
        out_hw = ((hw[0] - eh) // stride[0] + 1, (hw[1] - ew) // stride[1] + 1)
    cout = cin * mult
    in_q = None if dtype == "float32" else (0.031, 5)
    out_q = None if dtype == "float32" else (0.0035 * math.sqrt(k[0] * k[1]) * 4, -3)
    w = filter_t(rng, "w", (1, *k, cout), 3, per_channel, dtype)
    b = bias_t(rng, "b", 0.031, w)
    x = act_t("x", (1, *hw, cin), in_q)
    y = act_t("y", (1, *out_hw, cout), out_q)
    return one_op(
        "DEPTHWISE_CONV_2D", [x, w, b], y, o, schema.BuiltinOptions.DepthwiseConv2DOptions
    )


CASES = {
    "same_3x3": {},
    "multiplier_2": {"mult": 2},
    "multiplier_2_stride2_same_odd": {"mult": 2, "stride": (2, 2)},
    "stride2_same_odd": {"stride": (2, 2), "hw": (9, 7)},
    "stride2_valid": {"stride": (2, 2), "padding": "VALID"},
    "dilation2_same": {"dilation": (2, 2)},
    "dilation2_valid": {"dilation": (2, 2), "padding": "VALID", "hw": (11, 9)},
    "5x5": {"k": (5, 5), "cin": 8},
    "per_tensor": {"per_channel": False},
    "one_channel_multiplier_3": {"cin": 1, "mult": 3},
}


@pytest.mark.parametrize("case", list(CASES))
def test_int8(case):
    model = dw_model(**CASES[case])
    check_tensors(model, random_input(model, 12))


@pytest.mark.parametrize("fused", list(FUSED))
def test_int8_fused_activations(fused):
    model = dw_model(fused=fused, mult=2, stride=(2, 2))
    check_tensors(model, random_input(model, 12, seed=1))


@pytest.mark.parametrize("case", ["same_3x3", "multiplier_2_stride2_same_odd", "dilation2_same"])
def test_float32(case):
    model = dw_model(**CASES[case], dtype="float32", fused="RELU6")
    check_tensors(model, random_input(model, 6), atol=1e-5)


def test_litert_depthwise_uses_double_rounding(monkeypatch):
    """litert's int8 DEPTHWISE_CONV_2D is exact with double rounding and not with single."""
    from runtime_testkit import litert_tensors

    from tinyflash.runtime.ops import depthwise_conv_2d

    model = dw_model(hw=(16, 16), cin=16)
    x = random_input(model, 40)
    want = litert_tensors(model, x)["y"]
    assert depthwise_conv_2d.REQUANTIZATION["litert"] == "tflm"
    np.testing.assert_array_equal(rt.load(model, rounding="litert")(x), want)
    monkeypatch.setitem(depthwise_conv_2d.REQUANTIZATION, "litert", "litert")
    assert np.any(rt.load(model, rounding="litert")(x) != want)


def test_wrong_depth_multiplier_option_is_an_error():
    import flatbuffers

    m = schema.ModelT.InitFromPackedBuf(bytearray(dw_model(mult=2)), 0)
    m.subgraphs[0].operators[0].builtinOptions.depthMultiplier = 3
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    with pytest.raises(rt.ModelFormatError, match="depth_multiplier option 3 but the filter"):
        rt.load(bytes(b.Output()))
