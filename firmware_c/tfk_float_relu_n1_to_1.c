/* RELU_N1_TO_1 float32, in place: TFLite's reference_ops::Relu1 (ai-edge-litert BUILTIN_REF;
 * tinyflash.runtime runtime/ops/relu.py), y = min(max(x, -1), 1). Also the fused activation
 * RELU_N1_TO_1 of the other float kernels (keras.ops.clip(x, -1, 1) after a Conv2D or Dense
 * becomes one), applied after them: it has no TFK_ACT_* constant. A clamp: exact.
 */
#include "tfk_float.h"

TFK_FN void tfk_relu_n1_to_1_f32(float *values, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    const float v = values[i];
    values[i] = v > 1.0f ? 1.0f : (v < -1.0f ? -1.0f : v);
  }
}
