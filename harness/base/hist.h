/* hist.h: log-linear (HDR-style) histogram of durations in nanoseconds, fixed size, no malloc. */
#ifndef CB_HIST_H
#define CB_HIST_H

#include <stddef.h>
#include <stdint.h>

/* Layout: values from CB_HIST_MIN_NS to CB_HIST_MAX_NS fall in buckets 64 to a power of two
 * (each power-of-two range [2^e, 2^(e+1)) split into 64 equal parts), so a bucket's midpoint is
 * within 1/128 (0.78%) of every value in it. Bucket 0 holds everything below 1 us, the last
 * bucket everything from just under 1 h up; min_ns and max_ns stay exact whatever the value. */
#define CB_HIST_SUB_BITS 6
#define CB_HIST_MIN_NS UINT64_C(1000)            /* 1 us */
#define CB_HIST_MAX_NS UINT64_C(3600000000000)   /* 1 h */
#define CB_HIST_BUCKETS 2029

/* Flat and fixed-size (16264 bytes, no pointers, no padding), so it can live in MAP_SHARED
 * memory, go through a pipe as bytes and be compared with memcmp. One writer at a time: give
 * each worker its own and merge them afterwards. min_ns is UINT64_MAX while count is 0. */
typedef struct cb_hist {
  uint64_t count;
  uint64_t min_ns, max_ns;
  uint64_t sum_ns;                    /* exact, saturates at UINT64_MAX (584 years) */
  uint64_t counts[CB_HIST_BUCKETS];
} cb_hist;

/* One line of a percentile distribution, as HdrHistogram prints it: the value at `percentile`
 * and how many values lie in the buckets up to and including that value's (its TotalCount). */
typedef struct cb_hist_point {
  double percentile;                  /* 0..100 */
  double value_ms;
  uint64_t count_below;
} cb_hist_point;

/* Points per halving of the distance to 100% in a spectrum (HdrHistogram's default), and a
 * bound on the number of points any histogram can give. */
#define CB_HIST_TICKS_PER_HALF 5
#define CB_HIST_SPECTRUM_MAX 352

/* Longest possible encoding, terminating NUL included. */
#define CB_HIST_ENCODE_MAX (128 + 26 * CB_HIST_BUCKETS)

void cb_hist_init(cb_hist *h);
void cb_hist_record(cb_hist *h, uint64_t ns);
/* n values of ns at once; counts beyond UINT64_MAX in total are dropped. */
void cb_hist_record_n(cb_hist *h, uint64_t ns, uint64_t n);
/* dst += src; src untouched. */
void cb_hist_merge(cb_hist *dst, const cb_hist *src);

/* Nearest rank: the smallest recorded value v with at least pct% of the values <= v, given as
 * the midpoint of v's bucket clamped to [min, max]. pct 0 gives min and 100 gives max, both
 * exact; an empty histogram gives 0. pct is clamped to 0..100. */
uint64_t cb_hist_percentile(const cb_hist *h, double pct);
/* Exact mean of the recorded values (from sum_ns), 0 when empty. */
double cb_hist_mean(const cb_hist *h);

/* The percentile distribution HdrHistogram prints: ticks at 0, 10, ..., 40, then 50, 55, ...,
 * each halving of the remaining distance to 100% cut into CB_HIST_TICKS_PER_HALF, until the
 * last bucket is reached, then 100% with max. Plot value_ms against 1/(1 - percentile/100) on a
 * log axis. Writes at most max points and returns how many the whole spectrum has (0 when
 * empty; never more than CB_HIST_SPECTRUM_MAX). Percentiles strictly increase, values never
 * decrease, the first value is min and the last is (100, max). */
size_t cb_hist_spectrum(const cb_hist *h, cb_hist_point *out, size_t max);

/* Text form for results.json: "cbh1;n=COUNT;min=MIN;max=MAX;sum=SUM;I:C,I:C,..." with only the
 * non-empty buckets, in increasing index (an empty histogram is "cbh1;n=0;min=0;max=0;sum=0;").
 * Like snprintf: writes at most cap-1 characters and a NUL when cap > 0, and returns the length
 * of the whole encoding (less than CB_HIST_ENCODE_MAX). */
size_t cb_hist_encode(const cb_hist *h, char *buf, size_t cap);
/* Parses what cb_hist_encode wrote, and nothing else: any malformed, truncated, overflowing or
 * inconsistent input (bucket counts not adding up to n, min or max not in the first or last
 * bucket, sum out of [min*n, max*n], indices out of range or not increasing) gives -EINVAL
 * and leaves h empty. 0 on success. Safe on untrusted input. */
int cb_hist_decode(cb_hist *h, const char *s);

/* The bucket ns falls in, and the value reported for bucket i (its midpoint). */
size_t cb_hist_bucket_of(uint64_t ns);
uint64_t cb_hist_bucket_value(size_t i);

#endif
