/* Reads records (int32 input_multiplier, input_left_shift, diff_min, then 16 int8 inputs) from
 * stdin and writes the 16 int8 outputs of tfk_softmax (plain int8 in and out). */
#include <stdio.h>

#include "tfk_fixedpoint.c"
#include "tfk_softmax.c"

int main(void) {
  struct {
    int32_t params[3];
    int8_t values[16];
  } rec;
  while (fread(&rec, sizeof rec, 1, stdin) == 1) {
    tfk_softmax_params p;
    uint8_t out[16];
    p.input_multiplier = rec.params[0];
    p.input_left_shift = rec.params[1];
    p.diff_min = rec.params[2];
    p.n = 16u;
    p.in_flip = 0u;
    p.out_flip = 0u;
    tfk_softmax(&p, (const uint8_t *)rec.values, out);
    if (fwrite(out, sizeof out, 1, stdout) != 1) {
      return 1;
    }
  }
  return 0;
}
