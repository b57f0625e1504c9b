/* testutil.h: what the cmocka tests share: running concbench bounded in time, temporary directories, the fixture, JSON and CSV files, jobs on a backend, counting, processes left behind. */
#ifndef CB_TESTUTIL_H
#define CB_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "backend.h"
#include "job.h"
#include "resread.h"

/* The results file the tests of the reading commands start from. */
#define TU_FIXTURE CB_SOURCE_DIR "/tests/fixtures/results.json"

/* ---- time ------------------------------------------------------------------------------------ */

/* CLOCK_MONOTONIC in milliseconds. */
int64_t tu_now_ms(void);
/* Sleep ms milliseconds, the whole of them across signals. */
void tu_sleep_ms(long ms);

/* ---- files ----------------------------------------------------------------------------------- */

/* A fresh directory /tmp/cb-test-NAME-XXXXXX, its path into buf. 0, or -1 (no assertion: setups
 * call it). */
int tu_tmpdir(char *buf, size_t cap, const char *name);
/* rm -rf path without following links; directories a test made read-only get their owner's
 * permissions back first. 0 or -1. */
int tu_rmtree(const char *path);
/* path is there (lstat: a dangling symbolic link counts). */
int tu_exists(const char *path);
/* Entries of dir other than . and ..; those whose name starts with '.' also counted into
 * *hidden when given. -1 when dir cannot be opened. */
int tu_dir_entries(const char *dir, int *hidden);
/* A whole file, NUL-terminated, its size in *len when given; fails the test when unreadable. */
char *tu_read_file(const char *path, size_t *len);
/* Write len bytes to path atomically (cb_write_atomic), or fail the test. */
void tu_write_file(const char *path, const void *data, size_t len);
/* tu_write_file of a string. */
void tu_write_text(const char *path, const char *text);
/* The fixture copied to dir/results.json, dir made if missing. */
void tu_copy_fixture(const char *dir);
/* A JSON file parsed; fails the test when it is unreadable or not JSON. cJSON_Delete it. */
cJSON *tu_load_json(const char *path);
/* root written to path as JSON. */
void tu_save_json(const char *path, const cJSON *root);

/* ---- text ------------------------------------------------------------------------------------ */

/* Non-overlapping occurrences of needle in s. */
size_t tu_count(const char *s, const char *needle);
/* Newlines in s. */
size_t tu_lines(const char *s);
void tu_expect_in(const char *hay, const char *needle);
void tu_expect_not_in(const char *hay, const char *needle);

/* ---- running the binary ---------------------------------------------------------------------- */

/* $CB_BIN (ctest sets it to the concbench binary), or NULL when unset or empty. */
const char *tu_bin(void);
/* Skip the test when bin is NULL; fail it when bin is not executable. */
void tu_need_bin(const char *bin);

/* How to run it; NULL or zeroed for plain. */
typedef struct tu_opts {
  const char *sub;          /* a word between the binary and the arguments ("compare"), or NULL */
  const char *out;          /* what an "@OUT" argument stands for, or NULL */
  const char *cwd;          /* the child's working directory, or NULL */
  const char *const *env;   /* NULL-terminated changes: "NAME=value" sets NAME, "NAME" unsets it */
  long nproc;               /* > 0: RLIMIT_NPROC lowered to this in the child */
  int group;                /* the child leads a process group of its own; a timeout kills the group */
} tu_opts;

/* One run: stdin from /dev/null, stdout and stderr captured (in unlinked files, so nothing is
 * left in any directory a test looks at), SIGINT and SIGPIPE at their defaults. */
typedef struct tu_proc {
  pid_t pid;                /* the child, kept after it ends (with .group, its process group) */
  int status;               /* exit code, 128+signal, -1 when killed at the timeout, -2 unknown */
  int64_t took_ms;          /* from its start to its end */
  char *so, *se;            /* its stdout and stderr, NUL-terminated; NULL before the first run */
  /* private */
  const char *bin, *sub;
  int fo, fe, running, group;
  int64_t start_ms;
} tu_proc;

/* Start bin with args (NULL-terminated, argv[0] excluded). 0, or -errno; no assertion. */
int tu_spawn(tu_proc *p, const char *bin, const char *const *args, const tu_opts *o);
/* Wait up to timeout_ms for the child started by tu_spawn, killing it then; fill status,
 * took_ms, so and se. 0, -2 when it was killed at the timeout, -1 when its output could not be
 * read or it could not be waited for; no assertion. */
int tu_collect(tu_proc *p, long timeout_ms);
/* tu_collect, failing the test on a timeout (stderr in the message) or an error. */
void tu_wait(tu_proc *p, long timeout_ms);
/* tu_spawn then tu_wait, failing the test when either does not work. */
void tu_run(tu_proc *p, const char *bin, const char *const *args, const tu_opts *o, long timeout_ms);
/* Free its output; a child still running is killed and reaped. */
void tu_proc_free(tu_proc *p);
/* Wait up to timeout_ms for child pid: its exit code, 128+signal, -1 (then it is killed and
 * reaped), or -2 when it cannot be waited for. */
int tu_wait_exit(pid_t pid, long timeout_ms);

/* Exit status want, or fail with stdout and stderr in the message. */
void tu_expect_exit(const tu_proc *p, int want);
/* The error convention: exactly one non-empty line, "concbench: <message>", on stderr. */
void tu_expect_one_error_line(const tu_proc *p);
/* Refused usage: exit 2, one error line, nothing on stdout. */
void tu_expect_usage_error(const tu_proc *p);

/* ---- a test of the binary: its directory and its runs ------------------------------------- */

/* The arguments as a NULL-terminated array: TU_ARGS("list", "--help"). */
#define TU_ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* How long a run may take unless the test says otherwise. */
#define TU_RUN_TIMEOUT_MS 30000

typedef struct tu_cli {
  const char *bin;          /* tu_bin() */
  char dir[64];             /* a fresh temporary directory, removed by tu_cli_fini */
  char out[128];            /* dir/out: what an "@OUT" argument stands for; not created */
  tu_opts opts;             /* how every run is made; .out is out */
  long timeout_ms;          /* how long a run may take before it is killed */
  int reap;                 /* runs are made as our child subreaper, what they leave counted */
  int orphans;              /* with .reap: processes the last run left behind (killed since) */
  char orphan_what[256];    /* " PID COMM (STATE)" of each */
  tu_proc cmd;              /* the last run */
} tu_cli;

/* c set up with a fresh /tmp/cb-test-NAME-XXXXXX: 0, or -1 (no assertion: setups call it). */
int tu_cli_init(tu_cli *c, const char *name);
/* A test's fixture of size bytes, zeroed, that starts with a tu_cli set up by tu_cli_init; NULL
 * when that fails. free it after tu_cli_fini. */
void *tu_cli_new(size_t size, const char *name);
/* A run still going killed, its output freed, the directory removed: 0 or -1. */
int tu_cli_fini(tu_cli *c);
/* The cmocka setup and teardown of a test whose state is a tu_cli: 0 or -1. */
int tu_cli_setup(void **state, const char *name);
int tu_cli_teardown(void **state);
/* Run c->bin with args (NULL-terminated, argv[0] excluded) as c says. 0, -2 when it was killed
 * at the timeout, -1 when it could not be started, waited for or read; no assertion. */
int tu_cli_try(tu_cli *c, const char *const *args);
/* tu_cli_try, failing the test unless the run ended in time and was read. */
void tu_cli_run(tu_cli *c, const char *const *args);
/* Start c->bin with args as c says (not .reap) and leave it running: tu_wait(&c->cmd, ms). */
void tu_cli_spawn(tu_cli *c, const char *const *args);
/* Run the binary of c with the arguments after c: TU_RUN(c, "list", "--help"). */
#define TU_RUN(c, ...) tu_cli_run((c), TU_ARGS(__VA_ARGS__))

/* ---- the fixture of the commands that read results (export, merge) ------------------------- */

typedef struct tu_resfx {
  tu_cli cli;               /* the binary, a fresh temporary directory, the last run */
  cb_results fix;           /* TU_FIXTURE, read with cb_results_read */
} tu_resfx;

/* The cmocka setup's work, the directory being /tmp/cb-test-NAME-XXXXXX, runs bounded by
 * timeout_ms; 0 or -1. */
int tu_resfx_setup(void **state, const char *name, long timeout_ms);
/* The cmocka teardown: 0 or -1. */
int tu_resfx_teardown(void **state);

/* ---- CSV files (results.csv) ------------------------------------------------------------------ */

/* A CSV file read whole: a header, then rows of as many fields, each field read by its column's
 * name. */
typedef struct tu_csv {
  char path[256];
  char *text;               /* the file as it was read */
  char *buf;                /* a copy of it split into the fields */
  char **hdr;               /* the column names */
  int ncols;
  char ***rows;             /* the rows after the header */
  int nrows;
} tu_csv;

/* path read as CSV (RFC 4180 quotes undone); fails the test unless it is a header and rows of
 * as many fields, every line ended by a newline. tu_csv_free it. */
void tu_csv_load(tu_csv *t, const char *path);
/* tu_csv_load of dir/results.csv. */
void tu_csv_results(tu_csv *t, const char *dir);
void tu_csv_free(tu_csv *t);
/* The column named name, or -1. */
int tu_csv_col(const tu_csv *t, const char *name);
/* The field of row (0: the first after the header) in the column named name; fails the test when
 * there is no such column or row. */
const char *tu_csv_get(const tu_csv *t, int row, const char *name);
/* tu_csv_get as a number; fails the test when it is not one, whole. */
double tu_csv_num(const tu_csv *t, int row, const char *name);

/* ---- a job run directly on a backend ------------------------------------------------------- */

/* What a job runs. */
typedef struct tu_jobdef {
  const cb_workload *wl;
  const cb_params *params;  /* NULL: all zero */
  void *state;              /* the tasks' state (job.state) */
  uint64_t tasks;
  uint32_t conc;            /* at most this many at once; 1 on a serial backend */
  size_t stack;             /* threads' and coroutines' stacks; 0: the backend's default */
  double rate;              /* > 0: open loop, starting the moment the backend is called */
} tu_jobdef;

/* Set job up for d, run it on be, and sum it up into s when given. The backend's return code
 * (job->err says why it failed); when the job cannot be set up, cb_job_init's, with job->sh NULL,
 * job->err saying so and cb_job_free harmless. No assertion: forked checks call it. */
int tu_job_try(cb_job *job, const cb_backend *be, const tu_jobdef *d, cb_job_summary *s);
/* tu_job_try, failing the test (with job->err) unless the job was set up and the backend
 * returned 0. The caller reads job->sh->rec and cb_job_frees the job. */
void tu_job_run(cb_job *job, const cb_backend *be, const tu_jobdef *d, cb_job_summary *s);
/* 1 when this machine cannot run be (io_uring disabled or missing, say), after saying so on
 * stderr once per backend: the tests over every backend skip it, never fail silently. */
int tu_backend_skip(const cb_backend *be);
/* The backend called name, or fail the test. */
const cb_backend *tu_backend(const char *name);

/* ---- processes left behind ------------------------------------------------------------------- */

/* Which processes tu_procs looks for. */
typedef struct tu_procq {
  pid_t ppid;               /* the children of ppid */
  pid_t pgid;               /* > 0: and the members of this process group */
  pid_t except;             /* > 0: not this one */
  int zombies;              /* zombies count too */
} tu_procq;

/* How many processes match q (-1 when /proc cannot be read); the first one's pid into *first,
 * " PID COMM (STATE)" for each appended to what (cap bytes) when given. */
int tu_procs(const tu_procq *q, pid_t *first, char *what, size_t cap);
/* Reap our zombies and give the processes matching q up to ms to go: how many are left. */
int tu_lingering(const tu_procq *q, long ms, char *what, size_t cap);
/* After the run pid, with us its child subreaper: its children and ours (reaped meanwhile), given up
 * to ms to go. How many are left, " PID COMM (STATE)" of each into what (cap bytes); those are
 * killed. */
int tu_left_behind(pid_t pid, long ms, char *what, size_t cap);
/* SIGKILL the processes matching q until none is left (a bounded number of rounds), reaping. */
void tu_kill_procs(const tu_procq *q);
/* Reap every child of ours that has ended. */
void tu_reap(void);

/* ---- sockets --------------------------------------------------------------------------------- */

/* A listening TCP socket on 127.0.0.1 at a free port (into *port), or -1. */
int tu_listen_any(uint16_t *port);
/* All of buf written to fd, across short writes and EINTR. 0 or -1. */
int tu_write_all(int fd, const void *buf, size_t len);

#endif
