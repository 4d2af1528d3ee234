/* CONCATENATION int8 along any non-batch axis: TFLite's reference_ops::Concatenation as TFLM
 * and litert BUILTIN_REF run it when every input shares the output's quantization (what the
 * converter emits, and all tinyflash.runtime accepts): a byte copy, to the bit.
 *
 * Each input i is viewed as (outer, inner_i) with outer the product of the axes before the
 * concatenation axis and inner_i the product of the rest of input i's shape; the output is
 * (outer, sum of inner_i), each of its rows the inputs' rows one after the other.
 */
#include "tfk_kernels.h"

/* One CONCATENATION, computed at generation time (firmware_c/emit/int8/concatenation.py). */
typedef struct {
  const uint32_t *inner; /* (n_inputs,) bytes of one row of each input */
  uint32_t outer;        /* rows */
  uint32_t n_inputs;
} tfk_concatenation_params;

/* out[0..n) = in[0..n); 4 words a step where both are 4-aligned. */
TFK_FN uint8_t *tfk__concatenation_copy(uint8_t *out, const uint8_t *in, uint32_t n) {
  uint32_t i = 0;
#if defined(__GNUC__)
  if ((((uintptr_t)in | (uintptr_t)out) & 3u) == 0u) {
    const tfk__u32a *src = (const tfk__u32a *)(const void *)in;
    tfk__u32a *dst = (tfk__u32a *)(void *)out;
    for (; i + 16u <= n; i += 16u) {
      const uint32_t w0 = src[0], w1 = src[1], w2 = src[2], w3 = src[3];
      dst[0] = w0;
      dst[1] = w1;
      dst[2] = w2;
      dst[3] = w3;
      src += 4;
      dst += 4;
    }
    for (; i + 4u <= n; i += 4u) {
      *dst++ = *src++;
    }
  }
#endif
  for (; i < n; i++) {
    out[i] = in[i];
  }
  return out + n;
}

/* inputs: (n_inputs,) pointers to (outer, inner[i]) offset-binary tensors; output:
 * (outer, sum of inner) offset binary, not overlapping any input. */
TFK_FN void tfk_concatenation(const tfk_concatenation_params *p, const uint8_t *const *inputs,
                              uint8_t *output) {
  uint32_t o, i;
  for (o = 0; o < p->outer; o++) {
    for (i = 0; i < p->n_inputs; i++) {
      output = tfk__concatenation_copy(output, inputs[i] + o * p->inner[i], p->inner[i]);
    }
  }
}
