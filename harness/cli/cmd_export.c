/* cmd_export.c: `concbench export`: options, then analysis/export.c writes the format asked. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "export.h"
#include "results.h"
#include "util.h"

static const char export_usage[] =
  "usage: concbench export --format googlebenchmark|benchmark-action|csv|md [-o FILE] [--aggregates-only] DIR\n"
  "\n"
  "Writes a run's results (DIR/results.json, or that file itself) in another format:\n"
  "  googlebenchmark  Google Benchmark's JSON (--benchmark_format=json), for github-action-benchmark\n"
  "                   (tool: googlecpp), Bencher (cpp_google) and google/benchmark's compare.py:\n"
  "                   per case one entry per repetition, then its mean, median, stddev and cv.\n"
  "                   Named <workload>/<backend>/c:<concurrency>/<params>; one iteration is one\n"
  "                   repetition running every task, so real_time is its wall time and cpu_time\n"
  "                   its user+system CPU, in microseconds; tasks, items_per_second (tasks per\n"
  "                   wall second), peak_rss_kib, p50_ms, p99_ms, errors and efficiency as counters.\n"
  "  benchmark-action github-action-benchmark's customSmallerIsBetter JSON (tool: customSmallerIsBetter),\n"
  "                   what a dashboard wants: one entry per case, its median wall time in seconds, the\n"
  "                   95% interval as its range; no repetitions and no cv, which a dashboard would\n"
  "                   chart as series of their own. Named as above; skipped cases left out.\n"
  "  csv              results.csv, regenerated from results.json (merged or older files too)\n"
  "  md               a markdown table of the headline figures, one row per case\n"
  "\n"
  "options:\n"
  "  -f, --format F        googlebenchmark, benchmark-action, csv or md\n"
  "  -o, --output FILE     write FILE (atomically) instead of standard output; never the\n"
  "                        input itself (exit 2)\n"
  "      --aggregates-only googlebenchmark: only the mean, median, stddev and cv entries (as\n"
  "                        --benchmark_report_aggregates_only); a case of one repetition keeps it\n"
  "\n"
  "Exit status: 0 fine; 2 bad usage or a missing or corrupt results file.\n";

int cb_cmd_export(int argc, char **argv) {
  enum { O_AGG = 256 };
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "output", required_argument, NULL, 'o' },
    { "aggregates-only", no_argument, NULL, O_AGG },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  const char *out_path = NULL;
  int ch, fmt = -1, aggregates_only = 0;
  optind = 1;
  opterr = 0;   /* our own one-line messages */
  while ((ch = getopt_long(argc, argv, ":f:o:h", opts, NULL)) != -1) {
    switch (ch) {
    case 'f':
      if (strcmp(optarg, "googlebenchmark") == 0) fmt = CB_EXPORT_GB;
      else if (strcmp(optarg, "benchmark-action") == 0) fmt = CB_EXPORT_ACTION;
      else if (strcmp(optarg, "csv") == 0) fmt = CB_EXPORT_CSV;
      else if (strcmp(optarg, "md") == 0) fmt = CB_EXPORT_MD;
      else {
        cb_errorf("export: unknown format '%s'; use googlebenchmark, benchmark-action, csv or md", optarg);
        return 2;
      }
      break;
    case 'o': out_path = optarg; break;
    case O_AGG: aggregates_only = 1; break;
    case 'h': fputs(export_usage, stdout); return 0;
    case ':': cb_errorf("export: %s needs a value; see concbench export --help", argv[optind - 1]); return 2;
    default:  cb_errorf("export: unknown option '%s'; see concbench export --help", argv[optind - 1]); return 2;
    }
  }
  if (fmt < 0) {
    cb_errorf("export: missing --format googlebenchmark, benchmark-action, csv or md; usage: concbench export --format F [-o FILE] DIR");
    return 2;
  }
  if (aggregates_only && fmt != CB_EXPORT_GB) {
    cb_errorf("export: --aggregates-only is for --format googlebenchmark (benchmark-action has only the medians)");
    return 2;
  }
  if (optind >= argc) {
    cb_errorf("export: missing DIR, the directory of a run (results.json); usage: concbench export --format F [-o FILE] DIR");
    return 2;
  }
  if (optind + 1 < argc) {
    cb_errorf("export: unexpected argument '%s'; usage: concbench export --format F [-o FILE] DIR", argv[optind + 1]);
    return 2;
  }
  if (out_path && !*out_path) {
    cb_errorf("export: -o needs a file name");
    return 2;
  }
  /* Before anything is read: an output over the input would leave neither. */
  if (out_path && cb_results_is_input(out_path, argv[optind])) {
    cb_errorf("export: the output %s is the input %s itself; write to another file", out_path, argv[optind]);
    return 2;
  }
  return cb_export(argv[optind], fmt, aggregates_only, out_path);
}
