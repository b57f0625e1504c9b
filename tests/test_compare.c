/* test_compare.c: cmocka tests of `concbench compare`: verdicts on runs built from the fixture, bad input, formats, baselines, and the ratio interval itself. */
#include <errno.h>
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

#include "stats.h"
#include "testutil.h"
#include "util.h"

#define NCASES 36    /* in the fixture */

/* The ratio interval compare and the report share. */
#include "compare.h"
#include "sbuf.h"
#include "resread.h"

typedef struct fx {
  tu_cli cli;            /* CB_BIN compare (CB_BASELINES unset), a fresh temporary directory, the last run */
  char base[128], cur[128];   /* BASE and NEW files in it */
  cJSON *json;           /* stdout parsed, after run_json */
} fx;

/* ---- plumbing ------------------------------------------------------------------------------ */

static int fx_setup(void **state) {
  static const char *const no_baselines[] = { "CB_BASELINES", NULL };
  fx *f = tu_cli_new(sizeof *f, "compare");
  if (!f) return -1;
  f->cli.opts.sub = "compare";
  f->cli.opts.env = no_baselines;
  snprintf(f->base, sizeof f->base, "%s/base.json", f->cli.dir);
  snprintf(f->cur, sizeof f->cur, "%s/new.json", f->cli.dir);
  *state = f;
  return 0;
}

static int fx_teardown(void **state) {
  fx *f = *state;
  int rc = tu_cli_fini(&f->cli);
  cJSON_Delete(f->json);
  free(f);
  return rc;
}

/* Run CB_BIN compare with args (NULL-terminated), CB_BASELINES set to baselines (unset when
 * NULL, as in every other run), in directory cwd or here; killed after TU_RUN_TIMEOUT_MS. */
static void run_env(fx *f, const char *baselines, const char *cwd, const char *const *args) {
  char bl[PATH_MAX + 16];
  const char *const env[] = { bl, NULL };
  const tu_opts plain = f->cli.opts;
  if (baselines) {
    snprintf(bl, sizeof bl, "CB_BASELINES=%s", baselines);
    f->cli.opts.env = env;
  }
  f->cli.opts.cwd = cwd;
  tu_cli_run(&f->cli, args);
  f->cli.opts = plain;
}

/* ---- results files built from the fixture --------------------------------------------------- */

static cJSON *cases_of(cJSON *root) {
  cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "cases");
  assert_true(cJSON_IsArray(c));
  return c;
}

static cJSON *find_case(cJSON *root, const char *wl, const char *be, double conc) {
  cJSON *c;
  cJSON_ArrayForEach(c, cases_of(root)) {
    if (strcmp(cJSON_GetObjectItemCaseSensitive(c, "workload")->valuestring, wl) == 0 &&
        strcmp(cJSON_GetObjectItemCaseSensitive(c, "backend")->valuestring, be) == 0 &&
        cJSON_GetObjectItemCaseSensitive(c, "concurrency")->valuedouble == conc)
      return c;
  }
  fail_msg("no case %s/%s c=%g in the fixture", wl, be, conc);
  return NULL;
}

static void set_num(cJSON *o, const char *key, double v) {
  cJSON *item = cJSON_CreateNumber(v);
  assert_non_null(item);
  if (cJSON_GetObjectItemCaseSensitive(o, key)) assert_true(cJSON_ReplaceItemInObjectCaseSensitive(o, key, item));
  else assert_true(cJSON_AddItemToObject(o, key, item));
}

/* Give case c the repetitions w[0..n), with its wall_s summary to match. */
static void set_reps(cJSON *c, const double *w, size_t n) {
  cJSON *old = cJSON_GetObjectItemCaseSensitive(c, "repetitions");
  cJSON *tmpl = cJSON_Duplicate(cJSON_GetArrayItem(old, 0), 1), *arr = cJSON_CreateArray();
  assert_non_null(tmpl);
  assert_non_null(arr);
  for (size_t i = 0; i < n; i++) {
    cJSON *r = cJSON_Duplicate(tmpl, 1);
    assert_non_null(r);
    set_num(r, "wall_s", w[i]);
    cJSON_AddItemToArray(arr, r);
  }
  cJSON_Delete(tmpl);
  assert_true(cJSON_ReplaceItemInObjectCaseSensitive(c, "repetitions", arr));
  set_num(c, "reps", (double)n);
  cb_stats s;
  cb_stats_of(w, n, &s);
  cJSON *ws = cJSON_GetObjectItemCaseSensitive(c, "wall_s");
  set_num(ws, "median", s.median);
  set_num(ws, "mean", s.mean);
  set_num(ws, "stddev", s.stddev);
  set_num(ws, "min", s.min);
  set_num(ws, "max", s.max);
}

/* Every case: 10 repetitions spread 2% around its fixture median, the same on both sides. */
static cJSON *ten_reps(void) {
  cJSON *root = tu_load_json(TU_FIXTURE), *c;
  cJSON_ArrayForEach(c, cases_of(root)) {
    double m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "wall_s"), "median")->valuedouble, w[10];
    for (int i = 0; i < 10; i++) w[i] = m * (0.99 + 0.002 * i);
    set_reps(c, w, 10);
  }
  return root;
}

/* The case the tests move: sleep/threads c=10 (about 0.1 s). */
#define MOVED "sleep/threads c=10 n=100 delay_ms=10"

/* BASE and NEW with 10 repetitions each, NEW's sleep/threads c=10 being base[i] * scale[i]. */
static void write_pair(const fx *f, const double *base, const double *cur, size_t n) {
  cJSON *b = ten_reps(), *nw = ten_reps();
  set_reps(find_case(b, "sleep", "threads", 10), base, n);
  set_reps(find_case(nw, "sleep", "threads", 10), cur, n);
  tu_save_json(f->base, b);
  tu_save_json(f->cur, nw);
  cJSON_Delete(b);
  cJSON_Delete(nw);
}

/* Clearly separated: base 0.1000..0.1018 s, new the same times `factor`. */
static void write_shift(const fx *f, double factor) {
  double b[10], n[10];
  for (int i = 0; i < 10; i++) {
    b[i] = 0.1 * (1 + 0.002 * i);
    n[i] = b[i] * factor;
  }
  write_pair(f, b, n, 10);
}

static void run_json(fx *f, const char *const *args) {
  const char *a[32];
  size_t k = 0;
  for (; *args && k < 28; args++) a[k++] = *args;
  a[k++] = "--format";
  a[k++] = "json";
  a[k] = NULL;
  tu_cli_run(&f->cli, a);
  cJSON_Delete(f->json);
  f->json = cJSON_Parse(f->cli.cmd.so);
  if (!f->json) fail_msg("stdout is not JSON:\n%s\nstderr:\n%s", f->cli.cmd.so, f->cli.cmd.se);
}

static cJSON *arr(const fx *f, const char *name) {
  cJSON *a = cJSON_GetObjectItemCaseSensitive(f->json, name);
  if (!cJSON_IsArray(a)) fail_msg("no array \"%s\" in:\n%s", name, f->cli.cmd.so);
  return a;
}

static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(v)) fail_msg("no number \"%s\"", key);
  return v->valuedouble;
}

static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsString(v)) fail_msg("no string \"%s\"", key);
  return v->valuestring;
}

/* The moved case's entry in the JSON, in whichever array it is. */
static const cJSON *moved(const fx *f, const char **which) {
  static const char *const names[] = { "regressed", "improved", "unchanged" };
  for (int k = 0; k < 3; k++) {
    const cJSON *c;
    cJSON_ArrayForEach(c, arr(f, names[k])) {
      if (strcmp(str(c, "workload"), "sleep") == 0 && strcmp(str(c, "backend"), "threads") == 0 &&
          num(c, "concurrency") == 10) {
        if (which) *which = names[k];
        return c;
      }
    }
  }
  fail_msg("the moved case is in no array:\n%s", f->cli.cmd.so);
  return NULL;
}

/* The line of the table about case `label`. */
static const char *table_line(const fx *f, const char *label, char *buf, size_t len) {
  char want[256];
  snprintf(want, sizeof want, "\n%s ", label);
  const char *p = strstr(f->cli.cmd.so, want);
  if (!p) fail_msg("no table line for %s in:\n%s", label, f->cli.cmd.so);
  p++;
  snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
  return buf;
}

/* ---- verdicts ------------------------------------------------------------------------------- */

static void equal_runs(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  /* The fixture as it is: three repetitions a side, so the note says the test cannot decide. */
  cJSON *root = tu_load_json(TU_FIXTURE);
  tu_save_json(f->base, root);
  tu_save_json(f->cur, root);
  cJSON_Delete(root);
  TU_RUN(&f->cli, f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 0);
  assert_string_equal(f->cli.cmd.se, "");
  tu_expect_in(f->cli.cmd.so, "0 regressed, 0 improved, 36 unchanged; 0 only in base, 0 only in new");
  tu_expect_in(f->cli.cmd.so, "too few repetitions to decide at alpha 0.01: need at least 5 per side (36 of 36 cases)");
  tu_expect_not_in(f->cli.cmd.so, " regressed\n");
  char line[512];
  table_line(f, MOVED, line, sizeof line);
  tu_expect_in(line, "1.000 [");
  tu_expect_in(line, "unchanged");

  /* Ten a side: no note, still all unchanged, every ratio 1 and p 1. */
  root = ten_reps();
  tu_save_json(f->base, root);
  tu_save_json(f->cur, root);
  cJSON_Delete(root);
  run_json(f, (const char *const[]){ f->base, f->cur, NULL });
  tu_expect_exit(&f->cli.cmd, 0);
  assert_int_equal(cJSON_GetArraySize(arr(f, "unchanged")), NCASES);
  assert_int_equal(cJSON_GetArraySize(arr(f, "regressed")), 0);
  assert_int_equal(cJSON_GetArraySize(arr(f, "improved")), 0);
  assert_int_equal(cJSON_GetArraySize(arr(f, "notes")), 0);
  const cJSON *c;
  cJSON_ArrayForEach(c, arr(f, "unchanged")) {
    assert_true(num(c, "ratio") == 1);
    assert_true(num(c, "p") == 1);
    assert_string_equal(str(c, "reason"), "within threshold");
  }
}

static void slower_30(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  write_shift(f, 1.3);
  TU_RUN(&f->cli, f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 1);
  char line[512];
  tu_expect_in(table_line(f, MOVED, line, sizeof line), "regressed");
  tu_expect_in(f->cli.cmd.so, "1 regressed, 0 improved, 35 unchanged");
  /* stderr: the one regressed case, one line, with its figures. */
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "regressed: " MOVED ": median 100.900 ms -> 131.170 ms, ratio 1.300");

  run_json(f, (const char *const[]){ f->base, f->cur, NULL });
  tu_expect_exit(&f->cli.cmd, 1);
  const char *which;
  const cJSON *c = moved(f, &which);
  assert_string_equal(which, "regressed");
  double r = num(c, "ratio"), lo = num(c, "ratio_ci_lo"), hi = num(c, "ratio_ci_hi");
  assert_true(fabs(r - 1.3) < 1e-9);
  if (!(lo <= r && r <= hi && lo > 1.25 && hi < 1.35)) fail_msg("ratio %g, CI [%g, %g]", r, lo, hi);
  /* All ten new above all ten base: the exact two-sided p is 2 / C(20, 10). */
  assert_true(fabs(num(c, "p") - 2.0 / 184756) < 1e-12);
  assert_int_equal(cJSON_GetArraySize(arr(f, "regressed")), 1);
}

static void faster_30(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  write_shift(f, 0.7);
  TU_RUN(&f->cli, f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 0);
  char line[512];
  tu_expect_in(table_line(f, MOVED, line, sizeof line), "improved");
  tu_expect_in(f->cli.cmd.so, "0 regressed, 1 improved, 35 unchanged");
  assert_string_equal(f->cli.cmd.se, "");
  run_json(f, (const char *const[]){ f->base, f->cur, NULL });
  const char *which;
  const cJSON *c = moved(f, &which);
  assert_string_equal(which, "improved");
  assert_true(fabs(num(c, "ratio") - 0.7) < 1e-9);
  /* Swapped, the same case regressed: the threshold is symmetric in log scale. */
  TU_RUN(&f->cli, f->cur, f->base);
  tu_expect_exit(&f->cli.cmd, 1);
}

static void noisy_30(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  /* Medians 0.100 and 0.130 s, but the repetitions overlap almost entirely. */
  const double b[10] = { 0.050, 0.060, 0.070, 0.080, 0.100, 0.100, 0.160, 0.180, 0.200, 0.220 };
  const double n[10] = { 0.055, 0.065, 0.075, 0.090, 0.130, 0.130, 0.170, 0.190, 0.210, 0.230 };
  write_pair(f, b, n, 10);
  TU_RUN(&f->cli, f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 0);
  char line[512];
  tu_expect_in(table_line(f, MOVED, line, sizeof line), "noise");
  assert_string_equal(f->cli.cmd.se, "");
  run_json(f, (const char *const[]){ f->base, f->cur, NULL });
  const char *which;
  const cJSON *c = moved(f, &which);
  assert_string_equal(which, "unchanged");
  assert_string_equal(str(c, "reason"), "noise");
  assert_true(fabs(num(c, "ratio") - 1.3) < 1e-9);
  assert_true(num(c, "p") > 0.3);
}

static void slower_5_significant(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  write_shift(f, 1.05);
  run_json(f, (const char *const[]){ f->base, f->cur, NULL });
  tu_expect_exit(&f->cli.cmd, 0);
  const char *which;
  const cJSON *c = moved(f, &which);
  assert_string_equal(which, "unchanged");
  assert_string_equal(str(c, "reason"), "within threshold");
  assert_true(num(c, "p") < 1e-4);
  /* A 3% threshold catches it. */
  TU_RUN(&f->cli, f->base, f->cur, "--threshold", "3%");
  tu_expect_exit(&f->cli.cmd, 1);
}

static void threshold_forms(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  write_shift(f, 1.3);
  static const char *const under[] = { "35%", "0.35", "35", "1000" };
  for (size_t i = 0; i < sizeof under / sizeof *under; i++) {
    run_json(f, (const char *const[]){ "--threshold", under[i], f->base, f->cur, NULL });
    tu_expect_exit(&f->cli.cmd, 0);
  }
  assert_true(fabs(num(cJSON_GetObjectItemCaseSensitive(f->json, "settings"), "threshold") - 10) < 1e-12);
  static const char *const over[] = { "20%", "0.2", "20", "0" };
  for (size_t i = 0; i < sizeof over / sizeof *over; i++) {
    TU_RUN(&f->cli, "--threshold", over[i], f->base, f->cur);
    tu_expect_exit(&f->cli.cmd, 1);
  }
}

static void few_repetitions(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  /* 5 against 5, fully separated: p = 2/252 < 0.01, so 5 a side can decide at 0.01 ... */
  cJSON *b = ten_reps(), *n = ten_reps();
  double wb[5], wn[5];
  for (int i = 0; i < 5; i++) {
    wb[i] = 0.1 + 0.001 * i;
    wn[i] = wb[i] * 1.5;
  }
  set_reps(find_case(b, "sleep", "threads", 10), wb, 5);
  set_reps(find_case(n, "sleep", "threads", 10), wn, 5);
  tu_save_json(f->base, b);
  tu_save_json(f->cur, n);
  TU_RUN(&f->cli, f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 1);
  tu_expect_not_in(f->cli.cmd.so, "too few");
  /* ... but not at 0.005, and the note says how many it takes. */
  TU_RUN(&f->cli, "--alpha", "0.005", f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 0);
  char line[512];
  tu_expect_in(table_line(f, MOVED, line, sizeof line), "too few reps");
  tu_expect_in(f->cli.cmd.so, "note: too few repetitions to decide at alpha 0.005: need at least 6 per side (1 of 36 cases)");
  /* 3 against 3 never reaches 0.01: a 50% slowdown is not flagged, and the note says why. */
  set_reps(find_case(b, "sleep", "threads", 10), wb, 3);
  set_reps(find_case(n, "sleep", "threads", 10), wn, 3);
  tu_save_json(f->base, b);
  tu_save_json(f->cur, n);
  cJSON_Delete(b);
  cJSON_Delete(n);
  run_json(f, (const char *const[]){ f->base, f->cur, NULL });
  tu_expect_exit(&f->cli.cmd, 0);
  const char *which;
  const cJSON *c = moved(f, &which);
  assert_string_equal(which, "unchanged");
  assert_string_equal(str(c, "reason"), "too few repetitions");
  assert_string_equal(str(c, "note"), "too few repetitions to decide at alpha 0.01: need at least 5 per side");
  assert_true(fabs(num(c, "p") - 0.1) < 1e-12);
  assert_int_equal(cJSON_GetArraySize(arr(f, "notes")), 1);
}

/* ---- bad input ------------------------------------------------------------------------------ */

static void truncated_and_corrupt(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  size_t len;
  char *text = cb_read_file(TU_FIXTURE, &len);
  assert_non_null(text);
  assert_int_equal(cb_write_atomic(f->base, text, len), 0);
  assert_int_equal(cb_write_atomic(f->cur, text, len / 2), 0);   /* as if cut off mid-write */
  free(text);
  TU_RUN(&f->cli, f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "new.json: not valid JSON (truncated or corrupt)");
  assert_string_equal(f->cli.cmd.so, "");

  /* Valid JSON, but a case has lost its repetitions. */
  cJSON *root = tu_load_json(TU_FIXTURE);
  cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetArrayItem(cases_of(root), 3), "repetitions");
  tu_save_json(f->cur, root);
  cJSON_Delete(root);
  TU_RUN(&f->cli, f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "case 3 has no repetitions");

  /* Not a results file at all, on the BASE side. */
  assert_int_equal(cb_write_atomic(f->cur, "\x7f" "ELF\x01\x02garbage", 12), 0);
  TU_RUN(&f->cli, f->cur, f->base);
  tu_expect_exit(&f->cli.cmd, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "not valid JSON");

  char missing[256];
  snprintf(missing, sizeof missing, "%s/nothing-here", f->cli.dir);
  TU_RUN(&f->cli, f->base, missing);
  tu_expect_exit(&f->cli.cmd, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "No such file or directory");
}

static void incompatible(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  write_shift(f, 1.3);
  /* NEW: the 30%-slower run, on 4 cores. */
  cJSON *n = tu_load_json(f->cur);
  set_num(cJSON_GetObjectItemCaseSensitive(n, "environment"), "cores", 4);
  tu_save_json(f->cur, n);
  TU_RUN(&f->cli, f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "incompatible runs: BASE ran on 2 cores, NEW on 4");
  tu_expect_in(f->cli.cmd.se, "--force");
  TU_RUN(&f->cli, "--force", f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 1);   /* the verdict's */
  assert_int_equal(tu_lines(f->cli.cmd.se), 2);
  tu_expect_in(f->cli.cmd.se, "concbench: compare: warning: BASE ran on 2 cores, NEW on 4");
  tu_expect_in(f->cli.cmd.se, "regressed: " MOVED);

  /* Same cores, a Debug build. */
  set_num(cJSON_GetObjectItemCaseSensitive(n, "environment"), "cores", 2);
  cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(n, "environment"), "build_type",
                                         cJSON_CreateString("Debug"));
  tu_save_json(f->cur, n);
  cJSON_Delete(n);
  TU_RUN(&f->cli, f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "BASE is a Release build, NEW a Debug build");
  TU_RUN(&f->cli, f->base, f->cur, "--force");
  tu_expect_exit(&f->cli.cmd, 1);
  tu_expect_in(f->cli.cmd.se, "warning: BASE is a Release build, NEW a Debug build");

  /* Equal figures with --force: exit 0, the warning only. */
  cJSON *b = tu_load_json(TU_FIXTURE);
  tu_save_json(f->base, b);
  cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(b, "environment"), "build_type",
                                         cJSON_CreateString("Debug"));
  tu_save_json(f->cur, b);
  cJSON_Delete(b);
  TU_RUN(&f->cli, "--force", f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 0);
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "warning:");
}

/* Cases sized by time may run other task counts in each run: they pair up, judged per task. Twice
 * the tasks in twice the time is unchanged; the same tasks in twice the time regressed. */
static void sized_by_time_per_task(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  cJSON *b = tu_load_json(TU_FIXTURE), *n = tu_load_json(TU_FIXTURE), *c;
  cJSON_ArrayForEach(c, cases_of(b)) cJSON_AddStringToObject(c, "sized", "time");
  cJSON_ArrayForEach(c, cases_of(n)) cJSON_AddStringToObject(c, "sized", "time");
  cJSON *x = find_case(n, "sleep", "sync", 1);
  set_num(x, "tasks", 200);
  cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(x, "repetitions")) set_num(r, "wall_s", 2 * cJSON_GetObjectItemCaseSensitive(r, "wall_s")->valuedouble);
  tu_save_json(f->base, b);
  tu_save_json(f->cur, n);
  TU_RUN(&f->cli, f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 0);
  tu_expect_in(f->cli.cmd.so, "sleep/sync c=1 n=100 delay_ms=10 (new n=200; times per task)");
  tu_expect_not_in(f->cli.cmd.so, "only in base:");
  tu_expect_in(f->cli.cmd.so, "(new n=200; times per task)                               10.113 ms   10.113 ms  1.000 [");
  /* Now the same tasks took twice as long: per task, twice as slow (the fixture's 3 repetitions
   * are too few for a verdict; the ratio says it). */
  set_num(x, "tasks", 100);
  tu_save_json(f->cur, n);
  TU_RUN(&f->cli, f->base, f->cur);
  tu_expect_in(f->cli.cmd.so, "sleep/sync c=1 n=100 delay_ms=10                                                             1.011 s     2.023 s  2.000 [");
  cJSON_Delete(b);
  cJSON_Delete(n);
}

static void one_side_only(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  cJSON *b = tu_load_json(TU_FIXTURE), *n = tu_load_json(TU_FIXTURE);
  cJSON *cb = cases_of(b), *cn = cases_of(n), *c;
  int i = 0, drop_b = -1, drop_n = -1;
  cJSON_ArrayForEach(c, cb) {
    if (c == find_case(b, "cpu", "uv", 4)) drop_b = i;
    i++;
  }
  i = 0;
  cJSON_ArrayForEach(c, cn) {
    if (c == find_case(n, "http", "fork", 1)) drop_n = i;
    i++;
  }
  cJSON_DeleteItemFromArray(cb, drop_b);
  cJSON_DeleteItemFromArray(cn, drop_n);
  /* A case with other tasks is another case. */
  set_num(find_case(n, "sleep", "sync", 1), "tasks", 200);
  tu_save_json(f->base, b);
  tu_save_json(f->cur, n);
  TU_RUN(&f->cli, f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 0);
  tu_expect_in(f->cli.cmd.so, "only in base: http/fork c=1 n=100 delay_ms=10;bytes=1024;keepalive=1;timeout_ms=5000;fault_rate=0\n");
  tu_expect_in(f->cli.cmd.so, "only in base: sleep/sync c=1 n=100 delay_ms=10\n");
  tu_expect_in(f->cli.cmd.so, "only in new:  cpu/uv c=4 n=8 work=2000\n");
  tu_expect_in(f->cli.cmd.so, "only in new:  sleep/sync c=1 n=200 delay_ms=10\n");
  tu_expect_in(f->cli.cmd.so, "0 regressed, 0 improved, 33 unchanged; 2 only in base, 2 only in new");
  run_json(f, (const char *const[]){ f->base, f->cur, NULL });
  tu_expect_exit(&f->cli.cmd, 0);
  assert_int_equal(cJSON_GetArraySize(arr(f, "only_base")), 2);
  assert_int_equal(cJSON_GetArraySize(arr(f, "only_new")), 2);
  assert_string_equal(str(cJSON_GetArrayItem(arr(f, "only_new"), 0), "workload"), "sleep");
  assert_true(num(cJSON_GetArrayItem(arr(f, "only_new"), 0), "tasks") == 200);

  /* Nothing in common: exit 2. */
  cJSON *only_sleep = tu_load_json(TU_FIXTURE), *only_cpu = tu_load_json(TU_FIXTURE);
  for (int k = NCASES - 1; k >= 0; k--) {
    const char *wl = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cases_of(only_sleep), k), "workload")->valuestring;
    if (strcmp(wl, "sleep") != 0) cJSON_DeleteItemFromArray(cases_of(only_sleep), k);
    else cJSON_DeleteItemFromArray(cases_of(only_cpu), k);
  }
  tu_save_json(f->base, only_sleep);
  tu_save_json(f->cur, only_cpu);
  cJSON_Delete(only_sleep);
  cJSON_Delete(only_cpu);
  cJSON_Delete(b);
  cJSON_Delete(n);
  TU_RUN(&f->cli, f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "no case in common");
}

/* ---- formats, baselines, options ------------------------------------------------------------ */

static void format_json(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  write_shift(f, 1.3);
  run_json(f, (const char *const[]){ "--seed", "7", f->base, f->cur, NULL });
  tu_expect_exit(&f->cli.cmd, 1);
  static const char *const names[] = { "regressed", "improved", "unchanged", "only_base", "only_new" };
  size_t total = 0;
  for (size_t k = 0; k < 5; k++) total += (size_t)cJSON_GetArraySize(arr(f, names[k]));
  assert_int_equal(total, NCASES);
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(f->json, "settings");
  assert_true(num(s, "threshold") == 0.1);
  assert_true(num(s, "alpha") == 0.01);
  assert_true(num(s, "seed") == 7);
  assert_true(num(s, "resamples") == 10000);
  const cJSON *c = cJSON_GetArrayItem(arr(f, "regressed"), 0);
  static const char *const figures[] = { "base_median_s", "new_median_s", "base_reps", "new_reps", "ratio",
                                         "ratio_ci_lo", "ratio_ci_hi", "u", "p", "concurrency", "tasks" };
  for (size_t k = 0; k < sizeof figures / sizeof *figures; k++) num(c, figures[k]);
  assert_string_equal(str(c, "params_str"), "delay_ms=10");
  assert_string_equal(str(c, "verdict"), "regressed");
  assert_true(num(c, "u") == 100);   /* every new repetition above every base one */
  assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(f->json, "base")));

  /* Deterministic for a seed; another seed moves the interval a little. */
  char *first = strdup(f->cli.cmd.so);
  assert_non_null(first);
  run_json(f, (const char *const[]){ "--seed", "7", f->base, f->cur, NULL });
  assert_string_equal(f->cli.cmd.so, first);
  run_json(f, (const char *const[]){ "--seed", "8", f->base, f->cur, NULL });
  assert_string_not_equal(f->cli.cmd.so, first);
  free(first);
}

static void format_md(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  write_shift(f, 1.3);
  TU_RUN(&f->cli, "--format", "md", f->base, f->cur);
  tu_expect_exit(&f->cli.cmd, 1);
  tu_expect_in(f->cli.cmd.so, "\n| case | base median | new median | ratio [95% CI] | p | verdict |\n|:-----|-----:|-----:|-----:|-----:|:-----|\n");
  assert_int_equal(tu_count(f->cli.cmd.so, "\n| "), NCASES + 1);   /* the rows and the header */
  tu_expect_in(f->cli.cmd.so, "| " MOVED " | 100.900 ms | 131.170 ms | 1.300 [");
  tu_expect_in(f->cli.cmd.so, "| **regressed** |\n");
  /* Every row has the header's seven pipes. */
  for (const char *p = strstr(f->cli.cmd.so, "\n| "); p; p = strstr(p + 1, "\n| ")) {
    size_t n = 0, len = strcspn(p + 1, "\n");
    for (size_t k = 0; k < len; k++) n += p[1 + k] == '|';
    assert_int_equal(n, 7);
  }
}

static void baseline_name(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  write_shift(f, 1.3);
  char bl[256], dir[300], file[400], cur_dir[256];
  snprintf(bl, sizeof bl, "%s/bl", f->cli.dir);
  snprintf(dir, sizeof dir, "%s/main", bl);
  assert_int_equal(cb_mkdirs(dir), 0);
  snprintf(file, sizeof file, "%s/results.json", dir);
  assert_int_equal(rename(f->base, file), 0);
  /* NEW as a run directory. */
  snprintf(cur_dir, sizeof cur_dir, "%s/run", f->cli.dir);
  assert_int_equal(cb_mkdirs(cur_dir), 0);
  snprintf(file, sizeof file, "%s/results.json", cur_dir);
  assert_int_equal(rename(f->cur, file), 0);
  run_env(f, bl, NULL, TU_ARGS("--baseline", "main", cur_dir));
  tu_expect_exit(&f->cli.cmd, 1);
  tu_expect_in(f->cli.cmd.so, "bl/main/results.json");
  tu_expect_in(f->cli.cmd.se, "regressed: " MOVED);

  /* Without CB_BASELINES: results/baselines under the current directory. */
  char rb[256], rdir[256];
  snprintf(rb, sizeof rb, "%s/results", f->cli.dir);
  snprintf(rdir, sizeof rdir, "%s/results/baselines", f->cli.dir);
  assert_int_equal(cb_mkdirs(rb), 0);
  assert_int_equal(rename(bl, rdir), 0);
  run_env(f, NULL, f->cli.dir, TU_ARGS(cur_dir, "--baseline", "main", "--format", "md"));
  tu_expect_exit(&f->cli.cmd, 1);
  tu_expect_in(f->cli.cmd.so, "| **regressed** |");

  /* A baseline that is not there. */
  run_env(f, NULL, f->cli.dir, TU_ARGS("--baseline", "nightly", cur_dir));
  tu_expect_exit(&f->cli.cmd, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "baseline 'nightly'");
  tu_expect_in(f->cli.cmd.se, "--save-baseline nightly");
}

static void bad_options(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  write_shift(f, 1.0);
  static const char *const bad[][5] = {
    { "--threshold", "abc" }, { "--threshold", "-5" }, { "--threshold", "%" }, { "--threshold", "10%%" },
    { "--threshold", "nan" }, { "--threshold", "" }, { "--alpha", "0" }, { "--alpha", "1" },
    { "--alpha", "1.5" }, { "--alpha", "x" }, { "--alpha", "-0.01" }, { "--seed", "x" },
    { "--seed", "-1" }, { "--format", "xml" }, { "--bogus" }, { "-x" }, { "--baseline", "../up" },
    { "--baseline", "" }, { "--baseline", "main", "extra" },
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    const char *a[8];
    size_t m = 0;
    for (size_t j = 0; j < 5 && bad[k][j]; j++) a[m++] = bad[k][j];
    a[m++] = f->base;
    a[m++] = f->cur;
    a[m] = NULL;
    tu_cli_run(&f->cli, a);
    if (f->cli.cmd.status != 2) fail_msg("%s %s: exit %d, want 2", bad[k][0], bad[k][1] ? bad[k][1] : "", f->cli.cmd.status);
    tu_expect_one_error_line(&f->cli.cmd);
    assert_string_equal(f->cli.cmd.so, "");
  }
  TU_RUN(&f->cli, "--threshold");
  tu_expect_exit(&f->cli.cmd, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "'--threshold' needs a value");
  tu_cli_run(&f->cli, (const char *const[]){ NULL });
  tu_expect_exit(&f->cli.cmd, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "missing BASE and NEW");
  TU_RUN(&f->cli, f->base);
  tu_expect_exit(&f->cli.cmd, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  TU_RUN(&f->cli, f->base, f->cur, f->cur);
  tu_expect_exit(&f->cli.cmd, 2);
  tu_expect_one_error_line(&f->cli.cmd);
  tu_expect_in(f->cli.cmd.se, "unexpected argument");
  TU_RUN(&f->cli, "--help");
  tu_expect_exit(&f->cli.cmd, 0);
  tu_expect_in(f->cli.cmd.so, "usage: concbench compare");
  /* Options may follow the operands, as in CI scripts. */
  TU_RUN(&f->cli, f->base, f->cur, "--alpha", "0.05", "--threshold", "5%");
  tu_expect_exit(&f->cli.cmd, 0);
  tu_expect_in(f->cli.cmd.so, "(threshold 5%, alpha 0.05,");
}

/* ---- the ratio interval, directly ----------------------------------------------------------- */

static void ratio_ci_unit(void **state) {
  (void)state;
  double r, lo, hi, r2, lo2, hi2;
  const double b[10] = { 1.00, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.00, 1.01, 0.99 };
  double n[10];
  for (int i = 0; i < 10; i++) n[i] = b[i] * 1.3;
  assert_int_equal(cb_ratio_ci(b, 10, n, 10, 0.95, 10000, 1, &r, &lo, &hi), 0);
  assert_true(fabs(r - 1.3) < 1e-12);
  if (!(lo < r && r < hi && lo > 1.24 && hi < 1.36)) fail_msg("ratio %g, CI [%g, %g]", r, lo, hi);
  /* Deterministic for a seed, not the same for another. */
  assert_int_equal(cb_ratio_ci(b, 10, n, 10, 0.95, 10000, 1, &r2, &lo2, &hi2), 0);
  assert_true(r2 == r && lo2 == lo && hi2 == hi);
  /* (With so few distinct values, seeds often land on the same percentiles: irregular ones.) */
  const double x[9] = { 1.300, 1.3143, 1.3546, 1.3299, 1.3312, 1.3585, 1.3208, 1.3091, 1.3234 };
  double xl, xh;
  assert_int_equal(cb_ratio_ci(b, 10, x, 9, 0.95, 10000, 1, &r, &xl, &xh), 0);
  int moved = 0;
  for (uint64_t seed = 2; seed < 6; seed++) {
    assert_int_equal(cb_ratio_ci(b, 10, x, 9, 0.95, 10000, seed, &r2, &lo2, &hi2), 0);
    assert_true(r2 == r);
    moved += lo2 != xl || hi2 != xh;
  }
  assert_true(moved > 0);
  assert_int_equal(cb_ratio_ci(b, 10, n, 10, 0.95, 10000, 1, &r, &lo, &hi), 0);
  /* A wider level gives a wider interval. */
  assert_int_equal(cb_ratio_ci(b, 10, n, 10, 0.99, 10000, 1, &r2, &lo2, &hi2), 0);
  assert_true(lo2 <= lo && hi2 >= hi);
  /* Swapping the sides inverts the ratio and, near enough, its interval. */
  assert_int_equal(cb_ratio_ci(n, 10, b, 10, 0.95, 10000, 1, &r2, &lo2, &hi2), 0);
  assert_true(fabs(r2 - 1 / 1.3) < 1e-12);
  assert_true(fabs(lo2 - 1 / hi) < 0.02 && fabs(hi2 - 1 / lo) < 0.02);
  /* Constant samples: no spread, so a point. */
  const double c1[4] = { 2, 2, 2, 2 }, c2[3] = { 3, 3, 3 };
  assert_int_equal(cb_ratio_ci(c1, 4, c2, 3, 0.95, 10000, 1, &r, &lo, &hi), 0);
  assert_true(r == 1.5 && lo == 1.5 && hi == 1.5);
  /* One repetition a side, and no resamples: the point ratio. */
  assert_int_equal(cb_ratio_ci(c1, 1, c2, 1, 0.95, 10000, 1, &r, &lo, &hi), 0);
  assert_true(r == 1.5 && lo == 1.5 && hi == 1.5);
  assert_int_equal(cb_ratio_ci(b, 10, n, 10, 0.95, 0, 1, &r, &lo, &hi), 0);
  assert_true(lo == r && hi == r);
  /* Even counts take the mean of the middle two; zero times do not divide by zero. */
  const double e1[2] = { 1, 3 }, e2[2] = { 4, 8 }, z[2] = { 0, 0 };
  assert_int_equal(cb_ratio_ci(e1, 2, e2, 2, 0.95, 1000, 1, &r, &lo, &hi), 0);
  assert_true(r == 3);
  assert_int_equal(cb_ratio_ci(z, 2, z, 2, 0.95, 1000, 1, &r, &lo, &hi), 0);
  assert_true(r == 1 && lo == 1 && hi == 1);
  /* Bad arguments. */
  assert_int_equal(cb_ratio_ci(b, 0, n, 10, 0.95, 100, 1, &r, &lo, &hi), -EINVAL);
  assert_int_equal(cb_ratio_ci(b, 10, n, 0, 0.95, 100, 1, &r, &lo, &hi), -EINVAL);
  assert_int_equal(cb_ratio_ci(b, 10, n, 10, 1.0, 100, 1, &r, &lo, &hi), -EINVAL);
  assert_int_equal(cb_ratio_ci(NULL, 10, n, 10, 0.95, 100, 1, &r, &lo, &hi), -EINVAL);
}

/* ---- matching at scale ---------------------------------------------------------------------- */

#define NMATCH 20000

static void set_case(cb_rcase *c, int wl, int be, const char *ps, uint32_t conc, uint64_t tasks, int timed) {
  snprintf(c->workload, sizeof c->workload, "w%d", wl);
  snprintf(c->backend, sizeof c->backend, "b%d", be);
  snprintf(c->params_str, sizeof c->params_str, "%s", ps);
  c->conc = conc;
  c->tasks = tasks;
  c->sized_by_time = timed;
}

/* 20,000 cases against the same shuffled, some sized anew by time (other tasks), some with new
 * parameters, plus cases on one side only and an ambiguous pair: every case finds its own
 * partner (by sorting: the quadratic scans took minutes here), nothing else pairs. */
static void match_20000(void **state) {
  (void)state;
  size_t nb = NMATCH + 104, nn = NMATCH + 104;
  cb_results *b = calloc(1, sizeof *b), *n = calloc(1, sizeof *n);
  long *want = malloc(nb * sizeof *want), *got = malloc(nb * sizeof *got);
  size_t *perm = malloc(NMATCH * sizeof *perm);
  unsigned char *used = malloc(nn);
  assert_true(b && n && want && got && perm && used);
  b->cases = calloc(nb, sizeof *b->cases);
  n->cases = calloc(nn, sizeof *n->cases);
  assert_true(b->cases && n->cases);
  b->n = nb;
  n->n = nn;
  cb_rng g;
  cb_rng_seed(&g, 20000);
  for (size_t i = 0; i < NMATCH; i++) perm[i] = i;
  for (size_t i = NMATCH - 1; i > 0; i--) {
    size_t j = (size_t)cb_rng_below(&g, i + 1), t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  char ps[64];
  for (size_t i = 0; i < NMATCH; i++) {
    int timed = i % 10 == 3, retuned = i % 10 == 7;
    snprintf(ps, sizeof ps, "k=%zu", i);
    set_case(&b->cases[i], (int)(i % 3), (int)(i % 4), ps, 1 + (uint32_t)(i % 7), 1000 + i, timed);
    /* New case perm[i] is base case i's partner. */
    if (retuned) snprintf(ps, sizeof ps, "k=%zu,x=1", i);
    set_case(&n->cases[perm[i]], (int)(i % 3), (int)(i % 4), ps, 1 + (uint32_t)(i % 7), timed ? 900000 + i : 1000 + i, timed);
    want[i] = (long)perm[i];
  }
  /* 100 on each side only, and two of one loose key on each side (ambiguous: left unpaired). */
  for (size_t i = 0; i < 100; i++) {
    set_case(&b->cases[NMATCH + i], 0, 0, "only", 1, 5000000 + i, 0);
    set_case(&n->cases[NMATCH + i], 0, 0, "only", 1, 6000000 + i, 0);
    want[NMATCH + i] = -1;
  }
  for (size_t i = 0; i < 4; i++) {
    snprintf(ps, sizeof ps, "a=%zu", i);
    set_case(&b->cases[NMATCH + 100 + i], 1, 1, ps, 2, i < 2 ? 7000000 : 7000001, 0);
    snprintf(ps, sizeof ps, "z=%zu", i);
    set_case(&n->cases[NMATCH + 100 + i], 1, 1, ps, 2, i < 2 ? 7000000 : 7000001, 0);
    want[NMATCH + 100 + i] = -1;
  }
  assert_int_equal(cb__compare_match(b, n, got, used), 0);
  size_t paired = 0;
  for (size_t i = 0; i < nb; i++) {
    if (got[i] != want[i]) fail_msg("base case %zu paired with %ld, not %ld", i, got[i], want[i]);
    paired += got[i] >= 0;
  }
  assert_int_equal(paired, NMATCH);
  for (size_t j = 0; j < nn; j++) assert_int_equal(used[j], j < NMATCH);
  free(b->cases);
  free(n->cases);
  free(b);
  free(n);
  free(want);
  free(got);
  free(perm);
  free(used);
}

/* A case of 30,000 repetitions a side: the interval is bounded work (thinned to 1,000 values),
 * reproducible, and still around the ratio. */
static void ratio_ci_many_reps(void **state) {
  (void)state;
  size_t k = 30000;
  double *b = malloc(k * sizeof *b), *n = malloc(k * sizeof *n), r, lo, hi, r2, lo2, hi2;
  assert_true(b && n);
  for (size_t i = 0; i < k; i++) {
    b[i] = 1.0 + (double)((i * 7919) % 1000) / 10000.0;
    n[i] = 1.2 * (1.0 + (double)((i * 104729) % 1000) / 10000.0);
  }
  assert_int_equal(cb_ratio_ci(b, k, n, k, 0.95, 10000, 1, &r, &lo, &hi), 0);
  assert_int_equal(cb_ratio_ci(b, k, n, k, 0.95, 10000, 1, &r2, &lo2, &hi2), 0);
  assert_true(r == r2 && lo == lo2 && hi == hi2);
  if (!(lo <= r && r <= hi && lo > 1.18 && hi < 1.22)) fail_msg("ratio %g, CI [%g, %g]", r, lo, hi);
  free(b);
  free(n);
}

/* A results text of n cases named by fmt (%zu the case), each with reps repetitions. */
static char *crafted_text(size_t n, const char *befmt, unsigned reps) {
  cb_sbuf b = { 0 };
  cb_sb_puts(&b, "{\"concbench\":\"0\",\"environment\":{},\"status\":\"complete\",\"cases\":[");
  for (size_t i = 0; i < n; i++) {
    char be[64];
    snprintf(be, sizeof be, befmt, i);
    cb_sb_printf(&b, "%s{\"workload\":\"sleep\",\"backend\":\"%s\",\"tasks\":%zu,\"concurrency\":1,"
                 "\"params_str\":\"\",\"wall_s\":{\"median\":1},\"checksum\":\"0\",\"repetitions\":[",
                 i ? "," : "", be, 1 + i);
    for (unsigned k = 0; k < reps; k++) cb_sb_printf(&b, "%s{\"wall_s\":1}", k ? "," : "");
    cb_sb_puts(&b, "]}");
  }
  cb_sb_puts(&b, "]}");
  assert_false(b.oom);
  return b.p;
}

/* Crafted sizes are refused with a line saying which bound; within them, cases are found by key. */
static void reader_bounds(void **state) {
  (void)state;
  cb_results r;
  char err[512];
  char *t = crafted_text(2000, "be%zu", 1);
  assert_int_equal(cb_results_parse(t, strlen(t), "x.json", &r, err, sizeof err), -EINVAL);
  tu_expect_in(err, "more than the 1024 of each concbench reads");
  free(t);
  t = crafted_text(1, "sync", 100001);
  assert_true(cb_results_parse(t, strlen(t), "x.json", &r, err, sizeof err) < 0);
  tu_expect_in(err, "case 0 has more repetitions than the 100000 concbench reads");
  free(t);
  /* 1,000 backends: read, and each case found by its key (the first of a key when twice). */
  t = crafted_text(1000, "be%zu", 3);
  assert_int_equal(cb_results_parse(t, strlen(t), "x.json", &r, err, sizeof err), 0);
  assert_int_equal(r.nbackends, 1000);
  for (size_t i = 0; i < r.n; i++) {
    char be[64];
    snprintf(be, sizeof be, "be%zu", i);
    assert_ptr_equal(cb_results_find(&r, "sleep", be, "", 1), &r.cases[i]);
    assert_ptr_equal(cb_results_backend(&r, be), r.cases[i].be);
    assert_string_equal(r.cases[i].be->name, be);
  }
  assert_null(cb_results_find(&r, "sleep", "be0", "", 2));
  assert_null(cb_results_find(&r, "sleep", "be1000", "", 1));
  assert_null(cb_results_backend(&r, "be1000"));
  cb_results_free(&r);
  free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(ratio_ci_unit),
    cmocka_unit_test_setup_teardown(equal_runs, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(slower_30, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(faster_30, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(noisy_30, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(slower_5_significant, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(threshold_forms, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(few_repetitions, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(truncated_and_corrupt, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(incompatible, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(sized_by_time_per_task, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(one_side_only, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(format_json, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(format_md, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(baseline_name, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(bad_options, fx_setup, fx_teardown),
    cmocka_unit_test(match_20000),
    cmocka_unit_test(ratio_ci_many_reps),
    cmocka_unit_test(reader_bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
