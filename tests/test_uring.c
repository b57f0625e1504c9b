/* test_uring.c: the uring backend under pressure: a ring far shorter than the coroutines, and
 * submissions the kernel refuses (EAGAIN, EBUSY); skipped, saying why, where io_uring is refused. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "backend.h"
#include "clock.h"
#include "registry.h"
#include "testutil.h"
#include "uring.h"

/* What the tasks share: a listener nobody accepts on (connects complete in its backlog, receives
 * never get an answer) and a directory for the files. */
typedef struct env {
  struct sockaddr_in silent;
  int silent_fd;
  char dir[256];
} env;

/* Each task one of three, so the ring carries every kind at once: a sleep (a timeout of its own),
 * a file written, read back and removed (six ring operations), or a connect and a receive whose
 * deadline passes (the ring's one timer goes off, the receive is cancelled, and its completion is
 * still awaited: the task's buffer is the kernel's until then). */
static int mixed_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  env *e = state;
  int rc = 0;
  if (index % 3 == 0) {
    int64_t t0 = cb_now_ns();
    if ((rc = cb_sleep(ctx, 2)) != 0) return rc;
    if (cb_now_ns() - t0 < 2000000) return -EINTR;        /* woke early */
  } else if (index % 3 == 1) {
    char path[300], out[64], in[64];
    snprintf(path, sizeof path, "%s/f%llu", e->dir, (unsigned long long)index);
    for (size_t i = 0; i < sizeof out; i++) out[i] = (char)(index * 31 + i);
    int fd = cb_file_open(ctx, path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return fd;
    if (cb_file_write(ctx, fd, out, sizeof out, 0) != (ssize_t)sizeof out) rc = -EIO;
    if (!rc && cb_file_fsync(ctx, fd) != 0) rc = -EIO;
    if (!rc && cb_file_read(ctx, fd, in, sizeof in, 0) != (ssize_t)sizeof in) rc = -EIO;
    if (!rc && memcmp(in, out, sizeof in) != 0) rc = CB_EVERIFY;
    if (cb_file_close(ctx, fd) != 0 && !rc) rc = -EIO;
    if (cb_file_unlink(ctx, path) != 0 && !rc) rc = -EIO;
    if (rc) return rc;
  } else {
    cb_conn *c = NULL;
    char buf[16];
    int64_t t0 = cb_now_ns();
    if ((rc = cb_tcp_connect(ctx, (struct sockaddr *)&e->silent, t0 + 2000000000LL, &c)) != 0) return rc;
    ssize_t r = cb_tcp_recv(ctx, c, buf, sizeof buf, cb_now_ns() + 3000000);
    int64_t took = cb_now_ns() - t0;
    cb_tcp_close(ctx, c);
    if (r != -ETIMEDOUT) return r < 0 ? (int)r : -EPROTO;
    if (took < 3000000) return -EINTR;                     /* the deadline came early */
  }
  *sum = cb_mix64(index);
  return 0;
}

static double no_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) { return 0; }

static const cb_workload mixed_wl = {
  .name = "uring-mixed", .summary = "test", .kind = CB_KIND_IO, .task = mixed_task, .ideal = no_ideal,
};

static int count_fds(void) {
  int n = tu_dir_entries("/proc/self/fd", NULL);
  assert_true(n > 0);
  return n;
}

static int setup(void **state) {
  static env e;
  memset(&e, 0, sizeof e);
  e.silent_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (e.silent_fd < 0) return -1;
  e.silent.sin_family = AF_INET;
  e.silent.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof e.silent;
  if (bind(e.silent_fd, (struct sockaddr *)&e.silent, sizeof e.silent) != 0 || listen(e.silent_fd, 1024) != 0 ||
      getsockname(e.silent_fd, (struct sockaddr *)&e.silent, &len) != 0)
    return -1;
  if (tu_tmpdir(e.dir, sizeof e.dir, "uring") != 0) return -1;
  *state = &e;
  return 0;
}

static int teardown(void **state) {
  env *e = *state;
  close(e->silent_fd);
  tu_rmtree(e->dir);
  return 0;
}

/* The backend, or a skip that says why this kernel refuses it. */
static const cb_backend *uring_or_skip(void) {
  const cb_backend *be = tu_backend("uring");
  if (tu_backend_skip(be)) skip();
  return be;
}

/* n tasks at c on the ring as the knobs say: every task ran once and succeeded, the checksum is
 * theirs, and no descriptor is left open (the closes queued without waiting were drained). */
static void run_mixed(env *e, uint64_t n, uint32_t conc) {
  const cb_backend *be = uring_or_skip();
  cb_job job;
  cb_job_summary s;
  int fds = count_fds();
  tu_job_run(&job, be, &(tu_jobdef){ .wl = &mixed_wl, .state = e, .tasks = n, .conc = conc }, &s);
  uint64_t want = 0;
  for (uint64_t i = 0; i < n; i++) {
    want += cb_mix64(i);
    if (job.sh->rec[i].status != 0)
      fail_msg("task %llu: %d (%s)", (unsigned long long)i, job.sh->rec[i].status, cb_strerror(job.sh->rec[i].status));
  }
  assert_int_equal(s.done, n);
  assert_int_equal(s.errors, 0);
  assert_true(s.checksum == want);
  cb_job_free(&job);
  assert_int_equal(count_fds(), fds);
  assert_int_equal(tu_dir_entries(e->dir, NULL), 0);
}

/* Two submission entries for 60 coroutines, and a completion queue of two: coroutines wait for
 * room (a cancel too, while its receive may complete meanwhile), and completions beyond the queue
 * are kept by the kernel and reaped. */
static void short_ring(void **state) {
  memset(&cb__uring_test, 0, sizeof cb__uring_test);
  cb__uring_test.entries = 2;
  cb__uring_test.cq_entries = 2;
  run_mixed(*state, 240, 60);
  print_message("short ring: %u waits for room, %u submissions refused\n", cb__uring_test.sq_waits,
                cb__uring_test.refused);
  assert_true(cb__uring_test.sq_waits > 0);
  memset(&cb__uring_test, 0, sizeof cb__uring_test);
}

/* The kernel refuses a submission with EAGAIN (no memory for requests) or EBUSY (completions it
 * could not post): nothing was taken, so the loop reaps and submits again; no task is lost. */
static void refused_submissions(void **state, int err) {
  memset(&cb__uring_test, 0, sizeof cb__uring_test);
  cb__uring_test.fail_submits = 25;
  cb__uring_test.fail_errno = err;
  run_mixed(*state, 90, 30);
  assert_int_equal(cb__uring_test.fail_submits, 0);
  assert_true(cb__uring_test.refused >= 25);
  memset(&cb__uring_test, 0, sizeof cb__uring_test);
}

static void submit_eagain(void **state) { refused_submissions(state, -EAGAIN); }
static void submit_ebusy(void **state) { refused_submissions(state, -EBUSY); }

/* The ring sized as a run sizes it, many coroutines: the same answers. */
static void default_ring(void **state) {
  memset(&cb__uring_test, 0, sizeof cb__uring_test);
  run_mixed(*state, 600, 200);
}

/* The kernel check agrees with the kernel: where io_uring_disabled is 2 the backend is refused,
 * and whatever the verdict, list says it. */
static void availability_agrees(void **state) {
  char why[256] = "";
  const cb_backend *be = tu_backend("uring");
  int rc = cb_backend_available(be, why, sizeof why);
  long long disabled = 0;
  FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
  if (f) {
    if (fscanf(f, "%lld", &disabled) != 1) disabled = 0;
    fclose(f);
  }
  if (disabled == 2) assert_true(rc < 0);
  if (rc < 0) {
    assert_true(strlen(why) > 20);
    print_message("SKIP-NOTE: io_uring refused here: %s\n", why);
  }
  const char *bin = tu_bin();
  if (!bin) return;
  const char *const args[] = { "list", NULL };
  tu_proc p = { 0 };
  tu_run(&p, bin, args, NULL, 60000);
  tu_expect_exit(&p, 0);
  tu_expect_in(p.so, "  uring ");
  if (rc < 0) tu_expect_in(p.so, "unavailable here");
  else tu_expect_not_in(p.so, "unavailable here");
  tu_proc_free(&p);
}

/* Run concbench with io_uring_setup refused (EPERM) by a seccomp filter, as a container's policy
 * refuses it: exit status, stdout and stderr (the first 4 KiB of each). */
static int run_refused(const char *bin, const char *const *args, char *out, char *err) {
  char o[] = "/tmp/cb-uring-outXXXXXX", e[] = "/tmp/cb-uring-errXXXXXX";
  int fo = mkstemp(o), fe = mkstemp(e);
  assert_true(fo >= 0 && fe >= 0);
  unlink(o);
  unlink(e);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
    char *argv[32] = { (char *)bin };
    for (int i = 0; args[i] && i < 30; i++) argv[i + 1] = (char *)args[i];
    dup2(fo, 1);
    dup2(fe, 2);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) _exit(99);
    execv(bin, argv);
    _exit(98);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0) {}
  ssize_t n = pread(fo, out, 4095, 0);
  out[n > 0 ? n : 0] = '\0';
  n = pread(fe, err, 4095, 0);
  err[n > 0 ? n : 0] = '\0';
  close(fo);
  close(fe);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Where the kernel refuses io_uring: list marks uring unavailable, a run asking for it exits 2
 * with one line saying why and what to do, and writes nothing; a run without -b leaves it out. */
static void refused_kernel(void **state) {
  const char *bin = tu_bin();
  if (!bin) skip();
  char out[4096], err[4096], dir[300];
  const char *const list[] = { "list", NULL };
  int rc = run_refused(bin, list, out, err);
  if (rc == 99) skip();                    /* no seccomp here: nothing to simulate with */
  assert_int_equal(rc, 0);
  tu_expect_in(out, "  uring      (unavailable here: io_uring_setup was refused (Operation not permitted");
  snprintf(dir, sizeof dir, "%s/refused", ((env *)*state)->dir);
  const char *const run[] = { "run", "-b", "uv,uring", "-w", "sleep", "-n", "4", "-c", "2", "-p", "delay_ms=1", "-r", "1",
                              "-q", "-o", dir, NULL };
  assert_int_equal(run_refused(bin, run, out, err), 2);
  tu_expect_in(err, "concbench: ");
  tu_expect_in(err, "backend uring cannot run here: io_uring_setup was refused");
  assert_int_equal(tu_lines(err), 1);
  print_message("refused: %s", err);
  char csv[400];
  snprintf(csv, sizeof csv, "%s/results.csv", dir);
  assert_false(tu_exists(csv));
  const char *const dflt[] = { "run", "-w", "sleep", "-n", "4", "-c", "2", "-p", "delay_ms=1", "-r", "1", "--warmup", "0",
                               "-o", dir, "--replace", NULL };
  rc = run_refused(bin, dflt, out, err);
  if (rc != 0) fail_msg("exit %d: %s", rc, err);
  tu_expect_in(out, "uv");
  tu_expect_not_in(out, " uring ");
  tu_rmtree(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(availability_agrees),
    cmocka_unit_test(refused_kernel),
    cmocka_unit_test(default_ring),
    cmocka_unit_test(short_ring),
    cmocka_unit_test(submit_eagain),
    cmocka_unit_test(submit_ebusy),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
