/* hchanges.c: the change points of a history's series and their report (text, markdown, JSON). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "escape.h"
#include "hchanges.h"
#include "sbuf.h"
#include "util.h"

int cb_hchanges_find(const cb_hdata *d, const cb_cp_cfg *cfg, cb_hchange **out, size_t *n) {
  cb_hchange *all = NULL;
  size_t na = 0, cap = 0;
  double *x = NULL;
  *out = NULL;
  *n = 0;
  for (size_t i = 0; i < d->nseries; i++) {
    const cb_hseries *s = &d->series[i];
    if (s->n < CB_CP_MIN_POINTS) continue;
    double *nx = realloc(x, s->n * sizeof *x);
    if (!nx) goto nomem;
    x = nx;
    for (size_t k = 0; k < s->n; k++) x[k] = s->pts[k].median;
    cb_cp *cps;
    size_t nc;
    int rc = cb_changepoints(x, s->n, cfg, &cps, &nc);
    if (rc == -ENOMEM) goto nomem;
    if (rc) continue;   /* a series the detector cannot take (a NaN) is left out */
    for (size_t k = 0; k < nc; k++) {
      if (na == cap) {
        cap = cap ? 2 * cap : 16;
        cb_hchange *p = realloc(all, cap * sizeof *p);
        if (!p) { free(cps); goto nomem; }
        all = p;
      }
      all[na].series = i;
      all[na++].cp = cps[k];
    }
    free(cps);
  }
  free(x);
  *out = all;
  *n = na;
  return 0;
nomem:
  free(x);
  free(all);
  return -ENOMEM;
}

static const char *method(const cb_cp_cfg *c) {
  return c->test == CB_CP_PERMUTATION ? "E-Divisive means, permutation test" : "E-Divisive means, t-test";
}

/* The environment's words, "2 cores, Release, Intel Xeon ...", for when a history has several. */
static void env_text(const cb_hdata *d, int64_t id, char *buf, size_t len) {
  const cb_henv *e = cb_hdata_env(d, id);
  if (!e) snprintf(buf, len, "environment %lld", (long long)id);
  else snprintf(buf, len, "%u cores, %s, %s", e->cores, e->build_type, e->cpu_model);
}

/* What cb_hchanges_report prints from: the changes found, which are shown and which fail. */
typedef struct view {
  const cb_hdata *d;
  const cb_hchanges_cfg *cfg;
  const cb_hchange *ch;
  size_t nch, nshown, ndecided, nundecided;
  const unsigned char *shown, *failing;
} view;

static void print_json(const view *v) {
  const cb_hdata *d = v->d;
  const cb_hchanges_cfg *cfg = v->cfg;
  const cb_hchange *ch = v->ch;
  const unsigned char *shown = v->shown, *failing = v->failing;
  size_t nch = v->nch;
  char env[256];
  cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "changes");
  cJSON_AddStringToObject(root, "method", method(&cfg->cp));
  cJSON_AddNumberToObject(root, "max_pvalue", cfg->cp.max_pvalue);
  cJSON_AddNumberToObject(root, "threshold", cfg->threshold);
  if (cfg->since) cJSON_AddStringToObject(root, "since", cfg->since);
  cJSON_AddNumberToObject(root, "runs", (double)d->nruns);
  cJSON_AddNumberToObject(root, "cases", (double)d->nseries);
  for (size_t i = 0; i < nch; i++) {
    if (!shown[i]) continue;
    const cb_hseries *s = &d->series[ch[i].series];
    const cb_hrun *r = &d->runs[s->pts[ch[i].cp.index].run];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "case", s->key);
    env_text(d, s->env, env, sizeof env);
    cJSON_AddStringToObject(o, "environment", env);
    cJSON_AddStringToObject(o, "label", r->label);
    cJSON_AddNumberToObject(o, "run", (double)r->id);
    cJSON_AddNumberToObject(o, "index", (double)ch[i].cp.index);
    cJSON_AddNumberToObject(o, "mean_before_s", ch[i].cp.mean_before);
    cJSON_AddNumberToObject(o, "mean_after_s", ch[i].cp.mean_after);
    cJSON_AddNumberToObject(o, "ratio", ch[i].cp.ratio);
    cJSON_AddNumberToObject(o, "pvalue", ch[i].cp.pvalue);
    cJSON_AddStringToObject(o, "direction", ch[i].cp.ratio > 1 ? "slower" : "faster");
    cJSON_AddBoolToObject(o, "regression", failing[i]);
    cJSON_AddItemToArray(arr, o);
  }
  cJSON *und = cJSON_AddArrayToObject(root, "undecided");
  for (size_t i = 0; i < d->nseries; i++)
    if (d->series[i].n < CB_CP_MIN_POINTS) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "case", d->series[i].key);
      cJSON_AddNumberToObject(o, "runs", (double)d->series[i].n);
      cJSON_AddItemToArray(und, o);
    }
  char *text = cJSON_Print(root);
  if (text) puts(text);
  free(text);
  cJSON_Delete(root);
}

static void print_text(const view *v) {
  const cb_hdata *d = v->d;
  const cb_hchanges_cfg *cfg = v->cfg;
  const cb_hchange *ch = v->ch;
  const unsigned char *shown = v->shown, *failing = v->failing;
  size_t nch = v->nch;
  size_t nshown = v->nshown, ndecided = v->ndecided, nundecided = v->nundecided;
  char env[256], buf[64];
  int md = cfg->format == CB_HFMT_MD;
  cb_sbuf b = { 0 };
  int multi = d->nenvs > 1;
  if (md) cb_sb_printf(&b, "### Change points over %zu runs\n\n", d->nruns);
  cb_sb_printf(&b, "%s%s, p <= %g; %zu case(s) over %zu run(s)%s%s%s\n", md ? "" : "change points: ", method(&cfg->cp),
               cfg->cp.max_pvalue, d->nseries, d->nruns, cfg->since ? "; from the run labelled " : "",
               cfg->since ? cfg->since : "", md ? "\n" : "");
  if (nshown) {
    if (md) cb_sb_printf(&b, "| case | first run after | before | after | ratio | p | |\n|---|---|---|---|---|---|---|\n");
    else cb_sb_printf(&b, "%-40s %-16s %11s %11s %7s %9s\n", "case", "first run after", "before", "after", "ratio", "p");
    for (size_t i = 0; i < nch; i++) {
      if (!shown[i]) continue;
      const cb_hseries *s = &d->series[ch[i].series];
      const cb_hrun *r = &d->runs[s->pts[ch[i].cp.index].run];
      char key[400], label[600];
      if (multi) {
        snprintf(key, sizeof key, "%s [%lld]", s->key, (long long)s->env);
      } else {
        snprintf(key, sizeof key, "%s", s->key);
      }
      const char *verdict = failing[i] ? "SLOWER" : ch[i].cp.ratio > 1 ? "slower, within the threshold" : "faster";
      snprintf(buf, sizeof buf, "%.3fx", ch[i].cp.ratio);
      if (md) {
        cb_sb_printf(&b, "| ");
        cb_sb_md(&b, key);
        cb_sb_printf(&b, " | ");
        cb_sb_md(&b, r->label);
        cb_sb_printf(&b, " | %.6g s | %.6g s | %s | %.2g | %s |\n", ch[i].cp.mean_before, ch[i].cp.mean_after, buf,
                     ch[i].cp.pvalue, verdict);
      } else {
        char tkey[sizeof key * 4];
        cb_term(key, tkey, sizeof tkey);
        cb_term(r->label, label, sizeof label);
        cb_sb_printf(&b, "%-40s %-16s %9.6gs %9.6gs %7s %9.2g  %s\n", tkey, label, ch[i].cp.mean_before,
                     ch[i].cp.mean_after, buf, ch[i].cp.pvalue, verdict);
      }
    }
  } else {
    cb_sb_printf(&b, "%sno change point%s\n", md ? "\n" : "", cfg->since ? " since then" : "");
  }
  cb_sb_printf(&b, "%s%zu case(s) analysed", md ? "\n" : "", ndecided);
  if (nundecided) {
    cb_sb_printf(&b, "; too few runs to decide (fewer than %d):", CB_CP_MIN_POINTS);
    for (size_t i = 0, k = 0; i < d->nseries; i++)
      if (d->series[i].n < CB_CP_MIN_POINTS) {
        char key[1600];
        if (md) {
          cb_sb_printf(&b, "%s", k++ ? ", " : " ");
          cb_sb_md(&b, d->series[i].key);
        } else {
          cb_sb_printf(&b, "%s%s", k++ ? ", " : " ", cb_term(d->series[i].key, key, sizeof key));
        }
        cb_sb_printf(&b, " (%zu)", d->series[i].n);
      }
  }
  cb_sb_printf(&b, "\n");
  if (multi && !md) {
    for (size_t i = 0; i < d->nenvs; i++) {
      char tenv[sizeof env * 4];
      env_text(d, d->envs[i].id, env, sizeof env);
      cb_sb_printf(&b, "[%lld] %s\n", (long long)d->envs[i].id, cb_term(env, tenv, sizeof tenv));
    }
  }
  if (b.p) fputs(b.p, stdout);
  cb_sb_free(&b);
}

int cb_hchanges_report(const cb_hdata *d, const cb_hchanges_cfg *cfg) {
  cb_hchange *ch;
  size_t nch;
  long since = 0;   /* index into d->runs */
  if (cfg->since) {
    while ((size_t)since < d->nruns && !cb_history_label_match(d->runs[since].label, cfg->since)) since++;
    if ((size_t)since == d->nruns) {
      cb_errorf("history changes: --since '%s' names no run of the history (history list shows their labels)", cfg->since);
      return 2;
    }
  }
  if (cb_hchanges_find(d, &cfg->cp, &ch, &nch) != 0) {
    cb_errorf("history changes: out of memory");
    return 2;
  }
  int status = 0;
  unsigned char *shown = calloc(nch ? nch : 1, 1), *failing = calloc(nch ? nch : 1, 1);
  size_t nshown = 0, nundecided = 0, ndecided = 0;
  if (!shown || !failing) {
    free(ch); free(shown); free(failing);
    cb_errorf("history changes: out of memory");
    return 2;
  }
  for (size_t i = 0; i < nch; i++) {
    const cb_hseries *s = &d->series[ch[i].series];
    size_t run = s->pts[ch[i].cp.index].run;
    if ((long)run < since) continue;
    shown[i] = 1;
    nshown++;
    if (ch[i].cp.ratio > 1 + cfg->threshold) failing[i] = 1, status = 1;
  }
  for (size_t i = 0; i < d->nseries; i++) {
    if (d->series[i].n < CB_CP_MIN_POINTS) nundecided++;
    else ndecided++;
  }
  view v = { .d = d, .cfg = cfg, .ch = ch, .nch = nch, .nshown = nshown, .ndecided = ndecided,
              .nundecided = nundecided, .shown = shown, .failing = failing };
  if (cfg->format == CB_HFMT_JSON) print_json(&v);
  else print_text(&v);
  fflush(stdout);
  for (size_t i = 0; i < nch; i++) {
    if (!failing[i]) continue;
    const cb_hseries *s = &d->series[ch[i].series];
    const cb_hrun *r = &d->runs[s->pts[ch[i].cp.index].run];
    char key[1600], label[600];
    fprintf(stderr, "concbench: history changes: %s slowed by %.1f%% from run %s on (%.6g s -> %.6g s, p = %.2g)\n",
            cb_term(s->key, key, sizeof key), (ch[i].cp.ratio - 1) * 100, cb_term(r->label, label, sizeof label),
            ch[i].cp.mean_before, ch[i].cp.mean_after, ch[i].cp.pvalue);
  }
  free(ch);
  free(shown);
  free(failing);
  return status;
}
