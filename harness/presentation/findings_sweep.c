/* findings_sweep.c: the findings along a workload's sweep axis (mixed's io_fraction): where the parallel backends stop beating the loop, and what the loop's variation recovers. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "backend.h"
#include "presentation_int.h"

static int same_family(const cb__group *h, const cb__group *g) {
  return !isnan(h->sweep) && strcmp(h->wl, g->wl) == 0 && strcmp(h->rest, g->rest) == 0;
}

/* The groups of g's family (same workload and parameters but the sweep axis), by the axis, in a
 * calloc'ed *out: 1, or 0 unless g is the first of its family in R (so each family is spoken of
 * once), or -ENOMEM. */
static int family_of(const cb__report *R, const cb__group *g, const cb__group ***out, size_t *n) {
  *out = NULL;
  *n = 0;
  if (isnan(g->sweep)) return 0;
  for (const cb__group *h = R->g; h < g; h++)
    if (same_family(h, g)) return 0;
  const cb__group **f = calloc(R->ng, sizeof *f);
  if (!f) return -ENOMEM;
  for (size_t k = 0; k < R->ng; k++) {
    const cb__group *h = &R->g[k];
    if (!same_family(h, g)) continue;
    size_t j = (*n)++;
    while (j > 0 && f[j - 1]->sweep > h->sweep) {
      f[j] = f[j - 1];
      j--;
    }
    f[j] = h;
  }
  *out = f;
  return 1;
}

/* The highest concurrency at which backends a and b both ran at two points of the axis or more. */
static uint32_t family_conc(const cb__group *const *f, size_t n, const char *a, const char *b) {
  uint32_t best = 0;
  for (size_t k = 0; k < n; k++)
    for (size_t i = 0; i < f[k]->n; i++) {
      uint32_t C = f[k]->c[i]->conc;
      if (C <= best) continue;
      size_t both = 0;
      for (size_t j = 0; j < n; j++) {
        const cb_rcase *x = cb__gfind(f[j], a, C), *y = cb__gfind(f[j], b, C);
        both += x && y && x->wall_median > 0 && y->wall_median > 0;
      }
      if (both >= 2) best = C;
    }
  return best;
}

/* One rival against the loop along the axis: the sentence, or 0 when they never ran together. */
static int crossover_of(const cb__report *R, const cb__group *const *f, size_t n, const char *rival,
                        double *fr, double *x, cb__slist *out) {
  const char *loop = R->loop->name, *axis = f[0]->w->sweep;
  uint32_t C = family_conc(f, n, rival, loop);
  size_t m = 0;
  if (!C) return 0;
  int *beat = calloc(n, sizeof *beat);
  if (!beat) return -ENOMEM;
  for (size_t k = 0; k < n; k++) {
    const cb_rcase *t = cb__gfind(f[k], rival, C), *u = cb__gfind(f[k], loop, C);
    if (!isfinite(cb__rate_ratio(u, t))) continue;
    fr[m] = f[k]->sweep;
    x[m] = cb__rate_ratio(u, t);   /* how many times faster the rival is */
    /* Beating needs the margin and intervals apart: overlapping ones are "as fast". */
    beat[m] = x[m] > REPORT_BEAT_MARGIN && !cb__overlap(u, t);
    m++;
  }
  size_t stop = m;
  while (stop > 0 && !beat[stop - 1]) stop--;
  free(beat);
  cb_sbuf s = { 0 };
  char xs[32];
  if (stop == 0) {
    cb_sb_printf(&s, "On %s at c=%u, %s never beat %s (by more than 5%%, intervals apart) at any %s measured (%g to %g).",
                 f[0]->family, C, rival, loop, axis, fr[0], fr[m - 1]);
  } else if (stop == m) {
    cb__fmt_x(x[m - 1], xs, sizeof xs);
    cb_sb_printf(&s, "On %s at c=%u, %s beat %s at every %s measured, up to %g (%s faster there).",
                 f[0]->family, C, rival, loop, axis, fr[m - 1], xs);
  } else {
    cb__fmt_x(x[stop - 1], xs, sizeof xs);
    cb_sb_printf(&s, "On %s at c=%u, %s stops beating %s at %s %g: at %s %g, %s finishes %s faster",
                 f[0]->family, C, rival, loop, axis, fr[stop], axis, fr[stop - 1], rival, xs);
    /* A loop that is not parallel computes on its one thread: that is why it loses there. */
    if (!(R->loop->flags & CB_BACKEND_PARALLEL))
      cb_sb_printf(&s, ", because %s computes every task on its one thread", loop);
    cb_sb_printf(&s, "; from %s %g on, %s is as fast (within 5%%, or intervals overlapping) or faster.", axis, fr[stop], loop);
  }
  return cb__sl_push(out, &s);
}

/* Along the axis: the point from which each parallel backend that is not a loop (threads, fork)
 * no longer beats the loop. */
int cb__rule_crossover(const cb__report *R, const cb__group *g, cb__slist *out) {
  size_t n;
  const cb__group **f;
  int wrote = 0, rc;
  if (!R->loop) return 0;
  if ((rc = family_of(R, g, &f, &n)) <= 0) return rc;
  double *fr = calloc(n, sizeof *fr), *x = calloc(n, sizeof *x);
  if (!fr || !x) {
    rc = -ENOMEM;
    goto cleanup;
  }
  for (size_t b = 0; b < R->nbe; b++) {
    const cb_rbackend *be = cb__report_be(R, b);
    if (!be || !cb__is_rival(be)) continue;
    if ((rc = crossover_of(R, f, n, be->name, fr, x, out)) < 0) goto cleanup;
    wrote |= rc;
  }
  rc = wrote;
cleanup:
  free(fr);
  free(x);
  free(f);
  return rc;
}

/* The concurrency at which the loop and its variation var both ran a point of the axis below 1. */
static uint32_t recovery_conc(const cb__group *const *f, size_t n, const char *loop, const char *var) {
  uint32_t C = 0;
  for (size_t k = 0; k < n; k++)
    for (size_t i = 0; i < f[k]->n; i++) {
      const cb_rcase *u = f[k]->c[i], *o;
      if (f[k]->sweep < 1 && strcmp(u->backend, loop) == 0 && u->conc > C &&
          (o = cb__gfind(f[k], var, u->conc)) && o->wall_median > 0 && u->wall_median > 0)
        C = u->conc;
    }
  return C;
}

/* How a parallel variation of the loop gets the cores ("moving the computation to libuv's thread
 * pool (4 threads)", "running a loop on each of 2 threads"), from its flags and the environment;
 * "" for one that is not parallel. */
static void how_text(const cb__report *R, const cb_rbackend *var, char *what, size_t len) {
  what[0] = '\0';
  if (!(var->flags & CB_BACKEND_PARALLEL)) return;
  const char *key = var->flags & CB_BACKEND_LOOPS ? "uv_loops" : "uv_threadpool_size";
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(R->r->env, key);
  int known = cJSON_IsNumber(n) && n->valuedouble >= 1;
  if (var->flags & CB_BACKEND_LOOPS) {
    if (known) snprintf(what, len, "running a loop on each of %.0f threads", n->valuedouble);
    else snprintf(what, len, "running a loop on each core");
  } else {
    snprintf(what, len, "moving the computation to libuv's thread pool");
    if (known) snprintf(what + strlen(what), len - strlen(what), " (%.0f threads)", n->valuedouble);
  }
}

/* The loop's variations side by side on one group at concurrency C, when two or more ran there:
 * what each recovers over the loop, and which recovers most when one does by the margin with
 * intervals apart. 1 written, 0 not, -ENOMEM. */
static int side_by_side(const cb__report *R, const cb__group *g, const char *where, uint32_t C, cb__slist *out) {
  const cb_rcase *u = cb__gfind(g, R->loop->name, C), *v[8];
  double x[8];
  size_t m = 0;
  for (size_t b = 0; b < R->nbe && m < 8; b++) {
    const cb_rbackend *be = cb__report_be(R, b);
    const cb_rcase *o;
    if (!be || !cb__extends(be, R->loop) || !(o = cb__gfind(g, be->name, C))) continue;
    double r = cb__rate_ratio(u, o);
    if (!isfinite(r)) continue;
    size_t j = m++;                /* by what it recovers, most first */
    while (j > 0 && x[j - 1] < r) {
      x[j] = x[j - 1];
      v[j] = v[j - 1];
      j--;
    }
    x[j] = r;
    v[j] = o;
  }
  if (m < 2) return 0;
  cb_sbuf s = { 0 };
  char xs[32];
  cb_sb_printf(&s, "The loop's variations side by side on %s at c=%u: ", where, C);
  for (size_t i = 0; i < m; i++) {
    cb__fmt_x(x[i], xs, sizeof xs);
    cb_sb_printf(&s, "%s%s %s", i == 0 ? "" : i + 1 == m ? " and " : ", ", v[i]->backend, xs);
  }
  cb_sb_printf(&s, " over %s; ", R->loop->name);
  if (x[0] >= REPORT_BEAT_MARGIN * x[1] && !cb__overlap(v[0], v[1]))
    cb_sb_printf(&s, "%s recovers the most.", v[0]->backend);
  else
    cb_sb_printf(&s, "%s and %s recover as much as each other (within 5%%, or intervals overlapping).", v[0]->backend,
                 v[1]->backend);
  return cb__sl_push(out, &s);
}

/* CPU work: the loop's variations side by side at the highest concurrency all of them ran. */
int cb__rule_cpu_variations(const cb__report *R, const cb__group *g, cb__slist *out) {
  if (!R->loop || !cb__group_is_cpu(g) || !isnan(g->sweep)) return 0;
  uint32_t C = 0;
  for (size_t i = 0; i < g->n; i++)
    if (strcmp(g->c[i]->backend, R->loop->name) == 0 && g->c[i]->conc > C) C = g->c[i]->conc;
  return C ? side_by_side(R, g, g->label, C, out) : 0;
}

/* What variation var recovers over the loop, where it gains most among the truly mixed points
 * (0 < f < 1; f = 0 only if nothing else ran). */
static int recovery_of(const cb__report *R, const cb__group *g, const cb__group *const *f, size_t n,
                       const cb_rbackend *var, cb__slist *out) {
  const char *loop = R->loop->name;
  uint32_t C = recovery_conc(f, n, loop, var->name);
  const cb_rcase *bu = NULL, *bo = NULL;
  double bf = NAN, bx = 0;
  for (int pass = 0; pass < 2 && !bu && C; pass++)
    for (size_t k = 0; k < n; k++) {
      double fk = f[k]->sweep;
      if (pass == 0 ? !(fk > 0 && fk < 1) : fk != 0) continue;
      const cb_rcase *u = cb__gfind(f[k], loop, C), *o = cb__gfind(f[k], var->name, C);
      double x = cb__rate_ratio(u, o);
      if (!isfinite(x)) continue;
      if (!bu || x > bx) {
        bu = u;
        bo = o;
        bx = x;
        bf = fk;
      }
    }
  if (!bu) return 0;
  char share[64], xs[32], what[160] = "";
  how_text(R, var, what, sizeof what);
  cb__fmt_compute_share(1 - bf, share, sizeof share);
  cb__fmt_x(bx, xs, sizeof xs);
  cb_sbuf s = { 0 };
  cb_sb_printf(&s, "On %s at c=%u, with %s spent computing (%s %g), ", g->family, C, share, g->w->sweep, bf);
  if (bx >= REPORT_BEAT_MARGIN && !cb__overlap(bu, bo))
    cb_sb_printf(&s, "%s finishes %s faster than %s%s%s.", var->name, xs, loop, what[0] ? " by " : "", what);
  else if (bx >= REPORT_BEAT_MARGIN)
    cb_sb_printf(&s, "%s is as fast as %s (%s, but their 95%% intervals overlap)%s%s.", var->name, loop, xs,
                 what[0] ? " although it is " : "", what);
  else
    cb_sb_printf(&s, "%s is no faster than %s (%s)%s%s.", var->name, loop, xs, what[0] ? " although it is " : "", what);
  return cb__sl_push(out, &s);
}

/* Along the axis: what each variation of the loop (uv-offload on uv) recovers over it. */
int cb__rule_recovery(const cb__report *R, const cb__group *g, cb__slist *out) {
  size_t n;
  const cb__group **f;
  int wrote = 0, rc;
  if (!R->loop) return 0;
  if ((rc = family_of(R, g, &f, &n)) <= 0) return rc;
  size_t vars = 0;
  for (size_t b = 0; b < R->nbe; b++) {
    const cb_rbackend *be = cb__report_be(R, b);
    if (!be || !cb__extends(be, R->loop)) continue;
    if ((rc = recovery_of(R, g, f, n, be, out)) < 0) break;
    wrote |= rc;
    vars++;
  }
  /* Two variations or more: side by side where the work is half waiting, half computing (the
   * truly mixed point nearest to it), at the highest concurrency the loop ran there. */
  const cb__group *mid = NULL;
  for (size_t k = 0; k < n && rc >= 0 && vars >= 2; k++)
    if (f[k]->sweep > 0 && f[k]->sweep < 1 && (!mid || fabs(f[k]->sweep - 0.5) < fabs(mid->sweep - 0.5))) mid = f[k];
  if (mid) {
    uint32_t C = 0;
    for (size_t i = 0; i < mid->n; i++)
      if (strcmp(mid->c[i]->backend, R->loop->name) == 0 && mid->c[i]->conc > C) C = mid->c[i]->conc;
    char where[256];
    snprintf(where, sizeof where, "%s at %s %g", mid->family, mid->w->sweep, mid->sweep);
    if (C && (rc = side_by_side(R, mid, where, C, out)) > 0) wrote = 1;
  }
  free(f);
  return rc < 0 ? rc : wrote;
}

/* ---- the headline's crossover -------------------------------------------------------------- */

/* rival's and the loop's cases along the family at concurrency C, where both have figures. */
static size_t along(const cb__group *const *f, size_t n, const char *loop, const char *rival, uint32_t C,
                    const cb__group **at, const cb_rcase **u, const cb_rcase **t) {
  size_t m = 0;
  for (size_t k = 0; k < n; k++) {
    const cb_rcase *a = cb__gfind(f[k], loop, C), *b = cb__gfind(f[k], rival, C);
    if (!isfinite(cb__rate_ratio(a, b))) continue;
    at[m] = f[k];
    u[m] = a;
    t[m++] = b;
  }
  return m;
}

static int crossover_sentence(const cb__report *R, const cb__group *const *at, const cb_rcase *const *u,
                              const cb_rcase *const *t, size_t m, cb__slist *out) {
  const char *axis = at[0]->w->sweep, *loop = R->loop->name, *rival = t[0]->backend;
  size_t stop = m;
  char a[160], b[160];
  int rc;
  while (stop > 0 && !(cb__rate_ratio(u[stop - 1], t[stop - 1]) > REPORT_BEAT_MARGIN && !cb__overlap(u[stop - 1], t[stop - 1])))
    stop--;
  /* The point that says it: where the rival stops winning, else the last it wins at, else the first. */
  size_t p = stop == 0 ? 0 : stop == m ? m - 1 : stop;
  snprintf(b, sizeof b, " as fast as %s", loop);
  if ((rc = cb__ratio_text(R, u[p], t[p], b, a, sizeof a)) <= 0) return rc;
  cb_sbuf s = { 0 };
  cb_sb_printf(&s, "The crossover on %s at c=%u: ", at[0]->family, u[p]->conc);
  if (stop == 0) {
    cb_sb_printf(&s, "%s never beat %s (by more than 5%%, intervals apart) at any %s measured (%g to %g); at %s %g it ran %s.",
                 rival, loop, axis, at[0]->sweep, at[m - 1]->sweep, axis, at[0]->sweep, a);
  } else if (stop == m) {
    cb_sb_printf(&s, "%s beat %s at every %s measured, up to %g, where it ran %s.", rival, loop, axis,
                 at[m - 1]->sweep, a);
  } else {
    if ((rc = cb__ratio_text(R, u[stop - 1], t[stop - 1], "", b, sizeof b)) <= 0) {
      cb_sb_free(&s);
      return rc;
    }
    cb_sb_printf(&s, "%s stops beating %s at %s %g, where it ran %s, against %s at %s %g.", rival, loop,
                 axis, at[p]->sweep, a, b, axis, at[stop - 1]->sweep);
  }
  return cb__sl_push(out, &s);
}

/* Along the first swept family: the parallel backend that beats the loop most where the tasks
 * compute most, and where it stops beating it. */
int cb__headline_crossover(const cb__report *R, cb__slist *out) {
  const cb__group **f = NULL, **at = NULL, **bat = NULL;
  const cb_rcase **u = NULL, **t = NULL, **bu = NULL, **bt = NULL;
  size_t n = 0, bm = 0;
  int rc = 0;
  if (!R->loop) return 0;
  for (size_t k = 0; k < R->ng && !f; k++)
    if ((rc = family_of(R, &R->g[k], &f, &n)) < 0) return rc;
  if (!f) return 0;
  at = calloc(n, sizeof *at), bat = calloc(n, sizeof *bat);
  u = calloc(n, sizeof *u), t = calloc(n, sizeof *t), bu = calloc(n, sizeof *bu), bt = calloc(n, sizeof *bt);
  rc = -ENOMEM;
  if (!at || !bat || !u || !t || !bu || !bt) goto cleanup;
  for (size_t b = 0; b < R->nbe; b++) {
    const cb_rbackend *be = cb__report_be(R, b);
    uint32_t C;
    if (!be || !cb__is_rival(be) || !(C = family_conc(f, n, be->name, R->loop->name))) continue;
    size_t m = along(f, n, R->loop->name, be->name, C, at, u, t);
    if (m < 2 || (bm && !(cb__rate_ratio(u[0], t[0]) > cb__rate_ratio(bu[0], bt[0])))) continue;
    bm = m;
    memcpy(bat, at, m * sizeof *at);
    memcpy(bu, u, m * sizeof *u);
    memcpy(bt, t, m * sizeof *t);
  }
  rc = bm ? crossover_sentence(R, bat, bu, bt, bm, out) : 0;
cleanup:
  free(f);
  free(at);
  free(bat);
  free(u);
  free(t);
  free(bu);
  free(bt);
  return rc;
}
