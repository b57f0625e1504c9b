/* columns.h: results.csv's columns, in one table: the run writes results.csv and export
 * regenerates it from results.json through the same table, so the two cannot drift apart. */
#ifndef CB_COLUMNS_H
#define CB_COLUMNS_H

#include <stddef.h>

struct cJSON;
struct cb_results;

/* The header line (without newline): the names scripts and CI rely on, in order. */
extern const char *const cb_csv_header;

/* results.csv from case objects as results.json holds them (results.c's case_json): a header
 * line and a row per case. NULL with a one-line reason in err. */
char *cb_csv_of_cases(const struct cJSON *const *cases, size_t n, char *err, size_t len);
/* The same for a results file read back (merged or older files too). */
char *cb_results_csv(const struct cb_results *r, char *err, size_t len);

#endif
