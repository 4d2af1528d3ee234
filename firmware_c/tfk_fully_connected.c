/* FULLY_CONNECTED int8 with per-channel requantization and fused activation: TFLM's
 * reference_integer_ops::FullyConnectedPerChannel, to the bit, on a layout made for the loads
 * each core does best (see tfk_kernels.h for the layout and tfk_fc_params for the shapes).
 *
 * With u = x + 128 (activations) and wu = w + 128 (weights), per output row o:
 *   acc = bias[o] + sum_i w[o][i] * (x[i] - zp_in)                          (TFLM)
 *       = folded_bias[o] + sum_i wu[o][i] * u[i] - 128 * sum_i u[i]
 * where folded_bias[o] = bias[o] - (128 + zp_in) * sum_i w[o][i] is computed by the generator.
 * Padding columns hold wu = 128, so their terms cancel whatever the padded input bytes are.
 * Every partial sum stays below 2^31 (the generator checks n_in), so no step overflows.
 */
#include "tfk_kernels.h"

/* Requantize one accumulator and store it in the output's byte layout. */
TFK_FN uint8_t tfk__requantize(const tfk_fc_params *p, int32_t acc, size_t o) {
  int32_t v = tfk_mbqm(acc, p->multiplier[o], p->shift[o]) + p->out_zero_point;
  v = v < p->act_min ? p->act_min : v;
  v = v > p->act_max ? p->act_max : v;
  return (uint8_t)((uint32_t)v ^ p->out_flip);
}

#if TFK_USE_DSP
#include <arm_acle.h>

/* UXTB16 Rd, Rm, ROR #8: bytes 1 and 3 as two 16-bit lanes. arm_acle.h has no rotate operand
 * (and gcc 12 does not fold a separate rotate into it), so this one form is inline assembly. */
TFK_FN uint32_t tfk__uxtb16_ror8(uint32_t v) {
  uint32_t r;
  __asm__("uxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}

/* Two multiply-accumulates of one weight word against the input word split in x02 / x13. */
#define TFK__MAC4(acc, wv)                                      \
  do {                                                          \
    const uint32_t tfk__w = (wv);                               \
    acc = __smlad((int32_t)__uxtb16(tfk__w), x02, acc);         \
    acc = __smlad((int32_t)tfk__uxtb16_ror8(tfk__w), x13, acc); \
  } while (0)

/* One input word (4 inputs) against the 4 rows of the block: 16 MACs. */
#define TFK__GROUP(xword)                                             \
  do {                                                                \
    const uint32_t tfk__x = (xword);                                  \
    const int32_t x02 = (int32_t)__uxtb16(tfk__x);                    \
    const int32_t x13 = (int32_t)tfk__uxtb16_ror8(tfk__x);            \
    uint64_t tfk__ww = *w++;                                          \
    TFK__MAC4(a0, (uint32_t)tfk__ww);                                 \
    TFK__MAC4(a1, (uint32_t)(tfk__ww >> 32));                         \
    tfk__ww = *w++;                                                   \
    TFK__MAC4(a2, (uint32_t)tfk__ww);                                 \
    TFK__MAC4(a3, (uint32_t)(tfk__ww >> 32));                         \
  } while (0)

/* Cortex-M4/M7: UXTB16 splits 4 bytes into two pairs of 16-bit lanes, SMLAD does two 16x16
 * multiply-accumulates; the 4 rows of a block share each input word. 64 MACs per iteration:
 * 2 LDRD inputs, 8 LDRD weights, 40 UXTB16, 32 SMLAD, 4 loop (gcc keeps all of it in
 * registers only without its first scheduling pass, hence the attribute). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-schedule-insns")))
#endif
TFK_FN void tfk_fully_connected(const tfk_fc_params *p, const uint8_t *input, uint8_t *output) {
  const tfk__u64a *const x_begin = (const tfk__u64a *)(const void *)input;
  const tfk__u64a *const x_end = x_begin + p->n_in16 / 8u;
  const tfk__u64a *w = (const tfk__u64a *)(const void *)p->weights;
  const tfk__u32a *xs = (const tfk__u32a *)(const void *)input;
  uint32_t sum_u = 0;
  int32_t correction;
  size_t o;
  size_t i;
  for (i = 0; i < (size_t)p->n_in16 / 4u; i++) {
    sum_u = __usada8(xs[i], 0u, sum_u);
  }
  correction = (int32_t)(sum_u << 7);
  for (o = 0; o < p->n_out; o += 4u) {
    const tfk__u64a *x = x_begin;
    int32_t acc[4];
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    size_t r;
    do {
      uint64_t xx = *x++;
      TFK__GROUP((uint32_t)xx);
      TFK__GROUP((uint32_t)(xx >> 32));
      xx = *x++;
      TFK__GROUP((uint32_t)xx);
      TFK__GROUP((uint32_t)(xx >> 32));
    } while (x < x_end);
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    for (r = 0; r < 4u && o + r < p->n_out; r++) {
      output[o + r] = tfk__requantize(p, p->bias[o + r] + acc[r] - correction, o + r);
    }
  }
}
#undef TFK__GROUP
#undef TFK__MAC4
#else

/* A no-op that pins a sum to a low register after each input on Thumb-1 (Cortex-M0/M0+),
 * so gcc keeps the one-load-one-multiply-one-add shape instead of re-associating sums and
 * running out of the eight low registers. Semantically nothing. */
#if defined(__GNUC__) && defined(__thumb__) && !defined(__thumb2__)
#define TFK__PIN(v) __asm__("" : "+l"(v))
#else
#define TFK__PIN(v) ((void)0)
#endif

/* Two rows, one input: one input load shared by two weight loads, multiplies and adds. */
#define TFK__MAC2(k)          \
  do {                        \
    const uint32_t tfk__x = x[k]; \
    s0 += w[k] * tfk__x;      \
    s1 += w[4 + (k)] * tfk__x; \
    TFK__PIN(s0);             \
    TFK__PIN(s1);             \
  } while (0)

/* Portable C99: two rows at a time share each input byte; every load is an unsigned byte
 * load with an immediate offset (the only cheap kind on Cortex-M0). 8 MACs per 4 inputs:
 * 4 input loads, 8 weight loads, 8 MUL, 8 ADD, 4 loop. */
TFK_FN void tfk_fully_connected(const tfk_fc_params *p, const uint8_t *input, uint8_t *output) {
  const uint8_t *const x_end = input + p->n_in16;
  uint32_t sum_u = 0;
  int32_t correction;
  size_t o;
  size_t i;
  for (i = 0; i < (size_t)p->n_in16; i++) {
    sum_u += input[i];
  }
  correction = (int32_t)(sum_u << 7);
  for (o = 0; o < p->n_out; o += 2u) {
    /* Rows o, o+1 sit at positions (o % 4) and (o % 4) + 1 of their 4-row block. */
    const uint8_t *w = p->weights + (o / 4u) * (size_t)p->n_in16 * 4u + (o % 4u) * 4u;
    const uint8_t *x = input;
    uint32_t s0 = 0, s1 = 0;
    do {
      TFK__MAC2(0);
      TFK__MAC2(1);
      TFK__MAC2(2);
      TFK__MAC2(3);
      x += 4;
      w += 16;
    } while (x != x_end);
    output[o] = tfk__requantize(p, p->bias[o] + (int32_t)s0 - correction, o);
    if (o + 1u < p->n_out) {
      output[o + 1u] = tfk__requantize(p, p->bias[o + 1u] + (int32_t)s1 - correction, o + 1u);
    }
  }
}
#undef TFK__MAC2
#endif
