/* classify FILE...: each FILE holds 784 raw bytes (28x28 grey, row-major, 0 = background);
 * prints the predicted digit and the model's probabilities. */
#include <stdio.h>

#define MNIST_IMPLEMENTATION
#include "mnist_model.h"

int main(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++) {
    uint8_t pixels[MNIST_INPUT_SIZE];
    int8_t input[MNIST_INPUT_SIZE];
    int8_t output[MNIST_OUTPUT_SIZE];
    float probabilities[MNIST_OUTPUT_SIZE];
    FILE *f = fopen(argv[i], "rb");
    size_t n = 0;
    int k;
    if (f != NULL) {
      n = fread(pixels, 1, sizeof pixels, f);
      fclose(f);
    }
    if (n != sizeof pixels) {
      fprintf(stderr, "%s: expected %d raw bytes\n", argv[i], MNIST_INPUT_SIZE);
      return 2;
    }
    mnist_quantize(pixels, input);
    if (mnist_run(input, output) != MNIST_OK) {
      return 1;
    }
    mnist_dequantize(output, probabilities);
    printf("%s: digit %d  [", argv[i], mnist_classify(pixels));
    for (k = 0; k < MNIST_OUTPUT_SIZE; k++) {
      printf("%s%.3f", k ? " " : "", (double)probabilities[k]);
    }
    printf("]\n");
  }
  return 0;
}
