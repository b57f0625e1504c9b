/* main.c: concbench's entry point: picks the command. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "env.h"
#include "util.h"

static const char usage[] =
  "usage: concbench [--version] [--help] COMMAND [ARGS]\n"
  "\n"
  "Compares concurrency models (sync, threads, fork, uv coroutines) on the same work.\n"
  "\n"
  "commands:\n"
  "  list        the backends and workloads, with their parameters\n"
  "  run         run cases and write results.csv and results.json\n"
  "  serve       the target HTTP server, for curl, wrk or any client\n"
  "  plot        draw a run's plots with gnuplot (PNG and SVG)\n"
  "  report      write a run's report (report.md, report.html)\n"
  "  primitives  what a coroutine, a thread and a process cost: start, switch, idle memory\n"
  "  compare     a run against a baseline (BASE NEW): ratios, intervals, U tests; exit 1 on a regression\n"
  "  export      a run's results as Google Benchmark JSON, github-action-benchmark JSON, CSV or markdown\n"
  "  merge       join result directories (shards of one run) into one\n"
  "  history     a history of runs in SQLite: add, list, show, changes (change points), plot\n"
  "  version     the version and the git revision it was built from (also --version, -V, -v)\n"
  "\n"
  "concbench COMMAND --help shows a command's options.\n";

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage, stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage, stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "-v") == 0 ||
      strcmp(cmd, "version") == 0) {
    printf("concbench %s (%s)\n", CB_VERSION, cb_git_rev());
    return 0;
  }
  /* A closed pipe or a file-size limit becomes an error the write returns, never a death that
   * loses what a run measured. */
  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN);
  if (strcmp(cmd, "run") == 0) return cb_cmd_run(argc - 1, argv + 1);
  if (strcmp(cmd, "list") == 0) return cb_cmd_list(argc - 1, argv + 1);
  if (strcmp(cmd, "serve") == 0) return cb_cmd_serve(argc - 1, argv + 1);
  if (strcmp(cmd, "plot") == 0) return cb_cmd_plot(argc - 1, argv + 1);
  if (strcmp(cmd, "report") == 0) return cb_cmd_report(argc - 1, argv + 1);
  if (strcmp(cmd, "primitives") == 0) return cb_cmd_primitives(argc - 1, argv + 1);
  if (strcmp(cmd, "compare") == 0) return cb_cmd_compare(argc - 1, argv + 1);
  if (strcmp(cmd, "export") == 0) return cb_cmd_export(argc - 1, argv + 1);
  if (strcmp(cmd, "merge") == 0) return cb_cmd_merge(argc - 1, argv + 1);
  if (strcmp(cmd, "history") == 0) return cb_cmd_history(argc - 1, argv + 1);
  cb_errorf("unknown command '%s'; the commands are list, run, serve, plot, report, primitives, compare, export, merge, history and version (concbench --help)", cmd);
  return 2;
}
