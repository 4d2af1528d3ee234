/* Footprint firmware: the smallest program that keeps a generated model linked
 * (-DWITH_MODEL) or not (the baseline); the difference of the two is the model's flash.
 * With the model: -DMODEL_RUN=<prefix>_run -DMODEL_IO_TYPE=int8_t (or float)
 * -DMODEL_INPUT_SIZE=<PREFIX>_INPUT_SIZE -DMODEL_OUTPUT_SIZE=<PREFIX>_OUTPUT_SIZE. */
#include <stdint.h>

#ifdef WITH_MODEL
#include MODEL_HEADER
/* External linkage: the compiler cannot know what they hold, so nothing is folded away. */
MODEL_IO_TYPE footprint_input[MODEL_INPUT_SIZE];
MODEL_IO_TYPE footprint_output[MODEL_OUTPUT_SIZE];
#endif
volatile uint32_t footprint_word;

int main(void) {
#ifdef WITH_MODEL
  return (int)MODEL_RUN(footprint_input, footprint_output) + (int)footprint_output[0] +
         (int)footprint_word;
#else
  return (int)footprint_word;
#endif
}
