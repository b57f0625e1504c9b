/* plots_run.c: the plots of the whole run: the speedup over the baseline, the crossover along each workload's sweep axis, and CPU time against wall time. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "backend.h"
#include "presentation_int.h"

/* Under a bar cluster there is room for little: the sweep axis by the first word of its name,
 * "io=0.25", not "io_fraction=0.25". */
static void short_varying(const cb__pgroup *g, char *out, size_t len) {
  const char *v = g->varying, *axis = g->wl->sweep;
  size_t al = strlen(axis);
  if (al && strncmp(v, axis, al) == 0 && v[al] == '=') {
    size_t word = strcspn(axis, "_");
    snprintf(out, len, "%.*s%s", (int)word, axis, v + al);
  } else {
    snprintf(out, len, "%s", v);
  }
}

/* The bootstrap's seed: results.json's method.seed, as the report's intervals use. */
static uint64_t plot_seed(const cb__plotter *p) {
  const cJSON *seed = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p->r->root, "method"), "seed");
  return cJSON_IsNumber(seed) && seed->valuedouble >= 0 && seed->valuedouble < 1.8e19 ? (uint64_t)seed->valuedouble : 1;
}

int cb__plot_speedup(cb__plotter *p) {
  cb_sbuf b = { 0 }, gb = { 0 };
  char list[PLOT_MAX_BACKENDS * 33] = "", vars[PLOT_VARS];
  uint32_t *conc = calloc(p->ng ? p->ng : 1, sizeof *conc);
  int *slot = calloc(p->ng ? p->ng : 1, sizeof *slot);
  int rc = 0, nslots = 0, used[PLOT_MAX_BACKENDS] = { 0 }, nused = 0;
  double smin = INFINITY, smax = 0, bmin = INFINITY, base, med;   /* bmin: the bars' own, for their labels */
  size_t lo = 0;
  if (!conc || !slot) { rc = -ENOMEM; snprintf(p->err, p->errlen, "plot: out of memory"); goto cleanup; }
  /* Which groups get a cluster, and which backends a bar anywhere (a backend keeps its place
   * in every cluster, so colours and positions line up). */
  for (size_t k = 0; k < p->ng; k++) {
    conc[k] = cb__speedup_conc(p, &p->groups[k]);
    slot[k] = conc[k] ? nslots++ : -1;
    for (unsigned bi = 0; conc[k] && bi < p->nb; bi++)
      if (!(p->bflags[bi] & CB_BACKEND_BASELINE) && !used[bi] &&
          isfinite(cb__speedup_of(p, &p->groups[k], p->bnames[bi], conc[k], &base, &med)))
        used[bi] = 1;
  }
  for (unsigned bi = 0; bi < p->nb; bi++) nused += used[bi];
  if (!nslots || !nused) goto cleanup;
  double w = 0.8 / nused;
  cb_sb_printf(&b, "# speedup: %s median wall / backend median wall (the ratio of throughputs, tasks / median wall, when their tasks differ), per workload at its highest concurrency (%s runs one task at a time at any concurrency); one block per backend (gnuplot index 0, 1, ...)\n",
               p->base, p->base);
  cb_sb_printf(&b, "# x speedup half_width %s_median_s backend_median_s concurrency workload params ci95_lo ci95_hi (of the speedup: a bootstrap of both cases' repetitions, as the report's)\n", p->base);
  cb_sb_printf(&gb, "# speedup_groups: the clusters of speedup.dat: x workload varying_params concurrency\n");
  for (size_t k = 0; k < p->ng; k++) {
    if (slot[k] < 0) continue;
    char wl[64];
    cb__safe_name(wl, sizeof wl, p->groups[k].workload);
    char var[PLOT_NAME];
    short_varying(&p->groups[k], var, sizeof var);
    cb_sb_printf(&gb, "%d \"%s\" \"%s\" \"c=%u\"\n", slot[k], wl, var, conc[k]);
  }
  int j = 0;
  for (unsigned bi = 0; bi < p->nb; bi++) {
    if (!used[bi]) continue;
    lo += (size_t)snprintf(list + lo, sizeof list - lo, "%s%s", lo ? " " : "", p->backends[bi]);
    cb_sb_printf(&b, "%s# backend %s\n", j ? "\n\n" : "", p->backends[bi]);
    for (size_t k = 0; k < p->ng; k++) {
      if (slot[k] < 0) continue;
      const cb__pgroup *g = &p->groups[k];
      double s = cb__speedup_of(p, g, p->bnames[bi], conc[k], &base, &med);
      if (!isfinite(s)) continue;
      char wl[64], ps[256];
      cb__safe_name(wl, sizeof wl, g->workload);
      /* The parameters as results.json has them, so the row can be looked up there. */
      cb__safe_chars(ps, sizeof ps, g->params_str, "=;,");
      double x, clo = NAN, chi = NAN;
      const cb_rcase *bc = cb__base_at(p, g->workload, g->params_str, conc[k]);
      const cb_rcase *cc = cb_results_find(p->r, g->workload, p->bnames[bi], g->params_str, conc[k]);
      if (cb__rate_ratio_ci(bc, cc, plot_seed(p), &x, &clo, &chi) == -ENOMEM) {
        rc = -ENOMEM;
        snprintf(p->err, p->errlen, "plot: out of memory");
        goto cleanup;
      }
      cb_sb_printf(&b, "%.6f %.9g %.6f %.9g %.9g %u %s %s", slot[k] + (j - (nused - 1) / 2.0) * w, s, w / 2,
                base, med, conc[k], wl, ps[0] ? ps : "-");
      cb__sb_num(&b, clo);
      cb__sb_num(&b, chi);
      cb_sb_puts(&b, "\n");
      if (s < smin) smin = s;
      if (s > smax) smax = s;
      if (s < bmin) bmin = s;
      if (isfinite(chi) && chi > smax) smax = chi;
      if (clo > 0 && clo < smin) smin = clo;
    }
    j++;
  }
  if ((rc = cb__write_data(p, "speedup.dat", &b)) || (rc = cb__write_data(p, "speedup_groups.dat", &gb))) goto cleanup;
  /* A log axis once the bars differ by more than 20x, else the small ones vanish. */
  double lo_v = smin < 1 ? smin : 1, hi_v = smax > 1 ? smax : 1;
  int logy = hi_v / lo_v > 20;
  double ylo = logy ? lo_v / 1.8 : 0, yhi = logy ? hi_v * 2.2 : hi_v * 1.15;
  cb__fmt(vars, sizeof vars, "backends='%s'; ngroups=%d; logy=%d; ylo=%g; yhi=%g; anyabove=%d; anybelow=%d", list,
           nslots, logy, ylo, yhi, !logy || smax >= 1, logy && bmin < 1);
  rc = cb__run_gnuplot(p, "speedup.gp", "speedup", vars);
cleanup:
  free(b.p);
  free(gb.p);
  free(conc);
  free(slot);
  return rc;
}

/* ---- along a workload's sweep axis: speedup against it ----------------------------------- */

/* params_str without the axis's item: the groups of one crossover line share it. */
static void params_without(const char *ps, const char *drop, char *out, size_t len) {
  size_t o = 0, dl = strlen(drop);
  out[0] = '\0';
  while (*ps) {
    const char *semi = strchr(ps, ';');
    size_t n = semi ? (size_t)(semi - ps) : strlen(ps);
    if (!(n > dl && strncmp(ps, drop, dl) == 0 && ps[dl] == '=') && o < len)
      o += (size_t)snprintf(out + o, len - o, "%s%.*s", o ? ";" : "", (int)n, ps);
    ps += n + (semi ? 1 : 0);
  }
}

/* The groups of wl that the baseline ran at cmax with the axis set, and the same other parameters
 * as the first of them (in rest): their indices in p->groups into order, by increasing axis value.
 * Returns how many. */
static size_t crossover_groups(const cb__plotter *p, const cb_rworkload *wl, uint32_t cmax, size_t *order,
                               char *rest, size_t rlen) {
  char other[256];
  size_t no = 0;
  for (size_t k = 0; k < p->ng; k++) {
    const cb__pgroup *g = &p->groups[k];
    const cb_rcase *s = cb__base_at(p, g->workload, g->params_str, cmax);
    if (g->wl != wl || !s || !isfinite(cb_rcase_param(s, wl->sweep))) continue;
    params_without(g->params_str, wl->sweep, other, sizeof other);
    if (!no) snprintf(rest, rlen, "%s", other);
    else if (strcmp(rest, other) != 0) continue;
    size_t i = no++;
    double f = cb_rcase_param(s, wl->sweep);
    while (i > 0 && cb_rcase_param(cb__base_at(p, wl->name, p->groups[order[i - 1]].params_str, cmax), wl->sweep) > f) {
      order[i] = order[i - 1];
      i--;
    }
    order[i] = k;
  }
  return no;
}

/* The crossover plot of workload wl, as name: speedup over the baseline against its sweep axis,
 * at the highest concurrency any of its groups has the baseline and another backend at. */
static int plot_crossover(cb__plotter *p, const cb_rworkload *wl, const char *name) {
  cb_sbuf b = { 0 };
  char list[PLOT_MAX_BACKENDS * 33] = "", rest[256] = "", other[256], vars[PLOT_VARS], sub[512], file[PLOT_NAME + 8];
  uint32_t cmax = 0;
  double smin = INFINITY, smax = 0, base, med;
  int rc = 0, any = 0;
  size_t lo = 0, *order = calloc(p->ng ? p->ng : 1, sizeof *order), no;
  if (!order) { snprintf(p->err, p->errlen, "plot: out of memory"); return -ENOMEM; }
  for (size_t k = 0; k < p->ng; k++) {
    uint32_t c = p->groups[k].wl == wl ? cb__speedup_conc(p, &p->groups[k]) : 0;
    if (c > cmax) cmax = c;
  }
  if (!cmax) goto cleanup;
  no = crossover_groups(p, wl, cmax, order, rest, sizeof rest);
  cb_sb_printf(&b, "# crossover: workload %s at concurrency %u (%s): speedup over %s (of throughputs when tasks differ) against %s, one block per backend (gnuplot index 0, 1, ...)\n",
               wl->name, cmax, rest, p->base, wl->sweep);
  cb_sb_printf(&b, "# %s speedup %s_median_s backend_median_s\n", wl->sweep, p->base);
  for (unsigned bi = 0; bi < p->nb; bi++) {
    if (p->bflags[bi] & CB_BACKEND_BASELINE) continue;
    int rows = 0;
    for (size_t i = 0; i < no; i++) {
      const cb__pgroup *g = &p->groups[order[i]];
      double s = cb__speedup_of(p, g, p->bnames[bi], cmax, &base, &med);
      if (!isfinite(s)) continue;
      if (!rows++) {
        lo += (size_t)snprintf(list + lo, sizeof list - lo, "%s%s", lo ? " " : "", p->backends[bi]);
        cb_sb_printf(&b, "%s# backend %s\n", any ? "\n\n" : "", p->backends[bi]);
        any = 1;
      }
      const cb_rcase *sc = cb__base_at(p, g->workload, g->params_str, cmax);
      cb_sb_printf(&b, "%.9g %.9g %.9g %.9g\n", cb_rcase_param(sc, wl->sweep), s, base, med);
      if (s < smin) smin = s;
      if (s > smax) smax = s;
    }
  }
  if (!any) goto cleanup;
  cb__fmt(file, sizeof file, "%s.dat", name);
  if ((rc = cb__write_data(p, file, &b))) goto cleanup;
  char wname[64], axis[64];
  cb__safe_text(other, sizeof other, rest);
  cb__safe_text(wname, sizeof wname, wl->name);
  cb__safe_text(axis, sizeof axis, wl->sweep);
  snprintf(sub, sizeof sub, "concurrency %u%s%s", cmax, other[0] ? ", " : "", other);
  double lo_v = smin < 1 ? smin : 1, hi_v = smax > 1 ? smax : 1;
  cb__fmt(vars, sizeof vars, "backends='%s'; sub='%s'; logy=%d; workload='%s'; axis='%s'; datafile='%s'", list, sub,
          hi_v / lo_v > 20, wname, axis, file);
  rc = cb__run_gnuplot(p, "crossover.gp", name, vars);
cleanup:
  free(order);
  free(b.p);
  return rc;
}

/* One crossover plot per workload with a sweep axis: "crossover" when the run has one such
 * workload (today's mixed), else "crossover_<workload>" each. The first error is returned. */
int cb__plot_crossovers(cb__plotter *p) {
  size_t nsweep = 0;
  int rc = 0;
  char name[PLOT_NAME], wl[64], first_err[1024] = "";
  for (size_t w = 0; w < p->r->nworkloads; w++)
    for (size_t k = 0; k < p->ng && p->r->workloads[w].sweep[0]; k++)
      if (p->groups[k].wl == &p->r->workloads[w]) {
        nsweep++;
        break;
      }
  for (size_t w = 0; w < p->r->nworkloads; w++) {
    const cb_rworkload *wk = &p->r->workloads[w];
    if (!wk->sweep[0]) continue;
    cb__safe_name(wl, sizeof wl, wk->name);
    if (nsweep == 1) snprintf(name, sizeof name, "crossover");
    else snprintf(name, sizeof name, "crossover_%s", wl);
    int r = plot_crossover(p, wk, name);
    if (r && !rc) {
      rc = r;
      snprintf(first_err, sizeof first_err, "%s", p->err);
    }
  }
  if (rc) snprintf(p->err, p->errlen, "%s", first_err);
  return rc;
}

/* ---- CPU time against wall time --------------------------------------------------------- */

int cb__plot_cputime(cb__plotter *p) {
  cb_sbuf b = { 0 };
  char list[PLOT_MAX_BACKENDS * 33] = "", wls[1024] = "", vars[PLOT_VARS];
  const char *wnames[24];
  unsigned nw = 0;
  int rc = 0, any = 0;
  size_t lo = 0, wo = 0;
  /* Workloads get a point shape each; a long tail shares the last one. */
  for (size_t i = 0; i < p->r->n; i++) {
    unsigned k = 0;
    while (k < nw && strcmp(wnames[k], p->r->cases[i].workload) != 0) k++;
    if (k == nw && nw < sizeof wnames / sizeof *wnames) {
      char wl[64];
      wnames[nw++] = p->r->cases[i].workload;
      cb__safe_name(wl, sizeof wl, p->r->cases[i].workload);
      if (wo < sizeof wls) wo += (size_t)snprintf(wls + wo, sizeof wls - wo, "%s%s", wo ? " " : "", wl);
    }
  }
  cb_sb_printf(&b, "# cputime: CPU time (user+sys, whole process tree) against median wall time, every case; one block per backend (gnuplot index 0, 1, ...); cases without CPU time are left out (log axes)\n");
  cb_sb_printf(&b, "# wall_s cpu_s cpu_user_s cpu_sys_s workload_index concurrency workload\n");
  for (unsigned bi = 0; bi < p->nb; bi++) {
    int rows = 0;
    for (size_t i = 0; i < p->r->n; i++) {
      const cb_rcase *c = &p->r->cases[i];
      double cpu = c->cpu_user_s + (isfinite(c->cpu_sys_s) ? c->cpu_sys_s : 0);
      if (strcmp(c->backend, p->bnames[bi]) != 0 || !(cpu > 0) || !(c->wall_median > 0)) continue;
      if (!rows++) {
        lo += (size_t)snprintf(list + lo, sizeof list - lo, "%s%s", lo ? " " : "", p->backends[bi]);
        cb_sb_printf(&b, "%s# backend %s\n", any ? "\n\n" : "", p->backends[bi]);
        any = 1;
      }
      unsigned k = 0;
      while (k < nw && strcmp(wnames[k], c->workload) != 0) k++;
      char wl[64];
      cb__safe_name(wl, sizeof wl, c->workload);
      cb_sb_printf(&b, "%.9g %.9g", c->wall_median, cpu);
      cb__sb_num(&b, c->cpu_user_s);
      cb__sb_num(&b, c->cpu_sys_s);
      cb_sb_printf(&b, " %u %u %s\n", (k < nw ? k : nw - 1) + 1, c->conc, wl);
    }
  }
  if (!any) goto cleanup;
  if ((rc = cb__write_data(p, "cputime.dat", &b))) goto cleanup;
  cb__fmt(vars, sizeof vars, "backends='%s'; workloads='%s'; cores=%u", list, wls, p->r->cores);
  rc = cb__run_gnuplot(p, "cputime.gp", "cputime", vars);
cleanup:
  free(b.p);
  return rc;
}

