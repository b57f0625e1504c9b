/* cpu.c: each task runs `work` units of a deterministic hash chain (CPU-bound). */
#include "workload.h"

enum { P_WORK };

/* About 15 ms of one core per task on the reference machines (2 cores, x86-64, 1.4 to 1.6 ns a
 * round): long enough that 16 tasks are measurable (over 0.2 s) on the faster ones. */
#define CPU_DEFAULT_WORK 10000

static const cb_param_spec cpu_params[] = {
  [P_WORK] = { .name = "work", .unit = "units", .def = CPU_DEFAULT_WORK, .min = 0, .max = 1e9, .integer = 1,
               .help = "hash-chain units per task (1 unit = 1000 dependent rounds)" },
};

static int cpu_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  *sum = cb_compute(ctx, index, (uint64_t)p->v[P_WORK]);
  return 0;
}

/* n tasks of w seconds each, spread over as many cores as the concurrency can use. */
static double cpu_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) {
  uint32_t par = conc < m->cores ? conc : m->cores;
  if (par == 0) par = 1;
  return (double)n * p->v[P_WORK] * m->unit_s / par;
}

const cb_workload cb_workload_cpu = {
  .name = "cpu",
  .summary = "each task runs `work` units of a hash chain (CPU-bound)",
  .kind = CB_KIND_CPU,
  .uses = CB_USES_COMPUTE,
  .params = cpu_params,
  .nparams = sizeof cpu_params / sizeof cpu_params[0],
  .task = cpu_task,
  .ideal = cpu_ideal,
};
