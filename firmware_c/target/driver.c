/* Parity/bench driver for a generated header, on the host (stdio) or bare metal (semihosting).
 *
 * Reads records from "inputs.bin" until end of file, runs each through the model and appends
 * the result to "outputs.bin" (both in the current folder). Build with:
 *   -DMODEL_HEADER='"mnist_model.h"' -DMODEL_PREFIX=mnist -DMODEL_PREFIX_UPPER=MNIST
 *   -DMNIST_IMPLEMENTATION -DDRIVER_MODE=n
 *   DRIVER_MODE 0: int8 in (INPUT_SIZE B)   -> int8 out (OUTPUT_SIZE B)     <prefix>_run
 *   DRIVER_MODE 1: uint8 pixels in          -> 1 byte class                  <prefix>_classify
 *   DRIVER_MODE 2: float32 in (4*INPUT_SIZE) -> float32 out                  <prefix>_run (f32)
 *   DRIVER_MODE 3: uint8 pixels in          -> int8 model input              <prefix>_quantize
 * Bare metal (-DBARE_METAL): each inference sits between bench_begin()/bench_end() (the
 * instruction-count plugin reports one region per record, after one empty calibration
 * region) and the deepest stack use of any inference is printed as "stack N".
 */
#include <stddef.h>
#include <stdint.h>

#define MODEL_IMPL_CAT2(a, b) a##b
#define MODEL_IMPL_CAT(a, b) MODEL_IMPL_CAT2(a, b)

#include MODEL_HEADER

#define FN(name) MODEL_IMPL_CAT(MODEL_PREFIX, name)
#define MACRO(name) MODEL_IMPL_CAT(MODEL_PREFIX_UPPER, name)
#define IN_SIZE MACRO(_INPUT_SIZE)
#define OUT_SIZE MACRO(_OUTPUT_SIZE)

#if DRIVER_MODE == 0
typedef int8_t in_t;
typedef int8_t out_t;
#define OUT_COUNT OUT_SIZE
#elif DRIVER_MODE == 1
typedef uint8_t in_t;
typedef uint8_t out_t;
#define OUT_COUNT 1
#elif DRIVER_MODE == 3
typedef uint8_t in_t;
typedef int8_t out_t;
#define OUT_COUNT IN_SIZE
#else
typedef float in_t;
typedef float out_t;
#define OUT_COUNT OUT_SIZE
#endif

static in_t input[IN_SIZE];
static out_t output[OUT_COUNT];

static int infer(void) {
#if DRIVER_MODE == 1
  const int c = FN(_classify)(input);
  output[0] = (uint8_t)c;
  return c < 0;
#elif DRIVER_MODE == 3
  FN(_quantize)(input, output);
  return 0;
#else
  return FN(_run)(input, output) != 0;
#endif
}

#ifdef BARE_METAL
#include "semihost.h"

extern uint32_t __stack_limit[];
#define PAINT 0xC0FFEE11u

/* Paint the free stack below the caller's frame; returns the painted top. */
static uintptr_t paint_stack(void) {
  uint32_t marker = 0;
  uintptr_t top = ((uintptr_t)&marker - 64u) & ~(uintptr_t)3u;
  volatile uint32_t *q;
  for (q = __stack_limit; (uintptr_t)q < top; q++) {
    *q = PAINT;
  }
  return top;
}

static uint32_t stack_used(uintptr_t top) {
  const volatile uint32_t *q = __stack_limit;
  while ((uintptr_t)q < top && *q == PAINT) {
    q++;
  }
  return (uint32_t)(top - (uintptr_t)q);
}

int main(void) {
  const int32_t in = sh_open("inputs.bin", 1);
  const int32_t out = sh_open("outputs.bin", 5);
  uint32_t records = 0;
  uint32_t deepest = 0;
  int failures = 0;
  if (in < 0 || out < 0) {
    sh_puts("driver: cannot open inputs.bin / outputs.bin\n");
    return 2;
  }
  bench_begin();
  bench_end();
  while (sh_read(in, input, sizeof input) == sizeof input) {
    uintptr_t top = paint_stack();
    uint32_t used;
    bench_begin();
    failures += infer();
    bench_end();
    used = stack_used(top);
    deepest = used > deepest ? used : deepest;
    if (sh_write(out, output, sizeof output) != 0) {
      return 3;
    }
    records++;
  }
  sh_close(in);
  sh_close(out);
  sh_puts("records ");
  sh_putu(records);
  sh_puts("\nstack ");
  sh_putu(deepest);
  sh_puts("\n");
  return failures != 0 ? 4 : 0;
}
#else
#include <stdio.h>
#include <time.h>

/* Host: prints "cpu_seconds S" (processor time spent in the inference calls) on stderr. */
int main(void) {
  FILE *in = fopen("inputs.bin", "rb");
  FILE *out = fopen("outputs.bin", "wb");
  int failures = 0;
  clock_t spent = 0;
  if (in == NULL || out == NULL) {
    fputs("driver: cannot open inputs.bin / outputs.bin\n", stderr);
    return 2;
  }
  while (fread(input, sizeof input, 1, in) == 1) {
    const clock_t start = clock();
    failures += infer();
    spent += clock() - start;
    if (fwrite(output, sizeof output, 1, out) != 1) {
      return 3;
    }
  }
  fclose(in);
  fclose(out);
  fprintf(stderr, "cpu_seconds %.6f\n", (double)spent / (double)CLOCKS_PER_SEC);
  return failures != 0 ? 4 : 0;
}
#endif
