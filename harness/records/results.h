/* results.h: writing a run's results.json and results.csv, and copying them (baselines). */
#ifndef CB_RESULTS_H
#define CB_RESULTS_H

#include "plan.h"
#include "rows.h"
#include "columns.h"

/* Write DIR/results.csv and DIR/results.json atomically from the cases measured so far and their
 * rows (rows[i] for plan->cases[i], cb_rows_compute). 0 or -errno. */
int cb_results_write(const char *dir, const cb_plan *plan, const cb_row *rows, const cb_machine *m,
                     int argc, char **argv, const char *status);

/* Copy DIR's results.csv and results.json to TO (created), each atomically. 0 or -errno. */
int cb_results_copy(const char *dir, const char *to);
/* Does dir hold a run's results (results.json or results.csv, as any kind of file)? */
int cb_results_exist(const char *dir);
/* Would writing the results directory (or file) out replace the input in (a results directory
 * or a results.json)? Compared by device and inode, so other spellings and links count. */
int cb_results_is_input(const char *out, const char *in);

#endif
