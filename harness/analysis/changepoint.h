/* changepoint.h: change points in a series of run medians, by E-Divisive means with a significance
 * test, as Apache Otava (formerly Hunter) finds them: otava/analysis.py compute_change_points. */
#ifndef CB_CHANGEPOINT_H
#define CB_CHANGEPOINT_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  CB_CP_TTEST,         /* Otava's default: Student's t-test between the segments either side */
  CB_CP_PERMUTATION,   /* the original E-Divisive test (Matteson and James): permutations of the
                          segments, seeded */
} cb_cp_test;

typedef struct cb_cp_cfg {
  double max_pvalue;       /* a change must have p <= this (Otava's default 0.001) */
  double min_magnitude;    /* and a relative change above this (Otava's default 0) */
  size_t window;           /* the split step's sliding window (Otava's default 50) */
  size_t min_after;        /* every segment needs this many values (default 2): one slow last run
                              (another job took a core) is not a change until the next agrees */
  cb_cp_test test;
  unsigned permutations;   /* for CB_CP_PERMUTATION (default 199) */
  uint64_t seed;           /* its generator's seed: the same series and seed, the same answer */
} cb_cp_cfg;

/* One change: the series moves from one level to another at index (its first value after). */
typedef struct cb_cp {
  size_t index;
  double mean_before, mean_after;   /* the means of the segments either side */
  double ratio;                     /* mean_after / mean_before */
  double pvalue;
  double qhat;                      /* the E-Divisive statistic that chose the split */
} cb_cp;

/* Fewer values than this, and a series is not analysed: nothing can be decided. */
#define CB_CP_MIN_POINTS 5

void cb_cp_defaults(cb_cp_cfg *cfg);
/* The change points of x[0..n), in index order, into *out (malloc'ed, *nout of them; NULL when
 * none). Pure: the same x and cfg give the same answer. 0, -EINVAL (a NaN, n too large), -ENOMEM.
 * A series shorter than CB_CP_MIN_POINTS has none. */
int cb_changepoints(const double *x, size_t n, const cb_cp_cfg *cfg, cb_cp **out, size_t *nout);

/* Internal (tests): the E-Divisive candidate of x[s..e): the split tau (s < tau < e) that maximises
 * Q-hat over every tau < kappa <= e; returns Q-hat, the split in *tau. e - s >= 2. */
double cb__cp_candidate(const double *x, size_t s, size_t e, size_t *tau);
/* Internal (tests): the two-sided p-value of Student's t-test of a[0..na) against b[0..nb). */
double cb__cp_ttest(const double *a, size_t na, const double *b, size_t nb);

#endif
