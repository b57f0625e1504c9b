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
  s->inbox_ready = pthread_mutex_init(&s->inbox_mu, NULL) == 0;
  uint32_t n = cfg->n;
  s->cos = calloc(n ? n : 1, sizeof *s->cos);
  s->heap = calloc(n ? n : 1, sizeof *s->heap);
  if (!s->cos || !s->heap) {
    snprintf(job->err, sizeof job->err, "out of memory for %u coroutine slots", n);
    return -ENOMEM;
  }
  for (; s->made < n; s->made++) {
    cb_sched_co *c = &s->cos[s->made];
    int rc = cb_coro_stack_get(&c->stack, cfg->stack_size);
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
    cb_coro_stack_put(&s->cos[k].stack);
  }
  free(s->cos);
  free(s->heap);
  if (s->inbox_ready) pthread_mutex_destroy(&s->inbox_mu);
  s->inbox_ready = 0;
  s->cos = NULL;
  s->heap = NULL;
  s->made = s->heap_n = 0;
}

ssize_t cb_sched_park(cb_sched_co *c, int64_t deadline) {
  c->park_seq++;               /* even a park that ends at once: a token for it is spent */
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

/* ---- waking across threads ---- */

void cb_sched_wake_remote(cb_sched_co *c, uint64_t token, ssize_t rc) {
  cb_sched *s = c->sched;
  pthread_mutex_lock(&s->inbox_mu);
  /* A coroutine is in one park at a time: a newer token makes an older one stale, so one place
   * in the inbox is enough. */
  if (!c->in_inbox) {
    c->in_inbox = 1;
    c->inbox_next = s->inbox;
    s->inbox = c;
  }
  c->inbox_token = token;
  c->inbox_rc = rc;
  pthread_mutex_unlock(&s->inbox_mu);
  s->cfg.ops->notify(s);
}

uint32_t cb_sched_take_inbox(cb_sched *s) {
  cb_sched_co *taken = NULL;
  pthread_mutex_lock(&s->inbox_mu);
  for (cb_sched_co *c = s->inbox; c; c = c->inbox_next) {
    c->in_inbox = 0;
    c->take_token = c->inbox_token;
    c->take_rc = c->inbox_rc;
    c->take_next = taken;
    taken = c;
  }
  s->inbox = NULL;
  pthread_mutex_unlock(&s->inbox_mu);
  uint32_t woken = 0;
  for (cb_sched_co *c = taken, *next; c; c = next) {
    next = c->take_next;
    if (c->parked && c->park_seq == c->take_token) {
      cb_sched_wake(c, c->take_rc);
      woken++;
    }
  }
  return woken;
}

int cb_sched_inbox_pending(cb_sched *s) {
  pthread_mutex_lock(&s->inbox_mu);
  int any = s->inbox != NULL;
  pthread_mutex_unlock(&s->inbox_mu);
  return any;
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

/* ---- the shared queue across threads: under its lock, waking through the owners' inboxes ---- */

/* Under q's lock: take the first coroutine of w out, and the token of the park it waits in. */
static cb_sched_co *pop_waiter(cb_waitlist *w, uint64_t *token) {
  cb_sched_co *c = w->head;
  if (!c) return NULL;
  cb_waitlist_remove(w, c);
  *token = c->wait_token;
  return c;
}

/* After q's lock is let go: one of this thread's is woken as on one thread, another thread's
 * through its inbox. */
static void wake_popped(cb_sched_co *self, cb_sched_co *c, uint64_t token, ssize_t rc) {
  if (!c) return;
  if (c->sched == self->sched) cb_sched_wake_later(c, rc);
  else cb_sched_wake_remote(c, token, rc);
}

/* A put (put = 1) or a get on a queue that coroutines of several threads share. A waiter whose
 * deadline came tries once more before it gives up: a wake meant for it may have crossed its
 * deadline, and the item or the room it announced must not be lost. */
static int queue_op_mt(cb_ctx *ctx, cb_queue *q, int put, void *item, int64_t deadline) {
  cb_sched_co *c = cb_sched_self(ctx);
  cb_waitlist *mine = put ? &q->putters : &q->getters, *theirs = put ? &q->getters : &q->putters;
  for (int last = 0;; ) {
    uint64_t token = 0;
    cb_sched_co *other = NULL;
    cb__queue_lock(q);
    cb_waitlist_remove(mine, c);
    int rc = put ? cb__queue_try_put(q, item) : cb__queue_try_get(q, item);
    if (rc == 0) other = pop_waiter(theirs, &token);
    if (rc != -EAGAIN || last) {
      cb__queue_unlock(q);
      wake_popped(c, other, token, 0);
      return rc == -EAGAIN ? -ETIMEDOUT : rc;
    }
    c->wait_token = c->park_seq + 1;       /* the park below */
    cb_waitlist_add(mine, c);
    cb__queue_unlock(q);
    ssize_t w = cb_sched_park(c, deadline);
    if (w == -ETIMEDOUT) last = 1;
    else if (w) {
      cb__queue_lock(q);
      cb_waitlist_remove(mine, c);
      cb__queue_unlock(q);
      return (int)w;
    }
  }
}

static void queue_close_mt(cb_ctx *ctx, cb_queue *q) {
  cb_sched_co *self = cb_sched_self(ctx);
  cb__queue_lock(q);
  q->closed = 1;                 /* from here no one joins a wait list */
  cb__queue_unlock(q);
  for (;;) {
    uint64_t token = 0;
    cb__queue_lock(q);
    cb_sched_co *c = pop_waiter(&q->getters, &token);
    if (!c) c = pop_waiter(&q->putters, &token);
    cb__queue_unlock(q);
    if (!c) return;
    wake_popped(self, c, token, 0);
  }
}

static int multi_thread(cb_ctx *ctx) { return cb_sched_self(ctx)->sched->cfg.ops->notify != NULL; }

/* One thread runs every coroutine that touches the queue, so the tries need no lock; with
 * schedulers on several threads (`notify`), the forms above. */
int cb_sched_io_queue_put(cb_ctx *ctx, cb_queue *q, const void *item, int64_t deadline) {
  if (multi_thread(ctx)) return queue_op_mt(ctx, q, 1, (void *)item, deadline);
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
  if (multi_thread(ctx)) return queue_op_mt(ctx, q, 0, item, deadline);
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
  if (multi_thread(ctx)) { queue_close_mt(ctx, q); return; }
  q->closed = 1;
  cb_waitlist_wake_all(&q->getters, 0);
  cb_waitlist_wake_all(&q->putters, 0);
}

int cb_sched_io_set_add(cb_ctx *ctx, cb_set *set, const void *key, size_t len) {
  return cb__set_add(set, key, len);
}
