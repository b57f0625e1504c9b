/* results.c: a case's row over its repetitions, and the results.csv / results.json writers. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "results.h"
#include "env.h"
#include "util.h"

const char cb_csv_header[] =
  "workload,backend,tasks,concurrency,params,reps,wall_median_s,wall_min_s,wall_max_s,"
  "wall_mean_s,wall_stddev_s,cpu_user_s,cpu_sys_s,peak_rss_kib,ctx_voluntary,ctx_involuntary,"
  "p50_ms,p99_ms,max_ms,errors,ideal_s,efficiency,checksum,workers,not_found";

void cb_row_of(const cb_case *c, cb_row *r) {
  double v[7][c->nreps ? c->nreps : 1];
  memset(r, 0, sizeof *r);
  r->checksum_stable = 1;
  int have = 0;
  for (unsigned i = 0; i < c->nreps; i++) {
    const cb_sample *s = &c->reps[i];
    v[0][i] = s->wall_s;
    v[1][i] = s->user_s;
    v[2][i] = s->sys_s;
    v[3][i] = (double)s->peak_rss_kib;
    v[4][i] = (double)s->ctx_voluntary;
    v[5][i] = (double)s->ctx_involuntary;
    v[6][i] = s->p50_ms;
    r->errors += s->errors;
    if (s->errors == 0 && s->status == 0) {
      if (have && s->checksum != r->checksum) r->checksum_stable = 0;
      if (!have) r->checksum = s->checksum;
      have = 1;
    }
  }
  if (!have && c->nreps) r->checksum = c->reps[0].checksum;
  cb_stats_of(v[0], c->nreps, &r->wall);
  r->user_s = cb_median(v[1], c->nreps);
  r->sys_s = cb_median(v[2], c->nreps);
  r->peak_rss_kib = cb_median(v[3], c->nreps);
  r->ctx_voluntary = cb_median(v[4], c->nreps);
  r->ctx_involuntary = cb_median(v[5], c->nreps);
  r->p50_ms = cb_median(v[6], c->nreps);
  for (unsigned i = 0; i < c->nreps; i++) v[6][i] = c->reps[i].p99_ms;
  r->p99_ms = cb_median(v[6], c->nreps);
  for (unsigned i = 0; i < c->nreps; i++) v[6][i] = c->reps[i].max_ms;
  r->max_ms = cb_median(v[6], c->nreps);
  for (unsigned i = 0; i < c->nreps; i++) v[6][i] = (double)c->reps[i].not_found;
  r->not_found = cb_median(v[6], c->nreps);
  r->efficiency = c->wl->ideal == NULL ? NAN : r->wall.median > 0 ? c->ideal_s / r->wall.median : 0;
}

/* A growable string for the CSV. */
typedef struct sbuf { char *p; size_t len, cap; int oom; } sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) { b->oom = 1; return; }
    if (b->p && b->len + (size_t)n < b->cap) { b->len += (size_t)n; return; }
    size_t ncap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
    char *np = realloc(b->p, ncap);
    if (!np) { b->oom = 1; return; }
    b->p = np;
    b->cap = ncap;
  }
}

static char *csv_of(const cb_plan *plan) {
  sbuf b = { 0 };
  sb_printf(&b, "%s\n", cb_csv_header);
  for (size_t i = 0; i < plan->n; i++) {
    const cb_case *c = &plan->cases[i];
    if (!c->nreps) continue;
    cb_row r;
    cb_row_of(c, &r);
    char ideal[32] = "", eff[32] = "";   /* empty, not 0, where there is no ideal */
    if (c->wl->ideal) {
      snprintf(ideal, sizeof ideal, "%.6f", c->ideal_s);
      snprintf(eff, sizeof eff, "%.4f", r.efficiency);
    }
    sb_printf(&b, "%s,%s,%llu,%u,%s,%u,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.0f,%.0f,%.0f,"
              "%.3f,%.3f,%.3f,%llu,%s,%s,%016llx,%u,%.0f\n",
              c->wl->name, c->be->name, (unsigned long long)c->tasks, c->conc, c->params_str,
              c->nreps, r.wall.median, r.wall.min, r.wall.max, r.wall.mean, r.wall.stddev,
              r.user_s, r.sys_s, r.peak_rss_kib, r.ctx_voluntary, r.ctx_involuntary,
              r.p50_ms, r.p99_ms, r.max_ms, (unsigned long long)r.errors, ideal, eff,
              (unsigned long long)r.checksum, c->reps[0].workers, r.not_found);
  }
  if (b.oom) { free(b.p); return NULL; }
  return b.p;
}

static char *hex64(uint64_t v, char buf[17]) {
  snprintf(buf, 17, "%016llx", (unsigned long long)v);
  return buf;
}

static cJSON *case_json(const cb_case *c) {
  cb_row r;
  char hx[17];
  cb_row_of(c, &r);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "workload", c->wl->name);
  cJSON_AddStringToObject(o, "backend", c->be->name);
  cJSON_AddNumberToObject(o, "tasks", (double)c->tasks);
  cJSON_AddNumberToObject(o, "concurrency", c->conc);
  cJSON_AddNumberToObject(o, "effective_concurrency", c->eff_conc);
  cJSON_AddStringToObject(o, "params_str", c->params_str);
  cJSON *p = cJSON_AddObjectToObject(o, "params");
  for (unsigned k = 0; k < c->wl->nparams; k++) cJSON_AddNumberToObject(p, c->wl->params[k].name, c->params.v[k]);
  cJSON_AddNumberToObject(o, "reps", c->nreps);
  cJSON *w = cJSON_AddObjectToObject(o, "wall_s");
  cJSON_AddNumberToObject(w, "median", r.wall.median);
  cJSON_AddNumberToObject(w, "mean", r.wall.mean);
  cJSON_AddNumberToObject(w, "stddev", r.wall.stddev);
  cJSON_AddNumberToObject(w, "min", r.wall.min);
  cJSON_AddNumberToObject(w, "max", r.wall.max);
  cJSON_AddNumberToObject(o, "cpu_user_s", r.user_s);
  cJSON_AddNumberToObject(o, "cpu_sys_s", r.sys_s);
  cJSON_AddNumberToObject(o, "peak_rss_kib", r.peak_rss_kib);
  cJSON_AddNumberToObject(o, "ctx_voluntary", r.ctx_voluntary);
  cJSON_AddNumberToObject(o, "ctx_involuntary", r.ctx_involuntary);
  cJSON_AddNumberToObject(o, "p50_ms", r.p50_ms);
  cJSON_AddNumberToObject(o, "p99_ms", r.p99_ms);
  cJSON_AddNumberToObject(o, "max_ms", r.max_ms);
  cJSON_AddNumberToObject(o, "errors", (double)r.errors);
  cJSON *kinds = cJSON_AddObjectToObject(o, "errors_by_kind");
  for (unsigned i = 0; i < c->nreps; i++)
    for (unsigned k = 0; k < c->reps[i].nkinds; k++) {
      /* code 0: the task never ran to its end (its worker died) or ran twice */
      const char *name = c->reps[i].kinds[k].code ? cb_err_name(c->reps[i].kinds[k].code) : "NOTRUN";
      cJSON *n = cJSON_GetObjectItemCaseSensitive(kinds, name);
      if (n) cJSON_SetNumberValue(n, n->valuedouble + c->reps[i].kinds[k].count);
      else cJSON_AddNumberToObject(kinds, name, c->reps[i].kinds[k].count);
    }
  cJSON_AddNumberToObject(o, "not_found", r.not_found);
  if (c->wl->ideal) {
    cJSON_AddNumberToObject(o, "ideal_s", c->ideal_s);
    cJSON_AddNumberToObject(o, "efficiency", r.efficiency);
  } else {
    cJSON_AddNullToObject(o, "ideal_s");
    cJSON_AddNullToObject(o, "efficiency");
  }
  if ((c->be->flags & CB_BACKEND_SERIAL) && c->wl->serial_note)
    cJSON_AddStringToObject(o, "serial_note", c->wl->serial_note);
  cJSON_AddStringToObject(o, "checksum", hex64(r.checksum, hx));
  cJSON_AddBoolToObject(o, "checksum_stable", r.checksum_stable);
  cJSON *reps = cJSON_AddArrayToObject(o, "repetitions");
  for (unsigned i = 0; i < c->nreps; i++) {
    const cb_sample *s = &c->reps[i];
    cJSON *x = cJSON_CreateObject();
    cJSON_AddNumberToObject(x, "wall_s", s->wall_s);
    cJSON_AddNumberToObject(x, "cpu_user_s", s->user_s);
    cJSON_AddNumberToObject(x, "cpu_sys_s", s->sys_s);
    cJSON_AddNumberToObject(x, "peak_rss_kib", (double)s->peak_rss_kib);
    cJSON_AddNumberToObject(x, "ctx_voluntary", (double)s->ctx_voluntary);
    cJSON_AddNumberToObject(x, "ctx_involuntary", (double)s->ctx_involuntary);
    cJSON_AddNumberToObject(x, "workers", s->workers);
    cJSON_AddNumberToObject(x, "done", (double)s->done);
    cJSON_AddNumberToObject(x, "errors", (double)s->errors);
    cJSON_AddStringToObject(x, "checksum", hex64(s->checksum, hx));
    cJSON_AddNumberToObject(x, "p50_ms", s->p50_ms);
    cJSON_AddNumberToObject(x, "p99_ms", s->p99_ms);
    cJSON_AddNumberToObject(x, "max_ms", s->max_ms);
    if (s->unit_s > 0) cJSON_AddNumberToObject(x, "compute_unit_ns", s->unit_s * 1e9);
    cJSON_AddNumberToObject(x, "not_found", (double)s->not_found);
    if (s->nmetrics) {
      cJSON *mx = cJSON_AddObjectToObject(x, "metrics");
      for (unsigned k = 0; k < s->nmetrics; k++) cJSON_AddNumberToObject(mx, s->metrics[k].name, s->metrics[k].value);
    }
    cJSON_AddNumberToObject(x, "status", s->status);
    if (s->err[0]) cJSON_AddStringToObject(x, "note", s->err);
    cJSON_AddItemToArray(reps, x);
  }
  return o;
}

int cb_results_write(const char *dir, const cb_plan *plan, const cb_machine *m,
                     int argc, char **argv, const char *status) {
  char path[4096];
  int rc = -ENOMEM;
  char *csv = csv_of(plan), *json = NULL;
  cJSON *root = cJSON_CreateObject();
  if (!csv || !root) goto cleanup;

  cJSON_AddStringToObject(root, "concbench", CB_VERSION);
  cJSON_AddStringToObject(root, "status", status);
  cJSON *cmd = cJSON_AddArrayToObject(root, "command");
  for (int i = 0; i < argc; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
  cJSON_AddItemToObject(root, "environment", cb_env_json(m));
  cJSON_AddStringToObject(root, "peak_rss_method",
    "ru_maxrss of the measurement process; for fork, plus each worker's peak RSS beyond what it inherited at fork time");
  cJSON_AddStringToObject(root, "ideal_method",
    "lower bound on wall time for the case at the backend's effective concurrency (1 for sync): sleep ceil(N/C)*delay, cpu N*w/min(C,cores), w from the fastest compute-unit calibration of the run (environment.compute_unit_ns)");
  cJSON *cases = cJSON_AddArrayToObject(root, "cases");
  for (size_t i = 0; i < plan->n; i++)
    if (plan->cases[i].nreps) cJSON_AddItemToArray(cases, case_json(&plan->cases[i]));
  json = cJSON_Print(root);
  if (!json) goto cleanup;

  snprintf(path, sizeof path, "%s/results.csv", dir);
  if ((rc = cb_write_atomic(path, csv, strlen(csv))) != 0) goto cleanup;
  snprintf(path, sizeof path, "%s/results.json", dir);
  size_t jl = strlen(json);
  json[jl] = '\n';      /* replaces the terminator: the file ends with a newline */
  rc = cb_write_atomic(path, json, jl + 1);
  json[jl] = '\0';

cleanup:
  free(csv);
  free(json);
  cJSON_Delete(root);
  return rc;
}
