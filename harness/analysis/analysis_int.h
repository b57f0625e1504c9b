/* analysis_int.h: the analysis layer's internal calls (cb__), for its own files and white-box tests. */
#ifndef CB_ANALYSIS_INT_H
#define CB_ANALYSIS_INT_H

#include <stddef.h>
#include <stdint.h>

/* The ratio median(cur)/median(base) and a percentile-bootstrap interval of it at `level`: each
 * resample draws both sides anew, with replacement, from a PRNG seeded with `seed`.
 * 0 or -EINVAL/-ENOMEM. */
int cb__compare_ratio_ci(const double *base, size_t nb, const double *cur, size_t nn, double level,
                         unsigned resamples, uint64_t seed, double *ratio, double *lo, double *hi);

#endif
