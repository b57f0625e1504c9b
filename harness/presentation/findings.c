/* findings.c: the report's findings: what wins on IO and on CPU, how close to the ideal, what a task costs, what to distrust; the sweep's own rules are in findings_sweep.c. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "presentation_int.h"

/* IO: the fastest backend against the baseline at the highest concurrency both ran, and its memory
 * against the other concurrent backends there. */
static int rule_io_speedup(const cb__report *R, const cb__group *g, cb__slist *out) {
  (void)R;
  if (!cb__group_is_io(g)) return 0;
  uint32_t C = 0;
  for (size_t i = 0; i < g->n; i++)
    if (!cb__is_baseline(g->c[i]->be) && isfinite(cb__speedup(g, g->c[i])) && g->c[i]->conc > C) C = g->c[i]->conc;
  if (!C) return 0;
  const cb_rcase *base = cb__gbase(g, C), *fast = NULL;
  for (size_t i = 0; i < g->n; i++) {
    const cb_rcase *c = g->c[i];
    if (c->conc == C && !cb__is_baseline(c->be) && isfinite(cb__speedup(g, c)) &&
        (!fast || cb__speedup(g, c) > cb__speedup(g, fast)))
      fast = c;
  }
  double x = cb__speedup(g, fast);
  char xs[32], tf[32], ts[32], share[32];
  cb_sbuf s = { 0 };
  if (fast->tasks == base->tasks) {
    cb__fmt_secs(fast->wall_median, tf, sizeof tf);
    cb__fmt_secs(base->wall_median, ts, sizeof ts);
  } else {
    /* Sized by time, they ran different numbers of tasks: their throughputs. */
    cb__fmt_rate((double)fast->tasks / fast->wall_median, tf, sizeof tf);
    cb__fmt_rate((double)base->tasks / base->wall_median, ts, sizeof ts);
  }
  /* Backends whose intervals overlap the fastest's are as fast as it: none of them is named the
   * winner. With too few repetitions no one is. */
  int thin = fast->reps < REPORT_MIN_REPS || base->reps < REPORT_MIN_REPS, nties = 0;
  for (size_t i = 0; i < g->n; i++) {
    const cb_rcase *c = g->c[i];
    nties += c != fast && c->conc == C && !cb__is_baseline(c->be) && isfinite(cb__speedup(g, c)) && cb__overlap(c, fast);
  }
  if (x >= 1 && thin) {
    cb_sb_printf(&s, "On %s at c=%u, %u repetition%s too few to rank the backends: against %s (%s), ", g->label, C,
                 fast->reps < base->reps ? fast->reps : base->reps,
                 (fast->reps < base->reps ? fast->reps : base->reps) == 1 ? " is" : "s are", base->backend, ts);
    for (size_t i = 0, k = 0; i < g->n; i++) {
      const cb_rcase *c = g->c[i];
      if (c->conc != C || cb__is_baseline(c->be) || !isfinite(cb__speedup(g, c))) continue;
      cb__fmt_x(cb__speedup(g, c), xs, sizeof xs);
      cb_sb_printf(&s, "%s%s ran %s as fast", k++ ? ", " : "", c->backend, xs);
    }
    cb_sb_printf(&s, ". %s", fast->backend);
  } else if (x >= 1 && nties) {
    /* "uv-offload and uv ran as fast as each other (their 95% intervals overlap): 847× and 844× sync's speed" */
    cb_sb_printf(&s, "On %s at c=%u, %s", g->label, C, fast->backend);
    size_t k = 0;
    for (size_t i = 0; i < g->n; i++) {
      const cb_rcase *c = g->c[i];
      if (c == fast || c->conc != C || cb__is_baseline(c->be) || !isfinite(cb__speedup(g, c)) || !cb__overlap(c, fast))
        continue;
      cb_sb_printf(&s, "%s%s", ++k == (size_t)nties ? " and " : ", ", c->backend);
    }
    cb__fmt_x(x, xs, sizeof xs);
    cb_sb_printf(&s, " ran as fast as each other (their 95%% intervals overlap): %s", xs);
    k = 0;
    for (size_t i = 0; i < g->n; i++) {
      const cb_rcase *c = g->c[i];
      if (c == fast || c->conc != C || cb__is_baseline(c->be) || !isfinite(cb__speedup(g, c)) || !cb__overlap(c, fast))
        continue;
      cb__fmt_x(cb__speedup(g, c), xs, sizeof xs);
      cb_sb_printf(&s, "%s%s", ++k == (size_t)nties ? " and " : ", ", xs);
    }
    cb_sb_printf(&s, " %s's speed (%s against %s", base->backend, tf, ts);
    for (size_t i = 0, j = 0; i < g->n; i++) {
      const cb_rcase *c = g->c[i];
      if (c == fast || c->conc != C || cb__is_baseline(c->be) || !isfinite(cb__speedup(g, c)) || cb__overlap(c, fast))
        continue;
      cb__fmt_x(cb__speedup(g, c), xs, sizeof xs);
      cb_sb_printf(&s, "%s%s %s", j++ ? ", " : "; ", c->backend, xs);
    }
    cb_sb_printf(&s, "). %s", fast->backend);
  } else if (x >= 1) {
    cb__fmt_x(x, xs, sizeof xs);
    cb_sb_printf(&s, "On %s at c=%u, %s finished %s faster than %s (%s against %s", g->label, C, fast->backend, xs,
                 base->backend, tf, ts);
    /* The others' speedups beside it, so a close second is not mistaken for a rout. */
    for (size_t i = 0, k = 0; i < g->n; i++) {
      const cb_rcase *c = g->c[i];
      if (c == fast || c->conc != C || cb__is_baseline(c->be) || !isfinite(cb__speedup(g, c))) continue;
      cb__fmt_x(cb__speedup(g, c), xs, sizeof xs);
      cb_sb_printf(&s, "%s%s %s", k++ ? ", " : "; ", c->backend, xs);
    }
    cb_sb_puts(&s, ")");
  } else {
    cb__fmt_x(1 / x, xs, sizeof xs);
    cb_sb_printf(&s, "On %s at c=%u, no backend beat %s: the fastest, %s, took %s %s's time (%s against %s)",
                 g->label, C, base->backend, fast->backend, xs, base->backend, tf, ts);
  }
  /* After a sentence that names several, the memory's subject is named afresh. */
  int fresh = x >= 1 && (thin || nties);
  int k = 0;
  for (size_t i = 0; i < g->n; i++) {
    const cb_rcase *c = g->c[i];
    if (c == fast || c->conc != C || cb__is_baseline(c->be) || !(c->peak_rss_kib > 0) || !(fast->peak_rss_kib > 0)) continue;
    double r = fast->peak_rss_kib / c->peak_rss_kib;
    if (r < REPORT_MEM_DIFF && r > 1 / REPORT_MEM_DIFF) continue;
    cb__fmt_share(r, share, sizeof share);
    cb_sb_printf(&s, "%s%s the memory of %s", k++ ? " and " : fresh ? " used " : " and used ", share, c->backend);
  }
  if (fresh && !k) {
    /* No memory clause: the sentence ends before the subject that was to start it. */
    s.len -= strlen(fast->backend) + 2;
    s.p[s.len] = '\0';
  }
  cb_sb_puts(&s, ".");
  return cb__sl_push(out, &s);
}

static int by_conc(const void *a, const void *b) {
  uint32_t x = (*(const cb_rcase *const *)a)->conc, y = (*(const cb_rcase *const *)b)->conc;
  return (x > y) - (x < y);
}

/* IO on another event loop beside the loop (uring's completions beside uv's readiness, the same
 * coroutines on each): its throughput against the loop's at every concurrency both ran, called
 * faster or slower only when more than 5% apart with their intervals apart. */
static int rule_other_loop(const cb__report *R, const cb__group *g, cb__slist *out) {
  if (!R->loop || !cb__group_is_io(g)) return 0;
  const cb_rcase **u = calloc(g->n ? g->n : 1, sizeof *u);
  if (!u) return -ENOMEM;
  int wrote = 0;
  for (size_t b = 0; b < R->nbe; b++) {
    const cb_rbackend *be = cb__report_be(R, b);
    if (!be || be == R->loop || !cb__is_loop(be)) continue;
    size_t m = 0;
    for (size_t i = 0; i < g->n; i++)
      if (g->c[i]->be == R->loop && cb__gfind(g, be->name, g->c[i]->conc) &&
          isfinite(cb__rate_ratio(g->c[i], cb__gfind(g, be->name, g->c[i]->conc))))
        u[m++] = g->c[i];
    if (!m) continue;
    qsort(u, m, sizeof *u, by_conc);
    cb_sbuf s = { 0 };
    unsigned ahead = 0, behind = 0;
    cb_sb_printf(&s, "On %s, %s against %s:", g->label, be->name, R->loop->name);
    for (size_t i = 0; i < m; i++) {
      const cb_rcase *o = cb__gfind(g, be->name, u[i]->conc);
      double x = cb__rate_ratio(u[i], o);
      char xs[32];
      cb__fmt_x(x, xs, sizeof xs);
      const char *verdict = "as fast";
      if (!cb__overlap(u[i], o) && x >= REPORT_BEAT_MARGIN) verdict = "faster", ahead++;
      else if (!cb__overlap(u[i], o) && x <= 1 / REPORT_BEAT_MARGIN) verdict = "slower", behind++;
      /* Apart by more than the margin, yet within each other's intervals: said, not ranked. */
      int noisy = cb__overlap(u[i], o) && (x >= REPORT_BEAT_MARGIN || x <= 1 / REPORT_BEAT_MARGIN);
      cb_sb_printf(&s, "%s %s at c=%u (%s%s)", i ? "," : "", verdict, u[i]->conc, xs, noisy ? ", intervals overlap" : "");
    }
    if (ahead == m) cb_sb_printf(&s, ": %s wins at every concurrency measured.", be->name);
    else if (behind == m) cb_sb_printf(&s, ": %s wins at every concurrency measured.", R->loop->name);
    else if (!ahead && !behind) cb_sb_printf(&s, ": neither wins.");
    else cb_sb_printf(&s, ": it depends on the concurrency.");
    if (cb__sl_push(out, &s) < 0) {
      free(u);
      return -ENOMEM;
    }
    wrote = 1;
  }
  free(u);
  return wrote;
}

/* CPU: the best speedup over the baseline each backend reaches, and at which concurrency. */
typedef struct cpu_best {
  const char **name;
  double *x;
  uint32_t *c;
  char (*xs)[32];
  size_t n;
  double loop, top;      /* the loop's best (NAN if it did not run), the others' highest */
} cpu_best;

static void cpu_best_free(cpu_best *b) {
  free(b->name);
  free(b->x);
  free(b->c);
  free(b->xs);
}

static int cpu_best_of(const cb__report *R, const cb__group *g, cpu_best *B) {
  memset(B, 0, sizeof *B);
  B->loop = NAN;
  B->name = calloc(R->nbe, sizeof *B->name);
  B->x = calloc(R->nbe, sizeof *B->x);
  B->c = calloc(R->nbe, sizeof *B->c);
  B->xs = calloc(R->nbe, sizeof *B->xs);
  if (!B->name || !B->x || !B->c || !B->xs) return -ENOMEM;
  for (size_t b = 0; b < R->nbe; b++) {
    double bx = NAN;
    uint32_t bc = 0;
    const cb_rbackend *be = cb__report_be(R, b);
    if (!be || cb__is_baseline(be)) continue;
    for (size_t i = 0; i < g->n; i++) {
      if (strcmp(g->c[i]->backend, R->bes[b]) != 0) continue;
      double x = cb__speedup(g, g->c[i]);
      /* At c=1 nothing can beat the baseline: a speedup there is noise (rule_c1_noise). */
      if (g->c[i]->conc == 1 && x > 1) continue;
      if (isfinite(x) && (isnan(bx) || x > bx)) {
        bx = x;
        bc = g->c[i]->conc;
      }
    }
    if (isnan(bx)) continue;
    if (be == R->loop) {
      B->loop = bx;
      continue;
    }
    B->name[B->n] = R->bes[b];
    B->x[B->n] = bx;
    B->c[B->n] = bc;
    cb__fmt_x(bx, B->xs[B->n], sizeof B->xs[0]);
    if (bx > B->top) B->top = bx;
    B->n++;
  }
  return 0;
}

/* "threads and fork reach 2.0× (c=10) on 2 cores", and how far short of the cores that falls. */
static void cpu_others(const cb__report *R, const cb__group *g, const cpu_best *B, cb_sbuf *s) {
  uint32_t maxc = 0;
  int busy = 0, same = 1;
  for (size_t i = 0; i < g->n; i++) {
    if (g->c[i]->conc > maxc) maxc = g->c[i]->conc;
    busy |= cb__has_flag(g->c[i]->flags, "busy");
  }
  for (size_t i = 1; i < B->n; i++) same &= strcmp(B->xs[i], B->xs[0]) == 0 && B->c[i] == B->c[0];
  if (B->n == 1) {
    cb_sb_printf(s, "%s reaches %s (c=%u)", B->name[0], B->xs[0], B->c[0]);
  } else if (same) {
    cb__sb_join(s, B->name, B->n);
    cb_sb_printf(s, " reach %s (c=%u)", B->xs[0], B->c[0]);
  } else {
    for (size_t i = 0; i < B->n; i++)
      cb_sb_printf(s, "%s%s%s %s (c=%u)", i == 0 ? "" : i + 1 == B->n ? " and " : ", ", B->name[i],
                   i == 0 ? " reaches" : "", B->xs[i], B->c[i]);
  }
  uint32_t cores = R->r->cores;
  if (cores) cb_sb_printf(s, " on %u cores", cores);
  uint32_t allow = cores < maxc ? cores : maxc;
  /* Falling well short of what the cores allow is itself a finding: say it, and why if known. */
  if (cores >= 2 && allow >= 2 && B->top < 0.75 * allow) {
    cb_sb_printf(s, ", well short of the %u× that %u cores allow", allow, allow);
    if (busy) cb_sb_puts(s, ": other work was competing for the cores (flag busy)");
  }
}

/* CPU: what each backend reaches against the baseline, said honestly when the loop is not
 * faster. */
static int rule_cpu(const cb__report *R, const cb__group *g, cb__slist *out) {
  if (!cb__group_is_cpu(g)) return 0;
  cpu_best B;
  cb_sbuf s = { 0 };
  int rc = cpu_best_of(R, g, &B);
  if (rc < 0 || (isnan(B.loop) && !B.n)) goto cleanup;
  cb_sb_printf(&s, "On %s, ", g->label);
  if (!isnan(B.loop)) {
    char ux[32];
    /* A loop that is not parallel computes every task on its one thread: that is why. */
    const char *why = R->loop->flags & CB_BACKEND_PARALLEL ? "" : ": it runs every task on one thread";
    cb__fmt_x(B.loop, ux, sizeof ux);
    if (B.loop < 1.05) cb_sb_printf(&s, "%s gives no speedup (%s)%s", R->loop->name, ux, why);
    else if (B.loop < 1.15) cb_sb_printf(&s, "%s gives almost no speedup (%s)%s", R->loop->name, ux, why);
    else cb_sb_printf(&s, "%s reaches %s", R->loop->name, ux);
    if (B.n) cb_sb_puts(&s, "; ");
  }
  if (B.n) cpu_others(R, g, &B, &s);
  cb_sb_puts(&s, ".");
  rc = cb__sl_push(out, &s);
cleanup:
  cb_sb_free(&s);
  cpu_best_free(&B);
  return rc;
}

/* At c=1 every backend runs one task at a time, as the baseline does: a speedup above 1 there
 * is the repetitions' noise, flagged as such rather than reported as a win. */
static int rule_c1_noise(const cb__report *R, const cb__group *g, cb__slist *out) {
  cb_sbuf s = { 0 };
  char xs[32];
  int k = 0;
  for (size_t i = 0; i < g->n; i++) {
    const cb_rcase *c = g->c[i];
    double x = cb__speedup(g, c);
    if (c->conc != 1 || cb__is_baseline(c->be) || !(x >= REPORT_BEAT_MARGIN)) continue;
    cb__fmt_x(x, xs, sizeof xs);
    if (!k++) cb_sb_printf(&s, "Noise, not a win: on %s at c=1, ", g->label);
    else cb_sb_puts(&s, ", ");
    cb_sb_printf(&s, "%s measured %s %s's speed", c->backend, xs, cb__base_name(R));
  }
  if (!k) return 0;
  cb_sb_printf(&s, "; with one task at a time nothing can beat %s, so %s the spread of the repetitions.",
               cb__base_name(R), k == 1 ? "this is" : "these are");
  return cb__sl_push(out, &s);
}

/* Thin data: with fewer than REPORT_MIN_REPS repetitions a case, no finding can rank backends. */
static int rule_thin(const cb__report *R, cb__slist *out) {
  unsigned m = cb__min_reps(R);
  if (!m || m >= REPORT_MIN_REPS) return 0;
  cb_sbuf s = { 0 };
  cb_sb_printf(&s, "Too thin to rank: some cases have only %u repetition%s (at least %d are needed to tell backends "
               "apart, 5 for compare to decide), so the findings below give figures but name no winner there; run "
               "with -r 5 or more.", m, m == 1 ? "" : "s", REPORT_MIN_REPS);
  return cb__sl_push(out, &s);
}

/* Efficiency: the best and worst among concurrent backends (c > 1, neither serial nor the baseline). */
static int rule_efficiency(const cb__report *R, const cb__group *g, cb__slist *out) {
  (void)R;
  const cb_rcase *lo = NULL, *hi = NULL;
  for (size_t i = 0; i < g->n; i++) {
    const cb_rcase *c = g->c[i];
    if (!cb__is_concurrent(c->be) || c->conc < 2 || !isfinite(c->efficiency)) continue;
    if (!lo || c->efficiency < lo->efficiency) lo = c;
    if (!hi || c->efficiency > hi->efficiency) hi = c;
  }
  if (!lo) return 0;
  cb_sbuf s = { 0 };
  if (lo == hi)
    cb_sb_printf(&s, "On %s, %s at c=%u runs at %.2f of the ideal time (efficiency = ideal / measured).",
              g->label, lo->backend, lo->conc, lo->efficiency);
  else
    /* Below 0.01 two decimals would print 0.00: give the figure. */
    cb_sb_printf(&s, "On %s, efficiency (ideal / measured time) among the concurrent backends ranges from "
              "%.*f (%s at c=%u) to %.2f (%s at c=%u).", g->label, lo->efficiency < 0.01 ? 4 : 2, lo->efficiency,
              lo->backend, lo->conc, hi->efficiency, hi->backend, hi->conc);
  return cb__sl_push(out, &s);
}

/* Near the limit: each concurrent backend's highest concurrency within 5% of the ideal. */
static int rule_near_ideal(const cb__report *R, const cb__group *g, cb__slist *out) {
  cb_sbuf s = { 0 };
  int k = 0;
  for (size_t b = 0; b < R->nbe; b++) {
    const cb_rcase *top = NULL;
    for (size_t i = 0; i < g->n; i++) {
      const cb_rcase *c = g->c[i];
      if (strcmp(c->backend, R->bes[b]) || !cb__is_concurrent(c->be) || c->conc < 2 || !(c->efficiency >= REPORT_NEAR_IDEAL)) continue;
      if (!top || c->conc > top->conc) top = c;
    }
    if (!top) continue;
    if (k++ == 0) cb_sb_printf(&s, "On %s, %s at c=%u is at %.2f of the ideal", g->label, top->backend, top->conc, top->efficiency);
    else cb_sb_printf(&s, "; %s at c=%u at %.2f", top->backend, top->conc, top->efficiency);
  }
  if (!k) return 0;
  cb_sb_puts(&s, ": close to the limit.");
  return cb__sl_push(out, &s);
}

/* Cost: what one more task in flight adds to peak memory, from the lowest to the highest
 * concurrency (the difference removes what the process costs with no task at all). */
static int rule_cost(const cb__report *R, const cb__group *g, cb__slist *out) {
  if (!cb__group_is_io(g)) return 0;
  uint32_t lo = UINT32_MAX, hi = 0;
  for (size_t i = 0; i < g->n; i++) {
    if (!cb__is_concurrent(g->c[i]->be)) continue;
    if (g->c[i]->conc < lo) lo = g->c[i]->conc;
    if (g->c[i]->conc > hi) hi = g->c[i]->conc;
  }
  if (hi <= lo) return 0;
  /* Cheapest first, so the sentence reads as a ranking. */
  double *per = calloc(R->nbe, sizeof *per);
  const char **name = calloc(R->nbe, sizeof *name);
  size_t k = 0;
  int rc = -ENOMEM;
  cb_sbuf s = { 0 };
  if (!per || !name) goto cleanup;
  for (size_t b = 0; b < R->nbe; b++) {
    const cb_rbackend *be = cb__report_be(R, b);
    if (!be || !cb__is_concurrent(be)) continue;
    const cb_rcase *a = cb__gfind(g, R->bes[b], lo), *z = cb__gfind(g, R->bes[b], hi);
    if (!a || !z || !(a->peak_rss_kib > 0) || !(z->peak_rss_kib > 0) || !(cb__in_flight(z) > cb__in_flight(a))) continue;
    double v = (z->peak_rss_kib - a->peak_rss_kib) / (cb__in_flight(z) - cb__in_flight(a));
    size_t j = k++;
    while (j > 0 && per[j - 1] > v) {
      per[j] = per[j - 1];
      name[j] = name[j - 1];
      j--;
    }
    per[j] = v;
    name[j] = R->bes[b];
  }
  rc = 0;
  if (!k) goto cleanup;
  cb_sb_printf(&s, "On %s, each task in flight costs ", g->label);
  for (size_t i = 0; i < k; i++) {
    char v[32];
    cb__fmt_kib(per[i], v, sizeof v);
    cb_sb_printf(&s, "%s%s%s on %s", i == 0 ? "" : i + 1 == k ? " and " : ", ",
              per[i] < 0.1 ? "almost nothing" : i == 0 ? "about " : "", per[i] < 0.1 ? "" : v, name[i]);
  }
  cb_sb_printf(&s, " (peak memory from c=%u to c=%u, per extra task).", lo, hi);
  rc = cb__sl_push(out, &s);
cleanup:
  cb_sb_free(&s);
  free(per);
  free(name);
  return rc;
}

static const struct { const char *flag, *meaning; } flag_meanings[] = {
  { "cv", "the repetitions' wall times vary by more than 10%, so the median is less certain; more repetitions help" },
  { "errors", "tasks failed, so the times measure failing work" },
  { "busy", "other processes took more than a threshold of the CPU during a repetition (by the kernel's CPU time counters) and still did when it was measured again, so times may be longer and noisier" },
  { "server", "the target server used over 90% of a core, so it may be the bottleneck rather than the backend" },
  { "cpu>cores", "CPU work ran at more concurrency than cores, so no backend can go faster than the cores allow" },
  { "timeout", "a repetition was stopped by --case-timeout, so its time is a lower bound on what the case takes" },
};

/* Validity: each flag, what it means and which cases carry it. */
static int rule_validity(const cb__report *R, cb__slist *out) {
  const cb_results *r = R->r;
  const char **flags = NULL;
  size_t nf = 0;
  char *copy = NULL;
  int rc = 0;
  size_t measured = r->n - R->nskip;
  for (size_t i = 0; i < r->n; i++) {
    if (r->cases[i].skipped[0]) continue;
    free(copy);
    if (!(copy = strdup(r->cases[i].flags))) {
      rc = -ENOMEM;
      goto cleanup;
    }
    char *save = NULL;
    for (char *t = strtok_r(copy, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
      int seen = 0;
      for (size_t k = 0; k < nf; k++) seen |= strcmp(flags[k], t) == 0;
      if (seen) continue;
      const char **nv = realloc(flags, (nf + 1) * sizeof *nv);
      if (!nv || !(t = strdup(t))) {
        if (nv) flags = nv;
        rc = -ENOMEM;
        goto cleanup;
      }
      flags = nv;
      flags[nf++] = t;
    }
  }
  if (!measured) return 0;
  if (!nf) {
    cb_sbuf s = { 0 };
    cb_sb_puts(&s, "No case was flagged: every case ran without errors, with a CV within 10%, on a machine no other process kept busy.");
    rc = cb__sl_push(out, &s);
    goto cleanup;
  }
  for (size_t k = 0; k < nf; k++) {
    const char *meaning = "see the method's flags";
    size_t count = 0;
    for (size_t m = 0; m < sizeof flag_meanings / sizeof flag_meanings[0]; m++)
      if (strcmp(flag_meanings[m].flag, flags[k]) == 0) meaning = flag_meanings[m].meaning;
    for (size_t i = 0; i < r->n; i++) count += !r->cases[i].skipped[0] && cb__has_flag(r->cases[i].flags, flags[k]);
    cb_sbuf s = { 0 };
    if (count == measured) {
      cb_sb_printf(&s, "Flag %s on %s %zu case%s: %s.", flags[k], count == 1 ? "the" : "all", count, count == 1 ? "" : "s", meaning);
    } else {
      cb_sb_printf(&s, "Flag %s on %zu case%s (", flags[k], count, count == 1 ? "" : "s");
      size_t j = 0;
      for (size_t gi = 0; gi < R->ng; gi++)
        for (size_t i = 0; i < R->g[gi].n; i++) {
          const cb_rcase *c = R->g[gi].c[i];
          if (cb__has_flag(c->flags, flags[k]))
            cb_sb_printf(&s, "%s%s %s c=%u", j++ ? ", " : "", R->g[gi].label, c->backend, c->conc);
        }
      cb_sb_printf(&s, "): %s.", meaning);
    }
    if ((rc = cb__sl_push(out, &s)) < 0) goto cleanup;
  }
  rc = 1;
cleanup:
  for (size_t k = 0; k < nf; k++) free((char *)flags[k]);
  free(flags);
  free(copy);
  return rc;
}

/* Skipped: the cases the machine could not run, and why. */
static int rule_skipped(const cb__report *R, cb__slist *out) {
  if (!R->nskip) return 0;
  cb_sbuf s = { 0 };
  cb_sb_printf(&s, "%zu case%s could not run on this machine and %s skipped, so no figure or finding speaks of %s: ",
               R->nskip, R->nskip == 1 ? "" : "s", R->nskip == 1 ? "was" : "were", R->nskip == 1 ? "it" : "them");
  for (size_t i = 0; i < R->nskip; i++) {
    const cb_rcase *c = R->skip[i];
    cb_sb_printf(&s, "%s%s %s c=%u", i ? "; " : "", c->workload, c->backend, c->conc);
    if (c->params_str[0]) {
      cb_sb_puts(&s, " (");
      for (const char *q = c->params_str; *q; q++) cb_sb_puts(&s, *q == ';' ? ", " : (char[2]){ *q, 0 });
      cb_sb_puts(&s, ")");
    }
    cb_sb_printf(&s, ": %s", c->skipped);
  }
  cb_sb_puts(&s, ".");
  return cb__sl_push(out, &s);
}

typedef int (*group_rule)(const cb__report *R, const cb__group *g, cb__slist *out);

/* The findings in the order a reader wants them: what wins, where it stops winning, how close
 * to the limit, what it costs, and what to distrust. */
int cb__findings(const cb__report *R, cb__slist *out) {
  static const group_rule rules[] = { rule_io_speedup, rule_cpu, cb__rule_cpu_variations, rule_c1_noise,
                                      cb__rule_crossover, cb__rule_recovery, rule_other_loop, rule_efficiency,
                                      rule_near_ideal, rule_cost };
  if (rule_thin(R, out) < 0) return -ENOMEM;
  for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++)
    for (size_t i = 0; i < R->ng; i++)
      if (!cb__group_serves(&R->g[i]) && rules[k](R, &R->g[i], out) < 0) return -ENOMEM;
  /* A server's figures are the load's: where each backend stops keeping up with it. */
  for (size_t i = 0; i < R->ng; i++)
    if (cb__rule_knee(R, &R->g[i], out) < 0) return -ENOMEM;
  if (rule_validity(R, out) < 0 || rule_skipped(R, out) < 0) return -ENOMEM;
  if (!out->n) {
    cb_sbuf s = { 0 };
    cb_sb_puts(&s, "Nothing to compare: the run has no measured cases.");
    if (cb__sl_push(out, &s) < 0) return -ENOMEM;
  }
  return 0;
}

