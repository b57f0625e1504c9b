/* target.h: the target server a run starts for the workloads that need one, and always stops. */
#ifndef CB_TARGET_H
#define CB_TARGET_H

#include <netinet/in.h>
#include <sys/types.h>
#include "server.h"

typedef struct cb_target {
  pid_t pid;                   /* 0 when none is running */
  int external;                /* --target URL: a server the run did not start and never stops */
  cb_server_opts opts;
  struct sockaddr_in addr;
  char authority[300];         /* "127.0.0.1:PORT", or --target's "HOST:PORT" */
} cb_target;

/* http://HOST:PORT[/] into t, as an external target (HOST resolved to IPv4 now); 0, or -1 with
 * why in err. */
int  cb_target_parse_url(cb_target *t, const char *url, char *err, size_t len);
/* Is there a server to send requests to: one the run started, or an external one? */
int  cb_target_up(const cb_target *t);

/* Start a server process on a free loopback port with opts; 0, or -1 with why in err. The process
 * dies with its parent (PR_SET_PDEATHSIG), so it never outlives the run. */
int  cb_target_start(cb_target *t, const cb_server_opts *opts, char *err, size_t len);
/* Stop it (SIGTERM, then SIGKILL after a grace period) and reap it. Safe when none runs. */
void cb_target_stop(cb_target *t);
/* Has the server ended on its own (killed, crashed)? Then it is reaped, t->pid becomes 0 and how
 * it ended ("was killed by signal 9 (Killed)") goes into how; 1. 0 while it runs or none does. */
int  cb_target_ended(cb_target *t, char *how, size_t len);
/* Is the running server configured as opts asks? */
int  cb_target_matches(const cb_target *t, const cb_server_opts *opts);

#endif
