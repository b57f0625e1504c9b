/* test_suite.c: suite files: the default suite parses in both forms, groups expand as written, and
 * every kind of mistake is one line naming the file, the line and what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "registry.h"
#include "suite.h"
#include "testutil.h"

static cb_suite *parse(const char *text, int quick, char *err, size_t len, int *rc) {
  cb_suite *s = calloc(1, sizeof *s);
  assert_non_null(s);
  *rc = cb_suite_parse(text, "t.ini", quick, s, err, len);
  return s;
}

static void default_suite_parses(void **state) {
  char err[512] = "";
  int rc;
  cb_suite *full = parse(cb_default_suite, 0, err, sizeof err, &rc);
  if (rc) fail_msg("%s", err);
  cb_suite *quick = parse(cb_default_suite, 1, err, sizeof err, &rc);
  if (rc) fail_msg("%s", err);
  /* The full suite covers the workloads whose figures reproduce (file's do not on a shared disk:
   * suites/default.ini says so); quick keeps sleep, http, and cpu and mixed with uv-offload. Both
   * size their cases by time and repeat them adaptively or at least 5 times, enough for compare
   * to decide at alpha 0.01. */
  static const char *const need[] = { "sleep", "http", "crawl", "cpu", "mixed", "queue" };
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
    int found = 0;
    for (int g = 0; g < full->ngroups; g++) found |= strcmp(full->groups[g].wl[0]->name, need[i]) == 0;
    if (!found) fail_msg("the default suite lacks %s", need[i]);
  }
  static const char *const qneed[] = { "cpu", "mixed" };   /* with computing, where uv-offload differs */
  for (size_t i = 0; i < sizeof qneed / sizeof qneed[0]; i++) {
    int found = 0;
    for (int g = 0; g < quick->ngroups; g++) {
      const cb_run_cfg *c = &quick->groups[g];
      if (strcmp(c->wl[0]->name, qneed[i]) != 0) continue;
      for (int b = 0; b < c->nbe; b++) found |= strcmp(c->be[b]->name, "uv-offload") == 0;
    }
    if (!found) fail_msg("the quick suite lacks %s on uv-offload", qneed[i]);
  }
  /* What one loop per core recovers is measured where there is computing. */
  for (size_t i = 0; i < sizeof qneed / sizeof qneed[0]; i++) {
    int found = 0;
    for (int g = 0; g < full->ngroups; g++) {
      const cb_run_cfg *c = &full->groups[g];
      if (strcmp(c->wl[0]->name, qneed[i]) != 0) continue;
      for (int b = 0; b < c->nbe; b++) found |= strcmp(c->be[b]->name, "uv-mt") == 0;
    }
    if (!found) fail_msg("the default suite lacks %s on uv-mt", qneed[i]);
  }
  static const char *const qwait[] = { "sleep", "http" };
  for (size_t i = 0; i < sizeof qwait / sizeof qwait[0]; i++) {
    int found = 0;
    for (int g = 0; g < quick->ngroups; g++) found |= strcmp(quick->groups[g].wl[0]->name, qwait[i]) == 0;
    if (!found) fail_msg("the quick suite lacks %s", qwait[i]);
  }
  assert_true(quick->ngroups < full->ngroups);
  assert_true(full->reps_auto && full->reps >= 5 && full->budget_s > 0);
  assert_true(quick->reps >= 5);
  for (int g = 0; g < full->ngroups; g++)
    if (full->groups[g].wl[0]->ideal && !full->groups[g].wl[0]->tasks && !full->groups[g].wl[0]->load) assert_true(full->groups[g].target_s >= 0.1);
  free(full);
  free(quick);
}

/* reps = auto, tasks = auto and their settings, in [suite] and in a group; bad values name their line. */
static void auto_keys(void **state) {
  const char *text =
    "[suite]\nreps = auto\nmax_reps = 12\nci = 0.03\nbudget = 40\ntarget = 0.2\nquick.reps = 5\n"
    "[group a]\nworkload = sleep\nbackends = sync,uv\ntasks = auto\nconcurrency = 4\nquick = yes\n"
    "[group b]\nworkload = cpu\nbackends = threads\ntasks = auto\ntarget = 0.5\nconcurrency = 2\n"
    "[group c]\nworkload = sleep\nbackends = uv\ntasks = 30\n";
  char err[512] = "";
  int rc;
  cb_suite *s = parse(text, 0, err, sizeof err, &rc);
  if (rc) fail_msg("%s", err);
  assert_int_equal(s->ngroups, 3);
  assert_true(s->groups[0].reps_auto && s->groups[0].reps == 5);
  assert_int_equal(s->groups[0].reps_max, 12);
  assert_true(s->groups[0].ci == 0.03 && s->groups[0].budget_s == 40);
  assert_true(s->groups[0].target_s == 0.2);     /* the suite's */
  assert_true(s->groups[1].target_s == 0.5);     /* its own */
  assert_true(s->groups[2].target_s == 0 && s->groups[2].tasks == 30);
  free(s);
  cb_suite *q = parse(text, 1, err, sizeof err, &rc);
  if (rc) fail_msg("%s", err);
  assert_true(!q->groups[0].reps_auto && q->groups[0].reps == 5);
  free(q);
  free(parse("[suite]\nreps = often\n[group a]\nworkload = sleep\n", 0, err, sizeof err, &rc));
  assert_int_not_equal(rc, 0);
  tu_expect_in(err, ":2:");
  free(parse("[suite]\n[group a]\nworkload = sleep\ntasks = lots\n", 0, err, sizeof err, &rc));
  assert_int_not_equal(rc, 0);
  tu_expect_in(err, "tasks = auto");
}

static void groups_expand_as_written(void **state) {
  const char *text =
    "[suite]\nreps = 5\nwarmup = 0\nquick.reps = 1\n"
    "[group a]\nworkload = sleep\nbackends = sync,uv\ntasks = 40\nconcurrency = 4,8\n"
    "param.delay_ms = 1,2\nquick = yes\nquick.concurrency = 2\n"
    "; a comment\n"
    "[group b]\nworkload = cpu\nbackends = threads\nconcurrency = 2\n";
  char err[512] = "";
  int rc;
  cb_suite *s = parse(text, 0, err, sizeof err, &rc);
  if (rc) fail_msg("%s", err);
  assert_int_equal(s->ngroups, 2);
  assert_int_equal(s->reps, 5);
  assert_int_equal(s->warmup, 0);
  const cb_run_cfg *a = &s->groups[0];
  assert_int_equal(a->nbe, 2);
  assert_int_equal(a->tasks, 40);
  assert_int_equal(a->nconc, 2);
  assert_int_equal(a->conc[1], 8);
  assert_int_equal(a->nps, 1);
  assert_int_equal(a->ps[0].n, 2);
  assert_true(a->ps[0].vals[1] == 2);
  assert_int_equal(a->reps, 5);
  assert_true(a->serial_once);
  free(s);
  s = parse(text, 1, err, sizeof err, &rc);
  if (rc) fail_msg("%s", err);
  assert_int_equal(s->ngroups, 1);              /* b is not quick */
  assert_int_equal(s->reps, 1);
  assert_int_equal(s->groups[0].nconc, 1);
  assert_int_equal(s->groups[0].conc[0], 2);
  free(s);
}

/* Each bad file: the message starts with "t.ini:LINE:" and names the problem. */
static void expect_error(const char *text, int line, const char *words) {
  char err[512] = "", where[32];
  int rc;
  cb_suite *s = parse(text, 0, err, sizeof err, &rc);
  free(s);
  if (rc == 0) fail_msg("accepted: %s", text);
  /* Line 0: about the whole file, "t.ini: ...". */
  if (line) snprintf(where, sizeof where, "t.ini:%d:", line);
  else snprintf(where, sizeof where, "t.ini:");
  if (strncmp(err, where, strlen(where)) != 0) fail_msg("'%s' does not start with %s", err, where);
  if (!strstr(err, words)) fail_msg("'%s' does not say '%s'", err, words);
  if (strchr(err, '\n')) fail_msg("'%s' is more than one line", err);
}

static void mistakes_name_file_and_line(void **state) {
  expect_error("[group a]\nworkload = sleep\ntaks = 3\n", 3, "unknown key 'taks'");
  expect_error("[suite]\nreps = 3\n[groop a]\nworkload = sleep\n", 4, "unknown section [groop a]");
  expect_error("[suite]\nrepz = 3\n", 2, "unknown key 'repz'");
  expect_error("[group a]\nworkload = sleeep\n", 2, "unknown workload 'sleeep'");
  expect_error("[group a]\nworkload = sleep\nbackends = sync,nosuch\n", 3, "unknown backend 'nosuch'");
  expect_error("[group a]\nworkload = sleep\nconcurrency = 0\n", 3, "concurrency 0 is out of range");
  expect_error("[group a]\nworkload = sleep\ntasks = many\n", 3, "not a whole number");
  expect_error("[group a]\nworkload = sleep\nparam.delay_ms = -5\n", 3, "out of range");
  expect_error("[group a]\nworkload = sleep\nparam.nosuch = 1\n", 3, "unknown parameter 'nosuch'");
  expect_error("[group a]\nworkload = sleep\nquick = maybe\n", 3, "say yes or no");
  expect_error("[group a]\nworkload = sleep\n[group a]\nworkload = cpu\n", 4, "appears twice");
  expect_error("[group a]\nworkload = sleep\nworkload = cpu\n", 3, "given twice");
  expect_error("[group a]\nbackends = sync\n", 1, "names no workload");
  expect_error("[suite]\nreps = 0\n", 2, "out of range");
  expect_error("[group a]\nworkload = sleep\nthis line has no equals sign\n", 3, "not an INI line");
  expect_error("; only a comment\n", 0, "no [group NAME]");
}

/* Sized by time: waits from their parameters alone (c x ceil(target / delay), then a nice step);
 * CPU work from the calibration, always in whole rounds, so two calibrations either side of a step
 * differ in rounds, not in a half-empty last one. */
static void sizes_in_whole_rounds(void **state) {
  (void)state;
  const cb_workload *sleep = cb_workload_find("sleep"), *cpu = cb_workload_find("cpu");
  cb_params p = { 0 };
  p.v[0] = 5;   /* delay_ms */
  cb_machine m = { .cores = 2, .unit_s = 1.5e-6 };
  assert_int_equal(cb_plan_size(sleep, &p, 10, 0.12, &m), 250);
  assert_int_equal(cb_plan_size(sleep, &p, 1000, 0.12, &m), 25000);
  p.v[0] = 10000;   /* work: 15 ms a task at this unit */
  for (double u = 1.3e-6; u <= 1.7e-6; u += 0.05e-6) {
    m.unit_s = u;
    for (uint32_t c = 1; c <= 8; c++) {
      uint64_t n = cb_plan_size(cpu, &p, c, 0.12, &m);
      assert_int_equal(n % c, 0);
      assert_true(n >= 2 * c);
      assert_true(cpu->ideal(&p, n, c, &m) >= 0.12);
    }
  }
  m.unit_s = 1.65e-6;
  assert_int_equal(cb_plan_size(cpu, &p, 2, 0.12, &m), 16);   /* 15 tasks would leave a core idle */
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(default_suite_parses),
    cmocka_unit_test(auto_keys),
    cmocka_unit_test(groups_expand_as_written),
    cmocka_unit_test(mistakes_name_file_and_line),
    cmocka_unit_test(sizes_in_whole_rounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
