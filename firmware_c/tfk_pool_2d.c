/* MAX_POOL_2D and AVERAGE_POOL_2D int8, NHWC, batch 1: TFLM's reference_integer_ops::MaxPool
 * and AveragePool (litert BUILTIN_REF computes the same; neither requantizes, so there is no
 * rounding mode), to the bit.
 *
 * Each output pixel pools the taps of its window that lie inside the image: a window that
 * overhangs the border (SAME padding) sees fewer taps; padding never takes part. Input and output
 * share one quantization (the converter guarantees it, tinyflash.runtime checks it), so:
 *   MAX:     y = clamp(max over the taps of u)                 (u = q + 128 keeps the order)
 *   AVERAGE: s = sum over the n taps of q = sum of u - 128 n,
 *            y = clamp((s > 0 ? s + n / 2 : s - n / 2) / n + 128)   (C `/` truncates, as TFLM's)
 * i.e. the average rounded half away from zero. The generator checks 255 * kh * kw < 2^31, so
 * the sum cannot overflow.
 *
 * Loop order: output pixel, then 4 channels, then the taps of its window: the 4 sums (or maxima)
 * stay in registers, no accumulator array, every load a byte load with an immediate offset (cheap
 * on Cortex-M0+). On Cortex-M4/M7, with channels % 4 == 0, one word load feeds 4 channels.
 */
#include "tfk_kernels.h"

/* One pooling layer, computed at generation time (firmware_c/emit/int8/max_pool_2d.py and
 * average_pool_2d.py, from tinyflash.runtime's Pool2DParams). Input (in_h, in_w, channels),
 * output (out_h, out_w, channels), both offset-binary uint8, NHWC without the batch. */
typedef struct {
  uint16_t in_h, in_w, channels; /* input image size and channels */
  uint16_t out_h, out_w;         /* output image size */
  uint16_t kh, kw;               /* filter size */
  uint16_t sh, sw;               /* strides */
  uint16_t pad_top, pad_left;    /* TFLite SAME padding before the image (0 for VALID) */
  uint8_t act_min, act_max;      /* fused activation clamp, offset binary (q + 128) */
} tfk_pool_params;

/* The taps of output pixel (oy, ox) inside the image: rows [y0, y1), columns [x0, x1). */
typedef struct {
  uint32_t y0, y1, x0, x1;
} tfk__pool_span;

TFK_FN tfk__pool_span tfk__pool_window(const tfk_pool_params *p, uint32_t oy, uint32_t ox) {
  const int32_t top = (int32_t)(oy * p->sh) - (int32_t)p->pad_top;
  const int32_t left = (int32_t)(ox * p->sw) - (int32_t)p->pad_left;
  const int32_t bottom = top + (int32_t)p->kh;
  const int32_t right = left + (int32_t)p->kw;
  tfk__pool_span s;
  s.y0 = (uint32_t)(top < 0 ? 0 : top);
  s.x0 = (uint32_t)(left < 0 ? 0 : left);
  s.y1 = (uint32_t)(bottom > (int32_t)p->in_h ? (int32_t)p->in_h : bottom);
  s.x1 = (uint32_t)(right > (int32_t)p->in_w ? (int32_t)p->in_w : right);
  return s;
}

/* The clamp of one pooled byte (max, or the average's q + 128). */
TFK_FN uint8_t tfk__pool_clamp(const tfk_pool_params *p, int32_t v) {
  v = v < (int32_t)p->act_min ? (int32_t)p->act_min : v;
  v = v > (int32_t)p->act_max ? (int32_t)p->act_max : v;
  return (uint8_t)v;
}

/* The average of n taps whose offset-binary bytes sum to `sum`, rounded half away from zero,
 * as an offset-binary byte (clamped). */
TFK_FN uint8_t tfk__pool_average(const tfk_pool_params *p, uint32_t sum, int32_t n) {
  const int32_t q = (int32_t)sum - 128 * n;
  return tfk__pool_clamp(p, (q > 0 ? q + n / 2 : q - n / 2) / n + 128);
}

#if TFK_USE_DSP
#include <arm_acle.h>

/* UXTAB16 Rd, Rn, Rm, ROR #8: acc + bytes 1 and 3 of v, as two 16-bit lanes (arm_acle.h has no
 * rotate operand). */
TFK_FN uint32_t tfk__pool_uxtab16_ror8(uint32_t acc, uint32_t v) {
  uint32_t r;
  __asm__("uxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(v));
  return r;
}
#endif

/* The loops over one output pixel's window for 4 channels at a time: `tap` walks the window,
 * BODY runs once per tap; the caller declares its accumulators around it. */
#define TFK__POOL_TAPS(BODY)                   \
  do {                                         \
    const uint8_t *tfk__row = corner + c;      \
    uint32_t tfk__y, tfk__x;                   \
    for (tfk__y = s.y0; tfk__y < s.y1; tfk__y++) { \
      const uint8_t *tap = tfk__row;           \
      for (tfk__x = s.x0; tfk__x < s.x1; tfk__x++) { \
        BODY;                                  \
        tap += c_n;                            \
      }                                        \
      tfk__row += row_step;                    \
    }                                          \
  } while (0)

/* input: (in_h, in_w, channels), output: (out_h, out_w, channels), offset binary. Four channels
 * at a time (on Cortex-M4/M7 one word load, USUB8 + SEL, when channels % 4 == 0), then one. */
TFK_FN void tfk_max_pool_2d(const tfk_pool_params *p, const uint8_t *input, uint8_t *output) {
  const uint32_t c_n = p->channels;
  const uint32_t row_step = (uint32_t)p->in_w * c_n;
  uint32_t oy, ox, c;
  for (oy = 0; oy < p->out_h; oy++) {
    for (ox = 0; ox < p->out_w; ox++) {
      const tfk__pool_span s = tfk__pool_window(p, oy, ox);
      const uint8_t *corner = input + (s.y0 * p->in_w + s.x0) * c_n;
      c = 0;
#if TFK_USE_DSP
      if (((c_n | (uint32_t)(uintptr_t)input) & 3u) == 0u) {
        for (; c < c_n; c += 4u) {
          uint32_t best = 0;
          TFK__POOL_TAPS({
            const uint32_t w = *(const tfk__u32a *)(const void *)tap;
            (void)__usub8(w, best); /* GE[k] = byte k of w >= byte k of best */
            best = __sel(w, best);
          });
          output[0] = tfk__pool_clamp(p, (int32_t)(best & 0xFFu));
          output[1] = tfk__pool_clamp(p, (int32_t)((best >> 8) & 0xFFu));
          output[2] = tfk__pool_clamp(p, (int32_t)((best >> 16) & 0xFFu));
          output[3] = tfk__pool_clamp(p, (int32_t)(best >> 24));
          output += 4;
        }
      }
#endif
      for (; c + 4u <= c_n; c += 4u) {
        uint32_t b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        TFK__POOL_TAPS({
          b0 = tap[0] > b0 ? tap[0] : b0;
          b1 = tap[1] > b1 ? tap[1] : b1;
          b2 = tap[2] > b2 ? tap[2] : b2;
          b3 = tap[3] > b3 ? tap[3] : b3;
        });
        output[0] = tfk__pool_clamp(p, (int32_t)b0);
        output[1] = tfk__pool_clamp(p, (int32_t)b1);
        output[2] = tfk__pool_clamp(p, (int32_t)b2);
        output[3] = tfk__pool_clamp(p, (int32_t)b3);
        output += 4;
      }
      for (; c < c_n; c++) {
        uint32_t best = 0;
        TFK__POOL_TAPS(best = *tap > best ? *tap : best);
        *output++ = tfk__pool_clamp(p, (int32_t)best);
      }
    }
  }
}

/* input: (in_h, in_w, channels), output: (out_h, out_w, channels), offset binary. Four channels
 * at a time (on Cortex-M4/M7 one word load and two UXTAB16 into 16-bit lanes, when channels % 4
 * == 0 and 255 * taps < 2^16), then one. */
TFK_FN void tfk_average_pool_2d(const tfk_pool_params *p, const uint8_t *input,
                                uint8_t *output) {
  const uint32_t c_n = p->channels;
  const uint32_t row_step = (uint32_t)p->in_w * c_n;
  uint32_t oy, ox, c;
  for (oy = 0; oy < p->out_h; oy++) {
    for (ox = 0; ox < p->out_w; ox++) {
      const tfk__pool_span s = tfk__pool_window(p, oy, ox);
      const int32_t n = (int32_t)((s.y1 - s.y0) * (s.x1 - s.x0));
      const uint8_t *corner = input + (s.y0 * p->in_w + s.x0) * c_n;
      c = 0;
#if TFK_USE_DSP
      if (((c_n | (uint32_t)(uintptr_t)input) & 3u) == 0u && n <= 257) {
        for (; c < c_n; c += 4u) {
          uint32_t s02 = 0, s13 = 0; /* channel sums c, c+2 and c+1, c+3 in 16-bit lanes */
          TFK__POOL_TAPS({
            const uint32_t w = *(const tfk__u32a *)(const void *)tap;
            s02 = __uxtab16(s02, w);
            s13 = tfk__pool_uxtab16_ror8(s13, w);
          });
          output[0] = tfk__pool_average(p, s02 & 0xFFFFu, n);
          output[1] = tfk__pool_average(p, s13 & 0xFFFFu, n);
          output[2] = tfk__pool_average(p, s02 >> 16, n);
          output[3] = tfk__pool_average(p, s13 >> 16, n);
          output += 4;
        }
      }
#endif
      for (; c + 4u <= c_n; c += 4u) {
        uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        TFK__POOL_TAPS({
          s0 += tap[0];
          s1 += tap[1];
          s2 += tap[2];
          s3 += tap[3];
        });
        output[0] = tfk__pool_average(p, s0, n);
        output[1] = tfk__pool_average(p, s1, n);
        output[2] = tfk__pool_average(p, s2, n);
        output[3] = tfk__pool_average(p, s3, n);
        output += 4;
      }
      for (; c < c_n; c++) {
        uint32_t sum = 0;
        TFK__POOL_TAPS(sum += *tap);
        *output++ = tfk__pool_average(p, sum, n);
      }
    }
  }
}
#undef TFK__POOL_TAPS
