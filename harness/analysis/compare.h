/* compare.h: two runs compared case by case: the ratio of median wall times with a bootstrap
 * interval and a Mann-Whitney U test, and a verdict per case. */
#ifndef CB_COMPARE_H
#define CB_COMPARE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { CB_COMPARE_TABLE, CB_COMPARE_MD, CB_COMPARE_JSON } cb_compare_format;

typedef struct cb_compare_cfg {
  double threshold, alpha;
  uint64_t seed;
  cb_compare_format format;
  int force;
  const char *baseline;      /* --baseline NAME, or NULL */
} cb_compare_cfg;

/* Compare NEW (cur) with BASE (base): run directories or results.json files. Prints the
 * comparison in cfg->format on stdout and each regression on stderr; returns the exit status: 0
 * nothing regressed, 1 something did, 2 bad input. */
int cb_compare(const cb_compare_cfg *cfg, const char *base, const char *cur);

/* The ratio median(cur)/median(base) and a percentile-bootstrap interval of it at `level`: each
 * resample draws both sides anew, with replacement, from a PRNG seeded with `seed`. Used by
 * compare, and by the report for the interval of a speedup. 0 or -EINVAL/-ENOMEM. */
int cb_ratio_ci(const double *base, size_t nb, const double *cur, size_t nn, double level,
                unsigned resamples, uint64_t seed, double *ratio, double *lo, double *hi);

/* Internal (tests): pairs the cases of b and n by key, in n log n. match_b[i] = the index in n
 * of base case i's partner or -1; used_n[j] = 1 when new case j has one. 0 or -ENOMEM. */
struct cb_results;
int cb__compare_match(const struct cb_results *b, const struct cb_results *n, long *match_b,
                      unsigned char *used_n);

#endif
