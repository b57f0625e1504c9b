/* test_runner.c: the measurement: open-loop start times, and resources of the whole process tree. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "backend.h"
#include "registry.h"
#include "clock.h"
#include "runner.h"
#include "procfs.h"
#include "rows.h"
#include "testutil.h"
#include "util.h"

static double no_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) { return 0; }

/* Sleeps p->v[0] ms. */
static int nap_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  *sum = index;
  return cb_sleep(ctx, (uint64_t)p->v[0]);
}

static const cb_workload napper = {
  .name = "nap", .summary = "test", .kind = CB_KIND_IO, .task = nap_task, .ideal = no_ideal,
};

/* Open loop on a concurrent backend: task i starts at its slot t0 + i/rate, never before. */
static void open_loop_starts_on_schedule(void **state) {
  static const char *names[] = { "threads", "fork", "uv" };
  for (size_t b = 0; b < 3; b++) {
    cb_params p = { .v = { 1 } };
    cb_job job;
    cb_job_summary s;
    const tu_jobdef d = { .wl = &napper, .params = &p, .tasks = 40, .conc = 8, .rate = 200 };   /* a slot every 5 ms */
    tu_job_run(&job, tu_backend(names[b]), &d, &s);
    int64_t late[40];
    for (uint64_t i = 0; i < 40; i++) {
      const cb_task_rec *r = &job.sh->rec[i];
      int64_t slot = job.t0_ns + (int64_t)i * 5000000;
      assert_true(r->intended_ns == slot);
      assert_true(r->start_ns >= slot);                    /* never early */
      late[i] = r->start_ns - slot;
      if (late[i] > 1000000000)                            /* a stall of the whole machine, at most */
        fail_msg("%s: task %llu started %.1f ms after its slot", names[b], (unsigned long long)i, (double)late[i] / 1e6);
    }
    /* Most start on time: a busy machine (a sanitizer build beside other tests) may hold a few up
     * by hundreds of ms, but a backend that waited for completions would be late on most. */
    int on_time = 0;
    for (int i = 0; i < 40; i++) on_time += late[i] <= 20000000;
    if (on_time < 20) fail_msg("%s: only %d of 40 tasks started within 20 ms of their slot", names[b], on_time);
    assert_int_equal(s.errors, 0);
    /* 40 slots over 195 ms: never above 200 a second; below only by the stalls allowed above. */
    assert_true(s.rate_achieved > 30 && s.rate_achieved < 210);
    cb_job_free(&job);
  }
}

/* When tasks take longer than the slots (20 ms each, a slot every 5 ms, one at a time), the
 * latency from the slot grows with every task: the stall is in the numbers, not hidden. */
static void open_loop_latency_counts_the_wait(void **state) {
  cb_params p = { .v = { 20 } };
  cb_job job;
  cb_hist lat, svc;
  const tu_jobdef d = { .wl = &napper, .params = &p, .tasks = 10, .conc = 1, .rate = 200 };
  tu_job_run(&job, tu_backend("sync"), &d, NULL);
  cb_job_summary s;
  cb_job_summarize_hists(&job, &s, &lat, &svc, NULL, NULL);
  const cb_task_rec *last = &job.sh->rec[9];
  /* The last slot is at 45 ms; it cannot start before 9 x 20 = 180 ms. */
  assert_true(last->start_ns - last->intended_ns >= 130 * 1000000ll);
  /* Service time stays one task's; latency from the slot is far longer. */
  assert_true(cb_hist_percentile(&svc, 50) < 60 * 1000000ull);
  assert_true(cb_hist_percentile(&lat, 100) >= 150 * 1000000ull);
  assert_true(s.max_ms >= 150);
  cb_job_free(&job);
}

/* Closed loop, one task at a time: each task's service time is one nap, but its result comes
 * after every task before it: the completion times (from the run's start) spread from one nap to
 * all ten, as a user waiting for the results sees them. On threads at c=10 they all come at once. */
static void closed_loop_completion_times(void **state) {
  (void)state;
  cb_params p = { .v = { 10 } };
  static const char *const names[] = { "sync", "threads" };
  for (int b = 0; b < 2; b++) {
    cb_job job;
    cb_hist lat, svc, done;
    const tu_jobdef d = { .wl = &napper, .params = &p, .tasks = 10, .conc = 10 };
    tu_job_run(&job, tu_backend(names[b]), &d, NULL);
    cb_job_summary s;
    cb_job_summarize_hists(&job, &s, &lat, &svc, &done, NULL);
    assert_int_equal(done.count, 10);
    /* Service: one 10 ms nap, whatever the backend; the median's, since one stall of a sanitizer
     * build on a shared machine (40 ms and more, seen in CI) stretches the longest alone. */
    assert_true(cb_hist_percentile(&svc, 50) < 40 * 1000000ull);
    if (b == 0) {
      assert_true(cb_hist_percentile(&done, 100) >= 100 * 1000000ull);   /* the last after ten naps */
      assert_true(cb_hist_percentile(&done, 10) < 40 * 1000000ull);      /* the first after one */
    } else {
      assert_true(cb_hist_percentile(&done, 100) < 60 * 1000000ull);     /* all after about one */
    }
    cb_job_free(&job);
  }
}

/* Each task touches `p->v[0]` MiB of fresh memory and keeps it until the task ends. */
static int hog_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  size_t len = (size_t)p->v[0] << 20;
  volatile unsigned char *m = malloc(len);
  if (!m) return -ENOMEM;
  for (size_t i = 0; i < len; i += 4096) m[i] = (unsigned char)i;
  cb_sleep(ctx, 400);                     /* long enough for the runner to look, several times */
  *sum = m[4096];
  free((void *)m);
  return 0;
}

static const cb_workload hog = {
  .name = "hog", .summary = "test", .kind = CB_KIND_IO, .task = hog_task, .ideal = no_ideal,
};

static void measure_case(const char *backend, uint32_t conc, double mib, cb_sample *out) {
  cb_case c = { .wl = &hog, .be = cb_backend_find(backend), .tasks = conc, .conc = conc, .eff_conc = conc };
  c.params.v[0] = mib;
  snprintf(c.id, sizeof c.id, "hog-%s", backend);
  cb_measure_env env = { 0 };
  assert_non_null(c.be);
  assert_int_equal(cb_runner_measure(&c, &env, out), 0);
  assert_int_equal(out->status, 0);
  assert_int_equal(out->errors, 0);
  assert_non_null(c.lat);
  assert_int_equal(c.lat->count, conc);
  cb_case_free_hists(&c);
}

/* Four fork workers that each hold 16 MiB: the tree's memory counts them all. */
static void fork_children_memory_is_seen(void **state) {
  cb_sample small, big;
  measure_case("fork", 4, 1, &small);
  measure_case("fork", 4, 16, &big);
  print_message("fork x4: 1 MiB each -> %llu KiB, 16 MiB each -> %llu KiB; procs %u\n",
                (unsigned long long)small.peak_rss_kib, (unsigned long long)big.peak_rss_kib, big.peak_procs);
  /* The runner looks every 10 ms or more: it must see most of the 60 MiB more, all at once. */
  /* ThreadSanitizer's allocator hands out and counts pages its own way: 42 of the 60 MiB seen. */
#if defined(__SANITIZE_THREAD__)
  assert_true(big.peak_rss_kib >= small.peak_rss_kib + 4 * 8 * 1024);
#else
  assert_true(big.peak_rss_kib >= small.peak_rss_kib + 4 * 12 * 1024);
#endif
  assert_true(big.peak_procs >= 5);       /* the measurement process and its four workers */
  assert_true(big.user_s + big.sys_s > 0);
  int st;
  errno = 0;
  assert_int_equal(waitpid(-1, &st, WNOHANG), -1);
  assert_int_equal(errno, ECHILD);
}

static void threads_are_counted(void **state) {
  cb_sample s;
  measure_case("threads", 8, 1, &s);
  print_message("threads x8: peak threads %u, peak RSS %llu KiB\n", s.peak_threads, (unsigned long long)s.peak_rss_kib);
  assert_true(s.peak_threads >= 9);
  assert_true(s.peak_rss_kib >= 8 * 1024);
  assert_int_equal(s.peak_procs, 1);
}

/* A pool of fork workers that share nearly all their pages with the process that forked them:
 * the tree's memory counts those pages once, so it stays far below the workers' RSS summed (and
 * below what adding each worker's PSS at its exit gave: the shared pages again and again). */
static void fork_pool_counts_shared_pages_once(void **state) {
  cb_params p = { .v = { 50 } };
  cb_case c = { .wl = &napper, .be = cb_backend_find("fork"), .params = p, .tasks = 64, .conc = 64, .eff_conc = 64 };
  snprintf(c.id, sizeof c.id, "nap-fork");
  cb_measure_env env = { 0 };
  cb_sample s;
  assert_int_equal(cb_runner_measure(&c, &env, &s), 0);
  assert_int_equal(s.status, 0);
  assert_int_equal(s.errors, 0);
  uint64_t rss = 0, pss = 0;
  assert_int_equal(cb_proc_mem_kib(0, &rss, &pss), 0);   /* about what each worker maps */
  print_message("fork x64 napping: peak %llu KiB; this process's Rss %llu KiB\n", (unsigned long long)s.peak_rss_kib,
                (unsigned long long)rss);
  assert_true(s.peak_rss_kib > 0);
  /* Each worker holds little of its own (its stack, a few written pages: under 64 KiB). Under
   * ThreadSanitizer every page a worker writes gets shadow pages of its own as well, so only the
   * looser bound (far below 64 copies of the process) holds there. */
#if !defined(__SANITIZE_THREAD__)
  assert_true(s.peak_rss_kib < 2 * rss + 64 * 64);
#endif
  assert_true(s.peak_rss_kib < 64 * rss / 4);
  cb_case_free_hists(&c);
}

/* What the runner keeps (cb_keep_alloc: the results gathered so far) is not inherited by the
 * measurement process. 32 MiB of it add nothing to a case's memory, and fork's workers have none
 * of it to copy; 32 MiB of ordinary heap show up, half of them (shared with the runner) as PSS. */
static void kept_memory_stays_out_of_cases(void **state) {
  const size_t len = 32u << 20;
  cb_sample base, kept, heap;
  measure_case("fork", 2, 1, &base);
  unsigned char *k = cb_keep_alloc(len);
  assert_non_null(k);
  assert_true(cb_keep_size(k) >= len);
  assert_int_equal(k[len - 1], 0);        /* zeroed */
  memset(k, 1, len);
  measure_case("fork", 2, 1, &kept);
  volatile unsigned char *h = malloc(len);
  assert_non_null(h);
  for (size_t i = 0; i < len; i += 4096) h[i] = 1;
  measure_case("fork", 2, 1, &heap);
  print_message("fork x2: %llu KiB; with 32 MiB kept %llu KiB; with 32 MiB of heap %llu KiB\n",
                (unsigned long long)base.peak_rss_kib, (unsigned long long)kept.peak_rss_kib,
                (unsigned long long)heap.peak_rss_kib);
  /* ThreadSanitizer's shadow of the kept pages is ordinary memory the children inherit. */
#if !defined(__SANITIZE_THREAD__)
  assert_true(kept.peak_rss_kib < base.peak_rss_kib + 4 * 1024);
#endif
  assert_true(heap.peak_rss_kib >= kept.peak_rss_kib + 12 * 1024);
  assert_int_equal(k[len / 2], 1);        /* still the runner's */
  free((void *)h);
  cb_keep_free(k);
}

/* A backend that runs its tasks as sync does, then takes 300 ms to end its pool. */
static int slow_end_run(cb_job *job) {
  int rc = cb_backend_find("sync")->run(job);
  usleep(300000);
  return rc;
}

static const cb_backend slow_end = {
  .name = "slow-end", .summary = "test", .flags = CB_BACKEND_SERIAL, .io = &cb_io_blocking, .run = slow_end_run,
};

/* The wall time ends with the last task: the pool's ending after it is counted apart. */
static void wall_ends_with_the_last_task(void **state) {
  cb_params p = { .v = { 20 } };
  cb_case c = { .wl = &napper, .be = &slow_end, .params = p, .tasks = 5, .conc = 1, .eff_conc = 1 };
  snprintf(c.id, sizeof c.id, "nap-slow-end");
  cb_measure_env env = { 0 };
  cb_sample s;
  assert_int_equal(cb_runner_measure(&c, &env, &s), 0);
  assert_int_equal(s.errors, 0);
  print_message("5 x 20 ms then a 300 ms ending: wall %.3f s, teardown %.3f s\n", s.wall_s, s.teardown_s);
  /* Five naps at least (a sanitizer may make them slower); the 300 ms ending apart, not in it. */
  assert_true(s.wall_s >= 0.1);
  assert_true(s.teardown_s >= 0.29);
  cb_case_free_hists(&c);
}

/* A backend that takes 200 ms to prepare (before the clock) and then runs as sync does. */
static int slow_prepare(cb_job *job) {
  usleep(200000);
  return 0;
}

static const cb_backend slow_start = {
  .name = "slow-start", .summary = "test", .flags = CB_BACKEND_SERIAL, .io = &cb_io_blocking,
  .run = slow_end_run, .prepare = slow_prepare,
};

/* What a backend prepares before the clock (a loop's stack pool) is kept apart, never in the wall
 * time, and never taken for other processes' CPU. */
static void prepare_is_apart(void **state) {
  cb_params p = { .v = { 20 } };
  cb_case c = { .wl = &napper, .be = &slow_start, .params = p, .tasks = 5, .conc = 1, .eff_conc = 1 };
  snprintf(c.id, sizeof c.id, "nap-slow-start");
  cb_measure_env env = { 0 };
  cb_sample s;
  assert_int_equal(cb_runner_measure(&c, &env, &s), 0);
  assert_int_equal(s.errors, 0);
  print_message("200 ms prepared, then 5 x 20 ms: prepare %.3f s, wall %.3f s\n", s.prepare_s, s.wall_s);
  assert_true(s.prepare_s >= 0.19);
  /* The wall time starts after it: the five naps one after another, each at most the longest,
   * not the 200 ms before them (a stalled nap stretches both sides alike). */
  assert_true(s.wall_s >= 0.1);
  assert_true(s.wall_s < 5 * s.max_ms / 1e3 + 0.15);
  cb_case_free_hists(&c);
  /* uv prepares its stacks; threads has nothing to prepare. */
  cb_case u = { .wl = &napper, .be = cb_backend_find("uv"), .params = p, .tasks = 50, .conc = 50, .eff_conc = 50 };
  snprintf(u.id, sizeof u.id, "nap-uv");
  assert_int_equal(cb_runner_measure(&u, &env, &s), 0);
  assert_true(s.prepare_s > 0);
  cb_case_free_hists(&u);
  cb_case t = { .wl = &napper, .be = cb_backend_find("threads"), .params = p, .tasks = 4, .conc = 2, .eff_conc = 2 };
  snprintf(t.id, sizeof t.id, "nap-threads");
  assert_int_equal(cb_runner_measure(&t, &env, &s), 0);
  assert_true(s.prepare_s == 0);
  cb_case_free_hists(&t);
}

/* The /proc readers the measurement rests on. */
static void procfs_readers(void **state) {
  uint64_t r0 = 0, p0 = 0, r1 = 0, p1 = 0;
  assert_int_equal(cb_proc_mem_kib(0, &r0, &p0), 0);
  assert_true(r0 > 0 && p0 > 0 && p0 <= r0);
  assert_int_equal(cb_proc_mem_kib(getpid(), NULL, NULL), 0);
  /* 8 MiB touched, our own: Rss and Pss both grow by about as much. */
  size_t len = 8u << 20;
  volatile unsigned char *m = malloc(len);
  assert_non_null(m);
  for (size_t i = 0; i < len; i += 4096) m[i] = 1;
  assert_int_equal(cb_proc_mem_kib(0, &r1, &p1), 0);
  assert_true(r1 >= r0 + 7 * 1024);
  assert_true(p1 >= p0 + 7 * 1024);
  free((void *)m);
  assert_int_equal(cb_proc_pss_kib(999999999), 0);
  assert_true(cb_proc_mem_kib(999999999, NULL, NULL) < 0);

  assert_int_equal(cb_proc_state(getpid()), 'R');
  pid_t child = fork();
  if (child == 0) _exit(0);
  assert_true(child > 0);
  char st = 0;
  for (int i = 0; i < 200 && (st = cb_proc_state(child)) != 'Z'; i++) usleep(5000);
  assert_int_equal(st, 'Z');           /* exited, not yet reaped */
  assert_int_equal(waitpid(child, NULL, 0), child);
  assert_int_equal(cb_proc_state(child), 0);

  /* Busy time of the machine: at least what we spin ourselves (less a tick or two per CPU). */
  double b0, s0, b1, s1, u0, u1;
  assert_int_equal(cb_proc_cpu_busy_s(&b0, &u0, &s0), 0);
  double c0 = cb_proc_cpu_s(getpid());
  int64_t until = cb_now_ns() + 300000000;
  while (cb_now_ns() < until) {}
  double c1 = cb_proc_cpu_s(getpid());
  assert_int_equal(cb_proc_cpu_busy_s(&b1, &u1, &s1), 0);
  assert_true(s0 >= 0 && s1 >= s0 && s0 <= b0 && u0 <= b0 && u1 >= u0);
  print_message("spun %.3f s; machine busy %.3f s, in user mode %.3f s\n", c1 - c0, b1 - b0, u1 - u0);
  assert_true(b1 - b0 >= (c1 - c0) - 0.05);
  assert_true(u1 - u0 >= (c1 - c0) - 0.05);   /* a spin is user time */
}

/* Disturbed: others took over a quarter of a core on average, or a tenth of the case's own CPU
 * when that is more; not for a tick's worth. */
static void disturbed_rule(void **state) {
  cb_sample s = { .wall_s = 1.0, .user_s = 1.5, .sys_s = 0.5 };
  assert_false(cb_runner_disturbed(&s, 2));
  s.others_cpu_s = 0.01;
  assert_false(cb_runner_disturbed(&s, 2));
  s.others_cpu_s = 0.2;
  assert_false(cb_runner_disturbed(&s, 2));
  s.others_cpu_s = 0.5;
  assert_true(cb_runner_disturbed(&s, 2));
  s.others_cpu_s = 1.0;                   /* two hogs beside a case on two cores: one core's worth */
  assert_true(cb_runner_disturbed(&s, 2));
  /* A case that keeps 32 cores busy: 10% of its CPU is 3.2 s; 2 s of others does not count. */
  cb_sample big = { .wall_s = 1.0, .user_s = 32.0, .others_cpu_s = 2.0 };
  assert_false(cb_runner_disturbed(&big, 64));
  big.others_cpu_s = 4.0;
  assert_true(cb_runner_disturbed(&big, 64));
  cb_sample none = { .others_cpu_s = 5.0 };
  assert_false(cb_runner_disturbed(&none, 2));   /* no wall time: nothing was measured */
}

/* The row's busy flag: set when a kept repetition was marked busy, and only then. */
static void busy_flag_from_repetitions(void **state) {
  cb_sample reps[3] = { { .wall_s = 1.0 }, { .wall_s = 1.0 }, { .wall_s = 1.0 } };
  cb_case c = { .wl = &napper, .be = cb_backend_find("threads"), .tasks = 1, .conc = 1, .eff_conc = 1, .cores = 2,
                .reps = reps, .nreps = 3 };
  cb_row r;
  char flags[128];
  cb_row_of(&c, 1, &r);
  assert_false(r.flags & CB_FLAG_BUSY);
  reps[1].others_cpu_s = 0.9;             /* measured, but not kept as busy: no flag */
  cb_row_of(&c, 1, &r);
  assert_false(r.flags & CB_FLAG_BUSY);
  reps[2].busy = 1;
  cb_row_of(&c, 1, &r);
  assert_true(r.flags & CB_FLAG_BUSY);
  cb_flags_format(r.flags, flags, sizeof flags);
  assert_non_null(strstr(flags, "busy"));
  assert_null(strstr(flags, "load"));
}

static int count_fds(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d))) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* Case after case, on every backend, against a server: the runner ends with the descriptors it
 * started with, and no child. */
static void no_descriptor_leaks_across_cases(void **state) {
  const cb_workload *http = cb_workload_find("http");
  cb_params p;
  cb_params_defaults(http, &p);
  p.v[cb_params_index(http, "delay_ms")] = 1;
  cb_target t;
  char err[256];
  cb_server_opts so = { .site = { .pages = 10, .links = 4, .seed = 1 } };
  int before = count_fds();
  assert_int_equal(cb_target_start(&t, &so, err, sizeof err), 0);
  cb_measure_env env = { .target = &t };
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    for (int rep = 0; rep < 2; rep++) {
      cb_case c = { .wl = http, .be = *b, .params = p, .tasks = 20, .conc = 5, .eff_conc = ((*b)->flags & CB_BACKEND_SERIAL) ? 1 : 5 };
      cb_sample s;
      snprintf(c.id, sizeof c.id, "http-%s", (*b)->name);
      assert_int_equal(cb_runner_measure(&c, &env, &s), 0);
      if (s.errors) fail_msg("%s: %llu errors: %s", (*b)->name, (unsigned long long)s.errors, s.err);
      cb_case_free_hists(&c);
    }
  }
  cb_target_stop(&t);
  assert_int_equal(count_fds(), before);
  errno = 0;
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
  assert_int_equal(errno, ECHILD);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(open_loop_starts_on_schedule),
    cmocka_unit_test(open_loop_latency_counts_the_wait),
    cmocka_unit_test(closed_loop_completion_times),
    cmocka_unit_test(fork_children_memory_is_seen),
    cmocka_unit_test(threads_are_counted),
    cmocka_unit_test(fork_pool_counts_shared_pages_once),
    cmocka_unit_test(kept_memory_stays_out_of_cases),
    cmocka_unit_test(wall_ends_with_the_last_task),
    cmocka_unit_test(prepare_is_apart),
    cmocka_unit_test(procfs_readers),
    cmocka_unit_test(disturbed_rule),
    cmocka_unit_test(busy_flag_from_repetitions),
    cmocka_unit_test(no_descriptor_leaks_across_cases),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
