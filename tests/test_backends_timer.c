/* test_backends_timer.c: the deadlines of the coroutine backends (uv, uv-offload, uv-mt, uring): a sleep, an
 * open-loop start and a queue's deadline never end before their time, many overlap, and a run
 * leaves no descriptor open. Bounds are generous: semantics, not speed. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "backend.h"
#include "registry.h"
#include "clock.h"
#include "shared.h"
#include "testutil.h"

static const char *const coro_backends[] = { "uv", "uv-offload", "uv-mt", "uring" };
#define NB (sizeof coro_backends / sizeof coro_backends[0])

static double no_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) { return 0; }

/* Each task sleeps a number of milliseconds of its own, 1 to 5, shorter ones later: the earliest
 * deadline keeps moving both ways while others are pending. */
static uint64_t sleep_ms_of(uint64_t index) { return 5 - (index * 3) % 5; }

static int varied_sleep_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  *sum = 1;
  return cb_sleep(ctx, sleep_ms_of(index));
}

static const cb_workload varied_sleeper = {
  .name = "varied-sleep", .summary = "test", .kind = CB_KIND_IO, .task = varied_sleep_task, .ideal = no_ideal,
};

static void sleeps_never_end_early(void **state) {
  for (size_t b = 0; b < NB; b++) {
    if (tu_backend_skip(tu_backend(coro_backends[b]))) continue;
    cb_job job;
    cb_job_summary s;
    const uint64_t n = 200;
    int64_t t0 = cb_now_ns();
    tu_job_run(&job, tu_backend(coro_backends[b]), &(tu_jobdef){ .wl = &varied_sleeper, .tasks = n, .conc = 20 }, &s);
    double wall = (double)(cb_now_ns() - t0) / 1e9;
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.done, n);
    for (uint64_t i = 0; i < n; i++) {
      int64_t took = job.sh->rec[i].end_ns - job.sh->rec[i].start_ns;
      if (took < (int64_t)sleep_ms_of(i) * 1000000)
        fail_msg("%s: task %llu slept %lld ns of %llu ms", coro_backends[b], (unsigned long long)i,
                 (long long)took, (unsigned long long)sleep_ms_of(i));
    }
    /* 200 tasks of 3 ms on average, 20 at a time: 30 ms ideal. */
    print_message("%s: 200 varied sleeps at c=20: %.3f s\n", coro_backends[b], wall);
    assert_true(wall < 2.0);
    cb_job_free(&job);
  }
}

/* ---- open loop: every start waits for its slot through sleep_until ---- */

static int nop_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  *sum = index;
  return 0;
}

static const cb_workload nop = {
  .name = "nop", .summary = "test", .kind = CB_KIND_IO, .task = nop_task, .ideal = no_ideal,
};

static void open_loop_starts_never_early(void **state) {
  for (size_t b = 0; b < NB; b++) {
    if (tu_backend_skip(tu_backend(coro_backends[b]))) continue;
    cb_job job;
    cb_job_summary s;
    const uint64_t n = 60;
    /* 2000 per second: a slot every 0.5 ms, finer than a millisecond timer can tell apart. */
    tu_job_run(&job, tu_backend(coro_backends[b]), &(tu_jobdef){ .wl = &nop, .tasks = n, .conc = 8, .rate = 2000 }, &s);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.done, n);
    for (uint64_t i = 0; i < n; i++) {
      const cb_task_rec *r = &job.sh->rec[i];
      if (r->start_ns < r->intended_ns)
        fail_msg("%s: task %llu started %lld ns before its slot", coro_backends[b], (unsigned long long)i,
                 (long long)(r->intended_ns - r->start_ns));
    }
    /* The last slot is 29.5 ms after t0. */
    assert_true(job.sh->rec[n - 1].end_ns - job.t0_ns < 2000000000);
    cb_job_free(&job);
  }
}

/* ---- a deadline that is not a sleep: a get on a queue nobody fills ---- */

static int get_timeout_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  cb_queue *q = state;
  uint64_t item;
  int64_t deadline = cb_now_ns() + 2000000 + (int64_t)index * 300000;   /* 2 ms, then 0.3 ms apart */
  int rc = cb_queue_get(ctx, q, &item, deadline);
  if (rc != -ETIMEDOUT) return rc ? rc : -EPROTO;
  int64_t now = cb_now_ns();
  *sum = 1;
  return now < deadline ? -EINTR : 0;          /* woken before its deadline */
}

static const cb_workload getter = {
  .name = "get-timeout", .summary = "test", .kind = CB_KIND_IO, .task = get_timeout_task, .ideal = no_ideal,
};

static void queue_deadlines_never_early(void **state) {
  for (size_t b = 0; b < NB; b++) {
    if (tu_backend_skip(tu_backend(coro_backends[b]))) continue;
    cb_queue *q;
    cb_job job;
    cb_job_summary s;
    assert_int_equal(cb_queue_create(&q, sizeof(uint64_t), 4, 4, 0), 0);
    tu_job_run(&job, tu_backend(coro_backends[b]), &(tu_jobdef){ .wl = &getter, .state = q, .tasks = 30, .conc = 10 }, &s);
    if (s.errors) fail_msg("%s: %llu of 30 gets did not time out at their deadline, or woke early", coro_backends[b],
                           (unsigned long long)s.errors);
    assert_int_equal(s.done, 30);
    assert_null(q->getters.head);
    cb_job_free(&job);
    cb_queue_destroy(q);
  }
}

/* ---- many at once, and nothing left open ---- */

static int sleep50_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  *sum = 1;
  return cb_sleep(ctx, 50);
}

static const cb_workload sleeper50 = {
  .name = "sleep50", .summary = "test", .kind = CB_KIND_IO, .task = sleep50_task, .ideal = no_ideal,
};

static int open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void many_sleeps_overlap_and_close(void **state) {
  int before = open_fds();
  for (size_t b = 0; b < NB; b++) {
    if (tu_backend_skip(tu_backend(coro_backends[b]))) continue;
    for (int round = 0; round < 3; round++) {
      cb_job job;
      cb_job_summary s;
      int64_t t0 = cb_now_ns();
      tu_job_run(&job, tu_backend(coro_backends[b]), &(tu_jobdef){ .wl = &sleeper50, .tasks = 100, .conc = 100 }, &s);
      double wall = (double)(cb_now_ns() - t0) / 1e9;
      assert_int_equal(s.errors, 0);
      assert_int_equal(s.done, 100);
      /* 100 x 50 ms at c=100: 5 s if serial, 0.05 s ideal. */
      assert_true(wall >= 0.049 && wall < 1.0);
      for (int i = 0; i < 100; i++) assert_true(job.sh->rec[i].end_ns - job.sh->rec[i].start_ns >= 50000000);
      cb_job_free(&job);
    }
  }
  /* Each run's loop, timer descriptor and poll closed at its end. uv-offload's pool threads stay,
   * but they hold no descriptor of a run. */
  if (before >= 0) assert_int_equal(open_fds(), before);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(sleeps_never_end_early),
    cmocka_unit_test(open_loop_starts_never_early),
    cmocka_unit_test(queue_deadlines_never_early),
    cmocka_unit_test(many_sleeps_overlap_and_close),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
