/* test_gate.c: gates parse or say why, decide on measured rows, and shards split a run's cases
 * so that every case runs exactly once. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "gate_eval.h"
#include "registry.h"
#include "resread.h"
#include "testutil.h"
#include "util.h"

#define RUN_TIMEOUT_MS 120000

static void parses_and_refuses(void **state) {
  cb_gate g;
  char err[512];
  assert_int_equal(cb_gate_parse("speedup(uv,sync,sleep)>=10", &g, err, sizeof err), 0);
  assert_int_equal(g.fn, CB_GATE_SPEEDUP);
  assert_string_equal(g.a->name, "uv");
  assert_string_equal(g.b->name, "sync");
  assert_string_equal(g.w->name, "sleep");
  assert_int_equal(g.op, CB_GATE_GE);
  assert_true(g.value == 10);
  assert_int_equal(cb_gate_parse(" efficiency( uv , sleep , c=100 ) > 0.8 ", &g, err, sizeof err), 0);
  assert_int_equal(g.fn, CB_GATE_EFFICIENCY);
  assert_int_equal(g.conc, 100);
  assert_int_equal(g.op, CB_GATE_GT);
  assert_int_equal(cb_gate_parse("p99(threads,http)<=50", &g, err, sizeof err), 0);
  assert_int_equal(cb_gate_parse("errors(fork,crawl)==0", &g, err, sizeof err), 0);
  static const struct { const char *text, *says; } bad[] = {
    { "speedup(uv,sync)>=10", "takes" },
    { "speedup(uv,sync,sleep)", "not FUNCTION(ARGS) OP NUMBER" },
    { "speedup(uv,sync,sleep)>=ten", "not FUNCTION(ARGS) OP NUMBER" },
    { "speedup(uv,sync,sleep)=>10", "not FUNCTION(ARGS) OP NUMBER" },
    { "fastness(uv,sleep)>=1", "unknown function 'fastness'" },
    { "speedup(uvv,sync,sleep)>=10", "unknown backend 'uvv'" },
    { "efficiency(uv,sleeep)>=1", "unknown workload 'sleeep'" },
    { "efficiency(uv,sleep,c=0)>=1", "not FUNCTION(ARGS) OP NUMBER" },
    { "speedup uv sync sleep >= 10", "not FUNCTION(ARGS) OP NUMBER" },
    { "", "not FUNCTION(ARGS) OP NUMBER" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    if (cb_gate_parse(bad[i].text, &g, err, sizeof err) == 0) fail_msg("accepted '%s'", bad[i].text);
    if (!strstr(err, bad[i].says)) fail_msg("'%s': '%s' does not say '%s'", bad[i].text, err, bad[i].says);
  }
}

/* A plan of two sleep rows with made-up samples: sync 1.0 s, uv 0.02 s (50x). */
static void decides_on_rows(void **state) {
  cb_plan plan = { .seed = 1 };
  cb_case cs[2];
  cb_sample s[2][3];
  memset(cs, 0, sizeof cs);
  memset(s, 0, sizeof s);
  const cb_workload *w = cb_workload_find("sleep");
  const char *bes[2] = { "sync", "uv" };
  double walls[2] = { 1.0, 0.02 };
  for (int i = 0; i < 2; i++) {
    cs[i].wl = w;
    cs[i].be = cb_backend_find(bes[i]);
    cs[i].tasks = 100;
    cs[i].conc = i ? 100 : 10;          /* sync ran at another concurrency: it still counts */
    cs[i].eff_conc = i ? 100 : 1;
    cs[i].ideal_s = i ? 0.01 : 1.0;
    snprintf(cs[i].params_str, sizeof cs[i].params_str, "delay_ms=10");
    cs[i].reps = s[i];
    cs[i].nreps = 3;
    for (int r = 0; r < 3; r++) s[i][r].wall_s = walls[i] * (1 + 0.01 * r);
  }
  plan.cases = cs;
  plan.n = 2;
  cb_row rows[2];
  cb_rows_compute(&plan, rows);
  cb_gate g;
  char err[256], what[256];
  double fig;
  assert_int_equal(cb_gate_parse("speedup(uv,sync,sleep)>=10", &g, err, sizeof err), 0);
  assert_int_equal(cb_gate_check(&g, &plan, err, sizeof err), 0);
  assert_int_equal(cb_gate_eval(&g, &plan, rows, &fig, what, sizeof what), 1);
  assert_true(fig > 49 && fig < 51);
  assert_int_equal(cb_gate_parse("speedup(uv,sync,sleep)>=60", &g, err, sizeof err), 0);
  assert_int_equal(cb_gate_eval(&g, &plan, rows, &fig, what, sizeof what), 0);
  assert_int_equal(cb_gate_parse("efficiency(uv,sleep)>=0.45", &g, err, sizeof err), 0);
  assert_int_equal(cb_gate_eval(&g, &plan, rows, &fig, what, sizeof what), 1);   /* 0.01 / 0.0202 */
  assert_int_equal(cb_gate_parse("efficiency(uv,sleep)>=0.6", &g, err, sizeof err), 0);
  assert_int_equal(cb_gate_eval(&g, &plan, rows, &fig, what, sizeof what), 0);
  assert_int_equal(cb_gate_parse("errors(uv,sleep)==0", &g, err, sizeof err), 0);
  assert_int_equal(cb_gate_eval(&g, &plan, rows, &fig, what, sizeof what), 1);
  /* Asking for what the run did not measure is refused before it runs. */
  assert_int_equal(cb_gate_parse("speedup(threads,sync,sleep)>=10", &g, err, sizeof err), 0);
  assert_int_equal(cb_gate_check(&g, &plan, err, sizeof err), -1);
  assert_non_null(strstr(err, "does not measure"));
  assert_int_equal(cb_gate_parse("efficiency(uv,sleep,c=7)>=0.1", &g, err, sizeof err), 0);
  assert_int_equal(cb_gate_check(&g, &plan, err, sizeof err), -1);
}

/* Three shards of a 12-case run: every case in exactly one shard, none lost. */
static void shards_cover_every_case_once(void **state) {
  tu_cli c;
  char out[4][512], sh[16];
  tu_need_bin(tu_bin());
  assert_int_equal(tu_cli_init(&c, "gate"), 0);
  c.timeout_ms = RUN_TIMEOUT_MS;
  snprintf(out[0], sizeof out[0], "%s/full", c.dir);
  TU_RUN(&c, "run", "-b", "sync,threads,uv", "-w", "sleep,cpu", "-n", "2", "-c", "1,2", "-p", "delay_ms=1", "-p",
         "work=5", "-r", "1", "--warmup", "0", "-q", "-o", out[0]);
  tu_expect_exit(&c.cmd, 0);
  cb_results all;
  char err[512];
  assert_int_equal(cb_results_read(out[0], &all, err, sizeof err), 0);
  assert_int_equal(all.n, 12);
  int *seen = calloc(all.n, sizeof *seen);
  for (int i = 1; i <= 3; i++) {
    snprintf(out[i], sizeof out[i], "%s/shard%d", c.dir, i);
    snprintf(sh, sizeof sh, "%d/3", i);
    TU_RUN(&c, "run", "-b", "sync,threads,uv", "-w", "sleep,cpu", "-n", "2", "-c", "1,2", "-p", "delay_ms=1", "-p",
           "work=5", "-r", "1", "--warmup", "0", "-q", "--shard", sh, "-o", out[i]);
    tu_expect_exit(&c.cmd, 0);
    cb_results part;
    assert_int_equal(cb_results_read(out[i], &part, err, sizeof err), 0);
    assert_int_equal(part.n, 4);
    for (size_t k = 0; k < part.n; k++) {
      const cb_rcase *rc = &part.cases[k];
      const cb_rcase *f = cb_results_find(&all, rc->workload, rc->backend, rc->params_str, rc->conc);
      assert_non_null(f);
      seen[f - all.cases]++;
    }
    cb_results_free(&part);
  }
  for (size_t k = 0; k < all.n; k++) assert_int_equal(seen[k], 1);
  TU_RUN(&c, "run", "-w", "sleep", "--shard", "4/3", "-o", out[0]);
  tu_expect_exit(&c.cmd, 2);
  free(seen);
  cb_results_free(&all);
  tu_cli_fini(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(parses_and_refuses),
    cmocka_unit_test(decides_on_rows),
    cmocka_unit_test(shards_cover_every_case_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
