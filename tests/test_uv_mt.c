/* test_uv_mt.c: uv-mt's loops share the queue across threads without busy waiting, split -c over
 * the loops, and end when they are stopped, or stuck, while parked. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <cmocka.h>
#include "backend.h"
#include "clock.h"
#include "shared.h"
#include "testutil.h"

#define ITEMS 6

/* What the tasks share: the queue, and which thread ran each task. */
typedef struct mt_state {
  cb_queue *q;
  pthread_t thread[8];
  _Atomic uint32_t got[ITEMS];
  _Atomic int stopped;
} mt_state;

static double no_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) { return 0; }

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

/* Run def on uv-mt with that many loops (CB_UV_LOOPS, as --loops sets it): its wall time, and the
 * CPU this process used meanwhile. */
static void run_mt(const char *loops, cb_job *job, const tu_jobdef *def, cb_job_summary *s, double *wall, double *cpu) {
  setenv("CB_UV_LOOPS", loops, 1);
  double c0 = cpu_s();
  int64_t t0 = cb_now_ns();
  tu_job_run(job, tu_backend("uv-mt"), def, s);
  *wall = (double)(cb_now_ns() - t0) / 1e9;
  *cpu = cpu_s() - c0;
  unsetenv("CB_UV_LOOPS");
}

/* Task 0 puts ITEMS items into a queue that holds one, so it waits for the consumer after every
 * put; task 1 takes them, 20 ms apart, so the producer's loop has nothing to do meanwhile. With
 * one coroutine a loop, the two can only both finish from different loops. */
static int pc_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  mt_state *st = vst;
  st->thread[index] = pthread_self();
  int64_t deadline = cb_now_ns() + 30 * (int64_t)1000000000;
  *sum = 0;
  for (uint32_t k = 0; k < ITEMS; k++) {
    uint32_t v = k + 1;
    int rc;
    if (index == 0) {
      rc = cb_queue_put(ctx, st->q, &v, deadline);
    } else {
      if ((rc = cb_sleep(ctx, 20)) == 0 && (rc = cb_queue_get(ctx, st->q, &v, deadline)) == 0) {
        st->got[k] = v;
        *sum += v;
      }
    }
    if (rc) return rc;
  }
  return 0;
}

static const cb_workload pc = {
  .name = "pc", .summary = "test", .kind = CB_KIND_IO, .task = pc_task, .ideal = no_ideal,
};

static void producer_and_consumer_on_different_loops(void **state) {
  mt_state st;
  memset(&st, 0, sizeof st);
  assert_int_equal(cb_queue_create(&st.q, sizeof(uint32_t), 1, 1, 0), 0);
  cb_job job;
  cb_job_summary s;
  double wall, cpu;
  run_mt("2", &job, &(tu_jobdef){ .wl = &pc, .state = &st, .tasks = 2, .conc = 2 }, &s, &wall, &cpu);
  print_message("producer and consumer on two loops: %.3f s wall, %.3f s CPU\n", wall, cpu);
  assert_int_equal(s.errors, 0);
  assert_int_equal(s.done, 2);
  assert_false(pthread_equal(st.thread[0], st.thread[1]));
  for (uint32_t k = 0; k < ITEMS; k++) assert_int_equal(st.got[k], k + 1);   /* in order, none lost */
  assert_true(wall >= 0.1);     /* six gets 20 ms apart */
  /* Both loops wait on the kernel, not in a loop: busy waiting would burn a core for the whole run. */
  assert_true(cpu < 0.5 * wall);
  cb_job_free(&job);
  cb_queue_destroy(st.q);
}

/* Tasks 0 and 1 wait on an empty queue with no deadline: their loops have nothing else to do and
 * park. Task 2 closes the queue after 100 ms: both must wake with the end of the queue. */
static int stop_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  mt_state *st = vst;
  st->thread[index] = pthread_self();
  *sum = index;
  if (index < 2) {
    uint32_t v;
    int rc = cb_queue_get(ctx, st->q, &v, 0);
    return rc == CB_EOF && atomic_load(&st->stopped) ? 0 : rc == 0 ? -EPROTO : rc;
  }
  int rc = cb_sleep(ctx, 100);
  atomic_store(&st->stopped, 1);
  cb_queue_close(ctx, st->q);
  return rc;
}

static const cb_workload stopper = {
  .name = "stop", .summary = "test", .kind = CB_KIND_IO, .task = stop_task, .ideal = no_ideal,
};

static void stop_while_loops_are_parked(void **state) {
  mt_state st;
  memset(&st, 0, sizeof st);
  assert_int_equal(cb_queue_create(&st.q, sizeof(uint32_t), 4, 4, 0), 0);
  cb_job job;
  cb_job_summary s;
  double wall, cpu;
  run_mt("3", &job, &(tu_jobdef){ .wl = &stopper, .state = &st, .tasks = 3, .conc = 3 }, &s, &wall, &cpu);
  print_message("two loops parked, stopped from a third: %.3f s wall, %.3f s CPU\n", wall, cpu);
  assert_int_equal(s.errors, 0);
  assert_int_equal(s.done, 3);
  assert_true(wall >= 0.099 && wall < 10);
  assert_true(cpu < 0.5 * wall);
  assert_int_equal(job.workers, 3);
  cb_job_free(&job);
  cb_queue_destroy(st.q);
}

/* Every task waits, without a deadline, on a queue nobody fills or closes: no loop can ever move
 * again. The run ends, as uv's does, with the tasks counted as never finished, rather than hang. */
static int stuck_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  mt_state *st = vst;
  uint32_t v;
  *sum = 1;
  return cb_queue_get(ctx, st->q, &v, 0);
}

static const cb_workload stuck = {
  .name = "stuck", .summary = "test", .kind = CB_KIND_IO, .task = stuck_task, .ideal = no_ideal,
};

static void every_loop_parked_for_good_ends_the_run(void **state) {
  mt_state st;
  memset(&st, 0, sizeof st);
  assert_int_equal(cb_queue_create(&st.q, sizeof(uint32_t), 1, 1, 0), 0);
  cb_job job;
  cb_job_summary s;
  double wall, cpu;
  run_mt("2", &job, &(tu_jobdef){ .wl = &stuck, .state = &st, .tasks = 5, .conc = 4 }, &s, &wall, &cpu);
  assert_true(wall < 10);
  assert_int_equal(s.done, 0);
  assert_int_equal(s.errors, 5);        /* 4 never finished, 1 never started */
  cb_job_free(&job);
  cb_queue_destroy(st.q);
}

/* -c is the total in flight, spread over the loops: 7 at once on 3 loops, never more. */
static int count_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  _Atomic int *now = vst, *peak = now + 1;
  int n = atomic_fetch_add(now, 1) + 1, old = atomic_load(peak);
  while (n > old && !atomic_compare_exchange_weak(peak, &old, n)) {}
  int rc = cb_sleep(ctx, 30);
  atomic_fetch_sub(now, 1);
  *sum = index;
  return rc;
}

static const cb_workload counter = {
  .name = "count", .summary = "test", .kind = CB_KIND_IO, .task = count_task, .ideal = no_ideal,
};

static void concurrency_is_the_total_over_the_loops(void **state) {
  _Atomic int c[2] = { 0, 0 };
  cb_job job;
  cb_job_summary s;
  double wall, cpu;
  run_mt("3", &job, &(tu_jobdef){ .wl = &counter, .state = c, .tasks = 28, .conc = 7 }, &s, &wall, &cpu);
  assert_int_equal(s.errors, 0);
  assert_int_equal(job.workers, 7);
  assert_int_equal(atomic_load(&c[1]), 7);
  cb_job_free(&job);
}

/* CPU work on two loops runs at once: each task computes about 50 ms in place, and the two
 * tasks' spans overlap, on two threads (on one loop the second would start when the first ends). */
static int compute_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  mt_state *st = vst;
  st->thread[index] = pthread_self();
  *sum = cb_compute(ctx, index, 30000);
  return 0;
}

static const cb_workload computer = {
  .name = "compute", .summary = "test", .kind = CB_KIND_CPU, .task = compute_task, .ideal = no_ideal,
};

static void loops_compute_at_once(void **state) {
  mt_state st;
  memset(&st, 0, sizeof st);
  cb_job job;
  cb_job_summary s;
  double wall, cpu;
  run_mt("2", &job, &(tu_jobdef){ .wl = &computer, .state = &st, .tasks = 2, .conc = 2 }, &s, &wall, &cpu);
  assert_int_equal(s.errors, 0);
  const cb_task_rec *a = &job.sh->rec[0], *b = &job.sh->rec[1];
  print_message("two computations on two loops: [0, %.1f] and [%.1f, %.1f] ms\n", (a->end_ns - a->start_ns) / 1e6,
                (b->start_ns - a->start_ns) / 1e6, (b->end_ns - a->start_ns) / 1e6);
  assert_true(a->start_ns < b->end_ns && b->start_ns < a->end_ns);
  assert_false(pthread_equal(st.thread[0], st.thread[1]));
  assert_true(s.checksum == cb_hash_chain(0, 30000) + cb_hash_chain(1, 30000));
  cb_job_free(&job);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(producer_and_consumer_on_different_loops),
    cmocka_unit_test(stop_while_loops_are_parked),
    cmocka_unit_test(every_loop_parked_for_good_ends_the_run),
    cmocka_unit_test(concurrency_is_the_total_over_the_loops),
    cmocka_unit_test(loops_compute_at_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
