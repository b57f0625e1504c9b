/* uv_loop.h: one libuv loop driving a coroutine scheduler, and the cb_io calls on it that uv,
 * uv-offload and uv-mt share (internal to backends/). */
#ifndef CB_UV_LOOP_H
#define CB_UV_LOOP_H

#include <uv.h>
#include "backend.h"
#include "scheduler.h"

#define CB_UV_DEFAULT_STACK (256u * 1024)

/* The loop, and the one timer that stands for every deadline of the scheduler's coroutines: a
 * timerfd watched by the loop (nanoseconds, as exact as nanosleep), or, only when timerfd_create
 * fails, a libuv timer (whole milliseconds, rounded up). */
typedef struct cb_uvloop {
  uv_loop_t loop;
  uv_idle_t idle;          /* runs woken coroutines from the loop, not from another coroutine */
  int tfd;                 /* the timerfd, or -1 */
  int precise;             /* deadlines go to tfd; 0: to timer, the fallback */
  uv_poll_t poll;          /* watches tfd; started only while a deadline is armed */
  int polling;
  int64_t tfd_at;          /* the deadline tfd is set to, 0 when disarmed or gone off */
  uv_timer_t timer;
  cb_sched sched;
  int open;                /* uv_loop_init succeeded: close it */
  void *owner;             /* the backend's, beside the loop (uv-mt: its loop thread) */
  /* The run's listening socket, watched by this loop through a dup of it (closing ours leaves the
   * harness's open); accept4 takes its connections. Never listen(2) again on it: after the
   * harness's shutdown that would open it anew, and a late accept would wait forever. */
  uv_poll_t lis;
  int lis_fd;              /* the harness's descriptor it stands for, or -1 */
  int lis_dup;             /* our dup of it, watched by lis; -1 before the first accept */
  int lis_watching;        /* lis started: a coroutine waits for a connection */
  int lis_err;             /* the listener was shut down (CB_EOF) or broke: every accept ends */
  cb_waitlist acceptors;   /* coroutines waiting for a connection */
  uint32_t nacceptors;
  cb_conn *ready_head, *ready_tail;   /* accepted for them, in order */
} cb_uvloop;

/* The scheduler's ops on a loop; a backend that adds one (uv-mt's notify) uses the two calls. */
extern const cb_sched_ops cb__uv_sched_ops;
void cb__uv_sched_arm(cb_sched *s, int64_t deadline);
void cb__uv_sched_ready(cb_sched *s);

/* The loop and its timers, then the scheduler of cfg (whose ops and arg are set here unless cfg
 * gives ops of its own). 0, or -errno with job->err set; cb__uv_loop_close is needed either way. */
int cb__uv_loop_init(cb_uvloop *b, cb_sched_cfg *cfg);
/* Run until nothing is left to do. */
static inline void cb__uv_loop_run(cb_uvloop *b) { uv_run(&b->loop, UV_RUN_DEFAULT); }
/* Close whatever is still open, free the scheduler, close the loop. rc, or -EBUSY with job->err
 * set when the loop would not close. */
int cb__uv_loop_close(cb_uvloop *b, cb_job *job, int rc);

/* The backends' prepare: the job's coroutine stacks in the stack pool, before the clock starts. */
int cb__uv_prepare(cb_job *job);

/* libuv writes without MSG_NOSIGNAL: a peer that closed must give -EPIPE, not kill us. */
void cb__uv_ignore_sigpipe(void);
/* libuv's pool: UV_THREADPOOL_SIZE threads (4 unless set; libuv caps it at 1024). */
uint32_t cb__uv_pool_threads(void);

/* The loop a task's coroutine runs on. */
static inline cb_uvloop *cb__uv_loop_of(cb_ctx *ctx) { return cb_sched_arg(ctx); }

int     cb__uv_io_connect(cb_ctx *ctx, const struct sockaddr *addr, int64_t deadline, cb_conn **out);
ssize_t cb__uv_io_send(cb_ctx *ctx, cb_conn *c, const void *buf, size_t len, int64_t deadline);
ssize_t cb__uv_io_recv(cb_ctx *ctx, cb_conn *c, void *buf, size_t cap, int64_t deadline);
void    cb__uv_io_tcp_close(cb_ctx *ctx, cb_conn *c);
int     cb__uv_io_listen(cb_ctx *ctx, const struct sockaddr *addr, int backlog, int *fd);
int     cb__uv_io_accept(cb_ctx *ctx, int fd, int64_t deadline, cb_conn **out);
int     cb__uv_io_open(cb_ctx *ctx, const char *path, int flags, int mode);
ssize_t cb__uv_io_write(cb_ctx *ctx, int fd, const void *buf, size_t len, int64_t off);
ssize_t cb__uv_io_read(cb_ctx *ctx, int fd, void *buf, size_t len, int64_t off);
int     cb__uv_io_fsync(cb_ctx *ctx, int fd);
int     cb__uv_io_fclose(cb_ctx *ctx, int fd);
int     cb__uv_io_unlink(cb_ctx *ctx, const char *path);

/* The cb_io members every libuv backend shares: timers, TCP and files (files on libuv's pool).
 * The shared queue and set are the scheduler's own, and so is where CPU work runs. */
#define CB_UV_IO_COMMON                       \
  .sleep = cb_sched_io_sleep,                 \
  .sleep_until = cb_sched_io_sleep_until,     \
  .tcp_connect = cb__uv_io_connect,           \
  .tcp_send = cb__uv_io_send,                 \
  .tcp_recv = cb__uv_io_recv,                 \
  .tcp_close = cb__uv_io_tcp_close,           \
  .tcp_listen = cb__uv_io_listen,             \
  .tcp_accept = cb__uv_io_accept,             \
  .file_open = cb__uv_io_open,                \
  .file_write = cb__uv_io_write,              \
  .file_read = cb__uv_io_read,                \
  .file_fsync = cb__uv_io_fsync,              \
  .file_close = cb__uv_io_fclose,             \
  .file_unlink = cb__uv_io_unlink,            \
  .queue_put = cb_sched_io_queue_put,         \
  .queue_get = cb_sched_io_queue_get,         \
  .queue_close = cb_sched_io_queue_close,     \
  .set_add = cb_sched_io_set_add

#endif
