/* loadgen.h: the load generator for a workload whose tasks serve: open loop, from its own process. */
#ifndef CB_LOADGEN_H
#define CB_LOADGEN_H

#include <netinet/in.h>
#include <stdint.h>
#include "plan.h"

/* What the load measured, as it crosses the pipe to the runner (fixed size). */
typedef struct cb_load_report {
  uint64_t sent_due;           /* requests the schedule had: rate x duration */
  uint64_t done, errors;       /* answered right in time; failed, late or never sent */
  uint64_t checksum;           /* the workload's check over the right answers */
  uint64_t connected;          /* connections that came up */
  double wall_s;               /* from the first due time to the last answer */
  double rate_achieved;        /* right answers per second over wall_s */
  double connect_s;            /* opening the connections, before the schedule started */
  struct { int32_t code; uint32_t count; } kinds[CB_ERROR_KINDS];
  uint32_t nkinds;
  int32_t status;              /* 0, or why the load could not run at all */
  char err[240];
} cb_load_report;

/* Drive the server listening at addr with case c's load: c->wl->load says what to ask, c->rate
 * and duration how fast and how long, over the load's K connections. The schedule starts once
 * all K are up and the server has taken all it serves at once (min(K, its concurrency)), as the
 * accept queue of listen_fd (-1: not known) shows. Runs in the calling process
 * on the coroutine backend (the first loop backend registered), with concbench's own HTTP client
 * (net/http.c). Latency from each request's due time into lat (wrk2's correction for coordinated
 * omission: a request that could not be sent when due, because the one before it on its
 * connection had not been answered, is late by that wait too), the service time from its actual
 * send into svc. A request that fails counts in lat at the time it failed (a timeout at its
 * deadline). 0, or a negative error with rep->err saying why. */
int cb_load_run(const cb_case *c, double duration_s, const struct sockaddr_in *addr, int listen_fd,
                cb_load_report *rep, cb_hist *lat, cb_hist *svc);

#endif
