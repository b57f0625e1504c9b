/* suite.c: suite files: INI (parsed with inih) naming groups of cases. A group is one workload
 * swept over backends, concurrency and parameters; quick.* keys give its --quick form. */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "suite.h"
#include "runcfg.h"
#include "util.h"

#define MAX_VALS 48

typedef struct sval {
  char key[48];          /* "backends", "param.delay_ms", "quick.concurrency" */
  char val[1024];
  int line;
} sval;

typedef struct sgroup {
  char name[64];
  int line;
  sval vals[MAX_VALS];
  int nvals;
} sgroup;

typedef struct parser {
  const char *name;
  const char *text;      /* the reader's position */
  int line;              /* the line the handler is looking at */
  cb_suite *suite;
  sgroup *groups;
  int ngroups;
  int qreps, qwarmup;    /* quick.reps, quick.warmup, or -1 (-2: quick.reps = auto) */
  double qbudget, qtarget;   /* quick.budget, quick.target, or -1 */
  int new_section;       /* a [section] line was read since the last key */
  int section_line;      /* where the last one was */
  char err[512];
} parser;

static const char *const group_keys[] = { "workload", "workloads", "backends", "tasks", "target", "concurrency",
                                          "rate", "duration", "quick", NULL };

/* One line of text per call, counting lines as inih reads them (the handler gets no line). */
static char *reader(char *str, int num, void *stream) {
  parser *p = stream;
  if (!*p->text) return NULL;
  int i = 0;
  while (i < num - 1 && p->text[i] && p->text[i] != '\n') i++;
  int take = i + (p->text[i] == '\n' && i < num - 1);
  memcpy(str, p->text, (size_t)take);
  str[take] = '\0';
  p->text += take;
  p->line++;
  /* inih reports keys, not sections: note each header, so a repeated one is seen. */
  const char *c = str;
  while (*c == ' ' || *c == '\t') c++;
  if (*c == '[') {
    p->new_section = 1;
    p->section_line = p->line;
  }
  return str;
}

static int fail(parser *p, const char *fmt, const char *a, const char *b) {
  char msg[400];
  snprintf(msg, sizeof msg, fmt, a, b);
  if (!p->err[0]) snprintf(p->err, sizeof p->err, "%s:%d: %s", p->name, p->line, msg);
  return 0;
}

static int known_group_key(const char *key) {
  const char *k = strncmp(key, "quick.", 6) == 0 && strcmp(key, "quick") != 0 ? key + 6 : key;
  if (strncmp(k, "param.", 6) == 0) return k[6] != '\0';
  for (int i = 0; group_keys[i]; i++)
    if (strcmp(k, group_keys[i]) == 0) return !(k != key && strcmp(k, "quick") == 0);
  return 0;
}

/* A number of seconds or a share for a [suite] key, into *out. 1, or 0 after fail(). */
static int suite_number(parser *p, const char *key, const char *value, double lo, double hi, double *out) {
  char err[256];
  if (cb_cfg_number(key, value, lo, hi, out, err, sizeof err) != 0) return fail(p, "%s%s", err, "");
  return 1;
}

/* One key of [suite] (gate lines aside). 1, or 0 after fail(). */
static int suite_key(parser *p, cb_suite *s, const char *key, const char *value) {
  char err[256];
  uint64_t v;
  int quick = strncmp(key, "quick.", 6) == 0;
  const char *k = quick ? key + 6 : key;
  if (!quick && strcmp(key, "name") == 0) snprintf(s->name, sizeof s->name, "%s", value);
  else if (!quick && strcmp(key, "description") == 0) snprintf(s->description, sizeof s->description, "%s", value);
  else if (!quick && strcmp(key, "seed") == 0) {
    if (cb_parse_u64(value, &s->seed) != 0) return fail(p, "seed '%s' is not a whole number%s", value, "");
  } else if (strcmp(k, "reps") == 0 && strcmp(value, "auto") == 0) {
    if (quick) p->qreps = -2;
    else s->reps_auto = 1;
  } else if (strcmp(k, "reps") == 0 || strcmp(k, "warmup") == 0) {
    int reps = strcmp(k, "reps") == 0;
    if (cb_cfg_count(key, value, reps ? 1 : 0, reps ? CB_MAX_REPS : 100, &v, err, sizeof err) != 0)
      return fail(p, "%s%s", err, reps ? "; or reps = auto" : "");
    if (quick) *(reps ? &p->qreps : &p->qwarmup) = (int)v;
    else *(reps ? &s->reps : &s->warmup) = (unsigned)v;
    if (reps && !quick) s->reps_auto = 0;
  } else if (!quick && strcmp(key, "max_reps") == 0) {
    if (cb_cfg_count(key, value, 1, CB_MAX_REPS, &v, err, sizeof err) != 0) return fail(p, "%s%s", err, "");
    s->reps_max = (unsigned)v;
  } else if (!quick && strcmp(key, "ci") == 0) {
    return suite_number(p, key, value, 0.0001, 1, &s->ci);
  } else if (strcmp(k, "budget") == 0) {
    return suite_number(p, key, value, 0, 86400, quick ? &p->qbudget : &s->budget_s);
  } else if (strcmp(k, "target") == 0) {
    return suite_number(p, key, value, 0.001, 3600, quick ? &p->qtarget : &s->target_s);
  } else {
    return fail(p, "unknown key '%s' in [suite]; it takes name, description, reps, warmup, seed, max_reps, ci, budget, "
                "target, quick.reps, quick.warmup, quick.budget, quick.target, gate%s", key, "");
  }
  return 1;
}

static int handler(void *user, const char *section, const char *key, const char *value) {
  parser *p = user;
  char err[256];
  if (p->err[0]) return 0;
  if (strcmp(section, "suite") == 0) {
    cb_suite *s = p->suite;
    p->new_section = 0;
    if (strcmp(key, "gate") == 0) {
      if (s->ngates == CB_MAX_GATES) return fail(p, "too many gates (at most 32)%s%s", "", "");
      if (cb_gate_parse(value, &s->gates[s->ngates], err, sizeof err) != 0) return fail(p, "%s%s", err, "");
      s->ngates++;
      return 1;
    }
    return suite_key(p, s, key, value);
  }
  if (strncmp(section, "group ", 6) != 0 || !section[6]) {
    return fail(p, "unknown section [%s]; sections are [suite] and [group NAME]%s", section, "");
  }
  /* A new group starts at each section header. */
  sgroup *g = p->ngroups ? &p->groups[p->ngroups - 1] : NULL;
  int fresh = p->new_section;
  p->new_section = 0;
  if (!g || fresh) {
    for (int i = 0; i < p->ngroups; i++)
      if (strcmp(p->groups[i].name, section + 6) == 0) return fail(p, "group '%s' appears twice%s", section + 6, "");
    if (p->ngroups == CB_MAX_GROUPS) return fail(p, "too many groups (at most 64)%s%s", "", "");
    /* Grown one group at a time: a group's values take 50 KiB, most suites have a few groups. */
    sgroup *more = realloc(p->groups, (size_t)(p->ngroups + 1) * sizeof *more);
    if (!more) return fail(p, "out of memory%s%s", "", "");
    p->groups = more;
    g = &p->groups[p->ngroups++];
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", section + 6);
    g->line = p->section_line ? p->section_line : p->line;
  }
  if (!known_group_key(key))
    return fail(p, "unknown key '%s' in [group %s]; it takes workload, backends, tasks, concurrency, param.NAME, "
                "rate, duration, quick, and quick.KEY", key, g->name);
  for (int i = 0; i < g->nvals; i++)
    if (strcmp(g->vals[i].key, key) == 0) return fail(p, "key '%s' given twice in [group %s]", key, g->name);
  if (g->nvals == MAX_VALS || strlen(key) >= sizeof g->vals[0].key || strlen(value) >= sizeof g->vals[0].val)
    return fail(p, "key '%s' in [group %s] is too long or one key too many", key, g->name);
  sval *sv = &g->vals[g->nvals++];
  snprintf(sv->key, sizeof sv->key, "%s", key);
  snprintf(sv->val, sizeof sv->val, "%s", value);
  sv->line = p->line;
  return 1;
}

static const sval *find(const sgroup *g, const char *key) {
  for (int i = 0; i < g->nvals; i++)
    if (strcmp(g->vals[i].key, key) == 0) return &g->vals[i];
  return NULL;
}

/* A group's value for key in this mode: quick.key over key in quick mode. */
static const sval *pick(const sgroup *g, const char *key, int quick) {
  char qk[64];
  snprintf(qk, sizeof qk, "quick.%s", key);
  const sval *q = quick ? find(g, qk) : NULL;
  return q ? q : find(g, key);
}

static int is_yes(const char *v, int *out) {
  if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on")) { *out = 1; return 0; }
  if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "off")) { *out = 0; return 0; }
  return -1;
}

static int build_group(const char *name, const sgroup *g, int quick, double default_target, cb_run_cfg *cfg, char *err,
                       size_t len) {
  char why[400];
  const sval *v;
  cb_cfg_defaults(cfg);
#define WHERE_AT(l) snprintf(err, len, "%s:%d: [group %s] %s", name, (l), g->name, why)
#define WHERE(sv) WHERE_AT((sv)->line)
  if (!(v = pick(g, "workload", quick)) && !(v = pick(g, "workloads", quick))) {
    snprintf(why, sizeof why, "names no workload: add workload = NAME (concbench list)");
    WHERE_AT(g->line);
    return -1;
  }
  if (cb_cfg_workloads(cfg, v->val, why, sizeof why) != 0) { WHERE(v); return -1; }
  if ((v = pick(g, "backends", quick)) && cb_cfg_backends(cfg, v->val, why, sizeof why) != 0) { WHERE(v); return -1; }
  if ((v = pick(g, "concurrency", quick)) && cb_cfg_concurrency(cfg, v->val, why, sizeof why) != 0) { WHERE(v); return -1; }
  if ((v = pick(g, "target", quick)) && cb_cfg_number("target", v->val, 0.001, 3600, &cfg->target_s, why, sizeof why) != 0) { WHERE(v); return -1; }
  if ((v = pick(g, "tasks", quick))) {
    double target = cfg->target_s;
    if (cb_cfg_tasks(cfg, v->val, why, sizeof why) != 0) { strncat(why, "; or tasks = auto", sizeof why - strlen(why) - 1); WHERE(v); return -1; }
    /* tasks = auto: the group's target, else the suite's, else the default. */
    if (cfg->target_s > 0) cfg->target_s = target > 0 ? target : default_target;
  } else {
    cfg->target_s = 0;
  }
  if ((v = pick(g, "rate", quick)) && cb_cfg_rates(cfg, "rate", v->val, why, sizeof why) != 0) { WHERE(v); return -1; }
  if ((v = pick(g, "duration", quick)) && cb_cfg_number("duration", v->val, 1e-3, 86400, &cfg->duration, why, sizeof why) != 0) { WHERE(v); return -1; }
  for (int i = 0; i < g->nvals; i++) {
    const sval *p = &g->vals[i];
    if (strncmp(p->key, "param.", 6) != 0) continue;
    const sval *use = pick(g, p->key, quick);
    /* Checked against the workload at once, so a bad value names its own line. */
    if (cb_cfg_param(cfg, p->key + 6, use->val, why, sizeof why) != 0 || cb_cfg_check(cfg, why, sizeof why) != 0) {
      WHERE(use);
      return -1;
    }
  }
  if (quick)   /* quick-only parameters (no plain key) */
    for (int i = 0; i < g->nvals; i++) {
      const sval *p = &g->vals[i];
      if (strncmp(p->key, "quick.param.", 12) != 0 || find(g, p->key + 6)) continue;
      if (cb_cfg_param(cfg, p->key + 12, p->val, why, sizeof why) != 0 || cb_cfg_check(cfg, why, sizeof why) != 0) {
        WHERE(p);
        return -1;
      }
    }
  if (cb_cfg_check(cfg, why, sizeof why) != 0) { WHERE_AT(g->line); return -1; }
#undef WHERE
#undef WHERE_AT
  return 0;
}

int cb_suite_parse(const char *text, const char *name, int quick, cb_suite *s, char *err, size_t len) {
  parser *p = calloc(1, sizeof *p);
  int rc = -1;
  if (!p) {
    snprintf(err, len, "%s: out of memory", name);
    goto cleanup;
  }
  memset(s, 0, sizeof *s);
  s->reps = 3;
  s->warmup = 1;
  s->seed = 1;
  s->reps_max = CB_AUTO_REPS_MAX;
  s->ci = CB_AUTO_CI;
  s->target_s = CB_AUTO_TARGET_S;
  p->name = name;
  p->text = text;
  p->suite = s;
  p->qreps = p->qwarmup = -1;
  p->qbudget = p->qtarget = -1;
  int line = ini_parse_stream(reader, p, handler, p);
  sgroup *groups = p->groups;
  if (p->err[0]) {
    snprintf(err, len, "%s", p->err);
    goto cleanup;
  }
  if (line != 0) {
    snprintf(err, len, "%s:%d: not an INI line (expected [section], key = value, or a ; or # comment)", name, line);
    goto cleanup;
  }
  if (quick && p->qreps >= 0) {
    s->reps = (unsigned)p->qreps;
    s->reps_auto = 0;
  }
  if (quick && p->qreps == -2) s->reps_auto = 1;
  if (s->reps_auto && s->reps < CB_AUTO_REPS_MIN) s->reps = CB_AUTO_REPS_MIN;
  if (quick && p->qbudget >= 0) s->budget_s = p->qbudget;
  if (quick && p->qtarget >= 0) s->target_s = p->qtarget;
  if (quick && p->qwarmup >= 0) s->warmup = (unsigned)p->qwarmup;
  for (int i = 0; i < p->ngroups; i++) {
    int q = 0;
    const sval *qv = find(&groups[i], "quick");
    if (qv && is_yes(qv->val, &q) != 0) {
      snprintf(err, len, "%s:%d: [group %s] quick = '%s': say yes or no", name, qv->line, groups[i].name, qv->val);
      goto cleanup;
    }
    cb_run_cfg *cfg = &s->groups[s->ngroups];
    if (build_group(name, &groups[i], quick, s->target_s, cfg, err, len) != 0) goto cleanup;
    if (quick && !q) continue;
    cfg->reps = s->reps;
    cfg->reps_auto = s->reps_auto;
    cfg->reps_max = s->reps_max;
    cfg->ci = s->ci;
    cfg->budget_s = s->budget_s;
    cfg->warmup = s->warmup;
    cfg->serial_once = 1;
    cfg->seed = s->seed;
    snprintf(s->group_names[s->ngroups++], sizeof s->group_names[0], "%s", groups[i].name);
  }
  if (s->ngroups == 0) {
    snprintf(err, len, "%s: no [group NAME] section%s", name, quick ? " marked quick = yes" : "");
    goto cleanup;
  }
  rc = 0;
cleanup:
  if (p) free(p->groups);
  free(p);
  return rc;
}

int cb_suite_load(const char *path, int quick, cb_suite *s, char *err, size_t len) {
  size_t n;
  char why[160];
  char *text = cb_read_regular(path, CB_SUITE_MAX_BYTES, &n, why, sizeof why);
  if (!text) {
    snprintf(err, len, "cannot read the suite file %s: %s", path, why);
    return -1;
  }
  if (memchr(text, '\0', n)) {
    snprintf(err, len, "%s: not a text file", path);
    free(text);
    return -1;
  }
  int rc = cb_suite_parse(text, path, quick, s, err, len);
  free(text);
  return rc;
}
