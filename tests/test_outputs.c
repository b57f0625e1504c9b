/* test_outputs.c: cmocka tests of what a command writes: never over its input, never into a directory another run holds or over results unless --replace, unwritable outputs refused before measuring, nothing left by kill -9. */
#include <dirent.h>
#include <errno.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "results.h"
#include "testutil.h"
#include "util.h"

static char *in_dir(const tu_cli *c, const char *name, char *buf, size_t len) {
  snprintf(buf, len, "%s/%s", c->dir, name);
  return buf;
}

/* The fixture's cases i with i % n == k in dir/name/results.json: shards that merge. */
static void write_shard(const tu_cli *c, const char *name, int k, int n) {
  char dir[PATH_MAX], p[PATH_MAX + 32];
  cJSON *root = tu_load_json(TU_FIXTURE);
  cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
  for (int i = cJSON_GetArraySize(cases) - 1; i >= 0; i--)
    if (i % n != k) cJSON_DeleteItemFromArray(cases, i);
  in_dir(c, name, dir, sizeof dir);
  assert_int_equal(cb_mkdirs(dir), 0);
  snprintf(p, sizeof p, "%s/results.json", dir);
  tu_save_json(p, root);
  cJSON_Delete(root);
}

/* path's bytes are still want's. */
static void expect_same(const char *path, const char *want, size_t want_len) {
  size_t len;
  char *got = tu_read_file(path, &len);
  if (len != want_len || memcmp(got, want, len) != 0) fail_msg("%s was changed", path);
  free(got);
}

/* A PID that was a process a moment ago and is none now. */
static pid_t dead_pid(void) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) _exit(0);
  assert_int_equal(waitpid(pid, NULL, 0), pid);
  return pid;
}

/* Entries of dir whose name starts with prefix. */
static int count_prefixed(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  int n = 0;
  if (!d) return 0;
  for (struct dirent *e; (e = readdir(d));) n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
  closedir(d);
  return n;
}

/* ---- the helpers in base ------------------------------------------------------------------- */

static void same_file_by_inode(void **state) {
  tu_cli *c = *state;
  char a[PATH_MAX], spelled[PATH_MAX + 8], link[PATH_MAX], other[PATH_MAX];
  in_dir(c, "a", a, sizeof a);
  in_dir(c, "link", link, sizeof link);
  in_dir(c, "other", other, sizeof other);
  tu_write_text(a, "x");
  tu_write_text(other, "x");
  snprintf(spelled, sizeof spelled, "%s/./a", c->dir);
  assert_int_equal(symlink(a, link), 0);
  assert_int_equal(cb_same_file(a, spelled), 1);
  assert_int_equal(cb_same_file(link, a), 1);
  assert_int_equal(cb_same_file(a, other), 0);
  assert_int_equal(cb_same_file(a, "/nonexistent/x"), 0);
  /* A directory given as dir/ or as dir/results.json's directory is its input. */
  char d[PATH_MAX], dslash[PATH_MAX + 2], json[PATH_MAX + 16];
  in_dir(c, "run", d, sizeof d);
  tu_copy_fixture(d);
  snprintf(dslash, sizeof dslash, "%s/", d);
  snprintf(json, sizeof json, "%s/results.json", d);
  assert_int_equal(cb_results_is_input(json, dslash), 1);
  assert_int_equal(cb_results_is_input(dslash, json), 1);
  assert_int_equal(cb_results_is_input(d, d), 1);
  assert_int_equal(cb_results_is_input(other, d), 0);
  assert_int_equal(cb_results_exist(d), 1);
  assert_int_equal(cb_results_exist(c->dir), 0);
}

static void dir_lock_excludes_and_names_holder(void **state) {
  tu_cli *c = *state;
  char lock[PATH_MAX + 32];
  long holder = -1;
  int fd = cb_dir_lock(c->dir, &holder);
  assert_true(fd >= 0);
  snprintf(lock, sizeof lock, "%s/%s", c->dir, CB_DIR_LOCK);
  assert_true(tu_exists(lock));
  /* flock excludes another open of the file, even in the same process. */
  assert_int_equal(cb_dir_lock(c->dir, &holder), -EWOULDBLOCK);
  assert_int_equal(holder, (long)getpid());
  cb_dir_unlock(c->dir, fd);
  assert_false(tu_exists(lock));
  fd = cb_dir_lock(c->dir, &holder);
  assert_true(fd >= 0);
  cb_dir_unlock(c->dir, fd);
}

static void probe_and_advice(void **state) {
  tu_cli *c = *state;
  char missing[PATH_MAX];
  assert_int_equal(cb_probe_writable(c->dir), 0);
  assert_int_equal(tu_dir_entries(c->dir, NULL), 0);
  assert_int_equal(cb_probe_writable(in_dir(c, "missing", missing, sizeof missing)), -ENOENT);
  /* "Free some space" only for a full disk. */
  tu_expect_in(cb_write_advice(ENOSPC), "free some space");
  tu_expect_in(cb_write_advice(EDQUOT), "free some space");
  tu_expect_not_in(cb_write_advice(EROFS), "space");
  tu_expect_not_in(cb_write_advice(EACCES), "space");
  tu_expect_in(cb_write_advice(EROFS), "read-write");
  tu_expect_in(cb_write_advice(EACCES), "permissions");
}

/* The owner killed with SIGKILL: its watcher removes the directory. */
static void guard_removes_after_kill(void **state) {
  tu_cli *c = *state;
  char d[PATH_MAX], f[PATH_MAX + 8];
  in_dir(c, "guarded", d, sizeof d);
  assert_int_equal(cb_mkdirs(d), 0);
  snprintf(f, sizeof f, "%s/f", d);
  tu_write_text(f, "data");
  pid_t owner = fork();
  assert_true(owner >= 0);
  if (owner == 0) {
    cb_guard g;
    if (cb_guard_start(&g, d) != 0) _exit(1);
    raise(SIGKILL);
    _exit(2);
  }
  int st;
  assert_int_equal(waitpid(owner, &st, 0), owner);
  assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  int64_t end = tu_now_ms() + 3000;
  while (tu_exists(d) && tu_now_ms() < end) tu_sleep_ms(5);
  if (tu_exists(d)) fail_msg("%s outlived its owner's kill -9", d);

  /* An owner that ends normally removes it itself; the watcher is stopped and reaped. */
  assert_int_equal(cb_mkdirs(d), 0);
  cb_guard g;
  assert_int_equal(cb_guard_start(&g, d), 0);
  pid_t w = g.pid;
  assert_true(w > 0);
  assert_int_equal(cb_rmtree(d), 0);
  cb_guard_end(&g);
  assert_int_equal(g.fd, -1);
  assert_int_equal(kill(w, 0), -1);
  assert_int_equal(errno, ESRCH);
}

static void sweep_takes_only_the_dead(void **state) {
  tu_cli *c = *state;
  char dead[PATH_MAX], live[PATH_MAX], other[PATH_MAX], name[64];
  snprintf(name, sizeof name, "concbench-%d-abc", (int)dead_pid());
  in_dir(c, name, dead, sizeof dead);
  snprintf(name, sizeof name, "concbench-%d-abc", (int)getppid());
  in_dir(c, name, live, sizeof live);
  in_dir(c, "concbench-x-abc", other, sizeof other);
  assert_int_equal(cb_mkdirs(dead), 0);
  assert_int_equal(cb_mkdirs(live), 0);
  assert_int_equal(cb_mkdirs(other), 0);
  cb_sweep_orphans(c->dir, "concbench-");
  assert_false(tu_exists(dead));
  assert_true(tu_exists(live));
  assert_true(tu_exists(other));
}

/* ---- point 2: no output over an input ------------------------------------------------------ */

static void export_refuses_its_input(void **state) {
  tu_cli *c = *state;
  char d[PATH_MAX], json[PATH_MAX + 16], spelled[PATH_MAX + 32], link[PATH_MAX];
  size_t len;
  in_dir(c, "in", d, sizeof d);
  tu_copy_fixture(d);
  snprintf(json, sizeof json, "%s/results.json", d);
  snprintf(spelled, sizeof spelled, "%s/../in//results.json", d);
  in_dir(c, "link.json", link, sizeof link);
  assert_int_equal(symlink(json, link), 0);
  char *want = tu_read_file(json, &len);
  const char *outs[] = { json, spelled, link, d };
  for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
    tu_cli_run(c, TU_ARGS("export", "--format", "csv", "-o", outs[i], d));
    tu_expect_usage_error(&c->cmd);
    tu_expect_in(c->cmd.se, "is the input");
    expect_same(json, want, len);
  }
  /* Given as the file itself, too. */
  tu_cli_run(c, TU_ARGS("export", "--format", "md", "-o", link, json));
  tu_expect_usage_error(&c->cmd);
  expect_same(json, want, len);
  free(want);
  /* Another file is fine. */
  char out[PATH_MAX];
  tu_cli_run(c, TU_ARGS("export", "--format", "csv", "-o", in_dir(c, "out.csv", out, sizeof out), d));
  tu_expect_exit(&c->cmd, 0);
}

static void merge_refuses_input_and_results(void **state) {
  tu_cli *c = *state;
  char a[PATH_MAX], b[PATH_MAX], aslash[PATH_MAX + 2], ajson[PATH_MAX + 16], m[PATH_MAX], mjson[PATH_MAX + 16];
  size_t len;
  write_shard(c, "a", 0, 2);
  write_shard(c, "b", 1, 2);
  in_dir(c, "a", a, sizeof a);
  in_dir(c, "b", b, sizeof b);
  in_dir(c, "m", m, sizeof m);
  snprintf(aslash, sizeof aslash, "%s/", a);
  snprintf(ajson, sizeof ajson, "%s/results.json", a);
  snprintf(mjson, sizeof mjson, "%s/results.json", m);
  char *want = tu_read_file(ajson, &len);
  tu_cli_run(c, TU_ARGS("merge", "-o", a, a, b));
  tu_expect_usage_error(&c->cmd);
  tu_expect_in(c->cmd.se, "is the input");
  tu_cli_run(c, TU_ARGS("merge", "-o", aslash, b, ajson));
  tu_expect_usage_error(&c->cmd);
  expect_same(ajson, want, len);
  assert_int_equal(tu_dir_entries(a, NULL), 1);   /* results.json alone, as it was */
  free(want);

  /* A new directory is made; an existing one with results is replaced only when asked. */
  tu_cli_run(c, TU_ARGS("merge", "-o", m, a, b));
  tu_expect_exit(&c->cmd, 0);
  want = tu_read_file(mjson, &len);
  tu_cli_run(c, TU_ARGS("merge", "-o", m, b, a));
  tu_expect_usage_error(&c->cmd);
  tu_expect_in(c->cmd.se, "--replace");
  expect_same(mjson, want, len);
  tu_cli_run(c, TU_ARGS("merge", "--replace", "-o", m, b, a));
  tu_expect_exit(&c->cmd, 0);
  free(want);
  int hidden = 0;
  tu_dir_entries(m, &hidden);
  assert_int_equal(hidden, 0);   /* no lock file left */
}

static void merge_refuses_a_held_dir(void **state) {
  tu_cli *c = *state;
  char a[PATH_MAX], b[PATH_MAX], m[PATH_MAX], pid[32];
  write_shard(c, "a", 0, 2);
  write_shard(c, "b", 1, 2);
  in_dir(c, "a", a, sizeof a);
  in_dir(c, "b", b, sizeof b);
  in_dir(c, "held", m, sizeof m);
  assert_int_equal(cb_mkdirs(m), 0);
  long holder;
  int fd = cb_dir_lock(m, &holder);
  assert_true(fd >= 0);
  tu_cli_run(c, TU_ARGS("merge", "-o", m, a, b));
  cb_dir_unlock(m, fd);
  tu_expect_usage_error(&c->cmd);
  snprintf(pid, sizeof pid, "PID %d", (int)getpid());
  tu_expect_in(c->cmd.se, pid);
  assert_false(cb_results_exist(m));
}

/* ---- point 3: a run holds its directory and replaces results only when asked ------------- */

#define SMALL_RUN "run", "-b", "sync", "-w", "sleep", "-n", "2", "-c", "1", "-p", "delay_ms=1", "-r", "1", \
                  "--warmup", "0", "-q", "-o", "@OUT"

static void run_replaces_only_when_asked(void **state) {
  tu_cli *c = *state;
  char json[PATH_MAX + 16];
  size_t len;
  TU_RUN(c, SMALL_RUN);
  tu_expect_exit(&c->cmd, 0);
  int hidden = 0;
  tu_dir_entries(c->out, &hidden);
  assert_int_equal(hidden, 0);   /* the lock file goes with the lock */
  snprintf(json, sizeof json, "%s/results.json", c->out);
  char *want = tu_read_file(json, &len);
  TU_RUN(c, SMALL_RUN);
  tu_expect_usage_error(&c->cmd);
  tu_expect_in(c->cmd.se, "--replace");
  expect_same(json, want, len);
  free(want);
  /* A report of the earlier results does not stay beside the new ones. */
  char md[PATH_MAX + 16];
  snprintf(md, sizeof md, "%s/report.md", c->out);
  FILE *f = fopen(md, "w");
  assert_non_null(f);
  fputs("# the earlier run\n", f);
  fclose(f);
  TU_RUN(c, SMALL_RUN, "--replace");
  tu_expect_exit(&c->cmd, 0);
  assert_int_equal(access(md, F_OK), -1);
}

static void run_refuses_a_held_dir(void **state) {
  tu_cli *c = *state;
  char pid[32];
  assert_int_equal(cb_mkdirs(c->out), 0);
  long holder;
  int fd = cb_dir_lock(c->out, &holder);
  assert_true(fd >= 0);
  TU_RUN(c, SMALL_RUN);
  cb_dir_unlock(c->out, fd);
  tu_expect_usage_error(&c->cmd);
  snprintf(pid, sizeof pid, "PID %d", (int)getpid());
  tu_expect_in(c->cmd.se, pid);
  if (c->cmd.took_ms > 2000) fail_msg("refused after %lld ms", (long long)c->cmd.took_ms);
  assert_false(cb_results_exist(c->out));
}

/* Two runs at once into one directory: the second is refused while the first holds it. */
static void second_run_refused_while_first_runs(void **state) {
  tu_cli *c = *state;
  tu_proc first = { 0 };
  const char *const args[] = { "run", "-b", "threads", "-w", "sleep", "-n", "100", "-c", "10", "-p", "delay_ms=20",
                               "-r", "3", "--warmup", "0", "-q", "-o", c->out, NULL };
  assert_int_equal(tu_spawn(&first, c->bin, args, NULL), 0);
  char lock[PATH_MAX + 32];
  snprintf(lock, sizeof lock, "%s/%s", c->out, CB_DIR_LOCK);
  int64_t end = tu_now_ms() + 10000;
  while (!tu_exists(lock) && tu_now_ms() < end) tu_sleep_ms(2);
  assert_true(tu_exists(lock));
  TU_RUN(c, SMALL_RUN);
  tu_wait(&first, 30000);
  tu_expect_exit(&first, 0);
  tu_proc_free(&first);
  tu_expect_usage_error(&c->cmd);
  tu_expect_in(c->cmd.se, "in use");
}

/* ---- point 4: an unwritable output refused before anything is measured -------------------- */

/* A tmpfs at dir/name with opts in a mount namespace of our own: 0, or -1 (then skip). */
static int mount_tmpfs(const tu_cli *c, const char *name, const char *opts, char *mnt, size_t len) {
  static int unshared;
  if (geteuid() != 0) return -1;
  if (!unshared) {
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return -1;
    unshared = 1;
  }
  in_dir(c, name, mnt, len);
  if (mkdir(mnt, 0700) != 0) return -1;
  unsigned long flags = strstr(opts, "ro") ? MS_RDONLY : 0;
  return mount("tmpfs", mnt, "tmpfs", flags, "size=64k") == 0 ? 0 : -1;
}

#define SLOW_RUN "run", "-b", "sync", "-w", "sleep", "-n", "20", "-c", "1", "-p", "delay_ms=50", "-r", "1", \
                 "--warmup", "0", "-q", "-o", "@OUT"

static void unwritable_refused_first(void **state) {
  tu_cli *c = *state;
  char mnt[PATH_MAX];
  if (mount_tmpfs(c, "ro", "ro", mnt, sizeof mnt) != 0) {
    print_message("mounting a read-only tmpfs needs root and a mount namespace; skipping\n");
    skip();
  }
  if (snprintf(c->out, sizeof c->out, "%.100s", mnt) >= (int)sizeof c->out) fail_msg("path too long");
  TU_RUN(c, SLOW_RUN);
  umount2(mnt, MNT_DETACH);
  tu_expect_usage_error(&c->cmd);
  tu_expect_in(c->cmd.se, "Read-only");
  tu_expect_not_in(c->cmd.se, "space");
  /* 20 x 50 ms would be a second: refused before the first case. */
  if (c->cmd.took_ms > 900) fail_msg("refused after %lld ms", (long long)c->cmd.took_ms);

  /* A full one: then, and only then, the advice to free some space. */
  assert_int_equal(mount_tmpfs(c, "full", "rw", mnt, sizeof mnt), 0);
  char fill[PATH_MAX + 8];
  snprintf(fill, sizeof fill, "%s/fill", mnt);
  FILE *f = fopen(fill, "w");
  assert_non_null(f);
  static char block[4096];
  while (fwrite(block, 1, sizeof block, f) == sizeof block && fflush(f) == 0) {}
  fclose(f);
  if (snprintf(c->out, sizeof c->out, "%.100s", mnt) >= (int)sizeof c->out) fail_msg("path too long");
  TU_RUN(c, SLOW_RUN);
  umount2(mnt, MNT_DETACH);
  tu_expect_usage_error(&c->cmd);
  tu_expect_in(c->cmd.se, "free some space");
  if (c->cmd.took_ms > 900) fail_msg("refused after %lld ms", (long long)c->cmd.took_ms);
}

/* ---- point 5: nothing left by kill -9 ------------------------------------------------------ */

static void kill9_file_run_leaves_no_tmpdir(void **state) {
  tu_cli *c = *state;
  char tmp[PATH_MAX], env_tmp[PATH_MAX + 8], stale[PATH_MAX], name[64];
  in_dir(c, "tmp", tmp, sizeof tmp);
  assert_int_equal(mkdir(tmp, 0700), 0);
  /* What a killed run whose watcher was killed too would leave: the next file run sweeps it. */
  snprintf(name, sizeof name, "tmp/concbench-%d-old", (int)dead_pid());
  in_dir(c, name, stale, sizeof stale);
  assert_int_equal(mkdir(stale, 0700), 0);
  snprintf(env_tmp, sizeof env_tmp, "TMPDIR=%s", tmp);
  const char *const env[] = { env_tmp, NULL };
  c->opts.env = env;
  for (int i = 0; i < 2; i++) {
    tu_cli_spawn(c, TU_ARGS("run", "-b", "threads", "-w", "file", "-n", "20000", "-c", "20", "-r", "3",
                            "--warmup", "0", "-q", "-o", "@OUT", "--replace"));
    int64_t end = tu_now_ms() + 10000;
    while (count_prefixed(tmp, "concbench-") - tu_exists(stale) == 0 && tu_now_ms() < end) tu_sleep_ms(5);
    if (count_prefixed(tmp, "concbench-") - tu_exists(stale) == 0) fail_msg("the run made no temporary directory in 10 s");
    assert_false(tu_exists(stale));
    tu_sleep_ms(300);   /* files being written */
    assert_int_equal(kill(c->cmd.pid, SIGKILL), 0);
    tu_wait(&c->cmd, 5000);
    assert_int_equal(c->cmd.status, 128 + SIGKILL);
    end = tu_now_ms() + 3000;
    while (count_prefixed(tmp, "concbench-") && tu_now_ms() < end) tu_sleep_ms(10);
    if (count_prefixed(tmp, "concbench-")) fail_msg("run %d: the temporary directory outlived a kill -9", i + 1);
  }
  c->opts.env = NULL;
}

/* Live gnuplots whose working directory is dir; each sent sig when it is not 0. */
static int gnuplots_sig(const char *dir, int sig) {
  DIR *d = opendir("/proc");
  char want[PATH_MAX], path[64], buf[PATH_MAX], stat[512];
  int n = 0;
  if (!d || !realpath(dir, want)) {
    if (d) closedir(d);
    return 0;
  }
  for (struct dirent *e; (e = readdir(d));) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end) continue;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (cb_read_text(path, stat, sizeof stat) != 0 || !strstr(stat, "(gnuplot)")) continue;
    char *rp = strrchr(stat, ')');
    if (rp && (rp[2] == 'Z' || rp[2] == 'X')) continue;
    snprintf(path, sizeof path, "/proc/%ld/cwd", pid);
    ssize_t len = readlink(path, buf, sizeof buf - 1);
    if (len <= 0) continue;
    buf[len] = '\0';
    if (strcmp(buf, want) != 0) continue;
    n++;
    if (sig) kill((pid_t)pid, sig);
  }
  closedir(d);
  return n;
}

static int gnuplots_in(const char *dir) { return gnuplots_sig(dir, 0); }

/* A gnuplot that takes its time (first on PATH): plot is killed while it draws, every time. */
static void kill9_plot_leaves_nothing(void **state) {
  tu_cli *c = *state;
  char d[PATH_MAX], plots[PATH_MAX + 8], bin[PATH_MAX], fake[PATH_MAX + 16], path_env[PATH_MAX + 64];
  in_dir(c, "p", d, sizeof d);
  tu_copy_fixture(d);
  snprintf(plots, sizeof plots, "%s/plots", d);
  in_dir(c, "bin", bin, sizeof bin);
  assert_int_equal(mkdir(bin, 0700), 0);
  snprintf(fake, sizeof fake, "%s/gnuplot", bin);
  tu_write_text(fake, "#!/bin/sh\nwhile :; do sleep 0.05; done\n");
  assert_int_equal(chmod(fake, 0755), 0);
  snprintf(path_env, sizeof path_env, "PATH=%s:/usr/bin:/bin", bin);
  const char *const env[] = { path_env, NULL };
  /* What a plot killed with its watcher would leave: swept as plot starts. */
  char stale[PATH_MAX + 64];
  snprintf(stale, sizeof stale, "%s/.tmp-%d-old", plots, (int)dead_pid());
  assert_int_equal(cb_mkdirs(stale), 0);
  c->opts.env = env;
  tu_cli_spawn(c, TU_ARGS("plot", d));
  c->opts.env = NULL;
  int64_t end = tu_now_ms() + 10000;
  while (!(count_prefixed(plots, ".tmp-") && gnuplots_in(plots)) && tu_now_ms() < end) tu_sleep_ms(2);
  if (!gnuplots_in(plots)) fail_msg("plot started no gnuplot within 10 s:%s", c->cmd.se ? c->cmd.se : "");
  assert_int_equal(kill(c->cmd.pid, SIGKILL), 0);
  tu_wait(&c->cmd, 5000);
  /* gnuplot is killed with its caller, not left to finish its plot. */
  end = tu_now_ms() + 1000;
  while (gnuplots_in(plots) && tu_now_ms() < end) tu_sleep_ms(5);
  int left = gnuplots_in(plots);
  if (left) gnuplots_sig(plots, SIGKILL);   /* not past the test */
  if (left) fail_msg("gnuplot outlived a kill -9 of plot");
  end = tu_now_ms() + 3000;
  while (count_prefixed(plots, ".tmp-") && tu_now_ms() < end) tu_sleep_ms(10);
  if (count_prefixed(plots, ".tmp-")) fail_msg("a partial plots directory outlived a kill -9 of plot");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, tu_cli_teardown)

static int setup(void **state) { return tu_cli_setup(state, "outputs"); }

int main(void) {
  const struct CMUnitTest tests[] = {
    T(same_file_by_inode),
    T(dir_lock_excludes_and_names_holder),
    T(probe_and_advice),
    T(guard_removes_after_kill),
    T(sweep_takes_only_the_dead),
    T(export_refuses_its_input),
    T(merge_refuses_input_and_results),
    T(merge_refuses_a_held_dir),
    T(run_replaces_only_when_asked),
    T(run_refuses_a_held_dir),
    T(second_run_refused_while_first_runs),
    T(unwritable_refused_first),
    T(kill9_file_run_leaves_no_tmpdir),
    T(kill9_plot_leaves_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
