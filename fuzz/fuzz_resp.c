/* fuzz_resp.c: libFuzzer target for the Redis client's reply path: hiredis's parser in pieces,
 * and cb_resp_read over a fake runtime whose tcp_recv returns the input in pieces. */
#include <stddef.h>
#include <stdint.h>
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return cb_fuzz_resp(data, size); }
