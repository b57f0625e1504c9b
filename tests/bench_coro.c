/* bench_coro.c: cost of one coroutine switch pair (resume + yield), against a ucontext swapcontext pair. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include "coro.h"

#define TRIALS_MAX 64

static double now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof(*v), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- cb_coro ----------------------------------------------------------- */

static volatile int coro_stop;

static void spin_fn(void *arg) {
  unsigned long *count = arg;

  while (!coro_stop) {
    (*count)++;
    cb_coro_yield();
  }
}

static int bench_coro(long pairs, int trials, double *ns) {
  cb_coro_stack st;
  cb_coro co;
  unsigned long count = 0;
  int rc;

  rc = cb_coro_stack_alloc(&st, 64 * 1024);
  if (rc != 0) return rc;
  coro_stop = 0;
  cb_coro_init(&co, &st, spin_fn, &count);
  for (long i = 0; i < pairs / 10; i++) cb_coro_resume(&co); /* warm up */
  for (int t = 0; t < trials; t++) {
    double t0 = now_ns();
    for (long i = 0; i < pairs; i++) cb_coro_resume(&co);
    ns[t] = (now_ns() - t0) / (double)pairs;
  }
  coro_stop = 1;
  cb_coro_resume(&co);
  rc = cb_coro_done(&co) ? 0 : -1;
  cb_coro_destroy(&co);
  cb_coro_stack_free(&st);
  return rc;
}

/* ---- plain ucontext ping-pong ----------------------------------------- */

static ucontext_t uc_main, uc_co;
static volatile int uc_stop;

static void uc_fn(void) {
  while (!uc_stop) swapcontext(&uc_co, &uc_main);
}

static int bench_ucontext(long pairs, int trials, double *ns) {
  cb_coro_stack st;
  int rc;

  rc = cb_coro_stack_alloc(&st, 64 * 1024);
  if (rc != 0) return rc;
  uc_stop = 0;
  if (getcontext(&uc_co) != 0) return -1;
  uc_co.uc_stack.ss_sp = st.base;
  uc_co.uc_stack.ss_size = st.size;
  uc_co.uc_link = &uc_main;
  makecontext(&uc_co, uc_fn, 0);
  for (long i = 0; i < pairs / 10; i++) swapcontext(&uc_main, &uc_co);
  for (int t = 0; t < trials; t++) {
    double t0 = now_ns();
    for (long i = 0; i < pairs; i++) swapcontext(&uc_main, &uc_co);
    ns[t] = (now_ns() - t0) / (double)pairs;
  }
  uc_stop = 1;
  swapcontext(&uc_main, &uc_co); /* uc_fn returns through uc_link */
  cb_coro_stack_free(&st);
  return 0;
}

int main(int argc, char **argv) {
  long pairs = argc > 1 ? atol(argv[1]) : 10000000;
  int trials = argc > 2 ? atoi(argv[2]) : 7;
  long uc_pairs;
  double ns[TRIALS_MAX], coro_ns, uc_ns;

  if (pairs <= 0 || trials <= 0 || trials > TRIALS_MAX) {
    fprintf(stderr, "usage: %s [pairs] [trials<=%d]\n", argv[0], TRIALS_MAX);
    return 2;
  }
  /* swapcontext makes two syscalls per switch; fewer rounds say as much */
  uc_pairs = pairs / 20 > 0 ? pairs / 20 : 1;

  if (bench_coro(pairs, trials, ns) != 0) {
    fprintf(stderr, "cb_coro benchmark failed\n");
    return 1;
  }
  coro_ns = median(ns, trials);
  if (bench_ucontext(uc_pairs, trials, ns) != 0) {
    fprintf(stderr, "ucontext benchmark failed\n");
    return 1;
  }
  uc_ns = median(ns, trials);

  printf("cb_coro (%s): %.2f ns per resume+yield pair (median of %d x %ld)\n",
         cb_coro_backend(), coro_ns, trials, pairs);
  printf("swapcontext:     %.2f ns per switch pair (median of %d x %ld)\n", uc_ns,
         trials, uc_pairs);
  printf("ratio: %.1fx\n", uc_ns / coro_ns);
  return 0;
}
