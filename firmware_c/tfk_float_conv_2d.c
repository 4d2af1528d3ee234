/* CONV_2D float32, NHWC, batch 1: TFLite's reference_ops::Conv float path, which is what
 * ai-edge-litert BUILTIN_REF and tinyflash.runtime (runtime/ops/conv_2d.py) compute:
 *   y[oy][ox][oc] = act(sum_{ky, kx, ic} x[iy][ix][ic] * w[oc][ky][kx][ic] + bias[oc])
 *   iy = oy * stride_h - pad_top + ky * dilation_h,  ix = ox * stride_w - pad_left + kx * dilation_w
 * Taps outside the image are skipped (the reference kernel's `if` inside the loops). The sum
 * starts at 0.0f and runs in the reference's (ky, kx, ic) order, then the bias is added once,
 * so every output is the reference's float, operation for operation. Two things would break
 * that: -ffast-math (reassociation), and contraction of a * b + c into one FMA, which gcc and
 * clang do not do in ISO C mode (-std=c99 implies -ffp-contract=off on gcc; clang's default
 * only contracts within one expression, and `total += x * w` is one: keep -std=c99 and, on
 * clang, -ffp-contract=off if bit-identical results matter more than ~1 ulp).
 * On a Cortex-M4F/M7 every multiply-add is two single-precision FPU instructions.
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

/* filter: (out_c, k_h, k_w, in_c); bias: (out_c,) or NULL (adds 0.0f). input and output must
 * not overlap. */
TFK_FN void tfk_conv_2d_f32(const tfk_conv_2d_f32_params *p, const float *filter,
                            const float *bias, const float *input, float *output) {
  const int filter_size = p->k_h * p->k_w * p->in_c; /* floats per output channel */
  float *y = output;
  int oy, ox, oc, ky, kx, ic;
  for (oy = 0; oy < p->out_h; oy++) {
    const int y0 = oy * p->stride_h - p->pad_top;
    for (ox = 0; ox < p->out_w; ox++) {
      const int x0 = ox * p->stride_w - p->pad_left;
      for (oc = 0; oc < p->out_c; oc++) {
        const float *w_oc = filter + oc * filter_size;
        float total = 0.0f;
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
            w = w_oc + (ky * p->k_w + kx) * p->in_c;
            for (ic = 0; ic < p->in_c; ic++) {
              total += x[ic] * w[ic];
            }
          }
        }
        *y++ = total + (bias != NULL ? bias[oc] : 0.0f);
      }
    }
  }
  tfk_activation_f32(p->act, output, (size_t)p->out_h * (size_t)p->out_w * (size_t)p->out_c);
}
