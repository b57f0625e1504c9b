/* fork.c: pre-forked worker processes claiming tasks from a counter in MAP_SHARED memory. */
#include <errno.h>
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

static void child_main(cb_job *job, uint32_t worker, pid_t parent) {
  /* Die with the parent rather than outlive it; the check closes the race with an early exit. */
  if (cb_die_with_parent(SIGKILL, parent) != 0) _exit(1);
  cb_ctx ctx = { .io = &cb_io_blocking, .job = job, .worker = worker, .ops = cb_job_ops(job, worker) };
  cb_job_work(job, &ctx);
  /* Our proportional share of memory (shared pages split among their sharers): the parent adds
   * every worker's, so the pool's footprint is counted once. */
  atomic_fetch_add(&job->sh->children_pss_kib, cb_proc_pss_kib(0));
  _exit(0);
}

static int fork_run(cb_job *job) {
  uint32_t n = cb_job_workers(job), started = 0;
  int rc = 0;
  pid_t parent = getpid();
  pid_t *pids = calloc(n ? n : 1, sizeof *pids);
  if (!pids) {
    snprintf(job->err, sizeof job->err, "out of memory for %u process records", n);
    return -ENOMEM;
  }
  fflush(NULL);          /* children must not flush our buffers again */
  for (; started < n; started++) {
    pid_t pid = fork();
    if (pid == 0) child_main(job, started, parent);
    if (pid < 0) {
      rc = -errno;
      snprintf(job->err, sizeof job->err,
               "could not fork worker %u of %u: %s; lower -c or raise the process limit (ulimit -u)",
               started + 1, n, strerror(errno));
      break;
    }
    pids[started] = pid;
  }
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
