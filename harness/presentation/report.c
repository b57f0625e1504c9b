/* report.c: `concbench report DIR`: findings computed from a run's results, the table, the plots and the environment, as DIR/report.md and a self-contained DIR/report.html. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include "backend.h"
#include "registry.h"
#include "report.h"
#include "resread.h"
#include "util.h"
#include "sbuf.h"

#define NEAR_IDEAL 0.95          /* efficiency within 5% of the ideal */
#define MEM_DIFF 1.5             /* memory ratios closer than this are not worth a sentence */
#define BEAT_MARGIN 1.05         /* "beats" means more than 5% faster: medians jitter by that */
#define MAX_PLOT_BYTES (32u << 20)
#define NCOL 14

/* ---- growing strings ---------------------------------------------------------------------- */

/* Text from the data, made safe for HTML text and attribute values. */
static void sb_html(cb_sbuf *b, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': cb_sb_puts(b, "&amp;"); break;
    case '<': cb_sb_puts(b, "&lt;"); break;
    case '>': cb_sb_puts(b, "&gt;"); break;
    case '"': cb_sb_puts(b, "&quot;"); break;
    case '\'': cb_sb_puts(b, "&#39;"); break;
    default: cb_sb_put(b, s, 1);
    }
  }
}

/* Text from the data in markdown: the characters that would start markup or end a table cell
 * are escaped; a newline would end the line, so it becomes a space. Intraword underscores are
 * left alone (CommonMark does not emphasise them), so io_fraction stays readable. */
static void sb_md(cb_sbuf *b, const char *s) {
  for (; *s; s++) {
    if (*s == '\n' || *s == '\r') cb_sb_put(b, " ", 1);
    else {
      if (strchr("\\`*[]<|", *s)) cb_sb_put(b, "\\", 1);
      cb_sb_put(b, s, 1);
    }
  }
}

static void sb_base64(cb_sbuf *b, const unsigned char *d, size_t n) {
  static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char q[4];
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) | (i + 2 < n ? d[i + 2] : 0);
    q[0] = tbl[v >> 18 & 63];
    q[1] = tbl[v >> 12 & 63];
    q[2] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
    q[3] = i + 2 < n ? tbl[v & 63] : '=';
    cb_sb_put(b, q, 4);
  }
}

/* "a", "a and b", "a, b and c". */
static void sb_join(cb_sbuf *b, const char *const *items, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (i) cb_sb_puts(b, i + 1 == n ? " and " : ", ");
    cb_sb_puts(b, items[i]);
  }
}

/* ---- sentences ---------------------------------------------------------------------------- */

typedef struct slist {
  char **v;
  size_t n, cap;
} slist;

/* Takes s's text. 1 (a sentence written) or -ENOMEM. */
static int sl_push(slist *l, cb_sbuf *s) {
  if (s->oom || !s->p) {
    cb_sb_free(s);
    return -ENOMEM;
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    char **v = realloc(l->v, cap * sizeof *v);
    if (!v) {
      cb_sb_free(s);
      return -ENOMEM;
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = s->p;
  memset(s, 0, sizeof *s);
  return 1;
}

static void sl_free(slist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

/* ---- numbers for people ------------------------------------------------------------------- */

/* A ratio as "47×", "1.9×", "0.98×". */
static void fmt_x(double x, char *buf, size_t len) {
  if (!isfinite(x)) snprintf(buf, len, "–");
  else if (x >= 9.95) snprintf(buf, len, "%.0f×", x);
  else if (x >= 1) snprintf(buf, len, "%.1f×", x);
  else snprintf(buf, len, "%.2f×", x);
}

/* One memory figure against another (r = mine / theirs), ready for "… the memory of X":
 * "a ninth of", "1/14 of", "59% of", "2.3×". */
static void fmt_share(double r, char *buf, size_t len) {
  static const char *const words[] = { NULL, NULL, "half", "a third", "a quarter", "a fifth",
                                       "a sixth", "a seventh", "an eighth", "a ninth", "a tenth" };
  if (r > 1) {
    fmt_x(r, buf, len);
    return;
  }
  double inv = 1 / r;
  long n = lround(inv);
  if (n >= 2 && n <= 10 && fabs(inv - (double)n) <= 0.1 * (double)n) snprintf(buf, len, "%s of", words[n]);
  else if (n > 10) snprintf(buf, len, "1/%ld of", n);
  else snprintf(buf, len, "%.0f%% of", r * 100);
}

static void fmt_secs(double s, char *buf, size_t len) {
  if (!isfinite(s)) snprintf(buf, len, "–");
  else if (s < 0.001) snprintf(buf, len, "%.0f µs", s * 1e6);
  else if (s < 0.01) snprintf(buf, len, "%.2f ms", s * 1e3);
  else if (s < 0.1) snprintf(buf, len, "%.1f ms", s * 1e3);
  else if (s < 1) snprintf(buf, len, "%.0f ms", s * 1e3);
  else if (s < 10) snprintf(buf, len, "%.3f s", s);
  else snprintf(buf, len, "%.1f s", s);
}

static void fmt_kib(double kib, char *buf, size_t len) {
  if (kib < 10) snprintf(buf, len, "%.1f KiB", kib);
  else if (kib < 1024) snprintf(buf, len, "%.0f KiB", kib);
  else if (kib < 10 * 1024) snprintf(buf, len, "%.1f MiB", kib / 1024);
  else if (kib < 1024 * 1024) snprintf(buf, len, "%.0f MiB", kib / 1024);
  else snprintf(buf, len, "%.1f GiB", kib / (1024 * 1024));
}

static void fmt_ms(double ms, char *buf, size_t len) {
  if (!isfinite(ms)) snprintf(buf, len, "–");
  else if (ms < 1) snprintf(buf, len, "%.3f", ms);
  else if (ms < 10) snprintf(buf, len, "%.2f", ms);
  else snprintf(buf, len, "%.1f", ms);
}

/* "half of each task", for the share of a mixed task spent computing. */
static void fmt_compute_share(double share, char *buf, size_t len) {
  static const struct { double v; const char *w; } names[] = {
    { 1, "all" }, { 0.5, "half" }, { 0.25, "a quarter" }, { 0.75, "three quarters" },
    { 0.1, "a tenth" }, { 0.9, "nine tenths" },
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (fabs(share - names[i].v) < 1e-9) {
      snprintf(buf, len, "%s of each task", names[i].w);
      return;
    }
  snprintf(buf, len, "%.0f%% of each task", share * 100);
}

/* ---- the run, grouped ----------------------------------------------------------------------- */

enum { K_OTHER = -1 };

typedef struct group {
  const char *wl, *params;
  char label[200];       /* "http", or "sleep (delay_ms=20)" when the workload's parameters vary */
  char family[200];      /* the label without io_fraction: mixed groups compared across it */
  char rest[256];        /* the parameters without io_fraction, to find a group's family */
  int kind;              /* cb_kind, or K_OTHER */
  double io_fraction;    /* NAN when the workload has none */
  const cb_rcase **c;
  size_t n, cap;
} group;

typedef struct report {
  const cb_results *r;
  const char *dir;       /* as the user named it, for the hint when plots are missing */
  group *g;
  size_t ng;
  const char **wls, **bes;   /* workloads and backends, in order of first appearance */
  size_t nwl, nbe;
} report;

static int is_sync(const cb_rcase *c) { return strcmp(c->backend, "sync") == 0; }

static int has_flag(const char *flags, const char *f) {
  size_t fl = strlen(f);
  for (const char *p = flags; (p = strstr(p, f)); p++)
    if ((p == flags || p[-1] == ';') && (p[fl] == ';' || p[fl] == '\0')) return 1;
  return 0;
}

/* The workloads the brief names by kind, then the registry for any other; K_OTHER if unknown. */
static int workload_kind(const char *name) {
  static const char *const io[] = { "sleep", "http", "crawl", "file", "queue" };
  for (size_t i = 0; i < sizeof io / sizeof io[0]; i++)
    if (strcmp(name, io[i]) == 0) return CB_KIND_IO;
  if (strcmp(name, "cpu") == 0) return CB_KIND_CPU;
  if (strcmp(name, "mixed") == 0) return CB_KIND_MIXED;
  const cb_workload *w = cb_workload_find(name);
  return w ? (int)w->kind : K_OTHER;
}

static int same_value(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

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
    } else if (!same_value(v, first)) {
      return 1;
    }
  }
  return 0;
}

static int is_io(const group *g) {
  return g->kind == CB_KIND_IO || (g->kind == CB_KIND_MIXED && g->io_fraction == 1);
}

static int is_cpu(const group *g) {
  return g->kind == CB_KIND_CPU || (g->kind == CB_KIND_MIXED && g->io_fraction == 0);
}

static void group_names(const cb_results *r, group *g) {
  const cb_rcase *c = g->c[0];
  size_t lo = 0, fo = 0, ro = 0;
  int nl = 0, nf = 0;
  lo = (size_t)snprintf(g->label, sizeof g->label, "%s", g->wl);
  fo = (size_t)snprintf(g->family, sizeof g->family, "%s", g->wl);
  for (unsigned k = 0; k < c->nparams; k++) {
    const cb_rparam *p = &c->params[k];
    int fr = strcmp(p->name, "io_fraction") == 0;
    if (!fr && ro < sizeof g->rest)
      ro += (size_t)snprintf(g->rest + ro, sizeof g->rest - ro, "%s=%.17g;", p->name, p->value);
    if (!param_varies(r, g->wl, p->name)) continue;
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

static int report_group(report *R) {
  const cb_results *r = R->r;
  for (size_t i = 0; i < r->n; i++) {
    const cb_rcase *c = &r->cases[i];
    if (add_name(&R->wls, &R->nwl, c->workload) || add_name(&R->bes, &R->nbe, c->backend)) return -ENOMEM;
    group *g = NULL;
    for (size_t k = 0; k < R->ng && !g; k++)
      if (strcmp(R->g[k].wl, c->workload) == 0 && strcmp(R->g[k].params, c->params_str) == 0) g = &R->g[k];
    if (!g) {
      group *ng = realloc(R->g, (R->ng + 1) * sizeof *ng);
      if (!ng) return -ENOMEM;
      R->g = ng;
      g = &R->g[R->ng++];
      memset(g, 0, sizeof *g);
      g->wl = c->workload;
      g->params = c->params_str;
      g->kind = workload_kind(c->workload);
      g->io_fraction = cb_rcase_param(c, "io_fraction");
    }
    if (g->n == g->cap) {
      size_t cap = g->cap ? 2 * g->cap : 8;
      const cb_rcase **nc = realloc(g->c, cap * sizeof *nc);
      if (!nc) return -ENOMEM;
      g->c = nc;
      g->cap = cap;
    }
    g->c[g->n++] = c;
  }
  for (size_t k = 0; k < R->ng; k++) group_names(r, &R->g[k]);
  return 0;
}

static void report_free(report *R) {
  for (size_t k = 0; k < R->ng; k++) free(R->g[k].c);
  free(R->g);
  free(R->wls);
  free(R->bes);
}

static const cb_rcase *gfind(const group *g, const char *backend, uint32_t conc) {
  const cb_rcase *any = NULL;
  for (size_t i = 0; i < g->n; i++) {
    if (strcmp(g->c[i]->backend, backend) != 0) continue;
    if (g->c[i]->conc == conc) return g->c[i];
    if (!any) any = g->c[i];
  }
  /* sync runs one task at a time whatever the concurrency: a suite runs it once, and its row
   * stands for every concurrency of the group. */
  return strcmp(backend, "sync") == 0 ? any : NULL;
}

/* sync's median over c's at the same concurrency, or NAN. */
static double speedup(const group *g, const cb_rcase *c) {
  const cb_rcase *s = gfind(g, "sync", c->conc);
  if (!s || !(s->wall_median > 0) || !(c->wall_median > 0)) return NAN;
  return s->wall_median / c->wall_median;
}

/* Tasks that can be in flight at once: a run never has more than its tasks or its workers. */
static double in_flight(const cb_rcase *c) {
  return (double)(c->tasks < c->eff_conc ? c->tasks : c->eff_conc);
}

/* ---- findings: one function per kind, each returns 1 when it wrote (or more sentences), 0 when
 * the data lacks what it needs, or -ENOMEM ------------------------------------------------------ */

/* IO: the fastest backend against sync at the highest concurrency both ran, and its memory
 * against the other concurrent backends there. */
static int rule_io_speedup(const report *R, const group *g, slist *out) {
  (void)R;
  if (!is_io(g)) return 0;
  uint32_t C = 0;
  for (size_t i = 0; i < g->n; i++)
    if (!is_sync(g->c[i]) && isfinite(speedup(g, g->c[i])) && g->c[i]->conc > C) C = g->c[i]->conc;
  if (!C) return 0;
  const cb_rcase *sync = gfind(g, "sync", C), *fast = NULL;
  for (size_t i = 0; i < g->n; i++) {
    const cb_rcase *c = g->c[i];
    if (c->conc == C && !is_sync(c) && c->wall_median > 0 && (!fast || c->wall_median < fast->wall_median)) fast = c;
  }
  double x = sync->wall_median / fast->wall_median;
  char xs[32], tf[32], ts[32], share[32];
  cb_sbuf s = { 0 };
  fmt_secs(fast->wall_median, tf, sizeof tf);
  fmt_secs(sync->wall_median, ts, sizeof ts);
  if (x >= 1) {
    fmt_x(x, xs, sizeof xs);
    cb_sb_printf(&s, "On %s at c=%u, %s finished %s faster than sync (%s against %s", g->label, C, fast->backend, xs, tf, ts);
    /* The others' speedups beside it, so a close second is not mistaken for a rout. */
    for (size_t i = 0, k = 0; i < g->n; i++) {
      const cb_rcase *c = g->c[i];
      if (c == fast || c->conc != C || is_sync(c) || !(c->wall_median > 0)) continue;
      fmt_x(sync->wall_median / c->wall_median, xs, sizeof xs);
      cb_sb_printf(&s, "%s%s %s", k++ ? ", " : "; ", c->backend, xs);
    }
    cb_sb_puts(&s, ")");
  } else {
    fmt_x(1 / x, xs, sizeof xs);
    cb_sb_printf(&s, "On %s at c=%u, no backend beat sync: the fastest, %s, took %s sync's time (%s against %s)",
              g->label, C, fast->backend, xs, tf, ts);
  }
  int k = 0;
  for (size_t i = 0; i < g->n; i++) {
    const cb_rcase *c = g->c[i];
    if (c == fast || c->conc != C || is_sync(c) || !(c->peak_rss_kib > 0) || !(fast->peak_rss_kib > 0)) continue;
    double r = fast->peak_rss_kib / c->peak_rss_kib;
    if (r < MEM_DIFF && r > 1 / MEM_DIFF) continue;
    fmt_share(r, share, sizeof share);
    cb_sb_printf(&s, "%s%s the memory of %s", k++ ? " and " : " and used ", share, c->backend);
  }
  cb_sb_puts(&s, ".");
  return sl_push(out, &s);
}

/* CPU: what each backend reaches against sync, said honestly when uv is not faster. */
static int rule_cpu(const report *R, const group *g, slist *out) {
  if (!is_cpu(g)) return 0;
  size_t nb = 0;
  double *best = calloc(R->nbe, sizeof *best);
  uint32_t *bestc = calloc(R->nbe, sizeof *bestc), maxc = 0;
  const char **name = calloc(R->nbe, sizeof *name);
  char (*xs)[32] = calloc(R->nbe, sizeof *xs);
  double uv = NAN, top = 0;
  int rc = -ENOMEM, load = 0;
  cb_sbuf s = { 0 };
  if (!best || !bestc || !name || !xs) goto cleanup;
  for (size_t i = 0; i < g->n; i++) {
    if (g->c[i]->conc > maxc) maxc = g->c[i]->conc;
    load |= has_flag(g->c[i]->flags, "load");
  }
  for (size_t b = 0; b < R->nbe; b++) {
    double bx = NAN;
    uint32_t bc = 0;
    if (strcmp(R->bes[b], "sync") == 0) continue;
    for (size_t i = 0; i < g->n; i++) {
      if (strcmp(g->c[i]->backend, R->bes[b]) != 0) continue;
      double x = speedup(g, g->c[i]);
      if (isfinite(x) && (isnan(bx) || x > bx)) {
        bx = x;
        bc = g->c[i]->conc;
      }
    }
    if (isnan(bx)) continue;
    if (strcmp(R->bes[b], "uv") == 0) {
      uv = bx;
      continue;
    }
    name[nb] = R->bes[b];
    best[nb] = bx;
    bestc[nb] = bc;
    fmt_x(bx, xs[nb], sizeof xs[nb]);
    if (bx > top) top = bx;
    nb++;
  }
  rc = 0;
  if (isnan(uv) && !nb) goto cleanup;
  cb_sb_printf(&s, "On %s, ", g->label);
  if (!isnan(uv)) {
    char ux[32];
    fmt_x(uv, ux, sizeof ux);
    if (uv < 1.05) cb_sb_printf(&s, "uv gives no speedup (%s): it runs every task on one thread", ux);
    else if (uv < 1.15) cb_sb_printf(&s, "uv gives almost no speedup (%s): it runs every task on one thread", ux);
    else cb_sb_printf(&s, "uv reaches %s", ux);
    if (nb) cb_sb_puts(&s, "; ");
  }
  if (nb) {
    int same = 1;
    for (size_t i = 1; i < nb; i++) same &= strcmp(xs[i], xs[0]) == 0 && bestc[i] == bestc[0];
    if (nb == 1) {
      cb_sb_printf(&s, "%s reaches %s (c=%u)", name[0], xs[0], bestc[0]);
    } else if (same) {
      sb_join(&s, name, nb);
      cb_sb_printf(&s, " reach %s (c=%u)", xs[0], bestc[0]);
    } else {
      for (size_t i = 0; i < nb; i++)
        cb_sb_printf(&s, "%s%s%s %s (c=%u)", i == 0 ? "" : i + 1 == nb ? " and " : ", ", name[i],
                  i == 0 ? " reaches" : "", xs[i], bestc[i]);
    }
    uint32_t cores = R->r->cores;
    if (cores) cb_sb_printf(&s, " on %u cores", cores);
    uint32_t allow = cores < maxc ? cores : maxc;
    /* Falling well short of what the cores allow is itself a finding: say it, and why if known. */
    if (cores >= 2 && allow >= 2 && top < 0.75 * allow) {
      cb_sb_printf(&s, ", well short of the %u× that %u cores allow", allow, allow);
      if (load) cb_sb_puts(&s, ": other work was competing for the cores (flag load)");
    }
  }
  cb_sb_puts(&s, ".");
  rc = sl_push(out, &s);
cleanup:
  cb_sb_free(&s);
  free(best);
  free(bestc);
  free(name);
  free(xs);
  return rc;
}

/* The mixed groups of g's family (same workload and parameters but io_fraction), by io_fraction,
 * in a calloc'ed *out: 1, or 0 unless g is the first of its family in R (so each family is spoken
 * of once), or -ENOMEM. */
static int family_of(const report *R, const group *g, const group ***out, size_t *n) {
  *out = NULL;
  *n = 0;
  if (g->kind != CB_KIND_MIXED || isnan(g->io_fraction)) return 0;
  for (const group *h = R->g; h < g; h++)
    if (h->kind == CB_KIND_MIXED && !isnan(h->io_fraction) && strcmp(h->wl, g->wl) == 0 && strcmp(h->rest, g->rest) == 0)
      return 0;
  const group **f = calloc(R->ng, sizeof *f);
  if (!f) return -ENOMEM;
  for (size_t k = 0; k < R->ng; k++) {
    const group *h = &R->g[k];
    if (h->kind != CB_KIND_MIXED || isnan(h->io_fraction) || strcmp(h->wl, g->wl) || strcmp(h->rest, g->rest)) continue;
    size_t j = (*n)++;
    while (j > 0 && f[j - 1]->io_fraction > h->io_fraction) {
      f[j] = f[j - 1];
      j--;
    }
    f[j] = h;
  }
  *out = f;
  return 1;
}

/* The highest concurrency at which backends a and b both ran at two io_fractions or more. */
static uint32_t family_conc(const group *const *f, size_t n, const char *a, const char *b) {
  uint32_t best = 0;
  for (size_t k = 0; k < n; k++)
    for (size_t i = 0; i < f[k]->n; i++) {
      uint32_t C = f[k]->c[i]->conc;
      if (C <= best) continue;
      size_t both = 0;
      for (size_t j = 0; j < n; j++) {
        const cb_rcase *x = gfind(f[j], a, C), *y = gfind(f[j], b, C);
        both += x && y && x->wall_median > 0 && y->wall_median > 0;
      }
      if (both >= 2) best = C;
    }
  return best;
}

/* Mixed: the io_fraction from which threads (or fork) no longer beat uv. */
static int rule_crossover(const report *R, const group *g, slist *out) {
  static const char *const rivals[] = { "threads", "fork" };
  size_t n, m;
  const group **f;
  int wrote = 0, rc = family_of(R, g, &f, &n);
  if (rc <= 0) return rc;
  double *fr = calloc(n, sizeof *fr), *x = calloc(n, sizeof *x);
  if (!fr || !x) {
    rc = -ENOMEM;
    goto cleanup;
  }
  for (size_t b = 0; b < sizeof rivals / sizeof rivals[0]; b++) {
    uint32_t C = family_conc(f, n, rivals[b], "uv");
    if (!C) continue;
    m = 0;
    for (size_t k = 0; k < n; k++) {
      const cb_rcase *t = gfind(f[k], rivals[b], C), *u = gfind(f[k], "uv", C);
      if (!t || !u || !(t->wall_median > 0) || !(u->wall_median > 0)) continue;
      fr[m] = f[k]->io_fraction;
      x[m++] = u->wall_median / t->wall_median;   /* how many times faster the rival is */
    }
    size_t stop = m;
    while (stop > 0 && !(x[stop - 1] > BEAT_MARGIN)) stop--;
    cb_sbuf s = { 0 };
    char xs[32];
    if (stop == 0) {
      cb_sb_printf(&s, "On %s at c=%u, %s never beat uv by more than 5%% at any io_fraction measured (%g to %g).",
                f[0]->family, C, rivals[b], fr[0], fr[m - 1]);
    } else if (stop == m) {
      fmt_x(x[m - 1], xs, sizeof xs);
      cb_sb_printf(&s, "On %s at c=%u, %s beat uv at every io_fraction measured, up to %g (%s faster there).",
                f[0]->family, C, rivals[b], fr[m - 1], xs);
    } else {
      fmt_x(x[stop - 1], xs, sizeof xs);
      cb_sb_printf(&s, "On %s at c=%u, %s stops beating uv at io_fraction %g: at io_fraction %g, %s finishes %s faster, "
                "because uv computes every task on its one thread; from io_fraction %g on, uv is as fast "
                "(within 5%%) or faster.", f[0]->family, C, rivals[b], fr[stop], fr[stop - 1], rivals[b], xs, fr[stop]);
    }
    rc = sl_push(out, &s);
    if (rc < 0) goto cleanup;
    wrote = 1;
  }
  rc = wrote;
cleanup:
  free(fr);
  free(x);
  free(f);
  return rc;
}

/* Mixed: what uv-offload recovers over uv by computing on libuv's thread pool, where it gains
 * most among the truly mixed io_fractions (0 < f < 1; f = 0 only if nothing else ran). */
static int rule_recovery(const report *R, const group *g, slist *out) {
  size_t n;
  const group **f;
  int rc = family_of(R, g, &f, &n);
  if (rc <= 0) return rc;
  uint32_t C = 0;
  for (size_t k = 0; k < n; k++)
    for (size_t i = 0; i < f[k]->n; i++) {
      const cb_rcase *u = f[k]->c[i], *o;
      if (f[k]->io_fraction < 1 && strcmp(u->backend, "uv") == 0 && u->conc > C &&
          (o = gfind(f[k], "uv-offload", u->conc)) && o->wall_median > 0 && u->wall_median > 0)
        C = u->conc;
    }
  const cb_rcase *bu = NULL;
  double bf = NAN, bx = 0;
  for (int pass = 0; pass < 2 && !bu && C; pass++)
    for (size_t k = 0; k < n; k++) {
      double fk = f[k]->io_fraction;
      if (pass == 0 ? !(fk > 0 && fk < 1) : fk != 0) continue;
      const cb_rcase *u = gfind(f[k], "uv", C), *o = gfind(f[k], "uv-offload", C);
      if (!u || !o || !(u->wall_median > 0) || !(o->wall_median > 0)) continue;
      double x = u->wall_median / o->wall_median;
      if (!bu || x > bx) {
        bu = u;
        bx = x;
        bf = fk;
      }
    }
  free(f);
  if (!bu) return 0;
  char share[64], xs[32], pool[32] = "";
  const cJSON *tp = cJSON_GetObjectItemCaseSensitive(R->r->env, "uv_threadpool_size");
  if (cJSON_IsNumber(tp) && tp->valuedouble >= 1) snprintf(pool, sizeof pool, " (%.0f threads)", tp->valuedouble);
  fmt_compute_share(1 - bf, share, sizeof share);
  fmt_x(bx, xs, sizeof xs);
  cb_sbuf s = { 0 };
  cb_sb_printf(&s, "On %s at c=%u, with %s spent computing (io_fraction %g), ", g->family, C, share, bf);
  if (bx >= BEAT_MARGIN)
    cb_sb_printf(&s, "uv-offload finishes %s faster than uv by moving the computation to libuv's thread pool%s.", xs, pool);
  else
    cb_sb_printf(&s, "uv-offload is no faster than uv (%s) although it moves the computation to libuv's thread pool%s.", xs, pool);
  return sl_push(out, &s);
}

/* Efficiency: the best and worst among concurrent backends (c > 1, not sync). */
static int rule_efficiency(const report *R, const group *g, slist *out) {
  (void)R;
  const cb_rcase *lo = NULL, *hi = NULL;
  for (size_t i = 0; i < g->n; i++) {
    const cb_rcase *c = g->c[i];
    if (is_sync(c) || c->conc < 2 || !isfinite(c->efficiency)) continue;
    if (!lo || c->efficiency < lo->efficiency) lo = c;
    if (!hi || c->efficiency > hi->efficiency) hi = c;
  }
  if (!lo) return 0;
  cb_sbuf s = { 0 };
  if (lo == hi)
    cb_sb_printf(&s, "On %s, %s at c=%u runs at %.2f of the ideal time (efficiency = ideal / measured).",
              g->label, lo->backend, lo->conc, lo->efficiency);
  else
    /* Below 0.01 two decimals would print 0.00: give the figure. */
    cb_sb_printf(&s, "On %s, efficiency (ideal / measured time) among the concurrent backends ranges from "
              "%.*f (%s at c=%u) to %.2f (%s at c=%u).", g->label, lo->efficiency < 0.01 ? 4 : 2, lo->efficiency,
              lo->backend, lo->conc, hi->efficiency, hi->backend, hi->conc);
  return sl_push(out, &s);
}

/* Near the limit: each concurrent backend's highest concurrency within 5% of the ideal. */
static int rule_near_ideal(const report *R, const group *g, slist *out) {
  cb_sbuf s = { 0 };
  int k = 0;
  for (size_t b = 0; b < R->nbe; b++) {
    const cb_rcase *top = NULL;
    for (size_t i = 0; i < g->n; i++) {
      const cb_rcase *c = g->c[i];
      if (strcmp(c->backend, R->bes[b]) || is_sync(c) || c->conc < 2 || !(c->efficiency >= NEAR_IDEAL)) continue;
      if (!top || c->conc > top->conc) top = c;
    }
    if (!top) continue;
    if (k++ == 0) cb_sb_printf(&s, "On %s, %s at c=%u is at %.2f of the ideal", g->label, top->backend, top->conc, top->efficiency);
    else cb_sb_printf(&s, "; %s at c=%u at %.2f", top->backend, top->conc, top->efficiency);
  }
  if (!k) return 0;
  cb_sb_puts(&s, ": close to the limit.");
  return sl_push(out, &s);
}

/* Cost: what one more task in flight adds to peak memory, from the lowest to the highest
 * concurrency (the difference removes what the process costs with no task at all). */
static int rule_cost(const report *R, const group *g, slist *out) {
  if (!is_io(g)) return 0;
  uint32_t lo = UINT32_MAX, hi = 0;
  for (size_t i = 0; i < g->n; i++) {
    if (is_sync(g->c[i])) continue;
    if (g->c[i]->conc < lo) lo = g->c[i]->conc;
    if (g->c[i]->conc > hi) hi = g->c[i]->conc;
  }
  if (hi <= lo) return 0;
  /* Cheapest first, so the sentence reads as a ranking. */
  double *per = calloc(R->nbe, sizeof *per);
  const char **name = calloc(R->nbe, sizeof *name);
  size_t k = 0;
  int rc = -ENOMEM;
  cb_sbuf s = { 0 };
  if (!per || !name) goto cleanup;
  for (size_t b = 0; b < R->nbe; b++) {
    if (strcmp(R->bes[b], "sync") == 0) continue;
    const cb_rcase *a = gfind(g, R->bes[b], lo), *z = gfind(g, R->bes[b], hi);
    if (!a || !z || !(a->peak_rss_kib > 0) || !(z->peak_rss_kib > 0) || !(in_flight(z) > in_flight(a))) continue;
    double v = (z->peak_rss_kib - a->peak_rss_kib) / (in_flight(z) - in_flight(a));
    size_t j = k++;
    while (j > 0 && per[j - 1] > v) {
      per[j] = per[j - 1];
      name[j] = name[j - 1];
      j--;
    }
    per[j] = v;
    name[j] = R->bes[b];
  }
  rc = 0;
  if (!k) goto cleanup;
  cb_sb_printf(&s, "On %s, each task in flight costs ", g->label);
  for (size_t i = 0; i < k; i++) {
    char v[32];
    fmt_kib(per[i], v, sizeof v);
    cb_sb_printf(&s, "%s%s%s on %s", i == 0 ? "" : i + 1 == k ? " and " : ", ",
              per[i] < 0.1 ? "almost nothing" : i == 0 ? "about " : "", per[i] < 0.1 ? "" : v, name[i]);
  }
  cb_sb_printf(&s, " (peak memory from c=%u to c=%u, per extra task).", lo, hi);
  rc = sl_push(out, &s);
cleanup:
  cb_sb_free(&s);
  free(per);
  free(name);
  return rc;
}

static const struct { const char *flag, *meaning; } flag_meanings[] = {
  { "cv", "the repetitions' wall times vary by more than 10%, so the median is less certain; more repetitions help" },
  { "errors", "tasks failed, so the times measure failing work" },
  { "load", "the load average was above half the cores when a repetition started, so other work shared the machine and times may be longer and noisier" },
  { "server", "the target server used over 90% of a core, so it may be the bottleneck rather than the backend" },
  { "cpu>cores", "CPU work ran at more concurrency than cores, so no backend can go faster than the cores allow" },
  { "timeout", "a repetition was stopped by --case-timeout, so its time is a lower bound on what the case takes" },
};

/* Validity: each flag, what it means and which cases carry it. */
static int rule_validity(const report *R, slist *out) {
  const cb_results *r = R->r;
  const char **flags = NULL;
  size_t nf = 0;
  char *copy = NULL;
  int rc = 0;
  for (size_t i = 0; i < r->n; i++) {
    free(copy);
    if (!(copy = strdup(r->cases[i].flags))) {
      rc = -ENOMEM;
      goto cleanup;
    }
    char *save = NULL;
    for (char *t = strtok_r(copy, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
      int seen = 0;
      for (size_t k = 0; k < nf; k++) seen |= strcmp(flags[k], t) == 0;
      if (seen) continue;
      const char **nv = realloc(flags, (nf + 1) * sizeof *nv);
      if (!nv || !(t = strdup(t))) {
        if (nv) flags = nv;
        rc = -ENOMEM;
        goto cleanup;
      }
      flags = nv;
      flags[nf++] = t;
    }
  }
  if (!r->n) return 0;
  if (!nf) {
    cb_sbuf s = { 0 };
    cb_sb_puts(&s, "No case was flagged: every case ran without errors, with a CV within 10%, on a machine that was not loaded.");
    rc = sl_push(out, &s);
    goto cleanup;
  }
  for (size_t k = 0; k < nf; k++) {
    const char *meaning = "see the method's flags";
    size_t count = 0;
    for (size_t m = 0; m < sizeof flag_meanings / sizeof flag_meanings[0]; m++)
      if (strcmp(flag_meanings[m].flag, flags[k]) == 0) meaning = flag_meanings[m].meaning;
    for (size_t i = 0; i < r->n; i++) count += (size_t)has_flag(r->cases[i].flags, flags[k]);
    cb_sbuf s = { 0 };
    if (count == r->n) {
      cb_sb_printf(&s, "Flag %s on %s %zu case%s: %s.", flags[k], count == 1 ? "the" : "all", count, count == 1 ? "" : "s", meaning);
    } else {
      cb_sb_printf(&s, "Flag %s on %zu case%s (", flags[k], count, count == 1 ? "" : "s");
      size_t j = 0;
      for (size_t gi = 0; gi < R->ng; gi++)
        for (size_t i = 0; i < R->g[gi].n; i++) {
          const cb_rcase *c = R->g[gi].c[i];
          if (has_flag(c->flags, flags[k]))
            cb_sb_printf(&s, "%s%s %s c=%u", j++ ? ", " : "", R->g[gi].label, c->backend, c->conc);
        }
      cb_sb_printf(&s, "): %s.", meaning);
    }
    if ((rc = sl_push(out, &s)) < 0) goto cleanup;
  }
  rc = 1;
cleanup:
  for (size_t k = 0; k < nf; k++) free((char *)flags[k]);
  free(flags);
  free(copy);
  return rc;
}

typedef int (*group_rule)(const report *R, const group *g, slist *out);

/* The findings in the order a reader wants them: what wins, where it stops winning, how close
 * to the limit, what it costs, and what to distrust. */
static int findings(const report *R, slist *out) {
  static const group_rule rules[] = { rule_io_speedup, rule_cpu, rule_crossover, rule_recovery,
                                      rule_efficiency, rule_near_ideal, rule_cost };
  for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++)
    for (size_t i = 0; i < R->ng; i++)
      if (rules[k](R, &R->g[i], out) < 0) return -ENOMEM;
  if (rule_validity(R, out) < 0) return -ENOMEM;
  if (!out->n) {
    cb_sbuf s = { 0 };
    cb_sb_puts(&s, "Nothing to compare: the run has no cases.");
    if (sl_push(out, &s) < 0) return -ENOMEM;
  }
  return 0;
}

/* ---- title and summary ---------------------------------------------------------------------- */

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
      while (k < ns && !same_value(seen[k], v)) k++;
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

static void title_text(const report *R, cb_sbuf *t) {
  cb_sb_puts(t, "concbench report: ");
  if (!R->nwl) {
    cb_sb_puts(t, "no cases");
    return;
  }
  sb_join(t, R->wls, R->nwl);
  cb_sb_puts(t, " on ");
  sb_join(t, R->bes, R->nbe);
}

static void summary_text(const report *R, cb_sbuf *p) {
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
  sb_join(p, R->wls, R->nwl);
  cb_sb_puts(p, R->nbe == 1 ? " on the backend " : " on the backends ");
  sb_join(p, R->bes, R->nbe);
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
      sb_join(p, same, ns);
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

/* ---- the table -------------------------------------------------------------------------------- */

static const char *const col_names[NCOL] = {
  "workload", "backend", "c", "params", "median wall", "95% CI", "CV", "speedup vs sync",
  "efficiency", "CPU s", "peak MiB", "p50 / p99 ms", "errors", "flags",
};
static const int col_left[NCOL] = { 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

static void num_or_dash(double v, const char *fmt, char *buf, size_t len) {
  if (isfinite(v)) snprintf(buf, len, fmt, v);
  else snprintf(buf, len, "–");
}

static void case_cells(const group *g, const cb_rcase *c, char cells[NCOL][256]) {
  char a[32], b[32];
  snprintf(cells[0], 256, "%s", c->workload);
  snprintf(cells[1], 256, "%s", c->backend);
  snprintf(cells[2], 256, "%u", c->conc);
  snprintf(cells[3], 256, "%s", c->params_str);
  for (char *p = cells[3]; *p; p++)
    if (*p == ';') *p = ' ';
  fmt_secs(c->wall_median, cells[4], 256);
  fmt_secs(c->ci_lo, a, sizeof a);
  fmt_secs(c->ci_hi, b, sizeof b);
  snprintf(cells[5], 256, "%s – %s", a, b);
  num_or_dash(c->wall_cv * 100, "%.1f%%", cells[6], 256);
  fmt_x(speedup(g, c), cells[7], 256);
  num_or_dash(c->efficiency, "%.2f", cells[8], 256);
  num_or_dash(c->cpu_user_s + c->cpu_sys_s, "%.3f", cells[9], 256);
  num_or_dash(c->peak_rss_kib / 1024, "%.1f", cells[10], 256);
  fmt_ms(c->p50_ms, a, sizeof a);
  fmt_ms(c->p99_ms, b, sizeof b);
  snprintf(cells[11], 256, "%s / %s", a, b);
  num_or_dash(c->errors, "%.0f", cells[12], 256);
  snprintf(cells[13], 256, "%s", c->flags);
  for (char *p = cells[13]; *p; p++)
    if (*p == ';') *p = ' ';
}

/* ---- plots ---------------------------------------------------------------------------------- */

typedef struct plot {
  char name[128];
  int png, svg;
} plot;

static int plot_rank(const char *name) {
  static const char *const order[] = { "speedup", "crossover", "wall_", "throughput_", "memory_", "latency_", "cputime" };
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    if (strncmp(name, order[i], strlen(order[i])) == 0) return (int)i;
  return (int)(sizeof order / sizeof order[0]);
}

static int cmp_plot(const void *a, const void *b) {
  const plot *x = a, *y = b;
  int rx = plot_rank(x->name), ry = plot_rank(y->name);
  return rx != ry ? rx - ry : strcmp(x->name, y->name);
}

static void plot_caption(const char *name, char *buf, size_t len) {
  static const struct { const char *prefix, *text; } caps[] = {
    { "wall_", "Wall time" }, { "throughput_", "Throughput" }, { "memory_", "Peak memory" },
    { "latency_", "Task latency" }, { "speedup", "Speedup over sync" },
    { "crossover", "Crossover: who wins as io_fraction grows" }, { "cputime", "CPU time" },
  };
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
    size_t pl = strlen(caps[i].prefix);
    if (caps[i].prefix[pl - 1] == '_' && strncmp(name, caps[i].prefix, pl) == 0) {
      snprintf(buf, len, "%s: %s", caps[i].text, name + pl);
      return;
    }
    if (strcmp(name, caps[i].prefix) == 0) {
      snprintf(buf, len, "%s", caps[i].text);
      return;
    }
  }
  snprintf(buf, len, "%s", name);
}

/* The PNG and SVG files of dir/plots, by base name. Names of other characters are skipped: they
 * go into links and must not need quoting. 0 (none is fine) or -ENOMEM. */
static int plots_find(const char *dir, plot **out, size_t *n) {
  char path[4200];
  *out = NULL;
  *n = 0;
  snprintf(path, sizeof path, "%s/plots", dir);
  DIR *d = opendir(path);
  if (!d) return 0;
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d))) {
    const char *dot = strrchr(e->d_name, '.');
    size_t bl = dot ? (size_t)(dot - e->d_name) : 0;
    int png = dot && strcmp(dot, ".png") == 0, svg = dot && strcmp(dot, ".svg") == 0;
    if ((!png && !svg) || bl == 0 || bl >= sizeof (*out)->name) continue;
    if (strspn(e->d_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != bl) continue;
    size_t k = 0;
    while (k < *n && !(strncmp((*out)[k].name, e->d_name, bl) == 0 && (*out)[k].name[bl] == '\0')) k++;
    if (k == *n) {
      plot *np = realloc(*out, (*n + 1) * sizeof *np);
      if (!np) {
        rc = -ENOMEM;
        break;
      }
      *out = np;
      memset(&np[k], 0, sizeof np[k]);
      memcpy(np[k].name, e->d_name, bl);
      (*n)++;
    }
    (*out)[k].png |= png;
    (*out)[k].svg |= svg;
  }
  closedir(d);
  if (*n) qsort(*out, *n, sizeof **out, cmp_plot);
  return rc;
}

/* An <img> with the file as a data: URI, so the page needs nothing beside it. 0, or -errno when
 * it cannot be read (the caller says so in the page). */
static int embed_image(cb_sbuf *h, const char *dir, const char *name, int png, const char *alt) {
  char path[4400];
  size_t len;
  snprintf(path, sizeof path, "%s/plots/%s.%s", dir, name, png ? "png" : "svg");
  unsigned char *data = (unsigned char *)cb_read_file(path, &len);
  if (!data) return -(errno ? errno : EIO);
  if (len > MAX_PLOT_BYTES) {
    free(data);
    return -EFBIG;
  }
  cb_sb_printf(h, "<img alt=\"");
  sb_html(h, alt);
  cb_sb_printf(h, "\" src=\"data:image/%s;base64,", png ? "png" : "svg+xml");
  sb_base64(h, data, len);
  cb_sb_puts(h, "\">");
  free(data);
  return 0;
}

/* ---- the documents -------------------------------------------------------------------------- */

static const char css[] =
  "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;line-height:1.5;color:#222}"
  "h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}"
  "table{border-collapse:collapse;font-size:.85em;margin:1em 0}"
  "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:right;vertical-align:top}"
  "th{background:#eee}.l{text-align:left}tbody tr:nth-child(even){background:#f7f7f7}"
  "li{margin:.4em 0}figure{margin:1.5em 0}img{max-width:100%;border:1px solid #eee}"
  "figcaption{font-size:.9em;color:#555}.note{color:#555}dt{font-weight:bold}dd{margin:0 0 .6em 1.5em}";

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
static void json_text(const char *key, const cJSON *v, cb_sbuf *out) {
  if (cJSON_IsString(v)) {
    cb_sb_puts(out, v->valuestring ? v->valuestring : "");
  } else if (cJSON_IsBool(v)) {
    cb_sb_puts(out, cJSON_IsTrue(v) ? "yes" : "no");
  } else if (cJSON_IsNumber(v)) {
    char b[32];
    if (key && strstr(key, "_kib")) {
      fmt_kib(v->valuedouble, b, sizeof b);
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
      else json_text(NULL, it, out);
    }
  } else if (v) {
    char *s = cJSON_PrintUnformatted(v);
    if (!s) out->oom = 1;
    else cb_sb_puts(out, s);
    free(s);
  }
}

typedef struct kv {
  const char *label;
  cb_sbuf value;
} kv;

/* The environment as label and value rows. */
static int env_kvs(const cb_results *r, kv **out, size_t *n) {
  size_t cap = (size_t)cJSON_GetArraySize(r->env) + 1, k = 0;
  kv *v = calloc(cap, sizeof *v);
  if (!v) return -ENOMEM;
  for (size_t i = 0; i < sizeof env_rows / sizeof env_rows[0]; i++) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(r->env, env_rows[i].key);
    if (!e || k == cap) continue;
    v[k].label = env_rows[i].label;
    json_text(env_rows[i].key, e, &v[k++].value);
  }
  const cJSON *it;
  cJSON_ArrayForEach(it, r->env) {
    int known = 0;
    for (size_t i = 0; i < sizeof env_rows / sizeof env_rows[0]; i++) known |= it->string && strcmp(it->string, env_rows[i].key) == 0;
    if (known || !it->string || k == cap) continue;
    v[k].label = it->string;
    json_text(it->string, it, &v[k++].value);
  }
  *out = v;
  *n = k;
  return 0;
}

static void kvs_free(kv *v, size_t n) {
  for (size_t i = 0; i < n; i++) cb_sb_free(&v[i].value);
  free(v);
}

typedef struct doc {
  const report *R;
  const char *title, *summary;
  const slist *find;
  const plot *plots;
  size_t nplots;
  const kv *env;
  size_t nenv;
  const char *command;   /* "concbench run …", or NULL */
} doc;

static void write_md(const doc *d, cb_sbuf *m) {
  const report *R = d->R;
  char cells[NCOL][256], cap[200];
  cb_sb_puts(m, "# ");
  sb_md(m, d->title);
  cb_sb_puts(m, "\n\n");
  sb_md(m, d->summary);
  cb_sb_puts(m, "\n\n## Findings\n\n");
  for (size_t i = 0; i < d->find->n; i++) {
    cb_sb_puts(m, "- ");
    sb_md(m, d->find->v[i]);
    cb_sb_puts(m, "\n");
  }
  cb_sb_puts(m, "\n## Results\n\nOne row per case. Speedup is sync's median wall time over the backend's at the same "
             "concurrency; efficiency is the ideal time over the measured one; CPU s is user plus system time "
             "of the whole process tree; peak MiB is the peak memory of the tree.\n\n|");
  for (int k = 0; k < NCOL; k++) cb_sb_printf(m, " %s |", col_names[k]);
  cb_sb_puts(m, "\n|");
  for (int k = 0; k < NCOL; k++) cb_sb_puts(m, col_left[k] ? " :--- |" : " ---: |");
  cb_sb_puts(m, "\n");
  for (size_t gi = 0; gi < R->ng; gi++)
    for (size_t i = 0; i < R->g[gi].n; i++) {
      case_cells(&R->g[gi], R->g[gi].c[i], cells);
      cb_sb_puts(m, "|");
      for (int k = 0; k < NCOL; k++) {
        cb_sb_puts(m, " ");
        sb_md(m, cells[k]);
        cb_sb_puts(m, " |");
      }
      cb_sb_puts(m, "\n");
    }
  cb_sb_puts(m, "\n## Plots\n\n");
  if (!d->nplots) {
    cb_sb_puts(m, "There are no plots: run concbench plot ");
    sb_md(m, R->dir);
    cb_sb_puts(m, " (needs gnuplot-nox), then concbench report again.\n\n");
  }
  for (size_t i = 0; i < d->nplots; i++) {
    const plot *p = &d->plots[i];
    plot_caption(p->name, cap, sizeof cap);
    cb_sb_puts(m, "![");
    sb_md(m, cap);
    cb_sb_printf(m, "](plots/%s.%s)", p->name, p->png ? "png" : "svg");
    if (p->png && p->svg) cb_sb_printf(m, " ([SVG](plots/%s.svg))", p->name);
    cb_sb_puts(m, "\n\n");
  }
  cb_sb_puts(m, "## Environment\n\n| | |\n| :--- | :--- |\n");
  for (size_t i = 0; i < d->nenv; i++) {
    cb_sb_puts(m, "| ");
    sb_md(m, d->env[i].label);
    cb_sb_puts(m, " | ");
    sb_md(m, d->env[i].value.p ? d->env[i].value.p : "");
    cb_sb_puts(m, " |\n");
  }
  cb_sb_puts(m, "\n## Method\n\n");
  if (d->command) {
    cb_sb_puts(m, "- **command**: ");
    sb_md(m, d->command);
    cb_sb_puts(m, "\n");
  }
  const cJSON *meth = cJSON_GetObjectItemCaseSensitive(R->r->root, "method"), *it;
  cJSON_ArrayForEach(it, meth) {
    cb_sbuf v = { 0 };
    json_text(NULL, it, &v);
    cb_sb_puts(m, "- **");
    sb_md(m, it->string ? it->string : "");
    cb_sb_puts(m, "**: ");
    sb_md(m, v.p ? v.p : "");
    cb_sb_puts(m, "\n");
    m->oom |= v.oom;
    cb_sb_free(&v);
  }
}

static void write_html(const doc *d, cb_sbuf *h) {
  const report *R = d->R;
  char cells[NCOL][256], cap[200];
  cb_sb_puts(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
  sb_html(h, d->title);
  cb_sb_printf(h, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
  sb_html(h, d->title);
  cb_sb_puts(h, "</h1>\n<p>");
  sb_html(h, d->summary);
  cb_sb_puts(h, "</p>\n<h2>Findings</h2>\n<ul>\n");
  for (size_t i = 0; i < d->find->n; i++) {
    cb_sb_puts(h, "<li>");
    sb_html(h, d->find->v[i]);
    cb_sb_puts(h, "</li>\n");
  }
  cb_sb_puts(h, "</ul>\n<h2>Results</h2>\n<p>One row per case. Speedup is sync's median wall time over the backend's at "
             "the same concurrency; efficiency is the ideal time over the measured one; CPU s is user plus system "
             "time of the whole process tree; peak MiB is the peak memory of the tree.</p>\n<table>\n<thead><tr>");
  for (int k = 0; k < NCOL; k++) cb_sb_printf(h, "<th%s>%s</th>", col_left[k] ? " class=\"l\"" : "", col_names[k]);
  cb_sb_puts(h, "</tr></thead>\n<tbody>\n");
  for (size_t gi = 0; gi < R->ng; gi++)
    for (size_t i = 0; i < R->g[gi].n; i++) {
      case_cells(&R->g[gi], R->g[gi].c[i], cells);
      cb_sb_puts(h, "<tr class=\"case\">");
      for (int k = 0; k < NCOL; k++) {
        cb_sb_puts(h, col_left[k] ? "<td class=\"l\">" : "<td>");
        sb_html(h, cells[k]);
        cb_sb_puts(h, "</td>");
      }
      cb_sb_puts(h, "</tr>\n");
    }
  cb_sb_puts(h, "</tbody>\n</table>\n<h2>Plots</h2>\n");
  if (!d->nplots) {
    cb_sb_puts(h, "<p class=\"note\">There are no plots: run concbench plot ");
    sb_html(h, R->dir);
    cb_sb_puts(h, " (needs gnuplot-nox), then concbench report again.</p>\n");
  }
  for (size_t i = 0; i < d->nplots; i++) {
    const plot *p = &d->plots[i];
    plot_caption(p->name, cap, sizeof cap);
    cb_sb_puts(h, "<figure>");
    int rc = embed_image(h, R->r->dir, p->name, p->png, cap);
    if (rc < 0 && p->png && p->svg) rc = embed_image(h, R->r->dir, p->name, 0, cap);
    if (rc < 0) cb_sb_printf(h, "<p class=\"note\">plots/%s could not be read: %s</p>", p->name, strerror(-rc));
    cb_sb_puts(h, "<figcaption>");
    sb_html(h, cap);
    cb_sb_puts(h, "</figcaption></figure>\n");
  }
  cb_sb_puts(h, "<h2>Environment</h2>\n<table>\n<tbody>\n");
  for (size_t i = 0; i < d->nenv; i++) {
    cb_sb_puts(h, "<tr><th class=\"l\">");
    sb_html(h, d->env[i].label);
    cb_sb_puts(h, "</th><td class=\"l\">");
    sb_html(h, d->env[i].value.p ? d->env[i].value.p : "");
    cb_sb_puts(h, "</td></tr>\n");
  }
  cb_sb_puts(h, "</tbody>\n</table>\n<h2>Method</h2>\n<dl>\n");
  if (d->command) {
    cb_sb_puts(h, "<dt>command</dt><dd><code>");
    sb_html(h, d->command);
    cb_sb_puts(h, "</code></dd>\n");
  }
  const cJSON *meth = cJSON_GetObjectItemCaseSensitive(R->r->root, "method"), *it;
  cJSON_ArrayForEach(it, meth) {
    cb_sbuf v = { 0 };
    json_text(NULL, it, &v);
    cb_sb_puts(h, "<dt>");
    sb_html(h, it->string ? it->string : "");
    cb_sb_puts(h, "</dt><dd>");
    sb_html(h, v.p ? v.p : "");
    cb_sb_puts(h, "</dd>\n");
    h->oom |= v.oom;
    cb_sb_free(&v);
  }
  cb_sb_puts(h, "</dl>\n</body>\n</html>\n");
}

/* "concbench run -b …" from results.json's command array. */
static void command_text(const cb_results *r, cb_sbuf *out) {
  const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(r->root, "command"), *it;
  if (!cJSON_IsArray(cmd)) return;
  cb_sb_puts(out, "concbench");
  cJSON_ArrayForEach(it, cmd)
    if (cJSON_IsString(it) && it->valuestring) cb_sb_printf(out, " %s", it->valuestring);
}

int cb_report_write(const char *dir, char *err, size_t len, char *md_path, char *html_path, size_t plen) {
  cb_results r;
  report R = { 0 };
  slist find = { 0 };
  cb_sbuf title = { 0 }, summary = { 0 }, cmd = { 0 }, md = { 0 }, html = { 0 };
  plot *plots = NULL;
  size_t nplots = 0, nenv = 0;
  kv *env = NULL;
  int rc = cb_results_read(dir, &r, err, len);
  if (rc < 0) return rc;
  R.r = &r;
  R.dir = dir;
  if ((size_t)snprintf(md_path, plen, "%s/report.md", r.dir) >= plen ||
      (size_t)snprintf(html_path, plen, "%s/report.html", r.dir) >= plen) {
    snprintf(err, len, "%s: path too long", r.dir);
    rc = -ENAMETOOLONG;
    goto cleanup;
  }
  rc = -ENOMEM;
  if (report_group(&R) < 0 || findings(&R, &find) < 0 || plots_find(r.dir, &plots, &nplots) < 0 ||
      env_kvs(&r, &env, &nenv) < 0)
    goto cleanup;
  title_text(&R, &title);
  summary_text(&R, &summary);
  command_text(&r, &cmd);
  doc d = { &R, title.p ? title.p : "", summary.p ? summary.p : "", &find, plots, nplots, env, nenv, cmd.p };
  write_md(&d, &md);
  write_html(&d, &html);
  if (title.oom || summary.oom || cmd.oom || md.oom || html.oom) goto cleanup;
  for (size_t i = 0; i < nenv; i++)
    if (env[i].value.oom) goto cleanup;
  if ((rc = cb_write_atomic(md_path, md.p, md.len)) < 0) {
    snprintf(err, len, "%s: %s", md_path, strerror(-rc));
    goto cleanup;
  }
  if ((rc = cb_write_atomic(html_path, html.p, html.len)) < 0) {
    snprintf(err, len, "%s: %s", html_path, strerror(-rc));
    goto cleanup;
  }
  rc = 0;
cleanup:
  if (rc == -ENOMEM) snprintf(err, len, "report: out of memory");
  kvs_free(env, nenv);
  free(plots);
  cb_sb_free(&title);
  cb_sb_free(&summary);
  cb_sb_free(&cmd);
  cb_sb_free(&md);
  cb_sb_free(&html);
  sl_free(&find);
  report_free(&R);
  cb_results_free(&r);
  return rc;
}

int cb_report(const char *dir, char *err, size_t len) {
  char md[4200], html[4200];
  return cb_report_write(dir, err, len, md, html, sizeof md);
}
