/* fork.c: pre-forked worker processes claiming tasks from a counter in MAP_SHARED memory. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "backend.h"
#include "procfs.h"

/* How many workers at most read their own PSS (see child_main). */
#define FORK_PSS_SAMPLES 64

/* Block until every write end of the pipe whose read end is fd is closed: by a worker that
 * reached the point, or by the kernel for one that died. Nothing is ever written. */
static void wait_all_closed(int fd) {
  char c;
  while (read(fd, &c, 1) < 0 && errno == EINTR) {}
}

/* The pool's memory is counted once, at its fullest: a worker that has no task left reads its own
 * PSS and then waits, alive, until every worker has read its own and the parent its own; only
 * then do they exit. So every figure is read while all the pool is alive, each shared page split
 * among all its sharers. Read at each exit instead, later ones would see fewer sharers and count
 * the shared pages over again. A pipe is the barrier: each closes its write end once it has read,
 * and waits for end-of-file; a worker that crashed has its end closed by the kernel, so none
 * hangs. Reading before the wait, not after, overlaps the reads with the others' last tasks. */
static void child_main(cb_job *job, uint32_t worker, uint32_t stride, pid_t parent, const int read_barrier[2]) {
  /* Die with the parent rather than outlive it; the check closes the race with an early exit. */
  if (cb_die_with_parent(SIGKILL, parent) != 0) _exit(1);
  cb_ctx ctx = { .io = &cb_io_blocking, .job = job, .worker = worker, .ops = cb_job_ops(job, worker) };
  cb_job_work(job, &ctx);
  /* Every stride-th worker reads its PSS (the kernel walks its page tables, ~0.3 ms): the workers
   * run the same code on the same data, so a sample spread over the pool stands for all of it,
   * and 10,000 workers do not spend seconds of the timed run measuring themselves. */
  if (worker % stride == 0) {
    atomic_fetch_add(&job->sh->children_pss_kib, cb_proc_pss_kib(0));
    atomic_fetch_add(&job->sh->children_sampled, 1);
  }
  close(read_barrier[1]);
  wait_all_closed(read_barrier[0]);
  _exit(0);
}

static int fork_run(cb_job *job) {
  uint32_t n = cb_job_workers(job), started = 0;
  uint32_t stride = n > FORK_PSS_SAMPLES ? n / FORK_PSS_SAMPLES : 1;
  int rc = 0;
  pid_t parent = getpid();
  int barrier[2];
  pid_t *pids = calloc(n ? n : 1, sizeof *pids);
  if (!pids) {
    snprintf(job->err, sizeof job->err, "out of memory for %u process records", n);
    return -ENOMEM;
  }
  if (pipe2(barrier, O_CLOEXEC) != 0) {
    rc = -errno;
    free(pids);
    snprintf(job->err, sizeof job->err, "could not make the workers' barrier pipe: %s", strerror(-rc));
    return rc;
  }
  fflush(NULL);          /* children must not flush our buffers again */
  for (; started < n; started++) {
    pid_t pid = fork();
    if (pid == 0) child_main(job, started, stride, parent, barrier);
    if (pid < 0) {
      rc = -errno;
      snprintf(job->err, sizeof job->err,
               "could not fork worker %u of %u: %s; lower -c or raise the process limit (ulimit -u)",
               started + 1, n, strerror(errno));
      break;
    }
    pids[started] = pid;
  }
  /* Our own share, read while the workers are all alive (they wait for us). */
  uint64_t rss = 0, pss = 0;
  if (cb_proc_mem_kib(0, &rss, &pss) == 0) {
    atomic_store(&job->sh->parent_rss_kib, rss);
    atomic_store(&job->sh->parent_pss_kib, pss);
  }
  close(barrier[1]);
  close(barrier[0]);
  job->workers = started;

  /* Reap every child. One that crashed left its task unfinished: the summary counts it as an
   * error, and the others go on claiming, so a crash never hangs the run. */
  uint32_t crashed = 0;
  for (uint32_t k = 0; k < started; k++) {
    int status;
    pid_t r;
    while ((r = waitpid(pids[k], &status, 0)) < 0 && errno == EINTR) {}
    if (r < 0) continue;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) crashed++;
  }
  if (crashed && rc == 0)
    snprintf(job->err, sizeof job->err, "%u of %u worker processes died abnormally", crashed, started);
  /* The sampled workers' PSS, scaled to the whole pool. */
  uint64_t sampled = atomic_load(&job->sh->children_sampled);
  if (sampled && sampled < started)
    atomic_store(&job->sh->children_pss_kib, atomic_load(&job->sh->children_pss_kib) * started / sampled);
  free(pids);
  return rc;
}

const cb_backend cb_backend_fork = {
  .name = "fork",
  .summary = "pre-forked processes claiming tasks through MAP_SHARED memory; blocking IO",
  .flags = CB_BACKEND_PARALLEL,
  .needs = { .threads_per_worker = 1, .procs_per_worker = 1, .maps_per_worker = 0, .mem_kib_per_worker = 1024 },
  .io = &cb_io_blocking,
  .run = fork_run,
};
