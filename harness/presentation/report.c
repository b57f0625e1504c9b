/* report.c: the report's writers: the table of every case, the plots (linked in report.md, embedded in report.html), the two documents and cb_report. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "presentation_int.h"
#include "report.h"
#include "util.h"

#define MAX_PLOT_BYTES (32u << 20)
#define NCOL 14

/* ---- the table -------------------------------------------------------------------------------- */

/* Column 7's name says which backend the speedup is over: it is made from the data (col_name). */
static const char *const col_names[NCOL] = {
  "workload", "backend", "c", "params", "median wall", "95% CI", "CV", NULL,
  "efficiency", "CPU s", "peak MiB", "p50 / p99 ms", "errors", "flags",
};
static const int col_left[NCOL] = { 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

#define SPEEDUP_COL 7

static const char *col_name(const cb__report *R, int k, char *buf, size_t len) {
  if (k != SPEEDUP_COL) return col_names[k];
  if (R->base) snprintf(buf, len, "speedup vs %s", R->base->name);
  else snprintf(buf, len, "speedup");
  return buf;
}

/* The sentence above the table, in both documents; esc writes the name from the data. */
static void table_intro(const cb__report *R, cb_sbuf *b, void (*esc)(cb_sbuf *, const char *)) {
  cb_sb_puts(b, "One row per case. Speedup is ");
  esc(b, cb__base_name(R));
  cb_sb_puts(b, "'s median wall time over the backend's at the same concurrency (the ratio of their throughputs, "
             "tasks per second, when the two ran different numbers of tasks); efficiency is the ideal time "
             "over the measured one; CPU s is user plus system time of the whole process tree; peak MiB is the "
             "peak memory of the tree.");
}

static void num_or_dash(double v, const char *fmt, char *buf, size_t len) {
  if (isfinite(v)) snprintf(buf, len, fmt, v);
  else snprintf(buf, len, "–");
}

/* g is NULL for a skipped case: its row says why, and has no figures. */
static void case_cells(const cb__group *g, const cb_rcase *c, char cells[NCOL][256]) {
  char a[32], b[32];
  snprintf(cells[0], 256, "%s", c->workload);
  snprintf(cells[1], 256, "%s", c->backend);
  snprintf(cells[2], 256, "%u", c->conc);
  snprintf(cells[3], 256, "%s", c->params_str);
  for (char *p = cells[3]; *p; p++)
    if (*p == ';') *p = ' ';
  if (!g) {
    snprintf(cells[4], 256, "skipped: %s", c->skipped);
    for (int k = 5; k < NCOL; k++) snprintf(cells[k], 256, "–");
    return;
  }
  cb__fmt_secs(c->wall_median, cells[4], 256);
  cb__fmt_secs(c->ci_lo, a, sizeof a);
  cb__fmt_secs(c->ci_hi, b, sizeof b);
  snprintf(cells[5], 256, "%s – %s", a, b);
  num_or_dash(c->wall_cv * 100, "%.1f%%", cells[6], 256);
  cb__fmt_x(cb__speedup(g, c), cells[7], 256);
  num_or_dash(c->efficiency, "%.2f", cells[8], 256);
  num_or_dash(c->cpu_user_s + c->cpu_sys_s, "%.3f", cells[9], 256);
  num_or_dash(c->peak_rss_kib / 1024, "%.1f", cells[10], 256);
  cb__fmt_ms(c->p50_ms, a, sizeof a);
  cb__fmt_ms(c->p99_ms, b, sizeof b);
  snprintf(cells[11], 256, "%s / %s", a, b);
  num_or_dash(c->errors, "%.0f", cells[12], 256);
  snprintf(cells[13], 256, "%s", c->flags);
  for (char *p = cells[13]; *p; p++)
    if (*p == ';') *p = ' ';
}

/* The table's rows in order: each group's cases, then the skipped cases of its workload and
 * parameters; skipped cases of no group last. A skipped row's group is NULL. */
typedef struct trow {
  const cb__group *g;
  const cb_rcase *c;
} trow;

static trow *table_rows(const cb__report *R, size_t *n) {
  trow *t = calloc(R->r->n ? R->r->n : 1, sizeof *t);
  unsigned char *done = calloc(R->nskip ? R->nskip : 1, 1);
  *n = 0;
  if (!t || !done) {
    free(t);
    free(done);
    return NULL;
  }
  for (size_t gi = 0; gi <= R->ng; gi++) {
    const cb__group *g = gi < R->ng ? &R->g[gi] : NULL;
    for (size_t i = 0; g && i < g->n; i++) t[(*n)++] = (trow){ g, g->c[i] };
    for (size_t k = 0; k < R->nskip; k++) {
      const cb_rcase *c = R->skip[k];
      if (done[k] || (g && (strcmp(c->workload, g->wl) != 0 || strcmp(c->params_str, g->params) != 0))) continue;
      done[k] = 1;
      t[(*n)++] = (trow){ NULL, c };
    }
  }
  free(done);
  return t;
}

/* ---- plots ---------------------------------------------------------------------------------- */

typedef struct plotfile {
  char name[128];
  int png, svg;
} plotfile;

static int plot_rank(const char *name) {
  static const char *const order[] = { "speedup", "crossover", "wall_", "throughput_", "memory_", "latency_", "cputime" };
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    if (strncmp(name, order[i], strlen(order[i])) == 0) return (int)i;
  return (int)(sizeof order / sizeof order[0]);
}

static int cmp_plot(const void *a, const void *b) {
  const plotfile *x = a, *y = b;
  int rx = plot_rank(x->name), ry = plot_rank(y->name);
  return rx != ry ? rx - ry : strcmp(x->name, y->name);
}

/* The crossover plots: "crossover" when one workload of the run has a sweep axis, else
 * "crossover_<workload>" for each. */
static int crossover_caption(const cb__report *R, const char *name, char *buf, size_t len) {
  if (strncmp(name, "crossover", 9) != 0 || (name[9] && name[9] != '_')) return 0;
  for (size_t k = 0; k < R->ng; k++) {
    const cb__group *g = &R->g[k];
    if (!g->w->sweep[0] || (name[9] && strcmp(name + 10, g->wl) != 0)) continue;
    snprintf(buf, len, "%s: speedup over %s against %s (who wins as %s grows)", g->wl, cb__base_name(R), g->w->sweep,
             g->w->sweep);
    return 1;
  }
  return 0;
}

/* "mixed, io_fraction 0.5" from a group plot's name ("mixed_io_fraction-0.5"): the workload
 * (the longest of the run's, safe-named, that starts it), then each "_KEY-VALUE" as "KEY VALUE". */
static void group_words(const cb__report *R, const char *gname, char *buf, size_t len) {
  size_t best = 0, o = 0;
  char wl[64];
  for (size_t i = 0; i < R->nwl; i++) {
    cb__safe_name(wl, sizeof wl, R->wls[i]);
    size_t l = strlen(wl);
    if (l > best && strncmp(gname, wl, l) == 0 && (gname[l] == '\0' || gname[l] == '_')) best = l;
  }
  if (!best || !gname[best]) {
    snprintf(buf, len, "%s", gname);
    return;
  }
  o = (size_t)snprintf(buf, len, "%.*s", (int)best, gname);
  /* Keys may hold '_' and values cannot: a key runs to its '-', a value to the next '_'. */
  for (const char *q = gname + best; *q == '_' && o < len;) {
    const char *dash = strchr(q + 1, '-');
    if (!dash) {
      o += (size_t)snprintf(buf + o, len - o, ", %s", q + 1);
      break;
    }
    const char *next = strchr(dash + 1, '_');
    size_t vl = next ? (size_t)(next - dash - 1) : strlen(dash + 1);
    o += (size_t)snprintf(buf + o, len - o, "%s%.*s %.*s", o == best ? ", " : "; ", (int)(dash - q - 1), q + 1,
                          (int)vl, dash + 1);
    if (!next) break;
    q = next;
  }
}

/* A plot's caption in words: what it shows, of what, and what is timed. */
static void plot_caption(const cb__report *R, const char *name, char *buf, size_t len) {
  static const struct { const char *prefix, *text; } caps[] = {
    { "wall_", "wall time by concurrency (lower is better)" },
    { "throughput_", "throughput by concurrency (higher is better)" },
    { "memory_", "peak memory by concurrency (lower is better)" },
    { "latency_", NULL },
  };
  char words[160];
  if (strcmp(name, "speedup") == 0) {
    snprintf(buf, len, "Speedup over %s per workload at its highest concurrency, with 95%% intervals", cb__base_name(R));
    return;
  }
  if (strcmp(name, "cputime") == 0) {
    snprintf(buf, len, "CPU time against wall time, every case");
    return;
  }
  if (crossover_caption(R, name, buf, len)) return;
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
    size_t pl = strlen(caps[i].prefix);
    if (strncmp(name, caps[i].prefix, pl) != 0) continue;
    group_words(R, name + pl, words, sizeof words);
    if (caps[i].text) snprintf(buf, len, "%s: %s", words, caps[i].text);
    else if (R->lat_mode == CB__LAT_OPEN)
      snprintf(buf, len, "%s: latency from each task's scheduled start (open loop), and its service time", words);
    else if (R->lat_mode == CB__LAT_COMPLETION)
      snprintf(buf, len, "%s: time from the run's start to each result, and each task's service time", words);
    else
      snprintf(buf, len, "%s: each task's service time, from its start to its end", words);
    return;
  }
  snprintf(buf, len, "%s", name);
}

/* The PNG and SVG files of dir/plots, by base name. A name the plotter cannot have made
 * (cb__plot_name_ok) is skipped: names go into links and must not need quoting. 0 (none is fine)
 * or -ENOMEM. */
static int plots_find(const char *dir, plotfile **out, size_t *n) {
  char path[4200];
  *out = NULL;
  *n = 0;
  snprintf(path, sizeof path, "%s/plots", dir);
  /* A plots folder that is a link out of the run's directory is not the run's: none embedded. */
  if (cb_path_inside(dir, path) != 1) return 0;
  DIR *d = opendir(path);
  if (!d) return 0;
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d))) {
    const char *dot = strrchr(e->d_name, '.');
    size_t bl = dot ? (size_t)(dot - e->d_name) : 0;
    int png = dot && strcmp(dot, ".png") == 0, svg = dot && strcmp(dot, ".svg") == 0;
    if ((!png && !svg) || bl == 0 || bl >= sizeof (*out)->name) continue;
    if (!cb__plot_name_ok(e->d_name, bl)) continue;
    size_t k = 0;
    while (k < *n && !(strncmp((*out)[k].name, e->d_name, bl) == 0 && (*out)[k].name[bl] == '\0')) k++;
    if (k == *n) {
      plotfile *np = realloc(*out, (*n + 1) * sizeof *np);
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
  /* Regular files within the cap only: a link to /dev/zero or a FIFO is refused unread. */
  unsigned char *data = (unsigned char *)cb_read_regular(path, MAX_PLOT_BYTES, &len, NULL, 0);
  if (!data) return -(errno ? errno : EIO);
  cb_sb_printf(h, "<img alt=\"");
  cb_sb_html(h, alt);
  cb_sb_printf(h, "\" src=\"data:image/%s;base64,", png ? "png" : "svg+xml");
  cb__sb_base64(h, data, len);
  cb_sb_puts(h, "\">");
  free(data);
  return 0;
}

/* ---- the documents -------------------------------------------------------------------------- */

/* The page at 900 px: the table scrolls inside its box, not the page; the plots sit in a grid
 * of two or more columns, each opening full size on a click. */
static const char css[] =
  "body{font-family:sans-serif;max-width:1400px;margin:1em auto;padding:0 1em;line-height:1.45;color:#222}"
  "h1{font-size:1.5em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}h3{margin:1.2em 0 .4em}"
  "nav.toc{background:#f5f5f5;border:1px solid #ddd;padding:.4em 1em;font-size:.92em}"
  "nav.toc>ul{display:flex;flex-wrap:wrap;gap:.2em 1.4em;list-style:none;margin:.2em 0;padding:0}nav.toc li{margin:0}"
  "nav.toc ul ul{display:inline;padding:0;list-style:none}nav.toc ul ul li{display:inline;margin-right:.6em;font-size:.9em}"
  ".scroll{overflow-x:auto;max-height:80vh;overflow-y:auto;border:1px solid #ddd}"
  ".scroll table{margin:0}.scroll thead th{position:sticky;top:0}"
  "table{border-collapse:collapse;font-size:.82em;margin:1em 0}"
  "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:right;vertical-align:top;white-space:nowrap}"
  "th{background:#eee}.l{text-align:left}tbody tr:nth-child(even){background:#f7f7f7}"
  "td.wrap{white-space:normal;min-width:12em}"
  "li{margin:.4em 0}.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:1em}"
  "figure{margin:0;border:1px solid #eee;padding:.3em}figure.wide{grid-column:1/-1;max-width:900px}img{width:100%;height:auto;display:block}"
  "figcaption{font-size:.88em;color:#444;padding:.2em}.note{color:#555}dt{font-weight:bold}dd{margin:0 0 .6em 1.5em}"
  ".headline{font-size:1.1em}.headline li{margin:.6em 0}";

/* The plots' sections, in plot_rank's order, and their anchors. */
static const char *const plot_sections[][2] = {
  { "Speedup", "plots-speedup" }, { "Crossover", "plots-crossover" }, { "Wall time", "plots-wall" },
  { "Throughput", "plots-throughput" }, { "Peak memory", "plots-memory" }, { "Latency", "plots-latency" },
  { "CPU time", "plots-cputime" }, { "Other", "plots-other" },
};

/* The method's first item: how speedups and the headline's intervals are computed. */
static void method_text(const cb__report *R, cb_sbuf *b) {
  cb_sb_printf(b, "%s's median wall time over the backend's; between cases of different task counts (cases sized by "
               "time), the ratio of their throughputs, tasks / median wall time, instead. The headline's intervals are "
               "%.0f%% percentile-bootstrap intervals of such ratios over the two cases' repetitions (each repetition's "
               "wall time divided by its tasks when the counts differ), %d resamples, seed %llu; memory gets the range "
               "over repetitions instead.", cb__base_name(R), REPORT_CI_LEVEL * 100, REPORT_RESAMPLES,
               (unsigned long long)R->seed);
}

/* The sentence of case c beside redis-benchmark (its "reference": a Redis workload on the run's
 * own server) into buf; 0 when it has none. */
static int reference_sentence(const cb_rcase *c, char *buf, size_t len) {
  const cJSON *ref = c->json ? cJSON_GetObjectItemCaseSensitive(c->json, "reference") : NULL;
  const cJSON *tool = cJSON_GetObjectItemCaseSensitive(ref, "tool"), *ops = cJSON_GetObjectItemCaseSensitive(ref, "ops_per_s");
  const cJSON *mine = cJSON_GetObjectItemCaseSensitive(ref, "case_ops_per_s"), *ratio = cJSON_GetObjectItemCaseSensitive(ref, "ratio");
  if (!cJSON_IsString(tool) || !cJSON_IsNumber(ops) || !cJSON_IsNumber(mine) || !cJSON_IsNumber(ratio)) return 0;
  snprintf(buf, len, "%s on %s, c=%u, %s: %.0f commands/s, %.2fx %s's %.0f on the same server", c->workload, c->backend,
           c->conc, c->params_str, mine->valuedouble, ratio->valuedouble, tool->valuestring, ops->valuedouble);
  return 1;
}

/* The section "Against redis-benchmark", in markdown or HTML, when a case has a reference. */
static void write_references(const cb__report *R, cb_sbuf *b, int html) {
  static const char intro[] = "The same commands, clients and pipeline from redis-benchmark (-t set,get) against "
                              "the same redis-server, in the same run:";
  int refs = 0;
  char sentence[768];
  for (size_t i = 0; i < R->r->n; i++) {
    if (!reference_sentence(&R->r->cases[i], sentence, sizeof sentence)) continue;
    if (!refs++)
      cb_sb_printf(b, html ? "<h2 id=\"redis-benchmark\">Against redis-benchmark</h2>\n<p>%s</p>\n<ul>\n"
                           : "\n## Against redis-benchmark\n\n%s\n\n", intro);
    cb_sb_puts(b, html ? "<li>" : "- ");
    (html ? cb_sb_html : cb_sb_md)(b, sentence);
    cb_sb_puts(b, html ? "</li>\n" : "\n");
  }
  if (refs && html) cb_sb_puts(b, "</ul>\n");
}


typedef struct doc {
  const cb__report *R;
  const char *title, *summary;
  const cb__slist *head;   /* the headline: at most five sentences, each with its interval */
  const cb__slist *find;
  const plotfile *plots;
  size_t nplots;
  const cb__kv *env;
  size_t nenv;
  const char *command;   /* "concbench run …", or NULL */
  const trow *rows;      /* the table's */
  size_t nrows;
} doc;

static void write_md(const doc *d, cb_sbuf *m) {
  const cb__report *R = d->R;
  char cells[NCOL][256], cap[320], colbuf[64];
  cb_sbuf mt = { 0 };
  cb_sb_puts(m, "# ");
  cb_sb_md(m, d->title);
  cb_sb_puts(m, "\n\n");
  for (size_t i = 0; i < d->head->n; i++) {
    cb_sb_puts(m, "- ");
    cb_sb_md(m, d->head->v[i]);
    cb_sb_puts(m, "\n");
  }
  cb_sb_puts(m, d->head->n ? "\n## All findings\n\n" : "## All findings\n\n");
  cb_sb_md(m, d->summary);
  cb_sb_puts(m, "\n\n");
  for (size_t i = 0; i < d->find->n; i++) {
    cb_sb_puts(m, "- ");
    cb_sb_md(m, d->find->v[i]);
    cb_sb_puts(m, "\n");
  }
  cb_sb_puts(m, "\n## Results\n\n");
  table_intro(R, m, cb_sb_md);
  cb_sb_puts(m, "\n\n|");
  for (int k = 0; k < NCOL; k++) {
    cb_sb_puts(m, " ");
    cb_sb_md(m, col_name(R, k, colbuf, sizeof colbuf));
    cb_sb_puts(m, " |");
  }
  cb_sb_puts(m, "\n|");
  for (int k = 0; k < NCOL; k++) cb_sb_puts(m, col_left[k] ? " :--- |" : " ---: |");
  cb_sb_puts(m, "\n");
  for (size_t i = 0; i < d->nrows; i++) {
    case_cells(d->rows[i].g, d->rows[i].c, cells);
    cb_sb_puts(m, "|");
    for (int k = 0; k < NCOL; k++) {
      cb_sb_puts(m, " ");
      cb_sb_md(m, cells[k]);
      cb_sb_puts(m, " |");
    }
    cb_sb_puts(m, "\n");
  }
  write_references(R, m, 0);
  cb_sb_puts(m, "\n## Plots\n\n");
  if (!d->nplots) {
    cb_sb_puts(m, "There are no plots: run concbench plot ");
    cb_sb_md(m, R->dir);
    cb_sb_puts(m, " (needs gnuplot-nox), then concbench report again.\n\n");
  }
  for (size_t i = 0; i < d->nplots; i++) {
    const plotfile *p = &d->plots[i];
    plot_caption(R, p->name, cap, sizeof cap);
    cb_sb_puts(m, "![");
    cb_sb_md(m, cap);
    cb_sb_printf(m, "](plots/%s.%s)", p->name, p->png ? "png" : "svg");
    if (p->png && p->svg) cb_sb_printf(m, " ([SVG](plots/%s.svg))", p->name);
    cb_sb_puts(m, "\n\n");
  }
  cb_sb_puts(m, "## Environment\n\n| | |\n| :--- | :--- |\n");
  for (size_t i = 0; i < d->nenv; i++) {
    cb_sb_puts(m, "| ");
    cb_sb_md(m, d->env[i].label);
    cb_sb_puts(m, " | ");
    cb_sb_md(m, d->env[i].value.p ? d->env[i].value.p : "");
    cb_sb_puts(m, " |\n");
  }
  cb_sb_puts(m, "\n## Method\n\n");
  method_text(R, &mt);
  cb_sb_puts(m, "- **speedups**: ");
  cb_sb_md(m, mt.p ? mt.p : "");
  cb_sb_puts(m, "\n");
  m->oom |= mt.oom;
  cb_sb_free(&mt);
  if (d->command) {
    cb_sb_puts(m, "- **command**: ");
    cb_sb_md(m, d->command);
    cb_sb_puts(m, "\n");
  }
  const cJSON *meth = cJSON_GetObjectItemCaseSensitive(R->r->root, "method"), *it;
  cJSON_ArrayForEach(it, meth) {
    cb_sbuf v = { 0 };
    cb__json_text(NULL, it, &v);
    cb_sb_puts(m, "- **");
    cb_sb_md(m, it->string ? it->string : "");
    cb_sb_puts(m, "**: ");
    cb_sb_md(m, v.p ? v.p : "");
    cb_sb_puts(m, "\n");
    m->oom |= v.oom;
    cb_sb_free(&v);
  }
}

static void write_html(const doc *d, cb_sbuf *h) {
  const cb__report *R = d->R;
  char cells[NCOL][256], cap[320], colbuf[64];
  cb_sbuf mt = { 0 };
  cb_sb_puts(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
  cb_sb_html(h, d->title);
  cb_sb_printf(h, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
  cb_sb_html(h, d->title);
  cb_sb_puts(h, "</h1>\n<nav class=\"toc\"><ul>\n<li><a href=\"#findings\">All findings</a></li>\n"
             "<li><a href=\"#results\">Results</a></li>\n<li><a href=\"#plots\">Plots</a>");
  int last = -1;
  for (size_t i = 0; i < d->nplots; i++) {
    int rk = plot_rank(d->plots[i].name);
    if (rk == last) continue;
    cb_sb_printf(h, "%s<li><a href=\"#%s\">%s</a></li>", last < 0 ? ": <ul>" : "", plot_sections[rk][1],
                 plot_sections[rk][0]);
    last = rk;
  }
  cb_sb_puts(h, last < 0 ? "</li>\n" : "</ul></li>\n");
  cb_sb_puts(h, "<li><a href=\"#environment\">Environment</a></li>\n<li><a href=\"#method\">Method</a></li>\n</ul></nav>\n");
  if (d->head->n) cb_sb_puts(h, "<ul class=\"headline\">\n");
  for (size_t i = 0; i < d->head->n; i++) {
    cb_sb_puts(h, "<li>");
    cb_sb_html(h, d->head->v[i]);
    cb_sb_puts(h, "</li>\n");
  }
  if (d->head->n) cb_sb_puts(h, "</ul>\n");
  cb_sb_puts(h, "<h2 id=\"findings\">All findings</h2>\n<p>");
  cb_sb_html(h, d->summary);
  cb_sb_puts(h, "</p>\n<ul>\n");
  for (size_t i = 0; i < d->find->n; i++) {
    cb_sb_puts(h, "<li>");
    cb_sb_html(h, d->find->v[i]);
    cb_sb_puts(h, "</li>\n");
  }
  cb_sb_puts(h, "</ul>\n<h2 id=\"results\">Results</h2>\n<p>");
  table_intro(R, h, cb_sb_html);
  cb_sb_puts(h, "</p>\n<div class=\"scroll\"><table>\n<thead><tr>");
  for (int k = 0; k < NCOL; k++) {
    cb_sb_printf(h, "<th%s>", col_left[k] ? " class=\"l\"" : "");
    cb_sb_html(h, col_name(R, k, colbuf, sizeof colbuf));
    cb_sb_puts(h, "</th>");
  }
  cb_sb_puts(h, "</tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < d->nrows; i++) {
    case_cells(d->rows[i].g, d->rows[i].c, cells);
    cb_sb_puts(h, d->rows[i].g ? "<tr class=\"case\">" : "<tr class=\"case skipped\">");
    for (int k = 0; k < NCOL; k++) {
      cb_sb_puts(h, col_left[k] || (!d->rows[i].g && k == 4) ? "<td class=\"l\">" : "<td>");
      cb_sb_html(h, cells[k]);
      cb_sb_puts(h, "</td>");
    }
    cb_sb_puts(h, "</tr>\n");
  }
  cb_sb_puts(h, "</tbody>\n</table></div>\n");
  write_references(R, h, 1);
  cb_sb_puts(h, "<h2 id=\"plots\">Plots</h2>\n");
  if (!d->nplots) {
    cb_sb_puts(h, "<p class=\"note\">There are no plots: run concbench plot ");
    cb_sb_html(h, R->dir);
    cb_sb_puts(h, " (needs gnuplot-nox), then concbench report again.</p>\n");
  }
  last = -1;
  for (size_t i = 0; i < d->nplots; i++) {
    const plotfile *p = &d->plots[i];
    int rk = plot_rank(p->name);
    if (rk != last) {
      cb_sb_printf(h, "%s<h3 id=\"%s\">%s</h3>\n<div class=\"plots\">\n", last < 0 ? "" : "</div>\n",
                   plot_sections[rk][1], plot_sections[rk][0]);
      last = rk;
    }
    plot_caption(R, p->name, cap, sizeof cap);
    /* The name passed cb__plot_name_ok: it needs no quoting in an attribute. */
    /* The speedup and the crossover are the headline's pictures: the grid's whole width. */
    cb_sb_printf(h, "<figure id=\"plot-%s\"%s>", p->name, rk <= 1 ? " class=\"wide\"" : "");
    int rc = embed_image(h, R->r->dir, p->name, p->png, cap);
    if (rc < 0 && p->png && p->svg) rc = embed_image(h, R->r->dir, p->name, 0, cap);
    if (rc < 0) cb_sb_printf(h, "<p class=\"note\">plots/%s could not be read: %s</p>", p->name, strerror(-rc));
    cb_sb_puts(h, "<figcaption>");
    cb_sb_html(h, cap);
    cb_sb_puts(h, "</figcaption></figure>\n");
  }
  if (last >= 0) cb_sb_puts(h, "</div>\n");
  cb_sb_puts(h, "<h2 id=\"environment\">Environment</h2>\n<div class=\"scroll\"><table>\n<tbody>\n");
  for (size_t i = 0; i < d->nenv; i++) {
    cb_sb_puts(h, "<tr><th class=\"l\">");
    cb_sb_html(h, d->env[i].label);
    cb_sb_puts(h, "</th><td class=\"l wrap\">");
    cb_sb_html(h, d->env[i].value.p ? d->env[i].value.p : "");
    cb_sb_puts(h, "</td></tr>\n");
  }
  cb_sb_puts(h, "</tbody>\n</table></div>\n<h2 id=\"method\">Method</h2>\n<dl>\n<dt>speedups</dt><dd>");
  method_text(R, &mt);
  cb_sb_html(h, mt.p ? mt.p : "");
  cb_sb_puts(h, "</dd>\n");
  h->oom |= mt.oom;
  cb_sb_free(&mt);
  if (d->command) {
    cb_sb_puts(h, "<dt>command</dt><dd><code>");
    cb_sb_html(h, d->command);
    cb_sb_puts(h, "</code></dd>\n");
  }
  const cJSON *meth = cJSON_GetObjectItemCaseSensitive(R->r->root, "method"), *it;
  cJSON_ArrayForEach(it, meth) {
    cb_sbuf v = { 0 };
    cb__json_text(NULL, it, &v);
    cb_sb_puts(h, "<dt>");
    cb_sb_html(h, it->string ? it->string : "");
    cb_sb_puts(h, "</dt><dd>");
    cb_sb_html(h, v.p ? v.p : "");
    cb_sb_puts(h, "</dd>\n");
    h->oom |= v.oom;
    cb_sb_free(&v);
  }
  cb_sb_puts(h, "</dl>\n</body>\n</html>\n");
}

int cb_report_write(const char *dir, char *err, size_t len, char *md_path, char *html_path, size_t plen) {
  cb_results r;
  cb__report R = { 0 };
  cb__slist find = { 0 };
  cb_sbuf title = { 0 }, summary = { 0 }, cmd = { 0 }, md = { 0 }, html = { 0 };
  plotfile *plots = NULL;
  size_t nplots = 0, nenv = 0, nrows = 0;
  cb__kv *env = NULL;
  trow *rows = NULL;
  cb__slist head = { 0 };
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
  if (cb__report_group(&R) < 0 || cb__headline(&R, &head) < 0 || cb__findings(&R, &find) < 0 ||
      plots_find(r.dir, &plots, &nplots) < 0 || cb__env_kvs(&r, &env, &nenv) < 0 || !(rows = table_rows(&R, &nrows)))
    goto cleanup;
  cb__title_text(&R, &title);
  cb__summary_text(&R, &summary);
  cb__command_text(&r, &cmd);
  doc d = { &R, title.p ? title.p : "", summary.p ? summary.p : "", &head, &find, plots, nplots, env, nenv, cmd.p,
            rows, nrows };
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
  cb__kvs_free(env, nenv);
  free(plots);
  free(rows);
  cb__sl_free(&head);
  cb_sb_free(&title);
  cb_sb_free(&summary);
  cb_sb_free(&cmd);
  cb_sb_free(&md);
  cb_sb_free(&html);
  cb__sl_free(&find);
  cb__report_free(&R);
  cb_results_free(&r);
  return rc;
}

int cb_report(const char *dir, char *err, size_t len) {
  char md[4200], html[4200];
  return cb_report_write(dir, err, len, md, html, sizeof md);
}
