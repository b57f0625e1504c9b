/* targets.h: one input through one fuzz target, shared by the libFuzzer targets (fuzz_*.c) and the
 * regression test that replays fuzz/regress/ in the normal build (tests/test_fuzz_regress.c). */
#ifndef CB_FUZZ_TARGETS_H
#define CB_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* Each runs one input and returns 0. A crash, a sanitizer report or an abort() from a broken
 * invariant (a line "fuzz: <target>: <what>" on stderr first) is a finding.
 *
 * server and client inputs start with two bytes, then the bytes on the wire:
 *   byte 0  options (bits, per target: see targets.c)
 *   byte 1  split: 0 sends the rest in one piece; s > 0 cuts it into pieces of 1..s bytes
 *           (sizes from a PRNG seeded with s), so the fuzzer chooses where reads end
 * suite inputs are the text of a suite file; results inputs the text of a results.json. */
int cb_fuzz_server(const uint8_t *data, size_t size);
int cb_fuzz_client(const uint8_t *data, size_t size);
int cb_fuzz_suite(const uint8_t *data, size_t size);
int cb_fuzz_results(const uint8_t *data, size_t size);
/* history inputs are the text of a results.json, imported into a history in memory. */
int cb_fuzz_history(const uint8_t *data, size_t size);
/* resp inputs: options byte, split byte, then the Redis server's bytes (see targets.c). */
int cb_fuzz_resp(const uint8_t *data, size_t size);

typedef int (*cb_fuzz_fn)(const uint8_t *data, size_t size);

/* The target of that name ("server", "client", "suite", "results", "history", "resp"), or NULL. */
cb_fuzz_fn cb_fuzz_target(const char *name);

#endif
