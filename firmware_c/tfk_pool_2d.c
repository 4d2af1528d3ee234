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
 * Loop order: output pixel, then channel, then the taps of its window: no accumulator array, and
 * every load is a byte load with a pointer step (cheap on Cortex-M0+). Pooling is a small part of
 * the MLPerf Tiny networks (the last 8x8 or 25x5 average), so there is no DSP variant.
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

/* input: (in_h, in_w, channels), output: (out_h, out_w, channels), offset binary. */
TFK_FN void tfk_max_pool_2d(const tfk_pool_params *p, const uint8_t *input, uint8_t *output) {
  const uint32_t c_n = p->channels;
  const uint32_t row_step = (uint32_t)p->in_w * c_n;
  uint32_t oy, ox, c;
  for (oy = 0; oy < p->out_h; oy++) {
    for (ox = 0; ox < p->out_w; ox++) {
      const tfk__pool_span s = tfk__pool_window(p, oy, ox);
      const uint8_t *corner = input + (s.y0 * p->in_w + s.x0) * c_n;
      for (c = 0; c < c_n; c++) {
        const uint8_t *row = corner + c;
        uint32_t best = 0;
        uint32_t y, x;
        for (y = s.y0; y < s.y1; y++) {
          const uint8_t *tap = row;
          for (x = s.x0; x < s.x1; x++) {
            best = *tap > best ? *tap : best;
            tap += c_n;
          }
          row += row_step;
        }
        best = best < p->act_min ? p->act_min : best;
        best = best > p->act_max ? p->act_max : best;
        *output++ = (uint8_t)best;
      }
    }
  }
}

/* input: (in_h, in_w, channels), output: (out_h, out_w, channels), offset binary. */
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
      for (c = 0; c < c_n; c++) {
        const uint8_t *row = corner + c;
        uint32_t sum = 0;
        int32_t q;
        uint32_t y, x;
        for (y = s.y0; y < s.y1; y++) {
          const uint8_t *tap = row;
          for (x = s.x0; x < s.x1; x++) {
            sum += *tap;
            tap += c_n;
          }
          row += row_step;
        }
        q = (int32_t)sum - 128 * n;
        q = (q > 0 ? q + n / 2 : q - n / 2) / n + 128;
        q = q < p->act_min ? p->act_min : q;
        q = q > p->act_max ? p->act_max : q;
        *output++ = (uint8_t)q;
      }
    }
  }
}
