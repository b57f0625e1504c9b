/* uv_mt.c: one libuv loop per core, each on its own thread with its own coroutines, all claiming
 * tasks from the job's shared counter: the loop's memory and waiting with every core computing. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uv_loop.h"
#include "util.h"

typedef struct mt_run mt_run;

/* One loop and the thread that runs it. */
typedef struct mt_loop {
  cb_uvloop uv;
  uv_async_t async;        /* wakes other loops leave in this one's inbox (cb_sched_wake_remote) */
  pthread_t thread;
  int threaded;            /* a thread of its own was started (loop 0 runs on the caller's) */
  int parked, finished;    /* under run->mu */
  mt_run *run;
} mt_loop;

struct mt_run {
  mt_loop *loops;
  uint32_t nloops;
  pthread_mutex_t mu;      /* every loop's parked and finished, stuck and go */
  pthread_cond_t cond;
  int go;                  /* 1 run, -1 give up (a thread could not be started) */
  int stuck;               /* every loop parked and no wake in flight: none can ever come */
};

/* The loops to run: --loops (CB_UV_LOOPS), else one per core. */
static uint32_t loops_wanted(void) {
  const char *e = getenv("CB_UV_LOOPS");
  int n = e ? atoi(e) : 0;
  return n > 0 ? (uint32_t)n : cb_cpu_count();
}

static mt_loop *loop_of_sched(cb_sched *s) { return ((cb_uvloop *)s->cfg.arg)->owner; }

/* Another loop left a wake for s. A loop that is running hears it through its async handle; one
 * parked outside libuv (every coroutine waits on another loop) through the condition; a finished
 * one has no coroutine left to wake (the wake was stale) and no handle to send to. */
static void mt_notify(cb_sched *s) {
  mt_loop *l = loop_of_sched(s);
  pthread_mutex_lock(&l->run->mu);
  if (l->parked) pthread_cond_broadcast(&l->run->cond);
  else if (!l->finished) uv_async_send(&l->async);
  pthread_mutex_unlock(&l->run->mu);
}

static const cb_sched_ops mt_ops = { .arm = cb__uv_sched_arm, .ready = cb__uv_sched_ready, .notify = mt_notify };

static void on_async(uv_async_t *a) {
  mt_loop *l = a->data;
  cb_sched_take_inbox(&l->uv.sched);
}

/* Under run->mu: no loop can move again. Every one is finished or parked with nothing in its inbox
 * (a waker leaves its wake in the inbox before it tells anyone, so a wake in flight shows there). */
static int all_parked(mt_run *r) {
  for (uint32_t k = 0; k < r->nloops; k++) {
    mt_loop *l = &r->loops[k];
    if (l->finished) continue;
    if (!l->parked || cb_sched_inbox_pending(&l->uv.sched)) return 0;
  }
  return 1;
}

/* A loop's life. The async handle is unreferenced, so uv_run returns when nothing but other
 * loops can wake this one's coroutines: then it parks on the condition (no busy waiting) until a
 * wake arrives, and when every loop is parked so, nothing can ever arrive: the run is stuck and
 * every loop ends, leaving its waiting tasks unfinished (counted as errors, as on uv). */
static void *loop_main(void *arg) {
  mt_loop *l = arg;
  mt_run *r = l->run;
  pthread_mutex_lock(&r->mu);
  while (!r->go) pthread_cond_wait(&r->cond, &r->mu);
  int go = r->go;
  pthread_mutex_unlock(&r->mu);
  if (go > 0) {
    cb_sched_start(&l->uv.sched);
    for (;;) {
      cb__uv_loop_run(&l->uv);
      if (cb_sched_alive(&l->uv.sched) == 0) break;
      pthread_mutex_lock(&r->mu);
      l->parked = 1;
      while (!r->stuck && !cb_sched_inbox_pending(&l->uv.sched)) {
        if (all_parked(r)) {
          r->stuck = 1;
          pthread_cond_broadcast(&r->cond);
          break;
        }
        pthread_cond_wait(&r->cond, &r->mu);
      }
      l->parked = 0;
      int stuck = r->stuck;
      pthread_mutex_unlock(&r->mu);
      if (stuck) break;
      cb_sched_take_inbox(&l->uv.sched);
    }
  }
  /* Finished: no wake is sent here any more, and parked loops look again whether all are stuck. */
  pthread_mutex_lock(&r->mu);
  l->finished = 1;
  pthread_cond_broadcast(&r->cond);
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

/* Loop k's share of the n coroutines: n / loops each, the first n % loops one more. */
static void share(uint32_t n, uint32_t loops, uint32_t k, uint32_t *first, uint32_t *count) {
  uint32_t base = n / loops, extra = n % loops;
  *count = base + (k < extra);
  *first = k * base + (k < extra ? k : extra);
}

static uint64_t mt_compute(cb_ctx *ctx, uint64_t seed, uint64_t units) {
  /* In place, as on uv: it holds up this loop's other coroutines, but not the other loops'. */
  return cb_hash_chain(seed, units);
}

static const cb_io uv_mt_io = { .name = "uv-mt", .compute = mt_compute, CB_UV_IO_COMMON };

static int uv_mt_run(cb_job *job) {
  uint32_t n = cb_job_workers(job), nl = loops_wanted();
  if (nl > n) nl = n ? n : 1;
  mt_run r = { .nloops = nl };
  int rc = 0;
  uint32_t made = 0;
  cb__uv_ignore_sigpipe();
  if (!(r.loops = calloc(nl, sizeof *r.loops))) {
    snprintf(job->err, sizeof job->err, "out of memory for %u loops", nl);
    return -ENOMEM;
  }
  pthread_mutex_init(&r.mu, NULL);
  pthread_cond_init(&r.cond, NULL);
  /* The loops and their coroutines' stacks, made here; each starts its coroutines on its own
   * thread, where they stay. Loop k records into the job's histograms k: one writer each. */
  for (; made < nl && rc == 0; made++) {
    mt_loop *l = &r.loops[made];
    uint32_t first, count;
    share(n, nl, made, &first, &count);
    l->run = &r;
    cb_sched_cfg cfg = { .job = job, .io = &uv_mt_io, .first_worker = first, .n = count, .hists = made,
                         .ops = &mt_ops, .stack_size = job->stack_size };
    rc = cb__uv_loop_init(&l->uv, &cfg);
    l->uv.owner = l;
    if (rc == 0 && (rc = uv_async_init(&l->uv.loop, &l->async, on_async)) != 0)
      snprintf(job->err, sizeof job->err, "uv_async_init: %s", uv_strerror(rc));
    if (rc == 0) {
      l->async.data = l;
      uv_unref((uv_handle_t *)&l->async);
    }
  }
  for (uint32_t k = 1; k < nl && rc == 0; k++) {
    int e = pthread_create(&r.loops[k].thread, NULL, loop_main, &r.loops[k]);
    if (e) {
      rc = -e;
      snprintf(job->err, sizeof job->err, "could not create loop thread %u of %u: %s; lower --loops or raise the process limit (ulimit -u)",
               k + 1, nl, strerror(e));
    }
    r.loops[k].threaded = e == 0;
  }
  pthread_mutex_lock(&r.mu);
  r.go = rc == 0 ? 1 : -1;
  pthread_cond_broadcast(&r.cond);
  pthread_mutex_unlock(&r.mu);
  if (rc == 0) {
    job->workers = n;
    loop_main(&r.loops[0]);
  }
  for (uint32_t k = 1; k < nl; k++)
    if (r.loops[k].threaded) pthread_join(r.loops[k].thread, NULL);
  /* Every thread is gone: each loop closes on this one (libuv asks only that it not be run
   * from two threads at once). */
  for (uint32_t k = 0; k < made; k++) rc = cb__uv_loop_close(&r.loops[k].uv, job, rc);
  pthread_cond_destroy(&r.cond);
  pthread_mutex_destroy(&r.mu);
  free(r.loops);
  return rc;
}

/* The loops' threads beside the caller's, and libuv's pool (files), which all loops share. */
static uint32_t uv_mt_threads(void) { return loops_wanted() - 1 + cb__uv_pool_threads(); }

const cb_backend cb_backend_uv_mt = {
  .name = "uv-mt",
  .summary = "one libuv loop per core (--loops N), each on its own thread with its own coroutines",
  .flags = CB_BACKEND_LOOP | CB_BACKEND_PARALLEL | CB_BACKEND_LOOPS,
  .extends = "uv",
  .needs = { .maps_per_worker = 2, .mem_kib_per_worker = 16, .extra_threads_fn = uv_mt_threads,
             .extra_threads_option = "--loops or --uv-threadpool" },
  .io = &uv_mt_io,
  .run = uv_mt_run,
  .prepare = cb__uv_prepare,
};
