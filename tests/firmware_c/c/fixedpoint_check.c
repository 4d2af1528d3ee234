/* Reads records of 6 int32 (a, b, x, exponent, m, shift) from stdin, writes 3 int32 per record:
 * tfk_srdhm(a, b), tfk_rdbpot(x, exponent), tfk_mbqm(x, m, shift). */
#include <stdio.h>

#include "tfk_fixedpoint.c"

int main(void) {
  int32_t in[6];
  while (fread(in, sizeof in, 1, stdin) == 1) {
    int32_t out[3];
    out[0] = tfk_srdhm(in[0], in[1]);
    out[1] = tfk_rdbpot(in[2], in[3]);
    out[2] = tfk_mbqm(in[2], in[4], in[5]);
    if (fwrite(out, sizeof out, 1, stdout) != 1) {
      return 1;
    }
  }
  return 0;
}
