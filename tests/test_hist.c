/* test_hist.c: cmocka tests for the log-linear latency histogram (harness/hist.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hist.h"

#define HOUR_NS UINT64_C(3600000000000)

/* The test's own generator (splitmix64), independent of anything in the harness. */
static uint64_t rnd_state;
static uint64_t rnd(void) {
  uint64_t z = (rnd_state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}
static double rnd01(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Samples, sorted, for the exact percentiles; the histogram of the same values. */
typedef struct sample {
  uint64_t *v;
  size_t n;
  cb_hist h;
} sample;

enum dist { UNIFORM, LOG_UNIFORM, BIMODAL, CONSTANT };

static uint64_t draw(enum dist d) {
  switch (d) {
  case UNIFORM:   /* 1 us .. 1 s */
    return 1000 + rnd() % (UINT64_C(1000000000) - 1000 + 1);
  case LOG_UNIFORM: {   /* 1 us .. 1 h, equal mass per decade */
    double x = exp(log(1e3) + rnd01() * (log((double)HOUR_NS) - log(1e3)));
    uint64_t v = (uint64_t)x;
    return v < 1000 ? 1000 : v > HOUR_NS ? HOUR_NS : v;
  }
  case BIMODAL:   /* 70% near 200 us, 30% near 50 ms: p50 and p90 sit in different modes */
    return rnd() % 10 < 7 ? 150000 + rnd() % 100001 : 40000000 + rnd() % 20000001;
  case CONSTANT:
  default:
    return 12345;
  }
}

static sample *make_sample(enum dist d, size_t n, uint64_t seed) {
  sample *s = malloc(sizeof *s);
  assert_non_null(s);
  s->v = malloc(n * sizeof *s->v);
  assert_non_null(s->v);
  s->n = n;
  rnd_state = seed;
  cb_hist_init(&s->h);
  for (size_t i = 0; i < n; i++) {
    s->v[i] = draw(d);
    cb_hist_record(&s->h, s->v[i]);
  }
  qsort(s->v, n, sizeof *s->v, cmp_u64);
  return s;
}

static void free_sample(sample *s) {
  free(s->v);
  free(s);
}

/* Nearest rank in integers: percentiles are given in hundredths of a percent, so no floating
 * point decides which sample is the answer. */
static uint64_t exact_percentile(const sample *s, unsigned bp) {
  uint64_t rank = ((uint64_t)bp * s->n + 9999) / 10000;
  if (rank < 1) rank = 1;
  return s->v[rank - 1];
}

static const unsigned pcts_bp[] = { 0, 100, 2500, 5000, 9000, 9900, 9990, 9999, 10000 };

static double check_percentiles(const sample *s, const char *name) {
  double worst = 0;
  for (size_t k = 0; k < sizeof pcts_bp / sizeof *pcts_bp; k++) {
    unsigned bp = pcts_bp[k];
    uint64_t want = exact_percentile(s, bp), got = cb_hist_percentile(&s->h, bp / 100.0);
    if (bp == 0 || bp == 10000) {
      if (got != want) fail_msg("%s p%.2f = %llu, exact %llu", name, bp / 100.0,
                                (unsigned long long)got, (unsigned long long)want);
      continue;
    }
    double rel = fabs((double)got - (double)want) / (double)want;
    if (rel > worst) worst = rel;
    if (rel > 0.01)
      fail_msg("%s p%.2f = %llu, exact %llu: %.3f%% off", name, bp / 100.0,
               (unsigned long long)got, (unsigned long long)want, rel * 100);
  }
  assert_int_equal(s->h.count, s->n);
  assert_int_equal(s->h.min_ns, s->v[0]);
  assert_int_equal(s->h.max_ns, s->v[s->n - 1]);
  return worst;
}

static void report(const char *name, size_t n, double worst) {
  print_message("%-12s n=%-7zu worst relative error %.3f%%\n", name, n, worst * 100);
}

static void percentiles_uniform(void **state) {
  (void)state;
  sample *s = make_sample(UNIFORM, 200000, 1);
  report("uniform", s->n, check_percentiles(s, "uniform"));
  free_sample(s);
}

static void percentiles_log_uniform(void **state) {
  (void)state;
  sample *s = make_sample(LOG_UNIFORM, 200000, 2);
  report("log-uniform", s->n, check_percentiles(s, "log-uniform"));
  free_sample(s);
}

static void percentiles_bimodal(void **state) {
  (void)state;
  sample *s = make_sample(BIMODAL, 100000, 3);
  report("bimodal", s->n, check_percentiles(s, "bimodal"));
  /* The modes really are apart: p50 in the first, p90 in the second. */
  assert_true(cb_hist_percentile(&s->h, 50) < 300000);
  assert_true(cb_hist_percentile(&s->h, 90) > 35000000);
  free_sample(s);
}

static void percentiles_constant(void **state) {
  (void)state;
  sample *s = make_sample(CONSTANT, 1000, 4);
  /* One value: clamping to [min, max] makes every percentile exact. */
  for (double p = 0; p <= 100; p += 0.5) assert_int_equal(cb_hist_percentile(&s->h, p), 12345);
  report("constant", s->n, check_percentiles(s, "constant"));
  free_sample(s);
}

static void percentiles_small_samples(void **state) {
  (void)state;
  /* Few samples: nearest rank must pick the right one (within a bucket's error). */
  double worst = 0;
  for (size_t n = 1; n <= 40; n++) {
    sample *s = make_sample(LOG_UNIFORM, n, 100 + n);
    double w = check_percentiles(s, "small");
    if (w > worst) worst = w;
    free_sample(s);
  }
  report("n=1..40", 40, worst);
  /* 1000 distinct values 1000, 2000, ...: 99.9% is the 999th exactly (not the 1000th). */
  cb_hist h;
  cb_hist_init(&h);
  for (uint64_t i = 1; i <= 1000; i++) cb_hist_record(&h, i * 1000000);
  uint64_t p999 = cb_hist_percentile(&h, 99.9);
  assert_true(fabs((double)p999 - 999e6) <= 999e6 / 128);
  assert_true(fabs((double)cb_hist_percentile(&h, 50) - 500e6) <= 500e6 / 128);
  assert_true(fabs((double)cb_hist_percentile(&h, 50.05) - 501e6) <= 501e6 / 128);
  assert_int_equal(cb_hist_percentile(&h, 100), 1000000000);
  assert_int_equal(cb_hist_percentile(&h, 0), 1000000);
  assert_int_equal(cb_hist_percentile(&h, 150), 1000000000);   /* clamped */
  assert_int_equal(cb_hist_percentile(&h, -3), 1000000);
  assert_int_equal(cb_hist_percentile(&h, NAN), 1000000);
}

/* Every bucket from 1 us to 1 h: contiguous, increasing, and its reported value within 1/128 of
 * both its ends. The bucket bounds are found by bisection on cb_hist_bucket_of alone. */
static uint64_t first_value_of(size_t b) {
  uint64_t lo = 0, hi = HOUR_NS;   /* smallest v with bucket_of(v) >= b */
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (cb_hist_bucket_of(mid) >= b) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

static void bucket_layout(void **state) {
  (void)state;
  assert_int_equal(cb_hist_bucket_of(0), 0);
  assert_int_equal(cb_hist_bucket_of(999), 0);
  assert_int_equal(cb_hist_bucket_of(1000), 1);
  assert_int_equal(cb_hist_bucket_of(HOUR_NS), CB_HIST_BUCKETS - 1);
  assert_int_equal(cb_hist_bucket_of(HOUR_NS + 1), CB_HIST_BUCKETS - 1);
  assert_int_equal(cb_hist_bucket_of(UINT64_MAX), CB_HIST_BUCKETS - 1);
  assert_true(sizeof(cb_hist) <= 16384);
  double worst = 0;
  uint64_t start = first_value_of(1);
  assert_int_equal(start, 1000);
  for (size_t b = 1; b < CB_HIST_BUCKETS - 1; b++) {
    uint64_t next = first_value_of(b + 1), end = next - 1, rep = cb_hist_bucket_value(b);
    assert_true(next > start);
    assert_int_equal(cb_hist_bucket_of(start), b);
    assert_int_equal(cb_hist_bucket_of(end), b);
    assert_true(rep >= start && rep <= end);
    double e1 = (double)(rep - start) / (double)start, e2 = (double)(end - rep) / (double)end;
    if (e1 > worst) worst = e1;
    if (e2 > worst) worst = e2;
    start = next;
  }
  /* The last bucket starts at or below 1 h: 1 h itself is still resolved. */
  assert_true(start <= HOUR_NS);
  assert_true(fabs((double)cb_hist_bucket_value(CB_HIST_BUCKETS - 1) - (double)HOUR_NS) <=
              (double)HOUR_NS / 128);
  print_message("worst relative error of a bucket's value, 1 us..1 h: %.4f%%\n", worst * 100);
  assert_true(worst <= 1.0 / 128);
}

static void empty_histogram(void **state) {
  (void)state;
  cb_hist h;
  cb_hist_point pts[4];
  char buf[128];
  cb_hist_init(&h);
  assert_int_equal(h.count, 0);
  assert_int_equal(cb_hist_percentile(&h, 0), 0);
  assert_int_equal(cb_hist_percentile(&h, 50), 0);
  assert_int_equal(cb_hist_percentile(&h, 100), 0);
  assert_true(cb_hist_mean(&h) == 0);
  assert_int_equal(cb_hist_spectrum(&h, pts, 4), 0);
  size_t len = cb_hist_encode(&h, buf, sizeof buf);
  assert_string_equal(buf, "cbh1;n=0;min=0;max=0;sum=0;");
  assert_int_equal(len, strlen(buf));
  cb_hist d;
  memset(&d, 0x5a, sizeof d);
  assert_int_equal(cb_hist_decode(&d, buf), 0);
  assert_memory_equal(&d, &h, sizeof h);
}

static void mean_exact(void **state) {
  (void)state;
  cb_hist h;
  cb_hist_init(&h);
  cb_hist_record(&h, 1000);
  cb_hist_record(&h, 2000);
  cb_hist_record(&h, 4000000);
  cb_hist_record_n(&h, 7, 3);
  assert_true(cb_hist_mean(&h) == (1000.0 + 2000 + 4000000 + 21) / 6);
  assert_int_equal(h.sum_ns, 1000 + 2000 + 4000000 + 21);
}

static void record_n_equals_repeats(void **state) {
  (void)state;
  cb_hist a, b;
  cb_hist_init(&a);
  cb_hist_init(&b);
  rnd_state = 77;
  for (int i = 0; i < 200; i++) {
    uint64_t v = draw(LOG_UNIFORM), n = rnd() % 5;
    cb_hist_record_n(&a, v, n);
    for (uint64_t k = 0; k < n; k++) cb_hist_record(&b, v);
  }
  assert_memory_equal(&a, &b, sizeof a);
  /* n = 0 changes nothing, not even min or max. */
  cb_hist_record_n(&a, 1, 0);
  cb_hist_record_n(&a, UINT64_MAX, 0);
  assert_memory_equal(&a, &b, sizeof a);
}

static void merge_equals_union(void **state) {
  (void)state;
  sample *s1 = make_sample(BIMODAL, 30000, 11), *s2 = make_sample(LOG_UNIFORM, 20000, 12);
  cb_hist all, m, e;
  cb_hist_init(&all);
  for (size_t i = 0; i < s1->n; i++) cb_hist_record(&all, s1->v[i]);
  for (size_t i = 0; i < s2->n; i++) cb_hist_record(&all, s2->v[i]);
  m = s1->h;
  cb_hist_merge(&m, &s2->h);
  assert_memory_equal(&m, &all, sizeof m);
  /* The other order, and into an empty one, and an empty one into it. */
  m = s2->h;
  cb_hist_merge(&m, &s1->h);
  assert_memory_equal(&m, &all, sizeof m);
  cb_hist_init(&m);
  cb_hist_merge(&m, &all);
  assert_memory_equal(&m, &all, sizeof m);
  cb_hist_init(&e);
  cb_hist_merge(&m, &e);
  assert_memory_equal(&m, &all, sizeof m);
  free_sample(s1);
  free_sample(s2);
}

static void out_of_range_clamps(void **state) {
  (void)state;
  cb_hist h;
  cb_hist_init(&h);
  cb_hist_record(&h, 3);                         /* below 1 us */
  cb_hist_record(&h, 0);
  cb_hist_record(&h, 2 * HOUR_NS);               /* above 1 h */
  cb_hist_record(&h, 5 * HOUR_NS + 17);
  assert_int_equal(h.count, 4);
  assert_int_equal(h.counts[0], 2);
  assert_int_equal(h.counts[CB_HIST_BUCKETS - 1], 2);
  assert_int_equal(h.min_ns, 0);
  assert_int_equal(h.max_ns, 5 * HOUR_NS + 17);
  assert_int_equal(cb_hist_percentile(&h, 0), 0);
  assert_int_equal(cb_hist_percentile(&h, 100), 5 * HOUR_NS + 17);
  assert_true(cb_hist_percentile(&h, 50) < 1000);                 /* still "below 1 us" */
  assert_true(cb_hist_percentile(&h, 75) >= HOUR_NS - HOUR_NS / 64); /* about 1 h */
  assert_true(cb_hist_mean(&h) == (3.0 + 0 + 2 * (double)HOUR_NS + 5 * (double)HOUR_NS + 17) / 4);
  /* A wild value (a negative duration cast) saturates the sum instead of wrapping it. */
  cb_hist_record(&h, UINT64_MAX);
  assert_int_equal(h.sum_ns, UINT64_MAX);
  assert_int_equal(h.max_ns, UINT64_MAX);
  assert_int_equal(h.counts[CB_HIST_BUCKETS - 1], 3);
}

static void roundtrip(const cb_hist *h) {
  size_t len = cb_hist_encode(h, NULL, 0);
  assert_true(len < CB_HIST_ENCODE_MAX);
  char *buf = malloc(len + 1);
  assert_non_null(buf);
  assert_int_equal(cb_hist_encode(h, buf, len + 1), len);
  assert_int_equal(strlen(buf), len);
  cb_hist d;
  memset(&d, 0xa5, sizeof d);
  assert_int_equal(cb_hist_decode(&d, buf), 0);
  assert_memory_equal(&d, h, sizeof d);
  /* Too small a buffer: a NUL-terminated prefix, and the full length still returned. */
  char small[16];
  assert_int_equal(cb_hist_encode(h, small, sizeof small), len);
  assert_int_equal(strlen(small), len < sizeof small ? len : sizeof small - 1);
  assert_memory_equal(small, buf, strlen(small));
  free(buf);
}

static void encode_decode_roundtrip(void **state) {
  (void)state;
  for (int d = UNIFORM; d <= CONSTANT; d++) {
    sample *s = make_sample((enum dist)d, 50000, 20 + (uint64_t)d);
    roundtrip(&s->h);
    free_sample(s);
  }
  cb_hist h;
  cb_hist_init(&h);
  cb_hist_record(&h, 5);
  roundtrip(&h);
  cb_hist_record(&h, 9 * HOUR_NS);
  cb_hist_record_n(&h, 123456, UINT64_C(1) << 40);
  roundtrip(&h);
  /* Every bucket in use, each with a huge count: the longest kind of encoding. */
  cb_hist_init(&h);
  for (size_t b = 0; b < CB_HIST_BUCKETS; b++) {
    uint64_t v = b ? cb_hist_bucket_value(b) : 1;
    cb_hist_record_n(&h, v, (UINT64_C(1) << 52) + b);
  }
  assert_int_equal(h.sum_ns, UINT64_MAX);   /* saturated, and still consistent for decode */
  roundtrip(&h);
  /* A known histogram has a known text. */
  cb_hist_init(&h);
  cb_hist_record(&h, 1000);
  cb_hist_record(&h, 1000);
  cb_hist_record(&h, 1008);
  char buf[128];
  cb_hist_encode(&h, buf, sizeof buf);
  assert_string_equal(buf, "cbh1;n=3;min=1000;max=1008;sum=3008;1:2,2:1");
}

static void expect_rejected(const char *s) {
  cb_hist h, empty;
  cb_hist_init(&empty);
  memset(&h, 0x77, sizeof h);
  int rc = cb_hist_decode(&h, s);
  if (rc != -EINVAL) fail_msg("decode accepted \"%s\" (rc %d)", s, rc);
  assert_memory_equal(&h, &empty, sizeof h);   /* never half-filled */
}

static void decode_rejects_malformed(void **state) {
  (void)state;
  static const char *bad[] = {
    "", "garbage", "cbh1", "cbh1;", "cbh2;n=0;min=0;max=0;sum=0;", "CBH1;n=0;min=0;max=0;sum=0;",
    "cbh1;n=0;min=0;max=0;sum=0", "cbh1;n=0;min=0;max=0;sum=0;x", "cbh1;n=0;min=0;max=0;sum=1;",
    "cbh1;n=0;min=0;max=0;sum=0;1:1", " cbh1;n=0;min=0;max=0;sum=0;",
    "cbh1;n=1;min=1000;max=1000;sum=1000;",            /* no buckets */
    "cbh1;n=1;min=1000;max=1000;sum=1000;1:1,",        /* trailing comma */
    "cbh1;n=1;min=1000;max=1000;sum=1000;1:",          /* truncated count */
    "cbh1;n=1;min=1000;max=1000;sum=1000;1",           /* truncated pair */
    "cbh1;n=1;min=1000;max=1000;sum=1000;:1",
    "cbh1;n=1;min=1000;max=1000;sum=1000;1:1 ",
    "cbh1;n=1;min=1000;max=1000;sum=1000;1:+1",
    "cbh1;n=1;min=1000;max=1000;sum=1000;-1:1",
    "cbh1;n=1;min=1000;max=1000;sum=1000;1:1;",
    "cbh1;n=2;min=1000;max=1000;sum=2000;1:1,,1:1",
    "cbh1;n=2;min=1000;max=1000;sum=2000;1:1,1:1",     /* duplicate index */
    "cbh1;n=2;min=1000;max=1008;sum=2008;2:1,1:1",     /* decreasing */
    "cbh1;n=1;min=1000;max=1000;sum=1000;1:0,1:1",     /* an empty bucket written */
    "cbh1;n=1;min=3600000000000;max=3600000000000;sum=3600000000000;2029:1", /* bad index */
    "cbh1;n=1;min=1000;max=1000;sum=1000;99999999999999999999999:1",
    "cbh1;n=1;min=1000;max=1000;sum=1000;18446744073709551616:1",
    "cbh1;n=18446744073709551616;min=1000;max=1000;sum=1000;1:1",  /* n overflows */
    "cbh1;n=1;min=1000;max=1000;sum=1000;1:18446744073709551616",   /* count overflows */
    "cbh1;n=2;min=1000;max=1008;sum=18446744073709551615;1:18446744073709551615,2:1",
    ("cbh1;n=18446744073709551615;min=1000;max=1008;sum=18446744073709551615;"
     "1:18446744073709551615,2:1"),                    /* counts add past 2^64 */
    "cbh1;n=3;min=1000;max=1000;sum=3000;1:2",         /* counts short of n */
    "cbh1;n=1;min=1000;max=1000;sum=1000;1:2",         /* counts beyond n */
    "cbh1;n=2;min=1008;max=1000;sum=2008;1:1,2:1",     /* min > max */
    "cbh1;n=1;min=5000;max=5000;sum=5000;1:1",         /* min not in its bucket */
    "cbh1;n=2;min=1000;max=5000;sum=6000;1:1,2:1",     /* max not in the last bucket */
    "cbh1;n=2;min=1000;max=1008;sum=1999;1:1,2:1",     /* sum below min*n */
    "cbh1;n=2;min=1000;max=1008;sum=2017;1:1,2:1",     /* sum above max*n */
    "cbh1;n=1;min=1000;max=1001;sum=1000;1:1",         /* one value, two extremes */
    "cbh1;n=1;min=1000;max=1000;sum=1000;1:1\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) expect_rejected(bad[i]);
  cb_hist h;
  assert_int_equal(cb_hist_decode(&h, NULL), -EINVAL);
  assert_int_equal(cb_hist_decode(NULL, "cbh1;n=0;min=0;max=0;sum=0;"), -EINVAL);
  /* The two just inside the bounds are fine. */
  assert_int_equal(cb_hist_decode(&h, "cbh1;n=2;min=1000;max=1008;sum=2000;1:1,2:1"), 0);
  assert_int_equal(cb_hist_decode(&h, "cbh1;n=2;min=1000;max=1008;sum=2016;1:1,2:1"), 0);
  assert_int_equal(cb_hist_percentile(&h, 100), 1008);
}

static void decode_rejects_every_truncation(void **state) {
  (void)state;
  sample *s = make_sample(BIMODAL, 5000, 31);
  char *buf = malloc(CB_HIST_ENCODE_MAX);
  assert_non_null(buf);
  size_t len = cb_hist_encode(&s->h, buf, CB_HIST_ENCODE_MAX);
  for (size_t cut = 0; cut < len; cut++) {
    char keep = buf[cut];
    buf[cut] = '\0';
    expect_rejected(buf);
    buf[cut] = keep;
  }
  cb_hist d;
  assert_int_equal(cb_hist_decode(&d, buf), 0);
  free(buf);
  free_sample(s);
}

/* Random damage to valid encodings: never a crash (ASan watches), and what is accepted is a
 * histogram whose parts agree. */
static void decode_survives_mutations(void **state) {
  (void)state;
  sample *s = make_sample(LOG_UNIFORM, 300, 41);
  char *orig = malloc(CB_HIST_ENCODE_MAX), *buf = malloc(CB_HIST_ENCODE_MAX);
  assert_non_null(orig);
  assert_non_null(buf);
  size_t len = cb_hist_encode(&s->h, orig, CB_HIST_ENCODE_MAX);
  static const char alphabet[] = "0123456789:,;=-+ xcbhn\xff";
  int accepted = 0;
  rnd_state = 99;
  for (int round = 0; round < 20000; round++) {
    memcpy(buf, orig, len + 1);
    int edits = 1 + (int)(rnd() % 3);
    for (int e = 0; e < edits; e++) buf[rnd() % len] = alphabet[rnd() % (sizeof alphabet - 1)];
    cb_hist h;
    if (cb_hist_decode(&h, buf) != 0) continue;
    accepted++;
    uint64_t total = 0;
    for (size_t b = 0; b < CB_HIST_BUCKETS; b++) total += h.counts[b];
    assert_int_equal(total, h.count);
    assert_true(h.count == 0 || h.min_ns <= h.max_ns);
    assert_true(cb_hist_percentile(&h, 100) == h.max_ns || h.count == 0);
  }
  print_message("mutations accepted as consistent histograms: %d of 20000\n", accepted);
  free(orig);
  free(buf);
  free_sample(s);
}

static void check_spectrum(const sample *s) {
  cb_hist_point *pts = malloc(CB_HIST_SPECTRUM_MAX * sizeof *pts);
  assert_non_null(pts);
  size_t np = cb_hist_spectrum(&s->h, pts, CB_HIST_SPECTRUM_MAX);
  assert_true(np >= 2 && np <= CB_HIST_SPECTRUM_MAX);
  assert_true(pts[0].percentile == 0);
  assert_true(pts[0].value_ms == (double)s->v[0] / 1e6);
  assert_true(pts[np - 1].percentile == 100);
  assert_true(pts[np - 1].value_ms == (double)s->v[s->n - 1] / 1e6);
  assert_int_equal(pts[np - 1].count_below, s->n);
  for (size_t i = 1; i < np; i++) {
    assert_true(pts[i].percentile > pts[i - 1].percentile);
    assert_true(pts[i].value_ms >= pts[i - 1].value_ms);
    assert_true(pts[i].count_below >= pts[i - 1].count_below);
    assert_true(pts[i].count_below <= s->n);
  }
  /* Each tick's value is the nearest-rank percentile there, within a bucket's error, and at
   * least that share of the values lie at or below its bucket. */
  for (size_t i = 1; i + 1 < np; i++) {
    double q = pts[i].percentile;
    uint64_t rank = (uint64_t)ceil(q / 100 * (double)s->n - 1e-9);
    if (rank < 1) rank = 1;
    double want = (double)s->v[rank - 1] / 1e6;
    assert_true(fabs(pts[i].value_ms - want) <= want / 100);
    assert_true((double)pts[i].count_below >= q / 100 * (double)s->n - 1e-6);
  }
  /* HdrHistogram's ticks: 5 per halving of the distance to 100%. */
  static const double ticks[] = { 0, 10, 20, 30, 40, 50, 55, 60, 65, 70, 75, 77.5, 80, 82.5, 85,
                                  87.5, 88.75 };
  for (size_t i = 0; i < sizeof ticks / sizeof *ticks && i + 1 < np; i++)
    assert_true(pts[i].percentile == ticks[i]);
  /* A short buffer is filled as far as it goes and the full count still returned. */
  cb_hist_point few[3];
  assert_int_equal(cb_hist_spectrum(&s->h, few, 3), np);
  assert_memory_equal(few, pts, sizeof few);
  assert_int_equal(cb_hist_spectrum(&s->h, NULL, 0), np);
  free(pts);
}

static void spectrum_shape(void **state) {
  (void)state;
  for (int d = UNIFORM; d <= BIMODAL; d++) {
    sample *s = make_sample((enum dist)d, 100000, 50 + (uint64_t)d);
    check_spectrum(s);
    free_sample(s);
  }
  sample *s = make_sample(LOG_UNIFORM, 100000, 60);
  cb_hist_point pts[CB_HIST_SPECTRUM_MAX];
  size_t np = cb_hist_spectrum(&s->h, pts, CB_HIST_SPECTRUM_MAX);
  /* As HdrHistogram: ticks until one lands in the last bucket (all values counted), then 100%. */
  assert_int_equal(pts[np - 2].count_below, s->n);
  assert_true(pts[np - 3].count_below < s->n);
  assert_true(pts[np - 2].percentile > 99.9);
  print_message("log-uniform spectrum: %zu points, last ticks %.6f%% %.6f%%\n", np,
                pts[np - 3].percentile, pts[np - 2].percentile);
  free_sample(s);
  /* One value: min, then 100% at the same value. */
  cb_hist h;
  cb_hist_init(&h);
  cb_hist_record(&h, 2500000);
  np = cb_hist_spectrum(&h, pts, CB_HIST_SPECTRUM_MAX);
  assert_int_equal(np, 2);
  assert_true(pts[0].percentile == 0 && pts[0].value_ms == 2.5 && pts[0].count_below == 1);
  assert_true(pts[1].percentile == 100 && pts[1].value_ms == 2.5 && pts[1].count_below == 1);
  /* Huge counts stay within the bound. */
  cb_hist_init(&h);
  cb_hist_record_n(&h, 5000, UINT64_MAX / 2);
  cb_hist_record(&h, 6000000);
  np = cb_hist_spectrum(&h, pts, CB_HIST_SPECTRUM_MAX);
  assert_true(np <= CB_HIST_SPECTRUM_MAX);
  assert_true(pts[np - 1].percentile == 100 && pts[np - 1].value_ms == 6.0);
  for (size_t i = 1; i < np; i++) assert_true(pts[i].percentile > pts[i - 1].percentile);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void record_cost(void **state) {
  (void)state;
  enum { TABLE = 4096, N = 10000000 };
  uint64_t *vals = malloc(TABLE * sizeof *vals);
  cb_hist *h = malloc(sizeof *h);
  assert_non_null(vals);
  assert_non_null(h);
  rnd_state = 5;
  for (int i = 0; i < TABLE; i++) vals[i] = draw(LOG_UNIFORM);
  cb_hist_init(h);
  double t0 = now_s();
  for (int i = 0; i < N; i++) cb_hist_record(h, vals[i & (TABLE - 1)]);
  double t1 = now_s();
  cb_hist_init(h);
  double t2 = now_s();
  for (int i = 0; i < N; i++) cb_hist_record(h, 20000000);
  double t3 = now_s();
  print_message("cb_hist_record: %.2f ns/record (spread values), %.2f ns/record (one value), "
                "%d records\n", (t1 - t0) * 1e9 / N, (t3 - t2) * 1e9 / N, N);
  assert_int_equal(h->count, N);
  free(vals);
  free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(bucket_layout),
    cmocka_unit_test(empty_histogram),
    cmocka_unit_test(percentiles_uniform),
    cmocka_unit_test(percentiles_log_uniform),
    cmocka_unit_test(percentiles_bimodal),
    cmocka_unit_test(percentiles_constant),
    cmocka_unit_test(percentiles_small_samples),
    cmocka_unit_test(mean_exact),
    cmocka_unit_test(record_n_equals_repeats),
    cmocka_unit_test(merge_equals_union),
    cmocka_unit_test(out_of_range_clamps),
    cmocka_unit_test(encode_decode_roundtrip),
    cmocka_unit_test(decode_rejects_malformed),
    cmocka_unit_test(decode_rejects_every_truncation),
    cmocka_unit_test(decode_survives_mutations),
    cmocka_unit_test(spectrum_shape),
    cmocka_unit_test(record_cost),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
