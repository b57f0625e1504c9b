/* primitives_mem.c: the memory an idle coroutine, thread or process holds, each trial measured in a fresh process. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "primitives.h"
#include "measure_int.h"
#include "clock.h"
#include "coro.h"
#include "procfs.h"
#include "util.h"

#define LAB_TIMEOUT_MS 120000          /* a measurement child that takes longer is stuck */

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

/* len bytes from fd within timeout_ms. 0, -ETIMEDOUT, -EPIPE at an early end, or -errno. */
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

/* Memory after n idle units were made, against before: per unit, into res. */
static void lab_after(unsigned n, uint64_t rss0, uint64_t pss0, double k0, lab_result *res) {
  uint64_t rss1, pss1;
  int rc = cb_proc_mem_kib(0, &rss1, &pss1);
  if (rc != 0) {
    res->err = -rc;
    res->what = LAB_MEM;
    return;
  }
  res->rss_kib = ((double)rss1 - (double)rss0) / n;
  res->pss_kib = ((double)pss1 - (double)pss0) / n;
  res->kernel_kib = (kernel_kib() - k0) / n;
}

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
  uint64_t rss0, pss0;
  pthread_mutex_init(&s.mu, NULL);
  pthread_cond_init(&s.ready_cv, NULL);
  pthread_cond_init(&s.go_cv, NULL);
  pthread_attr_init(&attr);
  if (stack) pthread_attr_setstacksize(&attr, stack);
  double k0 = kernel_kib();
  int rc = cb_proc_mem_kib(0, &rss0, &pss0);
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
  if (!res->err) lab_after(n, rss0, pss0, k0, res);
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
  uint64_t rss0, pss0;
  double k0 = kernel_kib();
  int rc = cb_proc_mem_kib(0, &rss0, &pss0);
  if (rc != 0) { res->err = -rc; res->what = LAB_MEM; return; }
  cb_coro *co = calloc(n, sizeof *co);
  cb_coro_stack *st = calloc(n, sizeof *st);
  if (!co || !st) { res->err = ENOMEM; res->what = LAB_ALLOC; goto cleanup; }
  idle_coro_stop = 0;
  for (; res->made < n; res->made++) {
    if ((rc = cb_coro_stack_alloc(&st[res->made], CB_PRIM_SMALL_STACK)) != 0) {
      res->err = -rc;
      res->what = LAB_STACK;
      break;
    }
    cb_coro_init(&co[res->made], &st[res->made], idle_coro, NULL);
    cb_coro_resume(&co[res->made]);   /* runs to its yield: the stack's first page is touched */
  }
  if (!res->err) lab_after(n, rss0, pss0, k0, res);
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
static int lab_run(cb__prim_ctx *P, int kind, size_t stack, lab_result *res) {
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
    if (cb_die_with_parent(SIGKILL, parent) != 0) _exit(1);
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
    cb__prim_limit_error(P->err, sizeof P->err, "a measurement process", 1, 1, e);
    return -e;
  }
  int rc = read_full(fds[0], res, sizeof *res, LAB_TIMEOUT_MS);
  close(fds[0]);
  if (rc == -ETIMEDOUT) kill(pid, SIGKILL);
  int st = 0;
  cb__prim_reap(pid, &st);
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
      cb__prim_limit_error(P->err, sizeof P->err, stack ? t : "idle thread", res->made + 1, n, res->err);
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
static int lab_processes(cb__prim_ctx *P, lab_result *res) {
  unsigned n = P->cfg->units, made = 0;
  int hold[2] = { -1, -1 }, ready[2] = { -1, -1 }, rc = 0;
  uint64_t rss0, pss0, rss, pss;
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
  if ((rc = cb_proc_mem_kib(0, &rss0, &pss0)) != 0) {
    snprintf(P->err, sizeof P->err, "cannot read /proc/self/smaps_rollup: %s", strerror(-rc));
    goto cleanup;
  }
  fflush(NULL);
  for (; made < n; made++) {
    pid_t pid = fork();
    if (pid == 0) {
      if (cb_die_with_parent(SIGKILL, parent) != 0) _exit(1);
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
      cb__prim_limit_error(P->err, sizeof P->err, "idle process", made + 1, n, errno);
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
  if ((rc = cb_proc_mem_kib(0, &rss, &pss)) != 0) {
    snprintf(P->err, sizeof P->err, "cannot read /proc/self/smaps_rollup: %s", strerror(-rc));
    goto cleanup;
  }
  for (unsigned i = 0; i < n; i++) {
    uint64_t r, p;
    if ((rc = cb_proc_mem_kib(pids[i], &r, &p)) != 0) {
      snprintf(P->err, sizeof P->err, "cannot read /proc/%d/smaps_rollup: %s", (int)pids[i], strerror(-rc));
      goto cleanup;
    }
    rss += r;
    pss += p;
  }
  res->rss_kib = ((double)rss - (double)rss0) / n;
  res->pss_kib = ((double)pss - (double)pss0) / n;
  res->kernel_kib = (kernel_kib() - k0) / n;

cleanup:
  /* Closing the last write end lets every child read end-of-file and exit; then reap them. */
  for (int i = 0; i < 2; i++) {
    if (hold[i] >= 0) close(hold[i]);
    if (ready[i] >= 0) close(ready[i]);
  }
  for (unsigned i = 0; i < made; i++) cb__prim_reap(pids[i], NULL);
  free(pids);
  return rc;
}

int cb__prim_memory_rows(cb__prim_ctx *P, int kind, size_t stack, cb_prim_row *pss, cb_prim_row *rss) {
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

