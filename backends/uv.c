/* uv.c: one libuv loop; every task on its own stackful coroutine, at most C alive. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "backend.h"
#include "coro.h"

#define UV_DEFAULT_STACK (256u * 1024)

typedef struct uvb uvb;

/* One coroutine slot: a stack reused by task after task, and the handles its calls park on. */
typedef struct slot {
  cb_coro co;
  cb_coro_stack stack;
  uv_timer_t timer;
  cb_ctx ctx;
  uint64_t task;
  uvb *b;
  int timer_open;
} slot;

struct uvb {
  uv_loop_t loop;
  cb_job *job;
  slot *slots;
  uint32_t n;
};

static void co_main(void *arg) {
  slot *s = arg;
  cb_job_exec(s->b->job, &s->ctx, s->task);
}

/* From the loop's context: run s until it parks. When its task has ended, the next task starts
 * on the same stack; with none left the slot retires. A loop, not recursion, so thousands of
 * short tasks never deepen the loop's stack. */
static void drive(slot *s) {
  cb_coro_resume(&s->co);
  while (cb_coro_done(&s->co)) {
    if (!cb_job_claim(s->b->job, &s->task)) return;
    cb_coro_init(&s->co, &s->stack, co_main, s);
    cb_coro_resume(&s->co);
  }
}

static void on_timer(uv_timer_t *t) {
  drive(t->data);
}

static int uv_io_sleep(cb_ctx *ctx, uint64_t ms) {
  slot *s = ctx->impl;
  /* The loop's cached time may be old when many coroutines start before uv_run: refresh it so
   * a sleep is never shorter than asked. */
  uv_update_time(&s->b->loop);
  int rc = uv_timer_start(&s->timer, on_timer, ms, 0);
  if (rc) return rc;
  cb_coro_yield();
  return 0;
}

static uint64_t uv_io_compute(cb_ctx *ctx, uint64_t seed, uint64_t units) {
  /* One loop, one thread: CPU work runs right here and holds every other coroutine up. */
  return cb_hash_chain(seed, units);
}

static const cb_io uv_io = {
  .name = "uv",
  .sleep = uv_io_sleep,
  .compute = uv_io_compute,
};

static int uv_run_job(cb_job *job) {
  uvb b = { .job = job };
  uint32_t n = cb_job_workers(job), made = 0;
  size_t stack = job->stack_size ? job->stack_size : UV_DEFAULT_STACK;
  int rc = uv_loop_init(&b.loop);
  if (rc) {
    snprintf(job->err, sizeof job->err, "uv_loop_init: %s", uv_strerror(rc));
    return rc;
  }
  b.slots = calloc(n ? n : 1, sizeof *b.slots);
  if (!b.slots) {
    rc = -ENOMEM;
    snprintf(job->err, sizeof job->err, "out of memory for %u coroutine slots", n);
    goto cleanup;
  }
  for (; made < n; made++) {
    slot *s = &b.slots[made];
    s->b = &b;
    s->ctx = (cb_ctx){ .io = &uv_io, .impl = s, .job = job, .worker = made };
    if ((rc = cb_coro_stack_alloc(&s->stack, stack)) != 0) {
      snprintf(job->err, sizeof job->err,
               "could not map coroutine stack %u of %u (%zu KiB): %s; lower -c or --stack-size, or raise vm.max_map_count",
               made + 1, n, stack / 1024, strerror(-rc));
      goto cleanup;
    }
    uv_timer_init(&b.loop, &s->timer);
    s->timer.data = s;
    s->timer_open = 1;
  }
  job->workers = n;
  /* Start every slot: each runs until its first wait, then uv_run drives the rest. */
  for (uint32_t k = 0; k < n; k++) {
    slot *s = &b.slots[k];
    if (!cb_job_claim(job, &s->task)) break;
    cb_coro_init(&s->co, &s->stack, co_main, s);
    drive(s);
  }
  uv_run(&b.loop, UV_RUN_DEFAULT);

cleanup:
  if (b.slots) {
    for (uint32_t k = 0; k < made; k++) {
      slot *s = &b.slots[k];
      if (s->timer_open) uv_close((uv_handle_t *)&s->timer, NULL);
    }
    uv_run(&b.loop, UV_RUN_DEFAULT);     /* let the close callbacks run */
    for (uint32_t k = 0; k < made; k++) {
      cb_coro_destroy(&b.slots[k].co);
      cb_coro_stack_free(&b.slots[k].stack);
    }
    free(b.slots);
  }
  if (uv_loop_close(&b.loop) != 0 && rc == 0) {
    rc = -EBUSY;
    snprintf(job->err, sizeof job->err, "uv loop still had open handles at the end");
  }
  return rc;
}

const cb_backend cb_backend_uv = {
  .name = "uv",
  .summary = "stackful coroutines on one libuv loop, at most C alive",
  .needs = { .maps_per_worker = 2, .mem_kib_per_worker = 16 },
  .run = uv_run_job,
};
