/* uv_loop.c: one libuv loop driving a coroutine scheduler: its precise timer, TCP and files as
 * libuv requests whose callbacks wake the parked coroutine. Shared by uv, uv-offload and uv-mt. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "uv_loop.h"
#include "clock.h"

#define CONN_MIN_BUF (64u * 1024)

typedef cb_uvloop uvb;

struct cb_conn {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_write_t wreq;
  cb_sched_co *waiter;     /* the coroutine parked on this connection, if any */
  char *buf;               /* received, not yet taken: buf[off .. len) */
  size_t off, len, cap;
  int eof, err, closing;
  cb_conn *next_ready;     /* accepted for a waiting coroutine, not yet taken */
};

static void on_idle(uv_idle_t *h) {
  uvb *b = h->data;
  cb_sched_run_ready(&b->sched);
  uv_idle_stop(&b->idle);
}

void cb__uv_sched_ready(cb_sched *s) {
  uvb *b = s->cfg.arg;
  uv_idle_start(&b->idle, on_idle);
}

static void poll_off(uvb *b) {
  if (b->polling) uv_poll_stop(&b->poll);
  b->polling = 0;
}

/* The timerfd is readable: it went off, unless the deadline was moved since (timerfd_settime
 * clears the count, and the read finds nothing: the new deadline is armed, nothing to do). */
static void on_tfd(uv_poll_t *p, int status, int events) {
  uvb *b = p->data;
  uint64_t count;
  if (status < 0) {
    b->precise = 0;            /* the poll failed (never seen): the libuv timer from now on */
    poll_off(b);
  } else if (read(b->tfd, &count, sizeof count) < 0 && (errno == EAGAIN || errno == EINTR)) {
    return;
  }
  /* Gone off. A one-shot timerfd is disarmed now; the scheduler arms it again for the next
   * deadline, if any, from the expiry. The poll stays started only then: stopping and restarting
   * it per expiry would cost two epoll_ctl. */
  b->tfd_at = 0;
  cb_sched_expire(&b->sched, cb_now_ns());
  if (!b->tfd_at) poll_off(b);
}

static void on_timer(uv_timer_t *t) {
  uvb *b = t->data;
  cb_sched_expire(&b->sched, cb_now_ns());
}

/* A timer timeout that never fires before deadline. libuv's clock is whole milliseconds,
 * truncated (and may be the coarse clock, a tick behind): count from the loop's own now, refreshed,
 * not from ours, so a wait is never shorter than asked even after a long start. */
static uint64_t timeout_until(uvb *b, int64_t deadline) {
  uv_update_time(&b->loop);
  int64_t left = deadline - (int64_t)uv_now(&b->loop) * 1000000;
  return left <= 0 ? 0 : (uint64_t)((left + 999999) / 1000000);
}

/* tfd set to deadline (0: disarmed, and a count left from before cleared) and watched while it
 * is set. 0, or -1 when the kernel or libuv refused (not seen: a valid fd and time). */
static int arm_tfd(uvb *b, int64_t deadline) {
  struct itimerspec its = { .it_value = { .tv_sec = deadline / 1000000000, .tv_nsec = deadline % 1000000000 } };
  if (timerfd_settime(b->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0) return -1;
  b->tfd_at = deadline;
  if (!deadline) poll_off(b);
  else if (!b->polling) b->polling = uv_poll_start(&b->poll, UV_READABLE, on_tfd) == 0;
  return deadline && !b->polling ? -1 : 0;
}

/* The scheduler's earliest deadline moved: one timer for all of them. The timerfd takes the
 * deadline as it is (CLOCK_MONOTONIC ns, absolute: one passed already fires at once). Stopped when
 * there is none, so a finished run leaves nothing to keep the loop alive. */
void cb__uv_sched_arm(cb_sched *s, int64_t deadline) {
  uvb *b = s->cfg.arg;
  if (b->precise) {
    if (arm_tfd(b, deadline) == 0) return;
    b->precise = 0;            /* refused: the libuv timer from now on, rather than never a wake */
    poll_off(b);
  }
  if (!deadline) uv_timer_stop(&b->timer);
  else uv_timer_start(&b->timer, on_timer, timeout_until(b, deadline), 0);
}

const cb_sched_ops cb__uv_sched_ops = { .arm = cb__uv_sched_arm, .ready = cb__uv_sched_ready };

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
  if (c->waiter) cb_sched_wake(c->waiter, 0);
}

static void on_connect(uv_connect_t *req, int status) {
  cb_conn *c = req->handle->data;
  if (c->waiter) cb_sched_wake(c->waiter, status);
}

static void conn_close(cb_conn *c) {
  if (c->closing) return;
  c->closing = 1;
  c->waiter = NULL;
  /* A reset, no TIME_WAIT (see cb_tcp_close); where libuv cannot (no socket yet), a plain close. */
  if (uv_tcp_close_reset(&c->tcp, on_conn_close) != 0) uv_close((uv_handle_t *)&c->tcp, on_conn_close);
}

int cb__uv_io_connect(cb_ctx *ctx, const struct sockaddr *addr, int64_t deadline, cb_conn **out) {
  cb_sched_co *s = cb_sched_self(ctx);
  cb_conn *c = calloc(1, sizeof *c);
  if (!c) return -ENOMEM;
  int rc = uv_tcp_init(&cb__uv_loop_of(ctx)->loop, &c->tcp);
  if (rc) { free(c); return rc; }
  c->tcp.data = c;
  uv_tcp_nodelay(&c->tcp, 1);
  if ((rc = uv_tcp_connect(&c->creq, &c->tcp, addr, on_connect)) == 0) {
    c->waiter = s;
    rc = (int)cb_sched_park(s, deadline);
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
  if (c->waiter) cb_sched_wake(c->waiter, status);
}

ssize_t cb__uv_io_send(cb_ctx *ctx, cb_conn *c, const void *buf, size_t len, int64_t deadline) {
  if (c->err) return c->err;
  uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
  /* Most requests fit the socket buffer: written now, no callback, no park. */
  int w = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (w == (int)len) return (ssize_t)len;
  if (w < 0 && w != UV_EAGAIN) return c->err = w;
  if (w > 0) b = uv_buf_init((char *)buf + w, (unsigned)(len - (size_t)w));
  int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
  if (rc) return c->err = rc;
  c->waiter = cb_sched_self(ctx);
  rc = (int)cb_sched_park(c->waiter, deadline);
  c->waiter = NULL;
  /* A write that timed out is still queued: the connection is unusable and must be closed. */
  if (rc) return c->err = rc;
  return (ssize_t)len;
}

ssize_t cb__uv_io_recv(cb_ctx *ctx, cb_conn *c, void *buf, size_t cap, int64_t deadline) {
  for (;;) {
    if (c->len > c->off) {
      size_t n = c->len - c->off < cap ? c->len - c->off : cap;
      memcpy(buf, c->buf + c->off, n);
      c->off += n;
      return (ssize_t)n;
    }
    if (c->err) return c->err;
    if (c->eof) return 0;
    c->waiter = cb_sched_self(ctx);
    ssize_t rc = cb_sched_park(c->waiter, deadline);
    c->waiter = NULL;
    if (rc) return rc;
  }
}

void cb__uv_io_tcp_close(cb_ctx *ctx, cb_conn *c) {
  if (c) conn_close(c);
}

/* ---- TCP servers: the loop watches the listener; waiting coroutines take its connections ---- */

int cb__uv_io_listen(cb_ctx *ctx, const struct sockaddr *addr, int backlog, int *fd) {
  (void)ctx;
  return cb_listen_socket(addr, backlog, fd);
}

/* One connection from the listener into *out: 0; -EAGAIN with none waiting; CB_EOF once the harness
 * shut the listener down (accept4 then fails with EINVAL); or another -errno. */
static int take_connection(uvb *b, cb_conn **out) {
  int s;
  do s = accept4(b->lis_dup, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  while (s < 0 && (errno == EINTR || errno == ECONNABORTED));
  if (s < 0) return errno == EINVAL ? CB_EOF : errno == EWOULDBLOCK ? -EAGAIN : -errno;
  cb_conn *c = calloc(1, sizeof *c);
  if (!c) {
    close(s);
    return -ENOMEM;
  }
  int rc = uv_tcp_init(&b->loop, &c->tcp);
  if (rc) {
    free(c);
    close(s);
    return rc;
  }
  c->tcp.data = c;
  if ((rc = uv_tcp_open(&c->tcp, s)) != 0) close(s);
  if (rc == 0) {
    uv_tcp_nodelay(&c->tcp, 1);
    rc = uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read);
  }
  if (rc) {
    conn_close(c);
    return rc;
  }
  *out = c;
  return 0;
}

static void lis_stop(uvb *b) {
  if (b->lis_watching) uv_poll_stop(&b->lis);
  b->lis_watching = 0;
}

/* The listener is readable (a connection, or the shutdown): connections go to the coroutines
 * waiting, in the same turn of the loop (10,000 come in one burst). With none waiting the watch
 * stops, since the poll is level-triggered; the kernel keeps the rest in the accept queue. */
static void on_listener(uv_poll_t *h, int status, int events) {
  uvb *b = h->data;
  (void)events;
  while (b->nacceptors > 0) {
    cb_conn *c = NULL;
    int rc = status < 0 ? status : take_connection(b, &c);
    if (rc == -EAGAIN) return;
    if (rc) {
      b->lis_err = rc;
      lis_stop(b);
      b->nacceptors = 0;
      cb_waitlist_wake_all(&b->acceptors, rc);
      return;
    }
    if (b->ready_tail) b->ready_tail->next_ready = c;
    else b->ready_head = c;
    b->ready_tail = c;
    b->nacceptors--;
    cb_waitlist_wake_one(&b->acceptors, 0);
  }
  lis_stop(b);
}

int cb__uv_io_accept(cb_ctx *ctx, int fd, int64_t deadline, cb_conn **out) {
  uvb *b = cb__uv_loop_of(ctx);
  cb_sched_co *self = cb_sched_self(ctx);
  if (b->lis_fd < 0) {
    if ((b->lis_dup = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) return -errno;
    int rc = uv_poll_init(&b->loop, &b->lis, b->lis_dup);
    if (rc) {
      close(b->lis_dup);
      b->lis_dup = -1;
      return rc;
    }
    b->lis.data = b;
    b->lis_fd = fd;
  } else if (b->lis_fd != fd) {
    return -EINVAL;     /* one listener per run */
  }
  for (;;) {
    cb_conn *c = b->ready_head;
    if (c) {
      b->ready_head = c->next_ready;
      if (!b->ready_head) b->ready_tail = NULL;
      c->next_ready = NULL;
      *out = c;
      return 0;
    }
    if (b->lis_err) return b->lis_err;
    int rc = take_connection(b, out);
    if (rc != -EAGAIN) {
      if (rc < 0 && rc != -ENOMEM && rc != -EMFILE && rc != -ENFILE) b->lis_err = rc;
      return rc;
    }
    if (!b->lis_watching) {
      if ((rc = uv_poll_start(&b->lis, UV_READABLE | UV_DISCONNECT, on_listener)) != 0) return rc;
      b->lis_watching = 1;
    }
    cb_waitlist_add(&b->acceptors, self);
    b->nacceptors++;
    ssize_t w = cb_sched_park(self, deadline);
    cb_waitlist_remove(&b->acceptors, self);
    /* Woken by a connection, the waker counted it off; by a deadline or an error, not. */
    if (w && w != b->lis_err) b->nacceptors--;
    if (w && !b->ready_head) return (int)w;
  }
}

/* ---- files: libuv runs them on its thread pool; the coroutine parks meanwhile ---- */

static void on_fs(uv_fs_t *req) { cb_sched_wake(req->data, req->result); }

/* Start a request with on_fs, park until it completes, clean it up. The request lives on the
 * coroutine's stack: without a deadline it stays parked until the callback. */
#define FS_CALL(ctx, call)                                  \
  do {                                                      \
    uv_fs_t fs;                                             \
    uv_loop_t *loop = &cb__uv_loop_of(ctx)->loop;                  \
    fs.data = cb_sched_self(ctx);                           \
    int rc_ = (call);                                       \
    if (rc_ < 0) return rc_;                                \
    ssize_t r_ = cb_sched_park(cb_sched_self(ctx), 0);      \
    uv_fs_req_cleanup(&fs);                                 \
    return r_;                                              \
  } while (0)

int cb__uv_io_open(cb_ctx *ctx, const char *path, int flags, int mode) {
  FS_CALL(ctx, uv_fs_open(loop, &fs, path, flags, mode, on_fs));
}

ssize_t cb__uv_io_write(cb_ctx *ctx, int fd, const void *buf, size_t len, int64_t off) {
  uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
  FS_CALL(ctx, uv_fs_write(loop, &fs, fd, &b, 1, off, on_fs));
}

ssize_t cb__uv_io_read(cb_ctx *ctx, int fd, void *buf, size_t len, int64_t off) {
  uv_buf_t b = uv_buf_init(buf, (unsigned)len);
  FS_CALL(ctx, uv_fs_read(loop, &fs, fd, &b, 1, off, on_fs));
}

int cb__uv_io_fsync(cb_ctx *ctx, int fd) { FS_CALL(ctx, uv_fs_fsync(loop, &fs, fd, on_fs)); }

int cb__uv_io_fclose(cb_ctx *ctx, int fd) { FS_CALL(ctx, uv_fs_close(loop, &fs, fd, on_fs)); }

int cb__uv_io_unlink(cb_ctx *ctx, const char *path) { FS_CALL(ctx, uv_fs_unlink(loop, &fs, path, on_fs)); }

static void walk_close(uv_handle_t *h, void *arg) {
  uvb *b = arg;
  (void)b;
  if (!uv_is_closing(h)) uv_close(h, h->type == UV_TCP ? on_conn_close : NULL);
}

void cb__uv_ignore_sigpipe(void) {
  struct sigaction old;
  if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
}

int cb__uv_loop_init(uvb *b, cb_sched_cfg *cfg) {
  cb_job *job = cfg->job;
  memset(b, 0, sizeof *b);
  b->tfd = -1;
  b->lis_fd = -1;
  b->lis_dup = -1;
  int rc = uv_loop_init(&b->loop);
  if (rc) {
    snprintf(job->err, sizeof job->err, "uv_loop_init: %s", uv_strerror(rc));
    return rc;
  }
  b->open = 1;
  uv_idle_init(&b->loop, &b->idle);
  b->idle.data = b;
  uv_timer_init(&b->loop, &b->timer);
  b->timer.data = b;
  /* The precise timer. The libuv timer is only the fallback, for when timerfd_create (or libuv's
   * poll of it) fails: a kernel without timerfd, no descriptor left. */
  b->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (b->tfd >= 0 && uv_poll_init(&b->loop, &b->poll, b->tfd) != 0) {
    close(b->tfd);
    b->tfd = -1;
  }
  b->precise = b->tfd >= 0;
  b->poll.data = b;
  if (!cfg->ops) cfg->ops = &cb__uv_sched_ops;
  cfg->arg = b;
  if (!cfg->stack_size) cfg->stack_size = CB_UV_DEFAULT_STACK;
  return cb_sched_init(&b->sched, cfg);
}

int cb__uv_loop_close(uvb *b, cb_job *job, int rc) {
  if (!b->open) return rc;
  b->open = 0;
  /* Whatever is still open (connections a worker kept, handles of a failed start) closes here. */
  uv_walk(&b->loop, walk_close, b);
  uv_run(&b->loop, UV_RUN_DEFAULT);
  if (b->tfd >= 0) close(b->tfd);          /* after its poll handle was closed, as libuv asks */
  if (b->lis_dup >= 0) close(b->lis_dup);  /* likewise */
  b->lis_dup = -1;
  b->tfd = -1;
  cb_sched_free(&b->sched);
  if (uv_loop_close(&b->loop) != 0 && rc == 0) {
    rc = -EBUSY;
    snprintf(job->err, sizeof job->err, "uv loop still had open handles at the end");
  }
  return rc;
}

int cb__uv_prepare(cb_job *job) {
  return cb_coro_pool_reserve(cb_job_workers(job), job->stack_size ? job->stack_size : CB_UV_DEFAULT_STACK);
}

uint32_t cb__uv_pool_threads(void) {
  const char *tp = getenv("UV_THREADPOOL_SIZE");
  int n = tp ? atoi(tp) : 0;
  return n <= 0 ? 4 : n > 1024 ? 1024 : (uint32_t)n;
}
