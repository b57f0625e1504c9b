/* server.c: the target HTTP/1.1 server: one libuv loop, http-parser, keep-alive, delays, faults. */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <http_parser.h>
#include <uv.h>
#include "server.h"
#include "util.h"

#define BACKLOG 4096
#define READ_BUF (64 * 1024)          /* one read; shared by every connection */
#define OUT_BUF (128 * 1024)          /* responses of one batch, shared; grows for big pages */
#define FLUSH_AT (64 * 1024)          /* write a pipelined batch out once it is this big */
#define INLINE_BODY (16 * 1024)       /* bigger /bytes bodies are streamed from the pattern */
#define STREAM_CHUNK (64 * 1024)
#define STASH_MAX (64 * 1024)         /* input held while busy; beyond it, reading pauses */
#define URL_INLINE 256
#define HEADER_MAX 8192               /* request line and headers; more: 431 */
#define LINGER_MS 2000                /* after a closing response, wait this long for the client's FIN */
#define PAGE_CACHE_N 65536            /* pages 0 .. N-1 are kept once rendered ... */
#define PAGE_CACHE_BYTES (64u << 20)  /* ... up to this many bytes in all */

typedef struct server server;
typedef struct conn conn;

enum { FAULT_NONE, FAULT_RESET, FAULT_500, FAULT_STALL };
enum { W_HEALTH, W_BYTES, W_SITE, W_ERROR };

/* What a parsed request gets; kept while its delay runs. */
typedef struct req {
  int status;
  int what;
  int fault;
  int keep_alive;
  int head;
  uint64_t n;                  /* /bytes length or /site page */
  uint64_t delay_ms;
  const char *msg;             /* W_ERROR body */
} req;

struct conn {
  uv_tcp_t tcp;
  uv_timer_t timer;            /* the request's delay, then the lingering close */
  uv_write_t wreq;
  uv_shutdown_t sreq;
  http_parser parser;
  server *srv;
  conn *prev, *next;
  req req;
  char *url;                   /* url_small or heap */
  size_t url_len, url_cap;
  size_t hdr_bytes;
  int in_value, hdr_error;
  char *in;                    /* input read while busy, or an unfinished request */
  size_t in_len, in_cap;
  char *wbuf;                  /* what uv_try_write could not write */
  uint64_t body_left, body_off;
  unsigned handles;            /* open libuv handles; freed at 0 */
  unsigned closing : 1, writing : 1, timer_active : 1, stalled : 1, close_after : 1,
           lingering : 1, eof : 1, read_stopped : 1;
  char url_small[URL_INLINE];
};

struct server {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_signal_t sigint, sigterm;
  http_parser_settings settings;
  cb_site site;
  double fault_rate;
  uint64_t fault_state;
  int stopping;
  conn *conns;
  char authority[80];
  char *out;                   /* the current connection's pending responses */
  size_t out_len, out_cap;
  char *scratch;               /* a rendered page */
  size_t scratch_cap;
  char **page;                 /* rendered pages, a pure function of (site, i): render once */
  uint32_t *page_len, npage;
  size_t page_bytes;
  char rbuf[READ_BUF];
  char pattern[STREAM_CHUNK + 36];   /* pattern + (j % 36) is the body from byte j on */
};

static void conn_pump(conn *c);
static void conn_close(conn *c);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

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
static int out_reserve(server *srv, size_t n) {
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
static int reply(conn *c, int status, const char *ctype, const char *extra,
                 const char *body, size_t blen, uint64_t clen) {
  server *srv = c->srv;
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

static int reply_text(conn *c, int status, const char *extra, const char *text) {
  size_t len = strlen(text);
  return reply(c, status, "text/plain; charset=utf-8", extra, text, c->req.head ? 0 : len, len);
}

static int reply_bytes(conn *c, uint64_t n) {
  server *srv = c->srv;
  if (n <= INLINE_BODY) return reply(c, 200, "application/octet-stream", "", srv->pattern, (size_t)n, n);
  int rc = reply(c, 200, "application/octet-stream", "", NULL, 0, n);
  if (rc == 0) {
    c->body_left = n;
    c->body_off = 0;
  }
  return rc;
}

static int reply_page(conn *c, uint64_t i) {
  server *srv = c->srv;
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

/* ---- writing -------------------------------------------------------------------------------- */

static void on_write(uv_write_t *w, int status) {
  conn *c = w->data;
  free(c->wbuf);
  c->wbuf = NULL;
  c->writing = 0;
  if (c->closing) return;
  if (status < 0) {
    conn_close(c);
    return;
  }
  conn_pump(c);
}

/* Write the shared output: directly if the socket takes it all (the usual case), else copy what
 * is left and queue it; the connection is busy until it is written. */
static void conn_flush(conn *c) {
  server *srv = c->srv;
  size_t len = srv->out_len;
  srv->out_len = 0;
  if (!len || c->closing) return;
  uv_buf_t b = uv_buf_init(srv->out, (unsigned)len);
  int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (n == UV_EAGAIN) n = 0;
  if (n < 0) {
    conn_close(c);
    return;
  }
  if ((size_t)n == len) return;
  c->wbuf = malloc(len - (size_t)n);
  if (!c->wbuf) {
    conn_close(c);
    return;
  }
  memcpy(c->wbuf, srv->out + n, len - (size_t)n);
  b = uv_buf_init(c->wbuf, (unsigned)(len - (size_t)n));
  c->wreq.data = c;
  if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
    free(c->wbuf);
    c->wbuf = NULL;
    conn_close(c);
    return;
  }
  c->writing = 1;
}

/* Send a big body straight from the pattern: no per-request buffer, whatever its size. */
static void conn_stream(conn *c) {
  server *srv = c->srv;
  while (c->body_left && !c->closing) {
    size_t len = c->body_left < STREAM_CHUNK ? (size_t)c->body_left : STREAM_CHUNK;
    uv_buf_t b = uv_buf_init(srv->pattern + c->body_off % 36, (unsigned)len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == UV_EAGAIN) n = 0;
    if (n < 0) {
      conn_close(c);
      return;
    }
    c->body_off += (uint64_t)n;
    c->body_left -= (uint64_t)n;
    if ((size_t)n == len) continue;
    /* The socket is full: queue the rest of this chunk and go on when it is written. */
    len -= (size_t)n;
    b = uv_buf_init(srv->pattern + c->body_off % 36, (unsigned)len);
    c->body_off += len;
    c->body_left -= len;
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
      conn_close(c);
      return;
    }
    c->writing = 1;
    return;
  }
}

/* ---- closing -------------------------------------------------------------------------------- */

static void on_handle_close(uv_handle_t *h) {
  conn *c = h->data;
  if (--c->handles) return;
  free(c->wbuf);
  free(c->in);
  if (c->url != c->url_small) free(c->url);
  free(c);
}

static void conn_unlink(conn *c) {
  server *srv = c->srv;
  c->closing = 1;
  if (c->prev) c->prev->next = c->next;
  else srv->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
  uv_close((uv_handle_t *)&c->timer, on_handle_close);
}

static void conn_close(conn *c) {
  if (c->closing) return;
  conn_unlink(c);
  uv_close((uv_handle_t *)&c->tcp, on_handle_close);
}

/* An RST instead of a FIN: the client sees ECONNRESET (or EOF, if it lost the race). */
static void conn_reset(conn *c) {
  if (c->closing) return;
  conn_unlink(c);
  if (uv_tcp_close_reset(&c->tcp, on_handle_close) != 0) uv_close((uv_handle_t *)&c->tcp, on_handle_close);
}

static void on_timer(uv_timer_t *t);

static void on_shutdown(uv_shutdown_t *r, int status) {
  conn *c = r->data;
  if (c->closing) return;
  if (status < 0 || c->eof) {
    conn_close(c);
    return;
  }
  uv_timer_start(&c->timer, on_timer, LINGER_MS, 0);
}

/* After the last response: FIN, then read and drop until the client's FIN (or LINGER_MS), so
 * closing with unread input never turns into an RST that eats the response. */
static void conn_finish(conn *c) {
  c->lingering = 1;
  c->in_len = 0;
  if (c->eof) {
    conn_close(c);
    return;
  }
  c->sreq.data = c;
  if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
    conn_close(c);
    return;
  }
  if (c->read_stopped) {
    c->read_stopped = 0;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) conn_close(c);
  }
}

/* ---- requests ------------------------------------------------------------------------------- */

static int busy(const conn *c) {
  return c->closing || c->writing || c->timer_active || c->stalled || c->close_after || c->body_left;
}

/* Fill c->req from the URL: endpoint, parameters, fault. */
static void route(conn *c) {
  server *srv = c->srv;
  req *r = &c->req;
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

/* The answer to c->req, now that its delay (if any) is over. */
static void respond(conn *c) {
  req *r = &c->req;
  int rc = 0;
  switch (r->fault) {
  case FAULT_RESET:
    conn_flush(c);   /* earlier pipelined answers first */
    conn_reset(c);
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
  if (rc) conn_close(c);
}

static void on_timer(uv_timer_t *t) {
  conn *c = t->data;
  if (c->lingering) {
    conn_close(c);
    return;
  }
  c->timer_active = 0;
  respond(c);
  conn_pump(c);
}

static int on_message_begin(http_parser *p) {
  conn *c = p->data;
  c->url_len = 0;
  c->hdr_bytes = 0;
  c->in_value = 1;
  return 0;
}

static int count_header(conn *c, size_t len) {
  c->hdr_bytes += len;
  if (c->hdr_bytes <= HEADER_MAX) return 0;
  c->hdr_error = 431;
  return -1;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  conn *c = p->data;
  if (count_header(c, len)) return -1;
  if (c->url_len + len > c->url_cap) {
    /* Rare: longer than URL_INLINE; bounded by HEADER_MAX. */
    size_t cap = c->url_len + len + URL_INLINE;
    char *u = malloc(cap);
    if (!u) return -1;
    memcpy(u, c->url, c->url_len);
    if (c->url != c->url_small) free(c->url);
    c->url = u;
    c->url_cap = cap;
  }
  memcpy(c->url + c->url_len, at, len);
  c->url_len += len;
  return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
  conn *c = p->data;
  size_t line = c->in_value ? 4 : 0;   /* ": " and CRLF of each header line */
  c->in_value = 0;
  return count_header(c, len + line);
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  conn *c = p->data;
  c->in_value = 1;
  return count_header(c, len);
}

static int on_headers_complete(http_parser *p) {
  conn *c = p->data;
  c->req.keep_alive = http_should_keep_alive(p);
  c->req.head = p->method == HTTP_HEAD;
  return 0;
}

static int on_message_complete(http_parser *p) {
  conn *c = p->data;
  server *srv = c->srv;
  route(c);
  if (c->req.delay_ms && !c->closing) {
    uv_update_time(&srv->loop);   /* never shorter than asked, however long this batch took */
    uv_timer_start(&c->timer, on_timer, c->req.delay_ms, 0);
    c->timer_active = 1;
  } else {
    respond(c);
    if (srv->out_len >= FLUSH_AT) conn_flush(c);
  }
  /* Answers go out in order: stop parsing until this one is on its way. */
  if (busy(c)) http_parser_pause(p, 1);
  return 0;
}

static void bad_request(conn *c, int status) {
  c->req.keep_alive = 0;
  c->req.head = 0;
  if (status == 431) reply_text(c, 431, "", "request header fields too large: at most 8 KiB of request line and headers\n");
  else reply_text(c, 400, "", "bad request: malformed HTTP/1.1\n");
}

/* Parse as much input as the connection may take now; returns the bytes consumed. */
static size_t conn_feed(conn *c, const char *data, size_t len) {
  size_t off = 0;
  while (off < len && !busy(c)) {
    off += http_parser_execute(&c->parser, &c->srv->settings, data + off, len - off);
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (e == HPE_PAUSED) {
      http_parser_pause(&c->parser, 0);
    } else if (e != HPE_OK) {
      if (!c->closing) bad_request(c, c->hdr_error ? c->hdr_error : 400);
      return len;
    }
    if (c->parser.upgrade) {
      /* Upgrade or CONNECT: what follows is not HTTP; answer what we have and close. */
      c->close_after = 1;
      return len;
    }
  }
  return off;
}

/* Keep input for later; past STASH_MAX stop reading until it drains. */
static int conn_stash(conn *c, const char *data, size_t len) {
  if (c->in_len + len > c->in_cap) {
    size_t cap = c->in_len + len + 1024;
    char *p = realloc(c->in, cap);
    if (!p) return UV_ENOMEM;
    c->in = p;
    c->in_cap = cap;
  }
  memcpy(c->in + c->in_len, data, len);
  c->in_len += len;
  if (c->in_len >= STASH_MAX && !c->read_stopped) {
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->read_stopped = 1;
  }
  return 0;
}

/* Move the connection on as far as it goes without waiting: write, stream, parse held input. */
static void conn_pump(conn *c) {
  server *srv = c->srv;
  for (;;) {
    if (srv->out_len) conn_flush(c);
    if (c->closing || c->writing || c->timer_active || c->stalled) return;
    if (c->body_left) {
      conn_stream(c);
      continue;
    }
    if (c->close_after) {
      if (!c->lingering) conn_finish(c);
      return;
    }
    if (c->in_len) {
      size_t n = conn_feed(c, c->in, c->in_len);
      if (n == 0 && !busy(c)) {   /* cannot happen; never spin */
        conn_close(c);
        return;
      }
      memmove(c->in, c->in + n, c->in_len - n);
      c->in_len -= n;
      continue;
    }
    if (c->eof) {
      conn_close(c);
      return;
    }
    if (c->read_stopped) {
      c->read_stopped = 0;
      if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) conn_close(c);
    }
    return;
  }
}

/* ---- libuv callbacks ------------------------------------------------------------------------ */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  conn *c = h->data;
  /* One buffer for all: on_read consumes or stashes it before libuv reads again. */
  *buf = uv_buf_init(c->srv->rbuf, READ_BUF);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  conn *c = s->data;
  if (c->closing) return;
  if (nread < 0) {
    c->eof = 1;
    /* A client that leaves while its answer waits on a delay has given up (a timeout, most
     * likely): free the connection now rather than when the delay ends. */
    if (nread != UV_EOF || c->stalled || c->lingering || c->timer_active) conn_close(c);
    else if (!busy(c)) conn_pump(c);   /* parses what is held, then closes */
    /* else an answer is on its way out: conn_pump closes once it is written */
    return;
  }
  if (nread == 0 || c->stalled || c->lingering) return;
  size_t len = (size_t)nread;
  if (c->in_len || busy(c)) {
    if (conn_stash(c, buf->base, len) != 0) conn_close(c);
    else if (!busy(c)) conn_pump(c);
    return;
  }
  size_t n = conn_feed(c, buf->base, len);
  if (n < len && !c->closing && conn_stash(c, buf->base + n, len - n) != 0) conn_close(c);
  conn_pump(c);
}

/* A new connection's record, its handles open and in srv's list; its socket is the caller's to
 * attach (uv_accept, or uv_tcp_open when fuzzing). NULL when out of memory. */
static conn *conn_new(server *srv) {
  conn *c = malloc(sizeof *c);
  if (!c) return NULL;
  memset(c, 0, offsetof(conn, url_small));
  c->srv = srv;
  c->url = c->url_small;
  c->url_cap = URL_INLINE;
  uv_tcp_init(&srv->loop, &c->tcp);
  uv_timer_init(&srv->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->handles = 2;
  c->next = srv->conns;
  if (c->next) c->next->prev = c;
  srv->conns = c;
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  return c;
}

static void on_connection(uv_stream_t *l, int status) {
  server *srv = l->data;
  if (status < 0 || srv->stopping) return;
  conn *c = conn_new(srv);
  if (!c) return;
  if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0) {
    conn_close(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) conn_close(c);
}

static void on_signal(uv_signal_t *sig, int signum) {
  server *srv = sig->data;
  if (srv->stopping) return;
  srv->stopping = 1;
  uv_close((uv_handle_t *)&srv->listener, NULL);
  uv_close((uv_handle_t *)&srv->sigint, NULL);
  uv_close((uv_handle_t *)&srv->sigterm, NULL);
  while (srv->conns) conn_close(srv->conns);
}



/* ---- running -------------------------------------------------------------------------------- */

static void raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 1u << 20 : rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {}   /* best effort: fewer connections, still correct */
}

static int resolve(const char *host, uint16_t port, struct sockaddr_storage *ss) {
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
  struct addrinfo *ai = NULL;
  int rc = getaddrinfo(host, NULL, &hints, &ai);
  if (rc != 0) return rc;
  memcpy(ss, ai->ai_addr, ai->ai_addrlen);
  if (ss->ss_family == AF_INET6) ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
  else ((struct sockaddr_in *)ss)->sin_port = htons(port);
  freeaddrinfo(ai);
  return 0;
}

static void close_walk(uv_handle_t *h, void *arg) {
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

/* Close what is left on the loop and free the server: shared by cb_server_run and the fuzzers'
 * one-connection entry point. */
static void server_free(server *srv, int loop_open) {
  if (loop_open && uv_loop_close(&srv->loop) != 0) {
    uv_walk(&srv->loop, close_walk, NULL);
    uv_run(&srv->loop, UV_RUN_DEFAULT);
    uv_loop_close(&srv->loop);
  }
  /* Only as far as the last cached page: a large site's table is mostly empty. */
  size_t left = srv->page_bytes;
  for (uint32_t i = 0; srv->page && left && i < srv->npage; i++)
    if (srv->page[i]) {
      left -= srv->page_len[i];
      free(srv->page[i]);
    }
  free(srv->page);
  free(srv->page_len);
  free(srv->out);
  free(srv->scratch);
  free(srv);
}

/* A server's state for opts, its loop not yet started; NULL when out of memory. */
static server *server_new(const cb_server_opts *o) {
  server *srv = calloc(1, sizeof *srv);
  if (!srv) return NULL;
  srv->out = malloc(OUT_BUF);
  srv->scratch = malloc(4096);
  srv->npage = o->site.pages < PAGE_CACHE_N ? o->site.pages : PAGE_CACHE_N;
  srv->page = calloc(srv->npage ? srv->npage : 1, sizeof *srv->page);
  srv->page_len = calloc(srv->npage ? srv->npage : 1, sizeof *srv->page_len);
  if (!srv->out || !srv->scratch || !srv->page || !srv->page_len) {
    server_free(srv, 0);
    return NULL;
  }
  srv->out_cap = OUT_BUF;
  srv->scratch_cap = 4096;
  srv->site = o->site;
  srv->fault_rate = o->fault_rate;
  srv->fault_state = o->fault_seed;
  /* The pattern is made once per process: a fuzzer makes a server many thousand times. */
  static char pattern[sizeof srv->pattern];
  if (!pattern[0])
    for (size_t j = 0; j < sizeof pattern; j++) pattern[j] = cb_body_byte(j);
  memcpy(srv->pattern, pattern, sizeof pattern);
  srv->settings.on_message_begin = on_message_begin;
  srv->settings.on_url = on_url;
  srv->settings.on_header_field = on_header_field;
  srv->settings.on_header_value = on_header_value;
  srv->settings.on_headers_complete = on_headers_complete;
  srv->settings.on_message_complete = on_message_complete;
  return srv;
}

int cb_server_run(const cb_server_opts *o, int ready_fd) {
  const char *host = o->host && *o->host ? o->host : "127.0.0.1";
  struct sockaddr_storage ss;
  struct sockaddr_storage bound;
  struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
  int rc, loop_open = 0, gai, blen = sizeof bound;
  uint16_t port = o->port;
  char ip[64];
  server *srv = server_new(o);
  if (!srv) {
    cb_errorf("serve: out of memory");
    return UV_ENOMEM;
  }

  raise_nofile();
  /* A peer that closes while we write must give EPIPE, not kill the process. */
  sigaction(SIGPIPE, &ign, &old_pipe);

  if ((gai = resolve(host, o->port, &ss)) != 0) {
    cb_errorf("serve: cannot listen on %s:%u: %s", host, o->port, gai_strerror(gai));
    rc = UV_EINVAL;
    goto restore;
  }
  if ((rc = uv_loop_init(&srv->loop)) != 0) {
    cb_errorf("serve: cannot start the event loop: %s", uv_strerror(rc));
    goto restore;
  }
  loop_open = 1;
  uv_tcp_init(&srv->loop, &srv->listener);
  srv->listener.data = srv;
  /* libuv reports some bind errors (EADDRINUSE) only at listen. */
  rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&ss, 0);
  if (rc == 0) rc = uv_listen((uv_stream_t *)&srv->listener, BACKLOG, on_connection);
  if (rc != 0) {
    cb_errorf("serve: cannot listen on %s:%u: %s%s", host, o->port, uv_strerror(rc),
              rc == UV_EADDRINUSE ? " (choose another --port, or 0 for any free one)" : "");
    goto stop;
  }

  if (uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &blen) == 0) {
    if (bound.ss_family == AF_INET6) {
      port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
      uv_ip6_name((struct sockaddr_in6 *)&bound, ip, sizeof ip);
      snprintf(srv->authority, sizeof srv->authority, "[%s]:%u", ip, port);
    } else {
      port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
      uv_ip4_name((struct sockaddr_in *)&bound, ip, sizeof ip);
      snprintf(srv->authority, sizeof srv->authority, "%s:%u", ip, port);
    }
  }

  uv_signal_init(&srv->loop, &srv->sigint);
  uv_signal_init(&srv->loop, &srv->sigterm);
  srv->sigint.data = srv->sigterm.data = srv;
  uv_signal_start(&srv->sigint, on_signal, SIGINT);
  uv_signal_start(&srv->sigterm, on_signal, SIGTERM);

  if (!o->quiet) {
    printf("serving http://%s/ (site: %u pages, %u links, seed %llu)\n", srv->authority,
           srv->site.pages, srv->site.links, (unsigned long long)srv->site.seed);
    fflush(stdout);
  }
  if (ready_fd >= 0) {
    char line[16];
    int n = snprintf(line, sizeof line, "%u\n", port);
    cb_write_all(ready_fd, line, (size_t)n);
  }

  rc = uv_run(&srv->loop, UV_RUN_DEFAULT);
  rc = 0;

stop:
  if (!srv->stopping) {
    srv->stopping = 1;
    uv_walk(&srv->loop, close_walk, NULL);
  }
  uv_run(&srv->loop, UV_RUN_DEFAULT);
restore:
  sigaction(SIGPIPE, &old_pipe, NULL);
  server_free(srv, loop_open);
  return rc;
}

/* ---- one connection without a network: fuzzing --------------------------------------------- */

/* Internal, not in a header: only fuzz/targets.c calls it (the fuzz targets and
 * tests/test_fuzz_regress.c). Serves one connection of a server set up as cb_server_run sets one
 * up, but nothing listens: the connection's socket is one end of an AF_UNIX socketpair and this
 * function is the client on the other end. It sends data in pieces of cuts[0], cuts[1], ... bytes
 * (what cuts leaves is one last piece), each given to the loop on its own, then its FIN: right
 * after the data when eof is 1, once nothing else happens when eof is 2, never when 0. It reads
 * what the server writes into out, all there is each turn of the loop, or at most read_max bytes
 * (> 0: a slow client, with both socket buffers as small as the kernel allows, so the server
 * meets a full socket); once cap bytes have come it closes its end, as a client that gives up. A
 * delay or a lingering close whose timer is all that is left ends at once: its callback runs
 * without the wait. Every request path runs unchanged. Returns CB__FEED_* bits, or a negative
 * error when it cannot start. */
#define CB__FEED_CAP 1      /* out filled up: the client gave up */
#define CB__FEED_ERR 2      /* the client's read failed (a reset) */
int cb__server_feed(const cb_server_opts *o, const char *data, size_t len, const size_t *cuts,
                    size_t ncuts, int eof, size_t read_max, char *out, size_t cap, size_t *outlen);

int cb__server_feed(const cb_server_opts *o, const char *data, size_t len, const size_t *cuts,
                    size_t ncuts, int eof, size_t read_max, char *out, size_t cap, size_t *outlen) {
  struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
  int sv[2] = { -1, -1 }, rc = 0, loop_open = 0, fin = 0, idle = 0;
  size_t pos = 0, k = 0;
  conn *c = NULL;
  *outlen = 0;
  server *srv = server_new(o);
  if (!srv) return UV_ENOMEM;
  snprintf(srv->authority, sizeof srv->authority, "127.0.0.1:8080");
  sigaction(SIGPIPE, &ign, &old_pipe);
  if ((rc = uv_loop_init(&srv->loop)) != 0) goto restore;
  loop_open = 1;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    rc = -errno;
    goto stop;
  }
  if (read_max) {
    int small = 1;   /* the kernel's minimum */
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  }
  /* As on_connection, with uv_tcp_open in place of uv_accept. */
  if (!(c = conn_new(srv))) {
    rc = UV_ENOMEM;
    goto stop;
  }
  if ((rc = uv_tcp_open(&c->tcp, sv[0])) != 0) {
    close(sv[0]);
    conn_close(c);
    goto stop;
  }
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) conn_close(c);

  /* Until three turns of the loop in a row move nothing. */
  while (idle < 3) {
    int moved = 0;
    if (sv[1] >= 0 && pos < len) {
      size_t piece = k < ncuts && cuts[k] && cuts[k] < len - pos ? cuts[k] : len - pos;
      ssize_t n = send(sv[1], data + pos, piece, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        pos += (size_t)n;
        if ((size_t)n == piece) k++;
        moved = 1;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        pos = len;   /* the server has gone: the rest is never sent */
      }
    } else if (sv[1] >= 0 && eof == 1 && !fin) {
      shutdown(sv[1], SHUT_WR);
      fin = moved = 1;
    }
    uv_run(&srv->loop, UV_RUN_NOWAIT);
    while (sv[1] >= 0) {
      size_t want = read_max && read_max < cap - *outlen ? read_max : cap - *outlen;
      ssize_t n = recv(sv[1], out + *outlen, want, MSG_DONTWAIT);
      if (n > 0) {
        *outlen += (size_t)n;
        moved = 1;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN) rc |= CB__FEED_ERR;
      if (*outlen == cap || (n < 0 && errno != EAGAIN)) {
        if (*outlen == cap) rc |= CB__FEED_CAP;
        close(sv[1]);
        sv[1] = -1;
        moved = 1;
      }
      if (n <= 0 || read_max) break;
    }
    if (moved) {
      idle = 0;
      continue;
    }
    c = srv->conns;
    if (c && uv_is_active((uv_handle_t *)&c->timer)) {
      uv_timer_stop(&c->timer);
      on_timer(&c->timer);
      idle = 0;
      continue;
    }
    if (sv[1] >= 0 && eof == 2 && !fin) {
      shutdown(sv[1], SHUT_WR);
      fin = 1;
      idle = 0;
      continue;
    }
    idle++;
  }

stop:
  while (srv->conns) conn_close(srv->conns);
  uv_run(&srv->loop, UV_RUN_DEFAULT);
restore:
  sigaction(SIGPIPE, &old_pipe, NULL);
  if (sv[1] >= 0) close(sv[1]);
  server_free(srv, loop_open);
  return rc;
}
