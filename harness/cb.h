/* cb.h: the runtime contract: everything a workload's task may call, whatever backend runs it. */
#ifndef CB_H
#define CB_H

#include <stdint.h>
#include <stddef.h>

/* A task is plain straight-line C. It calls the functions below through its context; the backend
 * decides what they mean (blocking system calls, or a coroutine parked on a libuv request).
 * Calls return 0 or a negative errno-style code, as libuv does. */

typedef struct cb_ctx cb_ctx;
struct cb_job;

/* The operations a backend implements for tasks. Later groups (tcp, file, queue, set) join as
 * new members at the end; a NULL member means the backend does not offer it (checked). */
typedef struct cb_io {
  const char *name;
  int (*sleep)(cb_ctx *ctx, uint64_t ms);
  uint64_t (*compute)(cb_ctx *ctx, uint64_t seed, uint64_t units);
} cb_io;

/* One per worker: a thread, a process or a coroutine. */
struct cb_ctx {
  const cb_io *io;
  void *impl;            /* the backend's per-worker state */
  struct cb_job *job;
  uint32_t worker;       /* 0 .. workers-1 */
};

/* Wait ms milliseconds without using CPU. */
static inline int cb_sleep(cb_ctx *ctx, uint64_t ms) { return ctx->io->sleep(ctx, ms); }

/* Run `units` units of the deterministic hash chain from `seed`; returns the final hash. */
static inline uint64_t cb_compute(cb_ctx *ctx, uint64_t seed, uint64_t units) {
  return ctx->io->compute(ctx, seed, units);
}

/* Rounds of the hash chain in one compute unit. */
#define CB_UNIT_ROUNDS 1000u

/* The pure computation behind cb_compute; backends call it wherever they run CPU work. */
uint64_t cb_hash_chain(uint64_t seed, uint64_t units);

/* Mixes a value into a well-spread 64-bit hash (splitmix64's finaliser). */
static inline uint64_t cb_mix64(uint64_t x) {
  x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27; x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

#endif
