/* compare.c: two runs compared case by case, the ratio of median wall times with a bootstrap interval and a Mann-Whitney test; exit 1 on a regression, for CI. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "compare.h"
#include "resread.h"
#include "stats.h"
#include "util.h"
#include "escape.h"
#include "sbuf.h"

#define RESAMPLES 10000
#define LEVEL 0.95
/* Values drawn by all of a comparison's bootstraps together (about 2 s here): past it, each case
 * gets fewer resamples, down to MIN_RESAMPLES, so 20,000 cases cost what 4,000 do. */
#define DRAW_BUDGET 200000000.0
#define MIN_RESAMPLES 1000



typedef enum { V_UNCHANGED, V_REGRESSED, V_IMPROVED } cmp_verdict;

/* One case found in both runs, with its figures. */
typedef struct cmp_pair {
  const cb_rcase *b, *n;
  double mb, mn, ratio, lo, hi, u, p;
  cmp_verdict verdict;
  const char *reason;        /* "significant", "within threshold", "noise", "too few repetitions" */
  int decidable;             /* the U test can reach p < alpha with these many repetitions */
  int per_task;              /* the runs sized the case differently: times are per task */
} cmp_pair;

/* ---- the bootstrap ---------------------------------------------------------------------------- */


/* num/den for times: 0/0 is no change, x/0 unbounded. */
static double ratio_of(double num, double den) {
  if (den > 0) return num / den;
  return num > 0 ? INFINITY : 1.0;
}

int cb_ratio_ci(const double *base, size_t nb, const double *cur, size_t nn, double level,
                         unsigned resamples, uint64_t seed, double *ratio, double *lo, double *hi) {
  double *tb = NULL, *tn = NULL, *wb = NULL, *wn = NULL, *r = NULL;
  size_t mb = 0, mn = 0;
  int rc = 0;
  cb_rng g;
  if (!base || !cur || nb == 0 || nn == 0 || !(level > 0 && level < 1)) return -EINVAL;
  *ratio = ratio_of(cb_median(cur, nn), cb_median(base, nb));
  *lo = *hi = *ratio;
  if (resamples == 0) return 0;
  /* Each side thinned to at most CB_BOOT_MAX_REPS values: a case's cost is bounded whatever its
   * repetitions (30,000 of them took compare 100 s). */
  tb = cb_boot_thin(base, nb, &mb);
  tn = cb_boot_thin(cur, nn, &mn);
  wb = malloc(nb * sizeof *wb);
  wn = malloc(nn * sizeof *wn);
  r = malloc(resamples * sizeof *r);
  if (!tb || !tn || !wb || !wn || !r) {
    rc = -ENOMEM;
    goto cleanup;
  }
  cb_rng_seed(&g, seed);
  for (unsigned k = 0; k < resamples; k++) {
    for (size_t i = 0; i < mb; i++) wb[i] = tb[cb_rng_below(&g, mb)];
    for (size_t i = 0; i < mn; i++) wn[i] = tn[cb_rng_below(&g, mn)];
    r[k] = ratio_of(cb_median_inplace(wn, mn), cb_median_inplace(wb, mb));
  }
  /* Two selections instead of sorting the resamples (which was most of compare's time). */
  *lo = cb_percentile_inplace(r, resamples, 50.0 * (1 - level));
  *hi = cb_percentile_inplace(r, resamples, 100.0 - 50.0 * (1 - level));
cleanup:
  free(tb);
  free(tn);
  free(wb);
  free(wn);
  free(r);
  return rc;
}

/* ---- the verdict ------------------------------------------------------------------------------ */

/* The smallest two-sided p the exact U test gives na against nb: 2 / C(na+nb, na), when every
 * value of one side is below every value of the other. */
static double min_p(size_t na, size_t nb) {
  double c = 1;
  for (size_t i = 1; i <= na; i++) {
    c = c * (double)(nb + i) / (double)i;
    if (c > 1e300) return 0;
  }
  return 2 / c > 1 ? 1 : 2 / c;
}

/* Repetitions per side the test needs to ever reach p < alpha. */
static unsigned reps_needed(double alpha) {
  unsigned n = 1;
  while (n < 100000 && !(min_p(n, n) < alpha)) n++;
  return n;
}

/* v[0..n) / tasks into a new array (time per task), or NULL. */
static double *per_task(const double *v, size_t n, uint64_t tasks) {
  double *o = malloc((n ? n : 1) * sizeof *o);
  for (size_t i = 0; o && i < n; i++) o[i] = v[i] / (double)(tasks ? tasks : 1);
  return o;
}

static int judge(cmp_pair *c, const cb_compare_cfg *cfg, unsigned resamples) {
  const cb_rcase *b = c->b, *n = c->n;
  const double *wb = b->wall, *wn = n->wall;
  double *tb = NULL, *tn = NULL;
  /* A case sized by time in each run may have run a different number of tasks: compare the time
   * per task, which is what stays put. */
  c->per_task = b->tasks != n->tasks;
  if (c->per_task) {
    wb = tb = per_task(b->wall, b->reps, b->tasks);
    wn = tn = per_task(n->wall, n->reps, n->tasks);
  }
  int rc = !wb || !wn ? -ENOMEM : cb_ratio_ci(wb, b->reps, wn, n->reps, LEVEL, resamples, cfg->seed, &c->ratio, &c->lo, &c->hi);
  if (rc == 0) {
    c->mb = cb_median(wb, b->reps);
    c->mn = cb_median(wn, n->reps);
    rc = cb_mann_whitney(wn, n->reps, wb, b->reps, &c->u, &c->p);
  }
  free(tb);
  free(tn);
  if (rc) return rc;
  c->decidable = min_p(b->reps, n->reps) < cfg->alpha;
  /* Symmetric in log scale: swapping BASE and NEW swaps regressed and improved. */
  int slower = c->ratio > 1 + cfg->threshold, faster = c->ratio < 1 / (1 + cfg->threshold);
  c->verdict = V_UNCHANGED;
  if (!slower && !faster) c->reason = "within threshold";
  else if (!c->decidable) c->reason = "too few repetitions";
  else if (!(c->p < cfg->alpha)) c->reason = "noise";
  else {
    c->reason = "significant";
    c->verdict = slower ? V_REGRESSED : V_IMPROVED;
  }
  return 0;
}

/* ---- matching --------------------------------------------------------------------------------- */

static int key_cmp(const cb_rcase *x, const cb_rcase *y) {
  int d;
  if ((d = strcmp(x->workload, y->workload)) != 0) return d;
  if ((d = strcmp(x->backend, y->backend)) != 0) return d;
  if ((d = strcmp(x->params_str, y->params_str)) != 0) return d;
  if (x->conc != y->conc) return x->conc < y->conc ? -1 : 1;
  if (x->tasks != y->tasks) return x->tasks < y->tasks ? -1 : 1;
  return 0;
}

/* By key, then by position, so a file's duplicate cases pair up in file order. */
static int ptr_cmp(const void *a, const void *b) {
  const cb_rcase *x = *(const cb_rcase *const *)a, *y = *(const cb_rcase *const *)b;
  int d = key_cmp(x, y);
  return d ? d : (x > y) - (x < y);
}

/* The key of a case sized by time: tasks left out. */
static int timed_key_cmp(const cb_rcase *x, const cb_rcase *y) {
  int d;
  if ((d = strcmp(x->workload, y->workload)) != 0) return d;
  if ((d = strcmp(x->backend, y->backend)) != 0) return d;
  if ((d = strcmp(x->params_str, y->params_str)) != 0) return d;
  return x->conc != y->conc ? (x->conc < y->conc ? -1 : 1) : 0;
}

/* The key of a case whose parameters may have changed: parameters left out. */
static int loose_key_cmp(const cb_rcase *x, const cb_rcase *y) {
  int d;
  if ((d = strcmp(x->workload, y->workload)) != 0) return d;
  if ((d = strcmp(x->backend, y->backend)) != 0) return d;
  if (x->conc != y->conc) return x->conc < y->conc ? -1 : 1;
  return x->tasks != y->tasks ? (x->tasks < y->tasks ? -1 : 1) : 0;
}

static int timed_cmp(const void *a, const void *b) {
  const cb_rcase *x = *(const cb_rcase *const *)a, *y = *(const cb_rcase *const *)b;
  int d = timed_key_cmp(x, y);
  return d ? d : (x > y) - (x < y);
}

static int loose_cmp(const void *a, const void *b) {
  const cb_rcase *x = *(const cb_rcase *const *)a, *y = *(const cb_rcase *const *)b;
  int d = loose_key_cmp(x, y);
  return d ? d : (x > y) - (x < y);
}

static const cb_rcase **sorted_ptrs(const cb_results *r) {
  const cb_rcase **p = malloc((r->n ? r->n : 1) * sizeof *p);
  if (!p) return NULL;
  for (size_t i = 0; i < r->n; i++) p[i] = &r->cases[i];
  qsort(p, r->n, sizeof *p, ptr_cmp);
  return p;
}

/* match_b[i] = the index in n of base case i's partner or -1; used_n[j] = 1 when new case j has
 * one. A sort and a merge: suites reach thousands of cases. */
/* Walk two lists sorted by cmp side by side, pairing the cases that compare equal, in order. */
static void pair_sorted(const cb_results *b, const cb_results *n, const cb_rcase **pb, size_t kb,
                        const cb_rcase **pn, size_t kn, int (*cmp)(const cb_rcase *, const cb_rcase *),
                        long *match_b, unsigned char *used_n) {
  for (size_t i = 0, j = 0; i < kb && j < kn;) {
    int d = cmp(pb[i], pn[j]);
    if (d < 0) i++;
    else if (d > 0) j++;
    else {
      match_b[pb[i] - b->cases] = pn[j] - n->cases;
      used_n[pn[j] - n->cases] = 1;
      i++;
      j++;
    }
  }
}

int cb__compare_match(const cb_results *b, const cb_results *n, long *match_b, unsigned char *used_n) {
  const cb_rcase **pb = sorted_ptrs(b), **pn = sorted_ptrs(n);
  int rc = 0;
  if (!pb || !pn) {
    rc = -ENOMEM;
    goto cleanup;
  }
  for (size_t i = 0; i < b->n; i++) match_b[i] = -1;
  memset(used_n, 0, n->n ? n->n : 1);
  pair_sorted(b, n, pb, b->n, pn, n->n, key_cmp, match_b, used_n);
  /* A case sized by time that each run sized differently (CPU work, sized from a calibration):
   * the same workload, backend, parameters and concurrency, with another task count. A case whose
   * tasks were given is another case when they differ. Sorted by that key and by position, so
   * each base case takes the first free new one, as a scan would, in n log n. */
  size_t kb = 0, kn = 0;
  for (size_t i = 0; i < b->n; i++)
    if (match_b[i] < 0 && b->cases[i].sized_by_time) pb[kb++] = &b->cases[i];
  for (size_t j = 0; j < n->n; j++)
    if (!used_n[j] && n->cases[j].sized_by_time) pn[kn++] = &n->cases[j];
  qsort(pb, kb, sizeof *pb, timed_cmp);
  qsort(pn, kn, sizeof *pn, timed_cmp);
  pair_sorted(b, n, pb, kb, pn, kn, timed_key_cmp, match_b, used_n);
  /* A case whose parameters changed between the runs (the same benchmark, retuned or made slower
   * on purpose) still pairs up when it is the only one of its workload, backend, concurrency and
   * tasks left on each side; the output says its parameters differ. Groups by sorting again. */
  kb = kn = 0;
  for (size_t i = 0; i < b->n; i++)
    if (match_b[i] < 0) pb[kb++] = &b->cases[i];
  for (size_t j = 0; j < n->n; j++)
    if (!used_n[j]) pn[kn++] = &n->cases[j];
  qsort(pb, kb, sizeof *pb, loose_cmp);
  qsort(pn, kn, sizeof *pn, loose_cmp);
  for (size_t i = 0, j = 0; i < kb && j < kn;) {
    int d = loose_key_cmp(pb[i], pn[j]);
    if (d < 0) i++;
    else if (d > 0) j++;
    else {
      size_t ei = i + 1, ej = j + 1;
      while (ei < kb && loose_key_cmp(pb[ei], pb[i]) == 0) ei++;
      while (ej < kn && loose_key_cmp(pn[ej], pn[j]) == 0) ej++;
      if (ei - i == 1 && ej - j == 1) {
        match_b[pb[i] - b->cases] = pn[j] - n->cases;
        used_n[pn[j] - n->cases] = 1;
      }
      i = ei;
      j = ej;
    }
  }
cleanup:
  free(pb);
  free(pn);
  return rc;
}

/* ---- output ----------------------------------------------------------------------------------- */

/* A case's label as read from the file (raw: escape it for where it goes). */
static void raw_label(const cb_rcase *c, char *buf, size_t len) {
  snprintf(buf, len, "%s/%s c=%u n=%llu%s%s", c->workload, c->backend, c->conc,
           (unsigned long long)c->tasks, c->params_str[0] ? " " : "", c->params_str);
}

/* The label for a terminal: the names' control characters shown, not sent. */
static void case_label(const cb_rcase *c, char *buf, size_t len) {
  char raw[512];
  raw_label(c, raw, sizeof raw);
  cb_term(raw, buf, len);
}

/* A pair's label: the base case's, and when the runs sized it differently, both task counts
 * (its times are then per task). */
static void pair_label(const cmp_pair *c, char *buf, size_t len) {
  case_label(c->b, buf, len);
  size_t l = strlen(buf);
  if (c->per_task && l < len)
    snprintf(buf + l, len - l, " (new n=%llu; times per task)", (unsigned long long)c->n->tasks);
}

static void fmt_time(double s, char *buf, size_t len) {
  if (!(s == s)) snprintf(buf, len, "-");
  else if (s >= 100) snprintf(buf, len, "%.1f s", s);
  else if (s >= 1) snprintf(buf, len, "%.3f s", s);
  else if (s >= 1e-3) snprintf(buf, len, "%.3f ms", s * 1e3);
  else snprintf(buf, len, "%.1f us", s * 1e6);
}

static void fmt_p(double p, char *buf, size_t len) {
  if (p >= 0.001) snprintf(buf, len, "%.3f", p);
  else snprintf(buf, len, "%.1e", p);
}

static void fmt_ratio(const cmp_pair *c, char *buf, size_t len) {
  snprintf(buf, len, "%.3f [%.3f, %.3f]", c->ratio, c->lo, c->hi);
}

/* What the verdict column says: the reason when it explains an "unchanged" past the threshold. */
static const char *verdict_word(const cmp_pair *c) {
  if (c->verdict == V_REGRESSED) return "regressed";
  if (c->verdict == V_IMPROVED) return "improved";
  if (strcmp(c->reason, "noise") == 0) return "noise";
  if (strcmp(c->reason, "too few repetitions") == 0) return "too few reps";
  return "unchanged";
}

typedef struct cmp_out {
  const cb_compare_cfg *cfg;
  const cb_results *b, *n;
  const cmp_pair *pairs;
  size_t npairs;
  const long *match_b;
  const unsigned char *used_n;
  size_t nreg, nimp, nunch, nonly_b, nonly_n, nundecidable, nskipped;
  unsigned resamples;        /* per case: RESAMPLES, fewer past DRAW_BUDGET */
  char note[256];            /* the too-few-repetitions note, or "" */
} cmp_out;

static void run_line(FILE *f, const char *what, const cb_results *r) {
  const cJSON *date = cJSON_GetObjectItemCaseSensitive(r->env, "date");
  cb_sbuf l = { 0 };
  cb_sb_printf(&l, "%s %s (rev %s, %u cores, %s%s%s)", what, r->path, r->git_revision[0] ? r->git_revision : "?",
               r->cores, r->build_type[0] ? r->build_type : "?", cJSON_IsString(date) ? ", " : "",
               cJSON_IsString(date) && date->valuestring ? date->valuestring : "");
  cb_sbuf shown = { 0 };
  cb_sb_term(&shown, l.p);
  fprintf(f, "%s\n", shown.p ? shown.p : what);
  cb_sb_free(&l);
  cb_sb_free(&shown);
}

static void summary_line(FILE *f, const cmp_out *o) {
  fprintf(f, "%zu regressed, %zu improved, %zu unchanged; %zu only in base, %zu only in new",
          o->nreg, o->nimp, o->nunch, o->nonly_b, o->nonly_n);
  if (o->nskipped) fprintf(f, "; %zu skipped (not measured in one run or both)", o->nskipped);
  fprintf(f, " (threshold %g%%, alpha %g, %u resamples, seed %llu)\n", o->cfg->threshold * 100, o->cfg->alpha,
          o->resamples, (unsigned long long)o->cfg->seed);
}

static void print_table(FILE *f, const cmp_out *o) {
  char label[2048], tb[32], tn[32], ratio[64], p[32];
  int w = 4;
  for (size_t i = 0; i < o->npairs; i++) {
    case_label(o->pairs[i].b, label, sizeof label);
    if ((int)strlen(label) > w) w = (int)strlen(label);
  }
  run_line(f, "base:", o->b);
  run_line(f, "new: ", o->n);
  fprintf(f, "\n%-*s  %10s  %10s  %-23s  %7s  %s\n", w, "case", "base", "new", "ratio [95% CI]", "p", "verdict");
  for (size_t i = 0; i < o->npairs; i++) {
    const cmp_pair *c = &o->pairs[i];
    pair_label(c, label, sizeof label);
    fmt_time(c->mb, tb, sizeof tb);
    fmt_time(c->mn, tn, sizeof tn);
    fmt_ratio(c, ratio, sizeof ratio);
    fmt_p(c->p, p, sizeof p);
    fprintf(f, "%-*s  %10s  %10s  %-23s  %7s  %s\n", w, label, tb, tn, ratio, p, verdict_word(c));
  }
  fputc('\n', f);
  for (size_t i = 0; i < o->b->n; i++)
    if (o->match_b[i] < 0) {
      case_label(&o->b->cases[i], label, sizeof label);
      fprintf(f, "only in base: %s\n", label);
    }
  for (size_t j = 0; j < o->n->n; j++)
    if (!o->used_n[j]) {
      case_label(&o->n->cases[j], label, sizeof label);
      fprintf(f, "only in new:  %s\n", label);
    }
  if (o->note[0]) fprintf(f, "note: %s (%zu of %zu cases)\n", o->note, o->nundecidable, o->npairs);
  summary_line(f, o);
}

/* A case label inside a markdown table cell: escaped, so a pipe, a newline or markup in a name
 * cannot break the table. */
static void md_label(const cb_rcase *c, char *buf, size_t len) {
  char raw[512];
  cb_sbuf b = { 0 };
  raw_label(c, raw, sizeof raw);
  cb_sb_md(&b, raw);
  snprintf(buf, len, "%s", b.p ? b.p : "");
  cb_sb_free(&b);
}

static void print_md(FILE *f, const cmp_out *o) {
  char label[2048], tb[32], tn[32], ratio[64], p[32];
  fprintf(f, "**concbench compare**: %zu regressed, %zu improved, %zu unchanged, %zu only in base, "
          "%zu only in new (threshold %g%%, alpha %g)\n\n", o->nreg, o->nimp, o->nunch, o->nonly_b,
          o->nonly_n, o->cfg->threshold * 100, o->cfg->alpha);
  fprintf(f, "| case | base median | new median | ratio [95%% CI] | p | verdict |\n");
  fprintf(f, "|:-----|-----:|-----:|-----:|-----:|:-----|\n");
  for (size_t i = 0; i < o->npairs; i++) {
    const cmp_pair *c = &o->pairs[i];
    md_label(c->b, label, sizeof label);
    fmt_time(c->mb, tb, sizeof tb);
    fmt_time(c->mn, tn, sizeof tn);
    fmt_ratio(c, ratio, sizeof ratio);
    fmt_p(c->p, p, sizeof p);
    int bold = c->verdict != V_UNCHANGED;
    fprintf(f, "| %s | %s | %s | %s | %s | %s%s%s |\n", label, tb, tn, ratio, p, bold ? "**" : "",
            verdict_word(c), bold ? "**" : "");
  }
  int head = 0;
  for (size_t i = 0; i < o->b->n; i++)
    if (o->match_b[i] < 0) {
      md_label(&o->b->cases[i], label, sizeof label);
      fprintf(f, "%s- only in base: %s\n", head++ ? "" : "\n", label);
    }
  for (size_t j = 0; j < o->n->n; j++)
    if (!o->used_n[j]) {
      md_label(&o->n->cases[j], label, sizeof label);
      fprintf(f, "%s- only in new: %s\n", head++ ? "" : "\n", label);
    }
  if (o->note[0]) fprintf(f, "\n> note: %s (%zu of %zu cases)\n", o->note, o->nundecidable, o->npairs);
}

/* The identity of a case, for the JSON arrays. */
static cJSON *json_case_id(const cb_rcase *c) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "workload", c->workload);
  cJSON_AddStringToObject(o, "backend", c->backend);
  cJSON_AddStringToObject(o, "params_str", c->params_str);
  cJSON_AddNumberToObject(o, "concurrency", c->conc);
  cJSON_AddNumberToObject(o, "tasks", (double)c->tasks);
  return o;
}

static cJSON *json_run(const cb_results *r) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "path", r->path);
  cJSON_AddStringToObject(o, "git_revision", r->git_revision);
  cJSON_AddNumberToObject(o, "cores", r->cores);
  cJSON_AddStringToObject(o, "build_type", r->build_type);
  cJSON_AddStringToObject(o, "status", r->status);
  return o;
}

static char *render_json(const cmp_out *o) {
  cJSON *root = cJSON_CreateObject(), *s, *arr[3], *ob, *on, *notes;
  char *text = NULL;
  if (!root) return NULL;
  s = cJSON_AddObjectToObject(root, "settings");
  if (!s) goto cleanup;
  cJSON_AddNumberToObject(s, "threshold", o->cfg->threshold);
  cJSON_AddNumberToObject(s, "alpha", o->cfg->alpha);
  cJSON_AddNumberToObject(s, "seed", (double)o->cfg->seed);
  cJSON_AddNumberToObject(s, "resamples", o->resamples);
  cJSON_AddNumberToObject(s, "confidence", LEVEL);
  cJSON_AddNumberToObject(s, "regressed_above", 1 + o->cfg->threshold);
  cJSON_AddNumberToObject(s, "improved_below", 1 / (1 + o->cfg->threshold));
  cJSON_AddNumberToObject(s, "reps_needed", reps_needed(o->cfg->alpha));
  cJSON_AddBoolToObject(s, "force", o->cfg->force);
  cJSON_AddItemToObject(root, "base", json_run(o->b));
  cJSON_AddItemToObject(root, "new", json_run(o->n));
  if (!(arr[V_REGRESSED] = cJSON_AddArrayToObject(root, "regressed")) ||
      !(arr[V_IMPROVED] = cJSON_AddArrayToObject(root, "improved")) ||
      !(arr[V_UNCHANGED] = cJSON_AddArrayToObject(root, "unchanged")) ||
      !(ob = cJSON_AddArrayToObject(root, "only_base")) || !(on = cJSON_AddArrayToObject(root, "only_new")) ||
      !(notes = cJSON_AddArrayToObject(root, "notes")))
    goto cleanup;
  for (size_t i = 0; i < o->npairs; i++) {
    const cmp_pair *c = &o->pairs[i];
    cJSON *e = json_case_id(c->b);
    if (!e) goto cleanup;
    cJSON_AddItemToArray(arr[c->verdict], e);
    cJSON_AddNumberToObject(e, "base_median_s", c->mb);
    cJSON_AddNumberToObject(e, "new_median_s", c->mn);
    cJSON_AddNumberToObject(e, "base_reps", c->b->reps);
    cJSON_AddNumberToObject(e, "new_reps", c->n->reps);
    cJSON_AddNumberToObject(e, "ratio", c->ratio);
    cJSON_AddNumberToObject(e, "ratio_ci_lo", c->lo);
    cJSON_AddNumberToObject(e, "ratio_ci_hi", c->hi);
    cJSON_AddNumberToObject(e, "u", c->u);
    cJSON_AddNumberToObject(e, "p", c->p);
    cJSON_AddStringToObject(e, "verdict", c->verdict == V_REGRESSED ? "regressed" : c->verdict == V_IMPROVED ? "improved" : "unchanged");
    cJSON_AddStringToObject(e, "reason", c->reason);
    if (!c->decidable) cJSON_AddStringToObject(e, "note", o->note);
  }
  for (size_t i = 0; i < o->b->n; i++)
    if (o->match_b[i] < 0) {
      cJSON *e = json_case_id(&o->b->cases[i]);
      if (!e) goto cleanup;
      cJSON_AddItemToArray(ob, e);
      cJSON_AddNumberToObject(e, "median_s", cb_median(o->b->cases[i].wall, o->b->cases[i].reps));
      cJSON_AddNumberToObject(e, "reps", o->b->cases[i].reps);
    }
  for (size_t j = 0; j < o->n->n; j++)
    if (!o->used_n[j]) {
      cJSON *e = json_case_id(&o->n->cases[j]);
      if (!e) goto cleanup;
      cJSON_AddItemToArray(on, e);
      cJSON_AddNumberToObject(e, "median_s", cb_median(o->n->cases[j].wall, o->n->cases[j].reps));
      cJSON_AddNumberToObject(e, "reps", o->n->cases[j].reps);
    }
  if (o->note[0]) cJSON_AddItemToArray(notes, cJSON_CreateString(o->note));
  text = cJSON_Print(root);
cleanup:
  cJSON_Delete(root);
  return text;
}

/* ---- the command ------------------------------------------------------------------------------ */

/* Runs from different machines or builds do not compare: 0, or 2 (or a warning with --force). */
static int check_compatible(const cb_results *b, const cb_results *n, const cb_compare_cfg *cfg) {
  char why[512] = "";
  if (b->cores && n->cores && b->cores != n->cores)
    snprintf(why, sizeof why, "BASE ran on %u cores, NEW on %u", b->cores, n->cores);
  else if (b->build_type[0] && n->build_type[0] && strcmp(b->build_type, n->build_type) != 0)
    snprintf(why, sizeof why, "BASE is a %s build, NEW a %s build", b->build_type, n->build_type);
  if (!why[0]) return 0;
  if (cfg->force) {
    cb_errorf("compare: warning: %s; compared anyway (--force)", why);
    return 0;
  }
  cb_errorf("compare: incompatible runs: %s, so their times do not compare; --force to compare anyway", why);
  return 2;
}

int cb_compare(const cb_compare_cfg *cfgp, const char *base, const char *cur) {
  const cb_compare_cfg cfg = *cfgp;
  cb_results b, n;
  cmp_pair *pairs = NULL;
  long *match_b = NULL;
  unsigned char *used_n = NULL;
  char *text = NULL, err[1024];
  int status = 2, rc;
  memset(&b, 0, sizeof b);
  memset(&n, 0, sizeof n);

  if (cb_results_read(base, &b, err, sizeof err) != 0) {
    if (cfg.baseline) cb_errorf("compare: baseline '%s': %s (save one with concbench run --save-baseline %s)", cfg.baseline, err, cfg.baseline);
    else cb_errorf("compare: %s", err);
    goto cleanup;
  }
  cb_results_shed(&b);   /* so the two files' trees are never in memory together */
  if (cb_results_read(cur, &n, err, sizeof err) != 0) {
    cb_errorf("compare: %s", err);
    goto cleanup;
  }
  cb_results_shed(&n);
  if (check_compatible(&b, &n, &cfg) != 0) goto cleanup;
  /* An interrupted run still compares (its finished repetitions), but say so. */
  if (strcmp(b.status, "partial") == 0) cb_errorf("compare: warning: BASE %s is a partial (interrupted) run", b.path);
  if (strcmp(n.status, "partial") == 0) cb_errorf("compare: warning: NEW %s is a partial (interrupted) run", n.path);

  pairs = calloc(b.n ? b.n : 1, sizeof *pairs);
  match_b = malloc((b.n ? b.n : 1) * sizeof *match_b);
  used_n = malloc(n.n ? n.n : 1);
  if (!pairs || !match_b || !used_n || cb__compare_match(&b, &n, match_b, used_n) != 0) {
    cb_errorf("compare: out of memory");
    goto cleanup;
  }
  cmp_out o = { .cfg = &cfg, .b = &b, .n = &n, .pairs = pairs, .match_b = match_b, .used_n = used_n };
  for (size_t i = 0; i < b.n; i++) {
    if (match_b[i] < 0) {
      o.nonly_b++;
      continue;
    }
    if (!b.cases[i].reps || !n.cases[match_b[i]].reps) {
      o.nskipped++;      /* skipped (the machine could not run it) in one run or both */
      continue;
    }
    cmp_pair *c = &pairs[o.npairs++];
    c->b = &b.cases[i];
    c->n = &n.cases[match_b[i]];
    if (strcmp(c->b->params_str, c->n->params_str) != 0)
      cb_errorf("compare: note: %s/%s c=%u: parameters differ: %s in base, %s in new", c->b->workload, c->b->backend,
                c->b->conc, c->b->params_str, c->n->params_str);
  }
  /* One resample count for every case, from what all of them together would draw. */
  double draws = 0;
  for (size_t i = 0; i < o.npairs; i++)
    draws += (double)(pairs[i].b->reps < CB_BOOT_MAX_REPS ? pairs[i].b->reps : CB_BOOT_MAX_REPS) +
             (double)(pairs[i].n->reps < CB_BOOT_MAX_REPS ? pairs[i].n->reps : CB_BOOT_MAX_REPS);
  o.resamples = RESAMPLES;
  if (draws * RESAMPLES > DRAW_BUDGET)
    o.resamples = DRAW_BUDGET / draws < MIN_RESAMPLES ? MIN_RESAMPLES : (unsigned)(DRAW_BUDGET / draws);
  for (size_t i = 0; i < o.npairs; i++) {
    cmp_pair *c = &pairs[i];
    if ((rc = judge(c, &cfg, o.resamples)) != 0) {
      cb_errorf("compare: %s", rc == -ENOMEM ? "out of memory" : "a case has no repetitions");
      goto cleanup;
    }
    if (c->verdict == V_REGRESSED) o.nreg++;
    else if (c->verdict == V_IMPROVED) o.nimp++;
    else o.nunch++;
    if (!c->decidable) o.nundecidable++;
  }
  for (size_t j = 0; j < n.n; j++) o.nonly_n += !used_n[j];
  if (o.npairs == 0) {
    cb_errorf("compare: %s and %s have no case in common (same workload, backend, params, concurrency and tasks); nothing to compare",
              b.path, n.path);
    goto cleanup;
  }
  if (o.nundecidable)
    snprintf(o.note, sizeof o.note, "too few repetitions to decide at alpha %g: need at least %u per side",
             cfg.alpha, reps_needed(cfg.alpha));

  if (cfg.format == CB_COMPARE_JSON) {
    if (!(text = render_json(&o))) {
      cb_errorf("compare: out of memory");
      goto cleanup;
    }
    puts(text);
  } else if (cfg.format == CB_COMPARE_MD) {
    print_md(stdout, &o);
  } else {
    print_table(stdout, &o);
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    cb_errorf("compare: cannot write the comparison to stdout");
    goto cleanup;
  }
  for (size_t i = 0; i < o.npairs; i++) {
    const cmp_pair *c = &pairs[i];
    char label[2048], tb[32], tn[32], p[32];
    if (c->verdict != V_REGRESSED) continue;
    pair_label(c, label, sizeof label);
    fmt_time(c->mb, tb, sizeof tb);
    fmt_time(c->mn, tn, sizeof tn);
    fmt_p(c->p, p, sizeof p);
    cb_errorf("compare: regressed: %s: median %s -> %s, ratio %.3f [95%% CI %.3f, %.3f], p %s",
              label, tb, tn, c->ratio, c->lo, c->hi, p);
  }
  status = o.nreg ? 1 : 0;

cleanup:
  free(text);
  free(pairs);
  free(match_b);
  free(used_n);
  cb_results_free(&b);
  cb_results_free(&n);
  return status;
}
