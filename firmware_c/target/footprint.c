/* Footprint firmware: the smallest program that keeps a generated model linked
 * (-DWITH_MODEL) or not (the baseline); the difference of the two is the model's flash. */
#include <stdint.h>

#ifdef WITH_MODEL
#include MODEL_HEADER
#endif

volatile uint8_t footprint_pixels[784];

int main(void) {
#ifdef WITH_MODEL
  return MODEL_CLASSIFY((const uint8_t *)footprint_pixels);
#else
  return footprint_pixels[0];
#endif
}
