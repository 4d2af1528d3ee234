/* The 16x16 (Thumb-1) form of tfk_fixedpoint.c's rounded high multiply (ADD's and MUL's) against
 * the int64 definition, (x * m + 2^31) >> 32, on edge values and 4,000,000 xorshift pairs (x any
 * int32, m in [0, 2^31), both also shifted down to small magnitudes). Exit status 0 when all
 * agree; the first disagreements are printed. Compiled with -DTFK_HIGH_MUL16=1 -DTFK_USE_DSP=0
 * (tests/firmware_c/test_kernel_add.py). */
#include <stdio.h>

#define TFK_FN /* external: tfk_kernels.h declares functions this file does not define */
#include "tfk_fixedpoint.c"

static int32_t reference(int32_t x, int32_t m) {
  return (int32_t)(((int64_t)x * (int64_t)m + ((int64_t)1 << 31)) >> 32);
}

static uint64_t state = 88172645463325252ull;
static uint32_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return (uint32_t)state;
}

static long bad = 0;
static void check(int32_t x, int32_t m) {
  const int32_t want = reference(x, m);
  const int32_t got = tfk_high_mul_round(x, m);
  if (got != want) {
    if (bad < 5) {
      printf("x=%ld m=%ld got=%ld want=%ld\n", (long)x, (long)m, (long)got, (long)want);
    }
    bad++;
  }
}

int main(void) {
  static const int32_t xs[] = {INT32_MIN, INT32_MIN + 1, -65537, -65536, -65535, -32768, -1, 0,
                               1, 32767, 65535, 65536, 65537, INT32_MAX, 1 << 30, -(1 << 30)};
  static const int32_t ms[] = {0, 1, 32768, 65535, 65536, 1 << 30, (1 << 30) + 1, INT32_MAX,
                               INT32_MAX - 65535};
  size_t i, j;
  long k;
  for (i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    for (j = 0; j < sizeof ms / sizeof ms[0]; j++) {
      check(xs[i], ms[j]);
    }
  }
  for (k = 0; k < 4000000; k++) {
    int32_t x = (int32_t)next();
    int32_t m = (int32_t)(next() >> 1);
    if (k & 1) {
      x >>= next() & 31u;
    }
    if (k & 2) {
      m >>= next() & 31u;
    }
    check(x, m);
  }
  printf("bad %ld\n", bad);
  return bad != 0;
}
