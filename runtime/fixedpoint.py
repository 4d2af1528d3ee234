"""All of the runtime's integer arithmetic, in one place, vectorised over int64 numpy arrays.

Every function works on int64 arrays that hold int32 values (the C++ works on int32_t) and
states, then asserts, the range contract its C++ counterpart relies on. Rounding is always
named:

- "half away from zero": std::round / TfLiteRound (see quantize.round_half_away_from_zero).
- "gemmlowp": SaturatingRoundingDoublingHighMul rounds the 64-bit product to nearest with ties
  toward +infinity, and RoundingDivideByPOT is a rounding right shift with ties away from zero.
- ROUNDING MODES of `multiply_by_quantized_multiplier` (the requantization step):
  "tflm":   gemmlowp DOUBLE rounding: round(x * m / 2^31), then a second rounding shift.
            TensorFlow Lite Micro's reference kernels, CMSIS-NN, tflite-runtime <= 2.14.
  "litert": SINGLE rounding: (x * m + 2^(30 - shift)) >> (31 - shift), ties toward +inf.
            ai-edge-litert 2.3's kernels, built with TFLITE_SINGLE_ROUNDING.

Semantics follow tflite-micro `kernels/internal/common.{h,cc}`, `quantization_util.cc` and
gemmlowp `fixedpoint/fixedpoint.h`; the code is our own. int32 additions that the C++ lets wrap
are wrapped explicitly (`wrap_int32`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "INT32_MAX",
    "INT32_MIN",
    "ROUNDINGS",
    "calculate_input_radius",
    "count_leading_zeros_u32",
    "exp_on_negative_values",
    "logistic_q0",
    "multiply_by_quantized_multiplier",
    "multiply_by_quantized_multiplier_greater_than_one",
    "one_over_one_plus_x_for_x_in_0_1",
    "quantize_multiplier",
    "quantize_multiplier_greater_than_one",
    "Requantizer",
    "requantize",
    "requantizer",
    "rounding_divide_by_pot",
    "rounding_half_sum",
    "saturating_left_shift",
    "saturating_rounding_doubling_high_mul",
    "tanh_q0",
    "wrap_int32",
]

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
ROUNDINGS = ("tflm", "litert")


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def _assert_int32(name: str, x: np.ndarray) -> None:
    if x.size and (x.min() < INT32_MIN or x.max() > INT32_MAX):
        raise AssertionError(f"{name}: values must fit int32, found [{x.min()}, {x.max()}]")
    # (a min/max pass per call: cheap next to the arithmetic it guards)


def _check_rounding(rounding: str) -> None:
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {ROUNDINGS}, found {rounding!r}")


def wrap_int32(x) -> np.ndarray:
    """Two's-complement wrap of int64 values to int32 (what int32_t `+`/`-` do on overflow)."""
    return ((_i64(x) + 2**31) & 0xFFFFFFFF) - 2**31


# --- quantization constants (computed once, at prepare time, in double like the C++) ---------


def quantize_multiplier(real: float, rounding: str = "tflm") -> tuple[int, int]:
    """real multiplier (double, >= 0) -> (int32 multiplier in [2^30, 2^31), shift): TFLite's
    QuantizeMultiplier. real == multiplier * 2^(shift - 31).

    frexp gives real = q * 2^shift with q in [0.5, 1); multiplier = round_half_away(q * 2^31);
    q rounding up to 2^31 is renormalised; shift < -31 flushes to (0, 0). With single rounding
    ("litert") a shift > 30 saturates to (2^31 - 1, 30), as TFLITE_SINGLE_ROUNDING does.
    """
    _check_rounding(rounding)
    real = float(real)
    if not (math.isfinite(real) and real >= 0.0):
        raise ValueError(f"quantize_multiplier: real must be finite and >= 0, found {real!r}")
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = int(math.floor(q * 2.0**31 + 0.5))  # exact in double: q * 2^31 < 2^31
    assert q_fixed <= 2**31
    if q_fixed == 2**31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if rounding == "litert" and shift > 30:
        return INT32_MAX, 30
    assert q_fixed <= INT32_MAX
    return q_fixed, shift


def quantize_multiplier_greater_than_one(real: float, rounding: str = "tflm") -> tuple[int, int]:
    """QuantizeMultiplierGreaterThanOne: quantize_multiplier with the contract shift >= 0."""
    m, shift = quantize_multiplier(real, rounding)
    if shift < 0:
        raise ValueError(f"multiplier {real!r} must be >= 1 (found shift {shift})")
    return m, shift


def calculate_input_radius(input_integer_bits: int, input_left_shift: int, total_bits=31) -> int:
    """CalculateInputRadius: the largest |input| whose rescaled value stays representable,
    floor((2^ib - 1) * 2^(total_bits - ib) / 2^input_left_shift), computed in double."""
    value = (
        1.0
        * ((1 << input_integer_bits) - 1)
        * (1 << (total_bits - input_integer_bits))
        / (1 << input_left_shift)
    )
    return int(math.floor(value))


# --- gemmlowp primitives ------------------------------------------------------------------------


def saturating_rounding_doubling_high_mul(a, b) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul (ARM VQRDMULH) on int32 values:
    round(a * b / 2^31) with ties toward +infinity; INT32_MIN * INT32_MIN saturates to INT32_MAX.

    The C++ adds a nudge of 2^30 (or 1 - 2^30 when a*b < 0) and divides truncating toward zero;
    for every int64 product that equals floor((a*b + 2^30) / 2^31), computed here in one shift.
    """
    a, b = _i64(a), _i64(b)
    _assert_int32("srdhm a", a)
    _assert_int32("srdhm b", b)
    high = (a * b + (1 << 30)) >> 31  # |a*b| <= 2^62: exact in int64
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    return np.where(overflow, INT32_MAX, high) if overflow.any() else high


def rounding_divide_by_pot(x, exponent) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero.
    x: int32 values; exponent: int or array broadcastable with x, each in [0, 31].

    gemmlowp adds 1 when the remainder exceeds half the divisor (minus one for x >= 0); that is
    floor((x + 2^(e-1) - [x < 0]) / 2^e) for e >= 1, and x itself for e == 0.
    """
    x, e = _i64(x), _i64(exponent)
    _assert_int32("rounding_divide_by_pot x", x)
    assert e.size == 0 or (e.min() >= 0 and e.max() <= 31), f"exponent out of [0, 31]: {e}"
    half = (np.int64(1) << e) >> 1
    return (x + half - ((x < 0) & (e > 0))) >> e


def saturating_left_shift(x, exponent: int) -> np.ndarray:
    """gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for exponent >= 0 on int32 values:
    x * 2^exponent saturated to the int32 range (negative exponents: rounding_divide_by_pot)."""
    assert 0 <= exponent < 31
    x = _i64(x)
    if exponent == 0:
        return x
    threshold = (1 << (31 - exponent)) - 1
    shifted = wrap_int32(x << exponent)
    return np.where(x > threshold, INT32_MAX, np.where(x < -threshold, INT32_MIN, shifted))


def rescale(x, src_integer_bits: int, dst_integer_bits: int) -> np.ndarray:
    """gemmlowp Rescale<dst>(FixedPoint<int32, src>): change the number of integer bits."""
    exponent = src_integer_bits - dst_integer_bits
    if exponent >= 0:
        return saturating_left_shift(x, exponent)
    return rounding_divide_by_pot(x, -exponent)


def rounding_half_sum(a, b) -> np.ndarray:
    """gemmlowp RoundingHalfSum for int32: (a + b + sign(a + b)) / 2, truncating division."""
    s = _i64(a) + _i64(b)
    t = s + np.where(s >= 0, 1, -1)
    return np.where(t >= 0, t >> 1, -((-t) >> 1))


def count_leading_zeros_u32(x) -> np.ndarray:
    """Leading zero bits of x viewed as uint32 (32 for 0). x: int64 in [0, 2^32)."""
    x = _i64(x)
    assert x.size == 0 or (x.min() >= 0 and x.max() < 2**32)
    # frexp of an integer below 2^53 is exact: x = m * 2^k with m in [0.5, 1), k = bit length
    return 32 - np.frexp(x.astype(np.float64))[1].astype(np.int64)


# --- requantization: the one place the two rounding modes differ --------------------------------


def multiply_by_quantized_multiplier(x, multiplier, shift, rounding: str) -> np.ndarray:
    """Requantize int32 values: x * multiplier * 2^(shift - 31), rounded per `rounding`.

    x: int32 values (int64 array); multiplier: [0, 2^31) and shift: [-31, 30], scalars or arrays
    broadcastable with x (per-channel along the last axis). Modes: see module docstring.
    "tflm" also requires x * 2^max(shift, 0) to fit int32 (the C++ computes it in int32).
    """
    _check_rounding(rounding)
    x, m, s = _i64(x), _i64(multiplier), _i64(shift)
    _assert_int32("mbqm x", x)
    assert m.size == 0 or (m.min() >= 0 and m.max() <= INT32_MAX), "multiplier out of range"
    assert s.size == 0 or (s.min() >= -31 and s.max() <= 30), "shift out of [-31, 30]"
    if rounding == "litert":
        total_shift = 31 - s
        return (x * m + (np.int64(1) << (total_shift - 1))) >> total_shift
    left = np.maximum(s, 0)
    right = np.maximum(-s, 0)
    scaled = x << left
    _assert_int32("mbqm x << left_shift", scaled)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(scaled, m), right)


def multiply_by_quantized_multiplier_greater_than_one(x, multiplier, left_shift, rounding: str):
    """MultiplyByQuantizedMultiplierGreaterThanOne (shift >= 0): "tflm" is
    srdhm(x * 2^left_shift, multiplier); "litert" (single rounding) is the general single-rounding
    multiply_by_quantized_multiplier, exactly as TFLITE_SINGLE_ROUNDING defines it."""
    assert np.all(_i64(left_shift) >= 0)
    if rounding == "litert":
        return multiply_by_quantized_multiplier(x, multiplier, left_shift, "litert")
    _check_rounding(rounding)
    scaled = _i64(x) << _i64(left_shift)
    _assert_int32("mbqm_gt1 x << left_shift", scaled)
    return saturating_rounding_doubling_high_mul(scaled, multiplier)


@dataclass(frozen=True, eq=False)
class Requantizer:
    """multiply_by_quantized_multiplier prepared once for the kernels' hot path: the same
    values, with its contract checked at construction (`requantizer`) on the parameters and on
    a bound of the accumulators instead of on every element. Call it on an int64 array."""

    multiplier: np.ndarray  # int64, scalar or per channel
    rounding: str
    left: np.ndarray | None  # "tflm": per-channel left shifts (None if all 0)
    right: np.ndarray | None  # "tflm": right shifts (None if all 0)
    add: np.ndarray  # the rounding nudge before the final shift ("litert") / 2^30 ("tflm")
    total: np.ndarray  # "litert": 31 - shift

    def __call__(self, acc: np.ndarray) -> np.ndarray:
        """acc: int64 array, |acc| <= the bound given to `requantizer` -> a new int64 array."""
        if self.rounding == "litert":
            t = acc * self.multiplier
            t += self.add
            t >>= self.total
            return t
        # srdhm: (a * b + 2^30) >> 31, exact in int64, never saturating (m < 2^31)
        t = (acc << self.left if self.left is not None else acc) * self.multiplier
        t += self.add
        t >>= 31
        if self.right is not None:  # rounding_divide_by_pot: ties away from zero
            t += ((np.int64(1) << self.right) >> 1) - ((t < 0) & (self.right > 0))
            t >>= self.right
        return t


def requantizer(multiplier, shift, rounding: str, bound: int) -> Requantizer:
    """A Requantizer for x * multiplier * 2^(shift - 31) in `rounding` mode on accumulators the
    caller has bounded by |x| <= bound. multiplier / shift: scalars or per-channel arrays
    broadcastable with the accumulators (last axis). Asserts multipliers in [0, 2^31), shifts in
    [-31, 30] and bound * 2^max(shift, 0) < 2^31 (x and, for "tflm", x << shift fit int32)."""
    _check_rounding(rounding)
    m, sh = _i64(multiplier), _i64(shift)
    assert m.size == 0 or (m.min() >= 0 and m.max() <= INT32_MAX), "multiplier out of range"
    assert sh.size == 0 or (sh.min() >= -31 and sh.max() <= 30), "shift out of [-31, 30]"
    assert (bound << int(max(sh.max(initial=0), 0))) <= INT32_MAX, f"bound {bound} too large"
    total = 31 - sh
    if rounding == "litert":
        return Requantizer(m, rounding, None, None, np.int64(1) << (total - 1), total)
    left, right = np.maximum(sh, 0), np.maximum(-sh, 0)
    return Requantizer(
        m,
        rounding,
        left if left.any() else None,
        right if right.any() else None,
        np.asarray(1 << 30, np.int64),
        total,
    )


def requantize(acc: np.ndarray, multiplier, shift, rounding: str, bound: int) -> np.ndarray:
    """requantizer(multiplier, shift, rounding, bound)(acc): for one-off calls."""
    return requantizer(multiplier, shift, rounding, bound)(acc)


# --- gemmlowp transcendental functions on FixedPoint<int32, integer_bits> raw values ----------

_EXP_BARREL = (
    (-2, 1672461947),
    (-1, 1302514674),
    (0, 790015084),
    (1, 290630308),
    (2, 39332535),
    (3, 720401),
    (4, 242),
)  # exp(-2^k) in Q0.31
_ONE_Q0 = INT32_MAX  # FixedPoint<int32, 0>::One()


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a: np.ndarray) -> np.ndarray:
    """exp(a) for a in [-1/4, 0), Q0.31 in and out: 4th-order Taylor expansion around -1/8."""
    srdhm = saturating_rounding_doubling_high_mul
    constant_term = 1895147668  # exp(-1/8)
    constant_1_over_3 = 715827883
    x = wrap_int32(a + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = rounding_divide_by_pot(x4, 2)
    poly = rounding_divide_by_pot(
        wrap_int32(srdhm(wrap_int32(x4_over_4 + x3), constant_1_over_3) + x2), 1
    )
    return wrap_int32(constant_term + srdhm(constant_term, wrap_int32(x + poly)))


def exp_on_negative_values(a, integer_bits: int) -> np.ndarray:
    """gemmlowp exp_on_negative_values: exp(a) for a <= 0 given as FixedPoint<int32, ib> raw
    values; returns Q0.31 raw values (exp(0) -> INT32_MAX)."""
    a = _i64(a)
    _assert_int32("exp a", a)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_one_quarter = wrap_int32((a & (one_quarter - 1)) - one_quarter)
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0)
    )
    remainder = wrap_int32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = np.int64(1) << (fractional_bits + exponent)
            result = np.where(
                (remainder & bit) != 0,
                saturating_rounding_doubling_high_mul(result, multiplier),
                result,
            )
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, _ONE_Q0, result)


def _newton_reciprocal_q2(half_denominator: np.ndarray) -> np.ndarray:
    """Three Newton-Raphson steps for 1 / half_denominator; returns a Q2.29 raw value."""
    srdhm = saturating_rounding_doubling_high_mul
    one_q2 = 1 << 29
    x = wrap_int32(1515870810 + srdhm(half_denominator, -1010580540))  # 48/17 - 32/17 * d
    for _ in range(3):
        one_minus_dx = wrap_int32(one_q2 - srdhm(half_denominator, x))
        x = wrap_int32(x + rescale(srdhm(x, one_minus_dx), 4, 2))
    return x


def one_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """gemmlowp: 1 / (1 + a) for a in (0, 1), Q0.31 raw in and out."""
    x = _newton_reciprocal_q2(rounding_half_sum(a, _ONE_Q0))
    return rescale(x, 1, 0)  # ExactMulByPot<-1> then Rescale<0>


def _one_minus_x_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    x = _newton_reciprocal_q2(rounding_half_sum(a, _ONE_Q0))
    return rescale(wrap_int32(x - (1 << 29)), 2, 0)


def logistic_q0(a, integer_bits: int) -> np.ndarray:
    """gemmlowp logistic: 1 / (1 + exp(-a)), a as FixedPoint<int32, ib> raw, result Q0.31 raw."""
    a = _i64(a)
    positive = a > 0
    abs_a = np.where(positive, a, wrap_int32(-a))
    if_positive = one_over_one_plus_x_for_x_in_0_1(
        exp_on_negative_values(wrap_int32(-abs_a), integer_bits)
    )
    if_negative = wrap_int32(_ONE_Q0 - if_positive)
    return np.where(a == 0, 1 << 30, np.where(positive, if_positive, if_negative))


def tanh_q0(a, integer_bits: int) -> np.ndarray:
    """gemmlowp tanh, a as FixedPoint<int32, ib> raw, result Q0.31 raw."""
    a = _i64(a)
    negative = a < 0
    n = np.where(negative, a, wrap_int32(-a))
    # neg_tanh_on_negative_values: exp of 2n (ExactMulByPot<1>: same raw, one more integer bit)
    t = _one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1))
    return np.where(a == 0, 0, np.where(negative, wrap_int32(-t), t))
