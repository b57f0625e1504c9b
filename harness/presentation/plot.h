/* plot.h: the plots of a run, drawn by gnuplot from data files written next to the results. */
#ifndef CB_PLOT_H
#define CB_PLOT_H

#include <stddef.h>

struct cb_results;

/* Draw every plot of DIR (DIR/results.json) into DIR/plots/ as PNG and SVG. 0; -ENOENT with
 * err naming the Debian package when gnuplot is missing; another negative error with err. */
int cb_plot(const char *dir, char *err, size_t len);

/* The same from results already read, into r->dir/plots; *count is how many plots were drawn
 * (each as PNG and SVG). An interrupt (cb_interrupted) stops it with -EINTR; the plots finished
 * by then are kept. On success err is empty, or names the plots left out for want of any
 * value to draw (results without peak memory), for the caller to say in one line. */
int cb_plot_results(const struct cb_results *r, int *count, char *err, size_t len);

#endif
