/* test_report.c: cmocka tests of `concbench report`: the headline and findings recomputed from the fixture, the table, throughput ratios, skipped cases, embedded plots, the mixed crossover, bad input. */
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "compare.h"
#include "report.h"
#include "resread.h"
#include "testutil.h"
#include "util.h"

/* A 1x1 grey PNG and its base64, to find it embedded. */
static const unsigned char tiny_png[67] =
  "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01"
  "\x08\x00\x00\x00\x00\x3a\x7e\x9b\x55\x00\x00\x00\x0a\x49\x44\x41\x54\x78\x9c\x63\x60\x00\x00\x00"
  "\x02\x00\x01\x48\xaf\xa4\x71\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";
static const char tiny_png_b64[] = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==";

typedef struct fx {
  tu_cli cli;            /* CB_BIN, a fresh temporary directory holding results.json, the last run */
  char *md, *html;       /* the reports it wrote */
} fx;

/* ---- plumbing ------------------------------------------------------------------------------ */

static int fx_setup(void **state) {
  *state = tu_cli_new(sizeof(fx), "report");
  return *state ? 0 : -1;
}

static int fx_teardown(void **state) {
  fx *f = *state;
  int rc = tu_cli_fini(&f->cli);
  free(f->md);
  free(f->html);
  free(f);
  return rc;
}

static char *read_in(const fx *f, const char *name) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/%s", f->cli.dir, name);
  return cb_read_file(p, NULL);
}

/* Run CB_BIN with up to three arguments (NULL-terminated), killed after TU_RUN_TIMEOUT_MS; md and
 * html are the reports when they exist. */
static void run_bin(fx *f, const char *a1, const char *a2, const char *a3) {
  const char *const args[] = { a1, a2, a3, NULL };
  free(f->md);
  free(f->html);
  f->md = f->html = NULL;
  tu_cli_run(&f->cli, args);
  f->md = read_in(f, "report.md");
  f->html = read_in(f, "report.html");
}

static void run_report(fx *f) {
  run_bin(f, "report", f->cli.dir, NULL);
  tu_expect_exit(&f->cli.cmd, 0);
  assert_non_null(f->md);
  assert_non_null(f->html);
}

/* The findings bullet of report.md that starts with "- " prefix, copied into buf. */
static const char *finding(const char *md, const char *prefix, char *buf, size_t len) {
  char want[512];
  snprintf(want, sizeof want, "\n- %s", prefix);
  const char *p = strstr(md, want);
  if (!p) fail_msg("no finding starts with \"%s\" in:\n%s", prefix, md);
  p += 3;
  size_t n = strcspn(p, "\n");
  snprintf(buf, len, "%.*s", (int)n, p);
  return buf;
}

/* The report of the fixture (root NULL) or of root (saved as results.json, then freed), and the
 * results it was made from in r. */
static void report_from(fx *f, cJSON *root, cb_results *r) {
  char p[PATH_MAX], err[256];
  tu_need_bin(f->cli.bin);
  snprintf(p, sizeof p, "%s/results.json", f->cli.dir);
  if (root) tu_save_json(p, root);
  else tu_copy_fixture(f->cli.dir);
  cJSON_Delete(root);
  run_report(f);
  assert_int_equal(cb_results_read(p, r, err, sizeof err), 0);
}

/* The report's number formats, restated: the test recomputes values, then looks for them. */
static void fmt_x(double x, char *buf, size_t len) {
  if (x >= 9.95) snprintf(buf, len, "%.0f×", x);
  else if (x >= 1) snprintf(buf, len, "%.1f×", x);
  else snprintf(buf, len, "%.2f×", x);
}

static void fmt_share(double r, char *buf, size_t len) {
  static const char *const words[] = { NULL, NULL, "half", "a third", "a quarter", "a fifth",
                                       "a sixth", "a seventh", "an eighth", "a ninth", "a tenth" };
  double inv = 1 / r;
  long n = lround(inv);
  if (r > 1) fmt_x(r, buf, len);
  else if (n >= 2 && n <= 10 && fabs(inv - (double)n) <= 0.1 * (double)n) snprintf(buf, len, "%s of", words[n]);
  else if (n > 10) snprintf(buf, len, "1/%ld of", n);
  else snprintf(buf, len, "%.0f%% of", r * 100);
}

static void fmt_kib(double kib, char *buf, size_t len) {
  if (kib < 10) snprintf(buf, len, "%.1f KiB", kib);
  else if (kib < 1024) snprintf(buf, len, "%.0f KiB", kib);
  else snprintf(buf, len, "%.1f MiB", kib / 1024);
}

static const cb_rcase *find(const cb_results *r, const char *wl, const char *be, uint32_t c) {
  for (size_t i = 0; i < r->n; i++)
    if (!strcmp(r->cases[i].workload, wl) && !strcmp(r->cases[i].backend, be) && r->cases[i].conc == c) return &r->cases[i];
  return NULL;
}

/* The headline: the bullets between the title and "## All findings", at most five. */
static size_t headline(const char *md, char lines[5][2048]) {
  const char *end = strstr(md, "\n## All findings\n"), *p = md;
  size_t n = 0;
  assert_non_null(end);
  for (; (p = strstr(p, "\n- ")) && p < end; p += 3) {
    assert_true(n < 5);
    snprintf(lines[n++], 2048, "%.*s", (int)strcspn(p + 3, "\n"), p + 3);
  }
  return n;
}

/* "61× as fast as sync (95% CI 58×–64×)", recomputed with cb_ratio_ci over the repetitions (each
 * divided by its tasks when the counts differ), seed 1. */
static void expect_ratio(const char *line, const cb_rcase *ref, const cb_rcase *c, const char *mid) {
  double a[64], b[64], v[3];
  char xs[3][32], want[256];
  for (unsigned i = 0; i < ref->reps; i++) a[i] = ref->wall[i] / (ref->tasks == c->tasks ? 1 : (double)ref->tasks);
  for (unsigned i = 0; i < c->reps; i++) b[i] = c->wall[i] / (ref->tasks == c->tasks ? 1 : (double)c->tasks);
  assert_int_equal(cb_ratio_ci(b, c->reps, a, ref->reps, 0.95, 10000, 1, &v[0], &v[1], &v[2]), 0);
  for (int i = 0; i < 3; i++) fmt_x(v[i], xs[i], sizeof xs[i]);
  snprintf(want, sizeof want, "%s%s (95%% CI %s–%s)", xs[0], mid, xs[1], xs[2]);
  tu_expect_in(line, want);
}

/* ---- the fixture ---------------------------------------------------------------------------- */

static void fixture_files(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  tu_copy_fixture(f->cli.dir);
  run_report(f);
  char want[PATH_MAX * 2];
  snprintf(want, sizeof want, "%s/report.md\n%s/report.html\n", f->cli.dir, f->cli.dir);
  assert_string_equal(f->cli.cmd.so, want);
  /* Self-contained and well-formed enough: one document, nothing fetched from the network. */
  assert_int_equal(tu_count(f->html, "<html"), 1);
  assert_int_equal(tu_count(f->html, "</html>"), 1);
  assert_true(strstr(f->html, "<html") < strstr(f->html, "</html>"));
  assert_int_equal(tu_count(f->html, "<body>"), 1);
  assert_int_equal(tu_count(f->html, "</body>"), 1);
  assert_null(strstr(f->html, "http://"));
  assert_null(strstr(f->html, "https://"));
  assert_null(strstr(f->html, "src=\"//"));
  assert_null(strstr(f->html, "<script"));
  assert_null(strstr(f->html, "<link"));
  /* No plots yet: the reader is told how to get them. */
  tu_expect_in(f->md, "no plots: run concbench plot");
  tu_expect_in(f->md, "(needs gnuplot-nox)");
  tu_expect_in(f->html, "no plots: run concbench plot");
  /* The environment and method come through. */
  tu_expect_in(f->md, "Intel(R) Xeon(R) Processor");
  tu_expect_in(f->md, "| UV_THREADPOOL_SIZE | 4 |");
  tu_expect_in(f->md, "0d19d9c803f9-dirty");
  tu_expect_in(f->html, "percentile bootstrap");
}

static void fixture_table(void **state) {
  fx *f = *state;
  cb_results r;
  report_from(f, NULL, &r);
  /* Markdown: the lines of the table under "## Results", header and separator aside. */
  const char *t = strstr(f->md, "\n## Results\n"), *end = strstr(f->md, "\n## Plots\n");
  assert_non_null(t);
  assert_non_null(end);
  size_t rows = 0;
  for (const char *p = t; p && p < end; p = strchr(p + 1, '\n'))
    if (strncmp(p, "\n| ", 3) == 0) rows++;
  assert_int_equal(rows, r.n + 2);
  assert_int_equal(tu_count(f->html, "<tr class=\"case\">"), r.n);
  /* The http row at c=100 for uv carries its speedup over sync. */
  char x[32], lines[5][2048];
  const char *line = strstr(f->md, "| http | uv | 100 |");
  fmt_x(find(&r, "http", "sync", 100)->wall_median / find(&r, "http", "uv", 100)->wall_median, x, sizeof x);
  assert_true(line && strstr(line, x) && strstr(line, x) < strchr(line, '\n'));
  /* The headline above it all (no swept workload: no crossover), one sentence each, with an interval. */
  assert_int_equal(headline(f->md, lines), 4);
  for (size_t i = 0; i < 4; i++)
    if (tu_count(lines[i], ". ") || (!strstr(lines[i], "95% CI") && !strstr(lines[i], "range")))
      fail_msg("not one sentence with an interval: %s", lines[i]);
  /* The loop shines on sleep at c=100 (79× against http's 61×); memory by its range. */
  tu_expect_in(lines[0], "on sleep at c=100, uv ran ");
  expect_ratio(lines[0], find(&r, "sleep", "sync", 100), find(&r, "sleep", "uv", 100), " as fast as sync");
  tu_expect_in(lines[0], "3.8 MiB (2.5 MiB–3.8 MiB over 3 repetitions)");
  tu_expect_in(lines[1], "on cpu (CPU work) at c=4, uv ran ");
  expect_ratio(lines[1], find(&r, "cpu", "sync", 4), find(&r, "cpu", "uv", 4), " as fast as sync");
  expect_ratio(lines[1], find(&r, "cpu", "sync", 4), find(&r, "cpu", "fork", 4), "");
  tu_expect_in(lines[2], "Each task in flight costs 3.9 KiB on uv (");
  tu_expect_in(lines[3], "How far to trust it: the repetitions agree to a median CV of ");
  tu_expect_in(lines[3], "36 cases carry a flag (load on 36, cv on 13, cpu>cores on 3)");
  tu_expect_in(f->html, "<ul class=\"headline\">");
  cb_results_free(&r);
}

/* On each IO workload, at the highest concurrency sync ran too: the fastest backend's speedup
 * and its memory against the others. */
static void fixture_io_findings(void **state) {
  static const char *const io[] = { "sleep", "http" };
  fx *f = *state;
  cb_results r;
  char line[2048], want[256], x[32];
  report_from(f, NULL, &r);
  for (size_t w = 0; w < 2; w++) {
    uint32_t C = 0;
    for (size_t i = 0; i < r.n; i++)
      if (!strcmp(r.cases[i].workload, io[w]) && strcmp(r.cases[i].backend, "sync") &&
          find(&r, io[w], "sync", r.cases[i].conc) && r.cases[i].conc > C)
        C = r.cases[i].conc;
    assert_int_equal(C, 100);
    const cb_rcase *sync = find(&r, io[w], "sync", C), *fast = NULL;
    for (size_t i = 0; i < r.n; i++) {
      const cb_rcase *c = &r.cases[i];
      if (!strcmp(c->workload, io[w]) && c->conc == C && strcmp(c->backend, "sync") &&
          (!fast || c->wall_median < fast->wall_median))
        fast = c;
    }
    snprintf(want, sizeof want, "On %s at c=%u,", io[w], C);
    finding(f->md, want, line, sizeof line);
    fmt_x(sync->wall_median / fast->wall_median, x, sizeof x);
    /* A backend whose median's interval overlaps the fastest's is as fast: no winner is named. */
    int tie = 0;
    for (size_t i = 0; i < r.n; i++) {
      const cb_rcase *c = &r.cases[i];
      if (strcmp(c->workload, io[w]) || c->conc != C || !strcmp(c->backend, "sync") || c == fast) continue;
      if (c->ci_lo <= fast->ci_hi && fast->ci_lo <= c->ci_hi) {
        tie = 1;
        tu_expect_in(line, c->backend);
      }
    }
    if (tie) snprintf(want, sizeof want, "ran as fast as each other (their 95%% intervals overlap): %s", x);
    else snprintf(want, sizeof want, "%s finished %s faster than sync", fast->backend, x);
    tu_expect_in(line, want);
    snprintf(want, sizeof want, "On %s at c=%u, %s", io[w], C, fast->backend);
    tu_expect_in(line, want);
    for (size_t i = 0; i < r.n; i++) {
      const cb_rcase *c = &r.cases[i];
      if (strcmp(c->workload, io[w]) || c->conc != C || !strcmp(c->backend, "sync") || c == fast) continue;
      double m = fast->peak_rss_kib / c->peak_rss_kib;
      char share[32];
      fmt_share(m, share, sizeof share);
      snprintf(want, sizeof want, "%s the memory of %s", share, c->backend);
      if (m < 1 / 1.5 || m > 1.5) tu_expect_in(line, want);
      else assert_null(strstr(line, want));
    }
  }
  /* The fixture's own figures, to be sure the recomputation above looks at the right thing. */
  tu_expect_in(finding(f->md, "On http at c=100,", line, sizeof line),
               "uv and threads ran as fast as each other (their 95% intervals overlap): 61× and 58× sync's speed");
  tu_expect_in(line, "a fifth of the memory of fork");
  cb_results_free(&r);
}

/* On cpu: uv's best against sync, said plainly; threads' and fork's best; the cores. */
static void fixture_cpu_finding(void **state) {
  static const char *const be[] = { "uv", "threads", "fork" };
  fx *f = *state;
  cb_results r;
  char line[2048], want[128], x[32];
  report_from(f, NULL, &r);
  finding(f->md, "On cpu,", line, sizeof line);
  for (size_t b = 0; b < 3; b++) {
    double best = -1;
    for (size_t i = 0; i < r.n; i++) {
      const cb_rcase *c = &r.cases[i], *s;
      if (strcmp(c->workload, "cpu") || strcmp(c->backend, be[b]) || !(s = find(&r, "cpu", "sync", c->conc))) continue;
      /* Above 1 at c=1 is noise, never a backend's best. */
      if (c->conc == 1 && s->wall_median / c->wall_median > 1) continue;
      if (s->wall_median / c->wall_median > best) best = s->wall_median / c->wall_median;
    }
    fmt_x(best, x, sizeof x);
    if (b == 0) {
      assert_true(best < 1.05);   /* the fixture's uv is no faster than sync */
      snprintf(want, sizeof want, "uv gives no speedup (%s)", x);
    } else {
      snprintf(want, sizeof want, "%s", x);
      tu_expect_in(line, be[b]);
    }
    tu_expect_in(line, want);
  }
  snprintf(want, sizeof want, "on %u cores", r.cores);
  tu_expect_in(line, want);
  cb_results_free(&r);
}

/* Efficiency range, near-ideal cases, memory per task in flight and the flags. */
static void fixture_other_findings(void **state) {
  fx *f = *state;
  cb_results r;
  char line[4096], want[128];
  report_from(f, NULL, &r);
  const cb_rcase *lo = NULL, *hi = NULL;
  for (size_t i = 0; i < r.n; i++) {
    const cb_rcase *c = &r.cases[i];
    if (strcmp(c->workload, "sleep") || !strcmp(c->backend, "sync") || c->conc < 2) continue;
    if (!lo || c->efficiency < lo->efficiency) lo = c;
    if (!hi || c->efficiency > hi->efficiency) hi = c;
  }
  finding(f->md, "On sleep, efficiency", line, sizeof line);
  snprintf(want, sizeof want, "from %.2f (%s at c=%u)", lo->efficiency, lo->backend, lo->conc);
  tu_expect_in(line, want);
  snprintf(want, sizeof want, "to %.2f (%s at c=%u)", hi->efficiency, hi->backend, hi->conc);
  tu_expect_in(line, want);
  assert_true(hi->efficiency >= 0.95);
  snprintf(want, sizeof want, "On sleep, %s at c=%u is at %.2f of the ideal", hi->backend, hi->conc, hi->efficiency);
  finding(f->md, want, line, sizeof line);
  tu_expect_in(line, "close to the limit");

  static const char *const be[] = { "uv", "threads", "fork" };
  finding(f->md, "On http, each task in flight costs", line, sizeof line);
  for (size_t b = 0; b < 3; b++) {
    const cb_rcase *a = find(&r, "http", be[b], 1), *z = find(&r, "http", be[b], 100);
    char v[32];
    fmt_kib((z->peak_rss_kib - a->peak_rss_kib) / 99, v, sizeof v);
    snprintf(want, sizeof want, "%s on %s", v, be[b]);
    tu_expect_in(line, want);
  }

  size_t load = 0, cv = 0;
  for (size_t i = 0; i < r.n; i++) {
    load += strstr(r.cases[i].flags, "load") != NULL;
    cv += strstr(r.cases[i].flags, "cv") != NULL;
  }
  assert_int_equal(load, r.n);
  snprintf(want, sizeof want, "Flag load on all %zu cases: ", r.n);
  finding(f->md, want, line, sizeof line);
  snprintf(want, sizeof want, "Flag cv on %zu cases (", cv);
  finding(f->md, want, line, sizeof line);
  tu_expect_in(line, "sleep fork c=100");
  tu_expect_in(line, "vary by more than 10%");
  tu_expect_in(f->md, "Flag cpu>cores on 3 cases (cpu threads c=4, cpu fork c=4, cpu uv c=4)");
  assert_null(strstr(f->md, "No case was flagged"));
  cb_results_free(&r);
}

/* ---- planted data ----------------------------------------------------------------------------- */

/* The fixture with every case's flags cleared and, when mixed, mixed cases at io_fraction 0, 0.5
 * and 1 on sync, threads, uv and uv-offload (c=10), with wall times chosen so that threads stop
 * beating uv at 0.5 and uv-offload recovers 1.7× there. */
static void put_planted(const fx *f, int mixed, const char *rename_wl) {
  static const double fracs[] = { 0, 0.5, 1 };
  static const char *const be[] = { "sync", "threads", "uv", "uv-offload" };
  static const double wall[3][4] = {
    /* sync threads uv   uv-offload */
    { 2.0, 1.00, 2.00, 1.000 },   /* io_fraction 0: threads and uv-offload use both cores */
    { 2.0, 1.05, 1.02, 0.600 },   /* 0.5: threads no longer beat uv; uv-offload 1.7× uv */
    { 2.0, 0.21, 0.20, 0.205 },   /* 1: all waiting, uv 10× sync */
  };
  static const double peak[4] = { 3000, 8000, 3500, 4000 };
  char p[PATH_MAX];
  cJSON *root = tu_load_json(TU_FIXTURE), *cases = cJSON_GetObjectItem(root, "cases"), *it;
  assert_non_null(cases);
  cJSON_ArrayForEach(it, cases) cJSON_ReplaceItemInObject(it, "flags", cJSON_CreateArray());
  if (rename_wl)
    cJSON_ArrayForEach(it, cases)
      if (!strcmp(cJSON_GetObjectItem(it, "workload")->valuestring, "sleep"))
        cJSON_ReplaceItemInObject(it, "workload", cJSON_CreateString(rename_wl));
  for (int k = 0; mixed && k < 3; k++)
    for (int b = 0; b < 4; b++) {
      cJSON *c = cJSON_Duplicate(cJSON_GetArrayItem(cases, 0), 1), *params = cJSON_CreateObject(), *rep;
      char ps[64];
      double w = wall[k][b];
      snprintf(ps, sizeof ps, "task_ms=20;io_fraction=%g", fracs[k]);
      cJSON_AddNumberToObject(params, "task_ms", 20);
      cJSON_AddNumberToObject(params, "io_fraction", fracs[k]);
      cJSON_ReplaceItemInObject(c, "workload", cJSON_CreateString("mixed"));
      cJSON_ReplaceItemInObject(c, "backend", cJSON_CreateString(be[b]));
      cJSON_ReplaceItemInObject(c, "concurrency", cJSON_CreateNumber(10));
      cJSON_ReplaceItemInObject(c, "effective_concurrency", cJSON_CreateNumber(b == 0 ? 1 : 10));
      cJSON_ReplaceItemInObject(c, "params", params);
      cJSON_ReplaceItemInObject(c, "params_str", cJSON_CreateString(ps));
      cJSON_ReplaceItemInObject(c, "peak_rss_kib", cJSON_CreateNumber(peak[b]));
      cJSON_DeleteItemFromObject(c, "ideal_s");
      cJSON_DeleteItemFromObject(c, "efficiency");
      cJSON *ws = cJSON_GetObjectItem(c, "wall_s");
      static const char *const keys[] = { "median", "mean", "min", "max", "ci95_lo", "ci95_hi" };
      for (size_t i = 0; i < 6; i++) cJSON_ReplaceItemInObject(ws, keys[i], cJSON_CreateNumber(w));
      cJSON_ReplaceItemInObject(ws, "cv", cJSON_CreateNumber(0));
      cJSON_ArrayForEach(rep, cJSON_GetObjectItem(c, "repetitions"))
        cJSON_ReplaceItemInObject(rep, "wall_s", cJSON_CreateNumber(w));
      cJSON_AddItemToArray(cases, c);
    }
  snprintf(p, sizeof p, "%s/results.json", f->cli.dir);
  tu_save_json(p, root);
  cJSON_Delete(root);
}

/* Every wall time of case c (median, interval, repetitions) set to w: no spread. */
static void set_wall(cJSON *c, double w) {
  cJSON *ws = cJSON_GetObjectItem(c, "wall_s"), *rep;
  static const char *const keys[] = { "median", "mean", "min", "max", "ci95_lo", "ci95_hi" };
  for (size_t i = 0; i < 6; i++) cJSON_ReplaceItemInObject(ws, keys[i], cJSON_CreateNumber(w));
  cJSON_ReplaceItemInObject(ws, "cv", cJSON_CreateNumber(0));
  cJSON_ArrayForEach(rep, cJSON_GetObjectItem(c, "repetitions")) cJSON_ReplaceItemInObject(rep, "wall_s", cJSON_CreateNumber(w));
}

/* A second event loop beside uv (uring) on http: twice uv's speed at c=10, uv's own at c=1 and
 * c=100: one finding names each concurrency with its verdict, and ranks only where they differ. */
static void other_loop_finding(void **state) {
  fx *f = *state;
  char line[2048];
  cJSON *root = tu_load_json(TU_FIXTURE), *cases = cJSON_GetObjectItem(root, "cases"), *it;
  int n = cJSON_GetArraySize(cases);
  for (int i = 0; i < n; i++) {
    it = cJSON_GetArrayItem(cases, i);
    if (strcmp(cJSON_GetObjectItem(it, "workload")->valuestring, "http") ||
        strcmp(cJSON_GetObjectItem(it, "backend")->valuestring, "uv"))
      continue;
    double w = cJSON_GetObjectItem(cJSON_GetObjectItem(it, "wall_s"), "median")->valuedouble;
    int conc = cJSON_GetObjectItem(it, "concurrency")->valueint;
    cJSON *u = cJSON_Duplicate(it, 1);
    set_wall(it, w);
    cJSON_ReplaceItemInObject(u, "backend", cJSON_CreateString("uring"));
    set_wall(u, conc == 10 ? w / 2 : w);
    cJSON_AddItemToArray(cases, u);
  }
  cb_results r;
  report_from(f, root, &r);
  finding(f->md, "On http, uring against uv:", line, sizeof line);
  tu_expect_in(line, "as fast at c=1 (1.0×)");
  tu_expect_in(line, "faster at c=10 (2.0×)");
  tu_expect_in(line, "as fast at c=100 (1.0×)");
  tu_expect_in(line, "it depends on the concurrency.");
  /* Sleep has no uring rows: no such finding there. */
  tu_expect_not_in(f->md, "On sleep, uring");
  cb_results_free(&r);
}

/* A server case planted from the fixture's first: backend be at c over conns connections, offered
 * rate, with the load's figures. */
static cJSON *server_case(cJSON *tmpl, const char *be, int c, double conns, double rate, double achieved,
                          double p99, double errors, double peak) {
  cJSON *o = cJSON_Duplicate(tmpl, 1), *params = cJSON_CreateObject();
  char ps[96];
  snprintf(ps, sizeof ps, "delay_ms=1;connections=%g", conns);
  cJSON_AddNumberToObject(params, "delay_ms", 1);
  cJSON_AddNumberToObject(params, "connections", conns);
  cJSON_ReplaceItemInObject(o, "workload", cJSON_CreateString("server"));
  cJSON_ReplaceItemInObject(o, "backend", cJSON_CreateString(be));
  cJSON_ReplaceItemInObject(o, "concurrency", cJSON_CreateNumber(c));
  cJSON_ReplaceItemInObject(o, "effective_concurrency", cJSON_CreateNumber(strcmp(be, "sync") ? c : 1));
  cJSON_ReplaceItemInObject(o, "params", params);
  cJSON_ReplaceItemInObject(o, "params_str", cJSON_CreateString(ps));
  cJSON_ReplaceItemInObject(o, "flags", cJSON_CreateArray());
  cJSON_DeleteItemFromObject(o, "rate_target");
  cJSON_DeleteItemFromObject(o, "rate_achieved");
  cJSON_DeleteItemFromObject(o, "connections");
  cJSON_AddNumberToObject(o, "rate_target", rate);
  cJSON_AddNumberToObject(o, "rate_achieved", achieved);
  cJSON_AddNumberToObject(o, "connections", conns);
  cJSON_ReplaceItemInObject(o, "p99_ms", cJSON_CreateNumber(p99));
  cJSON_ReplaceItemInObject(o, "errors", cJSON_CreateNumber(errors));
  cJSON_ReplaceItemInObject(o, "peak_rss_kib", cJSON_CreateNumber(peak));
  return o;
}

/* A serving workload's findings are its knees, and its wall times (the schedule's) give no
 * speedup; the headline says what the loop held at the most connections, against threads. */
static void server_knees(void **state) {
  fx *f = *state;
  char line[2048];
  cb_results r;
  cJSON *root = tu_load_json(TU_FIXTURE), *cases = cJSON_GetObjectItem(root, "cases");
  cJSON *tmpl = cJSON_Duplicate(cJSON_GetArrayItem(cases, 0), 1);
  static const double rates[] = { 1000, 4000, 16000 };
  for (int k = 0; k < 3; k++) {
    double q = rates[k];
    cJSON_AddItemToArray(cases, server_case(tmpl, "sync", 100, 100, q, q * 0.02, 1001, q * 0.98, 600));
    cJSON_AddItemToArray(cases, server_case(tmpl, "threads", 100, 100, q, k < 2 ? q : 15000, k < 2 ? 5 : 120, 0, 5000));
    cJSON_AddItemToArray(cases, server_case(tmpl, "uv", 100, 100, q, q * 0.999, k < 2 ? 2 : 13.2, 0, 1800));
  }
  cJSON_AddItemToArray(cases, server_case(tmpl, "uv", 10000, 10000, 1000, 999, 12, 0, 60000));
  cJSON_AddItemToArray(cases, server_case(tmpl, "threads", 10000, 10000, 1000, 995, 40, 0, 250000));
  cJSON_Delete(tmpl);
  report_from(f, root, &r);
  finding(f->md, "On server (connections=100) at c=100 over 100 connections, the knee", line, sizeof line);
  assert_non_null(strstr(line, "sync keeps up with none: at 1,000 req/s, 980 requests failed or timed out, p99 1001.0 ms"));
  assert_non_null(strstr(line, "threads keeps up to 4,000 req/s and falls behind at 16,000 req/s (15,000 req/s answered, p99 120.0 ms)"));
  assert_non_null(strstr(line, "uv keeps up at every rate measured, up to 16,000 req/s (p99 13.2 ms there)"));
  finding(f->md, "The server side: uv held 10,000 keep-alive connections at 1,000 req/s with 0 errors and a p99 of "
          "12.0 ms, in a peak memory of 59 MiB (6.0 KiB a connection) against threads 244 MiB (25 KiB a connection",
          line, sizeof line);
  assert_non_null(strstr(line, "offered more load at c=100, sync with none, threads kept up to 4,000 req/s, uv kept up to 16,000 req/s."));
  /* No speedup or efficiency is claimed of a server: its wall time is the schedule's. */
  for (const char *p = f->md; (p = strstr(p, "\n- ")) != NULL; p++)
    assert_false(strncmp(p, "\n- On server (", 15) == 0 && strstr(p, "as fast") && strstr(p, "as fast") < strchr(p + 1, '\n'));
  cb_results_free(&r);
}

static void mixed_crossover(void **state) {
  fx *f = *state;
  char line[2048];
  tu_need_bin(f->cli.bin);
  put_planted(f, 1, NULL);
  run_report(f);
  /* Threads beat uv at io_fraction 0 (2.00 / 1.00) and no longer at 0.5 (1.05 against 1.02). */
  finding(f->md, "On mixed at c=10, threads stops beating uv at io_fraction 0.5:", line, sizeof line);
  tu_expect_in(line, "at io_fraction 0, threads finishes 2.0× faster");
  /* uv-offload at 0.5: 1.02 / 0.60 = 1.7, with the pool size from the environment. */
  finding(f->md, "On mixed at c=10, with half of each task spent computing (io_fraction 0.5), ", line, sizeof line);
  tu_expect_in(line, "uv-offload finishes 1.7× faster than uv");
  tu_expect_in(line, "libuv's thread pool (4 threads)");
  /* io_fraction 1 is an IO workload: uv 2.0 / 0.2 = 10×, 3500 KiB against threads' 8000 (44%). */
  finding(f->md, "On mixed (io_fraction=1) at c=10,", line, sizeof line);
  tu_expect_in(line, "uv finished 10× faster than sync");
  tu_expect_in(line, "44% of the memory of threads");
  assert_null(strstr(line, "memory of uv-offload"));
  /* io_fraction 0 is a CPU workload: uv 1.0×, threads and uv-offload 2.0×. */
  finding(f->md, "On mixed (io_fraction=0),", line, sizeof line);
  tu_expect_in(line, "uv gives no speedup (1.0×)");
  tu_expect_in(line, "threads and uv-offload reach 2.0× (c=10)");
  /* Flags were cleared. */
  tu_expect_in(f->md, "No case was flagged");
  assert_int_equal(tu_count(f->html, "<tr class=\"case\">"), 36 + 12);
  /* The headline's crossover: threads' 1.05 against uv's 1.02 at 0.5, with the interval. */
  char lines[5][2048], err[256];
  cb_results r;
  assert_int_equal(cb_results_read(f->cli.dir, &r, err, sizeof err), 0);
  assert_int_equal(headline(f->md, lines), 5);
  tu_expect_in(lines[2], "The crossover on mixed at c=10: threads stops beating uv at io_fraction 0.5, where it ran ");
  expect_ratio(lines[2], &r.cases[36 + 4 + 2], &r.cases[36 + 4 + 1], " as fast as uv");   /* uv, threads */
  tu_expect_in(lines[2], "against 2.0× (95% CI 2.0×–2.0×) at io_fraction 0.");
  cb_results_free(&r);
}

/* A case of backend `from` copied as backend `to`, every wall time w. */
static void add_copy(cJSON *cases, const char *wl, const char *from, const char *to, double frac, uint32_t conc, double w) {
  cJSON *it, *src = NULL;
  cJSON_ArrayForEach(it, cases) {
    cJSON *io = cJSON_GetObjectItem(cJSON_GetObjectItem(it, "params"), "io_fraction");
    if (!strcmp(cJSON_GetObjectItem(it, "workload")->valuestring, wl) &&
        !strcmp(cJSON_GetObjectItem(it, "backend")->valuestring, from) &&
        cJSON_GetObjectItem(it, "concurrency")->valuedouble == conc && (!io || io->valuedouble == frac))
      src = it;
  }
  assert_non_null(src);
  cJSON *c = cJSON_Duplicate(src, 1), *rep, *ws = cJSON_GetObjectItem(c, "wall_s");
  cJSON_ReplaceItemInObject(c, "backend", cJSON_CreateString(to));
  cJSON_ReplaceItemInObject(c, "flags", cJSON_CreateArray());
  static const char *const keys[] = { "median", "mean", "min", "max", "ci95_lo", "ci95_hi" };
  for (size_t i = 0; i < 6; i++) cJSON_ReplaceItemInObject(ws, keys[i], cJSON_CreateNumber(w));
  cJSON_ReplaceItemInObject(ws, "cv", cJSON_CreateNumber(0));
  cJSON_ArrayForEach(rep, cJSON_GetObjectItem(c, "repetitions"))
    cJSON_ReplaceItemInObject(rep, "wall_s", cJSON_CreateNumber(w));
  cJSON_AddItemToArray(cases, c);
}

/* Two variations of the loop: uv-offload moves the computation to the pool, uv-mt runs a loop on
 * each core. Each recovery is said with how it is had, and the two are set side by side on the
 * mixed point half computing and on CPU work. */
static void loop_variations_side_by_side(void **state) {
  fx *f = *state;
  char line[2048], p[PATH_MAX];
  tu_need_bin(f->cli.bin);
  put_planted(f, 1, NULL);
  snprintf(p, sizeof p, "%s/results.json", f->cli.dir);
  cJSON *root = tu_load_json(p), *cases = cJSON_GetObjectItem(root, "cases");
  add_copy(cases, "mixed", "uv-offload", "uv-mt", 0, 10, 1.0);
  add_copy(cases, "mixed", "uv-offload", "uv-mt", 0.5, 10, 0.51);    /* 2.0× uv, uv-offload 1.7× */
  add_copy(cases, "mixed", "uv-offload", "uv-mt", 1, 10, 0.2);
  /* cpu at c=4: uv 0.0428 s; uv-offload as fast as uv, uv-mt twice as fast */
  add_copy(cases, "cpu", "uv", "uv-offload", 0, 4, 0.0428);
  add_copy(cases, "cpu", "uv", "uv-mt", 0, 4, 0.0214);
  cJSON_AddNumberToObject(cJSON_GetObjectItem(root, "environment"), "uv_loops", 2);
  tu_save_json(p, root);
  cJSON_Delete(root);
  run_report(f);
  finding(f->md, "On mixed at c=10, with half of each task spent computing (io_fraction 0.5), uv-mt", line, sizeof line);
  tu_expect_in(line, "uv-mt finishes 2.0× faster than uv by running a loop on each of 2 threads.");
  finding(f->md, "On mixed at c=10, with half of each task spent computing (io_fraction 0.5), uv-offload", line, sizeof line);
  tu_expect_in(line, "by moving the computation to libuv's thread pool (4 threads)");
  finding(f->md, "The loop's variations side by side on mixed at io_fraction 0.5 at c=10:", line, sizeof line);
  tu_expect_in(line, "uv-mt 2.0× and uv-offload 1.7× over uv; uv-mt recovers the most.");
  finding(f->md, "The loop's variations side by side on cpu at c=4:", line, sizeof line);
  tu_expect_in(line, "uv-mt 2.0× and uv-offload 1.0× over uv; uv-mt recovers the most.");
}

/* Backends and a workload this binary has never heard of, described only by results.json's
 * "backends" and "workloads": the planted mixed run with threads renamed "pool" (parallel), uv
 * "evloop" (loop), uv-offload "evloop-pool" (parallel loop extending evloop), sync "serial1"
 * (serial baseline) and mixed "blend" with its axis "wait_share". Every table row, finding and
 * caption speaks of them by those names. */
static void rename_str(cJSON *o, const char *key, const char *const (*map)[2], size_t n) {
  cJSON *v = cJSON_GetObjectItem(o, key);
  for (size_t k = 0; v && cJSON_IsString(v) && k < n; k++)
    if (!strcmp(v->valuestring, map[k][0])) {
      cJSON_ReplaceItemInObject(o, key, cJSON_CreateString(map[k][1]));
      return;
    }
}

static cJSON *backend_desc(const char *name, const char *flags, const char *extends) {
  cJSON *b = cJSON_CreateObject(), *fl = cJSON_AddArrayToObject(b, "flags");
  char copy[64], *save = NULL;
  cJSON_AddStringToObject(b, "name", name);
  snprintf(copy, sizeof copy, "%s", flags);
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) cJSON_AddItemToArray(fl, cJSON_CreateString(t));
  if (extends) cJSON_AddStringToObject(b, "extends", extends);
  return b;
}

static void put_unknown(const fx *f) {
  static const char *const be[][2] = { { "sync", "serial1" }, { "threads", "pool" }, { "uv", "evloop" },
                                       { "uv-offload", "evloop-pool" } };
  char p[PATH_MAX];
  put_planted(f, 1, NULL);
  snprintf(p, sizeof p, "%s/results.json", f->cli.dir);
  cJSON *root = tu_load_json(p), *it, *bs = cJSON_CreateArray(), *ws = cJSON_CreateArray(), *w;
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "cases")) {
    rename_str(it, "backend", be, 4);
    if (strcmp(cJSON_GetObjectItem(it, "workload")->valuestring, "mixed")) continue;
    cJSON *params = cJSON_GetObjectItem(it, "params");
    double v = cJSON_GetObjectItem(params, "io_fraction")->valuedouble;
    char ps[64];
    cJSON_ReplaceItemInObject(it, "workload", cJSON_CreateString("blend"));
    cJSON_DeleteItemFromObject(params, "io_fraction");
    cJSON_AddNumberToObject(params, "wait_share", v);
    snprintf(ps, sizeof ps, "task_ms=20;wait_share=%g", v);
    cJSON_ReplaceItemInObject(it, "params_str", cJSON_CreateString(ps));
  }
  cJSON_AddItemToArray(bs, backend_desc("serial1", "serial,baseline", NULL));
  cJSON_AddItemToArray(bs, backend_desc("pool", "parallel", NULL));
  cJSON_AddItemToArray(bs, backend_desc("evloop", "loop", NULL));
  cJSON_AddItemToArray(bs, backend_desc("evloop-pool", "parallel,loop", "evloop"));
  cJSON_AddItemToObject(root, "backends", bs);
  cJSON_AddItemToArray(ws, w = cJSON_CreateObject());
  cJSON_AddStringToObject(w, "name", "blend");
  cJSON_AddStringToObject(w, "kind", "mixed");
  cJSON_AddStringToObject(w, "sweep", "wait_share");
  cJSON_AddItemToObject(root, "workloads", ws);
  tu_save_json(p, root);
  cJSON_Delete(root);
}

static void unknown_names(void **state) {
  fx *f = *state;
  char line[2048];
  tu_need_bin(f->cli.bin);
  put_unknown(f);
  run_report(f);
  /* The same findings as mixed_crossover, in the data's names. */
  finding(f->md, "On blend at c=10, pool stops beating evloop at wait_share 0.5:", line, sizeof line);
  tu_expect_in(line, "at wait_share 0, pool finishes 2.0× faster");
  tu_expect_in(line, "because evloop computes every task on its one thread");
  finding(f->md, "On blend at c=10, with half of each task spent computing (wait_share 0.5), ", line, sizeof line);
  tu_expect_in(line, "evloop-pool finishes 1.7× faster than evloop");
  finding(f->md, "On blend (wait_share=1) at c=10,", line, sizeof line);
  tu_expect_in(line, "evloop finished 10× faster than serial1");
  tu_expect_in(line, "44% of the memory of pool");
  finding(f->md, "On blend (wait_share=0),", line, sizeof line);
  tu_expect_in(line, "evloop gives no speedup (1.0×)");
  tu_expect_in(line, "pool and evloop-pool reach 2.0× (c=10)");
  /* The table: every case, the speedup over the baseline by its name. */
  assert_int_equal(tu_count(f->html, "<tr class=\"case\">"), 36 + 12);
  tu_expect_in(f->md, "| speedup vs serial1 |");
  tu_expect_in(f->md, "Speedup is serial1's median wall time");
  tu_expect_in(f->md, "| blend | pool | 10 |");
  /* Above the environment and method (which quote the run's own command), no name of this
   * binary's tables remains. */
  char *env = strstr(f->md, "\n## Environment");
  assert_non_null(env);
  *env = '\0';
  assert_null(strstr(f->md, "sync"));
  assert_null(strstr(f->md, "mixed"));
  assert_null(strstr(f->md, "io_fraction"));
}

static void plots_embedded(void **state) {
  fx *f = *state;
  char p[PATH_MAX];
  static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>\n";
  tu_need_bin(f->cli.bin);
  tu_copy_fixture(f->cli.dir);
  snprintf(p, sizeof p, "%s/plots", f->cli.dir);
  assert_int_equal(mkdir(p, 0700), 0);
  snprintf(p, sizeof p, "%s/plots/speedup.png", f->cli.dir);
  tu_write_file(p, tiny_png, sizeof tiny_png);
  snprintf(p, sizeof p, "%s/plots/wall_sleep.svg", f->cli.dir);
  tu_write_text(p, svg);
  snprintf(p, sizeof p, "%s/plots/notes.txt", f->cli.dir);
  tu_write_text(p, "x");
  run_report(f);
  char want[256];
  snprintf(want, sizeof want, "src=\"data:image/png;base64,%s\"", tiny_png_b64);
  tu_expect_in(f->html, want);
  tu_expect_in(f->html, "src=\"data:image/svg+xml;base64,");
  assert_null(strstr(f->html, "http://"));
  assert_null(strstr(f->html, "no plots"));
  assert_null(strstr(f->md, "no plots"));
  tu_expect_in(f->md, "](plots/speedup.png)");
  tu_expect_in(f->md, "](plots/wall_sleep.svg)");
  assert_null(strstr(f->md, "notes"));
}

/* Every plot drawn is in the report, those of a parameter with a decimal value too
 * (wall_mixed_io_fraction-0.5): a real run sweeping io_fraction, plotted and reported. */
static void every_plot_reported(void **state) {
  fx *f = *state;
  char p[PATH_MAX];
  tu_need_bin(f->cli.bin);
  if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
    print_message("gnuplot is not installed (apt-get install gnuplot-nox); skipping\n");
    skip();
  }
  snprintf(p, sizeof p, "%s/run", f->cli.dir);
  const char *const args[] = { "run", "-w", "mixed", "-b", "sync,threads,uv", "-n", "4", "-c", "1,2", "-p",
                               "io_fraction=0,0.5", "-p", "task_ms=2", "-r", "1", "--warmup", "0", "-q",
                               "--report", "-o", p, NULL };
  tu_cli_run(&f->cli, args);
  tu_expect_exit(&f->cli.cmd, 0);
  char *md, *html;
  snprintf(p, sizeof p, "%s/run/report.md", f->cli.dir);
  assert_non_null(md = cb_read_file(p, NULL));
  snprintf(p, sizeof p, "%s/run/report.html", f->cli.dir);
  assert_non_null(html = cb_read_file(p, NULL));
  snprintf(p, sizeof p, "%s/run/plots", f->cli.dir);
  DIR *d = opendir(p);
  assert_non_null(d);
  struct dirent *e;
  int npng = 0, decimal = 0;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 5 || strcmp(e->d_name + l - 4, ".png") != 0) continue;
    char want[PATH_MAX];
    npng++;
    decimal += strstr(e->d_name, "0.5") != NULL;
    snprintf(want, sizeof want, "](plots/%s)", e->d_name);
    if (!strstr(md, want)) fail_msg("report.md leaves out plots/%s", e->d_name);
    snprintf(want, sizeof want, "id=\"plot-%.*s\"", (int)(l - 4), e->d_name);
    if (!strstr(html, want)) fail_msg("report.html leaves out plots/%s", e->d_name);
  }
  closedir(d);
  assert_true(decimal >= 1);
  assert_int_equal((int)tu_count(html, "<img "), npng);
  free(md);
  free(html);
}

/* Names from the data are escaped in the HTML. */
static void html_escaped(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  put_planted(f, 0, "<i>s&\"");
  run_report(f);
  assert_null(strstr(f->html, "<i>s"));
  tu_expect_in(f->html, "&lt;i&gt;s&amp;&quot;");
  tu_expect_in(f->md, "\\<i>s\\&\"");
}

/* ---- the headline, throughput ratios, skipped cases ------------------------------------------ */

/* Cases sized by time: sync ran http with half the tasks in the same time, so every speedup over
 * it there is a ratio of throughputs, twice that of wall times. One case is flagged busy, and one
 * the machine cannot run is skipped: a table row that says why, one sentence, no finding. */
static void sized_busy_skipped(void **state) {
  fx *f = *state;
  char line[2048], x[32], lines[5][2048];
  cJSON *root = tu_load_json(TU_FIXTURE), *it;
  cb_results r;
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "cases")) {
    int http = !strcmp(cJSON_GetObjectItem(it, "workload")->valuestring, "http");
    const char *be = cJSON_GetObjectItem(it, "backend")->valuestring;
    if (http && !strcmp(be, "sync")) cJSON_ReplaceItemInObject(it, "tasks", cJSON_CreateNumber(50));
    if (http && !strcmp(be, "uv") && cJSON_GetObjectItem(it, "concurrency")->valuedouble == 100)
      cJSON_ReplaceItemInObject(it, "flags", cJSON_Parse("[\"busy\"]"));
  }
  cJSON_AddItemToArray(cJSON_GetObjectItem(root, "cases"), cJSON_Parse(
    "{\"workload\": \"sleep\", \"backend\": \"fork\", \"tasks\": 100, \"concurrency\": 20000, \"params_str\": "
    "\"delay_ms=10\", \"params\": {\"delay_ms\": 10}, \"skipped\": \"needs 20001 processes, limit 4096\", "
    "\"reps\": 0, \"flags\": [\"skip\"]}"));
  report_from(f, root, &r);
  const cb_rcase *s = find(&r, "http", "sync", 100), *u = find(&r, "http", "uv", 100);
  fmt_x((100 / u->wall_median) / (50 / s->wall_median), x, sizeof x);
  const char *row = strstr(f->md, "| http | uv | 100 |");
  assert_true(row && strstr(row, x) && strstr(row, x) < strchr(row, '\n'));
  tu_expect_in(finding(f->md, "On http at c=100, uv and threads ran as fast as each other ", line, sizeof line), x);
  tu_expect_in(line, " tasks/s against ");
  /* Figures as people write them: no 1.682e+05. */
  for (const char *p = f->md; (p = strstr(p, "e+")) != NULL; p++)
    if (p > f->md && p[-1] >= '0' && p[-1] <= '9') fail_msg("an exponent in the report: %.40s", p - 8 > f->md ? p - 8 : f->md);
  headline(f->md, lines);
  tu_expect_in(lines[0], "on http at c=100, uv ran ");
  expect_ratio(lines[0], s, u, " as fast as sync");
  tu_expect_in(f->md, "between cases of different task counts (cases sized by time), the ratio of their throughputs");
  tu_expect_in(f->md, "the ratio of their throughputs, tasks per second, when the two ran different numbers of tasks");
  finding(f->md, "Flag busy on 1 case (http uv c=100): ", line, sizeof line);
  tu_expect_in(line, "other processes took more than a threshold of the CPU during a repetition");
  assert_string_equal(r.cases[r.n - 1].skipped, "needs 20001 processes, limit 4096");
  assert_true(r.cases[r.n - 1].reps == 0 && isnan(r.cases[r.n - 1].wall_median));
  tu_expect_in(f->md, "| sleep | fork | 20000 | delay_ms=10 | skipped: needs 20001 processes, limit 4096 | – |");
  assert_int_equal(tu_count(f->html, "<tr class=\"case skipped\">"), 1);
  assert_int_equal(tu_count(f->html, "<tr class=\"case\">"), r.n - 1);
  finding(f->md, "1 case could not run on this machine and was skipped", line, sizeof line);
  tu_expect_in(line, "sleep fork c=20000 (delay_ms=10): needs 20001 processes, limit 4096.");
  /* Every other finding as without it, and no flag skip; the summary counts it apart. */
  tu_expect_in(f->md, "\n- On sleep at c=100, uv and threads ran as fast as each other (their 95% intervals overlap): 79× and 77×");
  tu_expect_in(f->md, "Flag load on 35 cases (");
  assert_null(strstr(f->md, "Flag skip"));
  tu_expect_in(f->md, ": 36 cases (and 1 skipped: the machine could not run it)");
  cb_results_free(&r);
}

/* ---- ranking only what the data can rank --------------------------------------------------- */

/* The fixture with each case's interval of the median set to its median ± rel of it, and the
 * repetitions cut to reps (0: as they are). */
static cJSON *fixture_with(double rel, int reps) {
  cJSON *root = tu_load_json(TU_FIXTURE), *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "cases")) {
    cJSON *w = cJSON_GetObjectItem(it, "wall_s");
    double m = cJSON_GetObjectItem(w, "median")->valuedouble;
    cJSON_ReplaceItemInObject(w, "ci95_lo", cJSON_CreateNumber(m * (1 - rel)));
    cJSON_ReplaceItemInObject(w, "ci95_hi", cJSON_CreateNumber(m * (1 + rel)));
    cJSON *rp = cJSON_GetObjectItem(it, "repetitions");
    while (reps && cJSON_GetArraySize(rp) > reps) cJSON_DeleteItemFromArray(rp, 0);
    if (reps) cJSON_ReplaceItemInObject(it, "reps", cJSON_CreateNumber(reps));
  }
  return root;
}

/* Intervals apart: the fastest is named and said to be faster. Overlapping: "as fast as each
 * other", and "faster" is not said of them. */
static void overlap_wording(void **state) {
  fx *f = *state;
  char line[2048];
  cb_results r;
  report_from(f, fixture_with(0.001, 0), &r);
  /* uv 12.8 ms, threads 13.2 ms at ±0.1%: apart. */
  tu_expect_in(finding(f->md, "On sleep at c=100,", line, sizeof line), "uv finished 79× faster than sync");
  assert_null(strstr(line, "as fast as each other"));
  cb_results_free(&r);
  report_from(f, fixture_with(0.05, 0), &r);
  /* At ±5% they overlap: neither is the faster. */
  finding(f->md, "On sleep at c=100,", line, sizeof line);
  tu_expect_in(line, "uv and threads ran as fast as each other (their 95% intervals overlap): 79× and 77× sync's speed");
  assert_null(strstr(line, "faster"));
  tu_expect_in(line, "fork 29×");    /* apart from them, so listed beside, not tied */
  assert_null(strstr(f->md, "Too thin to rank"));
  cb_results_free(&r);
}

/* Fewer than 3 repetitions: a finding up front says the data is too thin, and no backend is
 * named the winner. */
static void thin_data(void **state) {
  fx *f = *state;
  char line[2048];
  cb_results r;
  report_from(f, fixture_with(0.001, 2), &r);
  tu_expect_in(f->md, "\n- Too thin to rank: some cases have only 2 repetitions");
  finding(f->md, "On sleep at c=100,", line, sizeof line);
  tu_expect_in(line, "2 repetitions are too few to rank the backends: against sync (1.011 s), ");
  tu_expect_in(line, "uv ran 79× as fast");
  tu_expect_in(line, "threads ran 77× as fast");
  assert_null(strstr(line, "faster"));
  cb_results_free(&r);
}

/* A speedup above 1 at c=1 is flagged as noise, and is no backend's best on CPU work. */
static void c1_noise(void **state) {
  fx *f = *state;
  char line[2048];
  cJSON *root = tu_load_json(TU_FIXTURE), *it;
  cb_results r;
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "cases")) {
    if (strcmp(cJSON_GetObjectItem(it, "workload")->valuestring, "cpu") ||
        strcmp(cJSON_GetObjectItem(it, "backend")->valuestring, "uv") ||
        cJSON_GetObjectItem(it, "concurrency")->valuedouble != 1)
      continue;
    cJSON *w = cJSON_GetObjectItem(it, "wall_s");
    cJSON_ReplaceItemInObject(w, "median", cJSON_CreateNumber(0.040770254 / 1.3));   /* sync's / 1.3 */
  }
  report_from(f, root, &r);
  finding(f->md, "Noise, not a win: on cpu at c=1, ", line, sizeof line);
  tu_expect_in(line, "uv measured 1.3× sync's speed; with one task at a time nothing can beat sync");
  tu_expect_in(finding(f->md, "On cpu, ", line, sizeof line), "uv gives no speedup (0.97×)");
  assert_null(strstr(line, "1.3×"));
  cb_results_free(&r);
}

/* ---- bad input ---------------------------------------------------------------------------- */

static void corrupt_results(void **state) {
  fx *f = *state;
  char p[PATH_MAX];
  static const char bad[] = "{\"concbench\": \"0.1.0\", \"cases\": [{\"workload\": \"sle";
  tu_need_bin(f->cli.bin);
  snprintf(p, sizeof p, "%s/results.json", f->cli.dir);
  tu_write_text(p, bad);
  run_bin(f, "report", f->cli.dir, NULL);
  assert_int_equal(f->cli.cmd.status, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "results.json");
  assert_string_equal(f->cli.cmd.so, "");
  /* Nothing written: the directory holds results.json alone. */
  assert_int_equal(tu_dir_entries(f->cli.dir, NULL), 1);
  /* The library call says why, too. */
  char err[256] = "";
  assert_true(cb_report(f->cli.dir, err, sizeof err) < 0);
  tu_expect_in(err, "results.json");
}

static void missing_results(void **state) {
  fx *f = *state;
  char p[PATH_MAX];
  tu_need_bin(f->cli.bin);
  run_bin(f, "report", f->cli.dir, NULL);
  assert_int_equal(f->cli.cmd.status, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  snprintf(p, sizeof p, "%s/nowhere", f->cli.dir);
  run_bin(f, "report", p, NULL);
  assert_int_equal(f->cli.cmd.status, 2);
  tu_expect_one_error_line(&f->cli.cmd);
}

static void usage(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  run_bin(f, "report", NULL, NULL);
  assert_int_equal(f->cli.cmd.status, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  run_bin(f, "report", f->cli.dir, "extra");
  assert_int_equal(f->cli.cmd.status, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  run_bin(f, "report", "--bogus", f->cli.dir);
  assert_int_equal(f->cli.cmd.status, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  run_bin(f, "report", "--help", NULL);
  assert_int_equal(f->cli.cmd.status, 0);
  tu_expect_in(f->cli.cmd.so, "usage: concbench report DIR");
}

/* cb_report, as run calls it, in this process. */
static void library_call(void **state) {
  fx *f = *state;
  char err[256] = "", *md;
  tu_copy_fixture(f->cli.dir);
  assert_int_equal(cb_report(f->cli.dir, err, sizeof err), 0);
  assert_non_null(md = read_in(f, "report.md"));
  tu_expect_in(md, "## All findings");
  free(md);
  assert_non_null(md = read_in(f, "report.html"));
  free(md);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(fixture_files, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(fixture_table, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(fixture_io_findings, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(fixture_cpu_finding, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(fixture_other_findings, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(other_loop_finding, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(mixed_crossover, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(loop_variations_side_by_side, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(unknown_names, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(sized_busy_skipped, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(plots_embedded, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(every_plot_reported, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(overlap_wording, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(thin_data, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(c1_noise, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(html_escaped, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(corrupt_results, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(missing_results, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(usage, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(server_knees, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(library_call, fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
