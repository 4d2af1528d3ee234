/* Bare-metal MNIST on an emulated Cortex-M4 (QEMU mps2-an386): classifies the test digits
 * embedded in digits.h with the generated mnist_model.h and prints each result through ARM
 * semihosting, then the count of correct ones. Exit status 0 (a wrong digit is the model's
 * accuracy at work, not an error). */
#include <stdint.h>

#define MNIST_IMPLEMENTATION
#include "mnist_model.h"

#include "digits.h"
#include "semihost.h"

int main(void) {
  int wrong = 0;
  int k;
  sh_puts("tinyflash MNIST on Cortex-M (" MNIST_ROUNDING " rounding)\n");
  for (k = 0; k < DIGITS_COUNT; k++) {
    const int predicted = mnist_classify(digits[k]);
    sh_puts("digit ");
    sh_putu((uint32_t)k);
    sh_puts(": predicted ");
    sh_putu((uint32_t)predicted);
    sh_puts(", label ");
    sh_putu(digit_labels[k]);
    sh_puts(predicted == digit_labels[k] ? "\n" : "  <- wrong\n");
    wrong += predicted != digit_labels[k];
  }
  sh_putu((uint32_t)(DIGITS_COUNT - wrong));
  sh_puts(" of ");
  sh_putu(DIGITS_COUNT);
  sh_puts(" correct\n");
  return 0;
}
