/* test_export.c: cmocka tests of `concbench export`: Google Benchmark JSON checked against what its consumers read, CSV, markdown, bad input. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "cmd.h"
#include "resread.h"
#include "results.h"
#include "testutil.h"
#include "util.h"

#define RUN_TIMEOUT_MS 60000

/* CB_BIN, a fresh temporary directory, the last run, the fixture read the one way. */
typedef tu_resfx fx;

static int fx_setup(void **state) { return tu_resfx_setup(state, "export", RUN_TIMEOUT_MS); }

/* The lines of text, split in place; how many (a final newline ends the last one). */
static size_t split_lines(char *text, char **lines, size_t max) {
  size_t n = 0;
  for (char *p = text; *p && n < max;) {
    char *nl = strchr(p, '\n');
    lines[n++] = p;
    if (!nl) break;
    *nl = '\0';
    p = nl + 1;
  }
  return n;
}

static const cJSON *get(const cJSON *o, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

static int is_whole(const cJSON *v, double min) {
  return cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble == floor(v->valuedouble) && v->valuedouble >= min;
}

/* ---- Google Benchmark JSON: the schema its consumers read ---------------------------------- */

/* Seconds in one time_unit. */
static double unit_s(const char *u) {
  if (strcmp(u, "ns") == 0) return 1e-9;
  if (strcmp(u, "us") == 0) return 1e-6;
  if (strcmp(u, "ms") == 0) return 1e-3;
  if (strcmp(u, "s") == 0) return 1;
  return NAN;
}

/* github-action-benchmark's GoogleCppBenchmarkJson context, with Bencher's reading of caches. */
static void check_context(const cJSON *ctx) {
  assert_true(cJSON_IsObject(ctx));
  static const char *const strs[] = { "date", "host_name", "executable", "library_build_type" };
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
    if (!cJSON_IsString(get(ctx, strs[i]))) fail_msg("context.%s is not a string", strs[i]);
  assert_true(is_whole(get(ctx, "num_cpus"), 1));
  assert_true(is_whole(get(ctx, "mhz_per_cpu"), 0));
  assert_true(cJSON_IsBool(get(ctx, "cpu_scaling_enabled")));
  const cJSON *caches = get(ctx, "caches"), *it;
  assert_true(cJSON_IsArray(caches));
  cJSON_ArrayForEach(it, caches) assert_true(cJSON_IsObject(it) && it->child == NULL);
  const cJSON *la = get(ctx, "load_avg");
  assert_true(cJSON_IsArray(la));
  cJSON_ArrayForEach(it, la) assert_true(cJSON_IsNumber(it));
  const char *bt = get(ctx, "library_build_type")->valuestring;
  assert_true(strcmp(bt, "release") == 0 || strcmp(bt, "debug") == 0);
  assert_string_equal(get(ctx, "date")->valuestring, "2026-11-22T01:04:36Z");
  assert_int_equal((int)get(ctx, "num_cpus")->valuedouble, 2);
}

/* The fields every entry has (json_reporter.cc's PrintRunData), and nothing a reader cannot
 * take: no null (a NaN), only numbers, strings and booleans. */
static void check_entry(const cJSON *b) {
  const cJSON *it;
  assert_true(cJSON_IsObject(b));
  cJSON_ArrayForEach(it, b)
    if (!cJSON_IsNumber(it) && !cJSON_IsString(it) && !cJSON_IsBool(it))
      fail_msg("%s: field %s is not a number, string or boolean", cJSON_GetStringValue(get(b, "name")), it->string);
  assert_true(cJSON_IsString(get(b, "name")) && get(b, "name")->valuestring[0]);
  assert_true(cJSON_IsString(get(b, "run_name")) && get(b, "run_name")->valuestring[0]);
  const char *rt = cJSON_GetStringValue(get(b, "run_type"));
  assert_non_null(rt);
  assert_true(strcmp(rt, "iteration") == 0 || strcmp(rt, "aggregate") == 0);
  assert_true(is_whole(get(b, "iterations"), 1));
  assert_true(is_whole(get(b, "repetitions"), 1));
  assert_true(is_whole(get(b, "threads"), 1));
  assert_true(is_whole(get(b, "family_index"), 0));
  assert_true(is_whole(get(b, "per_family_instance_index"), 0));
  assert_true(cJSON_IsNumber(get(b, "real_time")) && get(b, "real_time")->valuedouble >= 0);
  assert_true(cJSON_IsNumber(get(b, "cpu_time")) && get(b, "cpu_time")->valuedouble >= 0);
  const char *tu = cJSON_GetStringValue(get(b, "time_unit"));
  assert_non_null(tu);
  assert_false(isnan(unit_s(tu)));
  if (strcmp(rt, "iteration") == 0) {
    assert_true(is_whole(get(b, "repetition_index"), 0));
    assert_true(get(b, "repetition_index")->valuedouble < get(b, "repetitions")->valuedouble);
    assert_string_equal(get(b, "name")->valuestring, get(b, "run_name")->valuestring);
  } else {
    const char *an = cJSON_GetStringValue(get(b, "aggregate_name"));
    assert_non_null(an);
    assert_true(strcmp(an, "mean") == 0 || strcmp(an, "median") == 0 || strcmp(an, "stddev") == 0 || strcmp(an, "cv") == 0);
    assert_string_equal(cJSON_GetStringValue(get(b, "aggregate_unit")), strcmp(an, "cv") == 0 ? "percentage" : "time");
    assert_null(get(b, "repetition_index"));
    char want[600];
    snprintf(want, sizeof want, "%s_%s", get(b, "run_name")->valuestring, an);
    assert_string_equal(get(b, "name")->valuestring, want);
  }
}

static void expected_name(const cb_rcase *c, char *buf, size_t len) {
  snprintf(buf, len, "%s/%s/c:%u%s%s", c->workload, c->backend, c->conc, c->params_str[0] ? "/" : "", c->params_str);
}

static void near(double got, double want, const char *what) {
  if (!(fabs(got - want) <= 1e-9 * fmax(1, fabs(want)))) fail_msg("%s: %.12g, want %.12g", what, got, want);
}

static void check_gb(const fx *f, const char *text, int aggregates_only) {
  cJSON *root = cJSON_Parse(text);
  if (!root) fail_msg("not JSON: %.200s", text);
  check_context(get(root, "context"));
  const cJSON *list = get(root, "benchmarks"), *b, *b2;
  assert_true(cJSON_IsArray(list));
  size_t want_entries = 0;
  cJSON_ArrayForEach(b, list) check_entry(b);

  /* Every iteration's run_name has its aggregates, and (name, repetition_index) is unique. */
  cJSON_ArrayForEach(b, list) {
    int found = 0;
    cJSON_ArrayForEach(b2, list) {
      if (b2 == b) continue;
      int it1 = strcmp(get(b, "run_type")->valuestring, "iteration") == 0;
      int it2 = strcmp(get(b2, "run_type")->valuestring, "iteration") == 0;
      if (strcmp(get(b, "name")->valuestring, get(b2, "name")->valuestring) == 0 && it1 == it2 &&
          (!it1 || get(b, "repetition_index")->valuedouble == get(b2, "repetition_index")->valuedouble))
        fail_msg("two entries are %s (repetition %g)", get(b, "name")->valuestring,
                 it1 ? get(b, "repetition_index")->valuedouble : -1);
      if (strcmp(get(b, "run_name")->valuestring, get(b2, "run_name")->valuestring) == 0) {
        found = 1;
        /* compare.py sorts by (family_index, per_family_instance_index): one run_name each */
        assert_true(get(b, "family_index")->valuedouble == get(b2, "family_index")->valuedouble);
        assert_true(get(b, "per_family_instance_index")->valuedouble == get(b2, "per_family_instance_index")->valuedouble);
      } else if (get(b, "family_index")->valuedouble == get(b2, "family_index")->valuedouble) {
        assert_true(get(b, "per_family_instance_index")->valuedouble != get(b2, "per_family_instance_index")->valuedouble);
      }
    }
    if (!aggregates_only && strcmp(get(b, "run_type")->valuestring, "aggregate") == 0 && !found)
      fail_msg("aggregate %s refers to no run", get(b, "name")->valuestring);
  }

  /* Per case: reps iterations with its wall times, one of each aggregate, the median its median. */
  for (size_t i = 0; i < f->fix.n; i++) {
    const cb_rcase *c = &f->fix.cases[i];
    char name[600];
    expected_name(c, name, sizeof name);
    unsigned iters = 0, aggs[4] = { 0 };
    static const char *const an[4] = { "mean", "median", "stddev", "cv" };
    cJSON_ArrayForEach(b, list) {
      if (strcmp(get(b, "run_name")->valuestring, name) != 0) continue;
      assert_int_equal((int)get(b, "repetitions")->valuedouble, (int)c->reps);
      double u = unit_s(get(b, "time_unit")->valuestring), rt = get(b, "real_time")->valuedouble;
      if (strcmp(get(b, "run_type")->valuestring, "iteration") == 0) {
        int ri = (int)get(b, "repetition_index")->valuedouble;
        assert_true(ri >= 0 && (unsigned)ri < c->reps);
        near(rt * u, c->wall[ri], name);
        iters++;
        continue;
      }
      const char *a = get(b, "aggregate_name")->valuestring;
      for (int k = 0; k < 4; k++) if (strcmp(a, an[k]) == 0) aggs[k]++;
      if (strcmp(a, "median") == 0) near(rt * u, c->wall_median, name);
      if (strcmp(a, "mean") == 0) near(rt * u, c->wall_mean, name);
      if (strcmp(a, "stddev") == 0) near(rt * u, c->wall_stddev, name);
      if (strcmp(a, "cv") == 0) near(rt, c->wall_cv, name);   /* a fraction, as GB writes it */
      /* counters: tasks per wall second over the repetitions */
      if (strcmp(a, "median") == 0) {
        assert_true(cJSON_IsNumber(get(b, "items_per_second")));
        assert_true(get(b, "items_per_second")->valuedouble > 0);
        assert_true(cJSON_IsNumber(get(b, "peak_rss_kib")));
        assert_true(cJSON_IsNumber(get(b, "p99_ms")));
      }
    }
    if (aggregates_only && c->reps >= 2) assert_int_equal(iters, 0);
    else assert_int_equal(iters, c->reps);
    for (int k = 0; k < 4; k++)
      if (aggs[k] != (c->reps >= 2)) fail_msg("%s: %u %s aggregates", name, aggs[k], an[k]);
    want_entries += (aggregates_only && c->reps >= 2 ? 0 : c->reps) + (c->reps >= 2 ? 4 : 0);
  }
  assert_int_equal((size_t)cJSON_GetArraySize(list), want_entries);
  cJSON_Delete(root);
}

static void test_gb_schema(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  TU_RUN(&f->cli, "export", "--format", "googlebenchmark", TU_FIXTURE);
  tu_expect_exit(&f->cli.cmd, 0);
  assert_string_equal(f->cli.cmd.se, "");
  check_gb(f, f->cli.cmd.so, 0);
  /* the fixture's iteration entries: sample the first one's counters */
  cJSON *root = cJSON_Parse(f->cli.cmd.so);
  const cJSON *b0 = cJSON_GetArrayItem(get(root, "benchmarks"), 0);
  assert_string_equal(get(b0, "name")->valuestring, "sleep/sync/c:1/delay_ms=10");
  near(get(b0, "items_per_second")->valuedouble, 100 / f->fix.cases[0].wall[0], "items_per_second");
  assert_int_equal((int)get(b0, "tasks")->valuedouble, 100);
  cJSON_Delete(root);
}

static void test_gb_aggregates_only(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  TU_RUN(&f->cli, "export", "-f", "googlebenchmark", "--aggregates-only", CB_SOURCE_DIR "/tests/fixtures");
  tu_expect_exit(&f->cli.cmd, 0);
  check_gb(f, f->cli.cmd.so, 1);
}

/* github-action-benchmark's customSmallerIsBetter: one entry per measured case, its median in
 * seconds, unique names; no per-repetition duplicate and no cv dressed as a time. */
static void test_benchmark_action(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  TU_RUN(&f->cli, "export", "--format", "benchmark-action", TU_FIXTURE);
  tu_expect_exit(&f->cli.cmd, 0);
  assert_string_equal(f->cli.cmd.se, "");
  cJSON *root = cJSON_Parse(f->cli.cmd.so);
  if (!cJSON_IsArray(root)) fail_msg("not a JSON array: %.200s", f->cli.cmd.so);
  size_t measured = 0;
  for (size_t i = 0; i < f->fix.n; i++) measured += f->fix.cases[i].reps > 0;
  assert_true(measured > 0);
  assert_int_equal((size_t)cJSON_GetArraySize(root), measured);
  size_t k = 0;
  for (size_t i = 0; i < f->fix.n; i++) {
    const cb_rcase *c = &f->fix.cases[i];
    if (!c->reps) continue;
    const cJSON *e = cJSON_GetArrayItem(root, (int)k++);
    char want[600];
    expected_name(c, want, sizeof want);
    assert_string_equal(cJSON_GetStringValue(get(e, "name")), want);
    assert_string_equal(cJSON_GetStringValue(get(e, "unit")), "s");
    assert_true(cJSON_IsNumber(get(e, "value")));
    near(get(e, "value")->valuedouble, c->wall_median, want);
    assert_true(cJSON_IsString(get(e, "extra")));
    for (const cJSON *x = root->child; x != e; x = x->next)
      if (strcmp(cJSON_GetStringValue(get(x, "name")), want) == 0) fail_msg("%s twice", want);
  }
  tu_expect_not_in(f->cli.cmd.so, "_cv\"");
  tu_expect_not_in(f->cli.cmd.so, "repetition_index");
  cJSON_Delete(root);
  /* --aggregates-only belongs to googlebenchmark: refused here rather than ignored. */
  TU_RUN(&f->cli, "export", "--format", "benchmark-action", "--aggregates-only", TU_FIXTURE);
  tu_expect_usage_error(&f->cli.cmd);
}

static void test_gb_output_file(void **state) {
  fx *f = *state;
  char out[PATH_MAX];
  tu_need_bin(f->cli.bin);
  TU_RUN(&f->cli, "export", "--format", "googlebenchmark", TU_FIXTURE);
  tu_expect_exit(&f->cli.cmd, 0);
  char *stdout_text = f->cli.cmd.so;
  f->cli.cmd.so = NULL;
  snprintf(out, sizeof out, "%s/bench.json", f->cli.dir);
  TU_RUN(&f->cli, "export", "--format", "googlebenchmark", "-o", out, TU_FIXTURE);
  tu_expect_exit(&f->cli.cmd, 0);
  assert_string_equal(f->cli.cmd.so, "");
  char *file = cb_read_file(out, NULL);
  assert_non_null(file);
  assert_string_equal(file, stdout_text);
  free(file);
  free(stdout_text);
  /* a file that cannot be written: one line, exit 2 */
  snprintf(out, sizeof out, "%s/no/such/dir/bench.json", f->cli.dir);
  TU_RUN(&f->cli, "export", "--format", "googlebenchmark", "-o", out, TU_FIXTURE);
  tu_expect_usage_error(&f->cli.cmd);
}

/* ---- CSV and markdown ---------------------------------------------------------------------- */

static void test_csv(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  TU_RUN(&f->cli, "export", "--format", "csv", TU_FIXTURE);
  tu_expect_exit(&f->cli.cmd, 0);
  char *lines[256];
  size_t n = split_lines(f->cli.cmd.so, lines, 256);
  assert_int_equal(n, f->fix.n + 1);
  assert_string_equal(lines[0], cb_csv_header);
  size_t ncols = tu_count(cb_csv_header, ",");
  for (size_t i = 0; i < f->fix.n; i++) {
    const cb_rcase *c = &f->fix.cases[i];
    char want[512];
    assert_int_equal(tu_count(lines[i + 1], ","), ncols);
    /* the leading columns, the headline median as results.c prints it, and the checksum */
    snprintf(want, sizeof want, "%s,%s,%llu,%u,%s,%u,%.6f,%.6f,%.6f,", c->workload, c->backend,
             (unsigned long long)c->tasks, c->conc, c->params_str, c->reps, c->wall_median, c->wall_min, c->wall_max);
    if (strncmp(lines[i + 1], want, strlen(want)) != 0) fail_msg("row %zu: %s\nwant it to start %s", i, lines[i + 1], want);
    snprintf(want, sizeof want, ",%.6f,%.4f,%s,", c->ideal_s, c->efficiency, c->checksum);
    if (!strstr(lines[i + 1], want)) fail_msg("row %zu: %s\nwant it to hold %s", i, lines[i + 1], want);
  }
}

static void test_csv_fields(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  TU_RUN(&f->cli, "export", "--format", "csv", TU_FIXTURE);
  tu_expect_exit(&f->cli.cmd, 0);
  char *lines[256], *fields[64];
  size_t n = split_lines(f->cli.cmd.so, lines, 256);
  assert_int_equal(n, f->fix.n + 1);
  char hdr[1024];
  snprintf(hdr, sizeof hdr, "%s", cb_csv_header);
  int nh = cb_split(hdr, ',', fields, 64);
  assert_true(nh > 0);
  char *names[64];
  for (int k = 0; k < nh; k++) names[k] = fields[k];
  for (size_t i = 0; i < f->fix.n; i++) {
    const cb_rcase *c = &f->fix.cases[i];
    char *row = lines[i + 1], *v[64];
    size_t nv = 0;
    for (char *p = row;; p++) {   /* empty fields too, so not cb_split */
      v[nv++] = p;
      p = strchr(p, ',');
      if (!p || nv == 64) break;
      *p = '\0';
    }
    assert_int_equal(nv, (size_t)nh);
    for (int k = 0; k < nh; k++) {
      const char *col = names[k];
      if (strcmp(col, "rate_target") == 0 || strcmp(col, "rate_achieved") == 0) assert_string_equal(v[k], "");
      if (strcmp(col, "flags") == 0) assert_string_equal(v[k], c->flags);
      if (strcmp(col, "checksum") == 0) assert_string_equal(v[k], c->checksum);
      if (strcmp(col, "workers") == 0) {
        const cJSON *r0 = cJSON_GetArrayItem(get(c->json, "repetitions"), 0);
        char w[32];
        snprintf(w, sizeof w, "%.0f", get(r0, "workers")->valuedouble);
        assert_string_equal(v[k], w);
      }
      if (strcmp(col, "p99_ms") == 0) {
        char w[32];
        snprintf(w, sizeof w, "%.3f", c->p99_ms);
        assert_string_equal(v[k], w);
      }
    }
  }
}

/* Two CSV texts alike field by field; a number may differ by one in its last printed digit:
 * results.json holds 15 significant digits (cJSON), so a median that falls just below a
 * rounding tie in the run can land on it when read back. */
static void expect_same_csv(char *got, char *want) {
  char *gl[256], *wl[256];
  size_t ng = split_lines(got, gl, 256), nw = split_lines(want, wl, 256);
  assert_int_equal(ng, nw);
  for (size_t i = 0; i < ng; i++) {
    char *gs = gl[i], *ws = wl[i];
    for (size_t col = 0;; col++) {
      size_t gn = strcspn(gs, ","), wn = strcspn(ws, ",");
      char a[128], b[128];
      snprintf(a, sizeof a, "%.*s", (int)gn, gs);
      snprintf(b, sizeof b, "%.*s", (int)wn, ws);
      if (strcmp(a, b) != 0) {
        double x, y;
        const char *dot = strchr(b, '.');
        double ulp = pow(10, -(dot ? (double)strlen(dot + 1) : 0));
        if (cb_parse_double(a, &x) != 0 || cb_parse_double(b, &y) != 0 || fabs(x - y) > ulp * 1.000001)
          fail_msg("line %zu column %zu: %s, want %s", i + 1, col + 1, a, b);
      }
      if (!gs[gn] || !ws[wn]) {
        assert_true(!gs[gn] && !ws[wn]);
        break;
      }
      gs += gn + 1;
      ws += wn + 1;
    }
  }
}

/* A real run's results.csv and the CSV export of its results.json agree: closed and open loop,
 * a workload with an ideal time and one without (null -> empty fields). */
static void test_csv_equals_run(void **state) {
  fx *f = *state;
  char dir[PATH_MAX / 2], p[PATH_MAX];
  tu_need_bin(f->cli.bin);
  static const char *const runs[][20] = {
    { "run", "-b", "sync,threads", "-w", "sleep,file", "-n", "4", "-c", "1,2", "-p", "delay_ms=1",
      "-p", "bytes=4096", "-r", "2", "--warmup", "0", "-q", "-o", NULL },
    { "run", "-b", "threads", "-w", "sleep", "-c", "4", "-p", "delay_ms=1", "--rate", "400",
      "--duration", "0.02", "-r", "2", "--warmup", "0", "-q", "-o", NULL },
  };
  for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
    const char *args[24];
    size_t n = 0;
    snprintf(dir, sizeof dir, "%s/run%zu", f->cli.dir, k);
    for (; runs[k][n]; n++) args[n] = runs[k][n];
    args[n++] = dir;
    args[n] = NULL;
    tu_cli_run(&f->cli, args);
    if (f->cli.cmd.status != 0 && f->cli.cmd.status != 1) fail_msg("run: exit %d: %s", f->cli.cmd.status, f->cli.cmd.se);
    snprintf(p, sizeof p, "%s/results.csv", dir);
    char *want = cb_read_file(p, NULL);
    assert_non_null(want);
    TU_RUN(&f->cli, "export", "--format", "csv", dir);
    tu_expect_exit(&f->cli.cmd, 0);
    expect_same_csv(f->cli.cmd.so, want);
    free(want);
  }
}

static void test_md(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  TU_RUN(&f->cli, "export", "--format", "md", TU_FIXTURE);
  tu_expect_exit(&f->cli.cmd, 0);
  char *lines[256];
  size_t n = split_lines(f->cli.cmd.so, lines, 256);
  assert_int_equal(n, f->fix.n + 2);
  assert_true(strncmp(lines[0], "| workload | backend | concurrency | params | median wall |", 58) == 0);
  assert_true(strncmp(lines[1], "|---|", 5) == 0);
  size_t bars = tu_count(lines[0], "|");
  assert_int_equal(tu_count(lines[1], "|"), bars);
  for (size_t i = 0; i < f->fix.n; i++) {
    const cb_rcase *c = &f->fix.cases[i];
    char want[512];
    snprintf(want, sizeof want, "| %s | %s | %u | %s | ", c->workload, c->backend, c->conc, c->params_str);
    if (strncmp(lines[i + 2], want, strlen(want)) != 0) fail_msg("row %zu: %s\nwant it to start %s", i, lines[i + 2], want);
    assert_int_equal(tu_count(lines[i + 2], "|"), bars);
  }
  /* the first row's figures: 1.011 s, its interval, CV, efficiency, p99 */
  assert_non_null(strstr(lines[2], "| 1.011 s | 1.011–1.012 s | 0.0% | 0.99 | 10.42 ms | 0 | load |"));
}

/* ---- bad input ----------------------------------------------------------------------------- */

static void test_bad_usage(void **state) {
  fx *f = *state;
  char p[PATH_MAX];
  tu_need_bin(f->cli.bin);
  TU_RUN(&f->cli, "export", "--format", "xml", TU_FIXTURE);
  tu_expect_usage_error(&f->cli.cmd);
  assert_non_null(strstr(f->cli.cmd.se, "xml"));
  TU_RUN(&f->cli, "export", TU_FIXTURE);
  tu_expect_usage_error(&f->cli.cmd);
  TU_RUN(&f->cli, "export", "--format", "csv");
  tu_expect_usage_error(&f->cli.cmd);
  TU_RUN(&f->cli, "export", "--format", "csv", TU_FIXTURE, TU_FIXTURE);
  tu_expect_usage_error(&f->cli.cmd);
  TU_RUN(&f->cli, "export", "--format");
  tu_expect_usage_error(&f->cli.cmd);
  TU_RUN(&f->cli, "export", "--bogus", "--format", "csv", TU_FIXTURE);
  tu_expect_usage_error(&f->cli.cmd);
  snprintf(p, sizeof p, "%s/missing", f->cli.dir);
  TU_RUN(&f->cli, "export", "--format", "md", p);
  tu_expect_usage_error(&f->cli.cmd);
  TU_RUN(&f->cli, "export", "--help");
  tu_expect_exit(&f->cli.cmd, 0);
  assert_non_null(strstr(f->cli.cmd.so, "googlebenchmark"));
}

static void test_corrupt_input(void **state) {
  fx *f = *state;
  char p[PATH_MAX];
  size_t len;
  tu_need_bin(f->cli.bin);
  char *text = cb_read_file(TU_FIXTURE, &len);
  assert_non_null(text);
  snprintf(p, sizeof p, "%s/results.json", f->cli.dir);
  assert_int_equal(cb_write_atomic(p, text, len / 2), 0);   /* truncated */
  free(text);
  static const char *const fmts[] = { "googlebenchmark", "csv", "md" };
  for (size_t i = 0; i < 3; i++) {
    TU_RUN(&f->cli, "export", "--format", fmts[i], f->cli.dir);
    tu_expect_usage_error(&f->cli.cmd);
  }
  assert_int_equal(cb_write_atomic(p, "{\"cases\": []}\n", 14), 0);   /* JSON, not ours */
  TU_RUN(&f->cli, "export", "--format", "csv", f->cli.dir);
  tu_expect_usage_error(&f->cli.cmd);
}

/* The columns table in export.c against results.c's header, in process (no binary needed). */
static void test_csv_header_in_process(void **state) {
  fx *f = *state;
  char err[256];
  char *csv = cb_results_csv(&f->fix, err, sizeof err);
  if (!csv) fail_msg("%s", err);
  size_t hl = strlen(cb_csv_header);
  assert_true(strncmp(csv, cb_csv_header, hl) == 0 && csv[hl] == '\n');
  assert_int_equal(tu_lines(csv), f->fix.n + 1);
  free(csv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_gb_schema, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_gb_aggregates_only, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_gb_output_file, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_benchmark_action, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_csv, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_csv_fields, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_csv_equals_run, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_csv_header_in_process, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_md, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_bad_usage, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_corrupt_input, fx_setup, tu_resfx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
