/* server.h: the target HTTP server: libuv, http-parser, keep-alive, timers for delays, faults. */
#ifndef CB_SERVER_H
#define CB_SERVER_H

#include <stdint.h>
#include "site.h"

typedef struct cb_server_opts {
  const char *host;      /* listen address; default "127.0.0.1" */
  uint16_t port;         /* 0: a free port chosen by the kernel */
  cb_site site;
  double fault_rate;     /* 0..1: share of requests that get a random fault */
  uint64_t fault_seed;
  int quiet;             /* no URL line on stdout */
} cb_server_opts;

/* What the server accepts; above either, a request gets 400. */
#define CB_SERVER_MAX_BODY (64u << 20)          /* /bytes/<n> */
#define CB_SERVER_MAX_DELAY_MS 3600000u         /* ?delay_ms=<d> */

/* Endpoints (GET only, else 405; unknown paths 404; HTTP/1.1 keep-alive and pipelining):
 *   /bytes/<n>?delay_ms=<d>   n bytes, byte j = cb_body_byte(j), after d ms
 *   /site/<i>.html            cb_site_render(site, i, "HOST:PORT"); i >= pages: 404 (HTML)
 *   /health                   "ok"; never given a server-wide fault, so a probe always works
 *   ?fail=reset|500|stall     a fault, after the delay: RST; 500 on a kept connection; no answer
 * fault_rate draws one of the three faults per request from a PRNG seeded with fault_seed; an
 * explicit ?fail= wins. Malformed HTTP: 400 and close; over 8 KiB of request line and headers:
 * 431 and close; a bad parameter: 400, connection kept. */

/* Listen, then serve until SIGINT or SIGTERM. Once listening, writes the bound port as a decimal
 * line to ready_fd (when >= 0) and, unless quiet, prints "serving http://HOST:PORT/" on stdout.
 * Returns 0 after a clean stop, or a negative error (with a one-line message on stderr) when it
 * cannot listen: -EINVAL when host is not an address, -EADDRNOTAVAIL when not this machine's. */
int cb_server_run(const cb_server_opts *o, int ready_fd);

#endif
