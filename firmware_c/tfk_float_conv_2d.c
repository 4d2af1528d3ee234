/* CONV_2D float32, NHWC, batch 1: TFLite's reference_ops::Conv float path, which is what
 * ai-edge-litert BUILTIN_REF and tinyflash.runtime (runtime/ops/conv_2d.py) compute:
 *   y[oy][ox][oc] = act(sum_{ky, kx, ic} x[iy][ix][ic] * w[oc][ky][kx][ic] + bias[oc])
 *   iy = oy * stride_h - pad_top + ky * dilation_h,  ix = ox * stride_w - pad_left + kx * dilation_w
 * Taps outside the image are skipped, as in the reference kernel (here the ranges of taps
 * inside the image are computed once per output pixel). The sum starts at 0.0f and runs in the
 * reference's (ky, kx, ic) order, then the bias is added once: every output is the reference's
 * float, operation for operation. Two things would break that: -ffast-math (reassociation), and
 * contracting `total += x * w` into one fused multiply-add. gcc does not contract in ISO C mode
 * (-std=c99 implies -ffp-contract=off); clang contracts within one expression by default, so
 * on cores with an FMA (Cortex-M4F/M7) build with -ffp-contract=off for bit-identical results
 * (otherwise ~1 ulp per multiply-add).
 * On a Cortex-M4F/M7 every multiply-add is then two single-precision FPU instructions.
 */
#include "tfk_float.h"

typedef struct {
  int in_h, in_w, in_c;       /* input (1, in_h, in_w, in_c) float32 */
  int out_h, out_w, out_c;    /* output (1, out_h, out_w, out_c) float32 */
  int k_h, k_w;               /* filter (out_c, k_h, k_w, in_c) float32 (TFLite's OHWI) */
  int stride_h, stride_w;     /* >= 1 */
  int dilation_h, dilation_w; /* >= 1 */
  int pad_top, pad_left;      /* rows / columns of implicit zero padding before the image */
  int act;                    /* fused activation: TFK_ACT_NONE, TFK_ACT_RELU, TFK_ACT_RELU6 */
} tfk_conv_2d_f32_params;

/* The taps [*begin, *end) of a k-tap filter with dilation d whose tap t reads input
 * origin + t * d, that land inside [0, size). */
TFK_FN void tfk__conv_2d_f32_taps(int origin, int k, int d, int size, int *begin, int *end) {
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

/* One output pixel's channels [oc, oc + 4): four sums side by side, so every input value
 * loaded feeds four multiply-adds. Each sum still adds its own terms in the reference's
 * (ky, kx, ic) order: the same floats as one channel at a time. */
TFK_FN void tfk__conv_2d_f32_4(const tfk_conv_2d_f32_params *p, const float *filter,
                               const float *bias, const float *input, float *y, int oc,
                               int x0, int y0, int ky_begin, int ky_end, int kx_begin,
                               int kx_end) {
  const int filter_size = p->k_h * p->k_w * p->in_c;
  const int kx_step = p->dilation_w == 1 ? kx_end - kx_begin : 1;
  const int n = p->dilation_w == 1 ? (kx_end - kx_begin) * p->in_c : p->in_c;
  float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
  int ky, kx, j;
  for (ky = ky_begin; ky < ky_end; ky++) {
    const int iy = y0 + ky * p->dilation_h;
    for (kx = kx_begin; kx < kx_end; kx += kx_step) {
      const float *x = input + (iy * p->in_w + x0 + kx * p->dilation_w) * p->in_c;
      const float *w0 = filter + oc * filter_size + (ky * p->k_w + kx) * p->in_c;
      const float *w1 = w0 + filter_size;
      const float *w2 = w1 + filter_size;
      const float *w3 = w2 + filter_size;
      for (j = 0; j < n; j++) {
        const float v = x[j];
        t0 += v * w0[j];
        t1 += v * w1[j];
        t2 += v * w2[j];
        t3 += v * w3[j];
      }
    }
  }
  y[oc] = t0 + (bias != NULL ? bias[oc] : 0.0f);
  y[oc + 1] = t1 + (bias != NULL ? bias[oc + 1] : 0.0f);
  y[oc + 2] = t2 + (bias != NULL ? bias[oc + 2] : 0.0f);
  y[oc + 3] = t3 + (bias != NULL ? bias[oc + 3] : 0.0f);
}

/* filter: (out_c, k_h, k_w, in_c); bias: (out_c,) or NULL (adds 0.0f). input and output must
 * not overlap. With dilation_w == 1 one filter row's taps inside the image are one contiguous
 * run of floats in both the input and the filter: a single loop of (kx_end - kx_begin) * in_c
 * multiply-adds, in the same (kx, ic) order. Output channels go four at a time
 * (tfk__conv_2d_f32_4), the last out_c % 4 one at a time. */
TFK_FN void tfk_conv_2d_f32(const tfk_conv_2d_f32_params *p, const float *filter,
                            const float *bias, const float *input, float *output) {
  const int filter_size = p->k_h * p->k_w * p->in_c; /* floats per output channel */
  int oy, ox, oc, ky, kx, j, ky_begin, ky_end, kx_begin, kx_end;
  for (oy = 0; oy < p->out_h; oy++) {
    const int y0 = oy * p->stride_h - p->pad_top;
    tfk__conv_2d_f32_taps(y0, p->k_h, p->dilation_h, p->in_h, &ky_begin, &ky_end);
    for (ox = 0; ox < p->out_w; ox++) {
      const int x0 = ox * p->stride_w - p->pad_left;
      float *y = output + (oy * p->out_w + ox) * p->out_c;
      /* dilation_w == 1: kx runs as one block of n floats; otherwise one kx at a time */
      int kx_step, n;
      tfk__conv_2d_f32_taps(x0, p->k_w, p->dilation_w, p->in_w, &kx_begin, &kx_end);
      kx_step = p->dilation_w == 1 ? kx_end - kx_begin : 1;
      n = p->dilation_w == 1 ? (kx_end - kx_begin) * p->in_c : p->in_c;
      for (oc = 0; oc + 4 <= p->out_c; oc += 4) {
        tfk__conv_2d_f32_4(p, filter, bias, input, y, oc, x0, y0, ky_begin, ky_end, kx_begin,
                           kx_end);
      }
      for (; oc < p->out_c; oc++) {
        const float *w_oc = filter + oc * filter_size;
        float total = 0.0f;
        for (ky = ky_begin; ky < ky_end; ky++) {
          const int iy = y0 + ky * p->dilation_h;
          for (kx = kx_begin; kx < kx_end; kx += kx_step) {
            const int ix = x0 + kx * p->dilation_w;
            const float *x = input + (iy * p->in_w + ix) * p->in_c;
            const float *w = w_oc + (ky * p->k_w + kx) * p->in_c;
            for (j = 0; j < n; j++) {
              total += x[j] * w[j];
            }
          }
        }
        y[oc] = total + (bias != NULL ? bias[oc] : 0.0f);
      }
    }
  }
  tfk_activation_f32(p->act, output, (size_t)p->out_h * (size_t)p->out_w * (size_t)p->out_c);
}
