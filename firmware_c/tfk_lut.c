/* Element-wise int8 ops as 256-entry tables, and the byte-layout helpers of the entry points. */
#include "tfk_kernels.h"

TFK_FN void tfk_lut(const uint8_t table[256], const uint8_t *input, uint8_t *output, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    output[i] = table[input[i]];
  }
}

TFK_FN void tfk_to_offset_binary(const int8_t *input, uint8_t *output, size_t n) {
  size_t i = 0;
#if defined(__GNUC__)
  if ((((uintptr_t)input | (uintptr_t)output) & 3u) == 0u) {
    const tfk__u32a *in = (const tfk__u32a *)(const void *)input;
    tfk__u32a *out = (tfk__u32a *)(void *)output;
    for (; i + 4u <= n; i += 4u) {
      *out++ = *in++ ^ 0x80808080u;
    }
  }
#endif
  for (; i < n; i++) {
    output[i] = (uint8_t)((uint8_t)input[i] ^ 0x80u);
  }
}

TFK_FN int tfk_argmax(const int8_t *values, size_t n) {
  size_t best = 0;
  size_t i;
  for (i = 1; i < n; i++) {
    if (values[i] > values[best]) {
      best = i;
    }
  }
  return (int)best;
}
