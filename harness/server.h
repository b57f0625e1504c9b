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

/* Listen, then serve until SIGINT or SIGTERM. Once listening, writes the bound port as a decimal
 * line to ready_fd (when >= 0) and, unless quiet, prints "serving http://HOST:PORT/" on stdout.
 * Returns 0 after a clean stop, or a negative error (with a one-line message on stderr) when it
 * cannot listen. */
int cb_server_run(const cb_server_opts *o, int ready_fd);

#endif
