/* cmd_merge.c: `concbench merge`: options, then analysis/merge.c joins the inputs. */
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cmd.h"
#include "merge.h"
#include "results.h"
#include "util.h"

static const char merge_usage[] =
  "usage: concbench merge [--force] [--replace] -o DIR A B [C ...]\n"
  "\n"
  "Joins result directories (or results.json files) into DIR: typically the shards of one suite\n"
  "run split over CI jobs with run --shard I/N. DIR/results.json holds every case of every input,\n"
  "in input order, the first input's environment, and merged_from naming each input with its git\n"
  "revision and date; DIR/results.csv is regenerated from it, with run's columns.\n"
  "\n"
  "Refused (exit 2, nothing written): inputs whose environments differ in cores, cpu_model,\n"
  "build_type, compiler or git revision (dirty or not), unless --force; a case (workload, backend,\n"
  "params, concurrency, tasks) found in two inputs, always: the shards overlap; DIR that is one of\n"
  "the inputs, or that another concbench writes to, always; DIR that holds results, unless --replace.\n"
  "\n"
  "options:\n"
  "  -o, --output DIR   the merged results' directory (created if missing)\n"
  "      --replace      replace the results DIR holds\n"
  "      --force        merge inputs whose environments differ (each such input is marked)\n"
  "\n"
  "Exit status: 0 fine; 2 bad usage, a missing or corrupt input, or inputs that do not merge.\n";

int cb_cmd_merge(int argc, char **argv) {
  enum { O_FORCE = 256, O_REPLACE };
  static const struct option opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "force", no_argument, NULL, O_FORCE },
    { "replace", no_argument, NULL, O_REPLACE },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  const char *out_dir = NULL;
  int ch, force = 0, replace = 0;
  size_t nin = 0;
  optind = 1;
  opterr = 0;   /* our own one-line messages */
  while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
    switch (ch) {
    case 'o': out_dir = optarg; break;
    case O_FORCE: force = 1; break;
    case O_REPLACE: replace = 1; break;
    case 'h': fputs(merge_usage, stdout); return 0;
    case ':': cb_errorf("merge: %s needs a value; see concbench merge --help", argv[optind - 1]); return 2;
    default:  cb_errorf("merge: unknown option '%s'; see concbench merge --help", argv[optind - 1]); return 2;
    }
  }
  if (!out_dir || !*out_dir) {
    cb_errorf("merge: missing -o DIR, where the merged results go; usage: concbench merge -o DIR A B ...");
    return 2;
  }
  char **names = argv + optind;
  nin = (size_t)(argc - optind);
  if (nin < 2) {
    cb_errorf("merge: give two or more result directories to merge (%zu given); usage: concbench merge -o DIR A B ...", nin);
    return 2;
  }
  for (size_t i = 0; i < nin; i++)
    if (cb_results_is_input(out_dir, names[i])) {
      cb_errorf("merge: the output %s is the input %s; merge into a new directory", out_dir, names[i]);
      return 2;
    }
  /* An existing DIR is held while the merged results are written, as a run holds its own. */
  struct stat st;
  int lockfd = -1, status;
  if (stat(out_dir, &st) == 0) {
    long holder = 0;
    if ((lockfd = cb_dir_lock(out_dir, &holder)) == -EWOULDBLOCK) {
      cb_errorf("merge: %s is in use by another concbench (PID %ld); wait for it to end, or choose another -o", out_dir, holder);
      return 2;
    }
    if (lockfd < 0) {
      cb_errorf("merge: cannot lock %s: %s; %s", out_dir, strerror(-lockfd), cb_write_advice(-lockfd));
      return 2;
    }
    if (!replace && cb_results_exist(out_dir)) {
      cb_dir_unlock(out_dir, lockfd);
      cb_errorf("merge: %s already holds results (results.json or results.csv); choose another -o, or pass --replace to replace them", out_dir);
      return 2;
    }
  }
  status = cb_merge(out_dir, names, nin, force);
  cb_dir_unlock(out_dir, lockfd);
  return status;
}
