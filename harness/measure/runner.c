/* runner.c: measuring one repetition of a case in a fresh process, reported over a pipe, while
 * the runner watches the process tree's threads, processes and descriptors. */
#include <dirent.h>
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "runner.h"
#include "clock.h"
#include "loadgen.h"
#include "env.h"
#include "procfs.h"
#include "util.h"

void cb_runner_signals(void) {
  cb_signals_catch();
  /* The workers of a measurement process that was killed become ours, to be reaped and so known
   * to be gone. */
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

/* What crosses the pipe after the sample: the histograms that have something in them. */
/* Each names its slot in the case (cb_case_hist). */
enum { HIST_LAT = 0, HIST_SVC = 1, HIST_DONE = 2 };

typedef struct hist_msg {
  int32_t kind;          /* HIST_LAT, HIST_SVC, HIST_DONE or CB_CASE_HIST_OPS + an operation kind */
  uint32_t pad;
  cb_hist h;
} hist_msg;

/* The measurement itself. With fd >= 0 the histograms are written there after the sample. */
/* The sample, then the histograms that have counts (each message names its slot), down the pipe to
 * the runner. A runner gone meanwhile reads nothing: there is no one to tell. */
static void send_report(int fd, const cb_sample *out, hist_msg *msgs, cb_hist *opsh) {
  if (cb_write_all(fd, out, sizeof *out) != 0 || !msgs || !opsh) return;
  uint32_t n = 0;
  msgs[n].kind = HIST_LAT;
  n += msgs[0].h.count > 0;
  if (msgs[1].h.count) { msgs[n] = msgs[1]; msgs[n++].kind = HIST_SVC; }
  if (msgs[2].h.count) { msgs[n] = msgs[2]; msgs[n++].kind = HIST_DONE; }
  for (int k = 0; k < CB_OP_KINDS; k++)
    if (opsh[k].count) { msgs[n].kind = CB_CASE_HIST_OPS + k; msgs[n++].h = opsh[k]; }
  if (cb_write_all(fd, &n, sizeof n) == 0) cb_write_all(fd, msgs, n * sizeof *msgs);
}

/* What the workload's setup is told about the execution about to start. */
static void setup_of(const cb_case *c, const cb_measure_env *env, cb_job *job, int lfd, char *output, size_t outlen,
                     cb_setup *su) {
  *su = (cb_setup){
    .p = &job->params,
    .ntasks = job->ntasks,
    .workers = cb_job_workers(job),
    .serial = (c->be->flags & CB_BACKEND_SERIAL) != 0,
    .tmpdir = env->tmpdir,
    .unit_s = env->unit_s,
    .listen_fd = lfd,
  };
  if (env->target && cb_target_up(env->target)) {
    su->server = (const struct sockaddr *)&env->target->addr;
    su->authority = env->target->authority;
    su->external = env->target->external;
    su->target_path = env->target_path;
  }
  if (env->redis && cb_rserver_up(env->redis)) {
    su->redis = (const struct sockaddr *)&env->redis->addr;
    su->redis_db = env->redis->db;
    su->redis_prefix = env->redis_prefix;
    su->redis_shared = "concbench:shared:";
  }
  if ((c->wl->flags & CB_WL_OUTPUT) && env->outdir) {
    snprintf(output, outlen, "%s/output/%s.tsv", env->outdir, c->id);
    su->output = output;
  }
}

static void measure(const cb_case *c, const cb_measure_env *env, cb_sample *out, int fd, int lfd) {
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
  cb_setup su;
  setup_of(c, env, &job, lfd, output, sizeof output, &su);
  if (c->wl->setup && (rc = c->wl->setup(&su, &job.state)) != 0) {
    out->status = rc;
    snprintf(out->err, sizeof out->err, "%s setup failed: %s", c->wl->name, cb_strerror(rc));
    out->errors = c->tasks;
    cb_job_free(&job);
    return;
  }
  /* Calibrated here, next to the run, since a shared machine's speed drifts over minutes. */
  double unit_s = c->wl->kind != CB_KIND_IO ? cb_calibrate_unit() : 0;
  /* A server accepts its connections as they come; the rate is the load's. */
  job.rate = c->wl->load ? 0 : c->rate;
  /* Before the interference count starts too: the pool's own CPU is nobody else's. */
  if (c->be->prepare) {
    int64_t p0 = cb_now_ns();
    c->be->prepare(&job);
    out->prepare_s = (double)(cb_now_ns() - p0) / 1e9;
  }
  double busy0 = 0, busy1 = 0, steal0 = 0, steal1 = 0;
  int busy_ok = cb_proc_cpu_busy_s(NULL, &busy0, &steal0) == 0;
  getrusage(RUSAGE_SELF, &r0);
  job.t0_ns = cb_now_ns();
  rc = c->be->run(&job);
  int64_t t1 = cb_now_ns();
  getrusage(RUSAGE_SELF, &r1);
  getrusage(RUSAGE_CHILDREN, &rch);   /* fork's workers, reaped by run() */
  busy_ok = busy_ok && cb_proc_cpu_busy_s(NULL, &busy1, &steal1) == 0;
  /* Our own Rss and Pss: at the moment fork's workers were all alive, or else now, the backend
   * done. Rss less Pss is what the pages we share with others (the runner we were forked from,
   * the libraries, fork's workers) weigh beyond our share of them. */
  uint64_t self_rss = atomic_load(&job.sh->parent_rss_kib), self_pss = atomic_load(&job.sh->parent_pss_kib);
  if (!self_rss && cb_proc_mem_kib(0, &self_rss, &self_pss) != 0) self_rss = self_pss = 0;
  if (c->wl->metrics) out->nmetrics = c->wl->metrics(job.state, out->metrics, 8);
  int trc = c->wl->teardown ? c->wl->teardown(job.state) : 0;

  cb_job_summary s;
  hist_msg *msgs = calloc(CB_CASE_HISTS, sizeof *msgs);
  cb_hist *opsh = calloc(CB_OP_KINDS, sizeof *opsh);
  if (msgs && opsh) cb_job_summarize_hists(&job, &s, &msgs[0].h, &msgs[1].h, &msgs[2].h, opsh);
  else cb_job_summarize(&job, &s);
  out->status = rc;
  out->workers = job.workers;
  /* The work is done when its last task ends: what follows (threads joined, 10,000 processes
   * exiting and reaped, fork's workers reading their memory) is the pool's ending and the
   * measurement's own, paid once a pool is done with, and the most variable part of a case on a
   * virtual machine. Counted apart; if a task never ran, the whole span. */
  int64_t end = s.last_end_ns > job.t0_ns && s.last_end_ns <= t1 ? s.last_end_ns : t1;
  out->wall_s = (double)(end - job.t0_ns) / 1e9;
  out->teardown_s = (double)(t1 - end) / 1e9;
  out->user_s = tv_s(r1.ru_utime) - tv_s(r0.ru_utime) + tv_s(rch.ru_utime);
  out->sys_s = tv_s(r1.ru_stime) - tv_s(r0.ru_stime) + tv_s(rch.ru_stime);
  /* The peak as the kernel counts a tree's memory, each shared page split among its sharers: our
   * own peak Rss less the shared pages' parts others carry, plus fork's workers' PSS read while
   * all were alive. */
  uint64_t maxrss = (uint64_t)r1.ru_maxrss, shared = self_rss > self_pss ? self_rss - self_pss : 0;
  out->peak_rss_kib = (maxrss > shared ? maxrss - shared : self_pss) + atomic_load(&job.sh->children_pss_kib);
  if (busy_ok) {
    out->steal_s = steal1 >= steal0 ? steal1 - steal0 : 0;
    /* User time only, the machine's and the tree's: the kernel's own work for this tree (10,000
     * processes forked and ended, loopback traffic in softirqs) lands on kernel threads and other
     * contexts, and counted there it flagged every fork repetition at c=10,000 busy, idle machine
     * or not. Another program's work is user time, which is what a neighbour takes. The runner
     * takes its own user time and the server's off in turn (cb_runner_measure). */
    out->others_cpu_s = busy1 - busy0 - out->user_s;
  }
  out->ctx_voluntary = (uint64_t)(r1.ru_nvcsw - r0.ru_nvcsw + rch.ru_nvcsw);
  out->ctx_involuntary = (uint64_t)(r1.ru_nivcsw - r0.ru_nivcsw + rch.ru_nivcsw);
  out->done = s.done;
  out->errors = s.errors;
  out->checksum = s.checksum;
  out->p50_ms = s.p50_ms;
  out->p90_ms = s.p90_ms;
  out->p99_ms = s.p99_ms;
  out->p999_ms = s.p999_ms;
  out->max_ms = s.max_ms;
  out->rate_achieved = s.rate_achieved;
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

  if (fd >= 0) send_report(fd, out, msgs, opsh);
  free(msgs);
  free(opsh);
}

void cb_runner_measure_here(const cb_case *c, const cb_measure_env *env, cb_sample *out) {
  measure(c, env, out, -1, -1);
}

/* ---- the runner's side: watching the tree, reading the report ---- */

/* How many of a tree's child processes a full look reads. */
#define WATCH_SAMPLES 64

/* What the runner keeps between looks at the tree. */
typedef struct watcher {
  int64_t next, next_full;     /* when to look again: the process count, and everything */
  double kid_threads, kid_fds; /* per child process, from the last full look */
} watcher;

/* The measurement process's children (fork's workers) into kids; how many. The file is read to
 * its end: with thousands of children it is longer than a page, and one read returns a page. */
static uint32_t children(pid_t root, pid_t *kids, uint32_t max) {
  static char buf[1 << 17];
  char path[64];
  size_t len = 0;
  uint32_t n = 0;
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)root, (int)root);
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return 0;
  for (ssize_t r; len < sizeof buf - 1 && (r = read(f, buf + len, sizeof buf - 1 - len)) != 0;) {
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    len += (size_t)r;
  }
  close(f);
  buf[len] = '\0';
  for (char *p = buf, *end; *p && n < max; p = end) {
    long child = strtol(p, &end, 10);
    if (end == p) break;
    kids[n++] = (pid_t)child;
  }
  return n;
}

/* One look at the tree: the measurement process and its children. A quick look counts the
 * processes and scales the threads and descriptors per child the last full look found; a full
 * look also reads them, and the memory, of a sample of the children. Reading a process's PSS walks
 * its page tables: 10,000 fork workers read one by one would take the runner seconds a look, and
 * slow the very workers it measures, so a sample spread over them (they run the same code on the
 * same data) stands for all of them, scaled up. */
static void watch(pid_t root, cb_sample *pk, watcher *w, int full) {
  static pid_t kids[1 << 16], seen[WATCH_SAMPLES + 1];
  uint32_t nseen = 0;
  long long t = cb_proc_status_field(root, "Threads:");
  if (t < 0) return;
  uint32_t nkids = children(root, kids, sizeof kids / sizeof kids[0]);
  uint64_t threads = (uint64_t)t, fds = cb_proc_count_fds(root), mem = full ? cb_proc_pss_kib(root) : 0;
  uint32_t stride = nkids > WATCH_SAMPLES ? nkids / WATCH_SAMPLES : 1, sampled = 0;
  uint64_t kthreads = 0, kfds = 0, kmem = 0;
  for (uint32_t i = 0; full && i < nkids; i += stride) {
    long long ct = cb_proc_status_field(kids[i], "Threads:");
    if (ct < 0) continue;
    uint64_t m = cb_proc_pss_kib(kids[i]);
    kthreads += (uint64_t)ct;
    kfds += cb_proc_count_fds(kids[i]);
    kmem += m;
    sampled++;
    if (m && nseen < sizeof seen / sizeof seen[0]) seen[nseen++] = kids[i];
  }
  if (sampled) {
    w->kid_threads = (double)kthreads / sampled;
    w->kid_fds = (double)kfds / sampled;
    mem += kmem * nkids / sampled;
  }
  threads += (uint64_t)(w->kid_threads * nkids + 0.5);
  fds += (uint64_t)(w->kid_fds * nkids + 0.5);
  if (threads > pk->peak_threads) pk->peak_threads = (uint32_t)threads;
  if (1 + nkids > pk->peak_procs) pk->peak_procs = 1 + nkids;
  if (fds > pk->peak_fds) pk->peak_fds = (uint32_t)fds;
  if (!full) return;
  /* The sum holds only if no process of it left while we read: the pages it shared went to the
   * others, read later with larger shares, and the pages would count twice (fork's workers all
   * leave at once at the end). */
  for (uint32_t i = 0; i < nseen; i++) {
    char st = cb_proc_state(seen[i]);
    if (st == 0 || st == 'Z' || st == 'X') return;
  }
  if (mem > pk->peak_rss_kib) pk->peak_rss_kib = mem;
}

/* Read len bytes, watching the tree meanwhile. 1 when all came, 0 at an early end, -ETIME past
 * the deadline (0 = none), -errno. */
static int read_watching(int fd, void *buf, size_t len, pid_t child, cb_sample *pk, watcher *w, int64_t deadline) {
  char *p = buf;
  size_t got = 0;
  struct pollfd pf = { .fd = fd, .events = POLLIN };
  while (got < len) {
    /* A signal that came between two polls interrupted none of them: look every time round. */
    if (cb_interrupted) return -EINTR;
    int64_t now = cb_now_ns();
    if (now >= w->next) {
      int full = now >= w->next_full;
      watch(child, pk, w, full);
      /* Every 10 ms, or rarer when looking costs (many processes, thousands of descriptors): at
       * most ~5% of a core, so the runner never takes much from what it measures. A full look
       * costs more, and is rarer by as much. */
      int64_t cost = cb_now_ns() - now, period = cost * 20;
      if (period < 10000000) period = 10000000;
      if (full) w->next_full = cb_now_ns() + period;
      else w->next = cb_now_ns() + period;
      if (full && w->next < cb_now_ns() + 10000000) w->next = cb_now_ns() + 10000000;
    }
    if (deadline && cb_now_ns() >= deadline) return -ETIME;
    int64_t until = deadline && deadline < w->next ? deadline : w->next;
    int ms = (int)((until - cb_now_ns()) / 1000000) + 1;
    int r = poll(&pf, 1, ms);
    if (r < 0 && errno == EINTR) {
      if (cb_interrupted) return -EINTR;
      continue;
    }
    if (r <= 0) continue;
    ssize_t n = read(fd, p + got, len - got);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR && !cb_interrupted) continue;
      return -errno;
    }
    got += (size_t)n;
  }
  return 1;
}

static void merge_into(cb_hist **dst, const cb_hist *src) {
  if (!*dst) {
    if (!(*dst = cb_keep_alloc(sizeof **dst))) return;
    cb_hist_init(*dst);
  }
  cb_hist_merge(*dst, src);
}

/* The load process: a child of the runner, beside the measurement process and outside its tree
 * (its memory and CPU are not the server's). Writes its report and its two histograms to wfd. */
static pid_t start_load(const cb_case *c, const struct sockaddr_in *addr, int lfd, int wfd, const int *close_fds,
                        int nclose) {
  pid_t parent = getpid();
  fflush(NULL);
  pid_t pid = fork();
  if (pid != 0) return pid;
  for (int i = 0; i < nclose; i++) close(close_fds[i]);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  setpgid(0, 0);
  if (cb_die_with_parent(SIGKILL, parent) != 0) _exit(1);
  cb_load_report rep;
  cb_hist *h = malloc(2 * sizeof *h);
  if (!h) _exit(1);
  cb_load_run(c, c->duration, addr, lfd, &rep, &h[0], &h[1]);
  int ok = cb_write_all(wfd, &rep, sizeof rep) == 0 && cb_write_all(wfd, h, 2 * sizeof *h) == 0;
  _exit(ok ? 0 : 1);
}

/* The load's figures are the case's: its latency, errors, checksum and rate. The server's own
 * task errors (a connection it failed on for a reason of its own) add to the errors. */
static void apply_load(const cb_case *c, const cb_load_report *rep, int got, int status, cb_sample *out) {
  uint64_t server_errors = out->errors;
  if (got != 1) {
    out->errors = server_errors + (uint64_t)(c->rate * c->duration + 0.5);
    out->done = 0;
    out->nkinds = 1;
    out->kinds[0].code = -ECHILD;
    out->kinds[0].count = (uint32_t)(c->rate * c->duration + 0.5);
    if (!out->status) out->status = -ECHILD;
    if (WIFSIGNALED(status))
      snprintf(out->err, sizeof out->err, "the load process died of signal %d (%s): its requests count as errors",
               WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
      snprintf(out->err, sizeof out->err, "the load process exited %d without a report: its requests count as errors",
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return;
  }
  if (rep->status && !out->status) {
    out->status = rep->status;
    snprintf(out->err, sizeof out->err, "%.239s", rep->err);
  }
  out->done = rep->done;
  out->errors = rep->errors + server_errors;
  out->checksum = rep->checksum;
  out->rate_achieved = rep->rate_achieved;
  if (rep->wall_s > 0) out->wall_s = rep->wall_s;
  out->nkinds = rep->nkinds;
  memcpy(out->kinds, rep->kinds, sizeof out->kinds);
}

/* CPU seconds, user and system, of the servers the run started (target, Redis). */
typedef struct cpu_split {
  double user, sys;
} cpu_split;

static cpu_split servers_cpu(pid_t spid, pid_t rpid) {
  cpu_split t = { 0, 0 };
  pid_t pids[2] = { spid, rpid };
  for (int i = 0; i < 2; i++) {
    double u, s;
    if (pids[i] > 0 && cb_proc_cpu_split(pids[i], &u, &s) == 0) {
      t.user += u;
      t.sys += s;
    }
  }
  return t;
}

/* The histograms the measurement process sends after its sample, merged into the case's. */
static void read_hists(int fd, cb_case *c, pid_t pid, cb_sample *pk, watcher *w, int64_t deadline) {
  uint32_t nh = 0;
  if (read_watching(fd, &nh, sizeof nh, pid, pk, w, deadline) != 1 || nh > CB_CASE_HISTS) return;
  hist_msg *m = malloc(sizeof *m);
  for (uint32_t i = 0; m && i < nh; i++) {
    if (read_watching(fd, m, sizeof *m, pid, pk, w, deadline) != 1) break;
    /* A server's task latencies are its connections' lives: the load's stand for them. */
    if (c->wl->load && m->kind < CB_CASE_HIST_OPS) continue;
    if (m->kind >= 0 && m->kind < CB_CASE_HISTS) merge_into(cb_case_hist(c, m->kind), &m->h);
  }
  free(m);
}

/* A server case's listening socket, made here through its backend so that both children have it
 * (the measurement process inherits it; the load learns its port in *la), and the pipe the load
 * reports on. 0, or -errno with nothing left open. */
static int open_listener(const cb_case *c, struct sockaddr_in *la, int *lfd, int lgfds[2]) {
  cb_ctx lctx = { .io = c->be->io };
  uint64_t k = c->wl->load->connections(&c->params, c->conc);
  int rc = cb_tcp_listen(&lctx, (const struct sockaddr *)la, k > 128 ? (k > 65535 ? 65535 : (int)k) : 128, lfd);
  socklen_t al = sizeof *la;
  if (rc == 0 && getsockname(*lfd, (struct sockaddr *)la, &al) != 0) rc = -errno;
  if (rc == 0 && pipe2(lgfds, O_CLOEXEC) != 0) rc = -errno;
  if (rc && *lfd >= 0) {
    close(*lfd);
    *lfd = -1;
  }
  return rc;
}

/* What the load process of a server case reported, and what it cost. */
typedef struct load_run {
  int got, status;           /* read_watching's answer for its report; its wait status */
  double cpu;                /* its user CPU: neither others' nor the server's */
  cb_load_report rep;
  cb_hist *lh;               /* its latency and service histograms, or NULL */
} load_run;

/* The load runs while the server's tree is watched (its peak memory is now); then the runner shuts
 * the listener down, so that every accept still waiting, in every process, ends (CB_EOF). */
static void run_load(const cb_case *c, const struct sockaddr_in *la, int lfd, int lgfds[2], const int *closing,
                     pid_t pid, cb_sample *pk, watcher *w, int64_t deadline, load_run *L) {
  /* The load keeps the listener open only to read its accept queue: it never accepts. */
  pid_t lg = start_load(c, la, lfd, lgfds[1], closing, 2);
  close(lgfds[1]);
  if (lg > 0) {
    setpgid(lg, lg);
    L->got = read_watching(lgfds[0], &L->rep, sizeof L->rep, pid, pk, w, deadline);
    if (L->got == 1 && (L->lh = malloc(2 * sizeof *L->lh)) != NULL &&
        read_watching(lgfds[0], L->lh, 2 * sizeof *L->lh, pid, pk, w, deadline) != 1) L->got = 0;
    if (L->got != 1) kill(-lg, SIGKILL);
    struct rusage lru;
    while (wait4(lg, &L->status, 0, &lru) < 0 && errno == EINTR) {}
    L->cpu = tv_s(lru.ru_utime);   /* user time, as others' is counted */
  }
  close(lgfds[0]);
  shutdown(lfd, SHUT_RDWR);
  close(lfd);
}

/* A server case's figures are the load's: its errors and rate, its latencies. */
static void take_load(cb_case *c, const load_run *L, cb_sample *out) {
  apply_load(c, &L->rep, L->got, L->status, out);
  if (L->got != 1 || !L->lh) return;
  merge_into(&c->lat, &L->lh[0]);
  merge_into(&c->svc, &L->lh[1]);
  out->p50_ms = (double)cb_hist_percentile(&L->lh[0], 50) / 1e6;
  out->p90_ms = (double)cb_hist_percentile(&L->lh[0], 90) / 1e6;
  out->p99_ms = (double)cb_hist_percentile(&L->lh[0], 99) / 1e6;
  out->p999_ms = (double)cb_hist_percentile(&L->lh[0], 99.9) / 1e6;
  out->max_ms = (double)cb_hist_percentile(&L->lh[0], 100) / 1e6;
}

/* The sample of a repetition that gave none: stopped by --case-timeout, or the measurement process
 * died (status as waitpid gave it); every task counts as an error. */
static void failed_sample(const cb_case *c, const cb_measure_env *env, int got, int status, int64_t started,
                          cb_sample *out) {
  memset(out, 0, sizeof *out);
  out->status = got == -ETIME ? -ETIMEDOUT : -ECHILD;
  out->errors = c->tasks;
  if (got == -ETIME) {
    out->timed_out = 1;
    out->wall_s = (double)(cb_now_ns() - started) / 1e9;
    snprintf(out->err, sizeof out->err, "stopped after %.3g s by --case-timeout: the case was stuck or too slow",
             env->case_timeout_s);
    out->nkinds = 1;
    out->kinds[0].code = -ETIMEDOUT;
    out->kinds[0].count = (uint32_t)c->tasks;
  }
  else if (WIFSIGNALED(status))
    snprintf(out->err, sizeof out->err, "the measurement process died of signal %d (%s)",
             WTERMSIG(status), strsignal(WTERMSIG(status)));
  else
    snprintf(out->err, sizeof out->err, "the measurement process exited %d without a result",
             WEXITSTATUS(status));
}

int cb_runner_measure(cb_case *c, const cb_measure_env *env, cb_sample *out) {
  int fds[2];
  /* A server case: its listener and the load's pipe first (open_listener). */
  int lfd = -1, lgfds[2] = { -1, -1 };
  struct sockaddr_in la = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (c->wl->load) {
    int rc = open_listener(c, &la, &lfd, lgfds);
    if (rc) return rc;
  }
  if (pipe2(fds, O_CLOEXEC) != 0) {
    int e = -errno;
    if (lfd >= 0) { close(lfd); close(lgfds[0]); close(lgfds[1]); }
    return e;
  }
  pid_t parent = getpid();
  /* The servers the run started work for the case: their CPU is not interference. */
  pid_t spid = env->target && env->target->pid > 0 ? env->target->pid : 0;
  pid_t rpid = env->redis && env->redis->pid > 0 ? env->redis->pid : 0;
  cpu_split server0 = servers_cpu(spid, rpid);
  struct rusage self0, self1;
  getrusage(RUSAGE_SELF, &self0);
  int64_t started = cb_now_ns();
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(fds[0]);
    close(fds[1]);
    if (lfd >= 0) { close(lfd); close(lgfds[0]); close(lgfds[1]); }
    return -e;
  }
  if (pid == 0) {
    /* The measurement process: dies with the runner, takes signals the default way, and its
     * fork workers die with it in turn. */
    close(fds[0]);
    if (lgfds[0] >= 0) { close(lgfds[0]); close(lgfds[1]); }
#ifdef __GLIBC__
    malloc_trim(0);   /* the runner's freed heap: pages each fork worker would copy again */
#endif
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    setpgid(0, 0);    /* a group of its own with its workers: the runner can end them all at once */
    if (cb_die_with_parent(SIGKILL, parent) != 0) _exit(1);
    cb_sample s;
    measure(c, env, &s, fds[1], lfd);
    _exit(0);
  }
  close(fds[1]);
  setpgid(pid, pid);  /* both sides, so the group exists whichever runs first */
  cb_sample pk = { 0 };
  watcher w = { .next = cb_now_ns(), .next_full = cb_now_ns() };
  int64_t deadline = env->case_timeout_s > 0 ? cb_now_ns() + (int64_t)(env->case_timeout_s * 1e9) : 0;
  int got = 1;
  load_run L = { 0 };
  if (lfd >= 0) {
    int closing[] = { fds[0], lgfds[0] };
    run_load(c, &la, lfd, lgfds, closing, pid, &pk, &w, deadline, &L);
    if (L.got == -ETIME || L.got == -EINTR) got = L.got;
  }
  if (got == 1) got = read_watching(fds[0], out, sizeof *out, pid, &pk, &w, deadline);
  if (got == 1) read_hists(fds[0], c, pid, &pk, &w, deadline);
  close(fds[0]);
  /* Stuck past --case-timeout, or interrupted: the measurement process goes, and its fork
   * workers with it (PR_SET_PDEATHSIG). */
  if (got == -ETIME || (got != 1 && cb_interrupted)) kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  getrusage(RUSAGE_SELF, &self1);
  if (got != 1) {
    /* Its workers must be gone before anyone cleans up after them (a fork worker could still be
     * writing into the run's temporary directory): the group is killed, and as the subreaper
     * (cb_runner_signals) the runner reaps each of them. */
    kill(-pid, SIGKILL);
    while (waitpid(-pid, NULL, 0) > 0 || errno == EINTR) {}
  }
  if (got != 1 && cb_interrupted) return -EINTR;
  if (got != 1) failed_sample(c, env, got, status, started, out);
  if (c->wl->load && got == 1) take_load(c, &L, out);
  free(L.lh);
  /* Two views of the tree's peak, both in PSS: the measurement process's own reckoning (its peak,
   * plus fork's workers read while all were alive), and the largest sum the runner saw while it
   * watched (a peak in the middle of the run). Both can only miss; keep the larger. */
  if (pk.peak_rss_kib > out->peak_rss_kib) out->peak_rss_kib = pk.peak_rss_kib;
  out->peak_threads = pk.peak_threads;
  out->peak_procs = pk.peak_procs;
  out->peak_fds = pk.peak_fds;
  double server_user = 0;
  if (spid || rpid) {
    cpu_split server1 = servers_cpu(spid, rpid);
    double all0 = server0.user + server0.sys, all1 = server1.user + server1.sys;
    out->server_cpu_s = all1 >= all0 ? all1 - all0 : 0;
    server_user = server1.user >= server0.user ? server1.user - server0.user : 0;
  }
  /* Others' CPU: the measurement process counted the machine's busy time while the backend ran,
   * less its tree's CPU meanwhile; off come ours (watching the tree) and the server's, both taken
   * over the whole repetition, so at most a little too much. */
  double mine = tv_s(self1.ru_utime) - tv_s(self0.ru_utime);
  double others = out->others_cpu_s - mine - server_user - L.cpu;
  out->others_cpu_s = others > 0 ? others : 0;
  if (out->steal_s > out->others_cpu_s) out->others_cpu_s = out->steal_s;
  return 0;
}

int cb_runner_disturbed(const cb_sample *s, unsigned cores) {
  if (s->wall_s <= 0) return 0;
  /* A quarter of a core on average over the run: the kernel's threads, interrupts and this
   * runner's own wake-ups stay far below it (a few ms a second), one other busy process does not.
   * Or a tenth of the case's own CPU when that is more: a case that keeps many cores busy is little
   * moved by a quarter of one. Plus a tick per CPU (up to 4), since /proc/stat counts whole ticks
   * and a short case's figure is off by as much. */
  unsigned c = cores ? cores : 1;
  double slack = (c < 4 ? c : 4) / (double)sysconf(_SC_CLK_TCK);
  double own = s->user_s + s->sys_s, limit = 0.25 * s->wall_s;
  if (0.10 * own > limit) limit = 0.10 * own;
  return s->others_cpu_s > limit + slack;
}
