/* test_stats.c: cmocka tests for the summary statistics (harness/stats.c). */
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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
