/* uv.c: one libuv loop; every task on its own stackful coroutine, at most C alive. A call that
 * would block registers a libuv request and parks the coroutine; the callback resumes it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "backend.h"
#include "clock.h"
#include "coro.h"
#include "shared.h"

#define UV_DEFAULT_STACK (256u * 1024)
#define CONN_MIN_BUF (64u * 1024)

typedef struct uvb uvb;
typedef struct slot slot;

/* One coroutine slot: a stack reused by task after task, and what its calls park on. */
struct slot {
  cb_coro co;
  cb_coro_stack stack;
  uv_timer_t timer;        /* sleeps and deadlines: one wait at a time per coroutine */
  int64_t deadline;        /* of the current park, or 0 */
  int64_t armed;           /* the deadline the timer is armed for, while it is */
  uv_fs_t fs;              /* one file operation at a time */
  cb_ctx ctx;
  uint64_t task;
  uvb *b;
  int timer_open;
  int parked;              /* waiting for wake(); cleared by whoever wakes it */
  int ending;              /* running the workload's worker_end, no task */
  ssize_t wake_rc;         /* what the waker says happened */
  slot *wprev, *wnext;     /* in a queue's waiter ring */
  slot *ready_next;        /* in the loop's ready list */
};

struct uvb {
  uv_loop_t loop;
  uv_idle_t idle;          /* runs woken coroutines from the loop, not from another coroutine */
  cb_job *job;
  slot *slots;
  uint32_t n;
  slot *ready_head, *ready_tail;
};

struct cb_conn {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_write_t wreq;
  slot *waiter;            /* the coroutine parked on this connection, if any */
  char *buf;               /* received, not yet taken: buf[off .. len) */
  size_t off, len, cap;
  int eof, err, closing;
};

static void co_main(void *arg) {
  slot *s = arg;
  if (s->ending) cb_job_worker_end(s->b->job, &s->ctx);
  else cb_job_exec(s->b->job, &s->ctx, s->task);
}

/* From the loop's context: run s until it parks. When its task has ended, the next task starts
 * on the same stack; with none left the worker's end runs once and the slot retires. A loop, not
 * recursion, so thousands of short tasks never deepen the loop's stack. */
static void retire(slot *s) {
  uv_timer_stop(&s->timer);   /* a deadline left armed would keep the loop running */
  s->armed = 0;
}

static void drive(slot *s) {
  cb_coro_resume(&s->co);
  while (cb_coro_done(&s->co)) {
    if (s->ending) { retire(s); return; }
    if (!cb_job_claim(s->b->job, &s->task)) {
      if (!s->b->job->wl->worker_end) { retire(s); return; }
      s->ending = 1;
    }
    cb_coro_init(&s->co, &s->stack, co_main, s);
    cb_coro_resume(&s->co);
  }
}

/* Park the running coroutine until wake() or the deadline; returns the wake value. */
static ssize_t park(slot *s, int64_t deadline);

static void wake(slot *s, ssize_t rc) {
  if (!s->parked) return;      /* already woken (a deadline and an answer can race) */
  s->parked = 0;
  s->wake_rc = rc;
  drive(s);
}

static void on_idle(uv_idle_t *h) {
  uvb *b = h->data;
  while (b->ready_head) {
    slot *s = b->ready_head;
    b->ready_head = s->ready_next;
    if (!b->ready_head) b->ready_tail = NULL;
    drive(s);
  }
  uv_idle_stop(&b->idle);
}

/* Wake s from inside another coroutine: it runs from the loop, once the caller parks or ends. */
static void wake_later(slot *s, ssize_t rc) {
  uvb *b = s->b;
  if (!s->parked) return;
  s->parked = 0;
  s->wake_rc = rc;
  s->ready_next = NULL;
  if (b->ready_tail) b->ready_tail->ready_next = s;
  else b->ready_head = s;
  b->ready_tail = s;
  uv_idle_start(&b->idle, on_idle);
}

static uint64_t timeout_until(slot *s, int64_t deadline);

/* Deadlines are armed lazily: a request that is answered in time leaves the timer running, and
 * when it fires it only re-arms for the deadline of the moment, so most requests touch the timer
 * heap not at all. */
static void on_deadline(uv_timer_t *t) {
  slot *s = t->data;
  s->armed = 0;
  if (!s->parked || !s->deadline) return;
  if (cb_now_ns() >= s->deadline) {
    wake(s, -ETIMEDOUT);
  } else {
    s->armed = s->deadline;
    uv_timer_start(&s->timer, on_deadline, timeout_until(s, s->deadline), 0);
  }
}

/* A timer timeout that never fires before deadline. libuv's clock is whole milliseconds,
 * truncated (and may be the coarse clock, a tick behind): count from the loop's own now, refreshed,
 * not from ours, so a wait is never shorter than asked even after a long start. */
static uint64_t timeout_until(slot *s, int64_t deadline) {
  uv_update_time(&s->b->loop);
  int64_t left = deadline - (int64_t)uv_now(&s->b->loop) * 1000000;
  return left <= 0 ? 0 : (uint64_t)((left + 999999) / 1000000);
}

static ssize_t park(slot *s, int64_t deadline) {
  if (deadline) {
    if (deadline <= cb_now_ns()) return -ETIMEDOUT;
    if (!s->armed || s->armed > deadline) {
      s->armed = deadline;
      uv_timer_start(&s->timer, on_deadline, timeout_until(s, deadline), 0);
    }
  }
  s->deadline = deadline;
  s->parked = 1;
  cb_coro_yield();
  s->deadline = 0;
  return s->wake_rc;
}

static slot *self(cb_ctx *ctx) { return ctx->impl; }

static void on_sleep(uv_timer_t *t) { wake(t->data, 0); }

static int uv_io_sleep_until(cb_ctx *ctx, int64_t deadline) {
  slot *s = self(ctx);
  if (deadline <= cb_now_ns()) return 0;
  s->armed = 0;           /* the timer is the sleep's now */
  int rc = uv_timer_start(&s->timer, on_sleep, timeout_until(s, deadline), 0);
  if (rc) return rc;
  s->parked = 1;
  cb_coro_yield();
  return 0;
}

static int uv_io_sleep(cb_ctx *ctx, uint64_t ms) {
  return uv_io_sleep_until(ctx, cb_now_ns() + (int64_t)ms * 1000000);
}

static uint64_t uv_io_compute(cb_ctx *ctx, uint64_t seed, uint64_t units) {
  /* One loop, one thread: CPU work runs right here and holds every other coroutine up. */
  return cb_hash_chain(seed, units);
}

/* uv-offload: the computation goes to libuv's thread pool (uv_queue_work) while the coroutine
 * parks, and the loop serves the others meanwhile: the C form of asyncio's run_in_executor. */
typedef struct offload {
  uv_work_t req;
  slot *s;
  uint64_t seed, units, result;
} offload;

static void offload_work(uv_work_t *req) {
  offload *o = req->data;
  o->result = cb_hash_chain(o->seed, o->units);
}

static void offload_done(uv_work_t *req, int status) {
  offload *o = req->data;
  wake(o->s, status);
}

static uint64_t uv_offload_compute(cb_ctx *ctx, uint64_t seed, uint64_t units) {
  slot *s = self(ctx);
  offload o = { .s = s, .seed = seed, .units = units };
  o.req.data = &o;       /* on the coroutine's stack: it stays parked until the work is done */
  if (uv_queue_work(&s->b->loop, &o.req, offload_work, offload_done) != 0)
    return cb_hash_chain(seed, units);          /* the pool refused: compute here, same answer */
  park(s, 0);
  return o.result;
}

/* ---- TCP: reading stays on for the connection's life; data waits in its buffer ---- */

static void on_conn_close(uv_handle_t *h) {
  cb_conn *c = h->data;
  free(c->buf);
  free(c);
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *out) {
  cb_conn *c = h->data;
  if (c->off == c->len) c->off = c->len = 0;
  if (c->cap - c->len < CONN_MIN_BUF / 4 && c->off > 0) {
    memmove(c->buf, c->buf + c->off, c->len - c->off);
    c->len -= c->off;
    c->off = 0;
  }
  if (c->cap - c->len < CONN_MIN_BUF / 4) {
    size_t ncap = c->cap ? c->cap * 2 : CONN_MIN_BUF;
    char *nb = realloc(c->buf, ncap);
    if (!nb) { *out = uv_buf_init(NULL, 0); return; }   /* libuv reports UV_ENOBUFS */
    c->buf = nb;
    c->cap = ncap;
  }
  *out = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void conn_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  cb_conn *c = st->data;
  if (nread > 0) {
    c->len += (size_t)nread;
  } else if (nread < 0) {
    if (nread == UV_EOF) c->eof = 1;
    else c->err = (int)nread;
    uv_read_stop(st);
  } else {
    return;
  }
  if (c->waiter) wake(c->waiter, 0);
}

static void on_connect(uv_connect_t *req, int status) {
  cb_conn *c = req->handle->data;
  if (c->waiter) wake(c->waiter, status);
}

static void conn_close(cb_conn *c) {
  if (c->closing) return;
  c->closing = 1;
  c->waiter = NULL;
  uv_close((uv_handle_t *)&c->tcp, on_conn_close);
}

static int uv_io_connect(cb_ctx *ctx, const struct sockaddr *addr, int64_t deadline, cb_conn **out) {
  slot *s = self(ctx);
  cb_conn *c = calloc(1, sizeof *c);
  if (!c) return -ENOMEM;
  int rc = uv_tcp_init(&s->b->loop, &c->tcp);
  if (rc) { free(c); return rc; }
  c->tcp.data = c;
  uv_tcp_nodelay(&c->tcp, 1);
  if ((rc = uv_tcp_connect(&c->creq, &c->tcp, addr, on_connect)) == 0) {
    c->waiter = s;
    rc = (int)park(s, deadline);
    c->waiter = NULL;
  }
  if (rc == 0) rc = uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read);
  if (rc) {
    conn_close(c);             /* a connect still pending is cancelled; the close frees c */
    return rc;
  }
  *out = c;
  return 0;
}

static void on_write(uv_write_t *req, int status) {
  cb_conn *c = req->handle->data;
  if (status < 0 && !c->err) c->err = status;
  if (c->waiter) wake(c->waiter, status);
}

static ssize_t uv_io_send(cb_ctx *ctx, cb_conn *c, const void *buf, size_t len, int64_t deadline) {
  if (c->err) return c->err;
  uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
  /* Most requests fit the socket buffer: written now, no callback, no park. */
  int w = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (w == (int)len) return (ssize_t)len;
  if (w < 0 && w != UV_EAGAIN) return c->err = w;
  if (w > 0) b = uv_buf_init((char *)buf + w, (unsigned)(len - (size_t)w));
  int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
  if (rc) return c->err = rc;
  c->waiter = self(ctx);
  rc = (int)park(self(ctx), deadline);
  c->waiter = NULL;
  /* A write that timed out is still queued: the connection is unusable and must be closed. */
  if (rc) return c->err = rc;
  return (ssize_t)len;
}

static ssize_t uv_io_recv(cb_ctx *ctx, cb_conn *c, void *buf, size_t cap, int64_t deadline) {
  for (;;) {
    if (c->len > c->off) {
      size_t n = c->len - c->off < cap ? c->len - c->off : cap;
      memcpy(buf, c->buf + c->off, n);
      c->off += n;
      return (ssize_t)n;
    }
    if (c->err) return c->err;
    if (c->eof) return 0;
    c->waiter = self(ctx);
    ssize_t rc = park(self(ctx), deadline);
    c->waiter = NULL;
    if (rc) return rc;
  }
}

static void uv_io_tcp_close(cb_ctx *ctx, cb_conn *c) {
  if (c) conn_close(c);
}

/* ---- files: libuv runs them on its thread pool; the coroutine parks meanwhile ---- */

static void on_fs(uv_fs_t *req) { wake(req->data, req->result); }

/* Start a request with on_fs, park until it completes, clean it up. */
#define FS_CALL(s, call)                          \
  do {                                            \
    (s)->fs.data = (s);                           \
    int rc_ = (call);                             \
    if (rc_ < 0) return rc_;                      \
    ssize_t r_ = park((s), 0);                    \
    uv_fs_req_cleanup(&(s)->fs);                  \
    return r_;                                    \
  } while (0)

static int uv_io_open(cb_ctx *ctx, const char *path, int flags, int mode) {
  slot *s = self(ctx);
  FS_CALL(s, uv_fs_open(&s->b->loop, &s->fs, path, flags, mode, on_fs));
}

static ssize_t uv_io_write(cb_ctx *ctx, int fd, const void *buf, size_t len, int64_t off) {
  slot *s = self(ctx);
  uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
  FS_CALL(s, uv_fs_write(&s->b->loop, &s->fs, fd, &b, 1, off, on_fs));
}

static ssize_t uv_io_read(cb_ctx *ctx, int fd, void *buf, size_t len, int64_t off) {
  slot *s = self(ctx);
  uv_buf_t b = uv_buf_init(buf, (unsigned)len);
  FS_CALL(s, uv_fs_read(&s->b->loop, &s->fs, fd, &b, 1, off, on_fs));
}

static int uv_io_fsync(cb_ctx *ctx, int fd) {
  slot *s = self(ctx);
  FS_CALL(s, uv_fs_fsync(&s->b->loop, &s->fs, fd, on_fs));
}

static int uv_io_fclose(cb_ctx *ctx, int fd) {
  slot *s = self(ctx);
  FS_CALL(s, uv_fs_close(&s->b->loop, &s->fs, fd, on_fs));
}

static int uv_io_unlink(cb_ctx *ctx, const char *path) {
  slot *s = self(ctx);
  FS_CALL(s, uv_fs_unlink(&s->b->loop, &s->fs, path, on_fs));
}

/* ---- the shared queue: a full or empty queue parks the coroutine, not the loop ---- */

static void ring_add(void **head, slot *s) {
  slot *h = *head;
  if (!h) {
    s->wprev = s->wnext = s;
    *head = s;
  } else {                       /* at the tail: first come, first served */
    s->wprev = h->wprev;
    s->wnext = h;
    h->wprev->wnext = s;
    h->wprev = s;
  }
}

static void ring_remove(void **head, slot *s) {
  if (!s->wnext) return;
  if (s->wnext == s) *head = NULL;
  else {
    s->wprev->wnext = s->wnext;
    s->wnext->wprev = s->wprev;
    if (*head == s) *head = s->wnext;
  }
  s->wprev = s->wnext = NULL;
}

static void ring_wake_one(void **head) {
  slot *s = *head;
  if (!s) return;
  ring_remove(head, s);
  wake_later(s, 0);
}

static void ring_wake_all(void **head) {
  while (*head) ring_wake_one(head);
}

static int uv_io_put(cb_ctx *ctx, cb_queue *q, const void *item, int64_t deadline) {
  slot *s = self(ctx);
  for (;;) {
    int rc = cb__queue_try_put(q, item);
    if (rc == 0) ring_wake_one(&q->uv_getters);
    if (rc != -EAGAIN) return rc;
    ring_add(&q->uv_putters, s);
    ssize_t w = park(s, deadline);
    ring_remove(&q->uv_putters, s);
    if (w) return (int)w;
  }
}

static int uv_io_get(cb_ctx *ctx, cb_queue *q, void *item, int64_t deadline) {
  slot *s = self(ctx);
  for (;;) {
    int rc = cb__queue_try_get(q, item);
    if (rc == 0) ring_wake_one(&q->uv_putters);
    if (rc != -EAGAIN) return rc;
    ring_add(&q->uv_getters, s);
    ssize_t w = park(s, deadline);
    ring_remove(&q->uv_getters, s);
    if (w) return (int)w;
  }
}

static void uv_io_qclose(cb_ctx *ctx, cb_queue *q) {
  q->closed = 1;
  ring_wake_all(&q->uv_getters);
  ring_wake_all(&q->uv_putters);
}

static int uv_io_set_add(cb_ctx *ctx, cb_set *set, const void *key, size_t len) {
  return cb__set_add(set, key, len);
}

/* What uv and uv-offload share: everything but where CPU work runs. */
#define UV_IO_COMMON                  \
  .sleep = uv_io_sleep,               \
  .sleep_until = uv_io_sleep_until,   \
  .tcp_connect = uv_io_connect,       \
  .tcp_send = uv_io_send,             \
  .tcp_recv = uv_io_recv,             \
  .tcp_close = uv_io_tcp_close,       \
  .file_open = uv_io_open,            \
  .file_write = uv_io_write,          \
  .file_read = uv_io_read,            \
  .file_fsync = uv_io_fsync,          \
  .file_close = uv_io_fclose,         \
  .file_unlink = uv_io_unlink,        \
  .queue_put = uv_io_put,             \
  .queue_get = uv_io_get,             \
  .queue_close = uv_io_qclose,        \
  .set_add = uv_io_set_add

static const cb_io uv_io = { .name = "uv", .compute = uv_io_compute, UV_IO_COMMON };

static const cb_io uv_offload_io = { .name = "uv-offload", .compute = uv_offload_compute, UV_IO_COMMON };

static void walk_close(uv_handle_t *h, void *arg) {
  if (!uv_is_closing(h)) uv_close(h, h->type == UV_TCP ? on_conn_close : NULL);
}

static int run_loop(cb_job *job, const cb_io *io) {
  uvb b = { .job = job };
  /* libuv writes without MSG_NOSIGNAL: a peer that closed must give -EPIPE, not kill us. */
  struct sigaction old;
  if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
  uint32_t n = cb_job_workers(job), made = 0;
  size_t stack = job->stack_size ? job->stack_size : UV_DEFAULT_STACK;
  int rc = uv_loop_init(&b.loop);
  if (rc) {
    snprintf(job->err, sizeof job->err, "uv_loop_init: %s", uv_strerror(rc));
    return rc;
  }
  uv_idle_init(&b.loop, &b.idle);
  b.idle.data = &b;
  b.slots = calloc(n ? n : 1, sizeof *b.slots);
  if (!b.slots) {
    rc = -ENOMEM;
    snprintf(job->err, sizeof job->err, "out of memory for %u coroutine slots", n);
    goto cleanup;
  }
  for (; made < n; made++) {
    slot *s = &b.slots[made];
    s->b = &b;
    s->ctx = (cb_ctx){ .io = io, .impl = s, .job = job, .worker = made, .ops = cb_job_ops(job, 0) };
    if ((rc = cb_coro_stack_alloc(&s->stack, stack)) != 0) {
      snprintf(job->err, sizeof job->err,
               "could not map coroutine stack %u of %u (%zu KiB): %s; lower -c or --stack-size, or raise vm.max_map_count",
               made + 1, n, stack / 1024, strerror(-rc));
      goto cleanup;
    }
    uv_timer_init(&b.loop, &s->timer);
    s->timer.data = s;
    s->timer_open = 1;
  }
  job->workers = n;
  /* Start every slot: each runs until its first wait, then uv_run drives the rest. */
  for (uint32_t k = 0; k < n; k++) {
    slot *s = &b.slots[k];
    if (!cb_job_claim(job, &s->task)) {
      if (!job->wl->worker_end) break;
      s->ending = 1;
    }
    cb_coro_init(&s->co, &s->stack, co_main, s);
    drive(s);
  }
  uv_run(&b.loop, UV_RUN_DEFAULT);

cleanup:
  /* Whatever is still open (connections a worker kept, handles of a failed start) closes here. */
  uv_walk(&b.loop, walk_close, NULL);
  uv_run(&b.loop, UV_RUN_DEFAULT);
  if (b.slots) {
    for (uint32_t k = 0; k < made; k++) {
      cb_coro_destroy(&b.slots[k].co);
      cb_coro_stack_free(&b.slots[k].stack);
    }
    free(b.slots);
  }
  if (uv_loop_close(&b.loop) != 0 && rc == 0) {
    rc = -EBUSY;
    snprintf(job->err, sizeof job->err, "uv loop still had open handles at the end");
  }
  return rc;
}

static int uv_run_job(cb_job *job) { return run_loop(job, &uv_io); }
static int uv_offload_run_job(cb_job *job) { return run_loop(job, &uv_offload_io); }

const cb_backend cb_backend_uv_offload = {
  .name = "uv-offload",
  .summary = "as uv, but CPU work runs on libuv's thread pool while the coroutine waits (run_in_executor)",
  .flags = CB_BACKEND_LOOP | CB_BACKEND_PARALLEL,
  .extends = "uv",
  .needs = { .maps_per_worker = 2, .mem_kib_per_worker = 16, .uv_pool = 1 },
  .run = uv_offload_run_job,
};

const cb_backend cb_backend_uv = {
  .name = "uv",
  .summary = "stackful coroutines on one libuv loop, at most C alive",
  .flags = CB_BACKEND_LOOP,
  .needs = { .maps_per_worker = 2, .mem_kib_per_worker = 16, .uv_pool = 1 },
  .run = uv_run_job,
};
