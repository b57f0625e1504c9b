/* results.h: a case's row over its repetitions, and the results.csv / results.json writers. */
#ifndef CB_RESULTS_H
#define CB_RESULTS_H

#include "plan.h"
#include "stats.h"

/* One case summed up over its repetitions: the wall statistics, the medians of the other
 * figures, errors summed over every repetition. */
typedef struct cb_row {
  cb_stats wall;
  double user_s, sys_s;
  double peak_rss_kib;
  double ctx_voluntary, ctx_involuntary;
  double p50_ms, p99_ms, max_ms;
  uint64_t errors;
  double not_found;
  double efficiency;     /* NaN when the workload has no ideal */
  uint64_t checksum;
  int checksum_stable;   /* every clean repetition gave the same checksum */
} cb_row;

void cb_row_of(const cb_case *c, cb_row *r);

/* The CSV header: the names scripts and CI rely on (DESIGN.md), in order. */
extern const char cb_csv_header[];

/* Write DIR/results.csv and DIR/results.json atomically from the cases measured so far. */
int cb_results_write(const char *dir, const cb_plan *plan, const cb_machine *m,
                     int argc, char **argv, const char *status);

#endif
