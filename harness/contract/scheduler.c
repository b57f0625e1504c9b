/* scheduler.c: the coroutine scheduler shared by coroutine backends: parking, waking, deadlines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scheduler.h"
#include "clock.h"
#include "shared.h"

/* ---- the deadline heap: a binary min-heap of coroutines by key ----
 * Keys are set lazily: a coroutine answered before its deadline keeps its place, and when it
 * reaches the top it is only put back for the deadline of the moment. So a request answered in
 * time costs no heap operation, which is what made uv's per-coroutine timers cheap. */

static void sift_up(cb_sched *s, uint32_t i) {
  cb_sched_co **h = s->heap, *c = h[i];
  while (i > 0) {
    uint32_t p = (i - 1) / 2;
    if (h[p]->key <= c->key) break;
    h[i] = h[p];
    h[i]->heap_at = i;
    i = p;
  }
  h[i] = c;
  c->heap_at = i;
}

static void sift_down(cb_sched *s, uint32_t i) {
  cb_sched_co **h = s->heap, *c = h[i];
  for (;;) {
    uint32_t m = 2 * i + 1;
    if (m >= s->heap_n) break;
    if (m + 1 < s->heap_n && h[m + 1]->key < h[m]->key) m++;
    if (h[m]->key >= c->key) break;
    h[i] = h[m];
    h[i]->heap_at = i;
    i = m;
  }
  h[i] = c;
  c->heap_at = i;
}

/* Give c the key `key`, never later than the one it has. */
static void heap_set(cb_sched *s, cb_sched_co *c, int64_t key) {
  if (!c->key) {
    c->heap_at = s->heap_n;
    s->heap[s->heap_n++] = c;
  }
  c->key = key;
  sift_up(s, c->heap_at);
}

static void heap_remove(cb_sched *s, cb_sched_co *c) {
  if (!c->key) return;
  uint32_t i = c->heap_at;
  cb_sched_co *last = s->heap[--s->heap_n];
  c->key = 0;
  if (last == c) return;
  s->heap[i] = last;
  last->heap_at = i;
  sift_up(s, i);
  sift_down(s, last->heap_at);
}

/* Tell the backend when the earliest deadline moved: it has one timer for all of them. */
static void report(cb_sched *s) {
  int64_t next = cb_sched_next_deadline(s);
  if (next == s->armed || s->expiring) return;
  s->armed = next;
  s->cfg.ops->arm(s, next);
}

/* ---- running coroutines ---- */

static void co_main(void *arg) {
  cb_sched_co *c = arg;
  cb_job_work(c->ctx.job, &c->ctx);
}

/* Run c until it parks or its worker ends; a finished one leaves no deadline behind, so the
 * backend's timer does not keep its loop waiting for nobody. */
static void resume(cb_sched_co *c) {
  cb_coro_resume(&c->co);
  if (!cb_coro_done(&c->co)) return;
  c->sched->alive--;
  heap_remove(c->sched, c);
  report(c->sched);
}

int cb_sched_init(cb_sched *s, const cb_sched_cfg *cfg) {
  cb_job *job = cfg->job;
  memset(s, 0, sizeof *s);
  s->cfg = *cfg;
  uint32_t n = cfg->n;
  s->cos = calloc(n ? n : 1, sizeof *s->cos);
  s->heap = calloc(n ? n : 1, sizeof *s->heap);
  if (!s->cos || !s->heap) {
    snprintf(job->err, sizeof job->err, "out of memory for %u coroutine slots", n);
    return -ENOMEM;
  }
  for (; s->made < n; s->made++) {
    cb_sched_co *c = &s->cos[s->made];
    int rc = cb_coro_stack_alloc(&c->stack, cfg->stack_size);
    if (rc != 0) {
      snprintf(job->err, sizeof job->err,
               "could not map coroutine stack %u of %u (%zu KiB): %s; lower -c or --stack-size, or raise vm.max_map_count",
               s->made + 1, n, cfg->stack_size / 1024, strerror(-rc));
      return rc;
    }
    c->sched = s;
    c->ctx = (cb_ctx){ .io = cfg->io, .impl = c, .job = job, .worker = cfg->first_worker + s->made,
                       .ops = cb_job_ops(job, cfg->hists) };
  }
  return 0;
}

void cb_sched_start(cb_sched *s) {
  for (uint32_t k = 0; k < s->made; k++) {
    cb_sched_co *c = &s->cos[k];
    cb_coro_init(&c->co, &c->stack, co_main, c);
    s->alive++;
    resume(c);
  }
}

void cb_sched_free(cb_sched *s) {
  for (uint32_t k = 0; k < s->made; k++) {
    cb_coro_destroy(&s->cos[k].co);
    cb_coro_stack_free(&s->cos[k].stack);
  }
  free(s->cos);
  free(s->heap);
  s->cos = NULL;
  s->heap = NULL;
  s->made = s->heap_n = 0;
}

ssize_t cb_sched_park(cb_sched_co *c, int64_t deadline) {
  if (deadline) {
    if (deadline <= cb_now_ns()) return -ETIMEDOUT;
    if (!c->key || c->key > deadline) {
      heap_set(c->sched, c, deadline);
      report(c->sched);
    }
  }
  c->deadline = deadline;
  c->parked = 1;
  cb_coro_yield();
  c->deadline = 0;
  return c->wake_rc;
}

void cb_sched_wake(cb_sched_co *c, ssize_t rc) {
  if (!c->parked) return;      /* already woken (a deadline and an answer can race) */
  c->parked = 0;
  c->wake_rc = rc;
  resume(c);
}

void cb_sched_wake_later(cb_sched_co *c, ssize_t rc) {
  cb_sched *s = c->sched;
  if (!c->parked) return;
  c->parked = 0;
  c->wake_rc = rc;
  c->ready_next = NULL;
  int was_empty = !s->ready_head;
  if (s->ready_tail) s->ready_tail->ready_next = c;
  else s->ready_head = c;
  s->ready_tail = c;
  if (was_empty && s->cfg.ops->ready) s->cfg.ops->ready(s);
}

void cb_sched_run_ready(cb_sched *s) {
  while (s->ready_head) {
    cb_sched_co *c = s->ready_head;
    s->ready_head = c->ready_next;
    if (!s->ready_head) s->ready_tail = NULL;
    resume(c);
  }
}

void cb_sched_expire(cb_sched *s, int64_t now) {
  s->armed = 0;                /* the timer went off: nothing is armed until report() */
  s->expiring = 1;
  while (s->heap_n && s->heap[0]->key <= now) {
    cb_sched_co *c = s->heap[0];
    heap_remove(s, c);
    if (!c->parked || !c->deadline) continue;      /* answered in time: a stale place */
    if (c->deadline <= now) cb_sched_wake(c, -ETIMEDOUT);
    else heap_set(s, c, c->deadline);
  }
  s->expiring = 0;
  report(s);
}

/* ---- wait lists: rings, so removing a coroutine woken otherwise (its deadline) is O(1) ---- */

void cb_waitlist_add(cb_waitlist *w, cb_sched_co *c) {
  cb_sched_co *h = w->head;
  if (!h) {
    c->wprev = c->wnext = c;
    w->head = c;
  } else {                       /* at the tail: first come, first served */
    c->wprev = h->wprev;
    c->wnext = h;
    h->wprev->wnext = c;
    h->wprev = c;
  }
}

void cb_waitlist_remove(cb_waitlist *w, cb_sched_co *c) {
  if (!c->wnext) return;
  if (c->wnext == c) {
    w->head = NULL;
  } else {
    c->wprev->wnext = c->wnext;
    c->wnext->wprev = c->wprev;
    if (w->head == c) w->head = c->wnext;
  }
  c->wprev = c->wnext = NULL;
}

void cb_waitlist_wake_one(cb_waitlist *w, ssize_t rc) {
  cb_sched_co *c = w->head;
  if (!c) return;
  cb_waitlist_remove(w, c);
  cb_sched_wake_later(c, rc);
}

void cb_waitlist_wake_all(cb_waitlist *w, ssize_t rc) {
  while (w->head) cb_waitlist_wake_one(w, rc);
}

/* ---- cb_io members through the scheduler alone ---- */

int cb_sched_io_sleep_until(cb_ctx *ctx, int64_t deadline) {
  ssize_t rc = cb_sched_park(cb_sched_self(ctx), deadline);
  return rc == -ETIMEDOUT ? 0 : (int)rc;        /* for a sleep the deadline is the answer */
}

int cb_sched_io_sleep(cb_ctx *ctx, uint64_t ms) {
  return cb_sched_io_sleep_until(ctx, cb_now_ns() + (int64_t)ms * 1000000);
}

/* One thread runs every coroutine that touches the queue, so the tries need no lock. */
int cb_sched_io_queue_put(cb_ctx *ctx, cb_queue *q, const void *item, int64_t deadline) {
  cb_sched_co *c = cb_sched_self(ctx);
  for (;;) {
    int rc = cb__queue_try_put(q, item);
    if (rc == 0) cb_waitlist_wake_one(&q->getters, 0);
    if (rc != -EAGAIN) return rc;
    cb_waitlist_add(&q->putters, c);
    ssize_t w = cb_sched_park(c, deadline);
    cb_waitlist_remove(&q->putters, c);
    if (w) return (int)w;
  }
}

int cb_sched_io_queue_get(cb_ctx *ctx, cb_queue *q, void *item, int64_t deadline) {
  cb_sched_co *c = cb_sched_self(ctx);
  for (;;) {
    int rc = cb__queue_try_get(q, item);
    if (rc == 0) cb_waitlist_wake_one(&q->putters, 0);
    if (rc != -EAGAIN) return rc;
    cb_waitlist_add(&q->getters, c);
    ssize_t w = cb_sched_park(c, deadline);
    cb_waitlist_remove(&q->getters, c);
    if (w) return (int)w;
  }
}

void cb_sched_io_queue_close(cb_ctx *ctx, cb_queue *q) {
  q->closed = 1;
  cb_waitlist_wake_all(&q->getters, 0);
  cb_waitlist_wake_all(&q->putters, 0);
}

int cb_sched_io_set_add(cb_ctx *ctx, cb_set *set, const void *key, size_t len) {
  return cb__set_add(set, key, len);
}
