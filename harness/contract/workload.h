/* workload.h: the workload table: what one task does, its parameters and its ideal time. */
#ifndef CB_WORKLOAD_H
#define CB_WORKLOAD_H

#include "cb.h"

#define CB_MAX_PARAMS 8

typedef enum cb_kind { CB_KIND_IO, CB_KIND_CPU, CB_KIND_MIXED } cb_kind;
/* Their names in `concbench list` and results.json. */
extern const char *const cb_kind_names[3];

typedef struct cb_param_spec {
  const char *name;
  const char *unit;
  const char *help;
  double def, min, max;
  int integer;           /* only whole numbers allowed */
  const char *const *names;   /* NULL, or names of the values 0, 1, ... (NULL-terminated): a
                                 parameter given by name (crawl's store=local or redis) */
} cb_param_spec;

/* Parameter values, in the order of the workload's specs. */
typedef struct cb_params {
  double v[CB_MAX_PARAMS];
} cb_params;

/* What the ideal time may depend on besides the case. */
typedef struct cb_machine {
  unsigned cores;        /* CPUs this process may run on */
  double unit_s;         /* seconds for one cb_compute unit on one core, calibrated at start */
} cb_machine;

struct sockaddr;
struct cb_server_opts;
struct cb_http_resp;

/* A workload whose tasks serve (cb_tcp_accept) is driven by the harness's load generator: a
 * process of its own, the same for every backend, that opens connections() keep-alive
 * connections to the run's listening socket and sends requests open loop at the case's rate
 * for its duration (request j, from 0, is due at t0 + j / rate, on connection j mod K), each
 * timed from when it was due. What the requests are and what a right answer is stay here. */
typedef struct cb_load_spec {
  /* K: the connections the load holds, for these parameters at server concurrency conc. */
  uint64_t (*connections)(const cb_params *p, uint32_t conc);
  /* Each request's deadline after its due time, in ms: later is an error (ETIMEDOUT). */
  double (*timeout_ms)(const cb_params *p);
  /* Request j's target ("/r/17"): 0, or a negative error when it does not fit len. */
  int (*target)(const cb_params *p, uint64_t j, char *buf, size_t len);
  /* 0 when r is the right answer to request j (adding its part of the checksum to *sum), else
   * the error (CB_EHTTPSTATUS, CB_EBODY). The body is kept (r->body). */
  int (*check)(const cb_params *p, uint64_t j, const struct cb_http_resp *r, uint64_t *sum);
} cb_load_spec;

/* What a workload's setup gets to know about the execution about to start. */
typedef struct cb_setup {
  const cb_params *p;
  uint64_t ntasks;
  uint32_t workers;            /* ctx->worker runs from 0 to workers-1 */
  int serial;                  /* the backend runs one task at a time */
  const struct sockaddr *server;   /* the target server (CB_WL_SERVER), else NULL */
  const char *authority;       /* the server as "127.0.0.1:PORT" */
  const char *output;          /* a file the workload may write its result to (CB_WL_OUTPUT), else NULL */
  double unit_s;               /* seconds per compute unit, calibrated once for the whole run */
  const char *tmpdir;          /* the run's private temporary directory (CB_WL_TMPDIR), removed
                                  with all it holds when the run ends, however it ends */
  int external;                /* the target server is not the run's own (--target): its shape
                                  (delays, faults) is not ours to ask for */
  const char *target_path;     /* --target with -p path=...: the URL path to ask, or NULL */
  const struct sockaddr *redis;    /* the Redis (CB_WL_REDIS), else NULL */
  int redis_db;                /* its database */
  const char *redis_prefix;    /* every key the run makes starts with it ("concbench:<run>:"): the
                                  run clears them at its end */
  const char *redis_shared;    /* a prefix every concbench process shares ("concbench:shared:"),
                                  for state several runs work on together; its users clean up */
  int listen_fd;               /* the run's listening socket (a workload with load), else -1 */
} cb_setup;

/* A named figure a workload reports beside the harness's own (results.json, per repetition). */
typedef struct cb_metric {
  const char *name;
  double value;
} cb_metric;

enum {
  CB_WL_SERVER = 1u << 0,      /* needs the target server: the run starts one */
  CB_WL_ALL_AT_ONCE = 1u << 1, /* every task must be in flight together (producers and consumers) */
  CB_WL_OUTPUT = 1u << 2,      /* writes DIR/output/<case>.tsv */
  CB_WL_TMPDIR = 1u << 3,      /* needs a temporary directory */
  CB_WL_REDIS = 1u << 4,       /* needs a Redis (for the parameters redis_needed says, or always):
                                  the run starts one, or uses --redis URL */
};

/* What redis-benchmark would run for a case of a Redis workload: the same server, clients and
 * pipeline, these values; the report compares the workload's operations a second with it. */
typedef struct cb_redis_like {
  unsigned pipeline, value_bytes, keys;
  double ops_per_task;         /* Redis commands one task sends */
} cb_redis_like;

typedef struct cb_workload {
  const char *name;
  const char *summary;
  cb_kind kind;                /* what it mostly waits on: the report's findings follow it */
  /* The parameter whose values move the work from one kind to the other (mixed's io_fraction),
   * or NULL: the crossover plot and finding sweep over it. */
  const char *sweep;
  unsigned flags;
  unsigned uses;               /* CB_USES_*: the groups of cb_io calls its tasks make */
  const cb_param_spec *params;
  unsigned nparams;
  uint32_t fds_per_worker;     /* descriptors a worker holds at once (a kept-alive connection) */
  /* Optional: the task count when the workload fixes it (crawl: the site's URLs); -n is then
   * ignored. */
  uint64_t (*tasks)(const cb_params *p);
  /* Optional: the target server's configuration for these parameters (CB_WL_SERVER). */
  void (*server)(const cb_params *p, struct cb_server_opts *o);
  /* Optional: build shared state before the workers start (inherited by fork children, so what
   * tasks change must live in MAP_SHARED memory). 0 or a negative error. */
  int (*setup)(const cb_setup *s, void **state);
  /* Task `index`; adds its contribution to the case checksum in *sum. 0 or a negative error. */
  int (*task)(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum);
  /* Optional: a worker has no task left (close what it kept open). */
  void (*worker_end)(cb_ctx *ctx, const cb_params *p, void *state);
  /* Optional: figures of its own for results.json; returns how many it wrote. */
  unsigned (*metrics)(void *state, cb_metric *out, unsigned max);
  /* Optional: after the workers are done; writes the output. 0 or a negative error. */
  int (*teardown)(void *state);
  /* The physical lower bound on wall time for n tasks run `conc` at a time on machine m;
   * NULL when the workload has no meaningful one (file IO). */
  double (*ideal)(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m);
  /* Optional: how many of n tasks fail on purpose (faults the parameters ask for): the run
   * fails only when the errors differ from that. */
  uint64_t (*expected_errors)(const cb_params *p, uint64_t n);
  /* Optional: whether a case with these parameters does CPU work at all (default: kind is not
   * io), for the flag that warns of CPU work at more concurrency than cores. */
  int (*computes)(const cb_params *p);
  /* How a serial backend (sync) orders the work, when that is not plain task order. */
  const char *serial_note;
  /* Optional (CB_WL_TMPDIR): the most bytes n tasks run conc at a time keep in the temporary
   * directory at once, checked against its free space before the case runs. */
  uint64_t (*disk_bytes)(const cb_params *p, uint64_t n, uint32_t conc);
  /* Optional (CB_WL_REDIS): whether these parameters need the Redis (default: yes). */
  int (*redis_needed)(const cb_params *p);
  /* Optional (CB_WL_REDIS): the most bytes of data a case keeps in Redis, for its maxmemory. */
  uint64_t (*redis_bytes)(const cb_params *p, uint64_t n, uint32_t conc);
  /* Optional (CB_WL_REDIS): the redis-benchmark run to compare the case with; 0 when there is one. */
  int (*redis_like)(const cb_params *p, cb_redis_like *out);
  /* Optional: its tasks serve connections under the harness's load (above); tasks = connections,
   * and the case's latency, errors, checksum and rate are the load's. */
  const cb_load_spec *load;
} cb_workload;

#endif
