/* merge.h: result directories (typically the shards of one run) joined into one. */
#ifndef CB_MERGE_H
#define CB_MERGE_H

#include <stddef.h>

/* Join the results of names[0..nin) into out_dir (results.json and results.csv, written only
 * when everything checks): refused when a case is in two inputs, or when environments differ
 * and force is not set. Says what it did or why not; returns the exit status (0, or 2). */
int cb_merge(const char *out_dir, char *const *names, size_t nin, int force);

#endif
