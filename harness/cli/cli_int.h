/* cli_int.h: internal to the cli layer: the steps of `concbench run` after the measurement
 * (cmd_run_after.c). Each returns 0, or 1 when it failed (said on stderr). */
#ifndef CB_CLI_INT_H
#define CB_CLI_INT_H

#include "engine.h"
#include "gate.h"
#include "history.h"

/* The gates, on this run's own rows: 0 when all hold, else 1. */
int cb__run_gates(const cb_gate *gates, int ngates, const cb_engine *e, int quiet);
/* Plots and report; gnuplot missing leaves the results whole. */
int cb__run_draw(const char *outdir, int quiet);
/* results/latest pointed at outdir when it lies straight under a directory named results. */
void cb__run_link_latest(const char *outdir);
/* The finished run into the history opened before it ran. */
int cb__run_add_history(cb_history *h, const char *outdir, const char *label, int quiet);
/* Only a whole, passing run becomes a baseline. */
int cb__run_save_baseline(const char *outdir, const char *name, int quiet);

#endif
