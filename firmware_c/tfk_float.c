/* float32 kernels (TFLite's float reference semantics) for MCUs with an FPU. Uses <math.h>. */
#include <math.h>

#include "tfk_float.h"

TFK_FN void tfk_activation_f32(int act, float *values, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    const float v = values[i];
    switch (act) {
      case TFK_ACT_RELU:
        values[i] = v > 0.0f ? v : 0.0f;
        break;
      case TFK_ACT_RELU6:
        values[i] = v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f;
        break;
      case TFK_ACT_LOGISTIC:
        values[i] = 1.0f / (1.0f + expf(-v));
        break;
      case TFK_ACT_TANH:
        values[i] = tanhf(v);
        break;
      default:
        break;
    }
  }
}

TFK_FN void tfk_fully_connected_f32(const float *weights, const float *bias, size_t n_in,
                                    size_t n_out, int act, const float *input, float *output) {
  size_t o;
  size_t i;
  for (o = 0; o < n_out; o++) {
    const float *w = weights + o * n_in;
    float acc = 0.0f;
    for (i = 0; i < n_in; i++) {
      acc += w[i] * input[i];
    }
    output[o] = acc + (bias != NULL ? bias[o] : 0.0f);
  }
  tfk_activation_f32(act, output, n_out);
}

TFK_FN void tfk_softmax_f32(float beta, const float *input, float *output, size_t n) {
  float max_in = input[0];
  float sum = 0.0f;
  size_t i;
  for (i = 1; i < n; i++) {
    max_in = input[i] > max_in ? input[i] : max_in;
  }
  for (i = 0; i < n; i++) {
    output[i] = expf((input[i] - max_in) * beta);
    sum += output[i];
  }
  for (i = 0; i < n; i++) {
    output[i] /= sum;
  }
}
