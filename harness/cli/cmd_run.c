/* cmd_run.c: `concbench run`: options and suites into a plan, the engine measures it, then the
 * table, the answer checks, the gates, the plots and the report. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"
#include "cli_int.h"
#include "answers.h"
#include "engine.h"
#include "env.h"
#include "history.h"
#include "results.h"
#include "runcfg.h"
#include "signals.h"
#include "suite.h"
#include "table.h"
#include "util.h"

static const char run_usage[] =
  "usage: concbench run [SUITE] [--quick] [-b LIST] [-w LIST] [-r REPS] [-o DIR]\n"
  "       concbench run -w LIST [-b LIST] [-n TASKS] [-c LIST] [-p KEY=V1,V2]... [-r REPS] [-o DIR]\n"
  "\n"
  "With no -n, -c, -p or --rate, runs a suite: the default one built in (suites/default.ini),\n"
  "or the suite file SUITE; -b and -w then keep only those backends and workloads. A suite run\n"
  "ends by drawing the plots and writing the report (report.md, report.html).\n"
  "With -n, -c, -p or --rate (or -w without a suite file), runs every combination of workload,\n"
  "parameter values, concurrency and backend given (--report adds plots and report).\n"
  "Each repetition runs in a fresh process; results go to DIR/results.csv and results.json.\n"
  "Every backend must compute the same checksum for a case; the run fails (exit 1) if not.\n"
  "\n"
  "  -b, --backends LIST      backends to compare (default: all; see concbench list)\n"
  "  -w, --workloads LIST     workloads to run (default: sleep,cpu)\n"
  "  -n, --tasks N|auto       tasks per case (default 100); auto: sized by time, each case's ideal\n"
  "                           time at least --target S (default 0.12), from its parameters (waits)\n"
  "                           or the calibrated compute unit (CPU work), rounded to a 1-2-5 step\n"
  "  -c, --concurrency LIST   tasks in flight at once, e.g. 1,10,100 (default 10)\n"
  "  -p, --param KEY=V1,V2    a workload parameter; a list is a sweep; repeat for more\n"
  "  -r, --reps N|auto        measured repetitions per case (default 3); auto: at least 5, then more\n"
  "                           rounds for the cases whose median's 95% interval is wider than --ci\n"
  "                           (default 2%), up to --max-reps (30), while --budget S allows\n"
  "      --warmup W           uncounted repetitions before them (default 1)\n"
  "      --rate LIST          open loop: start R tasks a second whatever the completions,\n"
  "      --duration S         for S seconds (tasks = R x S; at most -c in flight); latency\n"
  "                           is timed from each task's slot, so stalls cannot hide; each\n"
  "                           rate of a list (1000,4000) is its own case. For -w server, R is\n"
  "                           the load's requests a second over -p connections=K (default -c)\n"
  "      --seed N             seed of the bootstrap confidence intervals (default 1)\n"
  "      --quick              a suite's quick form (the default suite in about 20 s on 2 idle cores)\n"
  "      --report             plots and report after an ad-hoc run too\n"
  "      --no-report          no plots and no report after a suite\n"
  "  -o, --output DIR         where results go (default results/<timestamp>/); held (locked) while\n"
  "                           the run writes there, so a second run into it is refused (exit 2)\n"
  "      --replace            replace the results DIR already holds (refused without it)\n"
  "      --target URL         http://HOST:PORT: http and crawl ask this server (started by someone\n"
  "                           else) instead of the built-in one; -p path=/P chooses http's URL;\n"
  "                           delay_ms and fault_rate are refused then (the server has its own)\n"
  "      --redis URL          redis://HOST:PORT[/DB]: the redis workload and crawl's store=redis use\n"
  "                           this Redis (its keys get the run's prefix and are cleared at the end);\n"
  "                           without it the run starts redis-server on a free loopback port\n"
  "      --stack-size SIZE    stack per thread or coroutine, e.g. 64K (default 256K)\n"
  "      --uv-threadpool N    UV_THREADPOOL_SIZE for uv, uv-offload and uv-mt (default 4)\n"
  "      --loops N            uv-mt's loops, each on its own thread (default: one per core)\n"
  "      --gate EXPR          a check on this run's rows, e.g. 'speedup(uv,sync,sleep)>=10',\n"
  "                           'efficiency(uv,sleep)>=0.8', 'p99(uv,http)<=50', 'errors(uv,http)==0';\n"
  "                           a failing gate prints its figure and exits 1 (repeatable)\n"
  "      --shard I/N          run the I-th of N deterministic slices of the cases (concbench merge)\n"
  "      --save-baseline NAME also store the results as results/baselines/NAME (concbench compare)\n"
  "      --case-timeout S     stop a repetition that runs longer than S seconds; recorded as such\n"
  "      --history FILE       add the finished run to this SQLite history (concbench history);\n"
  "                           checked before anything runs (default file " CB_HISTORY_DEFAULT ")\n"
  "      --label L            its label in the history (default: the git revision)\n"
  "  -q, --quiet              no table, no progress\n"
  "  -v, --verbose            a line per measured repetition\n"
  "  -h, --help               this text\n"
  "\n"
  "Exit status: 0 fine; 1 a failed check (checksum mismatch, a failed gate, task errors other than the faults\n"
  "asked for with -p fault_rate), the target server could not start, or gnuplot is missing for\n"
  "the plots (the results are written all the same); 2 bad usage.\n"
  "Example: concbench run -b sync,uv -w sleep -n 100 -c 100 -p delay_ms=20 -r 3\n";

/* What the command line asked, beyond one configuration. */
typedef struct run_opts {
  const char *suite;     /* a suite file, or NULL */
  int adhoc;             /* -n, -c, -p or --rate given: no suite */
  int quick, report, no_report, verbose, quiet;
  const char *blist, *wlist;
  int reps_given, warmup_given, seed_given, ci_given, budget_given, max_reps_given;
  double target_s;           /* --target S: what tasks = auto sizes to */
  cb_gate gates[CB_MAX_GATES];
  int ngates;
  unsigned shard, nshards;   /* --shard i/n: 1-based; 0 = no sharding */
  const char *baseline;      /* --save-baseline NAME */
  double case_timeout;       /* --case-timeout S, or 0 */
  int replace;               /* --replace: -o may hold an earlier run's results */
  const char *history;       /* --history FILE, or NULL */
  const char *label;         /* --label L */
  const char *target_url;    /* --target http://HOST:PORT */
  const char *target_path;   /* -p path=... (with --target) */
  const char *redis_url;     /* --redis redis://HOST:PORT[/DB] */
  cb_target target;
  cb_rserver redis;
} run_opts;

enum { O_STACK = 256, O_WARMUP, O_RATE, O_DURATION, O_SEED, O_QUICK, O_REPORT, O_NOREPORT, O_POOL,
       O_LOOPS, O_GATE, O_SHARD, O_BASELINE, O_CASE_TIMEOUT, O_TARGET, O_CI, O_BUDGET, O_MAX_REPS, O_REPLACE,
       O_HISTORY, O_LABEL, O_REDIS };

/* --shard I/N: 0, or -1 when it is not that. */
static int parse_shard(const char *s, run_opts *o) {
  uint64_t i, n;
  const char *slash = strchr(s, '/');
  char a[32];
  if (!slash || (size_t)(slash - s) >= sizeof a) return -1;
  snprintf(a, sizeof a, "%.*s", (int)(slash - s), s);
  if (cb_parse_u64(a, &i) != 0 || cb_parse_u64(slash + 1, &n) != 0 || n < 1 || n > 10000 || i < 1 || i > n) return -1;
  o->shard = (unsigned)i;
  o->nshards = (unsigned)n;
  return 0;
}

/* The options of sizing by time and adaptive repetitions: -1 to go on, or 2 after saying why. */
static int parse_sizing_opt(int ch, cb_run_cfg *cfg, run_opts *o) {
  char err[512];
  uint64_t v;
#define BAD() do { cb_errorf("run: %s", err); return 2; } while (0)
  switch (ch) {
    case O_TARGET:
      /* Two meanings told apart by their form: a server's URL, or the seconds tasks = auto sizes to. */
      if (strncmp(optarg, "http", 4) == 0 || strchr(optarg, ':')) {
        if (cb_target_parse_url(&o->target, optarg, err, sizeof err) != 0) BAD();
        o->target_url = optarg;
        break;
      }
      if (cb_cfg_number("--target", optarg, 0.001, 3600, &o->target_s, err, sizeof err) != 0) BAD();
      break;
    case O_CI: {
      char buf[32];
      size_t n = strlen(optarg);
      int pct = n && optarg[n - 1] == '%';
      snprintf(buf, sizeof buf, "%.*s", (int)(pct ? n - 1 : n), optarg);
      if (cb_cfg_number("--ci", buf, 0.0001, pct ? 100 : 1, &cfg->ci, err, sizeof err) != 0) BAD();
      if (pct) cfg->ci /= 100;
      o->ci_given = 1;
      break;
    }
    case O_BUDGET:
      if (cb_cfg_number("--budget", optarg, 0, 86400, &cfg->budget_s, err, sizeof err) != 0) BAD();
      o->budget_given = 1;
      break;
    case O_MAX_REPS:
      if (cb_cfg_count("--max-reps", optarg, 1, CB_MAX_REPS, &v, err, sizeof err) != 0) BAD();
      cfg->reps_max = (unsigned)v;
      o->max_reps_given = 1;
      break;
  }
#undef BAD
  return -1;
}

/* The options of what runs around and after the measurement (gates, shards, the baseline, the
 * history, an external Redis, the case timeout), as parse_opt: -1 to go on, else the status. */
static int parse_around_opt(int ch, run_opts *o) {
  char err[512];
#define BAD() do { cb_errorf("run: %s", err); return 2; } while (0)
  switch (ch) {
    case O_GATE:
      if (o->ngates == CB_MAX_GATES) { cb_errorf("run: at most %d gates", CB_MAX_GATES); return 2; }
      if (cb_gate_parse(optarg, &o->gates[o->ngates], err, sizeof err) != 0) BAD();
      o->ngates++;
      break;
    case O_SHARD:
      if (parse_shard(optarg, o) == 0) break;
      cb_errorf("run: --shard '%s' is not I/N with 1 <= I <= N, e.g. --shard 2/4", optarg);
      return 2;
    case O_BASELINE:
      if (!*optarg || strspn(optarg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(optarg) ||
          optarg[0] == '.') {
        cb_errorf("run: --save-baseline '%s': a baseline name takes letters, digits, '.', '_' and '-'", optarg);
        return 2;
      }
      o->baseline = optarg;
      break;
    case O_CASE_TIMEOUT:
      if (cb_cfg_number("--case-timeout", optarg, 0.001, 86400, &o->case_timeout, err, sizeof err) != 0) BAD();
      break;
    case O_REDIS:
      if (cb_rserver_parse_url(&o->redis, optarg, err, sizeof err) != 0) BAD();
      o->redis_url = optarg;
      break;
    case O_HISTORY:
      if (!*optarg) { cb_errorf("run: --history needs a file, e.g. --history " CB_HISTORY_DEFAULT); return 2; }
      o->history = optarg;
      break;
    case O_LABEL:
      if (cb_history_label_ok(optarg) != 0) {
        cb_errorf("run: --label '%s' must be 1 to 127 printable characters", optarg);
        return 2;
      }
      o->label = optarg;
      break;
  }
#undef BAD
  return -1;
}

/* One option into cfg and o: -1 to go on, else the exit status (0 after --help, 2 after saying
 * what is wrong). */
static int parse_opt(int ch, char **argv, cb_run_cfg *cfg, run_opts *o, int *tasks_given) {
  char err[512];
  uint64_t v;
#define BAD() do { cb_errorf("run: %s", err); return 2; } while (0)
    switch (ch) {
    case 'b':
      if (cb_cfg_backends(cfg, optarg, err, sizeof err) != 0) BAD();
      o->blist = optarg;
      break;
    case 'w':
      if (cb_cfg_workloads(cfg, optarg, err, sizeof err) != 0) BAD();
      o->wlist = optarg;
      break;
    case 'c':
      if (cb_cfg_concurrency(cfg, optarg, err, sizeof err) != 0) BAD();
      o->adhoc = 1;
      break;
    case 'n':
      if (cb_cfg_tasks(cfg, optarg, err, sizeof err) != 0) {
        cb_errorf("run: -n: %s; or -n auto", err);
        return 2;
      }
      *tasks_given = o->adhoc = 1;
      break;
    case 'r':
      if (cb_cfg_reps(cfg, optarg, err, sizeof err) != 0) {
        cb_errorf("run: -r: %s; or -r auto", err);
        return 2;
      }
      o->reps_given = 1;
      break;
    case O_TARGET: case O_CI: case O_BUDGET: case O_MAX_REPS:
      return parse_sizing_opt(ch, cfg, o);
    case O_GATE: case O_SHARD: case O_BASELINE: case O_CASE_TIMEOUT: case O_REDIS: case O_HISTORY: case O_LABEL:
      return parse_around_opt(ch, o);
    case 'p': {
      const char *eq = strchr(optarg, '=');
      char name[64];
      if (!eq || eq == optarg || (size_t)(eq - optarg) >= sizeof name) {
        cb_errorf("run: -p '%s' is not KEY=VALUE; e.g. -p delay_ms=20 or -p delay_ms=10,20", optarg);
        return 2;
      }
      snprintf(name, sizeof name, "%.*s", (int)(eq - optarg), optarg);
      if (strcmp(name, "path") == 0) {
        /* Not a workload's number: the URL path http asks an external --target for. */
        if (eq[1] != '/' || strpbrk(eq + 1, " \t\r\n") || strlen(eq + 1) > 1024) {
          cb_errorf("run: -p path=%s: give one URL path that starts with '/', e.g. -p path=/index.html", eq + 1);
          return 2;
        }
        o->target_path = eq + 1;
        o->adhoc = 1;
        break;
      }
      if (cb_cfg_param(cfg, name, eq + 1, err, sizeof err) != 0) BAD();
      o->adhoc = 1;
      break;
    }
    case 'o':
      if (!*optarg) { cb_errorf("run: -o needs a directory"); return 2; }
      cfg->outdir = optarg;
      break;
    case O_STACK:
      if (cb_parse_size(optarg, &cfg->stack_size) != 0 || cfg->stack_size < 16384 || cfg->stack_size > (1ull << 30)) {
        cb_errorf("run: --stack-size '%s' is not a size from 16K to 1G, e.g. --stack-size 64K", optarg);
        return 2;
      }
      break;
    case O_WARMUP:
      if (cb_cfg_count("--warmup", optarg, 0, 100, &v, err, sizeof err) != 0) BAD();
      cfg->warmup = (unsigned)v;
      o->warmup_given = 1;
      break;
    case O_RATE:
      if (cb_cfg_rates(cfg, "--rate", optarg, err, sizeof err) != 0) BAD();
      o->adhoc = 1;
      break;
    case O_DURATION:
      if (cb_cfg_number("--duration", optarg, 1e-3, 86400, &cfg->duration, err, sizeof err) != 0) BAD();
      o->adhoc = 1;
      break;
    case O_SEED:
      if (cb_parse_u64(optarg, &cfg->seed) != 0) {
        cb_errorf("run: --seed '%s' is not a whole number", optarg);
        return 2;
      }
      o->seed_given = 1;
      break;
    case O_POOL:
      if (cb_cfg_count("--uv-threadpool", optarg, 1, 1024, &v, err, sizeof err) != 0) BAD();
      /* Set before any loop exists: libuv reads it when its pool first starts. */
      setenv("UV_THREADPOOL_SIZE", optarg, 1);
      break;
    case O_LOOPS:
      if (cb_cfg_count("--loops", optarg, 1, 1024, &v, err, sizeof err) != 0) BAD();
      /* Read by uv-mt in each measurement process, and by the limit checks before it. */
      setenv("CB_UV_LOOPS", optarg, 1);
      break;
    case O_QUICK: o->quick = 1; break;
    case O_REPLACE: o->replace = 1; break;
    case O_REPORT: o->report = 1; break;
    case O_NOREPORT: o->no_report = 1; break;
    case 'q': cfg->quiet = o->quiet = 1; break;
    case 'v': o->verbose = 1; break;
    case 'h': fputs(run_usage, stdout); return 0;
    case ':': cb_errorf("run: %s needs a value; see concbench run --help", argv[optind - 1]); return 2;
    default:  cb_errorf("run: unknown option '%s'; see concbench run --help", argv[optind - 1]); return 2;
    }
#undef BAD
  return -1;
}

/* Parse the options into cfg (the ad-hoc configuration) and o. -1 to go on, else the status. */
static int parse_args(int argc, char **argv, cb_run_cfg *cfg, run_opts *o) {
  static const struct option opts[] = {
    { "backends", required_argument, NULL, 'b' },
    { "workloads", required_argument, NULL, 'w' },
    { "tasks", required_argument, NULL, 'n' },
    { "concurrency", required_argument, NULL, 'c' },
    { "param", required_argument, NULL, 'p' },
    { "reps", required_argument, NULL, 'r' },
    { "output", required_argument, NULL, 'o' },
    { "stack-size", required_argument, NULL, O_STACK },
    { "warmup", required_argument, NULL, O_WARMUP },
    { "rate", required_argument, NULL, O_RATE },
    { "duration", required_argument, NULL, O_DURATION },
    { "seed", required_argument, NULL, O_SEED },
    { "quick", no_argument, NULL, O_QUICK },
    { "report", no_argument, NULL, O_REPORT },
    { "no-report", no_argument, NULL, O_NOREPORT },
    { "uv-threadpool", required_argument, NULL, O_POOL },
    { "loops", required_argument, NULL, O_LOOPS },
    { "gate", required_argument, NULL, O_GATE },
    { "shard", required_argument, NULL, O_SHARD },
    { "save-baseline", required_argument, NULL, O_BASELINE },
    { "case-timeout", required_argument, NULL, O_CASE_TIMEOUT },
    { "target", required_argument, NULL, O_TARGET },
    { "ci", required_argument, NULL, O_CI },
    { "budget", required_argument, NULL, O_BUDGET },
    { "max-reps", required_argument, NULL, O_MAX_REPS },
    { "replace", no_argument, NULL, O_REPLACE },
    { "history", required_argument, NULL, O_HISTORY },
    { "label", required_argument, NULL, O_LABEL },
    { "redis", required_argument, NULL, O_REDIS },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  char err[512];
  int ch, rc, tasks_given = 0;
  memset(o, 0, sizeof *o);
  cb_cfg_defaults(cfg);
  optind = 1;
  opterr = 0;   /* our own one-line messages */
  while ((ch = getopt_long(argc, argv, ":b:w:n:c:p:r:o:qvh", opts, NULL)) != -1)
    if ((rc = parse_opt(ch, argv, cfg, o, &tasks_given)) >= 0) return rc;
  if (optind < argc) {
    if (o->adhoc) {
      cb_errorf("run: unexpected argument '%s'; a suite file and -n/-c/-p/--rate do not go together", argv[optind]);
      return 2;
    }
    o->suite = argv[optind++];
  }
  if (optind < argc) {
    cb_errorf("run: unexpected argument '%s'; give at most one suite file (concbench run --help)", argv[optind]);
    return 2;
  }
  /* -w alone (without a suite file) is an ad-hoc run, as it always was. */
  if (o->wlist && !o->suite) o->adhoc = 1;
  if (o->adhoc && o->quick) {
    cb_errorf("run: --quick is for suites; drop -n/-c/-p/--rate, or --quick");
    return 2;
  }
  if (cfg->rate > 0 && tasks_given) {
    cb_errorf("run: -n and --rate do not go together: an open-loop run has rate x duration tasks");
    return 2;
  }
  if (o->label && !o->history) {
    cb_errorf("run: --label names the run in a history; add --history FILE (e.g. --history " CB_HISTORY_DEFAULT ")");
    return 2;
  }
  if (o->target_path && !o->target_url) {
    cb_errorf("run: -p path=... is for an external server: give --target http://HOST:PORT too");
    return 2;
  }
  if (o->adhoc && cb_cfg_check(cfg, err, sizeof err) != 0) {
    cb_errorf("run: %s", err);
    return 2;
  }
  return -1;   /* go on */
}

/* Keep the suite's cases of the -b backends and -w workloads only; the groups' other settings
 * stay. 0, or -1 with a message when nothing is left. */
static int filter_suite(cb_suite *s, const cb_run_cfg *only, const run_opts *o) {
  int kept = 0;
  for (int g = 0; g < s->ngroups; g++) {
    cb_run_cfg *c = &s->groups[g];
    if (o->blist) {
      int n = 0;
      for (int i = 0; i < c->nbe; i++)
        for (int j = 0; j < only->nbe; j++)
          if (c->be[i] == only->be[j]) { c->be[n++] = c->be[i]; break; }
      c->nbe = n;
    }
    if (o->wlist) {
      int n = 0;
      for (int i = 0; i < c->nwl; i++)
        for (int j = 0; j < only->nwl; j++)
          if (c->wl[i] == only->wl[j]) { c->wl[n++] = c->wl[i]; break; }
      c->nwl = n;
    }
    if (c->nbe && c->nwl) {
      if (kept != g) {
        s->groups[kept] = *c;
        memcpy(s->group_names[kept], s->group_names[g], sizeof s->group_names[0]);
      }
      kept++;
    }
  }
  s->ngroups = kept;
  if (!kept) {
    cb_errorf("run: no case of the suite is left with -b %s -w %s", o->blist ? o->blist : "(all)", o->wlist ? o->wlist : "(all)");
    return -1;
  }
  return 0;
}

/* The plan: the suite's groups (the command line's settings winning) or the ad-hoc configuration;
 * the suite's gates joined to the command line's and checked; then --shard. 0, or 2 after saying
 * what is wrong. */
static int build_plan(cb_run_cfg *cfg, run_opts *o, cb_plan *plan, cb_machine *m, int *is_suite) {
  cb_suite *suite = NULL;
  char err[1024];
  int status = 2, rc;
  if (!o->adhoc) {
    if (!(suite = malloc(sizeof *suite))) { cb_errorf("run: out of memory"); goto cleanup; }
    rc = o->suite ? cb_suite_load(o->suite, o->quick, suite, err, sizeof err)
                  : cb_suite_parse(cb_default_suite, "default suite", o->quick, suite, err, sizeof err);
    if (rc != 0) { cb_errorf("run: %s", err); goto cleanup; }
    if (filter_suite(suite, cfg, o) != 0) goto cleanup;
    for (int g = 0; g < suite->ngroups; g++) {
      cb_run_cfg *gc = &suite->groups[g];
      if (o->reps_given) {
        gc->reps = cfg->reps;
        gc->reps_auto = cfg->reps_auto;
      }
      if (o->ci_given) gc->ci = cfg->ci;
      if (o->budget_given) gc->budget_s = cfg->budget_s;
      if (o->max_reps_given) gc->reps_max = cfg->reps_max;
      if (o->target_s > 0 && gc->target_s > 0) gc->target_s = o->target_s;
      if (o->warmup_given) gc->warmup = cfg->warmup;
      if (o->seed_given) gc->seed = cfg->seed;
      gc->stack_size = cfg->stack_size;
    }
    cfg->reps = suite->groups[0].reps;
    cfg->warmup = suite->groups[0].warmup;
    cfg->seed = suite->groups[0].seed;
    cfg->reps_auto = suite->groups[0].reps_auto;
    cfg->reps_max = suite->groups[0].reps_max;
    cfg->ci = suite->groups[0].ci;
    cfg->budget_s = suite->groups[0].budget_s;
    for (int i = 0; i < suite->ngates && o->ngates < CB_MAX_GATES; i++) o->gates[o->ngates++] = suite->gates[i];
  }
  int ngroups = suite ? suite->ngroups : 1;
  const cb_run_cfg *groups = suite ? suite->groups : cfg;
  /* An external server is shaped by its owner: the parameters that ask ours for delays or faults
   * would measure something it does not do. */
  for (int g = 0; o->target_url && g < ngroups; g++)
    for (int i = 0; i < groups[g].nps; i++)
      if (strcmp(groups[g].ps[i].name, "delay_ms") == 0 || strcmp(groups[g].ps[i].name, "fault_rate") == 0) {
        int web = 0;
        for (int w = 0; w < groups[g].nwl; w++) web |= (groups[g].wl[w]->flags & CB_WL_SERVER) != 0;
        if (!web) continue;
        cb_errorf("run: -p %s shapes the built-in target server, not the external --target %s; drop it (its delays "
                  "and faults are the server's own)", groups[g].ps[i].name, o->target_url);
        goto cleanup;
      }
  int calibrate = 0;
  for (int g = 0; g < ngroups; g++)
    for (int i = 0; i < groups[g].nwl; i++) calibrate |= groups[g].wl[i]->kind != CB_KIND_IO;
  cb_machine_probe(m, calibrate);
  if (o->adhoc && o->target_s > 0 && cfg->target_s > 0) cfg->target_s = o->target_s;
  cb_plan_policy(plan, cfg);
  for (int g = 0; g < ngroups; g++)
    if (cb_plan_add(plan, &groups[g], m) != 0) { cb_errorf("run: out of memory for the plan"); goto cleanup; }
  /* Each gate must find what it compares in this run. */
  for (int i = 0; i < o->ngates; i++)
    if (cb_gate_check(&o->gates[i], plan, err, sizeof err) != 0) { cb_errorf("run: %s", err); goto cleanup; }
  if (o->nshards) {
    /* Every n-th case from the i-th, in plan order, so n shards cover each case once. */
    size_t k = 0;
    for (size_t i = 0; i < plan->n; i++) {
      if (i % o->nshards == o->shard - 1) plan->cases[k++] = plan->cases[i];
      else cb_keep_free(plan->cases[i].reps);
    }
    plan->n = k;
    if (!k) {
      cb_errorf("run: shard %u/%u has no case: the plan has fewer cases than shards", o->shard, o->nshards);
      goto cleanup;
    }
    if (o->ngates) {
      cb_errorf("run: gates compare cases of one run: use them without --shard, or on the merged results");
      goto cleanup;
    }
  }
  *is_suite = suite != NULL;
  status = 0;
cleanup:
  free(suite);
  return status;
}

/* What the command line shows while the engine runs. */
typedef struct run_view {
  int tty;               /* a progress line, rewritten on stderr */
  int verbose;           /* a line per measured repetition */
} run_view;

static void on_progress(void *arg, const cb_engine_progress *p) {
  const run_view *v = arg;
  const cb_case *c = p->c;
  if (p->event == CB_ENGINE_REP_START && v->tty) {
    /* One line, rewritten: case i of N, what runs, elapsed and a rough ETA. */
    double eta = p->done ? p->elapsed_s / (double)p->done * (double)(p->total - p->done) : 0;
    fprintf(stderr, "\r\033[K[%zu/%zu %4.0fs, ~%.0fs left] %s%s on %s, c=%u, %.60s", p->done + 1, p->total,
            p->elapsed_s, eta, p->warm ? "warm-up: " : "", c->wl->name, c->be->name, c->conc, c->params_str);
  } else if (p->event == CB_ENGINE_REP_END && v->verbose && p->sample) {
    const cb_sample *s = p->sample;
    fprintf(stderr, "%s%s %s c=%u %s: rep %u %.6f s, %llu errors%s%s\n", v->tty ? "\r\033[K" : "", c->wl->name,
            c->be->name, c->conc, c->params_str, c->nreps, s->wall_s, (unsigned long long)s->errors,
            s->err[0] ? ": " : "", s->err);
  } else if (p->event == CB_ENGINE_NOTE) {
    if (v->tty) fputs("\r\033[K", stderr);
    cb_errorf("run: %s", p->note);
  }
}

int cb_cmd_run(int argc, char **argv) {
  cb_run_cfg cfg;
  run_opts o;
  cb_plan plan = { 0 };
  cb_machine m;
  cb_engine e;
  int is_suite = 0, prepared = 0;
  cb_history hist = { 0 };
  int status = parse_args(argc, argv, &cfg, &o);
  if (status >= 0) return status;
  /* A history that is not one is refused before anything is measured. */
  if (o.history) {
    char err[8192] = "";
    if (cb_history_open(&hist, o.history, 1, err, sizeof err) != 0) {
      cb_errorf("run: --history: %s", err);
      return 2;
    }
  }
  if ((status = build_plan(&cfg, &o, &plan, &m, &is_suite)) != 0) goto cleanup;

  run_view view = { .tty = isatty(STDERR_FILENO) && !cfg.quiet, .verbose = o.verbose };
  cb_engine_opts eo = { .outdir = cfg.outdir, .warmup = cfg.warmup, .stack_size = cfg.stack_size,
                        .case_timeout_s = o.case_timeout, .argc = argc, .argv = argv, .skip_impossible = is_suite,
                        .replace = o.replace, .target = o.target_url ? &o.target : NULL,
                        .target_path = o.target_path, .redis = o.redis_url ? &o.redis : NULL,
                        .progress = on_progress, .arg = &view };
  prepared = 1;
  if (cb_engine_prepare(&e, &plan, &m, &eo) != 0) {
    cb_errorf("run: %s", e.err);
    status = 2;
    goto cleanup;
  }
  cb_engine_status es = cb_engine_run(&e);
  if (view.tty) fputs("\r\033[K", stderr);
  if (es == CB_ENGINE_FAILED) {
    cb_errorf("run: %s", e.err);
    status = 1;
  }
  if (!cfg.quiet) {
    cb_table_print(stdout, &plan, e.rows);
    printf("\nresults: %s/results.csv and results.json\n", e.outdir);
    fflush(stdout);
  }
  if (cb_answers_check(&plan, e.rows)) status = 1;
  if (cb_results_exist(e.outdir)) cb__run_link_latest(e.outdir);
  if (es == CB_ENGINE_COMPLETE) {
    if (cb__run_gates(o.gates, o.ngates, &e, cfg.quiet)) status = 1;
    if ((is_suite && !o.no_report) || o.report)
      if (cb__run_draw(e.outdir, cfg.quiet) && status == 0) status = 1;
  }
  if (o.baseline && es == CB_ENGINE_COMPLETE && cb_interrupted == 0 && status == 0)
    status = cb__run_save_baseline(e.outdir, o.baseline, cfg.quiet);
  /* A complete run goes into the history whatever its gates said: a slow run is history too. */
  if (o.history && es == CB_ENGINE_COMPLETE && cb_interrupted == 0 && cb__run_add_history(&hist, e.outdir, o.label, cfg.quiet))
    status = status ? status : 1;
  if (es == CB_ENGINE_STOPPED || cb_interrupted > 0) {
    int sig = e.signal ? e.signal : cb_interrupted;
    cb_errorf("run: interrupted by %s; kept the %zu repetition(s) that finished in %s", strsignal(sig),
              cb_engine_kept(&e), e.outdir);
    status = 128 + sig;
  }

cleanup:
  cb_history_close(&hist);
  if (prepared) cb_engine_free(&e);
  cb_plan_free(&plan);
  return status;
}
