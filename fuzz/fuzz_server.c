/* fuzz_server.c: libFuzzer target for the target server's request path (cb__server_feed):
 * a client's bytes in pieces through http-parser, routing, responses, delays and faults. */
#include <stddef.h>
#include <stdint.h>
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return cb_fuzz_server(data, size); }
