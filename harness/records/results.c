/* results.c: a case's row over its repetitions, and the results.csv / results.json writers. */
#include <errno.h>
#include <stddef.h>
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
#include "sbuf.h"

const char cb_csv_header[] =
  "workload,backend,tasks,concurrency,params,reps,wall_median_s,wall_min_s,wall_max_s,"
  "wall_mean_s,wall_stddev_s,wall_cv,wall_ci_lo_s,wall_ci_hi_s,outliers,cpu_user_s,cpu_sys_s,"
  "peak_rss_kib,ctx_voluntary,ctx_involuntary,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,errors,"
  "ideal_s,efficiency,checksum,workers,not_found,rate_target,rate_achieved,peak_threads,"
  "peak_procs,peak_fds,server_cpu_s,flags";

static const char *const flag_names[] = { "cv", "errors", "load", "server", "cpu>cores", "timeout" };

void cb_flags_format(unsigned flags, char *buf, size_t len) {
  size_t off = 0;
  buf[0] = '\0';
  for (unsigned i = 0; i < sizeof flag_names / sizeof flag_names[0] && off < len; i++)
    if (flags & (1u << i)) off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ";" : "", flag_names[i]);
}

/* The median over the repetitions of the sample field at off. */
static double median_of(const cb_case *c, size_t off, int is_u64, double *tmp) {
  for (unsigned i = 0; i < c->nreps; i++) {
    const char *p = (const char *)&c->reps[i] + off;
    if (is_u64) { uint64_t u; memcpy(&u, p, sizeof u); tmp[i] = (double)u; }
    else { double d; memcpy(&d, p, sizeof d); tmp[i] = d; }
  }
  return cb_median(tmp, c->nreps);
}

static double median_u32(const cb_case *c, size_t off, double *tmp) {
  for (unsigned i = 0; i < c->nreps; i++) {
    uint32_t u;
    memcpy(&u, (const char *)&c->reps[i] + off, sizeof u);
    tmp[i] = u;
  }
  return cb_median(tmp, c->nreps);
}

void cb_row_of(const cb_case *c, uint64_t seed, cb_row *r) {
  unsigned n = c->nreps;
  double *tmp = calloc(n ? n : 1, sizeof *tmp), *wall = calloc(n ? n : 1, sizeof *wall);
  unsigned char *out = calloc(n ? n : 1, 1);
  memset(r, 0, sizeof *r);
  r->checksum_stable = 1;
  if (!tmp || !wall || !out) goto cleanup;
  int have = 0;
  double load = 0;
  for (unsigned i = 0; i < n; i++) {
    const cb_sample *s = &c->reps[i];
    wall[i] = s->wall_s;
    r->errors += s->errors;
    if (s->load1 > load) load = s->load1;
    if (s->errors == 0 && s->status == 0) {
      if (have && s->checksum != r->checksum) r->checksum_stable = 0;
      if (!have) r->checksum = s->checksum;
      have = 1;
    }
  }
  if (!have && n) r->checksum = c->reps[0].checksum;
  cb_stats_of(wall, n, &r->wall);
  r->cv = cb_cv(&r->wall);
  cb_bootstrap_median_ci(wall, n, 0.95, 10000, seed, &r->ci_lo, &r->ci_hi);
  r->outliers = n >= 3 ? (unsigned)cb_outliers_mad(wall, n, 3.5, out) : 0;
  r->user_s = median_of(c, offsetof(cb_sample, user_s), 0, tmp);
  r->sys_s = median_of(c, offsetof(cb_sample, sys_s), 0, tmp);
  r->peak_rss_kib = median_of(c, offsetof(cb_sample, peak_rss_kib), 1, tmp);
  r->ctx_voluntary = median_of(c, offsetof(cb_sample, ctx_voluntary), 1, tmp);
  r->ctx_involuntary = median_of(c, offsetof(cb_sample, ctx_involuntary), 1, tmp);
  r->not_found = median_of(c, offsetof(cb_sample, not_found), 1, tmp);
  r->rate_achieved = median_of(c, offsetof(cb_sample, rate_achieved), 0, tmp);
  r->server_cpu_s = median_of(c, offsetof(cb_sample, server_cpu_s), 0, tmp);
  r->peak_threads = median_u32(c, offsetof(cb_sample, peak_threads), tmp);
  r->peak_procs = median_u32(c, offsetof(cb_sample, peak_procs), tmp);
  r->peak_fds = median_u32(c, offsetof(cb_sample, peak_fds), tmp);
  if (c->lat && c->lat->count) {
    /* Every repetition's tasks in one histogram: percentiles over all of them. */
    r->p50_ms = (double)cb_hist_percentile(c->lat, 50) / 1e6;
    r->p90_ms = (double)cb_hist_percentile(c->lat, 90) / 1e6;
    r->p99_ms = (double)cb_hist_percentile(c->lat, 99) / 1e6;
    r->p999_ms = (double)cb_hist_percentile(c->lat, 99.9) / 1e6;
    r->max_ms = (double)cb_hist_percentile(c->lat, 100) / 1e6;
  } else {
    r->p50_ms = median_of(c, offsetof(cb_sample, p50_ms), 0, tmp);
    r->p90_ms = median_of(c, offsetof(cb_sample, p90_ms), 0, tmp);
    r->p99_ms = median_of(c, offsetof(cb_sample, p99_ms), 0, tmp);
    r->p999_ms = median_of(c, offsetof(cb_sample, p999_ms), 0, tmp);
    r->max_ms = median_of(c, offsetof(cb_sample, max_ms), 0, tmp);
  }
  r->efficiency = c->wl->ideal == NULL ? NAN : r->wall.median > 0 ? c->ideal_s / r->wall.median : 0;
  if (n >= 2 && r->cv > 0.10) r->flags |= CB_FLAG_CV;
  if (r->errors) r->flags |= CB_FLAG_ERRORS;
  for (unsigned i = 0; i < c->nreps; i++)
    if (c->reps[i].timed_out) r->flags |= CB_FLAG_TIMEOUT;
  if (c->cores && load > c->cores / 2.0) r->flags |= CB_FLAG_LOAD;
  if (r->wall.median > 0 && r->server_cpu_s / r->wall.median > 0.9) r->flags |= CB_FLAG_SERVER;
  /* CPU work beyond the cores: a cpu workload, or a mixed one that computes at all. */
  int iof = cb_params_index(c->wl, "io_fraction");
  int computes = c->wl->kind == CB_KIND_CPU || (c->wl->kind == CB_KIND_MIXED && (iof < 0 || c->params.v[iof] < 1));
  if (computes && c->cores && c->eff_conc > c->cores) r->flags |= CB_FLAG_OVERSUB;
cleanup:
  free(tmp);
  free(wall);
  free(out);
}

/* A growable string for the CSV. */

static char *csv_of(const cb_plan *plan) {
  cb_sbuf b = { 0 };
  cb_sb_printf(&b, "%s\n", cb_csv_header);
  for (size_t i = 0; i < plan->n; i++) {
    const cb_case *c = &plan->cases[i];
    if (!c->nreps) continue;
    cb_row r;
    cb_row_of(c, plan->seed, &r);
    char ideal[32] = "", eff[32] = "", rate[32] = "", achieved[32] = "", flags[128];
    if (c->wl->ideal) {     /* empty, not 0, where there is no ideal */
      snprintf(ideal, sizeof ideal, "%.6f", c->ideal_s);
      snprintf(eff, sizeof eff, "%.4f", r.efficiency);
    }
    if (c->rate > 0) {
      snprintf(rate, sizeof rate, "%.3f", c->rate);
      snprintf(achieved, sizeof achieved, "%.3f", r.rate_achieved);
    }
    cb_flags_format(r.flags, flags, sizeof flags);
    cb_sb_printf(&b, "%s,%s,%llu,%u,%s,%u,%.6f,%.6f,%.6f,%.6f,%.6f,%.4f,%.6f,%.6f,%u,%.6f,%.6f,%.0f,%.0f,%.0f,"
              "%.3f,%.3f,%.3f,%.3f,%.3f,%llu,%s,%s,%016llx,%u,%.0f,%s,%s,%.0f,%.0f,%.0f,%.3f,%s\n",
              c->wl->name, c->be->name, (unsigned long long)c->tasks, c->conc, c->params_str,
              c->nreps, r.wall.median, r.wall.min, r.wall.max, r.wall.mean, r.wall.stddev, r.cv,
              r.ci_lo, r.ci_hi, r.outliers, r.user_s, r.sys_s, r.peak_rss_kib, r.ctx_voluntary,
              r.ctx_involuntary, r.p50_ms, r.p90_ms, r.p99_ms, r.p999_ms, r.max_ms,
              (unsigned long long)r.errors, ideal, eff, (unsigned long long)r.checksum,
              c->reps[0].workers, r.not_found, rate, achieved, r.peak_threads, r.peak_procs,
              r.peak_fds, r.server_cpu_s, flags);
  }
  if (b.oom) { free(b.p); return NULL; }
  return b.p;
}

static char *hex64(uint64_t v, char buf[17]) {
  snprintf(buf, 17, "%016llx", (unsigned long long)v);
  return buf;
}

/* A histogram for plots and for later merging: percentiles, the spectrum, and its buckets. */
static cJSON *hist_json(const cb_hist *h) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "count", (double)h->count);
  cJSON_AddNumberToObject(o, "mean_ms", cb_hist_mean(h) / 1e6);
  static const double ps[] = { 50, 90, 99, 99.9, 99.99, 100 };
  static const char *const names[] = { "p50_ms", "p90_ms", "p99_ms", "p999_ms", "p9999_ms", "max_ms" };
  for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
    cJSON_AddNumberToObject(o, names[i], (double)cb_hist_percentile(h, ps[i]) / 1e6);
  cb_hist_point pts[CB_HIST_SPECTRUM_MAX];
  size_t n = cb_hist_spectrum(h, pts, CB_HIST_SPECTRUM_MAX);
  if (n > CB_HIST_SPECTRUM_MAX) n = CB_HIST_SPECTRUM_MAX;
  cJSON *sp = cJSON_AddArrayToObject(o, "spectrum");
  for (size_t i = 0; i < n; i++) {
    cJSON *pt = cJSON_CreateArray();
    cJSON_AddItemToArray(pt, cJSON_CreateNumber(pts[i].percentile));
    cJSON_AddItemToArray(pt, cJSON_CreateNumber(pts[i].value_ms));
    cJSON_AddItemToArray(sp, pt);
  }
  char *enc = malloc(CB_HIST_ENCODE_MAX);
  if (enc) {
    cb_hist_encode(h, enc, CB_HIST_ENCODE_MAX);
    cJSON_AddStringToObject(o, "buckets", enc);
    free(enc);
  }
  return o;
}

/* What the layers above need to know of each backend and workload of the run, so that the report
 * and plots of this file never depend on the tables of the binary that reads it. */
static cJSON *backend_json(const cb_backend *b) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", b->name);
  cJSON_AddStringToObject(o, "summary", b->summary);
  cJSON *f = cJSON_AddArrayToObject(o, "flags");
  for (unsigned k = 0; k < CB_BACKEND_NFLAGS; k++)
    if (b->flags & (1u << k)) cJSON_AddItemToArray(f, cJSON_CreateString(cb_backend_flag_names[k]));
  if (b->extends) cJSON_AddStringToObject(o, "extends", b->extends);
  return o;
}

static cJSON *workload_json(const cb_workload *w) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", w->name);
  cJSON_AddStringToObject(o, "summary", w->summary);
  cJSON_AddStringToObject(o, "kind", cb_kind_names[w->kind]);
  if (w->sweep) cJSON_AddStringToObject(o, "sweep", w->sweep);
  cJSON_AddBoolToObject(o, "ideal", w->ideal != NULL);
  return o;
}

/* Each backend and workload of the plan once, in the order they first appear. */
static void models_json(cJSON *root, const cb_plan *plan) {
  cJSON *bs = cJSON_AddArrayToObject(root, "backends"), *ws = cJSON_AddArrayToObject(root, "workloads");
  for (size_t i = 0; i < plan->n; i++) {
    int seen_b = 0, seen_w = 0;
    for (size_t j = 0; j < i; j++) {
      seen_b |= plan->cases[j].be == plan->cases[i].be;
      seen_w |= plan->cases[j].wl == plan->cases[i].wl;
    }
    if (!seen_b) cJSON_AddItemToArray(bs, backend_json(plan->cases[i].be));
    if (!seen_w) cJSON_AddItemToArray(ws, workload_json(plan->cases[i].wl));
  }
}

static cJSON *case_json(const cb_case *c, const cb_plan *plan) {
  cb_row r;
  char hx[17];
  cb_row_of(c, plan->seed, &r);
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
  cJSON_AddNumberToObject(w, "cv", r.cv);
  cJSON_AddNumberToObject(w, "min", r.wall.min);
  cJSON_AddNumberToObject(w, "max", r.wall.max);
  cJSON_AddNumberToObject(w, "ci95_lo", r.ci_lo);
  cJSON_AddNumberToObject(w, "ci95_hi", r.ci_hi);
  cJSON_AddNumberToObject(w, "outliers", r.outliers);
  cJSON_AddNumberToObject(o, "cpu_user_s", r.user_s);
  cJSON_AddNumberToObject(o, "cpu_sys_s", r.sys_s);
  cJSON_AddNumberToObject(o, "peak_rss_kib", r.peak_rss_kib);
  cJSON_AddNumberToObject(o, "ctx_voluntary", r.ctx_voluntary);
  cJSON_AddNumberToObject(o, "ctx_involuntary", r.ctx_involuntary);
  cJSON_AddNumberToObject(o, "peak_threads", r.peak_threads);
  cJSON_AddNumberToObject(o, "peak_procs", r.peak_procs);
  cJSON_AddNumberToObject(o, "peak_fds", r.peak_fds);
  cJSON_AddNumberToObject(o, "server_cpu_s", r.server_cpu_s);
  cJSON_AddNumberToObject(o, "p50_ms", r.p50_ms);
  cJSON_AddNumberToObject(o, "p90_ms", r.p90_ms);
  cJSON_AddNumberToObject(o, "p99_ms", r.p99_ms);
  cJSON_AddNumberToObject(o, "p999_ms", r.p999_ms);
  cJSON_AddNumberToObject(o, "max_ms", r.max_ms);
  if (c->rate > 0) {
    cJSON_AddNumberToObject(o, "rate_target", c->rate);
    cJSON_AddNumberToObject(o, "rate_achieved", r.rate_achieved);
  }
  cJSON *lat = cJSON_AddObjectToObject(o, "latency");
  if (c->lat) cJSON_AddItemToObject(lat, "task", hist_json(c->lat));
  if (c->svc && c->rate > 0) cJSON_AddItemToObject(lat, "service", hist_json(c->svc));
  for (int k = 0; k < CB_OP_KINDS; k++)
    if (c->ops[k] && c->ops[k]->count) cJSON_AddItemToObject(lat, cb_op_names[k], hist_json(c->ops[k]));
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
  cJSON *fl = cJSON_AddArrayToObject(o, "flags");
  for (unsigned i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
    if (r.flags & (1u << i)) cJSON_AddItemToArray(fl, cJSON_CreateString(flag_names[i]));
  cJSON_AddStringToObject(o, "checksum", hex64(r.checksum, hx));
  cJSON_AddBoolToObject(o, "checksum_stable", r.checksum_stable);
  if ((c->be->flags & CB_BACKEND_SERIAL) && c->wl->serial_note)
    cJSON_AddStringToObject(o, "serial_note", c->wl->serial_note);
  cJSON *reps = cJSON_AddArrayToObject(o, "repetitions");
  double *wall = calloc(c->nreps ? c->nreps : 1, sizeof *wall);
  unsigned char *out = calloc(c->nreps ? c->nreps : 1, 1);
  if (wall && out && c->nreps >= 3) {
    for (unsigned i = 0; i < c->nreps; i++) wall[i] = c->reps[i].wall_s;
    cb_outliers_mad(wall, c->nreps, 3.5, out);
  }
  for (unsigned i = 0; i < c->nreps; i++) {
    const cb_sample *s = &c->reps[i];
    cJSON *x = cJSON_CreateObject();
    cJSON_AddNumberToObject(x, "wall_s", s->wall_s);
    if (out) cJSON_AddBoolToObject(x, "outlier", out[i]);
    cJSON_AddNumberToObject(x, "cpu_user_s", s->user_s);
    cJSON_AddNumberToObject(x, "cpu_sys_s", s->sys_s);
    cJSON_AddNumberToObject(x, "peak_rss_kib", (double)s->peak_rss_kib);
    cJSON_AddNumberToObject(x, "ctx_voluntary", (double)s->ctx_voluntary);
    cJSON_AddNumberToObject(x, "ctx_involuntary", (double)s->ctx_involuntary);
    cJSON_AddNumberToObject(x, "peak_threads", s->peak_threads);
    cJSON_AddNumberToObject(x, "peak_procs", s->peak_procs);
    cJSON_AddNumberToObject(x, "peak_fds", s->peak_fds);
    cJSON_AddNumberToObject(x, "workers", s->workers);
    cJSON_AddNumberToObject(x, "done", (double)s->done);
    cJSON_AddNumberToObject(x, "errors", (double)s->errors);
    cJSON_AddStringToObject(x, "checksum", hex64(s->checksum, hx));
    cJSON_AddNumberToObject(x, "p50_ms", s->p50_ms);
    cJSON_AddNumberToObject(x, "p90_ms", s->p90_ms);
    cJSON_AddNumberToObject(x, "p99_ms", s->p99_ms);
    cJSON_AddNumberToObject(x, "p999_ms", s->p999_ms);
    cJSON_AddNumberToObject(x, "max_ms", s->max_ms);
    if (c->rate > 0) cJSON_AddNumberToObject(x, "rate_achieved", s->rate_achieved);
    cJSON_AddNumberToObject(x, "load1", s->load1);
    cJSON_AddNumberToObject(x, "server_cpu_s", s->server_cpu_s);
    if (s->unit_s > 0) cJSON_AddNumberToObject(x, "compute_unit_ns", s->unit_s * 1e9);
    cJSON_AddNumberToObject(x, "not_found", (double)s->not_found);
    if (s->nmetrics) {
      cJSON *mx = cJSON_AddObjectToObject(x, "metrics");
      for (unsigned k = 0; k < s->nmetrics; k++) cJSON_AddNumberToObject(mx, s->metrics[k].name, s->metrics[k].value);
    }
    cJSON_AddNumberToObject(x, "status", s->status);
    if (s->timed_out) cJSON_AddBoolToObject(x, "timed_out", 1);
    if (s->err[0]) cJSON_AddStringToObject(x, "note", s->err);
    cJSON_AddItemToArray(reps, x);
  }
  free(wall);
  free(out);
  return o;
}

int cb_results_copy(const char *dir, const char *to) {
  static const char *const names[] = { "results.json", "results.csv" };
  char from[4096], dst[2][4096];
  char *text[2] = { NULL, NULL };
  size_t lens[2];
  int rc = cb_mkdirs(to);
  for (size_t i = 0; rc == 0 && i < 2; i++) {
    snprintf(from, sizeof from, "%s/%s", dir, names[i]);
    snprintf(dst[i], sizeof dst[i], "%s/%s", to, names[i]);
    if (!(text[i] = cb_read_file(from, &lens[i]))) rc = -errno;
  }
  if (rc == 0) {
    const char *paths[] = { dst[0], dst[1] };
    const void *data[] = { text[0], text[1] };
    rc = cb_write_atomic_all(2, paths, data, lens);
  }
  free(text[0]);
  free(text[1]);
  return rc;
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
  cJSON *meth = cJSON_AddObjectToObject(root, "method");
  cJSON_AddStringToObject(meth, "repetitions",
    "each repetition in a fresh measurement process; warm-ups not counted; rounds over every case, each round starting one case later");
  cJSON_AddNumberToObject(meth, "seed", (double)plan->seed);
  cJSON_AddStringToObject(meth, "ci", "95% percentile bootstrap of the median wall time, 10000 resamples, seeded");
  cJSON_AddStringToObject(meth, "outliers", "repetitions more than 3.5 scaled MADs from the median");
  cJSON_AddStringToObject(meth, "latency",
    "per task from its intended start (the open-loop slot, or the start in closed loop), HDR-style histogram (<= 0.78% error), merged over repetitions; service time from the actual start");
  cJSON_AddStringToObject(meth, "peak_rss_kib",
    "the larger of: the measurement process's peak RSS plus each fork worker's PSS as it finished; and the largest sum of PSS over the process tree the runner saw, looking every 10 ms or more (shared pages counted once)");
  cJSON_AddStringToObject(meth, "ideal_s",
    "lower bound on wall time for the case at the backend's effective concurrency (1 for sync): sleep ceil(N/C)*delay, cpu N*w/min(C,cores), w from the fastest compute-unit calibration of the run");
  cJSON_AddStringToObject(meth, "flags",
    "cv: CV over 10%; errors: failed tasks; load: load average above half the cores at the start; server: the target server used over 90% of a core; cpu>cores: CPU work at more concurrency than cores; timeout: a repetition was stopped by --case-timeout (its wall_s is the time it ran)");
  models_json(root, plan);
  cJSON *cases = cJSON_AddArrayToObject(root, "cases");
  for (size_t i = 0; i < plan->n; i++)
    if (plan->cases[i].nreps) cJSON_AddItemToArray(cases, case_json(&plan->cases[i], plan));
  json = cJSON_Print(root);
  if (!json) goto cleanup;

  char jpath[4096];
  snprintf(path, sizeof path, "%s/results.csv", dir);
  snprintf(jpath, sizeof jpath, "%s/results.json", dir);
  size_t jl = strlen(json);
  json[jl] = '\n';      /* replaces the terminator: the file ends with a newline */
  {
    const char *paths[] = { path, jpath };
    const void *data[] = { csv, json };
    size_t lens[] = { strlen(csv), jl + 1 };
    rc = cb_write_atomic_all(2, paths, data, lens);
  }
  json[jl] = '\0';

cleanup:
  free(csv);
  free(json);
  cJSON_Delete(root);
  return rc;
}
