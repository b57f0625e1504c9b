/* backend.h: the backend table: a concurrency model that runs a job's tasks. */
#ifndef CB_BACKEND_H
#define CB_BACKEND_H

#include "job.h"

/* What a backend is, for the layers above: they read these (and results.json carries them), never
 * a backend's name. */
enum {
  CB_BACKEND_SERIAL = 1u << 0,     /* runs one task at a time whatever -c says */
  CB_BACKEND_BASELINE = 1u << 1,   /* the reference every speedup is measured against */
  CB_BACKEND_PARALLEL = 1u << 2,   /* runs tasks' CPU work on several cores at once */
  CB_BACKEND_LOOP = 1u << 3,       /* tasks are coroutines on an event loop: a wait holds no thread */
  CB_BACKEND_LOOPS = 1u << 4,      /* several loops, each on a thread of its own (with LOOP, PARALLEL) */
};

/* The flags' names, as results.json writes them (bit k is cb_backend_flag_names[k]). */
#define CB_BACKEND_FLAG_MAP(XX) XX(SERIAL, "serial") XX(BASELINE, "baseline") XX(PARALLEL, "parallel") XX(LOOP, "loop") \
  XX(LOOPS, "loops")
#define CB_BACKEND_NFLAGS 5
extern const char *const cb_backend_flag_names[CB_BACKEND_NFLAGS];
/* The flag named `name`, or 0; a kind's index by name, or -1. */
unsigned cb_backend_flag_parse(const char *name);
int cb_kind_parse(const char *name);

/* What a backend needs from the machine for one worker, for the limit checks before a run. */
typedef struct cb_backend_needs {
  uint32_t threads_per_worker;     /* kernel tasks (threads or processes) */
  uint32_t procs_per_worker;       /* processes */
  uint32_t maps_per_worker;        /* memory mappings (stacks and their guard pages) */
  uint64_t mem_kib_per_worker;     /* a conservative estimate of resident memory */
  /* Threads the backend starts once per run besides its workers (a helper pool), which count
   * against the process limit too: extra_threads, or what the optional function says when the
   * number depends on the environment (libuv's pool: UV_THREADPOOL_SIZE). */
  uint32_t extra_threads;
  uint32_t (*extra_threads_fn)(void);
  const char *extra_threads_option;   /* the option that sets them, for the advice, or NULL */
} cb_backend_needs;

/* The helper threads a backend starts for a run, as its needs say. */
static inline uint32_t cb_backend_extra_threads(const cb_backend_needs *n) {
  return n->extra_threads_fn ? n->extra_threads_fn() : n->extra_threads;
}

typedef struct cb_backend {
  const char *name;
  const char *summary;
  unsigned flags;                  /* CB_BACKEND_* */
  /* The backend this one builds on, when it is a variation of it (uv-offload on uv): the report
   * says what the variation recovers. NULL for none. */
  const char *extends;
  cb_backend_needs needs;
  /* Whether this machine can run it (a kernel facility it needs, say): 0, or a negative errno
   * with why and what to do in `why`. NULL: always. Asked before a case runs: `run` refuses the
   * backend, a suite skips its cases, `list` marks it unavailable. */
  int (*available)(char *why, size_t len);
  /* The calls it gives tasks; a group it lacks may be NULL (cb_io_lacks), and a workload that
   * uses that group is refused on it before anything runs. */
  const cb_io *io;
  /* Run every task of job, at most job->conc at a time. 0, or negative with job->err set. */
  int (*run)(cb_job *job);
  /* Optional, called before the clock starts: what a long-running program has ready before its
   * first request and reuses after (a loop's coroutine stacks, mapped and first touched). Its
   * time is kept apart (prepare_s); a failure only leaves run to do it, counted. */
  int (*prepare)(cb_job *job);
} cb_backend;

/* 0 when b can run here; otherwise its negative errno, with the reason in why. */
static inline int cb_backend_available(const cb_backend *b, char *why, size_t len) {
  return b->available ? b->available(why, len) : 0;
}
/* A server's calls (CB_USES_LISTEN: the server workload) are two members of cb_io, and what a
 * backend must give for them is:
 *   tcp_listen(ctx, addr, backlog, &fd): a bound, listening, non-blocking socket. Called once per
 *     run, before the workers start, with a ctx that has only io set. cb_listen_socket below is
 *     all a backend needs here unless it must set something up on the socket.
 *   tcp_accept(ctx, fd, deadline, &conn): one connection from fd, shared by every worker (fork's
 *     children inherit it), as a cb_conn its tcp_send, tcp_recv and tcp_close take; -ETIMEDOUT at
 *     the deadline; CB_EOF once the harness shut fd down (accept(2) then fails with EINVAL and
 *     poll reports POLLHUP). A loop backend wraps fd once per loop (uv_tcp_open of a dup, so
 *     closing its handle leaves fd to the harness) and frees the wrapper when its run ends.
 * A backend that leaves both NULL is refused for the server workload with one line. */
int cb_listen_socket(const struct sockaddr *addr, int backlog, int *fd);

/* The IO implementation shared by the blocking backends (sync, threads, fork). */
extern const cb_io cb_io_blocking;

#endif
