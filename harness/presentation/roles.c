/* roles.c: what part each backend plays in the comparisons (baseline, loop, its variations, rivals), read from the flags results.json carries. */
#include <math.h>
#include <string.h>
#include "backend.h"
#include "presentation_int.h"

int cb__is_baseline(const cb_rbackend *b) {
  return (b->flags & CB_BACKEND_BASELINE) != 0;
}

int cb__is_concurrent(const cb_rbackend *b) {
  return !(b->flags & (CB_BACKEND_SERIAL | CB_BACKEND_BASELINE));
}

int cb__is_loop(const cb_rbackend *b) {
  return (b->flags & CB_BACKEND_LOOP) && !b->extends[0];
}

/* uv-offload computes on several cores too, but it is the loop's own variation: it is compared
 * with the loop by the recovery finding, not as a rival. */
int cb__is_rival(const cb_rbackend *b) {
  return (b->flags & CB_BACKEND_PARALLEL) && !(b->flags & CB_BACKEND_LOOP);
}

int cb__extends(const cb_rbackend *b, const cb_rbackend *base) {
  return base && b->extends[0] && strcmp(b->extends, base->name) == 0;
}

static int has_cases(const cb_results *r, const cb_rbackend *b) {
  for (size_t i = 0; i < r->n; i++)
    if (r->cases[i].be == b) return 1;
  return 0;
}

const cb_rbackend *cb__baseline_of(const cb_results *r) {
  for (size_t i = 0; i < r->nbackends; i++)
    if (cb__is_baseline(&r->backends[i]) && has_cases(r, &r->backends[i])) return &r->backends[i];
  return NULL;
}

const cb_rbackend *cb__loop_of(const cb_results *r) {
  for (size_t i = 0; i < r->nbackends; i++)
    if (cb__is_loop(&r->backends[i]) && has_cases(r, &r->backends[i])) return &r->backends[i];
  return NULL;
}

double cb__sweep_value(const cb_rcase *c) {
  return c->wl->sweep[0] ? cb_rcase_param(c, c->wl->sweep) : NAN;
}
