/* cb.h: the runtime contract: everything a workload's task may call, whatever backend runs it. */
#ifndef CB_H
#define CB_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include "clock.h"

/* A task is plain straight-line C. It calls the functions below through its context; the backend
 * decides what they mean (blocking system calls, or a coroutine parked on a libuv request).
 * Calls return 0 (or a count) or a negative error: -errno values, as libuv's are on Unix, or one
 * of the CB_E* codes below. Deadlines are absolute CLOCK_MONOTONIC nanoseconds; 0 means none. */

/* The project's own error codes, beyond errno's, with their names and texts (an X-macro, as
 * libuv's UV_ERRNO_MAP). */
#define CB_ERRNO_MAP(XX)                                                        \
  XX(EOF, -4095, "end of stream")                                               \
  XX(EHTTP5XX, -5000, "server answered with a 5xx status")                      \
  XX(EHTTPSTATUS, -5001, "server answered with an unexpected status")           \
  XX(EBADRESP, -5002, "malformed HTTP response")                                \
  XX(EBODY, -5003, "response body differs from what was expected")             \
  XX(EVERIFY, -5004, "data read back differs from what was written")                \
  XX(EREDIS, -5005, "Redis answered with an error (-ERR)")                      \
  XX(EBADREPLY, -5006, "malformed or unexpected Redis reply")

enum {
#define XX(name, val, text) CB_##name = (val),
  CB_ERRNO_MAP(XX)
#undef XX
};

/* The text of an error code; cb_err_name its short name ("ETIMEDOUT", "EHTTP5XX"). */
const char *cb_strerror(int err);
const char *cb_err_name(int err);
/* What to do about an error a task met, for the ones a limit or the setup explains
 * ("raise ulimit -n (open files) or lower -c"); NULL for the others. */
const char *cb_err_hint(int err);

/* Operation kinds whose latency is recorded per worker (one histogram each), for every backend.
 * The rule: every call that may wait (for time, the network, the disk, or another task: a full
 * or empty queue, a lock) is one operation of its kind, timed around the backend's call whatever
 * it returns. cb_compute is CPU, not waiting; the closes of a connection or a queue never wait:
 * those are not timed. A call built on others (cb_http_get, "request") is timed as its own kind
 * as well, so its connect, sends and receives also count in theirs. New kinds join at the end;
 * results name them by their text, which never changes. */
#define CB_OP_MAP(XX)        \
  XX(CONNECT, "connect")     \
  XX(REQUEST, "request")     \
  XX(SLEEP, "sleep")         \
  XX(FILE, "file")           \
  XX(QUEUE_PUT, "queue_put") \
  XX(QUEUE_GET, "queue_get") \
  XX(SEND, "send")           \
  XX(RECV, "recv")           \
  XX(SET_ADD, "set_add")     \
  XX(ACCEPT, "accept")

enum {
#define XX(name, text) CB_OP_##name,
  CB_OP_MAP(XX)
#undef XX
  CB_OP_KINDS
};

extern const char *const cb_op_names[CB_OP_KINDS];

typedef struct cb_ctx cb_ctx;
struct cb_op_hists;
typedef struct cb_conn cb_conn;      /* a TCP connection; each backend defines its own */
typedef struct cb_queue cb_queue;    /* shared bounded queue (harness/shared.h) */
typedef struct cb_set cb_set;        /* shared set (harness/shared.h) */
struct cb_job;
struct sockaddr;

/* The operations a backend implements for tasks. New groups join at the end; existing workloads
 * never change when they do. */
typedef struct cb_io {
  const char *name;
  int (*sleep)(cb_ctx *ctx, uint64_t ms);
  int (*sleep_until)(cb_ctx *ctx, int64_t deadline);   /* open-loop starts; ns, as exact as it can */
  uint64_t (*compute)(cb_ctx *ctx, uint64_t seed, uint64_t units);
  /* TCP */
  int (*tcp_connect)(cb_ctx *ctx, const struct sockaddr *addr, int64_t deadline, cb_conn **out);
  ssize_t (*tcp_send)(cb_ctx *ctx, cb_conn *c, const void *buf, size_t len, int64_t deadline);
  ssize_t (*tcp_recv)(cb_ctx *ctx, cb_conn *c, void *buf, size_t cap, int64_t deadline);
  void (*tcp_close)(cb_ctx *ctx, cb_conn *c);
  /* Files, by descriptor */
  int (*file_open)(cb_ctx *ctx, const char *path, int flags, int mode);
  ssize_t (*file_write)(cb_ctx *ctx, int fd, const void *buf, size_t len, int64_t offset);
  ssize_t (*file_read)(cb_ctx *ctx, int fd, void *buf, size_t len, int64_t offset);
  int (*file_fsync)(cb_ctx *ctx, int fd);
  int (*file_close)(cb_ctx *ctx, int fd);
  int (*file_unlink)(cb_ctx *ctx, const char *path);
  /* Shared queue and set */
  int (*queue_put)(cb_ctx *ctx, cb_queue *q, const void *item, int64_t deadline);
  int (*queue_get)(cb_ctx *ctx, cb_queue *q, void *item, int64_t deadline);
  void (*queue_close)(cb_ctx *ctx, cb_queue *q);
  int (*set_add)(cb_ctx *ctx, cb_set *s, const void *key, size_t len);
  /* TCP servers: see cb_tcp_listen and cb_tcp_accept below */
  int (*tcp_listen)(cb_ctx *ctx, const struct sockaddr *addr, int backlog, int *fd);
  int (*tcp_accept)(cb_ctx *ctx, int fd, int64_t deadline, cb_conn **out);
} cb_io;

/* The groups of calls in cb_io. A backend's table may leave a whole group NULL when it lacks it;
 * a workload declares the groups its tasks use (cb_workload.uses), and a case whose workload uses
 * a group its backend lacks is refused, with one line, before anything runs. */
enum {
  CB_USES_TIME = 1u << 0,      /* sleep, sleep_until (the harness's open-loop starts use it too) */
  CB_USES_COMPUTE = 1u << 1,   /* compute */
  CB_USES_TCP = 1u << 2,       /* tcp_connect, tcp_send, tcp_recv, tcp_close (and cb_http_*) */
  CB_USES_FILE = 1u << 3,      /* file_open .. file_unlink */
  CB_USES_QUEUE = 1u << 4,     /* queue_put, queue_get, queue_close */
  CB_USES_SET = 1u << 5,       /* set_add */
  CB_USES_LISTEN = 1u << 6,    /* tcp_listen, tcp_accept (a server's tasks; connections use tcp's) */
};
#define CB_USES_NGROUPS 7
/* Their names ("time", "tcp"...): bit k is cb_uses_names[k]. */
extern const char *const cb_uses_names[CB_USES_NGROUPS];
/* The first group of `uses` that io lacks (one of its members is NULL), with that member's name
 * in *member; 0 when io has every call of every group asked. */
unsigned cb_io_lacks(const cb_io *io, unsigned uses, const char **member);

/* One per worker: a thread, a process or a coroutine. */
struct cb_ctx {
  const cb_io *io;
  void *impl;            /* the backend's per-worker state */
  struct cb_job *job;
  uint32_t worker;       /* 0 .. workers-1: index per-worker state (keep-alive connections) */
  uint64_t task;         /* the task it is running */
  struct cb_op_hists *ops;   /* this worker's (thread's or process's) latency histograms, or NULL */
};

/* Record that an operation of `kind` started at t0 (cb_now_ns, base's one clock) ended now. */
void cb__op_record(cb_ctx *ctx, int kind, int64_t t0);

/* Time one call as an operation of `kind` (the rule above) and return what it returned. */
#define CB__TIMED(kind, type, call)        \
  do {                                     \
    int64_t t0_ = cb_now_ns();             \
    type r_ = (call);                      \
    cb__op_record(ctx, (kind), t0_);       \
    return r_;                             \
  } while (0)

/* Wait ms milliseconds without using CPU. */
static inline int cb_sleep(cb_ctx *ctx, uint64_t ms) { CB__TIMED(CB_OP_SLEEP, int, ctx->io->sleep(ctx, ms)); }

/* Run `units` units of the deterministic hash chain from `seed`; returns the final hash. CPU, not
 * a wait: not timed. */
static inline uint64_t cb_compute(cb_ctx *ctx, uint64_t seed, uint64_t units) {
  return ctx->io->compute(ctx, seed, units);
}

/* Connect to addr (IPv4 or IPv6) before the deadline. */
static inline int cb_tcp_connect(cb_ctx *ctx, const struct sockaddr *addr, int64_t deadline, cb_conn **out) {
  CB__TIMED(CB_OP_CONNECT, int, ctx->io->tcp_connect(ctx, addr, deadline, out));
}
/* Send all of buf: len, or a negative error (the connection is then unusable). */
static inline ssize_t cb_tcp_send(cb_ctx *ctx, cb_conn *c, const void *buf, size_t len, int64_t deadline) {
  CB__TIMED(CB_OP_SEND, ssize_t, ctx->io->tcp_send(ctx, c, buf, len, deadline));
}
/* Receive what has arrived, up to cap bytes, waiting for at least one: the count, 0 at the end of
 * the stream, or a negative error. */
static inline ssize_t cb_tcp_recv(cb_ctx *ctx, cb_conn *c, void *buf, size_t cap, int64_t deadline) {
  CB__TIMED(CB_OP_RECV, ssize_t, ctx->io->tcp_recv(ctx, c, buf, cap, deadline));
}
/* Close and free c; never waits, not timed. An abortive close (a reset: SO_LINGER 0), so the
 * port is free at once: closed the usual way, each connection would hold its port in TIME_WAIT for
 * a minute, and a suite opening 10,000 connections a repetition fills the 28,000 ephemeral ports,
 * slowing later connects by however many are still waiting. Close only after the whole answer was
 * read: nothing is in flight then, so the reset loses nothing. */
static inline void cb_tcp_close(cb_ctx *ctx, cb_conn *c) { ctx->io->tcp_close(ctx, c); }

/* TCP servers. A run's listening socket is made once, before any worker runs, by the harness
 * through its backend's cb_tcp_listen (ctx then has only io set: no worker, no impl), and every
 * worker of the run accepts from that one descriptor (fork's children inherit it), so the kernel's
 * one accept queue hands each connection to whichever worker asks first.
 *
 * Listen on addr (127.0.0.1, port 0 for a free one; getsockname tells which) with backlog
 * pending connections at most: *fd a non-blocking, close-on-exec listening socket. 0 or a
 * negative error. The harness closes fd (a backend keeps no state for it). Not timed. */
static inline int cb_tcp_listen(cb_ctx *ctx, const struct sockaddr *addr, int backlog, int *fd) {
  return ctx->io->tcp_listen(ctx, addr, backlog, fd);
}
/* Accept one connection from the listening socket fd, waiting until one comes or the deadline:
 * 0 with *out a connection that tcp_send, tcp_recv and tcp_close take; -ETIMEDOUT; or CB_EOF once
 * the harness has shut the listener down (shutdown(2): no connection will come any more; it wakes
 * every waiting accept, in every process). A backend may wrap fd in a handle of its own (a loop's
 * uv_tcp_t) on first use; it frees that when its run ends. A wait: timed as "accept". */
static inline int cb_tcp_accept(cb_ctx *ctx, int fd, int64_t deadline, cb_conn **out) {
  CB__TIMED(CB_OP_ACCEPT, int, ctx->io->tcp_accept(ctx, fd, deadline, out));
}

/* Files: every call is one "file" operation. open(2)-like: a descriptor or a negative error. */
static inline int cb_file_open(cb_ctx *ctx, const char *path, int flags, int mode) {
  CB__TIMED(CB_OP_FILE, int, ctx->io->file_open(ctx, path, flags, mode));
}
/* pwrite(2)/pread(2)-like: one call, possibly short. */
static inline ssize_t cb_file_write(cb_ctx *ctx, int fd, const void *buf, size_t len, int64_t off) {
  CB__TIMED(CB_OP_FILE, ssize_t, ctx->io->file_write(ctx, fd, buf, len, off));
}
static inline ssize_t cb_file_read(cb_ctx *ctx, int fd, void *buf, size_t len, int64_t off) {
  CB__TIMED(CB_OP_FILE, ssize_t, ctx->io->file_read(ctx, fd, buf, len, off));
}
static inline int cb_file_fsync(cb_ctx *ctx, int fd) { CB__TIMED(CB_OP_FILE, int, ctx->io->file_fsync(ctx, fd)); }
/* A file's close may wait for the disk (unlike a connection's): timed. */
static inline int cb_file_close(cb_ctx *ctx, int fd) { CB__TIMED(CB_OP_FILE, int, ctx->io->file_close(ctx, fd)); }
static inline int cb_file_unlink(cb_ctx *ctx, const char *path) {
  CB__TIMED(CB_OP_FILE, int, ctx->io->file_unlink(ctx, path));
}

/* Put a copy of item (the queue's item size); waits while the queue is full. 0, -EPIPE once the
 * queue is closed, -ETIMEDOUT. */
static inline int cb_queue_put(cb_ctx *ctx, cb_queue *q, const void *item, int64_t deadline) {
  CB__TIMED(CB_OP_QUEUE_PUT, int, ctx->io->queue_put(ctx, q, item, deadline));
}
/* Take the oldest item; waits while the queue is empty. 0, CB_EOF when it is closed and empty,
 * -ETIMEDOUT, or -EDEADLK when nothing could ever arrive (a serial backend waiting on itself). */
static inline int cb_queue_get(cb_ctx *ctx, cb_queue *q, void *item, int64_t deadline) {
  CB__TIMED(CB_OP_QUEUE_GET, int, ctx->io->queue_get(ctx, q, item, deadline));
}
/* No more puts: waiting getters see CB_EOF once the queue is empty. Never waits, not timed. */
static inline void cb_queue_close(cb_ctx *ctx, cb_queue *q) { ctx->io->queue_close(ctx, q); }
/* Add key if absent: 1 when added, 0 when it was there, or a negative error. Takes the set's
 * lock, which another worker may hold: timed. */
static inline int cb_set_add(cb_ctx *ctx, cb_set *s, const void *key, size_t len) {
  CB__TIMED(CB_OP_SET_ADD, int, ctx->io->set_add(ctx, s, key, len));
}

/* Count a 404 answer against the running task: reported in its own column, not as an error. */
void cb_job_not_found(cb_ctx *ctx);

/* Rounds of the hash chain in one compute unit. */
#define CB_UNIT_ROUNDS 1000u

/* The pure computation behind cb_compute; backends call it wherever they run CPU work. */
uint64_t cb_hash_chain(uint64_t seed, uint64_t units);

/* Mixes a value into a well-spread 64-bit hash (splitmix64's finaliser). */
static inline uint64_t cb_mix64(uint64_t x) {
  x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27; x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

/* FNV-1a over bytes, continuing from h (start with CB_FNV_INIT). */
#define CB_FNV_INIT 0xcbf29ce484222325ull
static inline uint64_t cb_fnv1a(uint64_t h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) { h ^= p[i]; h *= 0x100000001b3ull; }
  return h;
}

/* A task's contribution to its case's checksum: the contributions of all tasks are added modulo
 * 2^64, so the order they ran in, and which worker ran what, cannot change the sum. Contribute a
 * well-mixed hash (cb_mix64) of what the task computed. */

#endif
