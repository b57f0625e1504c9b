/* rows.c: a case's row over its repetitions: wall statistics with a bootstrap interval, medians of
 * the other figures, latency percentiles from the merged histogram, and the validity flags. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rows.h"

const char *const cb_flag_names[CB_NFLAGS] = { "cv", "errors", "busy", "server", "cpu>cores", "timeout" };

void cb_flags_format(unsigned flags, char *buf, size_t len) {
  size_t off = 0;
  buf[0] = '\0';
  for (unsigned i = 0; i < CB_NFLAGS && off < len; i++)
    if (flags & (1u << i)) off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ";" : "", cb_flag_names[i]);
}

/* The median over the repetitions of the sample field at off. */
static double median_of(const cb_case *c, size_t off, int is_u64, double *tmp) {
  for (unsigned i = 0; i < c->nreps; i++) {
    const char *p = (const char *)&c->reps[i] + off;
    if (is_u64) { uint64_t u; memcpy(&u, p, sizeof u); tmp[i] = (double)u; }
    else { double d; memcpy(&d, p, sizeof d); tmp[i] = d; }
  }
  return cb_median(tmp, c->nreps);
}

static double median_u32(const cb_case *c, size_t off, double *tmp) {
  for (unsigned i = 0; i < c->nreps; i++) {
    uint32_t u;
    memcpy(&u, (const char *)&c->reps[i] + off, sizeof u);
    tmp[i] = u;
  }
  return cb_median(tmp, c->nreps);
}

void cb_row_of(const cb_case *c, uint64_t seed, cb_row *r) {
  unsigned n = c->nreps;
  double *tmp = calloc(n ? n : 1, sizeof *tmp), *wall = calloc(n ? n : 1, sizeof *wall);
  unsigned char *out = calloc(n ? n : 1, 1);
  memset(r, 0, sizeof *r);
  r->checksum_stable = 1;
  if (!tmp || !wall || !out) goto cleanup;
  int have = 0;
  int busy = 0;
  for (unsigned i = 0; i < n; i++) {
    const cb_sample *s = &c->reps[i];
    wall[i] = s->wall_s;
    r->errors += s->errors;
    busy |= s->busy;
    if (s->errors == 0 && s->status == 0) {
      if (have && s->checksum != r->checksum) r->checksum_stable = 0;
      if (!have) r->checksum = s->checksum;
      have = 1;
    }
  }
  if (!have && n) r->checksum = c->reps[0].checksum;
  cb_stats_of(wall, n, &r->wall);
  r->cv = cb_cv(&r->wall);
  cb_bootstrap_median_ci(wall, n, 0.95, 10000, seed, &r->ci_lo, &r->ci_hi);
  r->outliers = n >= 3 ? (unsigned)cb_outliers_mad(wall, n, 3.5, out) : 0;
  r->user_s = median_of(c, offsetof(cb_sample, user_s), 0, tmp);
  r->sys_s = median_of(c, offsetof(cb_sample, sys_s), 0, tmp);
  r->peak_rss_kib = median_of(c, offsetof(cb_sample, peak_rss_kib), 1, tmp);
  r->ctx_voluntary = median_of(c, offsetof(cb_sample, ctx_voluntary), 1, tmp);
  r->ctx_involuntary = median_of(c, offsetof(cb_sample, ctx_involuntary), 1, tmp);
  r->not_found = median_of(c, offsetof(cb_sample, not_found), 1, tmp);
  r->rate_achieved = median_of(c, offsetof(cb_sample, rate_achieved), 0, tmp);
  r->server_cpu_s = median_of(c, offsetof(cb_sample, server_cpu_s), 0, tmp);
  r->peak_threads = median_u32(c, offsetof(cb_sample, peak_threads), tmp);
  r->peak_procs = median_u32(c, offsetof(cb_sample, peak_procs), tmp);
  r->peak_fds = median_u32(c, offsetof(cb_sample, peak_fds), tmp);
  if (c->lat && c->lat->count) {
    /* Every repetition's tasks in one histogram: percentiles over all of them. */
    r->p50_ms = (double)cb_hist_percentile(c->lat, 50) / 1e6;
    r->p90_ms = (double)cb_hist_percentile(c->lat, 90) / 1e6;
    r->p99_ms = (double)cb_hist_percentile(c->lat, 99) / 1e6;
    r->p999_ms = (double)cb_hist_percentile(c->lat, 99.9) / 1e6;
    r->max_ms = (double)cb_hist_percentile(c->lat, 100) / 1e6;
  } else {
    r->p50_ms = median_of(c, offsetof(cb_sample, p50_ms), 0, tmp);
    r->p90_ms = median_of(c, offsetof(cb_sample, p90_ms), 0, tmp);
    r->p99_ms = median_of(c, offsetof(cb_sample, p99_ms), 0, tmp);
    r->p999_ms = median_of(c, offsetof(cb_sample, p999_ms), 0, tmp);
    r->max_ms = median_of(c, offsetof(cb_sample, max_ms), 0, tmp);
  }
  r->efficiency = c->wl->ideal == NULL ? NAN : r->wall.median > 0 ? c->ideal_s / r->wall.median : 0;
  if (n >= 2 && r->cv > 0.10) r->flags |= CB_FLAG_CV;
  if (r->errors) r->flags |= CB_FLAG_ERRORS;
  for (unsigned i = 0; i < c->nreps; i++)
    if (c->reps[i].timed_out) r->flags |= CB_FLAG_TIMEOUT;
  if (busy) r->flags |= CB_FLAG_BUSY;
  if (r->wall.median > 0 && r->server_cpu_s / r->wall.median > 0.9) r->flags |= CB_FLAG_SERVER;
  /* CPU work beyond the cores: a case that computes at all, as its workload says. */
  int computes = c->wl->computes ? c->wl->computes(&c->params) : c->wl->kind != CB_KIND_IO;
  if (computes && c->cores && c->eff_conc > c->cores) r->flags |= CB_FLAG_OVERSUB;
cleanup:
  free(tmp);
  free(wall);
  free(out);
}

void cb_rows_compute(const cb_plan *plan, cb_row *rows) {
  for (size_t i = 0; i < plan->n; i++) {
    if (plan->cases[i].nreps) cb_row_of(&plan->cases[i], plan->seed, &rows[i]);
    else memset(&rows[i], 0, sizeof rows[i]);
  }
}
