/* redis.c: each task sends `ops` SETs and GETs to a real Redis, `pipeline` at a time, over the
 * contract's TCP calls (hiredis encodes and parses), and checks every reply. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include "workload.h"
#include "clock.h"
#include "resp.h"
#include "rserver.h"

enum { P_OPS, P_KEYS, P_VALUE, P_PIPELINE, P_TIMEOUT };

static const cb_param_spec redis_params[] = {
  [P_OPS] = { .name = "ops", .unit = "commands", .def = 10, .min = 1, .max = 100000, .integer = 1,
              .help = "commands each task sends: a fixed mix of SET and GET" },
  [P_KEYS] = { .name = "keys", .unit = "keys", .def = 1000, .min = 1, .max = 10000000, .integer = 1,
               .help = "distinct keys the commands use" },
  [P_VALUE] = { .name = "value_bytes", .unit = "bytes", .def = 64, .min = 1, .max = 1 << 20, .integer = 1,
                .help = "size of each value" },
  [P_PIPELINE] = { .name = "pipeline", .unit = "commands", .def = 1, .min = 1, .max = 10000, .integer = 1,
                   .help = "commands sent before any reply is read" },
  [P_TIMEOUT] = { .name = "timeout_ms", .unit = "ms", .def = 5000, .min = 1, .max = 3600000, .integer = 1,
                  .help = "deadline of each batch: send and all its replies" },
};

typedef struct state {
  cb_resp *clients;            /* one per worker: its kept-alive connection */
  uint32_t workers;
  uint32_t keys;
  unsigned vlen;
  char prefix[128];
  size_t plen;
} state;

/* Key k's one value: every SET of k writes it, so a GET's reply is the same whatever ran before,
 * on every backend and in every order. */
static void value_of(uint32_t k, char *buf, unsigned len) {
  uint64_t h = cb_mix64(k + 0x7265646973ull);
  for (unsigned j = 0; j < len; j++) buf[j] = (char)('a' + (h + j * 7u) % 26);
}

/* Command j of task i: its key, and whether it is a SET (one in four) or a GET. */
static uint32_t key_of(uint64_t i, uint64_t j, uint32_t keys, int *set) {
  uint64_t h = cb_mix64(i * 1000003u + j);
  *set = (h & 3) == 0;
  return (uint32_t)((h >> 2) % keys);
}

static void key_name(const state *st, uint32_t k, char *buf, size_t cap, size_t *len) {
  *len = (size_t)snprintf(buf, cap, "%sk%u", st->prefix, k);
}

static void redis_free(cb_ctx *ctx, state *st) {
  /* The workers closed their connections (worker_end): what is left is memory. */
  if (st->clients)
    for (uint32_t w = 0; w < st->workers; w++)
      if (!st->clients[w].conn) cb_resp_free(ctx, &st->clients[w]);
  free(st->clients);
  free(st);
}

static int redis_setup(const cb_setup *su, void **out) {
  if (!su->redis) return -EDESTADDRREQ;
  state *st = calloc(1, sizeof *st);
  if (!st) return -ENOMEM;
  st->workers = su->workers ? su->workers : 1;
  st->keys = (uint32_t)su->p->v[P_KEYS];
  st->vlen = (unsigned)su->p->v[P_VALUE];
  snprintf(st->prefix, sizeof st->prefix, "%sredis:", su->redis_prefix ? su->redis_prefix : "concbench:");
  st->plen = strlen(st->prefix);
  if (!(st->clients = calloc(st->workers, sizeof *st->clients))) {
    free(st);
    return -ENOMEM;
  }
  for (uint32_t w = 0; w < st->workers; w++) cb_resp_init(&st->clients[w], su->redis, su->redis_db);
  /* Every key holds its value before the work starts, so GETs never meet a missing key. */
  const char **kp = calloc(st->keys, sizeof *kp), **vp = calloc(st->keys, sizeof *vp);
  size_t *kl = calloc(st->keys, sizeof *kl), *vl = calloc(st->keys, sizeof *vl);
  char *kbuf = malloc((size_t)st->keys * 160), *vbuf = malloc((size_t)st->vlen * (st->keys < 1024 ? st->keys : 1024));
  int rc = (!kp || !vp || !kl || !vl || !kbuf || !vbuf) ? -ENOMEM : 0;
  for (uint32_t k0 = 0; rc == 0 && k0 < st->keys; k0 += 1024) {
    uint32_t n = st->keys - k0 < 1024 ? st->keys - k0 : 1024;
    for (uint32_t k = 0; k < n; k++) {
      key_name(st, k0 + k, kbuf + (size_t)k * 160, 160, &kl[k]);
      kp[k] = kbuf + (size_t)k * 160;
      value_of(k0 + k, vbuf + (size_t)k * st->vlen, st->vlen);
      vp[k] = vbuf + (size_t)k * st->vlen;
      vl[k] = st->vlen;
    }
    rc = cb_redis_set_many(su->redis, su->redis_db, n, kp, kl, vp, vl);
  }
  free(kp); free(vp); free(kl); free(vl); free(kbuf); free(vbuf);
  if (rc) {
    redis_free(NULL, st);
    return rc;
  }
  *out = st;
  return 0;
}

static int redis_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  state *st = vst;
  cb_resp *r = &st->clients[ctx->worker];
  uint64_t ops = (uint64_t)p->v[P_OPS], pipe = (uint64_t)p->v[P_PIPELINE];
  int64_t timeout = (int64_t)p->v[P_TIMEOUT] * 1000000;
  uint64_t h = CB_FNV_INIT;
  char key[160], val[4096], *value = st->vlen <= sizeof val ? val : malloc(st->vlen);
  if (!value) return -ENOMEM;
  int rc = 0;
  for (uint64_t j0 = 0; j0 < ops && rc == 0; j0 += pipe) {
    uint64_t n = ops - j0 < pipe ? ops - j0 : pipe;
    for (uint64_t j = j0; j < j0 + n && rc == 0; j++) {
      int set;
      size_t kl;
      uint32_t k = key_of(index, j, st->keys, &set);
      key_name(st, k, key, sizeof key, &kl);
      if (set) {
        value_of(k, value, st->vlen);
        const char *argv[] = { "SET", key, value };
        size_t argl[] = { 3, kl, st->vlen };
        rc = cb_resp_append(r, 3, argv, argl);
      } else {
        const char *argv[] = { "GET", key };
        size_t argl[] = { 3, kl };
        rc = cb_resp_append(r, 2, argv, argl);
      }
    }
    int64_t deadline = cb_now_ns() + timeout;
    if (rc == 0) rc = cb_resp_flush(ctx, r, deadline);
    for (uint64_t j = j0; j < j0 + n && rc == 0; j++) {
      redisReply *rep;
      if ((rc = cb_resp_read(ctx, r, &rep, deadline)) != 0) break;
      int set;
      uint32_t k = key_of(index, j, st->keys, &set);
      if (rep->type == REDIS_REPLY_ERROR) rc = CB_EREDIS;
      else if (set) rc = rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "OK") == 0 ? 0 : CB_EBADREPLY;
      else {
        value_of(k, value, st->vlen);
        rc = rep->type == REDIS_REPLY_STRING && rep->len == st->vlen && memcmp(rep->str, value, st->vlen) == 0
               ? 0 : CB_EBADREPLY;
      }
      if (rc == 0) h = cb_resp_hash(h, rep);
      cb_resp_reply_free(rep);
    }
    /* A batch cut short leaves replies unread: the connection cannot be reused. */
    if (rc) cb_resp_close(ctx, r);
  }
  if (value != val) free(value);
  if (rc == 0) *sum = cb_mix64(index ^ h);
  return rc;
}

static void redis_worker_end(cb_ctx *ctx, const cb_params *p, void *vst) {
  state *st = vst;
  cb_resp_close(ctx, &st->clients[ctx->worker]);
}

static int redis_teardown(void *vst) {
  redis_free(NULL, vst);
  return 0;
}

/* The keys and their values, with Redis's own overhead per key (about 100 bytes). */
static uint64_t redis_bytes(const cb_params *p, uint64_t n, uint32_t conc) {
  return (uint64_t)p->v[P_KEYS] * ((uint64_t)p->v[P_VALUE] + 128);
}

static int redis_like(const cb_params *p, cb_redis_like *o) {
  o->pipeline = (unsigned)p->v[P_PIPELINE] < (unsigned)p->v[P_OPS] ? (unsigned)p->v[P_PIPELINE] : (unsigned)p->v[P_OPS];
  o->value_bytes = (unsigned)p->v[P_VALUE];
  o->keys = (unsigned)p->v[P_KEYS];
  o->ops_per_task = p->v[P_OPS];
  return 0;
}

const cb_workload cb_workload_redis = {
  .name = "redis",
  .summary = "each task sends ops SETs and GETs (pipeline at a time) to a real Redis and checks each reply",
  .kind = CB_KIND_IO,
  .uses = CB_USES_TCP,
  .fds_per_worker = 1,
  .flags = CB_WL_REDIS,
  .params = redis_params,
  .nparams = sizeof redis_params / sizeof redis_params[0],
  .setup = redis_setup,
  .task = redis_task,
  .worker_end = redis_worker_end,
  .teardown = redis_teardown,
  .redis_bytes = redis_bytes,
  .redis_like = redis_like,
};
