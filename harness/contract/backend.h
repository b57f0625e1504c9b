/* backend.h: the backend table: a concurrency model that runs a job's tasks. */
#ifndef CB_BACKEND_H
#define CB_BACKEND_H

#include "job.h"

enum {
  CB_BACKEND_SERIAL = 1u << 0,     /* runs one task at a time whatever -c says */
};

/* What a backend needs from the machine for one worker, for the limit checks before a run. */
typedef struct cb_backend_needs {
  uint32_t threads_per_worker;     /* kernel tasks (threads or processes) */
  uint32_t procs_per_worker;       /* processes */
  uint32_t maps_per_worker;        /* memory mappings (stacks and their guard pages) */
  uint64_t mem_kib_per_worker;     /* a conservative estimate of resident memory */
  uint32_t uv_pool;                /* 1: libuv's thread pool too (UV_THREADPOOL_SIZE threads) */
} cb_backend_needs;

typedef struct cb_backend {
  const char *name;
  const char *summary;
  unsigned flags;
  cb_backend_needs needs;
  /* Run every task of job, at most job->conc at a time. 0, or negative with job->err set. */
  int (*run)(cb_job *job);
} cb_backend;

/* The IO implementation shared by the blocking backends (sync, threads, fork). */
extern const cb_io cb_io_blocking;

#endif
