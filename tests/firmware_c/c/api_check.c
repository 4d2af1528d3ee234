/* The generated API beyond the happy path, with two model headers in one program:
 * run vs run_with_arena, NULL and misaligned arenas, status strings, classify, dequantize.
 * Prints "ok" and exits 0, or names the first failed check and exits 1. */
#include <stdio.h>
#include <string.h>

#define MNIST_IMPLEMENTATION
#include "mnist_model.h"
#define OTHER_IMPLEMENTATION
#include "other_model.h"
/* A second inclusion must be harmless (guards). */
#include "mnist_model.h"

#define CHECK(cond)                          \
  do {                                       \
    if (!(cond)) {                           \
      printf("failed: %s\n", #cond);         \
      return 1;                              \
    }                                        \
  } while (0)

static uint64_t arena[MNIST_ARENA_SIZE / 8 + 1];

int main(void) {
  int8_t input[MNIST_INPUT_SIZE];
  uint8_t pixels[MNIST_INPUT_SIZE];
  int8_t a[MNIST_OUTPUT_SIZE], b[MNIST_OUTPUT_SIZE], c[OTHER_OUTPUT_SIZE];
  float probs[MNIST_OUTPUT_SIZE];
  size_t i;
  for (i = 0; i < MNIST_INPUT_SIZE; i++) {
    pixels[i] = (uint8_t)((i * 7u) % 256u);
    input[i] = (int8_t)((int)pixels[i] - 128);
  }
  CHECK(mnist_run(input, a) == MNIST_OK);
  CHECK(mnist_run_with_arena(input, b, arena) == MNIST_OK);
  CHECK(memcmp(a, b, sizeof a) == 0);
  CHECK(other_run(input, c) == OTHER_OK);
  CHECK(mnist_run(NULL, a) == MNIST_ERROR_NULL_ARGUMENT);
  CHECK(mnist_run(input, NULL) == MNIST_ERROR_NULL_ARGUMENT);
  CHECK(mnist_run_with_arena(input, b, (uint8_t *)arena + 4) == MNIST_ERROR_ARENA_ALIGNMENT);
  CHECK(mnist_classify(NULL) == -1);
  CHECK(mnist_classify_with_arena(pixels, (uint8_t *)arena + 1) == -2);
  CHECK(mnist_classify(pixels) == mnist_classify_with_arena(pixels, arena));
  CHECK(mnist_classify(pixels) >= 0 && mnist_classify(pixels) < MNIST_OUTPUT_SIZE);
  CHECK(strcmp(mnist_status_string(MNIST_OK), "success") == 0);
  CHECK(strlen(mnist_status_string(MNIST_ERROR_ARENA_ALIGNMENT)) > 0);
  mnist_dequantize(a, probs);
  for (i = 0; i < MNIST_OUTPUT_SIZE; i++) {
    CHECK(probs[i] == MNIST_OUTPUT_SCALE * (float)((int32_t)a[i] - MNIST_OUTPUT_ZERO_POINT));
  }
  printf("ok\n");
  return 0;
}
