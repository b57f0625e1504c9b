/* test_merge.c: cmocka tests of `concbench merge`: the fixture split into shards and joined again, environments that differ, overlapping shards, bad input. */
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

#include "resread.h"
#include "results.h"
#include "testutil.h"
#include "util.h"

/* CB_BIN, a fresh temporary directory, the last run, the fixture read the one way. */
typedef tu_resfx fx;

static int fx_setup(void **state) { return tu_resfx_setup(state, "merge", TU_RUN_TIMEOUT_MS); }

static void expect_absent(const char *path) {
  if (tu_exists(path)) fail_msg("%s exists after a refused merge", path);
}

static char *path_in(const fx *f, const char *name, char *buf, size_t len) {
  snprintf(buf, len, "%s/%s", f->cli.dir, name);
  return buf;
}

static const cJSON *get(const cJSON *o, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A fixture-like results file in dir/name/results.json: its cases i with i % n == k (run
 * --shard k+1/n), after edit(root) changes what the test needs. */
typedef void (*edit_fn)(cJSON *root);

static void write_shard(const fx *f, const char *name, size_t k, size_t n, edit_fn edit) {
  char dir[PATH_MAX], p[PATH_MAX + 32];
  cJSON *root = tu_load_json(TU_FIXTURE);
  cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
  for (int i = cJSON_GetArraySize(cases) - 1; i >= 0; i--)
    if ((size_t)i % n != k) cJSON_DeleteItemFromArray(cases, i);
  if (edit) edit(root);
  path_in(f, name, dir, sizeof dir);
  assert_int_equal(cb_mkdirs(dir), 0);
  snprintf(p, sizeof p, "%s/results.json", dir);
  tu_save_json(p, root);
  cJSON_Delete(root);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines after the header, sorted, for comparing row sets. */
static size_t sorted_rows(char *text, char **rows, size_t max) {
  size_t n = 0;
  char *p = strchr(text, '\n');
  assert_non_null(p);
  for (p++; *p && n < max;) {
    char *nl = strchr(p, '\n');
    assert_non_null(nl);
    *nl = '\0';
    rows[n++] = p;
    p = nl + 1;
  }
  qsort(rows, n, sizeof *rows, cmp_str);
  return n;
}

/* ---- merging shards ------------------------------------------------------------------------ */

/* Every case of the fixture, once, equal to the original; in input order. */
static void check_merged(fx *f, const char *out, size_t nshards) {
  char err[512], p[PATH_MAX + 32];
  cb_results m;
  if (cb_results_read(out, &m, err, sizeof err) != 0) fail_msg("%s", err);
  assert_int_equal(m.n, f->fix.n);
  size_t at = 0;
  for (size_t k = 0; k < nshards; k++)
    for (size_t i = k; i < f->fix.n; i += nshards, at++) {
      const cb_rcase *a = &f->fix.cases[i], *b = &m.cases[at];
      assert_string_equal(a->workload, b->workload);
      assert_string_equal(a->backend, b->backend);
      assert_string_equal(a->params_str, b->params_str);
      assert_int_equal(a->conc, b->conc);
      assert_true(a->wall_median == b->wall_median);
      assert_string_equal(a->checksum, b->checksum);
      assert_int_equal(a->reps, b->reps);
      assert_true(cJSON_Compare(a->json, b->json, 1));   /* the whole case, repetitions and histograms too */
    }
  assert_true(cJSON_Compare(f->fix.env, m.env, 1));
  assert_string_equal(m.status, "complete");
  const cJSON *from = get(m.root, "merged_from"), *it;
  assert_true(cJSON_IsArray(from));
  assert_int_equal(cJSON_GetArraySize(from), (int)nshards);
  size_t k = 0;
  cJSON_ArrayForEach(it, from) {
    char name[16];
    snprintf(name, sizeof name, "s%zu", k);
    path_in(f, name, p, sizeof p);
    assert_string_equal(cJSON_GetStringValue(get(it, "path")), p);
    assert_string_equal(cJSON_GetStringValue(get(it, "git_revision")), "0d19d9c803f9-dirty");
    assert_string_equal(cJSON_GetStringValue(get(it, "date")), "2026-11-22T01:04:36Z");
    assert_int_equal((int)get(it, "cases")->valuedouble, (int)((f->fix.n + nshards - 1 - k) / nshards));
    k++;
  }
  cb_results_free(&m);

  /* results.csv: run's header, a row per case, the same rows as the fixture's CSV */
  snprintf(p, sizeof p, "%s/results.csv", out);
  char *csv = cb_read_file(p, NULL);
  assert_non_null(csv);
  size_t hl = strlen(cb_csv_header);
  assert_true(strncmp(csv, cb_csv_header, hl) == 0 && csv[hl] == '\n');
  assert_int_equal(tu_lines(csv), f->fix.n + 1);
  TU_RUN(&f->cli, "export", "--format", "csv", TU_FIXTURE);
  tu_expect_exit(&f->cli.cmd, 0);
  char *want[256], *got[256];
  size_t nw = sorted_rows(f->cli.cmd.so, want, 256), ng = sorted_rows(csv, got, 256);
  assert_int_equal(nw, ng);
  for (size_t i = 0; i < nw; i++) assert_string_equal(got[i], want[i]);
  free(csv);
}

static void test_merge_two_shards(void **state) {
  fx *f = *state;
  char a[PATH_MAX], b[PATH_MAX], out[PATH_MAX];
  tu_need_bin(f->cli.bin);
  write_shard(f, "s0", 0, 2, NULL);
  write_shard(f, "s1", 1, 2, NULL);
  path_in(f, "out/nested", out, sizeof out);
  TU_RUN(&f->cli, "merge", "-o", out, path_in(f, "s0", a, sizeof a), path_in(f, "s1", b, sizeof b));
  tu_expect_exit(&f->cli.cmd, 0);
  assert_string_equal(f->cli.cmd.se, "");
  check_merged(f, out, 2);
}

static void test_merge_three_shards(void **state) {
  fx *f = *state;
  char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], out[PATH_MAX];
  tu_need_bin(f->cli.bin);
  for (size_t k = 0; k < 3; k++) {
    char name[8];
    snprintf(name, sizeof name, "s%zu", k);
    write_shard(f, name, k, 3, NULL);
  }
  path_in(f, "out", out, sizeof out);
  TU_RUN(&f->cli, "merge", "--output", out, path_in(f, "s0", a, sizeof a), path_in(f, "s1", b, sizeof b),
      path_in(f, "s2", c, sizeof c));
  tu_expect_exit(&f->cli.cmd, 0);
  check_merged(f, out, 3);
}

/* ---- environments that differ -------------------------------------------------------------- */

static cJSON *env_of(cJSON *root) { return cJSON_GetObjectItemCaseSensitive(root, "environment"); }

static void edit_cores(cJSON *root) { cJSON_ReplaceItemInObject(env_of(root), "cores", cJSON_CreateNumber(4)); }
static void edit_build(cJSON *root) { cJSON_ReplaceItemInObject(env_of(root), "build_type", cJSON_CreateString("Debug")); }
static void edit_clean(cJSON *root) {
  cJSON_ReplaceItemInObject(env_of(root), "git_revision", cJSON_CreateString("0d19d9c803f9"));
  cJSON_ReplaceItemInObject(env_of(root), "git_dirty", cJSON_CreateFalse());
}
static void edit_rev(cJSON *root) {
  cJSON_ReplaceItemInObject(env_of(root), "git_revision", cJSON_CreateString("1234567890ab-dirty"));
}

static void test_env_mismatch(void **state) {
  fx *f = *state;
  static const struct { edit_fn edit; const char *key; } cases[] = {
    { edit_cores, "cores" }, { edit_build, "build_type" }, { edit_clean, "git_revision" }, { edit_rev, "git_revision" },
  };
  char a[PATH_MAX], b[PATH_MAX], out[PATH_MAX], err[512];
  tu_need_bin(f->cli.bin);
  write_shard(f, "s0", 0, 2, NULL);
  path_in(f, "s0", a, sizeof a);
  path_in(f, "s1", b, sizeof b);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    write_shard(f, "s1", 1, 2, cases[i].edit);
    path_in(f, "out", out, sizeof out);
    TU_RUN(&f->cli, "merge", "-o", out, a, b);
    tu_expect_usage_error(&f->cli.cmd);
    if (!strstr(f->cli.cmd.se, cases[i].key) || !strstr(f->cli.cmd.se, b)) fail_msg("want %s and %s named in: %s", cases[i].key, b, f->cli.cmd.se);
    expect_absent(out);
    TU_RUN(&f->cli, "merge", "--force", "-o", out, a, b);
    tu_expect_exit(&f->cli.cmd, 0);
    cb_results m;
    if (cb_results_read(out, &m, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(m.n, f->fix.n);
    /* the first input's environment, and the odd one out marked in merged_from */
    assert_true(cJSON_Compare(m.env, f->fix.env, 1));
    const cJSON *d = get(cJSON_GetArrayItem(get(m.root, "merged_from"), 1), "environment_differs");
    assert_non_null(get(d, cases[i].key));
    assert_null(get(cJSON_GetArrayItem(get(m.root, "merged_from"), 0), "environment_differs"));
    cb_results_free(&m);
    assert_int_equal(cb_rmtree(out), 0);
  }
}

/* ---- overlapping shards and bad input ------------------------------------------------------ */

/* Shard 1 with case 0 of shard 0 put back: a mix-up that no --force may hide. */
static void edit_add_case0(cJSON *root) {
  cJSON *full = tu_load_json(TU_FIXTURE);
  cJSON *c0 = cJSON_DetachItemFromArray(cJSON_GetObjectItemCaseSensitive(full, "cases"), 0);
  cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(root, "cases"), c0);
  cJSON_Delete(full);
}

static void test_duplicate_case(void **state) {
  fx *f = *state;
  char a[PATH_MAX], b[PATH_MAX], out[PATH_MAX];
  tu_need_bin(f->cli.bin);
  write_shard(f, "s0", 0, 2, NULL);
  write_shard(f, "s1", 1, 2, edit_add_case0);
  path_in(f, "out", out, sizeof out);
  path_in(f, "s0", a, sizeof a);
  path_in(f, "s1", b, sizeof b);
  TU_RUN(&f->cli, "merge", "-o", out, a, b);
  tu_expect_usage_error(&f->cli.cmd);
  assert_non_null(strstr(f->cli.cmd.se, "sleep on sync"));
  assert_non_null(strstr(f->cli.cmd.se, a));
  assert_non_null(strstr(f->cli.cmd.se, b));
  expect_absent(out);
  TU_RUN(&f->cli, "merge", "--force", "-o", out, a, b);
  tu_expect_usage_error(&f->cli.cmd);
  expect_absent(out);
  /* the same directory twice is the same mix-up */
  TU_RUN(&f->cli, "merge", "-o", out, a, a);
  tu_expect_usage_error(&f->cli.cmd);
  expect_absent(out);
}

static void test_corrupt_input(void **state) {
  fx *f = *state;
  char a[PATH_MAX], b[PATH_MAX], out[PATH_MAX], p[PATH_MAX + 32];
  tu_need_bin(f->cli.bin);
  write_shard(f, "s0", 0, 2, NULL);
  write_shard(f, "s1", 1, 2, NULL);
  path_in(f, "s0", a, sizeof a);
  path_in(f, "s1", b, sizeof b);
  path_in(f, "out", out, sizeof out);
  snprintf(p, sizeof p, "%s/results.json", b);
  size_t len;
  char *text = cb_read_file(p, &len);
  assert_non_null(text);
  assert_int_equal(cb_write_atomic(p, text, len - 100), 0);   /* truncated */
  free(text);
  TU_RUN(&f->cli, "merge", "-o", out, a, b);
  tu_expect_usage_error(&f->cli.cmd);
  assert_non_null(strstr(f->cli.cmd.se, b));
  expect_absent(out);
  path_in(f, "missing", p, sizeof p);
  TU_RUN(&f->cli, "merge", "-o", out, a, p);
  tu_expect_usage_error(&f->cli.cmd);
  expect_absent(out);
}

static void test_bad_usage(void **state) {
  fx *f = *state;
  char a[PATH_MAX], b[PATH_MAX], out[PATH_MAX];
  tu_need_bin(f->cli.bin);
  write_shard(f, "s0", 0, 2, NULL);
  write_shard(f, "s1", 1, 2, NULL);
  path_in(f, "s0", a, sizeof a);
  path_in(f, "s1", b, sizeof b);
  path_in(f, "out", out, sizeof out);
  TU_RUN(&f->cli, "merge", "-o", out, a);
  tu_expect_usage_error(&f->cli.cmd);
  TU_RUN(&f->cli, "merge", a, b);
  tu_expect_usage_error(&f->cli.cmd);
  TU_RUN(&f->cli, "merge", "-o");
  tu_expect_usage_error(&f->cli.cmd);
  TU_RUN(&f->cli, "merge", "--bogus", "-o", out, a, b);
  tu_expect_usage_error(&f->cli.cmd);
  expect_absent(out);
  TU_RUN(&f->cli, "merge", "--help");
  tu_expect_exit(&f->cli.cmd, 0);
  assert_non_null(strstr(f->cli.cmd.so, "--shard"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_merge_two_shards, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_merge_three_shards, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_env_mismatch, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_duplicate_case, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_corrupt_input, fx_setup, tu_resfx_teardown),
    cmocka_unit_test_setup_teardown(test_bad_usage, fx_setup, tu_resfx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
