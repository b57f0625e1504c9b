/* runner.h: measuring one repetition of a case in a fresh process. */
#ifndef CB_RUNNER_H
#define CB_RUNNER_H

#include "signals.h"
#include "plan.h"
#include "target.h"
#include "rserver.h"

/* Catch SIGINT and SIGTERM so a run can stop cleanly (cb_signals_catch); become the subreaper of
 * the processes our children leave behind. */
void cb_runner_signals(void);

/* Where a measurement runs: options and the shared surroundings. */
typedef struct cb_measure_env {
  size_t stack_size;           /* threads and coroutines; 0 = each backend's default */
  const char *outdir;          /* the run's directory: output files go to outdir/output/ */
  const cb_target *target;     /* the running target server (or --target's), or NULL */
  const char *target_path;     /* --target's -p path=..., or NULL */
  const cb_rserver *redis;     /* the Redis (started by the run, or --redis), or NULL */
  const char *redis_prefix;    /* the run's own keys start with it */
  const char *tmpdir;          /* the run's temporary directory, or NULL */
  double unit_s;               /* the run's compute-unit calibration, fixed at its start */
  double case_timeout_s;       /* a repetition running longer is stopped and recorded so; 0 = none */
} cb_measure_env;

/* Run c once in a fresh measurement process and fill *out; its latency histograms are merged
 * into c's. Returns 0 when a sample was taken
 * (out->status says whether the backend succeeded), -EINTR when a signal stopped it (the child
 * is killed and reaped), or another negative error when no process could be started. */
int cb_runner_measure(cb_case *c, const cb_measure_env *env, cb_sample *out);

/* 1 when other processes took enough CPU while s ran to disturb it (s->others_cpu_s above a
 * quarter of a core on average over its wall time, or a tenth of its own CPU time when that is
 * more, plus a tick's slack per CPU up to 4, since /proc/stat counts whole ticks); cores: the machine's. */
int cb_runner_disturbed(const cb_sample *s, unsigned cores);

/* The measurement itself, in the calling process: used by the measurement child, and by tests. */
void cb_runner_measure_here(const cb_case *c, const cb_measure_env *env, cb_sample *out);

#endif
