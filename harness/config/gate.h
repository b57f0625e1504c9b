/* gate.h: in-run regression gates: "speedup(uv,sync,sleep)>=10", checked on the run's own rows,
 * which stay meaningful on a noisy machine because both sides are measured together. */
#ifndef CB_GATE_H
#define CB_GATE_H

#include <stddef.h>
#include "plan.h"

#define CB_MAX_GATES 32

typedef enum cb_gate_fn { CB_GATE_SPEEDUP, CB_GATE_EFFICIENCY, CB_GATE_P99, CB_GATE_ERRORS } cb_gate_fn;
typedef enum cb_gate_op { CB_GATE_GE, CB_GATE_GT, CB_GATE_LE, CB_GATE_LT, CB_GATE_EQ } cb_gate_op;

typedef struct cb_gate {
  char text[256];
  cb_gate_fn fn;
  const cb_backend *a, *b;     /* speedup(a, b, w): b's median wall over a's */
  const cb_workload *w;
  uint32_t conc;               /* c=N, or 0: the highest concurrency a ran w at */
  cb_gate_op op;
  double value;
} cb_gate;

/* Parse one gate: speedup(A,B,W[,c=N]), efficiency(A,W[,c=N]), p99(A,W[,c=N]) (ms),
 * errors(A,W[,c=N]); then >=, >, <=, < or == and a number. 0, or -1 with why in err. */
int cb_gate_parse(const char *text, cb_gate *g, char *err, size_t len);

/* Is case c one of backend be on workload w (a side of a gate)? */
int cb_gate_matches(const cb_case *c, const cb_backend *be, const cb_workload *w);

/* Does the plan measure what g needs? 0, or -1 with why. Checked before anything runs. */
int cb_gate_check(const cb_gate *g, const cb_plan *plan, char *err, size_t len);

#endif
