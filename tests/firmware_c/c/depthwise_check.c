/* One emitted DEPTHWISE_CONV_2D step run on records of input bytes, on the host (stdio) or bare
 * metal (semihosting, -DBARE_METAL): tests/firmware_c/test_kernel_depthwise_conv_2d.py.
 *
 * step.h is tests/firmware_c/step_harness.py's (STEP_ARENA_SIZE, step_in_offset[] /
 * step_in_size[], STEP_OUT_OFFSET / STEP_OUT_SIZE, step_forward()) plus DW_SCRATCH_OFFSET: the
 * step's scratch window runs from there to the arena's end. Each record of inputs.bin is the
 * int8 input; outputs.bin gets the int8 output. Before each record the arena is filled with a
 * pattern; after the step, every byte outside the output and the scratch must still hold what it
 * held (64 guard bytes past the arena included), else the program stops with status 5.
 */
#include <stddef.h>
#include <stdint.h>

#include "step.h"

#define GUARD 64u
#define PATTERN 0xA5u

static uint8_t arena[STEP_ARENA_SIZE + GUARD] __attribute__((aligned(16)));
static uint8_t expect[STEP_ARENA_SIZE + GUARD];
static uint8_t record[STEP_RECORD_SIZE];
static uint8_t result[STEP_OUT_SIZE];

/* record -> arena (offset binary); the bytes that must not change -> expect. */
static void load_record(void) {
  size_t i, at = 0;
  for (i = 0; i < sizeof arena; i++) {
    arena[i] = PATTERN;
  }
  for (i = 0; i < step_in_size[0]; i++) {
    arena[step_in_offset[0] + i] = (uint8_t)(record[at++] ^ 0x80u);
  }
  for (i = 0; i < sizeof arena; i++) {
    expect[i] = arena[i];
  }
}

/* 0 when only the output's and the scratch's bytes changed; the output -> result (int8). */
static int store_result(void) {
  size_t i;
  for (i = 0; i < sizeof arena; i++) {
    const int output = i >= STEP_OUT_OFFSET && i < STEP_OUT_OFFSET + STEP_OUT_SIZE;
    const int scratch = i >= DW_SCRATCH_OFFSET && i < STEP_ARENA_SIZE;
    if (!output && !scratch && arena[i] != expect[i]) {
      return 1;
    }
  }
  for (i = 0; i < STEP_OUT_SIZE; i++) {
    result[i] = (uint8_t)(arena[STEP_OUT_OFFSET + i] ^ 0x80u);
  }
  return 0;
}

#ifdef BARE_METAL
#include "semihost.h"

int main(void) {
  const int32_t in = sh_open("inputs.bin", 1);
  const int32_t out = sh_open("outputs.bin", 5);
  if (in < 0 || out < 0) {
    sh_puts("depthwise_check: cannot open inputs.bin / outputs.bin\n");
    return 2;
  }
  while (sh_read(in, record, sizeof record) == sizeof record) {
    load_record();
    bench_begin();
    step_forward(arena);
    bench_end();
    if (store_result() != 0) {
      return 5;
    }
    if (sh_write(out, result, sizeof result) != 0) {
      return 3;
    }
  }
  sh_close(in);
  sh_close(out);
  return 0;
}
#else
#include <stdio.h>

int main(void) {
  FILE *in = fopen("inputs.bin", "rb");
  FILE *out = fopen("outputs.bin", "wb");
  if (in == NULL || out == NULL) {
    fputs("depthwise_check: cannot open inputs.bin / outputs.bin\n", stderr);
    return 2;
  }
  while (fread(record, 1, sizeof record, in) == sizeof record) {
    load_record();
    step_forward(arena);
    if (store_result() != 0) {
      fputs("depthwise_check: the step wrote outside its output and scratch\n", stderr);
      return 5;
    }
    if (fwrite(result, 1, sizeof result, out) != sizeof result) {
      return 3;
    }
  }
  fclose(in);
  fclose(out);
  return 0;
}
#endif
