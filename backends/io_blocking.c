/* io_blocking.c: the runtime contract as ordinary blocking calls, for sync, threads and fork. */
#include "backend.h"
#include "clock.h"

static int blocking_sleep(cb_ctx *ctx, uint64_t ms) {
  cb_sleep_until(cb_now_ns() + (int64_t)ms * 1000000);
  return 0;
}

static uint64_t blocking_compute(cb_ctx *ctx, uint64_t seed, uint64_t units) {
  return cb_hash_chain(seed, units);
}

const cb_io cb_io_blocking = {
  .name = "blocking",
  .sleep = blocking_sleep,
  .compute = blocking_compute,
};
