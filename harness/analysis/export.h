/* export.h: a run's results in other tools' formats. */
#ifndef CB_EXPORT_H
#define CB_EXPORT_H

enum { CB_EXPORT_GB, CB_EXPORT_CSV, CB_EXPORT_MD, CB_EXPORT_ACTION };

/* path's results (a run directory or results.json) as Google Benchmark JSON (aggregates_only:
 * only the mean, median, stddev and cv entries), github-action-benchmark's customSmallerIsBetter
 * JSON (one entry per case: its median), results.csv or a markdown table, to out_path
 * (atomically) or standard output when NULL. Says why not on stderr; returns the exit status. */
int cb_export(const char *path, int fmt, int aggregates_only, const char *out_path);

#endif
