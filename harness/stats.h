/* stats.h: summary statistics over repetitions. */
#ifndef CB_STATS_H
#define CB_STATS_H

#include <stddef.h>

typedef struct cb_stats {
  double median, mean, stddev, min, max;
  size_t n;
} cb_stats;

/* Statistics of v[0..n); v is left untouched. The stddev is the sample (n-1) one. */
void cb_stats_of(const double *v, size_t n, cb_stats *out);

/* Median of v[0..n) (mean of the middle two when n is even); v is left untouched. */
double cb_median(const double *v, size_t n);

#endif
