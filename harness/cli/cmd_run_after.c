/* cmd_run_after.c: what `concbench run` does once the engine is done: the gates, the plots and
 * the report, results/latest, the baseline and the history. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_int.h"
#include "gate_eval.h"
#include "plot.h"
#include "report.h"
#include "results.h"
#include "signals.h"
#include "util.h"

/* The gates, on this run's own rows: 0 when all hold, else 1. */
int cb__run_gates(const cb_gate *gates, int ngates, const cb_engine *e, int quiet) {
  int status = 0;
  for (int i = 0; i < ngates; i++) {
    double fig;
    char what[512];
    int h = cb_gate_eval(&gates[i], e->plan, e->rows, &fig, what, sizeof what);
    if (h < 0) {
      cb_errorf("gate %s: nothing measured to decide it", gates[i].text);
      status = 1;
    } else if (!h) {
      cb_errorf("gate %s FAILED: %.4g (%s)", gates[i].text, fig, what);
      status = 1;
    } else if (!quiet) {
      printf("gate %s holds: %.4g (%s)\n", gates[i].text, fig, what);
    }
  }
  return status;
}

/* Plots and report; gnuplot missing leaves the results whole. 0, or 1 when either failed. */
int cb__run_draw(const char *outdir, int quiet) {
  char err[1024];
  int status = 0, rc = cb_plot(outdir, err, sizeof err);
  if (rc != 0 && rc != -EINTR) {
    cb_errorf("run: %s", err);
    status = 1;
  }
  if (cb_interrupted > 0) return status;   /* said once, at the end */
  if (cb_report(outdir, err, sizeof err) != 0) {
    cb_errorf("run: %s", err);
    return 1;
  }
  if (!quiet) printf("report: %s/report.html (and report.md)\n", outdir);
  return status;
}

/* A run written straight under a directory named results (the default results/<timestamp>/
 * included) refreshes results/latest, a relative link to it, so `compare --baseline main
 * results/latest` names the last run. Elsewhere nothing is linked: -o is the user's own place. */
void cb__run_link_latest(const char *outdir) {
  char d[PATH_MAX];
  size_t n = strlen(outdir);
  if (n == 0 || n >= sizeof d) return;
  memcpy(d, outdir, n + 1);
  while (n > 1 && d[n - 1] == '/') d[--n] = 0;
  char *slash = strrchr(d, '/');
  const char *base = slash ? slash + 1 : d;
  if (!slash) return;   /* -o NAME in the working directory: not under results/ */
  *slash = 0;
  const char *pslash = strrchr(d, '/');
  const char *parent = pslash ? pslash + 1 : d;
  if (strcmp(parent, "results") != 0 || strcmp(base, "latest") == 0 || strcmp(base, "baselines") == 0 ||
      !*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    return;
  char link[PATH_MAX + 16];
  snprintf(link, sizeof link, "%s/latest", d);
  int rc = cb_symlink_replace(base, link);
  /* The run's results are written either way: a link that cannot be made is worth a line, not a
   * failed run. */
  if (rc == -EEXIST) {
    fprintf(stderr, "concbench: run: %s is not a symbolic link, so it was left as it is\n", link);
  } else if (rc != 0) {
    fprintf(stderr, "concbench: run: cannot point %s at %s: %s\n", link, base, strerror(-rc));
  }
}

/* The finished run into the history opened before it ran. 0, or 1. */
int cb__run_add_history(cb_history *h, const char *outdir, const char *label, int quiet) {
  char err[8192];
  cb_results r;
  if (cb_results_read(outdir, &r, err, sizeof err) != 0) {
    cb_errorf("run: cannot add the run to the history %s: %s", h->path, err);
    return 1;
  }
  int64_t id;
  int rc = cb_history_add(h, &r, label, r.dir, &id, err, sizeof err);
  cb_results_free(&r);
  if (rc) {
    cb_errorf("run: cannot add the run to the history: %s", err);
    return 1;
  }
  if (!quiet) printf("history: run %lld in %s\n", (long long)id, h->path);
  return 0;
}

/* Only a whole, passing run becomes a baseline. 0, or 1. */
int cb__run_save_baseline(const char *outdir, const char *name, int quiet) {
  char bdir[PATH_MAX + 64];
  const char *root = getenv("CB_BASELINES");
  snprintf(bdir, sizeof bdir, "%s/%s", root && *root ? root : "results/baselines", name);
  int rc = cb_results_copy(outdir, bdir);
  if (rc != 0) {
    cb_errorf("run: cannot save the baseline %s: %s", bdir, strerror(-rc));
    return 1;
  }
  if (!quiet) printf("baseline: %s\n", bdir);
  return 0;
}

