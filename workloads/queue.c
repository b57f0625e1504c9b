/* queue.c: the seeds' queue.py -p 2 -c 5: producers put items after short pseudo-random delays,
 * consumers take them from a bounded queue and wait per item; each item's time in the queue is
 * recorded. Tasks 0..P-1 produce, tasks P..P+Q-1 consume. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "workload.h"
#include "clock.h"
#include "shared.h"

enum { P_PRODUCERS, P_CONSUMERS, P_ITEMS, P_MAXSIZE, P_DELAY };

#define WAIT_NS (60 * (int64_t)1000000000)

static const cb_param_spec queue_params[] = {
  [P_PRODUCERS] = { .name = "producers", .unit = "tasks", .def = 2, .min = 1, .max = 10000, .integer = 1,
                    .help = "tasks that put items" },
  [P_CONSUMERS] = { .name = "consumers", .unit = "tasks", .def = 5, .min = 1, .max = 10000, .integer = 1,
                    .help = "tasks that take items" },
  [P_ITEMS] = { .name = "items", .unit = "items", .def = 20, .min = 1, .max = 1000000, .integer = 1,
                .help = "items each producer puts" },
  [P_MAXSIZE] = { .name = "maxsize", .unit = "items", .def = 5, .min = 1, .max = 1000000, .integer = 1,
                  .help = "the queue's bound: a put waits while it holds this many" },
  [P_DELAY] = { .name = "delay_ms", .unit = "ms", .def = 10, .min = 0, .max = 3600000, .integer = 1,
                .help = "longest pseudo-random wait before a put and after a get" },
};

typedef struct item {
  uint32_t producer, seq;
  int64_t put_ns;
} item;

typedef struct counters {        /* MAP_SHARED: fork children update it */
  _Atomic uint32_t producers_left;
  _Atomic uint64_t consumed;
  _Atomic uint64_t wait_ns_sum;
  _Atomic uint64_t wait_ns_max;
} counters;

typedef struct state {
  cb_queue *q;
  counters *c;
} state;

/* The wait before a put (kind 0) or after a get (kind 1): the same on every backend. */
static uint64_t delay_of(const cb_params *p, uint32_t producer, uint32_t seq, unsigned kind) {
  uint64_t d = (uint64_t)p->v[P_DELAY];
  return d ? cb_mix64(((uint64_t)producer << 32 | seq) * 2 + kind) % (d + 1) : 0;
}

static uint64_t queue_tasks(const cb_params *p) {
  return (uint64_t)p->v[P_PRODUCERS] + (uint64_t)p->v[P_CONSUMERS];
}

static int queue_setup(const cb_setup *su, void **out) {
  state *st = calloc(1, sizeof *st);
  if (!st) return -ENOMEM;
  uint64_t total = (uint64_t)su->p->v[P_PRODUCERS] * (uint64_t)su->p->v[P_ITEMS];
  uint32_t maxsize = (uint32_t)su->p->v[P_MAXSIZE];
  /* sync cannot honour the bound (no consumer runs while a producer waits): it holds them all. */
  uint32_t cap = su->serial ? (uint32_t)(total > maxsize ? total : maxsize) : maxsize;
  int rc = cb_queue_create(&st->q, sizeof(item), maxsize, cap, su->serial);
  if (rc == 0 && !(st->c = cb_shm_alloc(sizeof *st->c))) rc = -ENOMEM;
  if (rc) {
    cb_queue_destroy(st->q);
    free(st);
    return rc;
  }
  atomic_store(&st->c->producers_left, (uint32_t)su->p->v[P_PRODUCERS]);
  *out = st;
  return 0;
}

static int produce(cb_ctx *ctx, const cb_params *p, state *st, uint32_t me, uint64_t *sum) {
  int rc = 0;
  for (uint32_t k = 0; k < (uint32_t)p->v[P_ITEMS] && rc == 0; k++) {
    if ((rc = cb_sleep(ctx, delay_of(p, me, k, 0))) != 0) break;
    item it = { .producer = me, .seq = k, .put_ns = cb_now_ns() };
    if ((rc = cb_queue_put(ctx, st->q, &it, cb_now_ns() + WAIT_NS)) == 0)
      *sum += cb_mix64((uint64_t)me << 32 | k);
  }
  /* The last producer out closes the queue: consumers drain it, then see the end. */
  if (atomic_fetch_sub(&st->c->producers_left, 1) == 1) cb_queue_close(ctx, st->q);
  return rc;
}

static int consume(cb_ctx *ctx, const cb_params *p, state *st, uint64_t *sum) {
  for (;;) {
    item it;
    int rc = cb_queue_get(ctx, st->q, &it, cb_now_ns() + WAIT_NS);
    if (rc == CB_EOF) return 0;
    if (rc) return rc;
    uint64_t waited = (uint64_t)(cb_now_ns() - it.put_ns);
    atomic_fetch_add(&st->c->consumed, 1);
    atomic_fetch_add(&st->c->wait_ns_sum, waited);
    uint64_t max = atomic_load(&st->c->wait_ns_max);
    while (waited > max && !atomic_compare_exchange_weak(&st->c->wait_ns_max, &max, waited)) {}
    *sum += cb_mix64(((uint64_t)it.producer << 32 | it.seq) ^ 0x636f6e73756d6564ull);
    if ((rc = cb_sleep(ctx, delay_of(p, it.producer, it.seq, 1))) != 0) return rc;
  }
}

static int queue_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  uint64_t producers = (uint64_t)p->v[P_PRODUCERS];
  *sum = 0;
  return index < producers ? produce(ctx, p, vst, (uint32_t)index, sum) : consume(ctx, p, vst, sum);
}

static unsigned queue_metrics(void *vst, cb_metric *out, unsigned max) {
  state *st = vst;
  if (max < 3) return 0;
  uint64_t n = atomic_load(&st->c->consumed);
  out[0] = (cb_metric){ "items_consumed", (double)n };
  out[1] = (cb_metric){ "queue_wait_ms_mean", n ? (double)atomic_load(&st->c->wait_ns_sum) / (double)n / 1e6 : 0 };
  out[2] = (cb_metric){ "queue_wait_ms_max", (double)atomic_load(&st->c->wait_ns_max) / 1e6 };
  return 3;
}

static int queue_teardown(void *vst) {
  state *st = vst;
  cb_queue_destroy(st->q);
  cb_shm_free(st->c, sizeof *st->c);
  free(st);
  return 0;
}

/* Every producer's delays happen one after another; the consumers' waits spread over Q of them
 * at best. Run one task at a time (conc 1), all of it adds up. */
static double queue_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) {
  uint32_t P = (uint32_t)p->v[P_PRODUCERS], items = (uint32_t)p->v[P_ITEMS];
  uint64_t longest = 0, puts = 0, gets = 0;
  for (uint32_t pr = 0; pr < P; pr++) {
    uint64_t mine = 0;
    for (uint32_t k = 0; k < items; k++) {
      mine += delay_of(p, pr, k, 0);
      gets += delay_of(p, pr, k, 1);
    }
    puts += mine;
    if (mine > longest) longest = mine;
  }
  if (conc <= 1) return (double)(puts + gets) / 1000.0;
  double consumers = p->v[P_CONSUMERS];
  double spread = (double)gets / consumers;
  return ((double)longest > spread ? (double)longest : spread) / 1000.0;
}

const cb_workload cb_workload_queue = {
  .name = "queue",
  .summary = "P producers put items on a bounded queue, Q consumers take them and wait per item",
  .kind = CB_KIND_IO,
  .uses = CB_USES_TIME | CB_USES_QUEUE,
  .flags = CB_WL_ALL_AT_ONCE,
  .params = queue_params,
  .nparams = sizeof queue_params / sizeof queue_params[0],
  .tasks = queue_tasks,
  .setup = queue_setup,
  .task = queue_task,
  .metrics = queue_metrics,
  .teardown = queue_teardown,
  .ideal = queue_ideal,
  .serial_note = "sync runs one task at a time: the producers put every item first (the queue grows "
                 "past maxsize, which nothing could drain meanwhile), then the first consumer takes "
                 "them all and the others find the queue closed",
};
