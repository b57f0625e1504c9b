/* fuzz_results.c: libFuzzer target for the results reader (cb_results_parse), histogram decoding,
 * and what compare computes from each case. */
#include <stddef.h>
#include <stdint.h>
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return cb_fuzz_results(data, size); }
