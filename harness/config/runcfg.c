/* runcfg.c: filling a run's configuration from text (command-line options or suite-file keys),
 * with one line saying what is wrong when it is. */
#include <stdio.h>
#include <string.h>
#include "runcfg.h"
#include "registry.h"
#include "util.h"

void cb_cfg_defaults(cb_run_cfg *cfg) {
  memset(cfg, 0, sizeof *cfg);
  /* Every backend this machine can run: one it cannot (no io_uring) is run only when named. */
  for (const cb_backend *const *b = cb_backends(); *b && cfg->nbe < CB_MAX_LIST; b++)
    if (cb_backend_available(*b, NULL, 0) == 0) cfg->be[cfg->nbe++] = *b;
  for (const cb_workload *const *w = cb_workloads_default(); *w && cfg->nwl < CB_MAX_LIST; w++) cfg->wl[cfg->nwl++] = *w;
  cfg->tasks = 100;
  cfg->conc[cfg->nconc++] = 10;
  cfg->reps = 3;
  cfg->reps_max = CB_AUTO_REPS_MAX;
  cfg->ci = CB_AUTO_CI;
  cfg->target_s = 0;
  cfg->warmup = 1;
  cfg->seed = 1;
}

/* Split a comma-separated list into buf/items. */
static int split(const char *what, const char *list, char *buf, size_t blen, char **items, char *err, size_t len) {
  if (snprintf(buf, blen, "%s", list) >= (int)blen) {
    snprintf(err, len, "%s: the list is too long", what);
    return -1;
  }
  int n = cb_split(buf, ',', items, CB_MAX_LIST);
  if (n == -1) snprintf(err, len, "%s '%s' has an empty item; separate values with single commas", what, list);
  if (n == -2) snprintf(err, len, "%s lists more than %d values", what, CB_MAX_LIST);
  return n < 0 ? -1 : n;
}

/* A list that names one value twice would run the same cases twice, which merge and compare
 * then refuse or half-use: refused here, worded as a suite's repeated group is. */
static int twice(const char *what, const char *item, const char *list, char *err, size_t len) {
  snprintf(err, len, "%s '%s' appears twice in '%s'; give each value once", what, item, list);
  return -1;
}

int cb_cfg_backends(cb_run_cfg *cfg, const char *list, char *err, size_t len) {
  char buf[1024], *items[CB_MAX_LIST];
  int n = split("backends", list, buf, sizeof buf, items, err, len);
  if (n < 0) return -1;
  cfg->nbe = 0;
  for (int i = 0; i < n; i++) {
    const cb_backend *b = cb_backend_find(items[i]);
    if (!b) {
      size_t off = (size_t)snprintf(err, len, "unknown backend '%s'; choose from ", items[i]);
      for (const cb_backend *const *x = cb_backends(); *x && off < len; x++)
        off += (size_t)snprintf(err + off, len - off, "%s%s", x == cb_backends() ? "" : ", ", (*x)->name);
      return -1;
    }
    for (int k = 0; k < cfg->nbe; k++)
      if (cfg->be[k] == b) return twice("backend", items[i], list, err, len);
    cfg->be[cfg->nbe++] = b;
  }
  return 0;
}

int cb_cfg_workloads(cb_run_cfg *cfg, const char *list, char *err, size_t len) {
  char buf[1024], *items[CB_MAX_LIST];
  int n = split("workloads", list, buf, sizeof buf, items, err, len);
  if (n < 0) return -1;
  cfg->nwl = 0;
  for (int i = 0; i < n; i++) {
    const cb_workload *w = cb_workload_find(items[i]);
    if (!w) {
      size_t off = (size_t)snprintf(err, len, "unknown workload '%s'; choose from ", items[i]);
      for (const cb_workload *const *x = cb_workloads(); *x && off < len; x++)
        off += (size_t)snprintf(err + off, len - off, "%s%s", x == cb_workloads() ? "" : ", ", (*x)->name);
      return -1;
    }
    for (int k = 0; k < cfg->nwl; k++)
      if (cfg->wl[k] == w) return twice("workload", items[i], list, err, len);
    cfg->wl[cfg->nwl++] = w;
  }
  return 0;
}

int cb_cfg_count(const char *what, const char *s, uint64_t lo, uint64_t hi, uint64_t *out, char *err, size_t len) {
  if (cb_parse_u64(s, out) != 0) {
    snprintf(err, len, "%s '%s' is not a whole number", what, s);
    return -1;
  }
  if (*out < lo || *out > hi) {
    snprintf(err, len, "%s %s is out of range: it must be %llu to %llu", what, s, (unsigned long long)lo, (unsigned long long)hi);
    return -1;
  }
  return 0;
}

int cb_cfg_tasks(cb_run_cfg *cfg, const char *s, char *err, size_t len) {
  uint64_t v;
  if (strcmp(s, "auto") == 0) {
    if (cfg->target_s <= 0) cfg->target_s = CB_AUTO_TARGET_S;
    return 0;
  }
  if (cb_cfg_count("tasks", s, 1, CB_MAX_TASKS, &v, err, len) != 0) return -1;
  cfg->tasks = v;
  cfg->target_s = 0;
  return 0;
}

int cb_cfg_reps(cb_run_cfg *cfg, const char *s, char *err, size_t len) {
  uint64_t v;
  if (strcmp(s, "auto") == 0) {
    cfg->reps_auto = 1;
    cfg->reps = CB_AUTO_REPS_MIN;
    return 0;
  }
  if (cb_cfg_count("reps", s, 1, CB_MAX_REPS, &v, err, len) != 0) return -1;
  cfg->reps = (unsigned)v;
  cfg->reps_auto = 0;
  return 0;
}

int cb_cfg_number(const char *what, const char *s, double lo, double hi, double *out, char *err, size_t len) {
  if (cb_parse_double(s, out) != 0) {
    snprintf(err, len, "%s '%s' is not a number", what, s);
    return -1;
  }
  if (!(*out >= lo && *out <= hi)) {
    char a[40], b[40];
    snprintf(err, len, "%s %s is out of range: it must be %s to %s", what, s, cb_fmt_plain(lo, a, sizeof a), cb_fmt_plain(hi, b, sizeof b));
    return -1;
  }
  return 0;
}

int cb_cfg_rates(cb_run_cfg *cfg, const char *what, const char *list, char *err, size_t len) {
  char buf[1024], *items[CB_MAX_LIST];
  int n = split(what, list, buf, sizeof buf, items, err, len);
  if (n < 0) return -1;
  cfg->nrates = 0;
  for (int i = 0; i < n; i++) {
    double v;
    if (cb_cfg_number(what, items[i], 1e-3, 1e7, &v, err, len) != 0) return -1;
    for (int k = 0; k < cfg->nrates; k++)
      if (cfg->rates[k] == v) return twice(what, items[i], list, err, len);
    cfg->rates[cfg->nrates++] = v;
  }
  cfg->rate = cfg->rates[0];
  return 0;
}

int cb_cfg_concurrency(cb_run_cfg *cfg, const char *list, char *err, size_t len) {
  char buf[1024], *items[CB_MAX_LIST];
  int n = split("concurrency", list, buf, sizeof buf, items, err, len);
  if (n < 0) return -1;
  cfg->nconc = 0;
  for (int i = 0; i < n; i++) {
    uint64_t v;
    if (cb_cfg_count("concurrency", items[i], 1, CB_MAX_CONC, &v, err, len) != 0) return -1;
    for (int k = 0; k < cfg->nconc; k++)
      if (cfg->conc[k] == v) return twice("concurrency", items[i], list, err, len);
    cfg->conc[cfg->nconc++] = (uint32_t)v;
  }
  return 0;
}

/* A value given by its name (store=redis): its number in the first workload that names it. */
static int named_value(const char *param, const char *item, double *out) {
  for (const cb_workload *const *w = cb_workloads(); *w; w++) {
    int i = cb_params_index(*w, param);
    if (i < 0 || !(*w)->params[i].names) continue;
    for (int k = 0; (*w)->params[i].names[k]; k++)
      if (strcmp((*w)->params[i].names[k], item) == 0) {
        *out = k;
        return 0;
      }
  }
  return -1;
}

int cb_cfg_param(cb_run_cfg *cfg, const char *name, const char *values, char *err, size_t len) {
  char buf[1024], *items[CB_MAX_LIST];
  if (!*name || strlen(name) >= sizeof cfg->ps[0].name) {
    snprintf(err, len, "'%s' is not a parameter name; e.g. delay_ms=20 or delay_ms=10,20", name);
    return -1;
  }
  for (int i = 0; i < cfg->nps; i++)
    if (strcmp(cfg->ps[i].name, name) == 0) {
      snprintf(err, len, "parameter %s given twice; put every value in one list: %s=V1,V2", name, name);
      return -1;
    }
  if (cfg->nps == CB_MAX_PSETS) {
    snprintf(err, len, "at most %d parameters", CB_MAX_PSETS);
    return -1;
  }
  char what[64];
  snprintf(what, sizeof what, "parameter %s", name);
  int n = split(what, values, buf, sizeof buf, items, err, len);
  if (n < 0) return -1;
  cb_pset *ps = &cfg->ps[cfg->nps];
  for (int i = 0; i < n; i++)
    if (cb_parse_double(items[i], &ps->vals[i]) != 0 && named_value(name, items[i], &ps->vals[i]) != 0) {
      snprintf(err, len, "%s=%s: '%s' is not a number", name, values, items[i]);
      return -1;
    } else {
      for (int k = 0; k < i; k++)
        if (ps->vals[k] == ps->vals[i]) return twice(what, items[i], values, err, len);
    }
  snprintf(ps->name, sizeof ps->name, "%s", name);
  ps->n = n;
  cfg->nps++;
  return 0;
}

int cb_cfg_check_calls(const cb_run_cfg *cfg, char *err, size_t len) {
  for (int w = 0; w < cfg->nwl; w++)
    for (int b = 0; b < cfg->nbe; b++)
      if (cb_case_check_calls(cfg->wl[w], cfg->be[b], cfg->rate > 0, err, len) != 0) return -1;
  return 0;
}

int cb_cfg_check(const cb_run_cfg *cfg, char *err, size_t len) {
  char why[256];
  for (int i = 0; i < cfg->nps; i++) {
    const cb_pset *ps = &cfg->ps[i];
    int found = 0;
    for (int w = 0; w < cfg->nwl; w++) {
      int k = cb_params_index(cfg->wl[w], ps->name);
      if (k < 0) continue;
      found = 1;
      for (int v = 0; v < ps->n; v++)
        if (cb_param_check(&cfg->wl[w]->params[k], ps->vals[v], why, sizeof why) != 0) {
          snprintf(err, len, "%s", why);
          return -1;
        }
    }
    if (!found) {
      size_t off = (size_t)snprintf(err, len, "unknown parameter '%s' for the chosen workloads; they take: ", ps->name);
      size_t start = off;
      for (int w = 0; w < cfg->nwl; w++)
        for (unsigned k = 0; k < cfg->wl[w]->nparams && off < len; k++)
          off += (size_t)snprintf(err + off, len - off, "%s%s", off > start ? ", " : "", cfg->wl[w]->params[k].name);
      if (off == start && off < len) snprintf(err + off, len - off, "no parameters");
      return -1;
    }
  }
  if (cb_cfg_check_calls(cfg, err, len) != 0) return -1;
  if ((cfg->rate > 0) != (cfg->duration > 0)) {
    snprintf(err, len, "an open-loop run needs both a rate and a duration, e.g. --rate 500 --duration 10");
    return -1;
  }
  for (int w = 0; w < cfg->nwl; w++)
    if (cfg->wl[w]->load && !(cfg->rate > 0)) {
      snprintf(err, len, "workload %s is a server driven by an open-loop load: give its rate and duration, "
               "e.g. --rate 1000,4000 --duration 3", cfg->wl[w]->name);
      return -1;
    }
  double top = cfg->rate;
  for (int i = 0; i < cfg->nrates; i++) if (cfg->rates[i] > top) top = cfg->rates[i];
  if (top * cfg->duration > (double)CB_MAX_TASKS) {
    snprintf(err, len, "rate x duration asks for more than %llu tasks; lower one of them", CB_MAX_TASKS);
    return -1;
  }
  return 0;
}
