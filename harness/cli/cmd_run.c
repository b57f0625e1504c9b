/* cmd_run.c: `concbench run`: a suite or an ad-hoc sweep: parse, check, measure every case,
 * write results, check answers, then plots and report. */
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
#include "env.h"
#include "capacity.h"
#include "gate_eval.h"
#include "clock.h"
#include "plot.h"
#include "report.h"
#include "results.h"
#include "runcfg.h"
#include "runner.h"
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
  "  -n, --tasks N            tasks per case (default 100)\n"
  "  -c, --concurrency LIST   tasks in flight at once, e.g. 1,10,100 (default 10)\n"
  "  -p, --param KEY=V1,V2    a workload parameter; a list is a sweep; repeat for more\n"
  "  -r, --reps N             measured repetitions per case (default 3)\n"
  "      --warmup W           uncounted repetitions before them (default 1)\n"
  "      --rate R             open loop: start R tasks a second whatever the completions,\n"
  "      --duration S         for S seconds (tasks = R x S; at most -c in flight); latency\n"
  "                           is timed from each task's slot, so stalls cannot hide\n"
  "      --seed N             seed of the bootstrap confidence intervals (default 1)\n"
  "      --quick              a suite's quick form (the default suite in about 30 s)\n"
  "      --report             plots and report after an ad-hoc run too\n"
  "      --no-report          no plots and no report after a suite\n"
  "  -o, --output DIR         where results go (default results/<timestamp>/)\n"
  "      --stack-size SIZE    stack per thread or coroutine, e.g. 64K (default 256K)\n"
  "      --uv-threadpool N    UV_THREADPOOL_SIZE for uv and uv-offload (default 4)\n"
  "      --gate EXPR          a check on this run's rows, e.g. 'speedup(uv,sync,sleep)>=10',\n"
  "                           'efficiency(uv,sleep)>=0.8', 'p99(uv,http)<=50', 'errors(uv,http)==0';\n"
  "                           a failing gate prints its figure and exits 1 (repeatable)\n"
  "      --shard I/N          run the I-th of N deterministic slices of the cases (concbench merge)\n"
  "      --save-baseline NAME also store the results as results/baselines/NAME (concbench compare)\n"
  "      --case-timeout S     stop a repetition that runs longer than S seconds; recorded as such\n"
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
  int reps_given, warmup_given, seed_given;
  cb_gate gates[CB_MAX_GATES];
  int ngates;
  unsigned shard, nshards;   /* --shard i/n: 1-based; 0 = no sharding */
  const char *baseline;      /* --save-baseline NAME */
  double case_timeout;       /* --case-timeout S, or 0 */
} run_opts;

/* Parse the options into cfg (the ad-hoc configuration) and o. -1 to go on, else the status. */
static int parse_args(int argc, char **argv, cb_run_cfg *cfg, run_opts *o) {
  enum { O_STACK = 256, O_WARMUP, O_RATE, O_DURATION, O_SEED, O_QUICK, O_REPORT, O_NOREPORT, O_POOL,
         O_GATE, O_SHARD, O_BASELINE, O_CASE_TIMEOUT };
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
    { "gate", required_argument, NULL, O_GATE },
    { "shard", required_argument, NULL, O_SHARD },
    { "save-baseline", required_argument, NULL, O_BASELINE },
    { "case-timeout", required_argument, NULL, O_CASE_TIMEOUT },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  char err[512];
  uint64_t v;
  int ch, tasks_given = 0;
  memset(o, 0, sizeof *o);
  cb_cfg_defaults(cfg);
  optind = 1;
  opterr = 0;   /* our own one-line messages */
#define BAD() do { cb_errorf("run: %s", err); return 2; } while (0)
  while ((ch = getopt_long(argc, argv, ":b:w:n:c:p:r:o:qvh", opts, NULL)) != -1) {
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
      if (cb_cfg_count("-n", optarg, 1, CB_MAX_TASKS, &v, err, sizeof err) != 0) BAD();
      cfg->tasks = v;
      tasks_given = o->adhoc = 1;
      break;
    case 'r':
      if (cb_cfg_count("-r", optarg, 1, CB_MAX_REPS, &v, err, sizeof err) != 0) BAD();
      cfg->reps = (unsigned)v;
      o->reps_given = 1;
      break;
    case 'p': {
      const char *eq = strchr(optarg, '=');
      char name[64];
      if (!eq || eq == optarg || (size_t)(eq - optarg) >= sizeof name) {
        cb_errorf("run: -p '%s' is not KEY=VALUE; e.g. -p delay_ms=20 or -p delay_ms=10,20", optarg);
        return 2;
      }
      snprintf(name, sizeof name, "%.*s", (int)(eq - optarg), optarg);
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
      if (cb_cfg_number("--rate", optarg, 1e-3, 1e7, &cfg->rate, err, sizeof err) != 0) BAD();
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
    case O_GATE:
      if (o->ngates == CB_MAX_GATES) { cb_errorf("run: at most %d gates", CB_MAX_GATES); return 2; }
      if (cb_gate_parse(optarg, &o->gates[o->ngates], err, sizeof err) != 0) BAD();
      o->ngates++;
      break;
    case O_SHARD: {
      uint64_t i, n;
      const char *slash = strchr(optarg, '/');
      char a[32];
      if (!slash || (size_t)(slash - optarg) >= sizeof a) goto bad_shard;
      snprintf(a, sizeof a, "%.*s", (int)(slash - optarg), optarg);
      if (cb_parse_u64(a, &i) != 0 || cb_parse_u64(slash + 1, &n) != 0 || n < 1 || n > 10000 || i < 1 || i > n) goto bad_shard;
      o->shard = (unsigned)i;
      o->nshards = (unsigned)n;
      break;
    bad_shard:
      cb_errorf("run: --shard '%s' is not I/N with 1 <= I <= N, e.g. --shard 2/4", optarg);
      return 2;
    }
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
    case O_QUICK: o->quick = 1; break;
    case O_REPORT: o->report = 1; break;
    case O_NOREPORT: o->no_report = 1; break;
    case 'q': cfg->quiet = o->quiet = 1; break;
    case 'v': o->verbose = 1; break;
    case 'h': fputs(run_usage, stdout); return 0;
    case ':': cb_errorf("run: %s needs a value; see concbench run --help", argv[optind - 1]); return 2;
    default:  cb_errorf("run: unknown option '%s'; see concbench run --help", argv[optind - 1]); return 2;
    }
  }
#undef BAD
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

/* "280 ECONNREFUSED (connection refused: did the server exit?), 20 not run": the errors of a
 * case's repetitions by kind, most frequent first, with what to do about the ones a limit explains. */
static void describe_errors(const cb_case *c, char *buf, size_t len) {
  struct { int32_t code; uint64_t count; } k[CB_ERROR_KINDS * 4];
  size_t nk = 0, used = 0;
  for (unsigned r = 0; r < c->nreps; r++)
    for (uint32_t i = 0; i < c->reps[r].nkinds; i++) {
      size_t j = 0;
      while (j < nk && k[j].code != c->reps[r].kinds[i].code) j++;
      if (j == nk) {
        if (nk == sizeof k / sizeof k[0]) continue;
        k[nk].code = c->reps[r].kinds[i].code;
        k[nk++].count = 0;
      }
      k[j].count += c->reps[r].kinds[i].count;
    }
  buf[0] = '\0';
  for (size_t done = 0; done < nk && used < len; done++) {
    size_t best = done;
    for (size_t j = done + 1; j < nk; j++)
      if (k[j].count > k[best].count) best = j;
    int32_t code = k[best].code;
    uint64_t count = k[best].count;
    k[best] = k[done];
    const char *hint = code ? cb_err_hint(code) : NULL;
    int n = code ? snprintf(buf + used, len - used, "%s%llu %s (%s%s%s)", done ? ", " : "", (unsigned long long)count,
                            cb_err_name(code), cb_strerror(code), hint ? ": " : "", hint ? hint : "")
                 : snprintf(buf + used, len - used, "%s%llu not run", done ? ", " : "", (unsigned long long)count);
    if (n < 0) break;
    used += (size_t)n;
  }
}

/* Same case, same answer: every clean row of a workload, parameters and task count must carry
 * one checksum, whatever the backend or concurrency. 0 when they do. */
static int check_answers(const cb_plan *plan) {
  int bad = 0;
  for (size_t i = 0; i < plan->n; i++) {
    const cb_case *a = &plan->cases[i];
    if (!a->nreps) continue;
    cb_row ra;
    cb_row_of(a, plan->seed, &ra);
    /* Faults the parameters asked for are results, not a failed check; any other error is. */
    uint64_t expected = a->wl->expected_errors ? a->wl->expected_errors(&a->params, a->tasks) * a->nreps : 0;
    if (ra.errors != expected) {
      const char *note = "";
      char kinds[384];
      for (unsigned k = 0; k < a->nreps && !*note; k++) note = a->reps[k].err;
      describe_errors(a, kinds, sizeof kinds);
      cb_errorf("%llu task(s) failed or never ran%s: %s on %s, %s, tasks=%llu, c=%u%s%s%s%s",
                (unsigned long long)ra.errors, expected ? " beyond the faults asked for" : "",
                a->wl->name, a->be->name, a->params_str, (unsigned long long)a->tasks, a->conc, *note ? ": " : "", note,
                *kinds ? "; " : "", kinds);
      bad = 1;
      continue;
    }
    if (!ra.checksum_stable) {
      cb_errorf("checksum differs between repetitions: %s on %s, %s, c=%u", a->wl->name, a->be->name, a->params_str, a->conc);
      bad = 1;
    }
    /* Rows whose failures are exactly the ones asked for compare too: the same tasks succeeded. */
    for (size_t j = 0; j < i; j++) {
      const cb_case *b = &plan->cases[j];
      if (!b->nreps || b->wl != a->wl || b->tasks != a->tasks || strcmp(b->params_str, a->params_str) != 0) continue;
      cb_row rb;
      cb_row_of(b, plan->seed, &rb);
      uint64_t bexp = b->wl->expected_errors ? b->wl->expected_errors(&b->params, b->tasks) * b->nreps : 0;
      if (rb.errors != bexp || rb.checksum == ra.checksum) continue;
      cb_errorf("checksum mismatch on %s, %s, tasks=%llu: %s c=%u gave %016llx, %s c=%u gave %016llx",
                a->wl->name, a->params_str, (unsigned long long)a->tasks, b->be->name, b->conc,
                (unsigned long long)rb.checksum, a->be->name, a->conc, (unsigned long long)ra.checksum);
      bad = 1;
      break;
    }
  }
  return bad;
}

int cb_cmd_run(int argc, char **argv) {
  cb_run_cfg cfg;
  run_opts o;
  cb_plan plan = { 0 };
  cb_machine m;
  cb_suite *suite = NULL;
  int status = 2;
  char outdir[PATH_MAX], err[1024];
  cb_target target = { 0 };
  char tmpdir[PATH_MAX] = "";

  int rc = parse_args(argc, argv, &cfg, &o);
  if (rc >= 0) { status = rc; goto cleanup; }

  /* A suite (the default one, or a file) unless the options describe the cases themselves. */
  if (!o.adhoc) {
    if (!(suite = malloc(sizeof *suite))) { cb_errorf("run: out of memory"); goto cleanup; }
    rc = o.suite ? cb_suite_load(o.suite, o.quick, suite, err, sizeof err)
                 : cb_suite_parse(cb_default_suite, "default suite", o.quick, suite, err, sizeof err);
    if (rc != 0) { cb_errorf("run: %s", err); goto cleanup; }
    if (filter_suite(suite, &cfg, &o) != 0) goto cleanup;
    /* The command line's settings win over the suite's. */
    for (int g = 0; g < suite->ngroups; g++) {
      cb_run_cfg *gc = &suite->groups[g];
      if (o.reps_given) gc->reps = cfg.reps;
      if (o.warmup_given) gc->warmup = cfg.warmup;
      if (o.seed_given) gc->seed = cfg.seed;
      gc->stack_size = cfg.stack_size;
    }
    cfg.reps = suite->groups[0].reps;
    cfg.warmup = suite->groups[0].warmup;
    cfg.seed = suite->groups[0].seed;
  }
  int ngroups = suite ? suite->ngroups : 1;
  const cb_run_cfg *groups = suite ? suite->groups : &cfg;

  int calibrate = 0;
  for (int g = 0; g < ngroups; g++)
    for (int i = 0; i < groups[g].nwl; i++) calibrate |= groups[g].wl[i]->kind != CB_KIND_IO;
  cb_machine_probe(&m, calibrate);
  plan.reps = cfg.reps;
  plan.seed = cfg.seed;
  for (int g = 0; g < ngroups; g++)
    if (cb_plan_add(&plan, &groups[g], &m) != 0) { cb_errorf("run: out of memory for the plan"); goto cleanup; }

  /* A suite's gates join the command line's; each must find what it compares in this run. */
  for (int i = 0; suite && i < suite->ngates && o.ngates < CB_MAX_GATES; i++) o.gates[o.ngates++] = suite->gates[i];
  for (int i = 0; i < o.ngates; i++)
    if (cb_gate_check(&o.gates[i], &plan, err, sizeof err) != 0) { cb_errorf("run: %s", err); goto cleanup; }

  /* --shard i/n: every n-th case from the i-th, in plan order, so n shards cover each case once. */
  if (o.nshards) {
    size_t k = 0;
    for (size_t i = 0; i < plan.n; i++) {
      if (i % o.nshards == o.shard - 1) plan.cases[k++] = plan.cases[i];
      else free(plan.cases[i].reps);
    }
    plan.n = k;
    if (!k) {
      cb_errorf("run: shard %u/%u has no case: the plan has fewer cases than shards", o.shard, o.nshards);
      goto cleanup;
    }
    if (o.ngates) {
      cb_errorf("run: gates compare cases of one run: use them without --shard, or on the merged results");
      goto cleanup;
    }
  }

  /* Refuse what the machine cannot give before anything runs or is written. */
  cb_capacity_raise_nofile();
  for (size_t i = 0; i < plan.n; i++) {
    const cb_case *c = &plan.cases[i];
    int seen = 0;
    for (size_t j = 0; j < i && !seen; j++) seen = plan.cases[j].be == c->be && plan.cases[j].eff_conc == c->eff_conc;
    if (!seen && cb_capacity_check(c, err, sizeof err) != 0) {
      cb_errorf("run: %s", err);
      goto cleanup;
    }
  }

  /* Producers and consumers must all be in flight at once, or they wait on each other forever. */
  for (size_t i = 0; i < plan.n; i++) {
    const cb_case *c = &plan.cases[i];
    if ((c->wl->flags & CB_WL_ALL_AT_ONCE) && !(c->be->flags & CB_BACKEND_SERIAL) && c->eff_conc < c->tasks) {
      cb_errorf("run: %s runs %llu tasks that must all be in flight at once, but -c is %u on %s; "
                "give -c %llu or more, or fewer tasks (concbench list)", c->wl->name,
                (unsigned long long)c->tasks, c->conc, c->be->name, (unsigned long long)c->tasks);
      goto cleanup;
    }
  }

  if (cfg.outdir) snprintf(outdir, sizeof outdir, "%s", cfg.outdir);
  else cb_results_dirname("", outdir, sizeof outdir);
  if ((rc = cb_mkdirs(outdir)) != 0) {
    cb_errorf("run: cannot create the results directory %s: %s", outdir, strerror(-rc));
    goto cleanup;
  }
  for (size_t i = 0; i < plan.n; i++) {
    if (!(plan.cases[i].wl->flags & CB_WL_OUTPUT)) continue;
    char odir[PATH_MAX + 8];
    snprintf(odir, sizeof odir, "%s/output", outdir);
    if ((rc = cb_mkdirs(odir)) != 0) {
      cb_errorf("run: cannot create %s: %s", odir, strerror(-rc));
      goto cleanup;
    }
    break;
  }
  /* One private temporary directory for the run, removed at its end however the run ends. */
  for (size_t i = 0; i < plan.n && !tmpdir[0]; i++) {
    if (!(plan.cases[i].wl->flags & CB_WL_TMPDIR)) continue;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/concbench-%d-XXXXXX", base && *base ? base : "/tmp", (int)getpid());
    if (!mkdtemp(tmpdir)) {
      cb_errorf("run: cannot create a temporary directory in %s: %s; set TMPDIR to a writable directory",
                base && *base ? base : "/tmp", strerror(errno));
      tmpdir[0] = '\0';
      goto cleanup;
    }
  }
  cb_measure_env env = { .stack_size = cfg.stack_size, .outdir = outdir, .target = &target,
                         .tmpdir = tmpdir[0] ? tmpdir : NULL, .unit_s = m.unit_s,
                         .case_timeout_s = o.case_timeout };

  cb_runner_signals();
  int tty = isatty(STDERR_FILENO) && !cfg.quiet;
  int64_t started = cb_now_ns();
  size_t total = plan.n * (plan.reps + cfg.warmup), done = 0;
  status = 0;
  /* Repetitions in rounds, each round starting one case later: no backend always runs first,
   * and drift on a shared machine spreads over every case instead of landing on one. */
  for (unsigned rr = 0; rr < cfg.warmup + plan.reps && !cb_interrupted; rr++) {
    int warm = rr < cfg.warmup;
    unsigned r = warm ? rr : rr - cfg.warmup;
    for (size_t k = 0; k < plan.n && !cb_interrupted; k++) {
      cb_case *c = &plan.cases[(k + rr) % plan.n];
      if (tty) {
        /* One line, rewritten: case i of N, what runs, elapsed and a rough ETA. */
        double el = (double)(cb_now_ns() - started) / 1e9;
        double eta = done ? el / (double)done * (double)(total - done) : 0;
        fprintf(stderr, "\r\033[K[%zu/%zu %4.0fs, ~%.0fs left] %s%s on %s, c=%u, %.60s", done + 1, total, el, eta,
                warm ? "warm-up: " : "", c->wl->name, c->be->name, c->conc, c->params_str);
      }
      if (c->wl->flags & CB_WL_SERVER) {
        cb_server_opts so = { .site = { .pages = 100, .links = 8, .seed = 1 } };
        if (c->wl->server) c->wl->server(&c->params, &so);
        if (!cb_target_matches(&target, &so)) {
          cb_target_stop(&target);
          if (cb_target_start(&target, &so, err, sizeof err) != 0) {
            if (tty) fputc('\n', stderr);
            cb_errorf("run: %s", err);
            status = 1;
            cb_interrupted = -1;
            break;
          }
        }
      }
      if (warm) {
        /* Measured like the others, then dropped: nothing of it reaches the results. */
        cb_case scratch = *c;
        cb_sample s;
        scratch.lat = scratch.svc = NULL;
        memset(scratch.ops, 0, sizeof scratch.ops);
        rc = cb_runner_measure(&scratch, &env, &s);
        free(scratch.lat);
        free(scratch.svc);
        for (int k2 = 0; k2 < CB_OP_KINDS; k2++) free(scratch.ops[k2]);
      } else {
        rc = cb_runner_measure(c, &env, &c->reps[c->nreps]);
      }
      if (rc == -EINTR) break;
      char how[96];
      if (rc == 0 && cb_target_ended(&target, how, sizeof how)) {
        /* Its requests failed (counted as errors); the next case gets a server of its own. */
        if (tty) fputc('\n', stderr);
        cb_errorf("run: the target server %s during %s on %s, c=%u; a new one starts for the next case", how,
                  c->wl->name, c->be->name, c->conc);
        if (!warm && !c->reps[c->nreps].err[0])
          snprintf(c->reps[c->nreps].err, sizeof c->reps[c->nreps].err, "the target server %s meanwhile", how);
      }
      if (rc != 0) {
        if (tty) fputc('\n', stderr);
        const char *hint = cb_err_hint(rc);
        cb_errorf("run: cannot start a measurement process: %s; %s", strerror(-rc),
                  hint ? hint : "lower -c or raise the process limit (ulimit -u)");
        status = 1;
        cb_interrupted = -1;
        break;
      }
      if (!warm) {
        const cb_sample *s = &c->reps[c->nreps];
        if (o.verbose)
          fprintf(stderr, "%s%s %s c=%u %s: rep %u %.6f s, %llu errors%s%s\n", tty ? "\r\033[K" : "", c->wl->name,
                  c->be->name, c->conc, c->params_str, c->nreps + 1, s->wall_s, (unsigned long long)s->errors,
                  s->err[0] ? ": " : "", s->err);
        c->nreps++;
      }
      done++;
    }
    if (warm) continue;
    cb_plan_learn(&plan, &m);
    /* Whatever has been measured is on disk after every round. */
    rc = cb_results_write(outdir, &plan, &m, argc, argv, r + 1 == plan.reps && !cb_interrupted ? "complete" : "partial");
    if (rc != 0) {
      if (tty) fputc('\n', stderr);
      cb_errorf("run: cannot write results to %s: %s; %s", outdir, strerror(-rc),
                r ? "the previous round's results there are intact; free some space or choose another -o"
                  : "free some space or choose another -o");
      status = 1;
      break;
    }
  }
  cb_target_stop(&target);
  if (tty) fputs("\r\033[K", stderr);
  if (!cfg.quiet) {
    cb_table_print(stdout, &plan);
    printf("\nresults: %s/results.csv and results.json\n", outdir);
    fflush(stdout);
  }
  if (check_answers(&plan) && status == 0) status = 1;
  /* The gates, on this run's own rows. */
  for (int i = 0; i < o.ngates && cb_interrupted == 0 && status != 2; i++) {
    double fig;
    char what[512];
    int h = cb_gate_eval(&o.gates[i], &plan, &fig, what, sizeof what);
    if (h < 0) {
      cb_errorf("gate %s: nothing measured to decide it", o.gates[i].text);
      status = status ? status : 1;
    } else if (!h) {
      cb_errorf("gate %s FAILED: %.4g (%s)", o.gates[i].text, fig, what);
      status = status ? status : 1;
    } else if (!cfg.quiet) {
      printf("gate %s holds: %.4g (%s)\n", o.gates[i].text, fig, what);
    }
  }
  /* Plots and report after a suite (or when asked): gnuplot missing leaves the results whole. */
  if (cb_interrupted == 0 && status != 2 && ((suite && !o.no_report) || o.report)) {
    rc = cb_plot(outdir, err, sizeof err);
    if (rc != 0 && rc != -EINTR) {
      cb_errorf("run: %s", err);
      if (status == 0) status = 1;
    }
    if (cb_interrupted > 0) {
      /* Said below, once. */
    } else if (cb_report(outdir, err, sizeof err) != 0) {
      cb_errorf("run: %s", err);
      if (status == 0) status = 1;
    } else if (!cfg.quiet) {
      printf("report: %s/report.html (and report.md)\n", outdir);
    }
  }
  if (o.baseline && cb_interrupted == 0 && status == 0) {
    /* Only a whole, passing run becomes a baseline. */
    char bdir[PATH_MAX + 64];
    const char *root = getenv("CB_BASELINES");
    snprintf(bdir, sizeof bdir, "%s/%s", root && *root ? root : "results/baselines", o.baseline);
    if ((rc = cb_results_copy(outdir, bdir)) != 0) {
      cb_errorf("run: cannot save the baseline %s: %s", bdir, strerror(-rc));
      status = 1;
    } else if (!cfg.quiet) {
      printf("baseline: %s\n", bdir);
    }
  }
  if (cb_interrupted > 0) {
    size_t kept = 0;
    for (size_t i = 0; i < plan.n; i++) kept += plan.cases[i].nreps;
    cb_errorf("run: interrupted by %s; kept the %zu repetition(s) that finished in %s", strsignal(cb_interrupted), kept, outdir);
    status = 128 + cb_interrupted;
  }

cleanup:
  if (tmpdir[0]) cb_rmtree(tmpdir);
  cb_plan_free(&plan);
  free(suite);
  return status;
}
