/* registry.c: every backend and workload compiled in, found by name. A new one is one line here. */
#include <string.h>
#include "registry.h"

/* Each X(name) is the table cb_backend_<name> or cb_workload_<name> in backends/ or workloads/.
 * Every entry ends with a backslash and the list with an empty line, so adding one is one line. */
#define BACKENDS(X) \
  X(sync)           \
  X(threads)        \
  X(fork)           \
  X(uv)             \
  X(uv_offload)     \
  X(uring)          \
  X(uv_mt)          \

#define WORKLOADS(X) \
  X(sleep)           \
  X(cpu)             \
  X(http)            \
  X(crawl)           \
  X(file)            \
  X(queue)           \
  X(mixed)           \
  X(chain)           \
  X(redis)           \
  X(server)          \

/* What `run -w` defaults to: one workload that waits and one that computes. */
#define DEFAULT_WORKLOADS(X) \
  X(sleep)                   \
  X(cpu)

#define DECLARE_BACKEND(n) extern const cb_backend cb_backend_##n;
#define DECLARE_WORKLOAD(n) extern const cb_workload cb_workload_##n;
#define ENTRY_BACKEND(n) &cb_backend_##n,
#define ENTRY_WORKLOAD(n) &cb_workload_##n,
BACKENDS(DECLARE_BACKEND)
WORKLOADS(DECLARE_WORKLOAD)

static const cb_backend *const backends[] = { BACKENDS(ENTRY_BACKEND) NULL };
static const cb_workload *const workloads[] = { WORKLOADS(ENTRY_WORKLOAD) NULL };
static const cb_workload *const default_workloads[] = { DEFAULT_WORKLOADS(ENTRY_WORKLOAD) NULL };

const cb_backend *const *cb_backends(void) { return backends; }
const cb_workload *const *cb_workloads(void) { return workloads; }
const cb_workload *const *cb_workloads_default(void) { return default_workloads; }

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
