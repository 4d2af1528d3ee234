/* Harness for one CONV_2D step (tests/firmware_c/test_kernel_conv_2d.py writes CASE_HEADER:
 * the inlined kernel sources, the emitter's constants, the CASE_* sizes and case_forward(),
 * which holds the emitter's call on `arena`).
 *
 * Reads records of CASE_IN_SIZE int8 from "inputs.bin" until end of file, runs each through
 * the step (int8 -> offset binary into the arena, forward, offset binary -> int8) and appends
 * CASE_OUT_SIZE int8 to "outputs.bin". The arena (and 64 canary bytes after it, checked after
 * each record: exit 4) is refilled with 0xA5 before every record, so a byte the kernel forgot to
 * write, a read of scratch it never wrote, or a write past the planned arena shows. Bare metal
 * (-DBARE_METAL): each forward() sits between bench_begin()/bench_end(), after one empty
 * calibration region, for the instruction-count plugin. */
#include <stddef.h>
#include <stdint.h>

#include CASE_HEADER

#ifdef MBQM_CHECK
/* The kernel's requantization alone (prefix ck): records of int32 (acc, multiplier, shift) on
 * stdin -> int32 ck__conv_2d_mbqm(acc, multiplier, shift) and the branch-free right-shift form
 * (the same value again where shift >= 0) on stdout. */
#include <stdio.h>

int main(void) {
  int32_t r[3];
  while (fread(r, sizeof r, 1, stdin) == 1) {
    int32_t v[2];
    v[0] = ck__conv_2d_mbqm(r[0], r[1], r[2]);
    v[1] = r[2] < 0 ? ck__conv_2d_mbqm_right(r[0], r[1], -r[2] - 1, 1u << (-r[2] - 1)) : v[0];
    if (fwrite(v, sizeof v, 1, stdout) != 1) {
      return 3;
    }
  }
  return 0;
}
#else

#define CANARY 64u /* bytes after the arena that must keep 0xA5: no write past the plan */
static uint8_t arena[CASE_ARENA_SIZE + CANARY] __attribute__((aligned(16)));
static int8_t record_in[CASE_IN_SIZE];
static int8_t record_out[CASE_OUT_SIZE];

static void prepare(void) {
  size_t i;
  for (i = 0; i < CASE_ARENA_SIZE + CANARY; i++) {
    arena[i] = 0xA5u;
  }
  for (i = 0; i < CASE_IN_SIZE; i++) {
    arena[CASE_IN_OFFSET + i] = (uint8_t)((uint8_t)record_in[i] ^ 0x80u);
  }
}

/* Returns 0, or 1 when a canary byte changed. */
static int finish(void) {
  size_t i;
  int bad = 0;
  for (i = 0; i < CASE_OUT_SIZE; i++) {
    record_out[i] = (int8_t)(arena[CASE_OUT_OFFSET + i] ^ 0x80u);
  }
  for (i = CASE_ARENA_SIZE; i < CASE_ARENA_SIZE + CANARY; i++) {
    bad |= arena[i] != 0xA5u;
  }
  return bad;
}

#ifdef BARE_METAL
#include "semihost.h"

int main(void) {
  const int32_t in = sh_open("inputs.bin", 1);
  const int32_t out = sh_open("outputs.bin", 5);
  if (in < 0 || out < 0) {
    sh_puts("conv_2d_check: cannot open inputs.bin / outputs.bin\n");
    return 2;
  }
  bench_begin();
  bench_end();
  while (sh_read(in, record_in, sizeof record_in) == sizeof record_in) {
    prepare();
    bench_begin();
    case_forward(arena);
    bench_end();
    if (finish() != 0) {
      sh_puts("conv_2d_check: write past the arena\n");
      return 4;
    }
    if (sh_write(out, record_out, sizeof record_out) != 0) {
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
    fputs("conv_2d_check: cannot open inputs.bin / outputs.bin\n", stderr);
    return 2;
  }
  while (fread(record_in, sizeof record_in, 1, in) == 1) {
    prepare();
    case_forward(arena);
    if (finish() != 0) {
      fputs("conv_2d_check: write past the arena\n", stderr);
      return 4;
    }
    if (fwrite(record_out, sizeof record_out, 1, out) != 1) {
      return 3;
    }
  }
  fclose(in);
  fclose(out);
  return 0;
}
#endif
#endif /* MBQM_CHECK */
