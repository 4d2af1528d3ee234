/* ADD float32 with numpy broadcasting over rank <= 4: TFLite's reference_ops::Add / BroadcastAdd6DSlow
 * float path (ai-edge-litert BUILTIN_REF; tinyflash.runtime runtime/ops/add.py):
 *   y[i] = act(a[broadcast i] + b[broadcast i])
 * One float operation per output, so any order gives the reference's float exactly. A
 * broadcast input has stride 0 on the axes it is broadcast along; the generator folds a
 * constant's shape into those strides.
 */
#include "tfk_float.h"

typedef struct {
  int out_shape[4]; /* output dims, left-padded with 1 to rank 4 */
  int a_stride[4];  /* stride of a in floats along each output axis (0: broadcast) */
  int b_stride[4];  /* stride of b likewise */
  int act;          /* fused activation: TFK_ACT_NONE, TFK_ACT_RELU, TFK_ACT_RELU6 */
} tfk_add_f32_params;

/* output may be a itself when a has the output's shape (every a[i] is read before y[i] is
 * written, and never again); otherwise no overlap. */
TFK_FN void tfk_add_f32(const tfk_add_f32_params *p, const float *a, const float *b,
                        float *output) {
  float *y = output;
  int i0, i1, i2, i3;
  for (i0 = 0; i0 < p->out_shape[0]; i0++) {
    for (i1 = 0; i1 < p->out_shape[1]; i1++) {
      for (i2 = 0; i2 < p->out_shape[2]; i2++) {
        const float *ar = a + i0 * p->a_stride[0] + i1 * p->a_stride[1] + i2 * p->a_stride[2];
        const float *br = b + i0 * p->b_stride[0] + i1 * p->b_stride[1] + i2 * p->b_stride[2];
        for (i3 = 0; i3 < p->out_shape[3]; i3++) {
          *y++ = ar[i3 * p->a_stride[3]] + br[i3 * p->b_stride[3]];
        }
      }
    }
  }
  tfk_activation_f32(p->act, output,
                     (size_t)p->out_shape[0] * (size_t)p->out_shape[1] *
                         (size_t)p->out_shape[2] * (size_t)p->out_shape[3]);
}
