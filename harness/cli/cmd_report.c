/* cmd_report.c: `concbench report DIR`: its usage, its options and what it prints; the writing is presentation's cb_report_write. */
#include <getopt.h>
#include <stdio.h>
#include "cmd.h"
#include "report.h"
#include "util.h"
#include "escape.h"

static const char report_usage[] =
  "usage: concbench report DIR\n"
  "\n"
  "Writes DIR/report.md and DIR/report.html from DIR/results.json: a headline of at most five\n"
  "sentences, each with its 95% interval (where the event loop wins most, where it does not, the\n"
  "crossover, memory per task in flight, how far to trust the run), then all the findings computed\n"
  "from the data (speedups, as throughput ratios when task counts differ; where the parallel\n"
  "backends stop beating the event loop, efficiency, memory per task, flagged and skipped cases),\n"
  "the table of every case, the plots in DIR/plots/ (draw them first\n"
  "with concbench plot DIR), the environment and the method. report.html is self-contained:\n"
  "the plots are embedded.\n";

int cb_cmd_report(int argc, char **argv) {
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
  char err[512], md[4200], html[4200];
  int ch;
  optind = 1;
  opterr = 0;   /* our own one-line messages */
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (ch == 'h') {
      fputs(report_usage, stdout);
      return 0;
    }
    cb_errorf("report: unknown option; see concbench report --help");
    return 2;
  }
  if (optind >= argc) {
    cb_errorf("report: missing DIR, the directory of a run (results.json); usage: concbench report DIR");
    return 2;
  }
  if (optind + 1 < argc) {
    cb_errorf("report: unexpected argument '%s'; usage: concbench report DIR", argv[optind + 1]);
    return 2;
  }
  /* A missing or corrupt results.json, or a directory that cannot be written: input to fix. */
  if (cb_report_write(argv[optind], err, sizeof err, md, html, sizeof md) < 0) {
    cb_errorf("report: %s", err);
    return 2;
  }
  char smd[sizeof md * 4], shtml[sizeof html * 4];   /* paths shown, not sent raw to a terminal */
  printf("%s\n%s\n", cb_term(md, smd, sizeof smd), cb_term(html, shtml, sizeof shtml));
  return 0;
}
