"""tinyflash.runtime.fixedpoint against exact rational arithmetic (Python ints / Fractions).

Bit-exactness against the real kernels is proven end to end in test_parity.py (TFLM and
ai-edge-litert on whole models); here each primitive is checked against its stated contract.
"""

import math
from fractions import Fraction

import numpy as np
import pytest

from tinyflash.runtime import fixedpoint as fp

RNG = np.random.default_rng(1234)
INT32 = np.concatenate(
    [
        RNG.integers(fp.INT32_MIN, fp.INT32_MAX, 20000, endpoint=True),
        [fp.INT32_MIN, fp.INT32_MIN + 1, -1, 0, 1, fp.INT32_MAX],
    ]
)


def _round_half_away(fr: Fraction) -> int:
    n = math.floor(abs(fr) + Fraction(1, 2))
    return n if fr >= 0 else -n


def _round_half_up(fr: Fraction) -> int:
    return math.floor(fr + Fraction(1, 2))


def test_srdhm_is_rounded_product_over_2_31():
    a, b = INT32, RNG.permutation(INT32)
    got = fp.saturating_rounding_doubling_high_mul(a, b)
    for ai, bi, gi in zip(a[:3000].tolist(), b[:3000].tolist(), got[:3000].tolist(), strict=True):
        if ai == bi == fp.INT32_MIN:
            assert gi == fp.INT32_MAX
        else:
            assert gi == _round_half_up(Fraction(ai * bi, 2**31))  # VQRDMULH: ties up
    assert fp.saturating_rounding_doubling_high_mul(fp.INT32_MIN, fp.INT32_MIN) == fp.INT32_MAX
    # exact ties: +-0.5 and +-1.5 (a * b = +-2^30, +-3 * 2^30)
    ties = fp.saturating_rounding_doubling_high_mul(
        [2**15, -(2**15), 3 * 2**15, -3 * 2**15], [2**15, 2**15, 2**15, 2**15]
    )
    np.testing.assert_array_equal(ties, [1, 0, 2, -1])


@pytest.mark.parametrize("exponent", [0, 1, 5, 12, 23, 31])
def test_rounding_divide_by_pot_rounds_half_away(exponent):
    values = np.concatenate([INT32, np.arange(-40, 41) * (1 << max(exponent - 1, 0))])
    values = values[(values >= fp.INT32_MIN) & (values <= fp.INT32_MAX)]
    got = fp.rounding_divide_by_pot(values, exponent)
    want = [_round_half_away(Fraction(v, 2**exponent)) for v in values.tolist()]
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "real",
    [
        1e-9,
        0.00012345,
        0.25,
        0.5,
        0.7071067811865476,
        0.9999999999,
        1.0,
        3.5,
        1234.5678,
        2.0**-31,
        2.0**-33,
    ],
)
@pytest.mark.parametrize("rounding", fp.ROUNDINGS)
def test_quantize_multiplier_represents_real(real, rounding):
    m, shift = fp.quantize_multiplier(real, rounding)
    if shift == 0 and m == 0:
        assert real < 2.0**-31
        return
    assert 2**30 <= m <= fp.INT32_MAX
    assert abs(m * 2.0 ** (shift - 31) - real) <= 2.0 ** (shift - 32)


def test_quantize_multiplier_renormalises_rounding_up_to_one():
    m, shift = fp.quantize_multiplier(1.0 - 2.0**-40)
    assert (m, shift) == (2**30, 1)


def test_mbqm_modes_against_exact_rationals():
    x = RNG.integers(-(2**24), 2**24, 5000)
    m = RNG.integers(2**30, 2**31 - 1, 5000)
    s = RNG.integers(-20, 1, 5000)
    tflm = fp.multiply_by_quantized_multiplier(x, m, s, "tflm")
    litert = fp.multiply_by_quantized_multiplier(x, m, s, "litert")
    for xi, mi, si, t, lt in zip(
        x.tolist(), m.tolist(), s.tolist(), tflm.tolist(), litert.tolist(), strict=True
    ):
        exact = Fraction(xi * mi, 2 ** (31 - si))
        assert lt == math.floor(exact + Fraction(1, 2))  # single rounding, ties up
        first = _round_half_up(Fraction(xi * mi, 2**31))  # double rounding
        assert t == _round_half_away(Fraction(first, 2 ** (-si)))
    assert np.abs(tflm - litert).max() == 1  # the modes disagree, by at most one LSB


def test_mbqm_rejects_contract_violations():
    with pytest.raises(AssertionError):
        fp.multiply_by_quantized_multiplier(np.array([2**31]), 2**30, 0, "tflm")
    with pytest.raises(AssertionError):
        fp.multiply_by_quantized_multiplier(np.array([1]), 2**30, 31, "tflm")
    with pytest.raises(ValueError):
        fp.multiply_by_quantized_multiplier(np.array([1]), 2**30, 0, "nearest")


def test_transcendentals_are_close_to_the_real_functions():
    # Accuracy sanity only: bit-exactness comes from the parity tests against TFLM.
    a = np.linspace(-(2**31) + 1, 0, 4001).astype(np.int64)  # Q5.26 in [-32, 0]
    e = fp.exp_on_negative_values(a, 5) / 2**31
    np.testing.assert_allclose(e, np.exp(a / 2**26), atol=2e-7)
    z = np.linspace(-(2**31) + 1, 2**31 - 1, 4001).astype(np.int64)  # Q4.27 in [-16, 16]
    np.testing.assert_allclose(
        fp.logistic_q0(z, 4) / 2**31, 1 / (1 + np.exp(-z / 2**27)), atol=2e-7
    )
    np.testing.assert_allclose(fp.tanh_q0(z, 4) / 2**31, np.tanh(z / 2**27), atol=4e-7)
    x = np.linspace(1, 2**31 - 1, 4001).astype(np.int64)
    np.testing.assert_allclose(
        fp.one_over_one_plus_x_for_x_in_0_1(x) / 2**31, 1 / (1 + x / 2**31), atol=2e-8
    )


def test_count_leading_zeros():
    v = np.array([0, 1, 2, 3, 2**31 - 1, 2**31, 2**32 - 1] + [2**k for k in range(32)])
    want = [32, 31, 30, 30, 1, 0, 0] + [31 - k for k in range(32)]
    np.testing.assert_array_equal(fp.count_leading_zeros_u32(v), want)


@pytest.mark.parametrize("rounding", fp.ROUNDINGS)
def test_requantize_equals_multiply_by_quantized_multiplier(rounding):
    """The hot-path requantize gives the checked function's values (per-channel shifts of both
    signs, every bound up to int32, ties included via small accumulators)."""
    rng = np.random.default_rng(7)
    m = rng.integers(2**30, 2**31, 16)
    shifts = rng.integers(-31, 3, 16)
    shifts[:3] = [0, -1, 2]
    bound = (2**31 - 1) >> int(max(shifts.max(), 0))
    acc = rng.integers(-bound, bound + 1, (500, 16))
    acc[:50] = rng.integers(-300, 300, (50, 16))
    acc[50] = bound
    acc[51] = -bound
    want = fp.multiply_by_quantized_multiplier(acc, m, shifts, rounding)
    np.testing.assert_array_equal(fp.requantize(acc, m, shifts, rounding, bound), want)
    with pytest.raises(AssertionError):
        fp.requantize(acc, m, shifts, rounding, bound * 8)
