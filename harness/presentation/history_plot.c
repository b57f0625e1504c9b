/* history_plot.c: the trend plots of a history: per workload and environment, a line per case
 * across the runs, its interval band, and its change points, through the plotter's gnuplot. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "history_plot.h"
#include "presentation_int.h"
#include "signals.h"
#include "util.h"

/* One plot: the series of workload w in environment env, data and script variables. */
static int draw_one(cb__plotter *p, const cb_hdata *d, const cb_hchange *ch, size_t nch, int64_t env,
                    const char *w, int multi) {
  char name[PLOT_NAME], file[PLOT_NAME + 8], safe_w[64], what[128];
  cb_sbuf b = { 0 }, names = { 0 };
  size_t ns = 0;
  cb__safe_name(safe_w, sizeof safe_w, w);
  if (multi) cb__fmt(name, sizeof name, "history_%s_env%lld", safe_w, (long long)env);
  else cb__fmt(name, sizeof name, "history_%s", safe_w);
  for (size_t i = 0; i < d->nseries; i++) {
    const cb_hseries *s = &d->series[i];
    if (s->env != env || strcmp(s->workload, w) != 0) continue;
    char key[sizeof s->key], label[128];
    cb__safe_chars(key, sizeof key, s->key, "/=");
    cb_sb_printf(&names, "%s%s", ns ? " " : "", key);
    cb_sb_printf(&b, "# %s: run median lo hi label\n", key);
    for (size_t k = 0; k < s->n; k++) {
      const cb_hpoint *pt = &s->pts[k];
      cb__safe_name(label, sizeof label, d->runs[pt->run].label);
      cb_sb_printf(&b, "%zu ", pt->run + 1);
      cb__sb_num(&b, pt->median);
      cb_sb_printf(&b, " ");
      cb__sb_num(&b, pt->lo);
      cb_sb_printf(&b, " ");
      cb__sb_num(&b, pt->hi);
      cb_sb_printf(&b, " %s\n", label);
    }
    /* Its change points; a NaN line keeps a block that has none from being empty. */
    cb_sb_printf(&b, "\n\n# %s: change points: run median\n1 NaN\n", key);
    for (size_t c = 0; c < nch; c++)
      if (ch[c].series == i) {
        cb_sb_printf(&b, "%zu ", s->pts[ch[c].cp.index].run + 1);
        cb__sb_num(&b, s->pts[ch[c].cp.index].median);
        cb_sb_printf(&b, "\n");
      }
    cb_sb_printf(&b, "\n\n");
    ns++;
  }
  int rc = 0;
  if (ns && !names.oom) {
    char vars[PLOT_VARS];
    char envs[64] = "";
    if (multi) snprintf(envs, sizeof envs, " (environment %lld)", (long long)env);
    cb__safe_text(what, sizeof what, w);
    cb__fmt(file, sizeof file, "%s.dat", name);
    if ((rc = cb__write_data(p, file, &b)) == 0) {
      if (cb__fmt(vars, sizeof vars, "what='%s%s'; series='%s'; nruns=%zu", what, envs, names.p, d->nruns)) {
        snprintf(p->err, p->errlen, "history plot %s: too many cases for one plot", name);
        rc = -E2BIG;
      } else {
        rc = cb__run_gnuplot(p, "history.gp", name, vars);
      }
    }
  } else if (names.oom) {
    rc = -ENOMEM;
    snprintf(p->err, p->errlen, "history plot: out of memory");
  }
  cb_sb_free(&b);
  cb_sb_free(&names);
  return rc;
}

int cb_history_plot(const cb_hdata *d, const cb_hchange *ch, size_t nch, const char *outdir, int *count,
                    char *err, size_t len) {
  cb__plotter p = { .logfd = -1, .err = err, .errlen = len };
  char logpath[PATH_MAX + 32];
  int rc = 0;
  *count = 0;
  err[0] = '\0';
  if (cb__find_gnuplot(p.gnuplot, sizeof p.gnuplot) != 0) {
    snprintf(err, len, "gnuplot is not installed: install the Debian package gnuplot-nox (apt-get install gnuplot-nox)");
    return -ENOENT;
  }
  if ((rc = cb__find_scripts(&p))) return rc;
  if (!realpath(outdir, p.dir) && (cb_mkdirs(outdir) != 0 || !realpath(outdir, p.dir))) {
    rc = -errno;
    snprintf(err, len, "cannot create %s: %s", outdir, strerror(errno));
    return rc ? rc : -EIO;
  }
  if (cb__fmt(p.data, sizeof p.data, "%s/data", p.dir) || cb__fmt(logpath, sizeof logpath, "%s/gnuplot.log", p.dir)) {
    snprintf(err, len, "%s: path too long", outdir);
    return -ENAMETOOLONG;
  }
  if ((rc = cb_mkdirs(p.data))) {
    snprintf(err, len, "cannot create %s: %s", p.data, strerror(-rc));
    return rc;
  }
  /* gnuplot writes straight into outdir: a history plot has no earlier plots to keep whole. */
  snprintf(p.tmp, sizeof p.tmp, "%s", p.dir);
  snprintf(p.tmpname, sizeof p.tmpname, ".");
  if ((p.logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
    rc = -errno;
    snprintf(err, len, "cannot create %s: %s", logpath, strerror(errno));
    return rc;
  }
  size_t nw = 0;
  const char **ws = calloc(d->nseries ? d->nseries : 1, sizeof *ws);
  p.outputs = calloc(d->nseries * (d->nenvs ? d->nenvs : 1) + 1, sizeof *p.outputs);
  if (!ws || !p.outputs || (rc = cb__make_env(&p))) {
    rc = -ENOMEM;
    snprintf(err, len, "history plot: out of memory");
    goto cleanup;
  }
  for (size_t i = 0; i < d->nseries; i++) {
    size_t k = 0;
    while (k < nw && strcmp(ws[k], d->series[i].workload) != 0) k++;
    if (k == nw) ws[nw++] = d->series[i].workload;
  }
  for (size_t e = 0; e < d->nenvs && !rc; e++)
    for (size_t k = 0; k < nw && !rc; k++) rc = draw_one(&p, d, ch, nch, d->envs[e].id, ws[k], d->nenvs > 1);
  *count = (int)p.nout;
cleanup:
  if (p.logfd >= 0) close(p.logfd);
  cb__free_env(&p);
  free(ws);
  free(p.outputs);
  return rc;
}
