/* results.c: results.json from a run's cases and rows, results.csv from the same objects, written atomically. */
#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "results.h"
#include "resread.h"
#include "columns.h"
#include "env.h"
#include "util.h"
#include "sbuf.h"

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
  /* Its tasks serve a load process's requests: its figures are the load's, not a wall time. */
  if (w->load) cJSON_AddBoolToObject(o, "serves", 1);
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

/* Every repetition's own figures, with whether it is an outlier. */
static cJSON *reps_json(const cb_case *c) {
  char hx[17];
  cJSON *reps = cJSON_CreateArray();
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
    cJSON_AddNumberToObject(x, "teardown_s", s->teardown_s);
    if (s->prepare_s > 0) cJSON_AddNumberToObject(x, "prepare_s", s->prepare_s);
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
    cJSON_AddNumberToObject(x, "others_cpu_s", s->others_cpu_s);
    cJSON_AddNumberToObject(x, "steal_s", s->steal_s);
    cJSON_AddBoolToObject(x, "busy", s->busy);
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
  return reps;
}

static cJSON *case_json(const cb_case *c, const cb_row *row) {
  const cb_row r = *row;
  char hx[17];
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
  cJSON_AddStringToObject(o, "sized", c->sized ? "time" : "tasks");
  if (c->skipped[0]) {
    /* A row that says why, and no figures: nothing was measured. */
    cJSON_AddStringToObject(o, "skipped", c->skipped);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "flags"), cJSON_CreateString("skip"));
    return o;
  }
  if (c->stop) cJSON_AddStringToObject(o, "stop", c->stop);
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
  if (c->wl->load) cJSON_AddNumberToObject(o, "connections", (double)c->wl->load->connections(&c->params, c->conc));
  if (c->rate > 0) {
    cJSON_AddNumberToObject(o, "rate_target", c->rate);
    cJSON_AddNumberToObject(o, "rate_achieved", r.rate_achieved);
  }
  cJSON *lat = cJSON_AddObjectToObject(o, "latency");
  if (c->lat) cJSON_AddItemToObject(lat, "task", hist_json(c->lat));
  if (c->svc && c->rate > 0) cJSON_AddItemToObject(lat, "service", hist_json(c->svc));
  /* Closed loop: task is the service time (a task starts when it is meant to), and completion is
   * what a user waiting for the results sees: each result's time from the run's start. */
  if (c->done && c->done->count && !(c->rate > 0)) cJSON_AddItemToObject(lat, "completion", hist_json(c->done));
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
  for (unsigned i = 0; i < CB_NFLAGS; i++)
    if (r.flags & (1u << i)) cJSON_AddItemToArray(fl, cJSON_CreateString(cb_flag_names[i]));
  cJSON_AddStringToObject(o, "checksum", hex64(r.checksum, hx));
  cJSON_AddBoolToObject(o, "checksum_stable", r.checksum_stable);
  if (c->ref_ops_s > 0 && r.wall.median > 0) {
    /* The same commands, clients and pipeline from redis-benchmark on the same server. */
    double ops = (double)c->tasks * c->ops_per_task / r.wall.median;
    cJSON *ref = cJSON_AddObjectToObject(o, "reference");
    cJSON_AddStringToObject(ref, "tool", "redis-benchmark");
    cJSON_AddNumberToObject(ref, "ops_per_s", c->ref_ops_s);
    cJSON_AddNumberToObject(ref, "case_ops_per_s", ops);
    cJSON_AddNumberToObject(ref, "ratio", ops / c->ref_ops_s);
  }
  if ((c->be->flags & CB_BACKEND_SERIAL) && c->wl->serial_note)
    cJSON_AddStringToObject(o, "serial_note", c->wl->serial_note);
  cJSON_AddItemToObject(o, "repetitions", reps_json(c));
  return o;
}

int cb_results_exist(const char *dir) {
  static const char *const names[] = { "results.json", "results.csv" };
  char path[4096];
  struct stat st;
  for (size_t i = 0; i < 2; i++)
    if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) < (int)sizeof path && lstat(path, &st) == 0) return 1;
  return 0;
}

int cb_results_is_input(const char *out, const char *in) {
  char in_json[4096], out_json[4096];
  struct stat st;
  if (cb_same_file(out, in)) return 1;
  /* The file a reader reads: DIR/results.json, or the file given. */
  if (stat(in, &st) == 0 && S_ISDIR(st.st_mode)) snprintf(in_json, sizeof in_json, "%s/results.json", in);
  else snprintf(in_json, sizeof in_json, "%s", in);
  snprintf(out_json, sizeof out_json, "%s/results.json", out);
  return cb_same_file(out, in_json) || cb_same_file(out_json, in_json);
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
    if (!(text[i] = cb_read_regular(from, CB_RESULTS_MAX_BYTES, &lens[i], NULL, 0))) rc = -errno;
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

int cb_results_write(const char *dir, const cb_plan *plan, const cb_row *rows, const cb_machine *m,
                     int argc, char **argv, const char *status) {
  char path[4096], err[128];
  int rc = -ENOMEM;
  char *csv = NULL, *json = NULL;
  cJSON *root = cJSON_CreateObject();
  const cJSON **objs = malloc((plan->n ? plan->n : 1) * sizeof *objs);
  size_t nobjs = 0;
  if (!objs || !root) goto cleanup;

  cJSON_AddStringToObject(root, "concbench", CB_VERSION);
  cJSON_AddStringToObject(root, "status", status);
  cJSON *cmd = cJSON_AddArrayToObject(root, "command");
  for (int i = 0; i < argc; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
  cJSON_AddItemToObject(root, "environment", cb_env_json(m));
  cJSON *meth = cJSON_AddObjectToObject(root, "method");
  cJSON_AddStringToObject(meth, "repetitions",
    "each repetition in a fresh measurement process; warm-ups not counted; rounds over every case, each round in a new seeded random order");
  if (plan->reps_auto) {
    char how[384];
    snprintf(how, sizeof how, "adaptive: at least %u repetitions, then rounds over the cases whose median's 95%% interval is wider "
             "than +-%g%% of it, up to %u repetitions%s; each case's stop says why it ended (ci, max, budget; schedule: a server, its wall time fixed by its load's schedule)",
             plan->reps, plan->ci * 100, plan->reps_max, plan->budget_s > 0 ? " while the time budget lasts" : "");
    cJSON_AddStringToObject(meth, "stopping", how);
    if (plan->budget_s > 0) cJSON_AddNumberToObject(meth, "budget_s", plan->budget_s);
  } else {
    cJSON_AddStringToObject(meth, "stopping", "fixed: the same number of repetitions for every case");
  }
  cJSON_AddStringToObject(meth, "sizing",
    "a case's sized is tasks (as given) or time (tasks = auto: the fewest tasks whose ideal time reaches the target, "
    "rounded up to a 1-1.2-1.5-2-2.5-3-4-5-6-8 step, at least 2 per worker); speedups between cases of different task counts are throughput ratios");
  cJSON_AddNumberToObject(meth, "seed", (double)plan->seed);
  cJSON_AddStringToObject(meth, "ci", "95% percentile bootstrap of the median wall time, 10000 resamples, seeded");
  cJSON_AddStringToObject(meth, "outliers", "repetitions more than 3.5 scaled MADs from the median");
  cJSON_AddStringToObject(meth, "latency",
    "per task from its intended start (the open-loop slot, or the start in closed loop), HDR-style histogram (<= 0.78% error), merged over repetitions; service time from the actual start; in closed loop, completion: each result's time from the run's start");
  cJSON_AddStringToObject(meth, "peak_rss_kib",
    "PSS, each shared page split among its sharers, so the tree's pages count once: the larger of the measurement process's peak RSS less what its shared pages weigh beyond its share (its Rss - Pss, read while fork's workers were all alive, or after the run), plus each fork worker's PSS read while all the workers were still alive (they wait for each other at the end); and the largest sum of PSS over the process tree the runner saw, looking every 10 ms or more (a look during which a process left is not counted)");
  cJSON_AddStringToObject(meth, "ideal_s",
    "lower bound on wall time for the case at the backend's effective concurrency (1 for sync): sleep ceil(N/C)*delay, cpu N*w/min(C,cores), w from the fastest compute-unit calibration of the run");
  cJSON_AddStringToObject(meth, "flags",
    "cv: CV over 10%; errors: failed tasks; busy: a repetition stayed disturbed when measured again, twice: other processes took CPU while it ran (the machine's busy time from /proc/stat, steal included, less the CPU of the run's own processes and of the target server) above a quarter of a core on average, or a tenth of the case's own CPU when that is more (each repetition's others_cpu_s, steal_s and busy are under its repetitions); server: the target server used over 90% of a core; cpu>cores: CPU work at more concurrency than cores; timeout: a repetition was stopped by --case-timeout (its wall_s is the time it ran)");
  models_json(root, plan);
  cJSON *cases = cJSON_AddArrayToObject(root, "cases");
  for (size_t i = 0; i < plan->n; i++)
    if (plan->cases[i].nreps || plan->cases[i].skipped[0]) {
      cJSON *o = case_json(&plan->cases[i], &rows[i]);
      cJSON_AddItemToArray(cases, o);
      objs[nobjs++] = o;
    }
  /* results.csv from the very objects results.json holds, through the one column table. */
  csv = cb_csv_of_cases(objs, nobjs, err, sizeof err);
  json = cJSON_Print(root);
  if (!json || !csv) goto cleanup;

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
  free(objs);
  free(csv);
  free(json);
  cJSON_Delete(root);
  return rc;
}
