"""MUL single-operator models against TFLM and ai-edge-litert BUILTIN_REF, both rounding modes:
equal shapes, broadcast of a per-channel constant (a standalone BatchNormalization) and of a
per-pixel constant, an activation times itself, fused activations; float within 1e-5."""

import numpy as np
import pytest
from runtime_testkit import FUSED, binary_model, check_tensors, random_input, two_input_model

CASES = {
    "equal_shapes": ((1, 5, 4, 6), (1, 5, 4, 6)),
    "broadcast_channel": ((1, 5, 4, 6), (1, 1, 1, 6)),
    "broadcast_pixel": ((1, 5, 4, 6), (1, 5, 4, 1)),
    "broadcast_lower_rank": ((1, 5, 4, 6), (6,)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_int8(case):
    model = binary_model("MUL", *CASES[case], qy=(0.05, 4))
    check_tensors(model, random_input(model, 100))


@pytest.mark.parametrize("fused", list(FUSED))
def test_int8_fused(fused):
    model = binary_model("MUL", (1, 3, 3, 4), (1, 3, 3, 4), qy=(0.03, -7), fused=fused)
    check_tensors(model, random_input(model, 100, seed=2))


def test_int8_square_of_an_activation():
    model = two_input_model("MUL", (1, 4, 4, 8), (0.05, -3), (0.05, -3), (0.2, -100))
    check_tensors(model, random_input(model, 100))


@pytest.mark.parametrize("case", ["equal_shapes", "broadcast_channel"])
def test_float32(case):
    model = binary_model("MUL", *CASES[case], dtype="float32", fused="RELU6")
    check_tensors(model, random_input(model, 6), atol=1e-5)


def test_litert_mul_uses_double_rounding(monkeypatch):
    """The measured fact behind REQUANTIZATION: litert's int8 MUL is exact with double
    rounding, and single rounding (fixedpoint "litert") is off somewhere on these rows."""
    from runtime_testkit import litert_tensors

    import tinyflash.runtime as rt
    from tinyflash.runtime.ops import mul

    model = binary_model("MUL", (1, 4, 4, 8), (1, 4, 4, 8), qy=(0.03, -7))
    x = random_input(model, 100)
    want = litert_tensors(model, x)["y"]
    assert mul.REQUANTIZATION["litert"] == "tflm"
    np.testing.assert_array_equal(rt.load(model, rounding="litert")(x), want)
    monkeypatch.setitem(mul.REQUANTIZATION, "litert", "litert")
    assert np.any(rt.load(model, rounding="litert")(x) != want)
