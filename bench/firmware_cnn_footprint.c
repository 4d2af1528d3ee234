/* Footprint firmware for bench/firmware_cnn.py: the smallest program that keeps a generated
 * model linked (-DWITH_MODEL, calling RUN = <prefix>_run) or not (the baseline). Both have
 * the same input (IN_SIZE int8) and output (OUT_SIZE int8) buffers, so the difference of the
 * two linked images is the model alone: its code, its constants, its static arena. */
#include <stdint.h>

#ifdef WITH_MODEL
#include MODEL_HEADER
#endif

int8_t footprint_input[IN_SIZE];   /* not static: the compiler cannot know its contents */
int8_t footprint_output[OUT_SIZE];

int main(void) {
#ifdef WITH_MODEL
  return (int)RUN(footprint_input, footprint_output);
#else
  footprint_output[0] = footprint_input[0];
  return footprint_output[0];
#endif
}
