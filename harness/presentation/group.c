/* group.c: the run grouped for the report: one group per workload and parameters, its kind, its sweep value, its baseline rows and speedups. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "backend.h"
#include "compare.h"
#include "presentation_int.h"
#include "strmap.h"

int cb__has_flag(const char *flags, const char *f) {
  size_t fl = strlen(f);
  for (const char *p = flags; (p = strstr(p, f)); p++)
    if ((p == flags || p[-1] == ';') && (p[fl] == ';' || p[fl] == '\0')) return 1;
  return 0;
}

int cb__same_value(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* Whether parameter name takes more than one value over the cases of workload wl. */
static int param_varies(const cb_results *r, const char *wl, const char *name) {
  int seen = 0;
  double first = NAN;
  for (size_t i = 0; i < r->n; i++) {
    if (strcmp(r->cases[i].workload, wl) != 0) continue;
    double v = cb_rcase_param(&r->cases[i], name);
    if (!seen) {
      first = v;
      seen = 1;
    } else if (!cb__same_value(v, first)) {
      return 1;
    }
  }
  return 0;
}

/* A mixed workload at one end of its sweep axis is all waiting (1) or all computing (0). */
int cb__group_is_io(const cb__group *g) {
  if (cb__group_serves(g)) return 0;   /* its wall time is the load's schedule, the same for all */
  return g->kind == CB_KIND_IO || (g->kind == CB_KIND_MIXED && g->sweep == 1);
}

int cb__group_is_cpu(const cb__group *g) {
  return g->kind == CB_KIND_CPU || (g->kind == CB_KIND_MIXED && g->sweep == 0);
}

/* param_varies, once per workload and parameter: groups times cases was quadratic in a file of
 * thousands of groups. Keys "workload\037name" malloc'ed, answers in ans[value]. */
typedef struct varies_cache {
  cb_strmap map;
  char **keys;
  int *ans;
  size_t n, cap;
} varies_cache;

static int varies_cached(varies_cache *vc, const cb_results *r, const char *wl, const char *name) {
  char key[128];
  snprintf(key, sizeof key, "%s\037%s", wl, name);
  long i = cb_strmap_get(&vc->map, key);
  if (i >= 0) return vc->ans[i];
  int v = param_varies(r, wl, name);
  if (vc->n == vc->cap) {
    size_t cap = vc->cap ? 2 * vc->cap : 16;
    char **k = realloc(vc->keys, cap * sizeof *k);
    if (k) vc->keys = k;
    int *a = realloc(vc->ans, cap * sizeof *a);
    if (a) vc->ans = a;
    if (!k || !a) return v;   /* no room to remember: answered all the same */
    vc->cap = cap;
  }
  if (!(vc->keys[vc->n] = strdup(key))) return v;
  vc->ans[vc->n] = v;
  if (cb_strmap_put(&vc->map, vc->keys[vc->n], vc->n) != 0) {
    free(vc->keys[vc->n]);
    return v;
  }
  vc->n++;
  return v;
}

static void varies_free(varies_cache *vc) {
  for (size_t i = 0; i < vc->n; i++) free(vc->keys[i]);
  free(vc->keys);
  free(vc->ans);
  cb_strmap_free(&vc->map);
}

static void group_names(const cb_results *r, cb__group *g, varies_cache *vc) {
  const cb_rcase *c = g->c[0];
  size_t lo = 0, fo = 0, ro = 0;
  int nl = 0, nf = 0;
  lo = (size_t)snprintf(g->label, sizeof g->label, "%s", g->wl);
  fo = (size_t)snprintf(g->family, sizeof g->family, "%s", g->wl);
  for (unsigned k = 0; k < c->nparams; k++) {
    const cb_rparam *p = &c->params[k];
    int fr = g->w->sweep[0] && strcmp(p->name, g->w->sweep) == 0;
    if (!fr && ro < sizeof g->rest)
      ro += (size_t)snprintf(g->rest + ro, sizeof g->rest - ro, "%s=%.17g;", p->name, p->value);
    if (!varies_cached(vc, r, g->wl, p->name)) continue;
    if (lo < sizeof g->label)
      lo += (size_t)snprintf(g->label + lo, sizeof g->label - lo, "%s%s=%g", nl++ ? ", " : " (", p->name, p->value);
    if (!fr && fo < sizeof g->family)
      fo += (size_t)snprintf(g->family + fo, sizeof g->family - fo, "%s%s=%g", nf++ ? ", " : " (", p->name, p->value);
  }
  if (nl && lo < sizeof g->label) snprintf(g->label + lo, sizeof g->label - lo, ")");
  if (nf && fo < sizeof g->family) snprintf(g->family + fo, sizeof g->family - fo, ")");
}

static int add_name(const char ***v, size_t *n, const char *s) {
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*v)[i], s) == 0) return 0;
  const char **nv = realloc(*v, (*n + 1) * sizeof *nv);
  if (!nv) return -ENOMEM;
  nv[(*n)++] = s;
  *v = nv;
  return 0;
}

static int add_case(cb__group *g, const cb_rcase *c) {
  if (g->n == g->cap) {
    size_t cap = g->cap ? 2 * g->cap : 8;
    const cb_rcase **nc = realloc(g->c, cap * sizeof *nc);
    if (!nc) return -ENOMEM;
    g->c = nc;
    g->cap = cap;
  }
  g->c[g->n++] = c;
  return 0;
}

int cb__report_group(cb__report *R) {
  const cb_results *r = R->r;
  const cJSON *seed = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->root, "method"), "seed");
  R->seed = cJSON_IsNumber(seed) && seed->valuedouble >= 0 && seed->valuedouble < 1.8e19 ? (uint64_t)seed->valuedouble : 1;
  R->base = cb__baseline_of(r);
  R->loop = cb__loop_of(r);
  cb__latmode lm = CB__LATMODE_INIT;
  for (size_t i = 0; i < r->n; i++) cb__latmode_add(&lm, &r->cases[i]);
  R->lat_mode = cb__latmode_of(&lm);
  cb_strmap gmap = { 0 };
  varies_cache vc = { 0 };
  char **gkeys = NULL;
  size_t gcap = 0;
  int rc = -ENOMEM;
  for (size_t i = 0; i < r->n; i++) {
    const cb_rcase *c = &r->cases[i];
    if (c->skipped[0]) {
      const cb_rcase **ns = realloc(R->skip, (R->nskip + 1) * sizeof *ns);
      if (!ns) goto oom;
      R->skip = ns;
      R->skip[R->nskip++] = c;
      continue;
    }
    if (add_name(&R->wls, &R->nwl, c->workload) || add_name(&R->bes, &R->nbe, c->backend)) goto oom;
    /* The group by its key, hashed: a scan of the groups was quadratic in files of many. */
    char key[sizeof c->workload + sizeof c->params_str + 2];
    snprintf(key, sizeof key, "%s\037%s", c->workload, c->params_str);
    long gi = cb_strmap_get(&gmap, key);
    cb__group *g = gi >= 0 ? &R->g[gi] : NULL;
    if (!g) {
      if (R->ng == gcap) {
        gcap = gcap ? 2 * gcap : 16;
        cb__group *ng = realloc(R->g, gcap * sizeof *ng);
        char **nk = realloc(gkeys, gcap * sizeof *nk);
        if (ng) R->g = ng;
        if (nk) gkeys = nk;
        if (!ng || !nk) goto oom;
      }
      if (!(gkeys[R->ng] = strdup(key))) goto oom;
      if (cb_strmap_put(&gmap, gkeys[R->ng], R->ng) != 0) {
        free(gkeys[R->ng]);
        goto oom;
      }
      g = &R->g[R->ng++];
      memset(g, 0, sizeof *g);
      g->wl = c->workload;
      g->w = c->wl;
      g->params = c->params_str;
      g->kind = c->wl->kind;
      g->sweep = cb__sweep_value(c);
    }
    if (add_case(g, c)) goto oom;
  }
  for (size_t k = 0; k < R->ng; k++) group_names(r, &R->g[k], &vc);
  rc = 0;
oom:
  for (size_t k = 0; k < R->ng && gkeys; k++) free(gkeys[k]);
  free(gkeys);
  cb_strmap_free(&gmap);
  varies_free(&vc);
  return rc;
}

void cb__report_free(cb__report *R) {
  for (size_t k = 0; k < R->ng; k++) free(R->g[k].c);
  free(R->g);
  free(R->wls);
  free(R->bes);
  free(R->skip);
}

const cb_rbackend *cb__report_be(const cb__report *R, size_t b) {
  return cb_results_backend(R->r, R->bes[b]);
}

const char *cb__base_name(const cb__report *R) {
  return R->base ? R->base->name : "the baseline";
}

const cb_rcase *cb__gfind(const cb__group *g, const char *backend, uint32_t conc) {
  const cb_rcase *any = NULL;
  for (size_t i = 0; i < g->n; i++) {
    if (strcmp(g->c[i]->backend, backend) != 0) continue;
    if (g->c[i]->conc == conc) return g->c[i];
    if (!any) any = g->c[i];
  }
  /* A serial backend runs one task at a time whatever the concurrency: a suite runs it once, and
   * its row stands for every concurrency of the group. */
  return any && (any->be->flags & CB_BACKEND_SERIAL) ? any : NULL;
}

const cb_rcase *cb__gbase(const cb__group *g, uint32_t conc) {
  for (size_t i = 0; i < g->n; i++)
    if (cb__is_baseline(g->c[i]->be)) return cb__gfind(g, g->c[i]->backend, conc);
  return NULL;
}

double cb__speedup(const cb__group *g, const cb_rcase *c) {
  return cb__rate_ratio(cb__gbase(g, c->conc), c);
}

double cb__rate_ratio(const cb_rcase *ref, const cb_rcase *c) {
  if (!ref || !c || !(ref->wall_median > 0) || !(c->wall_median > 0)) return NAN;
  if (ref->tasks == c->tasks) return ref->wall_median / c->wall_median;
  if (!ref->tasks || !c->tasks) return NAN;
  return ((double)c->tasks / c->wall_median) / ((double)ref->tasks / ref->wall_median);
}

/* cb_ratio_ci gives median(cur) / median(base): ref's (per-task) walls over c's. */
int cb__rate_ratio_ci(const cb_rcase *ref, const cb_rcase *c, uint64_t seed, double *x, double *lo, double *hi) {
  if (!ref || !c || !ref->reps || !c->reps || !ref->wall || !c->wall || !ref->tasks || !c->tasks) return -EINVAL;
  double *a = malloc(ref->reps * sizeof *a), *b = malloc(c->reps * sizeof *b);
  int rc = -ENOMEM;
  if (a && b) {
    /* Different task counts: each side's time per task, so the ratio is one of throughputs. */
    double sa = ref->tasks == c->tasks ? 1 : 1.0 / (double)ref->tasks, sb = ref->tasks == c->tasks ? 1 : 1.0 / (double)c->tasks;
    for (unsigned i = 0; i < ref->reps; i++) a[i] = ref->wall[i] * sa;
    for (unsigned i = 0; i < c->reps; i++) b[i] = c->wall[i] * sb;
    rc = cb_ratio_ci(b, c->reps, a, ref->reps, REPORT_CI_LEVEL, REPORT_RESAMPLES, seed, x, lo, hi);
  }
  free(a);
  free(b);
  return rc;
}

int cb__overlap(const cb_rcase *a, const cb_rcase *b) {
  if (!a || !b || !(a->ci_lo > 0) || !(b->ci_lo > 0) || !isfinite(a->ci_hi) || !isfinite(b->ci_hi) || !a->tasks ||
      !b->tasks)
    return 1;
  double ta = a->tasks == b->tasks ? 1 : (double)a->tasks, tb = a->tasks == b->tasks ? 1 : (double)b->tasks;
  return a->ci_lo / ta <= b->ci_hi / tb && b->ci_lo / tb <= a->ci_hi / ta;
}

unsigned cb__min_reps(const cb__report *R) {
  unsigned m = 0;
  for (size_t k = 0; k < R->ng; k++)
    for (size_t i = 0; i < R->g[k].n; i++)
      if (!m || R->g[k].c[i]->reps < m) m = R->g[k].c[i]->reps;
  return m;
}

/* A run never has more tasks in flight than its tasks or its workers. */
double cb__in_flight(const cb_rcase *c) {
  return (double)(c->tasks < c->eff_conc ? c->tasks : c->eff_conc);
}
