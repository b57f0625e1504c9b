/* testutil.c: the helpers the cmocka tests share (see testutil.h). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cb.h"
#include "clock.h"
#include "registry.h"
#include "testutil.h"
#include "util.h"

#define TU_MAX_ARGS 64

extern char **environ;

/* ---- time ------------------------------------------------------------------------------------ */

int64_t tu_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tu_sleep_ms(long ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* ---- files ----------------------------------------------------------------------------------- */

int tu_tmpdir(char *buf, size_t cap, const char *name) {
  int n = snprintf(buf, cap, "/tmp/cb-test-%s-XXXXXX", name);
  if (n < 0 || (size_t)n >= cap) return -1;
  return mkdtemp(buf) ? 0 : -1;
}

static int perms_fixed;

/* Pre-order: a directory gets u+rwx before anything in it is looked at or removed. */
static int fix_perms(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)ftw;
  if (flag == FTW_D || flag == FTW_DNR) {
    if ((sb->st_mode & S_IRWXU) != S_IRWXU && chmod(p, sb->st_mode | S_IRWXU) == 0) perms_fixed++;
  }
  return 0;
}

int tu_rmtree(const char *path) {
  /* An unreadable directory is not entered on the pass that fixes it: pass again while one is. */
  for (int i = 0; i < 16; i++) {
    perms_fixed = 0;
    nftw(path, fix_perms, 16, FTW_PHYS);
    if (!perms_fixed) break;
  }
  return cb_rmtree(path) == 0 ? 0 : -1;
}

int tu_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

int tu_dir_entries(const char *dir, int *hidden) {
  DIR *d = opendir(dir);
  int n = 0;
  if (hidden) *hidden = 0;
  if (!d) return -1;
  for (struct dirent *e; (e = readdir(d));) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    n++;
    if (hidden && e->d_name[0] == '.') ++*hidden;
  }
  closedir(d);
  return n;
}

char *tu_read_file(const char *path, size_t *len) {
  char *s = cb_read_file(path, len);
  if (!s) fail_msg("cannot read %s: %s", path, strerror(errno));
  return s;
}

void tu_write_file(const char *path, const void *data, size_t len) {
  int rc = cb_write_atomic(path, data, len);
  if (rc != 0) fail_msg("cannot write %s: %s", path, strerror(-rc));
}

void tu_write_text(const char *path, const char *text) { tu_write_file(path, text, strlen(text)); }

void tu_copy_fixture(const char *dir) {
  char path[4096];
  size_t len;
  assert_int_equal(cb_mkdirs(dir), 0);
  char *text = tu_read_file(TU_FIXTURE, &len);
  if (snprintf(path, sizeof path, "%s/results.json", dir) >= (int)sizeof path) fail_msg("path too long: %s", dir);
  tu_write_file(path, text, len);
  free(text);
}

cJSON *tu_load_json(const char *path) {
  size_t len;
  char *text = tu_read_file(path, &len);
  cJSON *root = cJSON_ParseWithLength(text, len);
  free(text);
  if (!root) fail_msg("%s is not valid JSON", path);
  return root;
}

void tu_save_json(const char *path, const cJSON *root) {
  char *text = cJSON_Print(root);
  assert_non_null(text);
  tu_write_file(path, text, strlen(text));
  free(text);
}

/* ---- text ------------------------------------------------------------------------------------ */

size_t tu_count(const char *s, const char *needle) {
  size_t n = 0, len = strlen(needle);
  if (!len) return 0;
  for (const char *p = s; (p = strstr(p, needle)); p += len) n++;
  return n;
}

size_t tu_lines(const char *s) { return tu_count(s, "\n"); }

void tu_expect_in(const char *hay, const char *needle) {
  if (!strstr(hay, needle)) fail_msg("\"%s\" not in:\n%s", needle, hay);
}

void tu_expect_not_in(const char *hay, const char *needle) {
  if (strstr(hay, needle)) fail_msg("\"%s\" unexpectedly in:\n%s", needle, hay);
}

/* ---- running the binary ---------------------------------------------------------------------- */

const char *tu_bin(void) {
  const char *bin = getenv("CB_BIN");
  return bin && *bin ? bin : NULL;
}

void tu_need_bin(const char *bin) {
  if (!bin) {
    print_message("CB_BIN is not set (ctest sets it to the concbench binary); skipping\n");
    skip();
  }
  if (access(bin, X_OK) != 0) fail_msg("CB_BIN=%s is not executable: %s", bin, strerror(errno));
}

/* Length of the name in an env change, "NAME=value" or "NAME". */
static size_t env_name_len(const char *e) {
  const char *eq = strchr(e, '=');
  return eq ? (size_t)(eq - e) : strlen(e);
}

/* The environment with the changes made, built before fork so that the child only calls
 * async-signal-safe functions. The strings are not copied. */
static char **env_with(const char *const *changes) {
  size_t n = 0, k = 0, m = 0;
  while (environ[n]) n++;
  while (changes[m]) m++;
  char **envp = malloc((n + m + 1) * sizeof *envp);
  if (!envp) return NULL;
  for (size_t i = 0; i < n; i++) {
    int changed = 0;
    for (size_t j = 0; j < m && !changed; j++) {
      size_t l = env_name_len(changes[j]);
      changed = strncmp(environ[i], changes[j], l) == 0 && environ[i][l] == '=';
    }
    if (!changed) envp[k++] = environ[i];
  }
  for (size_t j = 0; j < m; j++)
    if (strchr(changes[j], '=')) envp[k++] = (char *)changes[j];
  envp[k] = NULL;
  return envp;
}

/* An unlinked temporary file for a child's output. */
static int capture_fd(void) {
  char path[] = "/tmp/cb-test-output-XXXXXX";
  int fd = mkostemp(path, O_CLOEXEC);
  if (fd >= 0) unlink(path);
  return fd;
}

int tu_spawn(tu_proc *p, const char *bin, const char *const *args, const tu_opts *o) {
  static const tu_opts plain;
  const char *argv[TU_MAX_ARGS + 3];
  int n = 0, err;
  if (!o) o = &plain;
  if (p->running) tu_proc_free(p);
  argv[n++] = bin;
  if (o->sub) argv[n++] = o->sub;
  for (; *args; args++) {
    if (n > TU_MAX_ARGS) return -E2BIG;
    argv[n++] = o->out && strcmp(*args, "@OUT") == 0 ? o->out : *args;
  }
  argv[n] = NULL;
  char **envp = NULL;
  if (o->env && !(envp = env_with(o->env))) return -ENOMEM;
  int fo = capture_fd(), fe = capture_fd(), fi = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fo < 0 || fe < 0 || fi < 0) {
    err = errno;
    goto fail;
  }
  fflush(NULL);
  int64_t t0 = tu_now_ms();
  pid_t pid = fork();
  if (pid < 0) {
    err = errno;
    goto fail;
  }
  if (pid == 0) {
    if (o->group) setpgid(0, 0);
    if (dup2(fi, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0) _exit(126);
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    if (o->cwd && chdir(o->cwd) != 0) _exit(126);
    if (o->nproc > 0) {
      struct rlimit rl = { (rlim_t)o->nproc, (rlim_t)o->nproc };
      if (setrlimit(RLIMIT_NPROC, &rl) != 0) _exit(125);
    }
    execve(bin, (char *const *)argv, envp ? envp : environ);
    _exit(127);
  }
  if (o->group) setpgid(pid, pid);
  close(fi);
  free(envp);
  p->pid = pid;
  p->bin = bin;
  p->sub = o->sub;
  p->fo = fo;
  p->fe = fe;
  p->group = o->group;
  p->running = 1;
  p->start_ms = t0;
  return 0;
fail:
  if (fo >= 0) close(fo);
  if (fe >= 0) close(fe);
  if (fi >= 0) close(fi);
  free(envp);
  return err ? -err : -EIO;
}

/* All of a capture file, from its start. */
static char *read_capture(int fd) {
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (len + 1 == cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) break;
      buf = nb;
    }
    ssize_t r = pread(fd, buf + len, cap - 1 - len, (off_t)len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (r == 0) {
      buf[len] = '\0';
      return buf;
    }
    len += (size_t)r;
  }
  free(buf);
  return NULL;
}

/* Wait up to timeout_ms for pid; kill (its group when group) and reap it then. */
static int wait_status(pid_t pid, long timeout_ms, int group) {
  int64_t end = tu_now_ms() + timeout_ms;
  int st = 0;
  pid_t r;
  for (;;) {
    r = waitpid(pid, &st, WNOHANG);
    if (r < 0 && errno == EINTR) continue;
    if (r != 0 || tu_now_ms() >= end) break;
    tu_sleep_ms(2);
  }
  if (r == 0) {
    kill(group ? -pid : pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    return -1;
  }
  if (r != pid) return -2;
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -2;
}

int tu_wait_exit(pid_t pid, long timeout_ms) { return wait_status(pid, timeout_ms, 0); }

int tu_collect(tu_proc *p, long timeout_ms) {
  if (!p->running) return -1;
  p->status = wait_status(p->pid, timeout_ms, p->group);
  p->took_ms = tu_now_ms() - p->start_ms;
  free(p->so);
  free(p->se);
  p->so = read_capture(p->fo);
  p->se = read_capture(p->fe);
  close(p->fo);
  close(p->fe);
  p->running = 0;
  if (!p->so || !p->se || p->status == -2) return -1;
  return p->status == -1 ? -2 : 0;
}

/* Fail the test unless rc, from tu_collect or tu_cli_try, says p ran and was read. */
static void expect_collected(const tu_proc *p, int rc, long timeout_ms) {
  if (rc == -2)
    fail_msg("%s%s%s did not finish within %ld ms; killed. stderr: %s", p->bin, p->sub ? " " : "", p->sub ? p->sub : "",
             timeout_ms, p->se ? p->se : "");
  if (rc != 0) fail_msg("%s: cannot start it, wait for it or read its output", p->bin ? p->bin : "CB_BIN");
}

void tu_wait(tu_proc *p, long timeout_ms) { expect_collected(p, tu_collect(p, timeout_ms), timeout_ms); }

void tu_run(tu_proc *p, const char *bin, const char *const *args, const tu_opts *o, long timeout_ms) {
  int rc = tu_spawn(p, bin, args, o);
  if (rc != 0) fail_msg("cannot start %s: %s", bin, strerror(-rc));
  tu_wait(p, timeout_ms);
}

void tu_proc_free(tu_proc *p) {
  if (p->running) {
    kill(p->group ? -p->pid : p->pid, SIGKILL);
    while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR) {}
    close(p->fo);
    close(p->fe);
    p->running = 0;
  }
  free(p->so);
  free(p->se);
  p->so = p->se = NULL;
}

void tu_expect_exit(const tu_proc *p, int want) {
  if (p->status != want)
    fail_msg("exit status %d, want %d\nstdout: %s\nstderr: %s", p->status, want, p->so, p->se);
}

void tu_expect_one_error_line(const tu_proc *p) {
  size_t n = strlen(p->se);
  const char *nl = strchr(p->se, '\n');
  if (n < 2 || !nl || nl != p->se + n - 1)
    fail_msg("want exactly one non-empty line on stderr, got %zu bytes:\n%s", n, p->se);
  if (strncmp(p->se, "concbench: ", 11) != 0 || n <= 12)
    fail_msg("stderr line does not follow \"concbench: <message>\": %s", p->se);
}

void tu_expect_usage_error(const tu_proc *p) {
  tu_expect_exit(p, 2);
  tu_expect_one_error_line(p);
  if (*p->so) fail_msg("want nothing on stdout after an error, got: %s", p->so);
}

/* ---- a test of the binary: its directory and its runs ------------------------------------- */

int tu_cli_init(tu_cli *c, const char *name) {
  memset(c, 0, sizeof *c);
  c->bin = tu_bin();
  c->timeout_ms = TU_RUN_TIMEOUT_MS;
  if (tu_tmpdir(c->dir, sizeof c->dir, name) != 0) return -1;
  snprintf(c->out, sizeof c->out, "%s/out", c->dir);
  c->opts.out = c->out;
  return 0;
}

void *tu_cli_new(size_t size, const char *name) {
  tu_cli *c = calloc(1, size < sizeof *c ? sizeof *c : size);
  if (c && tu_cli_init(c, name) != 0) {
    free(c);
    return NULL;
  }
  return c;
}

int tu_cli_fini(tu_cli *c) {
  tu_proc_free(&c->cmd);
  return c->dir[0] ? tu_rmtree(c->dir) : 0;
}

int tu_cli_setup(void **state, const char *name) {
  *state = tu_cli_new(sizeof(tu_cli), name);
  return *state ? 0 : -1;
}

int tu_cli_teardown(void **state) {
  tu_cli *c = *state;
  if (!c) return 0;
  int rc = tu_cli_fini(c);
  free(c);
  return rc;
}

int tu_cli_try(tu_cli *c, const char *const *args) {
  const tu_procq ours = { .ppid = getpid() };
  c->orphans = 0;
  c->orphan_what[0] = '\0';
  if (c->reap && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return -1;
  int rc = tu_spawn(&c->cmd, c->bin, args, &c->opts) == 0 ? tu_collect(&c->cmd, c->timeout_ms) : -1;
  if (c->reap) {
    /* Its children either died with it or were reparented to us; give the kernel a moment. */
    c->orphans = tu_lingering(&ours, 300, c->orphan_what, sizeof c->orphan_what);
    if (c->orphans > 0) tu_kill_procs(&ours);   /* do not leave them running past the test */
    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
  }
  return rc;
}

void tu_cli_run(tu_cli *c, const char *const *args) { expect_collected(&c->cmd, tu_cli_try(c, args), c->timeout_ms); }

void tu_cli_spawn(tu_cli *c, const char *const *args) {
  int rc = tu_spawn(&c->cmd, c->bin, args, &c->opts);
  if (rc != 0) fail_msg("cannot start %s: %s", c->bin, strerror(-rc));
}

/* ---- the fixture of the commands that read results ----------------------------------------- */

int tu_resfx_setup(void **state, const char *name, long timeout_ms) {
  char err[512];
  tu_resfx *f = calloc(1, sizeof *f);
  if (!f) return -1;
  if (tu_cli_init(&f->cli, name) != 0) {
    free(f);
    return -1;
  }
  f->cli.timeout_ms = timeout_ms;
  if (cb_results_read(TU_FIXTURE, &f->fix, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    tu_cli_fini(&f->cli);
    free(f);
    return -1;
  }
  *state = f;
  return 0;
}

int tu_resfx_teardown(void **state) {
  tu_resfx *f = *state;
  int rc = tu_cli_fini(&f->cli);
  cb_results_free(&f->fix);
  free(f);
  return rc;
}

/* ---- CSV files (results.csv) ------------------------------------------------------------------ */

/* The fields of the line at *p, split in place (RFC 4180 quotes undone), *p moved past its
 * newline; NULL when the line is not well formed or has no newline. */
static char **csv_line(char **p, int *n) {
  int cap = 8;
  char **f = malloc((size_t)cap * sizeof *f), *s = *p;
  *n = 0;
  while (f) {
    if (*n == cap) {
      char **nf = realloc(f, (size_t)(cap *= 2) * sizeof *f);
      if (!nf) break;
      f = nf;
    }
    char *w = s;
    f[(*n)++] = w;
    if (*s == '"') {
      for (s++;; ) {
        if (!*s) goto bad;
        if (*s == '"' && s[1] == '"') s++;
        else if (*s == '"') break;
        *w++ = *s++;
      }
      s++;
    } else {
      while (*s && *s != ',' && *s != '\n') *w++ = *s++;
    }
    char end = *s;
    if (end != ',' && end != '\n') goto bad;
    *w = '\0';
    s++;
    if (end == '\n') {
      *p = s;
      return f;
    }
  }
bad:
  free(f);
  return NULL;
}

void tu_csv_load(tu_csv *t, const char *path) {
  memset(t, 0, sizeof *t);
  snprintf(t->path, sizeof t->path, "%s", path);
  t->text = tu_read_file(path, NULL);
  t->buf = strdup(t->text);
  assert_non_null(t->buf);
  char *p = t->buf;
  if (!*p) fail_msg("%s is empty", path);
  t->hdr = csv_line(&p, &t->ncols);
  if (!t->hdr) fail_msg("%s: the header is not a line of CSV", path);
  while (*p) {
    char ***nr = realloc(t->rows, (size_t)(t->nrows + 1) * sizeof *nr);
    assert_non_null(nr);
    t->rows = nr;
    int n;
    if (!(t->rows[t->nrows] = csv_line(&p, &n))) fail_msg("%s: row %d is not a line of CSV", path, t->nrows + 1);
    t->nrows++;
    if (n != t->ncols) fail_msg("%s row %d has %d fields, the header %d", path, t->nrows, n, t->ncols);
  }
}

void tu_csv_results(tu_csv *t, const char *dir) {
  char path[sizeof t->path];
  if (snprintf(path, sizeof path, "%s/results.csv", dir) >= (int)sizeof path) fail_msg("path too long: %s", dir);
  tu_csv_load(t, path);
}

void tu_csv_free(tu_csv *t) {
  free(t->hdr);
  for (int i = 0; i < t->nrows; i++) free(t->rows[i]);
  free(t->rows);
  free(t->buf);
  free(t->text);
  memset(t, 0, sizeof *t);
}

int tu_csv_col(const tu_csv *t, const char *name) {
  for (int i = 0; i < t->ncols; i++)
    if (strcmp(t->hdr[i], name) == 0) return i;
  return -1;
}

const char *tu_csv_get(const tu_csv *t, int row, const char *name) {
  int col = tu_csv_col(t, name);
  if (col < 0) fail_msg("%s has no column %s", t->path, name);
  if (row < 0 || row >= t->nrows) fail_msg("%s has no row %d (%d rows)", t->path, row + 1, t->nrows);
  return t->rows[row][col];
}

double tu_csv_num(const tu_csv *t, int row, const char *name) {
  const char *s = tu_csv_get(t, row, name);
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end) fail_msg("%s row %d: %s '%s' is not a number", t->path, row + 1, name, s);
  return v;
}

/* ---- a job run directly on a backend ------------------------------------------------------- */

int tu_job_try(cb_job *job, const cb_backend *be, const tu_jobdef *d, cb_job_summary *s) {
  uint32_t conc = be->flags & CB_BACKEND_SERIAL ? 1 : d->conc;
  int rc = cb_job_init(job, d->wl, d->params, d->tasks, conc, d->stack);
  if (rc != 0) {
    memset(job, 0, sizeof *job);
    snprintf(job->err, sizeof job->err, "cb_job_init: %s", strerror(-rc));
    return rc;
  }
  job->state = d->state;
  /* As the runner does: the run's start, for open-loop slots and closed-loop completion times. */
  job->t0_ns = cb_now_ns();
  if (d->rate > 0) job->rate = d->rate;
  rc = be->run(job);
  if (s) cb_job_summarize(job, s);
  return rc;
}

void tu_job_run(cb_job *job, const cb_backend *be, const tu_jobdef *d, cb_job_summary *s) {
  int rc = tu_job_try(job, be, d, s);
  if (rc != 0)
    fail_msg("%s, %s x %llu at c=%u: %d (%s): %s", be->name, d->wl->name, (unsigned long long)d->tasks, d->conc, rc,
             cb_err_name(rc), job->err);
}

int tu_backend_skip(const cb_backend *be) {
  static const cb_backend *told[16];
  char why[256];
  if (cb_backend_available(be, why, sizeof why) == 0) return 0;
  for (size_t i = 0; i < sizeof told / sizeof *told; i++) {
    if (told[i] == be) return 1;
    if (!told[i]) {
      told[i] = be;
      fprintf(stderr, "SKIP: backend %s is not tested on this machine: %s\n", be->name, why);
      return 1;
    }
  }
  return 1;
}

const cb_backend *tu_backend(const char *name) {
  const cb_backend *be = cb_backend_find(name);
  if (!be) fail_msg("no backend %s", name);
  return be;
}

/* ---- processes left behind ------------------------------------------------------------------- */

/* The processes matching q, each sent sig when sig is not 0. */
static int scan_procs(const tu_procq *q, int sig, pid_t *first, char *what, size_t cap) {
  DIR *d = opendir("/proc");
  int n = 0;
  size_t off = 0;
  if (what && cap) what[0] = '\0';
  if (!d) return -1;
  for (struct dirent *e; (e = readdir(d));) {
    char path[64], buf[1024], *end, st;
    long pid = strtol(e->d_name, &end, 10), ppid, pgrp;
    if (pid <= 0 || *end || (q->except > 0 && pid == (long)q->except)) continue;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (cb_read_text(path, buf, sizeof buf) != 0) continue;
    char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');   /* the name may hold spaces and parentheses */
    if (!lp || !rp || sscanf(rp + 1, " %c %ld %ld", &st, &ppid, &pgrp) != 3) continue;
    if (!q->zombies && (st == 'Z' || st == 'X')) continue;
    if (ppid != (long)q->ppid && !(q->pgid > 0 && pgrp == (long)q->pgid)) continue;
    if (!n && first) *first = (pid_t)pid;
    n++;
    if (what && off < cap) off += (size_t)snprintf(what + off, cap - off, " %ld %.*s (%c)", pid, (int)(rp - lp - 1), lp + 1, st);
    if (sig) kill((pid_t)pid, sig);
  }
  closedir(d);
  return n;
}

int tu_procs(const tu_procq *q, pid_t *first, char *what, size_t cap) { return scan_procs(q, 0, first, what, cap); }

int tu_lingering(const tu_procq *q, long ms, char *what, size_t cap) {
  int64_t end = tu_now_ms() + ms;
  for (;;) {
    tu_reap();
    int n = tu_procs(q, NULL, what, cap);
    if (n <= 0 || tu_now_ms() >= end) return n;
    tu_sleep_ms(10);
  }
}

int tu_left_behind(pid_t pid, long ms, char *what, size_t cap) {
  const tu_procq its = { .ppid = pid }, ours = { .ppid = getpid() };
  char mine[512];
  int n = 0;
  /* The kernel may take a moment to finish off what dies with its parent. */
  for (int64_t end = tu_now_ms() + ms;; tu_sleep_ms(10)) {
    tu_reap();
    n = tu_procs(&its, NULL, what, cap) + tu_procs(&ours, NULL, mine, sizeof mine);
    if (n == 0 || tu_now_ms() >= end) break;
  }
  if (n > 0) {
    /* Do not leave them running past the test either. */
    tu_kill_procs(&its);
    tu_kill_procs(&ours);
    size_t used = strlen(what);
    snprintf(what + used, cap - used, "%s", mine);
  }
  return n;
}

void tu_kill_procs(const tu_procq *q) {
  for (int i = 0; i < 50 && scan_procs(q, SIGKILL, NULL, NULL, 0) > 0; i++) {
    tu_sleep_ms(10);
    tu_reap();
  }
  tu_reap();
}

void tu_reap(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
}

/* ---- sockets --------------------------------------------------------------------------------- */

int tu_listen_any(uint16_t *port) {
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t al = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 256) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return fd;
}

int tu_write_all(int fd, const void *buf, size_t len) { return cb_write_all(fd, buf, len) == 0 ? 0 : -1; }
