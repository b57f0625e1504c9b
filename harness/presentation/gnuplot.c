/* gnuplot.c: finding gnuplot and the scripts of scripts/plots, and running one script with a deadline, its output checked. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "procfs.h"
#include "presentation_int.h"
#include "signals.h"

extern char **environ;

/* ---- finding gnuplot and the scripts ---------------------------------------------------- */

int cb__find_gnuplot(char *out, size_t len) {
  const char *path = getenv("PATH");
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  while (1) {
    const char *colon = strchr(path, ':');
    size_t n = colon ? (size_t)(colon - path) : strlen(path);
    struct stat st;
    /* An empty entry means the current directory, as execvp has it. */
    if ((size_t)snprintf(out, len, "%.*s/gnuplot", (int)n, n ? path : ".") < len &&
        stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
      return 0;
    if (!colon) break;
    path = colon + 1;
  }
  out[0] = '\0';
  return -ENOENT;
}

static int has_scripts(const char *dir) {
  char f[PATH_MAX + 16];
  if (cb__fmt(f, sizeof f, "%s/common.gp", dir)) return 0;
  return access(f, R_OK) == 0;
}

/* CB_SCRIPTS_DIR, then next to the binary (an installed or build tree), then the source tree. */
int cb__find_scripts(cb__plotter *p) {
  char cand[3][PATH_MAX];
  unsigned n = 0;
  const char *env = getenv("CB_SCRIPTS_DIR");
  if (env && *env) snprintf(cand[n++], PATH_MAX, "%s", env);
  char exe[PATH_MAX];
  ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (el > 0) {
    exe[el] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      if (cb__fmt(cand[n], PATH_MAX, "%s/../scripts/plots", exe) == 0) n++;
    }
  }
  snprintf(cand[n++], PATH_MAX, "%s/scripts/plots", CB_SOURCE_DIR);
  for (unsigned i = 0; i < n; i++)
    if (has_scripts(cand[i]) && realpath(cand[i], p->scripts)) return 0;
  snprintf(p->err, p->errlen, "the gnuplot scripts (scripts/plots/common.gp) are not found: set CB_SCRIPTS_DIR to their directory");
  return -ENOTDIR;
}

/* environ with GNUPLOT_LIB pointing at the scripts: built before fork, as the child may only
 * call async-signal-safe functions when the caller (run) has threads. */
int cb__make_env(cb__plotter *p) {
  size_t n = 0;
  while (environ && environ[n]) n++;
  if (!(p->envp = calloc(n + 2, sizeof *p->envp))) return -ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "GNUPLOT_LIB=", 12) != 0) p->envp[k++] = environ[i];
  size_t len = strlen(p->scripts) + 16;
  if (!(p->envp[k] = malloc(len))) return -ENOMEM;
  snprintf(p->envp[k], len, "GNUPLOT_LIB=%s", p->scripts);
  p->envp[k + 1] = NULL;
  return 0;
}

void cb__free_env(cb__plotter *p) {
  if (!p->envp) return;
  size_t k = 0;
  while (p->envp[k]) k++;
  if (k) free(p->envp[k - 1]);   /* only GNUPLOT_LIB, the last, is ours */
  free(p->envp);
  p->envp = NULL;
}

/* ---- running gnuplot -------------------------------------------------------------------- */

static int output_ok(const cb__plotter *p, const char *file) {
  char path[PATH_MAX + PLOT_NAME];
  struct stat st;
  if (cb__fmt(path, sizeof path, "%s/%s", p->tmp, file)) return 0;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* Runs script with the common variables and vars, in DIR/plots, output to the log; the plot
 * `name` must come out as name.png and name.svg in the temporary directory. */
int cb__run_gnuplot(cb__plotter *p, const char *script, const char *name, const char *vars) {
  char spath[PATH_MAX + 64], e[PLOT_VARS + PLOT_MAX_BACKENDS * 33 + 512], f[PLOT_NAME + 8];
  char all[PLOT_MAX_BACKENDS * 33] = "", base[64];
  int st = 0, rc = 0;
  /* Every backend of the run in its order: a backend's colour and point shape are its place in
   * this list, the same in every plot, whatever the backend is called. */
  for (unsigned i = 0, off = 0; i < p->nb && off < sizeof all; i++)
    off += (unsigned)snprintf(all + off, sizeof all - off, "%s%s", i ? " " : "", p->backends[i]);
  cb__safe_text(base, sizeof base, p->base ? p->base : "the baseline");
  if (cb__fmt(spath, sizeof spath, "%s/%s", p->scripts, script) ||
      cb__fmt(e, sizeof e, "datadir='data'; outdir='%s'; name='%s'; allbackends='%s'; baseline='%s'; %s", p->tmpname,
              name, all, base, vars)) {
    snprintf(p->err, p->errlen, "plot %s: too many series for one plot", name);
    return -E2BIG;
  }
  if (cb_interrupted > 0) return -EINTR;     /* the plots left are not drawn */
  dprintf(p->logfd, "== gnuplot -e \"%s\" %s\n", e, spath);
  char *argv[] = { "gnuplot", "-e", e, spath, NULL };
  pid_t parent = getpid(), pid = fork();
  if (pid < 0) {
    rc = -errno;
    snprintf(p->err, p->errlen, "cannot start gnuplot: %s", strerror(errno));
    return rc;
  }
  if (pid == 0) {
    /* gnuplot ends with its caller, a kill -9 of report or plot included. */
    if (cb_die_with_parent(SIGKILL, parent) != 0) _exit(1);
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(p->logfd, 1) < 0 || dup2(p->logfd, 2) < 0 || chdir(p->dir) != 0) _exit(126);
    execve(p->gnuplot, argv, p->envp);
    _exit(127);
  }
  int64_t deadline = cb_now_ns() + (int64_t)PLOT_TIMEOUT_S * 1000000000;
  pid_t w;
  while ((w = waitpid(pid, &st, WNOHANG)) == 0 && cb_now_ns() < deadline && cb_interrupted <= 0) {
    struct timespec ts = { 0, 5000000 };
    nanosleep(&ts, NULL);
  }
  if (w == 0 && cb_interrupted > 0) {
    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  }
  if (cb_interrupted > 0) {
    snprintf(p->err, p->errlen, "interrupted by %s while drawing %s", strsignal(cb_interrupted), name);
    return -EINTR;
  }
  if (w == 0) {
    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    dprintf(p->logfd, "== killed after %d s\n", PLOT_TIMEOUT_S);
    snprintf(p->err, p->errlen, "gnuplot took over %d s on %s (%s); see %s/gnuplot.log", PLOT_TIMEOUT_S, script, name, p->dir);
    return -ETIMEDOUT;
  }
  if (w < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    snprintf(p->err, p->errlen, "gnuplot failed on %s (%s); see %s/gnuplot.log", script, name, p->dir);
    return -EIO;
  }
  for (int k = 0; k < 2; k++) {
    cb__fmt(f, sizeof f, "%s.%s", name, k ? "svg" : "png");
    if (!output_ok(p, f)) {
      dprintf(p->logfd, "== %s was not written\n", f);
      snprintf(p->err, p->errlen, "gnuplot did not write %s with %s; see %s/gnuplot.log", f, script, p->dir);
      return -EIO;
    }
  }
  snprintf(p->outputs[p->nout++], PLOT_NAME, "%s", name);
  return 0;
}

