/* tinyflash float32 kernels: declarations (see tfk_kernels.h for the tfk_ naming scheme). */
#ifndef TFK_FLOAT_H
#define TFK_FLOAT_H

#include <stddef.h>

#ifndef TFK_FN
#define TFK_FN
#endif

/* ---- float32 path (tfk_float.c), for MCUs with an FPU; uses <math.h> ---- */

enum { TFK_ACT_NONE = 0, TFK_ACT_RELU = 1, TFK_ACT_RELU6 = 2, TFK_ACT_LOGISTIC = 3, TFK_ACT_TANH = 4 };

/* weights: (n_out, n_in) float32 row-major; bias: (n_out,) or NULL. act: fused activation. */
TFK_FN void tfk_fully_connected_f32(const float *weights, const float *bias, size_t n_in,
                                    size_t n_out, int act, const float *input, float *output);
/* In place over n values: TFK_ACT_* element-wise activation. */
TFK_FN void tfk_activation_f32(int act, float *values, size_t n);
/* TFLite reference softmax: exp((x - max) * beta) / sum. May alias. */
TFK_FN void tfk_softmax_f32(float beta, const float *input, float *output, size_t n);

#endif
