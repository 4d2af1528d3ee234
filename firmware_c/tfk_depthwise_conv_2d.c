/* DEPTHWISE_CONV_2D int8 with per-channel requantization and fused activation: TFLM's
 * reference_integer_ops::DepthwiseConvPerChannel (and litert BUILTIN_REF, which rounds the same
 * way for convolutions), to the bit. NHWC, batch 1, any filter size, stride, dilation, padding
 * and depth multiplier; a 3x3 fast path for the common case (multiplier 1, channels a multiple
 * of 4), with a Cortex-M4/M7 DSP variant.
 *
 * Arithmetic. Activations are offset binary, u = q + 128, so the byte worth 0 is
 * pad = 128 + input_zero_point. Output channel o reads input channel c = o / M and
 *   acc[o] = bias[o] + sum over the taps inside the image of w[o][t] * (u[t] - pad)
 * (TFLM skips the taps outside the image; so does the generic path here). The fast path only
 * runs where all 9 taps are inside, so the generator folds the pad into the bias there:
 *   acc[o] = bias_folded[o] + sum_t w[o][t] * u[t],  bias_folded = bias - pad * sum_t w[o][t].
 *
 * Requantization (TFLite MultiplyByQuantizedMultiplier, double rounding) in a form that costs
 * one multiply-high on Cortex-M4: with left = max(shift, 0), e = max(-shift, 0) and
 * x = acc * 2^(left + 1),
 *   s = (x * m + 2^31) >> 32           == gemmlowp SaturatingRoundingDoublingHighMul(acc << left, m)
 *   t = (2 * s + 2^e + (s < 0 ? -1 : 0)) >> (e + 1)  == RoundingDivideByPOT(s, e)
 * (both identities are exact for m in [2^30, 2^31)). The output offset zp_out + 128 is folded
 * in: H = 2^e + (zp_out + 128) * 2^(e + 1) and y = clamp((2 * s + H + (s < 0 ? -1 : 0)) >> (e + 1),
 * act_min, act_max), stored as is (the output is offset binary too). The generator checks that
 * no intermediate leaves int32, and tests/firmware_c/test_kernel_depthwise_conv_2d.py compares
 * every byte with tinyflash.runtime and TFLM.
 */
#include "tfk_kernels.h"

/* One layer's constants, computed at generation time (firmware_c/emit/int8/depthwise_conv_2d.py).
 * K = kh * kw taps, in (ky, kx) order. Sizes: input (in_h, in_w, in_c), output
 * (out_h, out_w, out_c) with out_c = in_c * depth_multiplier. */
typedef struct {
  const int8_t *weights;      /* (out_c, K) int8: channel-major, one row of K taps per channel */
  const int32_t *bias;        /* (out_c,) the TFLite bias (generic path) */
  const int32_t *bias_folded; /* (out_c,) bias - pad * sum of the row's taps (portable 3x3) */
  const int32_t *requant;     /* (out_c, 4): m, H, e + 1, left + 1 (see the top of the file) */
  const int32_t *dsp;         /* (out_c / 4, 22) the DSP 3x3 stream (below), NULL without DSP */
  uint16_t in_h, in_w, in_c, out_h, out_w, out_c;
  uint16_t pad_w; /* input row width with the padding, pixels: pad_left + in_w + pad_right */
  uint8_t fast;   /* 1: 3x3, multiplier 1, in_c % 4 == 0: tfk__dw3x3_span for every pixel */
  uint8_t kh, kw, sh, sw, dh, dw, pad_top, pad_left, depth_multiplier;
  uint8_t pad;        /* 128 + input zero point: the input byte worth 0 */
  uint8_t act_min;    /* fused activation clamp, offset binary */
  uint8_t act_max;
} tfk_dw_params;

/* acc2 = acc * 2^(left + 1) -> the output byte; q = this channel's 4 requant words. */
TFK_FN uint8_t tfk__dw_requantize(const tfk_dw_params *p, int32_t acc2, const int32_t *q) {
  const int32_t s = tfk_high_mul_round(acc2, q[0]);
  int32_t t = (q[1] + (int32_t)((uint32_t)s << 1) + -(int32_t)((uint32_t)s >> 31)) >> q[2];
  t = t < p->act_min ? p->act_min : t;
  t = t > p->act_max ? p->act_max : t;
  return (uint8_t)t;
}

/* Any shape: one output pixel (all out_c channels), the taps outside the image skipped. */
TFK_FN void tfk__dw_pixel(const tfk_dw_params *p, const uint8_t *input, uint8_t *out, int oy,
                          int ox) {
  const int iy0 = oy * p->sh - p->pad_top;
  const int ix0 = ox * p->sw - p->pad_left;
  const int taps = p->kh * p->kw;
  int ky0 = 0, ky1 = p->kh, kx0 = 0, kx1 = p->kw;
  int o, ky, kx;
  /* The taps inside the image form a rectangle [ky0, ky1) x [kx0, kx1). */
  while (ky0 < ky1 && iy0 + ky0 * p->dh < 0) ky0++;
  while (ky1 > ky0 && iy0 + (ky1 - 1) * p->dh >= p->in_h) ky1--;
  while (kx0 < kx1 && ix0 + kx0 * p->dw < 0) kx0++;
  while (kx1 > kx0 && ix0 + (kx1 - 1) * p->dw >= p->in_w) kx1--;
  for (o = 0; o < p->out_c; o++) {
    const int c = o / p->depth_multiplier;
    const int8_t *w = p->weights + (size_t)o * (size_t)taps;
    int32_t acc = p->bias[o];
    for (ky = ky0; ky < ky1; ky++) {
      const uint8_t *row =
          input + ((ptrdiff_t)(iy0 + ky * p->dh) * p->in_w + ix0) * p->in_c + c;
      for (kx = kx0; kx < kx1; kx++) {
        const int32_t u = row[(size_t)(kx * p->dw) * p->in_c];
        acc += w[ky * p->kw + kx] * (u - p->pad);
      }
    }
    {
      const int32_t *q = p->requant + 4 * o;
      out[o] = tfk__dw_requantize(p, (int32_t)((uint32_t)acc << q[3]), q);
    }
  }
}

#if TFK_USE_DSP
#include <arm_acle.h>

/* UXTB16 Rd, Rm, ROR #8: bytes 1 and 3 as two 16-bit lanes (no ACLE form with the rotate). */
TFK_FN uint32_t tfk__dw_uxtb16_ror8(uint32_t v) {
  uint32_t r;
  __asm__("uxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}

/* PKHBT / PKHTB: the low halves of a and b, the high halves of b and a (gcc does not form
 * them from shifts and masks). */
TFK_FN uint32_t tfk__dw_pkhbt(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
TFK_FN uint32_t tfk__dw_pkhtb(uint32_t b, uint32_t a) {
  uint32_t r;
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));
  return r;
}

/* The word at base + offset (4-aligned). An opaque load: gcc would otherwise turn each of the
 * 9 tap addresses into its own pointer variable, spilled to the stack. */
TFK_FN uint32_t tfk__dw_load(const uint8_t *base, size_t offset) {
  uint32_t r;
  __asm__("ldr %0, [%1, %2]" : "=r"(r) : "r"(base), "r"(offset), "m"(*(const tfk__u32a *)(const void *)(base + offset)));
  return r;
}

/* One filter row of 4 channels. x0, x1, x2 = u[kx][c..c+3] for kx = 0, 1, 2. Taps 0 and 1 are
 * paired: lo = (x0, x1) low halves = bytes a0 a1 b0 b1, hi = a2 a3 b2 b3; UXTB16 gives the lanes
 * (a_k, b_k) of channel k and one SMLAD adds w0[k] * a_k + w1[k] * b_k (w[0..3]: those int16
 * pairs). Tap 2 alone: UXTB16 gives (x2 byte 0, byte 2) and (byte 1, byte 3), and SMLABB /
 * SMLATT take one lane each against w[4] = (w2[c], w2[c+2]), w[5] = (w2[c+1], w2[c+3]).
 * 12 MACs: 3 loads, 2 PKH, 6 UXTB16, 4 SMLAD, 4 SMLAxy and 6 weight words. */
#define TFK__DW_ROW(r, w)                                                  \
  do {                                                                     \
    const uint32_t tfk__x0 = *(const tfk__u32a *)(const void *)(r);        \
    const uint32_t tfk__x1 = tfk__dw_load((r), cs);                        \
    const uint32_t tfk__x2 = tfk__dw_load((r), cs2);                       \
    const uint32_t tfk__lo = tfk__dw_pkhbt(tfk__x0, tfk__x1);              \
    const uint32_t tfk__hi = tfk__dw_pkhtb(tfk__x1, tfk__x0);              \
    const int32_t tfk__e = (int32_t)__uxtb16(tfk__x2);                     \
    const int32_t tfk__o = (int32_t)tfk__dw_uxtb16_ror8(tfk__x2);          \
    a0 = __smlad((int32_t)__uxtb16(tfk__lo), (w)[0], a0);                  \
    a1 = __smlad((int32_t)tfk__dw_uxtb16_ror8(tfk__lo), (w)[1], a1);       \
    a2 = __smlad((int32_t)__uxtb16(tfk__hi), (w)[2], a2);                  \
    a3 = __smlad((int32_t)tfk__dw_uxtb16_ror8(tfk__hi), (w)[3], a3);       \
    a0 = __smlabb(tfk__e, (w)[4], a0);                                     \
    a2 = __smlatt(tfk__e, (w)[4], a2);                                     \
    a1 = __smlabb(tfk__o, (w)[5], a1);                                     \
    a3 = __smlatt(tfk__o, (w)[5], a3);                                     \
  } while (0)

/* Requantize accumulator acc (already times 2^(left+1)) with requant words q: USAT clamps to
 * the int8 range; a fused activation narrower than that is clamped by the caller. */
#define TFK__DW_OUT(acc, q)                                                            \
  __usat(((q)[1] + (int32_t)((uint32_t)tfk_high_mul_round((acc), (q)[0]) << 1) +       \
          -(int32_t)((uint32_t)tfk_high_mul_round((acc), (q)[0]) >> 31)) >> (q)[2],    \
         8)

/* The 3x3 fast path on Cortex-M4/M7, n output pixels along a row. r0, r1, r2: the three input
 * rows the filter rows read, at the first pixel's left tap; step: bytes from one pixel's window
 * to the next (stride * in_c); cs: bytes from one tap to the next along a row (dilation * in_c).
 * Per group of 4 channels the stream p->dsp holds 22 words: the 4 folded biases times
 * 2^(left+1), then per filter row the 6 words of TFK__DW_ROW (weights times 2^(left+1)).
 * 36 MACs per group: 9 word loads, 6 PKH, 18 UXTB16, 12 SMLAD + 12 SMLAxy, 22 stream words. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-schedule-insns")))
#endif
TFK_FN void tfk__dw3x3_span(const tfk_dw_params *p, const uint8_t *r0, const uint8_t *r1,
                            const uint8_t *r2, uint8_t *out, int n, size_t step, size_t cs) {
  const size_t cs2 = 2 * cs;
  const int groups = p->in_c / 4;
  const int narrow = p->act_min > 0 || p->act_max < 255;
  const uint32_t lo4 = p->act_min * 0x01010101u, hi4 = p->act_max * 0x01010101u;
  for (; n > 0; n--, r0 += step, r1 += step, r2 += step) {
    const int32_t *w = p->dsp;
    const int32_t *q = p->requant;
    const uint8_t *x0 = r0, *x1 = r1, *x2 = r2;
    int g;
    for (g = groups; g > 0; g--, x0 += 4, x1 += 4, x2 += 4, w += 22, q += 16, out += 4) {
      int32_t a0 = w[0], a1 = w[1], a2 = w[2], a3 = w[3];
      TFK__DW_ROW(x0, w + 4);
      TFK__DW_ROW(x1, w + 10);
      TFK__DW_ROW(x2, w + 16);
      {
        /* The 4 output bytes as one word (out is 4-aligned); a fused activation narrower than
         * the int8 range clamps all 4 at once (USUB8 sets a flag per byte, SEL picks). */
        uint32_t v = TFK__DW_OUT(a0, q) | TFK__DW_OUT(a1, q + 4) << 8 |
                     TFK__DW_OUT(a2, q + 8) << 16 | TFK__DW_OUT(a3, q + 12) << 24;
        if (narrow) {
          (void)__usub8(v, lo4);
          v = __sel(v, lo4);
          (void)__usub8(hi4, v);
          v = __sel(v, hi4);
        }
        *(tfk__u32a *)(void *)out = v;
      }
    }
  }
}
#undef TFK__DW_OUT
#undef TFK__DW_ROW
#else

/* The 3x3 fast path, portable (arguments as above): per channel 9 byte loads of the input and
 * 9 of the weights, every one an immediate or register offset (Cortex-M0), with the pad folded
 * into the bias. */
TFK_FN void tfk__dw3x3_span(const tfk_dw_params *p, const uint8_t *a0, const uint8_t *a1,
                            const uint8_t *a2, uint8_t *out, int n, size_t step, size_t cs) {
  for (; n > 0; n--, a0 += step, a1 += step, a2 += step) {
    const int8_t *w = p->weights;
    const int32_t *q = p->requant;
    const int32_t *b = p->bias_folded;
    const uint8_t *r0 = a0, *r1 = a1, *r2 = a2;
    const uint8_t *const r0_end = r0 + p->in_c;
    for (; r0 != r0_end; r0++, r1++, r2++, w += 9, q += 4) {
      int32_t acc = *b++;
      acc += w[0] * r0[0] + w[1] * r0[cs] + w[2] * r0[2 * cs];
      acc += w[3] * r1[0] + w[4] * r1[cs] + w[5] * r1[2 * cs];
      acc += w[6] * r2[0] + w[7] * r2[cs] + w[8] * r2[2 * cs];
      *out++ = tfk__dw_requantize(p, (int32_t)((uint32_t)acc << q[3]), q);
    }
  }
}
#endif

/* Input row iy as the fast path reads it: p->pad_w pixels of in_c bytes, the pad_left pixels
 * before the image and the ones after it holding the pad byte (worth 0: w * pad cancels in the
 * folded bias exactly as the skipped tap does in TFLM); a row outside the image is all pad. */
TFK_FN void tfk__dw_pad_row(const tfk_dw_params *p, const uint8_t *input, uint8_t *row, int iy) {
  const size_t c = p->in_c;
  const size_t before = (size_t)p->pad_left * c, image = (size_t)p->in_w * c;
  const size_t total = (size_t)p->pad_w * c;
  const int inside = iy >= 0 && iy < p->in_h;
  const uint8_t *src = inside ? input + (size_t)iy * image : input; /* image byte i - before */
  size_t i;
#if defined(__GNUC__)
  const uint32_t fill = p->pad * 0x01010101u;
  for (i = 0; i < total; i += 4) {
    const int pixel = inside && i >= before && i < before + image;
    *(tfk__u32a *)(void *)(row + i) =
        pixel ? *(const tfk__u32a *)(const void *)(src + (i - before)) : fill;
  }
#else
  for (i = 0; i < total; i++) {
    row[i] = inside && i >= before && i < before + image ? src[i - before] : p->pad;
  }
#endif
}

/* input: (in_h, in_w, in_c) offset-binary bytes, 16-byte aligned (the fast path loads words);
 * output: (out_h, out_w, out_c) offset-binary bytes. scratch (fast path with padding only, else
 * NULL): 3 * pad_w * in_c bytes, 4-aligned, a ring of 3 padded input rows; a row enters it once
 * and serves every output row whose window covers it (slot iy mod 3, or ky when 3 divides the
 * dilation). Without horizontal padding the rows inside the image are read in place. */
TFK_FN void tfk_depthwise_conv_2d(const tfk_dw_params *p, const uint8_t *input, uint8_t *output,
                                  uint8_t *scratch) {
  const size_t pixel = p->out_c;
  const size_t row_bytes = (size_t)p->pad_w * p->in_c;
  const int in_place = p->pad_left == 0 && p->pad_w == p->in_w;
  int held[3] = {-1000000, -1000000, -1000000}; /* the input row in each ring slot */
  int oy, ox;
  for (oy = 0; oy < p->out_h; oy++) {
    uint8_t *out = output + (size_t)oy * p->out_w * pixel;
    if (p->fast) {
      const uint8_t *rows[3];
      int ky;
      for (ky = 0; ky < 3; ky++) {
        const int iy = oy * p->sh - p->pad_top + ky * p->dh;
        const int slot = p->dh % 3 ? (iy % 3 + 3) % 3 : ky; /* iy may be negative */
        if (in_place && iy >= 0 && iy < p->in_h) {
          rows[ky] = input + (size_t)iy * row_bytes;
          continue;
        }
        if (held[slot] != iy) {
          tfk__dw_pad_row(p, input, scratch + (size_t)slot * row_bytes, iy);
          held[slot] = iy;
        }
        rows[ky] = scratch + (size_t)slot * row_bytes;
      }
      tfk__dw3x3_span(p, rows[0], rows[1], rows[2], out, p->out_w, (size_t)p->sw * p->in_c,
                      (size_t)p->dw * p->in_c);
    } else {
      for (ox = 0; ox < p->out_w; ox++) {
        tfk__dw_pixel(p, input, out + (size_t)ox * pixel, oy, ox);
      }
    }
  }
}
