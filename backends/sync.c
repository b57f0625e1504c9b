/* sync.c: the baseline: every task one after another in the calling thread. */
#include "backend.h"

static int sync_run(cb_job *job) {
  cb_ctx ctx = { .io = &cb_io_blocking, .job = job, .worker = 0, .ops = cb_job_ops(job, 0) };
  job->workers = 1;
  cb_job_work(job, &ctx);
  return 0;
}

const cb_backend cb_backend_sync = {
  .name = "sync",
  .summary = "one thread, tasks one after another (the baseline)",
  .flags = CB_BACKEND_SERIAL | CB_BACKEND_BASELINE,
  .needs = { 0 },
  .io = &cb_io_blocking,
  .run = sync_run,
};
