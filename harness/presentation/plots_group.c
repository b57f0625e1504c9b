/* plots_group.c: the plots of one workload with one set of parameters: wall time, throughput and peak memory against concurrency, and the task latency spectrum. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "hist.h"
#include "presentation_int.h"


static const struct {
  const char *prefix, *script, *columns;
} series_kinds[] = {
  [SERIES_WALL] = { "wall", "wall.gp", "concurrency median_wall_s min_wall_s max_wall_s ideal_s tasks" },
  [SERIES_THROUGHPUT] = { "throughput", "throughput.gp", "concurrency tasks_per_s_at_median tasks_per_s_at_max_wall tasks_per_s_at_min_wall tasks" },
  [SERIES_MEMORY] = { "memory", "memory.gp", "concurrency peak_mib peak_rss_kib" },
};

static double per_s(uint64_t tasks, double wall) {
  return wall > 0 ? (double)tasks / wall : NAN;
}

int cb__plot_series(cb__plotter *p, const cb__pgroup *g, int kind) {
  cb_sbuf b = { 0 };
  char name[PLOT_NAME + 16], file[PLOT_NAME + 32], list[PLOT_MAX_BACKENDS * 33] = "";
  char sub[512], concs[512] = "", vars[PLOT_VARS];
  uint32_t seen[64];
  unsigned nseen = 0;
  int rc = 0, hasideal = 0, blocks = 0, points = 0;
  double ylo = INFINITY, yhi = 0;   /* what the wall plot's log axis must hold */
  size_t lo = 0, co = 0;
  cb__fmt(name, sizeof name, "%s_%s", series_kinds[kind].prefix, g->name);   /* sized to fit */
  cb__fmt(file, sizeof file, "%s.dat", name);
  cb_sb_printf(&b, "# %s: %s of workload %s (%s), one block per backend (gnuplot index 0, 1, ...)\n",
            name, series_kinds[kind].prefix, g->workload, g->params_str);
  cb_sb_printf(&b, "# %s\n", series_kinds[kind].columns);
  for (unsigned bi = 0; bi < p->nb; bi++) {
    size_t n = cb__group_cases(p, g, p->bnames[bi]);
    if (!n) continue;
    lo += (size_t)snprintf(list + lo, sizeof list - lo, "%s%s", lo ? " " : "", p->backends[bi]);
    cb_sb_printf(&b, "%s# backend %s\n", blocks++ ? "\n\n" : "", p->backends[bi]);
    for (size_t i = 0; i < n; i++) {
      const cb_rcase *c = p->sel[i];
      cb_sb_printf(&b, "%u", c->conc);
      if (kind == SERIES_WALL) {
        cb__sb_num(&b, c->wall_median);
        cb__sb_num(&b, c->wall_min);
        cb__sb_num(&b, c->wall_max);
        cb__sb_num(&b, c->ideal_s);
        if (isfinite(c->ideal_s)) hasideal = 1;
        double v[] = { c->wall_median, c->wall_min, c->wall_max, c->ideal_s };
        for (size_t k = 0; k < sizeof v / sizeof *v; k++)
          if (v[k] > 0 && isfinite(v[k])) {
            if (v[k] < ylo) ylo = v[k];
            if (v[k] > yhi) yhi = v[k];
          }
      } else if (kind == SERIES_THROUGHPUT) {
        cb__sb_num(&b, per_s(c->tasks, c->wall_median));
        cb__sb_num(&b, per_s(c->tasks, c->wall_max));
        cb__sb_num(&b, per_s(c->tasks, c->wall_min));
      } else {
        cb__sb_num(&b, c->peak_rss_kib / 1024.0);
        cb__sb_num(&b, c->peak_rss_kib);
      }
      /* A point gnuplot can draw: every axis is a log one now, memory's too. */
      double y = kind == SERIES_MEMORY ? c->peak_rss_kib : c->wall_median;
      points += isfinite(y) && y > 0;
      if (kind == SERIES_MEMORY && y > 0 && isfinite(y)) {
        if (y / 1024 < ylo) ylo = y / 1024;
        if (y / 1024 > yhi) yhi = y / 1024;
      }
      if (kind != SERIES_MEMORY) cb_sb_printf(&b, " %llu", (unsigned long long)c->tasks);
      cb_sb_printf(&b, "\n");
      /* The concurrencies become the x tics: 1 2 4 reads better than decades. */
      unsigned k = 0;
      while (k < nseen && seen[k] != c->conc) k++;
      if (k == nseen && nseen < sizeof seen / sizeof *seen) seen[nseen++] = c->conc;
    }
  }
  for (unsigned i = 1; i < nseen; i++)
    for (unsigned j = i; j > 0 && seen[j - 1] > seen[j]; j--) {
      uint32_t t = seen[j]; seen[j] = seen[j - 1]; seen[j - 1] = t;
    }
  for (unsigned i = 0; i < nseen && co + 12 < sizeof concs; i++)
    co += (size_t)snprintf(concs + co, sizeof concs - co, "%s%u", i ? " " : "", seen[i]);
  if (!lo) goto cleanup;
  /* One concurrency only (mixed at c=8 in the suites): a line against concurrency says nothing
   * there; the crossover plot shows the group against its sweep axis instead. Left out quietly. */
  if (nseen == 1) goto cleanup;
  if (!points) {
    /* gnuplot fails on a plot without a single point (results without peak_rss_kib): left out,
     * and named in the one line plot prints about it. */
    size_t sl = strlen(p->skipped);
    snprintf(p->skipped + sl, sizeof p->skipped - sl, "%s%s", sl ? ", " : "", name);
    goto cleanup;
  }
  if ((rc = cb__write_data(p, file, &b))) goto cleanup;
  cb__describe(p, g, sub, sizeof sub);
  if (!(yhi > 0)) ylo = yhi = 1;
  cb__fmt(vars, sizeof vars, "backends='%s'; what='%s'; %s; concs='%s'; hasideal=%d; ylo=%g; yhi=%g",
           list, g->label, sub, concs, hasideal, ylo, yhi);
  rc = cb__run_gnuplot(p, series_kinds[kind].script, name, vars);
cleanup:
  free(b.p);
  return rc;
}

/* ---- per workload: the latency spectrum ------------------------------------------------- */

/* The spectrum of c's latency histogram key ("task", "service", "completion"): task's from its
 * encoded histogram when the file has it, else from the spectrum results.json keeps. Returns the
 * number of points (0: none). */
static size_t spectrum_of(const cb_rcase *c, const char *key, cb_hist_point *pts, size_t max) {
  if (!c) return 0;
  cb_hist *h = strcmp(key, "task") == 0 && c->lat_buckets ? malloc(sizeof *h) : NULL;
  if (h && cb_rcase_hist(c, h) == 0) {
    size_t n = cb_hist_spectrum(h, pts, max);
    free(h);
    return n < max ? n : max;
  }
  free(h);
  const cJSON *lat = cJSON_GetObjectItemCaseSensitive(c->json, "latency");
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(lat, key), "spectrum"), *it;
  size_t n = 0;
  if (!cJSON_IsArray(s)) return 0;
  cJSON_ArrayForEach(it, s) {
    if (n == max || !cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2) break;
    const cJSON *pc = cJSON_GetArrayItem(it, 0), *v = cJSON_GetArrayItem(it, 1);
    if (!cJSON_IsNumber(pc) || !cJSON_IsNumber(v) || !(pc->valuedouble >= 0 && pc->valuedouble <= 100)) break;
    pts[n++] = (cb_hist_point){ .percentile = pc->valuedouble, .value_ms = v->valuedouble };
  }
  return n;
}

/* What a latency plot shows: closed loop, the time from the run's start to each result (what a
 * user waiting for them sees: a serial model's last result comes late) beside each task's service
 * time; open loop, the latency from each task's scheduled start beside its service time; files
 * from before completion times were recorded, the service time alone. */
enum { LAT_COMPLETION = CB__LAT_COMPLETION, LAT_OPEN = CB__LAT_OPEN, LAT_SERVICE = CB__LAT_SERVICE };

static int has_latency(const cb_rcase *c, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->json, "latency"), key) != NULL;
}

void cb__latmode_add(cb__latmode *m, const cb_rcase *c) {
  if (!has_latency(c, "task")) return;
  m->any = 1;
  m->open |= c->rate_target > 0;
  m->allcomp &= has_latency(c, "completion");
}

int cb__latmode_of(const cb__latmode *m) {
  return !m->any ? -1 : m->open ? LAT_OPEN : m->allcomp ? LAT_COMPLETION : LAT_SERVICE;
}

static const char *const lat_keys[][2] = {
  [LAT_COMPLETION] = { "completion", "task" },
  [LAT_OPEN] = { "task", "service" },
  [LAT_SERVICE] = { "task", NULL },
};

static const char *const lat_what[] = {
  [LAT_COMPLETION] = "time from the run's start to each task's result",
  [LAT_OPEN] = "latency from each task's scheduled start (open loop)",
  [LAT_SERVICE] = "service time of each task, start to end",
};

/* One block of the data file: the spectrum's rows (x = 1/(1-p), the max at xcap). */
static size_t lat_block(cb_sbuf *b, const cb_hist_point *pts, size_t n, double xcap, double *ymin, double *ymax) {
  size_t rows = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(pts[i].value_ms)) continue;
    double x = pts[i].percentile < 100 ? 1.0 / (1.0 - pts[i].percentile / 100.0) : xcap;
    cb_sb_printf(b, "%.9g %.9g %.9g\n", pts[i].percentile, x, pts[i].value_ms);
    if (pts[i].value_ms < *ymin) *ymin = pts[i].value_ms;
    if (pts[i].value_ms > *ymax) *ymax = pts[i].value_ms;
    rows++;
  }
  return rows;
}

int cb__plot_latency(cb__plotter *p, const cb__pgroup *g) {
  cb_sbuf b = { 0 };
  char name[PLOT_NAME + 16], file[PLOT_NAME + 32], list[PLOT_MAX_BACKENDS * 33] = "", sub[512], vars[PLOT_VARS];
  cb_hist_point *pts = malloc(2 * CB_HIST_SPECTRUM_MAX * sizeof *pts), *bes;
  double xcap = 1, ymin = INFINITY, ymax = 0;
  int rc = 0, blocks = 0, mode;
  cb__latmode lm = CB__LATMODE_INIT;
  size_t lo = 0;
  if (!pts) {
    snprintf(p->err, p->errlen, "plot: out of memory");
    return -ENOMEM;
  }
  bes = pts + CB_HIST_SPECTRUM_MAX;
  cb__fmt(name, sizeof name, "latency_%s", g->name);   /* sized to fit */
  cb__fmt(file, sizeof file, "%s.dat", name);
  for (unsigned bi = 0; bi < p->nb; bi++) {
    const cb_rcase *c = cb_results_find(p->r, g->workload, p->bnames[bi], g->params_str, g->cmax);
    if (c && spectrum_of(c, "task", pts, CB_HIST_SPECTRUM_MAX)) cb__latmode_add(&lm, c);
  }
  if ((mode = cb__latmode_of(&lm)) < 0) goto cleanup;   /* no histograms in this run */
  /* 100% (the max) would sit at x = infinity: it is drawn at the largest finite x of the plot
   * instead, so every line ends at the same place, at its max. */
  for (unsigned bi = 0; bi < p->nb; bi++) {
    const cb_rcase *c = cb_results_find(p->r, g->workload, p->bnames[bi], g->params_str, g->cmax);
    for (int k = 0; k < 2 && lat_keys[mode][k]; k++) {
      size_t n = spectrum_of(c, lat_keys[mode][k], pts, CB_HIST_SPECTRUM_MAX);
      for (size_t i = 0; i < n; i++)
        if (pts[i].percentile < 100 && 1.0 / (1.0 - pts[i].percentile / 100.0) > xcap)
          xcap = 1.0 / (1.0 - pts[i].percentile / 100.0);
    }
  }
  cb_sb_printf(&b, "# %s: %s, workload %s (%s) at concurrency %u; two blocks per backend (gnuplot index 2i, 2i+1): the %s, then %s\n",
               name, lat_what[mode], g->workload, g->params_str, g->cmax, lat_keys[mode][0],
               lat_keys[mode][1] ? (mode == LAT_COMPLETION ? "each task's service time (task)" : "each task's service time (service)")
                                 : "the same again (no other histogram)");
  cb_sb_printf(&b, "# percentile x=1/(1-percentile/100) ms   (100%%, the max, is put at x=%.9g, the largest x below 100%%: its own is infinite)\n", xcap);
  for (unsigned bi = 0; bi < p->nb; bi++) {
    const cb_rcase *c = cb_results_find(p->r, g->workload, p->bnames[bi], g->params_str, g->cmax);
    size_t n = spectrum_of(c, lat_keys[mode][0], pts, CB_HIST_SPECTRUM_MAX), nb2 = 0;
    if (!n) continue;
    if (lat_keys[mode][1]) nb2 = spectrum_of(c, lat_keys[mode][1], bes, CB_HIST_SPECTRUM_MAX);
    /* A block with no finite point would be an empty index: the main one stands in for it. */
    cb_sbuf one = { 0 };
    double y0 = ymin, y1 = ymax;
    if (!lat_block(&one, pts, n, xcap, &y0, &y1)) {
      cb_sb_free(&one);
      continue;
    }
    ymin = y0;
    ymax = y1;
    lo += (size_t)snprintf(list + lo, sizeof list - lo, "%s%s", lo ? " " : "", p->backends[bi]);
    cb_sb_printf(&b, "%s# backend %s\n# %s\n", blocks++ ? "\n\n" : "", p->backends[bi], lat_keys[mode][0]);
    cb_sb_puts(&b, one.p);
    cb_sb_free(&one);
    cb_sb_printf(&b, "\n\n# backend %s\n# %s\n", p->backends[bi], nb2 ? lat_keys[mode][1] : lat_keys[mode][0]);
    if (!nb2 || !lat_block(&b, bes, nb2, xcap, &ymin, &ymax)) lat_block(&b, pts, n, xcap, &ymin, &ymax);
  }
  if (!lo) goto cleanup;
  if ((rc = cb__write_data(p, file, &b))) goto cleanup;
  /* x to the next decade past the data, so the last percentile tick is labelled. */
  double xhi = 100;
  while (xhi < xcap * 1.0001 && xhi < 1e9) xhi *= 10;
  cb__describe(p, g, sub, sizeof sub);
  cb__fmt(vars, sizeof vars, "backends='%s'; what='%s'; %s; conc=%u; xmax=%g; logy=%d; mode=%d", list, g->label, sub,
          g->cmax, xhi, ymin > 0 && ymax / ymin > 30, mode);
  rc = cb__run_gnuplot(p, "latency.gp", name, vars);
cleanup:
  free(b.p);
  free(pts);
  return rc;
}

/* ---- per workload under an offered load: p99 against the rate (the hockey stick) ---------- */

static int by_rate(const void *a, const void *b) {
  const cb_rcase *x = *(const cb_rcase *const *)a, *y = *(const cb_rcase *const *)b;
  return x->conc != y->conc ? (x->conc > y->conc) - (x->conc < y->conc)
                            : (x->rate_target > y->rate_target) - (x->rate_target < y->rate_target);
}

/* Drawn for a group run open loop: per backend, p99 latency against the offered rate, and the
 * achieved rate as a mark of its own at the same p99, so a backend that fell behind shows its
 * mark left of its line. Each concurrency of a backend is a line of its own. */
int cb__plot_load(cb__plotter *p, const cb__pgroup *g) {
  cb_sbuf b = { 0 };
  char name[PLOT_NAME + 16], file[PLOT_NAME + 32], list[PLOT_MAX_BACKENDS * 48] = "", sub[512], vars[PLOT_VARS];
  int rc = 0, points = 0;
  size_t lo = 0;
  unsigned blocks = 0;
  cb__fmt(name, sizeof name, "load_%s", g->name);
  cb__fmt(file, sizeof file, "%s.dat", name);
  cb_sb_printf(&b, "# %s: p99 latency against the offered rate, workload %s (%s), a block per backend and concurrency\n",
               name, g->workload, g->params_str);
  cb_sb_printf(&b, "# rate_target p99_ms rate_achieved concurrency errors\n");
  for (unsigned bi = 0; bi < p->nb; bi++) {
    size_t n = cb__group_cases(p, g, p->bnames[bi]);
    const cb_rcase *cs[256];
    size_t m = 0;
    for (size_t i = 0; i < n && m < 256; i++)
      if (isfinite(p->sel[i]->rate_target) && p->sel[i]->rate_target > 0 && p->sel[i]->p99_ms > 0) cs[m++] = p->sel[i];
    if (!m) continue;
    qsort(cs, m, sizeof *cs, by_rate);
    for (size_t i = 0; i < m; i++) {
      if (i == 0 || cs[i]->conc != cs[i - 1]->conc) {
        /* A block per line: a backend at two concurrencies is named twice, drawn alike. */
        if (lo + 40 < sizeof list)
          lo += (size_t)snprintf(list + lo, sizeof list - lo, "%s%s", lo ? " " : "", p->backends[bi]);
        cb_sb_printf(&b, "%s# backend %s c=%u\n", blocks++ ? "\n\n" : "", p->backends[bi], cs[i]->conc);
      }
      cb_sb_printf(&b, "%.6g", cs[i]->rate_target);
      cb__sb_num(&b, cs[i]->p99_ms);
      cb__sb_num(&b, cs[i]->rate_achieved);
      cb_sb_printf(&b, " %u %.0f\n", cs[i]->conc, cs[i]->errors);
      points++;
    }
  }
  if (!points) goto cleanup;
  if ((rc = cb__write_data(p, file, &b))) goto cleanup;
  cb__describe(p, g, sub, sizeof sub);
  cb__fmt(vars, sizeof vars, "backends='%s'; what='%s'; %s", list, g->label, sub);
  rc = cb__run_gnuplot(p, "load.gp", name, vars);
cleanup:
  free(b.p);
  return rc;
}
