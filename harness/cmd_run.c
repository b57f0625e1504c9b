/* cmd_run.c: `concbench run`: parse, check, measure every case, write results, check answers. */
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
#include "results.h"
#include "runner.h"
#include "table.h"
#include "util.h"

#define MAX_TASKS 10000000ull
#define MAX_CONC 1000000ull
#define MAX_REPS 10000ull

static const char run_usage[] =
  "usage: concbench run [-b LIST] [-w LIST] [-n TASKS] [-c LIST] [-p KEY=V1,V2]... [-r REPS] [-o DIR]\n"
  "\n"
  "Runs every combination of workload, parameter values, concurrency and backend, each\n"
  "repetition in a fresh process, and writes DIR/results.csv and DIR/results.json.\n"
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
  "  -o, --output DIR         where results go (default results/<timestamp>/)\n"
  "      --stack-size SIZE    stack per thread or coroutine, e.g. 64K (default 256K)\n"
  "  -q, --quiet              no table, no progress\n"
  "  -h, --help               this text\n"
  "\n"
  "Exit status: 0 fine; 1 a failed check (checksum mismatch, task errors other than the faults\n"
  "asked for with -p fault_rate), or the target server could not start; 2 bad usage.\n"
  "Example: concbench run -b sync,uv -w sleep -n 100 -c 100 -p delay_ms=20 -r 3\n";

static void names_of_backends(char *buf, size_t len) {
  size_t off = 0;
  buf[0] = '\0';
  for (const cb_backend *const *b = cb_backends(); *b && off < len; b++)
    off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", (*b)->name);
}

static void names_of_workloads(char *buf, size_t len) {
  size_t off = 0;
  buf[0] = '\0';
  for (const cb_workload *const *w = cb_workloads(); *w && off < len; w++)
    off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", (*w)->name);
}

/* Split a comma-separated option value; on a malformed list, say so and return -1. */
static int split_list(const char *opt, char *val, char **items) {
  char copy[1024];
  snprintf(copy, sizeof copy, "%s", val);
  int n = cb_split(val, ',', items, CB_MAX_LIST);
  if (n == -1) cb_errorf("run: %s '%s' has an empty item; separate values with single commas", opt, copy);
  if (n == -2) cb_errorf("run: %s lists more than %d values", opt, CB_MAX_LIST);
  return n < 0 ? -1 : n;
}

/* Parse one -p KEY=V1,V2 against the chosen workloads (checked once they are all known). */
static int parse_pset(char *arg, cb_pset *ps) {
  char *eq = strchr(arg, '=');
  if (!eq || eq == arg) {
    cb_errorf("run: -p '%s' is not KEY=VALUE; e.g. -p delay_ms=20 or -p delay_ms=10,20", arg);
    return -1;
  }
  *eq = '\0';
  ps->name = arg;
  char *items[CB_MAX_LIST];
  int n = split_list(arg, eq + 1, items);
  if (n < 0) return -1;
  for (int i = 0; i < n; i++)
    if (cb_parse_double(items[i], &ps->vals[i]) != 0) {
      cb_errorf("run: -p %s=%s: '%s' is not a number", arg, items[i], items[i]);
      return -1;
    }
  ps->n = n;
  return 0;
}

static int parse_count(const char *opt, const char *s, uint64_t lo, uint64_t hi, const char *what, uint64_t *out) {
  if (cb_parse_u64(s, out) != 0) {
    cb_errorf("run: %s '%s' is not a whole number; give %s, e.g. %s %llu", opt, s, what, opt, (unsigned long long)(lo > 10 ? lo : 10));
    return -1;
  }
  if (*out < lo || *out > hi) {
    cb_errorf("run: %s %s is out of range: %s must be %llu to %llu", opt, s, what, (unsigned long long)lo, (unsigned long long)hi);
    return -1;
  }
  return 0;
}

/* Every -p must name a parameter of some chosen workload, with values in its range. */
static int check_psets(const cb_run_cfg *cfg) {
  char err[256];
  for (int i = 0; i < cfg->nps; i++) {
    const cb_pset *ps = &cfg->ps[i];
    int found = 0;
    for (int j = 0; j < i; j++)
      if (strcmp(cfg->ps[j].name, ps->name) == 0) {
        cb_errorf("run: -p %s given twice; put every value in one list: -p %s=V1,V2", ps->name, ps->name);
        return -1;
      }
    for (int w = 0; w < cfg->nwl; w++) {
      int k = cb_params_index(cfg->wl[w], ps->name);
      if (k < 0) continue;
      found = 1;
      for (int v = 0; v < ps->n; v++)
        if (cb_param_check(&cfg->wl[w]->params[k], ps->vals[v], err, sizeof err) != 0) {
          cb_errorf("run: -p %s", err);
          return -1;
        }
    }
    if (!found) {
      char known[512];
      size_t off = 0;
      known[0] = '\0';
      for (int w = 0; w < cfg->nwl; w++)
        for (unsigned k = 0; k < cfg->wl[w]->nparams && off < sizeof known; k++)
          off += (size_t)snprintf(known + off, sizeof known - off, "%s%s", off ? ", " : "", cfg->wl[w]->params[k].name);
      cb_errorf("run: unknown parameter '%s' for the chosen workloads; they take: %s (concbench list)",
                ps->name, off ? known : "no parameters");
      return -1;
    }
  }
  return 0;
}

static int parse_args(int argc, char **argv, cb_run_cfg *cfg, char **copies, int *ncopies) {
  static const struct option opts[] = {
    { "backends", required_argument, NULL, 'b' },
    { "workloads", required_argument, NULL, 'w' },
    { "tasks", required_argument, NULL, 'n' },
    { "concurrency", required_argument, NULL, 'c' },
    { "param", required_argument, NULL, 'p' },
    { "reps", required_argument, NULL, 'r' },
    { "output", required_argument, NULL, 'o' },
    { "stack-size", required_argument, NULL, 'S' },
    { "warmup", required_argument, NULL, 'W' },
    { "rate", required_argument, NULL, 'R' },
    { "duration", required_argument, NULL, 'D' },
    { "seed", required_argument, NULL, 'E' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  const char *blist = NULL, *wlist = "sleep,cpu", *clist = "10";
  uint64_t v;
  int ch;
  char names[256];
  memset(cfg, 0, sizeof *cfg);
  cfg->tasks = 100;
  cfg->reps = 3;
  cfg->warmup = 1;
  cfg->seed = 1;
  int tasks_given = 0;
  optind = 1;
  opterr = 0;   /* our own one-line messages */
  while ((ch = getopt_long(argc, argv, ":b:w:n:c:p:r:o:qh", opts, NULL)) != -1) {
    switch (ch) {
    case 'b': blist = optarg; break;
    case 'w': wlist = optarg; break;
    case 'c': clist = optarg; break;
    case 'n':
      if (parse_count("-n", optarg, 1, MAX_TASKS, "the number of tasks", &v) != 0) return 2;
      cfg->tasks = v;
      tasks_given = 1;
      break;
    case 'r':
      if (parse_count("-r", optarg, 1, MAX_REPS, "the number of repetitions", &v) != 0) return 2;
      cfg->reps = (unsigned)v;
      break;
    case 'p':
      if (cfg->nps == CB_MAX_PSETS) { cb_errorf("run: at most %d -p options", CB_MAX_PSETS); return 2; }
      copies[*ncopies] = strdup(optarg);
      if (!copies[*ncopies] || parse_pset(copies[(*ncopies)++], &cfg->ps[cfg->nps++]) != 0) return 2;
      break;
    case 'o':
      if (!*optarg) { cb_errorf("run: -o needs a directory"); return 2; }
      cfg->outdir = optarg;
      break;
    case 'S':
      if (cb_parse_size(optarg, &cfg->stack_size) != 0 || cfg->stack_size < 16384 || cfg->stack_size > (1ull << 30)) {
        cb_errorf("run: --stack-size '%s' is not a size from 16K to 1G, e.g. --stack-size 64K", optarg);
        return 2;
      }
      break;
    case 'W':
      if (cb_parse_u64(optarg, &v) != 0 || v > 100) {
        cb_errorf("run: --warmup '%s' is not a whole number from 0 to 100", optarg);
        return 2;
      }
      cfg->warmup = (unsigned)v;
      break;
    case 'R':
      if (cb_parse_double(optarg, &cfg->rate) != 0 || !(cfg->rate > 0 && cfg->rate <= 1e7)) {
        cb_errorf("run: --rate '%s' is not a rate from 0 to 10000000 tasks per second, e.g. --rate 500", optarg);
        return 2;
      }
      break;
    case 'D':
      if (cb_parse_double(optarg, &cfg->duration) != 0 || !(cfg->duration > 0 && cfg->duration <= 86400)) {
        cb_errorf("run: --duration '%s' is not a number of seconds from 0 to 86400, e.g. --duration 10", optarg);
        return 2;
      }
      break;
    case 'E':
      if (cb_parse_u64(optarg, &cfg->seed) != 0) {
        cb_errorf("run: --seed '%s' is not a whole number", optarg);
        return 2;
      }
      break;
    case 'q': cfg->quiet = 1; break;
    case 'h': fputs(run_usage, stdout); return 0;
    case ':': cb_errorf("run: %s needs a value; see concbench run --help", argv[optind - 1]); return 2;
    default:  cb_errorf("run: unknown option '%s'; see concbench run --help", argv[optind - 1]); return 2;
    }
  }
  if (optind < argc) {
    cb_errorf("run: unexpected argument '%s'; options take the form -b sync,uv (concbench run --help)", argv[optind]);
    return 2;
  }
  if ((cfg->rate > 0) != (cfg->duration > 0)) {
    cb_errorf("run: an open-loop run needs both --rate and --duration, e.g. --rate 500 --duration 10");
    return 2;
  }
  if (cfg->rate > 0 && tasks_given) {
    cb_errorf("run: -n and --rate do not go together: an open-loop run has rate x duration tasks");
    return 2;
  }
  if (cfg->rate * cfg->duration > (double)MAX_TASKS) {
    cb_errorf("run: --rate x --duration asks for more than %llu tasks; lower one of them", MAX_TASKS);
    return 2;
  }

  char buf[1024], *items[CB_MAX_LIST];
  int n;
  if (blist) {
    snprintf(buf, sizeof buf, "%s", blist);
    if ((n = split_list("-b", buf, items)) < 0) return 2;
    for (int i = 0; i < n; i++) {
      const cb_backend *b = cb_backend_find(items[i]);
      if (!b) {
        names_of_backends(names, sizeof names);
        cb_errorf("run: unknown backend '%s'; choose from %s", items[i], names);
        return 2;
      }
      cfg->be[cfg->nbe++] = b;
    }
  } else {
    for (const cb_backend *const *b = cb_backends(); *b && cfg->nbe < CB_MAX_LIST; b++) cfg->be[cfg->nbe++] = *b;
  }
  snprintf(buf, sizeof buf, "%s", wlist);
  if ((n = split_list("-w", buf, items)) < 0) return 2;
  for (int i = 0; i < n; i++) {
    const cb_workload *w = cb_workload_find(items[i]);
    if (!w) {
      names_of_workloads(names, sizeof names);
      cb_errorf("run: unknown workload '%s'; choose from %s", items[i], names);
      return 2;
    }
    cfg->wl[cfg->nwl++] = w;
  }
  snprintf(buf, sizeof buf, "%s", clist);
  if ((n = split_list("-c", buf, items)) < 0) return 2;
  for (int i = 0; i < n; i++) {
    if (cb_parse_u64(items[i], &v) != 0) {
      cb_errorf("run: -c '%s' is not a whole number; give the tasks in flight, e.g. -c 1,10,100", items[i]);
      return 2;
    }
    if (v < 1 || v > MAX_CONC) {
      cb_errorf("run: -c %s is out of range: concurrency must be 1 to %llu", items[i], MAX_CONC);
      return 2;
    }
    cfg->conc[cfg->nconc++] = (uint32_t)v;
  }
  if (check_psets(cfg) != 0) return 2;
  return -1;   /* go on */
}

/* results/<timestamp>[-k], not yet created. */
static void default_outdir(char *buf, size_t len) {
  char stamp[32];
  struct stat st;
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  snprintf(buf, len, "results/%s", stamp);
  for (int k = 2; stat(buf, &st) == 0; k++) snprintf(buf, len, "results/%s-%d", stamp, k);
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
      for (unsigned k = 0; k < a->nreps && !*note; k++) note = a->reps[k].err;
      cb_errorf("%llu task(s) failed or never ran%s: %s on %s, %s, tasks=%llu, c=%u%s%s",
                (unsigned long long)ra.errors, expected ? " beyond the faults asked for" : "",
                a->wl->name, a->be->name, a->params_str, (unsigned long long)a->tasks, a->conc, *note ? ": " : "", note);
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
  cb_plan plan = { 0 };
  cb_machine m;
  char *copies[CB_MAX_PSETS] = { 0 };
  int ncopies = 0, status = 2;
  char outdir[PATH_MAX], err[512];
  cb_target target = { 0 };
  char tmpdir[PATH_MAX] = "";

  int rc = parse_args(argc, argv, &cfg, copies, &ncopies);
  if (rc >= 0) { status = rc; goto cleanup; }

  int calibrate = 0;
  for (int i = 0; i < cfg.nwl; i++) calibrate |= cfg.wl[i]->kind != CB_KIND_IO;
  cb_machine_probe(&m, calibrate);
  if (cb_plan_build(&cfg, &m, &plan) != 0) { cb_errorf("run: out of memory for the plan"); goto cleanup; }

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
  else default_outdir(outdir, sizeof outdir);
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
                         .tmpdir = tmpdir[0] ? tmpdir : NULL, .rate = cfg.rate, .unit_s = m.unit_s };

  cb_runner_signals();
  int tty = isatty(STDERR_FILENO) && !cfg.quiet;
  size_t total = plan.n * (plan.reps + cfg.warmup), done = 0;
  status = 0;
  /* Repetitions in rounds, each round starting one case later: no backend always runs first,
   * and drift on a shared machine spreads over every case instead of landing on one. */
  for (unsigned rr = 0; rr < cfg.warmup + plan.reps && !cb_interrupted; rr++) {
    int warm = rr < cfg.warmup;
    unsigned r = warm ? rr : rr - cfg.warmup;
    for (size_t k = 0; k < plan.n && !cb_interrupted; k++) {
      cb_case *c = &plan.cases[(k + rr) % plan.n];
      if (tty) fprintf(stderr, "\r\033[K[%zu/%zu] %s%s on %s, c=%u, %s", done + 1, total, warm ? "warm-up: " : "",
                       c->wl->name, c->be->name, c->conc, c->params_str);
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
        for (int o = 0; o < CB_OP_KINDS; o++) free(scratch.ops[o]);
      } else {
        rc = cb_runner_measure(c, &env, &c->reps[c->nreps]);
      }
      if (rc == -EINTR) break;
      if (rc != 0) {
        if (tty) fputc('\n', stderr);
        cb_errorf("run: cannot start a measurement process: %s; lower -c or raise the process limit", strerror(-rc));
        status = 1;
        cb_interrupted = -1;
        break;
      }
      if (!warm) c->nreps++;
      done++;
    }
    if (warm) continue;
    cb_plan_learn(&plan, &m);
    /* Whatever has been measured is on disk after every round. */
    rc = cb_results_write(outdir, &plan, &m, argc, argv, r + 1 == plan.reps && !cb_interrupted ? "complete" : "partial");
    if (rc != 0) {
      if (tty) fputc('\n', stderr);
      cb_errorf("run: cannot write results to %s: %s", outdir, strerror(-rc));
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
  if (cb_interrupted > 0) {
    size_t kept = 0;
    for (size_t i = 0; i < plan.n; i++) kept += plan.cases[i].nreps;
    cb_errorf("run: interrupted by %s; kept the %zu repetition(s) that finished in %s", strsignal(cb_interrupted), kept, outdir);
    status = 128 + cb_interrupted;
  }

cleanup:
  if (tmpdir[0]) cb_rmtree(tmpdir);
  cb_plan_free(&plan);
  for (int i = 0; i < ncopies; i++) free(copies[i]);
  return status;
}
