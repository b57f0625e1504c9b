/* rserver.c: the Redis a run talks to: a redis-server it starts (on a free loopback port, no
 * persistence, a private directory, stopped however the run ends), or one given by --redis URL. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <hiredis/hiredis.h>
#include "rserver.h"
#include "clock.h"
#include "procfs.h"
#include "cb.h"

int cb_rserver_parse_url(cb_rserver *r, const char *url, char *err, size_t len) {
  memset(r, 0, sizeof *r);
  r->guard = (cb_guard)CB_GUARD_NONE;
  r->external = 1;
  const char *p = url;
  if (strncmp(p, "redis://", 8) != 0) {
    snprintf(err, len, "--redis '%s' is not redis://HOST:PORT[/DB], e.g. redis://127.0.0.1:6379/0", url);
    return -1;
  }
  p += 8;
  const char *colon = strchr(p, ':'), *slash = strchr(p, '/');
  if (slash && colon && colon > slash) colon = NULL;
  size_t hl = colon ? (size_t)(colon - p) : slash ? (size_t)(slash - p) : strlen(p);
  if (hl == 0 || hl >= sizeof r->host || memchr(p, '@', hl)) {
    snprintf(err, len, "--redis '%s': give a host (no user or password), e.g. redis://127.0.0.1:6379", url);
    return -1;
  }
  memcpy(r->host, p, hl);
  r->host[hl] = '\0';
  r->port = 6379;
  if (colon) {
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || port < 1 || port > 65535 || (*end && *end != '/')) {
      snprintf(err, len, "--redis '%s': the port must be 1 to 65535", url);
      return -1;
    }
    r->port = (int)port;
  }
  if (slash && slash[1]) {
    char *end;
    long db = strtol(slash + 1, &end, 10);
    if (*end || db < 0 || db > 1000000) {
      snprintf(err, len, "--redis '%s': the database after '/' must be a number, e.g. redis://127.0.0.1:6379/2", url);
      return -1;
    }
    r->db = (int)db;
  }
  struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai = NULL;
  int rc = getaddrinfo(r->host, NULL, &hints, &ai);
  if (rc != 0 || !ai) {
    snprintf(err, len, "--redis '%s': cannot resolve %s: %s", url, r->host, gai_strerror(rc));
    return -1;
  }
  r->addr = *(struct sockaddr_in *)ai->ai_addr;
  r->addr.sin_port = htons((uint16_t)r->port);
  freeaddrinfo(ai);
  return 0;
}

int cb_rserver_up(const cb_rserver *r) { return r->external || r->pid > 0; }

/* A connection with a short timeout, its database selected; NULL with why in err. */
static redisContext *connect_addr(const struct sockaddr_in *a, int db, char *err, size_t len) {
  struct timeval tv = { .tv_sec = 2 };
  char ip[INET_ADDRSTRLEN];
  int port = ntohs(a->sin_port);
  inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
  redisContext *c = redisConnectWithTimeout(ip, port, tv);
  if (!c || c->err) {
    snprintf(err, len, "cannot reach Redis at %s:%d: %s", ip, port, c ? c->errstr : "out of memory");
    if (c) redisFree(c);
    return NULL;
  }
  redisSetTimeout(c, tv);
  if (db) {
    redisReply *rep = redisCommand(c, "SELECT %d", db);
    int ok = rep && rep->type == REDIS_REPLY_STATUS;
    if (!ok) snprintf(err, len, "Redis at %s:%d refused SELECT %d: %s", ip, port, db,
                      rep && rep->type == REDIS_REPLY_ERROR ? rep->str : c->errstr);
    if (rep) freeReplyObject(rep);
    if (!ok) { redisFree(c); return NULL; }
  }
  return c;
}

static redisContext *connect_sync(const cb_rserver *r, char *err, size_t len) {
  return connect_addr(&r->addr, r->db, err, len);
}

int cb_redis_set_many(const struct sockaddr *addr, int db, size_t n, const char *const *keys, const size_t *klen,
                      const char *const *vals, const size_t *vlen) {
  char err[256];
  redisContext *c = connect_addr((const struct sockaddr_in *)addr, db, err, sizeof err);
  if (!c) return -ECONNREFUSED;
  int rc = 0;
  /* Pipelined in batches: one round trip per thousand keys. */
  for (size_t i = 0; i < n && rc == 0; i += 1000) {
    size_t end = i + 1000 < n ? i + 1000 : n;
    for (size_t j = i; j < end; j++)
      if (redisAppendCommand(c, "SET %b %b", keys[j], klen[j], vals[j], vlen[j]) != REDIS_OK) rc = -ENOMEM;
    for (size_t j = i; j < end && rc == 0; j++) {
      void *rep = NULL;
      if (redisGetReply(c, &rep) != REDIS_OK || !rep) rc = -EIO;
      else if (((redisReply *)rep)->type != REDIS_REPLY_STATUS) rc = CB_EREDIS;
      if (rep) freeReplyObject(rep);
    }
  }
  redisFree(c);
  return rc;
}

int cb_rserver_ping(const cb_rserver *r, char *err, size_t len) {
  redisContext *c = connect_sync(r, err, len);
  if (!c) return -1;
  redisReply *rep = redisCommand(c, "PING");
  int ok = rep && rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "PONG") == 0;
  if (!ok) snprintf(err, len, "Redis at %s:%d did not answer PING with PONG: %s", r->host, r->port,
                    rep && rep->type == REDIS_REPLY_ERROR ? rep->str : c->errstr);
  if (rep) freeReplyObject(rep);
  redisFree(c);
  return ok ? 0 : -1;
}

long cb_rserver_clear(const cb_rserver *r, const char *prefix) {
  char err[256], pattern[512];
  redisContext *c = connect_sync(r, err, sizeof err);
  if (!c) return -ECONNREFUSED;
  /* The prefix's glob characters escaped, so it matches only itself. */
  size_t o = 0;
  for (const char *p = prefix; *p && o < sizeof pattern - 3; p++) {
    if (strchr("*?[]\\", *p)) pattern[o++] = '\\';
    pattern[o++] = *p;
  }
  pattern[o++] = '*';
  pattern[o] = '\0';
  long deleted = 0;
  char cursor[32] = "0";
  do {
    redisReply *rep = redisCommand(c, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
      if (rep) freeReplyObject(rep);
      redisFree(c);
      return -EPROTO;
    }
    snprintf(cursor, sizeof cursor, "%s", rep->element[0]->str);
    redisReply *keys = rep->element[1];
    for (size_t i = 0; i < keys->elements; i++) {
      redisReply *d = redisCommand(c, "UNLINK %b", keys->element[i]->str, keys->element[i]->len);
      if (d && d->type == REDIS_REPLY_INTEGER) deleted += (long)d->integer;
      if (d) freeReplyObject(d);
    }
    freeReplyObject(rep);
  } while (strcmp(cursor, "0") != 0);
  redisFree(c);
  return deleted;
}

/* A loopback port nobody listens on now. Another process may take it before redis-server binds
 * it: the caller tries again then. */
static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t al = sizeof a;
  int port = -EADDRNOTAVAIL;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &al) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

/* One try on one port: 0 once it answers PING, -1 when it exited (the port was taken, say). */
static int start_once(cb_rserver *r, int port, char *err, size_t len) {
  char portbuf[16], mem[32], log[PATH_MAX + 16];
  snprintf(portbuf, sizeof portbuf, "%d", port);
  snprintf(mem, sizeof mem, "%llu", (unsigned long long)r->maxmemory);
  snprintf(log, sizeof log, "%s/redis.log", r->dir);
  pid_t parent = getpid();
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, len, "cannot start redis-server: fork: %s; raise the process limit (ulimit -u)", strerror(errno));
    return -1;
  }
  if (pid == 0) {
    /* Its own process group: Ctrl-C is the runner's to handle, which then stops it in order. */
    setpgid(0, 0);
    if (cb_die_with_parent(SIGTERM, parent) != 0) _exit(127);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) { dup2(null, 0); dup2(null, 1); }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    execlp("redis-server", "redis-server", "--port", portbuf, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
           "--dir", r->dir, "--maxmemory", mem, "--maxmemory-policy", "noeviction", "--daemonize", "no",
           "--protected-mode", "yes", "--logfile", log, "--databases", "16", (char *)NULL);
    fprintf(stderr, "concbench: cannot run redis-server: %s; install it (apt-get install redis-server) or give --redis URL\n",
            strerror(errno));
    _exit(127);
  }
  r->pid = pid;
  r->port = port;
  snprintf(r->host, sizeof r->host, "127.0.0.1");
  r->addr.sin_family = AF_INET;
  r->addr.sin_port = htons((uint16_t)port);
  r->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int64_t deadline = cb_now_ns() + 5 * (int64_t)1000000000;
  char why[256] = "";
  while (cb_now_ns() < deadline) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      r->pid = 0;
      snprintf(err, len, "redis-server exited at start (%s%d); see its log, or give --redis URL",
               WIFEXITED(status) ? "status " : "signal ", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
      return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -2 : -1;
    }
    if (cb_rserver_ping(r, why, sizeof why) == 0) return 0;
    cb_sleep_until(cb_now_ns() + 10000000);
  }
  snprintf(err, len, "redis-server did not answer PING within 5 s (%s)", why);
  cb_rserver_stop(r);
  return -2;
}

int cb_rserver_start(cb_rserver *r, const char *tmpbase, uint64_t maxmemory, char *err, size_t len) {
  memset(r, 0, sizeof *r);
  r->guard = (cb_guard)CB_GUARD_NONE;
  r->maxmemory = maxmemory;
  cb_sweep_orphans(tmpbase, "concbench-redis-");
  snprintf(r->dir, sizeof r->dir, "%s/concbench-redis-%d-XXXXXX", tmpbase, (int)getpid());
  if (!mkdtemp(r->dir)) {
    snprintf(err, len, "cannot create a directory for redis-server in %s: %s; set TMPDIR to a writable directory",
             tmpbase, strerror(errno));
    r->dir[0] = '\0';
    return -1;
  }
  int rc = cb_guard_start(&r->guard, r->dir);
  if (rc != 0) {
    snprintf(err, len, "cannot start the process that removes %s after the run: %s", r->dir, strerror(-rc));
    cb_rserver_stop(r);
    return -1;
  }
  for (int attempt = 0; attempt < 3; attempt++) {
    int port = free_port();
    if (port < 0) {
      snprintf(err, len, "no free loopback port for redis-server: %s", strerror(-port));
      break;
    }
    rc = start_once(r, port, err, len);
    if (rc == 0) return 0;
    if (rc == -2) break;   /* not installed, or stuck: another port will not help */
  }
  cb_rserver_stop(r);
  return -1;
}

int cb_rserver_ended(cb_rserver *r, char *how, size_t len) {
  int status;
  if (r->pid <= 0 || waitpid(r->pid, &status, WNOHANG) != r->pid) return 0;
  if (WIFSIGNALED(status))
    snprintf(how, len, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  else
    snprintf(how, len, "exited with status %d", WEXITSTATUS(status));
  r->pid = 0;
  return 1;
}

void cb_rserver_stop(cb_rserver *r) {
  if (r->external) return;
  if (r->pid > 0) {
    kill(r->pid, SIGTERM);
    int64_t deadline = cb_now_ns() + 3 * (int64_t)1000000000;
    int status;
    for (;;) {
      pid_t w = waitpid(r->pid, &status, WNOHANG);
      if (w == r->pid || (w < 0 && errno != EINTR)) break;
      if (cb_now_ns() > deadline) {
        kill(r->pid, SIGKILL);
        while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR) {}
        break;
      }
      cb_sleep_until(cb_now_ns() + 2000000);
    }
    r->pid = 0;
  }
  if (r->dir[0]) cb_rmtree(r->dir);
  r->dir[0] = '\0';
  cb_guard_end(&r->guard);
}

double cb_rserver_benchmark(const cb_rserver *r, unsigned clients, unsigned pipeline, uint64_t requests,
                            unsigned value_bytes, unsigned keys) {
  char a_port[16], a_c[16], a_p[16], a_n[32], a_d[16], a_r[16], a_db[16];
  snprintf(a_port, sizeof a_port, "%d", r->port);
  snprintf(a_c, sizeof a_c, "%u", clients);
  snprintf(a_p, sizeof a_p, "%u", pipeline ? pipeline : 1);
  snprintf(a_n, sizeof a_n, "%llu", (unsigned long long)requests);
  snprintf(a_d, sizeof a_d, "%u", value_bytes ? value_bytes : 1);
  snprintf(a_r, sizeof a_r, "%u", keys ? keys : 1);
  snprintf(a_db, sizeof a_db, "%d", r->db);
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &r->addr.sin_addr, ip, sizeof ip);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t parent = getpid();
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) { close(fds[0]); close(fds[1]); return -1; }
  if (pid == 0) {
    setpgid(0, 0);
    if (cb_die_with_parent(SIGKILL, parent) != 0) _exit(126);
    dup2(fds[1], 1);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) { dup2(null, 0); dup2(null, 2); }
    execlp("redis-benchmark", "redis-benchmark", "-h", ip, "-p", a_port, "-c", a_c, "-P", a_p, "-n", a_n, "-d", a_d,
           "-r", a_r, "--dbnum", a_db, "-t", "set,get", "--csv", (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  char out[4096];
  size_t got = 0;
  ssize_t n;
  while (got < sizeof out - 1 && ((n = read(fds[0], out + got, sizeof out - 1 - got)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0) got += (size_t)n;
  out[got] = '\0';
  close(fds[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  /* --csv: a header line, then "SET","<rps>",... and "GET","<rps>",... */
  double sum = 0;
  int k = 0;
  for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "\"SET\",\"", 7) == 0 || strncmp(line, "\"GET\",\"", 7) == 0) {
      sum += strtod(line + 7, NULL);
      k++;
    }
  }
  return k ? sum / k : -1;
}

int cb_redis_call(const struct sockaddr *addr, int db, struct redisReply **out, const char *fmt, ...) {
  char err[256];
  *out = NULL;
  redisContext *c = connect_addr((const struct sockaddr_in *)addr, db, err, sizeof err);
  if (!c) return -ECONNREFUSED;
  va_list ap;
  va_start(ap, fmt);
  redisReply *rep = redisvCommand(c, fmt, ap);
  va_end(ap);
  int rc = !rep ? -EIO : rep->type == REDIS_REPLY_ERROR ? CB_EREDIS : 0;
  if (rc == 0) *out = rep;
  else if (rep) freeReplyObject(rep);
  redisFree(c);
  return rc;
}
