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

/* The task latency spectrum of c: from its histogram, else from the spectrum results.json
 * keeps beside it. Returns the number of points. */
static size_t spectrum_of(const cb_rcase *c, cb_hist_point *pts, size_t max) {
  cb_hist *h = c->lat_buckets ? malloc(sizeof *h) : NULL;
  if (h && cb_rcase_hist(c, h) == 0) {
    size_t n = cb_hist_spectrum(h, pts, max);
    free(h);
    return n < max ? n : max;
  }
  free(h);
  const cJSON *lat = cJSON_GetObjectItemCaseSensitive(c->json, "latency");
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(lat, "task"), "spectrum"), *it;
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

int cb__plot_latency(cb__plotter *p, const cb__pgroup *g) {
  cb_sbuf b = { 0 };
  char name[PLOT_NAME + 16], file[PLOT_NAME + 32], list[PLOT_MAX_BACKENDS * 33] = "", sub[512], vars[PLOT_VARS];
  cb_hist_point pts[CB_HIST_SPECTRUM_MAX];
  double xcap = 1, ymin = INFINITY, ymax = 0;
  int rc = 0, blocks = 0;
  size_t lo = 0;
  cb__fmt(name, sizeof name, "latency_%s", g->name);   /* sized to fit */
  cb__fmt(file, sizeof file, "%s.dat", name);
  /* 100% (the max) would sit at x = infinity: it is drawn at the largest finite x of the plot
   * instead, so every line ends at the same place, at its max. */
  for (unsigned bi = 0; bi < p->nb; bi++) {
    const cb_rcase *c = cb_results_find(p->r, g->workload, p->bnames[bi], g->params_str, g->cmax);
    size_t n = c ? spectrum_of(c, pts, CB_HIST_SPECTRUM_MAX) : 0;
    for (size_t i = 0; i < n; i++)
      if (pts[i].percentile < 100 && 1.0 / (1.0 - pts[i].percentile / 100.0) > xcap)
        xcap = 1.0 / (1.0 - pts[i].percentile / 100.0);
  }
  cb_sb_printf(&b, "# %s: task latency spectrum of workload %s (%s) at concurrency %u, one block per backend (gnuplot index 0, 1, ...)\n",
            name, g->workload, g->params_str, g->cmax);
  cb_sb_printf(&b, "# percentile x=1/(1-percentile/100) latency_ms   (100%%, the max, is put at x=%.9g, the largest x below 100%%: its own is infinite)\n", xcap);
  for (unsigned bi = 0; bi < p->nb; bi++) {
    const cb_rcase *c = cb_results_find(p->r, g->workload, p->bnames[bi], g->params_str, g->cmax);
    size_t n = c ? spectrum_of(c, pts, CB_HIST_SPECTRUM_MAX) : 0, rows = 0;
    for (size_t i = 0; i < n; i++) {
      if (!isfinite(pts[i].value_ms)) continue;
      if (!rows++) {
        lo += (size_t)snprintf(list + lo, sizeof list - lo, "%s%s", lo ? " " : "", p->backends[bi]);
        cb_sb_printf(&b, "%s# backend %s\n", blocks++ ? "\n\n" : "", p->backends[bi]);
      }
      double x = pts[i].percentile < 100 ? 1.0 / (1.0 - pts[i].percentile / 100.0) : xcap;
      cb_sb_printf(&b, "%.9g %.9g %.9g\n", pts[i].percentile, x, pts[i].value_ms);
      if (pts[i].value_ms < ymin) ymin = pts[i].value_ms;
      if (pts[i].value_ms > ymax) ymax = pts[i].value_ms;
    }
  }
  if (!lo) goto cleanup;   /* no histograms in this run */
  if ((rc = cb__write_data(p, file, &b))) goto cleanup;
  /* x to the next decade past the data, so the last percentile tick is labelled. */
  double xhi = 100;
  while (xhi < xcap * 1.0001 && xhi < 1e9) xhi *= 10;
  cb__describe(p, g, sub, sizeof sub);
  cb__fmt(vars, sizeof vars, "backends='%s'; what='%s'; %s; conc=%u; xmax=%g; logy=%d",
           list, g->label, sub, g->cmax, xhi, ymin > 0 && ymax / ymin > 30);
  rc = cb__run_gnuplot(p, "latency.gp", name, vars);
cleanup:
  free(b.p);
  return rc;
}

