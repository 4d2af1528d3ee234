/* PAD int8 (constant padding of the non-batch axes): TFLite's reference_ops::Pad as TFLM and
 * litert BUILTIN_REF run it, to the bit. The fill is the output zero point (the quantized 0.0),
 * stored like every activation as offset binary: value = zero point + 128.
 *
 * The generator collapses the shape to three axes (d0, d1, d2) after the batch: an axis without
 * padding merges into the one outside it (whose padding then counts in blocks of the inner
 * size), so NHWC padded on H and W is (1, H, W * C) with padding (top, bottom) and
 * (left * C, right * C), and padded on H only it is (1, 1, H * W * C) with (top, bottom) * W * C.
 * The output is written once, in order: whole padded slabs and rows as fills, each input row
 * as one copy between its two fills (word copies where source and destination are 4-aligned).
 */
#include "tfk_kernels.h"

/* One PAD, computed at generation time (firmware_c/emit/int8/pad.py). */
typedef struct {
  uint32_t in[3];     /* input (d0, d1, d2) after the batch, collapsed */
  uint32_t before[3]; /* padding before each axis */
  uint32_t out[3];    /* output (d0, d1, d2) = before + in + after */
  uint8_t value;      /* the fill: output zero point + 128 */
} tfk_pad_params;

/* out[0..n) = value; words from the first 4-aligned byte on. */
TFK_FN uint8_t *tfk__pad_fill(uint8_t *out, uint8_t value, uint32_t n) {
  uint8_t *const end = out + n;
#if defined(__GNUC__)
  const uint32_t word = value * 0x01010101u;
  while (out != end && ((uintptr_t)out & 3u) != 0u) {
    *out++ = value;
  }
  while ((size_t)(end - out) >= 4u) {
    *(tfk__u32a *)(void *)out = word;
    out += 4;
  }
#endif
  while (out != end) {
    *out++ = value;
  }
  return end;
}

/* out[0..n) = in[0..n); 4 words a step where both are 4-aligned. */
TFK_FN uint8_t *tfk__pad_copy(uint8_t *out, const uint8_t *in, uint32_t n) {
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

/* input: (in[0], in[1], in[2]), output: (out[0], out[1], out[2]), offset binary. */
TFK_FN void tfk_pad(const tfk_pad_params *p, const uint8_t *input, uint8_t *output) {
  const uint32_t slab = p->out[1] * p->out[2];
  const uint32_t after2 = p->out[2] - p->before[2] - p->in[2];
  uint32_t z, y;
  for (z = 0; z < p->out[0]; z++) {
    if (z < p->before[0] || z >= p->before[0] + p->in[0]) {
      output = tfk__pad_fill(output, p->value, slab);
      continue;
    }
    for (y = 0; y < p->out[1]; y++) {
      if (y < p->before[1] || y >= p->before[1] + p->in[1]) {
        output = tfk__pad_fill(output, p->value, p->out[2]);
        continue;
      }
      output = tfk__pad_fill(output, p->value, p->before[2]);
      output = tfk__pad_copy(output, input, p->in[2]);
      output = tfk__pad_fill(output, p->value, after2);
      input += p->in[2];
    }
  }
}
