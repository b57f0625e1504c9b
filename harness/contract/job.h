/* job.h: one measured execution of a case: the tasks, the shared claim counter, per-task records. */
#ifndef CB_JOB_H
#define CB_JOB_H

#include <stdatomic.h>
#include <stdint.h>
#include "workload.h"
#include "hist.h"

/* What one task left behind. Lives in MAP_SHARED memory so fork children can write it. */
typedef struct cb_task_rec {
  uint64_t sum;          /* the task's checksum contribution */
  int64_t intended_ns;   /* when it should have started: its start, or its open-loop slot */
  int64_t start_ns;      /* CLOCK_MONOTONIC */
  int64_t end_ns;
  int32_t status;        /* 0 or a negative error */
  uint32_t runs;         /* how many times it ran: must end as 1 */
  uint32_t not_found;    /* HTTP 404 answers the task got: counted, not errors */
  uint32_t pad;
} cb_task_rec;

typedef struct cb_shared {
  _Atomic uint64_t next; /* next unclaimed task */
  /* Memory of a process tree (fork): every worker's PSS, summed, each read while all of them were
   * still alive (so a shared page is split among all its sharers and counted once), and the Rss
   * and Pss of the process that forked them, read at that same moment (0: not taken). */
  _Atomic uint64_t children_pss_kib;
  _Atomic uint64_t children_sampled;   /* how many workers added their PSS to children_pss_kib */
  _Atomic uint64_t parent_rss_kib, parent_pss_kib;
  cb_task_rec rec[];
} cb_shared;

/* One worker's latency histograms by operation kind, initialised on first use: a worker is a
 * thread or a process (all of uv's coroutines share their loop's), so recording takes no lock. */
typedef struct cb_op_hists {
  cb_hist h[CB_OP_KINDS];
} cb_op_hists;

typedef struct cb_job {
  const cb_workload *wl;
  cb_params params;
  void *state;           /* the workload's setup result */
  uint64_t ntasks;
  uint32_t conc;         /* at most this many tasks in flight */
  size_t stack_size;     /* threads and coroutines; 0 = backend default */
  cb_shared *sh;
  size_t sh_len;
  cb_op_hists *ops;      /* one per worker (MAP_SHARED, touched only where used) */
  /* One word per worker, bit k: its ops h[k] is in use. Apart from the histograms, so that
   * finding the used ones touches a page or two, not a page of every histogram (MAP_SHARED
   * memory read is memory taken, and the run's memory is measured). */
  uint32_t *ops_used;
  uint32_t nops;
  size_t ops_len, ops_used_len;
  double rate;           /* open loop: task i starts at t0 + i / rate; 0 = closed loop */
  int64_t t0_ns;         /* when the run started */
  uint32_t workers;            /* threads, processes or coroutines actually started */
  char err[256];               /* why run() failed, when it did */
} cb_job;

#define CB_ERROR_KINDS 8

/* What a measured job adds up to. */
typedef struct cb_job_summary {
  uint64_t done;         /* tasks that ran exactly once and succeeded */
  uint64_t errors;       /* tasks that failed, never ran, or ran more than once */
  uint64_t not_found;    /* 404 answers, summed over tasks */
  uint64_t checksum;     /* the sum of the successful tasks' contributions, modulo 2^64 */
  double p50_ms, p90_ms, p99_ms, p999_ms, max_ms;   /* task latency (from the intended start) */
  double rate_achieved;  /* completions per second from the start to the last completion */
  int64_t last_end_ns;   /* when the last task ended, every task having run; 0 if one never ran */
  /* Errors by kind: the most frequent codes (0 = never ran or ran twice). */
  struct { int32_t code; uint32_t count; } kinds[CB_ERROR_KINDS];
  unsigned nkinds;
} cb_job_summary;

int  cb_job_init(cb_job *job, const cb_workload *wl, const cb_params *p, uint64_t ntasks,
                 uint32_t conc, size_t stack_size);
void cb_job_free(cb_job *job);
/* Rewind for another execution (tests reuse a job). */
void cb_job_reset(cb_job *job);

/* Claim the next task; 1 with *index set, 0 when none is left. */
static inline int cb_job_claim(cb_job *job, uint64_t *index) {
  uint64_t i = atomic_fetch_add_explicit(&job->sh->next, 1, memory_order_relaxed);
  if (i >= job->ntasks) return 0;
  *index = i;
  return 1;
}

/* Run task `index` in ctx and record it. */
void cb_job_exec(cb_job *job, cb_ctx *ctx, uint64_t index);

/* A worker has no task left: the workload's worker_end (closing kept-alive connections) runs. */
void cb_job_worker_end(cb_job *job, cb_ctx *ctx);

/* One worker's whole life, for every backend: claim a task and run it until none is left, then
 * the worker's end. A thread's or a process's body, or a coroutine's function. Returns how many
 * tasks it ran. */
uint64_t cb_job_work(cb_job *job, cb_ctx *ctx);


/* Sums up the run; when lat and svc are given, fills them with the task latency (from the
 * intended start: coordinated omission cannot hide a stall) and the service time (from the actual
 * start), done (when given) with each result's time from the run's start (t0_ns: what a user
 * waiting for the results sees), and merges every worker's histogram of kind k into ops[k] when
 * ops is given. */
void cb_job_summarize_hists(const cb_job *job, cb_job_summary *out, cb_hist *lat, cb_hist *svc, cb_hist *done,
                            cb_hist *ops);
static inline void cb_job_summarize(const cb_job *job, cb_job_summary *out) {
  cb_job_summarize_hists(job, out, NULL, NULL, NULL, NULL);
}

/* The histograms of worker w (backends: threads and processes use their own; sync and uv use 0). */
static inline cb_op_hists *cb_job_ops(cb_job *job, uint32_t w) {
  return job->ops && w < job->nops ? &job->ops[w] : NULL;
}

/* The workers a backend should start: never more than there are tasks. */
static inline uint32_t cb_job_workers(const cb_job *job) {
  return job->ntasks < job->conc ? (uint32_t)job->ntasks : job->conc;
}

#endif
