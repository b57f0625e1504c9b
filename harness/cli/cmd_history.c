/* cmd_history.c: `concbench history add|list|show|changes|plot`: options, then records/history.c,
 * analysis/hchanges.c and presentation/history_plot.c do the work. */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "escape.h"
#include "hchanges.h"
#include "history.h"
#include "history_plot.h"
#include "resread.h"
#include "signals.h"
#include "util.h"

static const char history_usage[] =
  "usage: concbench history add DIR... [--label L] [--db FILE]\n"
  "       concbench history list [--db FILE]\n"
  "       concbench history show CASE... [--db FILE]\n"
  "       concbench history changes [--since LABEL] [--threshold 5%] [--format text|md|json] [--db FILE]\n"
  "       concbench history plot -o DIR [--db FILE]\n"
  "\n"
  "A history of runs in an SQLite file (default " CB_HISTORY_DEFAULT "): tables runs, cases,\n"
  "repetitions and environments, which sqlite3 can query. concbench run --history FILE adds each\n"
  "run as it ends; history add imports runs already written (DIR/results.json), in the order given.\n"
  "Runs on another core count, build type or CPU model form series of their own.\n"
  "\n"
  "  add       import runs; each is labelled with --label L, else with its git revision\n"
  "  list      the runs, oldest first: label, date, revision, environment, cases\n"
  "  show      per case, the series of its medians with their 95% intervals. CASE is a series\n"
  "            key (workload/backend/c=N[/param=value]), a prefix of one at a '/' (sleep,\n"
  "            sleep/uv), or a shell pattern ('*/uv/*')\n"
  "  changes   change points per case over the series of its run medians: E-Divisive means with\n"
  "            a significance test, as Apache Otava does (Student's t-test, p <= 0.001; windows\n"
  "            of 50 runs, then Hunter's merge step). Each change: the case, the first run after\n"
  "            it, the means before and after, their ratio and the p-value. Cases with fewer than\n"
  "            5 runs are listed as too few to decide\n"
  "  plot      per workload, each case's median across the runs with its interval band and its\n"
  "            change points, as PNG and SVG (gnuplot) into -o DIR\n"
  "\n"
  "      --db FILE          the history (default " CB_HISTORY_DEFAULT ")\n"
  "      --label L          add: the runs' label (default: each run's git revision)\n"
  "      --since LABEL      changes: only changes whose first run is the first one labelled LABEL\n"
  "                         or later (a git revision matches its abbreviations, so $GITHUB_SHA works)\n"
  "      --threshold T      changes: a change slower by more than T fails (default 5%)\n"
  "      --max-pvalue P     changes: significance level (default 0.001)\n"
  "      --min-change M     changes: drop changes of at most M (default 0, as Otava)\n"
  "      --test ttest|permutation   changes: Otava's t-test (default), or the original E-Divisive\n"
  "                         permutation test (199 permutations; --seed N, default 1)\n"
  "      --format F         changes: text (default), md (for a job summary) or json\n"
  "  -o, --output DIR       plot: where the plots go\n"
  "  -h, --help             this text\n"
  "\n"
  "Exit status: 0; 1 changes found a case slower by more than the threshold from --since on (each\n"
  "named on stderr), or plot could not draw; 2 bad usage, or a file that is not a concbench history\n"
  "(refused, left untouched).\n"
  "Example: concbench history changes --since \"$GITHUB_SHA\" --format md\n";

typedef struct hopts {
  const char *db, *label, *since, *outdir;
  cb_hchanges_cfg ch;
} hopts;

/* Parses the options of a subcommand; the operands are left at argv[optind..]. -1 to go on. */
static int parse(int argc, char **argv, const char *sub, hopts *o) {
  enum { O_DB = 256, O_LABEL, O_SINCE, O_THRESHOLD, O_FORMAT, O_PVALUE, O_MINCHANGE, O_TEST, O_SEED };
  static const struct option opts[] = {
    { "db", required_argument, NULL, O_DB },
    { "history", required_argument, NULL, O_DB },
    { "label", required_argument, NULL, O_LABEL },
    { "since", required_argument, NULL, O_SINCE },
    { "threshold", required_argument, NULL, O_THRESHOLD },
    { "format", required_argument, NULL, O_FORMAT },
    { "max-pvalue", required_argument, NULL, O_PVALUE },
    { "min-change", required_argument, NULL, O_MINCHANGE },
    { "test", required_argument, NULL, O_TEST },
    { "seed", required_argument, NULL, O_SEED },
    { "output", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
    switch (ch) {
    case 'h': fputs(history_usage, stdout); return 0;
    case O_DB:
      if (!*optarg) { cb_errorf("history %s: --db needs a file", sub); return 2; }
      o->db = optarg;
      break;
    case O_LABEL:
      if (cb_history_label_ok(optarg) != 0) {
        cb_errorf("history %s: --label '%s' must be 1 to 127 printable characters", sub, optarg);
        return 2;
      }
      o->label = optarg;
      break;
    case O_SINCE: o->since = optarg; break;
    case O_THRESHOLD:
      if (cb_cli_threshold(optarg, &o->ch.threshold) != 0) {
        cb_errorf("history %s: --threshold '%s' is not a percentage, e.g. --threshold 5%% (or 0.05, or 5)", sub, optarg);
        return 2;
      }
      break;
    case O_MINCHANGE:
      if (cb_cli_threshold(optarg, &o->ch.cp.min_magnitude) != 0) {
        cb_errorf("history %s: --min-change '%s' is not a percentage, e.g. --min-change 2%%", sub, optarg);
        return 2;
      }
      break;
    case O_PVALUE: {
      double v;
      if (cb_parse_double(optarg, &v) != 0 || !(v > 0 && v < 1)) {
        cb_errorf("history %s: --max-pvalue '%s' is not a number between 0 and 1, e.g. 0.001", sub, optarg);
        return 2;
      }
      o->ch.cp.max_pvalue = v;
      break;
    }
    case O_TEST:
      if (strcmp(optarg, "ttest") == 0) o->ch.cp.test = CB_CP_TTEST;
      else if (strcmp(optarg, "permutation") == 0) o->ch.cp.test = CB_CP_PERMUTATION;
      else { cb_errorf("history %s: --test '%s' is not ttest or permutation", sub, optarg); return 2; }
      break;
    case O_SEED:
      if (cb_parse_u64(optarg, &o->ch.cp.seed) != 0) {
        cb_errorf("history %s: --seed '%s' is not a whole number", sub, optarg);
        return 2;
      }
      break;
    case O_FORMAT:
      if (strcmp(optarg, "text") == 0 || strcmp(optarg, "table") == 0) o->ch.format = CB_HFMT_TEXT;
      else if (strcmp(optarg, "md") == 0 || strcmp(optarg, "markdown") == 0) o->ch.format = CB_HFMT_MD;
      else if (strcmp(optarg, "json") == 0) o->ch.format = CB_HFMT_JSON;
      else { cb_errorf("history %s: --format '%s' is not text, md or json", sub, optarg); return 2; }
      break;
    case 'o':
      if (!*optarg) { cb_errorf("history %s: -o needs a directory", sub); return 2; }
      o->outdir = optarg;
      break;
    case ':': cb_errorf("history %s: %s needs a value; see concbench history --help", sub, argv[optind - 1]); return 2;
    default:  cb_errorf("history %s: unknown option '%s'; see concbench history --help", sub, argv[optind - 1]); return 2;
    }
  }
  return -1;
}

static int open_db(cb_history *h, const hopts *o, const char *sub, int create) {
  char err[8192] = "";
  int rc = cb_history_open(h, o->db, create, err, sizeof err);
  if (rc) {
    cb_errorf("history %s: %s", sub, err);
    return 2;
  }
  return 0;
}

static int load(cb_history *h, cb_hdata *d, const char *sub) {
  char err[8192] = "";
  if (cb_history_load(h, d, err, sizeof err) != 0) {
    cb_errorf("history %s: %s", sub, err);
    return 2;
  }
  return 0;
}

static int cmd_add(int argc, char **argv, hopts *o) {
  if (optind >= argc) {
    cb_errorf("history add: missing DIR, a run directory or results.json; usage: concbench history add DIR... [--label L]");
    return 2;
  }
  /* Every run is read before the history is touched: one bad directory adds none. */
  size_t n = (size_t)(argc - optind);
  cb_results *rs = calloc(n, sizeof *rs);
  char err[8192];
  int status = 0;
  size_t nread = 0;
  if (!rs) { cb_errorf("history add: out of memory"); return 2; }
  for (; nread < n; nread++)
    if (cb_results_read(argv[optind + (int)nread], &rs[nread], err, sizeof err) != 0) {
      cb_errorf("history add: %s", err);
      status = 2;
      goto done;
    }
  cb_history h;
  if ((status = open_db(&h, o, "add", 1))) goto done;
  for (size_t i = 0; i < n; i++) {
    int64_t id;
    if (cb_history_add(&h, &rs[i], o->label, rs[i].dir, &id, err, sizeof err) != 0) {
      cb_errorf("history add: %s (the runs before it were added)", err);
      status = 1;
      break;
    }
    char shown[4096 * 4];
    printf("added run %lld from %s\n", (long long)id, cb_term(rs[i].dir, shown, sizeof shown));
  }
  cb_history_close(&h);
done:
  for (size_t i = 0; i < nread; i++) cb_results_free(&rs[i]);
  free(rs);
  return status;
}

static int cmd_list(const hopts *o) {
  cb_history h;
  cb_hdata d;
  int rc;
  if ((rc = open_db(&h, o, "list", 0))) return rc;
  rc = load(&h, &d, "list");
  cb_history_close(&h);
  if (rc) return rc;
  printf("%-20s %-20s %-18s %4s %6s  %s\n", "label", "date", "git revision", "env", "cases", "status");
  for (size_t i = 0; i < d.nruns; i++) {
    const cb_hrun *r = &d.runs[i];
    char l[600], dt[200], g[300];
    printf("%-20s %-20s %-18s %4lld %6zu  %s\n", cb_term(r->label, l, sizeof l), cb_term(r->date, dt, sizeof dt),
           cb_term(r->git_revision, g, sizeof g), (long long)r->env, r->ncases, r->status);
  }
  for (size_t i = 0; i < d.nenvs; i++) {
    char m[800];
    printf("environment %lld: %u cores, %s, %s\n", (long long)d.envs[i].id, d.envs[i].cores, d.envs[i].build_type,
           cb_term(d.envs[i].cpu_model, m, sizeof m));
  }
  cb_hdata_free(&d);
  return 0;
}

/* CASE matches key: a shell pattern, the key itself, or a prefix of it ending at a '/'. */
static int case_match(const char *pat, const char *key) {
  size_t n = strlen(pat);
  if (fnmatch(pat, key, 0) == 0) return 1;
  return strncmp(pat, key, n) == 0 && (key[n] == '\0' || key[n] == '/' || pat[n - 1] == '/');
}

static int cmd_show(int argc, char **argv, const hopts *o) {
  if (optind >= argc) {
    cb_errorf("history show: missing CASE, e.g. sleep/uv/c=10, sleep, or '*/uv/*' (history list shows the runs)");
    return 2;
  }
  cb_history h;
  cb_hdata d;
  int rc;
  if ((rc = open_db(&h, o, "show", 0))) return rc;
  rc = load(&h, &d, "show");
  cb_history_close(&h);
  if (rc) return rc;
  size_t shown = 0;
  for (size_t i = 0; i < d.nseries; i++) {
    const cb_hseries *s = &d.series[i];
    int hit = 0;
    for (int a = optind; a < argc && !hit; a++) hit = case_match(argv[a], s->key);
    if (!hit) continue;
    char k[1400];
    printf("%s%s (environment %lld, %zu runs)\n", shown++ ? "\n" : "", cb_term(s->key, k, sizeof k), (long long)s->env, s->n);
    printf("  %-20s %12s %25s %5s %8s\n", "run", "median (s)", "95% interval (s)", "reps", "tasks");
    for (size_t p = 0; p < s->n; p++) {
      const cb_hpoint *pt = &s->pts[p];
      char l[600], iv[64];
      snprintf(iv, sizeof iv, "%.6g - %.6g", pt->lo, pt->hi);
      printf("  %-20s %12.6g %25s %5u %8llu\n", cb_term(d.runs[pt->run].label, l, sizeof l), pt->median, iv, pt->reps,
             (unsigned long long)pt->tasks);
    }
  }
  cb_hdata_free(&d);
  if (!shown) {
    cb_errorf("history show: no case matches '%s'; the keys are workload/backend/c=N, e.g. sleep/uv/c=10", argv[optind]);
    return 2;
  }
  return 0;
}

static int cmd_changes(int argc, char **argv, hopts *o) {
  if (optind < argc) {
    cb_errorf("history changes: unexpected argument '%s'; see concbench history --help", argv[optind]);
    return 2;
  }
  cb_history h;
  cb_hdata d;
  int rc;
  if ((rc = open_db(&h, o, "changes", 0))) return rc;
  rc = load(&h, &d, "changes");
  cb_history_close(&h);
  if (rc) return rc;
  o->ch.since = o->since;
  rc = cb_hchanges_report(&d, &o->ch);
  cb_hdata_free(&d);
  return rc;
}

static int cmd_plot(int argc, char **argv, const hopts *o) {
  if (!o->outdir) {
    cb_errorf("history plot: missing -o DIR, where the plots go");
    return 2;
  }
  if (optind < argc) {
    cb_errorf("history plot: unexpected argument '%s'; see concbench history --help", argv[optind]);
    return 2;
  }
  cb_history h;
  cb_hdata d;
  cb_hchange *ch = NULL;
  size_t nch = 0;
  int rc, count = 0;
  char err[8192];
  if ((rc = open_db(&h, o, "plot", 0))) return rc;
  rc = load(&h, &d, "plot");
  cb_history_close(&h);
  if (rc) return rc;
  if (cb_hchanges_find(&d, &o->ch.cp, &ch, &nch) != 0) {
    cb_hdata_free(&d);
    cb_errorf("history plot: out of memory");
    return 1;
  }
  cb_signals_catch();
  rc = cb_history_plot(&d, ch, nch, o->outdir, &count, err, sizeof err);
  free(ch);
  cb_hdata_free(&d);
  if (rc) {
    cb_errorf("history plot: %s", err);
    return rc == -EINTR ? 128 + cb_interrupted : 1;
  }
  char shown[4096 * 4];
  printf("plots: %s (%d trend plot(s), each as .png and .svg)\n", cb_term(o->outdir, shown, sizeof shown), count);
  return 0;
}

int cb_cmd_history(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    fputs(history_usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *sub = argv[1];
  hopts o = { .db = CB_HISTORY_DEFAULT, .ch = { .threshold = 0.05, .format = CB_HFMT_TEXT } };
  cb_cp_defaults(&o.ch.cp);
  if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "changes") && strcmp(sub, "plot")) {
    cb_errorf("history: unknown subcommand '%s'; choose add, list, show, changes or plot (concbench history --help)", sub);
    return 2;
  }
  int rc = parse(argc - 1, argv + 1, sub, &o);
  if (rc >= 0) return rc;
  argc -= 1;
  argv += 1;
  if (o.label && strcmp(sub, "add") != 0) {
    cb_errorf("history %s: --label is for history add", sub);
    return 2;
  }
  if (strcmp(sub, "add") == 0) return cmd_add(argc, argv, &o);
  if (strcmp(sub, "list") == 0) {
    if (optind < argc) { cb_errorf("history list: unexpected argument '%s'", argv[optind]); return 2; }
    return cmd_list(&o);
  }
  if (strcmp(sub, "show") == 0) return cmd_show(argc, argv, &o);
  if (strcmp(sub, "changes") == 0) return cmd_changes(argc, argv, &o);
  return cmd_plot(argc, argv, &o);
}
