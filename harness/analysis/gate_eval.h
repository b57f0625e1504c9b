/* gate_eval.h: deciding a run's gates (config/gate.h) on its measured rows. */
#ifndef CB_GATE_EVAL_H
#define CB_GATE_EVAL_H

#include <stddef.h>
#include "gate.h"
#include "rows.h"

/* Evaluate g on the measured rows (rows[i] for plan->cases[i]): 1 holds, 0 fails, -1 no figure (nothing measured). *figure is
 * the worst over the parameter sets the workload ran with; msg says what was compared. */
int cb_gate_eval(const cb_gate *g, const cb_plan *plan, const cb_row *rows, double *figure, char *msg, size_t len);

#endif
