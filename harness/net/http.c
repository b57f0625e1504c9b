/* http.c: the HTTP/1.1 client every backend's tasks share, written once on the runtime contract:
 * keep-alive connections reused per worker, responses parsed with http-parser, a deadline. */
#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http.h"

typedef struct exchange {
  cb_http_resp *r;
  int complete;
  int oom;
} exchange;

static int on_headers_complete(http_parser *p) {
  exchange *x = p->data;
  x->r->status = (int)p->status_code;
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  exchange *x = p->data;
  cb_http_resp *r = x->r;
  r->body_hash = cb_fnv1a(r->body_hash, at, len);
  if (r->keep_body) {
    if (r->body_len + len + 1 > r->body_cap) {
      size_t ncap = r->body_cap ? r->body_cap : 4096;
      while (ncap < r->body_len + len + 1) ncap *= 2;
      char *nb = realloc(r->body, ncap);
      if (!nb) { x->oom = 1; return -1; }
      r->body = nb;
      r->body_cap = ncap;
    }
    memcpy(r->body + r->body_len, at, len);
    r->body[r->body_len + len] = '\0';
  }
  r->body_len += len;
  return 0;
}

static int on_message_complete(http_parser *p) {
  exchange *x = p->data;
  if (p->status_code >= 100 && p->status_code < 200 && p->status_code != 101) {
    /* An interim answer (100 Continue, 103 Early Hints): the real one follows (RFC 9110 15.2). */
    x->r->status = 0;
    x->r->body_len = 0;
    x->r->body_hash = CB_FNV_INIT;
    if (x->r->keep_body && x->r->body) x->r->body[0] = '\0';
    return 0;
  }
  x->complete = 1;
  http_parser_pause(p, 1);     /* bytes after this answer are not ours to parse */
  return 0;
}

static const http_parser_settings settings = {
  .on_headers_complete = on_headers_complete,
  .on_body = on_body,
  .on_message_complete = on_message_complete,
};

void cb_http_init(cb_http *h, const struct sockaddr *addr, const char *authority, int keepalive) {
  memset(h, 0, sizeof *h);
  h->addr = addr;
  h->authority = authority;
  h->keepalive = keepalive;
}

void cb_http_close(cb_ctx *ctx, cb_http *h) {
  if (h->conn) cb_tcp_close(ctx, h->conn);
  h->conn = NULL;
  h->used = 0;
}

void cb_http_resp_free(cb_http_resp *r) {
  free(r->body);
  r->body = NULL;
  r->body_cap = 0;
}

/* One request on h->conn. *fresh_fail is set when a reused connection turned out closed before
 * any byte of the answer came: the caller may retry on a new connection. */
static int exchange_once(cb_ctx *ctx, cb_http *h, const char *req, size_t reqlen, cb_http_resp *r,
                         int64_t deadline, int *stale) {
  exchange x = { .r = r };
  http_parser p;
  size_t got = 0;
  *stale = 0;
  ssize_t n = cb_tcp_send(ctx, h->conn, req, reqlen, deadline);
  if (n < 0) {
    *stale = h->used > 0 && (n == -EPIPE || n == -ECONNRESET);
    return (int)n;
  }
  http_parser_init(&p, HTTP_RESPONSE);
  p.data = &x;
  r->status = 0;
  r->body_len = 0;
  r->body_hash = CB_FNV_INIT;
  if (r->keep_body && r->body) r->body[0] = '\0';
  while (!x.complete) {
    n = cb_tcp_recv(ctx, h->conn, h->rbuf, sizeof h->rbuf, deadline);
    if (n < 0) {
      *stale = h->used > 0 && got == 0 && n == -ECONNRESET;
      return (int)n;
    }
    if (n == 0) {
      /* The end of the stream ends a body that had no length; otherwise it is cut short. */
      http_parser_execute(&p, &settings, NULL, 0);
      if (x.complete) break;
      *stale = h->used > 0 && got == 0;
      return -ECONNRESET;         /* closed before the answer ended */
    }
    got += (size_t)n;
    size_t used = http_parser_execute(&p, &settings, h->rbuf, (size_t)n);
    if (x.oom) return -ENOMEM;
    if (HTTP_PARSER_ERRNO(&p) != HPE_OK && HTTP_PARSER_ERRNO(&p) != HPE_PAUSED) return CB_EBADRESP;
    if (x.complete && used < (size_t)n) return CB_EBADRESP;   /* we never pipeline: extra bytes are wrong */
  }
  if (!h->keepalive || !http_should_keep_alive(&p)) cb_http_close(ctx, h);
  else h->used++;
  return 0;
}

static int http_get(cb_ctx *ctx, cb_http *h, const char *target, cb_http_resp *r, int64_t deadline);

/* Each request is one "request" operation in the latency histograms, connecting included. */
int cb_http_get(cb_ctx *ctx, cb_http *h, const char *target, cb_http_resp *r, int64_t deadline) {
  int64_t t0 = cb_now_ns();
  int rc = http_get(ctx, h, target, r, deadline);
  cb__op_record(ctx, CB_OP_REQUEST, t0);
  return rc;
}

/* s appended at buf + *n, within cap: 0, or -1 when it does not fit. */
static int put(char *buf, size_t cap, size_t *n, const char *s) {
  size_t l = strlen(s);
  if (l >= cap - *n) return -1;
  memcpy(buf + *n, s, l);
  *n += l;
  return 0;
}

static int http_get(cb_ctx *ctx, cb_http *h, const char *target, cb_http_resp *r, int64_t deadline) {
  /* Assembled piece by piece: a formatted print per request was an eighth of the client's time. */
  char req[1024];
  size_t len = 0;
  if (put(req, sizeof req, &len, "GET ") || put(req, sizeof req, &len, target) ||
      put(req, sizeof req, &len, " HTTP/1.1\r\nHost: ") || put(req, sizeof req, &len, h->authority) ||
      put(req, sizeof req, &len, "\r\nUser-Agent: concbench\r\n") ||
      put(req, sizeof req, &len, h->keepalive ? "\r\n" : "Connection: close\r\n\r\n"))
    return -ENAMETOOLONG;
  for (int attempt = 0; attempt < 2; attempt++) {
    int stale = 0, rc;
    if (!h->conn && (rc = cb_tcp_connect(ctx, h->addr, deadline, &h->conn)) != 0) {
      h->conn = NULL;
      return rc;
    }
    rc = exchange_once(ctx, h, req, len, r, deadline, &stale);
    if (rc == 0) return 0;
    cb_http_close(ctx, h);     /* after any error the connection's state is unknown */
    if (!stale) return rc;
  }
  return -ECONNRESET;
}
