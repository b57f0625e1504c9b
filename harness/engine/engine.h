/* engine.h: the run engine: a plan measured in rounds of fresh processes, its rows computed once
 * per round and its results written after every round; used by `run`, by tests and by any later
 * command that measures. */
#ifndef CB_ENGINE_H
#define CB_ENGINE_H

#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include "plan.h"
#include "rows.h"
#include "target.h"
#include "rserver.h"
#include "util.h"

typedef enum cb_engine_status {
  CB_ENGINE_READY,       /* prepared, not yet run */
  CB_ENGINE_COMPLETE,    /* every repetition of every case measured */
  CB_ENGINE_STOPPED,     /* a stop request or a signal ended it early: what finished is kept */
  CB_ENGINE_FAILED,      /* something the run needs broke (a server, a process, the disk): err says */
} cb_engine_status;

typedef enum cb_engine_event {
  CB_ENGINE_REP_START,   /* a repetition (or warm-up) is about to run */
  CB_ENGINE_REP_END,     /* one was measured: sample is set (NULL for a warm-up) */
  CB_ENGINE_NOTE,        /* something worth a line on stderr happened: note says what */
} cb_engine_event;

/* What the engine tells its caller as it goes (a progress line, --verbose). */
typedef struct cb_engine_progress {
  cb_engine_event event;
  const cb_case *c;
  int warm;              /* a warm-up: measured, then dropped */
  const cb_sample *sample;
  const char *note;
  size_t done, total;    /* repetitions measured so far (warm-ups included), and in all */
  double elapsed_s;
} cb_engine_progress;

typedef struct cb_engine_opts {
  const char *outdir;          /* the results directory (created); NULL: results/<timestamp> */
  unsigned warmup;             /* uncounted rounds before plan->reps counted ones */
  size_t stack_size;           /* threads and coroutines; 0 = each backend's default */
  double case_timeout_s;       /* a repetition running longer is stopped and recorded so; 0 = none */
  int skip_impossible;         /* a case beyond the machine's limits is skipped (its row says why)
                                  instead of refusing the run: suites do this */
  int replace;                 /* an existing results directory may be replaced (run --replace) */
  int argc;                    /* the command, recorded in results.json */
  char **argv;
  const cb_target *target;     /* --target URL: an external server for http and crawl, or NULL */
  const char *target_path;     /* with it, -p path=...: the path http asks for, or NULL */
  const cb_rserver *redis;     /* --redis URL: an external Redis, or NULL (the run starts its own) */
  /* Optional: called on every event; without it, notes go to stderr as they come. */
  void (*progress)(void *arg, const cb_engine_progress *p);
  void *arg;
} cb_engine_opts;

typedef struct cb_engine {
  cb_plan *plan;
  cb_machine m;                /* its compute unit falls to the fastest calibration seen (ideals) */
  double unit_s;               /* the compute unit workloads size their work by: fixed for the
                                  whole run, so every repetition does the same work */
  cb_engine_opts o;
  cb_row *rows;                /* rows[i] of plan->cases[i], computed after every round */
  char outdir[PATH_MAX];
  char tmpdir[PATH_MAX];       /* the run's private temporary directory, or "" */
  cb_guard tmpguard;           /* the watcher that removes tmpdir after a kill -9 of the run */
  int lockfd;                  /* the lock held on outdir until cb_engine_free, or -1 */
  int replaced;                /* --replace: the earlier run's report and plots removed */
  cb_target target;
  cb_rserver redis;            /* the run's Redis: started when a case first needs it, or --redis */
  char redis_prefix[96];       /* the keys the run makes start with it ("concbench:<host>:<pid>-<ns>:") */
  int redis_used;              /* a case ran against it: its keys are cleared at the end */
  volatile sig_atomic_t stop;  /* set by cb_engine_stop: honoured between repetitions */
  cb_engine_status status;
  int signal;                  /* the signal that stopped the run, or 0 */
  char err[1024];              /* why prepare or run failed */
} cb_engine;

/* Check that the machine can give what the plan asks (limits, all-at-once workloads), then create
 * the results directory (refused when another run holds it, it cannot be written, or it holds
 * results and o->replace is 0), lock it, and create the run's temporary directory. Nothing is measured yet. 0, or -1
 * with e->err saying what is wrong and how to fix it (a usage error: exit status 2). plan and m
 * stay the caller's; cb_engine_free must follow in both cases. */
int cb_engine_prepare(cb_engine *e, cb_plan *plan, const cb_machine *m, const cb_engine_opts *o);

/* Measure every repetition in rounds, each round starting one case later (no backend always runs
 * first; drift spreads over every case), starting and replacing the target server as cases need
 * it, and write DIR/results.{csv,json} atomically after every counted round. Returns e->status. */
cb_engine_status cb_engine_run(cb_engine *e);

/* Ask a running engine to stop after the repetition in progress (safe from a signal handler or
 * a progress callback). */
void cb_engine_stop(cb_engine *e);

/* Counted repetitions measured so far over every case. */
size_t cb_engine_kept(const cb_engine *e);

/* Stop the target server, remove the temporary directory and free the rows. */
void cb_engine_free(cb_engine *e);

#endif
