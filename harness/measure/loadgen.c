/* loadgen.c: the load generator: K keep-alive connections on one libuv loop, requests sent open
 * loop on a fixed schedule and timed from their due time, as wrk2 does (see cb_load_run). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loadgen.h"
#include "clock.h"
#include "http.h"
#include "registry.h"
#include "shared.h"

/* Opening 10,000 connections takes a while when the server's accept queue overflows and TCP
 * retransmits its SYNs (1 s, then 3 s): the schedule starts once all are up, or past this. */
#define CONNECT_BUDGET_NS (20ll * 1000000000)
#define LOAD_STACK (64u * 1024)

typedef struct load {
  const cb_case *c;
  const cb_load_spec *spec;
  struct sockaddr_in addr;
  char authority[64];
  cb_http *http;               /* one per connection (task index) */
  cb_http_resp *resp;
  uint64_t k, nreq;
  double rate;
  int64_t t0, timeout_ns, connect_deadline, start;
  uint64_t arrived, finished;
  cb_queue *gate;              /* closed by the last connection up: every one starts together */
  cb_queue *end;               /* closed when the last request has ended: every one closes */
  int lfd;                     /* the server's listening socket, to see its accept queue, or -1 */
  uint64_t serving;            /* connections the server takes at once: the others stay queued */
  cb_hist *lat, *svc;
  cb_load_report *rep;
  int64_t last_ok, last_any;
} load;

static void count(cb_load_report *rep, int32_t code) {
  rep->errors++;
  for (uint32_t k = 0; k < rep->nkinds; k++)
    if (rep->kinds[k].code == code) { rep->kinds[k].count++; return; }
  if (rep->nkinds == CB_ERROR_KINDS) return;
  rep->kinds[rep->nkinds].code = code;
  rep->kinds[rep->nkinds++].count = 1;
}

static void failed(load *L, int32_t code, int64_t ns) {
  count(L->rep, code);
  cb_hist_record(L->lat, ns > 0 ? (uint64_t)ns : 0);
}

/* How many connections wait in the listener's accept queue, and how many it holds (TCP_INFO of
 * a listening socket gives them as tcpi_unacked and tcpi_sacked); -1 when they cannot be known. */
static int accept_queue(int lfd, uint32_t *n, uint32_t *max) {
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  if (lfd < 0 || getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 || ti.tcpi_state != TCP_LISTEN) return -1;
  *n = ti.tcpi_unacked;
  *max = ti.tcpi_sacked;
  return 0;
}

/* One request of the schedule has ended, answered or not: the last one releases every connection. */
static void finished(cb_ctx *ctx, load *L) {
  if (++L->finished == L->nreq) cb_queue_close(ctx, L->end);
}

/* One connection: open it, wait for the others, then its share of the schedule: requests
 * i, i + K, i + 2K, ... each sent when due, or as soon as the one before it is answered. Every
 * connection stays open until the whole schedule has ended, so K are held throughout even when
 * the schedule has fewer requests than connections (C10K: 4,000 requests over 10,000). */
static int load_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t i, uint64_t *sum) {
  load *L = vst;
  cb_http *h = &L->http[i];
  uint32_t q, qmax;
  /* Never more connections waiting to be accepted than three quarters of what the listener holds
   * (net.core.somaxconn caps it, 4,096 here): past it the kernel drops the SYNs, and each dropped
   * one waits out TCP's 1 s retransmit, which made opening 10,000 connections take a second. */
  while (accept_queue(L->lfd, &q, &qmax) == 0 && qmax > 0 && q >= qmax - qmax / 4 && cb_now_ns() < L->connect_deadline)
    ctx->io->sleep_until(ctx, cb_now_ns() + 1000000);
  int crc = cb_tcp_connect(ctx, (const struct sockaddr *)&L->addr, L->connect_deadline, &h->conn);
  if (crc) h->conn = NULL;
  else L->rep->connected++;
  uint64_t item;
  if (++L->arrived == L->k) {
    /* A connection is up for the client once the kernel queued it, before the server accepted
     * it (a fork server may still be forking its workers, a threads one starting 10,000 threads):
     * the schedule starts once the server has taken all it can, or at the connect budget. */
    while (accept_queue(L->lfd, &q, &qmax) == 0 && q + L->serving > L->k && cb_now_ns() < L->connect_deadline)
      ctx->io->sleep_until(ctx, cb_now_ns() + 1000000);
    L->t0 = cb_now_ns() + 2000000;
    cb_queue_close(ctx, L->gate);
    if (!L->nreq) cb_queue_close(ctx, L->end);
  } else if (i < L->nreq) {
    cb_queue_get(ctx, L->gate, &item, 0);     /* CB_EOF once the last is up */
  }
  int broke = crc;
  char target[96];
  for (uint64_t j = i; j < L->nreq; j += L->k) {
    int64_t due = L->t0 + (int64_t)((double)j * 1e9 / L->rate), deadline = due + L->timeout_ns;
    if (broke) {                       /* no connection: a client would have waited its deadline */
      failed(L, broke, L->timeout_ns);
      if (deadline > L->last_any) L->last_any = deadline;
      finished(ctx, L);
      continue;
    }
    if (cb_now_ns() < due) ctx->io->sleep_until(ctx, due);
    int64_t sent = cb_now_ns();
    if (sent >= deadline) {            /* its turn came after its deadline: never sent */
      failed(L, -ETIMEDOUT, sent - due);
      finished(ctx, L);
      continue;
    }
    int rc = L->spec->target(&L->c->params, j, target, sizeof target);
    cb_http_resp *r = &L->resp[i];
    if (rc == 0) rc = cb_http_get(ctx, h, target, r, deadline);
    int64_t end = cb_now_ns();
    if (end > L->last_any) L->last_any = end;
    if (rc == 0) rc = L->spec->check(&L->c->params, j, r, &L->rep->checksum);
    if (rc) {
      failed(L, rc, end - due);
      if (!h->conn) broke = rc;        /* the client closed it: its state was unknown */
      finished(ctx, L);
      continue;
    }
    L->rep->done++;
    cb_hist_record(L->lat, (uint64_t)(end - due));
    cb_hist_record(L->svc, (uint64_t)(end - sent));
    if (end > L->last_ok) L->last_ok = end;
    finished(ctx, L);
  }
  /* A connection with nothing (more) to ask waits, without a timer, for the schedule's end. */
  if (L->finished < L->nreq) cb_queue_get(ctx, L->end, &item, 0);
  cb_http_close(ctx, h);
  return 0;
}

static const cb_workload load_wl = {
  .name = "load",
  .summary = "the load generator's connections",
  .kind = CB_KIND_IO,
  .uses = CB_USES_TCP | CB_USES_TIME | CB_USES_QUEUE,
  .task = load_task,
};

/* The backend the load runs on: the first one whose tasks are coroutines on an event loop, and
 * that is not a variation of another. The same for every server backend measured. */
static const cb_backend *load_backend(void) {
  for (const cb_backend *const *b = cb_backends(); *b; b++)
    if (((*b)->flags & CB_BACKEND_LOOP) && !(*b)->extends && !cb_io_lacks((*b)->io, load_wl.uses, NULL)) return *b;
  return NULL;
}

int cb_load_run(const cb_case *c, double duration_s, const struct sockaddr_in *addr, int listen_fd,
                cb_load_report *rep, cb_hist *lat, cb_hist *svc) {
  memset(rep, 0, sizeof *rep);
  cb_hist_init(lat);
  cb_hist_init(svc);
  const cb_load_spec *spec = c->wl->load;
  const cb_backend *be = load_backend();
  load L = { .c = c, .spec = spec, .addr = *addr, .lat = lat, .svc = svc, .rep = rep, .rate = c->rate };
  L.k = spec->connections(&c->params, c->conc);
  L.lfd = listen_fd;
  L.serving = c->eff_conc < L.k ? c->eff_conc : L.k;
  L.nreq = (uint64_t)(c->rate * duration_s + 0.5);
  rep->sent_due = L.nreq;
  L.timeout_ns = (int64_t)(spec->timeout_ms(&c->params) * 1e6);
  char ip[INET_ADDRSTRLEN] = "127.0.0.1";
  inet_ntop(AF_INET, &addr->sin_addr, ip, sizeof ip);
  snprintf(L.authority, sizeof L.authority, "%s:%u", ip, (unsigned)ntohs(addr->sin_port));
  int rc = -ENOTSUP;
  if (!be || !L.k || c->rate <= 0) {
    snprintf(rep->err, sizeof rep->err, "no load: %s", !be ? "no loop backend to run it on" : "no connections or rate");
    goto fail;
  }
  L.http = calloc(L.k, sizeof *L.http);
  L.resp = calloc(L.k, sizeof *L.resp);
  rc = -ENOMEM;
  if (!L.http || !L.resp || cb_queue_create(&L.gate, sizeof(uint64_t), 1, 1, 0) != 0 ||
      cb_queue_create(&L.end, sizeof(uint64_t), 1, 1, 0) != 0) {
    snprintf(rep->err, sizeof rep->err, "the load's %llu connections: out of memory", (unsigned long long)L.k);
    goto fail;
  }
  for (uint64_t i = 0; i < L.k; i++) {
    cb_http_init(&L.http[i], (const struct sockaddr *)&L.addr, L.authority, 1);
    L.resp[i].keep_body = 1;
  }
  cb_job job;
  cb_params none = { { 0 } };
  if ((rc = cb_job_init(&job, &load_wl, &none, L.k, (uint32_t)L.k, LOAD_STACK)) != 0) {
    snprintf(rep->err, sizeof rep->err, "the load's job: %s", strerror(-rc));
    goto fail;
  }
  job.state = &L;
  L.start = job.t0_ns = cb_now_ns();
  L.connect_deadline = L.start + CONNECT_BUDGET_NS;
  rc = be->run(&job);
  if (rc) snprintf(rep->err, sizeof rep->err, "the load on %.20s: %.200s", be->name, job.err[0] ? job.err : strerror(-rc));
  cb_job_free(&job);
  if (rc) goto fail;
  rep->connect_s = L.t0 > L.start ? (double)(L.t0 - L.start) / 1e9 : 0;
  if (L.last_any > L.t0) rep->wall_s = (double)(L.last_any - L.t0) / 1e9;
  if (L.last_ok > L.t0) rep->rate_achieved = (double)rep->done / ((double)(L.last_ok - L.t0) / 1e9);
fail:
  rep->status = rc;
  for (uint64_t i = 0; L.resp && i < L.k; i++) cb_http_resp_free(&L.resp[i]);
  free(L.http);
  free(L.resp);
  if (L.gate) cb_queue_destroy(L.gate);
  if (L.end) cb_queue_destroy(L.end);
  return rc;
}
