/* stats.c: summary statistics over repetitions. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
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

/* A sorted malloc'ed copy of v[0..n), n > 0; NULL when memory runs out. */
static double *sorted_copy(const double *v, size_t n) {
  double *w = malloc(n * sizeof *w);
  if (!w) return NULL;
  memcpy(w, v, n * sizeof *w);
  qsort(w, n, sizeof *w, cmp_d);
  return w;
}

/* numpy's "linear": index h = (n-1)p between w[lo] and w[lo+1], sorted w. */
static double percentile_sorted(const double *w, size_t n, double pct) {
  if (!(pct > 0)) pct = 0;
  if (pct > 100) pct = 100;
  double h = (double)(n - 1) * pct / 100.0;
  size_t lo = (size_t)h;
  if (lo >= n - 1) return w[n - 1];
  double t = h - (double)lo;
  /* Equal neighbours give their value: interpolating between two infinities (compare's ratios
   * when the base median is 0) would give inf - inf = NaN, and an interval of [nan, nan]. */
  return t == 0 || w[lo] == w[lo + 1] ? w[lo] : w[lo] + (w[lo + 1] - w[lo]) * t;
}

static double median_sorted(const double *w, size_t n) {
  return n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
}

double cb_percentile(const double *v, size_t n, double pct) {
  if (n == 0) return 0;
  double *w = sorted_copy(v, n);
  if (!w) return NAN;
  double r = percentile_sorted(w, n, pct);
  free(w);
  return r;
}

/* Median of v and, in dev, the sorted absolute deviations from it; 0 or -ENOMEM. */
static int deviations(const double *v, size_t n, double *med, double **dev) {
  double *w = sorted_copy(v, n);
  if (!w) return -ENOMEM;
  *med = median_sorted(w, n);
  for (size_t i = 0; i < n; i++) w[i] = fabs(v[i] - *med);
  qsort(w, n, sizeof *w, cmp_d);
  *dev = w;
  return 0;
}

double cb_mad(const double *v, size_t n) {
  double med, *dev;
  if (n == 0) return 0;
  if (deviations(v, n, &med, &dev)) return NAN;
  double mad = median_sorted(dev, n);
  free(dev);
  return mad;
}

int cb_outliers_mad(const double *v, size_t n, double k, unsigned char *flags) {
  double med, *dev;
  int nout = 0;
  if (n == 0) return 0;
  if (!flags) return -EINVAL;
  if (deviations(v, n, &med, &dev)) return -ENOMEM;
  /* With MAD = 0 the cut is 0, so the strict > flags exactly the values off the median. */
  double cut = k * 1.4826 * median_sorted(dev, n);
  free(dev);
  for (size_t i = 0; i < n; i++) {
    flags[i] = fabs(v[i] - med) > cut;
    nout += flags[i];
  }
  return nout;
}

double cb_cv(const cb_stats *s) {
  return s->mean == 0 ? 0.0 : s->stddev / fabs(s->mean);
}

/* xoshiro256**, seeded through splitmix64 as its authors advise (any seed, 0 included, gives a
 * good state). Written out here so intervals are the same on every libc. */
static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

void cb_rng_seed(cb_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t cb_rng_next(cb_rng *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

/* Uniform in [0, n) without modulo bias: Lemire's multiply-and-reject for 32-bit n, plain
 * rejection above. */
uint64_t cb_rng_below(cb_rng *r, uint64_t n) {
  if (n <= UINT32_MAX) {
    uint32_t n32 = (uint32_t)n;
    uint64_t m = (cb_rng_next(r) >> 32) * n32;
    if ((uint32_t)m < n32) {
      uint32_t thresh = (uint32_t)(-n32) % n32;
      while ((uint32_t)m < thresh) m = (cb_rng_next(r) >> 32) * n32;
    }
    return m >> 32;
  }
  uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;
  do x = cb_rng_next(r); while (x >= lim);
  return x % n;
}

/* Rearranges w so that w[k] is the k-th smallest, nothing larger before it (quickselect). */
static void select_kth(double *w, size_t n, size_t k) {
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    double pivot = w[lo + (hi - lo) / 2];
    size_t i = lo, j = hi;
    while (i <= j) {
      while (w[i] < pivot) i++;
      while (w[j] > pivot) j--;
      if (i <= j) {
        double t = w[i];
        w[i] = w[j];
        w[j] = t;
        i++;
        if (j == 0) break;   /* i is 1 now: done, and j must not wrap */
        j--;
      }
    }
    /* Now w[lo..j] <= pivot <= w[i..hi], and anything between equals the pivot. */
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

static double median_select(double *w, size_t n) {
  size_t k = n / 2;
  select_kth(w, n, k);
  if (n % 2) return w[k];
  double below = w[0];   /* the lower middle is the largest of w[0..k) */
  for (size_t i = 1; i < k; i++) if (w[i] > below) below = w[i];
  return (below + w[k]) / 2;
}

double cb_median_inplace(double *w, size_t n) {
  /* The usual few repetitions, once per resample (10,000 per case): an insertion sort beats
   * selection's set-up there. */
  if (n <= 16) {
    if (n == 0) return 0;
    for (size_t i = 1; i < n; i++) {
      double x = w[i];
      size_t j = i;
      for (; j > 0 && w[j - 1] > x; j--) w[j] = w[j - 1];
      w[j] = x;
    }
    return n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
  }
  return median_select(w, n);
}

double cb_percentile_inplace(double *w, size_t n, double pct) {
  if (n == 0) return 0;
  if (!(pct > 0)) pct = 0;
  if (pct > 100) pct = 100;
  double h = (double)(n - 1) * pct / 100.0;
  size_t lo = (size_t)h;
  if (lo >= n - 1) lo = n - 1;
  select_kth(w, n, lo);
  if (lo == n - 1) return w[lo];
  /* The next rank up is the smallest of what select_kth left above lo. */
  double next = w[lo + 1];
  for (size_t i = lo + 2; i < n; i++) if (w[i] < next) next = w[i];
  double t = h - (double)lo;
  return t == 0 || w[lo] == next ? w[lo] : w[lo] + (next - w[lo]) * t;
}

double *cb_boot_thin(const double *v, size_t n, size_t *m) {
  size_t k = n > CB_BOOT_MAX_REPS ? CB_BOOT_MAX_REPS : n;
  double *o = malloc((k ? k : 1) * sizeof *o);
  if (!o) return NULL;
  *m = k;
  if (k == n) {
    memcpy(o, v, n * sizeof *o);
    return o;
  }
  double *w = sorted_copy(v, n);
  if (!w) {
    free(o);
    return NULL;
  }
  /* The k quantiles at the middles of k equal slices: the thinned sample keeps the data's shape
   * and median, and its bootstrap is that of k repetitions, a little wider than n's. */
  for (size_t i = 0; i < k; i++) o[i] = w[(size_t)(((double)i + 0.5) * (double)n / (double)k)];
  free(w);
  return o;
}

void cb_bootstrap_median_ci(const double *v, size_t n, double level, unsigned resamples,
                            uint64_t seed, double *lo, double *hi) {
  double *w = NULL, *meds = NULL, *t = NULL;
  cb_rng r;
  *lo = *hi = 0;
  if (n == 0) return;
  if (n == 1) {
    *lo = *hi = v[0];
    return;
  }
  if (resamples == 0) {
    *lo = *hi = cb_median(v, n);
    return;
  }
  /* At most CB_BOOT_MAX_REPS values are resampled, so a case's cost is bounded. */
  size_t m = 0;
  t = cb_boot_thin(v, n, &m);
  w = malloc(n * sizeof *w);
  meds = malloc(resamples * sizeof *meds);
  if (!t || !w || !meds) {
    *lo = *hi = NAN;
    goto cleanup;
  }
  cb_rng_seed(&r, seed);
  for (unsigned b = 0; b < resamples; b++) {
    for (size_t i = 0; i < m; i++) w[i] = t[cb_rng_below(&r, m)];
    meds[b] = median_select(w, m);
  }
  if (!(level > 0)) level = 0;
  if (level > 1) level = 1;
  /* Two selections, not a sort: the same values in O(resamples). */
  *lo = cb_percentile_inplace(meds, resamples, 50.0 * (1 - level));
  *hi = cb_percentile_inplace(meds, resamples, 100.0 - 50.0 * (1 - level));
cleanup:
  free(t);
  free(w);
  free(meds);
}

typedef struct mw_item {
  double v;
  int from_a;
} mw_item;

static int cmp_mw(const void *x, const void *y) {
  return cmp_d(&((const mw_item *)x)->v, &((const mw_item *)y)->v);
}

/* C(m+n, m) when it fits in 64 bits, else 0. Each step is C(n+i, i) = C(n+i-1, i-1)(n+i)/i,
 * divided through by gcd first so only a result that does not fit can overflow. */
static uint64_t choose_fits(uint64_t m, uint64_t n) {
  uint64_t c = 1;
  for (uint64_t i = 1; i <= m; i++) {
    uint64_t g = c, t = i, x;
    while (t) {
      uint64_t r = g % t;
      g = t;
      t = r;
    }
    if (__builtin_add_overflow(n, i, &x) || __builtin_mul_overflow(c / g, x / (i / g), &c)) return 0;
  }
  return c;
}

/* Exact two-sided p for U (an integer) with no ties: the number of arrangements giving each U is
 * the coefficient of q^U in the Gaussian binomial [m+n choose m]_q = prod_{i=1..m}
 * (1 - q^(n+i)) / (1 - q^i). Built in uint64 arithmetic, which is exact modulo 2^64 through the
 * signed intermediates, so the final coefficients (all <= total < 2^64) are exact. */
static int mw_exact_p(uint64_t m, uint64_t n, uint64_t total, double u, double *p) {
  size_t maxu = (size_t)(m * n), size = maxu + (size_t)m + 1;
  uint64_t *c = calloc(size, sizeof *c), le = 0, ge = 0;
  if (!c) return -ENOMEM;
  c[0] = 1;
  size_t deg = 0;
  for (size_t i = 1; i <= m; i++) {
    size_t k = (size_t)n + i;
    for (size_t d = deg + 1; d-- > 0;) c[d + k] -= c[d];   /* times (1 - q^(n+i)) */
    for (size_t d = i; d <= deg + k; d++) c[d] += c[d - i]; /* over (1 - q^i) */
    deg += (size_t)n;
  }
  size_t uu = (size_t)u;
  for (size_t d = 0; d <= maxu; d++) {
    if (d <= uu) le += c[d];
    if (d >= uu) ge += c[d];
  }
  free(c);
  double pp = 2.0 * (double)(le < ge ? le : ge) / (double)total;
  *p = pp > 1 ? 1 : pp;
  return 0;
}

int cb_mann_whitney(const double *a, size_t na, const double *b, size_t nb, double *u,
                    double *p_two_sided) {
  if (na == 0 || nb == 0 || !a || !b) return -EINVAL;
  size_t nt = na + nb;
  mw_item *x = malloc(nt * sizeof *x);
  if (!x) return -ENOMEM;
  for (size_t i = 0; i < na; i++) x[i] = (mw_item){ a[i], 1 };
  for (size_t i = 0; i < nb; i++) x[na + i] = (mw_item){ b[i], 0 };
  for (size_t i = 0; i < nt; i++)
    if (isnan(x[i].v)) {
      free(x);
      return -EINVAL;
    }
  qsort(x, nt, sizeof *x, cmp_mw);
  /* Mid-ranks for ties; ties also shrink the variance by sum(t^3 - t) / (N(N-1)). */
  double r1 = 0, tie = 0;
  for (size_t i = 0; i < nt;) {
    size_t j = i;
    while (j + 1 < nt && x[j + 1].v == x[i].v) j++;
    double rank = ((double)i + (double)j) / 2 + 1, t = (double)(j - i + 1);
    for (size_t k = i; k <= j; k++)
      if (x[k].from_a) r1 += rank;
    tie += t * t * t - t;
    i = j + 1;
  }
  free(x);
  double dna = (double)na, dnb = (double)nb, dn = (double)nt;
  double u1 = r1 - dna * (dna + 1) / 2, p;
  uint64_t m = na < nb ? na : nb, n = na < nb ? nb : na, total;
  /* Exact when it is cheap (m*n coefficients, m passes) and fits; U's law is the same for
   * (na, nb) and (nb, na), so the smaller sample drives the loop. */
  if (tie == 0 && m <= 64 && n <= ((uint64_t)1 << 20) / m && (total = choose_fits(m, n)) != 0) {
    int rc = mw_exact_p(m, n, total, u1, &p);
    if (rc) return rc;
  } else {
    double var = dna * dnb / 12 * ((dn + 1) - tie / (dn * (dn - 1)));
    if (!(var > 0)) {
      p = 1;   /* every value tied: nothing tells the samples apart */
    } else {
      double z = (fabs(u1 - dna * dnb / 2) - 0.5) / sqrt(var);
      p = z <= 0 ? 1 : erfc(z / 1.4142135623730951);
      if (p > 1) p = 1;
    }
  }
  if (u) *u = u1;
  if (p_two_sided) *p_two_sided = p;
  return 0;
}
