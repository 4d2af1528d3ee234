/* MUL int8 with broadcasting and fused activation: TFLite's reference_integer_ops::Mul /
 * BroadcastMul6DSlow as TFLM and litert BUILTIN_REF compute it (double rounding in both), to
 * the bit. With BatchNormalization not after a convolution, the converter emits MUL then ADD by
 * (C,) constants.
 *
 * TFLite, per element (tinyflash.runtime.ops.mul), with u = q + 128 and c = 128 + zp:
 *   prod = (u_a - c_a) * (u_b - c_b)                       |prod| <= 255 * 255 < 2^16
 *   y    = clamp(zp_y + MBQM(prod, m, s), act_min, act_max)
 * MBQM as one multiply-high on Cortex-M4, with left = max(s, 0), e = min(max(-s, 0), 30):
 *   t = (x * m + 2^31) >> 32 with x = prod * 2^(left + 1)  == SaturatingRoundingDoublingHighMul
 *   y = (2^e + 2 t + (t < 0 ? -1 : 0)) >> (e + 1)          == RoundingDivideByPOT(t, e)
 * exact for m in [0, 2^31) and |x| < 2^31 (the runtime allows left <= 14); capping e at 30
 * changes nothing, rounding |t| < 2^16 by 2^30 or 2^31 gives 0 alike.
 *
 * Broadcasting: as tfk_add.c, the output (contiguous) walked as a collapsed (d0, d1, d2, d3)
 * with each input's element steps, 0 where broadcast. In place: output may be input 1 when
 * input 1 is not broadcast.
 */
#include "tfk_kernels.h"

/* One MUL, computed at generation time (firmware_c/emit/int8/mul.py). */
typedef struct {
  uint32_t dims[4];    /* collapsed output shape, outermost first */
  uint32_t stride1[4]; /* input 1's step in elements along each axis, 0 where broadcast */
  uint32_t stride2[4]; /* input 2's */
  int32_t offset1;     /* 128 + input 1 zero point: the byte worth 0 */
  int32_t offset2;     /* 128 + input 2 zero point */
  int32_t multiplier;  /* m in [0, 2^31) */
  int32_t left;        /* left + 1 (see above) */
  int32_t round;       /* 2^e */
  int32_t shift;       /* e + 1 */
  int32_t out_offset;  /* output zero point + 128 */
  uint8_t act_min;     /* fused activation clamp, offset binary */
  uint8_t act_max;
} tfk_mul_params;

/* One output byte from the two input bytes ua, ub (uses the locals of tfk_mul). */
#define TFK__MUL_ONE(ua, ub)                                                        \
  do {                                                                              \
    const int32_t tfk__prod = ((int32_t)(ua) - c1) * ((int32_t)(ub) - c2);          \
    const int32_t tfk__t = tfk_high_mul_round((int32_t)((uint32_t)tfk__prod << left), m); \
    int32_t tfk__y =                                                                \
        ((round + (int32_t)((uint32_t)tfk__t << 1) + -(int32_t)((uint32_t)tfk__t >> 31)) >> shift) + zp; \
    tfk__y = tfk__y < lo ? lo : tfk__y;                                             \
    tfk__y = tfk__y > hi ? hi : tfk__y;                                             \
    *output++ = (uint8_t)tfk__y;                                                    \
  } while (0)

/* input1, input2: offset binary, shapes per the strides; output: (d0 * d1 * d2 * d3,) offset
 * binary, may be input1. */
TFK_FN void tfk_mul(const tfk_mul_params *p, const uint8_t *input1, const uint8_t *input2,
                    uint8_t *output) {
  /* Locals, not p->...: a byte store may alias the struct, so fields would be reloaded. */
  const uint32_t n3 = p->dims[3], step1 = p->stride1[3], step2 = p->stride2[3];
  const int32_t c1 = p->offset1, c2 = p->offset2, m = p->multiplier, left = p->left;
  const int32_t round = p->round, shift = p->shift, zp = p->out_offset;
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
            TFK__MUL_ONE(*a++, *b++);
          }
          continue;
        }
        for (i3 = 0; i3 < n3; i3++) {
          TFK__MUL_ONE(a[i3 * step1], b[i3 * step2]);
        }
      }
    }
  }
}
#undef TFK__MUL_ONE
