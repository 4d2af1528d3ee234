/* CONCATENATION float32 along one axis: TFLite's reference_ops::Concatenation (ai-edge-litert
 * BUILTIN_REF; tinyflash.runtime runtime/ops/concatenation.py). Seen as (outer, axis * inner),
 * the output's row k is input 0's row k, then input 1's row k, ...: a copy, bit-identical.
 */
#include "tfk_float.h"

/* inputs: n_inputs pointers (arena tensors or constants in flash); row_sizes[i]: input i's
 * floats per outer row (its axis dim * the product of the dims after the axis); outer: the
 * product of the dims before the axis. output must not overlap any input. */
TFK_FN void tfk_concatenation_f32(int n_inputs, const float *const *inputs, const int *row_sizes,
                                  int outer, float *output) {
  float *y = output;
  int k, i, j;
  for (k = 0; k < outer; k++) {
    for (i = 0; i < n_inputs; i++) {
      const float *x = inputs[i] + k * row_sizes[i];
      for (j = 0; j < row_sizes[i]; j++) {
        *y++ = x[j];
      }
    }
  }
}
