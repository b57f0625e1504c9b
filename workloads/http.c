/* http.c: each task GETs /bytes/<bytes>?delay_ms=<d> from the target server and checks the body
 * (the seeds' areq.py fetch). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "workload.h"
#include "clock.h"
#include "http.h"
#include "server.h"

enum { P_DELAY, P_BYTES, P_KEEPALIVE, P_TIMEOUT, P_FAULT };

static const cb_param_spec http_params[] = {
  [P_DELAY] = { .name = "delay_ms", .unit = "ms", .def = 10, .min = 0, .max = 3600000, .integer = 1,
                .help = "how long the server waits before it answers" },
  [P_BYTES] = { .name = "bytes", .unit = "bytes", .def = 1024, .min = 0, .max = 64 << 20, .integer = 1,
                .help = "size of each response body" },
  [P_KEEPALIVE] = { .name = "keepalive", .unit = "0/1", .def = 1, .min = 0, .max = 1, .integer = 1,
                    .help = "reuse each worker's connection (1) or connect per request (0)" },
  [P_TIMEOUT] = { .name = "timeout_ms", .unit = "ms", .def = 5000, .min = 1, .max = 3600000, .integer = 1,
                  .help = "deadline of each request: connect, send and answer" },
  [P_FAULT] = { .name = "fault_rate", .unit = "0..1", .def = 0, .min = 0, .max = 1, .integer = 0,
                .help = "share of requests that ask the server for a fault (500, reset or stall)" },
};

typedef struct state {
  const char *path;            /* an external --target's -p path, or NULL */
  int external;
  cb_http *clients;            /* one per worker: its kept-alive connection */
  cb_http_resp *resps;
  uint32_t workers;
  uint64_t body_hash;          /* what every good body hashes to */
  char target[1100];           /* the request's target, the same for every task asking no fault */
} state;

/* The fault task `index` asks for, or NULL: the same tasks fail on every backend. */
static const char *fault_of(double rate, uint64_t index) {
  if (rate <= 0) return NULL;
  uint64_t h = cb_mix64(index ^ 0x6661756c74ull);
  if ((double)(h >> 11) / 9007199254740992.0 >= rate) return NULL;
  static const char *const kinds[] = { "500", "reset", "stall" };
  return kinds[cb_mix64(h) % 3];
}

static uint64_t http_expected_errors(const cb_params *p, uint64_t n) {
  uint64_t e = 0;
  for (uint64_t i = 0; i < n; i++) e += fault_of(p->v[P_FAULT], i) != NULL;
  return e;
}

static int http_setup(const cb_setup *su, void **out) {
  state *st = calloc(1, sizeof *st);
  if (!st) return -ENOMEM;
  st->workers = su->workers ? su->workers : 1;
  st->path = su->target_path;
  st->external = su->external;
  st->clients = calloc(st->workers, sizeof *st->clients);
  st->resps = calloc(st->workers, sizeof *st->resps);
  if (!st->clients || !st->resps) {
    free(st->clients);
    free(st->resps);
    free(st);
    return -ENOMEM;
  }
  for (uint32_t w = 0; w < st->workers; w++)
    cb_http_init(&st->clients[w], su->server, su->authority, su->p->v[P_KEEPALIVE] != 0);
  uint64_t h = CB_FNV_INIT;
  for (uint64_t j = 0; j < (uint64_t)su->p->v[P_BYTES]; j++) {
    char c = cb_body_byte(j);
    h = cb_fnv1a(h, &c, 1);
  }
  st->body_hash = h;
  if (st->path)
    snprintf(st->target, sizeof st->target, "%s", st->path);
  else if (st->external)   /* its delays are its own: no delay asked */
    snprintf(st->target, sizeof st->target, "/bytes/%llu", (unsigned long long)su->p->v[P_BYTES]);
  else
    snprintf(st->target, sizeof st->target, "/bytes/%llu?delay_ms=%llu", (unsigned long long)su->p->v[P_BYTES],
             (unsigned long long)su->p->v[P_DELAY]);
  *out = st;
  return 0;
}

static int http_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  state *st = vst;
  char faulty[1200];
  const char *fault = fault_of(p->v[P_FAULT], index), *target = st->target;
  if (fault) {
    snprintf(faulty, sizeof faulty, "%s&fail=%s", st->target, fault);
    target = faulty;
  }
  cb_http_resp *r = &st->resps[ctx->worker];
  int64_t deadline = cb_now_ns() + (int64_t)p->v[P_TIMEOUT] * 1000000;
  int rc = cb_http_get(ctx, &st->clients[ctx->worker], target, r, deadline);
  if (rc) return rc;
  if (r->status >= 500) return CB_EHTTP5XX;
  if (r->status == 404) cb_job_not_found(ctx);
  if (r->status != 200) return CB_EHTTPSTATUS;
  /* A path of the user's own: its body is whatever the server sends (the same on every backend
   * when the server is deterministic: the checksum tells). */
  if (!st->path && (r->body_len != (uint64_t)p->v[P_BYTES] || r->body_hash != st->body_hash)) return CB_EBODY;
  *sum = cb_mix64(index ^ r->body_hash);
  return 0;
}

static void http_worker_end(cb_ctx *ctx, const cb_params *p, void *vst) {
  state *st = vst;
  cb_http_close(ctx, &st->clients[ctx->worker]);
}

static int http_teardown(void *vst) {
  state *st = vst;
  for (uint32_t w = 0; w < st->workers; w++) cb_http_resp_free(&st->resps[w]);
  free(st->resps);
  free(st->clients);
  free(st);
  return 0;
}

/* Waiting bounds it, as for sleep: ceil(n / c) rounds of one server delay each. */
static double http_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) {
  if (conc == 0) conc = 1;
  return (double)((n + conc - 1) / conc) * p->v[P_DELAY] / 1000.0;
}

const cb_workload cb_workload_http = {
  .name = "http",
  .summary = "each task GETs /bytes/<bytes>?delay_ms=<d> from the target server and checks the body",
  .kind = CB_KIND_IO,
  .uses = CB_USES_TCP,
  .fds_per_worker = 1,
  .flags = CB_WL_SERVER,
  .params = http_params,
  .nparams = sizeof http_params / sizeof http_params[0],
  .setup = http_setup,
  .task = http_task,
  .worker_end = http_worker_end,
  .teardown = http_teardown,
  .ideal = http_ideal,
  .expected_errors = http_expected_errors,
};
