/* test_server.c: the target HTTP server in a forked child, driven over loopback with plain blocking
 * sockets: endpoints, statuses, keep-alive, pipelining, delays, faults, limits, many connections,
 * clean stops, and the `concbench serve` command. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "server.h"
#include "site.h"
#include "testutil.h"

#define IO_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 5000
#define STALL_MS 300

static const cb_site main_site = { 50, 8, 7 };

/* ---- the server in a child ------------------------------------------------------------------ */

typedef struct srv {
  pid_t pid;
  uint16_t port;
} srv;

/* Read one line from fd within timeout_ms; 0 or -1. */
static int read_line(int fd, char *buf, size_t cap, long timeout_ms) {
  size_t len = 0;
  int64_t end = tu_now_ms() + timeout_ms;
  while (len + 1 < cap) {
    struct pollfd p = { fd, POLLIN, 0 };
    int left = (int)(end - tu_now_ms());
    if (left <= 0 || poll(&p, 1, left) <= 0) return -1;
    ssize_t n = read(fd, buf + len, 1);
    if (n <= 0) return -1;
    if (buf[len] == '\n') {
      buf[len] = '\0';
      return 0;
    }
    len++;
  }
  return -1;
}

static void srv_start(srv *s, const cb_server_opts *o) {
  int p[2];
  pid_t parent = getpid();
  assert_int_equal(pipe(p), 0);
  fflush(NULL);
  s->pid = fork();
  assert_true(s->pid >= 0);
  if (s->pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(120);
    close(p[0]);
    int rc = cb_server_run(o, p[1]);
    /* exit, not _exit: under ASan the leak check runs on the server's own memory. */
    exit(rc == 0 ? 0 : 1);
  }
  close(p[1]);
  char line[32];
  int rc = read_line(p[0], line, sizeof line, 10000);
  close(p[0]);
  if (rc != 0) {
    kill(s->pid, SIGKILL);
    tu_wait_exit(s->pid, 1000);
    fail_msg("the server did not report its port");
  }
  s->port = (uint16_t)atoi(line);
  assert_true(s->port > 0);
}

static int srv_stop(srv *s, int sig) {
  if (s->pid <= 0) return 0;
  kill(s->pid, sig);
  int rc = tu_wait_exit(s->pid, STOP_TIMEOUT_MS);
  s->pid = 0;
  return rc;
}

static void srv_start_with(srv *s, cb_site site, double rate, uint64_t fseed) {
  cb_server_opts o = { .host = "127.0.0.1", .port = 0, .site = site, .fault_rate = rate, .fault_seed = fseed, .quiet = 1 };
  srv_start(s, &o);
}

static int group_setup(void **state) {
  static srv s;
  srv_start_with(&s, main_site, 0, 1);
  *state = &s;
  return 0;
}

static int group_teardown(void **state) {
  srv *s = *state;
  int rc = srv_stop(s, SIGTERM);
  if (rc != 0) print_error("the shared server stopped with %d, not 0\n", rc);
  return rc == 0 ? 0 : -1;
}

/* ---- a blocking client ---------------------------------------------------------------------- */

static int tcp_connect_to(uint16_t port, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

static int tcp_connect(uint16_t port) {
  int fd = tcp_connect_to(port, IO_TIMEOUT_MS);
  if (fd < 0) fail_msg("connect to port %u: %s", port, strerror(-fd));
  return fd;
}

static void send_all(int fd, const char *s, size_t len) {
  while (len) {
    ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_msg("send: %s", strerror(errno));
    s += n;
    len -= (size_t)n;
  }
}

static void send_str(int fd, const char *s) {
  send_all(fd, s, strlen(s));
}

typedef struct client {
  int fd;
  char *buf;                 /* received, not yet consumed */
  size_t len, cap;
} client;

typedef struct resp {
  int status;
  long long clen;
  int close;                 /* Connection: close */
  char ctype[128];
  char *body;
  size_t body_len;
} resp;

static void cl_open(client *c, uint16_t port) {
  c->fd = tcp_connect(port);
  c->cap = 64 * 1024;
  c->len = 0;
  c->buf = malloc(c->cap);
  assert_non_null(c->buf);
}

static void cl_close(client *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  free(c->buf);
  c->buf = NULL;
}

static void resp_free(resp *r) {
  free(r->body);
  r->body = NULL;
}

/* More bytes into c->buf: >0, 0 at EOF, or -errno (-EAGAIN on a timeout). */
static ssize_t cl_fill(client *c) {
  if (c->len == c->cap) {
    c->cap *= 2;
    c->buf = realloc(c->buf, c->cap);
    assert_non_null(c->buf);
  }
  ssize_t n;
  while ((n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0)) < 0 && errno == EINTR) {}
  if (n < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  c->len += (size_t)n;
  return n;
}

static const char *header(const char *head, const char *name, char *val, size_t cap) {
  size_t nl = strlen(name);
  for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
    const char *line = p + 2;
    if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
      const char *v = line + nl + 1;
      while (*v == ' ') v++;
      size_t len = strcspn(v, "\r");
      if (len >= cap) len = cap - 1;
      memcpy(val, v, len);
      val[len] = '\0';
      return val;
    }
  }
  return NULL;
}

/* One response: 0, or -1 at EOF before any byte of it, or -errno (-EAGAIN on a timeout). */
static int cl_read(client *c, resp *r) {
  memset(r, 0, sizeof *r);
  char *end;
  for (;;) {
    end = c->len >= 4 ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
    if (end) break;
    ssize_t n = cl_fill(c);
    if (n == 0) {
      if (c->len == 0) return -1;
      fail_msg("EOF inside a response header (%zu bytes)", c->len);
    }
    if (n < 0) return (int)n;
  }
  size_t hlen = (size_t)(end - c->buf) + 4;
  char *head = malloc(hlen + 1), val[128];
  assert_non_null(head);
  memcpy(head, c->buf, hlen);
  head[hlen] = '\0';
  assert_int_equal(strncmp(head, "HTTP/1.1 ", 9), 0);
  r->status = atoi(head + 9);
  assert_non_null(header(head, "Content-Length", val, sizeof val));
  r->clen = atoll(val);
  assert_non_null(header(head, "Connection", val, sizeof val));
  assert_true(strcmp(val, "close") == 0 || strcmp(val, "keep-alive") == 0);
  r->close = strcmp(val, "close") == 0;
  assert_non_null(header(head, "Content-Type", r->ctype, sizeof r->ctype));
  free(head);
  memmove(c->buf, c->buf + hlen, c->len - hlen);
  c->len -= hlen;
  return 0;
}

/* The body of a response read by cl_read, clen bytes (or none: HEAD). */
static void cl_body(client *c, resp *r, size_t want) {
  r->body = malloc(want + 1);
  assert_non_null(r->body);
  while (c->len < want) {
    ssize_t n = cl_fill(c);
    if (n <= 0) fail_msg("body cut short: %zu of %zu bytes (%s)", c->len, want, n ? strerror((int)-n) : "EOF");
  }
  memcpy(r->body, c->buf, want);
  r->body[want] = '\0';
  r->body_len = want;
  memmove(c->buf, c->buf + want, c->len - want);
  c->len -= want;
}

static void cl_response(client *c, resp *r) {
  int rc = cl_read(c, r);
  if (rc != 0) fail_msg("no response: %s", rc == -1 ? "EOF" : strerror(-rc));
  cl_body(c, r, (size_t)r->clen);
}

/* After a closing response: the peer's FIN, and nothing else. */
static void assert_eof(client *c) {
  ssize_t n = c->len ? (ssize_t)c->len : cl_fill(c);
  if (n != 0) fail_msg("expected EOF, got %s", n > 0 ? "more bytes" : strerror((int)-n));
}

/* GET path on a new connection. */
static void get(uint16_t port, const char *path, resp *r) {
  client c;
  char req[1024];
  cl_open(&c, port);
  snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
  send_str(c.fd, req);
  cl_response(&c, r);
  cl_close(&c);
}

static void assert_bytes_body(const resp *r, size_t n) {
  assert_int_equal(r->status, 200);
  assert_int_equal(r->clen, n);
  assert_int_equal(r->body_len, n);
  for (size_t j = 0; j < n; j++)
    if (r->body[j] != cb_body_byte(j)) fail_msg("byte %zu of %zu is '%c', not '%c'", j, n, r->body[j], cb_body_byte(j));
}

/* ---- endpoints ------------------------------------------------------------------------------ */

static void health(void **state) {
  srv *s = *state;
  resp r;
  get(s->port, "/health", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "ok");
  assert_false(r.close);
  assert_non_null(strstr(r.ctype, "text/plain"));
  resp_free(&r);
}

static void bytes(void **state) {
  srv *s = *state;
  static const size_t sizes[] = { 0, 1, 35, 36, 64, 16384, 16385, 100000, 1 << 20 };
  char path[64];
  resp r;
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    snprintf(path, sizeof path, "/bytes/%zu", sizes[k]);
    get(s->port, path, &r);
    assert_bytes_body(&r, sizes[k]);
    assert_string_equal(r.ctype, "application/octet-stream");
    resp_free(&r);
  }
  static const char *const bad[] = { "/bytes/67108865", "/bytes/abc", "/bytes/12x", "/bytes/-1", "/bytes/99999999999999999999" };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    get(s->port, bad[k], &r);
    if (r.status != 400) fail_msg("%s: %d, not 400", bad[k], r.status);
    resp_free(&r);
  }
}

static void big_body_streams(void **state) {
  srv *s = *state;
  /* The biggest body allowed, read by a client that is slow to start: the server streams it. */
  client c;
  resp r;
  cl_open(&c, s->port);
  send_str(c.fd, "GET /bytes/67108864 HTTP/1.1\r\n\r\nGET /health HTTP/1.1\r\n\r\n");
  tu_sleep_ms(100);
  cl_response(&c, &r);
  assert_bytes_body(&r, 64u << 20);
  resp_free(&r);
  cl_response(&c, &r);
  assert_string_equal(r.body, "ok");
  resp_free(&r);
  cl_close(&c);
}

static void site_pages(void **state) {
  srv *s = *state;
  char path[64], auth[32];
  resp r;
  snprintf(auth, sizeof auth, "127.0.0.1:%u", s->port);
  for (uint32_t i = 0; i < main_site.pages; i++) {
    snprintf(path, sizeof path, "/site/%u.html", i);
    get(s->port, path, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.ctype, "text/html"));
    size_t n = cb_site_render(&main_site, i, auth, NULL, 0);
    char *want = malloc(n + 1);
    cb_site_render(&main_site, i, auth, want, n + 1);
    assert_int_equal(r.body_len, n);
    assert_string_equal(r.body, want);
    free(want);
    resp_free(&r);
  }
  static const char *const missing[] = { "/site/50.html", "/site/52.html", "/site/4000000000.html" };
  for (size_t k = 0; k < sizeof missing / sizeof missing[0]; k++) {
    get(s->port, missing[k], &r);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.ctype, "text/html"));
    assert_non_null(strstr(r.body, "<html"));
    assert_false(r.close);
    resp_free(&r);
  }
  static const char *const notpages[] = { "/site/05.html", "/site/x.html", "/site/.html", "/site/1.htm", "/site/" };
  for (size_t k = 0; k < sizeof notpages / sizeof notpages[0]; k++) {
    get(s->port, notpages[k], &r);
    if (r.status != 404) fail_msg("%s: %d, not 404", notpages[k], r.status);
    resp_free(&r);
  }
  /* Every link of every page, followed as a crawler would: pages 200, missing ones 404. */
  cb_site_link l[8];
  for (uint32_t i = 0; i < 5; i++) {
    unsigned n = cb_site_links(&main_site, i, l, 8);
    for (unsigned k = 0; k < n; k++) {
      if (l[k].kind != CB_LINK_PAGE && l[k].kind != CB_LINK_MISSING) continue;
      snprintf(path, sizeof path, "/site/%u.html", l[k].target);
      get(s->port, path, &r);
      assert_int_equal(r.status, l[k].kind == CB_LINK_PAGE ? 200 : 404);
      resp_free(&r);
    }
  }
}

static void unknown_paths(void **state) {
  srv *s = *state;
  static const char *const paths[] = { "/", "/nope", "/healthz", "/health/x", "/bytes", "/bytes/" };
  resp r;
  for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
    get(s->port, paths[k], &r);
    if (r.status != 404) fail_msg("%s: %d, not 404", paths[k], r.status);
    assert_false(r.close);
    resp_free(&r);
  }
  /* absolute-form request target */
  get(s->port, "http://127.0.0.1/health", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
}

static void methods(void **state) {
  srv *s = *state;
  client c;
  resp r;
  cl_open(&c, s->port);
  /* A body is read past, and the connection goes on. */
  send_str(c.fd, "POST /health HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
  cl_response(&c, &r);
  assert_int_equal(r.status, 405);
  assert_false(r.close);
  resp_free(&r);
  send_str(c.fd, "HEAD /bytes/10 HTTP/1.1\r\n\r\n");
  assert_int_equal(cl_read(&c, &r), 0);
  assert_int_equal(r.status, 405);
  cl_body(&c, &r, 0);   /* no body after a HEAD */
  resp_free(&r);
  send_str(c.fd, "DELETE /bytes/10 HTTP/1.1\r\n\r\nGET /health HTTP/1.1\r\n\r\n");
  cl_response(&c, &r);
  assert_int_equal(r.status, 405);
  resp_free(&r);
  cl_response(&c, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "ok");
  resp_free(&r);
  cl_close(&c);
}

static void malformed_gets_400_and_close(void **state) {
  srv *s = *state;
  static const char *const garbage[] = {
    "HELLO WORLD\r\n\r\n",
    "GET /health HTTP/9.9.9\r\n\r\n",
    "GET /health HTTP/1.1\r\nNo colon here\r\n\r\n",
    "\x01\x02\x03\x04\r\n\r\n",
  };
  for (size_t k = 0; k < sizeof garbage / sizeof garbage[0]; k++) {
    client c;
    resp r;
    cl_open(&c, s->port);
    send_str(c.fd, garbage[k]);
    cl_response(&c, &r);
    if (r.status != 400) fail_msg("garbage %zu: %d, not 400", k, r.status);
    assert_true(r.close);
    assert_eof(&c);
    resp_free(&r);
    cl_close(&c);
    /* and a new connection is served */
    get(s->port, "/health", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
  }
}

static void big_headers_431(void **state) {
  srv *s = *state;
  static const size_t sizes[] = { 6 * 1024, 9 * 1024, 64 * 1024 };
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    size_t n = sizes[k];
    char *req = malloc(n + 128);
    assert_non_null(req);
    int off = sprintf(req, "GET /health HTTP/1.1\r\nX-Big: ");
    memset(req + off, 'x', n);
    strcpy(req + off + n, "\r\n\r\n");
    client c;
    resp r;
    cl_open(&c, s->port);
    send_str(c.fd, req);
    cl_response(&c, &r);
    if (n < 8192) {
      assert_int_equal(r.status, 200);
      assert_false(r.close);
    } else {
      assert_int_equal(r.status, 431);
      assert_true(r.close);
      assert_eof(&c);
    }
    resp_free(&r);
    cl_close(&c);
    free(req);
  }
  /* Many small headers count too. */
  char *req = malloc(64 * 1024);
  assert_non_null(req);
  int off = sprintf(req, "GET /health HTTP/1.1\r\n");
  for (int h = 0; h < 600; h++) off += sprintf(req + off, "X-H%d: abcdefgh\r\n", h);
  strcpy(req + off, "\r\n");
  client c;
  resp r;
  cl_open(&c, s->port);
  send_str(c.fd, req);
  cl_response(&c, &r);
  assert_int_equal(r.status, 431);
  assert_true(r.close);
  resp_free(&r);
  cl_close(&c);
  free(req);
}

static void query_parameters(void **state) {
  srv *s = *state;
  static const struct { const char *path; int status; } cases[] = {
    { "/bytes/5?delay_ms=0", 200 },
    { "/bytes/5?x=1&delay_ms=1&y", 200 },
    { "/bytes/5?&&delay_ms=1&", 200 },
    { "/bytes/5?fail=500&delay_ms=1", 500 },
    { "/bytes/5?delay_ms=1&fail=500", 500 },
    { "/bytes/5?delay_ms=abc", 400 },
    { "/bytes/5?delay_ms=-1", 400 },
    { "/bytes/5?delay_ms=", 400 },
    { "/bytes/5?delay_ms", 400 },
    { "/bytes/5?delay_ms=1.5", 400 },
    { "/bytes/5?delay_ms=99999999999", 400 },
    { "/bytes/5?fail=bogus", 400 },
    { "/health?delay_ms=1", 200 },
    { "/site/1.html?delay_ms=1&utm=x", 200 },
  };
  client c;
  cl_open(&c, s->port);
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    char req[256];
    resp r;
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\n\r\n", cases[k].path);
    send_str(c.fd, req);
    cl_response(&c, &r);
    if (r.status != cases[k].status) fail_msg("%s: %d, not %d", cases[k].path, r.status, cases[k].status);
    assert_false(r.close);   /* a bad parameter is not a broken connection */
    if (r.status == 200 && strncmp(cases[k].path, "/bytes/", 7) == 0) assert_bytes_body(&r, 5);
    resp_free(&r);
  }
  cl_close(&c);
}

/* ---- delays --------------------------------------------------------------------------------- */

static void delay_delays(void **state) {
  srv *s = *state;
  resp r;
  int64_t t0 = tu_now_ms();
  get(s->port, "/bytes/10?delay_ms=200", &r);
  int64_t dt = tu_now_ms() - t0;
  assert_bytes_body(&r, 10);
  resp_free(&r);
  if (dt < 200 || dt > 2000) fail_msg("delay_ms=200 took %lld ms", (long long)dt);

  /* Delays are timers: 50 connections waiting 300 ms each take 300 ms, not 15 s. */
  enum { N = 50 };
  client cs[N];
  t0 = tu_now_ms();
  for (int k = 0; k < N; k++) {
    cl_open(&cs[k], s->port);
    send_str(cs[k].fd, "GET /bytes/3?delay_ms=300 HTTP/1.1\r\n\r\n");
  }
  for (int k = 0; k < N; k++) {
    cl_response(&cs[k], &r);
    assert_bytes_body(&r, 3);
    resp_free(&r);
    cl_close(&cs[k]);
  }
  dt = tu_now_ms() - t0;
  if (dt < 300 || dt > 2500) fail_msg("%d concurrent 300 ms delays took %lld ms", N, (long long)dt);
}

/* ---- connections ---------------------------------------------------------------------------- */

static void keep_alive(void **state) {
  srv *s = *state;
  client c;
  resp r;
  cl_open(&c, s->port);
  for (int k = 0; k < 20; k++) {
    char req[128];
    snprintf(req, sizeof req, "GET /bytes/%d HTTP/1.1\r\nHost: x\r\n\r\n", k * 7);
    send_str(c.fd, req);
    cl_response(&c, &r);
    assert_bytes_body(&r, (size_t)k * 7);
    assert_false(r.close);
    resp_free(&r);
  }
  cl_close(&c);
}

static void pipelining(void **state) {
  srv *s = *state;
  client c;
  resp r;
  cl_open(&c, s->port);
  /* The delayed one first: answers still come in request order. */
  send_str(c.fd, "GET /bytes/3?delay_ms=100 HTTP/1.1\r\n\r\nGET /health HTTP/1.1\r\n\r\nGET /site/1.html HTTP/1.1\r\n\r\n");
  cl_response(&c, &r);
  assert_bytes_body(&r, 3);
  resp_free(&r);
  cl_response(&c, &r);
  assert_string_equal(r.body, "ok");
  resp_free(&r);
  cl_response(&c, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "<h1>Page 1</h1>"));
  resp_free(&r);

  /* Many in one write, mixed sizes, one of them streamed. */
  char *req = malloc(64 * 1024);
  assert_non_null(req);
  size_t off = 0;
  for (int k = 0; k < 200; k++) off += (size_t)sprintf(req + off, "GET /bytes/%d HTTP/1.1\r\n\r\n", k == 100 ? 300000 : k);
  send_all(c.fd, req, off);
  for (int k = 0; k < 200; k++) {
    cl_response(&c, &r);
    assert_bytes_body(&r, k == 100 ? 300000 : (size_t)k);
    resp_free(&r);
  }
  free(req);
  cl_close(&c);
}

static void connection_close_and_http10(void **state) {
  srv *s = *state;
  static const struct { const char *req; int close; } cases[] = {
    { "GET /health HTTP/1.0\r\n\r\n", 1 },
    { "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0 },
    { "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n", 1 },
    { "GET /health HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", 0 },
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    client c;
    resp r;
    cl_open(&c, s->port);
    send_str(c.fd, cases[k].req);
    cl_response(&c, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.close, cases[k].close);
    resp_free(&r);
    if (cases[k].close) {
      assert_eof(&c);
    } else {
      send_str(c.fd, cases[k].req);
      cl_response(&c, &r);
      assert_int_equal(r.status, 200);
      resp_free(&r);
    }
    cl_close(&c);
  }
  /* Requests pipelined after a closing one are not answered. */
  client c;
  resp r;
  cl_open(&c, s->port);
  send_str(c.fd, "GET /health HTTP/1.1\r\nConnection: close\r\n\r\nGET /bytes/5 HTTP/1.1\r\n\r\n");
  cl_response(&c, &r);
  assert_true(r.close);
  resp_free(&r);
  assert_eof(&c);
  cl_close(&c);
}

static void byte_by_byte(void **state) {
  srv *s = *state;
  const char *req = "GET /bytes/77?x&delay_ms=5 HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n\r\n";
  client c;
  resp r;
  cl_open(&c, s->port);
  for (size_t k = 0; req[k]; k++) {
    send_all(c.fd, req + k, 1);
    if (k % 8 == 0) tu_sleep_ms(1);   /* so they really arrive apart */
  }
  cl_response(&c, &r);
  assert_bytes_body(&r, 77);
  resp_free(&r);
  req = "GET /bytes/78?fail HTTP/1.1\r\n\r\n";
  for (size_t k = 0; req[k]; k++) {
    send_all(c.fd, req + k, 1);
    tu_sleep_ms(1);
  }
  cl_response(&c, &r);
  assert_int_equal(r.status, 400);   /* "fail" needs a value: the whole URL was seen */
  resp_free(&r);
  cl_close(&c);
}

static void many_connections(void **state) {
  srv *s = *state;
  enum { N = 2000 };
  int *fds = malloc(N * sizeof *fds);
  assert_non_null(fds);
  for (int k = 0; k < N; k++) {
    fds[k] = tcp_connect_to(s->port, 10000);
    if (fds[k] < 0) fail_msg("connection %d: %s", k, strerror(-fds[k]));
  }
  /* All open at once; each asks for its own size. */
  for (int k = 0; k < N; k++) {
    char req[64];
    snprintf(req, sizeof req, "GET /bytes/%d HTTP/1.1\r\n\r\n", k % 100);
    send_str(fds[k], req);
  }
  for (int k = 0; k < N; k++) {
    client c = { .fd = fds[k], .cap = 4096 };
    resp r;
    c.buf = malloc(c.cap);
    assert_non_null(c.buf);
    cl_response(&c, &r);
    assert_bytes_body(&r, (size_t)(k % 100));
    resp_free(&r);
    cl_close(&c);
  }
  free(fds);
}

/* ---- faults --------------------------------------------------------------------------------- */

static void fail_500_keeps_connection(void **state) {
  srv *s = *state;
  client c;
  resp r;
  cl_open(&c, s->port);
  send_str(c.fd, "GET /bytes/10?fail=500 HTTP/1.1\r\n\r\n");
  cl_response(&c, &r);
  assert_int_equal(r.status, 500);
  assert_false(r.close);
  resp_free(&r);
  send_str(c.fd, "GET /bytes/10 HTTP/1.1\r\n\r\n");
  cl_response(&c, &r);
  assert_bytes_body(&r, 10);
  resp_free(&r);
  cl_close(&c);
}

/* The request gets an RST (or a FIN, if the reset lost a race): no response either way. */
static void expect_reset(uint16_t port, const char *path, long min_ms) {
  client c;
  char req[256];
  cl_open(&c, port);
  snprintf(req, sizeof req, "GET %s HTTP/1.1\r\n\r\n", path);
  int64_t t0 = tu_now_ms();
  send_str(c.fd, req);
  ssize_t n = cl_fill(&c);
  if (n > 0) fail_msg("%s: %zd bytes, expected a reset", path, n);
  if (n != 0 && n != -ECONNRESET) fail_msg("%s: %s, expected a reset", path, strerror((int)-n));
  if (tu_now_ms() - t0 < min_ms) fail_msg("%s: reset after %lld ms", path, (long long)(tu_now_ms() - t0));
  cl_close(&c);
}

static void fail_reset(void **state) {
  srv *s = *state;
  expect_reset(s->port, "/bytes/10?fail=reset", 0);
  expect_reset(s->port, "/site/3.html?fail=reset&delay_ms=150", 150);
  /* The earlier pipelined answer still arrives; then the reset. */
  client c;
  resp r;
  cl_open(&c, s->port);
  send_str(c.fd, "GET /health HTTP/1.1\r\n\r\nGET /health?fail=reset HTTP/1.1\r\n\r\n");
  int rc = cl_read(&c, &r);
  if (rc == 0) {
    cl_body(&c, &r, (size_t)r.clen);
    assert_string_equal(r.body, "ok");
    resp_free(&r);
    ssize_t n = cl_fill(&c);
    assert_true(n == 0 || n == -ECONNRESET);
  } else {
    assert_true(rc == -1 || rc == -ECONNRESET);   /* the RST may overtake unread data */
  }
  cl_close(&c);
}

/* No answer within STALL_MS, and the connection is still open. */
static void expect_stall(client *c) {
  struct pollfd p = { c->fd, POLLIN, 0 };
  int n = poll(&p, 1, STALL_MS);
  if (n != 0) fail_msg("a stalled request got an answer or a close (revents %#x)", p.revents);
}

static void fail_stall(void **state) {
  srv *s = *state;
  client c;
  cl_open(&c, s->port);
  send_str(c.fd, "GET /bytes/10?fail=stall HTTP/1.1\r\n\r\nGET /health HTTP/1.1\r\n\r\n");
  expect_stall(&c);
  cl_close(&c);
  cl_open(&c, s->port);
  send_str(c.fd, "GET /bytes/10?delay_ms=50&fail=stall HTTP/1.1\r\n\r\n");
  expect_stall(&c);
  send_str(c.fd, "GET /health HTTP/1.1\r\n\r\n");   /* still nothing: it stalls for good */
  expect_stall(&c);
  cl_close(&c);
  /* The server itself goes on. */
  resp r;
  get(s->port, "/health", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
}

/* One request on its own connection: 200, 500, 'R' reset, 'S' stall. */
static int outcome(uint16_t port, const char *path) {
  client c;
  resp r;
  char req[128];
  c.fd = tcp_connect_to(port, STALL_MS);
  assert_true(c.fd >= 0);
  c.cap = 4096;
  c.len = 0;
  c.buf = malloc(c.cap);
  snprintf(req, sizeof req, "GET %s HTTP/1.1\r\n\r\n", path);
  send_str(c.fd, req);
  int rc = cl_read(&c, &r), out;
  if (rc == -EAGAIN) out = 'S';
  else if (rc == -1 || rc == -ECONNRESET) out = 'R';
  else {
    assert_int_equal(rc, 0);
    cl_body(&c, &r, (size_t)r.clen);
    resp_free(&r);
    out = r.status;
  }
  cl_close(&c);
  return out;
}

static void fault_rate_one_and_zero(void **state) {
  srv *shared = *state, s;
  int seen[3] = { 0 };
  srv_start_with(&s, main_site, 1.0, 3);
  for (int k = 0; k < 30; k++) {
    int o = outcome(s.port, k % 2 ? "/bytes/10" : "/site/0.html");
    if (o == 200) fail_msg("request %d was not faulted at fault_rate 1", k);
    seen[o == 'R' ? 0 : o == 500 ? 1 : 2]++;
  }
  for (int t = 0; t < 3; t++) if (!seen[t]) fail_msg("fault kind %d never drawn in 30 requests", t);
  assert_int_equal(outcome(s.port, "/health"), 200);   /* a readiness probe is never faulted */
  assert_int_equal(srv_stop(&s, SIGTERM), 0);
  /* fault_rate 0 (the shared server): no faults at all. */
  client c;
  resp r;
  cl_open(&c, shared->port);
  for (int k = 0; k < 500; k++) {
    send_str(c.fd, "GET /bytes/8 HTTP/1.1\r\n\r\n");
    cl_response(&c, &r);
    assert_bytes_body(&r, 8);
    resp_free(&r);
  }
  cl_close(&c);
}

static void fault_sequence_is_deterministic(void **state) {
  char a[24], b[24];
  for (int run = 0; run < 2; run++) {
    srv s;
    srv_start_with(&s, main_site, 0.3, 11);
    for (int k = 0; k < 20; k++) {
      int o = outcome(s.port, "/bytes/4");
      (run ? b : a)[k] = o == 200 ? '.' : o == 500 ? '5' : (char)o;
    }
    assert_int_equal(srv_stop(&s, SIGTERM), 0);
  }
  a[20] = b[20] = '\0';
  assert_string_equal(a, b);
  assert_true(strchr(a, '.') != NULL);
  assert_true(strspn(a, ".") != 20);
}

static int open_fds(pid_t pid) {
  char path[64];
  int n = 0;
  snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
  DIR *d = opendir(path);
  if (!d) return -1;
  for (struct dirent *e; (e = readdir(d)) != NULL;) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* Clients that give up on a stalled or long-delayed request get their connection freed at once,
 * not when the delay ends. */
static void closed_clients_are_freed(void **state) {
  srv *s = *state;
  enum { N = 40 };
  client cs[N];
  tu_sleep_ms(100);   /* earlier tests' closes are done */
  int base = open_fds(s->pid);
  assert_true(base > 0);
  for (int k = 0; k < N; k++) {
    cl_open(&cs[k], s->port);
    send_str(cs[k].fd, k % 2 ? "GET /health?fail=stall HTTP/1.1\r\n\r\n" : "GET /bytes/1?delay_ms=600000 HTTP/1.1\r\n\r\n");
  }
  int64_t end = tu_now_ms() + 3000;
  while (open_fds(s->pid) < base + N && tu_now_ms() < end) tu_sleep_ms(5);
  assert_true(open_fds(s->pid) >= base + N);
  for (int k = 0; k < N; k++) cl_close(&cs[k]);
  end = tu_now_ms() + 3000;
  while (open_fds(s->pid) > base && tu_now_ms() < end) tu_sleep_ms(5);
  if (open_fds(s->pid) > base) fail_msg("%d descriptors still open, %d before", open_fds(s->pid), base);
}

/* ---- stopping ------------------------------------------------------------------------------- */

static void sigterm_stops_cleanly(void **state) {
  static const int sigs[] = { SIGTERM, SIGINT };
  for (size_t k = 0; k < 2; k++) {
    srv s;
    client idle, stalled, delayed, streaming;
    srv_start_with(&s, main_site, 0, 1);
    cl_open(&idle, s.port);
    cl_open(&stalled, s.port);
    cl_open(&delayed, s.port);
    cl_open(&streaming, s.port);
    send_str(stalled.fd, "GET /health?fail=stall HTTP/1.1\r\n\r\n");
    send_str(delayed.fd, "GET /health?delay_ms=60000 HTTP/1.1\r\n\r\n");
    send_str(streaming.fd, "GET /bytes/67108864 HTTP/1.1\r\n\r\n");   /* never read: the server is blocked writing */
    tu_sleep_ms(100);
    int64_t t0 = tu_now_ms();
    kill(s.pid, sigs[k]);
    int rc = tu_wait_exit(s.pid, STOP_TIMEOUT_MS);
    int64_t dt = tu_now_ms() - t0;
    if (rc != 0) fail_msg("signal %d: the server exited with %d", sigs[k], rc);
    if (dt > 2000) fail_msg("signal %d: the server took %lld ms to stop", sigs[k], (long long)dt);
    ssize_t n = cl_fill(&idle);
    assert_true(n == 0 || n == -ECONNRESET);
    n = cl_fill(&delayed);
    assert_true(n == 0 || n == -ECONNRESET);
    cl_close(&idle);
    cl_close(&stalled);
    cl_close(&delayed);
    cl_close(&streaming);
  }
}

/* ---- the concbench serve command ------------------------------------------------------------ */

typedef struct proc {
  pid_t pid;
  int out, err;              /* read ends of its stdout and stderr */
} proc;

static const char *cb_bin(void) {
  const char *bin = tu_bin();
  tu_need_bin(bin);
  return bin;
}

static void proc_start(proc *p, const char *const *args) {
  const char *argv[32];
  int o[2], e[2], n = 0;
  pid_t parent = getpid();
  argv[n++] = cb_bin();
  while (args[n - 1]) {
    assert_true(n < 31);
    argv[n] = args[n - 1];
    n++;
  }
  argv[n] = NULL;
  assert_int_equal(pipe2(o, O_CLOEXEC), 0);
  assert_int_equal(pipe2(e, O_CLOEXEC), 0);
  fflush(NULL);
  p->pid = fork();
  assert_true(p->pid >= 0);
  if (p->pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(120);
    if (dup2(o[1], 1) < 0 || dup2(e[1], 2) < 0) _exit(126);
    signal(SIGINT, SIG_DFL);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(o[1]);
  close(e[1]);
  p->out = o[0];
  p->err = e[0];
}

/* All of fd until EOF (bounded in time), NUL-terminated, into buf. */
static size_t read_all(int fd, char *buf, size_t cap, long timeout_ms) {
  size_t len = 0;
  int64_t end = tu_now_ms() + timeout_ms;
  while (len + 1 < cap) {
    struct pollfd p = { fd, POLLIN, 0 };
    int left = (int)(end - tu_now_ms());
    if (left <= 0 || poll(&p, 1, left) <= 0) break;
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n <= 0) break;
    len += (size_t)n;
  }
  buf[len] = '\0';
  return len;
}

static void proc_end(proc *p) {
  close(p->out);
  close(p->err);
}

static void cli_serves_and_stops(void **state) {
  const char *const args[] = { "serve", "--port", "0", "--site-pages", "10", NULL };
  proc p;
  char line[256], err[4096];
  proc_start(&p, args);
  if (read_line(p.out, line, sizeof line, 10000) != 0) {
    kill(p.pid, SIGKILL);
    tu_wait_exit(p.pid, 1000);
    read_all(p.err, err, sizeof err, 100);
    fail_msg("concbench serve printed no URL line; stderr: %s", err);
  }
  unsigned port = 0;
  int used = 0;
  assert_int_equal(sscanf(line, "serving http://127.0.0.1:%u/ %n", &port, &used), 1);
  assert_true(port > 0 && port < 65536);
  assert_string_equal(line + used, "(site: 10 pages, 8 links, seed 1)");
  resp r;
  get((uint16_t)port, "/health", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "ok");
  resp_free(&r);
  cb_site site = { 10, 8, 1 };
  char auth[32], page[8192];
  snprintf(auth, sizeof auth, "127.0.0.1:%u", port);
  cb_site_render(&site, 9, auth, page, sizeof page);
  get((uint16_t)port, "/site/9.html", &r);
  assert_string_equal(r.body, page);
  resp_free(&r);
  get((uint16_t)port, "/site/10.html", &r);
  assert_int_equal(r.status, 404);
  resp_free(&r);
  kill(p.pid, SIGINT);
  assert_int_equal(tu_wait_exit(p.pid, STOP_TIMEOUT_MS), 0);
  read_all(p.err, err, sizeof err, 1000);
  assert_string_equal(err, "");
  proc_end(&p);
}

/* Listening on every interface: the URL line gives the address as it is written in a URL
 * (IPv6 in brackets), and one warning line on stderr says the server is reachable from the
 * network. Loopback (above) prints nothing on stderr. */
static void cli_any_address_warns(void **state) {
  (void)state;
  static const char *const hosts[] = { "0.0.0.0", "::" };
  static const char *const want[] = { "serving http://0.0.0.0:", "serving http://[::]:" };
  for (size_t k = 0; k < 2; k++) {
    const char *const args[] = { "serve", "--port", "0", "--host", hosts[k], NULL };
    proc p;
    char line[256], err[4096];
    proc_start(&p, args);
    if (read_line(p.out, line, sizeof line, 10000) != 0) {
      kill(p.pid, SIGKILL);
      tu_wait_exit(p.pid, 1000);
      read_all(p.err, err, sizeof err, 100);
      proc_end(&p);
      /* A machine without IPv6 cannot listen on ::; that is not what this test is about. */
      if (k == 1) continue;
      fail_msg("serve --host %s printed no URL line; stderr: %s", hosts[k], err);
    }
    if (strncmp(line, want[k], strlen(want[k])) != 0) fail_msg("serve --host %s: '%s', want '%s...'", hosts[k], line, want[k]);
    kill(p.pid, SIGINT);
    assert_int_equal(tu_wait_exit(p.pid, STOP_TIMEOUT_MS), 0);
    read_all(p.err, err, sizeof err, 1000);
    proc_end(&p);
    size_t len = strlen(err);
    if (strncmp(err, "concbench: serve: warning: ", 27) != 0 || !strstr(err, "reachable from the network") ||
        strchr(err, '\n') != err + len - 1)
      fail_msg("serve --host %s: stderr is not one warning line: '%s'", hosts[k], err);
  }
}

static void cli_bad_usage(void **state) {
  srv *s = *state;
  char busy[16];
  snprintf(busy, sizeof busy, "%u", s->port);
  static const char *const cases[][6] = {
    { "serve", "--bogus", NULL },
    { "serve", "--port", "70000", NULL },
    { "serve", "--port", "-1", NULL },
    { "serve", "--port", "80x", NULL },
    { "serve", "--port", NULL },
    { "serve", "--site-pages", "0", NULL },
    { "serve", "--site-pages", "many", NULL },
    { "serve", "--site-links", "0", NULL },
    { "serve", "--site-seed", "-5", NULL },
    { "serve", "--fault-rate", "1.5", NULL },
    { "serve", "--fault-rate", "-0.1", NULL },
    { "serve", "--fault-rate", "nan", NULL },
    { "serve", "--host", "", NULL },
    { "serve", "--host", "999.1.1.1", NULL },   /* not an address: bad usage, never asked of DNS */
    { "serve", "--host", "1.2.3.4.5", NULL },
    { "serve", "--host", "::g", NULL },
    { "serve", "extra", NULL },
  };
  char out[4096], err[4096];
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    proc p;
    proc_start(&p, cases[k]);
    read_all(p.err, err, sizeof err, 5000);
    read_all(p.out, out, sizeof out, 100);
    int rc = tu_wait_exit(p.pid, 5000);
    proc_end(&p);
    if (rc != 2) fail_msg("serve %s %s: exit %d, not 2", cases[k][1], cases[k][2] ? cases[k][2] : "", rc);
    size_t len = strlen(err);
    if (strncmp(err, "concbench: ", 11) != 0 || len == 0 || err[len - 1] != '\n' || strchr(err, '\n') != err + len - 1)
      fail_msg("serve %s: stderr is not one 'concbench: ' line: '%s'", cases[k][1], err);
    assert_string_equal(out, "");
  }
  /* Cannot listen: one line naming the address, exit 1. */
  const char *const inuse[] = { "serve", "--port", busy, NULL };
  const char *const badhost[] = { "serve", "--port", "0", "--host", "192.0.2.1", NULL };
  const char *const *fails[] = { inuse, badhost };
  for (size_t k = 0; k < 2; k++) {
    proc p;
    proc_start(&p, fails[k]);
    read_all(p.err, err, sizeof err, 5000);
    int rc = tu_wait_exit(p.pid, 5000);
    proc_end(&p);
    if (rc != 1) fail_msg("serve %s %s: exit %d, not 1 (stderr: %s)", fails[k][1], fails[k][2], rc, err);
    size_t len = strlen(err);
    assert_true(len > 0 && strchr(err, '\n') == err + len - 1);
    assert_non_null(strstr(err, k == 0 ? busy : "192.0.2.1"));
  }
  /* --help is not an error */
  const char *const help[] = { "serve", "--help", NULL };
  proc p;
  proc_start(&p, help);
  read_all(p.out, out, sizeof out, 5000);
  assert_int_equal(tu_wait_exit(p.pid, 5000), 0);
  proc_end(&p);
  assert_non_null(strstr(out, "usage: concbench serve"));
}

int main(void) {
  /* 2000 sockets at once, and the server's end of them in the child. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(health),
    cmocka_unit_test(bytes),
    cmocka_unit_test(big_body_streams),
    cmocka_unit_test(site_pages),
    cmocka_unit_test(unknown_paths),
    cmocka_unit_test(methods),
    cmocka_unit_test(malformed_gets_400_and_close),
    cmocka_unit_test(big_headers_431),
    cmocka_unit_test(query_parameters),
    cmocka_unit_test(delay_delays),
    cmocka_unit_test(keep_alive),
    cmocka_unit_test(pipelining),
    cmocka_unit_test(connection_close_and_http10),
    cmocka_unit_test(byte_by_byte),
    cmocka_unit_test(many_connections),
    cmocka_unit_test(fail_500_keeps_connection),
    cmocka_unit_test(fail_reset),
    cmocka_unit_test(fail_stall),
    cmocka_unit_test(fault_rate_one_and_zero),
    cmocka_unit_test(fault_sequence_is_deterministic),
    cmocka_unit_test(closed_clients_are_freed),
    cmocka_unit_test(sigterm_stops_cleanly),
    cmocka_unit_test(cli_serves_and_stops),
    cmocka_unit_test(cli_any_address_warns),
    cmocka_unit_test(cli_bad_usage),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
