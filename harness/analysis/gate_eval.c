/* gate_eval.c: deciding a run's gates on its own rows, which stay meaningful on a noisy machine
 * because both sides of a gate are measured together. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "gate_eval.h"
#include "rows.h"

/* The row of backend be for case c's workload and parameters at concurrency conc; a serial
 * backend's row stands for any concurrency. The same task count is preferred; cases sized by time
 * have their own, and the speedup is then a ratio of throughputs. */
static const cb_case *row_of(const cb_plan *plan, const cb_backend *be, const cb_case *like, uint32_t conc) {
  const cb_case *best = NULL;
  int best_score = -1;
  for (size_t i = 0; i < plan->n; i++) {
    const cb_case *c = &plan->cases[i];
    if (!c->nreps || c->be != be || c->wl != like->wl || strcmp(c->params_str, like->params_str) != 0) continue;
    if (c->conc != conc && !(be->flags & CB_BACKEND_SERIAL)) continue;
    int score = 2 * (c->conc == conc) + (c->tasks == like->tasks);
    if (score > best_score) {
      best = c;
      best_score = score;
    }
  }
  return best;
}

static int holds(cb_gate_op op, double x, double v) {
  switch (op) {
  case CB_GATE_GE: return x >= v;
  case CB_GATE_GT: return x > v;
  case CB_GATE_LE: return x <= v;
  case CB_GATE_LT: return x < v;
  default: return x == v;
  }
}

int cb_gate_eval(const cb_gate *g, const cb_plan *plan, const cb_row *rows, double *figure, char *msg, size_t len) {
  int any = 0, ok = 1;
  double worst = NAN;
  msg[0] = '\0';
  for (size_t i = 0; i < plan->n; i++) {
    const cb_case *a = &plan->cases[i];
    if (!a->nreps || !cb_gate_matches(a, g->a, g->w)) continue;
    /* One figure per parameter set: at c=N, or at the highest concurrency a ran it at. */
    uint32_t conc = g->conc;
    if (!conc)
      for (size_t j = 0; j < plan->n; j++) {
        const cb_case *o = &plan->cases[j];
        if (o->nreps && cb_gate_matches(o, g->a, g->w) && strcmp(o->params_str, a->params_str) == 0 && o->conc > conc)
          conc = o->conc;
      }
    if (a->conc != conc) continue;
    const cb_row ra = rows[i];
    double x;
    const cb_case *b = NULL;
    switch (g->fn) {
    case CB_GATE_SPEEDUP: {
      if (!(b = row_of(plan, g->b, a, conc)) || !(ra.wall.median > 0)) continue;
      const cb_row rb = rows[b - plan->cases];
      /* Tasks per second over tasks per second: the wall ratio when both ran as many tasks. */
      x = (rb.wall.median / (double)b->tasks) / (ra.wall.median / (double)a->tasks);
      break;
    }
    case CB_GATE_EFFICIENCY: x = ra.efficiency; break;
    case CB_GATE_P99: x = ra.p99_ms; break;
    default: x = (double)ra.errors; break;
    }
    if (!isfinite(x)) continue;
    int h = holds(g->op, x, g->value);
    /* The figure shown is the one that decides: the first failing, else the closest call. */
    if (!any || (!h && ok) || (h == ok && fabs(x - g->value) < fabs(worst - g->value))) {
      worst = x;
      snprintf(msg, len, "%s at c=%u, %s", g->w->name, conc, a->params_str);
    }
    if (!h) ok = 0;
    any = 1;
  }
  *figure = worst;
  return any ? ok : -1;
}
