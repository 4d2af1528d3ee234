/* Fixed-point helpers: TFLite's integer arithmetic (kernels/internal/common.h, gemmlowp
 * fixedpoint.h), in both rounding modes. The Python twin is tinyflash.runtime.fixedpoint.
 *
 * Signed right shifts are arithmetic on every compiler this code targets (gcc, clang,
 * arm-none-eabi-gcc), as TFLite itself assumes. Left shifts go through uint32_t so they are
 * defined in C even where TFLite's would overflow.
 */
#include "tfk_kernels.h"

TFK_FN int32_t tfk_srdhm(int32_t a, int32_t b) {
  int64_t ab;
  int64_t t;
  if (a == b && a == INT32_MIN) {
    return INT32_MAX;
  }
  ab = (int64_t)a * (int64_t)b;
  t = ab + (ab >= 0 ? (int64_t)(1 << 30) : (int64_t)(1 - (1 << 30)));
  /* t / 2^31 truncated toward zero, without a 64-bit division (none on Cortex-M0). */
  if (t < 0) {
    t += ((int64_t)1 << 31) - 1;
  }
  return (int32_t)(t >> 31);
}

TFK_FN int32_t tfk_rdbpot(int32_t x, int32_t exponent) {
  const int32_t mask = (int32_t)((1u << exponent) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

#if TFK_ROUNDING_SINGLE
/* LiteRT (TFLITE_SINGLE_ROUNDING): one 64-bit product, add half, shift once. */
TFK_FN int32_t tfk_mbqm(int32_t x, int32_t m, int32_t shift) {
  const int32_t total_shift = 31 - shift;
  const int64_t round = (int64_t)1 << (total_shift - 1);
  return (int32_t)(((int64_t)x * (int64_t)m + round) >> total_shift);
}
#else
/* TFLM / gemmlowp: saturating rounding doubling high multiply, then rounding right shift. */
TFK_FN int32_t tfk_mbqm(int32_t x, int32_t m, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  return tfk_rdbpot(tfk_srdhm((int32_t)((uint32_t)x << left), m), right);
}
#endif

/* 1: the 16x16 form of tfk_high_mul_round (default on Thumb-1; tests set it on the host). */
#ifndef TFK_HIGH_MUL16
#if defined(__thumb__) && !defined(__thumb2__)
#define TFK_HIGH_MUL16 1
#else
#define TFK_HIGH_MUL16 0
#endif
#endif

/* (x * m + 2^31) >> 32, the rounded high word of the 64-bit product, for any int32 x and m in
 * [0, 2^31): SMMULR on Cortex-M4/M7; on Thumb-1 (Cortex-M0/M0+, no 32x32->64 multiply, where
 * the int64 product is a call to __aeabi_lmul) from four 16x16 products, Hacker's Delight mulhs
 * with the rounding bit (bit 31 of the low word) taken from w1; elsewhere int64 (SMULL). */
TFK_FN int32_t tfk_high_mul_round(int32_t x, int32_t m) {
#if TFK_USE_DSP
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(x), "r"(m));
  return r;
#elif TFK_HIGH_MUL16
  const uint32_t u0 = (uint32_t)x & 0xFFFFu;
  const int32_t u1 = x >> 16;
  const uint32_t v0 = (uint32_t)m & 0xFFFFu;
  const uint32_t v1 = (uint32_t)m >> 16; /* < 2^15: m >= 0 */
  const int32_t t = u1 * (int32_t)v0 + (int32_t)((u0 * v0) >> 16);
  const uint32_t w1 = u0 * v1 + ((uint32_t)t & 0xFFFFu);
  return u1 * (int32_t)v1 + (t >> 16) + (int32_t)((w1 + 0x8000u) >> 16);
#else
  return (int32_t)(((int64_t)x * (int64_t)m + ((int64_t)1 << 31)) >> 32);
#endif
}
