/* cmd_plot.c: `concbench plot DIR`: its usage, its options and what it prints; the drawing is presentation's cb_plot_results. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include "cmd.h"
#include "plot.h"
#include "resread.h"
#include "signals.h"
#include "util.h"
#include "escape.h"

static const char plot_usage[] =
  "usage: concbench plot DIR\n"
  "\n"
  "Draws the plots of a run (DIR/results.json) with gnuplot, each as PNG and SVG, into\n"
  "DIR/plots/; the numbers behind them go to DIR/plots/data/ as plain text, gnuplot's\n"
  "messages to DIR/plots/gnuplot.log. Per workload: wall time, throughput and peak memory\n"
  "against concurrency, and the task latency by percentile; for the whole run: the speedup\n"
  "over the baseline backend (sync), CPU time against wall time, and for a workload with a\n"
  "sweep axis (mixed's io_fraction) the speedup against it. Needs gnuplot (Debian package\n"
  "gnuplot-nox). The scripts are found in $CB_SCRIPTS_DIR, next to the binary\n"
  "(../scripts/plots) or in the source tree.\n";

int cb_cmd_plot(int argc, char **argv) {
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
  char err[1024];
  cb_results r;
  int ch, count = 0;
  optind = 1;
  opterr = 0;   /* our own one-line messages */
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (ch == 'h') { fputs(plot_usage, stdout); return 0; }
    cb_errorf("plot: unknown option; see concbench plot --help");
    return 2;
  }
  if (optind >= argc) {
    cb_errorf("plot: missing DIR (a run's results directory); see concbench plot --help");
    return 2;
  }
  if (optind + 1 < argc) {
    cb_errorf("plot: unexpected argument '%s'; see concbench plot --help", argv[optind + 1]);
    return 2;
  }
  const char *dir = argv[optind];
  if (cb_results_read(dir, &r, err, sizeof err) != 0) {
    cb_errorf("plot: %s", err);
    return 2;
  }
  /* An interrupt stops gnuplot and removes the half-drawn plots; the finished ones are kept. */
  cb_signals_catch();
  int rc = cb_plot_results(&r, &count, err, sizeof err);
  if (rc) {
    cb_results_free(&r);
    cb_errorf("plot: %s", err);
    return rc == -EINTR ? 128 + cb_interrupted : rc == -EXDEV ? 2 : 1;
  }
  if (err[0]) cb_errorf("plot: %s", err);
  char shown[sizeof r.dir * 4];   /* the path shown, not sent raw to a terminal */
  cb_term(r.dir, shown, sizeof shown);
  printf("plots: %s/plots (%d plots, each as .png and .svg; data in %s/plots/data)\n", shown, count, shown);
  cb_results_free(&r);
  return 0;
}
