/* MEAN int8 over a contiguous block of axes (GlobalAveragePooling2D: the H, W of NHWC):
 * TFLite's reference_ops::QuantizedMeanOrSum as TFLM and litert BUILTIN_REF run it, to the bit.
 *
 * The input is viewed as (outer, count, inner): the reduced axes are the middle block (for NHWC
 * over H, W: outer 1, count H * W, inner C); keep_dims only changes the output's shape, not its
 * bytes. Per output element, with u = q + 128:
 *   s = sum over the count elements of q - in_zp * count = sum of u + bias,
 *       bias = -(128 + in_zp) * count                                   (the generator's)
 *   y = clamp(out_zp + MBQM(s, m', s'), -128, 127)
 * where m', s' fold 1 / count into the requantization (tinyflash.runtime.ops.mean). MBQM uses
 * gemmlowp double rounding in both semantics (TFLM and litert compute MEAN that way, measured),
 * so this file calls tfk_srdhm and tfk_rdbpot directly, never the switchable tfk_mbqm.
 */
#include "tfk_kernels.h"

/* One MEAN, computed at generation time (firmware_c/emit/int8/mean.py). */
typedef struct {
  uint32_t outer, count, inner; /* input (outer, count, inner) -> output (outer, inner) */
  int32_t bias;                 /* -(128 + input zero point) * count */
  int32_t multiplier;           /* m' in [0, 2^31) */
  int32_t left, right;          /* shift s' split: left = max(s', 0), right = max(-s', 0) */
  int32_t out_offset;           /* output zero point + 128 */
} tfk_mean_params;

/* The output byte of one element whose `count` offset-binary inputs sum to `sum`. */
TFK_FN uint8_t tfk__mean_requantize(const tfk_mean_params *p, uint32_t sum) {
  const int32_t s = (int32_t)sum + p->bias;
  int32_t y = tfk_rdbpot(tfk_srdhm((int32_t)((uint32_t)s << p->left), p->multiplier), p->right);
  y += p->out_offset;
  y = y < 0 ? 0 : y;
  y = y > 255 ? 255 : y;
  return (uint8_t)y;
}

#if TFK_USE_DSP
#include <arm_acle.h>

/* UXTAB16 Rd, Rn, Rm, ROR #8: acc + bytes 1 and 3 of v, as two 16-bit lanes. */
TFK_FN uint32_t tfk__mean_uxtab16_ror8(uint32_t acc, uint32_t v) {
  uint32_t r;
  __asm__("uxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(v));
  return r;
}
#endif

/* input: (outer, count, inner), output: (outer, inner), offset binary. Four elements at a time
 * (on Cortex-M4/M7 one word load and two UXTAB16 into 16-bit lanes when inner % 4 == 0 and
 * 255 * count < 2^16), then one. */
TFK_FN void tfk_mean(const tfk_mean_params *p, const uint8_t *input, uint8_t *output) {
  const uint32_t inner = p->inner, count = p->count;
  uint32_t o, c, r;
  for (o = 0; o < p->outer; o++) {
    const uint8_t *block = input + o * count * inner;
    c = 0;
#if TFK_USE_DSP
    if (((inner | (uint32_t)(uintptr_t)input) & 3u) == 0u && count <= 257u) {
      for (; c < inner; c += 4u) {
        const uint8_t *x = block + c;
        uint32_t s02 = 0, s13 = 0; /* sums of elements c, c+2 and c+1, c+3 in 16-bit lanes */
        for (r = 0; r < count; r++) {
          const uint32_t w = *(const tfk__u32a *)(const void *)x;
          s02 = __uxtab16(s02, w);
          s13 = tfk__mean_uxtab16_ror8(s13, w);
          x += inner;
        }
        output[0] = tfk__mean_requantize(p, s02 & 0xFFFFu);
        output[1] = tfk__mean_requantize(p, s13 & 0xFFFFu);
        output[2] = tfk__mean_requantize(p, s02 >> 16);
        output[3] = tfk__mean_requantize(p, s13 >> 16);
        output += 4;
      }
    }
#endif
    for (; c + 4u <= inner; c += 4u) {
      const uint8_t *x = block + c;
      uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (r = 0; r < count; r++) {
        s0 += x[0];
        s1 += x[1];
        s2 += x[2];
        s3 += x[3];
        x += inner;
      }
      output[0] = tfk__mean_requantize(p, s0);
      output[1] = tfk__mean_requantize(p, s1);
      output[2] = tfk__mean_requantize(p, s2);
      output[3] = tfk__mean_requantize(p, s3);
      output += 4;
    }
    for (; c < inner; c++) {
      const uint8_t *x = block + c;
      uint32_t sum = 0;
      for (r = 0; r < count; r++) {
        sum += *x;
        x += inner;
      }
      *output++ = tfk__mean_requantize(p, sum);
    }
  }
}
