/* test_stats.c: cmocka tests for the summary statistics (harness/stats.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

/* Relative tolerance for values computed in floating point by two different routes. */
#define assert_close(a, b)                                                         \
  do {                                                                             \
    double a_ = (a), b_ = (b);                                                     \
    double tol_ = 1e-12 * (fabs(a_) > fabs(b_) ? fabs(a_) : fabs(b_)) + 1e-15;     \
    if (!(fabs(a_ - b_) <= tol_)) fail_msg("%s = %.17g, expected %.17g", #a, a_, b_); \
  } while (0)

/* The input must come back bit for bit as it went in. */
static void check_untouched(const double *v, const double *orig, size_t n) {
  assert_memory_equal(v, orig, n * sizeof *v);
}

static void median_odd(void **state) {
  (void)state;
  const double v[] = { 9.0, -1.0, 3.0, 7.0, 3.5 };   /* sorted: -1 3 3.5 7 9 */
  double copy[5];
  memcpy(copy, v, sizeof v);
  assert_close(cb_median(copy, 5), 3.5);
  check_untouched(copy, v, 5);

  const double one_dup[] = { 2.0, 2.0, 1.0 };
  assert_close(cb_median(one_dup, 3), 2.0);
}

static void median_even(void **state) {
  (void)state;
  const double v[] = { 4.0, 1.0, 10.0, 2.0 };         /* sorted: 1 2 4 10: (2+4)/2 */
  double copy[4];
  memcpy(copy, v, sizeof v);
  assert_close(cb_median(copy, 4), 3.0);
  check_untouched(copy, v, 4);

  const double two[] = { 0.25, -0.75 };
  assert_close(cb_median(two, 2), -0.25);
}

static void unsorted_input_untouched(void **state) {
  (void)state;
  const double orig[] = { 5.0, 3.0, 9.0, 1.0, 7.0, 2.0, 8.0 };
  double v[7];
  cb_stats s;
  memcpy(v, orig, sizeof v);
  cb_stats_of(v, 7, &s);
  check_untouched(v, orig, 7);
  (void)cb_median(v, 7);
  check_untouched(v, orig, 7);
  assert_close(s.median, 5.0);
}

static void min_max_mean(void **state) {
  (void)state;
  const double v[] = { 3.0, -2.5, 10.0, 0.5, 4.0, -2.5 };
  cb_stats s;
  cb_stats_of(v, 6, &s);
  assert_int_equal(s.n, 6);
  assert_close(s.min, -2.5);
  assert_close(s.max, 10.0);
  assert_close(s.mean, (3.0 - 2.5 + 10.0 + 0.5 + 4.0 - 2.5) / 6.0);
  /* sorted: -2.5 -2.5 0.5 3 4 10 */
  assert_close(s.median, (0.5 + 3.0) / 2.0);
}

static void sample_stddev_known_data(void **state) {
  (void)state;
  /* Mean 5, squared deviations 9+1+1+1+0+0+4+16 = 32: sample variance 32/7. */
  const double v[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
  cb_stats s;
  cb_stats_of(v, 8, &s);
  assert_int_equal(s.n, 8);
  assert_close(s.mean, 5.0);
  assert_close(s.stddev, sqrt(32.0 / 7.0));
  assert_close(s.median, 4.5);
  assert_close(s.min, 2.0);
  assert_close(s.max, 9.0);
}

static void stddev_of_constant_is_zero(void **state) {
  (void)state;
  const double v[] = { 0.1, 0.1, 0.1, 0.1 };
  cb_stats s;
  cb_stats_of(v, 4, &s);
  assert_true(s.stddev >= 0.0 && s.stddev < 1e-15);
  assert_close(s.mean, 0.1);
}

static void n_zero(void **state) {
  (void)state;
  double v[1] = { 42.0 };
  cb_stats s;
  memset(&s, 0x5a, sizeof s);   /* garbage that must be overwritten */
  cb_stats_of(v, 0, &s);
  assert_int_equal(s.n, 0);
  assert_true(s.median == 0 && s.mean == 0 && s.stddev == 0 && s.min == 0 && s.max == 0);
  assert_true(cb_median(v, 0) == 0);
  assert_true(v[0] == 42.0);
}

static void n_one(void **state) {
  (void)state;
  const double v[] = { -3.25 };
  cb_stats s;
  memset(&s, 0x5a, sizeof s);
  cb_stats_of(v, 1, &s);
  assert_int_equal(s.n, 1);
  assert_close(s.median, -3.25);
  assert_close(s.mean, -3.25);
  assert_close(s.min, -3.25);
  assert_close(s.max, -3.25);
  assert_true(s.stddev == 0.0);   /* no spread from one sample, and no division by n-1 = 0 */
  assert_close(cb_median(v, 1), -3.25);
}

/* Large inputs go through a heap copy: a fixture holds the data. */
typedef struct big {
  double *v, *orig;
  size_t n;
} big;

static size_t gcd(size_t a, size_t b) {
  while (b) {
    size_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

static int big_setup(size_t n, void **state) {
  big *b = calloc(1, sizeof *b);
  if (!b) return -1;
  b->n = n;
  b->v = malloc(n * sizeof *b->v);
  b->orig = malloc(n * sizeof *b->orig);
  if (!b->v || !b->orig) {
    free(b->v);
    free(b->orig);
    free(b);
    return -1;
  }
  /* A permutation of 0..n-1 (the stride is coprime with n), so nothing arrives sorted. */
  size_t stride = 7919;
  while (n > 1 && gcd(stride, n) != 1) stride += 2;
  for (size_t i = 0; i < n; i++) b->v[i] = (double)((i * stride) % n);
  memcpy(b->orig, b->v, n * sizeof *b->v);
  *state = b;
  return 0;
}

static int big_teardown(void **state) {
  big *b = *state;
  if (b) {
    free(b->v);
    free(b->orig);
    free(b);
  }
  return 0;
}

static int setup_1001(void **state) { return big_setup(1001, state); }
static int setup_100(void **state) { return big_setup(100, state); }
static int setup_65(void **state) { return big_setup(65, state); }
static int setup_64(void **state) { return big_setup(64, state); }

/* Values 0..n-1 in some order: known median, mean, extremes and sample stddev. */
static void check_permutation(void **state);
/* 64 fills the on-stack buffer exactly; 65 and up take the heap copy. */
static void perm_64(void **state) { check_permutation(state); }
static void perm_65(void **state) { check_permutation(state); }
static void perm_100(void **state) { check_permutation(state); }
static void perm_1001(void **state) { check_permutation(state); }

static void check_permutation(void **state) {
  big *b = *state;
  size_t n = b->n;
  cb_stats s;

  /* The fixture really is a permutation of 0..n-1. */
  char *seen = calloc(n, 1);
  assert_non_null(seen);
  for (size_t i = 0; i < n; i++) {
    size_t k = (size_t)b->v[i];
    assert_true(k < n && !seen[k]);
    seen[k] = 1;
  }
  free(seen);

  cb_stats_of(b->v, n, &s);
  check_untouched(b->v, b->orig, n);
  assert_int_equal(s.n, n);
  assert_close(s.min, 0.0);
  assert_close(s.max, (double)(n - 1));
  assert_close(s.mean, (double)(n - 1) / 2.0);
  assert_close(s.median, (double)(n - 1) / 2.0);
  /* sum of (i - (n-1)/2)^2 over 0..n-1 = n(n^2-1)/12 */
  double nn = (double)n;
  assert_close(s.stddev, sqrt(nn * (nn * nn - 1.0) / 12.0 / (nn - 1.0)));
  assert_close(cb_median(b->v, n), (double)(n - 1) / 2.0);
  check_untouched(b->v, b->orig, n);
}

static void heap_path_skewed(void **state) {
  (void)state;
  /* 200 values: 199 ones and one huge outlier placed first; median 1, max the outlier. */
  enum { N = 200 };
  double v[N], orig[N];
  for (int i = 0; i < N; i++) v[i] = 1.0;
  v[0] = 1e9;
  memcpy(orig, v, sizeof v);
  cb_stats s;
  cb_stats_of(v, N, &s);
  check_untouched(v, orig, N);
  assert_close(s.median, 1.0);
  assert_close(s.min, 1.0);
  assert_close(s.max, 1e9);
  assert_close(s.mean, (1e9 + 199.0) / N);
}

/* --- percentiles, MAD, outliers, bootstrap, CV, Mann-Whitney ------------------------------ */

static void percentile_hand_computed(void **state) {
  (void)state;
  /* Sorted 15 20 35 40 50; rank (n-1)p/100 interpolated: p40 -> 1.6 -> 20 + 0.6 * 15 = 29. */
  const double v[] = { 40, 15, 50, 35, 20 };
  double copy[5];
  memcpy(copy, v, sizeof v);
  assert_close(cb_percentile(copy, 5, 0), 15);
  assert_close(cb_percentile(copy, 5, 25), 20);
  assert_close(cb_percentile(copy, 5, 40), 29);
  assert_close(cb_percentile(copy, 5, 50), 35);
  assert_close(cb_percentile(copy, 5, 75), 40);
  assert_close(cb_percentile(copy, 5, 90), 46);    /* 3.6 -> 40 + 0.6 * 10 */
  assert_close(cb_percentile(copy, 5, 99), 49.6);  /* 3.96 -> 40 + 0.96 * 10 */
  assert_close(cb_percentile(copy, 5, 100), 50);
  assert_close(cb_percentile(copy, 5, -1), 15);    /* clamped */
  assert_close(cb_percentile(copy, 5, 250), 50);
  check_untouched(copy, v, 5);
  /* Even n: p50 is the median; p10 of 1..4 is 1 + 0.3. */
  const double w[] = { 4, 3, 2, 1 };
  assert_close(cb_percentile(w, 4, 50), 2.5);
  assert_close(cb_percentile(w, 4, 10), 1.3);
  assert_close(cb_percentile(w, 4, 100.0 / 3), 2.0);
  const double one[] = { 7.5 };
  assert_close(cb_percentile(one, 1, 0), 7.5);
  assert_close(cb_percentile(one, 1, 63), 7.5);
  assert_true(cb_percentile(one, 0, 50) == 0);
}

static void mad_known_data(void **state) {
  (void)state;
  /* Median 2, deviations 1 1 0 0 2 4 7 -> sorted 0 0 1 1 2 4 7: MAD 1. */
  const double v[] = { 1, 1, 2, 2, 4, 6, 9 };
  double copy[7];
  memcpy(copy, v, sizeof v);
  assert_close(cb_mad(copy, 7), 1.0);
  check_untouched(copy, v, 7);
  /* Median 2.5, deviations 1.5 0.5 0.5 1.5: MAD 1. */
  const double e[] = { 3, 1, 4, 2 };
  assert_close(cb_mad(e, 4), 1.0);
  /* Median 10, deviations 0 0 0 90 1: MAD 0 whatever the outlier. */
  const double c[] = { 10, 10, 10, 100, 9 };
  assert_true(cb_mad(c, 5) == 0);
  const double s[] = { -3, 5, 11 };   /* median 5, deviations 8 0 6 -> 6 */
  assert_close(cb_mad(s, 3), 6.0);
  assert_true(cb_mad(s, 0) == 0);
  assert_true(cb_mad(s, 1) == 0);
}

static void outliers_planted(void **state) {
  (void)state;
  enum { N = 30 };
  double v[N], orig[N];
  unsigned char flags[N];
  /* Clean: 100..104.5 in steps of 0.5, median ~102, MAD ~1.5, cut ~7.8: nothing flagged. */
  for (int i = 0; i < N; i++) v[i] = 100 + 0.5 * (double)((i * 7) % 10);
  memcpy(orig, v, sizeof v);
  memset(flags, 0xee, sizeof flags);
  assert_int_equal(cb_outliers_mad(v, N, 3.5, flags), 0);
  for (int i = 0; i < N; i++) assert_int_equal(flags[i], 0);
  check_untouched(v, orig, N);
  /* Plant two slow repetitions and one fast one. */
  v[3] = 180;
  v[17] = 131;
  v[25] = 60;
  assert_int_equal(cb_outliers_mad(v, N, 3.5, flags), 3);
  for (int i = 0; i < N; i++) assert_int_equal(flags[i], i == 3 || i == 17 || i == 25);
  /* A tighter k flags more, a looser one fewer. */
  assert_int_equal(cb_outliers_mad(v, N, 1000, flags), 0);
  /* MAD 0: every value off the median is flagged, however close. */
  const double c[] = { 5, 5, 5, 5, 5.001, 5, 4 };
  unsigned char f2[7];
  assert_int_equal(cb_outliers_mad(c, 7, 3.5, f2), 2);
  assert_true(f2[4] == 1 && f2[6] == 1 && f2[0] == 0 && f2[5] == 0);
  assert_int_equal(cb_outliers_mad(c, 0, 3.5, NULL), 0);
  assert_int_equal(cb_outliers_mad(c, 7, 3.5, NULL), -EINVAL);
  /* Known cut: median 10, MAD 1 -> cut 3.5 * 1.4826 = 5.1891: 15.18 stays, 15.20 goes. */
  const double k[] = { 9, 10, 11, 10, 9, 11, 10, 15.18, 4.82 };
  unsigned char f3[9];
  assert_int_equal(cb_outliers_mad(k, 9, 3.5, f3), 0);
  const double k2[] = { 9, 10, 11, 10, 9, 11, 10, 15.20, 4.80 };
  assert_int_equal(cb_outliers_mad(k2, 9, 3.5, f3), 2);
  assert_true(f3[7] && f3[8]);
}

/* The test's own generator (splitmix64) for sample data. */
static uint64_t sm_state;
static double sm01(void) {
  uint64_t z = (sm_state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

static void bootstrap_ci(void **state) {
  (void)state;
  double lo, hi, lo2, hi2;
  const double v[] = { 12.1, 11.8, 12.5, 13.0, 11.9, 12.2, 12.0, 14.1, 12.3, 11.7, 12.4 };
  double copy[11];
  memcpy(copy, v, sizeof v);
  double med = 12.2;   /* sorted: 11.7 11.8 11.9 12.0 12.1 [12.2] 12.3 12.4 12.5 13.0 14.1 */
  cb_bootstrap_median_ci(copy, 11, 0.95, 10000, 42, &lo, &hi);
  check_untouched(copy, v, 11);
  assert_true(lo <= med && med <= hi);
  assert_true(lo < hi);
  assert_true(lo >= 11.7 && hi <= 14.1);
  /* Same seed, same interval, bit for bit. */
  cb_bootstrap_median_ci(copy, 11, 0.95, 10000, 42, &lo2, &hi2);
  assert_memory_equal(&lo, &lo2, sizeof lo);
  assert_memory_equal(&hi, &hi2, sizeof hi);
  /* A wider level is no narrower. */
  cb_bootstrap_median_ci(copy, 11, 0.50, 10000, 42, &lo2, &hi2);
  assert_true(lo2 >= lo && hi2 <= hi && lo2 <= med && med <= hi2);
  /* n = 1: a point; n = 0: zeros. */
  cb_bootstrap_median_ci(v, 1, 0.95, 10000, 7, &lo, &hi);
  assert_true(lo == 12.1 && hi == 12.1);
  cb_bootstrap_median_ci(v, 0, 0.95, 10000, 7, &lo, &hi);
  assert_true(lo == 0 && hi == 0);
  /* Even n: the median of two is their mean, and both resampled extremes can occur. */
  const double two[] = { 1, 3 };
  cb_bootstrap_median_ci(two, 2, 0.95, 10000, 9, &lo, &hi);
  assert_true(lo == 1 && hi == 3);
}

static void bootstrap_narrows_with_n(void **state) {
  (void)state;
  /* Uniform(0, 1): the median's standard error is 1 / (2 f(m) sqrt(n)) = 0.5 / sqrt(n), so a
   * 95% interval is about 2 * 1.96 * 0.5 / sqrt(n) wide: 0.31 at n = 40, 0.044 at n = 2001. */
  static const size_t ns[] = { 10, 40, 200, 2001 };
  double prev = INFINITY;
  for (size_t k = 0; k < 4; k++) {
    size_t n = ns[k];
    double *v = malloc(n * sizeof *v), lo, hi;
    assert_non_null(v);
    sm_state = 1000 + n;
    for (size_t i = 0; i < n; i++) v[i] = sm01();
    double med = cb_median(v, n);
    cb_bootstrap_median_ci(v, n, 0.95, 2000, 5, &lo, &hi);
    assert_true(lo <= med && med <= hi);
    double width = hi - lo, theory = 1.96 / sqrt((double)n);
    print_message("bootstrap 95%% CI of the median, n=%-5zu width %.4f (theory ~%.4f)\n", n,
                  width, theory);
    assert_true(width < prev);
    if (n >= 200) assert_true(width > 0.6 * theory && width < 1.5 * theory);
    prev = width;
    free(v);
  }
}

static void cv_values(void **state) {
  (void)state;
  cb_stats s;
  const double v[] = { 2, 4, 4, 4, 5, 5, 7, 9 };   /* mean 5, sample stddev sqrt(32/7) */
  cb_stats_of(v, 8, &s);
  assert_close(cb_cv(&s), sqrt(32.0 / 7.0) / 5.0);
  const double z[] = { -1, 1 };
  cb_stats_of(z, 2, &s);
  assert_true(cb_cv(&s) == 0);
  cb_stats_of(z, 0, &s);
  assert_true(cb_cv(&s) == 0);
}

/* U by its definition, pairs won: independent of the rank-sum route the code takes. */
static double u_by_pairs(const double *a, size_t na, const double *b, size_t nb) {
  double u = 0;
  for (size_t i = 0; i < na; i++)
    for (size_t j = 0; j < nb; j++) u += a[i] > b[j] ? 1 : a[i] == b[j] ? 0.5 : 0;
  return u;
}

/* Exact two-sided p by trying every way of giving na of the ranks 1..N to sample a. */
static double p_brute(size_t na, size_t nb, double u) {
  size_t n = na + nb;
  uint64_t le = 0, ge = 0, all = 0;
  for (uint32_t mask = 0; mask < (UINT32_C(1) << n); mask++) {
    if ((size_t)__builtin_popcount(mask) != na) continue;
    double r = 0;
    for (size_t i = 0; i < n; i++)
      if (mask >> i & 1) r += (double)(i + 1);
    double uu = r - (double)na * (double)(na + 1) / 2;
    all++;
    le += uu <= u;
    ge += uu >= u;
  }
  double p = 2.0 * (double)(le < ge ? le : ge) / (double)all;
  return p > 1 ? 1 : p;
}

static void mann_whitney_exact_vs_brute_force(void **state) {
  (void)state;
  double a[10], b[10], u, p;
  sm_state = 4242;
  int cases = 0;
  for (size_t na = 1; na <= 8; na++)
    for (size_t nb = 1; nb <= 8; nb++)
      for (int rep = 0; rep < 3; rep++) {
        /* Distinct values (continuous draws), b shifted a little so p varies. */
        for (size_t i = 0; i < na; i++) a[i] = sm01();
        for (size_t i = 0; i < nb; i++) b[i] = sm01() + 0.3 * rep;
        assert_int_equal(cb_mann_whitney(a, na, b, nb, &u, &p), 0);
        double want_u = u_by_pairs(a, na, b, nb);
        assert_close(u, want_u);
        assert_close(p, p_brute(na, nb, want_u));
        cases++;
      }
  /* The tortoise and the hare (Wikipedia): finishing order T H H H H H T T T T T H; with lower
   * times better, the tortoises' U is the pairs they won, 11; exact p from the enumeration. */
  const double tort[] = { 1, 7, 8, 9, 10, 11 }, hare[] = { 2, 3, 4, 5, 6, 12 };
  assert_int_equal(cb_mann_whitney(hare, 6, tort, 6, &u, &p), 0);
  assert_close(u, 11);   /* hares "larger" (slower) than tortoises in 11 of 36 pairs */
  assert_close(p, p_brute(6, 6, 11));
  print_message("exact p checked against enumeration in %d cases; tortoise/hare p=%.4f\n", cases, p);
}

/* Positions (1-based ranks) for sample a of size m among m + n that give exactly U: push the top
 * ranks up, each at most n. Values are the ranks themselves. */
static void build_u(size_t m, size_t n, unsigned target, double *a, double *b) {
  size_t pos[40];
  for (size_t i = 0; i < m; i++) pos[i] = i + 1;
  for (size_t i = m; i-- > 0 && target;) {
    unsigned add = target < n ? target : (unsigned)n;
    pos[i] += add;
    target -= add;
  }
  size_t ia = 0, ib = 0;
  for (size_t r = 1; r <= m + n; r++) {
    int in_a = 0;
    for (size_t i = 0; i < m; i++) in_a |= pos[i] == r;
    if (in_a) a[ia++] = (double)r;
    else b[ib++] = (double)r;
  }
}

static void mann_whitney_textbook(void **state) {
  (void)state;
  double a[40], b[40], u, p;
  /* Completely separated 10 vs 10: p = 2 / C(20, 10) = 2 / 184756. */
  for (int i = 0; i < 10; i++) {
    a[i] = 1.0 + i * 0.1;
    b[i] = 5.0 + i * 0.3;
  }
  assert_int_equal(cb_mann_whitney(a, 10, b, 10, &u, &p), 0);
  assert_close(u, 0);
  assert_close(p, 2.0 / 184756.0);
  assert_true(fabs(p - 1.08e-5) < 0.005e-5);
  assert_int_equal(cb_mann_whitney(b, 10, a, 10, &u, &p), 0);
  assert_close(u, 100);
  assert_close(p, 2.0 / 184756.0);
  /* Critical values of U from the printed two-tailed alpha = 0.05 tables: n1 = n2 = 5: 2;
   * 8: 13; 10: 23; 20: 127. U at the critical value is significant, one above it is not. */
  static const struct { size_t n; unsigned crit; } tab[] = { { 5, 2 }, { 8, 13 }, { 10, 23 },
                                                             { 20, 127 } };
  for (size_t k = 0; k < 4; k++) {
    size_t n = tab[k].n;
    build_u(n, n, tab[k].crit, a, b);
    assert_int_equal(cb_mann_whitney(a, n, b, n, &u, &p), 0);
    assert_close(u, tab[k].crit);
    assert_true(p <= 0.05);
    build_u(n, n, tab[k].crit + 1, a, b);
    assert_int_equal(cb_mann_whitney(a, n, b, n, &u, &p), 0);
    assert_close(u, tab[k].crit + 1);
    assert_true(p > 0.05);
  }
  /* Identical samples: every value tied across the two, U = na*nb/2, p = 1. */
  const double x[] = { 3, 1, 4, 1, 5, 9, 2, 6 };
  assert_int_equal(cb_mann_whitney(x, 8, x, 8, &u, &p), 0);
  assert_close(u, 32);
  assert_true(p > 0.99);
  /* All one value: no information, p = 1. */
  const double c[] = { 2, 2, 2 };
  assert_int_equal(cb_mann_whitney(c, 3, c, 2, &u, &p), 0);
  assert_close(u, 3);
  assert_close(p, 1);
  /* Empty or NaN: refused. */
  assert_int_equal(cb_mann_whitney(x, 0, x, 8, &u, &p), -EINVAL);
  assert_int_equal(cb_mann_whitney(x, 8, x, 0, &u, &p), -EINVAL);
  const double bad[] = { 1, NAN };
  assert_int_equal(cb_mann_whitney(bad, 2, x, 8, &u, &p), -EINVAL);
  /* u and p may be left out. */
  assert_int_equal(cb_mann_whitney(x, 8, c, 3, NULL, NULL), 0);
}

/* The normal approximation computed here from first principles: mid-ranks by counting, the
 * variance shrunk by the ties, a continuity correction of 1/2. */
static double p_normal_ties(const double *a, size_t na, const double *b, size_t nb, double *u_out) {
  size_t n = na + nb;
  double all[128];
  assert_true(n <= 128);
  memcpy(all, a, na * sizeof *a);
  memcpy(all + na, b, nb * sizeof *b);
  double r1 = 0;
  for (size_t i = 0; i < na; i++) {
    double below = 0, same = 0;
    for (size_t j = 0; j < n; j++) {
      below += all[j] < a[i];
      same += all[j] == a[i];
    }
    r1 += below + (same + 1) / 2;
  }
  double tie = 0;
  for (size_t i = 0; i < n; i++) {
    int first = 1;
    for (size_t j = 0; j < i; j++) first &= all[j] != all[i];
    if (!first) continue;
    double t = 0;
    for (size_t j = 0; j < n; j++) t += all[j] == all[i];
    tie += t * t * t - t;
  }
  double m = (double)na, k = (double)nb, N = (double)n;
  double u = r1 - m * (m + 1) / 2, mu = m * k / 2;
  double sigma = sqrt(m * k / 12 * ((N + 1) - tie / (N * (N - 1))));
  double z = (fabs(u - mu) - 0.5) / sigma;
  *u_out = u;
  return z <= 0 ? 1 : 2 * (1 - 0.5 * erfc(-z / sqrt(2.0)));   /* 2 (1 - Phi(z)) */
}

static void mann_whitney_ties_normal(void **state) {
  (void)state;
  /* Timings rounded to the millisecond: many ties inside and across the samples. */
  const double a[] = { 12, 13, 13, 14, 14, 14, 15, 15, 16, 18, 13, 14 };
  const double b[] = { 14, 15, 15, 16, 16, 16, 17, 17, 18, 19, 15, 16, 17 };
  double u, p, want_u;
  double want_p = p_normal_ties(a, 12, b, 13, &want_u);
  assert_int_equal(cb_mann_whitney(a, 12, b, 13, &u, &p), 0);
  assert_close(u, want_u);
  assert_close(u, u_by_pairs(a, 12, b, 13));
  assert_true(fabs(p - want_p) <= 1e-9 * want_p);
  print_message("ties: U=%.1f p=%.6f (normal approximation, tie-corrected)\n", u, p);
  assert_true(p > 0.0005 && p < 0.05);
  /* Swapping the samples: U becomes na*nb - U, p is the same. */
  double u2, p2;
  assert_int_equal(cb_mann_whitney(b, 13, a, 12, &u2, &p2), 0);
  assert_close(u + u2, 12.0 * 13.0);
  assert_true(fabs(p - p2) <= 1e-12);
  /* One tie only, small samples: still the approximation (no exact law with ties). */
  const double c[] = { 1, 2, 3, 4 }, d[] = { 4, 5, 6, 7, 8 };
  want_p = p_normal_ties(c, 4, d, 5, &want_u);
  assert_int_equal(cb_mann_whitney(c, 4, d, 5, &u, &p), 0);
  assert_close(u, want_u);
  assert_true(fabs(p - want_p) <= 1e-9 * want_p);
}

/* Exact two-sided p by the textbook recurrence on arrangement counts, in doubles:
 * N(m, n, u) = N(m-1, n, u-n) + N(m, n-1, u) (the largest value is from a, beating all n of b,
 * or from b), N(0, n, 0) = N(m, 0, 0) = 1. A different route from the code's. */
static double p_recurrence(size_t m, size_t n, double u) {
  double **t = calloc((m + 1) * (n + 1), sizeof *t);
  assert_non_null(t);
#define T(i, j) t[(i) * (n + 1) + (j)]
  for (size_t i = 0; i <= m; i++)
    for (size_t j = 0; j <= n; j++) {
      size_t top = i * j;
      T(i, j) = calloc(top + 1, sizeof(double));
      assert_non_null(T(i, j));
      for (size_t v = 0; v <= top; v++) {
        if (i == 0 || j == 0) {
          T(i, j)[v] = v == 0;
          continue;
        }
        double from_a = v >= j && v - j <= (i - 1) * j ? T(i - 1, j)[v - j] : 0;
        double from_b = v <= i * (j - 1) ? T(i, j - 1)[v] : 0;
        T(i, j)[v] = from_a + from_b;
      }
    }
  double le = 0, ge = 0, all = 0;
  for (size_t v = 0; v <= m * n; v++) {
    all += T(m, n)[v];
    if ((double)v <= u) le += T(m, n)[v];
    if ((double)v >= u) ge += T(m, n)[v];
  }
  for (size_t i = 0; i < (m + 1) * (n + 1); i++) free(t[i]);
  free(t);
#undef T
  double p = 2 * (le < ge ? le : ge) / all;
  return p > 1 ? 1 : p;
}

static void mann_whitney_exact_vs_recurrence(void **state) {
  (void)state;
  static const size_t sizes[][2] = { { 30, 30 }, { 25, 33 }, { 33, 33 }, { 34, 33 }, { 3, 200 },
                                     { 12, 9 } };
  double a[256], b[256], u, p;
  sm_state = 31337;
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
    size_t na = sizes[k][0], nb = sizes[k][1];
    for (size_t i = 0; i < na; i++) a[i] = sm01();
    for (size_t i = 0; i < nb; i++) b[i] = sm01() + 0.1;
    assert_int_equal(cb_mann_whitney(a, na, b, nb, &u, &p), 0);
    assert_close(u, u_by_pairs(a, na, b, nb));
    double want = p_recurrence(na, nb, u);
    if (!(fabs(p - want) <= 1e-9 * want)) fail_msg("%zu vs %zu: p %.17g, recurrence %.17g", na, nb, p, want);
  }
}

static void mann_whitney_large_exact_near_normal(void **state) {
  (void)state;
  /* 30 vs 30 without ties goes exact; it must agree with the normal approximation to within
   * the latter's own error at this size. And 60 vs 60 takes the approximation. */
  double a[60], b[60], u, p, want_u;
  sm_state = 777;
  for (int i = 0; i < 60; i++) {
    a[i] = sm01();
    b[i] = sm01() + 0.15;
  }
  assert_int_equal(cb_mann_whitney(a, 30, b, 30, &u, &p), 0);
  double pn = p_normal_ties(a, 30, b, 30, &want_u);
  assert_close(u, want_u);
  print_message("30 vs 30: U=%.0f exact p=%.6f normal p=%.6f\n", u, p, pn);
  assert_true(fabs(p - pn) < 0.1 * pn + 1e-4);
  /* 34 vs 34: C(68, 34) > 2^64 arrangements, so the approximation. */
  assert_int_equal(cb_mann_whitney(a, 34, b, 34, &u, &p), 0);
  double pn34 = p_normal_ties(a, 34, b, 34, &want_u);
  assert_true(fabs(p - pn34) <= 1e-9 * pn34);
  assert_int_equal(cb_mann_whitney(a, 60, b, 60, &u, &p), 0);
  double pn60 = p_normal_ties(a, 60, b, 60, &want_u);
  assert_close(u, want_u);
  assert_true(fabs(p - pn60) <= 1e-9 * pn60);
  /* Few against many stays exact: 1 value above all of 50 others has p = 2/51. */
  double many[50];
  for (int i = 0; i < 50; i++) many[i] = i;
  const double top[] = { 100 };
  assert_int_equal(cb_mann_whitney(top, 1, many, 50, &u, &p), 0);
  assert_close(u, 50);
  assert_close(p, 2.0 / 51.0);
}

/* The selections give what sorting gives, for every size and percentile; v is only reordered. */
static void selection_matches_sorting(void **state) {
  (void)state;
  cb_rng g;
  double v[301], w[301];
  cb_rng_seed(&g, 7);
  for (int t = 0; t < 400; t++) {
    size_t n = 1 + (size_t)cb_rng_below(&g, 300);
    for (size_t i = 0; i < n; i++) v[i] = (double)cb_rng_below(&g, 50) / 7.0;   /* ties too */
    double pct = (double)cb_rng_below(&g, 1001) / 10.0;
    memcpy(w, v, n * sizeof *v);
    assert_true(cb_percentile_inplace(w, n, pct) == cb_percentile(v, n, pct));
    memcpy(w, v, n * sizeof *v);
    assert_true(cb_median_inplace(w, n) == cb_median(v, n));
  }
}

/* Past CB_BOOT_MAX_REPS a sample is thinned to its evenly spaced quantiles; below, copied. */
static void boot_thin_bounds(void **state) {
  (void)state;
  size_t n = 30000, m = 0;
  double *v = malloc(n * sizeof *v);
  assert_non_null(v);
  for (size_t i = 0; i < n; i++) v[i] = (double)((i * 7919) % n);   /* 0..n-1, shuffled */
  double *t = cb_boot_thin(v, n, &m);
  assert_non_null(t);
  assert_int_equal(m, CB_BOOT_MAX_REPS);
  for (size_t i = 1; i < m; i++) assert_true(t[i] > t[i - 1]);
  assert_true(fabs(cb_median(t, m) - cb_median(v, n)) <= (double)n / (double)m);
  free(t);
  t = cb_boot_thin(v, 500, &m);
  assert_int_equal(m, 500);
  assert_memory_equal(t, v, 500 * sizeof *v);
  free(t);
  /* The interval of 30,000 repetitions: reproducible, around the median, and computed. */
  double lo, hi, lo2, hi2;
  cb_bootstrap_median_ci(v, n, 0.95, 10000, 3, &lo, &hi);
  cb_bootstrap_median_ci(v, n, 0.95, 10000, 3, &lo2, &hi2);
  assert_true(lo == lo2 && hi == hi2);
  assert_true(lo < hi && lo <= cb_median(v, n) && cb_median(v, n) <= hi);
  free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(median_odd),
    cmocka_unit_test(median_even),
    cmocka_unit_test(unsorted_input_untouched),
    cmocka_unit_test(min_max_mean),
    cmocka_unit_test(sample_stddev_known_data),
    cmocka_unit_test(stddev_of_constant_is_zero),
    cmocka_unit_test(n_zero),
    cmocka_unit_test(n_one),
    cmocka_unit_test_setup_teardown(perm_64, setup_64, big_teardown),
    cmocka_unit_test_setup_teardown(perm_65, setup_65, big_teardown),
    cmocka_unit_test_setup_teardown(perm_100, setup_100, big_teardown),
    cmocka_unit_test_setup_teardown(perm_1001, setup_1001, big_teardown),
    cmocka_unit_test(heap_path_skewed),
    cmocka_unit_test(percentile_hand_computed),
    cmocka_unit_test(mad_known_data),
    cmocka_unit_test(outliers_planted),
    cmocka_unit_test(bootstrap_ci),
    cmocka_unit_test(bootstrap_narrows_with_n),
    cmocka_unit_test(cv_values),
    cmocka_unit_test(mann_whitney_exact_vs_brute_force),
    cmocka_unit_test(mann_whitney_textbook),
    cmocka_unit_test(mann_whitney_ties_normal),
    cmocka_unit_test(mann_whitney_exact_vs_recurrence),
    cmocka_unit_test(mann_whitney_large_exact_near_normal),
    cmocka_unit_test(selection_matches_sorting),
    cmocka_unit_test(boot_thin_bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
