/* MAX_POOL_2D and AVERAGE_POOL_2D float32, NHWC, batch 1: TFLite's reference_ops::MaxPool and
 * AveragePool float paths (ai-edge-litert BUILTIN_REF; tinyflash.runtime runtime/ops/pool_2d.py).
 * Each output pools the taps of its window that lie inside the image; windows that overhang
 * the border (SAME padding) see fewer taps, never padding values:
 *   MAX:     y = act(max over taps of x)              starting from -FLT_MAX
 *   AVERAGE: y = act((sum over taps of x) / n)        sum from 0.0f in (ky, kx) order, n the
 *                                                      number of taps inside, as a float
 * Both are the reference's float, operation for operation.
 */
#include <float.h>

#include "tfk_float.h"

typedef struct {
  int in_h, in_w, channels; /* input (1, in_h, in_w, channels) float32 */
  int out_h, out_w;         /* output (1, out_h, out_w, channels) float32 */
  int k_h, k_w;             /* window */
  int stride_h, stride_w;   /* >= 1 */
  int pad_top, pad_left;    /* rows / columns before the image the first window starts at */
  int act;                  /* fused activation: TFK_ACT_NONE, TFK_ACT_RELU, TFK_ACT_RELU6 */
} tfk_pool_2d_f32_params;

/* The window's rows [*y_begin, *y_end) and columns [*x_begin, *x_end) inside the image. */
TFK_FN void tfk__pool_2d_f32_window(const tfk_pool_2d_f32_params *p, int oy, int ox,
                                    int *y_begin, int *y_end, int *x_begin, int *x_end) {
  const int y0 = oy * p->stride_h - p->pad_top;
  const int x0 = ox * p->stride_w - p->pad_left;
  *y_begin = y0 > 0 ? y0 : 0;
  *y_end = y0 + p->k_h < p->in_h ? y0 + p->k_h : p->in_h;
  *x_begin = x0 > 0 ? x0 : 0;
  *x_end = x0 + p->k_w < p->in_w ? x0 + p->k_w : p->in_w;
}

/* input and output must not overlap. */
TFK_FN void tfk_max_pool_2d_f32(const tfk_pool_2d_f32_params *p, const float *input,
                                float *output) {
  float *y = output;
  int oy, ox, c, iy, ix, y_begin, y_end, x_begin, x_end;
  for (oy = 0; oy < p->out_h; oy++) {
    for (ox = 0; ox < p->out_w; ox++) {
      tfk__pool_2d_f32_window(p, oy, ox, &y_begin, &y_end, &x_begin, &x_end);
      for (c = 0; c < p->channels; c++) {
        float max = -FLT_MAX;
        for (iy = y_begin; iy < y_end; iy++) {
          for (ix = x_begin; ix < x_end; ix++) {
            const float v = input[(iy * p->in_w + ix) * p->channels + c];
            max = max < v ? v : max; /* std::max(max, v) */
          }
        }
        *y++ = max;
      }
    }
  }
  tfk_activation_f32(p->act, output, (size_t)p->out_h * (size_t)p->out_w * (size_t)p->channels);
}

/* input and output must not overlap. */
TFK_FN void tfk_average_pool_2d_f32(const tfk_pool_2d_f32_params *p, const float *input,
                                    float *output) {
  float *y = output;
  int oy, ox, c, iy, ix, y_begin, y_end, x_begin, x_end;
  for (oy = 0; oy < p->out_h; oy++) {
    for (ox = 0; ox < p->out_w; ox++) {
      tfk__pool_2d_f32_window(p, oy, ox, &y_begin, &y_end, &x_begin, &x_end);
      for (c = 0; c < p->channels; c++) {
        float total = 0.0f;
        float count = 0.0f;
        for (iy = y_begin; iy < y_end; iy++) {
          for (ix = x_begin; ix < x_end; ix++) {
            total += input[(iy * p->in_w + ix) * p->channels + c];
            count += 1.0f;
          }
        }
        *y++ = total / count;
      }
    }
  }
  tfk_activation_f32(p->act, output, (size_t)p->out_h * (size_t)p->out_w * (size_t)p->channels);
}
