/* summary.c: the report's title, its opening summary of what was measured, the environment as rows and the command that ran. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "presentation_int.h"

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* "1, 10 and 100": the distinct concurrencies of workload wl. */
static void conc_list(const cb_results *r, const char *wl, cb_sbuf *out) {
  uint32_t *v = calloc(r->n ? r->n : 1, sizeof *v);
  size_t n = 0;
  if (!v) {
    out->oom = 1;
    return;
  }
  for (size_t i = 0; i < r->n; i++) {
    if (strcmp(r->cases[i].workload, wl)) continue;
    size_t k = 0;
    while (k < n && v[k] != r->cases[i].conc) k++;
    if (k == n) v[n++] = r->cases[i].conc;
  }
  qsort(v, n, sizeof *v, cmp_u32);
  for (size_t k = 0; k < n; k++) cb_sb_printf(out, "%s%u", k == 0 ? "" : k + 1 == n ? " and " : ", ", v[k]);
  free(v);
}

/* "delay_ms=10/20, bytes=1024": workload wl's parameters with every value they took. */
static void param_list(const cb_results *r, const char *wl, cb_sbuf *out) {
  const cb_rcase *first = NULL;
  for (size_t i = 0; i < r->n && !first; i++)
    if (strcmp(r->cases[i].workload, wl) == 0) first = &r->cases[i];
  for (unsigned p = 0; first && p < first->nparams; p++) {
    const char *name = first->params[p].name;
    double seen[16];
    size_t ns = 0;
    cb_sb_printf(out, "%s%s=", p ? ", " : "", name);
    for (size_t i = 0; i < r->n; i++) {
      if (strcmp(r->cases[i].workload, wl)) continue;
      double v = cb_rcase_param(&r->cases[i], name);
      size_t k = 0;
      while (k < ns && !cb__same_value(seen[k], v)) k++;
      if (k < ns) continue;
      if (ns == sizeof seen / sizeof seen[0]) {
        cb_sb_puts(out, "/…");
        break;
      }
      seen[ns] = v;
      cb_sb_printf(out, "%s%g", ns++ ? "/" : "", v);
    }
  }
}

static const char *env_str(const cb_results *r, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->env, key);
  return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

void cb__title_text(const cb__report *R, cb_sbuf *t) {
  cb_sb_puts(t, "concbench report: ");
  if (!R->nwl) {
    cb_sb_puts(t, "no cases");
    return;
  }
  cb__sb_join(t, R->wls, R->nwl);
  cb_sb_puts(t, " on ");
  cb__sb_join(t, R->bes, R->nbe);
}

void cb__summary_text(const cb__report *R, cb_sbuf *p) {
  const cb_results *r = R->r;
  const char *date = env_str(r, "date"), *cpu = env_str(r, "cpu_model");
  unsigned rmin = UINT32_MAX, rmax = 0;
  uint64_t tmin = UINT64_MAX, tmax = 0;
  for (size_t i = 0; i < r->n; i++) {
    const cb_rcase *c = &r->cases[i];
    if (c->reps < rmin) rmin = c->reps;
    if (c->reps > rmax) rmax = c->reps;
    if (c->tasks < tmin) tmin = c->tasks;
    if (c->tasks > tmax) tmax = c->tasks;
  }
  if (!r->n) {
    cb_sb_puts(p, "This results file holds no cases: nothing was measured, or the run was interrupted before the first repetition finished.");
    return;
  }
  cb_sb_puts(p, "This run");
  if (date) {
    /* "2026-11-22T01:04:36Z" reads better as "2026-11-22 01:04:36 UTC". */
    size_t dl = strlen(date);
    if (dl == 20 && date[10] == 'T' && date[19] == 'Z') cb_sb_printf(p, " (%.10s %.8s UTC)", date, date + 11);
    else cb_sb_printf(p, " (%s)", date);
  }
  cb_sb_puts(p, " measured the workload");
  cb_sb_puts(p, R->nwl == 1 ? " " : "s ");
  cb__sb_join(p, R->wls, R->nwl);
  cb_sb_puts(p, R->nbe == 1 ? " on the backend " : " on the backends ");
  cb__sb_join(p, R->bes, R->nbe);
  /* Concurrency levels, merged across workloads that share them. */
  cb_sbuf *lists = calloc(R->nwl ? R->nwl : 1, sizeof *lists);
  if (!lists) {
    p->oom = 1;
    return;
  }
  for (size_t w = 0; w < R->nwl; w++) conc_list(r, R->wls[w], &lists[w]);
  int uniform = 1;
  for (size_t w = 1; w < R->nwl; w++) uniform &= lists[w].p && lists[0].p && strcmp(lists[w].p, lists[0].p) == 0;
  if (R->nwl && uniform) {
    cb_sb_printf(p, " at concurrency %s", lists[0].p ? lists[0].p : "");
  } else {
    cb_sb_puts(p, " at concurrency ");
    int first = 1;
    for (size_t w = 0; w < R->nwl; w++) {
      int dup = 0;
      for (size_t v = 0; v < w; v++) dup |= lists[v].p && lists[w].p && strcmp(lists[v].p, lists[w].p) == 0;
      if (dup || !lists[w].p) continue;
      const char **same = calloc(R->nwl, sizeof *same);
      size_t ns = 0;
      if (!same) {
        p->oom = 1;
        break;
      }
      for (size_t v = w; v < R->nwl; v++)
        if (lists[v].p && strcmp(lists[v].p, lists[w].p) == 0) same[ns++] = R->wls[v];
      cb_sb_printf(p, "%s%s for ", first ? "" : ", and ", lists[w].p);
      cb__sb_join(p, same, ns);
      free(same);
      first = 0;
    }
  }
  for (size_t w = 0; w < R->nwl; w++) cb_sb_free(&lists[w]);
  free(lists);
  if (r->n) {
    if (tmin == tmax) cb_sb_printf(p, ", %llu tasks per case", (unsigned long long)tmin);
    else cb_sb_printf(p, ", %llu to %llu tasks per case", (unsigned long long)tmin, (unsigned long long)tmax);
    if (rmin == rmax) cb_sb_printf(p, " and %u repetition%s of each", rmin, rmin == 1 ? "" : "s");
    else cb_sb_printf(p, " and %u to %u repetitions of each", rmin, rmax);
  }
  cb_sb_printf(p, ": %zu case%s", r->n, r->n == 1 ? "" : "s");
  if (r->cores || cpu) {
    cb_sb_puts(p, ", on a machine with ");
    if (r->cores) cb_sb_printf(p, "%u core%s", r->cores, r->cores == 1 ? "" : "s");
    else cb_sb_puts(p, "an unknown number of cores");
    if (cpu) cb_sb_printf(p, " (%s)", cpu);
  }
  cb_sb_puts(p, ". Parameters: ");
  for (size_t w = 0; w < R->nwl; w++) {
    cb_sb_printf(p, "%s%s ", w ? "; " : "", R->wls[w]);
    param_list(r, R->wls[w], p);
  }
  cb_sb_puts(p, ".");
  if (strcmp(r->status, "partial") == 0)
    cb_sb_puts(p, " The run is partial: it was interrupted, and only the repetitions that finished are here.");
}

/* The environment rows worth a label, in reading order; other keys follow under their own name. */
static const struct { const char *key, *label; } env_rows[] = {
  { "cpu_model", "CPU" }, { "cores", "cores" }, { "cores_online", "cores online" },
  { "memory_kib", "memory" }, { "memory_available_kib", "memory available" }, { "kernel", "kernel" },
  { "distribution", "distribution" }, { "compiler", "compiler" }, { "compiler_flags", "compiler flags" },
  { "build_type", "build type" }, { "sanitizers", "sanitizers" }, { "libuv", "libuv" },
  { "http_parser", "http-parser" }, { "concbench", "concbench" }, { "git_revision", "git revision" },
  { "git_dirty", "uncommitted changes" }, { "ulimit_n", "ulimit -n" }, { "ulimit_u", "ulimit -u" },
  { "somaxconn", "net.core.somaxconn" }, { "max_map_count", "vm.max_map_count" },
  { "cpu_governor", "CPU governor" }, { "loadavg", "load average (1, 5, 15 min)" },
  { "uv_threadpool_size", "UV_THREADPOOL_SIZE" }, { "compute_unit_ns", "compute unit" }, { "date", "date" },
};

/* A JSON value as text for people. */
void cb__json_text(const char *key, const struct cJSON *v, cb_sbuf *out) {
  if (cJSON_IsString(v)) {
    cb_sb_puts(out, v->valuestring ? v->valuestring : "");
  } else if (cJSON_IsBool(v)) {
    cb_sb_puts(out, cJSON_IsTrue(v) ? "yes" : "no");
  } else if (cJSON_IsNumber(v)) {
    char b[32];
    if (key && strstr(key, "_kib")) {
      cb__fmt_kib(v->valuedouble, b, sizeof b);
      cb_sb_puts(out, b);
    } else if (key && strcmp(key, "compute_unit_ns") == 0) {
      if (v->valuedouble > 0) cb_sb_printf(out, "%.1f ns", v->valuedouble);
      else cb_sb_puts(out, "not calibrated");
    } else if (v->valuedouble < 0) {
      cb_sb_puts(out, "unknown");
    } else {
      cb_sb_printf(out, "%.15g", v->valuedouble);
    }
  } else if (cJSON_IsArray(v)) {
    const cJSON *it;
    int k = 0;
    cJSON_ArrayForEach(it, v) {
      if (k++) cb_sb_puts(out, ", ");
      if (cJSON_IsNumber(it)) cb_sb_printf(out, "%.2f", it->valuedouble);
      else cb__json_text(NULL, it, out);
    }
  } else if (v) {
    char *s = cJSON_PrintUnformatted(v);
    if (!s) out->oom = 1;
    else cb_sb_puts(out, s);
    free(s);
  }
}

/* The environment as label and value rows. */
int cb__env_kvs(const cb_results *r, cb__kv **out, size_t *n) {
  size_t cap = (size_t)cJSON_GetArraySize(r->env) + 1, k = 0;
  cb__kv *v = calloc(cap, sizeof *v);
  if (!v) return -ENOMEM;
  for (size_t i = 0; i < sizeof env_rows / sizeof env_rows[0]; i++) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(r->env, env_rows[i].key);
    if (!e || k == cap) continue;
    v[k].label = env_rows[i].label;
    cb__json_text(env_rows[i].key, e, &v[k++].value);
  }
  const cJSON *it;
  cJSON_ArrayForEach(it, r->env) {
    int known = 0;
    for (size_t i = 0; i < sizeof env_rows / sizeof env_rows[0]; i++) known |= it->string && strcmp(it->string, env_rows[i].key) == 0;
    if (known || !it->string || k == cap) continue;
    v[k].label = it->string;
    cb__json_text(it->string, it, &v[k++].value);
  }
  *out = v;
  *n = k;
  return 0;
}

void cb__kvs_free(cb__kv *v, size_t n) {
  for (size_t i = 0; i < n; i++) cb_sb_free(&v[i].value);
  free(v);
}

/* "concbench run -b …" from results.json's command array. */
void cb__command_text(const cb_results *r, cb_sbuf *out) {
  const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(r->root, "command"), *it;
  if (!cJSON_IsArray(cmd)) return;
  cb_sb_puts(out, "concbench");
  cJSON_ArrayForEach(it, cmd)
    if (cJSON_IsString(it) && it->valuestring) cb_sb_printf(out, " %s", it->valuestring);
}

