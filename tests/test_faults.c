/* test_faults.c: runs that meet faults: the server dies or stalls, no thread, process, descriptor or mapping to be had, a full disk, a stuck case, SIGTERM. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "backend.h"
#include "registry.h"
#include "cb.h"
#include "job.h"
#include "runner.h"
#include "target.h"
#include "testutil.h"
#include "util.h"

#define CHILD_SKIP 77          /* a forked check's exit status: the machine cannot do it */

/* ---- the fixture: a temporary directory and the last run of the binary -------------------- */

typedef struct fx {
  tu_cli cli;               /* CB_BIN, a fresh temporary directory, the last run; out may be mnt/out */
  char mnt[96];             /* dir/mnt when a tmpfs is mounted there, else empty */
  int reaper;               /* we made ourselves a child subreaper */
} fx;

static int fx_setup(void **state) {
  *state = tu_cli_new(sizeof(fx), "faults");
  return *state ? 0 : -1;
}

static int fx_teardown(void **state) {
  fx *f = *state;
  if (!f) return 0;
  /* A failed test may leave a run (or a stopped server) behind: nothing outlives the test. */
  pid_t pid = f->cli.cmd.pid;
  tu_proc_free(&f->cli.cmd);
  if (f->reaper) {
    const tu_procq its = { .ppid = pid }, ours = { .ppid = getpid() };
    if (pid > 0) tu_kill_procs(&its);
    tu_kill_procs(&ours);
    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
  }
  if (f->mnt[0] && umount2(f->mnt, MNT_DETACH) != 0) print_error("umount %s: %s\n", f->mnt, strerror(errno));
  int rc = tu_cli_fini(&f->cli);
  free(f);
  return rc;
}

/* Start CB_BIN with args ("@OUT" for f->cli.out) and env as a child subreaper, so whatever the
 * run leaves orphaned lands on us where it can be seen. */
static void fx_spawn(fx *f, const char *const *args, const char *const *env) {
  tu_need_bin(f->cli.bin);
  assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
  f->reaper = 1;
  f->cli.opts.env = env;
  tu_cli_spawn(&f->cli, args);
  f->cli.opts.env = NULL;
}

/* After the run ended: neither its children nor anything reparented to us is left. */
static void expect_nothing_left(fx *f) {
  char left[1024];
  int n = tu_left_behind(f->cli.cmd.pid, 500, left, sizeof left);
  if (n > 0) fail_msg("%d process(es) outlived concbench:%s", n, left);
}

/* ---- reading /proc and results --------------------------------------------------------------- */

/* The child of parent that started first (field 22 of /proc/PID/stat, then the lower pid), or 0. */
static pid_t oldest_child(pid_t parent) {
  DIR *d = opendir("/proc");
  pid_t best = 0;
  unsigned long long best_start = 0;
  if (!d) return 0;
  for (struct dirent *e; (e = readdir(d));) {
    char path[64], buf[1024], *end, st;
    long pid = strtol(e->d_name, &end, 10), ppid;
    unsigned long long start;
    if (pid <= 0 || *end) continue;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (cb_read_text(path, buf, sizeof buf) != 0) continue;
    char *rp = strrchr(buf, ')');   /* the name may hold spaces and parentheses */
    if (!rp || sscanf(rp + 1, " %c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                      &st, &ppid, &start) != 3)
      continue;
    if (ppid != (long)parent || st == 'Z' || st == 'X') continue;
    if (!best || start < best_start || (start == best_start && pid < (long)best)) {
      best = (pid_t)pid;
      best_start = start;
    }
  }
  closedir(d);
  return best;
}

/* The run's target server: its first child (the measurement processes are forked after it
 * listens). Waits up to 10 s for it, and for the first measurement process beside it, so that
 * what happens to the server happens mid-case even on a slow (sanitized) build. */
static pid_t find_server(pid_t run) {
  const tu_procq q = { .ppid = run };
  pid_t s = 0;
  for (int64_t end = tu_now_ms() + 10000; tu_now_ms() < end; tu_sleep_ms(2)) {
    if (!s) s = oldest_child(run);
    if (s > 0 && tu_procs(&q, NULL, NULL, 0) >= 2) return s;
  }
  if (!s) fail_msg("concbench (pid %d) started no target server within 10 s", (int)run);
  fail_msg("concbench (pid %d) started no measurement process within 10 s", (int)run);
  return 0;
}

/* The paths under dir, depth first, appended to buf (a few levels: enough to say what is left). */
static void list_tree(const char *dir, int depth, char *buf, size_t cap) {
  DIR *d = opendir(dir);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char path[PATH_MAX];
    size_t used = strlen(buf);
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t pl = strlen(path);
    if (used + pl + 2 <= cap) {
      buf[used] = ' ';
      memcpy(buf + used + 1, path, pl + 1);
    }
    if (depth > 0 && e->d_type == DT_DIR) list_tree(path, depth - 1, buf, cap);
  }
  closedir(d);
}

/* No temporary file (".name.XXXXXX") left in dir. */
static void expect_no_hidden(const char *dir) {
  int hidden = 0;
  if (tu_dir_entries(dir, &hidden) < 0) fail_msg("cannot read %s", dir);
  if (hidden) fail_msg("%d hidden (temporary) file(s) left in %s", hidden, dir);
}

/* ---- checks in a forked child ------------------------------------------------------------ */

/* A forked check reports here: a line for the parent's message. */
static int report_fd = -1;

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n > 0) tu_write_all(report_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* Run fn(arg) in a forked child, so that the limits it lowers never reach this process. It exits
 * 0 (passed), CHILD_SKIP or anything else (failed), having reported why; the parent skips or
 * fails with that message. cmocka's assertions would not reach us from the child. */
static void in_child(int (*fn)(void *), void *arg, long timeout_ms) {
  int p[2];
  assert_int_equal(pipe2(p, O_CLOEXEC), 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    report_fd = p[1];
    _exit(fn(arg));         /* _exit: none of cmocka's or the sanitizers' exit work in here */
  }
  close(p[1]);
  int st = tu_wait_exit(pid, timeout_ms);
  char msg[4096];
  size_t len = 0;
  /* Not blocking: a process the child left (a server dying with it) may still hold the pipe. */
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  for (ssize_t r; len < sizeof msg - 1 && (r = read(p[0], msg + len, sizeof msg - 1 - len)) != 0;) {
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    len += (size_t)r;
  }
  while (len && msg[len - 1] == '\n') len--;
  msg[len] = '\0';
  close(p[0]);
  if (st == CHILD_SKIP) {
    print_message("%s; skipping\n", msg);
    skip();
  }
  if (st == -1) fail_msg("the check did not finish within %ld ms; killed. %s", timeout_ms, msg);
  if (st != 0) fail_msg("the check failed (exit %d): %s", st, msg);
  if (len) print_message("%s\n", msg);
}

static double no_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) { return 0; }

static int trivial_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  *sum = index;
  return 0;
}

static const cb_workload trivial = {
  .name = "trivial", .summary = "test", .kind = CB_KIND_CPU, .task = trivial_task, .ideal = no_ideal,
};

/* ---- 1, 2: the target server dies or stalls mid-run ------------------------------------------ */

/* Run args, send the target server sig 300 ms into the first case, and wait (60 s at most) for
 * the run to end: exit 1 and nothing left behind. */
static void signal_server_mid_run(fx *f, const char *const *args, int sig) {
  fx_spawn(f, args, NULL);
  pid_t server = find_server(f->cli.cmd.pid);
  tu_sleep_ms(300);
  assert_int_equal(kill(server, sig), 0);
  tu_wait(&f->cli.cmd, 60000);
  print_message("server %d sent %s; concbench exited %d after %lld ms\n", (int)server, strsignal(sig), f->cli.cmd.status,
                (long long)f->cli.cmd.took_ms);
  expect_nothing_left(f);
  tu_expect_exit(&f->cli.cmd, 1);
}

/* A server killed mid-case is reported, its case's tasks fail, and the next case gets a new one. */
static void server_killed_mid_run(void **state) {
  fx *f = *state;
  const char *const args[] = { "run", "-b", "uv,threads", "-w", "http", "-n", "2000", "-c", "100", "-p", "delay_ms=100",
                               "-r", "1", "--warmup", "0", "-o", "@OUT", NULL };
  signal_server_mid_run(f, args, SIGKILL);
  tu_expect_in(f->cli.cmd.se, "target server was killed by signal 9");
  tu_expect_in(f->cli.cmd.se, "ECONNREFUSED");

  tu_csv t;
  int bad = 0, good = 0;
  tu_csv_results(&t, f->cli.out);
  if (t.nrows != 2) fail_msg("results.csv has %d rows, want 2", t.nrows);
  for (int i = 0; i < t.nrows; i++) {
    double errs = tu_csv_num(&t, i, "errors");
    print_message("  %s: %g errors\n", tu_csv_get(&t, i, "backend"), errs);
    bad += errs > 0;
    good += errs == 0;
  }
  tu_csv_free(&t);
  if (bad != 1 || good != 1) fail_msg("want one case with errors and one clean (a new server), got %d and %d:\n%s", bad, good, f->cli.cmd.se);
}

/* A stopped server makes requests time out, and the run still ends, reaping it. */
static void server_stalled_mid_run(void **state) {
  fx *f = *state;
  const char *const args[] = { "run", "-b", "uv", "-w", "http", "-n", "2000", "-c", "100", "-p", "delay_ms=100",
                               "-p", "timeout_ms=300", "-r", "1", "--warmup", "0", "-o", "@OUT", NULL };
  signal_server_mid_run(f, args, SIGSTOP);
  tu_expect_in(f->cli.cmd.se, "ETIMEDOUT");
  tu_csv t;
  tu_csv_results(&t, f->cli.out);
  if (t.nrows != 1) fail_msg("results.csv has %d rows, want 1", t.nrows);
  if (tu_csv_num(&t, 0, "errors") <= 0) fail_msg("a stalled server gave no errors:\n%s", f->cli.cmd.se);
  tu_csv_free(&t);
}

/* ---- 3: EAGAIN: no thread or process to be had --------------------------------------------- */

/* The process limit at 1 for an ordinary user: this process is that one. CHILD_SKIP when it
 * cannot be made to hold. */
static int limit_to_one_process(void) {
  if (geteuid() == 0) {
    /* RLIMIT_NPROC does not hold root back: become nobody, whom it does. At 1 it fails every
     * fork or clone, however many other processes run as nobody. */
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
      report("cannot become uid/gid 65534: %s", strerror(errno));
      return CHILD_SKIP;
    }
  }
  struct rlimit rl = { 1, 1 };
  if (setrlimit(RLIMIT_NPROC, &rl) != 0) {
    report("cannot set RLIMIT_NPROC to 1: %s", strerror(errno));
    return CHILD_SKIP;
  }
  /* Capabilities (CAP_SYS_RESOURCE) would let us past it: make sure it holds. */
  pid_t probe = fork();
  if (probe == 0) _exit(0);
  if (probe > 0) {
    waitpid(probe, NULL, 0);
    report("RLIMIT_NPROC 1 does not stop fork here (capabilities?)");
    return CHILD_SKIP;
  }
  return 0;
}

static int eagain_check(void *arg) {
  const char *name = arg;
  const char *want = strcmp(name, "fork") == 0 ? "could not fork worker 1 of 8" : "could not create thread 1 of 8";
  int rc = limit_to_one_process();
  if (rc) return rc;
  cb_job job;
  cb_job_summary s = { 0 };
  rc = tu_job_try(&job, cb_backend_find(name), &(tu_jobdef){ .wl = &trivial, .tasks = 16, .conc = 8 }, &s);
  int ok = rc == -EAGAIN && strstr(job.err, want) && strstr(job.err, "ulimit -u") && s.errors == 16;
  report("%s: rc %d (%s), %llu errors, workers %u: %s", name, rc, rc ? cb_err_name(rc) : "0",
         (unsigned long long)s.errors, job.workers, job.err);
  cb_job_free(&job);
  return ok ? 0 : 1;
}

/* No thread can be created: the run fails with EAGAIN, says what to do, and counts every task. */
static void threads_eagain(void **state) { in_child(eagain_check, (void *)"threads", 30000); }

/* The same for worker processes. */
static void fork_eagain(void **state) { in_child(eagain_check, (void *)"fork", 30000); }

/* ---- 4: EMFILE: no descriptor left for a connection ---------------------------------------- */

static int open_fds(void) {
  int n = tu_dir_entries("/proc/self/fd", NULL);
  return n > 0 ? n - 1 : n;   /* not the one reading the directory */
}

static int emfile_check(void *arg) {
  const cb_workload *http = cb_workload_find("http");
  cb_target t;
  char err[256];
  int fails = 0;
  if (!http) {
    report("no http workload");
    return 1;
  }
  /* The server first: it needs descriptors of its own, and is not what is tested. */
  cb_server_opts so = { .site = { .pages = 10, .links = 4, .seed = 1 } };
  if (cb_target_start(&t, &so, err, sizeof err) != 0) {
    report("cannot start the target server: %s", err);
    return 1;
  }
  int fds = open_fds();
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = (rlim_t)fds + 8;
  if (fds < 0 || setrlimit(RLIMIT_NOFILE, &rl) != 0) {
    report("cannot lower RLIMIT_NOFILE to %d: %s", fds + 8, strerror(errno));
    cb_target_stop(&t);
    return 1;
  }
  static const char *const names[] = { "threads", "uv" };
  for (size_t b = 0; b < 2; b++) {
    cb_case c = { .wl = http, .be = cb_backend_find(names[b]), .tasks = 64, .conc = 32, .eff_conc = 32 };
    cb_params_defaults(http, &c.params);
    c.params.v[cb_params_index(http, "delay_ms")] = 20;
    snprintf(c.id, sizeof c.id, "http-%s", names[b]);
    cb_measure_env env = { .target = &t };
    cb_sample s;
    int rc = cb_runner_measure(&c, &env, &s);
    cb_case_free_hists(&c);
    int emfile = 0;
    char kinds[256] = "";
    size_t used = 0;
    for (uint32_t k = 0; rc == 0 && k < s.nkinds && k < CB_ERROR_KINDS; k++) {
      emfile |= s.kinds[k].code == -EMFILE;
      used += (size_t)snprintf(kinds + used, sizeof kinds - used, " %u %s", s.kinds[k].count,
                               s.kinds[k].code ? cb_err_name(s.kinds[k].code) : "not-run");
      if (used >= sizeof kinds) break;
    }
    report("%s at %d+8 descriptors: measure %d, status %d, %llu done, %llu errors:%s%s%s\n", names[b], fds, rc,
           s.status, (unsigned long long)s.done, (unsigned long long)s.errors, kinds, s.err[0] ? "; " : "", s.err);
    if (rc != 0 || s.errors == 0 || !emfile) fails++;
  }
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  cb_target_stop(&t);
  return fails ? 1 : 0;
}

/* Out of descriptors: connections fail with EMFILE, counted by kind, and nothing hangs. */
static void http_emfile(void **state) {
  const char *hint = cb_err_hint(-EMFILE);
  assert_non_null(hint);
  tu_expect_in(hint, "ulimit -n");
  in_child(emfile_check, NULL, 60000);
}

/* ---- 5: ENOMEM: no mapping left for a coroutine stack -------------------------------------- */

static int napper_task(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum) {
  *sum = index;
  return cb_sleep(ctx, 0);
}

static const cb_workload napper = {
  .name = "nap", .summary = "test", .kind = CB_KIND_IO, .task = napper_task, .ideal = no_ideal,
};

static int enomem_check(void *arg) {
  long long maps = *(const long long *)arg;
  uint32_t n = (uint32_t)(maps / 2 + 512);
  cb_job job;
  int rc = tu_job_try(&job, cb_backend_find("uv"), &(tu_jobdef){ .wl = &napper, .tasks = n, .conc = n, .stack = 16384 }, NULL);
  report("uv at c=%u with vm.max_map_count %lld: rc %d (%s): %s", n, maps, rc, rc ? cb_err_name(rc) : "0", job.err);
  int ok = rc == -ENOMEM && strstr(job.err, "could not map coroutine stack") && strstr(job.err, "vm.max_map_count");
  cb_job_free(&job);
  return ok ? 0 : 1;
}

/* More coroutines than vm.max_map_count has room for: ENOMEM, and what to raise. */
static void uv_enomem(void **state) {
  long long maps = cb_read_ll("/proc/sys/vm/max_map_count", -1);
  if (maps <= 0 || maps > (1 << 20)) {
    print_message("vm.max_map_count %lld: too many stacks to reach it; skipping\n", maps);
    skip();
  }
  in_child(enomem_check, &maps, 60000);
}

/* ---- 6: a full disk while writing results ------------------------------------------------ */

static const char old_csv[] = "workload,backend\nsleep,sync\n";
static const char old_json[] = "{\"status\": \"complete\", \"cases\": []}\n";

typedef struct efbig_arg {
  const char *paths[2];
} efbig_arg;

static int efbig_check(void *arg) {
  const efbig_arg *a = arg;
  static char big[8192];
  memset(big, 'x', sizeof big);
  const char small[] = "workload,backend\n";
  const void *data[2] = { small, big };
  size_t lens[2] = { sizeof small - 1, sizeof big };
  /* Past the limit write() fails with EFBIG instead of the signal killing us. */
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit rl;
  getrlimit(RLIMIT_FSIZE, &rl);
  rl.rlim_cur = 4096;
  if (setrlimit(RLIMIT_FSIZE, &rl) != 0) {
    report("cannot set RLIMIT_FSIZE: %s", strerror(errno));
    return CHILD_SKIP;
  }
  int rc = cb_write_atomic_all(2, a->paths, data, lens);
  report("cb_write_atomic_all: %d (%s)", rc, rc ? cb_err_name(rc) : "0");
  return rc == -EFBIG ? 0 : 1;
}

/* A write that fails on the second file leaves both old files as they were, and no temporary. */
static void write_atomic_all_efbig(void **state) {
  fx *f = *state;
  char csv[256], json[256];
  snprintf(csv, sizeof csv, "%s/results.csv", f->cli.dir);
  snprintf(json, sizeof json, "%s/results.json", f->cli.dir);
  tu_write_text(csv, old_csv);
  tu_write_text(json, old_json);
  efbig_arg a = { { csv, json } };
  in_child(efbig_check, &a, 30000);
  char *c = tu_read_file(csv, NULL), *j = tu_read_file(json, NULL);
  assert_string_equal(c, old_csv);
  assert_string_equal(j, old_json);
  free(c);
  free(j);
  expect_no_hidden(f->cli.dir);
}

/* Fill the file system holding dir with dir/filler until write() says ENOSPC. */
static void fill_disk(const char *dir) {
  char path[256];
  static char chunk[65536];
  snprintf(path, sizeof path, "%s/filler", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail_msg("cannot create %s: %s", path, strerror(errno));
  int e = 0;
  for (int i = 0; i < 4096 && !e; i++) {   /* 1 MiB needs 16 of them: bounded all the same */
    ssize_t w = write(fd, chunk, sizeof chunk);
    if (w < 0 && errno != EINTR) e = errno;
  }
  close(fd);
  if (e != ENOSPC) fail_msg("filling %s ended with %s, want ENOSPC", dir, e ? strerror(e) : "no error at all");
}

/* The disk fills between rounds: one line says the last round's results are intact, and they are. */
static void results_disk_full(void **state) {
  fx *f = *state;
  tu_need_bin(f->cli.bin);
  if (geteuid() != 0) {
    print_message("mounting a tmpfs needs root; skipping\n");
    skip();
  }
  /* A mount namespace of our own: the tmpfs is seen by us and our children only. */
  if (unshare(CLONE_NEWNS) != 0) {
    if (errno != EPERM) fail_msg("unshare(CLONE_NEWNS): %s", strerror(errno));
    print_message("unshare(CLONE_NEWNS): %s; skipping\n", strerror(errno));
    skip();
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    if (errno != EPERM) fail_msg("making / private: %s", strerror(errno));
    print_message("making / private: %s; skipping\n", strerror(errno));
    skip();
  }
  char mnt[96];
  snprintf(mnt, sizeof mnt, "%s/mnt", f->cli.dir);
  assert_int_equal(mkdir(mnt, 0700), 0);
  if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") != 0) {
    if (errno != EPERM) fail_msg("mounting a tmpfs: %s", strerror(errno));
    print_message("mounting a tmpfs: %s; skipping\n", strerror(errno));
    skip();
  }
  snprintf(f->mnt, sizeof f->mnt, "%s", mnt);
  snprintf(f->cli.out, sizeof f->cli.out, "%s/out", mnt);

  const char *const args[] = { "run", "-b", "sync", "-w", "sleep", "-n", "10", "-c", "1", "-p", "delay_ms=50",
                               "-r", "3", "--warmup", "0", "-o", "@OUT", NULL };
  fx_spawn(f, args, NULL);
  char csv[256], json[256];
  snprintf(csv, sizeof csv, "%s/results.csv", f->cli.out);
  snprintf(json, sizeof json, "%s/results.json", f->cli.out);
  int64_t end = tu_now_ms() + 20000;
  while (!tu_exists(json) && tu_now_ms() < end) tu_sleep_ms(5);
  if (!tu_exists(json)) fail_msg("no results.json after 20 s");
  fill_disk(mnt);
  /* A round may have been written while we filled: what is there once nothing more fits is what
   * must stay. A write under way (microseconds on tmpfs) is over well within the pause. */
  tu_sleep_ms(100);
  size_t csv_len, json_len;
  char *want_csv = tu_read_file(csv, &csv_len), *want_json = tu_read_file(json, &json_len);

  tu_wait(&f->cli.cmd, 30000);
  print_message("concbench exited %d after %lld ms\n", f->cli.cmd.status, (long long)f->cli.cmd.took_ms);
  expect_nothing_left(f);
  tu_expect_exit(&f->cli.cmd, 1);
  int lines = 0;
  char *se = strdup(f->cli.cmd.se), *save = NULL;
  for (char *l = strtok_r(se, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
    lines += strstr(l, "No space left on device") && strstr(l, "intact");
  free(se);
  if (lines != 1) fail_msg("want one line saying the disk is full and the results intact, got %d:\n%s", lines, f->cli.cmd.se);

  size_t len;
  char *got = tu_read_file(csv, &len);
  if (len != csv_len || memcmp(got, want_csv, len) != 0) fail_msg("results.csv changed after the failed write:\n%s", got);
  free(got);
  got = tu_read_file(json, &len);
  if (len != json_len || memcmp(got, want_json, len) != 0) fail_msg("results.json changed after the failed write");
  free(got);
  free(want_csv);
  free(want_json);
  cJSON *root = tu_load_json(json);
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "status");
  assert_true(cJSON_IsString(st));
  assert_string_equal(st->valuestring, "partial");
  cJSON_Delete(root);
  expect_no_hidden(f->cli.out);
}

/* ---- 7, 8: a stuck case, and SIGTERM ------------------------------------------------------- */

/* --case-timeout stops a repetition that would run for a minute, and records its tasks as failed. */
static void case_timeout_stops_stuck_case(void **state) {
  fx *f = *state;
  const char *const args[] = { "run", "-b", "uv", "-w", "sleep", "-n", "1", "-c", "1", "-p", "delay_ms=60000",
                               "-r", "1", "--warmup", "0", "--case-timeout", "1", "-o", "@OUT", NULL };
  fx_spawn(f, args, NULL);
  tu_wait(&f->cli.cmd, 15000);
  print_message("concbench exited %d after %lld ms\n", f->cli.cmd.status, (long long)f->cli.cmd.took_ms);
  expect_nothing_left(f);
  tu_expect_exit(&f->cli.cmd, 1);
  tu_expect_in(f->cli.cmd.se, "case-timeout");
  tu_csv t;
  tu_csv_results(&t, f->cli.out);
  if (t.nrows != 1) fail_msg("results.csv has %d rows, want 1", t.nrows);
  assert_string_equal(tu_csv_get(&t, 0, "errors"), "1");
  tu_csv_free(&t);
  /* Recorded as such: flagged, and timed for as long as it ran rather than as 0. */
  char path[256];
  snprintf(path, sizeof path, "%s/results.json", f->cli.out);
  cJSON *root = tu_load_json(path);
  const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "cases"), 0);
  const cJSON *rep = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "repetitions"), 0);
  char *flags = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(c, "flags"));
  assert_non_null(flags);
  tu_expect_in(flags, "\"timeout\"");
  free(flags);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "timed_out")));
  const cJSON *wall = cJSON_GetObjectItemCaseSensitive(rep, "wall_s");
  assert_true(cJSON_IsNumber(wall) && wall->valuedouble >= 0.9 && wall->valuedouble < 15);
  cJSON_Delete(root);
}

/* SIGTERM mid-run: exit 143 at once, no process and no temporary file or directory left. */
static void sigterm_leaves_nothing(void **state) {
  fx *f = *state;
  char tmp[96], env_tmp[128];
  snprintf(tmp, sizeof tmp, "%s/tmp", f->cli.dir);
  assert_int_equal(mkdir(tmp, 0700), 0);
  /* The run's private temporary directory (the file workload's files) goes where we can look. */
  snprintf(env_tmp, sizeof env_tmp, "TMPDIR=%s", tmp);
  const char *const env[] = { env_tmp, NULL };
  /* fork: its workers are grandchildren of concbench, writing files until they are gone. */
  const char *const args[] = { "run", "-b", "fork", "-w", "file", "-n", "2000", "-c", "20", "-r", "3",
                               "-o", "@OUT", NULL };
  fx_spawn(f, args, env);
  /* Its temporary directory appears before the first measurement: the check below means something. */
  int64_t start = tu_now_ms();
  while (tu_dir_entries(tmp, NULL) == 0 && tu_now_ms() < start + 10000) tu_sleep_ms(5);
  if (tu_dir_entries(tmp, NULL) == 0) fail_msg("the run made no temporary directory in %s within 10 s", tmp);
  int64_t left = start + 700 - tu_now_ms();
  if (left > 0) tu_sleep_ms((long)left);
  int64_t t0 = tu_now_ms();
  assert_int_equal(kill(f->cli.cmd.pid, SIGTERM), 0);
  tu_wait(&f->cli.cmd, 2000);
  int64_t took = tu_now_ms() - t0;
  print_message("exited %d, %lld ms after SIGTERM\n", f->cli.cmd.status, (long long)took);
  /* Not even a moment's grace: concbench reaps its workers before it cleans up after them, so
   * none is left to come to us as the subreaper, not even dying. */
  const tu_procq orphans = { .ppid = getpid(), .except = f->cli.cmd.pid, .zombies = 1 };
  char what[512];
  int early = tu_procs(&orphans, NULL, what, sizeof what);
  expect_nothing_left(f);
  if (early) fail_msg("%d worker(s) still there as concbench exited:%s", early, what);
  tu_expect_exit(&f->cli.cmd, 143);
  if (took > 2000) fail_msg("took %lld ms to exit after SIGTERM", (long long)took);
  if (tu_dir_entries(tmp, NULL) != 0) {
    char remains[2048] = "";
    list_tree(tmp, 3, remains, sizeof remains);
    fail_msg("the run's temporary directory outlived it:%s", remains);
  }
  if (tu_exists(f->cli.out)) {
    char path[256];
    snprintf(path, sizeof path, "%s/results.json", f->cli.out);
    if (tu_exists(path)) cJSON_Delete(tu_load_json(path));
    expect_no_hidden(f->cli.out);
  }
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(server_killed_mid_run),
    T(server_stalled_mid_run),
    T(threads_eagain),
    T(fork_eagain),
    T(http_emfile),
    T(uv_enomem),
    T(write_atomic_all_efbig),
    T(results_disk_full),
    T(case_timeout_stops_stuck_case),
    T(sigterm_leaves_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
