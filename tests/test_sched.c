/* test_sched.c: the coroutine scheduler on its own, driven by a backend with no IO at all: its
 * only wait is a sleep until the deadline the scheduler armed, as a completion backend's would be. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "scheduler.h"
#include "shared.h"
#include "clock.h"

/* The fake backend: what the scheduler asked of it. */
typedef struct fake {
  int64_t armed;           /* the last arm */
  unsigned arms, readies;
} fake;

static void fake_arm(cb_sched *s, int64_t deadline) {
  fake *f = s->cfg.arg;
  f->armed = deadline;
  f->arms++;
}

static void fake_ready(cb_sched *s) {
  fake *f = s->cfg.arg;
  f->readies++;
}

static const cb_sched_ops fake_ops = { .arm = fake_arm, .ready = fake_ready };

static const cb_io fake_io = {
  .name = "fake",
  .sleep = cb_sched_io_sleep,
  .sleep_until = cb_sched_io_sleep_until,
  .queue_put = cb_sched_io_queue_put,
  .queue_get = cb_sched_io_queue_get,
  .queue_close = cb_sched_io_queue_close,
  .set_add = cb_sched_io_set_add,
};

/* The backend's loop: run what is ready, else wait for the armed deadline and expire. */
static void fake_run(cb_job *job, uint32_t conc, fake *f) {
  cb_sched s;
  memset(f, 0, sizeof *f);
  cb_sched_cfg cfg = { .job = job, .io = &fake_io, .n = conc, .stack_size = 64 * 1024, .ops = &fake_ops, .arg = f };
  assert_int_equal(cb_sched_init(&s, &cfg), 0);
  cb_sched_start(&s);
  while (cb_sched_alive(&s)) {
    if (s.ready_head) { cb_sched_run_ready(&s); continue; }
    if (!f->armed) break;          /* parked for ever: nothing could wake them */
    assert_int_equal(f->armed, cb_sched_next_deadline(&s));
    cb_sleep_until(f->armed);
    f->armed = 0;                  /* the timer went off: it is armed again only if asked */
    cb_sched_expire(&s, cb_now_ns());
  }
  assert_int_equal(cb_sched_alive(&s), 0);
  assert_int_equal(f->armed, 0);   /* nothing left: the backend's timer is off */
  cb_sched_free(&s);
}

/* ---- sleeps: each task waits (index % 4) * 3 ms, never less ---- */

static int sleepy_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  int64_t t0 = cb_now_ns();
  uint64_t ms = (index % 4) * 3;
  int rc = cb_sleep(ctx, ms);
  if (cb_now_ns() - t0 < (int64_t)ms * 1000000) return -EINTR;
  *sum = cb_mix64(index);
  return rc;
}

static const cb_workload sleepy = { .name = "sleepy", .kind = CB_KIND_IO, .task = sleepy_task };

static void sleeps_run_once_and_long_enough(void **state) {
  cb_job job;
  cb_job_summary sum;
  fake f;
  assert_int_equal(cb_job_init(&job, &sleepy, NULL, 40, 7, 0), 0);
  int64_t t0 = cb_now_ns();
  fake_run(&job, 7, &f);
  int64_t took = cb_now_ns() - t0;
  cb_job_summarize(&job, &sum);
  assert_int_equal(sum.done, 40);
  assert_int_equal(sum.errors, 0);
  uint64_t want = 0;
  for (uint64_t i = 0; i < 40; i++) want += cb_mix64(i);
  assert_true(sum.checksum == want);
  /* 40 tasks, 7 at a time, 4.5 ms each on average: far less than one after another (180 ms). */
  assert_true(took < 150 * 1000000LL);
  assert_true(f.arms > 0);
  cb_job_free(&job);
}

/* ---- deadlines: a park nobody answers times out; one answered keeps no wrong wake ---- */

static cb_sched_co *parked_one;

static int deadline_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  cb_sched_co *me = cb_sched_self(ctx);
  if (index == 0) {
    /* Nobody wakes it: -ETIMEDOUT, not before the deadline. */
    int64_t dl = cb_now_ns() + 5 * 1000000;
    if (cb_sched_park(me, dl) != -ETIMEDOUT || cb_now_ns() < dl) return -EINVAL;
    /* Woken by task 1 before a long deadline: the wake's value. */
    parked_one = me;
    if (cb_sched_park(me, cb_now_ns() + 10000 * 1000000LL) != 42) return -EINVAL;
    /* A deadline already past: at once. */
    if (cb_sched_park(me, cb_now_ns() - 1) != -ETIMEDOUT) return -EINVAL;
  } else {
    cb_sleep(ctx, 10);
    if (!parked_one || !parked_one->parked) return -ENOENT;
    cb_sched_wake_later(parked_one, 42);
    cb_sched_wake_later(parked_one, 7);       /* no longer parked: ignored */
  }
  *sum = index + 1;
  return 0;
}

static const cb_workload deadliner = { .name = "deadline", .kind = CB_KIND_IO, .task = deadline_task };

static void deadlines_and_wakes(void **state) {
  cb_job job;
  cb_job_summary sum;
  fake f;
  parked_one = NULL;
  assert_int_equal(cb_job_init(&job, &deadliner, NULL, 2, 2, 0), 0);
  int64_t t0 = cb_now_ns();
  fake_run(&job, 2, &f);
  cb_job_summarize(&job, &sum);
  assert_int_equal(sum.errors, 0);
  assert_int_equal(sum.checksum, 3);
  assert_true(f.readies >= 1);
  /* The ten-second deadline, answered in time, left only a stale place: the run did not wait. */
  assert_true(cb_now_ns() - t0 < 2000 * 1000000LL);
  cb_job_free(&job);
}

/* ---- expiry order: deadlines given in any order fire in deadline order ---- */

static uint64_t fired[64];
static _Atomic uint64_t nfired;

static int order_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  /* A permutation of 0..n-1 spread 1 ms apart. */
  uint64_t slot = (index * 37) % 64;
  int rc = cb_sched_io_sleep_until(ctx, *(int64_t *)state + (int64_t)(slot + 1) * 1000000);
  fired[nfired++] = slot;
  *sum = 1;
  return rc;
}

static const cb_workload orderer = { .name = "order", .kind = CB_KIND_IO, .task = order_task };

static void deadlines_fire_in_order(void **state) {
  cb_job job;
  fake f;
  int64_t base = cb_now_ns() + 300 * 1000000LL;   /* after every coroutine parked, even under TSan */
  nfired = 0;
  assert_int_equal(cb_job_init(&job, &orderer, NULL, 64, 64, 0), 0);
  job.state = &base;
  fake_run(&job, 64, &f);
  assert_int_equal(nfired, 64);
  for (uint64_t i = 1; i < 64; i++) assert_true(fired[i - 1] < fired[i]);
  cb_job_free(&job);
}

/* ---- the shared queue through the wait lists: producers and consumers park on a queue of one ---- */

#define ITEMS 200

static int pc_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  cb_queue *q = state;
  if (index < 2) {                       /* two producers */
    for (uint64_t k = 0; k < ITEMS / 2; k++) {
      uint64_t v = index * 1000 + k;
      int rc = cb_queue_put(ctx, q, &v, 0);
      if (rc) return rc;
      *sum += v;
    }
    static int left = 2;
    if (--left == 0) { cb_queue_close(ctx, q); left = 2; }
    return 0;
  }
  for (;;) {                             /* three consumers */
    uint64_t v;
    int rc = cb_queue_get(ctx, q, &v, 0);
    if (rc == CB_EOF) return 0;
    if (rc) return rc;
    *sum -= v;
  }
}

static const cb_workload pc = { .name = "pc", .kind = CB_KIND_IO, .task = pc_task };

static void queue_parks_on_wait_lists(void **state) {
  cb_job job;
  cb_job_summary sum;
  cb_queue *q;
  fake f;
  assert_int_equal(cb_queue_create(&q, sizeof(uint64_t), 1, 1, 0), 0);
  assert_int_equal(cb_job_init(&job, &pc, NULL, 5, 5, 0), 0);
  job.state = q;
  fake_run(&job, 5, &f);
  cb_job_summarize(&job, &sum);
  assert_int_equal(sum.errors, 0);
  assert_true(sum.checksum == 0);        /* every item put was got once */
  assert_true(f.readies > 0);
  assert_null(q->getters.head);
  assert_null(q->putters.head);
  cb_job_free(&job);
  cb_queue_destroy(q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(sleeps_run_once_and_long_enough),
    cmocka_unit_test(deadlines_and_wakes),
    cmocka_unit_test(deadlines_fire_in_order),
    cmocka_unit_test(queue_parks_on_wait_lists),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
