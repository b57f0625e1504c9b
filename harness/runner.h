/* runner.h: measuring one repetition of a case in a fresh process. */
#ifndef CB_RUNNER_H
#define CB_RUNNER_H

#include <signal.h>
#include "plan.h"

/* The signal that asked us to stop (SIGINT, SIGTERM), or 0. */
extern volatile sig_atomic_t cb_interrupted;

/* Catch SIGINT and SIGTERM so a run can stop cleanly; ignore SIGPIPE. */
void cb_runner_signals(void);

/* Run c once in a fresh measurement process and fill *out. Returns 0 when a sample was taken
 * (out->status says whether the backend succeeded), -EINTR when a signal stopped it (the child
 * is killed and reaped), or another negative error when no process could be started. */
int cb_runner_measure(const cb_case *c, size_t stack_size, cb_sample *out);

/* The measurement itself, in the calling process: used by the measurement child, and by tests. */
void cb_runner_measure_here(const cb_case *c, size_t stack_size, cb_sample *out);

#endif
