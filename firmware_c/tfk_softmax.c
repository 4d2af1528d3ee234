/* SOFTMAX int8 -> int8 exactly as TFLM (and LiteRT's reference kernel) compute it:
 * tflite::reference_ops::Softmax on gemmlowp fixed point. exp(x - max) is evaluated in Q5.26
 * by exp_on_negative_values, summed in Q12.19, inverted by gemmlowp's Newton-Raphson
 * one_over_one_plus_x_for_x_in_0_1, and each output rounded to 1/256 steps.
 * Q-formats: "Qm" below means a gemmlowp FixedPoint<int32_t, m> (m integer bits).
 */
#include "tfk_kernels.h"

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for exponent > 0: saturating x * 2^e. */
TFK_FN int32_t tfk__sat_shl(int32_t x, int32_t exponent) {
  const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
  if (x > threshold) {
    return INT32_MAX;
  }
  if (x < -threshold) {
    return INT32_MIN;
  }
  return (int32_t)((uint32_t)x << exponent);
}

/* gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl: Q0 in [-1/4, 0) -> Q0. */
TFK_FN int32_t tfk__exp_quarter(int32_t a) {
  const int32_t constant_term = 1895147668;    /* exp(-1/8) */
  const int32_t constant_1_over_3 = 715827883; /* 1/3 */
  const int32_t x = a + (1 << 28);             /* a + 1/8 */
  const int32_t x2 = tfk_srdhm(x, x);
  const int32_t x3 = tfk_srdhm(x2, x);
  const int32_t x4 = tfk_srdhm(x2, x2);
  const int32_t x4_over_4 = tfk_rdbpot(x4, 2);
  const int32_t poly = tfk_rdbpot(tfk_srdhm(x4_over_4 + x3, constant_1_over_3) + x2, 1);
  return constant_term + tfk_srdhm(constant_term, x + poly);
}

/* gemmlowp exp_on_negative_values: Q5 a <= 0 -> Q0 exp(a). */
TFK_FN int32_t tfk__exp_negative(int32_t a) {
  /* exp(-2^k) for k = -2..4 in Q0: applied for each set bit of the remainder (barrel shifter). */
  static const int32_t multipliers[7] = {1672461947, 1302514674, 790015084, 290630308,
                                         39332535,   720401,     242};
  const int32_t one_quarter = 1 << 24;
  const int32_t a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter;
  const int32_t remainder = a_mod_quarter_minus_one_quarter - a;
  int32_t result = tfk__exp_quarter(tfk__sat_shl(a_mod_quarter_minus_one_quarter, 5));
  int32_t k;
  for (k = 0; k < 7; k++) {
    if ((remainder & (1 << (24 + k))) != 0) {
      result = tfk_srdhm(result, multipliers[k]);
    }
  }
  return a == 0 ? INT32_MAX : result;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1: Q0 a in [0, 1) -> Q0 1 / (1 + a). */
TFK_FN int32_t tfk__one_over_one_plus_x(int32_t a) {
  /* RoundingHalfSum(a, One) in 64 bits, as gemmlowp. */
  const int64_t sum = (int64_t)a + INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t constant_48_over_17 = 1515870810;      /* Q2 */
  const int32_t constant_neg_32_over_17 = -1010580540; /* Q2 */
  int32_t x = constant_48_over_17 + tfk_srdhm(half_denominator, constant_neg_32_over_17);
  int i;
  for (i = 0; i < 3; i++) {
    const int32_t half_denominator_times_x = tfk_srdhm(half_denominator, x); /* Q2 */
    const int32_t one_minus = (1 << 29) - half_denominator_times_x;          /* Q2 */
    x = x + tfk__sat_shl(tfk_srdhm(x, one_minus), 2);                        /* Q4 -> Q2 */
  }
  return tfk__sat_shl(x, 1); /* ExactMulByPot<-1> then Q1 -> Q0 */
}

TFK_FN int32_t tfk__count_leading_zeros(uint32_t x) {
  int32_t n = 0;
  if (x == 0u) {
    return 32;
  }
#if defined(__GNUC__)
  n = (int32_t)__builtin_clz(x);
  (void)x;
  return n;
#endif
  while ((x & 0x80000000u) == 0u) {
    x <<= 1;
    n++;
  }
  return n;
}

/* TFLite MultiplyByQuantizedMultiplierGreaterThanOne, in the chosen rounding mode. */
TFK_FN int32_t tfk__scale_diff(int32_t diff, int32_t multiplier, int32_t left_shift) {
#if TFK_ROUNDING_SINGLE
  return tfk_mbqm(diff, multiplier, left_shift);
#else
  return tfk_srdhm((int32_t)((uint32_t)diff << left_shift), multiplier);
#endif
}

TFK_FN void tfk_softmax(const tfk_softmax_params *p, const uint8_t *input, uint8_t *output) {
  const int32_t flip = (int32_t)p->in_flip;
  int32_t max_in = -128;
  int32_t sum_of_exps = 0; /* Q12 */
  int32_t headroom_plus_one;
  int32_t num_bits_over_unit;
  int32_t shifted_scale; /* Q0 */
  size_t c;
  for (c = 0; c < p->n; c++) {
    const int32_t v = (int32_t)(int8_t)(uint8_t)(input[c] ^ (uint8_t)flip);
    max_in = v > max_in ? v : max_in;
  }
  for (c = 0; c < p->n; c++) {
    const int32_t diff = (int32_t)(int8_t)(uint8_t)(input[c] ^ (uint8_t)flip) - max_in;
    if (diff >= p->diff_min) {
      const int32_t scaled = tfk__scale_diff(diff, p->input_multiplier, p->input_left_shift);
      sum_of_exps += tfk_rdbpot(tfk__exp_negative(scaled), 12); /* Rescale<12>: Q0 -> Q12 */
    }
  }
  /* GetReciprocal(sum_of_exps, 12): sum = 2^num_bits_over_unit * (1 + shifted_sum_minus_one). */
  headroom_plus_one = tfk__count_leading_zeros((uint32_t)sum_of_exps);
  num_bits_over_unit = 12 - headroom_plus_one;
  shifted_scale = tfk__one_over_one_plus_x(
      (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - 0x80000000u));
  for (c = 0; c < p->n; c++) {
    const int32_t diff = (int32_t)(int8_t)(uint8_t)(input[c] ^ (uint8_t)flip) - max_in;
    int32_t out = -128;
    if (diff >= p->diff_min) {
      const int32_t scaled = tfk__scale_diff(diff, p->input_multiplier, p->input_left_shift);
      const int32_t exp_in_0 = tfk__exp_negative(scaled);
      out = tfk_rdbpot(tfk_srdhm(shifted_scale, exp_in_0), num_bits_over_unit + 31 - 8) - 128;
      out = out > 127 ? 127 : out;
      out = out < -128 ? -128 : out;
    }
    output[c] = (uint8_t)((uint32_t)out ^ p->out_flip);
  }
}
