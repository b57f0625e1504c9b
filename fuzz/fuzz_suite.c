/* fuzz_suite.c: libFuzzer target for the suite-file parser (cb_suite_parse, normal and --quick). */
#include <stddef.h>
#include <stdint.h>
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return cb_fuzz_suite(data, size); }
