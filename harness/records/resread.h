/* resread.h: reading a run's results.json back: for plots, the report, compare, merge and export.
 * Written for untrusted input: a truncated or corrupt file is an error with a reason, never a
 * crash. */
#ifndef CB_RESREAD_H
#define CB_RESREAD_H

#include <stddef.h>
#include <stdint.h>
#include "hist.h"
#include "strmap.h"
#include "workload.h"

struct cJSON;

typedef struct cb_rparam {
  char name[32];
  double value;
} cb_rparam;

/* What the file says of a backend and a workload of the run: the layers above read these, never
 * a name. A file written before they were recorded gets them from this binary's tables. */
typedef struct cb_rbackend {
  char name[32];
  unsigned flags;        /* CB_BACKEND_* */
  char extends[32];      /* the backend it builds on, or "" */
} cb_rbackend;

typedef struct cb_rworkload {
  char name[32];
  int kind;              /* cb_kind */
  char sweep[32];        /* its crossover axis (a parameter), or "" */
  int has_ideal;
  int serves;            /* a server under a load process: rate, latency and errors are its figures */
} cb_rworkload;

/* One case of a results file. Figures absent from the file are NAN. */
typedef struct cb_rcase {
  char workload[32], backend[32];
  char skipped[200];     /* why the machine could not run it ("needs 20001 processes, limit 4096"),
                            or "" when measured; a skipped case has reps 0, wall NULL, NAN figures */
  char params_str[256];
  cb_rparam params[CB_MAX_PARAMS];
  unsigned nparams;
  uint64_t tasks;
  int sized_by_time;     /* its tasks were chosen by time (tasks = auto), so another run may differ */
  uint32_t conc, eff_conc;
  unsigned reps;
  double *wall;          /* the repetitions' wall times, reps of them */
  double wall_median, wall_mean, wall_stddev, wall_min, wall_max, wall_cv, ci_lo, ci_hi;
  double cpu_user_s, cpu_sys_s, peak_rss_kib, ctx_voluntary, ctx_involuntary;
  double peak_threads, peak_procs, peak_fds, server_cpu_s;
  double p50_ms, p90_ms, p99_ms, p999_ms, max_ms;
  double errors, not_found;
  double ideal_s, efficiency;      /* NAN when the workload has none */
  double rate_target, rate_achieved;   /* NAN in closed-loop runs */
  double connections;    /* the load's keep-alive connections (a workload that serves), else NAN */
  char checksum[17];
  char flags[128];       /* "cv;load" */
  const char *lat_buckets;   /* the task latency histogram's encoding (checked on reading), or NULL:
                                cb_rcase_hist decodes it. Kept encoded: decoded, it is 16 KiB a case,
                                and 20,000 cases took 330 MB for a figure only the plots read */
  const struct cJSON *json;   /* the case's object, for what is not above (owned by cb_results) */
  const cb_rbackend *be;      /* its backend and workload as the file describes them; never NULL */
  const cb_rworkload *wl;
} cb_rcase;

typedef struct cb_results {
  char path[4096];       /* the results.json read */
  char dir[4096];        /* its directory */
  struct cJSON *root;
  const struct cJSON *env;    /* "environment" */
  uint32_t cores;
  char build_type[32];
  char git_revision[64];
  char status[16];       /* "complete" or "partial" */
  cb_rcase *cases;
  size_t n;
  cb_rbackend *backends;      /* in the order the run first used them */
  size_t nbackends;
  cb_rworkload *workloads;
  size_t nworkloads;
  cb_strmap bmap, wmap;       /* backends and workloads by name (their index) */
  size_t *cindex, ncindex;    /* cases by key: a hash table of index + 1 (0 empty), ncindex a power
                                 of two, for cb_results_find */
} cb_results;

/* The largest results file read (results.json, and results.csv when copied): a regular file
 * only, refused beyond this before a byte is read. */
#define CB_RESULTS_MAX_BYTES ((size_t)512 << 20)
/* Read DIR/results.json, or the file itself when path names one. 0, or a negative error with a
 * one-line reason in err ("results.json: case 3 has no wall_s"). */
int  cb_results_read(const char *path, cb_results *out, char *err, size_t len);
/* The same from text already in memory (fuzzing, tests); name is used in messages. */
int  cb_results_parse(const char *text, size_t len, const char *name, cb_results *out, char *err, size_t errlen);
void cb_results_free(cb_results *r);
/* Frees the parsed cases' JSON once their figures are read, for a reader that needs no more of
 * them (compare): the tree is most of a file's memory, 9 times its size. Each case's json and
 * lat_buckets become NULL; the rest of r stays. */
void cb_results_shed(cb_results *r);

/* The case of r with this workload, backend, parameters and concurrency, or NULL. */
const cb_rcase *cb_results_find(const cb_results *r, const char *workload, const char *backend,
                                const char *params_str, uint32_t conc);
/* The file's description of a backend or workload by name, or NULL. */
const cb_rbackend *cb_results_backend(const cb_results *r, const char *name);
const cb_rworkload *cb_results_workload(const cb_results *r, const char *name);
/* c's task latency histogram into h: 0, or -ENOENT when the file has none. */
int cb_rcase_hist(const cb_rcase *c, cb_hist *h);
/* The value of parameter name in c, or NAN. */
double cb_rcase_param(const cb_rcase *c, const char *name);

#endif
