/* presentation_int.h: what the presentation layer's own files share (roles, text, the report's groups, the plotter); no other layer includes it. */
#ifndef CB_PRESENTATION_INT_H
#define CB_PRESENTATION_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include "resread.h"
#include "escape.h"
#include "sbuf.h"

/* ---- roles: what part a backend plays, read from its flags, never from its name (roles.c) ---- */

/* The reference of every speedup. */
int cb__is_baseline(const cb_rbackend *b);
/* Runs tasks concurrently: neither one at a time nor the baseline. */
int cb__is_concurrent(const cb_rbackend *b);
/* The event loop a loop variation builds on: loop, and extends nothing. */
int cb__is_loop(const cb_rbackend *b);
/* Computes on several cores without an event loop: the loop's rivals where work is CPU-bound. */
int cb__is_rival(const cb_rbackend *b);
/* Builds on backend base (extends names it). */
int cb__extends(const cb_rbackend *b, const cb_rbackend *base);
/* The run's first backend with that role (in the order it used them) that has cases, or NULL. */
const cb_rbackend *cb__baseline_of(const cb_results *r);
const cb_rbackend *cb__loop_of(const cb_results *r);
/* The value of c's workload's sweep axis, or NAN when it has none. The axis runs from 0 (all
 * computing) to 1 (all waiting), as mixed's io_fraction does. */
double cb__sweep_value(const cb_rcase *c);

/* ---- text for people (text.c) ------------------------------------------------------------------ */

void cb__sb_base64(cb_sbuf *b, const unsigned char *d, size_t n);
void cb__sb_join(cb_sbuf *b, const char *const *items, size_t n);
void cb__fmt_x(double x, char *buf, size_t len);
void cb__fmt_share(double r, char *buf, size_t len);
void cb__fmt_secs(double s, char *buf, size_t len);
void cb__fmt_kib(double kib, char *buf, size_t len);
void cb__fmt_rate(double per_s, char *buf, size_t len);
void cb__fmt_ms(double ms, char *buf, size_t len);
void cb__fmt_compute_share(double share, char *buf, size_t len);

/* Sentences, each a malloc'ed string. */
typedef struct cb__slist {
  char **v;
  size_t n, cap;
} cb__slist;

/* Takes s's text. 1 (a sentence written) or -ENOMEM. */
int cb__sl_push(cb__slist *l, cb_sbuf *s);
void cb__sl_free(cb__slist *l);

/* ---- the run grouped for the report (group.c) ------------------------------------------------ */

#define REPORT_NEAR_IDEAL 0.95     /* efficiency within 5% of the ideal */
#define REPORT_MEM_DIFF 1.5        /* memory ratios closer than this are not worth a sentence */
#define REPORT_BEAT_MARGIN 1.05    /* "beats" means more than 5% faster: medians jitter by that */
#define REPORT_CI_LEVEL 0.95       /* the intervals of the headline's ratios */
#define REPORT_RESAMPLES 10000
#define REPORT_MIN_REPS 3          /* fewer repetitions than this: too thin to rank backends */

typedef struct cb__group {
  const char *wl, *params;
  const cb_rworkload *w;
  char label[200];       /* "http", or "sleep (delay_ms=20)" when the workload's parameters vary */
  char family[200];      /* the label without the sweep axis: groups compared across it */
  char rest[256];        /* the parameters without the sweep axis, to find a group's family */
  int kind;              /* cb_kind */
  double sweep;          /* the sweep axis's value; NAN when the workload has none */
  const cb_rcase **c;
  size_t n, cap;
} cb__group;

typedef struct cb__report {
  const cb_results *r;
  const char *dir;       /* as the user named it, for the hint when plots are missing */
  cb__group *g;
  size_t ng;
  const char **wls, **bes;   /* workloads and backends, in order of first appearance */
  size_t nwl, nbe;
  const cb_rbackend *base;   /* the baseline, or NULL */
  const cb_rbackend *loop;   /* the event loop, or NULL */
  uint64_t seed;             /* the bootstrap's: results.json's method.seed, else 1 */
  const cb_rcase **skip;     /* the cases the machine could not run: in no group, in no finding */
  size_t nskip;
  int lat_mode;               /* what the latency plots show: CB__LAT_*, or -1 */
} cb__report;

/* What the latency plots show, decided one way for a plot's cases and for a report's captions:
 * open loop if any case ran on a schedule (latency from each task's slot); else the time from the
 * run's start to each result when every case has it; else, for results from before completion
 * times were kept, the service time alone. Fold the cases in, then ask. */
enum { CB__LAT_COMPLETION, CB__LAT_OPEN, CB__LAT_SERVICE };
typedef struct cb__latmode { int any, open, allcomp; } cb__latmode;
#define CB__LATMODE_INIT { 0, 0, 1 }
void cb__latmode_add(cb__latmode *m, const cb_rcase *c);
int cb__latmode_of(const cb__latmode *m);   /* CB__LAT_*, or -1 when no case has latencies */

int cb__report_group(cb__report *R);
void cb__report_free(cb__report *R);
/* The description of backend b of R->bes. */
const cb_rbackend *cb__report_be(const cb__report *R, size_t b);
/* "sync", or "the baseline" when the run has none: for sentences. */
const char *cb__base_name(const cb__report *R);
int cb__has_flag(const char *flags, const char *f);
int cb__same_value(double a, double b);
int cb__group_is_io(const cb__group *g);
int cb__group_is_cpu(const cb__group *g);
/* g's case of backend at conc; a serial backend's row at any concurrency stands for every one. */
const cb_rcase *cb__gfind(const cb__group *g, const char *backend, uint32_t conc);
/* g's baseline row for concurrency conc, or NULL. */
const cb_rcase *cb__gbase(const cb__group *g, uint32_t conc);
/* c's speedup over the baseline's row at the same concurrency (cb__rate_ratio), or NAN. */
double cb__speedup(const cb__group *g, const cb_rcase *c);
/* How many times ref's throughput c's is: ref's median wall time over c's when both ran as many
 * tasks, else (c's tasks / its median wall) over (ref's tasks / its median wall). NAN when either
 * has no figures. */
double cb__rate_ratio(const cb_rcase *ref, const cb_rcase *c);
/* The same ratio from the repetitions with its REPORT_CI_LEVEL percentile-bootstrap interval
 * (cb_ratio_ci over each side's wall times, divided by the case's tasks when the counts differ).
 * 0, -EINVAL when either has no repetitions, -ENOMEM. */
int cb__rate_ratio_ci(const cb_rcase *ref, const cb_rcase *c, uint64_t seed, double *x, double *lo, double *hi);
/* 1 when the 95% intervals of a's and b's median wall times overlap (per task when their task
 * counts differ), or when either has no interval: neither can then be called the faster. */
int cb__overlap(const cb_rcase *a, const cb_rcase *b);
/* The fewest repetitions of any measured case of R's groups (0 when none). */
unsigned cb__min_reps(const cb__report *R);
/* Tasks that can be in flight at once. */
double cb__in_flight(const cb_rcase *c);

/* ---- findings (findings.c, findings_sweep.c): each rule returns 1 when it wrote, 0 when the data
 * lacks what it needs, or -ENOMEM ------------------------------------------------------------- */

int cb__rule_crossover(const cb__report *R, const cb__group *g, cb__slist *out);
/* A group whose workload serves a load process (findings_load.c): its figures are the load's
 * (offered and achieved rate, latency, errors), never a wall time, which the schedule fixes. */
int cb__group_serves(const cb__group *g);
int cb__rule_knee(const cb__report *R, const cb__group *g, cb__slist *out);
int cb__headline_server(const cb__report *R, cb__slist *out);
int cb__rule_recovery(const cb__report *R, const cb__group *g, cb__slist *out);
int cb__rule_cpu_variations(const cb__report *R, const cb__group *g, cb__slist *out);
int cb__findings(const cb__report *R, cb__slist *out);

/* ---- the headline (headline in summary.c, the crossover's in findings_sweep.c): at most five
 * sentences, each with its interval; one whose data the run lacks is left out. 0 or -ENOMEM -- */

int cb__headline(const cb__report *R, cb__slist *out);
int cb__headline_crossover(const cb__report *R, cb__slist *out);
/* "4.1 MiB (4.0 MiB–4.3 MiB over 3 repetitions)": a case's median peak memory and the range of its
 * repetitions' figures, or just the median when the file has none per repetition. */
void cb__mem_range(const cb_rcase *c, cb_sbuf *out);
/* cb__rate_ratio(ref, c) with its interval, as cb__fmt_x_ci writes it, in buf: 1, 0 when it cannot
 * be computed, -ENOMEM. */
int cb__ratio_text(const cb__report *R, const cb_rcase *ref, const cb_rcase *c, const char *mid, char *buf, size_t len);
/* "41× as fast as sync (95% CI 38×–44×)", mid " as fast as sync". */
void cb__fmt_x_ci(double x, double lo, double hi, const char *mid, char *buf, size_t len);

/* ---- title, summary, environment (summary.c) --------------------------------------------------- */

void cb__title_text(const cb__report *R, cb_sbuf *t);
void cb__summary_text(const cb__report *R, cb_sbuf *p);
void cb__command_text(const cb_results *r, cb_sbuf *out);
void cb__json_text(const char *key, const struct cJSON *v, cb_sbuf *out);

typedef struct cb__kv {
  const char *label;
  cb_sbuf value;
} cb__kv;

int cb__env_kvs(const cb_results *r, cb__kv **out, size_t *n);
void cb__kvs_free(cb__kv *v, size_t n);

/* ---- the plotter (plot.c, plot_data.c, gnuplot.c, plots_group.c, plots_run.c) ------------------ */

#define PLOT_TIMEOUT_S 60        /* per gnuplot process: a plot takes well under a second */
#define PLOT_MAX_BACKENDS 32
#define PLOT_NAME 160
#define PLOT_VARS 4096

/* One workload with one set of parameters: the unit of the per-workload plots. */
typedef struct cb__pgroup {
  const char *workload, *params_str;
  const cb_rworkload *wl;
  char name[PLOT_NAME];        /* for file names: "sleep", or "mixed_io_fraction-0.5" when the
                                  workload ran with several parameter sets */
  char label[PLOT_NAME];       /* for titles: "sleep", or "mixed (io_fraction=0.5)" */
  char varying[PLOT_NAME];     /* the parameters that tell it from its siblings, or "" */
  uint32_t cmax;               /* its highest concurrency */
} cb__pgroup;

typedef struct cb__plotter {
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
  unsigned bflags[PLOT_MAX_BACKENDS];     /* their CB_BACKEND_* */
  unsigned nb;
  const char *base;            /* the baseline's name for the data files' comments */
  cb__pgroup *groups;
  size_t ng;
  const cb_rcase **sel;        /* scratch: r->n case pointers */
  char (*outputs)[PLOT_NAME];  /* plots drawn so far, without extension */
  size_t nout;
  int logfd;
  char *err;
  size_t errlen;
  char skipped[512];           /* plots left out for want of a single point: "memory_sleep ..." */
} cb__plotter;

/* snprintf that says when it cut: 0, or -ENAMETOOLONG. Paths and gnuplot arguments are never
 * used cut short. */
int cb__fmt(char *out, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* A number for gnuplot: NaN (declared missing in common.gp) when there is none. */
void cb__sb_num(cb_sbuf *b, double v);
/* Names from results.json made safe for file names and gnuplot strings (and extra's characters). */
void cb__safe_chars(char *dst, size_t len, const char *src, const char *extra);
void cb__safe_name(char *dst, size_t len, const char *src);
/* 1 when the first n characters of name could be a plot's name as the plotter makes them
 * (cb__safe_name's characters, not starting with '.'), so the report shows every plot drawn. */
int cb__plot_name_ok(const char *name, size_t n);
/* Free text for titles: spaces and punctuation too; ';' becomes ','. */
void cb__safe_text(char *dst, size_t len, const char *src);
int cb__write_data(cb__plotter *p, const char *file, cb_sbuf *b);
void cb__collect_backends(cb__plotter *p);
int cb__collect_groups(cb__plotter *p);
int cb__in_group(const cb_rcase *c, const cb__pgroup *g);
size_t cb__group_cases(cb__plotter *p, const cb__pgroup *g, const char *b);
void cb__describe(const cb__plotter *p, const cb__pgroup *g, char *out, size_t len);
const cb_rcase *cb__base_at(const cb__plotter *p, const char *workload, const char *params, uint32_t conc);
uint32_t cb__speedup_conc(const cb__plotter *p, const cb__pgroup *g);
double cb__speedup_of(const cb__plotter *p, const cb__pgroup *g, const char *backend, uint32_t conc,
                      double *base, double *med);

int cb__find_gnuplot(char *out, size_t len);
int cb__find_scripts(cb__plotter *p);
int cb__make_env(cb__plotter *p);
void cb__free_env(cb__plotter *p);
int cb__run_gnuplot(cb__plotter *p, const char *script, const char *name, const char *vars);

enum { SERIES_WALL, SERIES_THROUGHPUT, SERIES_MEMORY };
int cb__plot_series(cb__plotter *p, const cb__pgroup *g, int kind);
int cb__plot_latency(cb__plotter *p, const cb__pgroup *g);
/* p99 against the offered rate, for a group run open loop (load_<group>); nothing otherwise. */
int cb__plot_load(cb__plotter *p, const cb__pgroup *g);
int cb__plot_speedup(cb__plotter *p);
int cb__plot_crossovers(cb__plotter *p);
int cb__plot_cputime(cb__plotter *p);

#endif
