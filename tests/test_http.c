/* test_http.c: the HTTP/1.1 client (harness/http.c) against the real target server, a counting proxy and crafted fake servers. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "backend.h"
#include "registry.h"
#include "clock.h"
#include "http.h"
#include "shared.h"
#include "site.h"
#include "target.h"
#include "testutil.h"

#define MS ((int64_t)1000000)
#define SEC ((int64_t)1000000000)

/* ---- helpers ----------------------------------------------------------------------------- */

/* FNV-1a, written out here rather than taken from cb.h. */
static uint64_t fnv(uint64_t h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}
#define FNV0 14695981039346656037ull

/* What GET /bytes/n must hash to. */
static uint64_t bytes_hash(uint64_t n) {
  uint64_t h = FNV0;
  for (uint64_t j = 0; j < n; j++) {
    char c = cb_body_byte(j);
    h = fnv(h, &c, 1);
  }
  return h;
}

static int write_str(int fd, const char *s) { return tu_write_all(fd, s, strlen(s)); }

/* Read one request head (the client never sends a body); its target into path. 1, or 0 at EOF. */
static int read_request(int fd, char *path, size_t cap) {
  char head[4096];
  size_t n = 0;
  while (n < sizeof head - 1) {
    ssize_t r = read(fd, head + n, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    n++;
    if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0) break;
  }
  head[n] = '\0';
  const char *sp = strchr(head, ' ');
  const char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
  if (!sp2) return 0;
  snprintf(path, cap, "%.*s", (int)(sp2 - sp - 1), sp + 1);
  return 1;
}

/* Start a process group: the child runs fn(arg) and never returns. */
static pid_t spawn_group(void (*fn)(void *), void *arg) {
  pid_t parent = getpid();
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_IGN);   /* connection handlers reap themselves */
    fn(arg);
    _exit(0);
  }
  if (pid > 0) setpgid(pid, pid);
  return pid;
}

static void stop_group(pid_t *pid) {
  if (*pid <= 0) return;
  kill(-*pid, SIGKILL);
  kill(*pid, SIGKILL);
  while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR) {}
  *pid = 0;
}

/* Accept forever, one forked handler per connection; count the connections in *accepts. */
typedef void (*conn_fn)(int fd, unsigned conn_no);

typedef struct acceptor {
  int lfd;
  conn_fn fn;
  _Atomic unsigned *accepts;
} acceptor;

static void accept_loop(void *arg) {
  acceptor *a = arg;
  for (;;) {
    int fd = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) continue;
    unsigned no = atomic_fetch_add(a->accepts, 1) + 1;
    pid_t me = getpid();
    if (fork() == 0) {
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != me) _exit(1);
      close(a->lfd);
      a->fn(fd, no);
      _exit(0);
    }
    close(fd);
  }
}

/* ---- the fixture: the real server, a counting proxy to it, and a fake server per test ------- */

typedef struct counters {
  _Atomic unsigned proxy_accepts;
  _Atomic unsigned fake_accepts;
} counters;

typedef struct httpfx {
  cb_target target;
  pid_t proxy, fake;
  int proxy_fd, fake_fd;
  struct sockaddr_in proxy_addr, fake_addr;
  char proxy_auth[64], fake_auth[64];
  counters *cnt;
  cb_ctx ctx;                  /* blocking IO in this thread, as the sync backend gives it */
} httpfx;

static struct sockaddr_in target_addr;   /* where the proxy's handlers connect */

/* Relay bytes both ways between the client and the real server until both ends are done. */
static void proxy_conn(int fd, unsigned no) {
  int up = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (up < 0 || connect(up, (struct sockaddr *)&target_addr, sizeof target_addr) != 0) return;
  int fds[2] = { fd, up }, open_ends = 2;
  struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = up, .events = POLLIN } };
  char buf[65536];
  while (open_ends) {
    if (poll(p, 2, -1) < 0) continue;
    for (int k = 0; k < 2; k++) {
      if (p[k].fd < 0 || !(p[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = read(fds[k], buf, sizeof buf);
      if (r < 0) return;                   /* a reset: drop both */
      if (r == 0 || tu_write_all(fds[1 - k], buf, (size_t)r) != 0) {
        shutdown(fds[1 - k], SHUT_WR);
        p[k].fd = -1;                      /* poll ignores it from now on */
        open_ends--;
      }
    }
  }
}

static acceptor proxy_acc, fake_acc;

static int group_setup(void **state) {
  httpfx *f = calloc(1, sizeof *f);
  char err[256];
  if (!f) return -1;
  f->cnt = cb_shm_alloc(sizeof *f->cnt);
  if (!f->cnt) return -1;
  f->ctx = (cb_ctx){ .io = &cb_io_blocking };
  cb_server_opts o = { .site = { .pages = 10, .links = 4, .seed = 1 } };
  if (cb_target_start(&f->target, &o, err, sizeof err) != 0) {
    print_error("%s\n", err);
    free(f);
    return -1;
  }
  target_addr = f->target.addr;
  uint16_t port;
  f->proxy_fd = tu_listen_any(&port);
  if (f->proxy_fd < 0) return -1;
  f->proxy_addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  snprintf(f->proxy_auth, sizeof f->proxy_auth, "127.0.0.1:%u", port);
  proxy_acc = (acceptor){ .lfd = f->proxy_fd, .fn = proxy_conn, .accepts = &f->cnt->proxy_accepts };
  f->proxy = spawn_group(accept_loop, &proxy_acc);
  if (f->proxy < 0) return -1;
  f->fake_fd = tu_listen_any(&port);
  if (f->fake_fd < 0) return -1;
  f->fake_addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  snprintf(f->fake_auth, sizeof f->fake_auth, "127.0.0.1:%u", port);
  *state = f;
  return 0;
}

static int group_teardown(void **state) {
  httpfx *f = *state;
  if (!f) return 0;
  stop_group(&f->fake);
  stop_group(&f->proxy);
  cb_target_stop(&f->target);
  close(f->proxy_fd);
  close(f->fake_fd);
  cb_shm_free(f->cnt, sizeof *f->cnt);
  free(f);
  return 0;
}

/* A fake server with this connection handler, on f->fake_addr, until the test's teardown. */
static void fake_start(httpfx *f, conn_fn fn) {
  stop_group(&f->fake);
  atomic_store(&f->cnt->fake_accepts, 0);
  fake_acc = (acceptor){ .lfd = f->fake_fd, .fn = fn, .accepts = &f->cnt->fake_accepts };
  f->fake = spawn_group(accept_loop, &fake_acc);
  assert_true(f->fake > 0);
}

static int fake_teardown(void **state) {
  httpfx *f = *state;
  stop_group(&f->fake);
  return 0;
}

static int64_t in_ms(int64_t ms) { return cb_now_ns() + ms * MS; }

/* ---- the real server ------------------------------------------------------------------------ */

static void bytes_bodies(void **state) {
  httpfx *f = *state;
  static const uint64_t ns[] = { 0, 1, 35, 36, 37, 1000, 16384, 16385, 100000, 1u << 20 };
  for (int keepalive = 1; keepalive >= 0; keepalive--) {
    cb_http h;
    cb_http_resp r = { .keep_body = 1 };
    cb_http_init(&h, (struct sockaddr *)&f->target.addr, f->target.authority, keepalive);
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
      char target[64];
      snprintf(target, sizeof target, "/bytes/%llu", (unsigned long long)ns[i]);
      assert_int_equal(cb_http_get(&f->ctx, &h, target, &r, in_ms(10000)), 0);
      assert_int_equal(r.status, 200);
      assert_int_equal(r.body_len, ns[i]);
      assert_true(r.body_hash == bytes_hash(ns[i]));
      for (uint64_t j = 0; j < ns[i]; j++)
        if (r.body[j] != cb_body_byte(j)) fail_msg("/bytes/%llu: byte %llu differs", (unsigned long long)ns[i], (unsigned long long)j);
      if (ns[i]) assert_int_equal(r.body[ns[i]], '\0');
      if (!keepalive) assert_null(h.conn);
    }
    cb_http_close(&f->ctx, &h);
    cb_http_resp_free(&r);
  }
}

static void keepalive_reuses_one_connection(void **state) {
  httpfx *f = *state;
  cb_http h;
  cb_http_resp r = { 0 };
  unsigned a0 = atomic_load(&f->cnt->proxy_accepts);
  cb_http_init(&h, (struct sockaddr *)&f->proxy_addr, f->proxy_auth, 1);
  for (int i = 0; i < 20; i++) {
    assert_int_equal(cb_http_get(&f->ctx, &h, "/bytes/100", &r, in_ms(10000)), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 100);
    assert_non_null(h.conn);
  }
  assert_int_equal(atomic_load(&f->cnt->proxy_accepts) - a0, 1);
  cb_http_close(&f->ctx, &h);
  assert_null(h.conn);

  a0 = atomic_load(&f->cnt->proxy_accepts);
  cb_http_init(&h, (struct sockaddr *)&f->proxy_addr, f->proxy_auth, 0);
  for (int i = 0; i < 10; i++) {
    assert_int_equal(cb_http_get(&f->ctx, &h, "/bytes/100", &r, in_ms(10000)), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 100);
    assert_null(h.conn);
  }
  assert_int_equal(atomic_load(&f->cnt->proxy_accepts) - a0, 10);
  cb_http_resp_free(&r);
}

static void statuses(void **state) {
  httpfx *f = *state;
  cb_http h;
  cb_http_resp r = { .keep_body = 1 };
  cb_http_init(&h, (struct sockaddr *)&f->target.addr, f->target.authority, 1);
  assert_int_equal(cb_http_get(&f->ctx, &h, "/nope", &r, in_ms(5000)), 0);
  assert_int_equal(r.status, 404);
  assert_true(r.body_len > 0);
  assert_int_equal(cb_http_get(&f->ctx, &h, "/site/99.html", &r, in_ms(5000)), 0);
  assert_int_equal(r.status, 404);
  assert_int_equal(cb_http_get(&f->ctx, &h, "/site/3.html", &r, in_ms(5000)), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "<h1>Page 3</h1>"));
  assert_int_equal(cb_http_get(&f->ctx, &h, "/bytes/10?fail=500", &r, in_ms(5000)), 0);
  assert_int_equal(r.status, 500);
  /* None of these cost the connection. */
  assert_int_equal(cb_http_get(&f->ctx, &h, "/bytes/10", &r, in_ms(5000)), 0);
  assert_int_equal(r.status, 200);
  assert_int_equal(h.used, 5);
  cb_http_close(&f->ctx, &h);
  cb_http_resp_free(&r);
}

static void fail_reset_is_an_error(void **state) {
  httpfx *f = *state;
  cb_http h;
  cb_http_resp r = { 0 };
  for (int warm = 0; warm < 2; warm++) {
    cb_http_init(&h, (struct sockaddr *)&f->target.addr, f->target.authority, 1);
    /* warm: on a connection that answered before (the stale-connection retry must not hide it) */
    if (warm) assert_int_equal(cb_http_get(&f->ctx, &h, "/bytes/10", &r, in_ms(5000)), 0);
    int rc = cb_http_get(&f->ctx, &h, "/bytes/10?fail=reset", &r, in_ms(5000));
    print_message("fail=reset%s: %d (%s)\n", warm ? " on a used connection" : "", rc, cb_err_name(rc));
    assert_true(rc == -ECONNRESET || rc == -EPIPE || rc == CB_EOF);
    assert_null(h.conn);
    assert_int_equal(cb_http_get(&f->ctx, &h, "/bytes/10", &r, in_ms(5000)), 0);
    assert_int_equal(r.status, 200);
    cb_http_close(&f->ctx, &h);
  }
  cb_http_resp_free(&r);
}

static void fail_stall_times_out(void **state) {
  httpfx *f = *state;
  cb_http h;
  cb_http_resp r = { 0 };
  cb_http_init(&h, (struct sockaddr *)&f->target.addr, f->target.authority, 1);
  int64_t t0 = cb_now_ns();
  int rc = cb_http_get(&f->ctx, &h, "/bytes/10?fail=stall", &r, t0 + 200 * MS);
  int64_t took = cb_now_ns() - t0;
  print_message("fail=stall: %d after %.1f ms\n", rc, (double)took / 1e6);
  assert_int_equal(rc, -ETIMEDOUT);
  assert_true(took >= 190 * MS && took <= 2 * SEC);
  assert_null(h.conn);
  assert_int_equal(cb_http_get(&f->ctx, &h, "/bytes/10", &r, in_ms(5000)), 0);
  assert_int_equal(r.status, 200);
  cb_http_close(&f->ctx, &h);
  cb_http_resp_free(&r);
}

/* ---- fake servers ---------------------------------------------------------------------------- */

static void chunked_conn(int fd, unsigned no) {
  char path[256];
  while (read_request(fd, path, sizeof path))
    write_str(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n7;ext=1\r\n, world\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n");
}

static void chunked_body(void **state) {
  httpfx *f = *state;
  static const char want[] = "hello, worldabcdefghijklmnopqrstuvwxyz";
  cb_http h;
  cb_http_resp r = { .keep_body = 1 };
  fake_start(f, chunked_conn);
  cb_http_init(&h, (struct sockaddr *)&f->fake_addr, f->fake_auth, 1);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(cb_http_get(&f->ctx, &h, "/c", &r, in_ms(5000)), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, strlen(want));
    assert_string_equal(r.body, want);
    assert_true(r.body_hash == fnv(FNV0, want, strlen(want)));
  }
  assert_int_equal(atomic_load(&f->cnt->fake_accepts), 1);   /* a chunked answer keeps the connection */
  cb_http_close(&f->ctx, &h);
  cb_http_resp_free(&r);
}

#define EOF_BODY 5000

static void eof_body_conn(int fd, unsigned no) {
  char path[256], body[EOF_BODY];
  if (!read_request(fd, path, sizeof path)) return;
  for (int j = 0; j < EOF_BODY; j++) body[j] = (char)('A' + j % 23);
  write_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
  tu_sleep_ms(5);
  tu_write_all(fd, body, 2000);
  tu_sleep_ms(5);
  tu_write_all(fd, body + 2000, EOF_BODY - 2000);
  close(fd);
}

static void body_ended_by_close(void **state) {
  httpfx *f = *state;
  char want[EOF_BODY];
  cb_http h;
  cb_http_resp r = { .keep_body = 1 };
  for (int j = 0; j < EOF_BODY; j++) want[j] = (char)('A' + j % 23);
  fake_start(f, eof_body_conn);
  cb_http_init(&h, (struct sockaddr *)&f->fake_addr, f->fake_auth, 1);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(cb_http_get(&f->ctx, &h, "/e", &r, in_ms(5000)), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, EOF_BODY);
    assert_memory_equal(r.body, want, EOF_BODY);
    assert_null(h.conn);           /* the end of the stream ended it: a new one next time */
  }
  assert_int_equal(atomic_load(&f->cnt->fake_accepts), 2);
  cb_http_resp_free(&r);
}

static const char split_resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 26\r\nX-Long-Header: 0123456789\r\n\r\n"
                                 "abcdefghijklmnopqrstuvwxyz";

static void split_conn(int fd, unsigned no) {
  char path[256];
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  while (read_request(fd, path, sizeof path)) {
    for (size_t k = 0; k < sizeof split_resp - 1; k++) {
      if (tu_write_all(fd, split_resp + k, 1) != 0) return;
      tu_sleep_ms(1);
    }
  }
}

static void byte_by_byte(void **state) {
  httpfx *f = *state;
  cb_http h;
  cb_http_resp r = { .keep_body = 1 };
  fake_start(f, split_conn);
  cb_http_init(&h, (struct sockaddr *)&f->fake_addr, f->fake_auth, 1);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(cb_http_get(&f->ctx, &h, "/s", &r, in_ms(10000)), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 26);
    assert_string_equal(r.body, "abcdefghijklmnopqrstuvwxyz");
  }
  assert_int_equal(atomic_load(&f->cnt->fake_accepts), 1);
  cb_http_close(&f->ctx, &h);
  cb_http_resp_free(&r);
}

/* Answers by path: /bad-status, /garbage, /extra, /short. */
static void crafted_conn(int fd, unsigned no) {
  char path[256];
  while (read_request(fd, path, sizeof path)) {
    if (strcmp(path, "/bad-status") == 0) {
      write_str(fd, "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok");
    } else if (strcmp(path, "/garbage") == 0) {
      write_str(fd, "HELLO THERE\r\n\r\n");
    } else if (strcmp(path, "/extra") == 0) {
      write_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA BYTES");
    } else if (strcmp(path, "/interim") == 0) {
      /* Interim answers first, in one write with the real one and then in writes of their own. */
      write_str(fd, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\ninterim");
    } else if (strcmp(path, "/interim-split") == 0) {
      write_str(fd, "HTTP/1.1 100 Continue\r\n\r\n");
      tu_sleep_ms(5);
      write_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsplit");
    } else if (strcmp(path, "/short") == 0) {
      write_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
      tu_sleep_ms(20);
      close(fd);
      return;
    } else {
      write_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  }
}

static void malformed_answers(void **state) {
  httpfx *f = *state;
  static const struct { const char *path; int want; } cases[] = {
    { "/bad-status", CB_EBADRESP },
    { "/garbage", CB_EBADRESP },
    { "/extra", CB_EBADRESP },
  };
  cb_http h;
  cb_http_resp r = { .keep_body = 1 };
  fake_start(f, crafted_conn);
  cb_http_init(&h, (struct sockaddr *)&f->fake_addr, f->fake_auth, 1);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc = cb_http_get(&f->ctx, &h, cases[i].path, &r, in_ms(5000));
    print_message("%s: %d (%s)\n", cases[i].path, rc, cb_err_name(rc));
    assert_int_equal(rc, cases[i].want);
    assert_null(h.conn);           /* a connection in an unknown state is not kept */
    assert_int_equal(cb_http_get(&f->ctx, &h, "/fine", &r, in_ms(5000)), 0);
    assert_string_equal(r.body, "ok");
  }
  int64_t t0 = cb_now_ns();
  int rc = cb_http_get(&f->ctx, &h, "/short", &r, in_ms(5000));
  print_message("/short: %d (%s)\n", rc, cb_err_name(rc));
  assert_true(rc < 0);
  assert_true(rc != -ETIMEDOUT && cb_now_ns() - t0 < 2 * SEC);   /* the close ended it, not the deadline */
  assert_null(h.conn);
  cb_http_resp_free(&r);
}

/* 1xx answers are interim: the client reads past them to the real answer, on the same connection. */
static void interim_answers_skipped(void **state) {
  httpfx *f = *state;
  cb_http h;
  cb_http_resp r = { .keep_body = 1 };
  fake_start(f, crafted_conn);
  cb_http_init(&h, (struct sockaddr *)&f->fake_addr, f->fake_auth, 1);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(cb_http_get(&f->ctx, &h, "/interim", &r, in_ms(5000)), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "interim");
    assert_int_equal(cb_http_get(&f->ctx, &h, "/interim-split", &r, in_ms(5000)), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "split");
  }
  assert_non_null(h.conn);
  assert_int_equal(atomic_load(&f->cnt->fake_accepts), 1);
  cb_http_close(&f->ctx, &h);
  cb_http_resp_free(&r);
}

/* One answer per connection, kept alive in words, then the server closes. */
static void one_then_close_conn(int fd, unsigned no) {
  char path[256];
  if (!read_request(fd, path, sizeof path)) return;
  char resp[128];
  snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nc%03u", no);
  write_str(fd, resp);
  close(fd);
}

static void closed_keepalive_is_retried(void **state) {
  httpfx *f = *state;
  cb_http h;
  cb_http_resp r = { .keep_body = 1 };
  fake_start(f, one_then_close_conn);
  cb_http_init(&h, (struct sockaddr *)&f->fake_addr, f->fake_auth, 1);
  for (unsigned i = 1; i <= 4; i++) {
    char want[8];
    if (i > 1) tu_sleep_ms(20);       /* the server's FIN has arrived */
    int rc = cb_http_get(&f->ctx, &h, "/k", &r, in_ms(5000));
    if (rc) print_error("request %u: %d (%s)\n", i, rc, cb_err_name(rc));
    assert_int_equal(rc, 0);
    snprintf(want, sizeof want, "c%03u", i);
    assert_string_equal(r.body, want);   /* the answer came on connection i */
  }
  assert_int_equal(atomic_load(&f->cnt->fake_accepts), 4);
  cb_http_close(&f->ctx, &h);
  cb_http_resp_free(&r);
}

/* The first connection answers once and closes; every later one closes without answering. */
static void then_nothing_conn(int fd, unsigned no) {
  if (no == 1) one_then_close_conn(fd, no);
}

static void retried_once_only(void **state) {
  httpfx *f = *state;
  cb_http h;
  cb_http_resp r = { .keep_body = 1 };
  fake_start(f, then_nothing_conn);
  cb_http_init(&h, (struct sockaddr *)&f->fake_addr, f->fake_auth, 1);
  assert_int_equal(cb_http_get(&f->ctx, &h, "/k", &r, in_ms(5000)), 0);
  tu_sleep_ms(20);
  int rc = cb_http_get(&f->ctx, &h, "/k", &r, in_ms(5000));
  print_message("stale connection, then a fresh one closed unanswered: %d (%s)\n", rc, cb_err_name(rc));
  assert_true(rc < 0 && rc != -ETIMEDOUT);
  assert_int_equal(atomic_load(&f->cnt->fake_accepts), 2);
  /* A fresh connection that fails is not retried. */
  rc = cb_http_get(&f->ctx, &h, "/k", &r, in_ms(5000));
  assert_true(rc < 0 && rc != -ETIMEDOUT);
  assert_int_equal(atomic_load(&f->cnt->fake_accepts), 3);
  cb_http_resp_free(&r);
}

/* Says "Connection: close" but keeps the connection open and never answers on it again. */
static void says_close_conn(int fd, unsigned no) {
  char path[256];
  if (!read_request(fd, path, sizeof path)) return;
  char resp[128];
  snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nc%03u", no);
  write_str(fd, resp);
  while (read_request(fd, path, sizeof path)) {}
}

static void connection_close_reconnects(void **state) {
  httpfx *f = *state;
  cb_http h;
  cb_http_resp r = { .keep_body = 1 };
  fake_start(f, says_close_conn);
  cb_http_init(&h, (struct sockaddr *)&f->fake_addr, f->fake_auth, 1);
  for (unsigned i = 1; i <= 3; i++) {
    char want[8];
    int rc = cb_http_get(&f->ctx, &h, "/x", &r, in_ms(1000));
    if (rc) print_error("request %u: %d (%s)\n", i, rc, cb_err_name(rc));
    assert_int_equal(rc, 0);
    snprintf(want, sizeof want, "c%03u", i);
    assert_string_equal(r.body, want);
    assert_null(h.conn);
  }
  assert_int_equal(atomic_load(&f->cnt->fake_accepts), 3);
  cb_http_resp_free(&r);
}

/* ---- the same client on every backend --------------------------------------------------------- */

/* A chunked answer in pieces: /t/<i> answers "<i>:" then i % 50 + 20 copies of "payload-<i>;". */
static size_t chunky_body(unsigned i, char *out, size_t cap) {
  size_t n = (size_t)snprintf(out, cap, "%u:", i);
  for (unsigned k = 0; k < i % 50 + 20; k++) n += (size_t)snprintf(out + n, cap - n, "payload-%u;", i);
  return n;
}

static void chunky_conn(int fd, unsigned no) {
  char path[256], body[4096], line[32];
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  while (read_request(fd, path, sizeof path)) {
    unsigned i = (unsigned)strtoul(path + 3, NULL, 10);
    size_t n = chunky_body(i, body, sizeof body);
    write_str(fd, "HTTP/1.1 200 OK\r\nTransfer-");
    tu_sleep_ms(1);
    write_str(fd, "Encoding: chunked\r\n\r\n");
    for (size_t off = 0, k = 0; off < n; k++) {
      size_t len = 1 + (k * 37 + i) % 97;
      if (len > n - off) len = n - off;
      snprintf(line, sizeof line, "%zx\r\n", len);
      write_str(fd, line);
      tu_write_all(fd, body + off, len);
      write_str(fd, "\r\n");
      off += len;
      if (k % 4 == 0) tu_sleep_ms(1);
    }
    write_str(fd, "0\r\n\r\n");
  }
}

typedef struct wlstate {
  cb_http clients[16];
  cb_http_resp resps[16];
  int chunky;                  /* the fake chunked server, or the real one's /bytes */
} wlstate;

static uint64_t bytes_of(uint64_t index) { return (index * 997) % 20000; }

static int get_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  wlstate *st = vst;
  char target[64], want[4096];
  cb_http_resp *r = &st->resps[ctx->worker];
  if (st->chunky) snprintf(target, sizeof target, "/t/%llu", (unsigned long long)index);
  else snprintf(target, sizeof target, "/bytes/%llu", (unsigned long long)bytes_of(index));
  int rc = cb_http_get(ctx, &st->clients[ctx->worker], target, r, cb_now_ns() + 10 * SEC);
  if (rc) return rc;
  if (r->status != 200) return CB_EHTTPSTATUS;
  if (st->chunky) {
    size_t n = chunky_body((unsigned)index, want, sizeof want);
    if (r->body_len != n || memcmp(r->body, want, n) != 0) return CB_EBODY;
  } else if (r->body_len != bytes_of(index)) {
    return CB_EBODY;
  }
  *sum = cb_mix64(index ^ r->body_hash);
  return 0;
}

static void close_client(cb_ctx *ctx, const cb_params *p, void *vst) {
  wlstate *st = vst;
  cb_http_close(ctx, &st->clients[ctx->worker]);
}

static const cb_workload get_wl = { .name = "get", .summary = "test", .kind = CB_KIND_IO, .task = get_task,
                                    .worker_end = close_client };

static void client_on_every_backend(void **state) {
  httpfx *f = *state;
  fake_start(f, chunky_conn);
  for (int chunky = 0; chunky < 2; chunky++) {
    uint64_t want = 0;
    char buf[4096];
    for (uint64_t i = 0; i < 40; i++) {
      uint64_t h = FNV0;
      if (chunky) h = fnv(h, buf, chunky_body((unsigned)i, buf, sizeof buf));
      else h = bytes_hash(bytes_of(i));
      want += cb_mix64(i ^ h);
    }
    for (const cb_backend *const *b = cb_backends(); *b; b++) {
      if (tu_backend_skip(*b)) continue;
      wlstate *st = calloc(1, sizeof *st);
      cb_job job;
      cb_job_summary s;
      assert_non_null(st);
      st->chunky = chunky;
      for (int w = 0; w < 16; w++) {
        if (chunky) cb_http_init(&st->clients[w], (struct sockaddr *)&f->fake_addr, f->fake_auth, 1);
        else cb_http_init(&st->clients[w], (struct sockaddr *)&f->target.addr, f->target.authority, 1);
        st->resps[w].keep_body = 1;
      }
      tu_job_run(&job, *b, &(tu_jobdef){ .wl = &get_wl, .state = st, .tasks = 40, .conc = 4 }, &s);
      for (uint64_t i = 0; i < 40; i++)
        if (job.sh->rec[i].status) print_error("%s: task %llu: %s\n", (*b)->name, (unsigned long long)i, cb_err_name(job.sh->rec[i].status));
      print_message("%s, %s: %llu done, %llu errors\n", (*b)->name, chunky ? "chunked in pieces" : "/bytes",
                    (unsigned long long)s.done, (unsigned long long)s.errors);
      assert_int_equal(s.errors, 0);
      assert_true(s.checksum == want);
      cb_job_free(&job);
      /* Whatever a backend left open (its workers' kept-alive connections) closes here. */
      if (strcmp((*b)->name, "threads") == 0 || strcmp((*b)->name, "sync") == 0)
        for (int w = 0; w < 16; w++) cb_http_close(&f->ctx, &st->clients[w]);
      for (int w = 0; w < 16; w++) cb_http_resp_free(&st->resps[w]);
      free(st);
    }
  }
}

int main(void) {
  /* As concbench's runner does: a peer's close is an error code, never a signal. */
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(bytes_bodies),
    cmocka_unit_test(keepalive_reuses_one_connection),
    cmocka_unit_test(statuses),
    cmocka_unit_test(fail_reset_is_an_error),
    cmocka_unit_test(fail_stall_times_out),
    cmocka_unit_test_teardown(chunked_body, fake_teardown),
    cmocka_unit_test_teardown(body_ended_by_close, fake_teardown),
    cmocka_unit_test_teardown(byte_by_byte, fake_teardown),
    cmocka_unit_test_teardown(malformed_answers, fake_teardown),
    cmocka_unit_test_teardown(interim_answers_skipped, fake_teardown),
    cmocka_unit_test_teardown(closed_keepalive_is_retried, fake_teardown),
    cmocka_unit_test_teardown(retried_once_only, fake_teardown),
    cmocka_unit_test_teardown(connection_close_reconnects, fake_teardown),
    cmocka_unit_test_teardown(client_on_every_backend, fake_teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
