/* MEAN float32 over any set of axes of a tensor of rank <= 4 (GlobalAveragePooling2D is MEAN
 * over axes 1, 2 of NHWC): TFLite's reference_ops::Mean float path (ai-edge-litert
 * BUILTIN_REF; tinyflash.runtime runtime/ops/mean.py). Like the reference's ReduceSumImpl it
 * walks the input once in memory order, adding each value into its output's running sum,
 * then divides every sum by the number of reduced elements:
 *   y[o] = (sum of x[i] over the i that reduce to o, in memory order, from 0.0f) / (float)n
 * the reference's float, operation for operation.
 */
#include "tfk_float.h"

typedef struct {
  int in_shape[4];   /* input dims, left-padded with 1 to rank 4 (e.g. (1, H, W, C)) */
  int out_stride[4]; /* output stride of each input axis in floats; 0 on reduced axes */
  int out_size;      /* output floats */
  int count;         /* reduced elements per output, n above */
} tfk_mean_f32_params;

/* input and output must not overlap. */
TFK_FN void tfk_mean_f32(const tfk_mean_f32_params *p, const float *input, float *output) {
  const float *x = input;
  const float n = (float)p->count;
  int i0, i1, i2, i3, o;
  for (o = 0; o < p->out_size; o++) {
    output[o] = 0.0f;
  }
  for (i0 = 0; i0 < p->in_shape[0]; i0++) {
    for (i1 = 0; i1 < p->in_shape[1]; i1++) {
      for (i2 = 0; i2 < p->in_shape[2]; i2++) {
        float *y = output + i0 * p->out_stride[0] + i1 * p->out_stride[1] + i2 * p->out_stride[2];
        for (i3 = 0; i3 < p->in_shape[3]; i3++) {
          y[i3 * p->out_stride[3]] += *x++;
        }
      }
    }
  }
  for (o = 0; o < p->out_size; o++) {
    output[o] = output[o] / n;
  }
}
