/* history_plot.h: `history plot`: per workload, each case's median across the runs of a history
 * with its interval band and its change points, drawn by gnuplot as PNG and SVG. */
#ifndef CB_HISTORY_PLOT_H
#define CB_HISTORY_PLOT_H

#include <stddef.h>
#include "hchanges.h"
#include "history.h"

/* Draws into outdir (made when absent; data files in outdir/data, gnuplot's log in
 * outdir/gnuplot.log): one plot per workload and environment. *count gets how many. 0; -ENOENT
 * with err naming the Debian package when gnuplot is missing; another negative error with err. */
int cb_history_plot(const cb_hdata *d, const cb_hchange *ch, size_t nch, const char *outdir, int *count,
                    char *err, size_t len);

#endif
