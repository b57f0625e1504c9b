/* cmd_compare.c: `concbench compare BASE NEW`: options, then analysis/compare.c decides. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "compare.h"
#include "util.h"

static const char compare_usage[] =
  "usage: concbench compare [OPTIONS] BASE NEW\n"
  "       concbench compare [OPTIONS] --baseline NAME NEW\n"
  "\n"
  "Compares the wall times of every case found in both runs (same workload, backend, params,\n"
  "concurrency and tasks). BASE and NEW are run directories or results.json files. For each case:\n"
  "the ratio of medians NEW/BASE with a 95% bootstrap interval, a two-sided Mann-Whitney U test\n"
  "on the repetitions, and a verdict: regressed when NEW is slower by more than the threshold\n"
  "(ratio > 1 + T) and p < alpha; improved when faster by as much (ratio < 1/(1 + T)) and\n"
  "p < alpha; otherwise unchanged, shown as 'noise' when the ratio is past the threshold but p\n"
  "is not below alpha. The test needs at least 5 repetitions per side to ever reach p < 0.01.\n"
  "\n"
  "      --baseline NAME   BASE is results/baselines/NAME ($CB_BASELINES/NAME when set),\n"
  "                        as saved by concbench run --save-baseline NAME\n"
  "      --threshold T     smallest change that counts: 10%, 0.10 or 10 (default 10%)\n"
  "      --alpha A         significance level of the U test, 0 < A < 1 (default 0.01)\n"
  "      --seed N          seed of the bootstrap (default 1): same inputs, same intervals\n"
  "      --format F        table (default), md (a markdown table) or json\n"
  "      --force           compare runs from different core counts or build types (a warning)\n"
  "  -h, --help            this text\n"
  "\n"
  "Exit status: 0 nothing regressed; 1 a case regressed (each named on stderr); 2 bad usage or\n"
  "input: an unreadable or corrupt results file, incompatible runs, no case in common.\n"
  "Example: concbench compare --baseline main results/latest\n";

/* "10%", "0.10" and "10" all mean ten percent: a bare number from 1 up is read as percent.
 * history changes reads its --threshold the same way. */
int cb_cli_threshold(const char *s, double *out) {
  char buf[64];
  size_t n = strlen(s);
  int pct = n > 0 && s[n - 1] == '%';
  double v;
  if (n == 0 || n >= sizeof buf) return -1;
  snprintf(buf, sizeof buf, "%.*s", (int)(pct ? n - 1 : n), s);
  if (cb_parse_double(buf, &v) != 0 || !isfinite(v) || v < 0) return -1;
  *out = pct || v >= 1 ? v / 100 : v;
  return *out <= 100 ? 0 : -1;
}

static int parse_alpha(const char *s, double *out) {
  double v;
  if (cb_parse_double(s, &v) != 0 || !(v > 0 && v < 1)) return -1;
  *out = v;
  return 0;
}

static int valid_name(const char *s) {
  return *s && s[0] != '.' &&
         strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(s);
}

/* 0, or 2 after saying why on stderr. */
static int parse_args(int argc, char **argv, cb_compare_cfg *cfg, const char **base, const char **cur) {
  enum { O_THRESHOLD = 256, O_ALPHA, O_SEED, O_FORMAT, O_FORCE, O_BASELINE };
  static const struct option opts[] = {
    { "threshold", required_argument, NULL, O_THRESHOLD },
    { "alpha", required_argument, NULL, O_ALPHA },
    { "seed", required_argument, NULL, O_SEED },
    { "format", required_argument, NULL, O_FORMAT },
    { "force", no_argument, NULL, O_FORCE },
    { "baseline", required_argument, NULL, O_BASELINE },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  int ch;
  optind = 1;
  opterr = 0;   /* our own one-line messages */
  while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (ch) {
    case 'h': fputs(compare_usage, stdout); return -1;
    case O_THRESHOLD:
      if (cb_cli_threshold(optarg, &cfg->threshold) != 0) {
        cb_errorf("compare: --threshold '%s' is not a percentage, e.g. --threshold 10%% (or 0.10, or 10)", optarg);
        return 2;
      }
      break;
    case O_ALPHA:
      if (parse_alpha(optarg, &cfg->alpha) != 0) {
        cb_errorf("compare: --alpha '%s' is not a number between 0 and 1, e.g. --alpha 0.01", optarg);
        return 2;
      }
      break;
    case O_SEED:
      if (cb_parse_u64(optarg, &cfg->seed) != 0) {
        cb_errorf("compare: --seed '%s' is not a whole number", optarg);
        return 2;
      }
      break;
    case O_FORMAT:
      if (strcmp(optarg, "table") == 0) cfg->format = CB_COMPARE_TABLE;
      else if (strcmp(optarg, "md") == 0 || strcmp(optarg, "markdown") == 0) cfg->format = CB_COMPARE_MD;
      else if (strcmp(optarg, "json") == 0) cfg->format = CB_COMPARE_JSON;
      else {
        cb_errorf("compare: --format '%s' is not table, md or json", optarg);
        return 2;
      }
      break;
    case O_FORCE: cfg->force = 1; break;
    case O_BASELINE:
      if (!valid_name(optarg)) {
        cb_errorf("compare: --baseline '%s': a baseline name takes letters, digits, '.', '_' and '-'", optarg);
        return 2;
      }
      cfg->baseline = optarg;
      break;
    case ':':
      cb_errorf("compare: option '%s' needs a value; see concbench compare --help", argv[optind - 1]);
      return 2;
    default:
      cb_errorf("compare: unknown option '%s'; see concbench compare --help", argv[optind - 1]);
      return 2;
    }
  }
  int want = cfg->baseline ? 1 : 2, have = argc - optind;
  if (have < want) {
    cb_errorf("compare: missing %s; usage: concbench compare BASE NEW, or concbench compare --baseline NAME NEW",
              have == 0 && want == 2 ? "BASE and NEW, two run directories or results.json files" : "NEW, a run directory or results.json");
    return 2;
  }
  if (have > want) {
    cb_errorf("compare: unexpected argument '%s'; usage: concbench compare BASE NEW, or concbench compare --baseline NAME NEW",
              argv[optind + want]);
    return 2;
  }
  *base = cfg->baseline ? NULL : argv[optind];
  *cur = argv[argc - 1];
  return 0;
}

int cb_cmd_compare(int argc, char **argv) {
  cb_compare_cfg cfg = { .threshold = 0.10, .alpha = 0.01, .seed = 1, .format = CB_COMPARE_TABLE };
  const char *base = NULL, *cur = NULL;
  char bpath[4096];
  int rc = parse_args(argc, argv, &cfg, &base, &cur);
  if (rc != 0) return rc < 0 ? 0 : rc;
  if (cfg.baseline) {
    const char *root = getenv("CB_BASELINES");
    snprintf(bpath, sizeof bpath, "%s/%s", root && *root ? root : "results/baselines", cfg.baseline);
    base = bpath;
  }
  return cb_compare(&cfg, base, cur);
}
