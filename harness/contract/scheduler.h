/* scheduler.h: the coroutine scheduler shared by coroutine backends (uv, uv-offload; io_uring next). */
#ifndef CB_SCHED_H
#define CB_SCHED_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include "coro.h"
#include "job.h"

/* The scheduler owns a job's coroutines on one thread: their stacks, the ready list, parking and
 * waking, the wait lists of the shared queue, and the deadlines of parked coroutines. It knows
 * nothing of how IO completes: a backend starts a request, parks the coroutine, and wakes it from
 * its completion (a libuv callback, an io_uring CQE). For time it asks the backend for one timer:
 * the `arm` hook says when the earliest deadline changed; the backend's wait for IO ends by then
 * (a loop timer, a wait timeout) and calls cb_sched_expire. One scheduler per thread: a backend
 * with a ring per thread runs one each; such schedulers share the queue across threads when the
 * backend gives the `notify` op (below). */

typedef struct cb_sched cb_sched;
typedef struct cb_sched_co cb_sched_co;

/* Coroutines parked on something that is neither a request nor a timer (a full or empty queue),
 * first come first served. With one scheduler thread it needs no lock; with several (`notify`)
 * the queue's lock guards it and a member may belong to another thread's scheduler. */
typedef struct cb_waitlist {
  cb_sched_co *head;
} cb_waitlist;

/* One coroutine: a worker whose function is cb_job_work, on its own stack. */
struct cb_sched_co {
  cb_coro co;
  cb_coro_stack stack;
  cb_ctx ctx;              /* ctx.impl is this coroutine */
  cb_sched *sched;
  int parked;              /* waiting for a wake; cleared by whoever wakes it */
  ssize_t wake_rc;         /* what the waker says happened */
  int64_t deadline;        /* of the current park, or 0 */
  int64_t key;             /* its place in the deadline heap, or 0 when not in it */
  uint32_t heap_at;
  cb_sched_co *wprev, *wnext;   /* in a wait list */
  cb_sched_co *ready_next;      /* in the ready list */
  /* Waking across threads: a waker on another thread cannot resume c, so it leaves (c, token)
   * in the inbox of c's scheduler; the owner wakes c only if c still sits in the park the token
   * names, so a wake that lost the race with c's deadline is dropped, never delivered to a later
   * park. park_seq is the owner's alone; wait_token is written under the queue's lock. */
  uint64_t park_seq;            /* parks begun */
  uint64_t wait_token;          /* the park_seq of the queue wait it is about to park in */
  cb_sched_co *inbox_next;      /* under the inbox's lock */
  uint64_t inbox_token;
  ssize_t inbox_rc;
  int in_inbox;
  cb_sched_co *take_next;       /* the owner's, while it empties its inbox */
  uint64_t take_token;
  ssize_t take_rc;
};

/* What the backend does for the scheduler. Both are called outside any coroutine or from one. */
typedef struct cb_sched_ops {
  /* The earliest deadline is now `deadline` (0: none): have the wait for IO end by then and call
   * cb_sched_expire. Called only when it changed since the last call (or since cb_sched_expire). */
  void (*arm)(cb_sched *s, int64_t deadline);
  /* Optional: the ready list was empty and is not: call cb_sched_run_ready soon, from outside
   * any coroutine (libuv: start an idle handle). A backend that runs the ready list before every
   * wait for IO needs none. */
  void (*ready)(cb_sched *s);
  /* Optional, for a backend with a scheduler on each of several threads: another thread left a
   * wake in s's inbox; have s's thread call cb_sched_take_inbox soon (libuv: uv_async_send).
   * Called from any thread. With it, the queue calls lock the queue and wake across threads. */
  void (*notify)(cb_sched *s);
} cb_sched_ops;

typedef struct cb_sched_cfg {
  cb_job *job;
  const cb_io *io;             /* what the coroutines' ctx->io is */
  uint32_t first_worker, n;    /* its coroutines are workers first_worker .. first_worker+n-1 */
  uint32_t hists;              /* which of the job's per-worker histograms they share (their thread's) */
  size_t stack_size;           /* usable bytes per coroutine */
  const cb_sched_ops *ops;
  void *arg;                   /* the backend's, for its ops and its calls (cb_sched_arg) */
} cb_sched_cfg;

struct cb_sched {
  cb_sched_cfg cfg;
  cb_sched_co *cos;
  uint32_t made;               /* coroutines with a stack */
  uint32_t alive;              /* started and not finished */
  cb_sched_co *ready_head, *ready_tail;
  cb_sched_co **heap;          /* parked-or-stale coroutines by key, a binary min-heap */
  uint32_t heap_n;
  int64_t armed;               /* what `arm` was last told */
  int expiring;                /* in cb_sched_expire: `arm` once, at its end */
  pthread_mutex_t inbox_mu;    /* wakes left by other threads (`notify`) */
  int inbox_ready;             /* inbox_mu initialised */
  cb_sched_co *inbox;
};

/* Allocate cfg->n coroutines and their stacks. 0, or -errno with cfg->job->err saying why;
 * cb_sched_free is needed either way. */
int  cb_sched_init(cb_sched *s, const cb_sched_cfg *cfg);
/* Start every coroutine: each runs until its first park. The job's claims happen in here. */
void cb_sched_start(cb_sched *s);
void cb_sched_free(cb_sched *s);
/* How many coroutines have not finished (parked forever on a queue nobody fills, say). */
static inline uint32_t cb_sched_alive(const cb_sched *s) { return s->alive; }

/* The coroutine a ctx runs in, and the backend's arg of its scheduler. */
static inline cb_sched_co *cb_sched_self(cb_ctx *ctx) { return ctx->impl; }
static inline void *cb_sched_arg(cb_ctx *ctx) { return cb_sched_self(ctx)->sched->cfg.arg; }

/* From the running coroutine: park until a wake or the deadline (0: none). Returns the wake's
 * value, or -ETIMEDOUT (at once when the deadline has passed). */
ssize_t cb_sched_park(cb_sched_co *c, int64_t deadline);
/* Outside any coroutine (a completion): run c now until it parks again. No-op when c is not
 * parked (the deadline came first). */
void cb_sched_wake(cb_sched_co *c, ssize_t rc);
/* From inside a coroutine: c runs later, from cb_sched_run_ready, once the caller parks. */
void cb_sched_wake_later(cb_sched_co *c, ssize_t rc);
/* Run the ready list until it is empty; outside any coroutine. */
void cb_sched_run_ready(cb_sched *s);

/* From any thread: wake c, whose scheduler may be another thread's, if it is still in the park
 * `token` names (its wait_token when the waker found it waiting); notify tells its thread. */
void cb_sched_wake_remote(cb_sched_co *c, uint64_t token, ssize_t rc);
/* On s's thread, outside any coroutine: wake what other threads left in its inbox. Returns how
 * many were still waiting for it. */
uint32_t cb_sched_take_inbox(cb_sched *s);
/* Whether other threads left wakes in s's inbox (any thread). */
int cb_sched_inbox_pending(cb_sched *s);

/* The earliest deadline of a parked coroutine, or 0; may be early (a coroutine answered in time
 * keeps its place until then: most requests so never touch the heap). */
static inline int64_t cb_sched_next_deadline(const cb_sched *s) { return s->heap_n ? s->heap[0]->key : 0; }
/* The backend's timer went off (it is no longer armed): wake with -ETIMEDOUT every coroutine
 * whose deadline is at or before now, then `arm` for the next. */
void cb_sched_expire(cb_sched *s, int64_t now);

/* Wait lists: add the running coroutine before parking, remove it after, whatever woke it. */
void cb_waitlist_add(cb_waitlist *w, cb_sched_co *c);
void cb_waitlist_remove(cb_waitlist *w, cb_sched_co *c);
void cb_waitlist_wake_one(cb_waitlist *w, ssize_t rc);
void cb_waitlist_wake_all(cb_waitlist *w, ssize_t rc);

/* cb_io members any coroutine backend can use as they are: timers and the shared queue and set
 * through the scheduler alone. */
int  cb_sched_io_sleep(cb_ctx *ctx, uint64_t ms);
int  cb_sched_io_sleep_until(cb_ctx *ctx, int64_t deadline);
int  cb_sched_io_queue_put(cb_ctx *ctx, cb_queue *q, const void *item, int64_t deadline);
int  cb_sched_io_queue_get(cb_ctx *ctx, cb_queue *q, void *item, int64_t deadline);
void cb_sched_io_queue_close(cb_ctx *ctx, cb_queue *q);
int  cb_sched_io_set_add(cb_ctx *ctx, cb_set *set, const void *key, size_t len);

#endif
