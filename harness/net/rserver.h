/* rserver.h: the Redis a run talks to: a redis-server it starts (on a free loopback port, no
 * persistence, a private directory, stopped however the run ends), or one given by --redis URL. */
#ifndef CB_RSERVER_H
#define CB_RSERVER_H

#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/types.h>
#include "util.h"

typedef struct cb_rserver {
  pid_t pid;                   /* the redis-server the run started, or 0 */
  int external;                /* given by --redis: never started or stopped by the run */
  struct sockaddr_in addr;
  char host[256];
  int port, db;
  uint64_t maxmemory;          /* what it was started with (0 for an external one) */
  char dir[PATH_MAX];          /* its private temporary directory, or "" */
  cb_guard guard;              /* removes dir after a kill -9 of the run */
} cb_rserver;

/* redis://HOST:PORT[/DB] into r (external; HOST resolved to IPv4 now). 0, or -1 with why in err. */
int cb_rserver_parse_url(cb_rserver *r, const char *url, char *err, size_t len);
/* Start redis-server from $PATH on a free loopback port with maxmemory bytes, no persistence
 * (--save '' --appendonly no) and a private directory under tmpbase; it dies with this process
 * (PR_SET_PDEATHSIG) and is answering PING when this returns. 0, or -1 with why in err. */
int cb_rserver_start(cb_rserver *r, const char *tmpbase, uint64_t maxmemory, char *err, size_t len);
/* Stop a started server (SIGTERM, then SIGKILL after a grace period), reap it and remove its
 * directory. Safe when none runs; does nothing to an external server. */
void cb_rserver_stop(cb_rserver *r);
/* Has the started server ended on its own? Then it is reaped and how goes into how; 1. */
int cb_rserver_ended(cb_rserver *r, char *how, size_t len);
/* Is there a server to talk to: started and running, or external? */
int cb_rserver_up(const cb_rserver *r);
/* PING it (and SELECT its database): 0, or -1 with why in err. */
int cb_rserver_ping(const cb_rserver *r, char *err, size_t len);
/* Delete every key of r's database whose name starts with prefix (SCAN MATCH, then UNLINK):
 * how many, or a negative error. */
long cb_rserver_clear(const cb_rserver *r, const char *prefix);
/* redis-benchmark (redis-tools) against r: -c clients -P pipeline -n requests -t set,get with
 * values of value_bytes and `keys` random keys; the mean of SET's and GET's requests per second,
 * 0 when redis-benchmark is not installed, or a negative value when it failed. */
double cb_rserver_benchmark(const cb_rserver *r, unsigned clients, unsigned pipeline, uint64_t requests,
                            unsigned value_bytes, unsigned keys);

/* SET keys[i] to vals[i] for i < n over a blocking connection to addr (IPv4): a workload's setup
 * fills Redis with it before anything is timed. 0 or a negative error. */
struct sockaddr;
int cb_redis_set_many(const struct sockaddr *addr, int db, size_t n, const char *const *keys, const size_t *klen,
                      const char *const *vals, const size_t *vlen);

/* One command over a new blocking connection (hiredis's redisCommand format): 0 with *out (free
 * with freeReplyObject), CB_EREDIS for an -ERR reply, or a negative error. For setups and
 * teardowns, which run outside the timed work. */
struct redisReply;
int cb_redis_call(const struct sockaddr *addr, int db, struct redisReply **out, const char *fmt, ...);

#endif
