/* hist.c: log-linear (HDR-style) histogram of durations: record, merge, percentiles, text form. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "hist.h"

#define SUB_COUNT (1u << CB_HIST_SUB_BITS)
/* The "raw" index runs from 0 ns with width-1 buckets below 2*SUB_COUNT, then SUB_COUNT buckets
 * per power of two. Raw buckets up to RAW_BELOW_MIN hold values below 1 us (raw 317 is
 * [1000, 1008)), so they all fold into bucket 0. */
#define RAW_BELOW_MIN 316

_Static_assert(sizeof(cb_hist) == 4 * sizeof(uint64_t) + CB_HIST_BUCKETS * sizeof(uint64_t),
               "cb_hist must stay flat, without padding");
_Static_assert(sizeof(cb_hist) <= 16384, "cb_hist should fit in 16 KiB");
_Static_assert(CB_HIST_SPECTRUM_MAX >= 5 * 60 + 2, "room for every halving a double can tell");

static uint64_t add_sat(uint64_t a, uint64_t b) {
  uint64_t r;
  return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* No division or log: the value's top bit picks the power of two, the next CB_HIST_SUB_BITS bits
 * the linear part. v | (2*SUB_COUNT-1) keeps the shift at 0 for small values (and clz off 0). */
static inline size_t bucket_of(uint64_t v) {
  if (v > CB_HIST_MAX_NS) v = CB_HIST_MAX_NS;
  unsigned shift = (unsigned)(63 - CB_HIST_SUB_BITS) -
                   (unsigned)__builtin_clzll(v | (2 * SUB_COUNT - 1));
  uint64_t raw = ((uint64_t)shift << CB_HIST_SUB_BITS) + (v >> shift);
  return raw > RAW_BELOW_MIN ? (size_t)(raw - RAW_BELOW_MIN) : 0;
}

size_t cb_hist_bucket_of(uint64_t ns) { return bucket_of(ns); }

/* Midpoint of bucket i: within 1/128 of any value the bucket holds (half a width of 2^shift over
 * a lower bound of at least 64 * 2^shift). Bucket 0 ([0, 1 us)) says 500 ns. */
uint64_t cb_hist_bucket_value(size_t i) {
  if (i == 0) return CB_HIST_MIN_NS / 2;
  if (i >= CB_HIST_BUCKETS) i = CB_HIST_BUCKETS - 1;
  uint64_t raw = (uint64_t)i + RAW_BELOW_MIN;
  unsigned shift = (unsigned)(raw >> CB_HIST_SUB_BITS) - 1;
  uint64_t lo = (raw - ((uint64_t)shift << CB_HIST_SUB_BITS)) << shift;
  return lo + ((UINT64_C(1) << shift) >> 1);
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

void cb_hist_init(cb_hist *h) {
  memset(h, 0, sizeof *h);
  h->min_ns = UINT64_MAX;
}

void cb_hist_record(cb_hist *h, uint64_t ns) {
  h->counts[bucket_of(ns)]++;
  h->count++;
  h->sum_ns = add_sat(h->sum_ns, ns);   /* a bogus huge value must not wrap the mean */
  if (ns < h->min_ns) h->min_ns = ns;
  if (ns > h->max_ns) h->max_ns = ns;
}

void cb_hist_record_n(cb_hist *h, uint64_t ns, uint64_t n) {
  /* Keep every bucket <= count, so percentile walks and decode checks stay consistent. */
  if (n > UINT64_MAX - h->count) n = UINT64_MAX - h->count;
  if (n == 0) return;
  uint64_t s;
  h->counts[bucket_of(ns)] += n;
  h->count += n;
  h->sum_ns = add_sat(h->sum_ns, __builtin_mul_overflow(ns, n, &s) ? UINT64_MAX : s);
  if (ns < h->min_ns) h->min_ns = ns;
  if (ns > h->max_ns) h->max_ns = ns;
}

void cb_hist_merge(cb_hist *dst, const cb_hist *src) {
  if (src->count == 0) return;
  for (size_t i = 0; i < CB_HIST_BUCKETS; i++) dst->counts[i] = add_sat(dst->counts[i], src->counts[i]);
  dst->count = add_sat(dst->count, src->count);
  dst->sum_ns = add_sat(dst->sum_ns, src->sum_ns);
  if (src->min_ns < dst->min_ns) dst->min_ns = src->min_ns;
  if (src->max_ns > dst->max_ns) dst->max_ns = src->max_ns;
}

/* ceil(pct/100 * count) in 1..count. pct/100*count carries a few ulps of error, which must not
 * turn an exact rank k (99.9% of 1000) into k+1: shave a relative 1e-12 before the ceiling. */
static uint64_t rank_of(double pct, uint64_t count) {
  double x = pct / 100.0 * (double)count;
  double y = ceil(x - x * 1e-12);
  if (!(y >= 1.0)) return 1;
  if (y >= (double)count) return count;
  return (uint64_t)y;
}

uint64_t cb_hist_percentile(const cb_hist *h, double pct) {
  if (h->count == 0) return 0;
  if (!(pct > 0)) return h->min_ns;   /* NaN too */
  if (pct >= 100) return h->max_ns;
  uint64_t rank = rank_of(pct, h->count), cum = 0;
  for (size_t i = 0; i < CB_HIST_BUCKETS; i++) {
    cum = add_sat(cum, h->counts[i]);
    if (cum >= rank) return clamp_u64(cb_hist_bucket_value(i), h->min_ns, h->max_ns);
  }
  return h->max_ns;   /* buckets short of count: only a corrupted struct gets here */
}

double cb_hist_mean(const cb_hist *h) {
  return h->count ? (double)h->sum_ns / (double)h->count : 0.0;
}

size_t cb_hist_spectrum(const cb_hist *h, cb_hist_point *out, size_t max) {
  size_t np = 0, next = 0;
  uint64_t cum = 0;
  double last_q = -1;
  if (h->count == 0) return 0;
#define EMIT(q_, v_, c_)                                                  \
  do {                                                                    \
    if (np < max) {                                                       \
      out[np].percentile = (q_);                                          \
      out[np].value_ms = (double)(v_) / 1e6;                              \
      out[np].count_below = (c_);                                         \
    }                                                                     \
    np++;                                                                 \
  } while (0)
  /* Halving k covers [100 - 100/2^k, 100 - 100/2^(k+1)) in CB_HIST_TICKS_PER_HALF equal steps:
   * dyadic numbers, exact in a double until the steps drop below its precision near 100. */
  for (int k = 0; np < CB_HIST_SPECTRUM_MAX - 1; k++) {
    double base = 100.0 - ldexp(100.0, -k), step = ldexp(100.0, -(k + 1)) / CB_HIST_TICKS_PER_HALF;
    for (int j = 0; j < CB_HIST_TICKS_PER_HALF && np < CB_HIST_SPECTRUM_MAX - 1; j++) {
      double q = base + j * step;
      if (q >= 100.0) goto last;
      if (q <= last_q) continue;
      uint64_t rank = rank_of(q, h->count);
      while (cum < rank && next < CB_HIST_BUCKETS) cum = add_sat(cum, h->counts[next++]);
      if (cum < rank) goto last;   /* corrupted: buckets short of count */
      uint64_t v = q == 0 ? h->min_ns
                          : clamp_u64(cb_hist_bucket_value(next - 1), h->min_ns, h->max_ns);
      EMIT(q, v, cum);
      last_q = q;
      /* As HdrHistogram: one tick in the last bucket, then straight to 100%. */
      if (cum >= h->count) goto last;
    }
  }
last:
  EMIT(100.0, h->max_ns, h->count);
#undef EMIT
  return np;
}

/* A bounded writer that counts what it could not write, as snprintf does. */
typedef struct writer {
  char *buf;
  size_t cap, len;
} writer;

static void put(writer *w, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++, w->len++)
    if (w->len + 1 < w->cap) w->buf[w->len] = s[i];
}

static void put_str(writer *w, const char *s) { put(w, s, strlen(s)); }

static void put_u64(writer *w, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(w, tmp + sizeof tmp - n, n);
}

size_t cb_hist_encode(const cb_hist *h, char *buf, size_t cap) {
  writer w = { buf, cap, 0 };
  int empty = h->count == 0;
  put_str(&w, "cbh1;n=");
  put_u64(&w, h->count);
  put_str(&w, ";min=");
  put_u64(&w, empty ? 0 : h->min_ns);
  put_str(&w, ";max=");
  put_u64(&w, empty ? 0 : h->max_ns);
  put_str(&w, ";sum=");
  put_u64(&w, empty ? 0 : h->sum_ns);
  put_str(&w, ";");
  int first = 1;
  for (size_t i = 0; i < CB_HIST_BUCKETS && !empty; i++) {
    if (!h->counts[i]) continue;
    if (!first) put_str(&w, ",");
    first = 0;
    put_u64(&w, i);
    put_str(&w, ":");
    put_u64(&w, h->counts[i]);
  }
  if (cap) buf[w.len < cap ? w.len : cap - 1] = '\0';
  return w.len;
}

/* Digits only: no sign, no space, no overflow. */
static int parse_u64(const char **p, uint64_t *out) {
  const char *s = *p;
  uint64_t v = 0;
  if (*s < '0' || *s > '9') return -1;
  for (; *s >= '0' && *s <= '9'; s++) {
    unsigned d = (unsigned)(*s - '0');
    if (v > (UINT64_MAX - d) / 10) return -1;
    v = v * 10 + d;
  }
  *p = s;
  *out = v;
  return 0;
}

/* strncmp stops at the input's NUL, so a truncated string never reads past its end. */
static int expect(const char **p, const char *lit) {
  size_t n = strlen(lit);
  if (strncmp(*p, lit, n) != 0) return -1;
  *p += n;
  return 0;
}

int cb_hist_decode(cb_hist *h, const char *s) {
  uint64_t n, mn, mx, sum, total = 0, prod;
  size_t first = CB_HIST_BUCKETS, last = 0;
  const char *p = s;
  if (!h) return -EINVAL;
  cb_hist_init(h);
  if (!s) return -EINVAL;
  if (expect(&p, "cbh1;n=") || parse_u64(&p, &n) || expect(&p, ";min=") || parse_u64(&p, &mn) ||
      expect(&p, ";max=") || parse_u64(&p, &mx) || expect(&p, ";sum=") || parse_u64(&p, &sum) ||
      expect(&p, ";"))
    goto bad;
  if (n == 0) {
    if (mn || mx || sum || *p) goto bad;
    return 0;
  }
  while (*p) {
    uint64_t idx, c;
    if (parse_u64(&p, &idx) || expect(&p, ":") || parse_u64(&p, &c)) goto bad;
    if (idx >= CB_HIST_BUCKETS || c == 0) goto bad;
    if (first < CB_HIST_BUCKETS && idx <= last) goto bad;   /* duplicate or out of order */
    if (__builtin_add_overflow(total, c, &total)) goto bad;
    h->counts[idx] = c;
    if (first == CB_HIST_BUCKETS) first = (size_t)idx;
    last = (size_t)idx;
    if (*p == ',') {
      if (!*++p) goto bad;   /* a trailing comma: cut short */
    } else if (*p) {
      goto bad;
    }
  }
  /* The header must agree with the buckets, so a tampered file cannot pass for a histogram. */
  if (total != n || mn > mx || first != bucket_of(mn) || last != bucket_of(mx)) goto bad;
  if (n == 1 && (mn != mx || sum != mn)) goto bad;
  if (__builtin_mul_overflow(mn, n, &prod) ? sum != UINT64_MAX : sum < prod) goto bad;
  if (!__builtin_mul_overflow(mx, n, &prod) && sum > prod) goto bad;
  h->count = n;
  h->min_ns = mn;
  h->max_ns = mx;
  h->sum_ns = sum;
  return 0;
bad:
  cb_hist_init(h);
  return -EINVAL;
}
