/* registry.h: every backend and workload compiled in, found by name. */
#ifndef CB_REGISTRY_H
#define CB_REGISTRY_H

#include "backend.h"

const cb_backend *cb_backend_find(const char *name);
const cb_backend *const *cb_backends(void);         /* NULL-terminated */
const cb_workload *cb_workload_find(const char *name);
const cb_workload *const *cb_workloads(void);       /* NULL-terminated */
const cb_workload *const *cb_workloads_default(void);   /* run's workloads without -w */

#endif
