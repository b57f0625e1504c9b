/* stats.c: summary statistics over repetitions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "stats.h"

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double cb_median(const double *v, size_t n) {
  cb_stats s;
  cb_stats_of(v, n, &s);
  return s.median;
}

void cb_stats_of(const double *v, size_t n, cb_stats *out) {
  memset(out, 0, sizeof *out);
  out->n = n;
  if (n == 0) return;
  double small[64], *w = n <= 64 ? small : malloc(n * sizeof *w);
  if (!w) return;
  memcpy(w, v, n * sizeof *w);
  qsort(w, n, sizeof *w, cmp_d);
  out->min = w[0];
  out->max = w[n - 1];
  out->median = n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += w[i];
  out->mean = sum / (double)n;
  double ss = 0;
  for (size_t i = 0; i < n; i++) ss += (w[i] - out->mean) * (w[i] - out->mean);
  out->stddev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
  if (w != small) free(w);
}
