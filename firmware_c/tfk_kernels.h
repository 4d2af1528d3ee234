/* tinyflash C kernels: declarations, shared by the generated headers and the kernel tests.
 *
 * Naming: `tfk_` / `TFK_` is a placeholder prefix. The generator inlines these sources into
 * one header per model and renames them to the model's private prefix (`mnist__`,
 * `MNIST__`), so two generated headers can live in one program. Kept as real .c/.h files so
 * they are compiled, warned on and tested as C.
 *
 * Compile-time switches:
 *   TFK_ROUNDING_SINGLE  0: TFLM / gemmlowp double rounding (default); 1: LiteRT single rounding.
 *   TFK_USE_DSP          1 when the Cortex-M DSP extension is available (__ARM_FEATURE_DSP),
 *                        unless the including code set it to 0 to force the portable path.
 *   TFK_FN               storage class of every kernel function (`static` in generated code).
 *
 * Data layout used by the int8 kernels ("offset binary"): activations between layers are
 * stored as uint8 u = q + 128 for int8 q, and weights as uint8 wu = w + 128, so that every
 * load is a plain unsigned byte/word load on every core. The generator folds the offsets into
 * the biases; the arithmetic is the same integer arithmetic as TFLM's, to the bit.
 */
#ifndef TFK_KERNELS_H
#define TFK_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifndef TFK_FN
#define TFK_FN
#endif

#ifndef TFK_ROUNDING_SINGLE
#define TFK_ROUNDING_SINGLE 0
#endif

#ifndef TFK_USE_DSP
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define TFK_USE_DSP 1
#else
#define TFK_USE_DSP 0
#endif
#endif

#if defined(__GNUC__)
/* Word access to byte buffers: these types may alias any object (gcc, clang). */
typedef uint32_t __attribute__((may_alias)) tfk__u32a;
typedef uint64_t __attribute__((may_alias)) tfk__u64a;
#endif

/* ---- fixed point (tfk_fixedpoint.c): the TFLite integer helpers, written once more ---- */

/* gemmlowp SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties away from zero,
 * saturating the one overflow case a == b == INT32_MIN. Any int32 a, b. */
TFK_FN int32_t tfk_srdhm(int32_t a, int32_t b);
/* gemmlowp RoundingDivideByPOT: round(x / 2^exponent), ties away from zero. 0 <= exponent <= 31. */
TFK_FN int32_t tfk_rdbpot(int32_t x, int32_t exponent);
/* TFLite MultiplyByQuantizedMultiplier: x * m * 2^shift / 2^31 in the rounding mode chosen by
 * TFK_ROUNDING_SINGLE. m in [2^30, 2^31) (or 0); shift in [-31, 30]. */
TFK_FN int32_t tfk_mbqm(int32_t x, int32_t m, int32_t shift);
/* (x * m + 2^31) >> 32, the rounded high word of the 64-bit product: any int32 x, m in
 * [0, 2^31). ADD's and MUL's requantization (their rescaled sums and products). */
TFK_FN int32_t tfk_high_mul_round(int32_t x, int32_t m);

/* ---- FULLY_CONNECTED int8, per-channel (tfk_fully_connected.c) ---- */

/* One layer's constants, all computed at generation time from the .tflite.
 * n_in16 input features rounded up to a multiple of 16; n_out real output features.
 * weights: offset-binary uint8, blocks of 4 output rows: (ceil(n_out/4), n_in16/4, 4, 4) =
 *   [block][input group][row in block][input in group]; padding rows/columns hold 128 (= 0).
 * bias: (4 * ceil(n_out/4),) int32: bias[o] - (128 + input_zero_point) * sum_i w[o][i].
 * multiplier, shift: (n_out,) the TFLite per-channel output multipliers and shifts.
 * out_zero_point, act_min, act_max: output zero point and the fused activation's clamp range.
 * out_flip: 0x80 to store the output offset-binary, 0 to store plain int8. */
typedef struct {
  const uint8_t *weights;
  const int32_t *bias;
  const int32_t *multiplier;
  const int8_t *shift;
  uint16_t n_in16;
  uint16_t n_out;
  int16_t out_zero_point;
  int16_t act_min;
  int16_t act_max;
  uint8_t out_flip;
} tfk_fc_params;

/* input: (n_in16,) offset-binary uint8, 4-byte aligned; output: (n_out,) bytes. */
TFK_FN void tfk_fully_connected(const tfk_fc_params *p, const uint8_t *input, uint8_t *output);

/* ---- SOFTMAX int8 (tfk_softmax.c), TFLite reference_ops::Softmax (gemmlowp exp) ---- */

/* input_multiplier / input_left_shift / diff_min: SoftmaxParams from TFLite's Prepare
 * (PreprocessSoftmaxScaling with 5 integer bits, CalculateInputRadius). Output scale 1/256,
 * zero point -128 (the only int8 softmax output TFLite allows). */
typedef struct {
  int32_t input_multiplier;
  int32_t input_left_shift;
  int32_t diff_min;
  uint16_t n;
  uint8_t in_flip;
  uint8_t out_flip;
} tfk_softmax_params;

/* input / output: (n,) bytes, offset binary where the flip is 0x80, else int8. May alias. */
TFK_FN void tfk_softmax(const tfk_softmax_params *p, const uint8_t *input, uint8_t *output);

/* ---- element-wise int8 ops as 256-entry tables (tfk_lut.c) ---- */

/* output[i] = table[input[i]] for i < n; the generator folds both byte layouts into table. */
TFK_FN void tfk_lut(const uint8_t table[256], const uint8_t *input, uint8_t *output, size_t n);

/* ---- helpers for the generated entry points (tfk_lut.c) ---- */

/* Convert n int8 values to offset binary (any alignment). */
TFK_FN void tfk_to_offset_binary(const int8_t *input, uint8_t *output, size_t n);
/* Index of the largest of n int8 values, the first one on ties (numpy argmax). */
TFK_FN int tfk_argmax(const int8_t *values, size_t n);

#endif
