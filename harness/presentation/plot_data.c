/* plot_data.c: what the results hold, for the plots: names made safe, the backends in the run's order, the groups of cases, the baseline rows and speedups, and the data files. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "presentation_int.h"
#include "util.h"

int cb__fmt(char *out, size_t len, const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  int n = vsnprintf(out, len, f, ap);
  va_end(ap);
  return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A number for gnuplot: NaN (declared missing in common.gp) when there is none. */
void cb__sb_num(cb_sbuf *b, double v) {
  if (isfinite(v)) cb_sb_printf(b, " %.9g", v);
  else cb_sb_printf(b, " NaN");
}

/* Names from results.json end up in file names and in gnuplot strings: keep only what is safe
 * in both (no '/', no quotes, no backquotes, no '@' macros, no spaces), and the characters of
 * extra. */
void cb__safe_chars(char *dst, size_t len, const char *src, const char *extra) {
  size_t i = 0;
  for (; src[i] && i + 1 < len; i++) {
    char ch = src[i];
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '_' || ch == '-' || ch == '.' || (extra && strchr(extra, ch));
    dst[i] = ok ? ch : '_';
  }
  if (len) dst[i] = '\0';
}

void cb__safe_name(char *dst, size_t len, const char *src) {
  cb__safe_chars(dst, len, src, NULL);
}

int cb__plot_name_ok(const char *name, size_t n) {
  if (n == 0 || name[0] == '.') return 0;
  for (size_t i = 0; i < n; i++) {
    char ch = name[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
          ch == '.'))
      return 0;
  }
  return 1;
}

/* Free text for titles: as safe_name, with spaces and punctuation too; ';' becomes ','. */
void cb__safe_text(char *dst, size_t len, const char *src) {
  size_t i = 0;
  for (; src[i] && i + 1 < len; i++) {
    char ch = src[i];
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             strchr(" _-.,:=()+/%", ch) != NULL;
    dst[i] = ch == ';' ? ',' : ok ? ch : '_';
  }
  if (len) dst[i] = '\0';
}

int cb__write_data(cb__plotter *p, const char *file, cb_sbuf *b) {
  char path[PATH_MAX + PLOT_NAME];
  if (b->oom) {
    snprintf(p->err, p->errlen, "plot: out of memory");
    return -ENOMEM;
  }
  int rc = cb__fmt(path, sizeof path, "%s/%s", p->data, file);
  if (!rc) rc = cb_write_atomic(path, b->p ? b->p : "", b->len);
  if (rc) snprintf(p->err, p->errlen, "cannot write %s: %s", path, strerror(-rc));
  return rc;
}

/* ---- what the results hold -------------------------------------------------------------- */

static int backend_index(const cb__plotter *p, const char *name) {
  for (unsigned i = 0; i < p->nb; i++)
    if (strcmp(p->bnames[i], name) == 0) return (int)i;
  return -1;
}

static void add_backend(cb__plotter *p, const char *name, unsigned flags) {
  if (backend_index(p, name) >= 0 || p->nb == PLOT_MAX_BACKENDS) return;
  p->bnames[p->nb] = name;
  p->bflags[p->nb] = flags;
  cb__safe_name(p->backends[p->nb], sizeof p->backends[0], name);
  p->nb++;
}

/* In the order the run used them (results.json's "backends"), which keeps every plot's legend in
 * the order of the run's command line; a case's backend the file does not list comes last. */
void cb__collect_backends(cb__plotter *p) {
  for (size_t k = 0; k < p->r->nbackends; k++)
    for (size_t i = 0; i < p->r->n; i++)
      if (p->r->cases[i].be == &p->r->backends[k] && !p->r->cases[i].skipped[0]) {
        add_backend(p, p->r->cases[i].backend, p->r->backends[k].flags);
        break;
      }
  for (size_t i = 0; i < p->r->n; i++)
    if (!p->r->cases[i].skipped[0]) add_backend(p, p->r->cases[i].backend, p->r->cases[i].be->flags);
  for (unsigned i = 0; i < p->nb && !p->base; i++)
    if (p->bflags[i] & CB_BACKEND_BASELINE) p->base = p->bnames[i];
  if (!p->base) p->base = "the baseline";
}

int cb__in_group(const cb_rcase *c, const cb__pgroup *g) {
  return strcmp(c->workload, g->workload) == 0 && strcmp(c->params_str, g->params_str) == 0;
}

/* Does parameter k of c take other values in other groups of its workload? */
static int param_varies(const cb__plotter *p, const cb_rcase *c, unsigned k) {
  for (size_t i = 0; i < p->r->n; i++) {
    const cb_rcase *o = &p->r->cases[i];
    if (strcmp(o->workload, c->workload) != 0) continue;
    double v = cb_rcase_param(o, c->params[k].name);
    if (!(v == c->params[k].value)) return 1;
  }
  return 0;
}

/* Skipped cases (the machine could not run them) have nothing to plot: no group of their own. */
int cb__collect_groups(cb__plotter *p) {
  if (!(p->groups = calloc(p->r->n ? p->r->n : 1, sizeof *p->groups))) return -ENOMEM;
  for (size_t i = 0; i < p->r->n; i++) {
    const cb_rcase *c = &p->r->cases[i];
    cb__pgroup *g = NULL;
    if (c->skipped[0]) continue;
    for (size_t k = 0; k < p->ng && !g; k++)
      if (cb__in_group(c, &p->groups[k])) g = &p->groups[k];
    if (g) {
      if (c->conc > g->cmax) g->cmax = c->conc;
      continue;
    }
    g = &p->groups[p->ng++];
    g->workload = c->workload;
    g->wl = c->wl;
    g->params_str = c->params_str;
    g->cmax = c->conc;
    char wl[64], suffix[PLOT_NAME] = "", item[96], val[48];
    size_t so = 0, vo = 0;
    cb__safe_name(wl, sizeof wl, c->workload);
    for (unsigned k = 0; k < c->nparams; k++) {
      if (!param_varies(p, c, k)) continue;
      snprintf(val, sizeof val, "%g", c->params[k].value);
      snprintf(item, sizeof item, "%s-%s", c->params[k].name, val);
      cb__safe_name(item, sizeof item, item);
      so += (size_t)snprintf(suffix + so, so < sizeof suffix ? sizeof suffix - so : 0, "_%s", item);
      snprintf(item, sizeof item, "%s=%s", c->params[k].name, val);
      cb__safe_text(item, sizeof item, item);
      vo += (size_t)snprintf(g->varying + vo, vo < sizeof g->varying ? sizeof g->varying - vo : 0, "%s%s", vo ? ", " : "", item);
      if (so >= sizeof suffix || vo >= sizeof g->varying) break;
    }
    snprintf(g->name, sizeof g->name, "%s%.*s", wl, (int)(sizeof g->name - 1 - strlen(wl)), suffix);
    if (g->varying[0]) snprintf(g->label, sizeof g->label, "%s (%.*s)", wl, (int)(sizeof g->label - 4 - strlen(wl)), g->varying);
    else snprintf(g->label, sizeof g->label, "%s", wl);
    /* Names must stay apart even when making them safe merged two. */
    for (size_t k = 0; k + 1 < p->ng; k++)
      if (strcmp(p->groups[k].name, g->name) == 0) {
        char base[PLOT_NAME];
        snprintf(base, sizeof base, "%.*s", PLOT_NAME - 24, g->name);
        snprintf(g->name, sizeof g->name, "%.*s_%zu", PLOT_NAME - 24, base, p->ng);
        break;
      }
  }
  return 0;
}

/* The cases of group g on backend b, by increasing concurrency, into p->sel. */
size_t cb__group_cases(cb__plotter *p, const cb__pgroup *g, const char *b) {
  size_t n = 0;
  for (size_t i = 0; i < p->r->n; i++) {
    const cb_rcase *c = &p->r->cases[i];
    if (!cb__in_group(c, g) || strcmp(c->backend, b) != 0 || c->skipped[0]) continue;
    size_t j = n++;
    while (j > 0 && p->sel[j - 1]->conc > c->conc) { p->sel[j] = p->sel[j - 1]; j--; }
    p->sel[j] = c;
  }
  return n;
}

/* For subtitles: "tasks=100; reps=3; params='delay_ms=10, bytes=1024'" (tasks or reps 0 when
 * the group's cases differ in them). */
void cb__describe(const cb__plotter *p, const cb__pgroup *g, char *out, size_t len) {
  uint64_t tasks = 0;
  unsigned reps = 0;
  int same_tasks = 1, same_reps = 1;
  char params[256];
  size_t o = 0;
  for (size_t i = 0; i < p->r->n; i++) {
    const cb_rcase *c = &p->r->cases[i];
    if (!cb__in_group(c, g) || c->skipped[0]) continue;
    if (tasks && c->tasks != tasks) same_tasks = 0;
    if (reps && c->reps != reps) same_reps = 0;
    tasks = c->tasks;
    reps = c->reps;
  }
  /* "a=1;b=2" reads better as "a=1, b=2". */
  for (const char *ps = g->params_str; *ps && o + 3 < sizeof params; ps++) {
    if (*ps == ';') { params[o++] = ','; params[o++] = ' '; }
    else params[o++] = *ps;
  }
  params[o] = '\0';
  cb__safe_text(params, sizeof params, params);
  snprintf(out, len, "tasks=%llu; reps=%u; params='%s'", same_tasks ? (unsigned long long)tasks : 0ULL,
           same_reps ? reps : 0, params);
}

/* ---- speedup over the baseline ---------------------------------------------------------- */

/* The baseline's row of a workload and parameters, whatever its tasks: at conc if there is one,
 * else, for a serial baseline (sync runs one task at a time whatever it is asked; a suite runs it
 * once per group), at any concurrency. */
const cb_rcase *cb__base_at(const cb__plotter *p, const char *workload, const char *params, uint32_t conc) {
  const cb_rcase *any = NULL;
  for (size_t i = 0; i < p->r->n; i++) {
    const cb_rcase *c = &p->r->cases[i];
    if (!(c->be->flags & CB_BACKEND_BASELINE) || c->skipped[0] || strcmp(c->workload, workload) != 0 ||
        strcmp(c->params_str, params) != 0)
      continue;
    if (c->conc == conc) return c;
    if (!any && (c->be->flags & CB_BACKEND_SERIAL)) any = c;
  }
  return any;
}

/* The highest concurrency another backend ran group g at, when the baseline ran it too; or 0. */
uint32_t cb__speedup_conc(const cb__plotter *p, const cb__pgroup *g) {
  uint32_t best = 0;
  for (size_t j = 0; j < p->r->n; j++) {
    const cb_rcase *o = &p->r->cases[j], *s;
    if (!cb__in_group(o, g) || (o->be->flags & CB_BACKEND_BASELINE) || !(o->wall_median > 0) || o->conc <= best)
      continue;
    if ((s = cb__base_at(p, g->workload, g->params_str, o->conc)) && s->wall_median > 0) best = o->conc;
  }
  return best;
}

double cb__speedup_of(const cb__plotter *p, const cb__pgroup *g, const char *backend, uint32_t conc,
                      double *base, double *med) {
  const cb_rcase *s = cb__base_at(p, g->workload, g->params_str, conc);
  const cb_rcase *c = cb_results_find(p->r, g->workload, backend, g->params_str, conc);
  if (!s || !c || !(s->wall_median > 0) || !(c->wall_median > 0)) return NAN;
  *base = s->wall_median;
  *med = c->wall_median;
  return cb__rate_ratio(s, c);
}

