/* test_loadserver.c: cmocka tests for the server workload: the handler on every backend under raw
 * clients (keep-alive, pipelining, a close mid-request, slow and stuck readers), and under the load
 * process (the same answers everywhere, a killed load counted, nothing left behind). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry.h"
#include "runner.h"
#include "cb.h"
#include "clock.h"
#include "job.h"
#include "procfs.h"
#include "site.h"

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  if (!d) return -1;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

static void server_case(cb_case *c, const char *be, uint32_t conc, double conns, double rate, double dur) {
  memset(c, 0, sizeof *c);
  c->wl = cb_workload_find("server");
  c->be = cb_backend_find(be);
  assert_non_null(c->wl);
  assert_non_null(c->be);
  cb_params_defaults(c->wl, &c->params);
  c->params.v[cb_params_index(c->wl, "connections")] = conns;
  c->conc = conc;
  c->eff_conc = (c->be->flags & CB_BACKEND_SERIAL) ? 1 : conc;
  c->tasks = c->wl->load->connections(&c->params, conc);
  c->rate = rate;
  c->duration = dur;
  cb_params_format(c->wl, &c->params, c->params_str, sizeof c->params_str);
}

/* Every backend answers every request of a keep-alive load right and in time; the answers'
 * checksum is the same on all; nothing is left open or running afterwards. */
static void every_backend_serves(void **state) {
  (void)state;
  static const char *const bes[] = { "sync", "threads", "fork", "uv", "uv-offload" };
  cb_measure_env env = { 0 };
  uint64_t sum = 0;
  int fds0 = count_fds();
  for (size_t i = 0; i < sizeof bes / sizeof bes[0]; i++) {
    cb_case c;
    cb_sample s;
    /* sync serves one connection at a time: one connection, so none waits behind another. */
    int serial = strcmp(bes[i], "sync") == 0;
    server_case(&c, bes[i], serial ? 1 : 8, serial ? 1 : 8, 400, 0.5);
    assert_int_equal(cb_runner_measure(&c, &env, &s), 0);
    assert_int_equal(s.status, 0);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.done, 200);
    assert_true(s.rate_achieved > 300);
    assert_true(s.p99_ms > 0);
    assert_non_null(c.lat);
    assert_int_equal(c.lat->count, 200);
    if (i == 0) sum = s.checksum;
    assert_int_equal(s.checksum, sum);
    cb_case_free_hists(&c);
    assert_int_equal(count_fds(), fds0);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);   /* no child left, the load's included */
  }
}

/* An iterative server with more connections than it serves at once: the requests behind the
 * first connection time out at their deadline and are counted; the case ends (no hang). */
static void sync_times_out_counted(void **state) {
  (void)state;
  cb_measure_env env = { 0 };
  cb_case c;
  cb_sample s;
  server_case(&c, "sync", 4, 4, 200, 0.5);
  c.params.v[cb_params_index(c.wl, "timeout_ms")] = 200;
  assert_int_equal(cb_runner_measure(&c, &env, &s), 0);
  assert_int_equal(s.errors + s.done, 100);
  assert_true(s.errors >= 50);
  assert_true(s.p99_ms >= 150);
  cb_case_free_hists(&c);
}

/* ---- the handler under raw clients ---- */

#define BIG (1u << 20)          /* a response larger than any socket buffer a stuck reader leaves */

typedef struct srv {
  pid_t pid;
  int lfd;
  struct sockaddr_in addr;
} srv;

/* Serve with backend be from a child process (fork's workers need one of their own to be reaped
 * in), on a listening socket made here, as the runner makes it. The child exits with the number of
 * tasks that failed (capped at 99), or 100 when the backend could not run. */
static void srv_start(srv *S, const char *be_name, uint32_t conc, double timeout_ms) {
  const cb_workload *wl = cb_workload_find("server");
  const cb_backend *be = cb_backend_find(be_name);
  assert_non_null(wl);
  assert_non_null(be);
  memset(S, 0, sizeof *S);
  S->addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  cb_ctx lctx = { .io = be->io };
  assert_int_equal(cb_tcp_listen(&lctx, (const struct sockaddr *)&S->addr, 128, &S->lfd), 0);
  socklen_t al = sizeof S->addr;
  assert_int_equal(getsockname(S->lfd, (struct sockaddr *)&S->addr, &al), 0);
  pid_t parent = getpid();
  S->pid = fork();
  assert_true(S->pid >= 0);
  if (S->pid) return;
  if (cb_die_with_parent(SIGKILL, parent) != 0) _exit(100);
  cb_params p;
  cb_params_defaults(wl, &p);
  p.v[cb_params_index(wl, "bytes")] = BIG;
  p.v[cb_params_index(wl, "timeout_ms")] = timeout_ms;
  uint32_t eff = (be->flags & CB_BACKEND_SERIAL) ? 1 : conc;
  cb_job job;
  if (cb_job_init(&job, wl, &p, 16, eff, 256 * 1024) != 0) _exit(100);
  cb_setup su = { .p = &job.params, .ntasks = job.ntasks, .workers = cb_job_workers(&job),
                  .serial = eff == 1, .listen_fd = S->lfd };
  if (wl->setup(&su, &job.state) != 0) _exit(100);
  job.t0_ns = cb_now_ns();
  int rc = be->run(&job);
  cb_job_summary sum;
  cb_job_summarize(&job, &sum);
  wl->teardown(job.state);
  _exit(rc ? 100 : sum.errors > 99 ? 99 : (int)sum.errors);
}

/* No connection will come any more: every waiting accept ends; the child's exit status. */
static int srv_stop(srv *S) {
  shutdown(S->lfd, SHUT_RDWR);
  close(S->lfd);
  int st = 0;
  assert_int_equal(waitpid(S->pid, &st, 0), S->pid);
  assert_true(WIFEXITED(st));
  return WEXITSTATUS(st);
}

static int dial(const srv *S, int small_rcvbuf) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  if (small_rcvbuf) {
    int sz = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  }
  struct timeval tv = { .tv_sec = 10 };  /* a hung server fails the test rather than hanging it */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  assert_int_equal(connect(fd, (const struct sockaddr *)&S->addr, sizeof S->addr), 0);
  return fd;
}

static void put(int fd, const char *s) {
  size_t len = strlen(s);
  assert_int_equal(send(fd, s, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void ask(int fd, uint64_t id) {
  char req[128];
  snprintf(req, sizeof req, "GET /r/%" PRIu64 " HTTP/1.1\r\nHost: t\r\n\r\n", id);
  put(fd, req);
}

/* Read one response, byte by byte through the header (so a pipelined next one stays unread), and
 * check it is request id's answer: 200, BIG bytes, its hash (no work: cb_mix64(id)), the pattern.
 * 0 when it is; -1 when the connection ended first. */
static int answer(int fd, uint64_t id) {
  char hdr[512];
  size_t n = 0;
  while (n < 4 || memcmp(hdr + n - 4, "\r\n\r\n", 4) != 0) {
    if (n == sizeof hdr - 1 || recv(fd, hdr + n, 1, 0) != 1) return -1;
    n++;
  }
  hdr[n] = '\0';
  assert_memory_equal(hdr, "HTTP/1.1 200 OK\r\n", 17);
  const char *cl = strstr(hdr, "Content-Length: ");
  assert_non_null(cl);
  assert_int_equal(strtoull(cl + 16, NULL, 10), BIG);
  char *body = malloc(BIG);
  assert_non_null(body);
  size_t got = 0;
  while (got < BIG) {
    ssize_t r = recv(fd, body + got, BIG - got, 0);
    if (r <= 0) break;
    got += (size_t)r;
  }
  if (got < BIG) {
    free(body);
    return -1;
  }
  char hex[17];
  snprintf(hex, sizeof hex, "%016" PRIx64, cb_mix64(id));
  assert_memory_equal(body, hex, 16);
  for (size_t j = 16; j < BIG; j += 4093) assert_int_equal(body[j], cb_body_byte(j));
  assert_int_equal(body[BIG - 1], cb_body_byte(BIG - 1));
  free(body);
  return 0;
}

static char sink[1 << 16];

static int64_t ms_since(int64_t t) { return (cb_now_ns() - t) / 1000000; }

/* Every backend: keep-alive, pipelined requests answered in order, a client gone mid-request (no
 * error, the server goes on), a slow reader served whole, and a reader that never reads cut off at
 * the send deadline (the one error) without holding up another connection (but on sync). */
static void handler_on_every_backend(void **state) {
  (void)state;
  static const char *const bes[] = { "sync", "threads", "fork", "uv", "uv-offload" };
  int fds0 = count_fds();
  for (size_t b = 0; b < sizeof bes / sizeof bes[0]; b++) {
    int serial = strcmp(bes[b], "sync") == 0;
    srv S;
    srv_start(&S, bes[b], 4, 1000);

    int fd = dial(&S, 0);                       /* keep-alive: three in turn on one connection */
    for (uint64_t id = 1; id <= 3; id++) {
      ask(fd, id);
      assert_int_equal(answer(fd, id), 0);
    }
    close(fd);

    fd = dial(&S, 0);                           /* pipelined: four in one write, answered in order */
    put(fd, "GET /r/11 HTTP/1.1\r\nHost: t\r\n\r\nGET /r/12 HTTP/1.1\r\nHost: t\r\n\r\n"
            "GET /r/13 HTTP/1.1\r\nHost: t\r\n\r\nGET /r/14 HTTP/1.1\r\nHost: t\r\n\r\n");
    for (uint64_t id = 11; id <= 14; id++) assert_int_equal(answer(fd, id), 0);
    close(fd);

    fd = dial(&S, 0);                           /* gone mid-request */
    put(fd, "GET /r/21 HTTP/1.1\r\nHo");
    close(fd);
    fd = dial(&S, 0);
    ask(fd, 22);
    assert_int_equal(answer(fd, 22), 0);
    close(fd);

    int slow = dial(&S, 1);                     /* reads late, through a small buffer: served whole */
    ask(slow, 31);
    usleep(150000);
    assert_int_equal(answer(slow, 31), 0);
    close(slow);

    /* Never reads: six pipelined answers of 1 MiB are more than the kernel buffers between the
     * two (it grows a loopback send buffer to 4 MiB), so the server's send must wait. */
    int stuck = dial(&S, 1);
    int64_t t = cb_now_ns();
    for (uint64_t id = 41; id <= 46; id++) ask(stuck, id);
    if (!serial) {
      fd = dial(&S, 0);                         /* another is served meanwhile */
      ask(fd, 33);
      assert_int_equal(answer(fd, 33), 0);
      assert_true(ms_since(t) < 900);           /* before the stuck one's deadline (1000 ms) */
      close(fd);
    }
    usleep(1500000);                            /* past the send deadline */
    uint64_t all = 0;                           /* the server gave the stuck one up: cut short */
    for (ssize_t r; (r = recv(stuck, sink, sizeof sink, 0)) > 0;) all += (uint64_t)r;
    assert_true(all > 0);
    assert_true(all < 6ull * BIG);
    close(stuck);

    assert_int_equal(srv_stop(&S), 1);          /* the stuck reader's handler, and no other */
    assert_int_equal(count_fds(), fds0);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
  }
}

/* ---- the load process killed mid-run ---- */

/* The newest child of this process: the load, started after the measurement process. Run in a
 * process of its own (a thread here would make the measurement's fork a multi-threaded one, which
 * ThreadSanitizer refuses to go on from), so it is not one of the children it looks at. */
static void *kill_load(void *arg) {
  pid_t self = *(pid_t *)arg, newest = 0, me = getpid();
  char path[64], buf[4096];
  int64_t until = cb_now_ns() + 5000000000ll;
  usleep(400000);                               /* the schedule is under way */
  while (!newest && cb_now_ns() < until) {
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)self, (int)self);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = '\0';
    int kids = 0;
    for (char *p = buf, *end; ; p = end) {
      long k = strtol(p, &end, 10);
      if (end == p) break;
      if (k == me) continue;
      kids++;
      if (k > newest) newest = (pid_t)k;
    }
    if (kids < 2) newest = 0;
    if (!newest) usleep(20000);
  }
  if (newest) kill(newest, SIGKILL);
  return (void *)(intptr_t)newest;
}

/* Killed mid-run, the load's requests count as errors, the case ends at once (no hang) and
 * nothing is left behind: the server's connections died with it, its accepts ended. */
static void killed_load_counted(void **state) {
  (void)state;
  static const char *const bes[] = { "threads", "uv" };
  int fds0 = count_fds();
  for (size_t b = 0; b < sizeof bes / sizeof bes[0]; b++) {
    cb_measure_env env = { 0 };
    cb_case c;
    cb_sample s;
    server_case(&c, bes[b], 8, 8, 200, 3);
    pid_t self = getpid(), killer = fork();
    assert_true(killer >= 0);
    if (killer == 0) _exit(kill_load(&self) ? 0 : 1);
    int64_t t = cb_now_ns();
    assert_int_equal(cb_runner_measure(&c, &env, &s), 0);
    int kst = 0;
    assert_int_equal(waitpid(killer, &kst, 0), killer);
    assert_true(WIFEXITED(kst) && WEXITSTATUS(kst) == 0);   /* it found the load and killed it */
    assert_true(ms_since(t) < 2500);            /* not the 3 s schedule, nor a hang */
    assert_int_equal(s.status, -ECHILD);
    assert_int_equal(s.errors, 600);            /* every request of the schedule */
    assert_non_null(strstr(s.err, "signal 9"));
    cb_case_free_hists(&c);
    assert_int_equal(count_fds(), fds0);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
  }
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(handler_on_every_backend),
    cmocka_unit_test(killed_load_counted),
    cmocka_unit_test(every_backend_serves),
    cmocka_unit_test(sync_times_out_counted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
