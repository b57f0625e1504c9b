/* fuzz_client.c: libFuzzer target for the HTTP client's response path: cb_http_get over a
 * fake runtime whose tcp_recv returns the input in pieces. */
#include <stddef.h>
#include <stdint.h>
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return cb_fuzz_client(data, size); }
