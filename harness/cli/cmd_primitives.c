/* cmd_primitives.c: `concbench primitives`: what a coroutine, a thread and a process cost at the bottom, beside published figures. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <cjson/cJSON.h>
#include "cmd.h"
#include "capacity.h"
#include "clock.h"
#include "coro.h"
#include "env.h"
#include "stats.h"
#include "util.h"

#define MAX_TRIALS 7
#define IDLE_UNITS 1000u
#define SMALL_STACK (256u * 1024u)     /* the project's default coroutine and thread stack */
#define LAB_TIMEOUT_MS 120000          /* a measurement child that takes longer is stuck */

static const char prim_usage[] =
  "usage: concbench primitives [-o DIR] [--quick] [--quiet]\n"
  "\n"
  "Measures on this machine what the concurrency models cost at the bottom, and prints each\n"
  "figure beside a published reference and its source:\n"
  "  create_join   start a coroutine, a thread or a process that does nothing; wait for its end\n"
  "  switch        one switch between two coroutines, two threads, two processes\n"
  "  idle_memory   memory held per idle coroutine, thread or process (1000 of each at once)\n"
  "Each figure is the median of 7 trials (3 with --quick), the fastest beside it.\n"
  "\n"
  "  -o, --output DIR   where results go (default results/primitives-<timestamp>/)\n"
  "      --quick        fewer and shorter trials (a few seconds); noisier figures\n"
  "  -q, --quiet        no table, no progress\n"
  "  -h, --help         this text\n"
  "\n"
  "Writes DIR/results.csv (primitive,model,value,min,unit,trials,reference,reference_source)\n"
  "and DIR/results.json (the same with every trial and the environment).\n"
  "Exit status: 0 fine; 1 a thread or process could not be created (a limit) or the results\n"
  "could not be written; 2 bad usage.\n";

typedef struct prim_cfg {
  unsigned trials;         /* per figure */
  int64_t target_ns;       /* how long one timed trial should take */
  unsigned units;          /* idle units alive at once in a memory trial */
  int quick, quiet, tty;
} prim_cfg;

typedef struct prim_row {
  const char *primitive, *model, *unit;
  const char *reference;   /* in the row's unit; NULL when no published figure is cited */
  const char *source;
  const char *method;
  char note[200];
  double samples[MAX_TRIALS];
  unsigned n;
  double value, min;
  uint64_t ops;            /* operations per timed trial; 0 for memory rows */
  unsigned units;          /* idle units per memory trial; 0 for time rows */
  double kernel_kib[MAX_TRIALS];   /* memory rows: system KernelStack + PageTables growth per unit */
  unsigned nk;
  int pinned;              /* switch rows: 1 pinned, 0 not, -1 n/a */
  double stack_kib;        /* 0: n/a */
  double parent_rss_kib;   /* process create_join: the forking process's RSS; 0: n/a */
} prim_row;

typedef struct prim_ctx {
  const prim_cfg *cfg;
  char err[512];
} prim_ctx;

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

/* ---- small helpers ------------------------------------------------------------------- */

static long long rlimit_cur(int res) {
  struct rlimit rl;
  if (getrlimit(res, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return -1;
  return (long long)rl.rlim_cur;
}

/* "what i of n: strerror; the limits that can refuse it". */
static void limit_error(char *err, size_t len, const char *what, unsigned i, unsigned n, int e) {
  char nproc[32] = "unlimited";
  long long u = rlimit_cur(RLIMIT_NPROC);
  if (u >= 0) snprintf(nproc, sizeof nproc, "%lld", u);
  snprintf(err, len, "cannot create %s %u of %u: %s; the limit is one of ulimit -u (%s), kernel.threads-max (%lld), "
           "kernel.pid_max (%lld), vm.max_map_count (%lld) or a cgroup's pids.max: raise the one that binds",
           what, i, n, strerror(e), nproc, cb_read_ll("/proc/sys/kernel/threads-max", -1),
           cb_read_ll("/proc/sys/kernel/pid_max", -1), cb_read_ll("/proc/sys/vm/max_map_count", -1));
}


/* The idle-memory trials keep `units` threads or processes alive at once: refuse before
 * measuring anything when a limit would stop them. 0 or -1 with err set. */
static int check_limits(unsigned units, char *err, size_t len) {
  char what[96];
  snprintf(what, sizeof what, "measuring %u idle threads and %u idle processes needs %u at once", units, units, units);
  return cb_capacity_tasks(units, what, "", err, len);
}

/* Rss and Pss of a process (0: ourselves) in KiB, from smaps_rollup (smaps on kernels before
 * 4.14). 0 or -errno. */
static int read_mem(pid_t pid, double *rss, double *pss) {
  char path[64], line[256];
  if (pid) snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
  else snprintf(path, sizeof path, "/proc/self/smaps_rollup");
  FILE *f = fopen(path, "r");
  if (!f && errno == ENOENT) {
    if (pid) snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    else snprintf(path, sizeof path, "/proc/self/smaps");
    f = fopen(path, "r");
  }
  if (!f) return -errno;
  double r = 0, p = 0;
  int seen = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "Rss:", 4) == 0) { r += atof(line + 4); seen |= 1; }
    else if (strncmp(line, "Pss:", 4) == 0) { p += atof(line + 4); seen |= 2; }
  }
  fclose(f);
  if (seen != 3) return -ENODATA;
  *rss = r;
  *pss = p;
  return 0;
}

/* KernelStack + PageTables of the whole system, KiB: what an idle unit costs that RSS and PSS
 * do not show. System-wide, so other activity adds noise. */
static double kernel_kib(void) {
  char line[256];
  double v = 0;
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "KernelStack:", 12) == 0) v += atof(line + 12);
    else if (strncmp(line, "PageTables:", 11) == 0) v += atof(line + 11);
  fclose(f);
  return v;
}

static int reap(pid_t pid, int *status) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -errno;
  if (status) *status = st;
  return 0;
}

/* Die with the parent rather than outlive it; the check closes the race with an early exit. */
static void child_guard(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
}

static int read_full(int fd, void *buf, size_t len, int timeout_ms) {
  char *p = buf;
  int64_t end = cb_now_ns() + (int64_t)timeout_ms * 1000000;
  while (len) {
    struct pollfd pf = { .fd = fd, .events = POLLIN };
    int64_t left = (end - cb_now_ns()) / 1000000;
    if (left <= 0) return -ETIMEDOUT;
    int pr = poll(&pf, 1, (int)left);
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) return -errno;
    if (pr == 0) return -ETIMEDOUT;
    ssize_t r = read(fd, p, len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -errno;
    if (r == 0) return -EPIPE;
    p += r;
    len -= (size_t)r;
  }
  return 0;
}

/* ---- timing: calibrate a batch to the target length, then time the trials -------------- */

typedef int (*batch_fn)(prim_ctx *P, void *arg, uint64_t n);

/* Each sample: microseconds per operation, divided by per_op (2 when an operation is a round
 * trip of two switches). */
static int time_batches(prim_ctx *P, prim_row *r, batch_fn fn, void *arg, double per_op, uint64_t max_n) {
  const prim_cfg *cfg = P->cfg;
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

static int batch_coro_create(prim_ctx *P, void *arg, uint64_t n) {
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

static int batch_coro_switch(prim_ctx *P, void *arg, uint64_t n) {
  coro_bench *b = arg;
  (void)P;
  for (uint64_t i = 0; i < n; i++) cb_coro_resume(&b->co);
  return 0;
}

static int coro_time(prim_ctx *P, prim_row *create, prim_row *sw) {
  coro_bench b = { .stop = 0 };
  int rc = cb_coro_stack_alloc(&b.st, SMALL_STACK);
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

static int batch_thread_create(prim_ctx *P, void *arg, uint64_t n) {
  (void)arg;
  for (uint64_t i = 0; i < n; i++) {
    pthread_t t;
    int rc = pthread_create(&t, NULL, thread_noop, NULL);
    if (rc != 0) {
      limit_error(P->err, sizeof P->err, "a thread", 1, 1, rc);
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

static int batch_thread_switch(prim_ctx *P, void *arg, uint64_t n) {
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

static int thread_switch(prim_ctx *P, prim_row *r, int pin) {
  futex_pp p = { 0 };
  cpu_set_t saved;
  pthread_t t;
  r->pinned = pin ? pin_here(&saved, r->note, sizeof r->note) : 0;
  int rc = pthread_create(&t, NULL, echo_thread, &p);
  if (rc != 0) {
    if (r->pinned) unpin(&saved);
    limit_error(P->err, sizeof P->err, "a thread", 1, 1, rc);
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

static int batch_process_create(prim_ctx *P, void *arg, uint64_t n) {
  (void)arg;
  for (uint64_t i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid < 0) {
      int e = errno;
      limit_error(P->err, sizeof P->err, "a process", 1, 1, e);
      return -e;
    }
    int st, rc = reap(pid, &st);
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

static int batch_process_switch(prim_ctx *P, void *arg, uint64_t n) {
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

static int process_switch(prim_ctx *P, prim_row *r, int pin) {
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
    child_guard(parent);
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
    limit_error(P->err, sizeof P->err, "a process", 1, 1, errno);
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
  if (pid > 0) reap(pid, NULL);   /* it sees end-of-file and exits */
  return rc;
}

/* ---- idle memory --------------------------------------------------------------------- */

/* What a measurement child reports: per-unit growth, or an error. */
typedef struct lab_result {
  int err;           /* 0 or an errno value */
  unsigned made;     /* units created before the error */
  int what;          /* LAB_* of the failing step */
  double rss_kib, pss_kib, kernel_kib;   /* growth per unit */
} lab_result;

enum { LAB_OK, LAB_STACK, LAB_THREAD, LAB_ALLOC, LAB_MEM };

typedef struct idle_threads {
  pthread_mutex_t mu;
  pthread_cond_t ready_cv, go_cv;
  unsigned ready;
  int release;
} idle_threads;

static void *idle_thread(void *arg) {
  idle_threads *s = arg;
  pthread_mutex_lock(&s->mu);
  s->ready++;
  pthread_cond_signal(&s->ready_cv);
  while (!s->release) pthread_cond_wait(&s->go_cv, &s->mu);
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

static void lab_threads(unsigned n, size_t stack, lab_result *res) {
  idle_threads s = { .ready = 0, .release = 0 };
  pthread_attr_t attr;
  double rss0, pss0, rss1, pss1;
  pthread_mutex_init(&s.mu, NULL);
  pthread_cond_init(&s.ready_cv, NULL);
  pthread_cond_init(&s.go_cv, NULL);
  pthread_attr_init(&attr);
  if (stack) pthread_attr_setstacksize(&attr, stack);
  double k0 = kernel_kib();
  int rc = read_mem(0, &rss0, &pss0);
  pthread_t *t = rc == 0 ? calloc(n, sizeof *t) : NULL;
  if (rc != 0) { res->err = -rc; res->what = LAB_MEM; goto cleanup; }
  if (!t) { res->err = ENOMEM; res->what = LAB_ALLOC; goto cleanup; }
  for (; res->made < n; res->made++)
    if ((rc = pthread_create(&t[res->made], &attr, idle_thread, &s)) != 0) {
      res->err = rc;
      res->what = LAB_THREAD;
      break;
    }
  pthread_mutex_lock(&s.mu);
  while (s.ready < res->made) pthread_cond_wait(&s.ready_cv, &s.mu);
  pthread_mutex_unlock(&s.mu);
  if (!res->err) {
    if ((rc = read_mem(0, &rss1, &pss1)) != 0) {
      res->err = -rc;
      res->what = LAB_MEM;
    } else {
      res->rss_kib = (rss1 - rss0) / n;
      res->pss_kib = (pss1 - pss0) / n;
      res->kernel_kib = (kernel_kib() - k0) / n;
    }
  }
  pthread_mutex_lock(&s.mu);
  s.release = 1;
  pthread_cond_broadcast(&s.go_cv);
  pthread_mutex_unlock(&s.mu);
  for (unsigned i = 0; i < res->made; i++) pthread_join(t[i], NULL);
cleanup:
  free(t);
  pthread_attr_destroy(&attr);
  pthread_cond_destroy(&s.go_cv);
  pthread_cond_destroy(&s.ready_cv);
  pthread_mutex_destroy(&s.mu);
}

static int idle_coro_stop;

static void idle_coro(void *arg) {
  (void)arg;
  while (!idle_coro_stop) cb_coro_yield();
}

static void lab_coros(unsigned n, lab_result *res) {
  double rss0, pss0, rss1, pss1;
  double k0 = kernel_kib();
  int rc = read_mem(0, &rss0, &pss0);
  if (rc != 0) { res->err = -rc; res->what = LAB_MEM; return; }
  cb_coro *co = calloc(n, sizeof *co);
  cb_coro_stack *st = calloc(n, sizeof *st);
  if (!co || !st) { res->err = ENOMEM; res->what = LAB_ALLOC; goto cleanup; }
  idle_coro_stop = 0;
  for (; res->made < n; res->made++) {
    if ((rc = cb_coro_stack_alloc(&st[res->made], SMALL_STACK)) != 0) {
      res->err = -rc;
      res->what = LAB_STACK;
      break;
    }
    cb_coro_init(&co[res->made], &st[res->made], idle_coro, NULL);
    cb_coro_resume(&co[res->made]);   /* runs to its yield: the stack's first page is touched */
  }
  if (!res->err) {
    if ((rc = read_mem(0, &rss1, &pss1)) != 0) {
      res->err = -rc;
      res->what = LAB_MEM;
    } else {
      res->rss_kib = (rss1 - rss0) / n;
      res->pss_kib = (pss1 - pss0) / n;
      res->kernel_kib = (kernel_kib() - k0) / n;
    }
  }
  idle_coro_stop = 1;
  for (unsigned i = 0; i < res->made; i++) {
    cb_coro_resume(&co[i]);
    if (!cb_coro_done(&co[i])) cb_coro_destroy(&co[i]);
    cb_coro_stack_free(&st[i]);
  }
cleanup:
  free(co);
  free(st);
}

/* One memory trial in a fresh child, so every trial starts from the same state (no stacks
 * cached by an earlier trial) and whatever it leaves goes with it. kind: 0 coroutines,
 * 1 threads. */
static int lab_run(prim_ctx *P, int kind, size_t stack, lab_result *res) {
  int fds[2];
  memset(res, 0, sizeof *res);
  if (pipe(fds) != 0) {
    snprintf(P->err, sizeof P->err, "pipe: %s; raise ulimit -n", strerror(errno));
    return -errno;
  }
  pid_t parent = getpid();
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    child_guard(parent);
    close(fds[0]);
    lab_result r = { 0 };
    if (kind == 0) lab_coros(P->cfg->units, &r);
    else lab_threads(P->cfg->units, stack, &r);
    ssize_t w = write(fds[1], &r, sizeof r);
    _exit(w == (ssize_t)sizeof r ? 0 : 1);
  }
  int e = errno;
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    limit_error(P->err, sizeof P->err, "a measurement process", 1, 1, e);
    return -e;
  }
  int rc = read_full(fds[0], res, sizeof *res, LAB_TIMEOUT_MS);
  close(fds[0]);
  if (rc == -ETIMEDOUT) kill(pid, SIGKILL);
  int st = 0;
  reap(pid, &st);
  const char *what = kind == 0 ? "coroutines" : "threads";
  if (rc != 0) {
    if (WIFSIGNALED(st))
      snprintf(P->err, sizeof P->err, "the process measuring idle %s died of %s", what, strsignal(WTERMSIG(st)));
    else
      snprintf(P->err, sizeof P->err, "the process measuring idle %s %s", what,
               rc == -ETIMEDOUT ? "did not finish within 120 s" : "ended without a result");
    return rc;
  }
  if (res->err) {
    unsigned n = P->cfg->units;
    if (res->what == LAB_THREAD) {
      char t[64];
      snprintf(t, sizeof t, "idle thread (stack %zu KiB)", stack ? stack / 1024 : 0);
      limit_error(P->err, sizeof P->err, stack ? t : "idle thread", res->made + 1, n, res->err);
    } else if (res->what == LAB_STACK) {
      snprintf(P->err, sizeof P->err, "cannot map idle coroutine stack %u of %u: %s; vm.max_map_count is %lld "
               "(each stack takes two maps) and memory may be short", res->made + 1, n, strerror(res->err),
               cb_read_ll("/proc/sys/vm/max_map_count", -1));
    } else {
      snprintf(P->err, sizeof P->err, "measuring idle %s: %s", what, strerror(res->err));
    }
    return -res->err;
  }
  return 0;
}

/* Idle processes: children of this process, each blocked reading a pipe. Per unit: the growth
 * of PSS (or RSS) over this process and all the children. */
static int lab_processes(prim_ctx *P, lab_result *res) {
  unsigned n = P->cfg->units, made = 0;
  int hold[2] = { -1, -1 }, ready[2] = { -1, -1 }, rc = 0;
  double rss0, pss0, rss, pss;
  pid_t parent = getpid();
  pid_t *pids = calloc(n, sizeof *pids);
  memset(res, 0, sizeof *res);
  if (!pids) { snprintf(P->err, sizeof P->err, "out of memory"); return -ENOMEM; }
  if (pipe(hold) != 0 || pipe(ready) != 0) {
    rc = -errno;
    snprintf(P->err, sizeof P->err, "pipe: %s; raise ulimit -n", strerror(errno));
    goto cleanup;
  }
  double k0 = kernel_kib();
  if ((rc = read_mem(0, &rss0, &pss0)) != 0) {
    snprintf(P->err, sizeof P->err, "cannot read /proc/self/smaps_rollup: %s", strerror(-rc));
    goto cleanup;
  }
  fflush(NULL);
  for (; made < n; made++) {
    pid_t pid = fork();
    if (pid == 0) {
      child_guard(parent);
      close(hold[1]);
      close(ready[0]);
      char b = 'r';
      if (write(ready[1], &b, 1) != 1) _exit(1);
      close(ready[1]);
      while (read(hold[0], &b, 1) < 0 && errno == EINTR) {}
      _exit(0);
    }
    if (pid < 0) {
      rc = -errno;
      limit_error(P->err, sizeof P->err, "idle process", made + 1, n, errno);
      goto cleanup;
    }
    pids[made] = pid;
  }
  close(ready[1]);
  ready[1] = -1;
  for (unsigned got = 0; got < n; got++) {
    char b;
    if ((rc = read_full(ready[0], &b, 1, LAB_TIMEOUT_MS)) != 0) {
      snprintf(P->err, sizeof P->err, "only %u of %u idle processes started", got, n);
      goto cleanup;
    }
  }
  if ((rc = read_mem(0, &rss, &pss)) != 0) {
    snprintf(P->err, sizeof P->err, "cannot read /proc/self/smaps_rollup: %s", strerror(-rc));
    goto cleanup;
  }
  for (unsigned i = 0; i < n; i++) {
    double r, p;
    if ((rc = read_mem(pids[i], &r, &p)) != 0) {
      snprintf(P->err, sizeof P->err, "cannot read /proc/%d/smaps_rollup: %s", (int)pids[i], strerror(-rc));
      goto cleanup;
    }
    rss += r;
    pss += p;
  }
  res->rss_kib = (rss - rss0) / n;
  res->pss_kib = (pss - pss0) / n;
  res->kernel_kib = (kernel_kib() - k0) / n;

cleanup:
  /* Closing the last write end lets every child read end-of-file and exit; then reap them. */
  for (int i = 0; i < 2; i++) {
    if (hold[i] >= 0) close(hold[i]);
    if (ready[i] >= 0) close(ready[i]);
  }
  for (unsigned i = 0; i < made; i++) reap(pids[i], NULL);
  free(pids);
  return rc;
}

/* ---- the rows ------------------------------------------------------------------------ */

enum {
  R_CREATE_CORO, R_CREATE_THREAD, R_CREATE_PROC,
  R_SW_CORO, R_SW_THREAD, R_SW_THREAD_FREE, R_SW_PROC, R_SW_PROC_FREE,
  R_MEM_CORO, R_MEM_THREAD, R_MEM_THREAD_SMALL, R_MEM_PROC,
  R_RSS_CORO, R_RSS_THREAD, R_RSS_THREAD_SMALL, R_RSS_PROC,
  R_COUNT
};

static void rows_init(prim_row *r) {
  static const char m_cc[] = "cb_coro_init + cb_coro_resume of a coroutine that returns at once, on one reused 256 KiB stack";
  static const char m_ct[] = "pthread_create (default attributes) + pthread_join of a thread that returns at once";
  static const char m_cp[] = "fork + waitpid of a child that calls _exit(0) at once";
  static const char m_sc[] = "resume + yield of a coroutine that loops yielding, divided by 2";
  static const char m_st[] = "futex ping-pong between two threads, a round trip divided by 2";
  static const char m_sp[] = "pipe ping-pong (1 byte each way) between two processes, a round trip divided by 2";
  static const char m_mc[] = "growth per coroutine with 1000 suspended at a yield, each on its own 256 KiB mmap'd stack";
  static const char m_mt[] = "growth per thread with 1000 blocked on a condition variable";
  static const char m_mp[] = "growth per child over this process and 1000 forked children blocked on a pipe read";
  for (int i = 0; i < R_COUNT; i++) {
    memset(&r[i], 0, sizeof r[i]);
    r[i].pinned = -1;
  }
#define ROW(i, p, mo, u, ref, src, me) \
  (r[i].primitive = (p), r[i].model = (mo), r[i].unit = (u), r[i].reference = (ref), r[i].source = (src), r[i].method = (me))
  ROW(R_CREATE_CORO, "create_join", "coroutine", "us", NULL, NULL, m_cc);
  ROW(R_CREATE_THREAD, "create_join", "thread", "us", NULL, NULL, m_ct);
  ROW(R_CREATE_PROC, "create_join", "process", "us", "223", src_tlpi, m_cp);
  ROW(R_SW_CORO, "switch", "coroutine", "us", "0.0104", src_libaco, m_sc);
  ROW(R_SW_THREAD, "switch", "thread", "us", "1.2-1.5", src_eli_pinned, m_st);
  ROW(R_SW_THREAD_FREE, "switch", "thread-unpinned", "us", "2.2", src_eli_unpinned, m_st);
  ROW(R_SW_PROC, "switch", "process", "us", NULL, NULL, m_sp);
  ROW(R_SW_PROC_FREE, "switch", "process-unpinned", "us", NULL, NULL, m_sp);
  ROW(R_MEM_CORO, "idle_memory", "coroutine", "KiB", NULL, NULL, m_mc);
  ROW(R_MEM_THREAD, "idle_memory", "thread", "KiB", NULL, NULL, m_mt);
  ROW(R_MEM_THREAD_SMALL, "idle_memory", "thread-256k", "KiB", NULL, NULL, m_mt);
  ROW(R_MEM_PROC, "idle_memory", "process", "KiB", NULL, NULL, m_mp);
  ROW(R_RSS_CORO, "idle_memory_rss", "coroutine", "KiB", NULL, NULL, m_mc);
  ROW(R_RSS_THREAD, "idle_memory_rss", "thread", "KiB", NULL, NULL, m_mt);
  ROW(R_RSS_THREAD_SMALL, "idle_memory_rss", "thread-256k", "KiB", NULL, NULL, m_mt);
  ROW(R_RSS_PROC, "idle_memory_rss", "process", "KiB", NULL, NULL, m_mp);
#undef ROW
}

static void progress(const prim_cfg *cfg, int step, int total, const char *what) {
  if (!cfg->tty) return;
  fprintf(stderr, "\r\033[K[%d/%d] %s", step, total, what);
  fflush(stderr);
}

/* Memory rows: `trials` fresh trials of one kind. */
static int memory_rows(prim_ctx *P, int kind, size_t stack, prim_row *pss, prim_row *rss) {
  for (unsigned k = 0; k < P->cfg->trials; k++) {
    lab_result res;
    int rc = kind == 2 ? lab_processes(P, &res) : lab_run(P, kind, stack, &res);
    if (rc != 0) return rc;
    pss->samples[pss->n++] = res.pss_kib;
    rss->samples[rss->n++] = res.rss_kib;
    pss->kernel_kib[pss->nk++] = res.kernel_kib;
    rss->kernel_kib[rss->nk++] = res.kernel_kib;
  }
  pss->units = rss->units = P->cfg->units;
  return 0;
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

static int measure_all(prim_ctx *P, prim_row *r) {
  const prim_cfg *cfg = P->cfg;
  int rc, step = 0;
  const int total = 12;
  double rss, pss;

  progress(cfg, ++step, total, "create_join coroutine");
  if ((rc = coro_time(P, &r[R_CREATE_CORO], NULL)) != 0) return rc;
  progress(cfg, ++step, total, "create_join thread");
  if ((rc = time_batches(P, &r[R_CREATE_THREAD], batch_thread_create, NULL, 1, 10000000ull)) != 0) return rc;
  progress(cfg, ++step, total, "create_join process");
  if (read_mem(0, &rss, &pss) == 0) r[R_CREATE_PROC].parent_rss_kib = rss;
  fflush(NULL);
  if ((rc = time_batches(P, &r[R_CREATE_PROC], batch_process_create, NULL, 1, 1000000ull)) != 0) return rc;

  progress(cfg, ++step, total, "switch coroutine");
  if ((rc = coro_time(P, NULL, &r[R_SW_CORO])) != 0) return rc;
  progress(cfg, ++step, total, "switch thread (pinned)");
  if ((rc = thread_switch(P, &r[R_SW_THREAD], 1)) != 0) return rc;
  progress(cfg, ++step, total, "switch thread (unpinned)");
  if ((rc = thread_switch(P, &r[R_SW_THREAD_FREE], 0)) != 0) return rc;
  progress(cfg, ++step, total, "switch process (pinned)");
  if ((rc = process_switch(P, &r[R_SW_PROC], 1)) != 0) return rc;
  progress(cfg, ++step, total, "switch process (unpinned)");
  if ((rc = process_switch(P, &r[R_SW_PROC_FREE], 0)) != 0) return rc;

  size_t dstack = default_thread_stack();
  r[R_MEM_CORO].stack_kib = r[R_RSS_CORO].stack_kib = SMALL_STACK / 1024.0;
  r[R_MEM_THREAD].stack_kib = r[R_RSS_THREAD].stack_kib = dstack / 1024.0;
  r[R_MEM_THREAD_SMALL].stack_kib = r[R_RSS_THREAD_SMALL].stack_kib = SMALL_STACK / 1024.0;
  progress(cfg, ++step, total, "idle_memory coroutine");
  if ((rc = memory_rows(P, 0, 0, &r[R_MEM_CORO], &r[R_RSS_CORO])) != 0) return rc;
  progress(cfg, ++step, total, "idle_memory thread (default stack)");
  if ((rc = memory_rows(P, 1, 0, &r[R_MEM_THREAD], &r[R_RSS_THREAD])) != 0) return rc;
  progress(cfg, ++step, total, "idle_memory thread (256 KiB stack)");
  if ((rc = memory_rows(P, 1, SMALL_STACK, &r[R_MEM_THREAD_SMALL], &r[R_RSS_THREAD_SMALL])) != 0) return rc;
  progress(cfg, ++step, total, "idle_memory process");
  if ((rc = memory_rows(P, 2, 0, &r[R_MEM_PROC], &r[R_RSS_PROC])) != 0) return rc;

  for (int i = 0; i < R_COUNT; i++) {
    r[i].value = cb_median(r[i].samples, r[i].n);
    r[i].min = r[i].samples[0];
    for (unsigned k = 1; k < r[i].n; k++)
      if (r[i].samples[k] < r[i].min) r[i].min = r[i].samples[k];
  }
  return 0;
}

/* ---- output -------------------------------------------------------------------------- */

static void fmt_num(char *buf, size_t len, double v) {
  double a = fabs(v);
  if (a >= 100) snprintf(buf, len, "%.0f", v);
  else if (a >= 10) snprintf(buf, len, "%.1f", v);
  else if (a >= 1) snprintf(buf, len, "%.2f", v);
  else snprintf(buf, len, "%.3g", v);
}

static void short_source(char *buf, size_t len, const char *src) {
  if (!src) snprintf(buf, len, "-");
  else if (src == src_tlpi) snprintf(buf, len, "TLPI table 28-3 (1.70 MB parent, Linux 2.6.27, 2010)");
  else if (src == src_libaco) snprintf(buf, len, "libaco README (acosw, AWS c5d.large)");
  else if (src == src_eli_pinned) snprintf(buf, len, "Bendersky 2018 (futex, pinned)");
  else if (src == src_eli_unpinned) snprintf(buf, len, "Bendersky 2018 (futex, unpinned)");
  else snprintf(buf, len, "%s", src);
}

static void table_print(FILE *out, const prim_row *r) {
  fprintf(out, "%-15s %-16s %9s %9s %-4s %9s  %s\n", "primitive", "model", "median", "min", "unit", "reference",
          "source");
  for (int i = 0; i < R_COUNT; i++) {
    char v[32], mn[32], src[128];
    if (i && strcmp(r[i].primitive, r[i - 1].primitive) != 0) fputc('\n', out);
    fmt_num(v, sizeof v, r[i].value);
    fmt_num(mn, sizeof mn, r[i].min);
    short_source(src, sizeof src, r[i].source);
    fprintf(out, "%-15s %-16s %9s %9s %-4s %9s  %s\n", r[i].primitive, r[i].model, v, mn, r[i].unit,
            r[i].reference ? r[i].reference : "-", src);
  }
  char v[32];
  fmt_num(v, sizeof v, r[R_CREATE_PROC].parent_rss_kib / 1024);
  fprintf(out, "\nswitch: one switch = a round trip / 2 (coroutines: resume + yield; threads: futex; processes: pipe)."
               "\n  pinned: %s; -unpinned: free to run on any CPU.\n",
          r[R_SW_THREAD].note[0] ? r[R_SW_THREAD].note : "-");
  fprintf(out, "create_join process: forked from a %s MiB process (RSS); fork's cost grows with the parent.\n", v);
  fprintf(out, "idle_memory: PSS growth per unit (shared pages split among sharers); idle_memory_rss: RSS growth\n"
               "  (processes: this process's growth plus every child's RSS). thread = default stack (%.0f KiB),\n"
               "  thread-256k = 256 KiB stacks. Kernel stacks and page tables are in neither: see results.json.\n",
          r[R_MEM_THREAD].stack_kib);
}

static void csv_field(char **p, size_t *left, const char *s) {
  int quote = strpbrk(s, ",\"\n") != NULL;
  int n = 0;
  if (!quote) {
    n = snprintf(*p, *left, "%s", s);
  } else {
    char buf[1024];
    size_t o = 0;
    buf[o++] = '"';
    for (const char *c = s; *c && o + 3 < sizeof buf; c++) {
      if (*c == '"') buf[o++] = '"';
      buf[o++] = *c;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    n = snprintf(*p, *left, "%s", buf);
  }
  if (n < 0 || (size_t)n >= *left) n = (int)(*left ? *left - 1 : 0);
  *p += n;
  *left -= (size_t)n;
}

static char *csv_of(const prim_row *r) {
  size_t cap = 16384, left = cap;
  char *buf = malloc(cap), *p = buf;
  if (!buf) return NULL;
  int n = snprintf(p, left, "primitive,model,value,min,unit,trials,reference,reference_source\n");
  p += n;
  left -= (size_t)n;
  for (int i = 0; i < R_COUNT; i++) {
    n = snprintf(p, left, "%s,%s,%.6g,%.6g,%s,%u,", r[i].primitive, r[i].model, r[i].value, r[i].min, r[i].unit, r[i].n);
    if (n < 0 || (size_t)n >= left) { free(buf); return NULL; }
    p += n;
    left -= (size_t)n;
    csv_field(&p, &left, r[i].reference ? r[i].reference : "");
    if (left > 1) { *p++ = ','; *p = '\0'; left--; }
    csv_field(&p, &left, r[i].source ? r[i].source : "");
    if (left > 1) { *p++ = '\n'; *p = '\0'; left--; }
  }
  return buf;
}

static cJSON *json_of(const prim_row *r, const prim_cfg *cfg, const cb_machine *m, int argc, char **argv) {
  cJSON *root = cJSON_CreateObject();
  if (!root) return NULL;
  cJSON_AddStringToObject(root, "concbench", CB_VERSION);
  cJSON *cmd = cJSON_AddArrayToObject(root, "command");
  for (int i = 0; i < argc; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
  cJSON_AddItemToObject(root, "environment", cb_env_json(m));
  cJSON_AddBoolToObject(root, "quick", cfg->quick);
  cJSON_AddStringToObject(root, "method",
    "each figure is the median of its trials (samples), min the smallest; a timed trial runs a batch of operations "
    "calibrated to take about the target time (CLOCK_MONOTONIC) after an untimed warm-up; a memory trial keeps "
    "`units` idle at once (coroutines and threads in a fresh child process per trial) and reads Rss and Pss "
    "from /proc/<pid>/smaps_rollup before and after");
  cJSON_AddNumberToObject(root, "trial_target_ms", (double)cfg->target_ns / 1e6);
  cJSON *arr = cJSON_AddArrayToObject(root, "primitives");
  for (int i = 0; i < R_COUNT; i++) {
    const prim_row *x = &r[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "primitive", x->primitive);
    cJSON_AddStringToObject(o, "model", x->model);
    cJSON_AddNumberToObject(o, "value", x->value);
    cJSON_AddNumberToObject(o, "min", x->min);
    cJSON_AddStringToObject(o, "unit", x->unit);
    cJSON_AddNumberToObject(o, "trials", x->n);
    cJSON *s = cJSON_AddArrayToObject(o, "samples");
    for (unsigned k = 0; k < x->n; k++) cJSON_AddItemToArray(s, cJSON_CreateNumber(x->samples[k]));
    if (x->reference) cJSON_AddStringToObject(o, "reference", x->reference);
    else cJSON_AddNullToObject(o, "reference");
    if (x->source) cJSON_AddStringToObject(o, "reference_source", x->source);
    else cJSON_AddNullToObject(o, "reference_source");
    cJSON_AddStringToObject(o, "method", x->method);
    if (x->ops) cJSON_AddNumberToObject(o, "ops_per_trial", (double)x->ops);
    if (x->units) cJSON_AddNumberToObject(o, "units", x->units);
    if (x->pinned >= 0) cJSON_AddBoolToObject(o, "pinned", x->pinned);
    if (x->note[0]) cJSON_AddStringToObject(o, "note", x->note);
    if (x->stack_kib > 0) cJSON_AddNumberToObject(o, "stack_kib", x->stack_kib);
    if (x->parent_rss_kib > 0) cJSON_AddNumberToObject(o, "parent_rss_kib", x->parent_rss_kib);
    if (x->nk) {
      cJSON_AddNumberToObject(o, "kernel_kib_per_unit", cb_median(x->kernel_kib, x->nk));
      cJSON_AddStringToObject(o, "kernel_kib_method",
        "growth of KernelStack + PageTables in /proc/meminfo per unit: system-wide, so other activity adds noise");
    }
    cJSON_AddItemToArray(arr, o);
  }
  return root;
}

static int write_results(const char *dir, const prim_row *r, const prim_cfg *cfg, const cb_machine *m,
                         int argc, char **argv) {
  char path[PATH_MAX + 32];
  int rc = -ENOMEM;
  char *csv = csv_of(r), *json = NULL;
  cJSON *root = json_of(r, cfg, m, argc, argv);
  if (!csv || !root || !(json = cJSON_Print(root))) goto cleanup;
  if ((rc = cb_mkdirs(dir)) != 0) goto cleanup;
  snprintf(path, sizeof path, "%s/results.csv", dir);
  if ((rc = cb_write_atomic(path, csv, strlen(csv))) != 0) goto cleanup;
  snprintf(path, sizeof path, "%s/results.json", dir);
  size_t jl = strlen(json);
  json[jl] = '\n';
  rc = cb_write_atomic(path, json, jl + 1);
  json[jl] = '\0';
cleanup:
  free(csv);
  free(json);
  cJSON_Delete(root);
  return rc;
}

/* Will the results directory be writable? Checked before measuring, created only at the end. */
static int check_outdir(const char *dir, char *err, size_t len) {
  char p[PATH_MAX];
  struct stat st;
  snprintf(p, sizeof p, "%s", dir);
  for (;;) {
    if (stat(p, &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        snprintf(err, len, "-o %.200s: %.200s is not a directory", dir, p);
        return -1;
      }
      /* A real try: access() says yes to root even where nothing can be created (/proc). */
      char probe[PATH_MAX + 32];
      snprintf(probe, sizeof probe, "%s/.concbench-probe-XXXXXX", p);
      if (!mkdtemp(probe)) {
        snprintf(err, len, "-o %.200s: cannot create a directory in %.200s: %s", dir, p, strerror(errno));
        return -1;
      }
      rmdir(probe);
      return 0;
    }
    char *slash = strrchr(p, '/');
    while (slash && slash > p && slash[1] == '\0') { *slash = '\0'; slash = strrchr(p, '/'); }
    if (!slash) { snprintf(p, sizeof p, "."); continue; }
    if (slash == p) { p[1] = '\0'; continue; }
    *slash = '\0';
  }
}

int cb_cmd_primitives(int argc, char **argv) {
  static const struct option opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "quick", no_argument, NULL, 'Q' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  prim_cfg cfg = { .trials = MAX_TRIALS, .target_ns = 40000000, .units = IDLE_UNITS };
  const char *outarg = NULL;
  char outdir[PATH_MAX], err[512];
  int ch;
  optind = 1;
  opterr = 0;   /* our own one-line messages */
  while ((ch = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
    switch (ch) {
    case 'o':
      if (!*optarg) { cb_errorf("primitives: -o needs a directory"); return 2; }
      outarg = optarg;
      break;
    case 'Q': cfg.quick = 1; break;
    case 'q': cfg.quiet = 1; break;
    case 'h': fputs(prim_usage, stdout); return 0;
    case ':': cb_errorf("primitives: %s needs a value; see concbench primitives --help", argv[optind - 1]); return 2;
    default:
      if (optopt) cb_errorf("primitives: unknown option '-%c'; see concbench primitives --help", optopt);
      else cb_errorf("primitives: unknown option '%s'; see concbench primitives --help", argv[optind - 1]);
      return 2;
    }
  }
  if (optind < argc) {
    cb_errorf("primitives: unexpected argument '%s'; it takes only options (concbench primitives --help)", argv[optind]);
    return 2;
  }
  if (cfg.quick) {
    cfg.trials = 3;
    cfg.target_ns = 8000000;
  }
  cfg.tty = !cfg.quiet && isatty(STDERR_FILENO);

  if (outarg) snprintf(outdir, sizeof outdir, "%s", outarg);
  else cb_results_dirname("primitives-", outdir, sizeof outdir);
  if (check_outdir(outdir, err, sizeof err) != 0) {
    cb_errorf("primitives: %s", err);
    return 2;
  }
  if (check_limits(cfg.units, err, sizeof err) != 0) {
    cb_errorf("primitives: %s", err);
    return 1;
  }

  cb_machine m;
  cb_machine_probe(&m, 0);
  prim_row *rows = calloc(R_COUNT, sizeof *rows);
  prim_ctx *P = calloc(1, sizeof *P);
  int status = 1;
  if (!rows || !P) { cb_errorf("primitives: out of memory"); goto cleanup; }
  P->cfg = &cfg;
  rows_init(rows);
  int rc = measure_all(P, rows);
  if (cfg.tty) fputs("\r\033[K", stderr);
  if (rc != 0) {
    cb_errorf("primitives: %s", P->err[0] ? P->err : strerror(-rc));
    goto cleanup;
  }
  if (!cfg.quiet) {
    table_print(stdout, rows);
    fflush(stdout);
  }
  if ((rc = write_results(outdir, rows, &cfg, &m, argc, argv)) != 0) {
    cb_errorf("primitives: cannot write results to %s: %s", outdir, strerror(-rc));
    goto cleanup;
  }
  if (!cfg.quiet) printf("\nresults: %s/results.csv and results.json\n", outdir);
  status = 0;
cleanup:
  free(rows);
  free(P);
  return status;
}
