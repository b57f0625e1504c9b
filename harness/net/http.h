/* http.h: the HTTP/1.1 client every backend's tasks share, written once on the runtime contract. */
#ifndef CB_HTTP_H
#define CB_HTTP_H

#include <stdint.h>
#include "cb.h"

/* One per worker: the kept-alive connection lives here between requests. */
typedef struct cb_http {
  const struct sockaddr *addr;
  const char *authority;       /* Host header: "127.0.0.1:PORT" */
  int keepalive;
  cb_conn *conn;
  unsigned used;               /* requests answered on conn */
  char rbuf[8192];
} cb_http;

typedef struct cb_http_resp {
  int status;
  uint64_t body_len;
  uint64_t body_hash;          /* FNV-1a over the body */
  int keep_body;               /* set by the caller: keep the body in body */
  char *body;                  /* NUL-terminated; reused between requests; cb_http_resp_free */
  size_t body_cap;
} cb_http_resp;

void cb_http_init(cb_http *h, const struct sockaddr *addr, const char *authority, int keepalive);

/* GET target ("/bytes/10?delay_ms=5") before the deadline. 0 with r filled, whatever the status;
 * or a negative error: connect/send/recv errors, -ETIMEDOUT, CB_EBADRESP for a malformed answer.
 * A kept-alive connection the server had closed is retried once on a new one. */
int cb_http_get(cb_ctx *ctx, cb_http *h, const char *target, cb_http_resp *r, int64_t deadline);

/* Close the kept-alive connection, if any. */
void cb_http_close(cb_ctx *ctx, cb_http *h);

void cb_http_resp_free(cb_http_resp *r);

#endif
