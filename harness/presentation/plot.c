/* plot.c: `concbench plot`: a run's results as gnuplot data files under DIR/plots/data, drawn by the scripts of scripts/plots as PNG and SVG. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "plot.h"
#include "signals.h"
#include "resread.h"
#include "util.h"
#include "sbuf.h"

#define PLOT_TIMEOUT_S 60        /* per gnuplot process: a plot takes well under a second */
#define PLOT_MAX_BACKENDS 32
#define PLOT_NAME 160
#define PLOT_VARS 4096

extern char **environ;

static const char no_gnuplot[] =
  "gnuplot is not installed: install the Debian package gnuplot-nox (apt-get install gnuplot-nox)";

/* Backends in the order every plot lists them; their colours live in scripts/plots/common.gp. */
static const char *const known_backends[] = { "sync", "threads", "fork", "uv", "uv-offload" };

/* One workload with one set of parameters: the unit of the per-workload plots. */
typedef struct pgroup {
  const char *workload, *params_str;
  char name[PLOT_NAME];        /* for file names: "sleep", or "mixed_io_fraction-0.5" when the
                                  workload ran with several parameter sets */
  char label[PLOT_NAME];       /* for titles: "sleep", or "mixed (io_fraction=0.5)" */
  char varying[PLOT_NAME];     /* the parameters that tell it from its siblings, or "" */
  uint32_t cmax;               /* its highest concurrency */
} pgroup;

typedef struct plotter {
  const cb_results *r;
  char dir[PATH_MAX];          /* DIR/plots */
  char data[PATH_MAX];         /* DIR/plots/data */
  char tmp[PATH_MAX];          /* DIR/plots/.tmp-XXXXXX: gnuplot's outputs until every plot worked */
  char tmpname[32];            /* its last component: gnuplot runs in DIR/plots */
  char scripts[PATH_MAX];
  char gnuplot[PATH_MAX];
  char **envp;                 /* environ with GNUPLOT_LIB set, so scripts `load 'common.gp'` */
  char backends[PLOT_MAX_BACKENDS][32];   /* names made safe for files and gnuplot strings */
  const char *bnames[PLOT_MAX_BACKENDS];  /* the same as in results.json */
  unsigned nb;
  pgroup *groups;
  size_t ng;
  const cb_rcase **sel;        /* scratch: r->n case pointers */
  char (*outputs)[PLOT_NAME];  /* plots drawn so far, without extension */
  size_t nout;
  int logfd;
  char *err;
  size_t errlen;
} plotter;

/* ---- text buffers ----------------------------------------------------------------------- */


/* snprintf that says when it cut: 0, or -ENAMETOOLONG. Paths and gnuplot arguments are never
 * used cut short. */
static int fmt(char *out, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
static int fmt(char *out, size_t len, const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  int n = vsnprintf(out, len, f, ap);
  va_end(ap);
  return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A number for gnuplot: NaN (declared missing in common.gp) when there is none. */
static void sb_num(cb_sbuf *b, double v) {
  if (isfinite(v)) cb_sb_printf(b, " %.9g", v);
  else cb_sb_printf(b, " NaN");
}

/* Names from results.json end up in file names and in gnuplot strings: keep only what is safe
 * in both (no '/', no quotes, no backquotes, no '@' macros, no spaces), and the characters of
 * extra. */
static void safe_chars(char *dst, size_t len, const char *src, const char *extra) {
  size_t i = 0;
  for (; src[i] && i + 1 < len; i++) {
    char ch = src[i];
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '_' || ch == '-' || ch == '.' || (extra && strchr(extra, ch));
    dst[i] = ok ? ch : '_';
  }
  if (len) dst[i] = '\0';
}

static void safe_name(char *dst, size_t len, const char *src) {
  safe_chars(dst, len, src, NULL);
}

/* Free text for titles: as safe_name, with spaces and punctuation too; ';' becomes ','. */
static void safe_text(char *dst, size_t len, const char *src) {
  size_t i = 0;
  for (; src[i] && i + 1 < len; i++) {
    char ch = src[i];
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             strchr(" _-.,:=()+/%", ch) != NULL;
    dst[i] = ch == ';' ? ',' : ok ? ch : '_';
  }
  if (len) dst[i] = '\0';
}

static int write_data(plotter *p, const char *file, cb_sbuf *b) {
  char path[PATH_MAX + PLOT_NAME];
  if (b->oom) {
    snprintf(p->err, p->errlen, "plot: out of memory");
    return -ENOMEM;
  }
  int rc = fmt(path, sizeof path, "%s/%s", p->data, file);
  if (!rc) rc = cb_write_atomic(path, b->p ? b->p : "", b->len);
  if (rc) snprintf(p->err, p->errlen, "cannot write %s: %s", path, strerror(-rc));
  return rc;
}

/* ---- finding gnuplot and the scripts ---------------------------------------------------- */

static int find_gnuplot(char *out, size_t len) {
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
  if (fmt(f, sizeof f, "%s/common.gp", dir)) return 0;
  return access(f, R_OK) == 0;
}

/* CB_SCRIPTS_DIR, then next to the binary (an installed or build tree), then the source tree. */
static int find_scripts(plotter *p) {
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
      if (fmt(cand[n], PATH_MAX, "%s/../scripts/plots", exe) == 0) n++;
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
static int make_env(plotter *p) {
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

static void free_env(plotter *p) {
  if (!p->envp) return;
  size_t k = 0;
  while (p->envp[k]) k++;
  if (k) free(p->envp[k - 1]);   /* only GNUPLOT_LIB, the last, is ours */
  free(p->envp);
  p->envp = NULL;
}

/* ---- running gnuplot -------------------------------------------------------------------- */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int output_ok(const plotter *p, const char *file) {
  char path[PATH_MAX + PLOT_NAME];
  struct stat st;
  if (fmt(path, sizeof path, "%s/%s", p->tmp, file)) return 0;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* Runs script with the common variables and vars, in DIR/plots, output to the log; the plot
 * `name` must come out as name.png and name.svg in the temporary directory. */
static int run_gnuplot(plotter *p, const char *script, const char *name, const char *vars) {
  char spath[PATH_MAX + 64], e[PLOT_VARS + 256], f[PLOT_NAME + 8];
  int st = 0, rc = 0;
  if (fmt(spath, sizeof spath, "%s/%s", p->scripts, script) ||
      fmt(e, sizeof e, "datadir='data'; outdir='%s'; name='%s'; %s", p->tmpname, name, vars)) {
    snprintf(p->err, p->errlen, "plot %s: too many series for one plot", name);
    return -E2BIG;
  }
  if (cb_interrupted > 0) return -EINTR;     /* the plots left are not drawn */
  dprintf(p->logfd, "== gnuplot -e \"%s\" %s\n", e, spath);
  char *argv[] = { "gnuplot", "-e", e, spath, NULL };
  pid_t pid = fork();
  if (pid < 0) {
    rc = -errno;
    snprintf(p->err, p->errlen, "cannot start gnuplot: %s", strerror(errno));
    return rc;
  }
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(p->logfd, 1) < 0 || dup2(p->logfd, 2) < 0 || chdir(p->dir) != 0) _exit(126);
    execve(p->gnuplot, argv, p->envp);
    _exit(127);
  }
  int64_t deadline = now_ms() + PLOT_TIMEOUT_S * 1000;
  pid_t w;
  while ((w = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() < deadline && cb_interrupted <= 0) {
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
    fmt(f, sizeof f, "%s.%s", name, k ? "svg" : "png");
    if (!output_ok(p, f)) {
      dprintf(p->logfd, "== %s was not written\n", f);
      snprintf(p->err, p->errlen, "gnuplot did not write %s with %s; see %s/gnuplot.log", f, script, p->dir);
      return -EIO;
    }
  }
  snprintf(p->outputs[p->nout++], PLOT_NAME, "%s", name);
  return 0;
}

/* ---- what the results hold -------------------------------------------------------------- */

static int backend_index(const plotter *p, const char *name) {
  for (unsigned i = 0; i < p->nb; i++)
    if (strcmp(p->bnames[i], name) == 0) return (int)i;
  return -1;
}

static void add_backend(plotter *p, const char *name) {
  if (backend_index(p, name) >= 0 || p->nb == PLOT_MAX_BACKENDS) return;
  p->bnames[p->nb] = name;
  safe_name(p->backends[p->nb], sizeof p->backends[0], name);
  p->nb++;
}

/* The known backends first, in their order, then the others as they come. */
static void collect_backends(plotter *p) {
  for (size_t k = 0; k < sizeof known_backends / sizeof *known_backends; k++)
    for (size_t i = 0; i < p->r->n; i++)
      if (strcmp(p->r->cases[i].backend, known_backends[k]) == 0) {
        add_backend(p, p->r->cases[i].backend);
        break;
      }
  for (size_t i = 0; i < p->r->n; i++) add_backend(p, p->r->cases[i].backend);
}

static int in_group(const cb_rcase *c, const pgroup *g) {
  return strcmp(c->workload, g->workload) == 0 && strcmp(c->params_str, g->params_str) == 0;
}

/* Does parameter k of c take other values in other groups of its workload? */
static int param_varies(const plotter *p, const cb_rcase *c, unsigned k) {
  for (size_t i = 0; i < p->r->n; i++) {
    const cb_rcase *o = &p->r->cases[i];
    if (strcmp(o->workload, c->workload) != 0) continue;
    double v = cb_rcase_param(o, c->params[k].name);
    if (!(v == c->params[k].value)) return 1;
  }
  return 0;
}

static int collect_groups(plotter *p) {
  if (!(p->groups = calloc(p->r->n ? p->r->n : 1, sizeof *p->groups))) return -ENOMEM;
  for (size_t i = 0; i < p->r->n; i++) {
    const cb_rcase *c = &p->r->cases[i];
    pgroup *g = NULL;
    for (size_t k = 0; k < p->ng && !g; k++)
      if (in_group(c, &p->groups[k])) g = &p->groups[k];
    if (g) {
      if (c->conc > g->cmax) g->cmax = c->conc;
      continue;
    }
    g = &p->groups[p->ng++];
    g->workload = c->workload;
    g->params_str = c->params_str;
    g->cmax = c->conc;
    char wl[64], suffix[PLOT_NAME] = "", item[96], val[48];
    size_t so = 0, vo = 0;
    safe_name(wl, sizeof wl, c->workload);
    for (unsigned k = 0; k < c->nparams; k++) {
      if (!param_varies(p, c, k)) continue;
      snprintf(val, sizeof val, "%g", c->params[k].value);
      snprintf(item, sizeof item, "%s-%s", c->params[k].name, val);
      safe_name(item, sizeof item, item);
      so += (size_t)snprintf(suffix + so, so < sizeof suffix ? sizeof suffix - so : 0, "_%s", item);
      snprintf(item, sizeof item, "%s=%s", c->params[k].name, val);
      safe_text(item, sizeof item, item);
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
static size_t group_cases(plotter *p, const pgroup *g, const char *b) {
  size_t n = 0;
  for (size_t i = 0; i < p->r->n; i++) {
    const cb_rcase *c = &p->r->cases[i];
    if (!in_group(c, g) || strcmp(c->backend, b) != 0) continue;
    size_t j = n++;
    while (j > 0 && p->sel[j - 1]->conc > c->conc) { p->sel[j] = p->sel[j - 1]; j--; }
    p->sel[j] = c;
  }
  return n;
}

/* For subtitles: "tasks=100; reps=3; params='delay_ms=10, bytes=1024'" (tasks or reps 0 when
 * the group's cases differ in them). */
static void describe(const plotter *p, const pgroup *g, char *out, size_t len) {
  uint64_t tasks = 0;
  unsigned reps = 0;
  int same_tasks = 1, same_reps = 1;
  char params[256];
  size_t o = 0;
  for (size_t i = 0; i < p->r->n; i++) {
    const cb_rcase *c = &p->r->cases[i];
    if (!in_group(c, g)) continue;
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
  safe_text(params, sizeof params, params);
  snprintf(out, len, "tasks=%llu; reps=%u; params='%s'", same_tasks ? (unsigned long long)tasks : 0ULL,
           same_reps ? reps : 0, params);
}

/* ---- per workload: wall time, throughput, memory ---------------------------------------- */

enum { SERIES_WALL, SERIES_THROUGHPUT, SERIES_MEMORY };

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

static int plot_series(plotter *p, const pgroup *g, int kind) {
  cb_sbuf b = { 0 };
  char name[PLOT_NAME + 16], file[PLOT_NAME + 32], list[PLOT_MAX_BACKENDS * 33] = "";
  char sub[512], concs[512] = "", vars[PLOT_VARS];
  uint32_t seen[64];
  unsigned nseen = 0;
  int rc = 0, hasideal = 0, blocks = 0;
  double ylo = INFINITY, yhi = 0;   /* what the wall plot's log axis must hold */
  size_t lo = 0, co = 0;
  fmt(name, sizeof name, "%s_%s", series_kinds[kind].prefix, g->name);   /* sized to fit */
  fmt(file, sizeof file, "%s.dat", name);
  cb_sb_printf(&b, "# %s: %s of workload %s (%s), one block per backend (gnuplot index 0, 1, ...)\n",
            name, series_kinds[kind].prefix, g->workload, g->params_str);
  cb_sb_printf(&b, "# %s\n", series_kinds[kind].columns);
  for (unsigned bi = 0; bi < p->nb; bi++) {
    size_t n = group_cases(p, g, p->bnames[bi]);
    if (!n) continue;
    lo += (size_t)snprintf(list + lo, sizeof list - lo, "%s%s", lo ? " " : "", p->backends[bi]);
    cb_sb_printf(&b, "%s# backend %s\n", blocks++ ? "\n\n" : "", p->backends[bi]);
    for (size_t i = 0; i < n; i++) {
      const cb_rcase *c = p->sel[i];
      cb_sb_printf(&b, "%u", c->conc);
      if (kind == SERIES_WALL) {
        sb_num(&b, c->wall_median);
        sb_num(&b, c->wall_min);
        sb_num(&b, c->wall_max);
        sb_num(&b, c->ideal_s);
        if (isfinite(c->ideal_s)) hasideal = 1;
        double v[] = { c->wall_median, c->wall_min, c->wall_max, c->ideal_s };
        for (size_t k = 0; k < sizeof v / sizeof *v; k++)
          if (v[k] > 0 && isfinite(v[k])) {
            if (v[k] < ylo) ylo = v[k];
            if (v[k] > yhi) yhi = v[k];
          }
      } else if (kind == SERIES_THROUGHPUT) {
        sb_num(&b, per_s(c->tasks, c->wall_median));
        sb_num(&b, per_s(c->tasks, c->wall_max));
        sb_num(&b, per_s(c->tasks, c->wall_min));
      } else {
        sb_num(&b, c->peak_rss_kib / 1024.0);
        sb_num(&b, c->peak_rss_kib);
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
  if ((rc = write_data(p, file, &b))) goto cleanup;
  describe(p, g, sub, sizeof sub);
  if (!(yhi > 0)) ylo = yhi = 1;
  fmt(vars, sizeof vars, "backends='%s'; what='%s'; %s; concs='%s'; hasideal=%d; ylo=%g; yhi=%g",
           list, g->label, sub, concs, hasideal, ylo, yhi);
  rc = run_gnuplot(p, series_kinds[kind].script, name, vars);
cleanup:
  free(b.p);
  return rc;
}

/* ---- per workload: the latency spectrum ------------------------------------------------- */

/* The task latency spectrum of c: from its histogram, else from the spectrum results.json
 * keeps beside it. Returns the number of points. */
static size_t spectrum_of(const cb_rcase *c, cb_hist_point *pts, size_t max) {
  if (c->lat) {
    size_t n = cb_hist_spectrum(c->lat, pts, max);
    return n < max ? n : max;
  }
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

static int plot_latency(plotter *p, const pgroup *g) {
  cb_sbuf b = { 0 };
  char name[PLOT_NAME + 16], file[PLOT_NAME + 32], list[PLOT_MAX_BACKENDS * 33] = "", sub[512], vars[PLOT_VARS];
  cb_hist_point pts[CB_HIST_SPECTRUM_MAX];
  double xcap = 1, ymin = INFINITY, ymax = 0;
  int rc = 0, blocks = 0;
  size_t lo = 0;
  fmt(name, sizeof name, "latency_%s", g->name);   /* sized to fit */
  fmt(file, sizeof file, "%s.dat", name);
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
  if ((rc = write_data(p, file, &b))) goto cleanup;
  /* x to the next decade past the data, so the last percentile tick is labelled. */
  double xhi = 100;
  while (xhi < xcap * 1.0001 && xhi < 1e9) xhi *= 10;
  describe(p, g, sub, sizeof sub);
  fmt(vars, sizeof vars, "backends='%s'; what='%s'; %s; conc=%u; xmax=%g; logy=%d",
           list, g->label, sub, g->cmax, xhi, ymin > 0 && ymax / ymin > 30);
  rc = run_gnuplot(p, "latency.gp", name, vars);
cleanup:
  free(b.p);
  return rc;
}

/* ---- speedup over sync ------------------------------------------------------------------ */

/* sync's row of a workload and parameters: at conc if there is one, else at any concurrency
 * (sync runs one task at a time whatever it is asked; a suite runs it once per group). */
static const cb_rcase *sync_at(const plotter *p, const char *workload, const char *params, uint32_t conc) {
  const cb_rcase *s = cb_results_find(p->r, workload, "sync", params, conc);
  for (size_t i = 0; !s && i < p->r->n; i++) {
    const cb_rcase *c = &p->r->cases[i];
    if (strcmp(c->backend, "sync") == 0 && strcmp(c->workload, workload) == 0 && strcmp(c->params_str, params) == 0)
      s = c;
  }
  return s;
}

/* The highest concurrency another backend ran group g at, when sync ran it too; or 0. */
static uint32_t speedup_conc(const plotter *p, const pgroup *g) {
  uint32_t best = 0;
  const cb_rcase *s = sync_at(p, g->workload, g->params_str, 0);
  if (!s || !(s->wall_median > 0)) return 0;
  for (size_t j = 0; j < p->r->n; j++) {
    const cb_rcase *o = &p->r->cases[j];
    if (in_group(o, g) && strcmp(o->backend, "sync") != 0 && o->wall_median > 0 && o->conc > best) best = o->conc;
  }
  return best;
}

static double speedup_of(const plotter *p, const pgroup *g, const char *backend, uint32_t conc, double *base, double *med) {
  const cb_rcase *s = sync_at(p, g->workload, g->params_str, conc);
  const cb_rcase *c = cb_results_find(p->r, g->workload, backend, g->params_str, conc);
  if (!s || !c || !(s->wall_median > 0) || !(c->wall_median > 0)) return NAN;
  *base = s->wall_median;
  *med = c->wall_median;
  return s->wall_median / c->wall_median;
}

static int plot_speedup(plotter *p) {
  cb_sbuf b = { 0 }, gb = { 0 };
  char list[PLOT_MAX_BACKENDS * 33] = "", vars[PLOT_VARS];
  uint32_t *conc = calloc(p->ng ? p->ng : 1, sizeof *conc);
  int *slot = calloc(p->ng ? p->ng : 1, sizeof *slot);
  int rc = 0, nslots = 0, used[PLOT_MAX_BACKENDS] = { 0 }, nused = 0;
  double smin = INFINITY, smax = 0, base, med;
  size_t lo = 0;
  if (!conc || !slot) { rc = -ENOMEM; snprintf(p->err, p->errlen, "plot: out of memory"); goto cleanup; }
  /* Which groups get a cluster, and which backends a bar anywhere (a backend keeps its place
   * in every cluster, so colours and positions line up). */
  for (size_t k = 0; k < p->ng; k++) {
    conc[k] = speedup_conc(p, &p->groups[k]);
    slot[k] = conc[k] ? nslots++ : -1;
    for (unsigned bi = 0; conc[k] && bi < p->nb; bi++)
      if (strcmp(p->bnames[bi], "sync") != 0 && !used[bi] &&
          isfinite(speedup_of(p, &p->groups[k], p->bnames[bi], conc[k], &base, &med)))
        used[bi] = 1;
  }
  for (unsigned bi = 0; bi < p->nb; bi++) nused += used[bi];
  if (!nslots || !nused) goto cleanup;
  double w = 0.8 / nused;
  cb_sb_printf(&b, "# speedup: sync median wall / backend median wall, per workload at its highest concurrency (sync runs one task at a time at any concurrency); one block per backend (gnuplot index 0, 1, ...)\n");
  cb_sb_printf(&b, "# x speedup half_width sync_median_s backend_median_s concurrency workload params\n");
  cb_sb_printf(&gb, "# speedup_groups: the clusters of speedup.dat: x workload varying_params concurrency\n");
  for (size_t k = 0; k < p->ng; k++) {
    if (slot[k] < 0) continue;
    char wl[64];
    safe_name(wl, sizeof wl, p->groups[k].workload);
    /* Under a bar cluster there is room for little: "io=0.25", not "io_fraction=0.25". */
    char var[PLOT_NAME];
    const char *v = p->groups[k].varying;
    if (strncmp(v, "io_fraction=", 12) == 0) snprintf(var, sizeof var, "io=%s", v + 12);
    else snprintf(var, sizeof var, "%s", v);
    cb_sb_printf(&gb, "%d \"%s\" \"%s\" \"c=%u\"\n", slot[k], wl, var, conc[k]);
  }
  int j = 0;
  for (unsigned bi = 0; bi < p->nb; bi++) {
    if (!used[bi]) continue;
    lo += (size_t)snprintf(list + lo, sizeof list - lo, "%s%s", lo ? " " : "", p->backends[bi]);
    cb_sb_printf(&b, "%s# backend %s\n", j ? "\n\n" : "", p->backends[bi]);
    for (size_t k = 0; k < p->ng; k++) {
      if (slot[k] < 0) continue;
      const pgroup *g = &p->groups[k];
      double s = speedup_of(p, g, p->bnames[bi], conc[k], &base, &med);
      if (!isfinite(s)) continue;
      char wl[64], ps[256];
      safe_name(wl, sizeof wl, g->workload);
      /* The parameters as results.json has them, so the row can be looked up there. */
      safe_chars(ps, sizeof ps, g->params_str, "=;,");
      cb_sb_printf(&b, "%.6f %.9g %.6f %.9g %.9g %u %s %s\n", slot[k] + (j - (nused - 1) / 2.0) * w, s, w / 2,
                base, med, conc[k], wl, ps[0] ? ps : "-");
      if (s < smin) smin = s;
      if (s > smax) smax = s;
    }
    j++;
  }
  if ((rc = write_data(p, "speedup.dat", &b)) || (rc = write_data(p, "speedup_groups.dat", &gb))) goto cleanup;
  /* A log axis once the bars differ by more than 20x, else the small ones vanish. */
  double lo_v = smin < 1 ? smin : 1, hi_v = smax > 1 ? smax : 1;
  int logy = hi_v / lo_v > 20;
  double ylo = logy ? lo_v / 1.8 : 0, yhi = logy ? hi_v * 2.2 : hi_v * 1.15;
  fmt(vars, sizeof vars, "backends='%s'; ngroups=%d; logy=%d; ylo=%g; yhi=%g; anyabove=%d; anybelow=%d", list,
           nslots, logy, ylo, yhi, !logy || smax >= 1, logy && smin < 1);
  rc = run_gnuplot(p, "speedup.gp", "speedup", vars);
cleanup:
  free(b.p);
  free(gb.p);
  free(conc);
  free(slot);
  return rc;
}

/* ---- the mixed workload: speedup against io_fraction ------------------------------------- */

/* params_str without its io_fraction item: the groups of one crossover line share it. */
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

static int plot_crossover(plotter *p) {
  cb_sbuf b = { 0 };
  char list[PLOT_MAX_BACKENDS * 33] = "", rest[256] = "", other[256], vars[PLOT_VARS], sub[512];
  uint32_t cmax = 0;
  double smin = INFINITY, smax = 0, base, med;
  int rc = 0, any = 0;
  size_t lo = 0, *order = calloc(p->ng ? p->ng : 1, sizeof *order), no = 0;
  if (!order) { snprintf(p->err, p->errlen, "plot: out of memory"); return -ENOMEM; }
  /* The mixed groups that sync ran, at the highest concurrency any of them has sync and another
   * backend at; the other parameters of the first such group pick the line's groups. */
  for (size_t k = 0; k < p->ng; k++) {
    const pgroup *g = &p->groups[k];
    if (strcmp(g->workload, "mixed") != 0) continue;
    uint32_t c = speedup_conc(p, g);
    if (c > cmax) cmax = c;
  }
  if (!cmax) goto cleanup;
  for (size_t k = 0; k < p->ng; k++) {
    const pgroup *g = &p->groups[k];
    const cb_rcase *s = sync_at(p, g->workload, g->params_str, cmax);
    if (strcmp(g->workload, "mixed") != 0 || !s || !isfinite(cb_rcase_param(s, "io_fraction"))) continue;
    params_without(g->params_str, "io_fraction", other, sizeof other);
    if (!no) snprintf(rest, sizeof rest, "%s", other);
    else if (strcmp(rest, other) != 0) continue;
    /* By increasing io_fraction. */
    size_t i = no++;
    double f = cb_rcase_param(s, "io_fraction");
    while (i > 0 && cb_rcase_param(sync_at(p, "mixed", p->groups[order[i - 1]].params_str, cmax), "io_fraction") > f) {
      order[i] = order[i - 1];
      i--;
    }
    order[i] = k;
  }
  cb_sb_printf(&b, "# crossover: workload mixed at concurrency %u (%s): speedup over sync against io_fraction, one block per backend (gnuplot index 0, 1, ...)\n", cmax, rest);
  cb_sb_printf(&b, "# io_fraction speedup sync_median_s backend_median_s\n");
  for (unsigned bi = 0; bi < p->nb; bi++) {
    if (strcmp(p->bnames[bi], "sync") == 0) continue;
    int rows = 0;
    for (size_t i = 0; i < no; i++) {
      const pgroup *g = &p->groups[order[i]];
      double s = speedup_of(p, g, p->bnames[bi], cmax, &base, &med);
      if (!isfinite(s)) continue;
      if (!rows++) {
        lo += (size_t)snprintf(list + lo, sizeof list - lo, "%s%s", lo ? " " : "", p->backends[bi]);
        cb_sb_printf(&b, "%s# backend %s\n", any ? "\n\n" : "", p->backends[bi]);
        any = 1;
      }
      const cb_rcase *sc = sync_at(p, g->workload, g->params_str, cmax);
      cb_sb_printf(&b, "%.9g %.9g %.9g %.9g\n", cb_rcase_param(sc, "io_fraction"), s, base, med);
      if (s < smin) smin = s;
      if (s > smax) smax = s;
    }
  }
  if (!any) goto cleanup;
  if ((rc = write_data(p, "crossover.dat", &b))) goto cleanup;
  safe_text(other, sizeof other, rest);
  snprintf(sub, sizeof sub, "concurrency %u%s%s", cmax, other[0] ? ", " : "", other);
  double lo_v = smin < 1 ? smin : 1, hi_v = smax > 1 ? smax : 1;
  fmt(vars, sizeof vars, "backends='%s'; sub='%s'; logy=%d", list, sub, hi_v / lo_v > 20);
  rc = run_gnuplot(p, "crossover.gp", "crossover", vars);
cleanup:
  free(order);
  free(b.p);
  return rc;
}

/* ---- CPU time against wall time --------------------------------------------------------- */

static int plot_cputime(plotter *p) {
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
      safe_name(wl, sizeof wl, p->r->cases[i].workload);
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
      safe_name(wl, sizeof wl, c->workload);
      cb_sb_printf(&b, "%.9g %.9g", c->wall_median, cpu);
      sb_num(&b, c->cpu_user_s);
      sb_num(&b, c->cpu_sys_s);
      cb_sb_printf(&b, " %u %u %s\n", (k < nw ? k : nw - 1) + 1, c->conc, wl);
    }
  }
  if (!any) goto cleanup;
  if ((rc = write_data(p, "cputime.dat", &b))) goto cleanup;
  fmt(vars, sizeof vars, "backends='%s'; workloads='%s'; cores=%u", list, wls, p->r->cores);
  rc = run_gnuplot(p, "cputime.gp", "cputime", vars);
cleanup:
  free(b.p);
  return rc;
}

/* ---- putting it together ---------------------------------------------------------------- */

/* Every plot drawn: from the temporary directory into DIR/plots, one rename each. */
static int publish(plotter *p) {
  char from[PATH_MAX + PLOT_NAME], to[PATH_MAX + PLOT_NAME];
  for (size_t i = 0; i < p->nout; i++)
    for (int k = 0; k < 2; k++) {
      const char *ext = k ? "svg" : "png";
      if (fmt(from, sizeof from, "%s/%s.%s", p->tmp, p->outputs[i], ext) ||
          fmt(to, sizeof to, "%s/%s.%s", p->dir, p->outputs[i], ext)) {
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

/* A plot that fails does not stop the others: the first error is kept and returned. */
static int plot_all(plotter *p) {
  int rc, first = 0;
  char first_err[1024] = "";
#define TRY(call) do { \
    if ((rc = (call)) && !first) { first = rc; snprintf(first_err, sizeof first_err, "%s", p->err); } \
  } while (0)
  for (size_t k = 0; k < p->ng; k++) {
    TRY(plot_series(p, &p->groups[k], SERIES_WALL));
    TRY(plot_series(p, &p->groups[k], SERIES_THROUGHPUT));
    TRY(plot_series(p, &p->groups[k], SERIES_MEMORY));
    TRY(plot_latency(p, &p->groups[k]));
  }
  TRY(plot_speedup(p));
  TRY(plot_crossover(p));
  TRY(plot_cputime(p));
#undef TRY
  if (cb_interrupted > 0) return -EINTR;   /* p->err says so already */
  if (first) snprintf(p->err, p->errlen, "%s", first_err);
  return first;
}

int cb_plot_results(const cb_results *r, int *count, char *err, size_t len) {
  const char *dir = r->dir;
  plotter p = { .r = r, .logfd = -1, .err = err, .errlen = len };
  char logtmp[PATH_MAX + 32], logpath[PATH_MAX + 32];
  int rc = 0;
  *count = 0;
  /* Before anything is written: without gnuplot the results stay as they were. */
  if (find_gnuplot(p.gnuplot, sizeof p.gnuplot) != 0) {
    snprintf(err, len, "%s", no_gnuplot);
    return -ENOENT;
  }
  if ((rc = find_scripts(&p))) return rc;
  /* The longest path below is the temporary directory's log. */
  if (fmt(p.dir, sizeof p.dir, "%s/plots", dir) || fmt(p.data, sizeof p.data, "%s/plots/data", dir) ||
      fmt(p.tmp, sizeof p.tmp, "%s/plots/.tmp-XXXXXX", dir) || strlen(p.tmp) + 16 >= sizeof logtmp) {
    snprintf(err, len, "%s: path too long", dir);
    return -ENAMETOOLONG;
  }
  if ((rc = cb_mkdirs(p.data))) {
    snprintf(err, len, "cannot create %s: %s", p.data, strerror(-rc));
    return rc;
  }
  if (!mkdtemp(p.tmp)) {
    rc = -errno;
    snprintf(err, len, "cannot create a directory in %s: %s", p.dir, strerror(errno));
    return rc;
  }
  snprintf(p.tmpname, sizeof p.tmpname, "%s", strrchr(p.tmp, '/') + 1);
  fmt(logtmp, sizeof logtmp, "%s/gnuplot.log", p.tmp);     /* room was checked above */
  fmt(logpath, sizeof logpath, "%s/gnuplot.log", p.dir);
  if ((p.logfd = open(logtmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
    rc = -errno;
    snprintf(err, len, "cannot create %s: %s", logtmp, strerror(errno));
    goto cleanup;
  }
  p.sel = calloc(r->n ? r->n : 1, sizeof *p.sel);
  /* At most four plots per group and three more. */
  p.outputs = calloc(4 * r->n + 3, sizeof *p.outputs);
  if (!p.sel || !p.outputs || (rc = make_env(&p)) || (rc = collect_groups(&p))) {
    rc = -ENOMEM;
    snprintf(err, len, "plot: out of memory");
    goto cleanup;
  }
  collect_backends(&p);
  dprintf(p.logfd, "== concbench plot %s: %zu cases, scripts from %s\n", dir, r->n, p.scripts);
  /* What worked is published even when a plot failed. */
  rc = plot_all(&p);
  int prc = publish(&p);
  if (!rc) rc = prc;
  *count = (int)p.nout;
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
  free_env(&p);
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
