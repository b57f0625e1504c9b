/* plan.h: a run's configuration, the cases it expands to, and what each repetition measured. */
#ifndef CB_PLAN_H
#define CB_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include "backend.h"
#include "hist.h"

#define CB_MAX_LIST 64
#define CB_MAX_PSETS 32

/* One -p key=v1,v2 option. */
typedef struct cb_pset {
  char name[32];
  double vals[CB_MAX_LIST];
  int n;
} cb_pset;

/* Everything `run` was asked, after parsing and before expansion. */
typedef struct cb_run_cfg {
  const cb_backend *be[CB_MAX_LIST];
  int nbe;
  const cb_workload *wl[CB_MAX_LIST];
  int nwl;
  uint64_t tasks;
  double target_s;       /* tasks = auto: each case sized so its ideal time is at least this; 0 = tasks */
  uint32_t conc[CB_MAX_LIST];
  int nconc;
  cb_pset ps[CB_MAX_PSETS];
  int nps;
  unsigned reps;         /* repetitions of every case; with reps_auto, the least */
  int reps_auto;         /* -r auto: more rounds for the cases whose median is not yet pinned down */
  unsigned reps_max;     /* reps_auto: at most this many */
  double ci;             /* reps_auto: enough once the 95% interval of the median is within +-ci of it */
  double budget_s;       /* reps_auto: no new round once the run has taken this long; 0 = none */
  unsigned warmup;       /* uncounted repetitions before the counted ones */
  double rate;           /* open loop: tasks started per second; 0 = closed loop (rates[0]) */
  double rates[CB_MAX_LIST];   /* --rate's list: each rate is its own case */
  int nrates;
  double duration;       /* open loop: seconds of arrivals (tasks = rate x duration) */
  uint64_t seed;         /* bootstrap resampling */
  size_t stack_size;     /* 0: each backend's default */
  const char *outdir;    /* NULL: results/<timestamp> */
  int quiet;
  int serial_once;       /* serial backends only at the first concurrency: it cannot change them */
} cb_run_cfg;

/* One repetition of one case, as the measurement process reports it. Fixed size, so it crosses
 * the pipe in one write. */
typedef struct cb_sample {
  int32_t status;        /* 0, or the backend's negative error */
  uint32_t workers;
  double wall_s;         /* from the backend's start to the last task's end: the work's makespan */
  double teardown_s;     /* after it, until the backend returned: the pool's ending, not counted */
  double prepare_s;      /* before it: the backend's prepare (a loop's stacks), not counted */
  double user_s, sys_s;
  uint64_t peak_rss_kib;
  uint64_t ctx_voluntary, ctx_involuntary;
  uint64_t done, errors;
  uint64_t checksum;
  double p50_ms, p90_ms, p99_ms, p999_ms, max_ms;   /* task latency from the intended start */
  double rate_achieved;  /* completions per second (open loop) */
  double server_cpu_s;   /* CPU the target server used meanwhile */
  /* Interference: busy CPU time of the whole machine (/proc/stat) while the backend ran, less
   * the CPU of the measurement's process tree, of the runner and of the target server: what
   * other processes (and the kernel, and other virtual machines: steal) took meanwhile. */
  double others_cpu_s;
  double steal_s;        /* the hypervisor's steal time over the same span, all CPUs, part of others */
  uint32_t peak_threads, peak_procs, peak_fds;   /* over the measurement's process tree */
  double unit_s;         /* compute unit calibrated just before the run (cpu work only), or 0 */
  uint64_t not_found;
  struct { int32_t code; uint32_t count; } kinds[CB_ERROR_KINDS];   /* errors by kind */
  uint32_t nkinds;
  uint32_t nmetrics;
  cb_metric metrics[8];  /* the workload's own figures (names are static strings) */
  uint8_t timed_out;     /* stopped by --case-timeout: wall_s is how long it ran */
  uint8_t busy;          /* kept although disturbed (cb_runner_disturbed) after every retry */
  char err[256];
} cb_sample;

typedef struct cb_case {
  const cb_workload *wl;
  const cb_backend *be;
  cb_params params;
  char params_str[256];  /* "delay_ms=20;..." every parameter, defaults included */
  char id[320];          /* a file name for the case: crawl-uv-n100-c10-delay_ms=20 */
  uint64_t tasks;
  uint32_t conc;         /* as asked; rows keep it so they line up across backends */
  uint32_t eff_conc;     /* what the model runs at: 1 for serial backends, never above tasks */
  double ideal_s;
  double rate;           /* open loop: tasks started per second (with load: requests), or 0 */
  double duration;       /* open loop: seconds of arrivals */
  uint32_t cores;        /* of the machine, for the validity flags */
  int sized;             /* tasks chosen by time (tasks = auto), not given */
  char skipped[200];     /* why the machine cannot run it ("" when it runs): a row, no measurement */
  const char *stop;      /* why it has the repetitions it has: "reps", "ci", "max", "budget" */
  /* A Redis workload's case beside redis-benchmark on the same server (cb_workload.redis_like):
   * its requests a second, and the commands one task sends; 0 when not measured. */
  double ref_ops_s, ops_per_task;
  cb_sample *reps;       /* room for the plan's reps_max */
  unsigned nreps;
  /* Latency over every repetition, merged: task (from the intended start), service (from the
   * actual start), done (each result's time from the run's start) and each operation kind; NULL
   * until something was recorded. */
  cb_hist *lat, *svc, *done;
  cb_hist *ops[CB_OP_KINDS];
} cb_case;

typedef struct cb_plan {
  cb_case *cases;
  size_t n;
  size_t cap;
  unsigned reps;         /* every case's repetitions (adaptive: the least) */
  int reps_auto;         /* the policy of cb_run_cfg, for the whole run */
  unsigned reps_max;
  double ci, budget_s;
  uint64_t seed;
} cb_plan;

/* Expand cfg into cases: workload x parameter values x concurrency x backend. With cfg->target_s,
 * each case's tasks are the fewest whose ideal time on machine m reaches it (see cb_plan_size). */
int  cb_plan_build(const cb_run_cfg *cfg, const cb_machine *m, cb_plan *plan);
/* The repetition policy and seed of cfg, for the whole plan (before cb_plan_add). */
void cb_plan_policy(cb_plan *plan, const cb_run_cfg *cfg);
/* The most tasks a case sized by time gets. */
#define CB_PLAN_MAX_SIZED 10000000ull
/* Append cfg's cases to a plan (a suite's groups, one after another). */
int  cb_plan_add(cb_plan *plan, const cb_run_cfg *cfg, const cb_machine *m);
void cb_plan_free(cb_plan *plan);
/* A case's merged histograms one by one, for code that treats them alike: slot k from 0 to
 * CB_CASE_HISTS - 1 is the task latency, the service time, the completion time, then each
 * operation kind (CB_CASE_HIST_OPS + kind). */
#define CB_CASE_HIST_OPS 3
#define CB_CASE_HISTS (CB_CASE_HIST_OPS + CB_OP_KINDS)
cb_hist **cb_case_hist(cb_case *c, int k);
/* Free a case's merged latencies (lat, svc, ops; kept memory: cb_keep_alloc) and set them NULL. */
void cb_case_free_hists(cb_case *c);
/* 0 when backend be has every call workload wl uses (and the timer an open loop needs), else -1
 * with one line in err (when given) naming what is missing. cb_cfg_check asks it of every pair
 * before anything runs; cb_plan_add refuses, -ENOTSUP, a case that fails it. */
int  cb_case_check_calls(const cb_workload *wl, const cb_backend *be, int open_loop, char *err, size_t len);
/* The tasks for a case of wl with parameters p at effective concurrency conc to last at least
 * target_s: the fewest N whose ideal time reaches it, rounded up to 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6
 * or 8 times a power of ten, so that a size measured from a calibration (CPU work) usually comes
 * out the same in two runs, then up to a multiple of conc (whole rounds). At least 2 x conc. 0 when
 * wl has no ideal (it cannot be sized). */
uint64_t cb_plan_size(const cb_workload *wl, const cb_params *p, uint32_t conc, double target_s, const cb_machine *m);
/* (Re)compute every case's ideal time for machine m. */
void cb_plan_ideals(cb_plan *plan, const cb_machine *m);
/* Lower m's compute unit to the fastest calibration any repetition saw, and recompute the ideals:
 * the ideal stays a lower bound however the machine's speed drifted during the run. */
void cb_plan_learn(cb_plan *plan, cb_machine *m);

/* Parameters: look up, and format a case's values. */
int  cb_params_index(const cb_workload *wl, const char *name);
void cb_params_defaults(const cb_workload *wl, cb_params *p);
void cb_params_format(const cb_workload *wl, const cb_params *p, char *buf, size_t len);
/* Check v against the spec; on failure write why into err. */
int  cb_param_check(const cb_param_spec *s, double v, char *err, size_t len);

#endif
