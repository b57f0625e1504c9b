/* registry.c: every backend and workload, found by name. One line per addition. */
#include <string.h>
#include "backend.h"

extern const cb_backend cb_backend_sync, cb_backend_threads, cb_backend_fork, cb_backend_uv,
  cb_backend_uv_offload;
extern const cb_workload cb_workload_sleep, cb_workload_cpu, cb_workload_http, cb_workload_crawl,
  cb_workload_file, cb_workload_queue, cb_workload_mixed;

static const cb_backend *const backends[] = {
  &cb_backend_sync,
  &cb_backend_threads,
  &cb_backend_fork,
  &cb_backend_uv,
  &cb_backend_uv_offload,
  NULL,
};

static const cb_workload *const workloads[] = {
  &cb_workload_sleep,
  &cb_workload_cpu,
  &cb_workload_http,
  &cb_workload_crawl,
  &cb_workload_file,
  &cb_workload_queue,
  &cb_workload_mixed,
  NULL,
};

const cb_backend *const *cb_backends(void) { return backends; }
const cb_workload *const *cb_workloads(void) { return workloads; }

const cb_backend *cb_backend_find(const char *name) {
  for (const cb_backend *const *b = backends; *b; b++)
    if (strcmp((*b)->name, name) == 0) return *b;
  return NULL;
}

const cb_workload *cb_workload_find(const char *name) {
  for (const cb_workload *const *w = workloads; *w; w++)
    if (strcmp((*w)->name, name) == 0) return *w;
  return NULL;
}
