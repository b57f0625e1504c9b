/* plot.c: `concbench plot`'s work: a run's results as gnuplot data files under DIR/plots/data, drawn by the scripts of scripts/plots as PNG and SVG, published only once drawn. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "plot.h"
#include "presentation_int.h"
#include "signals.h"
#include "util.h"

static const char no_gnuplot[] =
  "gnuplot is not installed: install the Debian package gnuplot-nox (apt-get install gnuplot-nox)";


/* Every plot drawn: from the temporary directory into DIR/plots, one rename each. */
static int publish(cb__plotter *p) {
  char from[PATH_MAX + PLOT_NAME], to[PATH_MAX + PLOT_NAME];
  for (size_t i = 0; i < p->nout; i++)
    for (int k = 0; k < 2; k++) {
      const char *ext = k ? "svg" : "png";
      if (cb__fmt(from, sizeof from, "%s/%s.%s", p->tmp, p->outputs[i], ext) ||
          cb__fmt(to, sizeof to, "%s/%s.%s", p->dir, p->outputs[i], ext)) {
        snprintf(p->err, p->errlen, "%s: path too long", p->dir);
        return -ENAMETOOLONG;
      }
      if (rename(from, to) != 0) {
        int e = errno;
        snprintf(p->err, p->errlen, "cannot move %s to %s: %s", from, to, strerror(e));
        return -e;
      }
    }
  return 0;
}

/* The plots a previous `plot` drew and this one did not (a group now left out, a workload no
 * longer run): removed, so the report never shows a figure of other data. Only names the plotter
 * makes, as .png or .svg. */
static void remove_stale(cb__plotter *p) {
  DIR *d = opendir(p->dir);
  struct dirent *e;
  char path[PATH_MAX + PLOT_NAME];
  if (!d) return;
  while ((e = readdir(d))) {
    const char *dot = strrchr(e->d_name, '.');
    if (!dot || (strcmp(dot, ".png") != 0 && strcmp(dot, ".svg") != 0)) continue;
    size_t bl = (size_t)(dot - e->d_name), k = 0;
    if (!cb__plot_name_ok(e->d_name, bl)) continue;
    while (k < p->nout && !(strncmp(p->outputs[k], e->d_name, bl) == 0 && p->outputs[k][bl] == '\0')) k++;
    if (k < p->nout || cb__fmt(path, sizeof path, "%s/%s", p->dir, e->d_name)) continue;
    unlink(path);
  }
  closedir(d);
}

/* A plot that fails does not stop the others: the first error is kept and returned. */
static int plot_all(cb__plotter *p) {
  int rc, first = 0;
  char first_err[1024] = "";
#define TRY(call) do { \
    if ((rc = (call)) && !first) { first = rc; snprintf(first_err, sizeof first_err, "%s", p->err); } \
  } while (0)
  for (size_t k = 0; k < p->ng; k++) {
    TRY(cb__plot_series(p, &p->groups[k], SERIES_WALL));
    TRY(cb__plot_series(p, &p->groups[k], SERIES_THROUGHPUT));
    TRY(cb__plot_series(p, &p->groups[k], SERIES_MEMORY));
    TRY(cb__plot_latency(p, &p->groups[k]));
    TRY(cb__plot_load(p, &p->groups[k]));
  }
  TRY(cb__plot_speedup(p));
  TRY(cb__plot_crossovers(p));
  TRY(cb__plot_cputime(p));
#undef TRY
  if (cb_interrupted > 0) return -EINTR;   /* p->err says so already */
  if (first) snprintf(p->err, p->errlen, "%s", first_err);
  return first;
}

int cb_plot_results(const cb_results *r, int *count, char *err, size_t len) {
  const char *dir = r->dir;
  cb__plotter p = { .r = r, .logfd = -1, .err = err, .errlen = len };
  char logtmp[PATH_MAX + 32], logpath[PATH_MAX + 32];
  int rc = 0;
  cb_guard guard = CB_GUARD_NONE;
  *count = 0;
  err[0] = '\0';
  /* Before anything is written: without gnuplot the results stay as they were. */
  if (cb__find_gnuplot(p.gnuplot, sizeof p.gnuplot) != 0) {
    snprintf(err, len, "%s", no_gnuplot);
    return -ENOENT;
  }
  if ((rc = cb__find_scripts(&p))) return rc;
  /* The longest path below is the temporary directory's log. */
  if (cb__fmt(p.dir, sizeof p.dir, "%s/plots", dir) || cb__fmt(p.data, sizeof p.data, "%s/plots/data", dir) ||
      cb__fmt(p.tmp, sizeof p.tmp, "%s/plots/.tmp-%d-XXXXXX", dir, (int)getpid()) || strlen(p.tmp) + 16 >= sizeof logtmp) {
    snprintf(err, len, "%s: path too long", dir);
    return -ENAMETOOLONG;
  }
  /* A plots folder that links out of the run's directory would have plots written elsewhere. */
  if (cb_path_inside(dir, p.dir) == 0) {
    snprintf(err, len, "%s is a link out of %s; remove it, and plot makes a folder there", p.dir, dir);
    return -EXDEV;
  }
  if ((rc = cb_mkdirs(p.data))) {
    snprintf(err, len, "cannot create %s: %s", p.data, strerror(-rc));
    return rc;
  }
  /* What a plot killed with its watcher left (its owner's PID is in the name). */
  cb_sweep_orphans(p.dir, ".tmp-");
  if (!mkdtemp(p.tmp)) {
    rc = -errno;
    snprintf(err, len, "cannot create a directory in %s: %s", p.dir, strerror(errno));
    return rc;
  }
  /* Partial plots must not stay when this process is killed (kill -9 included), and a killed
   * process cannot remove them itself: a watcher removes the directory once we are gone. */
  if ((rc = cb_guard_start(&guard, p.tmp)) != 0) {
    snprintf(err, len, "cannot start the process that removes %s: %s", p.tmp, strerror(-rc));
    cb_rmtree(p.tmp);
    return rc;
  }
  snprintf(p.tmpname, sizeof p.tmpname, "%s", strrchr(p.tmp, '/') + 1);
  cb__fmt(logtmp, sizeof logtmp, "%s/gnuplot.log", p.tmp);     /* room was checked above */
  cb__fmt(logpath, sizeof logpath, "%s/gnuplot.log", p.dir);
  if ((p.logfd = open(logtmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
    rc = -errno;
    snprintf(err, len, "cannot create %s: %s", logtmp, strerror(errno));
    goto cleanup;
  }
  p.sel = calloc(r->n ? r->n : 1, sizeof *p.sel);
  /* At most four plots per group, the speedup, the CPU time and a crossover per workload. */
  p.outputs = calloc(4 * r->n + 2 + r->nworkloads, sizeof *p.outputs);
  if (!p.sel || !p.outputs || (rc = cb__make_env(&p)) || (rc = cb__collect_groups(&p))) {
    rc = -ENOMEM;
    snprintf(err, len, "plot: out of memory");
    goto cleanup;
  }
  cb__collect_backends(&p);
  dprintf(p.logfd, "== concbench plot %s: %zu cases, scripts from %s\n", dir, r->n, p.scripts);
  /* What worked is published even when a plot failed. */
  rc = plot_all(&p);
  int prc = publish(&p);
  if (!rc) rc = prc;
  /* Only after a complete plot: a failed one keeps what was there. */
  if (!rc && cb_interrupted <= 0) remove_stale(&p);
  *count = (int)p.nout;
  if (!rc && p.skipped[0])
    snprintf(err, len, "left out for want of a single value to draw (a figure missing from every case): %s", p.skipped);
cleanup:
  /* The log survives either way (it says why a plot failed); partial outputs do not. */
  if (p.logfd >= 0) {
    close(p.logfd);
    if (rename(logtmp, logpath) != 0 && rc == 0) {
      rc = -errno;
      snprintf(err, len, "cannot write %s: %s", logpath, strerror(errno));
    }
  }
  cb_rmtree(p.tmp);
  cb_guard_end(&guard);
  cb__free_env(&p);
  free(p.sel);
  free(p.outputs);
  free(p.groups);
  return rc;
}

int cb_plot(const char *dir, char *err, size_t len) {
  cb_results r;
  int count, rc = cb_results_read(dir, &r, err, len);
  /* -ENOENT stays the answer for a missing gnuplot only. */
  if (rc) return rc == -ENOENT ? -EINVAL : rc;
  rc = cb_plot_results(&r, &count, err, len);
  cb_results_free(&r);
  return rc;
}

