/* plan.c: expanding a run's options into cases. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plan.h"
#include "util.h"

/* Values of parameter k of wl for this run: the -p list, or the default alone. */
static int pvals(const cb_run_cfg *cfg, const cb_workload *wl, unsigned k, const double **vals) {
  for (int i = 0; i < cfg->nps; i++)
    if (strcmp(cfg->ps[i].name, wl->params[k].name) == 0) {
      *vals = cfg->ps[i].vals;
      return cfg->ps[i].n;
    }
  *vals = &wl->params[k].def;
  return 1;
}

static int push(cb_plan *plan, const cb_case *c) {
  if (plan->n == plan->cap) {
    size_t ncap = plan->cap ? plan->cap * 2 : 16;
    cb_case *nc = realloc(plan->cases, ncap * sizeof *nc);
    if (!nc) return -ENOMEM;
    plan->cases = nc;
    plan->cap = ncap;
  }
  plan->cases[plan->n++] = *c;
  return 0;
}

int cb_case_check_calls(const cb_workload *wl, const cb_backend *be, int open_loop, char *err, size_t len) {
  unsigned uses = wl->uses | (open_loop ? CB_USES_TIME : 0);
  const char *member = "io";
  unsigned lacks = be->io ? cb_io_lacks(be->io, uses, &member) : uses;
  if (!lacks) return 0;
  unsigned k = 0;
  while (!(lacks & (1u << k))) k++;
  if (err && len)
    snprintf(err, len, "backend %s cannot run workload %s: it lacks the %s calls the workload%s uses (cb_io.%s); "
             "choose another backend or workload", be->name, wl->name, cb_uses_names[k],
             open_loop && !(wl->uses & lacks) ? "'s open loop" : "", member);
  return -1;
}

/* Up to the next of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten (at most +25%). */
static uint64_t round_nice(uint64_t n) {
  static const unsigned steps[] = { 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100 };
  if (n <= 10) return n ? n : 1;
  uint64_t scale = 1;
  while (n > 100 * scale) scale *= 10;   /* n in (10 scale, 100 scale] */
  for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
    if (steps[i] * scale >= n) return steps[i] * scale;
  return n;
}

uint64_t cb_plan_size(const cb_workload *wl, const cb_params *p, uint32_t conc, double target_s, const cb_machine *m) {
  if (!wl->ideal || conc == 0) return 0;
  /* The ideal grows with N: double until it reaches the target, then bisect for the fewest. */
  uint64_t lo = 0, hi = conc;
  while (wl->ideal(p, hi, conc, m) < target_s) {
    if (hi >= CB_PLAN_MAX_SIZED / 2) return CB_PLAN_MAX_SIZED;
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (wl->ideal(p, mid, conc, m) < target_s) lo = mid;
    else hi = mid;
  }
  uint64_t n = round_nice(hi);
  if (n < 2 * (uint64_t)conc) n = 2 * (uint64_t)conc;
  /* Whole rounds: every worker runs the same number of tasks. With 15 tasks at c=2 the last round
   * runs one task on one core, 8 task-times for 15 tasks against 10 for 20: time per task moved
   * 7% between two runs whose calibrations fell either side of a step. */
  return (n + conc - 1) / conc * conc;
}

int cb_plan_build(const cb_run_cfg *cfg, const cb_machine *m, cb_plan *plan) {
  memset(plan, 0, sizeof *plan);
  cb_plan_policy(plan, cfg);
  return cb_plan_add(plan, cfg, m);
}

void cb_plan_policy(cb_plan *plan, const cb_run_cfg *cfg) {
  plan->reps = cfg->reps;
  plan->reps_auto = cfg->reps_auto;
  plan->reps_max = cfg->reps_auto && cfg->reps_max > cfg->reps ? cfg->reps_max : cfg->reps;
  plan->ci = cfg->ci;
  plan->budget_s = cfg->budget_s;
  plan->seed = cfg->seed;
}

int cb_plan_add(cb_plan *plan, const cb_run_cfg *cfg, const cb_machine *m) {
  size_t first = plan->n;
  for (int w = 0; w < cfg->nwl; w++) {
    const cb_workload *wl = cfg->wl[w];
    /* Odometer over the parameter value lists: the cartesian product, first parameter slowest. */
    int idx[CB_MAX_PARAMS] = { 0 }, cnt[CB_MAX_PARAMS];
    const double *vals[CB_MAX_PARAMS];
    for (unsigned k = 0; k < wl->nparams; k++) cnt[k] = pvals(cfg, wl, k, &vals[k]);
    for (;;) {
      cb_case c = { .wl = wl, .tasks = cfg->tasks };
      for (unsigned k = 0; k < wl->nparams; k++) c.params.v[k] = vals[k][idx[k]];
      cb_params_format(wl, &c.params, c.params_str, sizeof c.params_str);
      for (int b = 0; b < cfg->nbe; b++)
        if (cb_case_check_calls(wl, cfg->be[b], cfg->rate > 0, NULL, 0) != 0) { cb_plan_free(plan); return -ENOTSUP; }
      /* Each offered rate is its own case (none: closed loop, one pass). */
      int nrates = cfg->nrates > 0 ? cfg->nrates : 1;
      for (int ri = 0; ri < nrates; ri++) {
      double rate = cfg->nrates > 0 ? cfg->rates[ri] : cfg->rate;
      c.rate = rate;
      c.duration = rate > 0 ? cfg->duration : 0;
      c.tasks = rate > 0 ? (uint64_t)(rate * cfg->duration + 0.5) : cfg->tasks;
      if (wl->tasks) c.tasks = wl->tasks(&c.params);
      for (int ci = 0; ci < cfg->nconc; ci++) {
        for (int b = 0; b < cfg->nbe; b++) {
          if (cfg->serial_once && ci > 0 && (cfg->be[b]->flags & CB_BACKEND_SERIAL)) continue;
          c.be = cfg->be[b];
          c.conc = cfg->conc[ci];
          c.eff_conc = (c.be->flags & CB_BACKEND_SERIAL) ? 1 : c.conc;
          c.cores = m->cores;
          /* A server's tasks are the load's connections, whatever the rate. */
          if (wl->load) c.tasks = wl->load->connections(&c.params, c.conc);
          if (cfg->target_s > 0 && !wl->tasks && !wl->load && rate <= 0) {
            /* Sized by time: each model at its own concurrency does enough to be timed. */
            uint64_t n = cb_plan_size(wl, &c.params, c.eff_conc, cfg->target_s, m);
            c.tasks = n ? n : cfg->tasks;
            c.sized = n != 0;
          }
          if (c.eff_conc > c.tasks) c.eff_conc = (uint32_t)c.tasks;
          char rs[48] = "";
          if (wl->load && rate > 0) snprintf(rs, sizeof rs, "-r%g", rate);
          snprintf(c.id, sizeof c.id, "%s-%s-n%llu-c%u%s-%s", wl->name, c.be->name,
                   (unsigned long long)c.tasks, c.conc, rs, c.params_str);
          for (char *q = c.id; *q; q++) if (*q == ';' || *q == '/') *q = '_';
          if (push(plan, &c) != 0) goto oom;
        }
      }
      }
      int k = (int)wl->nparams - 1;
      while (k >= 0 && ++idx[k] == cnt[k]) idx[k--] = 0;
      if (k < 0) break;
    }
  }
  cb_plan_ideals(plan, m);
  for (size_t i = first; i < plan->n; i++) {
    unsigned room = plan->reps_max > plan->reps ? plan->reps_max : plan->reps ? plan->reps : 1;
    plan->cases[i].reps = cb_keep_alloc(room * sizeof(cb_sample));
    if (!plan->cases[i].reps) goto oom;
  }
  return 0;
oom:
  cb_plan_free(plan);
  return -ENOMEM;
}

void cb_plan_ideals(cb_plan *plan, const cb_machine *m) {
  for (size_t i = 0; i < plan->n; i++) {
    cb_case *c = &plan->cases[i];
    c->ideal_s = c->wl->ideal ? c->wl->ideal(&c->params, c->tasks, c->eff_conc, m) : 0;
    /* Open loop: the last task cannot start before its slot, nor end before one task's time. */
    if (c->wl->load && c->rate > 0) {
      /* A server under load: the schedule's span, and one request's time after its last one. */
      c->ideal_s = c->duration + (c->wl->ideal ? c->wl->ideal(&c->params, 1, 1, m) : 0);
    } else if (c->wl->ideal && c->rate > 0 && c->tasks > 0) {
      double last = (double)(c->tasks - 1) / c->rate + c->wl->ideal(&c->params, 1, 1, m);
      if (last > c->ideal_s) c->ideal_s = last;
    }
  }
}

void cb_plan_learn(cb_plan *plan, cb_machine *m) {
  for (size_t i = 0; i < plan->n; i++)
    for (unsigned r = 0; r < plan->cases[i].nreps; r++) {
      double u = plan->cases[i].reps[r].unit_s;
      if (u > 0 && (m->unit_s <= 0 || u < m->unit_s)) m->unit_s = u;
    }
  cb_plan_ideals(plan, m);
}

cb_hist **cb_case_hist(cb_case *c, int k) {
  if (k == 0) return &c->lat;
  if (k == 1) return &c->svc;
  if (k == 2) return &c->done;
  return &c->ops[k - CB_CASE_HIST_OPS];
}

void cb_case_free_hists(cb_case *c) {
  for (int k = 0; k < CB_CASE_HISTS; k++) {
    cb_hist **h = cb_case_hist(c, k);
    cb_keep_free(*h);
    *h = NULL;
  }
}

void cb_plan_free(cb_plan *plan) {
  for (size_t i = 0; i < plan->n; i++) {
    cb_keep_free(plan->cases[i].reps);
    cb_case_free_hists(&plan->cases[i]);
  }
  free(plan->cases);
  memset(plan, 0, sizeof *plan);
}
