/* resread.c: reading a run's results.json back: for plots, the report, compare, merge and export.
 * Written for untrusted input: a truncated or corrupt file is an error with a reason. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include "resread.h"
#include "registry.h"
#include "util.h"

/* Bounds on what one file may hold, so a crafted one is refused in a line rather than read for
 * minutes into gigabytes: a suite has thousands of cases and tens of repetitions. */
#define MAX_CASES 200000
#define MAX_REPS 100000
#define CB__STR2(x) #x
#define CB__STR(x) CB__STR2(x)
#define MAX_NAMES 1024

static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int str(const cJSON *o, const char *key, char *buf, size_t len) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsString(v) || !v->valuestring) return -1;
  if (strlen(v->valuestring) >= len) return -1;
  snprintf(buf, len, "%s", v->valuestring);
  return 0;
}

/* A count that must be a whole number in [0, max]. */
static int whole(const cJSON *o, const char *key, double max, double *out) {
  double v = num(o, key);
  if (!(v >= 0 && v <= max) || v != floor(v)) return -1;
  *out = v;
  return 0;
}

static int read_case(const cJSON *o, size_t idx, cb_rcase *c, const char *name, char *err, size_t len) {
  double d;
  memset(c, 0, sizeof *c);
  c->json = o;
#define BAD(what) do { snprintf(err, len, "%s: case %zu %s", name, idx, what); return -EINVAL; } while (0)
  if (!cJSON_IsObject(o)) BAD("is not an object");
  if (str(o, "workload", c->workload, sizeof c->workload) || !c->workload[0]) BAD("has no workload name");
  if (str(o, "backend", c->backend, sizeof c->backend) || !c->backend[0]) BAD("has no backend name");
  if (str(o, "params_str", c->params_str, sizeof c->params_str)) BAD("has no params_str");
  if (whole(o, "tasks", 1e12, &d)) BAD("has no valid tasks count");
  c->tasks = (uint64_t)d;
  const cJSON *sz = cJSON_GetObjectItemCaseSensitive(o, "sized");
  c->sized_by_time = cJSON_IsString(sz) && sz->valuestring && strcmp(sz->valuestring, "time") == 0;
  if (whole(o, "concurrency", 1e9, &d) || d < 1) BAD("has no valid concurrency");
  c->conc = (uint32_t)d;
  c->eff_conc = whole(o, "effective_concurrency", 1e9, &d) == 0 ? (uint32_t)d : c->conc;
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "params"), *it;
  if (p && !cJSON_IsObject(p)) BAD("has params that are not an object");
  cJSON_ArrayForEach(it, p) {
    if (c->nparams == CB_MAX_PARAMS) BAD("has too many params");
    if (!cJSON_IsNumber(it) || !it->string || strlen(it->string) >= sizeof c->params[0].name) BAD("has a malformed param");
    snprintf(c->params[c->nparams].name, sizeof c->params[0].name, "%s", it->string);
    c->params[c->nparams++].value = it->valuedouble;
  }
  /* A case the machine could not run: its reason, and no figures to require. */
  const cJSON *sk = cJSON_GetObjectItemCaseSensitive(o, "skipped");
  if (cJSON_IsString(sk) && sk->valuestring && sk->valuestring[0])
    snprintf(c->skipped, sizeof c->skipped, "%s", sk->valuestring);
  const int skipped = c->skipped[0] != '\0';
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "wall_s");
  if (!cJSON_IsObject(w) && !skipped) BAD("has no wall_s");
  c->wall_median = num(w, "median");
  c->wall_mean = num(w, "mean");
  c->wall_stddev = num(w, "stddev");
  c->wall_min = num(w, "min");
  c->wall_max = num(w, "max");
  c->wall_cv = num(w, "cv");
  c->ci_lo = num(w, "ci95_lo");
  c->ci_hi = num(w, "ci95_hi");
  if (!skipped && !(c->wall_median >= 0)) BAD("has no valid median wall time");
  const cJSON *reps = cJSON_GetObjectItemCaseSensitive(o, "repetitions");
  if (!skipped && !cJSON_IsArray(reps)) BAD("has no repetitions");
  int nr = skipped ? 0 : cJSON_GetArraySize(reps);
  if (!skipped && nr < 1) BAD("has no repetitions");
  if (!skipped && nr > MAX_REPS) BAD("has more repetitions than the " CB__STR(MAX_REPS) " concbench reads");
  if (nr && !(c->wall = calloc((size_t)nr, sizeof *c->wall))) return -ENOMEM;
  for (it = nr ? reps->child : NULL; it; it = it->next) {
    double ws = num(it, "wall_s");
    if (!(ws >= 0 && ws < 1e9)) BAD("has a repetition without a valid wall_s");
    c->wall[c->reps++] = ws;
  }
  c->cpu_user_s = num(o, "cpu_user_s");
  c->cpu_sys_s = num(o, "cpu_sys_s");
  c->peak_rss_kib = num(o, "peak_rss_kib");
  c->ctx_voluntary = num(o, "ctx_voluntary");
  c->ctx_involuntary = num(o, "ctx_involuntary");
  c->peak_threads = num(o, "peak_threads");
  c->peak_procs = num(o, "peak_procs");
  c->peak_fds = num(o, "peak_fds");
  c->server_cpu_s = num(o, "server_cpu_s");
  c->p50_ms = num(o, "p50_ms");
  c->p90_ms = num(o, "p90_ms");
  c->p99_ms = num(o, "p99_ms");
  c->p999_ms = num(o, "p999_ms");
  c->max_ms = num(o, "max_ms");
  c->errors = num(o, "errors");
  c->not_found = num(o, "not_found");
  c->ideal_s = num(o, "ideal_s");
  c->efficiency = num(o, "efficiency");
  c->rate_target = num(o, "rate_target");
  c->rate_achieved = num(o, "rate_achieved");
  c->connections = num(o, "connections");
  /* Figures beyond any measurement (1e308 s, a negative memory, a median of no time at all)
   * would only break the plots and the statistics: the field is named. A figure may be missing
   * (NaN), then what needs it is left out. */
  static const struct { const char *key; size_t off; double lo, hi; } figs[] = {
#define FIG(k, f, lo, hi) { k, offsetof(cb_rcase, f), lo, hi }
    FIG("wall_s.mean", wall_mean, 0, 1e9), FIG("wall_s.min", wall_min, 0, 1e9), FIG("wall_s.max", wall_max, 0, 1e9),
    FIG("wall_s.stddev", wall_stddev, 0, 1e9), FIG("cpu_user_s", cpu_user_s, 0, 1e12), FIG("cpu_sys_s", cpu_sys_s, 0, 1e12),
    FIG("peak_rss_kib", peak_rss_kib, 0, 1e12), FIG("server_cpu_s", server_cpu_s, 0, 1e12), FIG("p50_ms", p50_ms, 0, 1e12),
    FIG("p90_ms", p90_ms, 0, 1e12), FIG("p99_ms", p99_ms, 0, 1e12), FIG("p999_ms", p999_ms, 0, 1e12),
    FIG("max_ms", max_ms, 0, 1e12), FIG("ideal_s", ideal_s, 0, 1e12), FIG("errors", errors, 0, 1e12),
    FIG("connections", connections, 0, 1e9),
#undef FIG
  };
  for (size_t k = 0; k < sizeof figs / sizeof figs[0]; k++) {
    double v = *(const double *)((const char *)c + figs[k].off);
    if (!isnan(v) && !(v >= figs[k].lo && v <= figs[k].hi)) {
      char what[160];
      snprintf(what, sizeof what, "has %s %g, beyond what any run measures (%g to %g)", figs[k].key, v, figs[k].lo, figs[k].hi);
      BAD(what);
    }
  }
  if (!skipped && !(c->wall_median > 0 && c->wall_median < 1e9))
    BAD("has a median wall time (wall_s.median) of no time or beyond 1e9 s: not a measurement");
  if (str(o, "checksum", c->checksum, sizeof c->checksum) && !skipped) BAD("has no checksum");
  const cJSON *fl = cJSON_GetObjectItemCaseSensitive(o, "flags");
  size_t off = 0;
  if (!cJSON_IsArray(fl)) fl = NULL;
  cJSON_ArrayForEach(it, fl)
    if (cJSON_IsString(it) && off < sizeof c->flags)
      off += (size_t)snprintf(c->flags + off, sizeof c->flags - off, "%s%s", off ? ";" : "", it->valuestring);
  const cJSON *lat = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "latency"), "task");
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(lat, "buckets");
  if (cJSON_IsString(b) && b->valuestring) {
    cb_hist *h = malloc(sizeof *h);
    if (!h) return -ENOMEM;
    int bad = cb_hist_decode(h, b->valuestring) != 0;
    free(h);
    if (bad) BAD("has a malformed latency histogram");
    c->lat_buckets = b->valuestring;
  }
#undef BAD
  return 0;
}

const cb_rbackend *cb_results_backend(const cb_results *r, const char *name) {
  long i = cb_strmap_get(&r->bmap, name);
  return i < 0 ? NULL : &r->backends[i];
}

const cb_rworkload *cb_results_workload(const cb_results *r, const char *name) {
  long i = cb_strmap_get(&r->wmap, name);
  return i < 0 ? NULL : &r->workloads[i];
}

/* A backend or workload added to r's list and its map; the names stay put (the lists are
 * allocated whole beforehand). */
static int add_backend(cb_results *r) {
  if (cb_strmap_put(&r->bmap, r->backends[r->nbackends].name, r->nbackends) == -ENOMEM) return -ENOMEM;
  r->nbackends++;
  return 0;
}

static int add_workload(cb_results *r) {
  if (cb_strmap_put(&r->wmap, r->workloads[r->nworkloads].name, r->nworkloads) == -ENOMEM) return -ENOMEM;
  r->nworkloads++;
  return 0;
}

static uint64_t case_hash(const char *workload, const char *backend, const char *params_str, uint32_t conc) {
  uint64_t h = cb_hash(CB_HASH_INIT, workload, strlen(workload) + 1);
  h = cb_hash(h, backend, strlen(backend) + 1);
  h = cb_hash(h, params_str, strlen(params_str) + 1);
  return cb_hash(h, &conc, sizeof conc);
}

static int case_is(const cb_rcase *c, const char *workload, const char *backend, const char *params_str, uint32_t conc) {
  return c->conc == conc && strcmp(c->workload, workload) == 0 && strcmp(c->backend, backend) == 0 &&
         strcmp(c->params_str, params_str) == 0;
}

/* The cases by key, the first of each key kept (cb_results_find gives the first in the file). */
static int index_cases(cb_results *r) {
  size_t cap = 16;
  while (cap < r->n * 2) cap *= 2;
  if (!(r->cindex = calloc(cap, sizeof *r->cindex))) return -ENOMEM;
  r->ncindex = cap;
  for (size_t i = 0; i < r->n; i++) {
    const cb_rcase *c = &r->cases[i];
    size_t j = case_hash(c->workload, c->backend, c->params_str, c->conc) & (cap - 1);
    for (; r->cindex[j]; j = (j + 1) & (cap - 1))
      if (case_is(&r->cases[r->cindex[j] - 1], c->workload, c->backend, c->params_str, c->conc)) break;
    if (!r->cindex[j]) r->cindex[j] = i + 1;
  }
  return 0;
}

/* The "backends" and "workloads" the file describes, then any its cases name that it does not
 * (a file from before they were written): from this binary's tables, else as plain unknowns. */
static int read_models(cb_results *out, const char *name, char *err, size_t errlen) {
  const cJSON *bs = cJSON_GetObjectItemCaseSensitive(out->root, "backends");
  const cJSON *ws = cJSON_GetObjectItemCaseSensitive(out->root, "workloads"), *it, *f;
  if (!cJSON_IsArray(bs)) bs = NULL;
  if (!cJSON_IsArray(ws)) ws = NULL;
  size_t nb = (size_t)cJSON_GetArraySize(bs) + out->n;
  size_t nw = (size_t)cJSON_GetArraySize(ws) + out->n;
  if (!(out->backends = calloc(nb ? nb : 1, sizeof *out->backends)) ||
      !(out->workloads = calloc(nw ? nw : 1, sizeof *out->workloads))) {
    snprintf(err, errlen, "%s: out of memory", name);
    return -ENOMEM;
  }
  cJSON_ArrayForEach(it, bs) {
    cb_rbackend *b = &out->backends[out->nbackends];
    if (str(it, "name", b->name, sizeof b->name) || !b->name[0] || cb_results_backend(out, b->name)) continue;
    str(it, "extends", b->extends, sizeof b->extends);
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(it, "flags"))
      if (cJSON_IsString(f)) b->flags |= cb_backend_flag_parse(f->valuestring);
    if (add_backend(out)) goto oom;
  }
  cJSON_ArrayForEach(it, ws) {
    cb_rworkload *w = &out->workloads[out->nworkloads];
    char kind[16];
    if (str(it, "name", w->name, sizeof w->name) || !w->name[0] || cb_results_workload(out, w->name)) continue;
    w->kind = str(it, "kind", kind, sizeof kind) == 0 && cb_kind_parse(kind) >= 0 ? cb_kind_parse(kind) : CB_KIND_IO;
    str(it, "sweep", w->sweep, sizeof w->sweep);
    w->has_ideal = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "ideal"));
    /* Written before it was recorded: this binary's table says. */
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(it, "serves");
    const cb_workload *known = sv ? NULL : cb_workload_find(w->name);
    w->serves = sv ? cJSON_IsTrue(sv) : known && known->load;
    if (add_workload(out)) goto oom;
  }
  for (size_t i = 0; i < out->n; i++) {
    cb_rcase *c = &out->cases[i];
    if (!cb_results_backend(out, c->backend)) {
      cb_rbackend *b = &out->backends[out->nbackends];
      const cb_backend *t = cb_backend_find(c->backend);
      snprintf(b->name, sizeof b->name, "%s", c->backend);
      if (t) {
        b->flags = t->flags;
        snprintf(b->extends, sizeof b->extends, "%s", t->extends ? t->extends : "");
      }
      if (add_backend(out)) goto oom;
    }
    if (!cb_results_workload(out, c->workload)) {
      cb_rworkload *w = &out->workloads[out->nworkloads];
      const cb_workload *t = cb_workload_find(c->workload);
      snprintf(w->name, sizeof w->name, "%s", c->workload);
      w->has_ideal = isfinite(c->ideal_s);
      if (t) {
        w->kind = (int)t->kind;
        snprintf(w->sweep, sizeof w->sweep, "%s", t->sweep ? t->sweep : "");
        w->serves = t->load != NULL;
      }
      if (add_workload(out)) goto oom;
    }
  }
  for (size_t i = 0; i < out->n; i++) {
    out->cases[i].be = cb_results_backend(out, out->cases[i].backend);
    out->cases[i].wl = cb_results_workload(out, out->cases[i].workload);
  }
  /* concbench has a handful of backends and workloads: thousands are a crafted file, and the
   * report's per-backend findings would cost backends times cases. */
  if (out->nbackends > MAX_NAMES || out->nworkloads > MAX_NAMES) {
    snprintf(err, errlen, "%s: names %zu backends and %zu workloads, more than the %d of each concbench reads; "
             "is it a results file concbench wrote?", name, out->nbackends, out->nworkloads, MAX_NAMES);
    return -EINVAL;
  }
  if (index_cases(out)) goto oom;
  return 0;
oom:
  snprintf(err, errlen, "%s: out of memory", name);
  return -ENOMEM;
}

int cb_results_parse(const char *text, size_t len, const char *name, cb_results *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  snprintf(out->path, sizeof out->path, "%s", name);
  out->root = cJSON_ParseWithLength(text, len);
  if (!out->root) {
    snprintf(err, errlen, "%s: not valid JSON (truncated or corrupt)", name);
    return -EINVAL;
  }
  if (!cJSON_IsObject(out->root) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(out->root, "concbench"))) {
    snprintf(err, errlen, "%s: not a concbench results file", name);
    goto fail;
  }
  out->env = cJSON_GetObjectItemCaseSensitive(out->root, "environment");
  if (!cJSON_IsObject(out->env)) {
    snprintf(err, errlen, "%s: no environment", name);
    goto fail;
  }
  double cores = num(out->env, "cores");
  out->cores = cores >= 1 && cores < 1e6 ? (uint32_t)cores : 0;
  str(out->env, "build_type", out->build_type, sizeof out->build_type);
  str(out->env, "git_revision", out->git_revision, sizeof out->git_revision);
  str(out->root, "status", out->status, sizeof out->status);
  const cJSON *cases = cJSON_GetObjectItemCaseSensitive(out->root, "cases"), *it;
  if (!cJSON_IsArray(cases)) {
    snprintf(err, errlen, "%s: no cases", name);
    goto fail;
  }
  int n = cJSON_GetArraySize(cases);
  if (n > MAX_CASES) {
    snprintf(err, errlen, "%s: %d cases, more than the %d concbench reads in one file; is it a results file concbench wrote?",
             name, n, MAX_CASES);
    goto fail;
  }
  if (!(out->cases = calloc(n ? (size_t)n : 1, sizeof *out->cases))) {
    snprintf(err, errlen, "%s: out of memory", name);
    goto fail;
  }
  cJSON_ArrayForEach(it, cases) {
    int rc = read_case(it, out->n, &out->cases[out->n], name, err, errlen);
    out->n++;
    if (rc) {
      if (rc == -ENOMEM) snprintf(err, errlen, "%s: out of memory", name);
      cb_results_free(out);
      return rc;
    }
  }
  int rc = read_models(out, name, err, errlen);
  if (rc) cb_results_free(out);
  return rc;
fail:
  cb_results_free(out);
  return -EINVAL;
}

int cb_results_read(const char *path, cb_results *out, char *err, size_t errlen) {
  char file[4096];
  struct stat st;
  memset(out, 0, sizeof *out);
  if (stat(path, &st) != 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -errno;
  }
  if (S_ISDIR(st.st_mode)) snprintf(file, sizeof file, "%s/results.json", path);
  else snprintf(file, sizeof file, "%s", path);
  size_t len;
  char why[160];
  char *text = cb_read_regular(file, CB_RESULTS_MAX_BYTES, &len, why, sizeof why);
  if (!text) {
    int e = errno ? errno : EIO;
    snprintf(err, errlen, "%s: %s", file, why);
    return -e;
  }
  int rc = cb_results_parse(text, len, file, out, err, errlen);
  free(text);
  if (rc == 0) {
    snprintf(out->path, sizeof out->path, "%s", file);
    const char *slash = strrchr(file, '/');
    if (slash) snprintf(out->dir, sizeof out->dir, "%.*s", (int)(slash - file), file);
    else snprintf(out->dir, sizeof out->dir, ".");
  }
  return rc;
}

void cb_results_shed(cb_results *r) {
  if (!r->root) return;
  for (size_t i = 0; i < r->n; i++) {
    r->cases[i].json = NULL;
    r->cases[i].lat_buckets = NULL;
  }
  cJSON_DeleteItemFromObjectCaseSensitive(r->root, "cases");
}

void cb_results_free(cb_results *r) {
  for (size_t i = 0; i < r->n; i++) {
    free(r->cases[i].wall);
  }
  free(r->cases);
  free(r->backends);
  free(r->workloads);
  free(r->cindex);
  cb_strmap_free(&r->bmap);
  cb_strmap_free(&r->wmap);
  cJSON_Delete(r->root);
  memset(r, 0, sizeof *r);
}

const cb_rcase *cb_results_find(const cb_results *r, const char *workload, const char *backend,
                                const char *params_str, uint32_t conc) {
  if (!r->ncindex) return NULL;
  size_t mask = r->ncindex - 1;
  for (size_t j = case_hash(workload, backend, params_str, conc) & mask; r->cindex[j]; j = (j + 1) & mask)
    if (case_is(&r->cases[r->cindex[j] - 1], workload, backend, params_str, conc)) return &r->cases[r->cindex[j] - 1];
  return NULL;
}

int cb_rcase_hist(const cb_rcase *c, cb_hist *h) {
  if (!c->lat_buckets) return -ENOENT;
  return cb_hist_decode(h, c->lat_buckets) == 0 ? 0 : -EINVAL;
}

double cb_rcase_param(const cb_rcase *c, const char *name) {
  for (unsigned i = 0; i < c->nparams; i++)
    if (strcmp(c->params[i].name, name) == 0) return c->params[i].value;
  return NAN;
}
