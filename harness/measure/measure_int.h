/* measure_int.h: what primitives.c and primitives_mem.c share; internal to the measure layer. */
#ifndef CB_MEASURE_INT_H
#define CB_MEASURE_INT_H

#include <stddef.h>
#include <sys/types.h>
#include "primitives.h"

typedef struct cb__prim_ctx {
  const cb_prim_cfg *cfg;
  char err[512];           /* the one line that says why a step failed */
} cb__prim_ctx;

/* "cannot create what i of n: strerror(e); the limits that can refuse it". */
void cb__prim_limit_error(char *err, size_t len, const char *what, unsigned i, unsigned n, int e);
/* waitpid across EINTR; status may be NULL. 0 or -errno. */
int cb__prim_reap(pid_t pid, int *status);
/* cfg->trials fresh idle-memory trials of one kind (0 coroutines, 1 threads with stack bytes of
 * stack, 0 = the default, 2 processes) into the PSS and the RSS row. 0, or -errno with P->err. */
int cb__prim_memory_rows(cb__prim_ctx *P, int kind, size_t stack, cb_prim_row *pss, cb_prim_row *rss);

#endif
