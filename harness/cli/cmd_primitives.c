/* cmd_primitives.c: `concbench primitives`: what a coroutine, a thread and a process cost at the bottom, beside published figures. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "cmd.h"
#include "env.h"
#include "primitives.h"
#include "stats.h"
#include "util.h"

static const char prim_usage[] =
  "usage: concbench primitives [-o DIR] [--quick] [--quiet]\n"
  "\n"
  "Measures on this machine what the concurrency models cost at the bottom, and prints each\n"
  "figure beside a published reference and its source:\n"
  "  create_join   start a coroutine, a thread or a process that does nothing; wait for its end\n"
  "  switch        one switch between two coroutines, two threads, two processes\n"
  "  idle_memory   memory held per idle coroutine, thread or process (1000 of each at once)\n"
  "Each figure is the median of 7 trials (3 with --quick), the fastest beside it; one whose trials\n"
  "vary by more than 10% (coefficient of variation) is flagged noisy, in the table and results.json.\n"
  "\n"
  "  -o, --output DIR   where results go (default results/primitives-<timestamp>/)\n"
  "      --quick        fewer and shorter trials (a few seconds); noisier figures\n"
  "  -q, --quiet        no table, no progress\n"
  "  -h, --help         this text\n"
  "\n"
  "Writes DIR/results.csv (primitive,model,value,min,unit,trials,reference,reference_source)\n"
  "and DIR/results.json (the same with every trial and the environment).\n"
  "Exit status: 0 fine; 1 a thread or process could not be created (a limit) or the results\n"
  "could not be written; 2 bad usage.\n";

/* The command's settings: the measurement's, and how to show it. */
typedef struct prim_cfg {
  cb_prim_cfg m;
  int quick, quiet, tty;
} prim_cfg;

/* ---- output -------------------------------------------------------------------------- */

static void fmt_num(char *buf, size_t len, double v) {
  double a = fabs(v);
  if (a >= 100) snprintf(buf, len, "%.0f", v);
  else if (a >= 10) snprintf(buf, len, "%.1f", v);
  else if (a >= 1) snprintf(buf, len, "%.2f", v);
  else snprintf(buf, len, "%.3g", v);
}

static void progress(void *arg, int step, int total, const char *what) {
  const prim_cfg *cfg = arg;
  if (!cfg->tty) return;
  fprintf(stderr, "\r\033[K[%d/%d] %s", step, total, what);
  fflush(stderr);
}

static void table_print(FILE *out, const cb_prim_row *r) {
  fprintf(out, "%-15s %-16s %9s %9s %-4s %9s  %s\n", "primitive", "model", "median", "min", "unit", "reference",
          "source");
  for (int i = 0; i < CB_PRIM_ROWS; i++) {
    char v[32], mn[32], src[128];
    if (i && strcmp(r[i].primitive, r[i - 1].primitive) != 0) fputc('\n', out);
    fmt_num(v, sizeof v, r[i].value);
    fmt_num(mn, sizeof mn, r[i].min);
    snprintf(src, sizeof src, "%s", r[i].source_short ? r[i].source_short : r[i].source ? r[i].source : "-");
    char flag[48] = "";
    if (r[i].noisy) snprintf(flag, sizeof flag, "  NOISY (cv %.1f%%)", 100 * r[i].cv);
    fprintf(out, "%-15s %-16s %9s %9s %-4s %9s  %s%s\n", r[i].primitive, r[i].model, v, mn, r[i].unit,
            r[i].reference ? r[i].reference : "-", src, flag);
  }
  char v[32];
  fmt_num(v, sizeof v, r[CB_PRIM_CREATE_PROC].parent_rss_kib / 1024);
  fprintf(out, "\nswitch: one switch = a round trip / 2 (coroutines: resume + yield; threads: futex; processes: pipe)."
               "\n  pinned: %s; -unpinned: free to run on any CPU.\n",
          r[CB_PRIM_SW_THREAD].note[0] ? r[CB_PRIM_SW_THREAD].note : "-");
  fprintf(out, "create_join process: forked from a %s MiB process (RSS); fork's cost grows with the parent.\n", v);
  fprintf(out, "idle_memory: PSS growth per unit (shared pages split among sharers); idle_memory_rss: RSS growth\n"
               "  (processes: this process's growth plus every child's RSS). thread = default stack (%.0f KiB),\n"
               "  thread-256k = 256 KiB stacks. Kernel stacks and page tables are in neither: see results.json.\n",
          r[CB_PRIM_MEM_THREAD].stack_kib);
}

/* One line on stderr naming the figures whose trials disagree, so a figure like a thread's
 * create+join at 1994 us one run and 17 us the next is not taken at its word. */
static void warn_noisy(const cb_prim_row *r, int quick) {
  char list[1024] = "";
  size_t off = 0;
  int n = 0;
  for (int i = 0; i < CB_PRIM_ROWS; i++) {
    if (!r[i].noisy) continue;
    if (off < sizeof list)
      off += (size_t)snprintf(list + off, sizeof list - off, "%s%s %s (cv %.1f%%)", n ? ", " : "", r[i].primitive,
                              r[i].model, 100 * r[i].cv);
    n++;
  }
  if (!n) return;
  fprintf(stderr, "concbench: primitives: %d figure(s) varied by more than %.0f%% across their trials, so their "
                  "medians are noisy: %s; %s\n", n, 100 * CB_PRIM_NOISY_CV, list,
          quick ? "run without --quick (7 longer trials), on a quieter machine" : "run again on a quieter machine");
}

static void csv_field(char **p, size_t *left, const char *s) {
  int quote = strpbrk(s, ",\"\n") != NULL;
  int n = 0;
  if (!quote) {
    n = snprintf(*p, *left, "%s", s);
  } else {
    char buf[1024];
    size_t o = 0;
    buf[o++] = '"';
    for (const char *c = s; *c && o + 3 < sizeof buf; c++) {
      if (*c == '"') buf[o++] = '"';
      buf[o++] = *c;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    n = snprintf(*p, *left, "%s", buf);
  }
  if (n < 0 || (size_t)n >= *left) n = (int)(*left ? *left - 1 : 0);
  *p += n;
  *left -= (size_t)n;
}

static char *csv_of(const cb_prim_row *r) {
  size_t cap = 16384, left = cap;
  char *buf = malloc(cap), *p = buf;
  if (!buf) return NULL;
  int n = snprintf(p, left, "primitive,model,value,min,unit,trials,reference,reference_source\n");
  p += n;
  left -= (size_t)n;
  for (int i = 0; i < CB_PRIM_ROWS; i++) {
    n = snprintf(p, left, "%s,%s,%.6g,%.6g,%s,%u,", r[i].primitive, r[i].model, r[i].value, r[i].min, r[i].unit, r[i].n);
    if (n < 0 || (size_t)n >= left) { free(buf); return NULL; }
    p += n;
    left -= (size_t)n;
    csv_field(&p, &left, r[i].reference ? r[i].reference : "");
    if (left > 1) { *p++ = ','; *p = '\0'; left--; }
    csv_field(&p, &left, r[i].source ? r[i].source : "");
    if (left > 1) { *p++ = '\n'; *p = '\0'; left--; }
  }
  return buf;
}

static cJSON *json_of(const cb_prim_row *r, const prim_cfg *cfg, const cb_machine *m, int argc, char **argv) {
  cJSON *root = cJSON_CreateObject();
  if (!root) return NULL;
  cJSON_AddStringToObject(root, "concbench", CB_VERSION);
  cJSON *cmd = cJSON_AddArrayToObject(root, "command");
  for (int i = 0; i < argc; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
  cJSON_AddItemToObject(root, "environment", cb_env_json(m));
  cJSON_AddBoolToObject(root, "quick", cfg->quick);
  cJSON_AddStringToObject(root, "method",
    "each figure is the median of its trials (samples), min the smallest; a timed trial runs a batch of operations "
    "calibrated to take about the target time (CLOCK_MONOTONIC) after an untimed warm-up; a memory trial keeps "
    "`units` idle at once (coroutines and threads in a fresh child process per trial) and reads Rss and Pss "
    "from /proc/<pid>/smaps_rollup before and after");
  cJSON_AddNumberToObject(root, "trial_target_ms", (double)cfg->m.target_ns / 1e6);
  cJSON *arr = cJSON_AddArrayToObject(root, "primitives");
  for (int i = 0; i < CB_PRIM_ROWS; i++) {
    const cb_prim_row *x = &r[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "primitive", x->primitive);
    cJSON_AddStringToObject(o, "model", x->model);
    cJSON_AddNumberToObject(o, "value", x->value);
    cJSON_AddNumberToObject(o, "min", x->min);
    cJSON_AddStringToObject(o, "unit", x->unit);
    cJSON_AddNumberToObject(o, "trials", x->n);
    cJSON_AddNumberToObject(o, "cv", x->cv);
    cJSON_AddBoolToObject(o, "noisy", x->noisy);
    cJSON *s = cJSON_AddArrayToObject(o, "samples");
    for (unsigned k = 0; k < x->n; k++) cJSON_AddItemToArray(s, cJSON_CreateNumber(x->samples[k]));
    if (x->reference) cJSON_AddStringToObject(o, "reference", x->reference);
    else cJSON_AddNullToObject(o, "reference");
    if (x->source) cJSON_AddStringToObject(o, "reference_source", x->source);
    else cJSON_AddNullToObject(o, "reference_source");
    cJSON_AddStringToObject(o, "method", x->method);
    if (x->ops) cJSON_AddNumberToObject(o, "ops_per_trial", (double)x->ops);
    if (x->units) cJSON_AddNumberToObject(o, "units", x->units);
    if (x->pinned >= 0) cJSON_AddBoolToObject(o, "pinned", x->pinned);
    if (x->note[0]) cJSON_AddStringToObject(o, "note", x->note);
    if (x->stack_kib > 0) cJSON_AddNumberToObject(o, "stack_kib", x->stack_kib);
    if (x->parent_rss_kib > 0) cJSON_AddNumberToObject(o, "parent_rss_kib", x->parent_rss_kib);
    if (x->nk) {
      cJSON_AddNumberToObject(o, "kernel_kib_per_unit", cb_median(x->kernel_kib, x->nk));
      cJSON_AddStringToObject(o, "kernel_kib_method",
        "growth of KernelStack + PageTables in /proc/meminfo per unit: system-wide, so other activity adds noise");
    }
    cJSON_AddItemToArray(arr, o);
  }
  return root;
}

static int write_results(const char *dir, const cb_prim_row *r, const prim_cfg *cfg, const cb_machine *m,
                         int argc, char **argv) {
  char path[PATH_MAX + 32];
  int rc = -ENOMEM;
  char *csv = csv_of(r), *json = NULL;
  cJSON *root = json_of(r, cfg, m, argc, argv);
  if (!csv || !root || !(json = cJSON_Print(root))) goto cleanup;
  if ((rc = cb_mkdirs(dir)) != 0) goto cleanup;
  snprintf(path, sizeof path, "%s/results.csv", dir);
  if ((rc = cb_write_atomic(path, csv, strlen(csv))) != 0) goto cleanup;
  snprintf(path, sizeof path, "%s/results.json", dir);
  size_t jl = strlen(json);
  json[jl] = '\n';
  rc = cb_write_atomic(path, json, jl + 1);
  json[jl] = '\0';
cleanup:
  free(csv);
  free(json);
  cJSON_Delete(root);
  return rc;
}

/* Will the results directory be writable? Checked before measuring, created only at the end. */
static int check_outdir(const char *dir, char *err, size_t len) {
  char p[PATH_MAX];
  struct stat st;
  snprintf(p, sizeof p, "%s", dir);
  for (;;) {
    if (stat(p, &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        snprintf(err, len, "-o %.200s: %.200s is not a directory", dir, p);
        return -1;
      }
      /* A real try: access() says yes to root even where nothing can be created (/proc). */
      char probe[PATH_MAX + 32];
      snprintf(probe, sizeof probe, "%s/.concbench-probe-XXXXXX", p);
      if (!mkdtemp(probe)) {
        snprintf(err, len, "-o %.200s: cannot create a directory in %.200s: %s", dir, p, strerror(errno));
        return -1;
      }
      rmdir(probe);
      return 0;
    }
    char *slash = strrchr(p, '/');
    while (slash && slash > p && slash[1] == '\0') { *slash = '\0'; slash = strrchr(p, '/'); }
    if (!slash) { snprintf(p, sizeof p, "."); continue; }
    if (slash == p) { p[1] = '\0'; continue; }
    *slash = '\0';
  }
}

int cb_cmd_primitives(int argc, char **argv) {
  static const struct option opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "quick", no_argument, NULL, 'Q' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  prim_cfg cfg = { .m = { .trials = CB_PRIM_MAX_TRIALS, .target_ns = 40000000, .units = CB_PRIM_IDLE_UNITS } };
  const char *outarg = NULL;
  char outdir[PATH_MAX], err[512];
  int ch;
  optind = 1;
  opterr = 0;   /* our own one-line messages */
  while ((ch = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
    switch (ch) {
    case 'o':
      if (!*optarg) { cb_errorf("primitives: -o needs a directory"); return 2; }
      outarg = optarg;
      break;
    case 'Q': cfg.quick = 1; break;
    case 'q': cfg.quiet = 1; break;
    case 'h': fputs(prim_usage, stdout); return 0;
    case ':': cb_errorf("primitives: %s needs a value; see concbench primitives --help", argv[optind - 1]); return 2;
    default:
      if (optopt) cb_errorf("primitives: unknown option '-%c'; see concbench primitives --help", optopt);
      else cb_errorf("primitives: unknown option '%s'; see concbench primitives --help", argv[optind - 1]);
      return 2;
    }
  }
  if (optind < argc) {
    cb_errorf("primitives: unexpected argument '%s'; it takes only options (concbench primitives --help)", argv[optind]);
    return 2;
  }
  if (cfg.quick) {
    cfg.m.trials = 3;
    cfg.m.target_ns = 8000000;
  }
  cfg.tty = !cfg.quiet && isatty(STDERR_FILENO);

  if (outarg) snprintf(outdir, sizeof outdir, "%s", outarg);
  else cb_results_dirname("primitives-", outdir, sizeof outdir);
  if (check_outdir(outdir, err, sizeof err) != 0) {
    cb_errorf("primitives: %s", err);
    return 2;
  }
  if (cb_prim_check_limits(cfg.m.units, err, sizeof err) != 0) {
    cb_errorf("primitives: %s", err);
    return 1;
  }

  cb_machine m;
  cb_machine_probe(&m, 0);
  cb_prim_row *rows = calloc(CB_PRIM_ROWS, sizeof *rows);
  int status = 1;
  if (!rows) { cb_errorf("primitives: out of memory"); goto cleanup; }
  int rc = cb_prim_measure(&cfg.m, rows, progress, &cfg, err, sizeof err);
  if (cfg.tty) fputs("\r\033[K", stderr);
  if (rc != 0) {
    cb_errorf("primitives: %s", err);
    goto cleanup;
  }
  if (!cfg.quiet) {
    table_print(stdout, rows);
    fflush(stdout);
  }
  if ((rc = write_results(outdir, rows, &cfg, &m, argc, argv)) != 0) {
    cb_errorf("primitives: cannot write results to %s: %s", outdir, strerror(-rc));
    goto cleanup;
  }
  if (!cfg.quiet) printf("\nresults: %s/results.csv and results.json\n", outdir);
  warn_noisy(rows, cfg.quick);
  status = 0;
cleanup:
  free(rows);
  return status;
}
