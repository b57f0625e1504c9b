/* chain.c: each task runs `steps` dependent waits, each as long as the previous result says (the seeds' chain.py). */
#include <stdlib.h>
#include "workload.h"

/* chain.py's chain(n) awaits part1(n), then part2(n, part1's result): each part sleeps a random
 * while and returns a result derived from what it was given. Here a task is the chain, a step is
 * a part: its wait is drawn from the previous step's result by a seeded generator (cb_mix64), so
 * no step can start, nor know how long it will wait, before the one before it has finished. */

enum { P_STEPS, P_MAX_MS };

static const cb_param_spec chain_params[] = {
  [P_STEPS] = { .name = "steps", .unit = "", .def = 3, .min = 1, .max = 100, .integer = 1,
                .help = "dependent waits per task (chain.py has two: part1, part2)" },
  [P_MAX_MS] = { .name = "max_ms", .unit = "ms", .def = 20, .min = 0, .max = 60000, .integer = 1,
                 .help = "longest single wait; each is 0 to max_ms, drawn from the previous result" },
};

#define CHAIN_SEED 0x636861696e2e7079ull   /* "chain.py" */

/* The chain's start: what chain(n) is called with. */
static uint64_t chain_start(uint64_t index) { return cb_mix64(index ^ CHAIN_SEED); }

/* Step k's wait, from the previous result. */
static uint64_t step_wait(uint64_t prev, uint64_t max_ms) { return max_ms ? cb_mix64(prev) % (max_ms + 1) : 0; }

/* Step k's result, derived from the previous one and what it waited ("result{n}-{k} derived from
 * {arg}"). */
static uint64_t step_result(uint64_t prev, uint64_t k, uint64_t waited) {
  return cb_mix64(prev ^ (k + 1) * 0x9e3779b97f4a7c15ull ^ waited << 17);
}

/* A task's total wait in ms, known from its index alone (the ideal needs it). */
static uint64_t chain_total_ms(const cb_params *p, uint64_t index) {
  uint64_t steps = (uint64_t)p->v[P_STEPS], max_ms = (uint64_t)p->v[P_MAX_MS];
  uint64_t r = chain_start(index), total = 0;
  for (uint64_t k = 0; k < steps; k++) {
    uint64_t w = step_wait(r, max_ms);
    total += w;
    r = step_result(r, k, w);
  }
  return total;
}

static int chain_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  uint64_t steps = (uint64_t)p->v[P_STEPS], max_ms = (uint64_t)p->v[P_MAX_MS];
  uint64_t r = chain_start(index), acc = index;
  for (uint64_t k = 0; k < steps; k++) {
    uint64_t w = step_wait(r, max_ms);
    int rc = cb_sleep(ctx, w);
    if (rc) return rc;
    r = step_result(r, k, w);
    acc = cb_mix64(acc ^ r);            /* every step in the checksum, in order */
  }
  *sum = acc;
  return 0;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Most tasks the sum of the smallest is computed for; beyond, the two other bounds alone. */
#define CHAIN_SORT_MAX (1u << 20)

/* A true lower bound on wall time, from every task's total wait T_i (known from its index), with
 * C tasks at a time: the longest chain; the sum over C; and, as sleep's ceil(n / C) rounds, the
 * ceil(n / C) shortest chains end to end, since some worker runs at least that many tasks one
 * after another. With equal chains it is exactly sleep's ideal. */
static double chain_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) {
  if (conc == 0) conc = 1;
  if (n == 0) return 0;
  uint64_t longest = 0, total = 0, rounds_ms = 0;
  uint64_t *t = n <= CHAIN_SORT_MAX ? malloc(n * sizeof *t) : NULL;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t ti = chain_total_ms(p, i);
    if (ti > longest) longest = ti;
    total += ti;
    if (t) t[i] = ti;
  }
  if (t) {
    uint64_t rounds = (n + conc - 1) / conc;
    qsort(t, n, sizeof *t, cmp_u64);
    for (uint64_t i = 0; i < rounds; i++) rounds_ms += t[i];
    free(t);
  }
  double best = (double)longest;
  if ((double)total / conc > best) best = (double)total / conc;
  if ((double)rounds_ms > best) best = (double)rounds_ms;
  return best / 1000.0;
}

const cb_workload cb_workload_chain = {
  .name = "chain",
  .summary = "each task runs `steps` waits, each drawn from the previous step's result (chained coroutines)",
  .kind = CB_KIND_IO,
  .uses = CB_USES_TIME,
  .params = chain_params,
  .nparams = sizeof chain_params / sizeof chain_params[0],
  .task = chain_task,
  .ideal = chain_ideal,
};
