/* primitives.c: what a coroutine, a thread and a process cost to create and to switch, timed here; the rows and their references. */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "primitives.h"
#include "measure_int.h"
#include "capacity.h"
#include "clock.h"
#include "coro.h"
#include "procfs.h"
#include "stats.h"
#include "util.h"

/* ---- references ---------------------------------------------------------------------- */

static const char src_tlpi[] =
  "Kerrisk, The Linux Programming Interface (2010), table 28-3: 100,000 fork()+wait() in 22.27 s "
  "for a 1.70 MB process (126.93 s at 11.70 MB), Linux 2.6.27, x86-32";
static const char src_libaco[] =
  "libaco README, benchmark: acosw 10.38 ns a switch (aco_resume, a resume+yield pair, 20.76 ns), "
  "AWS c5d.large";
static const char src_eli_pinned[] =
  "Eli Bendersky, Measuring context switching and memory overheads for Linux threads (2018): "
  "futex ping-pong, both threads pinned to one core";
static const char src_eli_unpinned[] =
  "Eli Bendersky, Measuring context switching and memory overheads for Linux threads (2018): "
  "futex ping-pong, threads not pinned";
static const char short_tlpi[] = "TLPI table 28-3 (1.70 MB parent, Linux 2.6.27, 2010)";
static const char short_libaco[] = "libaco README (acosw, AWS c5d.large)";
static const char short_eli_pinned[] = "Bendersky 2018 (futex, pinned)";
static const char short_eli_unpinned[] = "Bendersky 2018 (futex, unpinned)";

/* ---- small helpers ------------------------------------------------------------------- */

static long long rlimit_cur(int res) {
  struct rlimit rl;
  if (getrlimit(res, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return -1;
  return (long long)rl.rlim_cur;
}

void cb__prim_limit_error(char *err, size_t len, const char *what, unsigned i, unsigned n, int e) {
  char nproc[32] = "unlimited";
  long long u = rlimit_cur(RLIMIT_NPROC);
  if (u >= 0) snprintf(nproc, sizeof nproc, "%lld", u);
  snprintf(err, len, "cannot create %s %u of %u: %s; the limit is one of ulimit -u (%s), kernel.threads-max (%lld), "
           "kernel.pid_max (%lld), vm.max_map_count (%lld) or a cgroup's pids.max: raise the one that binds",
           what, i, n, strerror(e), nproc, cb_read_ll("/proc/sys/kernel/threads-max", -1),
           cb_read_ll("/proc/sys/kernel/pid_max", -1), cb_read_ll("/proc/sys/vm/max_map_count", -1));
}

int cb_prim_check_limits(unsigned units, char *err, size_t len) {
  char what[96];
  snprintf(what, sizeof what, "measuring %u idle threads and %u idle processes needs %u at once", units, units, units);
  return cb_capacity_tasks(units, what, "", err, len);
}

int cb__prim_reap(pid_t pid, int *status) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -errno;
  if (status) *status = st;
  return 0;
}

/* ---- timing: calibrate a batch to the target length, then time the trials -------------- */

typedef int (*batch_fn)(cb__prim_ctx *P, void *arg, uint64_t n);

/* Each sample: microseconds per operation, divided by per_op (2 when an operation is a round
 * trip of two switches). */
static int time_batches(cb__prim_ctx *P, cb_prim_row *r, batch_fn fn, void *arg, double per_op, uint64_t max_n) {
  const cb_prim_cfg *cfg = P->cfg;
  uint64_t n = 1;
  int64_t t;
  int rc;
  /* Calibration doubles as the warm-up. */
  for (;;) {
    int64_t t0 = cb_now_ns();
    if ((rc = fn(P, arg, n)) != 0) return rc;
    t = cb_now_ns() - t0;
    if (t >= cfg->target_ns / 4 || n >= max_n) break;
    n = n * 8 > max_n ? max_n : n * 8;
  }
  double per = (double)(t > 0 ? t : 1) / (double)n;
  double want = (double)cfg->target_ns / per;
  n = want < 1 ? 1 : want > (double)max_n ? max_n : (uint64_t)want;
  r->ops = n;
  for (unsigned k = 0; k < cfg->trials; k++) {
    int64_t t0 = cb_now_ns();
    if ((rc = fn(P, arg, n)) != 0) return rc;
    t = cb_now_ns() - t0;
    r->samples[r->n++] = (double)t / (double)n / per_op / 1000.0;
  }
  return 0;
}

/* ---- coroutines ---------------------------------------------------------------------- */

typedef struct coro_bench {
  cb_coro co;
  cb_coro_stack st;
  int stop;
} coro_bench;

static void coro_noop(void *arg) { (void)arg; }

static void coro_spin(void *arg) {
  coro_bench *b = arg;
  while (!b->stop) cb_coro_yield();
}

static int batch_coro_create(cb__prim_ctx *P, void *arg, uint64_t n) {
  coro_bench *b = arg;
  for (uint64_t i = 0; i < n; i++) {
    cb_coro_init(&b->co, &b->st, coro_noop, NULL);
    cb_coro_resume(&b->co);
  }
  if (!cb_coro_done(&b->co)) {
    snprintf(P->err, sizeof P->err, "a coroutine that does nothing did not finish");
    return -EPROTO;
  }
  return 0;
}

static int batch_coro_switch(cb__prim_ctx *P, void *arg, uint64_t n) {
  coro_bench *b = arg;
  (void)P;
  for (uint64_t i = 0; i < n; i++) cb_coro_resume(&b->co);
  return 0;
}

static int coro_time(cb__prim_ctx *P, cb_prim_row *create, cb_prim_row *sw) {
  coro_bench b = { .stop = 0 };
  int rc = cb_coro_stack_alloc(&b.st, CB_PRIM_SMALL_STACK);
  if (rc != 0) {
    snprintf(P->err, sizeof P->err, "cannot map a coroutine stack: %s; vm.max_map_count is %lld", strerror(-rc),
             cb_read_ll("/proc/sys/vm/max_map_count", -1));
    return rc;
  }
  if (create && (rc = time_batches(P, create, batch_coro_create, &b, 1, 100000000ull)) != 0) goto cleanup;
  if (sw) {
    cb_coro_init(&b.co, &b.st, coro_spin, &b);
    cb_coro_resume(&b.co);
    rc = time_batches(P, sw, batch_coro_switch, &b, 2, 1000000000ull);
    b.stop = 1;
    cb_coro_resume(&b.co);
    if (!cb_coro_done(&b.co)) cb_coro_destroy(&b.co);
  }
cleanup:
  cb_coro_stack_free(&b.st);
  return rc;
}

/* ---- threads ------------------------------------------------------------------------- */

static void *thread_noop(void *arg) { return arg; }

static int batch_thread_create(cb__prim_ctx *P, void *arg, uint64_t n) {
  (void)arg;
  for (uint64_t i = 0; i < n; i++) {
    pthread_t t;
    int rc = pthread_create(&t, NULL, thread_noop, NULL);
    if (rc != 0) {
      cb__prim_limit_error(P->err, sizeof P->err, "a thread", 1, 1, rc);
      return -rc;
    }
    pthread_join(t, NULL);
  }
  return 0;
}

/* Two threads hand a futex word back and forth: 1 = the echo thread's turn, 0 = the driver's,
 * 2 = stop. */
typedef struct futex_pp {
  _Atomic int word;
} futex_pp;

static void fx_wait(_Atomic int *w, int val) {
  syscall(SYS_futex, (void *)w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void fx_wake(_Atomic int *w) {
  syscall(SYS_futex, (void *)w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *echo_thread(void *arg) {
  futex_pp *p = arg;
  for (;;) {
    int w;
    while ((w = atomic_load(&p->word)) == 0) fx_wait(&p->word, 0);
    if (w == 2) return NULL;
    atomic_store(&p->word, 0);
    fx_wake(&p->word);
  }
}

static int batch_thread_switch(cb__prim_ctx *P, void *arg, uint64_t n) {
  futex_pp *p = arg;
  (void)P;
  for (uint64_t i = 0; i < n; i++) {
    atomic_store(&p->word, 1);
    fx_wake(&p->word);
    while (atomic_load(&p->word) == 1) fx_wait(&p->word, 1);
  }
  return 0;
}

/* Pin the calling thread to the CPU it is on (threads and children it starts inherit that).
 * 1 pinned, 0 not (note says why); saved gets the affinity to restore. */
static int pin_here(cpu_set_t *saved, char *note, size_t len) {
  int rc = pthread_getaffinity_np(pthread_self(), sizeof *saved, saved);
  if (rc != 0) {
    snprintf(note, len, "pinning not possible (pthread_getaffinity_np: %s): measured unpinned", strerror(rc));
    return 0;
  }
  int cpu = sched_getcpu();
  if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, saved))
    for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, saved); cpu++) {}
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if ((rc = pthread_setaffinity_np(pthread_self(), sizeof one, &one)) != 0) {
    snprintf(note, len, "pinning not allowed (pthread_setaffinity_np: %s): measured unpinned", strerror(rc));
    return 0;
  }
  snprintf(note, len, "both on CPU %d", cpu);
  return 1;
}

static void unpin(const cpu_set_t *saved) {
  pthread_setaffinity_np(pthread_self(), sizeof *saved, saved);
}

static int thread_switch(cb__prim_ctx *P, cb_prim_row *r, int pin) {
  futex_pp p = { 0 };
  cpu_set_t saved;
  pthread_t t;
  r->pinned = pin ? pin_here(&saved, r->note, sizeof r->note) : 0;
  int rc = pthread_create(&t, NULL, echo_thread, &p);
  if (rc != 0) {
    if (r->pinned) unpin(&saved);
    cb__prim_limit_error(P->err, sizeof P->err, "a thread", 1, 1, rc);
    return -rc;
  }
  rc = time_batches(P, r, batch_thread_switch, &p, 2, 100000000ull);
  atomic_store(&p.word, 2);
  fx_wake(&p.word);
  pthread_join(t, NULL);
  if (r->pinned) unpin(&saved);
  return rc;
}

/* ---- processes ----------------------------------------------------------------------- */

static int batch_process_create(cb__prim_ctx *P, void *arg, uint64_t n) {
  (void)arg;
  for (uint64_t i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid < 0) {
      int e = errno;
      cb__prim_limit_error(P->err, sizeof P->err, "a process", 1, 1, e);
      return -e;
    }
    int st, rc = cb__prim_reap(pid, &st);
    if (rc != 0) {
      snprintf(P->err, sizeof P->err, "waitpid: %s", strerror(-rc));
      return rc;
    }
  }
  return 0;
}

typedef struct pipe_pp {
  int to_child, from_child;
} pipe_pp;

static int batch_process_switch(cb__prim_ctx *P, void *arg, uint64_t n) {
  pipe_pp *p = arg;
  char b = 'x';
  for (uint64_t i = 0; i < n; i++) {
    ssize_t w;
    while ((w = write(p->to_child, &b, 1)) < 0 && errno == EINTR) {}
    if (w != 1) {
      snprintf(P->err, sizeof P->err, "the echo process went away: write: %s", strerror(errno));
      return -EPIPE;
    }
    ssize_t r;
    while ((r = read(p->from_child, &b, 1)) < 0 && errno == EINTR) {}
    if (r != 1) {
      snprintf(P->err, sizeof P->err, "the echo process went away");
      return -EPIPE;
    }
  }
  return 0;
}

static int process_switch(cb__prim_ctx *P, cb_prim_row *r, int pin) {
  int down[2] = { -1, -1 }, up[2] = { -1, -1 };
  cpu_set_t saved;
  struct sigaction ign = { .sa_handler = SIG_IGN }, old;
  int rc = 0;
  pid_t parent = getpid(), pid = -1;
  if (pipe(down) != 0 || pipe(up) != 0) {
    rc = -errno;
    snprintf(P->err, sizeof P->err, "pipe: %s; raise ulimit -n", strerror(errno));
    goto cleanup;
  }
  r->pinned = pin ? pin_here(&saved, r->note, sizeof r->note) : 0;
  sigaction(SIGPIPE, &ign, &old);   /* an echo process that died is an error, not our death */
  fflush(NULL);
  pid = fork();
  if (pid == 0) {
    if (cb_die_with_parent(SIGKILL, parent) != 0) _exit(1);
    close(down[1]);
    close(up[0]);
    char b;
    for (;;) {
      ssize_t n = read(down[0], &b, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n != 1) _exit(0);
      while ((n = write(up[1], &b, 1)) < 0 && errno == EINTR) {}
      if (n != 1) _exit(1);
    }
  }
  if (pid < 0) {
    rc = -errno;
    cb__prim_limit_error(P->err, sizeof P->err, "a process", 1, 1, errno);
  } else {
    close(down[0]);
    close(up[1]);
    down[0] = up[1] = -1;
    pipe_pp pp = { .to_child = down[1], .from_child = up[0] };
    rc = time_batches(P, r, batch_process_switch, &pp, 2, 100000000ull);
  }
  sigaction(SIGPIPE, &old, NULL);
  if (r->pinned) unpin(&saved);
cleanup:
  for (int i = 0; i < 2; i++) {
    if (down[i] >= 0) close(down[i]);
    if (up[i] >= 0) close(up[i]);
  }
  if (pid > 0) cb__prim_reap(pid, NULL);   /* it sees end-of-file and exits */
  return rc;
}

/* ---- the rows ------------------------------------------------------------------------ */

static void rows_init(cb_prim_row *r) {
  static const char m_cc[] = "cb_coro_init + cb_coro_resume of a coroutine that returns at once, on one reused 256 KiB stack";
  static const char m_ct[] = "pthread_create (default attributes) + pthread_join of a thread that returns at once";
  static const char m_cp[] = "fork + waitpid of a child that calls _exit(0) at once";
  static const char m_sc[] = "resume + yield of a coroutine that loops yielding, divided by 2";
  static const char m_st[] = "futex ping-pong between two threads, a round trip divided by 2";
  static const char m_sp[] = "pipe ping-pong (1 byte each way) between two processes, a round trip divided by 2";
  static const char m_mc[] = "growth per coroutine with 1000 suspended at a yield, each on its own 256 KiB mmap'd stack";
  static const char m_mt[] = "growth per thread with 1000 blocked on a condition variable";
  static const char m_mp[] = "growth per child over this process and 1000 forked children blocked on a pipe read";
  for (int i = 0; i < CB_PRIM_ROWS; i++) {
    memset(&r[i], 0, sizeof r[i]);
    r[i].pinned = -1;
  }
#define ROW(i, p, mo, u, ref, src, label, me) \
  (r[i].primitive = (p), r[i].model = (mo), r[i].unit = (u), r[i].reference = (ref), r[i].source = (src), \
   r[i].source_short = (label), r[i].method = (me))
  ROW(CB_PRIM_CREATE_CORO, "create_join", "coroutine", "us", NULL, NULL, NULL, m_cc);
  ROW(CB_PRIM_CREATE_THREAD, "create_join", "thread", "us", NULL, NULL, NULL, m_ct);
  ROW(CB_PRIM_CREATE_PROC, "create_join", "process", "us", "223", src_tlpi, short_tlpi, m_cp);
  ROW(CB_PRIM_SW_CORO, "switch", "coroutine", "us", "0.0104", src_libaco, short_libaco, m_sc);
  ROW(CB_PRIM_SW_THREAD, "switch", "thread", "us", "1.2-1.5", src_eli_pinned, short_eli_pinned, m_st);
  ROW(CB_PRIM_SW_THREAD_FREE, "switch", "thread-unpinned", "us", "2.2", src_eli_unpinned, short_eli_unpinned, m_st);
  ROW(CB_PRIM_SW_PROC, "switch", "process", "us", NULL, NULL, NULL, m_sp);
  ROW(CB_PRIM_SW_PROC_FREE, "switch", "process-unpinned", "us", NULL, NULL, NULL, m_sp);
  ROW(CB_PRIM_MEM_CORO, "idle_memory", "coroutine", "KiB", NULL, NULL, NULL, m_mc);
  ROW(CB_PRIM_MEM_THREAD, "idle_memory", "thread", "KiB", NULL, NULL, NULL, m_mt);
  ROW(CB_PRIM_MEM_THREAD_SMALL, "idle_memory", "thread-256k", "KiB", NULL, NULL, NULL, m_mt);
  ROW(CB_PRIM_MEM_PROC, "idle_memory", "process", "KiB", NULL, NULL, NULL, m_mp);
  ROW(CB_PRIM_RSS_CORO, "idle_memory_rss", "coroutine", "KiB", NULL, NULL, NULL, m_mc);
  ROW(CB_PRIM_RSS_THREAD, "idle_memory_rss", "thread", "KiB", NULL, NULL, NULL, m_mt);
  ROW(CB_PRIM_RSS_THREAD_SMALL, "idle_memory_rss", "thread-256k", "KiB", NULL, NULL, NULL, m_mt);
  ROW(CB_PRIM_RSS_PROC, "idle_memory_rss", "process", "KiB", NULL, NULL, NULL, m_mp);
#undef ROW
}

static void step_begin(cb_prim_progress_fn progress, void *arg, int step, int total, const char *what) {
  if (progress) progress(arg, step, total, what);
}

static size_t default_thread_stack(void) {
  pthread_attr_t a;
  size_t s = 0;
  if (pthread_getattr_default_np(&a) == 0) {
    pthread_attr_getstacksize(&a, &s);
    pthread_attr_destroy(&a);
  }
  return s;
}

/* Every step in turn; the first that fails ends it, its message in P->err. */
static int measure_steps(cb__prim_ctx *P, cb_prim_row *r, cb_prim_progress_fn progress, void *arg) {
  int rc, step = 0;
  const int total = 12;
  uint64_t rss;

  step_begin(progress, arg, ++step, total, "create_join coroutine");
  if ((rc = coro_time(P, &r[CB_PRIM_CREATE_CORO], NULL)) != 0) return rc;
  step_begin(progress, arg, ++step, total, "create_join thread");
  if ((rc = time_batches(P, &r[CB_PRIM_CREATE_THREAD], batch_thread_create, NULL, 1, 10000000ull)) != 0) return rc;
  step_begin(progress, arg, ++step, total, "create_join process");
  if (cb_proc_mem_kib(0, &rss, NULL) == 0) r[CB_PRIM_CREATE_PROC].parent_rss_kib = (double)rss;
  fflush(NULL);
  if ((rc = time_batches(P, &r[CB_PRIM_CREATE_PROC], batch_process_create, NULL, 1, 1000000ull)) != 0) return rc;

  step_begin(progress, arg, ++step, total, "switch coroutine");
  if ((rc = coro_time(P, NULL, &r[CB_PRIM_SW_CORO])) != 0) return rc;
  step_begin(progress, arg, ++step, total, "switch thread (pinned)");
  if ((rc = thread_switch(P, &r[CB_PRIM_SW_THREAD], 1)) != 0) return rc;
  step_begin(progress, arg, ++step, total, "switch thread (unpinned)");
  if ((rc = thread_switch(P, &r[CB_PRIM_SW_THREAD_FREE], 0)) != 0) return rc;
  step_begin(progress, arg, ++step, total, "switch process (pinned)");
  if ((rc = process_switch(P, &r[CB_PRIM_SW_PROC], 1)) != 0) return rc;
  step_begin(progress, arg, ++step, total, "switch process (unpinned)");
  if ((rc = process_switch(P, &r[CB_PRIM_SW_PROC_FREE], 0)) != 0) return rc;

  size_t dstack = default_thread_stack();
  r[CB_PRIM_MEM_CORO].stack_kib = r[CB_PRIM_RSS_CORO].stack_kib = CB_PRIM_SMALL_STACK / 1024.0;
  r[CB_PRIM_MEM_THREAD].stack_kib = r[CB_PRIM_RSS_THREAD].stack_kib = dstack / 1024.0;
  r[CB_PRIM_MEM_THREAD_SMALL].stack_kib = r[CB_PRIM_RSS_THREAD_SMALL].stack_kib = CB_PRIM_SMALL_STACK / 1024.0;
  step_begin(progress, arg, ++step, total, "idle_memory coroutine");
  if ((rc = cb__prim_memory_rows(P, 0, 0, &r[CB_PRIM_MEM_CORO], &r[CB_PRIM_RSS_CORO])) != 0) return rc;
  step_begin(progress, arg, ++step, total, "idle_memory thread (default stack)");
  if ((rc = cb__prim_memory_rows(P, 1, 0, &r[CB_PRIM_MEM_THREAD], &r[CB_PRIM_RSS_THREAD])) != 0) return rc;
  step_begin(progress, arg, ++step, total, "idle_memory thread (256 KiB stack)");
  if ((rc = cb__prim_memory_rows(P, 1, CB_PRIM_SMALL_STACK, &r[CB_PRIM_MEM_THREAD_SMALL], &r[CB_PRIM_RSS_THREAD_SMALL])) != 0) return rc;
  step_begin(progress, arg, ++step, total, "idle_memory process");
  if ((rc = cb__prim_memory_rows(P, 2, 0, &r[CB_PRIM_MEM_PROC], &r[CB_PRIM_RSS_PROC])) != 0) return rc;

  return 0;
}

int cb_prim_noisy(const double *samples, unsigned n, double *cv) {
  double c = 0;
  if (n >= 2) {
    cb_stats st;
    cb_stats_of(samples, n, &st);
    if (st.mean != 0) c = st.stddev / (st.mean < 0 ? -st.mean : st.mean);
  }
  if (cv) *cv = c;
  return c > CB_PRIM_NOISY_CV;
}

int cb_prim_measure(const cb_prim_cfg *cfg, cb_prim_row *r, cb_prim_progress_fn progress, void *arg,
                    char *err, size_t len) {
  cb__prim_ctx *P = calloc(1, sizeof *P);
  if (!P) {
    snprintf(err, len, "out of memory");
    return -ENOMEM;
  }
  P->cfg = cfg;
  rows_init(r);
  int rc = -EINVAL;
  if (cfg->trials < 1 || cfg->trials > CB_PRIM_MAX_TRIALS || cfg->units < 1) {
    snprintf(err, len, "trials must be 1 to %d and units at least 1", CB_PRIM_MAX_TRIALS);
    goto cleanup;
  }
  rc = measure_steps(P, r, progress, arg);
  if (rc != 0) {
    snprintf(err, len, "%s", P->err[0] ? P->err : strerror(-rc));
    goto cleanup;
  }
  for (int i = 0; i < CB_PRIM_ROWS; i++) {
    r[i].value = cb_median(r[i].samples, r[i].n);
    r[i].min = r[i].samples[0];
    for (unsigned k = 1; k < r[i].n; k++)
      if (r[i].samples[k] < r[i].min) r[i].min = r[i].samples[k];
    r[i].noisy = cb_prim_noisy(r[i].samples, r[i].n, &r[i].cv);
  }
cleanup:
  free(P);
  return rc;
}

