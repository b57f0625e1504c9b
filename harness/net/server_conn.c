/* server_conn.c: the target server's connections: parsing requests, keeping answers in order, writing, lingering and closing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "net_int.h"

#define FLUSH_AT (64 * 1024)          /* write a pipelined batch out once it is this big */
#define STASH_MAX (64 * 1024)         /* input held while busy; beyond it, reading pauses */
#define HEADER_MAX 8192               /* request line and headers; more: 431 */
#define LINGER_MS 2000                /* after a closing response, wait this long for the client's FIN */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* ---- writing -------------------------------------------------------------------------------- */

static void on_write(uv_write_t *w, int status) {
  cb__conn *c = w->data;
  free(c->wbuf);
  c->wbuf = NULL;
  c->writing = 0;
  if (c->closing) return;
  if (status < 0) {
    cb__conn_close(c);
    return;
  }
  cb__conn_pump(c);
}

/* Write the shared output: directly if the socket takes it all (the usual case), else copy what
 * is left and queue it; the connection is busy until it is written. */
void cb__conn_flush(cb__conn *c) {
  cb__server *srv = c->srv;
  size_t len = srv->out_len;
  srv->out_len = 0;
  if (!len || c->closing) return;
  uv_buf_t b = uv_buf_init(srv->out, (unsigned)len);
  int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (n == UV_EAGAIN) n = 0;
  if (n < 0) {
    cb__conn_close(c);
    return;
  }
  if ((size_t)n == len) return;
  c->wbuf = malloc(len - (size_t)n);
  if (!c->wbuf) {
    cb__conn_close(c);
    return;
  }
  memcpy(c->wbuf, srv->out + n, len - (size_t)n);
  b = uv_buf_init(c->wbuf, (unsigned)(len - (size_t)n));
  c->wreq.data = c;
  if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
    free(c->wbuf);
    c->wbuf = NULL;
    cb__conn_close(c);
    return;
  }
  c->writing = 1;
}

/* Send a big body straight from the pattern: no per-request buffer, whatever its size. */
static void conn_stream(cb__conn *c) {
  cb__server *srv = c->srv;
  while (c->body_left && !c->closing) {
    size_t len = c->body_left < CB__SERVER_STREAM_CHUNK ? (size_t)c->body_left : CB__SERVER_STREAM_CHUNK;
    uv_buf_t b = uv_buf_init(srv->pattern + c->body_off % 36, (unsigned)len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == UV_EAGAIN) n = 0;
    if (n < 0) {
      cb__conn_close(c);
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
      cb__conn_close(c);
      return;
    }
    c->writing = 1;
    return;
  }
}

/* ---- closing -------------------------------------------------------------------------------- */

static void on_handle_close(uv_handle_t *h) {
  cb__conn *c = h->data;
  if (--c->handles) return;
  free(c->wbuf);
  free(c->in);
  if (c->url != c->url_small) free(c->url);
  free(c);
}

static void conn_unlink(cb__conn *c) {
  cb__server *srv = c->srv;
  c->closing = 1;
  if (c->prev) c->prev->next = c->next;
  else srv->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
  uv_close((uv_handle_t *)&c->timer, on_handle_close);
}

void cb__conn_close(cb__conn *c) {
  if (c->closing) return;
  conn_unlink(c);
  uv_close((uv_handle_t *)&c->tcp, on_handle_close);
}

/* An RST instead of a FIN: the client sees ECONNRESET (or EOF, if it lost the race). */
void cb__conn_reset(cb__conn *c) {
  if (c->closing) return;
  conn_unlink(c);
  if (uv_tcp_close_reset(&c->tcp, on_handle_close) != 0) uv_close((uv_handle_t *)&c->tcp, on_handle_close);
}

static void on_timer(uv_timer_t *t);

static void on_shutdown(uv_shutdown_t *r, int status) {
  cb__conn *c = r->data;
  if (c->closing) return;
  if (status < 0 || c->eof) {
    cb__conn_close(c);
    return;
  }
  uv_timer_start(&c->timer, on_timer, LINGER_MS, 0);
}

/* After the last response: FIN, then read and drop until the client's FIN (or LINGER_MS), so
 * closing with unread input never turns into an RST that eats the response. */
static void conn_finish(cb__conn *c) {
  c->lingering = 1;
  c->in_len = 0;
  if (c->eof) {
    cb__conn_close(c);
    return;
  }
  c->sreq.data = c;
  if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
    cb__conn_close(c);
    return;
  }
  if (c->read_stopped) {
    c->read_stopped = 0;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) cb__conn_close(c);
  }
}

/* ---- a request's turn ---------------------------------------------------------------------- */

/* An answer is pending or on its way out: input waits, so answers go out in order. */
static int busy(const cb__conn *c) {
  return c->closing || c->writing || c->timer_active || c->stalled || c->close_after || c->body_left;
}

/* The request's delay is over (answer it), or the lingering close has waited long enough. */
static void on_timer(uv_timer_t *t) {
  cb__conn *c = t->data;
  if (c->lingering) {
    cb__conn_close(c);
    return;
  }
  c->timer_active = 0;
  cb__server_respond(c);
  cb__conn_pump(c);
}

void cb__conn_timer_now(cb__conn *c) {
  uv_timer_stop(&c->timer);
  on_timer(&c->timer);
}

static int on_message_begin(http_parser *p) {
  cb__conn *c = p->data;
  c->url_len = 0;
  c->hdr_bytes = 0;
  c->in_value = 1;
  return 0;
}

static int count_header(cb__conn *c, size_t len) {
  c->hdr_bytes += len;
  if (c->hdr_bytes <= HEADER_MAX) return 0;
  c->hdr_error = 431;
  return -1;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  cb__conn *c = p->data;
  if (count_header(c, len)) return -1;
  if (c->url_len + len > c->url_cap) {
    /* Rare: longer than CB__SERVER_URL_INLINE; bounded by HEADER_MAX. */
    size_t cap = c->url_len + len + CB__SERVER_URL_INLINE;
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
  cb__conn *c = p->data;
  size_t line = c->in_value ? 4 : 0;   /* ": " and CRLF of each header line */
  c->in_value = 0;
  return count_header(c, len + line);
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  cb__conn *c = p->data;
  c->in_value = 1;
  return count_header(c, len);
}

static int on_headers_complete(http_parser *p) {
  cb__conn *c = p->data;
  c->req.keep_alive = http_should_keep_alive(p);
  c->req.head = p->method == HTTP_HEAD;
  return 0;
}

static int on_message_complete(http_parser *p) {
  cb__conn *c = p->data;
  cb__server *srv = c->srv;
  cb__server_route(c);
  if (c->req.delay_ms && !c->closing) {
    uv_update_time(&srv->loop);   /* never shorter than asked, however long this batch took */
    uv_timer_start(&c->timer, on_timer, c->req.delay_ms, 0);
    c->timer_active = 1;
  } else {
    cb__server_respond(c);
    if (srv->out_len >= FLUSH_AT) cb__conn_flush(c);
  }
  /* Answers go out in order: stop parsing until this one is on its way. */
  if (busy(c)) http_parser_pause(p, 1);
  return 0;
}

/* Parse as much input as the connection may take now; returns the bytes consumed. */
static size_t conn_feed(cb__conn *c, const char *data, size_t len) {
  size_t off = 0;
  while (off < len && !busy(c)) {
    off += http_parser_execute(&c->parser, &c->srv->settings, data + off, len - off);
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (e == HPE_PAUSED) {
      http_parser_pause(&c->parser, 0);
    } else if (e != HPE_OK) {
      if (!c->closing) cb__server_bad_request(c, c->hdr_error ? c->hdr_error : 400);
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
static int conn_stash(cb__conn *c, const char *data, size_t len) {
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
void cb__conn_pump(cb__conn *c) {
  cb__server *srv = c->srv;
  for (;;) {
    if (srv->out_len) cb__conn_flush(c);
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
        cb__conn_close(c);
        return;
      }
      memmove(c->in, c->in + n, c->in_len - n);
      c->in_len -= n;
      continue;
    }
    if (c->eof) {
      cb__conn_close(c);
      return;
    }
    if (c->read_stopped) {
      c->read_stopped = 0;
      if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) cb__conn_close(c);
    }
    return;
  }
}

/* ---- libuv callbacks ------------------------------------------------------------------------ */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  cb__conn *c = h->data;
  /* One buffer for all: on_read consumes or stashes it before libuv reads again. */
  *buf = uv_buf_init(c->srv->rbuf, CB__SERVER_READ_BUF);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  cb__conn *c = s->data;
  if (c->closing) return;
  if (nread < 0) {
    c->eof = 1;
    /* A client that leaves while its answer waits on a delay has given up (a timeout, most
     * likely): free the connection now rather than when the delay ends. */
    if (nread != UV_EOF || c->stalled || c->lingering || c->timer_active) cb__conn_close(c);
    else if (!busy(c)) cb__conn_pump(c);   /* parses what is held, then closes */
    /* else an answer is on its way out: conn_pump closes once it is written */
    return;
  }
  if (nread == 0 || c->stalled || c->lingering) return;
  size_t len = (size_t)nread;
  if (c->in_len || busy(c)) {
    if (conn_stash(c, buf->base, len) != 0) cb__conn_close(c);
    else if (!busy(c)) cb__conn_pump(c);
    return;
  }
  size_t n = conn_feed(c, buf->base, len);
  if (n < len && !c->closing && conn_stash(c, buf->base + n, len - n) != 0) cb__conn_close(c);
  cb__conn_pump(c);
}

/* A new connection's record, its handles open and in srv's list; its socket is the caller's to
 * attach (uv_accept, or uv_tcp_open when fuzzing). NULL when out of memory. */
cb__conn *cb__conn_new(cb__server *srv) {
  cb__conn *c = malloc(sizeof *c);
  if (!c) return NULL;
  memset(c, 0, offsetof(cb__conn, url_small));
  c->srv = srv;
  c->url = c->url_small;
  c->url_cap = CB__SERVER_URL_INLINE;
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


int cb__conn_read_start(cb__conn *c) {
  return uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

void cb__server_parser_settings(http_parser_settings *s) {
  s->on_message_begin = on_message_begin;
  s->on_url = on_url;
  s->on_header_field = on_header_field;
  s->on_header_value = on_header_value;
  s->on_headers_complete = on_headers_complete;
  s->on_message_complete = on_message_complete;
}
