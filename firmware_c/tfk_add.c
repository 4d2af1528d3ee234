/* ADD int8 with requantized inputs, broadcasting and fused activation: TFLite's
 * reference_integer_ops::Add / BroadcastAdd6DSlow as TFLM and litert BUILTIN_REF compute it
 * (double rounding in both), to the bit.
 *
 * TFLite, per element (tinyflash.runtime.ops.add):
 *   a' = MBQM((q_a - zp_a) * 2^20, m_a, s_a)      b' = MBQM((q_b - zp_b) * 2^20, m_b, s_b)
 *   y  = clamp(zp_y + MBQM(a' + b', m_y, s_y), act_min, act_max)
 * a' depends on one input byte only, so the generator evaluates it for all 256 bytes: table1[u]
 * = 2 * a' for the offset-binary byte u (table2 the same for b). What is left per element is
 * two table loads and one requantization, which costs one multiply-high on Cortex-M4:
 *   s = (x * m_y + 2^31) >> 32, x = 2 (a' + b')   == SaturatingRoundingDoublingHighMul(a'+b', m_y)
 *   t = (2^e + 2 s + (s < 0 ? -1 : 0)) >> (e + 1) == RoundingDivideByPOT(s, e), e = -s_y
 * Both identities are exact for m_y in [0, 2^31): |a' + b'| < 2^28 since the input multipliers
 * are below 1/2, and e is capped at 30 (rounding s by 2^30 or 2^31 gives 0 alike for |s| < 2^29);
 * the generator checks the bounds on the actual tables. About 20 instructions per element on
 * Cortex-M4 at -O2 (measured under QEMU), 54 on Cortex-M0+ (no 32x32->64 multiply there).
 *
 * Broadcasting: the output (contiguous) is walked as a collapsed shape (d0, d1, d2, d3); each
 * input steps by stride[k] elements along axis k, 0 where it is broadcast. Same shapes collapse
 * to (1, 1, 1, n); a per-channel constant of an NHWC tensor (BatchNormalization) to
 * (1, 1, H * W, C) with input 2 strides (0, 0, 0, 1).
 *
 * In place: output may be input 1 (same bytes, not broadcast): each element is read before it
 * is written.
 */
#include "tfk_kernels.h"

/* One ADD, computed at generation time (firmware_c/emit/int8/add.py). */
typedef struct {
  const int32_t *table1; /* (256,) 2 * a' for each offset-binary byte of input 1 */
  const int32_t *table2; /* (256,) 2 * b' for each offset-binary byte of input 2 */
  uint32_t dims[4];      /* collapsed output shape, outermost first */
  uint32_t stride1[4];   /* input 1's step in elements along each axis, 0 where broadcast */
  uint32_t stride2[4];   /* input 2's */
  int32_t multiplier;    /* m_y in [0, 2^31) */
  int32_t round;         /* 2^e, e = min(-s_y, 30) */
  int32_t shift;         /* e + 1 */
  int32_t out_offset;    /* output zero point + 128 */
  uint8_t act_min;       /* fused activation clamp, offset binary */
  uint8_t act_max;
} tfk_add_params;

/* One output byte from the two input bytes ua, ub (uses the locals of tfk_add). */
#define TFK__ADD_ONE(ua, ub)                                                        \
  do {                                                                              \
    const int32_t tfk__s = tfk_high_mul_round(t1[ua] + t2[ub], m);                  \
    int32_t tfk__y =                                                                \
        ((round + (int32_t)((uint32_t)tfk__s << 1) + -(int32_t)((uint32_t)tfk__s >> 31)) >> shift) + zp; \
    tfk__y = tfk__y < lo ? lo : tfk__y;                                             \
    tfk__y = tfk__y > hi ? hi : tfk__y;                                             \
    *output++ = (uint8_t)tfk__y;                                                    \
  } while (0)

/* input1, input2: offset binary, shapes per the strides; output: (d0 * d1 * d2 * d3,) offset
 * binary, may be input1. */
TFK_FN void tfk_add(const tfk_add_params *p, const uint8_t *input1, const uint8_t *input2,
                    uint8_t *output) {
  /* Locals, not p->...: a byte store may alias the struct, so fields would be reloaded. */
  const int32_t *const t1 = p->table1;
  const int32_t *const t2 = p->table2;
  const uint32_t n3 = p->dims[3], step1 = p->stride1[3], step2 = p->stride2[3];
  const int32_t m = p->multiplier, round = p->round, shift = p->shift, zp = p->out_offset;
  const int32_t lo = p->act_min, hi = p->act_max;
  uint32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->dims[0]; i0++) {
    for (i1 = 0; i1 < p->dims[1]; i1++) {
      for (i2 = 0; i2 < p->dims[2]; i2++) {
        const uint8_t *a = input1 + i0 * p->stride1[0] + i1 * p->stride1[1] + i2 * p->stride1[2];
        const uint8_t *b = input2 + i0 * p->stride2[0] + i1 * p->stride2[1] + i2 * p->stride2[2];
        const uint8_t *const a_end = a + n3;
        if (step1 == 1u && step2 == 1u) { /* no broadcast along the inner axis: pointer steps */
          while (a != a_end) {
            TFK__ADD_ONE(*a++, *b++);
          }
          continue;
        }
        for (i3 = 0; i3 < n3; i3++) {
          TFK__ADD_ONE(a[i3 * step1], b[i3 * step2]);
        }
      }
    }
  }
}
#undef TFK__ADD_ONE
