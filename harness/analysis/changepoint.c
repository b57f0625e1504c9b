/* changepoint.c: E-Divisive means change points with a significance test, following Apache Otava
 * (otava/analysis.py and otava/change_point_divisive/: calculator.py, detector.py,
 * significance_test.py), which follows Matteson and James (2014) and Fleming et al., "Hunter:
 * Using Change Point Detection to Hunt for Performance Regressions" (ICPE 2023). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "changepoint.h"
#include "stats.h"

/* A series longer than this is refused: the split step costs window^3 per window, but the
 * permutation test runs over the whole series. */
#define CP_MAX_POINTS 100000
#define CP_MAX_PERM_POINTS 2000

void cb_cp_defaults(cb_cp_cfg *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->max_pvalue = 0.001;
  cfg->min_magnitude = 0;
  cfg->window = 50;
  cfg->min_after = 2;
  cfg->test = CB_CP_TTEST;
  cfg->permutations = 199;
  cfg->seed = 1;
}

/* ---- the E-Divisive statistic (calculator.py) ------------------------------------------------ */

/* Q-hat(X, Y) for X = x[s..tau), Y = x[tau..kappa), n = |X|, m = |Y| (Otava's power 1):
 *   2/(m+n) sum|X_i - Y_j| - 2m/((m+n)(n-1)) sum_{i<k}|X_i - X_k| - 2n/((m+n)(m-1)) sum_{j<k}|Y_j - Y_k|,
 * a term whose n-1 or m-1 is 0 counted as 0, as Otava's masked divisions do. The sums grow by one
 * value of kappa at a time, so an interval of L values costs L^3, not L^4. Ties keep the first
 * (tau, kappa) in row order, as numpy's argmax does. */
double cb__cp_candidate(const double *x, size_t s, size_t e, size_t *tau_out) {
  double best = -INFINITY, sxx = 0;
  size_t best_tau = s + 1;
  for (size_t tau = s + 1; tau < e; tau++) {
    /* sxx: the pairs within X = x[s..tau); it gained x[tau-1]'s pairs. */
    for (size_t i = s; i + 1 < tau; i++) sxx += fabs(x[i] - x[tau - 1]);
    double sxy = 0, syy = 0, n = (double)(tau - s);
    for (size_t kappa = tau + 1; kappa <= e; kappa++) {
      double v = x[kappa - 1], m = (double)(kappa - tau);
      for (size_t i = s; i < tau; i++) sxy += fabs(x[i] - v);
      for (size_t j = tau; j + 1 < kappa; j++) syy += fabs(x[j] - v);
      double q = 2 / (m + n) * sxy;
      if (n > 1) q -= 2 * m / ((m + n) * (n - 1)) * sxx;
      if (m > 1) q -= 2 * n / ((m + n) * (m - 1)) * syy;
      if (q > best) {
        best = q;
        best_tau = tau;
      }
    }
  }
  *tau_out = best_tau;
  return best;
}

/* ---- Student's t-test (analysis.py TTestSignificanceTester) ------------------------------------ */

/* The continued fraction of the regularized incomplete beta function (modified Lentz). */
static double beta_cf(double a, double b, double x) {
  const double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 300; m++) {
    double m2 = 2.0 * m, aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (fabs(c) < tiny) c = tiny;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (fabs(del - 1) < 1e-15) break;
  }
  return h;
}

/* I_x(a, b). */
static double beta_inc(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x), bt = exp(lbt);
  if (x < (a + 1) / (a + b + 2)) return bt * beta_cf(a, b, x) / a;
  return 1 - bt * beta_cf(b, a, 1 - x) / b;
}

static void mean_sd(const double *v, size_t n, double *mean, double *sd) {
  double s = 0, ss = 0;
  for (size_t i = 0; i < n; i++) s += v[i];
  *mean = n ? s / (double)n : NAN;
  for (size_t i = 0; i < n; i++) ss += (v[i] - *mean) * (v[i] - *mean);
  *sd = n >= 2 ? sqrt(ss / (double)(n - 1)) : 0;
}

/* Otava passes numpy's std (divided by n) where scipy's ttest_ind_from_stats expects the sample
 * one (n - 1); this uses the sample one, so the test is Student's as written, a little less eager
 * on short segments. Equal variances pooled, two-sided, as Otava calls it. */
double cb__cp_ttest(const double *a, size_t na, const double *b, size_t nb) {
  double ma, sa, mb, sb;
  if (na == 0 || nb == 0 || na + nb <= 2) return 1;
  mean_sd(a, na, &ma, &sa);
  mean_sd(b, nb, &mb, &sb);
  double df = (double)(na + nb - 2);
  double vp = ((double)(na - 1) * sa * sa + (double)(nb - 1) * sb * sb) / df;
  double se = sqrt(vp * (1.0 / (double)na + 1.0 / (double)nb));
  if (!(se > 0)) return ma == mb ? 1 : 0;
  double t = (ma - mb) / se;
  double p = beta_inc(df / 2, 0.5, df / (df + t * t));
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

/* ---- the detector over one stretch (detector.py) ----------------------------------------------- */

typedef struct cpset {
  cb_cp *v;
  size_t n, cap;
} cpset;

static int cp_insert(cpset *s, const cb_cp *c) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 8;
    cb_cp *v = realloc(s->v, cap * sizeof *v);
    if (!v) return -ENOMEM;
    s->v = v;
    s->cap = cap;
  }
  size_t k = s->n;
  while (k > 0 && s->v[k - 1].index > c->index) {
    s->v[k] = s->v[k - 1];
    k--;
  }
  s->v[k] = *c;
  s->n++;
  return 0;
}

/* The stretch [lo, hi) of x that cps cuts around index at: the segment that holds it. */
static void segment_of(const cpset *s, size_t n, size_t at, size_t *lo, size_t *hi) {
  *lo = 0;
  *hi = n;
  for (size_t k = 0; k < s->n; k++) {
    if (s->v[k].index <= at) *lo = s->v[k].index;
    if (s->v[k].index > at) { *hi = s->v[k].index; break; }
  }
}

/* The best candidate over every segment of x[0..n) that s leaves (Calculator.get_next_candidate):
 * -1 when no segment has two values. */
static int next_candidate(const double *x, size_t n, const cpset *s, size_t *tau, double *qhat) {
  int found = 0;
  size_t lo = 0;
  for (size_t k = 0; k <= s->n; k++) {
    size_t hi = k < s->n ? s->v[k].index : n;
    if (hi - lo > 1) {
      size_t t;
      double q = cb__cp_candidate(x, lo, hi, &t);
      if (!found || q > *qhat) {
        *qhat = q;
        *tau = t;
        found = 1;
      }
    }
    lo = hi;
  }
  return found ? 0 : -1;
}

/* The permutation p-value of a candidate (significance_test.py): the values are shuffled within
 * each segment, and the share of shuffles whose best Q-hat reaches the candidate's. */
static int perm_pvalue(const double *x, size_t n, const cpset *s, double qhat, const cb_cp_cfg *cfg,
                       cb_rng *rng, double *p) {
  double *y = malloc(n * sizeof *y);
  if (!y) return -ENOMEM;
  unsigned extreme = 0;
  for (unsigned i = 0; i < cfg->permutations; i++) {
    memcpy(y, x, n * sizeof *y);
    size_t lo = 0;
    for (size_t k = 0; k <= s->n; k++) {
      size_t hi = k < s->n ? s->v[k].index : n;
      for (size_t j = hi - lo; j > 1; j--) {
        size_t r = lo + (size_t)cb_rng_below(rng, j), a = lo + j - 1;
        double t = y[a];
        y[a] = y[r];
        y[r] = t;
      }
      lo = hi;
    }
    size_t tau;
    double q;
    if (next_candidate(y, n, s, &tau, &q) == 0 && q >= qhat) extreme++;
  }
  free(y);
  *p = (double)extreme / (double)(cfg->permutations + 1);
  return 0;
}

/* Change points of x[0..n) while each new one has p <= maxp (ChangePointDetector.get_change_points). */
static int detect(const double *x, size_t n, double maxp, const cb_cp_cfg *cfg, cb_rng *rng, cpset *out) {
  while (1) {
    size_t tau = 0, lo, hi;
    double q = 0, p;
    if (next_candidate(x, n, out, &tau, &q) != 0) return 0;
    segment_of(out, n, tau, &lo, &hi);
    if (cfg->test == CB_CP_PERMUTATION) {
      int rc = perm_pvalue(x, n, out, q, cfg, rng, &p);
      if (rc) return rc;
    } else {
      p = cb__cp_ttest(x + lo, tau - lo, x + tau, hi - tau);
    }
    if (!(p <= maxp)) return 0;
    cb_cp c = { .index = tau, .pvalue = p, .qhat = q };
    int rc = cp_insert(out, &c);
    if (rc) return rc;
  }
}

/* ---- split and merge (analysis.py) ---------------------------------------------------------- */

static double magnitude(const cb_cp *c) {
  double f = c->mean_before != 0 ? c->mean_after / c->mean_before - 1 : 0;
  double b = c->mean_after != 0 ? c->mean_before / c->mean_after - 1 : 0;
  return fmax(fabs(f), fabs(b));
}

/* The statistics of change k against its neighbours: the segments either side of it. */
static void restat(const double *x, size_t n, cpset *s, size_t k, int ttest) {
  cb_cp *c = &s->v[k];
  size_t lo = k ? s->v[k - 1].index : 0, hi = k + 1 < s->n ? s->v[k + 1].index : n;
  double sd;
  mean_sd(x + lo, c->index - lo, &c->mean_before, &sd);
  mean_sd(x + c->index, hi - c->index, &c->mean_after, &sd);
  c->ratio = c->mean_before != 0 ? c->mean_after / c->mean_before : NAN;
  if (ttest) c->pvalue = cb__cp_ttest(x + lo, c->index - lo, x + c->index, hi - c->index);
}

static void cp_remove(cpset *s, size_t k) {
  memmove(&s->v[k], &s->v[k + 1], (s->n - k - 1) * sizeof *s->v);
  s->n--;
}

/* Fleming et al.'s merge step: drop the weakest change (the highest p-value while one is above
 * maxp, then the smallest change while one is at most min_magnitude), recomputing its neighbours,
 * until every one left passes both. */
static void merge(const double *x, size_t n, cpset *s, double maxp, double min_mag) {
  while (s->n) {
    size_t w = 0;
    for (size_t k = 1; k < s->n; k++)
      if (s->v[k].pvalue > s->v[w].pvalue) w = k;
    if (s->v[w].pvalue < maxp) {
      w = 0;
      for (size_t k = 1; k < s->n; k++)
        if (magnitude(&s->v[k]) < magnitude(&s->v[w])) w = k;
      if (magnitude(&s->v[w]) > min_mag) return;
    }
    cp_remove(s, w);
    if (w > 0) restat(x, n, s, w - 1, 1);
    if (w < s->n) restat(x, n, s, w, 1);
  }
}

int cb_changepoints(const double *x, size_t n, const cb_cp_cfg *cfg, cb_cp **out, size_t *nout) {
  cpset all = { 0 };
  int rc = 0;
  *out = NULL;
  *nout = 0;
  if (n > CP_MAX_POINTS || cfg->window < 2 || !(cfg->max_pvalue > 0)) return -EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return -EINVAL;
  if (n < CB_CP_MIN_POINTS) return 0;
  cb_rng rng;
  cb_rng_seed(&rng, cfg->seed);
  if (cfg->test == CB_CP_PERMUTATION) {
    /* The original algorithm (compute_change_points_orig): the whole series at once. */
    if (n > CP_MAX_PERM_POINTS) return -EINVAL;
    if ((rc = detect(x, n, cfg->max_pvalue, cfg, &rng, &all))) goto fail;
    for (size_t k = 0; k < all.n; k++) restat(x, n, &all, k, 0);
  } else {
    /* The split step: E-Divisive in windows half a window apart, at a first-pass p-value ten
     * times looser ("weak" change points), their union, then the merge step at max_pvalue. */
    double p = cfg->max_pvalue, first = p < 0.05 ? p * 10 : p < 0.5 ? p * 2 : p;
    size_t step = cfg->window / 2, start = 0;
    while (start < n) {
      size_t end = start + cfg->window < n ? start + cfg->window : n, last = 0;
      cpset local = { 0 };
      if ((rc = detect(x + start, end - start, first, cfg, &rng, &local))) {
        free(local.v);
        goto fail;
      }
      for (size_t k = 0; k < local.n; k++) {
        local.v[k].index += start;
        last = local.v[k].index;
        size_t j = 0;
        while (j < all.n && all.v[j].index != local.v[k].index) j++;
        if (j == all.n && (rc = cp_insert(&all, &local.v[k]))) {
          free(local.v);
          goto fail;
        }
      }
      free(local.v);
      start = last > start + step ? last : start + step;
    }
    for (size_t k = 0; k < all.n; k++) restat(x, n, &all, k, 1);
    merge(x, n, &all, cfg->max_pvalue, cfg->min_magnitude);
  }
  /* Not Otava's: every segment needs min_after values. The t-test against a single value calls
   * any slow run a change (a first or last run, or one between two changes); of the two changes
   * around a short segment the one with the higher p-value goes, and the last run waits for the
   * next to agree. */
  size_t m = cfg->min_after;
  for (size_t k = 0; m > 1 && k <= all.n;) {
    size_t lo = k ? all.v[k - 1].index : 0, hi = k < all.n ? all.v[k].index : n;
    if (hi - lo >= m) { k++; continue; }
    size_t w = k == all.n ? k - 1 : k == 0 ? 0 : all.v[k - 1].pvalue >= all.v[k].pvalue ? k - 1 : k;
    cp_remove(&all, w);
    int tt = cfg->test != CB_CP_PERMUTATION;
    if (w > 0) restat(x, n, &all, w - 1, tt);
    if (w < all.n) restat(x, n, &all, w, tt);
    k = 0;
  }
  /* What the neighbours' new statistics leave must still pass the merge step. */
  if (cfg->test != CB_CP_PERMUTATION) merge(x, n, &all, cfg->max_pvalue, cfg->min_magnitude);
  if (all.n == 0) {
    free(all.v);
    return 0;
  }
  *out = all.v;
  *nout = all.n;
  return 0;
fail:
  free(all.v);
  return rc;
}
