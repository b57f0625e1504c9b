/* runner.c: measuring one repetition of a case in a fresh process, reported over a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "runner.h"
#include "clock.h"
#include "env.h"

volatile sig_atomic_t cb_interrupted;

static void on_signal(int sig) { cb_interrupted = sig; }

void cb_runner_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  /* No SA_RESTART: a blocked read must return EINTR so the runner notices at once. */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

void cb_runner_measure_here(const cb_case *c, const cb_measure_env *env, cb_sample *out) {
  cb_job job;
  struct rusage r0, r1, rch;
  char output[4096];
  memset(out, 0, sizeof *out);
  int rc = cb_job_init(&job, c->wl, &c->params, c->tasks, c->eff_conc, env->stack_size);
  if (rc) {
    out->status = rc;
    snprintf(out->err, sizeof out->err, "could not map the task records: %s", strerror(-rc));
    out->errors = c->tasks;
    return;
  }
  cb_setup su = {
    .p = &job.params,
    .ntasks = job.ntasks,
    .workers = cb_job_workers(&job),
    .serial = (c->be->flags & CB_BACKEND_SERIAL) != 0,
  };
  if (env->target && env->target->pid > 0) {
    su.server = (const struct sockaddr *)&env->target->addr;
    su.authority = env->target->authority;
  }
  su.tmpdir = env->tmpdir;
  if ((c->wl->flags & CB_WL_OUTPUT) && env->outdir) {
    snprintf(output, sizeof output, "%s/output/%s.tsv", env->outdir, c->id);
    su.output = output;
  }
  if (c->wl->setup && (rc = c->wl->setup(&su, &job.state)) != 0) {
    out->status = rc;
    snprintf(out->err, sizeof out->err, "%s setup failed: %s", c->wl->name, cb_strerror(rc));
    out->errors = c->tasks;
    cb_job_free(&job);
    return;
  }
  /* Calibrated here, next to the run, since a shared machine's speed drifts over minutes. */
  double unit_s = c->wl->kind != CB_KIND_IO ? cb_calibrate_unit() : 0;
  getrusage(RUSAGE_SELF, &r0);
  int64_t t0 = cb_now_ns();
  rc = c->be->run(&job);
  int64_t t1 = cb_now_ns();
  getrusage(RUSAGE_SELF, &r1);
  getrusage(RUSAGE_CHILDREN, &rch);   /* fork's workers, reaped by run() */
  if (c->wl->metrics) out->nmetrics = c->wl->metrics(job.state, out->metrics, 8);
  int trc = c->wl->teardown ? c->wl->teardown(job.state) : 0;

  cb_job_summary s;
  cb_job_summarize(&job, &s);
  out->status = rc;
  out->workers = job.workers;
  out->wall_s = (double)(t1 - t0) / 1e9;
  out->user_s = tv_s(r1.ru_utime) - tv_s(r0.ru_utime) + tv_s(rch.ru_utime);
  out->sys_s = tv_s(r1.ru_stime) - tv_s(r0.ru_stime) + tv_s(rch.ru_stime);
  out->peak_rss_kib = (uint64_t)r1.ru_maxrss + job.children_rss_kib;
  out->ctx_voluntary = (uint64_t)(r1.ru_nvcsw - r0.ru_nvcsw + rch.ru_nvcsw);
  out->ctx_involuntary = (uint64_t)(r1.ru_nivcsw - r0.ru_nivcsw + rch.ru_nivcsw);
  out->done = s.done;
  out->errors = s.errors;
  out->checksum = s.checksum;
  out->p50_ms = s.p50_ms;
  out->p99_ms = s.p99_ms;
  out->max_ms = s.max_ms;
  out->unit_s = unit_s;
  out->not_found = s.not_found;
  out->nkinds = s.nkinds;
  memcpy(out->kinds, s.kinds, sizeof out->kinds);
  snprintf(out->err, sizeof out->err, "%s", job.err);
  if (trc && !out->status) {
    out->status = trc;
    snprintf(out->err, sizeof out->err, "%s could not write its output: %s", c->wl->name, cb_strerror(trc));
  }
  cb_job_free(&job);
}

static int read_full(int fd, void *buf, size_t len) {
  char *p = buf;
  size_t got = 0;
  while (got < len) {
    ssize_t r = read(fd, p + got, len - got);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EINTR && !cb_interrupted) continue;
      return -errno;
    }
    got += (size_t)r;
  }
  return (int)(got == len);
}

int cb_runner_measure(const cb_case *c, const cb_measure_env *env, cb_sample *out) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
  pid_t parent = getpid();
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(fds[0]);
    close(fds[1]);
    return -e;
  }
  if (pid == 0) {
    /* The measurement process: dies with the runner, takes signals the default way, and its
     * fork workers die with it in turn. */
    close(fds[0]);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
    cb_sample s;
    cb_runner_measure_here(c, env, &s);
    ssize_t w = write(fds[1], &s, sizeof s);
    _exit(w == (ssize_t)sizeof s ? 0 : 1);
  }
  close(fds[1]);
  int got = read_full(fds[0], out, sizeof *out);
  close(fds[0]);
  if (got != 1 && cb_interrupted) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (got != 1 && cb_interrupted) return -EINTR;
  if (got != 1) {
    memset(out, 0, sizeof *out);
    out->status = -ECHILD;
    out->errors = c->tasks;
    if (WIFSIGNALED(status))
      snprintf(out->err, sizeof out->err, "the measurement process died of signal %d (%s)",
               WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
      snprintf(out->err, sizeof out->err, "the measurement process exited %d without a result",
               WEXITSTATUS(status));
  }
  return 0;
}
