/* test_engine.c: the run engine on its own: rounds to rows to files, a stop request, limits refused
 * before anything is written. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "registry.h"
#include "runcfg.h"
#include "testutil.h"
#include "util.h"

typedef struct fx {
  char dir[256];
  cb_plan plan;
  cb_machine m;
  cb_engine e;
  int prepared;
  unsigned ends;         /* counted repetitions the progress callback saw */
  unsigned stop_after;   /* ask the engine to stop after this many (0: never) */
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f || tu_tmpdir(f->dir, sizeof f->dir, "engine") != 0) return -1;
  f->m = (cb_machine){ .cores = 2, .unit_s = 1e-6 };
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  if (f->prepared) cb_engine_free(&f->e);
  cb_plan_free(&f->plan);
  tu_rmtree(f->dir);
  free(f);
  return 0;
}

/* sleep, delay_ms=5, on sync and uv, n tasks at c, reps repetitions. */
static void sleep_plan(fx *f, uint64_t n, const char *c, unsigned reps) {
  cb_run_cfg cfg;
  char err[256];
  cb_cfg_defaults(&cfg);
  assert_int_equal(cb_cfg_backends(&cfg, "sync,uv", err, sizeof err), 0);
  assert_int_equal(cb_cfg_workloads(&cfg, "sleep", err, sizeof err), 0);
  assert_int_equal(cb_cfg_concurrency(&cfg, c, err, sizeof err), 0);
  assert_int_equal(cb_cfg_param(&cfg, "delay_ms", "5", err, sizeof err), 0);
  cfg.tasks = n;
  cfg.reps = reps;
  assert_int_equal(cb_plan_build(&cfg, &f->m, &f->plan), 0);
}

static void on_progress(void *arg, const cb_engine_progress *p) {
  fx *f = arg;
  if (p->event != CB_ENGINE_REP_END || p->warm) return;
  assert_non_null(p->sample);
  if (++f->ends == f->stop_after) cb_engine_stop(&f->e);
}

static cb_engine_opts opts(fx *f, const char *sub, char *buf, size_t len) {
  snprintf(buf, len, "%s/%s", f->dir, sub);
  static char *argv[] = { "concbench", "run", NULL };
  return (cb_engine_opts){ .outdir = buf, .warmup = 1, .argc = 2, .argv = argv, .progress = on_progress, .arg = f };
}

/* Every repetition measured, rows computed, both files written with status complete. */
static void runs_to_files(void **state) {
  fx *f = *state;
  char out[512], path[600];
  sleep_plan(f, 20, "10", 2);
  cb_engine_opts o = opts(f, "run", out, sizeof out);
  assert_int_equal(cb_engine_prepare(&f->e, &f->plan, &f->m, &o), 0);
  f->prepared = 1;
  assert_int_equal(cb_engine_run(&f->e), CB_ENGINE_COMPLETE);
  assert_int_equal(f->ends, 4);
  assert_int_equal(cb_engine_kept(&f->e), 4);
  for (size_t i = 0; i < f->plan.n; i++) {
    const cb_row *r = &f->e.rows[i];
    assert_int_equal(f->plan.cases[i].nreps, 2);
    assert_true(r->wall.median > 0);
    assert_true(r->efficiency > 0 && r->efficiency <= 1.0001);   /* the ideal is a lower bound */
    assert_int_equal(r->errors, 0);
  }
  /* sync runs its 20 waits of 5 ms one after another; uv all at once, 10 at a time. */
  assert_true(f->e.rows[0].wall.median > 0.09);
  snprintf(path, sizeof path, "%s/results.json", out);
  cJSON *j = tu_load_json(path);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "status")->valuestring, "complete");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "cases")), 2);
  cJSON_Delete(j);
  snprintf(path, sizeof path, "%s/results.csv", out);
  char *csv = tu_read_file(path, NULL);
  assert_int_equal(tu_lines(csv), 3);
  free(csv);
}

/* The ideal learns the fastest compute unit seen, but the work a task does stays what the run
 * started with: every repetition of a computing case gives the same checksum. */
static void same_work_every_round(void **state) {
  fx *f = *state;
  cb_run_cfg cfg;
  char err[256], out[512];
  cb_cfg_defaults(&cfg);
  assert_int_equal(cb_cfg_backends(&cfg, "sync,threads", err, sizeof err), 0);
  assert_int_equal(cb_cfg_workloads(&cfg, "mixed", err, sizeof err), 0);
  assert_int_equal(cb_cfg_concurrency(&cfg, "2", err, sizeof err), 0);
  assert_int_equal(cb_cfg_param(&cfg, "task_ms", "2", err, sizeof err), 0);
  cfg.tasks = 6;
  cfg.reps = 3;
  f->m.unit_s = 1e-4;   /* slower than any repetition will calibrate: the plan learns a faster one */
  assert_int_equal(cb_plan_build(&cfg, &f->m, &f->plan), 0);
  cb_engine_opts o = opts(f, "mixed", out, sizeof out);
  o.warmup = 0;
  assert_int_equal(cb_engine_prepare(&f->e, &f->plan, &f->m, &o), 0);
  f->prepared = 1;
  assert_int_equal(cb_engine_run(&f->e), CB_ENGINE_COMPLETE);
  assert_true(f->e.m.unit_s < 1e-4);
  for (size_t i = 0; i < f->plan.n; i++) {
    assert_int_equal(f->e.rows[i].errors, 0);
    assert_true(f->e.rows[i].checksum_stable);
    assert_true(f->e.rows[i].checksum == f->e.rows[0].checksum);
  }
}

/* A stop request ends the run after the repetition in progress; what finished is on disk. */
static void stops_when_asked(void **state) {
  fx *f = *state;
  char out[512], path[600];
  sleep_plan(f, 10, "10", 3);
  f->stop_after = 3;
  cb_engine_opts o = opts(f, "stopped", out, sizeof out);
  assert_int_equal(cb_engine_prepare(&f->e, &f->plan, &f->m, &o), 0);
  f->prepared = 1;
  assert_int_equal(cb_engine_run(&f->e), CB_ENGINE_STOPPED);
  assert_int_equal(cb_engine_kept(&f->e), 3);
  assert_int_equal(f->e.signal, 0);
  snprintf(path, sizeof path, "%s/results.json", out);
  cJSON *j = tu_load_json(path);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "status")->valuestring, "partial");
  cJSON_Delete(j);
}

/* What cannot run is refused by prepare, with a reason, before a directory is made. */
static void refuses_before_writing(void **state) {
  fx *f = *state;
  cb_run_cfg cfg;
  char err[256], out[512];
  cb_cfg_defaults(&cfg);
  assert_int_equal(cb_cfg_backends(&cfg, "threads", err, sizeof err), 0);
  assert_int_equal(cb_cfg_workloads(&cfg, "queue", err, sizeof err), 0);
  assert_int_equal(cb_cfg_concurrency(&cfg, "2", err, sizeof err), 0);
  cfg.tasks = 7;   /* producers and consumers: every one must be in flight at once */
  assert_int_equal(cb_plan_build(&cfg, &f->m, &f->plan), 0);
  cb_engine_opts o = opts(f, "refused", out, sizeof out);
  assert_int_equal(cb_engine_prepare(&f->e, &f->plan, &f->m, &o), -1);
  f->prepared = 1;
  tu_expect_in(f->e.err, "in flight at once");
  assert_false(tu_exists(out));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(runs_to_files, setup, teardown),
    cmocka_unit_test_setup_teardown(same_work_every_round, setup, teardown),
    cmocka_unit_test_setup_teardown(stops_when_asked, setup, teardown),
    cmocka_unit_test_setup_teardown(refuses_before_writing, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
