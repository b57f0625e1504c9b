/* threads.c: a pool of pthreads claiming tasks from a shared atomic counter; blocking IO. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"

#define THREADS_DEFAULT_STACK (256u * 1024)

typedef struct worker {
  pthread_t tid;
  cb_ctx ctx;
} worker;

static void *worker_main(void *arg) {
  worker *w = arg;
  cb_job_work(w->ctx.job, &w->ctx);
  return NULL;
}

static int threads_run(cb_job *job) {
  uint32_t n = cb_job_workers(job), started = 0;
  int rc = 0;
  pthread_attr_t attr;
  worker *ws = calloc(n ? n : 1, sizeof *ws);
  if (!ws) {
    snprintf(job->err, sizeof job->err, "out of memory for %u thread records", n);
    return -ENOMEM;
  }
  pthread_attr_init(&attr);
  size_t stack = job->stack_size ? job->stack_size : THREADS_DEFAULT_STACK;
  if (stack < (size_t)PTHREAD_STACK_MIN) stack = (size_t)PTHREAD_STACK_MIN;
  if ((rc = pthread_attr_setstacksize(&attr, stack)) != 0) {
    snprintf(job->err, sizeof job->err, "thread stack size %zu rejected: %s", stack, strerror(rc));
    rc = -rc;
    goto cleanup;
  }
  for (; started < n; started++) {
    ws[started].ctx = (cb_ctx){ .io = &cb_io_blocking, .job = job, .worker = started, .ops = cb_job_ops(job, started) };
    if ((rc = pthread_create(&ws[started].tid, &attr, worker_main, &ws[started])) != 0) {
      /* The threads already started still finish every task, so nothing is lost; but the run
       * did not have the concurrency asked for, so it fails. */
      snprintf(job->err, sizeof job->err,
               "could not create thread %u of %u: %s; lower -c or raise the process limit (ulimit -u)",
               started + 1, n, strerror(rc));
      rc = -rc;
      break;
    }
  }
  job->workers = started;
  if (started == 0 && n > 0) {
    /* Nobody to run the tasks: leave them unclaimed; they count as errors. */
  }
  for (uint32_t k = 0; k < started; k++) pthread_join(ws[k].tid, NULL);

cleanup:
  pthread_attr_destroy(&attr);
  free(ws);
  return rc;
}

const cb_backend cb_backend_threads = {
  .name = "threads",
  .summary = "a pool of pthreads claiming tasks from a shared counter; blocking IO",
  .flags = CB_BACKEND_PARALLEL,
  .needs = { .threads_per_worker = 1, .maps_per_worker = 2, .mem_kib_per_worker = 64 },
  .io = &cb_io_blocking,
  .run = threads_run,
};
