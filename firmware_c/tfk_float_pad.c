/* PAD float32, constant 0.0f, rank <= 4: TFLite's reference_ops::Pad float path with no
 * constant_values (ai-edge-litert BUILTIN_REF; tinyflash.runtime runtime/ops/pad.py):
 *   y[o] = x[o - before] where that is inside x, else 0.0f
 * A copy: bit-identical by construction.
 */
#include "tfk_float.h"

typedef struct {
  int in_shape[4];  /* input dims, left-padded with 1 to rank 4 */
  int out_shape[4]; /* output dims: in_shape + before + after */
  int before[4];    /* padding before each axis */
} tfk_pad_f32_params;

/* input and output must not overlap. */
TFK_FN void tfk_pad_f32(const tfk_pad_f32_params *p, const float *input, float *output) {
  float *y = output;
  int o0, o1, o2, o3;
  for (o0 = 0; o0 < p->out_shape[0]; o0++) {
    const int i0 = o0 - p->before[0];
    for (o1 = 0; o1 < p->out_shape[1]; o1++) {
      const int i1 = o1 - p->before[1];
      for (o2 = 0; o2 < p->out_shape[2]; o2++) {
        const int i2 = o2 - p->before[2];
        const int row_inside = i0 >= 0 && i0 < p->in_shape[0] && i1 >= 0 && i1 < p->in_shape[1] &&
                               i2 >= 0 && i2 < p->in_shape[2];
        const float *x =
            input + ((i0 * p->in_shape[1] + i1) * p->in_shape[2] + i2) * p->in_shape[3];
        for (o3 = 0; o3 < p->out_shape[3]; o3++) {
          const int i3 = o3 - p->before[3];
          *y++ = row_inside && i3 >= 0 && i3 < p->in_shape[3] ? x[i3] : 0.0f;
        }
      }
    }
  }
}
