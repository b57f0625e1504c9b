/* compute.c: the deterministic hash chain behind cb_compute. */
#include "cb.h"

uint64_t cb_hash_chain(uint64_t seed, uint64_t units) {
  uint64_t x = seed ^ 0x2545f4914f6cdd1dull;
  /* Each round depends on the last, so neither the compiler nor the CPU can overlap rounds:
   * time grows exactly with units. */
  for (uint64_t u = 0; u < units; u++) {
    for (unsigned r = 0; r < CB_UNIT_ROUNDS; r++) {
      x ^= x >> 33;
      x *= 0xff51afd7ed558ccdull;
      x += r;
    }
  }
  return cb_mix64(x);
}
