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

/* input: (outer, count, inner), output: (outer, inner), offset binary. */
TFK_FN void tfk_mean(const tfk_mean_params *p, const uint8_t *input, uint8_t *output) {
  uint32_t o, c, r;
  for (o = 0; o < p->outer; o++) {
    const uint8_t *block = input + o * p->count * p->inner;
    for (c = 0; c < p->inner; c++) {
      const uint8_t *x = block + c;
      uint32_t sum = 0;
      int32_t s, y;
      for (r = 0; r < p->count; r++) {
        sum += *x;
        x += p->inner;
      }
      s = (int32_t)sum + p->bias;
      y = tfk_rdbpot(tfk_srdhm((int32_t)((uint32_t)s << p->left), p->multiplier), p->right);
      y += p->out_offset;
      y = y < 0 ? 0 : y;
      y = y > 255 ? 255 : y;
      *output++ = (uint8_t)y;
    }
  }
}
