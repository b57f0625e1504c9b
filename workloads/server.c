/* server.c: the backend is the server: each task accepts one keep-alive connection and answers
 * its HTTP/1.1 requests (a wait, some work, then the bytes) until the client closes it; the
 * harness's load generator drives it open loop from a process of its own (the C10K experiment). */
#include <errno.h>
#include <http_parser.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "workload.h"
#include "clock.h"
#include "http.h"
#include "site.h"

enum { P_DELAY, P_WORK, P_BYTES, P_CONNS, P_TIMEOUT };

static const cb_param_spec server_params[] = {
  [P_DELAY] = { .name = "delay_ms", .unit = "ms", .def = 1, .min = 0, .max = 3600000, .integer = 1,
                .help = "how long the handler waits (cb_sleep) before it answers each request" },
  [P_WORK] = { .name = "work", .unit = "units", .def = 0, .min = 0, .max = 1e9, .integer = 1,
               .help = "compute units the handler runs per request (cb_compute)" },
  [P_BYTES] = { .name = "bytes", .unit = "bytes", .def = 256, .min = 16, .max = 1 << 20, .integer = 1,
                .help = "size of each response body" },
  [P_CONNS] = { .name = "connections", .unit = "conns", .def = 0, .min = 0, .max = 1000000, .integer = 1,
                .help = "keep-alive connections the load holds open (0: as many as -c)" },
  [P_TIMEOUT] = { .name = "timeout_ms", .unit = "ms", .def = 1000, .min = 1, .max = 3600000, .integer = 1,
                  .help = "deadline of each request after its due time: later counts as an error" },
};

#define HASH_HEX 16            /* the body opens with the handler's hash, in hex */
#define RBUF 1024              /* requests are small; a longer one is parsed in pieces */
#define SEND_INLINE 2048       /* a response up to this size is built on the stack */

typedef struct state {
  int fd;                      /* the run's listening socket */
} state;

static uint64_t server_conns(const cb_params *p, uint32_t conc) {
  return p->v[P_CONNS] > 0 ? (uint64_t)p->v[P_CONNS] : conc;
}

static double server_timeout(const cb_params *p) { return p->v[P_TIMEOUT]; }

static int server_target(const cb_params *p, uint64_t j, char *buf, size_t len) {
  int n = snprintf(buf, len, "/r/%" PRIu64, j);
  return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The body of the answer to request id: the hash in hex, then the target server's pattern. */
static void body_fill(char *out, uint64_t hash, uint64_t bytes) {
  char hex[HASH_HEX + 1];
  snprintf(hex, sizeof hex, "%016" PRIx64, hash);
  memcpy(out, hex, HASH_HEX);
  for (uint64_t j = HASH_HEX; j < bytes; j++) out[j] = cb_body_byte(j);
}

static int server_check(const cb_params *p, uint64_t j, const struct cb_http_resp *r, uint64_t *sum) {
  uint64_t bytes = (uint64_t)p->v[P_BYTES];
  if (r->status != 200) return r->status >= 500 ? CB_EHTTP5XX : CB_EHTTPSTATUS;
  if (r->body_len != bytes || !r->body) return CB_EBODY;
  for (uint64_t k = 0; k < HASH_HEX; k++) {
    char ch = r->body[k];
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return CB_EBODY;
  }
  for (uint64_t k = HASH_HEX; k < bytes; k++)
    if (r->body[k] != cb_body_byte(k)) return CB_EBODY;
  /* The hash covers what the handler computed: every backend must agree on it. */
  *sum += cb_mix64(j ^ r->body_hash);
  return 0;
}

static const cb_load_spec server_load = {
  .connections = server_conns,
  .timeout_ms = server_timeout,
  .target = server_target,
  .check = server_check,
};

/* ---- the handler: requests parsed with http-parser, one at a time, pipelined ones in order ---- */

typedef struct req {
  uint64_t id;
  int have_id, done, bad;
} req;

static int on_url(http_parser *hp, const char *at, size_t len) {
  req *r = hp->data;
  /* "/r/<id>": anything else is answered 404. The URL may come in pieces; ids are short. */
  static const char pre[] = "/r/";
  for (size_t i = 0; i < len; i++) {
    char ch = at[i];
    if (r->have_id >= 0 && r->have_id < 3) {
      if (ch != pre[r->have_id]) r->have_id = -1;
      else r->have_id++;
    } else if (r->have_id >= 3 && ch >= '0' && ch <= '9' && r->id < UINT64_MAX / 10) {
      r->id = r->id * 10 + (uint64_t)(ch - '0');
      r->have_id++;
    } else {
      r->have_id = -1;
    }
  }
  return 0;
}

static int on_complete(http_parser *hp) {
  req *r = hp->data;
  r->done = 1;
  http_parser_pause(hp, 1);    /* one request at a time: the next waits for this one's answer */
  return 0;
}

static const http_parser_settings settings = { .on_url = on_url, .on_message_complete = on_complete };

static int serve(cb_ctx *ctx, const cb_params *p, cb_conn *c) {
  char rbuf[RBUF];
  http_parser hp;
  req r = { 0 };
  uint64_t bytes = (uint64_t)p->v[P_BYTES];
  char *big = bytes + 128 > SEND_INLINE ? malloc(bytes + 128) : NULL;
  if (bytes + 128 > SEND_INLINE && !big) return -ENOMEM;
  http_parser_init(&hp, HTTP_REQUEST);
  hp.data = &r;
  int rc = 0;
  for (;;) {
    ssize_t n = cb_tcp_recv(ctx, c, rbuf, sizeof rbuf, 0);
    /* The client's end (a close, or a reset from one that gave up) ends the connection, a
     * request half sent included: nothing was asked that can be answered. */
    if (n <= 0) {
      if (n < 0 && n != -ECONNRESET && n != -EPIPE) rc = (int)n;
      break;
    }
    size_t off = 0;
    while (off < (size_t)n) {
      size_t used = http_parser_execute(&hp, &settings, rbuf + off, (size_t)n - off);
      off += used;
      enum http_errno e = HTTP_PARSER_ERRNO(&hp);
      if (e != HPE_OK && e != HPE_PAUSED) { rc = CB_EBADRESP; goto out; }
      if (!r.done) break;
      int keep = http_should_keep_alive(&hp);
      char hdr_small[SEND_INLINE];
      char *out = big ? big : hdr_small;
      int found = r.have_id > 3;
      if (found && p->v[P_DELAY] > 0) cb_sleep(ctx, (uint64_t)p->v[P_DELAY]);
      uint64_t h = !found ? 0 : p->v[P_WORK] > 0 ? cb_compute(ctx, r.id, (uint64_t)p->v[P_WORK]) : cb_mix64(r.id);
      int hl = snprintf(out, 128, "HTTP/1.1 %s\r\nContent-Length: %" PRIu64 "\r\n%s\r\n",
                        found ? "200 OK" : "404 Not Found", found ? bytes : 0, keep ? "" : "Connection: close\r\n");
      size_t len = (size_t)hl;
      if (found) {
        body_fill(out + len, h, bytes);
        len += bytes;
      }
      /* A slow reader holds its own handler up, no other: the deadline bounds even that. */
      ssize_t w = cb_tcp_send(ctx, c, out, len, cb_now_ns() + (int64_t)p->v[P_TIMEOUT] * 1000000);
      if (w < 0) {
        if (w != -ECONNRESET && w != -EPIPE) rc = (int)w;
        goto out;
      }
      if (!keep) goto out;
      memset(&r, 0, sizeof r);
      http_parser_pause(&hp, 0);
    }
  }
out:
  free(big);
  return rc;
}

static int server_setup(const cb_setup *su, void **out) {
  state *st = calloc(1, sizeof *st);
  if (!st) return -ENOMEM;
  st->fd = su->listen_fd;
  *out = st;
  return 0;
}

/* One connection: accept it, serve it until the client closes it. A task that gets none because
 * the load ended (the listener shut down) did nothing wrong: the load had fewer connections up. */
static int server_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  state *st = vst;
  cb_conn *c = NULL;
  int rc = cb_tcp_accept(ctx, st->fd, 0, &c);
  if (rc == CB_EOF) return 0;
  if (rc) return rc;
  rc = serve(ctx, p, c);
  cb_tcp_close(ctx, c);
  *sum = cb_mix64(index);
  return rc;
}

static int server_teardown(void *vst) {
  free(vst);
  return 0;
}

/* Bounded by the load's schedule: the last request is due at the end of the duration. Given per
 * case by the harness (the rate's span); per request, one wait. */
static double server_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) {
  return p->v[P_DELAY] / 1000.0 + p->v[P_WORK] * m->unit_s;
}

static int server_computes(const cb_params *p) { return p->v[P_WORK] > 0; }

const cb_workload cb_workload_server = {
  .name = "server",
  .summary = "the backend serves HTTP/1.1 keep-alive; a load process sends --rate req/s over -p connections=K",
  .kind = CB_KIND_IO,
  .uses = CB_USES_TCP | CB_USES_LISTEN | CB_USES_TIME | CB_USES_COMPUTE,
  .fds_per_worker = 1,
  .params = server_params,
  .nparams = sizeof server_params / sizeof server_params[0],
  .setup = server_setup,
  .task = server_task,
  .teardown = server_teardown,
  .ideal = server_ideal,
  .computes = server_computes,
  .load = &server_load,
  .serial_note = "one connection at a time: the others wait in the accept queue until it closes",
};
