/* CONV_2D int8 with per-channel requantization and fused activation: TFLM's
 * reference_integer_ops::ConvPerChannel, to the bit (and ai-edge-litert BUILTIN_REF, whose
 * convolutions also requantize with gemmlowp double rounding, so this kernel always does,
 * whatever TFK_ROUNDING_SINGLE says).
 *
 * The convolution runs as a matrix product on patches ("im2col"). For output pixel (oy, ox) the
 * patch is the K = kh * kw * in_c input bytes its filter sees, in (ky, kx, channel) order; taps
 * outside the image read pad_byte = 128 + input zero point, i.e. the value x = zp_in whose term
 * w * (x - zp_in) is 0 -- exactly TFLM's skip of those taps. Then, as in tfk_fully_connected.c,
 * with u = x + 128 (offset-binary activations) and wu = w + 128 (offset-binary weights):
 *   acc[o] = bias[o] + sum_k w[o][k] * (x[k] - zp_in)
 *          = folded_bias[o] + sum_k wu[o][k] * u[k] - 128 * sum_k u[k]
 * and the patch is padded to k8 (K rounded up to 8) with 0 bytes, against weight columns of
 * 128, which cancel. The weights are blocked by pairs of rows, the order both paths read them
 * in: (ceil(out_c / 2), k8 / 4, 2, 4) = [pair of rows][group of 4 inputs][row][input], so one
 * pointer walks them once per pixel (pair) from start to end.
 *
 * Two paths, the same bytes:
 *   Cortex-M4/M7 (TFK_USE_DSP): two output pixels per pass over the weights. Their patches are
 *     written to scratch already split into 16-bit lanes (UXTB16; straight from the input when
 *     in_c % 4 == 0), so the inner loop only splits weights: per 4 inputs of 2 rows x 2 pixels,
 *     1 LDRD weights, 2 LDRD inputs, 4 UXTB16, 8 SMLAD (16 MACs).
 *   portable C99 (Cortex-M0+ and hosts): one pixel, two rows at a time, byte loads with
 *     immediate offsets (the only cheap kind on Cortex-M0). A 1x1 filter without padding whose
 *     in_c is a multiple of 8 reads the input pixel in place (no patch copy).
 * Both write a pixel's int32 accumulators to scratch, then requantize the row: TFLM's double
 * rounding rewritten as one rounded 64-bit product (tfk__conv_2d_mbqm states why it is exact).
 * Every partial sum stays below 2^31 (the generator checks the worst case).
 * Measured (QEMU, exact instruction counts, -O2, the kernel called through a pointer so that
 * nothing is specialised to one layer): Cortex-M4 1.54 instructions/MAC for 3x3 16->16 on
 * 24x24, 1.63 for 1x1 64->64 on 25x5 (TFLM with CMSIS-NN: 2.33, 2.09 on the same files);
 * Cortex-M0 5.2 and 5.7 (CMSIS-NN's portable C: 7.6, 7.7).
 */
#include "tfk_kernels.h"

/* One convolution's constants and geometry, all fixed at generation time.
 * weights: offset-binary uint8 (ceil(out_c/2), k8/4, 2, 4), padding rows/columns 128; 8-aligned.
 * bias: (2 * ceil(out_c/2),) int32: bias[o] - (128 + input zero point) * sum_k w[o][k].
 * multiplier, shift: (out_c,) per-channel requantization, multiplier * 2^(shift - 31).
 * in_h, in_w, in_c: input (in_h, in_w, in_c); out_h, out_w, out_c: output (out_h, out_w, out_c).
 * kh, kw: filter size; stride_*, dilation_*: >= 1; pad_top, pad_left: TFLite's SAME/VALID
 *   padding before the first row / column (the after-padding needs no field).
 * k8: K = kh * kw * in_c rounded up to 8. pad_byte: 128 + input zero point.
 * right_shifts_only: 1 when every shift is negative (requantization takes a branch-free loop).
 * out_zero_point, act_min, act_max: output zero point and the fused activation's clamp (int8). */
typedef struct {
  const uint8_t *weights;
  const int32_t *bias;
  const int32_t *multiplier;
  const int8_t *shift;
  uint16_t in_h, in_w, in_c;
  uint16_t out_h, out_w, out_c;
  uint16_t kh, kw;
  uint16_t stride_h, stride_w;
  uint16_t dilation_h, dilation_w;
  uint16_t pad_top, pad_left;
  uint16_t k8;
  uint8_t pad_byte;
  uint8_t right_shifts_only;
  int16_t out_zero_point;
  int16_t act_min;
  int16_t act_max;
} tfk_conv_2d_params;

/* Scratch bytes tfk_conv_2d needs (8-aligned), the DSP path's layout (the portable path needs
 * less: a plain patch unless it reads 1x1 pixels in place, and one pixel's accumulators):
 *   4 * k8   two lane-split patches (pixels A and B);
 *   k8       one plain patch, only when in_c % 4 != 0 (else patches are split straight from
 *             the input);
 *   8 * ceil4(out_c)  the int32 accumulators of both pixels.
 * The generator sizes the step's scratch with the same formula. */
#define TFK_CONV_2D_SCRATCH_BYTES(k8, in_c, out_c)                 \
  ((4u + ((in_c) % 4u != 0u ? 1u : 0u)) * (size_t)(k8) + \
   8u * (((size_t)(out_c) + 3u) & ~(size_t)3u))

/* floor((a * m + c * 2^31 + 2^30) / 2^32), the high word of the rounded product, for m in
 * [0, 2^31) (a requantization multiplier) and 0 <= c <= 2^30. ARMv6-M (Cortex-M0/M0+) has no
 * 32 x 32 -> 64 multiply: gcc calls a 64 x 64 library routine and spills the 64-bit values, so
 * there four 32-bit MULs of 16-bit halves and explicit carries give the same word (the whole
 * requantization of a value drops from about 100 instructions to about 45).
 * TFK_CONV_2D_HIGH16 forces that form anywhere (the tests compare both). */
TFK_FN int32_t tfk__conv_2d_high(int32_t a, int32_t m, uint32_t c) {
#if defined(__ARM_ARCH_6M__) || defined(TFK_CONV_2D_HIGH16)
  const int32_t ah = a >> 16; /* a = ah * 2^16 + al, m = mh * 2^16 + ml */
  const uint32_t al = (uint32_t)a & 0xFFFFu;
  const int32_t mh = (int32_t)((uint32_t)m >> 16); /* < 2^15 */
  const uint32_t ml = (uint32_t)m & 0xFFFFu;
  const int32_t t1 = ah * (int32_t)ml;       /* |t1| < 2^31 */
  const uint32_t t2 = al * (uint32_t)mh;     /* < 2^31 */
  uint32_t lo = al * ml;
  uint32_t x;
  /* every partial high word stays below 2^31 in magnitude */
  int32_t hi = (int32_t)(c >> 1) + ah * mh + (t1 >> 16) + (int32_t)(t2 >> 16);
  x = lo + (((c & 1u) << 31) | (1u << 30));
  hi += x < lo ? 1 : 0;
  lo = x;
  x = lo + ((uint32_t)t1 << 16);
  hi += x < lo ? 1 : 0;
  lo = x;
  x = lo + (t2 << 16);
  hi += x < lo ? 1 : 0;
  return hi;
#else
  return (int32_t)(((int64_t)a * m + (int64_t)((uint64_t)c << 31) + ((int64_t)1 << 30)) >> 32);
#endif
}

/* TFLM's MultiplyByQuantizedMultiplier with gemmlowp double rounding, to the bit, with one
 * 64-bit multiply-accumulate. m in [2^30, 2^31) or 0, shift in [-31, 30] (TFLite's contract).
 *   SaturatingRoundingDoublingHighMul(a, m) = r1 = floor((a * m + 2^30) / 2^31): gemmlowp adds
 *     1 - 2^30 to a negative product and truncates toward zero, which is the same integer; it
 *     never saturates because m < 2^31.
 *   RoundingDivideByPOT(r1, e) = floor((r1 + 2^(e-1) - [r1 < 0]) / 2^e) for e >= 1.
 * Nested floors of integers compose, so for e = -shift >= 1 the two are one floor,
 *   floor((a * m + 2^30 + (2^(e-1) - [r1 < 0]) * 2^31) / 2^(31 + e)),
 * where [r1 < 0] may be read as [a < 0]: they differ only when a * m is in [-2^30, 0], where
 * r1 = 0 and both offsets give 0. The sum stays inside int64, and a shift by 31 + e >= 32 is
 * the high word shifted by e - 1. */
TFK_FN int32_t tfk__conv_2d_mbqm(int32_t acc, int32_t m, int32_t shift) {
  if (shift < 0) {
    const int32_t e = -shift;
    const uint32_t c = (1u << (e - 1)) - ((uint32_t)acc >> 31); /* 2^(e-1) - [acc < 0] */
    return tfk__conv_2d_high(acc, m, c) >> (e - 1);
  } else {
    const int32_t a = (int32_t)((uint32_t)acc << shift);
    return (int32_t)(((int64_t)a * m + ((int64_t)1 << 30)) >> 31);
  }
}

/* The output byte of one requantized value v: plus the output zero point zp, clamped to the
 * fused activation's [lo, hi], offset binary. */
TFK_FN uint8_t tfk__conv_2d_store(int32_t v, int32_t zp, int32_t lo, int32_t hi) {
  v += zp;
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  return (uint8_t)((uint32_t)v ^ 0x80u);
}

/* tfk__conv_2d_mbqm for shift = -(e1 + 1) < 0, given h = 2^e1 (computed once per channel):
 * branch-free. */
TFK_FN int32_t tfk__conv_2d_mbqm_right(int32_t acc, int32_t m, int32_t e1, uint32_t h) {
  return tfk__conv_2d_high(acc, m, h - ((uint32_t)acc >> 31)) >> e1;
}

/* out[o] = the output byte of acc[o] (and out2[o] of acc2[o] when out2 is not NULL: two pixels
 * share each channel's multiplier and shift), for every channel. */
TFK_FN void tfk__conv_2d_requantize(const tfk_conv_2d_params *p, const int32_t *acc,
                                    uint8_t *out, const int32_t *acc2, uint8_t *out2) {
  /* Locals, not p->...: the byte stores below may alias *p as far as C is concerned, and the
   * compiler would reload every field after each of them. */
  const int32_t *const multiplier = p->multiplier;
  const int8_t *const shift = p->shift;
  const size_t n = p->out_c;
  const int32_t zp = p->out_zero_point, lo = p->act_min, hi = p->act_max;
  size_t o;
  if (p->right_shifts_only) { /* the usual case: every multiplier below 1/2 */
    for (o = 0; o < n; o++) {
      const int32_t m = multiplier[o];
      const int32_t e1 = -shift[o] - 1;
      const uint32_t h = 1u << e1;
      out[o] = tfk__conv_2d_store(tfk__conv_2d_mbqm_right(acc[o], m, e1, h), zp, lo, hi);
      if (out2 != NULL) {
        out2[o] = tfk__conv_2d_store(tfk__conv_2d_mbqm_right(acc2[o], m, e1, h), zp, lo, hi);
      }
    }
    return;
  }
  for (o = 0; o < n; o++) {
    const int32_t m = multiplier[o];
    out[o] = tfk__conv_2d_store(tfk__conv_2d_mbqm(acc[o], m, shift[o]), zp, lo, hi);
    if (out2 != NULL) {
      out2[o] = tfk__conv_2d_store(tfk__conv_2d_mbqm(acc2[o], m, shift[o]), zp, lo, hi);
    }
  }
}

/* Copy n bytes, returning their sum (for the -128 * sum u term). */
TFK_FN uint32_t tfk__conv_2d_copy(uint8_t *dst, const uint8_t *src, size_t n) {
  uint32_t sum = 0;
  size_t i;
  for (i = 0; i < n; i++) {
    dst[i] = src[i];
    sum += src[i];
  }
  return sum;
}

/* The plain patch of output pixel (oy, ox): k8 bytes, (ky, kx, channel) order, outside taps
 * pad_byte, the tail after K zero. Returns the sum of its bytes. A filter row that lies inside
 * the image with dilation 1 is one contiguous run of kw * in_c input bytes. */
TFK_FN uint32_t tfk__conv_2d_patch(const tfk_conv_2d_params *p, const uint8_t *input, size_t oy,
                                   size_t ox, uint8_t *patch) {
  const size_t c = p->in_c;
  const long y0 = (long)(oy * p->stride_h) - (long)p->pad_top;
  const long x0 = (long)(ox * p->stride_w) - (long)p->pad_left;
  const int row_inside = x0 >= 0 && x0 + (long)p->kw <= (long)p->in_w && p->dilation_w == 1u;
  uint8_t *dst = patch;
  uint32_t sum = 0;
  size_t ky, kx, i;
  for (ky = 0; ky < p->kh; ky++) {
    const long y = y0 + (long)(ky * p->dilation_h);
    const int y_inside = y >= 0 && y < (long)p->in_h;
    const uint8_t *row = input + (y_inside ? (size_t)y * p->in_w * c : 0u);
    if (y_inside && row_inside) {
      sum += tfk__conv_2d_copy(dst, row + (size_t)x0 * c, p->kw * c);
      dst += p->kw * c;
      continue;
    }
    for (kx = 0; kx < p->kw; kx++) {
      const long x = x0 + (long)(kx * p->dilation_w);
      if (!y_inside || x < 0 || x >= (long)p->in_w) {
        for (i = 0; i < c; i++) {
          dst[i] = p->pad_byte;
        }
        sum += (uint32_t)p->pad_byte * (uint32_t)c;
      } else {
        sum += tfk__conv_2d_copy(dst, row + (size_t)x * c, c);
      }
      dst += c;
    }
  }
  while (dst != patch + p->k8) {
    *dst++ = 0;
  }
  return sum;
}

#if TFK_USE_DSP
#include <arm_acle.h>

/* UXTB16 Rd, Rm, ROR #8: bytes 1 and 3 as two 16-bit lanes (arm_acle.h has no rotate form). */
TFK_FN uint32_t tfk__conv_2d_uxtb16_ror8(uint32_t v) {
  uint32_t r;
  __asm__("uxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}

/* Split a k8-byte patch into lanes for the pair buffer: for each group of 4 bytes b0..b3,
 * words (b0 | b2 << 16) and (b1 | b3 << 16) at pair[4 * g + 0, 1] (pixel A) or [4 * g + 2, 3]
 * (pixel B: pass pair + 2). Both pointers 4-aligned. */
TFK_FN void tfk__conv_2d_split(const uint8_t *patch, size_t k8, tfk__u32a *pair) {
  const tfk__u32a *src = (const tfk__u32a *)(const void *)patch;
  size_t g;
  for (g = 0; g < k8 / 4u; g++) {
    const uint32_t v = src[g];
    pair[4u * g] = __uxtb16(v);
    pair[4u * g + 1u] = tfk__conv_2d_uxtb16_ror8(v);
  }
}

/* in_c % 4 == 0: gather and split in one pass, one word load per 4 channels (4-aligned: the
 * input starts 16-aligned and every pixel at a multiple of in_c). Writes pixel A's or B's words
 * of the pair buffer as tfk__conv_2d_split does; returns the sum of the patch's bytes. */
TFK_FN uint32_t tfk__conv_2d_patch_split(const tfk_conv_2d_params *p, const uint8_t *input,
                                         size_t oy, size_t ox, tfk__u32a *pair) {
  const size_t words = p->in_c / 4u;
  const uint32_t pad_lanes = (uint32_t)p->pad_byte * 0x00010001u;
  const long y0 = (long)(oy * p->stride_h) - (long)p->pad_top;
  const long x0 = (long)(ox * p->stride_w) - (long)p->pad_left;
  const int row_inside = x0 >= 0 && x0 + (long)p->kw <= (long)p->in_w && p->dilation_w == 1u;
  tfk__u32a *dst = pair;
  uint32_t sum = 0;
  size_t ky, kx, i;
  for (ky = 0; ky < p->kh; ky++) {
    const long y = y0 + (long)(ky * p->dilation_h);
    const int y_inside = y >= 0 && y < (long)p->in_h;
    if (y_inside && row_inside) { /* the filter row is one run of kw * in_c bytes */
      const tfk__u32a *src =
          (const tfk__u32a *)(const void *)(input + ((size_t)y * p->in_w + (size_t)x0) * p->in_c);
      for (i = 0; i < p->kw * words; i++) {
        const uint32_t v = src[i];
        sum = __usada8(v, 0u, sum);
        dst[0] = __uxtb16(v);
        dst[1] = tfk__conv_2d_uxtb16_ror8(v);
        dst += 4;
      }
      continue;
    }
    for (kx = 0; kx < p->kw; kx++) {
      const long x = x0 + (long)(kx * p->dilation_w);
      if (!y_inside || x < 0 || x >= (long)p->in_w) {
        for (i = 0; i < words; i++) {
          dst[0] = pad_lanes;
          dst[1] = pad_lanes;
          dst += 4;
        }
        sum += (uint32_t)p->pad_byte * (uint32_t)p->in_c;
      } else {
        const tfk__u32a *src =
            (const tfk__u32a *)(const void *)(input + ((size_t)y * p->in_w + (size_t)x) * p->in_c);
        for (i = 0; i < words; i++) {
          const uint32_t v = src[i];
          sum = __usada8(v, 0u, sum);
          dst[0] = __uxtb16(v);
          dst[1] = tfk__conv_2d_uxtb16_ror8(v);
          dst += 4;
        }
      }
    }
  }
  while (dst != pair + p->k8) {
    dst[0] = 0u;
    dst[1] = 0u;
    dst += 4;
  }
  return sum;
}

/* Rows o, o+1 (one weight word each) against pixels A and B (two lane words each). */
#define TFK__CONV_2D_GROUP(k)                                    \
  do {                                                           \
    const uint32_t tfk__w0 = w[2 * (k)];                         \
    const uint32_t tfk__w1 = w[2 * (k) + 1];                     \
    const uint32_t tfk__a02 = x[4 * (k)], tfk__a13 = x[4 * (k) + 1]; \
    const uint32_t tfk__b02 = x[4 * (k) + 2], tfk__b13 = x[4 * (k) + 3]; \
    uint32_t tfk__t = __uxtb16(tfk__w0);                         \
    a0 = __smlad((int32_t)tfk__t, (int32_t)tfk__a02, a0);        \
    b0 = __smlad((int32_t)tfk__t, (int32_t)tfk__b02, b0);        \
    tfk__t = tfk__conv_2d_uxtb16_ror8(tfk__w0);                  \
    a0 = __smlad((int32_t)tfk__t, (int32_t)tfk__a13, a0);        \
    b0 = __smlad((int32_t)tfk__t, (int32_t)tfk__b13, b0);        \
    tfk__t = __uxtb16(tfk__w1);                                  \
    a1 = __smlad((int32_t)tfk__t, (int32_t)tfk__a02, a1);        \
    b1 = __smlad((int32_t)tfk__t, (int32_t)tfk__b02, b1);        \
    tfk__t = tfk__conv_2d_uxtb16_ror8(tfk__w1);                  \
    a1 = __smlad((int32_t)tfk__t, (int32_t)tfk__a13, a1);        \
    b1 = __smlad((int32_t)tfk__t, (int32_t)tfk__b13, b1);        \
  } while (0)

/* The accumulators of every output channel (and a padding row) of pixels A and B from
 * their split patches `pair` (4 * k8 bytes). corr_*: 128 * (sum of the pixel's patch bytes). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-schedule-insns")))
#endif
TFK_FN void tfk__conv_2d_pair(const tfk_conv_2d_params *p, const tfk__u32a *pair, int32_t corr_a,
                              int32_t corr_b, int32_t *acc_a, int32_t *acc_b) {
  const tfk__u32a *const x_end = pair + p->k8;
  const tfk__u32a *const x_mid = pair + (p->k8 & ~15u);
  const tfk__u32a *w = (const tfk__u32a *)(const void *)p->weights; /* walked once, in order */
  const int32_t *bias = p->bias;
  int32_t *const a_end = acc_a + p->out_c;
  do {
    const tfk__u32a *x = pair;
    int32_t a0 = bias[0] - corr_a, a1 = bias[1] - corr_a;
    int32_t b0 = bias[0] - corr_b, b1 = bias[1] - corr_b;
    while (x != x_mid) { /* 16 inputs */
      TFK__CONV_2D_GROUP(0);
      TFK__CONV_2D_GROUP(1);
      TFK__CONV_2D_GROUP(2);
      TFK__CONV_2D_GROUP(3);
      w += 8;
      x += 16;
    }
    if (x != x_end) { /* the last 8 when k8 % 16 == 8 */
      TFK__CONV_2D_GROUP(0);
      TFK__CONV_2D_GROUP(1);
      w += 4;
    }
    acc_a[0] = a0;
    acc_a[1] = a1;
    acc_b[0] = b0;
    acc_b[1] = b1;
    acc_a += 2;
    acc_b += 2;
    bias += 2;
  } while (acc_a < a_end);
}
#undef TFK__CONV_2D_GROUP

/* input: (in_h, in_w, in_c) offset binary; output: (out_h, out_w, out_c) offset binary;
 * scratch: TFK_CONV_2D_SCRATCH_BYTES(k8, in_c, out_c) bytes, 8-aligned. Pixels go in pairs; an odd
 * last pixel is its own partner (computed twice, stored once more with the same bytes). */
TFK_FN void tfk_conv_2d(const tfk_conv_2d_params *p, const uint8_t *input, uint8_t *output,
                        uint8_t *scratch) {
  tfk__u32a *const pair = (tfk__u32a *)(void *)scratch;
  uint8_t *const patch = scratch + 4u * (size_t)p->k8;
  const size_t plain = p->in_c % 4u != 0u ? p->k8 : 0u;
  int32_t *const acc_a = (int32_t *)(void *)(patch + plain);
  int32_t *const acc_b = acc_a + ((p->out_c + 3u) & ~3u);
  const size_t n = (size_t)p->out_h * p->out_w;
  size_t i;
  for (i = 0; i < n; i += 2u) {
    const size_t j = i + 1u < n ? i + 1u : i;
    uint32_t sum_a, sum_b;
    if (p->in_c % 4u == 0u) {
      sum_a = tfk__conv_2d_patch_split(p, input, i / p->out_w, i % p->out_w, pair);
      sum_b = tfk__conv_2d_patch_split(p, input, j / p->out_w, j % p->out_w, pair + 2);
    } else {
      sum_a = tfk__conv_2d_patch(p, input, i / p->out_w, i % p->out_w, patch);
      tfk__conv_2d_split(patch, p->k8, pair);
      sum_b = tfk__conv_2d_patch(p, input, j / p->out_w, j % p->out_w, patch);
      tfk__conv_2d_split(patch, p->k8, pair + 2);
    }
    tfk__conv_2d_pair(p, pair, (int32_t)(sum_a << 7), (int32_t)(sum_b << 7), acc_a, acc_b);
    tfk__conv_2d_requantize(p, acc_a, output + i * p->out_c, acc_b, output + j * p->out_c);
  }
}
#else

/* A no-op pinning a sum to a low register on Thumb-1 (see tfk_fully_connected.c). */
#if defined(__GNUC__) && defined(__thumb__) && !defined(__thumb2__)
#define TFK__CONV_2D_PIN(v) __asm__("" : "+l"(v))
#else
#define TFK__CONV_2D_PIN(v) ((void)0)
#endif

/* Two rows, one input byte: one input load shared by two weight loads. */
#define TFK__CONV_2D_MAC2(k)        \
  do {                              \
    const uint32_t tfk__x = x[k];   \
    s0 += w[k] * tfk__x;            \
    s1 += w[4 + (k)] * tfk__x;      \
    TFK__CONV_2D_PIN(s0);           \
    TFK__CONV_2D_PIN(s1);           \
  } while (0)

/* The accumulators of every output channel (and a padding row) of one pixel from its k8-byte
 * patch (sum: the sum of its bytes). */
TFK_FN void tfk__conv_2d_pixel(const tfk_conv_2d_params *p, const uint8_t *patch, uint32_t sum,
                               int32_t *acc) {
  const uint8_t *const x_end = patch + p->k8;
  const int32_t correction = (int32_t)(sum << 7);
  size_t o;
  for (o = 0; o < p->out_c; o += 2u) {
    const uint8_t *w = p->weights + o * (size_t)p->k8; /* rows o, o+1: 2 * k8 bytes */
    const uint8_t *x = patch;
    uint32_t s0 = 0, s1 = 0;
    do {
      TFK__CONV_2D_MAC2(0);
      TFK__CONV_2D_MAC2(1);
      TFK__CONV_2D_MAC2(2);
      TFK__CONV_2D_MAC2(3);
      x += 4;
      w += 8;
    } while (x != x_end);
    acc[o] = p->bias[o] + (int32_t)s0 - correction;
    acc[o + 1u] = p->bias[o + 1u] + (int32_t)s1 - correction;
  }
}
#undef TFK__CONV_2D_MAC2
#undef TFK__CONV_2D_PIN

/* input: (in_h, in_w, in_c) offset binary; output: (out_h, out_w, out_c) offset binary;
 * scratch: TFK_CONV_2D_SCRATCH_BYTES(k8, in_c, out_c) bytes, 8-aligned (this path uses a
 * patch of k8 bytes, then the accumulators of one pixel: k8 + 4 * ceil4(out_c) fits). */
TFK_FN void tfk_conv_2d(const tfk_conv_2d_params *p, const uint8_t *input, uint8_t *output,
                        uint8_t *scratch) {
  const int direct = p->kh == 1u && p->kw == 1u && p->pad_top == 0u && p->pad_left == 0u &&
                     p->in_c == p->k8;
  int32_t *const acc = (int32_t *)(void *)(scratch + p->k8);
  size_t oy, ox, i;
  for (oy = 0; oy < p->out_h; oy++) {
    for (ox = 0; ox < p->out_w; ox++) {
      if (direct) {
        const uint8_t *x = input + (oy * p->stride_h * p->in_w + ox * p->stride_w) * p->in_c;
        uint32_t sum = 0;
        for (i = 0; i < p->in_c; i++) {
          sum += x[i];
        }
        tfk__conv_2d_pixel(p, x, sum, acc);
      } else {
        tfk__conv_2d_pixel(p, scratch, tfk__conv_2d_patch(p, input, oy, ox, scratch), acc);
      }
      tfk__conv_2d_requantize(p, acc, output + (oy * p->out_w + ox) * p->out_c, NULL, NULL);
    }
  }
}
#endif
