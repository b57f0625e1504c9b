/* suite.h: suite files: INI (parsed with inih) naming groups of cases, the default suite embedded
 * in the binary and shipped as suites/default.ini. */
#ifndef CB_SUITE_H
#define CB_SUITE_H

#include <stddef.h>
#include "plan.h"
#include "gate.h"

#define CB_MAX_GROUPS 64

typedef struct cb_suite {
  char name[64];
  char description[256];
  unsigned reps, warmup;
  int reps_auto;         /* reps = auto: reps is the least, then rounds until the median is pinned down */
  unsigned reps_max;     /* max_reps */
  double ci;             /* ci: the half-width of the median's 95% interval that is enough (0.02) */
  double budget_s;       /* budget: no new adaptive round after this many seconds of the run */
  double target_s;       /* target: a group's tasks = auto lasts at least this (seconds) */
  uint64_t seed;
  int ngates;
  cb_gate gates[CB_MAX_GATES];
  int ngroups;
  char group_names[CB_MAX_GROUPS][64];
  cb_run_cfg groups[CB_MAX_GROUPS];
} cb_suite;

/* The default suite, as shipped in suites/default.ini. */
extern const char cb_default_suite[];

/* Parse a suite from text (name is used in messages); quick selects the groups marked quick and
 * their quick.* settings. 0, or -1 with "NAME:LINE: what is wrong" in err. */
int cb_suite_parse(const char *text, const char *name, int quick, cb_suite *s, char *err, size_t len);
/* The same from a file: a regular file of at most CB_SUITE_MAX_BYTES (a FIFO, a device or a
 * directory is refused for what it is). */
#define CB_SUITE_MAX_BYTES ((size_t)4 << 20)
int cb_suite_load(const char *path, int quick, cb_suite *s, char *err, size_t len);

#endif
