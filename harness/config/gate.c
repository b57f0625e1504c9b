/* gate.c: in-run regression gates, read from text ("speedup(uv,sync,sleep)>=10") and checked
 * against the plan before anything runs; analysis/gate_eval.c decides them on the rows. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gate.h"
#include "registry.h"
#include "util.h"

static const char *const fn_names[] = { "speedup", "efficiency", "p99", "errors" };

int cb_gate_parse(const char *text, cb_gate *g, char *err, size_t len) {
  char buf[256], *args[5];
  memset(g, 0, sizeof *g);
  if (snprintf(g->text, sizeof g->text, "%s", text) >= (int)sizeof g->text) {
    snprintf(err, len, "gate '%.40s...' is too long", text);
    return -1;
  }
  /* No spaces matter: "speedup(uv, sync, sleep) >= 10" reads as "speedup(uv,sync,sleep)>=10". */
  size_t n = 0;
  for (const char *p = text; *p && n < sizeof buf - 1; p++)
    if (!isspace((unsigned char)*p)) buf[n++] = *p;
  buf[n] = '\0';
  char *open = strchr(buf, '('), *close = open ? strchr(open, ')') : NULL;
  if (!open || !close) goto syntax;
  *open = '\0';
  *close = '\0';
  int f = -1;
  for (int i = 0; i < 4; i++)
    if (strcmp(buf, fn_names[i]) == 0) f = i;
  if (f < 0) {
    snprintf(err, len, "gate '%s': unknown function '%s'; use speedup, efficiency, p99 or errors", text, buf);
    return -1;
  }
  g->fn = (cb_gate_fn)f;
  int nargs = cb_split(open + 1, ',', args, 5);
  int need = g->fn == CB_GATE_SPEEDUP ? 3 : 2;
  if (nargs > need && strncmp(args[nargs - 1], "c=", 2) == 0) {
    uint64_t c;
    if (cb_parse_u64(args[nargs - 1] + 2, &c) != 0 || c < 1 || c > 1000000) goto syntax;
    g->conc = (uint32_t)c;
    nargs--;
  }
  if (nargs != need) {
    snprintf(err, len, "gate '%s': %s takes %s", text, fn_names[f],
             need == 3 ? "(BACKEND, BASELINE_BACKEND, WORKLOAD[, c=N])" : "(BACKEND, WORKLOAD[, c=N])");
    return -1;
  }
  if (!(g->a = cb_backend_find(args[0]))) {
    snprintf(err, len, "gate '%s': unknown backend '%s' (concbench list)", text, args[0]);
    return -1;
  }
  if (need == 3 && !(g->b = cb_backend_find(args[1]))) {
    snprintf(err, len, "gate '%s': unknown backend '%s' (concbench list)", text, args[1]);
    return -1;
  }
  if (!(g->w = cb_workload_find(args[need - 1]))) {
    snprintf(err, len, "gate '%s': unknown workload '%s' (concbench list)", text, args[need - 1]);
    return -1;
  }
  char *rest = close + 1;
  static const struct { const char *s; cb_gate_op op; } ops[] = {
    { ">=", CB_GATE_GE }, { "<=", CB_GATE_LE }, { "==", CB_GATE_EQ }, { ">", CB_GATE_GT }, { "<", CB_GATE_LT },
  };
  size_t i;
  for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (strncmp(rest, ops[i].s, strlen(ops[i].s)) == 0) break;
  if (i == sizeof ops / sizeof ops[0]) goto syntax;
  g->op = ops[i].op;
  if (cb_parse_double(rest + strlen(ops[i].s), &g->value) != 0) goto syntax;
  return 0;
syntax:
  snprintf(err, len, "gate '%s' is not FUNCTION(ARGS) OP NUMBER, e.g. 'speedup(uv,sync,sleep)>=10' or "
           "'efficiency(uv,sleep)>=0.8'", text);
  return -1;
}

int cb_gate_matches(const cb_case *c, const cb_backend *be, const cb_workload *w) {
  return c->be == be && c->wl == w;
}

int cb_gate_check(const cb_gate *g, const cb_plan *plan, char *err, size_t len) {
  int have_a = 0, have_b = g->b == NULL;
  for (size_t i = 0; i < plan->n; i++) {
    const cb_case *c = &plan->cases[i];
    have_a |= cb_gate_matches(c, g->a, g->w) && (!g->conc || c->conc == g->conc);
    if (g->b) have_b |= cb_gate_matches(c, g->b, g->w);
  }
  if (!have_a || !have_b) {
    snprintf(err, len, "gate '%s' needs %s%s%s on %s%s, which this run does not measure; add them (-b, -w, -c) or drop the gate",
             g->text, g->a->name, g->b ? " and " : "", g->b ? g->b->name : "", g->w->name, g->conc ? " at that concurrency" : "");
    return -1;
  }
  return 0;
}
