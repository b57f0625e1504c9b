/* sleep.c: each task waits delay_ms without using the CPU (the seeds' countasync.py). */
#include <math.h>
#include "workload.h"

enum { P_DELAY };

static const cb_param_spec sleep_params[] = {
  [P_DELAY] = { .name = "delay_ms", .unit = "ms", .def = 50, .min = 0, .max = 3600000, .integer = 1,
                .help = "how long each task waits" },
};

static int sleep_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  uint64_t ms = (uint64_t)p->v[P_DELAY];
  int rc = cb_sleep(ctx, ms);
  *sum = cb_mix64(index << 32 ^ ms);
  return rc;
}

/* ceil(n / c) rounds of one delay each. */
static double sleep_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) {
  if (conc == 0) conc = 1;
  uint64_t rounds = (n + conc - 1) / conc;
  return (double)rounds * p->v[P_DELAY] / 1000.0;
}

const cb_workload cb_workload_sleep = {
  .name = "sleep",
  .summary = "each task waits delay_ms (IO-bound: waiting, no CPU)",
  .kind = CB_KIND_IO,
  .uses = CB_USES_TIME,
  .params = sleep_params,
  .nparams = sizeof sleep_params / sizeof sleep_params[0],
  .task = sleep_task,
  .ideal = sleep_ideal,
};
