/* workload.h: the workload table: what one task does, its parameters and its ideal time. */
#ifndef CB_WORKLOAD_H
#define CB_WORKLOAD_H

#include "cb.h"

#define CB_MAX_PARAMS 8

typedef enum cb_kind { CB_KIND_IO, CB_KIND_CPU, CB_KIND_MIXED } cb_kind;

typedef struct cb_param_spec {
  const char *name;
  const char *unit;
  const char *help;
  double def, min, max;
  int integer;           /* only whole numbers allowed */
} cb_param_spec;

/* Parameter values, in the order of the workload's specs. */
typedef struct cb_params {
  double v[CB_MAX_PARAMS];
} cb_params;

/* What the ideal time may depend on besides the case. */
typedef struct cb_machine {
  unsigned cores;        /* CPUs this process may run on */
  double unit_s;         /* seconds for one cb_compute unit on one core, calibrated at start */
} cb_machine;

typedef struct cb_workload {
  const char *name;
  const char *summary;
  cb_kind kind;
  const cb_param_spec *params;
  unsigned nparams;
  /* Optional: build shared state before the workers start (inherited by fork children). */
  int (*setup)(const cb_params *p, uint64_t ntasks, void **state);
  /* Task `index`; writes its contribution to the case checksum. 0 or a negative error. */
  int (*task)(cb_ctx *ctx, const cb_params *p, void *state, uint64_t index, uint64_t *sum);
  /* Optional. */
  void (*teardown)(void *state);
  /* The physical lower bound on wall time for n tasks run `conc` at a time on machine m. */
  double (*ideal)(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m);
} cb_workload;

#endif
