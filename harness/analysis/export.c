/* export.c: a run's results as Google Benchmark JSON, github-action-benchmark JSON, results.csv or
 * a markdown table. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include "export.h"
#include "columns.h"
#include "resread.h"
#include "stats.h"
#include "util.h"
#include "escape.h"
#include "sbuf.h"

/* Google Benchmark's time unit for every entry: compare.py prints times as integers, so
 * microseconds keep three more digits than milliseconds would. */
#define GB_UNIT "us"
#define GB_PER_S 1e6

/* ---- Google Benchmark JSON ----------------------------------------------------------------- */

static double jnum(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *jstr(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

/* GB's statistics (src/statistics.cc): the sample stddev, 0 for one value; cv = stddev / mean. */
enum { AGG_MEAN, AGG_MEDIAN, AGG_STDDEV, AGG_CV, NAGG };
static const char *const agg_names[NAGG] = { "mean", "median", "stddev", "cv" };

/* The statistic over the finite values of v (NaN when none); tmp has room for n. */
static double agg_of(int kind, const double *v, size_t n, double *tmp) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(v[i])) tmp[m++] = v[i];
  if (!m) return NAN;
  cb_stats s;
  cb_stats_of(tmp, m, &s);
  double sd = m > 1 ? s.stddev : 0;
  switch (kind) {
  case AGG_MEAN: return s.mean;
  case AGG_MEDIAN: return s.median;
  case AGG_STDDEV: return sd;
  default: return s.mean != 0 ? sd / fabs(s.mean) : 0;
  }
}

/* The counters: numeric fields beside real_time, per repetition, aggregated like the times. */
enum { K_ITEMS, K_TASKS, K_RSS, K_P50, K_P99, K_ERRORS, K_EFF, NK };
static const char *const k_names[NK] = { "items_per_second", "tasks", "peak_rss_kib", "p50_ms", "p99_ms",
                                         "errors", "efficiency" };

/* Adds a number, never NaN: cJSON would print null, which the consumers cannot read. */
static void add_num(cJSON *o, const char *key, double v) {
  if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
}

/* "<workload>/<backend>/c:<conc>/<params>", made unique: /n:<tasks> where only the task count
 * tells two cases apart (merged files), then /i:<index> where nothing does. */
#define GNAME_MAX 400
typedef struct gname { char s[GNAME_MAX]; size_t i; } gname;

static int gname_cmp(const void *a, const void *b) {
  const gname *x = *(const gname *const *)a, *y = *(const gname *const *)b;
  int c = strcmp(x->s, y->s);
  return c ? c : (x->i > y->i) - (x->i < y->i);
}

static int uniquify(gname *names, size_t n, const cb_results *r, int pass) {
  gname **ord = malloc((n ? n : 1) * sizeof *ord);
  unsigned char *dup = calloc(n ? n : 1, 1);
  if (!ord || !dup) { free(ord); free(dup); return -ENOMEM; }
  for (size_t i = 0; i < n; i++) ord[i] = &names[i];
  qsort(ord, n, sizeof *ord, gname_cmp);
  for (size_t i = 1; i < n; i++)
    if (strcmp(ord[i]->s, ord[i - 1]->s) == 0) dup[ord[i]->i] = dup[ord[i - 1]->i] = 1;
  for (size_t i = 0; i < n; i++) {
    if (!dup[i]) continue;
    size_t l = strlen(names[i].s);
    if (pass == 0) snprintf(names[i].s + l, sizeof names[i].s - l, "/n:%llu", (unsigned long long)r->cases[i].tasks);
    else snprintf(names[i].s + l, sizeof names[i].s - l, "/i:%zu", i);
  }
  free(ord);
  free(dup);
  return 0;
}

static cJSON *gb_context(const cb_results *r) {
  const cJSON *env = r->env, *it;
  cJSON *ctx = cJSON_CreateObject();
  cJSON_AddStringToObject(ctx, "date", jstr(env, "date"));
  /* The run's machine, not this one: results.json does not name it. */
  cJSON_AddStringToObject(ctx, "host_name", jstr(env, "host_name"));
  cJSON_AddStringToObject(ctx, "executable", "concbench");
  cJSON_AddNumberToObject(ctx, "num_cpus", r->cores);
  double mhz = jnum(env, "mhz_per_cpu");
  cJSON_AddNumberToObject(ctx, "mhz_per_cpu", isfinite(mhz) ? round(mhz) : 0);
  const char *gov = jstr(env, "cpu_governor");
  cJSON_AddBoolToObject(ctx, "cpu_scaling_enabled", *gov && strcmp(gov, "performance") != 0);
  cJSON_AddArrayToObject(ctx, "caches");   /* Bencher reads it as a list of empty objects */
  cJSON *la = cJSON_AddArrayToObject(ctx, "load_avg");
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(env, "loadavg"))
    if (cJSON_IsNumber(it) && isfinite(it->valuedouble)) cJSON_AddItemToArray(la, cJSON_CreateNumber(it->valuedouble));
  cJSON_AddStringToObject(ctx, "library_build_type", strcasecmp(r->build_type, "Debug") == 0 ? "debug" : "release");
  cJSON_AddNumberToObject(ctx, "json_schema_version", 1);
  /* ours, beside GB's */
  cJSON_AddStringToObject(ctx, "concbench", jstr(r->root, "concbench"));
  cJSON_AddStringToObject(ctx, "status", r->status);
  static const char *const keep[] = { "cpu_model", "kernel", "compiler", "build_type", "git_revision" };
  for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) cJSON_AddStringToObject(ctx, keep[i], jstr(env, keep[i]));
  cJSON_AddBoolToObject(ctx, "git_dirty", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(env, "git_dirty")));
  return ctx;
}

/* One entry's common head, in json_reporter.cc's order. */
static cJSON *gb_entry(const char *name, const char *run_name, size_t fam, size_t inst, int agg, unsigned reps) {
  cJSON *e = cJSON_CreateObject();
  cJSON_AddStringToObject(e, "name", name);
  cJSON_AddNumberToObject(e, "family_index", (double)fam);
  cJSON_AddNumberToObject(e, "per_family_instance_index", (double)inst);
  cJSON_AddStringToObject(e, "run_name", run_name);
  cJSON_AddStringToObject(e, "run_type", agg ? "aggregate" : "iteration");
  cJSON_AddNumberToObject(e, "repetitions", reps);
  return e;
}

static void gb_times(cJSON *e, double real, double cpu) {
  /* one iteration = one repetition running every task: GB's real_time is per iteration */
  cJSON_AddNumberToObject(e, "iterations", 1);
  cJSON_AddNumberToObject(e, "real_time", isfinite(real) ? real : 0);
  cJSON_AddNumberToObject(e, "cpu_time", isfinite(cpu) ? cpu : 0);
  cJSON_AddStringToObject(e, "time_unit", GB_UNIT);
}

/* A case's entries: its repetitions, then (with two or more, as GB) the aggregates. */
static int gb_case(cJSON *list, const cb_rcase *c, const char *name, size_t fam, size_t inst, int aggregates_only) {
  const cJSON *reps = cJSON_GetObjectItemCaseSensitive(c->json, "repetitions"), *x;
  size_t n = c->reps, i = 0;
  double *wall = calloc(n, sizeof *wall), *cpu = calloc(n, sizeof *cpu), *tmp = calloc(n, sizeof *tmp);
  double *k = calloc(n * NK, sizeof *k), *col = calloc(n, sizeof *col);
  int rc = -ENOMEM;
  if (!wall || !cpu || !tmp || !k || !col) goto cleanup;
  cJSON_ArrayForEach(x, reps) {
    if (i == n) break;
    double u = jnum(x, "cpu_user_s"), s = jnum(x, "cpu_sys_s");
    wall[i] = c->wall[i];
    cpu[i] = (isfinite(u) ? u : 0) + (isfinite(s) ? s : 0);
    double *ki = &k[i * NK];
    ki[K_ITEMS] = wall[i] > 0 ? (double)c->tasks / wall[i] : NAN;
    ki[K_TASKS] = (double)c->tasks;
    ki[K_RSS] = jnum(x, "peak_rss_kib");
    ki[K_P50] = jnum(x, "p50_ms");
    ki[K_P99] = jnum(x, "p99_ms");
    ki[K_ERRORS] = jnum(x, "errors");
    ki[K_EFF] = isfinite(c->ideal_s) && wall[i] > 0 ? c->ideal_s / wall[i] : NAN;
    i++;
  }
  int with_aggs = n >= 2;
  for (i = 0; i < n && !(aggregates_only && with_aggs); i++) {
    cJSON *e = gb_entry(name, name, fam, inst, 0, c->reps);
    cJSON_AddNumberToObject(e, "repetition_index", (double)i);
    cJSON_AddNumberToObject(e, "threads", 1);
    gb_times(e, wall[i] * GB_PER_S, cpu[i] * GB_PER_S);
    for (int j = 0; j < NK; j++) add_num(e, k_names[j], k[i * NK + j]);
    if (c->flags[0]) cJSON_AddStringToObject(e, "label", c->flags);
    cJSON_AddItemToArray(list, e);
  }
  for (int a = 0; with_aggs && a < NAGG; a++) {
    char aname[GNAME_MAX + 16];
    snprintf(aname, sizeof aname, "%s_%s", name, agg_names[a]);
    cJSON *e = gb_entry(aname, name, fam, inst, 1, c->reps);
    cJSON_AddNumberToObject(e, "threads", 1);
    cJSON_AddStringToObject(e, "aggregate_name", agg_names[a]);
    cJSON_AddStringToObject(e, "aggregate_unit", a == AGG_CV ? "percentage" : "time");
    /* The wall figures are the case's own (the headline median); the rest over repetitions. */
    static const size_t off[NAGG] = { offsetof(cb_rcase, wall_mean), offsetof(cb_rcase, wall_median),
                                      offsetof(cb_rcase, wall_stddev), offsetof(cb_rcase, wall_cv) };
    double w = *(const double *)((const char *)c + off[a]);
    if (!isfinite(w)) w = agg_of(a, wall, n, tmp);
    double scale = a == AGG_CV ? 1 : GB_PER_S;   /* GB writes a cv as a fraction */
    gb_times(e, w * scale, agg_of(a, cpu, n, tmp) * scale);
    for (int j = 0; j < NK; j++) {
      for (i = 0; i < n; i++) col[i] = k[i * NK + j];
      add_num(e, k_names[j], agg_of(a, col, n, tmp));
    }
    if (c->flags[0]) cJSON_AddStringToObject(e, "label", c->flags);
    cJSON_AddItemToArray(list, e);
  }
  rc = 0;
cleanup:
  free(wall);
  free(cpu);
  free(tmp);
  free(k);
  free(col);
  return rc;
}

static char *gb_json(const cb_results *r, int aggregates_only, char *err, size_t len) {
  char *out = NULL;
  size_t n1 = r->n ? r->n : 1, nfam = 0;
  gname *names = calloc(n1, sizeof *names);
  size_t *fam = calloc(n1, sizeof *fam), *inst = calloc(n1, sizeof *inst);
  size_t *fam_first = calloc(n1, sizeof *fam_first), *fam_count = calloc(n1, sizeof *fam_count);
  cJSON *root = cJSON_CreateObject();
  if (!names || !fam || !inst || !fam_first || !fam_count || !root) goto oom;
  for (size_t i = 0; i < r->n; i++) {
    const cb_rcase *c = &r->cases[i];
    names[i].i = i;
    snprintf(names[i].s, sizeof names[i].s, "%s/%s/c:%u%s%s", c->workload, c->backend, c->conc,
             c->params_str[0] ? "/" : "", c->params_str);
    /* A family is a workload on a backend (GB's benchmark function); its instances the rest. */
    size_t f;
    for (f = 0; f < nfam; f++) {
      const cb_rcase *x = &r->cases[fam_first[f]];
      if (strcmp(x->workload, c->workload) == 0 && strcmp(x->backend, c->backend) == 0) break;
    }
    if (f == nfam) fam_first[nfam++] = i;
    fam[i] = f;
    inst[i] = fam_count[f]++;
  }
  if (uniquify(names, r->n, r, 0) || uniquify(names, r->n, r, 1)) goto oom;
  cJSON_AddItemToObject(root, "context", gb_context(r));
  cJSON *list = cJSON_AddArrayToObject(root, "benchmarks");
  for (size_t i = 0; i < r->n; i++)
    if (gb_case(list, &r->cases[i], names[i].s, fam[i], inst[i], aggregates_only)) goto oom;
  out = cJSON_Print(root);
  if (!out) goto oom;
  goto cleanup;
oom:
  snprintf(err, len, "out of memory");
cleanup:
  cJSON_Delete(root);
  free(names);
  free(fam);
  free(inst);
  free(fam_first);
  free(fam_count);
  return out;
}

/* ---- markdown ------------------------------------------------------------------------------ */

/* The wall time's unit, chosen from the median so the CI reads in the same one. */
static void md_unit(double s, double *scale, const char **unit, int *dec) {
  if (s >= 1) { *scale = 1; *unit = "s"; *dec = 3; }
  else if (s >= 1e-3) { *scale = 1e3; *unit = "ms"; *dec = 2; }
  else { *scale = 1e6; *unit = "µs"; *dec = 1; }
}

/* A cell from the data: escaped, so a name cannot end the row or the cell, or inject markup. */
static void md_cell(cb_sbuf *b, const char *s) {
  cb_sb_put(b, " ", 1);
  cb_sb_md(b, s);
  cb_sb_put(b, " |", 2);
}

static char *md_table(const cb_results *r, char *err, size_t len) {
  cb_sbuf b = { 0 };
  char cell[128];
  cb_sb_printf(&b, "| workload | backend | concurrency | params | median wall | 95%% CI | CV | efficiency | p99 | errors | flags |\n");
  cb_sb_printf(&b, "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|\n");
  for (size_t i = 0; i < r->n; i++) {
    const cb_rcase *c = &r->cases[i];
    double scale;
    const char *unit;
    int dec;
    md_unit(c->wall_median, &scale, &unit, &dec);
    cb_sb_printf(&b, "|");
    md_cell(&b, c->workload);
    md_cell(&b, c->backend);
    snprintf(cell, sizeof cell, "%u", c->conc);
    md_cell(&b, cell);
    md_cell(&b, c->params_str);
    snprintf(cell, sizeof cell, "%.*f %s", dec, c->wall_median * scale, unit);
    md_cell(&b, cell);
    if (isfinite(c->ci_lo) && isfinite(c->ci_hi))
      snprintf(cell, sizeof cell, "%.*f–%.*f %s", dec, c->ci_lo * scale, dec, c->ci_hi * scale, unit);
    else snprintf(cell, sizeof cell, "–");
    md_cell(&b, cell);
    if (isfinite(c->wall_cv)) snprintf(cell, sizeof cell, "%.1f%%", c->wall_cv * 100);
    else snprintf(cell, sizeof cell, "–");
    md_cell(&b, cell);
    if (isfinite(c->efficiency)) snprintf(cell, sizeof cell, "%.2f", c->efficiency);
    else snprintf(cell, sizeof cell, "–");   /* the workload has no ideal time */
    md_cell(&b, cell);
    if (isfinite(c->p99_ms)) snprintf(cell, sizeof cell, "%.2f ms", c->p99_ms);
    else snprintf(cell, sizeof cell, "–");
    md_cell(&b, cell);
    if (isfinite(c->errors)) snprintf(cell, sizeof cell, "%.0f", c->errors);
    else snprintf(cell, sizeof cell, "–");
    md_cell(&b, cell);
    md_cell(&b, c->flags);
    cb_sb_printf(&b, "\n");
  }
  if (b.oom || !b.p) {
    snprintf(err, len, "out of memory");
    free(b.p);
    return NULL;
  }
  return b.p;
}

/* ---- github-action-benchmark --------------------------------------------------------------- */

/* Its customSmallerIsBetter format: one series per case, the median wall time, its interval as
 * the range. A dashboard charts each entry as a series, so no repetition and no cv is one. */
static char *action_json(const cb_results *r, char *err, size_t len) {
  gname *names = calloc(r->n ? r->n : 1, sizeof *names);
  cJSON *list = cJSON_CreateArray();
  char *out = NULL;
  if (!names || !list) goto done;
  for (size_t i = 0; i < r->n; i++) {
    const cb_rcase *c = &r->cases[i];
    names[i].i = i;
    snprintf(names[i].s, sizeof names[i].s, "%s/%s/c:%u%s%s", c->workload, c->backend, c->conc,
             c->params_str[0] ? "/" : "", c->params_str);
  }
  if (uniquify(names, r->n, r, 0) || uniquify(names, r->n, r, 1)) goto done;
  for (size_t i = 0; i < r->n; i++) {
    const cb_rcase *c = &r->cases[i];
    if (!c->reps || !isfinite(c->wall_median)) continue;   /* skipped: nothing measured */
    cJSON *e = cJSON_CreateObject();
    char range[64] = "", extra[256];
    cJSON_AddStringToObject(e, "name", names[i].s);
    cJSON_AddStringToObject(e, "unit", "s");
    cJSON_AddNumberToObject(e, "value", c->wall_median);
    if (isfinite(c->ci_lo) && isfinite(c->ci_hi)) {
      snprintf(range, sizeof range, "%.6g..%.6g", c->ci_lo, c->ci_hi);
      cJSON_AddStringToObject(e, "range", range);
    }
    snprintf(extra, sizeof extra, "median of %u repetitions%s%s; %llu tasks; cv %.1f%%%s%s", c->reps,
             range[0] ? ", 95% CI " : "", range, (unsigned long long)c->tasks,
             isfinite(c->wall_cv) ? 100 * c->wall_cv : 0, c->flags[0] ? "; flags " : "", c->flags);
    cJSON_AddStringToObject(e, "extra", extra);
    cJSON_AddItemToArray(list, e);
  }
  out = cJSON_Print(list);
done:
  if (!out) snprintf(err, len, "out of memory");
  cJSON_Delete(list);
  free(names);
  return out;
}

/* ---- the command --------------------------------------------------------------------------- */

int cb_export(const char *path, int fmt, int aggregates_only, const char *out_path) {
  char err[1024];
  int status = 2;
  char *text = NULL;
  cb_results r;
  memset(&r, 0, sizeof r);
  if (cb_results_read(path, &r, err, sizeof err) < 0) {
    cb_errorf("export: %s", err);
    return 2;
  }
  text = fmt == CB_EXPORT_GB ? gb_json(&r, aggregates_only, err, sizeof err)
       : fmt == CB_EXPORT_ACTION ? action_json(&r, err, sizeof err)
       : fmt == CB_EXPORT_CSV ? cb_results_csv(&r, err, sizeof err)
       : md_table(&r, err, sizeof err);
  if (!text) {
    cb_errorf("export: %s", err);
    goto cleanup;
  }
  size_t len = strlen(text);
  if (fmt == CB_EXPORT_GB || fmt == CB_EXPORT_ACTION) text[len++] = '\n';   /* replaces the terminator: end the file with a newline */
  if (out_path) {
    int rc = cb_write_atomic(out_path, text, len);
    if (rc < 0) {
      cb_errorf("export: cannot write %s: %s", out_path, strerror(-rc));
      goto cleanup;
    }
  } else if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
    cb_errorf("export: cannot write to standard output: %s", strerror(errno));
    goto cleanup;
  }
  status = 0;
cleanup:
  free(text);
  cb_results_free(&r);
  return status;
}
