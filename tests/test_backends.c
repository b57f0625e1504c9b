/* test_backends.c: every backend runs every task exactly once, reaps its workers, survives crashes,
 * and gives the concurrency its model promises. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "backend.h"
#include "registry.h"
#include "clock.h"
#include "testutil.h"

/* A workload that parks on every third task (so the uv backend really switches) and computes a
 * little on every task, so its contribution depends on the index. */
static int probe_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  if (index % 3 == 0) {
    int rc = cb_sleep(ctx, 0);
    if (rc) return rc;
  }
  *sum = cb_compute(ctx, index, 1);
  return 0;
}

static double no_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) { return 0; }

static const cb_workload probe = {
  .name = "probe", .summary = "test", .kind = CB_KIND_MIXED, .task = probe_task, .ideal = no_ideal,
};

static uint64_t probe_expected(uint64_t n) {
  uint64_t sum = 0;
  for (uint64_t i = 0; i < n; i++) sum += cb_hash_chain(i, 1);
  return sum;
}

static void assert_no_children(void) {
  errno = 0;
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
  assert_int_equal(errno, ECHILD);
}

static void exactly_once(void **state) {
  static const uint64_t ns[] = { 1, 7, 1000 };
  static const uint32_t cs[] = { 1, 3, 64 };
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
      for (size_t j = 0; j < sizeof cs / sizeof cs[0]; j++) {
        cb_job job;
        cb_job_summary s;
        uint32_t conc = ((*b)->flags & CB_BACKEND_SERIAL) ? 1 : cs[j];
        tu_job_run(&job, *b, &(tu_jobdef){ .wl = &probe, .tasks = ns[i], .conc = cs[j] }, &s);
        for (uint64_t k = 0; k < ns[i]; k++) {
          assert_int_equal(job.sh->rec[k].runs, 1);
          assert_int_equal(job.sh->rec[k].status, 0);
          assert_true(job.sh->rec[k].end_ns >= job.sh->rec[k].start_ns);
        }
        assert_int_equal(s.done, ns[i]);
        assert_int_equal(s.errors, 0);
        assert_true(s.checksum == probe_expected(ns[i]));
        assert_int_equal(job.workers, ns[i] < conc ? ns[i] : conc);
        cb_job_free(&job);
        assert_no_children();
      }
    }
  }
}

/* A worker process that dies in the middle of task 5. */
static int crash_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  if (index == 5) raise(SIGKILL);
  *sum = index;
  return 0;
}

static const cb_workload crasher = {
  .name = "crash", .summary = "test", .kind = CB_KIND_CPU, .task = crash_task, .ideal = no_ideal,
};

static void fork_crash_is_an_error_not_a_hang(void **state) {
  cb_job job;
  cb_job_summary s;
  int64_t t0 = cb_now_ns();
  tu_job_run(&job, tu_backend("fork"), &(tu_jobdef){ .wl = &crasher, .tasks = 40, .conc = 3 }, &s);
  assert_true(cb_now_ns() - t0 < 10 * (int64_t)1000000000);
  assert_int_equal(s.errors, 1);
  assert_int_equal(s.done, 39);
  assert_int_equal(job.sh->rec[5].runs, 0);
  assert_non_null(strstr(job.err, "died"));
  cb_job_free(&job);
  assert_no_children();
}

static int failing_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  *sum = index;
  return index % 4 == 1 ? -EIO : 0;
}

static const cb_workload failer = {
  .name = "fail", .summary = "test", .kind = CB_KIND_CPU, .task = failing_task, .ideal = no_ideal,
};

static void task_errors_are_counted(void **state) {
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    cb_job job;
    cb_job_summary s;
    tu_job_run(&job, *b, &(tu_jobdef){ .wl = &failer, .tasks = 20, .conc = 4 }, &s);
    assert_int_equal(s.errors, 5);
    assert_int_equal(s.done, 15);
    assert_int_equal(job.sh->rec[1].status, -EIO);
    cb_job_free(&job);
  }
}

/* Tasks of `ms` each; returns the wall time in seconds. */
static int sleep_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  *sum = 1;
  return cb_sleep(ctx, (uint64_t)p->v[0]);
}

static const cb_workload sleeper = {
  .name = "sleeper", .summary = "test", .kind = CB_KIND_IO, .task = sleep_task, .ideal = no_ideal,
};

static double timed_sleeps(const char *backend, uint64_t n, uint32_t conc, double ms) {
  const cb_backend *be = tu_backend(backend);
  cb_params p = { .v = { ms } };
  cb_job job;
  cb_job_summary s;
  int64_t t0 = cb_now_ns();
  tu_job_run(&job, be, &(tu_jobdef){ .wl = &sleeper, .params = &p, .tasks = n, .conc = conc }, &s);
  double wall = (double)(cb_now_ns() - t0) / 1e9;
  assert_int_equal(s.errors, 0);
  /* No task may wake before its delay. */
  for (uint64_t i = 0; i < n; i++)
    assert_true(job.sh->rec[i].end_ns - job.sh->rec[i].start_ns >= (int64_t)(ms * 1e6) - 1000000);
  cb_job_free(&job);
  return wall;
}

static void concurrent_sleeps_overlap(void **state) {
  /* 100 x 50 ms at C=100: 5 s if serial, 0.05 s ideal; generous bound 1 s. */
  double uv = timed_sleeps("uv", 100, 100, 50);
  double th = timed_sleeps("threads", 100, 100, 50);
  double fk = timed_sleeps("fork", 100, 100, 50);
  print_message("100 x 50 ms at c=100: uv %.3f s, threads %.3f s, fork %.3f s\n", uv, th, fk);
  assert_true(uv >= 0.049 && uv < 1.0);
  assert_true(th >= 0.049 && th < 1.0);
  assert_true(fk >= 0.049 && fk < 2.0);
  /* C bounds the overlap: 20 tasks at C=5 take at least 4 rounds. */
  assert_true(timed_sleeps("uv", 20, 5, 20) >= 0.079);
  assert_true(timed_sleeps("threads", 20, 5, 20) >= 0.079);
}

static void sync_is_sequential(void **state) {
  double w = timed_sleeps("sync", 10, 10, 20);
  print_message("sync 10 x 20 ms: %.3f s\n", w);
  assert_true(w >= 0.2);
}

/* Each task waits until every task has started: it can only finish if all are alive at once. */
static int gather_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  _Atomic uint64_t *started = state;
  uint64_t n = (uint64_t)p->v[0];
  atomic_fetch_add(started, 1);
  for (int polls = 0; atomic_load(started) < n; polls++) {
    if (polls > 30000) return -ETIMEDOUT;   /* about a minute: give up rather than hang */
    int rc = cb_sleep(ctx, 2);
    if (rc) return rc;
  }
  *sum = index;
  return 0;
}

static const cb_workload gatherer = {
  .name = "gather", .summary = "test", .kind = CB_KIND_IO, .task = gather_task, .ideal = no_ideal,
};

static void uv_thousands_of_coroutines(void **state) {
  const uint64_t n = 5000;
  _Atomic uint64_t started = 0;
  cb_params p = { .v = { (double)n } };
  cb_job job;
  cb_job_summary s;
  const tu_jobdef d = { .wl = &gatherer, .params = &p, .state = &started, .tasks = n, .conc = (uint32_t)n,
                        .stack = 64 * 1024 };
  tu_job_run(&job, tu_backend("uv"), &d, &s);
  assert_int_equal(s.errors, 0);
  assert_int_equal(job.workers, n);
  cb_job_free(&job);
}

/* Uses 40 KiB of its stack: fits in 64 KiB stacks, proves the size option is honoured. */
static int deep_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  volatile unsigned char buf[40 * 1024];
  for (size_t i = 0; i < sizeof buf; i += 512) buf[i] = (unsigned char)(i + index);
  int rc = cb_sleep(ctx, 1);
  uint64_t s = 0;
  for (size_t i = 0; i < sizeof buf; i += 512) s += buf[i];
  *sum = s;
  return rc;
}

static const cb_workload deep = {
  .name = "deep", .summary = "test", .kind = CB_KIND_IO, .task = deep_task, .ideal = no_ideal,
};

static void stack_size_option(void **state) {
  static const char *names[] = { "threads", "uv" };
  for (size_t k = 0; k < 2; k++) {
    cb_job job;
    cb_job_summary s;
    tu_job_run(&job, tu_backend(names[k]), &(tu_jobdef){ .wl = &deep, .tasks = 50, .conc = 10, .stack = 128 * 1024 }, &s);
    assert_int_equal(s.errors, 0);
    cb_job_free(&job);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(exactly_once),
    cmocka_unit_test(fork_crash_is_an_error_not_a_hang),
    cmocka_unit_test(task_errors_are_counted),
    cmocka_unit_test(concurrent_sleeps_overlap),
    cmocka_unit_test(sync_is_sequential),
    cmocka_unit_test(uv_thousands_of_coroutines),
    cmocka_unit_test(stack_size_option),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
