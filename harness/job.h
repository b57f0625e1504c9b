/* job.h: one measured execution of a case: the tasks, the shared claim counter, per-task records. */
#ifndef CB_JOB_H
#define CB_JOB_H

#include <stdatomic.h>
#include <stdint.h>
#include "workload.h"

/* What one task left behind. Lives in MAP_SHARED memory so fork children can write it. */
typedef struct cb_task_rec {
  uint64_t sum;          /* the task's checksum contribution */
  int64_t start_ns;      /* CLOCK_MONOTONIC */
  int64_t end_ns;
  int32_t status;        /* 0 or a negative error */
  uint32_t runs;         /* how many times it ran: must end as 1 */
} cb_task_rec;

typedef struct cb_shared {
  _Atomic uint64_t next; /* next unclaimed task */
  cb_task_rec rec[];
} cb_shared;

typedef struct cb_job {
  const cb_workload *wl;
  cb_params params;
  void *state;           /* the workload's setup result */
  uint64_t ntasks;
  uint32_t conc;         /* at most this many tasks in flight */
  size_t stack_size;     /* threads and coroutines; 0 = backend default */
  cb_shared *sh;
  size_t sh_len;
  /* Filled by backends that run work in child processes. */
  uint64_t children_rss_kib;   /* summed peak RSS of children beyond what they inherited */
  uint32_t workers;            /* threads, processes or coroutines actually started */
  char err[256];               /* why run() failed, when it did */
} cb_job;

/* What a measured job adds up to. */
typedef struct cb_job_summary {
  uint64_t done;         /* tasks that ran exactly once and succeeded */
  uint64_t errors;       /* tasks that failed, never ran, or ran more than once */
  uint64_t checksum;     /* order-independent over the tasks' contributions */
  double p50_ms, p99_ms, max_ms;   /* task latency */
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

void cb_job_summarize(const cb_job *job, cb_job_summary *out);

/* The checksum's per-task term: the same wherever and whenever the task ran. */
static inline uint64_t cb_job_term(uint64_t index, uint64_t sum) {
  return cb_mix64(sum ^ cb_mix64(index + 0x9e3779b97f4a7c15ull));
}

/* The workers a backend should start: never more than there are tasks. */
static inline uint32_t cb_job_workers(const cb_job *job) {
  return job->ntasks < job->conc ? (uint32_t)job->ntasks : job->conc;
}

#endif
