/* uv.c: one libuv loop; every task on its own stackful coroutine, at most C alive. A call that
 * would block registers a libuv request and parks the coroutine; the callback resumes it. */
#include <errno.h>
#include <string.h>
#include "uv_loop.h"

static uint64_t uv_io_compute(cb_ctx *ctx, uint64_t seed, uint64_t units) {
  /* One loop, one thread: CPU work runs right here and holds every other coroutine up. */
  return cb_hash_chain(seed, units);
}

/* uv-offload: the computation goes to libuv's thread pool (uv_queue_work) while the coroutine
 * parks, and the loop serves the others meanwhile: the C form of asyncio's run_in_executor. */
typedef struct offload {
  uv_work_t req;
  cb_sched_co *co;
  uint64_t seed, units, result;
} offload;

static void offload_work(uv_work_t *req) {
  offload *o = req->data;
  o->result = cb_hash_chain(o->seed, o->units);
}

static void offload_done(uv_work_t *req, int status) {
  offload *o = req->data;
  cb_sched_wake(o->co, status);
}

static uint64_t uv_offload_compute(cb_ctx *ctx, uint64_t seed, uint64_t units) {
  offload o = { .co = cb_sched_self(ctx), .seed = seed, .units = units };
  o.req.data = &o;       /* on the coroutine's stack: it stays parked until the work is done */
  if (uv_queue_work(&cb__uv_loop_of(ctx)->loop, &o.req, offload_work, offload_done) != 0)
    return cb_hash_chain(seed, units);          /* the pool refused: compute here, same answer */
  cb_sched_park(o.co, 0);
  return o.result;
}

static const cb_io uv_io = { .name = "uv", .compute = uv_io_compute, CB_UV_IO_COMMON };

static const cb_io uv_offload_io = { .name = "uv-offload", .compute = uv_offload_compute, CB_UV_IO_COMMON };

static int run_loop(cb_job *job, const cb_io *io) {
  cb_uvloop b;
  cb__uv_ignore_sigpipe();
  uint32_t n = cb_job_workers(job);
  cb_sched_cfg cfg = { .job = job, .io = io, .n = n, .hists = 0, .stack_size = job->stack_size };
  int rc = cb__uv_loop_init(&b, &cfg);
  if (rc == 0) {
    job->workers = n;
    /* Start every coroutine: each runs until its first wait, then the loop drives the rest. */
    cb_sched_start(&b.sched);
    cb__uv_loop_run(&b);
  }
  return cb__uv_loop_close(&b, job, rc);
}

#define UV_NEEDS { .maps_per_worker = 2, .mem_kib_per_worker = 16, .extra_threads_fn = cb__uv_pool_threads, \
                   .extra_threads_option = "--uv-threadpool" }

static int uv_run_job(cb_job *job) { return run_loop(job, &uv_io); }
static int uv_offload_run_job(cb_job *job) { return run_loop(job, &uv_offload_io); }

const cb_backend cb_backend_uv_offload = {
  .name = "uv-offload",
  .summary = "as uv, but CPU work runs on libuv's thread pool while the coroutine waits (run_in_executor)",
  .flags = CB_BACKEND_LOOP | CB_BACKEND_PARALLEL,
  .extends = "uv",
  .needs = UV_NEEDS,
  .io = &uv_offload_io,
  .run = uv_offload_run_job,
  .prepare = cb__uv_prepare,
};

const cb_backend cb_backend_uv = {
  .name = "uv",
  .summary = "stackful coroutines on one libuv loop, at most C alive",
  .flags = CB_BACKEND_LOOP,
  .needs = UV_NEEDS,
  .io = &uv_io,
  .run = uv_run_job,
  .prepare = cb__uv_prepare,
};
