/* fuzz_history.c: libFuzzer target for the history importer: a results.json parsed, added to a
 * history in memory twice, read back and analysed for change points. */
#include <stddef.h>
#include <stdint.h>
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return cb_fuzz_history(data, size); }
