/* server.c: the target HTTP/1.1 server: one libuv loop, http-parser, keep-alive, delays, faults; listening and its lifecycle here. */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "net_int.h"
#include "server.h"
#include "util.h"

#define BACKLOG 4096
#define OUT_BUF (128 * 1024)          /* responses of one batch, shared; grows for big pages */
#define PAGE_CACHE_N 65536            /* pages 0 .. N-1 are kept once rendered (up to a size) */

/* ---- listening ----------------------------------------------------------------------------- */

static void on_connection(uv_stream_t *l, int status) {
  cb__server *srv = l->data;
  if (status < 0 || srv->stopping) return;
  cb__conn *c = cb__conn_new(srv);
  if (!c) return;
  if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0) {
    cb__conn_close(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  if (cb__conn_read_start(c) != 0) cb__conn_close(c);
}

static void on_signal(uv_signal_t *sig, int signum) {
  cb__server *srv = sig->data;
  if (srv->stopping) return;
  srv->stopping = 1;
  uv_close((uv_handle_t *)&srv->listener, NULL);
  uv_close((uv_handle_t *)&srv->sigint, NULL);
  uv_close((uv_handle_t *)&srv->sigterm, NULL);
  while (srv->conns) cb__conn_close(srv->conns);
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
  /* What looks like an address is one or is wrong: 999.1.1.1 is refused, not asked of DNS. */
  if (host[strspn(host, "0123456789.")] == '\0' || strchr(host, ':')) hints.ai_flags |= AI_NUMERICHOST;
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
static void server_free(cb__server *srv, int loop_open) {
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
static cb__server *server_new(const cb_server_opts *o) {
  cb__server *srv = calloc(1, sizeof *srv);
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
  cb__server_parser_settings(&srv->settings);
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
  cb__server *srv = server_new(o);
  if (!srv) {
    cb_errorf("serve: out of memory");
    return UV_ENOMEM;
  }

  raise_nofile();
  /* A peer that closes while we write must give EPIPE, not kill the process. */
  sigaction(SIGPIPE, &ign, &old_pipe);

  /* An IPv6 address in brackets, so the port stands apart: [::]:8080. */
  const char *lb = strchr(host, ':') ? "[" : "", *rb = *lb ? "]" : "";
  if ((gai = resolve(host, o->port, &ss)) != 0) {
    cb_errorf("serve: cannot listen on %s%s%s:%u: %s; give an address of this machine, e.g. --host 127.0.0.1", lb,
              host, rb, o->port, gai_strerror(gai));
    rc = gai == EAI_AGAIN || gai == EAI_SYSTEM || gai == EAI_MEMORY ? UV_EAI_AGAIN : UV_EINVAL;
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
    cb_errorf("serve: cannot listen on %s%s%s:%u: %s%s", lb, host, rb, o->port, uv_strerror(rc),
              rc == UV_EADDRINUSE ? " (choose another --port, or 0 for any free one)"
              : rc == UV_EADDRNOTAVAIL ? "; give an address of this machine, e.g. --host 127.0.0.1" : "");
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

  /* Every interface: anyone who can reach the machine can load it, and ask it for faults. */
  if ((ss.ss_family == AF_INET && ((struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(INADDR_ANY)) ||
      (ss.ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr)))
    cb_errorf("serve: warning: listening on every interface (%s): the server is reachable from the network; "
              "--host 127.0.0.1 keeps it to this machine", srv->authority);

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

/* What it does: net_int.h. */
int cb__server_feed(const cb_server_opts *o, const char *data, size_t len, const size_t *cuts,
                    size_t ncuts, int eof, size_t read_max, char *out, size_t cap, size_t *outlen) {
  struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
  int sv[2] = { -1, -1 }, rc = 0, loop_open = 0, fin = 0, idle = 0;
  size_t pos = 0, k = 0;
  cb__conn *c = NULL;
  *outlen = 0;
  cb__server *srv = server_new(o);
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
  if (!(c = cb__conn_new(srv))) {
    rc = UV_ENOMEM;
    goto stop;
  }
  if ((rc = uv_tcp_open(&c->tcp, sv[0])) != 0) {
    close(sv[0]);
    cb__conn_close(c);
    goto stop;
  }
  if (cb__conn_read_start(c) != 0) cb__conn_close(c);

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
      cb__conn_timer_now(c);
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
  while (srv->conns) cb__conn_close(srv->conns);
  uv_run(&srv->loop, UV_RUN_DEFAULT);
restore:
  sigaction(SIGPIPE, &old_pipe, NULL);
  if (sv[1] >= 0) close(sv[1]);
  server_free(srv, loop_open);
  return rc;
}
