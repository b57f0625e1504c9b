/* runcfg.h: filling a run's configuration from text (command-line options or suite-file keys),
 * with one line saying what is wrong when it is. */
#ifndef CB_RUNCFG_H
#define CB_RUNCFG_H

#include <stddef.h>
#include "plan.h"

#define CB_MAX_TASKS 10000000ull
#define CB_MAX_CONC 1000000ull
#define CB_MAX_REPS 10000ull

/* tasks = auto: each case's ideal time at least this long; -r auto: at least CB_AUTO_REPS_MIN
 * repetitions, more (up to CB_AUTO_REPS_MAX) while the 95% interval of the median is wider than
 * +-CB_AUTO_CI of it. */
#define CB_AUTO_TARGET_S 0.12
#define CB_AUTO_REPS_MIN 5
#define CB_AUTO_REPS_MAX 30
#define CB_AUTO_CI 0.02

/* Defaults: every backend, sleep and cpu, 100 tasks, concurrency 10, 3 repetitions, 1 warm-up. */
void cb_cfg_defaults(cb_run_cfg *cfg);

/* Each returns 0, or -1 with the reason in err. */
int cb_cfg_backends(cb_run_cfg *cfg, const char *list, char *err, size_t len);
int cb_cfg_workloads(cb_run_cfg *cfg, const char *list, char *err, size_t len);
int cb_cfg_concurrency(cb_run_cfg *cfg, const char *list, char *err, size_t len);
/* --rate's list (what names it in messages): each value its own case; cfg->rate is the first. */
int cb_cfg_rates(cb_run_cfg *cfg, const char *what, const char *list, char *err, size_t len);
/* name and a list of values ("10,20"). */
int cb_cfg_param(cb_run_cfg *cfg, const char *name, const char *values, char *err, size_t len);
/* A whole number in [lo, hi] for `what` ("tasks"). */
/* tasks: a count, or "auto" (sized by time: cfg->target_s, CB_AUTO_TARGET_S unless set). */
int cb_cfg_tasks(cb_run_cfg *cfg, const char *s, char *err, size_t len);
/* reps: a count, or "auto" (adaptive: cfg->reps_auto with CB_AUTO_REPS_MIN to cfg->reps_max). */
int cb_cfg_reps(cb_run_cfg *cfg, const char *s, char *err, size_t len);
int cb_cfg_count(const char *what, const char *s, uint64_t lo, uint64_t hi, uint64_t *out, char *err, size_t len);
int cb_cfg_number(const char *what, const char *s, double lo, double hi, double *out, char *err, size_t len);
/* Every chosen backend has the calls every chosen workload uses (cb_case_check_calls). */
int cb_cfg_check_calls(const cb_run_cfg *cfg, char *err, size_t len);
/* The whole: parameters against the workloads, the calls they use, open-loop settings. */
int cb_cfg_check(const cb_run_cfg *cfg, char *err, size_t len);

#endif
