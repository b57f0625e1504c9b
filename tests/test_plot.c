/* test_plot.c: cmocka tests of `concbench plot` and cb_plot: the files drawn, the numbers behind them, and the failures (no gnuplot, corrupt results, failing scripts). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "plot.h"
#include "resread.h"
#include "testutil.h"
#include "util.h"

#define RUN_TIMEOUT_MS 60000
#define SCRIPTS CB_SOURCE_DIR "/scripts/plots"
#define GNUPLOT_MISSING "gnuplot is not installed: install the Debian package gnuplot-nox (apt-get install gnuplot-nox)"

/* The plots the fixture (sleep, http, cpu on sync, threads, fork, uv) must give. */
static const char *const fixture_plots[] = {
  "wall_sleep", "wall_http", "wall_cpu", "throughput_sleep", "throughput_http", "throughput_cpu",
  "memory_sleep", "memory_http", "memory_cpu", "latency_sleep", "latency_http", "latency_cpu",
  "speedup", "cputime",
};
#define NPLOTS (sizeof fixture_plots / sizeof *fixture_plots)

static const char *const script_names[] = {
  "common.gp", "wall.gp", "throughput.gp", "memory.gp", "latency.gp", "speedup.gp", "crossover.gp", "cputime.gp",
};

typedef struct tc {
  tu_cli cli;              /* CB_BIN plot, a fresh temporary directory, the last run */
  char run[96];            /* dir/run: the results directory under test */
} tc;

/* ---- helpers ---------------------------------------------------------------------------- */

static int setup(void **state) {
  tc *t = tu_cli_new(sizeof *t, "plot");
  if (!t) return -1;
  t->cli.opts.sub = "plot";
  t->cli.timeout_ms = RUN_TIMEOUT_MS;
  snprintf(t->run, sizeof t->run, "%s/run", t->cli.dir);
  *state = t;
  return 0;
}

static int teardown(void **state) {
  tc *t = *state;
  if (!t) return 0;
  int rc = tu_cli_fini(&t->cli);
  free(t);
  return rc;
}

static int have_gnuplot(void) {
  const char *path = getenv("PATH");
  char buf[PATH_MAX], f[PATH_MAX + 16];
  snprintf(buf, sizeof buf, "%s", path ? path : "/usr/bin:/bin");
  for (char *s = buf, *tok; (tok = strtok(s, ":")); s = NULL) {
    snprintf(f, sizeof f, "%s/gnuplot", tok);
    if (access(f, X_OK) == 0) return 1;
  }
  return 0;
}

static void need_gnuplot(void) {
  if (!have_gnuplot()) {
    print_message("gnuplot is not installed (apt-get install gnuplot-nox); skipping\n");
    skip();
  }
}

/* Runs CB_BIN plot with args (NULL-terminated, after "plot"); path_env, when given, is PATH
 * and scripts_env CB_SCRIPTS_DIR. Bounded: killed after RUN_TIMEOUT_MS. */
static void run_plot(tc *t, const char *path_env, const char *scripts_env, const char *const *args) {
  char path[PATH_MAX + 8], scripts[PATH_MAX + 16];
  const char *env[3];
  int n = 0;
  if (path_env) {
    snprintf(path, sizeof path, "PATH=%s", path_env);
    env[n++] = path;
  }
  if (scripts_env) {
    snprintf(scripts, sizeof scripts, "CB_SCRIPTS_DIR=%s", scripts_env);
    env[n++] = scripts;
  }
  env[n] = NULL;
  t->cli.opts.env = env;
  tu_cli_run(&t->cli, args);
  t->cli.opts.env = NULL;
}

/* The names in dir, sorted and joined by '\n', for before/after comparisons. */
static char *listing(const char *dir) {
  struct dirent **ents;
  int n = scandir(dir, &ents, NULL, alphasort);
  assert_true(n >= 0);
  size_t cap = 16, len = 0;
  char *out = calloc(1, cap);
  assert_non_null(out);
  for (int i = 0; i < n; i++) {
    size_t l = strlen(ents[i]->d_name);
    if (len + l + 2 > cap) {
      cap = (len + l + 2) * 2;
      out = realloc(out, cap);
      assert_non_null(out);
    }
    memcpy(out + len, ents[i]->d_name, l);
    len += l;
    out[len++] = '\n';
    out[len] = '\0';
    free(ents[i]);
  }
  free(ents);
  return out;
}

/* No .tmp-* directory left behind in plots/. */
static void expect_no_temp(const char *plots) {
  DIR *d = opendir(plots);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d)))
    if (strncmp(e->d_name, ".tmp", 4) == 0) fail_msg("%s/%s was left behind", plots, e->d_name);
  closedir(d);
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* plots/name.png is a PNG of a plausible size, plots/name.svg a whole SVG document. */
static void expect_plot(const char *plots, const char *name) {
  char path[PATH_MAX];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s.png", plots, name);
  if (stat(path, &st) != 0 || st.st_size < 1000) fail_msg("%s is missing or too small", path);
  unsigned char h[24];
  int fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(read(fd, h, sizeof h), (ssize_t)sizeof h);
  close(fd);
  if (memcmp(h, "\x89PNG\r\n\x1a\n", 8) != 0) fail_msg("%s does not start with the PNG signature", path);
  if (memcmp(h + 12, "IHDR", 4) != 0) fail_msg("%s has no IHDR chunk first", path);
  uint32_t w = be32(h + 16), ht = be32(h + 20);
  if (w < 300 || w > 4000 || ht < 200 || ht > 4000) fail_msg("%s is %ux%u", path, w, ht);
  assert_int_equal(w, 900);
  assert_int_equal(ht, 600);

  snprintf(path, sizeof path, "%s/%s.svg", plots, name);
  char *svg = tu_read_file(path, NULL);
  size_t n = strlen(svg);
  while (n && (svg[n - 1] == ' ' || svg[n - 1] == '\n' || svg[n - 1] == '\r' || svg[n - 1] == '\t')) n--;
  if (!strstr(svg, "<svg")) fail_msg("%s has no <svg", path);
  if (n < 6 || memcmp(svg + n - 6, "</svg>", 6) != 0) fail_msg("%s does not end with </svg>", path);
  free(svg);
}

/* A data file's rows, split into the blocks of "# backend NAME" comments. */
typedef struct row {
  char backend[32];
  double v[8];
  int nv;
  char words[2][64];     /* the first two non-numeric columns */
  int nw;
} row;

static row *read_rows(const char *path, size_t *count) {
  char *text = tu_read_file(path, NULL);
  size_t cap = 64, n = 0;
  row *rows = calloc(cap, sizeof *rows);
  char backend[32] = "";
  assert_non_null(rows);
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "# backend ", 10) == 0) {
      snprintf(backend, sizeof backend, "%s", line + 10);
      continue;
    }
    if (line[0] == '#') continue;
    if (n == cap) {
      rows = realloc(rows, (cap *= 2) * sizeof *rows);
      assert_non_null(rows);
    }
    row *r = &rows[n++];
    memset(r, 0, sizeof *r);
    snprintf(r->backend, sizeof r->backend, "%s", backend);
    char *save, *tok;
    for (char *s = line; (tok = strtok_r(s, " ", &save)); s = NULL) {
      char *end;
      double v = strtod(tok, &end);
      if (*end == '\0' && r->nv < 8) r->v[r->nv++] = v;
      else if (*end != '\0' && r->nw < 2) snprintf(r->words[r->nw++], sizeof r->words[0], "%s", tok);
    }
  }
  free(text);
  *count = n;
  return rows;
}

static void expect_close(double got, double want, const char *what) {
  if (!(fabs(got - want) <= 1e-7 * fabs(want) + 1e-12)) fail_msg("%s: %.12g, want %.12g", what, got, want);
}

/* ---- drawing the fixture ---------------------------------------------------------------- */

static void fixture_plots_made(void **state) {
  tc *t = *state;
  char plots[1024], path[PATH_MAX];
  tu_need_bin(t->cli.bin);
  need_gnuplot();
  tu_copy_fixture(t->run);
  TU_RUN(&t->cli, t->run);
  tu_expect_exit(&t->cli.cmd, 0);
  assert_non_null(strstr(t->cli.cmd.so, "/plots"));
  assert_non_null(strstr(t->cli.cmd.so, "14 plots"));
  assert_string_equal(t->cli.cmd.se, "");
  snprintf(plots, sizeof plots, "%s/plots", t->run);
  for (size_t i = 0; i < NPLOTS; i++) {
    expect_plot(plots, fixture_plots[i]);
    snprintf(path, sizeof path, "%s/data/%s.dat", plots, fixture_plots[i]);
    struct stat st;
    if (stat(path, &st) != 0 || st.st_size < 50) fail_msg("%s is missing or empty", path);
  }
  /* No mixed cases: no crossover plot. */
  snprintf(path, sizeof path, "%s/crossover.png", plots);
  assert_false(tu_exists(path));
  snprintf(path, sizeof path, "%s/gnuplot.log", plots);
  assert_true(tu_exists(path));
  expect_no_temp(plots);
  /* Every data file opens with a header comment. */
  snprintf(path, sizeof path, "%s/data/wall_sleep.dat", plots);
  char *text = tu_read_file(path, NULL);
  assert_int_equal(text[0], '#');
  free(text);
}

/* The numbers behind the plots are the fixture's. */
static void fixture_numbers(void **state) {
  tc *t = *state;
  char path[PATH_MAX], err[512];
  cb_results r;
  tu_need_bin(t->cli.bin);
  need_gnuplot();
  tu_copy_fixture(t->run);
  TU_RUN(&t->cli, t->run);
  tu_expect_exit(&t->cli.cmd, 0);
  assert_int_equal(cb_results_read(TU_FIXTURE, &r, err, sizeof err), 0);

  /* speedup.dat: sync median / backend median at each workload's highest concurrency. */
  size_t n;
  snprintf(path, sizeof path, "%s/plots/data/speedup.dat", t->run);
  row *rows = read_rows(path, &n);
  assert_int_equal(n, 9);    /* threads, fork, uv x sleep, http, cpu */
  for (size_t i = 0; i < n; i++) {
    row *w = &rows[i];
    assert_int_equal(w->nv, 8);    /* and the speedup's 95% interval last */
    assert_int_equal(w->nw, 2);
    uint32_t conc = (uint32_t)w->v[5];
    assert_int_equal(conc, strcmp(w->words[0], "cpu") == 0 ? 4 : 100);
    const cb_rcase *s = cb_results_find(&r, w->words[0], "sync", w->words[1], conc);
    const cb_rcase *c = cb_results_find(&r, w->words[0], w->backend, w->words[1], conc);
    if (!s || !c) fail_msg("speedup row %s %s %s c=%u is not in the fixture", w->backend, w->words[0], w->words[1], conc);
    expect_close(w->v[1], s->wall_median / c->wall_median, "speedup");
    expect_close(w->v[3], s->wall_median, "sync median");
    expect_close(w->v[4], c->wall_median, "backend median");
    /* A bootstrap of the repetitions' ratios: around the speedup, and within its extremes. */
    double lo = w->v[6], hi = w->v[7];
    assert_true(lo > 0 && lo <= hi);
    assert_true(lo <= w->v[1] * 1.0001 && hi >= w->v[1] * 0.9999);
    double mn = INFINITY, mx = 0;
    for (unsigned a = 0; a < s->reps; a++)
      for (unsigned b = 0; b < c->reps; b++) {
        double q = s->wall[a] / c->wall[b];
        if (q < mn) mn = q;
        if (q > mx) mx = q;
      }
    assert_true(lo >= mn * 0.9999 && hi <= mx * 1.0001);
  }
  free(rows);

  /* wall_sleep.dat: one row per backend and concurrency with median, min, max, ideal. */
  snprintf(path, sizeof path, "%s/plots/data/wall_sleep.dat", t->run);
  rows = read_rows(path, &n);
  assert_int_equal(n, 12);
  for (size_t i = 0; i < n; i++) {
    const cb_rcase *c = cb_results_find(&r, "sleep", rows[i].backend, "delay_ms=10", (uint32_t)rows[i].v[0]);
    assert_non_null(c);
    expect_close(rows[i].v[1], c->wall_median, "median");
    expect_close(rows[i].v[2], c->wall_min, "min");
    expect_close(rows[i].v[3], c->wall_max, "max");
    expect_close(rows[i].v[4], c->ideal_s, "ideal");
  }
  assert_string_equal(rows[0].backend, "sync");   /* the known order */
  free(rows);

  /* throughput and memory. */
  snprintf(path, sizeof path, "%s/plots/data/throughput_http.dat", t->run);
  rows = read_rows(path, &n);
  assert_int_equal(n, 12);
  for (size_t i = 0; i < n; i++) {
    const cb_rcase *c = cb_results_find(&r, "http", rows[i].backend, r.cases[12].params_str, (uint32_t)rows[i].v[0]);
    assert_non_null(c);
    expect_close(rows[i].v[1], (double)c->tasks / c->wall_median, "tasks/s");
  }
  free(rows);
  snprintf(path, sizeof path, "%s/plots/data/memory_cpu.dat", t->run);
  rows = read_rows(path, &n);
  assert_int_equal(n, 12);
  for (size_t i = 0; i < n; i++) {
    const cb_rcase *c = cb_results_find(&r, "cpu", rows[i].backend, "work=2000", (uint32_t)rows[i].v[0]);
    assert_non_null(c);
    expect_close(rows[i].v[1], c->peak_rss_kib / 1024.0, "MiB");
  }
  free(rows);

  /* latency_sleep.dat: at concurrency 100, finite x, ending at each backend's max. */
  snprintf(path, sizeof path, "%s/plots/data/latency_sleep.dat", t->run);
  rows = read_rows(path, &n);
  assert_true(n > 4);
  for (size_t i = 0; i < n; i++) {
    assert_true(isfinite(rows[i].v[1]) && rows[i].v[1] >= 1);
    int last = i + 1 == n || strcmp(rows[i + 1].backend, rows[i].backend) != 0;
    if (last) {
      const cb_rcase *c = cb_results_find(&r, "sleep", rows[i].backend, "delay_ms=10", 100);
      assert_non_null(c);
      expect_close(rows[i].v[0], 100, "last percentile");
      assert_true(fabs(rows[i].v[2] - c->max_ms) <= 0.01 * c->max_ms);
    }
  }
  free(rows);

  /* cputime.dat: every case with CPU time. */
  snprintf(path, sizeof path, "%s/plots/data/cputime.dat", t->run);
  rows = read_rows(path, &n);
  assert_true(n >= 30 && n <= r.n);
  free(rows);
  cb_results_free(&r);
}

/* cb_plot itself, as run calls it. */
static void library_call(void **state) {
  tc *t = *state;
  char err[512] = "", path[PATH_MAX];
  need_gnuplot();
  tu_copy_fixture(t->run);
  int rc = cb_plot(t->run, err, sizeof err);
  if (rc != 0) fail_msg("cb_plot: %d %s", rc, err);
  snprintf(path, sizeof path, "%s/plots", t->run);
  expect_plot(path, "speedup");
  expect_no_temp(path);
  /* No results: an error with a reason, and not -ENOENT, which means no gnuplot. */
  snprintf(path, sizeof path, "%s/none", t->cli.dir);
  rc = cb_plot(path, err, sizeof err);
  assert_true(rc < 0 && rc != -ENOENT);
  assert_non_null(strstr(err, "none"));
}

/* ---- the mixed workload ----------------------------------------------------------------- */

/* The fixture plus mixed cases: sleep's cases at concurrency 100, renamed, for io_fraction 0,
 * 0.5 and 1, with the non-sync backends' wall times scaled so each fraction differs. */
static void write_mixed_fixture(const tc *t) {
  static const double fractions[] = { 1, 0, 0.5 };   /* out of order on purpose */
  char path[PATH_MAX], ps[64];
  cJSON *root = tu_load_json(TU_FIXTURE);
  cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
  int n = cJSON_GetArraySize(cases);
  for (size_t f = 0; f < sizeof fractions / sizeof *fractions; f++)
    for (int i = 0; i < n; i++) {
      cJSON *c = cJSON_GetArrayItem(cases, i);
      if (strcmp(cJSON_GetObjectItemCaseSensitive(c, "workload")->valuestring, "sleep") != 0 ||
          cJSON_GetObjectItemCaseSensitive(c, "concurrency")->valuedouble != 100)
        continue;
      cJSON *m = cJSON_Duplicate(c, 1);
      assert_non_null(m);
      cJSON_ReplaceItemInObjectCaseSensitive(m, "workload", cJSON_CreateString("mixed"));
      snprintf(ps, sizeof ps, "task_ms=10;io_fraction=%g", fractions[f]);
      cJSON_ReplaceItemInObjectCaseSensitive(m, "params_str", cJSON_CreateString(ps));
      cJSON *params = cJSON_CreateObject();
      cJSON_AddNumberToObject(params, "task_ms", 10);
      cJSON_AddNumberToObject(params, "io_fraction", fractions[f]);
      cJSON_ReplaceItemInObjectCaseSensitive(m, "params", params);
      int sync = strcmp(cJSON_GetObjectItemCaseSensitive(m, "backend")->valuestring, "sync") == 0;
      cJSON *wall = cJSON_GetObjectItemCaseSensitive(m, "wall_s");
      double k = sync ? 1 : 1 + 4 * (1 - fractions[f]);
      const char *keys[] = { "median", "min", "max" };
      for (int j = 0; j < 3; j++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(wall, keys[j]);
        cJSON_SetNumberValue(v, v->valuedouble * k);
      }
      cJSON_AddItemToArray(cases, m);
    }
  assert_int_equal(cb_mkdirs(t->run), 0);
  snprintf(path, sizeof path, "%s/results.json", t->run);
  tu_save_json(path, root);
  cJSON_Delete(root);
}

static void mixed_crossover(void **state) {
  tc *t = *state;
  char path[PATH_MAX], err[512];
  cb_results r;
  tu_need_bin(t->cli.bin);
  need_gnuplot();
  write_mixed_fixture(t);
  /* What an earlier plot of other data drew, and a file of the user's. */
  snprintf(path, sizeof path, "%s/plots", t->run);
  assert_int_equal(cb_mkdirs(path), 0);
  snprintf(path, sizeof path, "%s/plots/wall_mixed_io_fraction-0.5.png", t->run);
  tu_write_text(path, "stale");
  snprintf(path, sizeof path, "%s/plots/notes.txt", t->run);
  tu_write_text(path, "mine");
  TU_RUN(&t->cli, t->run);
  tu_expect_exit(&t->cli.cmd, 0);
  snprintf(path, sizeof path, "%s/plots/notes.txt", t->run);
  assert_true(tu_exists(path));
  snprintf(path, sizeof path, "%s/plots", t->run);
  expect_plot(path, "crossover");
  expect_plot(path, "speedup");
  expect_plot(path, "latency_mixed_io_fraction-0.5");
  /* One concurrency only: lines against concurrency would be single points, so those plots are
   * left out (the crossover shows the sweep); and no stale one stays from an earlier plot. */
  char stale[PATH_MAX + 64];
  snprintf(stale, sizeof stale, "%s/wall_mixed_io_fraction-0.5.png", path);
  assert_false(tu_exists(stale));
  snprintf(stale, sizeof stale, "%s/memory_mixed_io_fraction-0.5.svg", path);
  assert_false(tu_exists(stale));
  snprintf(path, sizeof path, "%s/results.json", t->run);
  assert_int_equal(cb_results_read(path, &r, err, sizeof err), 0);
  size_t n;
  snprintf(path, sizeof path, "%s/plots/data/crossover.dat", t->run);
  row *rows = read_rows(path, &n);
  assert_int_equal(n, 9);    /* threads, fork, uv x 3 fractions */
  for (size_t i = 0; i < n; i++) {
    double f = rows[i].v[0];
    if (i % 3) assert_true(f > rows[i - 1].v[0]);    /* by increasing io_fraction */
    char ps[64];
    snprintf(ps, sizeof ps, "task_ms=10;io_fraction=%g", f);
    const cb_rcase *s = cb_results_find(&r, "mixed", "sync", ps, 100);
    const cb_rcase *c = cb_results_find(&r, "mixed", rows[i].backend, ps, 100);
    assert_non_null(s);
    assert_non_null(c);
    expect_close(rows[i].v[1], s->wall_median / c->wall_median, "crossover speedup");
  }
  free(rows);
  cb_results_free(&r);
}

/* A backend and a workload this binary does not know, described only by results.json: the
 * mixed fixture with threads renamed "pool2" (flagged parallel) and mixed renamed "blend", its
 * sweep axis io_fraction renamed "share". They get the same plots, under their own names. */
static void unknown_names(void **state) {
  tc *t = *state;
  char path[PATH_MAX], ps[64];
  tu_need_bin(t->cli.bin);
  need_gnuplot();
  write_mixed_fixture(t);
  snprintf(path, sizeof path, "%s/results.json", t->run);
  cJSON *root = tu_load_json(path), *it, *bs = cJSON_CreateArray(), *ws = cJSON_CreateArray(), *o, *fl;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(root, "cases")) {
    if (!strcmp(cJSON_GetObjectItemCaseSensitive(it, "backend")->valuestring, "threads"))
      cJSON_ReplaceItemInObjectCaseSensitive(it, "backend", cJSON_CreateString("pool2"));
    if (strcmp(cJSON_GetObjectItemCaseSensitive(it, "workload")->valuestring, "mixed")) continue;
    cJSON *params = cJSON_GetObjectItemCaseSensitive(it, "params");
    double v = cJSON_GetObjectItemCaseSensitive(params, "io_fraction")->valuedouble;
    cJSON_DeleteItemFromObjectCaseSensitive(params, "io_fraction");
    cJSON_AddNumberToObject(params, "share", v);
    snprintf(ps, sizeof ps, "task_ms=10;share=%g", v);
    cJSON_ReplaceItemInObjectCaseSensitive(it, "params_str", cJSON_CreateString(ps));
    cJSON_ReplaceItemInObjectCaseSensitive(it, "workload", cJSON_CreateString("blend"));
  }
  static const char *const be[][3] = { { "sync", "serial", "baseline" }, { "pool2", "parallel", NULL },
                                       { "fork", "parallel", NULL }, { "uv", "loop", NULL } };
  for (size_t b = 0; b < 4; b++) {
    cJSON_AddItemToArray(bs, o = cJSON_CreateObject());
    cJSON_AddStringToObject(o, "name", be[b][0]);
    fl = cJSON_AddArrayToObject(o, "flags");
    for (size_t k = 1; k < 3 && be[b][k]; k++) cJSON_AddItemToArray(fl, cJSON_CreateString(be[b][k]));
  }
  cJSON_AddItemToObject(root, "backends", bs);
  cJSON_AddItemToArray(ws, o = cJSON_CreateObject());
  cJSON_AddStringToObject(o, "name", "blend");
  cJSON_AddStringToObject(o, "kind", "mixed");
  cJSON_AddStringToObject(o, "sweep", "share");
  cJSON_AddItemToObject(root, "workloads", ws);
  tu_save_json(path, root);
  cJSON_Delete(root);
  TU_RUN(&t->cli, t->run);
  tu_expect_exit(&t->cli.cmd, 0);
  snprintf(path, sizeof path, "%s/plots", t->run);
  expect_plot(path, "crossover");
  expect_plot(path, "latency_blend_share-0.5");
  expect_plot(path, "speedup");
  /* pool2 has its bars, its lines and its crossover, beside the known backends. */
  static const char *const files[] = { "speedup", "wall_sleep", "latency_blend_share-0.5", "crossover", "cputime" };
  for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
    size_t n, mine = 0;
    snprintf(path, sizeof path, "%s/plots/data/%s.dat", t->run, files[k]);
    row *rows = read_rows(path, &n);
    for (size_t i = 0; i < n; i++) mine += !strcmp(rows[i].backend, "pool2");
    if (!mine) fail_msg("%s has no rows of backend pool2", path);
    free(rows);
  }
  /* The crossover runs along share, three points per backend but the baseline. */
  size_t n;
  snprintf(path, sizeof path, "%s/plots/data/crossover.dat", t->run);
  row *rows = read_rows(path, &n);
  assert_int_equal(n, 9);
  for (size_t i = 0; i < n; i++) assert_string_not_equal(rows[i].backend, "sync");
  free(rows);
  char *text = tu_read_file(path, NULL);
  assert_non_null(strstr(text, "workload blend"));
  assert_non_null(strstr(text, "against share"));
  free(text);
}

/* ---- failures --------------------------------------------------------------------------- */

static void no_gnuplot(void **state) {
  tc *t = *state;
  char empty[PATH_MAX], err[512];
  tu_need_bin(t->cli.bin);
  tu_copy_fixture(t->run);
  snprintf(empty, sizeof empty, "%s/emptybin", t->cli.dir);
  assert_int_equal(mkdir(empty, 0755), 0);
  char *before = listing(t->run);
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/results.json", t->run);
  char *json_before = tu_read_file(path, NULL);

  run_plot(t, empty, NULL, TU_ARGS(t->run));
  tu_expect_exit(&t->cli.cmd, 1);
  tu_expect_one_error_line(&t->cli.cmd);
  assert_non_null(strstr(t->cli.cmd.se, GNUPLOT_MISSING));
  /* Nothing is created: not even plots/ or its data. */
  char *after = listing(t->run);
  assert_string_equal(before, after);
  char *json_after = tu_read_file(path, NULL);
  assert_string_equal(json_before, json_after);
  free(after);
  free(json_after);

  /* The library says the same, with -ENOENT. */
  char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
  setenv("PATH", empty, 1);
  int rc = cb_plot(t->run, err, sizeof err);
  if (old) setenv("PATH", old, 1);
  else unsetenv("PATH");
  free(old);
  assert_int_equal(rc, -ENOENT);
  assert_string_equal(err, GNUPLOT_MISSING);
  after = listing(t->run);
  assert_string_equal(before, after);
  free(after);
  free(before);
  free(json_before);
}

static void bad_input(void **state) {
  tc *t = *state;
  char path[PATH_MAX];
  tu_need_bin(t->cli.bin);
  assert_int_equal(cb_mkdirs(t->run), 0);
  snprintf(path, sizeof path, "%s/results.json", t->run);

  /* Truncated JSON. */
  tu_write_text(path, "{\"concbench\": \"0.1.0\", \"cases\": [");
  TU_RUN(&t->cli, t->run);
  tu_expect_exit(&t->cli.cmd, 2);
  tu_expect_one_error_line(&t->cli.cmd);
  assert_non_null(strstr(t->cli.cmd.se, "results.json"));
  snprintf(path, sizeof path, "%s/plots", t->run);
  assert_false(tu_exists(path));

  /* Valid JSON, not results. */
  snprintf(path, sizeof path, "%s/results.json", t->run);
  tu_write_text(path, "[1, 2, 3]");
  TU_RUN(&t->cli, t->run);
  tu_expect_exit(&t->cli.cmd, 2);
  tu_expect_one_error_line(&t->cli.cmd);

  /* No results at all. */
  snprintf(path, sizeof path, "%s/nothing-here", t->cli.dir);
  TU_RUN(&t->cli, path);
  tu_expect_exit(&t->cli.cmd, 2);
  tu_expect_one_error_line(&t->cli.cmd);

  /* Usage. */
  TU_RUN(&t->cli, NULL);
  tu_expect_exit(&t->cli.cmd, 2);
  tu_expect_one_error_line(&t->cli.cmd);
  TU_RUN(&t->cli, "--bogus", t->run);
  tu_expect_exit(&t->cli.cmd, 2);
  tu_expect_one_error_line(&t->cli.cmd);
  TU_RUN(&t->cli, t->run, "extra");
  tu_expect_exit(&t->cli.cmd, 2);
  tu_expect_one_error_line(&t->cli.cmd);
  TU_RUN(&t->cli, "--help");
  tu_expect_exit(&t->cli.cmd, 0);
  assert_non_null(strstr(t->cli.cmd.so, "usage: concbench plot DIR"));
}

/* A script that fails: exit 1 naming the log; the plots that worked are there, the failed ones
 * keep their previous version, and nothing half-written is left. */
/* The plot scripts copied to t->cli.dir/scripts (its path into scripts), wall.gp replaced by wall. */
static void scripts_with(tc *t, char *scripts, const char *wall) {
  char path[PATH_MAX], from[PATH_MAX];
  snprintf(scripts, 1024, "%s/scripts", t->cli.dir);
  assert_int_equal(cb_mkdirs(scripts), 0);
  for (size_t i = 0; i < sizeof script_names / sizeof *script_names; i++) {
    snprintf(from, sizeof from, "%s/%s", SCRIPTS, script_names[i]);
    snprintf(path, sizeof path, "%s/%s", scripts, script_names[i]);
    if (strcmp(script_names[i], "wall.gp") == 0) {
      tu_write_text(path, wall);
    } else {
      char *text = tu_read_file(from, NULL);
      tu_write_text(path, text);
      free(text);
    }
  }
}

/* SIGINT while gnuplot hangs: gnuplot is killed, the half-drawn plots go, exit 130 at once. */
static void interrupted_plot(void **state) {
  tc *t = *state;
  char scripts[1024], path[PATH_MAX];
  tu_need_bin(t->cli.bin);
  need_gnuplot();
  tu_copy_fixture(t->run);
  scripts_with(t, scripts, "set terminal pngcairo\nset output outdir.'/'.name.'.png'\nplot x\npause 60\n");
  snprintf(path, sizeof path, "CB_SCRIPTS_DIR=%s", scripts);
  const char *env[] = { path, NULL };
  const char *args[] = { t->run, NULL };
  assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
  t->cli.opts.env = env;
  tu_cli_spawn(&t->cli, args);
  t->cli.opts.env = NULL;
  tu_sleep_ms(500);
  assert_int_equal(kill(t->cli.cmd.pid, SIGINT), 0);
  tu_wait(&t->cli.cmd, 2000);
  const tu_procq ours = { .ppid = getpid() };
  char left[512];
  int n = tu_lingering(&ours, 1000, left, sizeof left);
  if (n > 0) tu_kill_procs(&ours);
  prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
  if (n > 0) fail_msg("%d process(es) outlived the interrupted plot:%s", n, left);
  tu_expect_exit(&t->cli.cmd, 130);
  tu_expect_one_error_line(&t->cli.cmd);
  tu_expect_in(t->cli.cmd.se, "interrupted");
  snprintf(path, sizeof path, "%s/plots", t->run);
  expect_no_temp(path);
  snprintf(path, sizeof path, "%s/plots/wall_sleep.png", t->run);
  assert_false(tu_exists(path));      /* the one gnuplot was drawing when it was stopped */
}

static void gnuplot_fails(void **state) {
  tc *t = *state;
  char scripts[1024], path[PATH_MAX];
  tu_need_bin(t->cli.bin);
  need_gnuplot();
  tu_copy_fixture(t->run);
  TU_RUN(&t->cli, t->run);
  tu_expect_exit(&t->cli.cmd, 0);
  snprintf(path, sizeof path, "%s/plots/wall_sleep.png", t->run);
  size_t old_len;
  char *old_png = cb_read_file(path, &old_len);
  assert_non_null(old_png);
  snprintf(path, sizeof path, "%s/plots/speedup.png", t->run);
  assert_int_equal(unlink(path), 0);

  /* wall.gp writes half a PNG, then fails. */
  scripts_with(t, scripts, "set terminal pngcairo\nset output outdir.'/'.name.'.png'\nplot x\nthis is not gnuplot\n");
  run_plot(t, NULL, scripts, TU_ARGS(t->run));
  tu_expect_exit(&t->cli.cmd, 1);
  tu_expect_one_error_line(&t->cli.cmd);
  assert_non_null(strstr(t->cli.cmd.se, "gnuplot.log"));
  assert_non_null(strstr(t->cli.cmd.se, "wall.gp"));
  snprintf(path, sizeof path, "%s/plots/gnuplot.log", t->run);
  char *log = tu_read_file(path, NULL);
  assert_non_null(strstr(log, "this is not gnuplot"));
  free(log);
  snprintf(path, sizeof path, "%s/plots", t->run);
  expect_no_temp(path);
  expect_plot(path, "speedup");        /* drawn again */
  snprintf(path, sizeof path, "%s/plots/wall_sleep.png", t->run);
  size_t new_len;
  char *new_png = cb_read_file(path, &new_len);
  assert_non_null(new_png);
  assert_true(new_len == old_len && memcmp(old_png, new_png, old_len) == 0);
  free(old_png);
  free(new_png);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(fixture_plots_made, setup, teardown),
    cmocka_unit_test_setup_teardown(fixture_numbers, setup, teardown),
    cmocka_unit_test_setup_teardown(library_call, setup, teardown),
    cmocka_unit_test_setup_teardown(mixed_crossover, setup, teardown),
    cmocka_unit_test_setup_teardown(unknown_names, setup, teardown),
    cmocka_unit_test_setup_teardown(no_gnuplot, setup, teardown),
    cmocka_unit_test_setup_teardown(bad_input, setup, teardown),
    cmocka_unit_test_setup_teardown(gnuplot_fails, setup, teardown),
    cmocka_unit_test_setup_teardown(interrupted_plot, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
