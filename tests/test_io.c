/* test_io.c: the runtime contract (TCP, files, shared queue and set) on every backend: sync, threads, fork, uv. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "backend.h"
#include "registry.h"
#include "clock.h"
#include "shared.h"
#include "testutil.h"
#include "util.h"

#define MS ((int64_t)1000000)
#define SEC ((int64_t)1000000000)
#define ECHO_DELAY_MS 10          /* the echo server waits this long before its first answer */
#define MAX_TASKS 256

/* ---- helpers ----------------------------------------------------------------------------- */

static int is_serial(const cb_backend *be) { return (be->flags & CB_BACKEND_SERIAL) != 0; }

/* Spin without parking: on uv the loop does not run meanwhile. */
static void spin_ms(long ms) {
  int64_t end = cb_now_ns() + ms * MS;
  while (cb_now_ns() < end) {}
}

static uint64_t expected_sum(uint64_t n) {
  uint64_t s = 0;
  for (uint64_t i = 0; i < n; i++) s += cb_mix64(i + 1);
  return s;
}

/* The server process, the one child the test keeps; every other must be gone. */
static pid_t server_pid;

static void assert_no_children(void) {
  assert_int_equal(waitpid(-1, NULL, WNOHANG), 0);   /* the server runs; nothing left unreaped */
  /* Processes whose parent is this one, the server aside (zombies included). */
  const tu_procq strays = { .ppid = getpid(), .except = server_pid, .zombies = 1 };
  assert_int_equal(tu_procs(&strays, NULL, NULL, 0), 0);
}

/* Run n tasks of wl with state st on be, at most conc at a time (1 on a serial backend); the
 * run itself must succeed. The caller reads job->sh->rec and frees the job. */
static void run_job(const cb_backend *be, const cb_workload *wl, void *st, uint64_t n, uint32_t conc, cb_job *job,
                    cb_job_summary *s) {
  tu_job_run(job, be, &(tu_jobdef){ .wl = wl, .state = st, .tasks = n, .conc = conc }, s);
  for (uint64_t i = 0; i < n; i++)
    if (job->sh->rec[i].runs != 1 || job->sh->rec[i].status != 0)
      print_error("%s: %s task %llu: runs %u, status %d (%s)\n", be->name, wl->name, (unsigned long long)i,
                  job->sh->rec[i].runs, job->sh->rec[i].status, cb_strerror(job->sh->rec[i].status));
}

/* The usual ending: every task ran once and succeeded. */
static void run_all_ok(const cb_backend *be, const cb_workload *wl, void *st, uint64_t n, uint32_t conc,
                       cb_job_summary *s) {
  cb_job job;
  run_job(be, wl, st, n, conc, &job, s);
  cb_job_free(&job);
  assert_int_equal(s->errors, 0);
  assert_int_equal(s->done, n);
  assert_no_children();
}

/* ---- the servers: a forked process group on 127.0.0.1, blocking sockets -------------------- */

typedef struct servers {
  pid_t pid;                   /* the server process; its connection handlers are in its group */
  int silent_fd;               /* a listener nobody accepts on: the peer that never answers */
  uint16_t echo, closer, reset, silent, refused;
} servers;

/* A connection handler: echo what comes until EOF, the first answer after ECHO_DELAY_MS. */
static void echo_conn(int fd) {
  char buf[16384];
  for (int first = 1;; first = 0) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (first) tu_sleep_ms(ECHO_DELAY_MS);
    tu_write_all(fd, buf, (size_t)r);
  }
  close(fd);
}

static void server_main(int echo_fd, int closer_fd, int reset_fd, pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
  signal(SIGCHLD, SIG_IGN);    /* handlers reap themselves */
  signal(SIGPIPE, SIG_IGN);
  struct pollfd p[3] = { { .fd = echo_fd, .events = POLLIN }, { .fd = closer_fd, .events = POLLIN },
                         { .fd = reset_fd, .events = POLLIN } };
  for (;;) {
    if (poll(p, 3, -1) < 0) continue;
    for (int k = 0; k < 3; k++) {
      if (!(p[k].revents & POLLIN)) continue;
      int fd = accept4(p[k].fd, NULL, NULL, SOCK_CLOEXEC);
      if (fd < 0) continue;
      pid_t me = getpid();
      if (k != 1 && fork() == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != me) _exit(1);
        if (k == 0) {
          echo_conn(fd);
        } else {
          /* Reset once the client has sent its first byte: its connect has certainly ended. */
          char c;
          struct linger l = { .l_onoff = 1, .l_linger = 0 };
          while (read(fd, &c, 1) < 0 && errno == EINTR) {}
          setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
          close(fd);
        }
        _exit(0);
      }
      close(fd);   /* the closer's end: EOF at once */
    }
  }
}

static int servers_setup(void **state) {
  servers *s = calloc(1, sizeof *s);
  if (!s) return -1;
  int echo_fd = tu_listen_any(&s->echo), closer_fd = tu_listen_any(&s->closer), reset_fd = tu_listen_any(&s->reset);
  s->silent_fd = tu_listen_any(&s->silent);
  int refused_fd = tu_listen_any(&s->refused);
  if (echo_fd < 0 || closer_fd < 0 || reset_fd < 0 || s->silent_fd < 0 || refused_fd < 0) return -1;
  close(refused_fd);           /* nothing listens there now: connections are refused */
  pid_t parent = getpid();
  fflush(NULL);
  s->pid = fork();
  if (s->pid < 0) return -1;
  if (s->pid == 0) {
    setpgid(0, 0);
    server_main(echo_fd, closer_fd, reset_fd, parent);
  }
  setpgid(s->pid, s->pid);
  server_pid = s->pid;
  close(echo_fd);
  close(closer_fd);
  close(reset_fd);
  *state = s;
  return 0;
}

static int servers_teardown(void **state) {
  servers *s = *state;
  if (!s) return 0;
  if (s->pid > 0) {
    kill(-s->pid, SIGKILL);
    kill(s->pid, SIGKILL);
    while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR) {}
  }
  if (s->silent_fd >= 0) close(s->silent_fd);
  free(s);
  return 0;
}

static struct sockaddr_in loopback(uint16_t port) {
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  return a;
}

/* What tasks share, in MAP_SHARED memory so fork children's writes are seen. */
typedef struct tshared {
  struct sockaddr_in addr, addr2;
  _Atomic int inflight, max_inflight;
  int64_t v[MAX_TASKS][6];     /* per-task observations */
  char dir[256];
  cb_queue *q, *qs[MAX_TASKS];
  cb_set *set;
  _Atomic int flag;
  _Atomic uint64_t count, count2;
  _Atomic uint32_t seen[1024];
} tshared;

static tshared *tshared_new(void) {
  tshared *t = cb_shm_alloc(sizeof *t);
  assert_non_null(t);
  return t;
}

static void tshared_free(tshared *t) { cb_shm_free(t, sizeof *t); }

static void note_max(_Atomic int *max, int v) {
  int m = atomic_load(max);
  while (v > m && !atomic_compare_exchange_weak(max, &m, v)) {}
}

/* ---- TCP ----------------------------------------------------------------------------------- */

#define ECHO_LEN 65536

static void echo_fill(unsigned char *buf, uint64_t index) {
  for (size_t j = 0; j < ECHO_LEN; j++) buf[j] = (unsigned char)(cb_mix64(index * 131 + j / 8) >> (8 * (j % 8)));
}

/* Send 64 KiB to the echo server, read it all back, compare. */
static int echo_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  unsigned char *out = malloc(ECHO_LEN), *in = malloc(ECHO_LEN);
  cb_conn *c = NULL;
  int rc = -ENOMEM;
  if (!out || !in) goto done;
  echo_fill(out, index);
  int64_t deadline = cb_now_ns() + 20 * SEC;
  if ((rc = cb_tcp_connect(ctx, (struct sockaddr *)&t->addr, deadline, &c)) != 0) goto done;
  note_max(&t->max_inflight, atomic_fetch_add(&t->inflight, 1) + 1);
  ssize_t w = cb_tcp_send(ctx, c, out, ECHO_LEN, deadline);
  if (w != ECHO_LEN) { rc = w < 0 ? (int)w : -EIO; goto out; }
  size_t got = 0;
  while (got < ECHO_LEN) {
    ssize_t r = cb_tcp_recv(ctx, c, in + got, ECHO_LEN - got, deadline);
    if (r <= 0) { rc = r < 0 ? (int)r : CB_EOF; goto out; }
    got += (size_t)r;
  }
  rc = memcmp(in, out, ECHO_LEN) == 0 ? 0 : CB_EVERIFY;
  if (rc == 0) *sum = cb_mix64(index + 1);
out:
  atomic_fetch_sub(&t->inflight, 1);
done:
  if (c) cb_tcp_close(ctx, c);
  free(out);
  free(in);
  return rc;
}

static const cb_workload echo_wl = { .name = "echo", .summary = "test", .kind = CB_KIND_IO, .task = echo_task };

static void tcp_round_trip_many(void **state) {
  servers *s = *state;
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    tshared *t = tshared_new();
    cb_job_summary sum;
    t->addr = loopback(s->echo);
    run_all_ok(*b, &echo_wl, t, 50, 10, &sum);
    assert_true(sum.checksum == expected_sum(50));
    print_message("%s: 50 echoes at c=10, at most %d connections at once\n", (*b)->name, atomic_load(&t->max_inflight));
    assert_true(atomic_load(&t->max_inflight) <= (is_serial(*b) ? 1 : 10));
    if (!is_serial(*b)) assert_true(atomic_load(&t->max_inflight) >= 2);
    tshared_free(t);
  }
}

/* v[i] = { connect rc } */
static int refused_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  cb_conn *c = NULL;
  int rc = cb_tcp_connect(ctx, (struct sockaddr *)&t->addr, cb_now_ns() + 5 * SEC, &c);
  t->v[index][0] = rc;
  if (rc == 0) cb_tcp_close(ctx, c);
  return 0;
}

static const cb_workload refused_wl = { .name = "refused", .summary = "test", .kind = CB_KIND_IO, .task = refused_task };

static void tcp_connect_refused(void **state) {
  servers *s = *state;
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    tshared *t = tshared_new();
    cb_job_summary sum;
    t->addr = loopback(s->refused);
    run_all_ok(*b, &refused_wl, t, 4, 4, &sum);
    for (int i = 0; i < 4; i++) {
      if (t->v[i][0] != -ECONNREFUSED) print_error("%s: connect gave %lld\n", (*b)->name, (long long)t->v[i][0]);
      assert_int_equal(t->v[i][0], -ECONNREFUSED);
    }
    tshared_free(t);
  }
}

/* v[i] = { connect rc, recv rc, elapsed ns } */
static int silent_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  cb_conn *c = NULL;
  char buf[64];
  int rc = cb_tcp_connect(ctx, (struct sockaddr *)&t->addr, cb_now_ns() + 5 * SEC, &c);
  t->v[index][0] = rc;
  if (rc) return 0;
  int64_t t0 = cb_now_ns();
  t->v[index][1] = cb_tcp_recv(ctx, c, buf, sizeof buf, t0 + 100 * MS);
  t->v[index][2] = cb_now_ns() - t0;
  cb_tcp_close(ctx, c);
  return 0;
}

static const cb_workload silent_wl = { .name = "silent", .summary = "test", .kind = CB_KIND_IO, .task = silent_task };

static void tcp_recv_deadline(void **state) {
  servers *s = *state;
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    tshared *t = tshared_new();
    cb_job_summary sum;
    t->addr = loopback(s->silent);
    int64_t t0 = cb_now_ns();
    run_all_ok(*b, &silent_wl, t, 4, 4, &sum);
    int64_t wall = cb_now_ns() - t0;
    for (int i = 0; i < 4; i++) {
      print_message("%s: recv gave %lld after %.1f ms\n", (*b)->name, (long long)t->v[i][1], (double)t->v[i][2] / 1e6);
      assert_int_equal(t->v[i][0], 0);
      assert_int_equal(t->v[i][1], -ETIMEDOUT);
      assert_true(t->v[i][2] >= 90 * MS);
      assert_true(t->v[i][2] <= 2 * SEC);
    }
    /* Four waits of 100 ms side by side on a concurrent backend. */
    if (!is_serial(*b)) assert_true(wall < 2 * SEC);
    tshared_free(t);
  }
}

/* v[i] = { connect rc, first recv, second recv } */
static int eof_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  cb_conn *c = NULL;
  char buf[64];
  int64_t deadline = cb_now_ns() + 5 * SEC;
  int rc = cb_tcp_connect(ctx, (struct sockaddr *)&t->addr, deadline, &c);
  t->v[index][0] = rc;
  if (rc) return 0;
  t->v[index][1] = cb_tcp_recv(ctx, c, buf, sizeof buf, deadline);
  t->v[index][2] = cb_tcp_recv(ctx, c, buf, sizeof buf, deadline);
  cb_tcp_close(ctx, c);
  return 0;
}

static const cb_workload eof_wl = { .name = "eof", .summary = "test", .kind = CB_KIND_IO, .task = eof_task };

static void tcp_recv_eof(void **state) {
  servers *s = *state;
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    tshared *t = tshared_new();
    cb_job_summary sum;
    t->addr = loopback(s->closer);
    run_all_ok(*b, &eof_wl, t, 4, 4, &sum);
    for (int i = 0; i < 4; i++) {
      assert_int_equal(t->v[i][0], 0);
      assert_int_equal(t->v[i][1], 0);
      assert_int_equal(t->v[i][2], 0);
    }
    tshared_free(t);
  }
}

/* Send until an error, without parking between the sends, so that on uv no read callback can
 * notice the peer's end first: the first error, or 0 when none came. */
static ssize_t send_until_error(cb_ctx *ctx, cb_conn *c) {
  char buf[1024] = { 0 };
  for (int k = 0; k < 6; k++) {
    ssize_t w = cb_tcp_send(ctx, c, buf, sizeof buf, cb_now_ns() + 5 * SEC);
    if (w < 0) return w;
    spin_ms(20);
  }
  return 0;
}

/* t->flag 0: a peer that reset the connection (addr); 1: a peer that closed it (addr2), so the
 * first send draws an RST. v[i][0] = the first error. */
static int reset_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  cb_conn *c = NULL;
  int closed = atomic_load(&t->flag);
  int rc = cb_tcp_connect(ctx, (struct sockaddr *)(closed ? &t->addr2 : &t->addr), cb_now_ns() + 5 * SEC, &c);
  if (rc) return rc;
  if (!closed) {
    ssize_t w = cb_tcp_send(ctx, c, "x", 1, cb_now_ns() + 5 * SEC);   /* the server resets on it */
    if (w != 1) {
      cb_tcp_close(ctx, c);
      return w < 0 ? (int)w : -EIO;
    }
  }
  spin_ms(50);                 /* the RST or the FIN arrives meanwhile */
  t->v[index][0] = send_until_error(ctx, c);
  cb_tcp_close(ctx, c);
  return 0;
}

static const cb_workload reset_wl = { .name = "reset", .summary = "test", .kind = CB_KIND_IO, .task = reset_task };

static void tcp_send_to_reset_peer(void **state) {
  servers *s = *state;
  static const char *const peers[] = { "a peer that reset", "a peer that closed" };
  int died = 0;
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    for (int closed = 0; closed < 2; closed++) {
      tshared *t = tshared_new();
      t->addr = loopback(s->reset);
      t->addr2 = loopback(s->closer);
      atomic_store(&t->flag, closed);
      /* In a child with SIGPIPE at its default action: were it raised, the child would die of it. */
      fflush(NULL);
      pid_t pid = fork();
      assert_true(pid >= 0);
      if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        alarm(30);
        cb_job job;
        cb_job_summary sum;
        if (tu_job_try(&job, *b, &(tu_jobdef){ .wl = &reset_wl, .state = t, .tasks = 3, .conc = 3 }, &sum) != 0) {
          fprintf(stderr, "%s: %s\n", (*b)->name, job.err);
          _exit(job.sh ? 4 : 3);
        }
        for (int i = 0; i < 3; i++)
          if (job.sh->rec[i].runs != 1 || job.sh->rec[i].status)
            fprintf(stderr, "%s: task %d: runs %u, status %d\n", (*b)->name, i, job.sh->rec[i].runs, job.sh->rec[i].status);
        _exit(sum.errors == 0 ? 0 : 5);
      }
      int st = 0;
      while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
      if (WIFSIGNALED(st)) {
        print_error("%s: sending to %s killed the process with signal %d (%s)\n", (*b)->name, peers[closed],
                    WTERMSIG(st), strsignal(WTERMSIG(st)));
        died++;
        tshared_free(t);
        continue;
      }
      assert_true(WIFEXITED(st));
      assert_int_equal(WEXITSTATUS(st), 0);
      for (int i = 0; i < 3; i++) {
        print_message("%s: send to %s: %lld (%s)\n", (*b)->name, peers[closed], (long long)t->v[i][0],
                      cb_err_name((int)t->v[i][0]));
        assert_true(t->v[i][0] == -ECONNRESET || t->v[i][0] == -EPIPE);
      }
      tshared_free(t);
    }
  }
  assert_int_equal(died, 0);
}

/* ---- files --------------------------------------------------------------------------------- */

typedef struct filefx {
  servers *srv;
  char dir[64];
} filefx;

static int files_setup(void **state) {
  filefx *f = calloc(1, sizeof *f);
  if (!f) return -1;
  f->srv = *state;
  if (tu_tmpdir(f->dir, sizeof f->dir, "io") != 0) {
    free(f);
    return -1;
  }
  *state = f;
  return 0;
}

static int files_teardown(void **state) {
  filefx *f = *state;
  int rc = tu_rmtree(f->dir);
  free(f);
  return rc;
}

#define FILE_LEN (100 * 1024 + 7)

static void file_fill(unsigned char *buf, uint64_t index) {
  for (size_t j = 0; j < FILE_LEN; j++) buf[j] = (unsigned char)((j * 7 + index * 13) ^ (j >> 9));
}

/* Write in three pieces at their offsets, fsync, close, read back in 8 KiB reads, read past the
 * end, close, unlink; then the missing file. v[i] = { past-end read, beyond-end read, open of the
 * missing file, unlink of the missing file }. */
static int file_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  char path[512];
  unsigned char *want = malloc(FILE_LEN), *got = malloc(FILE_LEN);
  int rc = -ENOMEM, fd = -1;
  if (!want || !got) goto done;
  file_fill(want, index);
  snprintf(path, sizeof path, "%s/f-%llu", t->dir, (unsigned long long)index);
  if ((fd = cb_file_open(ctx, path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0) { rc = fd; goto done; }
  static const size_t cuts[] = { 0, 4096, 60000, FILE_LEN };
  for (int k = 2; k >= 0; k--) {          /* the last piece first: writes go where they are told */
    size_t off = cuts[k], len = cuts[k + 1] - cuts[k];
    while (len) {
      ssize_t w = cb_file_write(ctx, fd, want + off, len, (int64_t)off);
      if (w <= 0) { rc = w < 0 ? (int)w : -EIO; goto done; }
      off += (size_t)w;
      len -= (size_t)w;
    }
  }
  if ((rc = cb_file_fsync(ctx, fd)) != 0) goto done;
  rc = cb_file_close(ctx, fd);
  fd = -1;
  if (rc) goto done;
  if ((fd = cb_file_open(ctx, path, O_RDONLY, 0)) < 0) { rc = fd; goto done; }
  for (size_t off = 0; off < FILE_LEN;) {
    size_t n = FILE_LEN - off < 8192 ? FILE_LEN - off : 8192;
    ssize_t r = cb_file_read(ctx, fd, got + off, n, (int64_t)off);
    if (r <= 0) { rc = r < 0 ? (int)r : CB_EOF; goto done; }
    off += (size_t)r;
  }
  if (memcmp(got, want, FILE_LEN) != 0) { rc = CB_EVERIFY; goto done; }
  t->v[index][0] = cb_file_read(ctx, fd, got, 100, FILE_LEN);
  t->v[index][1] = cb_file_read(ctx, fd, got, 100, FILE_LEN + 5000);
  rc = cb_file_close(ctx, fd);
  fd = -1;
  if (rc) goto done;
  if ((rc = cb_file_unlink(ctx, path)) != 0) goto done;
  t->v[index][2] = cb_file_open(ctx, path, O_RDONLY, 0);
  if (t->v[index][2] >= 0) cb_file_close(ctx, (int)t->v[index][2]);
  t->v[index][3] = cb_file_unlink(ctx, path);
  *sum = cb_mix64(index + 1);
done:
  if (fd >= 0) cb_file_close(ctx, fd);
  free(want);
  free(got);
  return rc;
}

static const cb_workload file_wl = { .name = "files", .summary = "test", .kind = CB_KIND_IO, .task = file_task };

static void files_round_trip(void **state) {
  filefx *f = *state;
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    tshared *t = tshared_new();
    cb_job_summary sum;
    snprintf(t->dir, sizeof t->dir, "%s", f->dir);
    run_all_ok(*b, &file_wl, t, 16, 4, &sum);
    assert_true(sum.checksum == expected_sum(16));
    for (int i = 0; i < 16; i++) {
      assert_int_equal(t->v[i][0], 0);
      assert_int_equal(t->v[i][1], 0);
      assert_int_equal(t->v[i][2], -ENOENT);
      assert_int_equal(t->v[i][3], -ENOENT);
    }
    assert_int_equal(tu_dir_entries(f->dir, NULL), 0);
    tshared_free(t);
  }
}

/* ---- the queue ----------------------------------------------------------------------------- */

#define FIFO_ITEMS 2000

/* Task 0 puts 0..FIFO_ITEMS-1 and closes; task 1 takes until the end. v[1] = { items taken,
 * first out-of-order position or -1, the get that ended it }. */
static int fifo_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  int64_t deadline = cb_now_ns() + 20 * SEC;
  if (index == 0) {
    for (uint64_t k = 0; k < FIFO_ITEMS; k++) {
      int rc = cb_queue_put(ctx, t->q, &k, deadline);
      if (rc) return rc;
    }
    cb_queue_close(ctx, t->q);
    return 0;
  }
  int64_t n = 0, bad = -1;
  int rc;
  uint64_t item;
  while ((rc = cb_queue_get(ctx, t->q, &item, deadline)) == 0) {
    if (item != (uint64_t)n && bad < 0) bad = n;
    n++;
  }
  t->v[1][0] = n;
  t->v[1][1] = bad;
  t->v[1][2] = rc;
  return 0;
}

static const cb_workload fifo_wl = { .name = "fifo", .summary = "test", .kind = CB_KIND_IO, .task = fifo_task };

static void queue_fifo(void **state) {
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    tshared *t = tshared_new();
    cb_job_summary sum;
    /* A serial backend runs the producer to its end first: its queue holds everything. */
    int serial = is_serial(*b);
    assert_int_equal(cb_queue_create(&t->q, sizeof(uint64_t), 4, serial ? FIFO_ITEMS : 4, serial), 0);
    run_all_ok(*b, &fifo_wl, t, 2, 2, &sum);
    assert_int_equal(t->v[1][0], FIFO_ITEMS);
    assert_int_equal(t->v[1][1], -1);
    assert_int_equal(t->v[1][2], CB_EOF);
    assert_int_equal(cb_queue_count(t->q), 0);
    cb_queue_destroy(t->q);
    tshared_free(t);
  }
}

#define BOUND 2
#define PRODUCERS 3
#define PER_PRODUCER 200

/* Tasks 0..2 put as fast as they can; 3..4 take slowly. Every task looks at the queue's length
 * after each of its operations: count = violations, max_inflight = the longest seen. */
static void look(tshared *t) {
  int n = (int)cb_queue_count(t->q);
  note_max(&t->max_inflight, n);
  if (n > BOUND) atomic_fetch_add(&t->count, 1);
}

static int bounded_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  int64_t deadline = cb_now_ns() + 20 * SEC;
  int rc = 0;
  if (index < PRODUCERS) {
    for (uint32_t k = 0; k < PER_PRODUCER && rc == 0; k++) {
      uint32_t item = (uint32_t)index * PER_PRODUCER + k;
      if ((rc = cb_queue_put(ctx, t->q, &item, deadline)) == 0) look(t);
    }
    if (atomic_fetch_add(&t->flag, 1) == PRODUCERS - 1) cb_queue_close(ctx, t->q);
    return rc;
  }
  for (uint32_t k = 0;; k++) {
    uint32_t item;
    if ((rc = cb_queue_get(ctx, t->q, &item, deadline)) != 0) break;
    look(t);
    if (item < 1024) atomic_fetch_add(&t->seen[item], 1);
    atomic_fetch_add(&t->count2, 1);
    if (k % 8 == 7 && (rc = cb_sleep(ctx, 1)) != 0) return rc;
  }
  return rc == CB_EOF ? 0 : rc;
}

static const cb_workload bounded_wl = { .name = "bounded", .summary = "test", .kind = CB_KIND_IO, .task = bounded_task };

static void queue_bounded(void **state) {
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    if (is_serial(*b)) continue;
    tshared *t = tshared_new();
    cb_job_summary sum;
    assert_int_equal(cb_queue_create(&t->q, sizeof(uint32_t), BOUND, BOUND, 0), 0);
    run_all_ok(*b, &bounded_wl, t, PRODUCERS + 2, PRODUCERS + 2, &sum);
    print_message("%s: longest queue seen %d, over the bound %llu times\n", (*b)->name,
                  atomic_load(&t->max_inflight), (unsigned long long)atomic_load(&t->count));
    assert_int_equal(atomic_load(&t->count), 0);
    assert_int_equal(atomic_load(&t->max_inflight), BOUND);   /* it did fill: the bound was tested */
    assert_int_equal(atomic_load(&t->count2), PRODUCERS * PER_PRODUCER);
    for (int i = 0; i < PRODUCERS * PER_PRODUCER; i++) assert_int_equal(atomic_load(&t->seen[i]), 1);
    cb_queue_destroy(t->q);
    tshared_free(t);
  }
}

/* v[0] = { put, close, get, get, put, get } on a queue holding nothing but what is put here. */
static int closed_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  uint32_t item = 42, out = 0;
  int64_t d = cb_now_ns() + 5 * SEC;
  t->v[0][0] = cb_queue_put(ctx, t->q, &item, d);
  cb_queue_close(ctx, t->q);
  t->v[0][1] = cb_queue_get(ctx, t->q, &out, d);
  t->v[0][2] = out;
  t->v[0][3] = cb_queue_get(ctx, t->q, &out, d);
  t->v[0][4] = cb_queue_put(ctx, t->q, &item, d);
  t->v[0][5] = cb_queue_get(ctx, t->q, &out, 0);
  return 0;
}

static const cb_workload closed_wl = { .name = "closed", .summary = "test", .kind = CB_KIND_IO, .task = closed_task };

static void queue_closed(void **state) {
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    tshared *t = tshared_new();
    cb_job_summary sum;
    assert_int_equal(cb_queue_create(&t->q, sizeof(uint32_t), 4, 4, is_serial(*b)), 0);
    run_all_ok(*b, &closed_wl, t, 1, 1, &sum);
    assert_int_equal(t->v[0][0], 0);
    assert_int_equal(t->v[0][1], 0);          /* what was put before the close is still taken */
    assert_int_equal(t->v[0][2], 42);
    assert_int_equal(t->v[0][3], CB_EOF);
    assert_int_equal(t->v[0][4], -EPIPE);
    assert_int_equal(t->v[0][5], CB_EOF);
    cb_queue_destroy(t->q);
    tshared_free(t);
  }
}

/* Each task its own queue qs[i] (maxsize 1): a get on it empty, then a put on it full, both with
 * a 100 ms deadline. v[i] = { get rc, its ns, put rc, its ns }. */
static int deadline_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  cb_queue *q = t->qs[index];
  uint32_t item = 7;
  int64_t t0 = cb_now_ns();
  t->v[index][0] = cb_queue_get(ctx, q, &item, t0 + 100 * MS);
  t->v[index][1] = cb_now_ns() - t0;
  int rc = cb_queue_put(ctx, q, &item, 0);
  if (rc) return rc;
  t0 = cb_now_ns();
  t->v[index][2] = cb_queue_put(ctx, q, &item, t0 + 100 * MS);
  t->v[index][3] = cb_now_ns() - t0;
  return 0;
}

static const cb_workload deadline_wl = { .name = "qdeadline", .summary = "test", .kind = CB_KIND_IO, .task = deadline_task };

static void queue_deadline(void **state) {
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    if (is_serial(*b)) continue;
    tshared *t = tshared_new();
    cb_job_summary sum;
    for (int i = 0; i < 3; i++) assert_int_equal(cb_queue_create(&t->qs[i], sizeof(uint32_t), 1, 1, 0), 0);
    run_all_ok(*b, &deadline_wl, t, 3, 3, &sum);
    for (int i = 0; i < 3; i++) {
      print_message("%s: get on empty %lld after %.1f ms, put on full %lld after %.1f ms\n", (*b)->name,
                    (long long)t->v[i][0], (double)t->v[i][1] / 1e6, (long long)t->v[i][2], (double)t->v[i][3] / 1e6);
      assert_int_equal(t->v[i][0], -ETIMEDOUT);
      assert_true(t->v[i][1] >= 90 * MS && t->v[i][1] <= 2 * SEC);
      assert_int_equal(t->v[i][2], -ETIMEDOUT);
      assert_true(t->v[i][3] >= 90 * MS && t->v[i][3] <= 2 * SEC);
      assert_int_equal(cb_queue_count(t->qs[i]), 1);
      cb_queue_destroy(t->qs[i]);
    }
    tshared_free(t);
  }
}

/* A serial queue (maxsize 2, cap 5): v[0] = { puts that succeeded of 5, 6th put, gets in order
 * of 5, 6th get, ns the 6th get took }. */
static int serial_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  uint32_t item;
  int64_t ok = 0;
  for (item = 0; item < 5; item++) ok += cb_queue_put(ctx, t->q, &item, 0) == 0;
  t->v[0][0] = ok;
  t->v[0][1] = cb_queue_put(ctx, t->q, &item, 0);
  ok = 0;
  for (uint32_t k = 0; k < 5; k++) ok += cb_queue_get(ctx, t->q, &item, 0) == 0 && item == k;
  t->v[0][2] = ok;
  int64_t t0 = cb_now_ns();
  t->v[0][3] = cb_queue_get(ctx, t->q, &item, 0);     /* no deadline: it must not wait */
  t->v[0][4] = cb_now_ns() - t0;
  return 0;
}

static const cb_workload serial_wl = { .name = "serialq", .summary = "test", .kind = CB_KIND_IO, .task = serial_task };

static void queue_serial(void **state) {
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    if (!is_serial(*b)) continue;
    tshared *t = tshared_new();
    cb_job_summary sum;
    assert_int_equal(cb_queue_create(&t->q, sizeof(uint32_t), 2, 5, 1), 0);
    run_all_ok(*b, &serial_wl, t, 1, 1, &sum);
    assert_int_equal(t->v[0][0], 5);                  /* past maxsize, up to cap */
    assert_true(t->v[0][1] < 0);                      /* past cap: an error, not a wait */
    assert_int_equal(t->v[0][2], 5);
    assert_int_equal(t->v[0][3], -EDEADLK);
    assert_true(t->v[0][4] < 1 * SEC);
    cb_queue_destroy(t->q);
    tshared_free(t);
  }
}

#define PARKED 200

/* Tasks 0..199 each take one item; task 200 waits until they are all parked, then puts 200
 * through a queue of 8. v[i][0] = the item consumer i got. */
static int parked_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  int64_t deadline = cb_now_ns() + 20 * SEC;
  if (index < PARKED) {
    uint32_t item;
    atomic_fetch_add(&t->count, 1);
    int rc = cb_queue_get(ctx, t->q, &item, deadline);
    if (rc) return rc;
    t->v[index][0] = item;
    if (item < 1024) atomic_fetch_add(&t->seen[item], 1);
    return 0;
  }
  int rc = cb_sleep(ctx, 50);
  t->v[index][0] = (int64_t)atomic_load(&t->count);   /* consumers that started before the first put */
  for (uint32_t k = 0; k < PARKED && rc == 0; k++) rc = cb_queue_put(ctx, t->q, &k, deadline);
  return rc;
}

static const cb_workload parked_wl = { .name = "parked", .summary = "test", .kind = CB_KIND_IO, .task = parked_task };

static void queue_uv_many_parked(void **state) {
  const cb_backend *uv = cb_backend_find("uv");
  assert_non_null(uv);
  tshared *t = tshared_new();
  cb_job_summary sum;
  assert_int_equal(cb_queue_create(&t->q, sizeof(uint32_t), 8, 8, 0), 0);
  int64_t t0 = cb_now_ns();
  run_all_ok(uv, &parked_wl, t, PARKED + 1, PARKED + 1, &sum);
  assert_true(cb_now_ns() - t0 < 10 * SEC);
  assert_int_equal(t->v[PARKED][0], PARKED);        /* all parked at once, in their coroutines */
  for (int i = 0; i < PARKED; i++) assert_int_equal(atomic_load(&t->seen[i]), 1);
  assert_int_equal(cb_queue_count(t->q), 0);
  cb_queue_destroy(t->q);
  tshared_free(t);
}

/* ---- the set ------------------------------------------------------------------------------- */

/* v[0..1] = the answers to a sequence of adds, six to a row (see set_add_if_absent). */
static int set_seq_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  static const struct { const char *k; size_t len; } keys[] = {
    { "alpha", 5 }, { "alpha", 5 }, { "alph", 4 }, { "alphab", 6 }, { "", 0 }, { "", 0 },
    { "a\0b", 3 }, { "a\0c", 3 }, { "a\0b", 3 }, { "0123456789abcdef", 16 }, { "0123456789abcdefg", 17 },
  };
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
    t->v[k / 6][k % 6] = cb_set_add(ctx, t->set, keys[k].k, keys[k].len);
  return 0;
}

static const cb_workload set_seq_wl = { .name = "setseq", .summary = "test", .kind = CB_KIND_IO, .task = set_seq_task };

static void set_add_if_absent(void **state) {
  static const int64_t want[] = { 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, -ENAMETOOLONG };
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    tshared *t = tshared_new();
    cb_job_summary sum;
    assert_int_equal(cb_set_create(&t->set, 64, 16), 0);
    run_all_ok(*b, &set_seq_wl, t, 1, 1, &sum);
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
      if (t->v[k / 6][k % 6] != want[k]) print_error("%s: add %zu gave %lld\n", (*b)->name, k, (long long)t->v[k / 6][k % 6]);
      assert_int_equal(t->v[k / 6][k % 6], want[k]);
    }
    assert_int_equal(t->set->count, 7);
    cb_set_destroy(t->set);
    tshared_free(t);
  }
}

#define SET_TASKS 8
#define SET_WINDOW 200
#define SET_STEP 50
#define SET_DISTINCT ((SET_TASKS - 1) * SET_STEP + SET_WINDOW)

/* Task i adds keys i*50 .. i*50+199, odd tasks backwards; its sum is how many were new. */
static int set_overlap_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  uint64_t added = 0;
  for (int j = 0; j < SET_WINDOW; j++) {
    char key[32];
    int k = index % 2 ? SET_WINDOW - 1 - j : j;
    int len = snprintf(key, sizeof key, "key-%llu", (unsigned long long)(index * SET_STEP + (uint64_t)k));
    int rc = cb_set_add(ctx, t->set, key, (size_t)len);
    if (rc < 0) return rc;
    added += (uint64_t)rc;
    if (j % 50 == 49 && (rc = cb_sleep(ctx, 0)) != 0) return rc;   /* let others in on uv */
  }
  *sum = added;
  return 0;
}

static const cb_workload set_overlap_wl = { .name = "setoverlap", .summary = "test", .kind = CB_KIND_IO, .task = set_overlap_task };

static void set_concurrent_overlap(void **state) {
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    tshared *t = tshared_new();
    cb_job_summary sum;
    assert_int_equal(cb_set_create(&t->set, SET_DISTINCT, 32), 0);
    run_all_ok(*b, &set_overlap_wl, t, SET_TASKS, SET_TASKS, &sum);
    assert_int_equal(sum.checksum, SET_DISTINCT);     /* the sum of "added" answers */
    assert_int_equal(t->set->count, SET_DISTINCT);
    for (int k = 0; k <= SET_DISTINCT; k++) {
      char key[32];
      int len = snprintf(key, sizeof key, "key-%d", k);
      assert_int_equal(cb__set_add(t->set, key, (size_t)len), k < SET_DISTINCT ? 0 : 1);
    }
    cb_set_destroy(t->set);
    tshared_free(t);
  }
}

/* Adds distinct keys until an error: v[0] = { keys added, the error }. */
static int set_fill_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  int64_t added = 0;
  int rc = 0;
  for (int k = 0; k < 10000; k++) {
    char key[16];
    int len = snprintf(key, sizeof key, "k%d", k);
    if ((rc = cb_set_add(ctx, t->set, key, (size_t)len)) < 0) break;
    added += rc;
  }
  t->v[0][0] = added;
  t->v[0][1] = rc;
  return 0;
}

static const cb_workload set_fill_wl = { .name = "setfill", .summary = "test", .kind = CB_KIND_IO, .task = set_fill_task };

static void set_full(void **state) {
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    tshared *t = tshared_new();
    cb_job_summary sum;
    assert_int_equal(cb_set_create(&t->set, 20, 8), 0);
    run_all_ok(*b, &set_fill_wl, t, 1, 1, &sum);
    assert_int_equal(t->v[0][1], -ENOSPC);
    assert_true(t->v[0][0] >= 20);            /* the capacity asked for fits */
    assert_true(t->v[0][0] < 10000);
    assert_int_equal(t->set->count, t->v[0][0]);
    cb_set_destroy(t->set);
    tshared_free(t);
  }
}

/* A set filled to the capacity it was made for still answers 0 ("there") for a key it holds:
 * the crawler's visited set is made for exactly the URLs it will hold, and looks them up again. */
static void set_full_still_knows_its_keys(void **state) {
  static const uint64_t caps[] = { 5, 8, 20, 32, 100 };
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
    cb_set *s;
    char key[16];
    assert_int_equal(cb_set_create(&s, caps[i], 8), 0);
    for (uint64_t k = 0; k < caps[i]; k++) {
      int len = snprintf(key, sizeof key, "k%llu", (unsigned long long)k);
      assert_int_equal(cb__set_add(s, key, (size_t)len), 1);
    }
    for (uint64_t k = 0; k < caps[i]; k++) {
      int len = snprintf(key, sizeof key, "k%llu", (unsigned long long)k);
      int rc = cb__set_add(s, key, (size_t)len);
      if (rc != 0) print_error("set made for %llu keys, holding them all: adding held key %s again gave %d (%s), want 0\n",
                               (unsigned long long)caps[i], key, rc, cb_strerror(rc));
      assert_int_equal(rc, 0);
    }
    cb_set_destroy(s);
  }
}

/* ---- a fork worker that dies holding the locks --------------------------------------------- */

/* Task 0 takes the set's and the queue's locks and dies; the others wait for that, then use
 * both. v[i] = { set add, put, get, item }. */
static int die_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  if (index == 0) {
    pthread_mutex_lock(&t->set->mu);
    pthread_mutex_lock(&t->q->mu);
    atomic_store(&t->flag, 1);
    raise(SIGKILL);
  }
  for (int k = 0; !atomic_load(&t->flag); k++) {
    if (k > 5000) return -ETIMEDOUT;
    cb_sleep(ctx, 1);
  }
  char key[16];
  int len = snprintf(key, sizeof key, "after-%llu", (unsigned long long)index);
  int64_t d = cb_now_ns() + 5 * SEC;
  uint64_t item = index;
  t->v[index][0] = cb_set_add(ctx, t->set, key, (size_t)len);
  t->v[index][1] = cb_queue_put(ctx, t->q, &item, d);
  t->v[index][2] = cb_queue_get(ctx, t->q, &item, d);
  t->v[index][3] = (int64_t)item;
  *sum = 1;
  return 0;
}

static const cb_workload die_wl = { .name = "die", .summary = "test", .kind = CB_KIND_IO, .task = die_task };

/* In a child of its own (a wedged lock would hang it; it is killed after 20 s): 0 when every
 * other worker got through, else a code saying what went wrong. */
static int robust_child(tshared *t) {
  cb_job job;
  cb_job_summary sum;
  if (cb_set_create(&t->set, 64, 16) != 0 || cb_queue_create(&t->q, sizeof(uint64_t), 16, 16, 0) != 0) return 2;
  if (tu_job_try(&job, cb_backend_find("fork"), &(tu_jobdef){ .wl = &die_wl, .state = t, .tasks = 6, .conc = 3 }, &sum) != 0)
    return job.sh ? 4 : 3;
  if (sum.errors != 1 || sum.done != 5 || job.sh->rec[0].runs != 0) return 5;
  for (int i = 1; i < 6; i++)
    if (t->v[i][0] != 1 || t->v[i][1] != 0 || t->v[i][2] != 0) return 6;
  /* And from here, afterwards. */
  uint64_t item = 99;
  if (cb__set_add(t->set, "later", 5) != 1 || cb__set_add(t->set, "after-1", 7) != 0) return 7;
  if (cb__queue_put_wait(t->q, &item, cb_now_ns() + SEC) != 0) return 8;
  if (cb_queue_count(t->q) != 1) return 9;
  return 0;
}

static void fork_worker_dies_holding_locks(void **state) {
  tshared *t = tshared_new();
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    setpgid(0, 0);
    _exit(robust_child(t));
  }
  setpgid(pid, pid);
  int st = 0;
  pid_t r;
  int64_t end = cb_now_ns() + 20 * SEC;
  while ((r = waitpid(pid, &st, WNOHANG)) == 0 && cb_now_ns() < end) tu_sleep_ms(5);
  if (r == 0) {
    kill(-pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    tshared_free(t);
    fail_msg("the other fork workers wedged on a lock whose holder died");
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    print_error("child status %d; task results: %lld %lld %lld\n", st, (long long)t->v[1][0], (long long)t->v[1][1],
                (long long)t->v[1][2]);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  tshared_free(t);
}

/* ---- worker_end ---------------------------------------------------------------------------- */

static int plain_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  tshared *t = vst;
  if (ctx->worker < MAX_TASKS) t->v[ctx->worker][0]++;
  return cb_sleep(ctx, 1);
}

static void count_end(cb_ctx *ctx, const cb_params *p, void *vst) {
  tshared *t = vst;
  atomic_fetch_add(&t->count, 1);
  if (ctx->worker < MAX_TASKS) t->v[ctx->worker][1]++;
}

static const cb_workload ender_wl = { .name = "ender", .summary = "test", .kind = CB_KIND_IO, .task = plain_task,
                                      .worker_end = count_end };

/* job.h: when a worker has no task left, the workload's worker_end runs (it closes the
 * kept-alive connections of http and crawl): once per worker, on every backend. */
static void worker_end_runs_once_per_worker(void **state) {
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    tshared *t = tshared_new();
    cb_job job;
    cb_job_summary sum;
    run_job(*b, &ender_wl, t, 20, 4, &job, &sum);
    uint32_t workers = job.workers;
    cb_job_free(&job);
    assert_int_equal(sum.errors, 0);
    print_message("%s: %u workers, worker_end ran %llu times\n", (*b)->name, workers,
                  (unsigned long long)atomic_load(&t->count));
    assert_int_equal(atomic_load(&t->count), workers);
    int64_t tasks = 0;
    for (uint32_t w = 0; w < workers; w++) {
      assert_int_equal(t->v[w][1], 1);
      tasks += t->v[w][0];
    }
    assert_int_equal(tasks, 20);
    tshared_free(t);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(tcp_round_trip_many),
    cmocka_unit_test(tcp_connect_refused),
    cmocka_unit_test(tcp_recv_deadline),
    cmocka_unit_test(tcp_recv_eof),
    cmocka_unit_test(tcp_send_to_reset_peer),
    cmocka_unit_test_setup_teardown(files_round_trip, files_setup, files_teardown),
    cmocka_unit_test(queue_fifo),
    cmocka_unit_test(queue_bounded),
    cmocka_unit_test(queue_closed),
    cmocka_unit_test(queue_deadline),
    cmocka_unit_test(queue_serial),
    cmocka_unit_test(queue_uv_many_parked),
    cmocka_unit_test(set_add_if_absent),
    cmocka_unit_test(set_concurrent_overlap),
    cmocka_unit_test(set_full),
    cmocka_unit_test(set_full_still_knows_its_keys),
    cmocka_unit_test(fork_worker_dies_holding_locks),
    cmocka_unit_test(worker_end_runs_once_per_worker),
  };
  return cmocka_run_group_tests(tests, servers_setup, servers_teardown);
}
