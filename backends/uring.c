/* uring.c: stackful coroutines on one io_uring ring: every wait (time, network, disk) is a ring
 * operation whose completion resumes the coroutine; one submission per loop turn. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "backend.h"
#include "clock.h"
#include "scheduler.h"
#include "uring.h"

#define URING_DEFAULT_STACK (256u * 1024)
#define URING_MAX_ENTRIES 4096u
#define URING_MAX_CQ 65536u
#define REAP_BATCH 64u

/* user_data of the completions that wake nobody: a cancel or a connection's close, whose outcome
 * the coroutine learns otherwise; and the scheduler's timer and its updates. Every other user_data
 * is the uop a coroutine waits on (pointers are never 1 to 3). */
enum { UD_IGNORE = 0, UD_TIMER = 1, UD_TIMER_UPDATE = 2, UD_CLOSE = 3 };

cb__uring_knobs cb__uring_test;

/* The ring and what stands for the scheduler's deadlines (an operation's or a queue wait's): one
 * IORING_OP_TIMEOUT armed for the earliest, moved with a timeout update. A sleep is a timeout of
 * its own in the ring. */
typedef struct urb {
  struct io_uring ring;
  cb_sched sched;
  cb_waitlist sq_wait;         /* coroutines waiting for room in the submission queue */
  uint64_t waiting;            /* coroutines parked on a completion */
  uint64_t closing;            /* fire-and-forget closes not yet completed */
  int64_t want_at;             /* the scheduler's earliest deadline (0: none) */
  int64_t timer_at;            /* what the ring's timer is set to (0: none in flight) */
  struct __kernel_timespec timer_ts;
  cb_conn *conns;              /* open connections, closed at the end if a worker kept one */
} urb;

/* One operation in flight, on its coroutine's stack until its completion has come. */
typedef struct uop {
  cb_sched_co *co;
  int res;
  int done;
} uop;

struct cb_conn {
  int fd;
  int err;
  cb_conn *prev, *next;
};

static urb *ring_of(cb_ctx *ctx) { return cb_sched_arg(ctx); }

static struct __kernel_timespec ts_of(int64_t ns) {
  return (struct __kernel_timespec){ .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
}

/* ---- the kernel check: io_uring there, allowed, and with every operation used here ---- */

static const struct { int op; const char *name, *since; } needed_ops[] = {
  { IORING_OP_TIMEOUT, "TIMEOUT", "5.4" },     { IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL", "5.5" },
  { IORING_OP_TIMEOUT_REMOVE, "TIMEOUT_REMOVE", "5.11" },
  { IORING_OP_CONNECT, "CONNECT", "5.5" },     { IORING_OP_SEND, "SEND", "5.6" },
  { IORING_OP_RECV, "RECV", "5.6" },           { IORING_OP_OPENAT, "OPENAT", "5.6" },
  { IORING_OP_WRITE, "WRITE", "5.6" },         { IORING_OP_READ, "READ", "5.6" },
  { IORING_OP_FSYNC, "FSYNC", "5.1" },         { IORING_OP_CLOSE, "CLOSE", "5.6" },
  { IORING_OP_UNLINKAT, "UNLINKAT", "5.11" },  { IORING_OP_ACCEPT, "ACCEPT", "5.5" },
  { IORING_OP_POLL_ADD, "POLL_ADD", "5.1" },
};

static char avail_why[200];
static int avail_rc;

static void probe_kernel(void) {
  long long disabled = -1;
  FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
  if (f) {
    if (fscanf(f, "%lld", &disabled) != 1) disabled = -1;
    fclose(f);
  }
  struct io_uring ring;
  int rc = io_uring_queue_init(2, &ring, 0);
  if (rc < 0) {
    avail_rc = rc;
    if (disabled > 0)
      snprintf(avail_why, sizeof avail_why, "io_uring is disabled here (kernel.io_uring_disabled = %lld: %s); "
               "allow it with sysctl -w kernel.io_uring_disabled=0, or choose another backend",
               disabled, strerror(-rc));
    else if (rc == -ENOSYS)
      snprintf(avail_why, sizeof avail_why, "this kernel has no io_uring (ENOSYS: older than 5.1, or compiled "
               "out); it needs Linux 5.11 or later, or choose another backend");
    else
      snprintf(avail_why, sizeof avail_why, "io_uring_setup was refused (%s: a seccomp filter, a container's "
               "policy, or the memory lock limit, ulimit -l); allow it, or choose another backend", strerror(-rc));
    return;
  }
  struct io_uring_probe *p = io_uring_get_probe_ring(&ring);
  for (size_t i = 0; i < sizeof needed_ops / sizeof *needed_ops && !avail_rc; i++)
    if (!p || !io_uring_opcode_supported(p, needed_ops[i].op)) {
      avail_rc = -EOPNOTSUPP;
      snprintf(avail_why, sizeof avail_why, "this kernel's io_uring lacks IORING_OP_%s (Linux %s or later); "
               "upgrade the kernel, or choose another backend", needed_ops[i].name, needed_ops[i].since);
    }
  if (p) io_uring_free_probe(p);
  io_uring_queue_exit(&ring);
}

static int uring_available(char *why, size_t len) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, probe_kernel);
  if (avail_rc && why && len) snprintf(why, len, "%s", avail_why);
  return avail_rc;
}

/* ---- submission queue entries ---- */

/* n free entries, for the running coroutine: when the queue is full (a short ring, or thousands
 * of coroutines starting at once) it parks until the loop has submitted what is there. */
static struct io_uring_sqe *sqe_get(urb *b, cb_sched_co *co, unsigned n) {
  while (io_uring_sq_space_left(&b->ring) < n) {
    cb__uring_test.sq_waits++;
    cb_waitlist_add(&b->sq_wait, co);
    cb_sched_park(co, 0);
    cb_waitlist_remove(&b->sq_wait, co);
  }
  return io_uring_get_sqe(&b->ring);
}

/* Park the running coroutine on sqe's completion (its result, as -errno or a count) or its
 * deadline. The deadline is the scheduler's: one ring timeout for the earliest of all, as uv has
 * one timer, so an operation answered in time costs no timer, entry or completion of its own
 * (a timeout linked to each operation costs all three). When the deadline comes first the
 * operation is cancelled, and the coroutine still waits for its own completion, so nothing it
 * lent the kernel (a buffer, an address) is in use once it returns; an operation that completed
 * in the race keeps its result (received bytes are not lost). */
static ssize_t sqe_wait(urb *b, cb_sched_co *co, struct io_uring_sqe *sqe, int64_t deadline) {
  uop op = { .co = co };
  int cancelled = 0;
  io_uring_sqe_set_data(sqe, &op);
  b->waiting++;
  cb_sched_park(co, deadline);
  if (!op.done) {
    struct io_uring_sqe *c = sqe_get(b, co, 1);   /* the completion may come while it waits */
    if (op.done) io_uring_prep_nop(c);
    else io_uring_prep_cancel(c, &op, 0);
    io_uring_sqe_set_data(c, (void *)(uintptr_t)UD_IGNORE);
    cancelled = 1;
    while (!op.done) cb_sched_park(co, 0);
  }
  b->waiting--;
  if (cancelled && (op.res == -ECANCELED || op.res == -EINTR)) return -ETIMEDOUT;
  return op.res;
}

/* Begin an operation: 0 with *sqe, or -ETIMEDOUT when the deadline has passed already. */
static int op_begin(cb_ctx *ctx, int64_t deadline, struct io_uring_sqe **sqe) {
  if (deadline && deadline <= cb_now_ns()) return -ETIMEDOUT;
  *sqe = sqe_get(ring_of(ctx), cb_sched_self(ctx), 1);
  return 0;
}

static ssize_t op_wait(cb_ctx *ctx, struct io_uring_sqe *sqe, int64_t deadline) {
  return sqe_wait(ring_of(ctx), cb_sched_self(ctx), sqe, deadline);
}

/* ---- time ---- */

/* A sleep is its own IORING_OP_TIMEOUT at the absolute deadline, to the nanosecond. */
static int ur_sleep_until(cb_ctx *ctx, int64_t deadline) {
  if (deadline <= cb_now_ns()) return 0;
  struct __kernel_timespec ts = ts_of(deadline);
  struct io_uring_sqe *sqe = sqe_get(ring_of(ctx), cb_sched_self(ctx), 1);
  io_uring_prep_timeout(sqe, &ts, 0, IORING_TIMEOUT_ABS);
  ssize_t r = op_wait(ctx, sqe, 0);
  return r == -ETIME ? 0 : (int)r;
}

static int ur_sleep(cb_ctx *ctx, uint64_t ms) { return ur_sleep_until(ctx, cb_now_ns() + (int64_t)ms * 1000000); }

static void sched_arm(cb_sched *s, int64_t deadline) {
  urb *b = s->cfg.arg;
  b->want_at = deadline;
}

/* Between turns: have the ring's timer go off by the scheduler's earliest deadline. A timer set
 * later is moved earlier; one set earlier is left to go off (the scheduler then arms the next);
 * with no deadline left it goes off for nothing, once. 0, or -EAGAIN with no room this turn. */
static int timer_sync(urb *b) {
  if (!b->want_at || b->want_at == b->timer_at || (b->timer_at && b->timer_at < b->want_at)) return 0;
  struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
  if (!sqe) return -EAGAIN;
  b->timer_ts = ts_of(b->want_at);
  if (b->timer_at) {
    io_uring_prep_timeout_update(sqe, &b->timer_ts, UD_TIMER, IORING_TIMEOUT_ABS);
    io_uring_sqe_set_data(sqe, (void *)(uintptr_t)UD_TIMER_UPDATE);
  } else {
    io_uring_prep_timeout(sqe, &b->timer_ts, 0, IORING_TIMEOUT_ABS);
    io_uring_sqe_set_data(sqe, (void *)(uintptr_t)UD_TIMER);
  }
  b->timer_at = b->want_at;
  return 0;
}

static const cb_sched_ops uring_sched_ops = { .arm = sched_arm };

static uint64_t ur_compute(cb_ctx *ctx, uint64_t seed, uint64_t units) {
  /* One ring, one thread: CPU work runs right here and holds every other coroutine up, as on uv. */
  return cb_hash_chain(seed, units);
}

/* ---- TCP ---- */

static void conn_unlink(urb *b, cb_conn *c) {
  if (c->prev) c->prev->next = c->next;
  else b->conns = c->next;
  if (c->next) c->next->prev = c->prev;
}

/* The close is queued, not waited for (a connection's close never waits): its completion only
 * counts down what the end of the run drains. Reset at close: SO_LINGER 0 was set at connect. */
static void conn_close(urb *b, cb_conn *c) {
  conn_unlink(b, c);
  struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
  if (sqe) {
    io_uring_prep_close(sqe, c->fd);
    io_uring_sqe_set_data(sqe, (void *)(uintptr_t)UD_CLOSE);
    b->closing++;
  } else {
    close(c->fd);              /* no room this turn: a plain close, which never blocks on a socket */
  }
  free(c);
}

static int ur_connect(cb_ctx *ctx, const struct sockaddr *addr, int64_t deadline, cb_conn **out) {
  urb *b = ring_of(ctx);
  socklen_t alen = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  cb_conn *c = calloc(1, sizeof *c);
  if (!c) return -ENOMEM;
  c->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    int e = -errno;
    free(c);
    return e;
  }
  int one = 1;
  struct linger lg = { .l_onoff = 1, .l_linger = 0 };
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  if ((c->next = b->conns)) c->next->prev = c;
  b->conns = c;
  struct io_uring_sqe *sqe;
  int rc = op_begin(ctx, deadline, &sqe);
  if (rc == 0) {
    io_uring_prep_connect(sqe, c->fd, addr, alen);
    rc = (int)op_wait(ctx, sqe, deadline);
  }
  if (rc) {
    conn_close(b, c);
    return rc;
  }
  *out = c;
  return 0;
}

static ssize_t ur_send(cb_ctx *ctx, cb_conn *c, const void *buf, size_t len, int64_t deadline) {
  size_t done = 0;
  while (done < len) {
    if (c->err) return c->err;
    struct io_uring_sqe *sqe;
    ssize_t r = op_begin(ctx, deadline, &sqe);
    if (r == 0) {
      io_uring_prep_send(sqe, c->fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);
      r = op_wait(ctx, sqe, deadline);
    }
    /* A send cut short by its deadline may have sent part: the connection is unusable. */
    if (r < 0) return c->err = (int)r;
    if (r == 0) return c->err = -EPIPE;
    done += (size_t)r;
  }
  return (ssize_t)len;
}

/* Straight into the caller's buffer: no copy, no buffer of the backend's. */
static ssize_t ur_recv(cb_ctx *ctx, cb_conn *c, void *buf, size_t cap, int64_t deadline) {
  if (c->err) return c->err;
  struct io_uring_sqe *sqe;
  ssize_t r = op_begin(ctx, deadline, &sqe);
  if (r) return r;
  io_uring_prep_recv(sqe, c->fd, buf, cap, 0);
  r = op_wait(ctx, sqe, deadline);
  if (r < 0 && r != -ETIMEDOUT) c->err = (int)r;
  return r;
}

static void ur_tcp_close(cb_ctx *ctx, cb_conn *c) {
  if (c) conn_close(ring_of(ctx), c);
}

/* ---- TCP servers: an accept is a ring operation on the run's one listening socket ---- */

static int ur_listen(cb_ctx *ctx, const struct sockaddr *addr, int backlog, int *fd) {
  (void)ctx;
  return cb_listen_socket(addr, backlog, fd);
}

static int ur_accept(cb_ctx *ctx, int fd, int64_t deadline, cb_conn **out) {
  urb *b = ring_of(ctx);
  for (;;) {
    struct io_uring_sqe *sqe;
    int rc = op_begin(ctx, deadline, &sqe);
    if (rc) return rc;
    io_uring_prep_accept(sqe, fd, NULL, NULL, SOCK_CLOEXEC);
    int s = (int)op_wait(ctx, sqe, deadline);
    if (s >= 0) {
      cb_conn *c = calloc(1, sizeof *c);
      if (!c) {
        close(s);
        return -ENOMEM;
      }
      int one = 1;
      struct linger lg = { .l_onoff = 1, .l_linger = 0 };   /* reset at close, as every backend */
      setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      c->fd = s;
      if ((c->next = b->conns)) c->next->prev = c;
      b->conns = c;
      *out = c;
      return 0;
    }
    if (s == -EINVAL) return CB_EOF;               /* the harness shut the listener down */
    if (s == -EINTR || s == -ECONNABORTED) continue;
    if (s != -EAGAIN) return s;
    /* The listener is non-blocking (the contract's): a kernel that honours that in the ring
     * answers EAGAIN rather than waiting (newer ones wait), so wait for it to be readable. */
    if ((rc = op_begin(ctx, deadline, &sqe)) != 0) return rc;
    io_uring_prep_poll_add(sqe, fd, POLLIN);
    ssize_t p = op_wait(ctx, sqe, deadline);
    if (p < 0) return (int)p;
  }
}

/* ---- files: ring operations, no thread pool of ours (the kernel punts what cannot complete at
 * once, an open with O_CREAT or an fsync, to its own io-wq workers) ---- */

static struct io_uring_sqe *file_sqe(cb_ctx *ctx) { return sqe_get(ring_of(ctx), cb_sched_self(ctx), 1); }

/* An open that creates or truncates, an fsync and an unlink never complete at once in the
 * kernel: IOSQE_ASYNC sends them to its workers straight away, without a first try that can only
 * fail. Reads, writes and other opens are tried at once (the page cache usually takes them). */
static int ur_open(cb_ctx *ctx, const char *path, int flags, int mode) {
  struct io_uring_sqe *sqe = file_sqe(ctx);
  io_uring_prep_openat(sqe, AT_FDCWD, path, flags | O_CLOEXEC, (mode_t)mode);
  if (flags & (O_CREAT | O_TRUNC)) sqe->flags |= IOSQE_ASYNC;
  return (int)op_wait(ctx, sqe, 0);
}

static ssize_t ur_write(cb_ctx *ctx, int fd, const void *buf, size_t len, int64_t off) {
  struct io_uring_sqe *sqe = file_sqe(ctx);
  io_uring_prep_write(sqe, fd, buf, (unsigned)len, (uint64_t)off);
  return op_wait(ctx, sqe, 0);
}

static ssize_t ur_read(cb_ctx *ctx, int fd, void *buf, size_t len, int64_t off) {
  struct io_uring_sqe *sqe = file_sqe(ctx);
  io_uring_prep_read(sqe, fd, buf, (unsigned)len, (uint64_t)off);
  return op_wait(ctx, sqe, 0);
}

static int ur_fsync(cb_ctx *ctx, int fd) {
  struct io_uring_sqe *sqe = file_sqe(ctx);
  io_uring_prep_fsync(sqe, fd, 0);
  sqe->flags |= IOSQE_ASYNC;
  return (int)op_wait(ctx, sqe, 0);
}

static int ur_fclose(cb_ctx *ctx, int fd) {
  struct io_uring_sqe *sqe = file_sqe(ctx);
  io_uring_prep_close(sqe, fd);
  return (int)op_wait(ctx, sqe, 0);
}

static int ur_unlink(cb_ctx *ctx, const char *path) {
  struct io_uring_sqe *sqe = file_sqe(ctx);
  io_uring_prep_unlinkat(sqe, AT_FDCWD, path, 0);
  sqe->flags |= IOSQE_ASYNC;
  return (int)op_wait(ctx, sqe, 0);
}

static const cb_io uring_io = {
  .name = "uring",
  .sleep = ur_sleep,
  .sleep_until = ur_sleep_until,
  .compute = ur_compute,
  .tcp_connect = ur_connect,
  .tcp_send = ur_send,
  .tcp_recv = ur_recv,
  .tcp_close = ur_tcp_close,
  .tcp_listen = ur_listen,
  .tcp_accept = ur_accept,
  .file_open = ur_open,
  .file_write = ur_write,
  .file_read = ur_read,
  .file_fsync = ur_fsync,
  .file_close = ur_fclose,
  .file_unlink = ur_unlink,
  .queue_put = cb_sched_io_queue_put,
  .queue_get = cb_sched_io_queue_get,
  .queue_close = cb_sched_io_queue_close,
  .set_add = cb_sched_io_set_add,
};

/* ---- the loop ---- */

/* One completion: wake whoever waits for it. */
static void complete(urb *b, uint64_t ud, int res) {
  if (ud == UD_IGNORE || ud == UD_TIMER_UPDATE) return;
  if (ud == UD_CLOSE) {
    b->closing--;
    return;
  }
  if (ud == UD_TIMER) {
    /* Gone off (or, only at the end, cancelled): nothing armed until the scheduler says. */
    b->timer_at = b->want_at = 0;
    cb_sched_expire(&b->sched, cb_now_ns());
    return;
  }
  uop *op = (uop *)(uintptr_t)ud;
  op->res = res;
  op->done = 1;
  cb_sched_wake(op->co, res);
}

/* Take every completion there is, then wake their coroutines: copied out first, so the kernel has
 * the completion queue's room back before the coroutines queue more work. */
static unsigned reap(urb *b) {
  struct io_uring_cqe *cqes[REAP_BATCH];
  uint64_t ud[REAP_BATCH];
  int res[REAP_BATCH];
  unsigned total = 0, n;
  while ((n = io_uring_peek_batch_cqe(&b->ring, cqes, REAP_BATCH)) > 0) {
    for (unsigned i = 0; i < n; i++) {
      ud[i] = cqes[i]->user_data;
      res[i] = cqes[i]->res;
    }
    io_uring_cq_advance(&b->ring, n);
    for (unsigned i = 0; i < n; i++) complete(b, ud[i], res[i]);
    total += n;
  }
  return total;
}

/* The one submission of a turn, which also waits for a completion when wait is set. EAGAIN
 * (the kernel short of memory for requests) and EBUSY (completions it could not post yet) mean
 * nothing was taken: the caller reaps and tries again next turn. */
static int submit(urb *b, int wait) {
  if (cb__uring_test.fail_submits) {
    cb__uring_test.fail_submits--;
    return cb__uring_test.fail_errno ? cb__uring_test.fail_errno : -EAGAIN;
  }
  return wait ? io_uring_submit_and_wait(&b->ring, 1) : io_uring_submit_and_get_events(&b->ring);
}

/* Turns until every coroutine has finished, or until none can ever be woken (all parked on a
 * queue nobody fills): 0, or a negative error with job->err set. */
static int loop(urb *b, cb_job *job) {
  unsigned backoff = 0;
  for (;;) {
    cb_sched_run_ready(&b->sched);
    if (!cb_sched_alive(&b->sched)) return 0;
    int timer_pending = timer_sync(b) != 0;
    if (!b->waiting && !b->timer_at && !b->sq_wait.head && !b->sched.ready_head && !timer_pending)
      return 0;                               /* nobody can be woken: the job counts the rest */
    int wait = !b->sq_wait.head && !b->sched.ready_head && !timer_pending;
    int rc = submit(b, wait);
    if (rc == -EINTR) continue;
    if (rc == -EAGAIN || rc == -EBUSY || rc == -ENOMEM) {
      cb__uring_test.refused++;
      /* Nothing taken. Completions waiting to be reaped free the kernel's room; with none, back
       * off a little, up to a millisecond, rather than spin. */
      if (!reap(b)) {
        struct timespec ts = { 0, 1000L << (backoff < 10 ? backoff++ : backoff) };
        io_uring_get_events(&b->ring);
        if (!reap(b)) nanosleep(&ts, NULL);
      }
      continue;
    }
    if (rc < 0) {
      snprintf(job->err, sizeof job->err, "io_uring_enter: %s", strerror(-rc));
      return rc;
    }
    backoff = 0;
    reap(b);
    /* Room again in the submission queue: those waiting for it queue their work next turn. */
    if (b->sq_wait.head) cb_waitlist_wake_all(&b->sq_wait, 0);
  }
}

static unsigned pow2_at_least(unsigned long long n, unsigned cap) {
  unsigned p = 1;
  while (p < n && p < cap) p <<= 1;
  return p;
}

/* The ring, with the kernel's cheapest completion mode it has: one thread submits (SINGLE_ISSUER)
 * and completions are run only when it asks (DEFER_TASKRUN, 6.1), or at least without an
 * interrupt (COOP_TASKRUN, 5.19); older kernels take none. */
static int ring_init(urb *b, uint32_t n, cb_job *job) {
  unsigned entries = cb__uring_test.entries ? cb__uring_test.entries : pow2_at_least(2ull * n + 8, URING_MAX_ENTRIES);
  /* In flight at once: an operation (and, past its deadline, its cancel) per coroutine, the
   * timer, the closes. */
  unsigned cq = cb__uring_test.cq_entries ? cb__uring_test.cq_entries : pow2_at_least(4ull * n + 64, URING_MAX_CQ);
  if (cq < 2 * entries && !cb__uring_test.cq_entries) cq = 2 * entries;
  static const unsigned modes[] = {
    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_COOP_TASKRUN, 0 };
  int rc = -EINVAL;
  for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
    struct io_uring_params p = { .flags = modes[i] | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP, .cq_entries = cq };
    if ((rc = io_uring_queue_init_params(entries, &b->ring, &p)) != -EINVAL) break;
  }
  if (rc < 0) {
    snprintf(job->err, sizeof job->err, "io_uring_queue_init (%u entries): %s", entries, strerror(-rc));
    return rc;
  }
  io_uring_register_ring_fd(&b->ring);      /* saves a descriptor lookup per enter; optional */
  return 0;
}

static int uring_run(cb_job *job) {
  urb *b = calloc(1, sizeof *b);
  if (!b) return -ENOMEM;
  uint32_t n = cb_job_workers(job);
  int rc = ring_init(b, n, job);
  if (rc) {
    free(b);
    return rc;
  }
  cb_sched_cfg cfg = { .job = job, .io = &uring_io, .n = n, .hists = 0, .ops = &uring_sched_ops, .arg = b,
                       .stack_size = job->stack_size ? job->stack_size : URING_DEFAULT_STACK };
  if ((rc = cb_sched_init(&b->sched, &cfg)) == 0) {
    job->workers = n;
    cb_sched_start(&b->sched);
    rc = loop(b, job);
  }
  /* Connections a worker kept, then the closes still queued or in flight: drained, so the run
   * ends with the descriptors it started with. */
  while (b->conns) conn_close(b, b->conns);
  while (b->closing && rc == 0) {
    int r = io_uring_submit_and_wait(&b->ring, 1);
    if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) break;
    b->waiting = 0;          /* nobody is parked now: only closes and stray timers complete */
    struct io_uring_cqe *cqe;
    while (io_uring_peek_cqe(&b->ring, &cqe) == 0) {
      if (cqe->user_data == UD_CLOSE) b->closing--;
      io_uring_cqe_seen(&b->ring, cqe);
    }
  }
  /* What may still be in flight is the timer alone: the loop ends only when no coroutine waits
   * for a completion (the rest, if any, are parked on a queue), so no operation points into a
   * stack unmapped below. */
  io_uring_queue_exit(&b->ring);
  cb_sched_free(&b->sched);
  free(b);
  return rc;
}

const cb_backend cb_backend_uring = {
  .name = "uring",
  .summary = "stackful coroutines on one io_uring ring: timers, sockets and files as ring operations",
  .flags = CB_BACKEND_LOOP,
  .needs = { .maps_per_worker = 2, .mem_kib_per_worker = 16 },
  .available = uring_available,
  .io = &uring_io,
  .run = uring_run,
};
