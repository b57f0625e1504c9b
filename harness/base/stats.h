/* stats.h: summary statistics over repetitions. */
#ifndef CB_STATS_H
#define CB_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct cb_stats {
  double median, mean, stddev, min, max;
  size_t n;
} cb_stats;

/* Statistics of v[0..n); v is left untouched. The stddev is the sample (n-1) one. */
void cb_stats_of(const double *v, size_t n, cb_stats *out);

/* Median of v[0..n) (mean of the middle two when n is even); v is left untouched. */
double cb_median(const double *v, size_t n);

/* Percentile of v[0..n) by linear interpolation between the closest ranks (numpy's default):
 * the value at rank (n-1)*pct/100 of the sorted data. pct is clamped to 0..100; v is left
 * untouched; 0 when n is 0; NaN when memory runs out. */
double cb_percentile(const double *v, size_t n, double pct);

/* The median, and the percentile as cb_percentile gives it, of w[0..n) in O(n) by selection:
 * w is reordered. 0 when n is 0. */
double cb_median_inplace(double *w, size_t n);
double cb_percentile_inplace(double *w, size_t n, double pct);

/* Bootstraps resample at most this many values per sample, so a case of 30,000 repetitions costs
 * what one of 1,000 does. */
#define CB_BOOT_MAX_REPS 1000
/* v[0..n) as a bootstrap resamples it, in a new array of *m values: a copy when n <=
 * CB_BOOT_MAX_REPS, else the CB_BOOT_MAX_REPS evenly spaced quantiles of v (its interval is then
 * that of 1,000 repetitions, a little wider). NULL when memory runs out. */
double *cb_boot_thin(const double *v, size_t n, size_t *m);

/* Median absolute deviation: median of |v[i] - median(v)|, raw (not scaled by 1.4826). 0 when
 * n is 0; NaN when memory runs out. */
double cb_mad(const double *v, size_t n);

/* flags[i] = 1 when |v[i] - median| > k * 1.4826 * MAD (1.4826 * MAD estimates the stddev of
 * normal data; k = 3.5 is the usual cut), else 0. When MAD is 0 (over half the values equal),
 * every value that differs from the median is flagged. Returns how many were flagged, -EINVAL
 * for a NULL flags with n > 0, -ENOMEM. */
int cb_outliers_mad(const double *v, size_t n, double k, unsigned char *flags);

/* Percentile-bootstrap confidence interval of the median at `level` (0.95 for 95%): `resamples`
 * resamples of n drawn with replacement by a PRNG (xoshiro256**) seeded from `seed`, so the
 * same inputs and seed always give the same interval; samples beyond CB_BOOT_MAX_REPS are thinned
 * (cb_boot_thin). n = 1 gives lo = hi = v[0]; n = 0 gives
 * 0, 0; resamples = 0 gives the sample median twice; NaN, NaN when memory runs out. */
void cb_bootstrap_median_ci(const double *v, size_t n, double level, unsigned resamples,
                            uint64_t seed, double *lo, double *hi);

/* Coefficient of variation, stddev / |mean|; 0 when the mean is 0. */
double cb_cv(const cb_stats *s);

/* Mann-Whitney U test of a against b. *u = U1 = R1 - na(na+1)/2 (R1 the rank sum of a, ties
 * given mid-ranks), so U1 near na*nb means a's values tend to be larger. *p = the two-sided
 * p-value: exact (the U distribution counted in 64-bit integers) when there are no ties and the
 * C(na+nb, na) arrangements fit in 64 bits (up to 33 against 33, or few against many);
 * otherwise the normal approximation with tie and continuity corrections. u or p may be NULL.
 * 0, -EINVAL for an empty sample or a NaN, -ENOMEM. */
int cb_mann_whitney(const double *a, size_t na, const double *b, size_t nb, double *u,
                    double *p_two_sided);

/* A seeded generator (xoshiro256** seeded through splitmix64), the same on every libc: resampling
 * is reproducible from the seed alone. */
typedef struct cb_rng {
  uint64_t s[4];
} cb_rng;

void cb_rng_seed(cb_rng *r, uint64_t seed);
uint64_t cb_rng_next(cb_rng *r);
/* Uniform in [0, n), n > 0, without modulo bias. */
uint64_t cb_rng_below(cb_rng *r, uint64_t n);

#endif
