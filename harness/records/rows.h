/* rows.h: a case summed up over its repetitions (its row), computed once per round and passed to
 * whatever shows, writes or checks it. */
#ifndef CB_ROWS_H
#define CB_ROWS_H

#include "plan.h"
#include "stats.h"

/* Validity flags: reasons to read a row with care. */
enum {
  CB_FLAG_CV = 1u << 0,          /* wall time varied by more than 10% between repetitions */
  CB_FLAG_ERRORS = 1u << 1,      /* some tasks failed */
  CB_FLAG_BUSY = 1u << 2,        /* other processes took CPU during a repetition, still after retries (cb_sample.busy) */
  CB_FLAG_SERVER = 1u << 3,      /* the target server used over 90% of a core: it may be the bottleneck */
  CB_FLAG_OVERSUB = 1u << 4,     /* CPU work asked at more concurrency than there are cores */
  CB_FLAG_TIMEOUT = 1u << 5,     /* a repetition was stopped by --case-timeout */
};
#define CB_NFLAGS 6

/* One case summed up over its repetitions: the wall statistics with a bootstrap confidence
 * interval of the median, the medians of the other figures, errors summed over every repetition,
 * latency percentiles from the histogram merged over the repetitions. */
typedef struct cb_row {
  cb_stats wall;
  double cv;
  double ci_lo, ci_hi;   /* 95% confidence interval of the median wall time */
  unsigned outliers;
  double user_s, sys_s;
  double peak_rss_kib;
  double ctx_voluntary, ctx_involuntary;
  double p50_ms, p90_ms, p99_ms, p999_ms, max_ms;
  double rate_achieved;
  double peak_threads, peak_procs, peak_fds;
  double server_cpu_s;
  uint64_t errors;
  double not_found;
  double efficiency;     /* NaN when the workload has no ideal */
  uint64_t checksum;
  int checksum_stable;   /* every clean repetition gave the same checksum */
  unsigned flags;        /* CB_FLAG_* */
} cb_row;

void cb_row_of(const cb_case *c, uint64_t seed, cb_row *r);

/* "cv;errors": the flags' names, joined by ';' (empty when none). */
void cb_flags_format(unsigned flags, char *buf, size_t len);

/* Rows of every case of plan with repetitions, into rows[0..plan->n) (cases without any get a
 * zeroed row). The bootstrap makes this the costly step: do it once per round. */
void cb_rows_compute(const cb_plan *plan, cb_row *rows);

/* The validity flags' names, in bit order ("cv", "errors", ...). */
extern const char *const cb_flag_names[CB_NFLAGS];

#endif
