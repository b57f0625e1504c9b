/* findings_load.c: the findings of a workload that serves a load process: each backend's knee of the offered load, and the headline's server sentence. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "presentation_int.h"

/* Keeping up with an offered rate: no request failed, at least this share of the rate was
 * answered, and the p99 within REPORT_KNEE_P99_MS (the C10K goal's bound): past the knee a server
 * falls behind on one of the three, and the latency of an open-loop load grows without bound. */
#define REPORT_KEEP_UP 0.95
#define REPORT_KNEE_P99_MS 50.0

int cb__group_serves(const cb__group *g) {
  return g->w && g->w->serves;
}

static int keeps_up(const cb_rcase *c) {
  return c->errors == 0 && c->rate_achieved >= REPORT_KEEP_UP * c->rate_target && c->p99_ms <= REPORT_KNEE_P99_MS;
}

/* "10,000" */
static void fmt_count(double v, char *buf, size_t len) {
  char raw[24], out[32];
  int n = snprintf(raw, sizeof raw, "%.0f", v < 1e15 ? v : 1e15), o = 0;
  for (int i = 0; i < n && o < (int)sizeof out - 2; i++) {
    if (i && (n - i) % 3 == 0) out[o++] = ',';
    out[o++] = raw[i];
  }
  out[o] = '\0';
  snprintf(buf, len, "%s", out);
}

/* "16,000 req/s" */
static void fmt_req(double per_s, char *buf, size_t len) {
  char n[32];
  fmt_count(per_s, n, sizeof n);
  snprintf(buf, len, "%.31s req/s", n);
}

/* How c fell behind: its errors, its achieved rate, its p99. */
static void behind(const cb_rcase *c, cb_sbuf *s) {
  char v[48];
  if (c->errors > 0) cb_sb_printf(s, "%.0f requests failed or timed out", c->errors);
  else if (!(c->rate_achieved >= REPORT_KEEP_UP * c->rate_target)) {
    fmt_req(c->rate_achieved, v, sizeof v);
    cb_sb_printf(s, "%s answered", v);
  }
  if (!(c->p99_ms <= REPORT_KNEE_P99_MS)) {
    cb__fmt_ms(c->p99_ms, v, sizeof v);
    cb_sb_printf(s, "%sp99 %s ms", c->errors > 0 || !(c->rate_achieved >= REPORT_KEEP_UP * c->rate_target) ? ", " : "", v);
  }
}

/* backend's cases of g at concurrency C, by offered rate, in out (room for g->n); how many. */
static size_t by_rate(const cb__group *g, const char *backend, uint32_t C, const cb_rcase **out) {
  size_t n = 0;
  for (size_t i = 0; i < g->n; i++) {
    const cb_rcase *c = g->c[i];
    if (c->conc != C || strcmp(c->backend, backend) || !(c->rate_target > 0) || c->skipped[0]) continue;
    size_t j = n++;
    while (j > 0 && out[j - 1]->rate_target > c->rate_target) {
      out[j] = out[j - 1];
      j--;
    }
    out[j] = c;
  }
  return n;
}

/* One backend's knee: the highest rate it keeps up with (every lower one too), and the first it
 * does not. *knee is that rate, 0 when it kept up with none. */
static void knee_text(const cb_rcase *const *v, size_t n, const char *backend, cb_sbuf *s, double *knee) {
  size_t k = 0;
  char a[48], b[48];
  while (k < n && keeps_up(v[k])) k++;
  *knee = k ? v[k - 1]->rate_target : 0;
  if (k == n) {
    fmt_req(v[n - 1]->rate_target, a, sizeof a);
    cb__fmt_ms(v[n - 1]->p99_ms, b, sizeof b);
    cb_sb_printf(s, "%s keeps up %s %s (p99 %s ms there)", backend, n > 1 ? "at every rate measured, up to" : "at", a, b);
  } else if (k == 0) {
    fmt_req(v[0]->rate_target, a, sizeof a);
    cb_sb_printf(s, "%s keeps up with none: at %s, ", backend, a);
    behind(v[0], s);
  } else {
    fmt_req(v[k - 1]->rate_target, a, sizeof a);
    fmt_req(v[k]->rate_target, b, sizeof b);
    cb_sb_printf(s, "%s keeps up to %s and falls behind at %s (", backend, a, b);
    behind(v[k], s);
    cb_sb_puts(s, ")");
  }
}

/* Per concurrency of a serving group: where each backend's p99 turns up (the hockey stick of
 * plots/load_<workload>.png), in one sentence. */
int cb__rule_knee(const cb__report *R, const cb__group *g, cb__slist *out) {
  if (!cb__group_serves(g)) return 0;
  const cb_rcase **v = calloc(g->n ? g->n : 1, sizeof *v);
  if (!v) return -ENOMEM;
  int rc = 0;
  for (size_t i = 0; i < g->n && rc >= 0; i++) {
    uint32_t C = g->c[i]->conc;
    int first = 1;
    for (size_t j = 0; j < i; j++) first &= g->c[j]->conc != C;
    if (!first) continue;
    cb_sbuf s = { 0 };
    int k = 0;
    for (size_t b = 0; b < R->nbe; b++) {
      size_t n = by_rate(g, R->bes[b], C, v);
      if (!n) continue;
      if (!k++) {
        cb_sb_printf(&s, "On %s at c=%u", g->label, C);
        char kc[32];
        fmt_count(v[0]->connections, kc, sizeof kc);
        if (isfinite(v[0]->connections)) cb_sb_printf(&s, " over %s connections", kc);
        cb_sb_printf(&s, ", the knee of the offered load (keeping up: no request failed, %.0f%% of the rate answered, "
                     "p99 within %.0f ms): ", REPORT_KEEP_UP * 100, REPORT_KNEE_P99_MS);
      } else {
        cb_sb_puts(&s, "; ");
      }
      double knee;
      knee_text(v, n, R->bes[b], &s, &knee);
    }
    if (!k) continue;
    cb_sb_puts(&s, ".");
    rc = cb__sl_push(out, &s);
  }
  free(v);
  return rc < 0 ? rc : 0;
}

/* The headline's server sentence: at the most connections the loop held, its errors, p99 and
 * memory per connection against the parallel backends'; then the knees where the most rates were
 * offered. */
int cb__headline_server(const cb__report *R, cb__slist *out) {
  if (!R->loop) return 0;
  const cb_rcase *u = NULL;
  const cb__group *ug = NULL;
  for (size_t k = 0; k < R->ng; k++)
    for (size_t i = 0; i < R->g[k].n; i++) {
      const cb_rcase *c = R->g[k].c[i];
      if (!cb__group_serves(&R->g[k]) || c->be != R->loop || !isfinite(c->connections) || !(c->rate_target > 0)) continue;
      if (!u || c->connections > u->connections || (c->connections == u->connections && c->rate_target < u->rate_target)) {
        u = c;
        ug = &R->g[k];
      }
    }
  if (!u) return 0;
  cb_sbuf s = { 0 };
  char r[48], p[32], m[32], pc[32], held[32];
  fmt_req(u->rate_target, r, sizeof r);
  fmt_count(u->connections, held, sizeof held);
  cb__fmt_ms(u->p99_ms, p, sizeof p);
  cb_sb_printf(&s, "The server side: %s held %s keep-alive connections at %s with %.0f error%s and a p99 of %s ms",
               u->backend, held, r, u->errors, u->errors == 1 ? "" : "s", p);
  if (u->peak_rss_kib > 0) {
    cb__fmt_kib(u->peak_rss_kib, m, sizeof m);
    cb__fmt_kib(u->peak_rss_kib / u->connections, pc, sizeof pc);
    cb_sb_printf(&s, ", in a peak memory of %s (%s a connection)", m, pc);
    int nr = 0;
    for (size_t i = 0; i < ug->n; i++) {
      const cb_rcase *c = ug->c[i];
      if (c->conc != u->conc || c->rate_target != u->rate_target || !cb__is_rival(c->be) || !(c->peak_rss_kib > 0)) continue;
      cb__fmt_kib(c->peak_rss_kib, m, sizeof m);
      cb__fmt_kib(c->peak_rss_kib / c->connections, pc, sizeof pc);
      cb__fmt_ms(c->p99_ms, p, sizeof p);
      cb_sb_printf(&s, "%s%s %s (%s a connection; %.0f errors, p99 %s ms)", nr++ ? " and " : " against ", c->backend, m, pc,
                   c->errors, p);
    }
  }
  /* The knees: at the concurrency where the loop was offered the most rates. */
  const cb__group *kg = NULL;
  uint32_t kc = 0;
  size_t most = 1;
  const cb_rcase **v = NULL;
  for (size_t k = 0; k < R->ng; k++) {
    const cb__group *g = &R->g[k];
    if (!cb__group_serves(g)) continue;
    const cb_rcase **nv = realloc(v, (g->n ? g->n : 1) * sizeof *v);
    if (!nv) {
      free(v);
      cb_sb_free(&s);
      return -ENOMEM;
    }
    v = nv;
    for (size_t i = 0; i < g->n; i++) {
      size_t n = by_rate(g, R->loop->name, g->c[i]->conc, v);
      if (n > most) {
        most = n;
        kg = g;
        kc = g->c[i]->conc;
      }
    }
  }
  const cb_rcase **kv = kg ? realloc(v, kg->n * sizeof *v) : NULL;
  if (kv) v = kv;
  if (kv) {
    cb_sb_printf(&s, "; offered more load at c=%u, ", kc);
    int k = 0;
    for (size_t b = 0; b < R->nbe; b++) {
      size_t n = by_rate(kg, R->bes[b], kc, v);
      double knee;
      if (!n) continue;
      if (k++) cb_sb_puts(&s, ", ");
      cb_sbuf t = { 0 };
      knee_text(v, n, R->bes[b], &t, &knee);
      cb_sb_free(&t);
      if (knee > 0) {
        fmt_req(knee, r, sizeof r);
        cb_sb_printf(&s, "%s kept up to %s", R->bes[b], r);
      } else {
        cb_sb_printf(&s, "%s with none", R->bes[b]);
      }
    }
  }
  free(v);
  cb_sb_puts(&s, ".");
  return cb__sl_push(out, &s);
}
