"""ADD single-operator models against TFLM and ai-edge-litert BUILTIN_REF, both rounding modes:
equal shapes with different input scales, broadcast of a per-channel constant and of a
per-pixel constant, fused activations; float within 1e-5 (bit-exact in practice)."""

import numpy as np
import pytest
from runtime_testkit import FUSED, binary_model, check_tensors, random_input, two_input_model

CASES = {
    "equal_shapes": ((1, 5, 4, 6), (1, 5, 4, 6)),
    "broadcast_channel": ((1, 5, 4, 6), (1, 1, 1, 6)),
    "broadcast_pixel": ((1, 5, 4, 6), (1, 5, 4, 1)),
    "broadcast_lower_rank": ((1, 5, 4, 6), (6,)),
    "dense": ((1, 10), (1, 10)),
    "broadcast_both": ((1, 5, 1, 6), (1, 1, 4, 1)),  # the first input smaller than the output
}


@pytest.mark.parametrize("case", list(CASES))
def test_int8(case):
    model = binary_model("ADD", *CASES[case])
    check_tensors(model, random_input(model, 100))


@pytest.mark.parametrize("scales", [(0.05, 0.05, 0.1), (0.003, 0.2, 0.2), (0.2, 0.003, 0.01)])
def test_int8_input_scales(scales):
    qa, qb, qy = (scales[0], 5), (scales[1], -20), (scales[2], -1)
    model = binary_model("ADD", (1, 4, 4, 8), (1, 1, 1, 8), qa, qb, qy)
    check_tensors(model, random_input(model, 100))


@pytest.mark.parametrize("fused", list(FUSED))
def test_int8_fused(fused):
    model = binary_model("ADD", (1, 3, 3, 4), (1, 3, 3, 4), fused=fused)
    check_tensors(model, random_input(model, 100, seed=2))


def test_int8_residual_of_two_activations():
    """Both inputs computed (the residual block's form), not one constant."""
    model = two_input_model("ADD", (1, 4, 4, 8), (0.05, -3), (0.05, -3), (0.09, 2), "RELU")
    check_tensors(model, random_input(model, 100))


@pytest.mark.parametrize("case", ["equal_shapes", "broadcast_channel"])
def test_float32(case):
    model = binary_model("ADD", *CASES[case], dtype="float32", fused="RELU6")
    check_tensors(model, random_input(model, 6), atol=1e-5)


def test_litert_add_uses_double_rounding(monkeypatch):
    """The measured fact behind REQUANTIZATION: litert's int8 ADD is exact with double
    rounding, and single rounding (fixedpoint "litert") is off somewhere on these rows."""
    from runtime_testkit import litert_tensors

    import tinyflash.runtime as rt
    from tinyflash.runtime.ops import add

    model = binary_model("ADD", (1, 4, 4, 8), (1, 4, 4, 8), qy=(0.03, -7))
    x = random_input(model, 100)
    want = litert_tensors(model, x)["y"]
    assert add.REQUANTIZATION["litert"] == "tflm"
    np.testing.assert_array_equal(rt.load(model, rounding="litert")(x), want)
    monkeypatch.setitem(add.REQUANTIZATION, "litert", "litert")
    assert np.any(rt.load(model, rounding="litert")(x) != want)
