/* server_routes.c: the target server's answers: which endpoint a URL names, its parameters and faults, and the responses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net_int.h"
#include "site.h"
#include "util.h"

#define INLINE_BODY (16 * 1024)       /* bigger /bytes bodies are streamed from the pattern */
#define PAGE_CACHE_BYTES (64u << 20)  /* rendered pages kept, in bytes in all */

enum { FAULT_NONE, FAULT_RESET, FAULT_500, FAULT_STALL };
enum { W_HEALTH, W_BYTES, W_SITE, W_ERROR };

/* ---- small helpers -------------------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s) {
  uint64_t x = (*s += 0x9e3779b97f4a7c15ull);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* A whole decimal number: digits only, no overflow. */
static int parse_num(const char *s, size_t len, uint64_t *out) {
  uint64_t v = 0;
  if (len == 0 || len > 19) return -1;
  for (size_t k = 0; k < len; k++) {
    if (s[k] < '0' || s[k] > '9') return -1;
    v = v * 10 + (uint64_t)(s[k] - '0');
  }
  *out = v;
  return 0;
}

static int span_eq(const char *s, size_t len, const char *lit) {
  size_t n = strlen(lit);
  return len == n && memcmp(s, lit, n) == 0;
}

static const char *reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  default: return "Unknown";
  }
}

/* Room for n more bytes in the shared output buffer. */
static int out_reserve(cb__server *srv, size_t n) {
  if (srv->out_len + n <= srv->out_cap) return 0;
  size_t cap = srv->out_cap * 2;
  while (cap < srv->out_len + n) cap *= 2;
  char *p = realloc(srv->out, cap);
  if (!p) return UV_ENOMEM;
  srv->out = p;
  srv->out_cap = cap;
  return 0;
}

/* ---- responses ------------------------------------------------------------------------------ */

/* Append one response to the shared output: the header, then blen bytes of body. The body is
 * clen long; what blen leaves out is streamed (c->body_left) after the output is written. */
static int reply(cb__conn *c, int status, const char *ctype, const char *extra,
                 const char *body, size_t blen, uint64_t clen) {
  cb__server *srv = c->srv;
  int rc = out_reserve(srv, 256 + strlen(extra) + blen);
  if (rc) return rc;
  int n = snprintf(srv->out + srv->out_len, srv->out_cap - srv->out_len,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %llu\r\nConnection: %s\r\n%s\r\n",
                   status, reason(status), ctype, (unsigned long long)clen,
                   c->req.keep_alive ? "keep-alive" : "close", extra);
  srv->out_len += (size_t)n;
  if (blen) memcpy(srv->out + srv->out_len, body, blen);
  srv->out_len += blen;
  if (!c->req.keep_alive) c->close_after = 1;
  return 0;
}

static int reply_text(cb__conn *c, int status, const char *extra, const char *text) {
  size_t len = strlen(text);
  return reply(c, status, "text/plain; charset=utf-8", extra, text, c->req.head ? 0 : len, len);
}

static int reply_bytes(cb__conn *c, uint64_t n) {
  cb__server *srv = c->srv;
  if (n <= INLINE_BODY) return reply(c, 200, "application/octet-stream", "", srv->pattern, (size_t)n, n);
  int rc = reply(c, 200, "application/octet-stream", "", NULL, 0, n);
  if (rc == 0) {
    c->body_left = n;
    c->body_off = 0;
  }
  return rc;
}

static int reply_page(cb__conn *c, uint64_t i) {
  cb__server *srv = c->srv;
  size_t len;
  if (i < srv->site.pages) {
    if (i < srv->npage && srv->page[i])
      return reply(c, 200, "text/html; charset=utf-8", "", srv->page[i], srv->page_len[i], srv->page_len[i]);
    len = cb_site_render(&srv->site, (uint32_t)i, srv->authority, srv->scratch, srv->scratch_cap);
    if (len >= srv->scratch_cap) {
      char *p = realloc(srv->scratch, len + 1);
      if (!p) return UV_ENOMEM;
      srv->scratch = p;
      srv->scratch_cap = len + 1;
      cb_site_render(&srv->site, (uint32_t)i, srv->authority, srv->scratch, srv->scratch_cap);
    }
    if (i < srv->npage && srv->page_bytes + len <= PAGE_CACHE_BYTES && (srv->page[i] = malloc(len))) {
      memcpy(srv->page[i], srv->scratch, len);
      srv->page_len[i] = (uint32_t)len;
      srv->page_bytes += len;
    }
    return reply(c, 200, "text/html; charset=utf-8", "", srv->scratch, len, len);
  }
  /* scratch is at least 4 KiB, plenty for this. */
  len = (size_t)snprintf(srv->scratch, srv->scratch_cap,
                         "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                         "<title>Not Found</title>\n</head>\n<body>\n<h1>Not Found</h1>\n"
                         "<p>This site has %u pages; there is no page %llu.</p>\n</body>\n</html>\n",
                         srv->site.pages, (unsigned long long)i);
  return reply(c, 404, "text/html; charset=utf-8", "", srv->scratch, len, len);
}

/* ---- routing --------------------------------------------------------------------------------- */

void cb__server_route(cb__conn *c) {
  cb__server *srv = c->srv;
  cb__req *r = &c->req;
  const char *u = c->url, *end = c->url + c->url_len;
  r->status = 200;
  r->fault = FAULT_NONE;
  r->delay_ms = 0;
  r->n = 0;
  r->msg = NULL;
  if (c->parser.method != HTTP_GET) {
    r->what = W_ERROR;
    r->status = 405;
    r->msg = "method not allowed: this server answers GET only\n";
    return;
  }
  /* absolute-form request target: http://host/path */
  if ((end - u >= 7 && memcmp(u, "http://", 7) == 0) || (end - u >= 8 && memcmp(u, "https://", 8) == 0)) {
    const char *host = u + (u[4] == ':' ? 7 : 8);
    const char *p = memchr(host, '/', (size_t)(end - host));
    u = p ? p : end;
  }
  const char *q = memchr(u, '?', (size_t)(end - u));
  const char *hash = memchr(u, '#', (size_t)(end - u));
  if (hash) end = hash;
  if (q && q > end) q = NULL;
  const char *pend = q ? q : end;
  size_t plen = (size_t)(pend - u);

  if (span_eq(u, plen, "/health")) {
    r->what = W_HEALTH;
  } else if (plen > 7 && memcmp(u, "/bytes/", 7) == 0) {
    r->what = W_BYTES;
    if (parse_num(u + 7, plen - 7, &r->n) != 0 || r->n > CB_SERVER_MAX_BODY) {
      r->what = W_ERROR;
      r->status = 400;
      r->msg = "bad request: /bytes/N takes a whole number of bytes N up to 67108864\n";
      return;
    }
  } else if (plen > 11 && memcmp(u, "/site/", 6) == 0 && memcmp(pend - 5, ".html", 5) == 0 &&
             parse_num(u + 6, plen - 11, &r->n) == 0 && (u[6] != '0' || plen == 12)) {
    r->what = W_SITE;   /* canonical numbers only: one URL per page */
  } else {
    r->what = W_ERROR;
    r->status = 404;
    r->msg = "not found: the endpoints are /bytes/N, /site/I.html and /health\n";
  }

  for (const char *p = q ? q + 1 : end; p < end;) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *pe = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(pe - p));
    size_t klen = (size_t)((eq ? eq : pe) - p);
    const char *v = eq ? eq + 1 : pe;
    size_t vlen = (size_t)(pe - v);
    if (span_eq(p, klen, "delay_ms")) {
      if (!eq || parse_num(v, vlen, &r->delay_ms) != 0 || r->delay_ms > CB_SERVER_MAX_DELAY_MS) {
        r->what = W_ERROR;
        r->status = 400;
        r->msg = "bad request: delay_ms takes a whole number of milliseconds up to 3600000\n";
        r->delay_ms = 0;
        r->fault = FAULT_NONE;
        return;
      }
    } else if (span_eq(p, klen, "fail")) {
      if (eq && span_eq(v, vlen, "reset")) r->fault = FAULT_RESET;
      else if (eq && span_eq(v, vlen, "500")) r->fault = FAULT_500;
      else if (eq && span_eq(v, vlen, "stall")) r->fault = FAULT_STALL;
      else {
        r->what = W_ERROR;
        r->status = 400;
        r->msg = "bad request: fail takes reset, 500 or stall\n";
        r->delay_ms = 0;
        r->fault = FAULT_NONE;
        return;
      }
    }
    p = pe + 1;
  }

  /* Server-wide faults spare /health, so a readiness probe works whatever the rate. */
  if (r->what != W_HEALTH && srv->fault_rate > 0) {
    uint64_t x = splitmix(&srv->fault_state);
    if ((double)(x >> 11) * 0x1.0p-53 < srv->fault_rate && r->fault == FAULT_NONE)
      r->fault = FAULT_RESET + (int)((x & 0x7ff) % 3);
  }
}

void cb__server_respond(cb__conn *c) {
  cb__req *r = &c->req;
  int rc = 0;
  switch (r->fault) {
  case FAULT_RESET:
    cb__conn_flush(c);   /* earlier pipelined answers first */
    cb__conn_reset(c);
    return;
  case FAULT_STALL:
    c->stalled = 1;   /* input held or still to come is never looked at again */
    return;
  case FAULT_500:
    rc = reply_text(c, 500, "", "internal server error (injected fault)\n");
    break;
  default:
    switch (r->what) {
    case W_HEALTH: rc = reply_text(c, 200, "", "ok"); break;
    case W_BYTES: rc = reply_bytes(c, r->n); break;
    case W_SITE: rc = reply_page(c, r->n); break;
    default: rc = reply_text(c, r->status, r->status == 405 ? "Allow: GET\r\n" : "", r->msg); break;
    }
  }
  if (rc) cb__conn_close(c);
}

void cb__server_bad_request(cb__conn *c, int status) {
  c->req.keep_alive = 0;
  c->req.head = 0;
  if (status == 431) reply_text(c, 431, "", "request header fields too large: at most 8 KiB of request line and headers\n");
  else reply_text(c, 400, "", "bad request: malformed HTTP/1.1\n");
}

