/* net_int.h: the net layer's internal calls, and the target server's state shared by its files; not a public API. */
#ifndef CB_NET_INT_H
#define CB_NET_INT_H

#include <stddef.h>
#include <stdint.h>
#include <http_parser.h>
#include <uv.h>
#include "server.h"

/* ---- one connection without a network: fuzzing ----------------------------------------------- */

/* Only fuzz/targets.c calls it (the fuzz targets and tests/test_fuzz_regress.c). Serves one
 * connection of a server set up as cb_server_run sets one up, but nothing listens: the
 * connection's socket is one end of an AF_UNIX socketpair and this function is the client on the
 * other end. It sends data in pieces of cuts[0], cuts[1], ... bytes (what cuts leaves is one last
 * piece), each given to the loop on its own, then its FIN: right after the data when eof is 1,
 * once nothing else happens when eof is 2, never when 0. It reads what the server writes into
 * out, all there is each turn of the loop, or at most read_max bytes (> 0: a slow client, with
 * both socket buffers as small as the kernel allows, so the server meets a full socket); once
 * cap bytes have come it closes its end, as a client that gives up. A delay or a lingering close
 * whose timer is all that is left ends at once: its callback runs without the wait. Every
 * request path runs unchanged. Returns CB__FEED_* bits, or a negative error when it cannot
 * start. */
#define CB__FEED_CAP 1      /* out filled up: the client gave up */
#define CB__FEED_ERR 2      /* the client's read failed (a reset) */
int cb__server_feed(const cb_server_opts *o, const char *data, size_t len, const size_t *cuts,
                    size_t ncuts, int eof, size_t read_max, char *out, size_t cap, size_t *outlen);

/* ---- the server's state: server.c (listening, lifecycle), server_conn.c (parsing, connections),
 * server_routes.c (routes, responses, faults) ---------------------------------------------------- */

#define CB__SERVER_READ_BUF (64 * 1024)       /* one read; shared by every connection */
#define CB__SERVER_STREAM_CHUNK (64 * 1024)   /* bigger bodies are written from the pattern in these */
#define CB__SERVER_URL_INLINE 256             /* URLs up to this long need no allocation */

typedef struct cb__server cb__server;
typedef struct cb__conn cb__conn;

/* What a parsed request gets; kept while its delay runs. */
typedef struct cb__req {
  int status;
  int what;
  int fault;
  int keep_alive;
  int head;
  uint64_t n;                  /* /bytes length or /site page */
  uint64_t delay_ms;
  const char *msg;             /* W_ERROR body */
} cb__req;

struct cb__conn {
  uv_tcp_t tcp;
  uv_timer_t timer;            /* the request's delay, then the lingering close */
  uv_write_t wreq;
  uv_shutdown_t sreq;
  http_parser parser;
  cb__server *srv;
  cb__conn *prev, *next;
  cb__req req;
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
  char url_small[CB__SERVER_URL_INLINE];
};

struct cb__server {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_signal_t sigint, sigterm;
  http_parser_settings settings;
  cb_site site;
  double fault_rate;
  uint64_t fault_state;
  int stopping;
  cb__conn *conns;
  char authority[80];
  char *out;                   /* the current connection's pending responses */
  size_t out_len, out_cap;
  char *scratch;               /* a rendered page */
  size_t scratch_cap;
  char **page;                 /* rendered pages, a pure function of (site, i): render once */
  uint32_t *page_len, npage;
  size_t page_bytes;
  char rbuf[CB__SERVER_READ_BUF];
  char pattern[CB__SERVER_STREAM_CHUNK + 36];   /* pattern + (j % 36) is the body from byte j on */
};

/* server_conn.c: a new connection's record, its handles open and in srv's list; its socket is
 * the caller's to attach (uv_accept, or uv_tcp_open when fuzzing). NULL when out of memory. */
cb__conn *cb__conn_new(cb__server *srv);
/* Start reading the connection's socket. 0 or a libuv error. */
int cb__conn_read_start(cb__conn *c);
/* Move the connection on as far as it goes without waiting: write, stream, parse held input. */
void cb__conn_pump(cb__conn *c);
/* Write the responses gathered in srv->out (the connection is busy until they are written). */
void cb__conn_flush(cb__conn *c);
/* Close with a FIN, or with an RST (the client sees ECONNRESET); either frees it later. */
void cb__conn_close(cb__conn *c);
void cb__conn_reset(cb__conn *c);
/* Run the connection's timer callback now, its wait cut short (fuzzing: no time passes). */
void cb__conn_timer_now(cb__conn *c);
/* The http-parser callbacks that fill a connection's request. */
void cb__server_parser_settings(http_parser_settings *s);

/* server_routes.c: fill c->req from the parsed request (endpoint, parameters, fault). */
void cb__server_route(cb__conn *c);
/* The answer to c->req, now that its delay (if any) is over: appended to srv->out, or a fault. */
void cb__server_respond(cb__conn *c);
/* The answer to a request that could not be parsed (400) or was too large (431); then close. */
void cb__server_bad_request(cb__conn *c, int status);

#endif
