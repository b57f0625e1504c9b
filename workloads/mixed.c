/* mixed.c: each task spends task_ms, io_fraction of it waiting and the rest computing: where the
 * event loop wins, where threads overtake it, and what moving the computation off the loop
 * (uv-offload) recovers. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "workload.h"

enum { P_TASK_MS, P_IO_FRACTION };

static const cb_param_spec mixed_params[] = {
  [P_TASK_MS] = { .name = "task_ms", .unit = "ms", .def = 10, .min = 0, .max = 3600000, .integer = 0,
                  .help = "what one task takes alone: waiting plus computing" },
  [P_IO_FRACTION] = { .name = "io_fraction", .unit = "0..1", .def = 0.5, .min = 0, .max = 1, .integer = 0,
                      .help = "the share of task_ms spent waiting; the rest is CPU work" },
};

typedef struct state {
  uint64_t wait_ms;
  uint64_t units;              /* compute units per task, from the run's calibration */
} state;

static int mixed_setup(const cb_setup *su, void **out) {
  state *st = calloc(1, sizeof *st);
  if (!st) return -ENOMEM;
  double t = su->p->v[P_TASK_MS], f = su->p->v[P_IO_FRACTION];
  st->wait_ms = (uint64_t)llround(t * f);
  /* The run calibrates once and every repetition and backend uses the same count: the same
   * answer everywhere. */
  double unit_s = su->unit_s > 0 ? su->unit_s : 2.5e-6;
  st->units = (uint64_t)llround(t * (1 - f) / 1000.0 / unit_s);
  *out = st;
  return 0;
}

static int mixed_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  state *st = vst;
  int rc = st->wait_ms ? cb_sleep(ctx, st->wait_ms) : 0;
  *sum = cb_compute(ctx, index, st->units);
  return rc;
}

static unsigned mixed_metrics(void *vst, cb_metric *out, unsigned max) {
  state *st = vst;
  if (max < 1) return 0;
  out[0] = (cb_metric){ "compute_units_per_task", (double)st->units };
  return 1;
}

static int mixed_teardown(void *vst) {
  free(vst);
  return 0;
}

/* Each round of c tasks takes at least one task's time; all the computing together takes at
 * least its CPU time spread over the cores. */
static double mixed_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) {
  if (conc == 0) conc = 1;
  double t = p->v[P_TASK_MS] / 1000.0, cpu = t * (1 - p->v[P_IO_FRACTION]);
  uint32_t par = conc < m->cores ? conc : m->cores;
  double rounds = (double)((n + conc - 1) / conc) * t, cores = (double)n * cpu / (par ? par : 1);
  return rounds > cores ? rounds : cores;
}

/* At io_fraction 1 a task only waits: no CPU work to oversubscribe the cores with. */
static int mixed_computes(const cb_params *p) { return p->v[P_IO_FRACTION] < 1; }

const cb_workload cb_workload_mixed = {
  .name = "mixed",
  .summary = "each task waits io_fraction of task_ms, then computes the rest (where threads overtake the loop)",
  .kind = CB_KIND_MIXED,
  .uses = CB_USES_TIME | CB_USES_COMPUTE,
  .sweep = "io_fraction",
  .params = mixed_params,
  .nparams = sizeof mixed_params / sizeof mixed_params[0],
  .setup = mixed_setup,
  .task = mixed_task,
  .metrics = mixed_metrics,
  .teardown = mixed_teardown,
  .ideal = mixed_ideal,
  .computes = mixed_computes,
};
