/* DEPTHWISE_CONV_2D float32, NHWC, batch 1: TFLite's reference_ops::DepthwiseConv float path
 * (ai-edge-litert BUILTIN_REF; tinyflash.runtime runtime/ops/depthwise_conv_2d.py):
 *   oc = ic * depth_multiplier + m
 *   y[oy][ox][oc] = act(sum_{ky, kx} x[iy][ix][ic] * w[ky][kx][oc] + bias[oc])
 *   iy = oy * stride_h - pad_top + ky * dilation_h,  ix = ox * stride_w - pad_left + kx * dilation_w
 * Taps outside the image are skipped. Each output's sum starts at 0.0f and adds the taps in the
 * reference's (ky, kx) order, then the bias: the reference's float, operation for operation
 * (same build caveats as tfk_float_conv_2d.c: no -ffast-math, no FMA contraction). With
 * depth_multiplier 1 (MobileNet, DS-CNN) four channels' sums run side by side in registers
 * over the taps inside the image; otherwise the channel loop is innermost, accumulating in the
 * output row. Both reorder whole sums, never the terms inside one sum.
 */
#include "tfk_float.h"

typedef struct {
  int in_h, in_w, in_c;       /* input (1, in_h, in_w, in_c) float32 */
  int out_h, out_w, out_c;    /* output (1, out_h, out_w, out_c), out_c = in_c * multiplier */
  int depth_multiplier;       /* output channels per input channel, >= 1 */
  int k_h, k_w;               /* filter (1, k_h, k_w, out_c) float32 */
  int stride_h, stride_w;     /* >= 1 */
  int dilation_h, dilation_w; /* >= 1 */
  int pad_top, pad_left;      /* rows / columns of implicit zero padding before the image */
  int act;                    /* fused activation: TFK_ACT_NONE, TFK_ACT_RELU, TFK_ACT_RELU6 */
} tfk_depthwise_conv_2d_f32_params;

/* The taps [*begin, *end) of a k-tap filter with dilation d whose tap t reads input
 * origin + t * d, that land inside [0, size). */
TFK_FN void tfk__depthwise_conv_2d_f32_taps(int origin, int k, int d, int size, int *begin,
                                            int *end) {
  int t = 0;
  while (t < k && origin + t * d < 0) {
    t++;
  }
  *begin = t;
  while (t < k && origin + t * d < size) {
    t++;
  }
  *end = t;
}

/* depth_multiplier 1: output pixel (oy, ox), channels [oc, oc + 4) in four registers. */
TFK_FN void tfk__depthwise_conv_2d_f32_4(const tfk_depthwise_conv_2d_f32_params *p,
                                         const float *filter, const float *bias,
                                         const float *input, float *y, int oc, int y0, int x0) {
  float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
  int ky, kx, ky_begin, ky_end, kx_begin, kx_end;
  tfk__depthwise_conv_2d_f32_taps(y0, p->k_h, p->dilation_h, p->in_h, &ky_begin, &ky_end);
  tfk__depthwise_conv_2d_f32_taps(x0, p->k_w, p->dilation_w, p->in_w, &kx_begin, &kx_end);
  for (ky = ky_begin; ky < ky_end; ky++) {
    const int iy = y0 + ky * p->dilation_h;
    for (kx = kx_begin; kx < kx_end; kx++) {
      const int ix = x0 + kx * p->dilation_w;
      const float *x = input + (iy * p->in_w + ix) * p->in_c + oc;
      const float *w = filter + (ky * p->k_w + kx) * p->out_c + oc;
      t0 += x[0] * w[0];
      t1 += x[1] * w[1];
      t2 += x[2] * w[2];
      t3 += x[3] * w[3];
    }
  }
  y[oc] = t0 + (bias != NULL ? bias[oc] : 0.0f);
  y[oc + 1] = t1 + (bias != NULL ? bias[oc + 1] : 0.0f);
  y[oc + 2] = t2 + (bias != NULL ? bias[oc + 2] : 0.0f);
  y[oc + 3] = t3 + (bias != NULL ? bias[oc + 3] : 0.0f);
}

/* filter: (k_h * k_w, out_c) tap-major; bias: (out_c,) or NULL. input and output must not
 * overlap. */
TFK_FN void tfk_depthwise_conv_2d_f32(const tfk_depthwise_conv_2d_f32_params *p,
                                      const float *filter, const float *bias, const float *input,
                                      float *output) {
  const int m_per_c = p->depth_multiplier;
  int oy, ox, ky, kx, ic, m, oc;
  for (oy = 0; oy < p->out_h; oy++) {
    const int y0 = oy * p->stride_h - p->pad_top;
    for (ox = 0; ox < p->out_w; ox++) {
      const int x0 = ox * p->stride_w - p->pad_left;
      float *y = output + (oy * p->out_w + ox) * p->out_c; /* this pixel's out_c sums */
      int first = 0; /* the channels before `first` are done */
      if (m_per_c == 1) {
        for (; first + 4 <= p->out_c; first += 4) {
          tfk__depthwise_conv_2d_f32_4(p, filter, bias, input, y, first, y0, x0);
        }
      }
      for (oc = first; oc < p->out_c; oc++) {
        y[oc] = 0.0f;
      }
      for (ky = 0; ky < p->k_h; ky++) {
        const int iy = y0 + ky * p->dilation_h;
        if (iy < 0 || iy >= p->in_h) {
          continue;
        }
        for (kx = 0; kx < p->k_w; kx++) {
          const int ix = x0 + kx * p->dilation_w;
          const float *x;
          const float *w;
          if (ix < 0 || ix >= p->in_w) {
            continue;
          }
          x = input + (iy * p->in_w + ix) * p->in_c;
          w = filter + (ky * p->k_w + kx) * p->out_c;
          for (ic = first / m_per_c; ic < p->in_c; ic++) {
            for (m = 0; m < m_per_c; m++) {
              oc = ic * m_per_c + m;
              y[oc] += x[ic] * w[oc];
            }
          }
        }
      }
      for (oc = first; oc < p->out_c; oc++) {
        y[oc] = y[oc] + (bias != NULL ? bias[oc] : 0.0f);
      }
    }
  }
  tfk_activation_f32(p->act, output, (size_t)p->out_h * (size_t)p->out_w * (size_t)p->out_c);
}
