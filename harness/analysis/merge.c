/* merge.c: result directories (typically the shards of one run) joined into one. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include "merge.h"
#include "columns.h"
#include "resread.h"
#include "util.h"
#include "escape.h"

/* What must agree for the cases to be comparable rows of one table. */
static const char *const env_keys[] = { "cores", "cpu_model", "build_type", "compiler", "git_revision", "git_dirty" };
#define NENV (sizeof env_keys / sizeof env_keys[0])

/* A one-line message built in pieces, cut short rather than overflowing. */
typedef struct line { char s[1024]; size_t len; } line;

static void line_add(line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_add(line *l, const char *fmt, ...) {
  if (l->len >= sizeof l->s - 1) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(l->s + l->len, sizeof l->s - l->len, fmt, ap);
  va_end(ap);
  if (n > 0) l->len += (size_t)n;
  if (l->len >= sizeof l->s - 1) {
    l->len = sizeof l->s - 1;
    memcpy(l->s + sizeof l->s - 4, "...", 4);
  }
}

/* A message into err, cut short if it must be (paths can be long). */
static void set_err(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, len, fmt, ap);
  va_end(ap);
}

static void env_value(const cJSON *v, char *buf, size_t len) {
  if (cJSON_IsString(v) && v->valuestring) snprintf(buf, len, "%s", v->valuestring);
  else if (cJSON_IsNumber(v)) snprintf(buf, len, "%g", v->valuedouble);
  else if (cJSON_IsBool(v)) snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
  else snprintf(buf, len, "none");
}

/* The env_keys where b differs from a, listed into l ("cores 4 (not 2)"); how many. */
static int env_diff(const cJSON *a, const cJSON *b, line *l, unsigned char *which) {
  int n = 0;
  for (size_t k = 0; k < NENV; k++) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, env_keys[k]);
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, env_keys[k]);
    which[k] = 0;
    if ((!x && !y) || (x && y && cJSON_Compare(x, y, 1))) continue;
    char vx[128], vy[128];
    env_value(x, vx, sizeof vx);
    env_value(y, vy, sizeof vy);
    if (l) line_add(l, "%s%s %s (not %s)", n ? ", " : "", env_keys[k], vy, vx);
    which[k] = 1;
    n++;
  }
  return n;
}

/* A case's place among all inputs, sorted by its identity to find the duplicates. */
typedef struct ref { const cb_rcase *c; size_t input; } ref;

static int ref_cmp(const void *a, const void *b) {
  const cb_rcase *x = ((const ref *)a)->c, *y = ((const ref *)b)->c;
  int d;
  if ((d = strcmp(x->workload, y->workload)) || (d = strcmp(x->backend, y->backend)) ||
      (d = strcmp(x->params_str, y->params_str)))
    return d;
  if (x->conc != y->conc) return x->conc < y->conc ? -1 : 1;
  if (x->tasks != y->tasks) return x->tasks < y->tasks ? -1 : 1;
  return (((const ref *)a)->input > ((const ref *)b)->input) - (((const ref *)a)->input < ((const ref *)b)->input);
}

static int same_case(const cb_rcase *x, const cb_rcase *y) {
  return strcmp(x->workload, y->workload) == 0 && strcmp(x->backend, y->backend) == 0 &&
         strcmp(x->params_str, y->params_str) == 0 && x->conc == y->conc && x->tasks == y->tasks;
}

/* 0, or -1 with the first duplicated case described in err. */
static int find_duplicate(const cb_results *in, char *const *names, size_t nin, char *err, size_t len) {
  size_t total = 0, k = 0;
  int rc = 0;
  for (size_t i = 0; i < nin; i++) total += in[i].n;
  ref *refs = malloc((total ? total : 1) * sizeof *refs);
  if (!refs) { set_err(err, len, "out of memory"); return -1; }
  for (size_t i = 0; i < nin; i++)
    for (size_t j = 0; j < in[i].n; j++) refs[k++] = (ref){ &in[i].cases[j], i };
  qsort(refs, total, sizeof *refs, ref_cmp);
  for (k = 1; k < total; k++) {
    if (!same_case(refs[k - 1].c, refs[k].c)) continue;
    const cb_rcase *c = refs[k].c;
    char where[600];
    if (refs[k - 1].input == refs[k].input) snprintf(where, sizeof where, "twice in %s", names[refs[k].input]);
    else snprintf(where, sizeof where, "in both %s and %s", names[refs[k - 1].input], names[refs[k].input]);
    set_err(err, len, "case %s on %s, %s, c=%u, tasks=%llu is %s: the shards overlap (run each --shard I/N once); "
             "not merged, even with --force", c->workload, c->backend, c->params_str[0] ? c->params_str : "no params",
             c->conc, (unsigned long long)c->tasks, where);
    rc = -1;
    break;
  }
  free(refs);
  return rc;
}

static const char *jstr(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

/* merged_from's entry for one input: where it came from, and what sets it apart when forced. */
static cJSON *source_json(const cb_results *r, const char *name, const unsigned char *differs) {
  cJSON *s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "path", name);
  cJSON_AddStringToObject(s, "git_revision", jstr(r->env, "git_revision"));
  cJSON_AddStringToObject(s, "date", jstr(r->env, "date"));
  cJSON_AddStringToObject(s, "status", r->status);
  cJSON_AddNumberToObject(s, "cases", (double)r->n);
  const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(r->root, "command");
  if (cmd) cJSON_AddItemToObject(s, "command", cJSON_Duplicate(cmd, 1));
  cJSON *d = NULL;
  for (size_t k = 0; k < NENV; k++) {
    if (!differs[k]) continue;
    if (!d) d = cJSON_AddObjectToObject(s, "environment_differs");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->env, env_keys[k]);
    cJSON_AddItemToObject(d, env_keys[k], v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
  }
  /* an input that is itself a merge keeps its own sources */
  const cJSON *inner = cJSON_GetObjectItemCaseSensitive(r->root, "merged_from");
  if (inner) cJSON_AddItemToObject(s, "merged_from", cJSON_Duplicate(inner, 1));
  return s;
}

/* The merged results.json: the first input's top level (its environment, method, command), the
 * status "complete" only when every input is, merged_from, and every case in input order. The
 * cases are moved out of the inputs' trees, not copied (a copy doubled merge's memory): the inputs
 * are only to be freed after this. */
static char *merged_json(cb_results *in, char *const *names, size_t nin, const unsigned char *differs) {
  cJSON *root = cJSON_CreateObject();
  const cJSON *it;
  int complete = 1;
  for (size_t i = 0; i < nin; i++) complete &= strcmp(in[i].status, "complete") == 0;
  cJSON_ArrayForEach(it, in[0].root) {
    if (!it->string || strcmp(it->string, "merged_from") == 0) continue;
    if (strcmp(it->string, "status") == 0) {
      cJSON_AddStringToObject(root, "status", complete ? "complete" : "partial");
    } else if (strcmp(it->string, "cases") == 0) {
      if (cJSON_GetObjectItemCaseSensitive(root, "cases")) continue;   /* a second "cases" key */
      cJSON *from = cJSON_AddArrayToObject(root, "merged_from");
      for (size_t i = 0; i < nin; i++) cJSON_AddItemToArray(from, source_json(&in[i], names[i], &differs[i * NENV]));
      cJSON *cases = cJSON_AddArrayToObject(root, "cases");
      for (size_t i = 0; i < nin; i++)
        for (size_t j = 0; j < in[i].n; j++) {
          cJSON *c = cJSON_DetachItemViaPointer(cJSON_GetObjectItemCaseSensitive(in[i].root, "cases"),
                                                (cJSON *)in[i].cases[j].json);
          in[i].cases[j].json = NULL;
          cJSON_AddItemToArray(cases, c);
        }
    } else {
      cJSON_AddItemToObject(root, it->string, cJSON_Duplicate(it, 1));
    }
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  return text;
}

/* The first component of path that does not exist (what mkdir -p creates), into top; empty
 * when path exists. */
static void first_missing(const char *path, char *top, size_t len) {
  char buf[PATH_MAX];
  struct stat st;
  top[0] = '\0';
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return;
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char c = *p;
    *p = '\0';
    if (stat(buf, &st) != 0) {
      snprintf(top, len, "%s", buf);
      return;
    }
    *p = c;
    if (!c) return;
  }
}

/* Writes DIR/results.csv and DIR/results.json; on failure removes what it created. */
static int write_out(const char *dir, const char *json, const char *csv, char *err, size_t len) {
  char top[PATH_MAX], path[PATH_MAX];
  int rc;
  first_missing(dir, top, sizeof top);
  if ((rc = cb_mkdirs(dir)) != 0) {
    set_err(err, len, "cannot create %s: %s", dir, strerror(-rc));
    goto fail;
  }
  if (snprintf(path, sizeof path, "%s/results.csv", dir) >= (int)sizeof path) {
    rc = -ENAMETOOLONG;
    set_err(err, len, "%s: %s", dir, strerror(-rc));
    goto fail;
  }
  if ((rc = cb_write_atomic(path, csv, strlen(csv))) != 0) {
    set_err(err, len, "cannot write %s: %s", path, strerror(-rc));
    goto fail;
  }
  snprintf(path, sizeof path, "%s/results.json", dir);
  if ((rc = cb_write_atomic(path, json, strlen(json))) != 0) {
    set_err(err, len, "cannot write %s: %s", path, strerror(-rc));
    goto fail;
  }
  return 0;
fail:
  if (top[0]) cb_rmtree(top);
  return rc ? rc : -EIO;
}

int cb_merge(const char *out_dir, char *const *names, size_t nin, int force) {
  char err[1024];
  int status = 2;
  cb_results *in = NULL, merged;
  unsigned char *differs = NULL;
  char *json = NULL, *csv = NULL;
  memset(&merged, 0, sizeof merged);
  in = calloc(nin, sizeof *in);
  differs = calloc(nin * NENV, 1);
  if (!in || !differs) {
    cb_errorf("merge: out of memory");
    goto cleanup;
  }
  for (size_t i = 0; i < nin; i++)
    if (cb_results_read(names[i], &in[i], err, sizeof err) < 0) {
      cb_errorf("merge: %s", err);
      goto cleanup;
    }

  /* Environments: every input against the first, all differences on the one line. */
  line l = { .len = 0 };
  int ndiff = 0;
  for (size_t i = 1; i < nin; i++) {
    line one = { .len = 0 };
    if (env_diff(in[0].env, in[i].env, &one, &differs[i * NENV]) == 0) continue;
    line_add(&l, "%s%s has %s", ndiff++ ? "; " : "", names[i], one.s);
  }
  if (ndiff && !force) {
    cb_errorf("merge: environments differ from %s's: %s; merge results of one build on like machines, or pass --force",
              names[0], l.s);
    goto cleanup;
  }
  if (find_duplicate(in, names, nin, err, sizeof err) != 0) {
    cb_errorf("merge: %s", err);
    goto cleanup;
  }

  /* Built, read back and turned into CSV before anything is written: the merged file must be
   * one that every reader accepts. */
  if (!(json = merged_json(in, names, nin, differs))) {
    cb_errorf("merge: out of memory");
    goto cleanup;
  }
  /* The inputs' trees are no longer needed: freed before the merged file is read back, so the
   * two are never in memory at once. */
  for (size_t i = 0; i < nin; i++) cb_results_free(&in[i]);
  size_t jl = strlen(json);
  char *grown = realloc(json, jl + 2);
  if (!grown) {
    cb_errorf("merge: out of memory");
    goto cleanup;
  }
  json = grown;
  memcpy(json + jl, "\n", 2);   /* the file ends with a newline, like run's */
  if (cb_results_parse(json, jl + 1, "merged results.json", &merged, err, sizeof err) < 0 ||
      !(csv = cb_results_csv(&merged, err, sizeof err))) {
    cb_errorf("merge: %s", err);
    goto cleanup;
  }
  if (write_out(out_dir, json, csv, err, sizeof err) != 0) {
    cb_errorf("merge: %s", err);
    goto cleanup;
  }
  if (ndiff) cb_errorf("merge: merged despite different environments (--force): %s", l.s);
  char shown[PATH_MAX * 2];
  cb_term(out_dir, shown, sizeof shown);
  printf("merged %zu cases from %zu inputs into %s/results.json and %s/results.csv\n", merged.n, nin, shown, shown);
  status = 0;
cleanup:
  for (size_t i = 0; in && i < nin; i++) cb_results_free(&in[i]);
  cb_results_free(&merged);
  free(in);
  free(differs);
  free(json);
  free(csv);
  return status;
}
