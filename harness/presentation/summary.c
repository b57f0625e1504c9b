/* summary.c: the report's title, its headline (the answer in at most five sentences, each with its interval), its summary of what was measured, the environment as rows and the command that ran. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "presentation_int.h"
#include "stats.h"

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
    if (strcmp(r->cases[i].workload, wl) || r->cases[i].skipped[0]) continue;
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
    if (c->skipped[0]) continue;
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
  if (r->n > R->nskip) {
    if (tmin == tmax) cb_sb_printf(p, ", %llu tasks per case", (unsigned long long)tmin);
    else cb_sb_printf(p, ", %llu to %llu tasks per case", (unsigned long long)tmin, (unsigned long long)tmax);
    if (rmin == rmax) cb_sb_printf(p, " and %u repetition%s of each", rmin, rmin == 1 ? "" : "s");
    else cb_sb_printf(p, " and %u to %u repetitions of each", rmin, rmax);
  }
  cb_sb_printf(p, ": %zu case%s", r->n - R->nskip, r->n - R->nskip == 1 ? "" : "s");
  if (R->nskip) cb_sb_printf(p, " (and %zu skipped: the machine could not run %s)", R->nskip, R->nskip == 1 ? "it" : "them");
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
  { "uv_threadpool_size", "UV_THREADPOOL_SIZE" }, { "uv_loops", "uv-mt loops" }, { "compute_unit_ns", "compute unit" },
  { "date", "date" },
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


/* ---- the headline: the answer first, each figure with its interval ------------------------ */

/* The lowest and highest of the repetitions' key (peak_rss_kib) in c's object: how many there are. */
static size_t rep_range(const cb_rcase *c, const char *key, double *lo, double *hi) {
  const cJSON *it;
  size_t n = 0;
  *lo = INFINITY;
  *hi = -INFINITY;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(c->json, "repetitions")) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(it, key);
    if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0)) continue;
    if (x->valuedouble < *lo) *lo = x->valuedouble;
    if (x->valuedouble > *hi) *hi = x->valuedouble;
    n++;
  }
  return n;
}

void cb__mem_range(const cb_rcase *c, cb_sbuf *out) {
  char m[32], a[32], b[32];
  double lo, hi;
  size_t n = rep_range(c, "peak_rss_kib", &lo, &hi);
  cb__fmt_kib(c->peak_rss_kib, m, sizeof m);
  cb__fmt_kib(lo, a, sizeof a);
  cb__fmt_kib(hi, b, sizeof b);
  if (n >= 2) cb_sb_printf(out, "%s (%s–%s over %zu repetitions)", m, a, b, n);
  else cb_sb_printf(out, "%s (one repetition, no range)", m);
}

void cb__fmt_x_ci(double x, double lo, double hi, const char *mid, char *buf, size_t len) {
  char a[24], b[24], c[24];
  cb__fmt_x(x, a, sizeof a);
  cb__fmt_x(lo, b, sizeof b);
  cb__fmt_x(hi, c, sizeof c);
  snprintf(buf, len, "%s%s (95%% CI %s–%s)", a, mid, b, c);
}

/* The ratio and its interval for the headline. */
int cb__ratio_text(const cb__report *R, const cb_rcase *ref, const cb_rcase *c, const char *mid, char *buf, size_t len) {
  double x, lo, hi;
  int rc = cb__rate_ratio_ci(ref, c, R->seed, &x, &lo, &hi);
  if (rc == -ENOMEM) return rc;
  if (rc < 0 || !isfinite(x)) return 0;
  cb__fmt_x_ci(x, lo, hi, mid, buf, len);
  return 1;
}

static int is_loop_case(const cb__report *R, const cb_rcase *c) {
  return R->loop && strcmp(c->backend, R->loop->name) == 0;
}

/* Where the loop shines most: its highest speedup over the baseline among the IO groups, at the
 * highest concurrency both ran, and its memory against the parallel backends' there. */
static int head_io(const cb__report *R, cb__slist *out) {
  const cb__group *bg = NULL;
  const cb_rcase *bu = NULL;
  for (size_t k = 0; k < R->ng; k++) {
    const cb__group *g = &R->g[k];
    const cb_rcase *u = NULL;
    if (!cb__group_is_io(g)) continue;
    for (size_t i = 0; i < g->n; i++)
      if (is_loop_case(R, g->c[i]) && isfinite(cb__speedup(g, g->c[i])) && (!u || g->c[i]->conc > u->conc)) u = g->c[i];
    if (u && (!bu || cb__speedup(g, u) > cb__speedup(bg, bu))) {
      bg = g;
      bu = u;
    }
  }
  if (!bu) return 0;
  const cb_rcase *base = cb__gbase(bg, bu->conc);
  char xs[160], mid[64];
  snprintf(mid, sizeof mid, " as fast as %s", base->backend);
  int rc = cb__ratio_text(R, base, bu, mid, xs, sizeof xs);
  if (rc <= 0) return rc;
  cb_sbuf s = { 0 };
  cb_sb_printf(&s, "Where the event loop shines most: on %s at c=%u, %s ran %s", bg->label, bu->conc, bu->backend, xs);
  int k = 0;
  for (size_t i = 0; isfinite(bu->peak_rss_kib) && i < bg->n; i++) {
    const cb_rcase *c = bg->c[i];
    if (c->conc != bu->conc || !cb__is_rival(c->be) || !isfinite(c->peak_rss_kib)) continue;
    if (!k++) {
      cb_sb_puts(&s, ", with a peak memory of ");
      cb__mem_range(bu, &s);
      cb_sb_puts(&s, " against ");
    } else {
      cb_sb_puts(&s, " and ");
    }
    cb__mem_range(c, &s);
    cb_sb_printf(&s, " for %s", c->backend);
  }
  cb_sb_puts(&s, k ? " (medians and ranges over repetitions: memory gets no confidence interval)." : ".");
  return cb__sl_push(out, &s);
}

/* Where it does not: on CPU work, the loop's speedup against the best parallel backend's, at the
 * highest concurrency the loop ran there with the baseline. */
static int head_cpu(const cb__report *R, cb__slist *out) {
  const cb__group *g = NULL;
  for (int pass = 0; pass < 2 && !g; pass++)
    for (size_t k = 0; k < R->ng && !g; k++)
      if (pass ? cb__group_is_cpu(&R->g[k]) : R->g[k].kind == CB_KIND_CPU) g = &R->g[k];
  if (!g) return 0;
  const cb_rcase *u = NULL, *best = NULL;
  for (size_t i = 0; i < g->n; i++)
    if (is_loop_case(R, g->c[i]) && isfinite(cb__speedup(g, g->c[i])) && (!u || g->c[i]->conc > u->conc)) u = g->c[i];
  if (!u) return 0;
  for (size_t i = 0; i < g->n; i++) {
    const cb_rcase *c = g->c[i];
    if (c->conc == u->conc && cb__is_rival(c->be) && isfinite(cb__speedup(g, c)) &&
        (!best || cb__speedup(g, c) > cb__speedup(g, best)))
      best = c;
  }
  const cb_rcase *base = cb__gbase(g, u->conc);
  char xs[160], bs[160], mid[64];
  snprintf(mid, sizeof mid, " as fast as %s", base->backend);
  int rc = cb__ratio_text(R, base, u, mid, xs, sizeof xs);
  if (rc <= 0) return rc;
  cb_sbuf s = { 0 };
  cb_sb_printf(&s, "Where it does not: on %s (CPU work) at c=%u, %s ran %s", g->label, u->conc, u->backend, xs);
  if (best && (rc = cb__ratio_text(R, base, best, "", bs, sizeof bs)) > 0)
    cb_sb_printf(&s, ", while %s, the fastest parallel backend there, ran %s", best->backend, bs);
  if (rc < 0) {
    cb_sb_free(&s);
    return rc;
  }
  cb_sb_puts(&s, ".");
  return cb__sl_push(out, &s);
}

/* Memory per task, which can come out below zero when the repetitions scatter. */
static void fmt_kib_signed(double kib, char *buf, size_t len) {
  char v[24];
  cb__fmt_kib(fabs(kib), v, sizeof v);
  snprintf(buf, len, "%s%s", kib < 0 ? "-" : "", v);
}

/* One backend's cost per task in flight between cases a and z, with the range its repetitions
 * allow: 1 when written, 0 when the figures are missing. */
static int cost_of(const cb_rcase *a, const cb_rcase *z, cb_sbuf *s) {
  double d = cb__in_flight(z) - cb__in_flight(a), alo, ahi, zlo, zhi;
  char v[32], r0[32], r1[32];
  if (!(a->peak_rss_kib > 0) || !(z->peak_rss_kib > 0) || !(d > 0)) return 0;
  fmt_kib_signed((z->peak_rss_kib - a->peak_rss_kib) / d, v, sizeof v);
  cb_sb_printf(s, "%s on %s", v, z->backend);
  if (rep_range(a, "peak_rss_kib", &alo, &ahi) >= 2 && rep_range(z, "peak_rss_kib", &zlo, &zhi) >= 2) {
    fmt_kib_signed((zlo - ahi) / d, r0, sizeof r0);
    fmt_kib_signed((zhi - alo) / d, r1, sizeof r1);
    cb_sb_printf(s, " (%s to %s)", r0, r1);
  } else {
    cb_sb_puts(s, " (no range: one repetition)");
  }
  return 1;
}

/* What one more task in flight costs in peak memory, from the lowest to the highest concurrency
 * of the first IO group the loop ran at two: the loop against the parallel backends, each with
 * the range its repetitions allow. */
static int head_cost(const cb__report *R, cb__slist *out) {
  for (size_t k = 0; k < R->ng; k++) {
    const cb__group *g = &R->g[k];
    uint32_t lo = UINT32_MAX, hi = 0;
    if (!cb__group_is_io(g)) continue;
    for (size_t i = 0; i < g->n; i++)
      if (is_loop_case(R, g->c[i]) && g->c[i]->peak_rss_kib > 0) {
        if (g->c[i]->conc < lo) lo = g->c[i]->conc;
        if (g->c[i]->conc > hi) hi = g->c[i]->conc;
      }
    if (hi <= lo) continue;
    cb__slist items = { 0 };
    int rc = 0;
    /* The loop first, then its rivals. */
    for (size_t b = 0; b < 2 * R->nbe && rc >= 0; b++) {
      const cb_rbackend *be = cb__report_be(R, b % R->nbe);
      if (!be || (b < R->nbe ? be != R->loop : !cb__is_rival(be))) continue;
      const cb_rcase *a = cb__gfind(g, be->name, lo), *z = cb__gfind(g, be->name, hi);
      cb_sbuf it = { 0 };
      if (a && z && cost_of(a, z, &it)) rc = cb__sl_push(&items, &it);
    }
    if (rc >= 0 && items.n >= 2) {
      cb_sbuf s = { 0 };
      cb_sb_puts(&s, "Each task in flight costs ");
      cb__sb_join(&s, (const char *const *)items.v, items.n);
      cb_sb_printf(&s, ": peak memory on %s from c=%u to c=%u, per extra task, with the range its repetitions allow "
                   "(memory gets no confidence interval).", g->label, lo, hi);
      rc = cb__sl_push(out, &s);
    }
    cb__sl_free(&items);
    if (rc != 0) return rc;
  }
  return 0;
}

/* How far the run can be trusted: how well the repetitions agree (the median CV, with its
 * interval over the cases), how tight the medians' intervals are, and the cases flagged. */
static int head_trust(const cb__report *R, cb__slist *out) {
  const cb_results *r = R->r;
  double *cv = calloc(r->n ? r->n : 1, sizeof *cv);
  size_t ncv = 0, nci = 0, in2 = 0, in5 = 0, flagged = 0, nf = 0, fcount[16] = { 0 };
  char fname[16][32];
  if (!cv) return -ENOMEM;
  for (size_t i = 0; i < r->n; i++) {
    const cb_rcase *c = &r->cases[i];
    if (c->skipped[0]) continue;
    if (c->reps >= 2 && isfinite(c->wall_cv)) cv[ncv++] = c->wall_cv;
    if (c->reps >= 2 && c->wall_median > 0 && isfinite(c->ci_lo) && isfinite(c->ci_hi)) {
      double w = fmax(c->wall_median - c->ci_lo, c->ci_hi - c->wall_median) / c->wall_median;
      nci++;
      in2 += w <= 0.02;
      in5 += w <= 0.05;
    }
    flagged += c->flags[0] != '\0';
    char copy[sizeof c->flags], *save = NULL;
    snprintf(copy, sizeof copy, "%s", c->flags);
    for (char *t = strtok_r(copy, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
      size_t k = 0;
      while (k < nf && strcmp(fname[k], t) != 0) k++;
      if (k == nf && nf < 16) snprintf(fname[nf++], sizeof fname[0], "%s", t);
      if (k < nf) fcount[k]++;
    }
  }
  if (!ncv || !nci) {
    free(cv);
    return 0;
  }
  double lo, hi, med = cb_median(cv, ncv);
  cb_bootstrap_median_ci(cv, ncv, REPORT_CI_LEVEL, REPORT_RESAMPLES, R->seed, &lo, &hi);
  free(cv);
  cb_sbuf s = { 0 };
  cb_sb_printf(&s, "How far to trust it: the repetitions agree to a median CV of %.1f%% over %zu cases (95%% CI "
               "%.1f%%–%.1f%%); the 95%% CI of the median wall time is within ±2%% of it for %zu of %zu cases (%.0f%%) "
               "and within ±5%% for %zu (%.0f%%)", med * 100, ncv, lo * 100, hi * 100, in2, nci,
               100.0 * (double)in2 / (double)nci, in5, 100.0 * (double)in5 / (double)nci);
  if (!flagged) cb_sb_puts(&s, "; no case is flagged.");
  else {
    cb_sb_printf(&s, "; %zu case%s carr%s a flag (", flagged, flagged == 1 ? "" : "s", flagged == 1 ? "ies" : "y");
    for (size_t k = 0; k < nf; k++) cb_sb_printf(&s, "%s%s on %zu", k ? ", " : "", fname[k], fcount[k]);
    cb_sb_puts(&s, "), explained under All findings.");
  }
  return cb__sl_push(out, &s);
}

int cb__headline(const cb__report *R, cb__slist *out) {
  static int (*const heads[])(const cb__report *, cb__slist *) = { head_io, head_cpu, cb__headline_crossover,
                                                                   head_cost, cb__headline_server, head_trust };
  for (size_t k = 0; k < sizeof heads / sizeof heads[0]; k++)
    if (heads[k](R, out) < 0) return -ENOMEM;
  return 0;
}
