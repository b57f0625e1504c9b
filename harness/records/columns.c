/* columns.c: results.csv's columns, where each lives in a case's JSON object and how it is printed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "columns.h"
#include "resread.h"
#include "sbuf.h"

/* X(name, obj, key, fmt): obj names a sub-object ("wall_s"), or an array whose first element
 * holds the value ("repetitions": workers is the first repetition's). fmt NULL: a string, or an
 * array of strings joined by ';' (flags). A new column is one line here, at the end: scripts read
 * the columns by name, and the first 20 names are a promise (DESIGN and README). */
#define CB_CSV_COLUMNS(X)                                \
  X(workload, NULL, "workload", NULL)                    \
  X(backend, NULL, "backend", NULL)                      \
  X(tasks, NULL, "tasks", "%.0f")                        \
  X(concurrency, NULL, "concurrency", "%.0f")            \
  X(params, NULL, "params_str", NULL)                    \
  X(reps, NULL, "reps", "%.0f")                          \
  X(wall_median_s, "wall_s", "median", "%.6f")           \
  X(wall_min_s, "wall_s", "min", "%.6f")                 \
  X(wall_max_s, "wall_s", "max", "%.6f")                 \
  X(wall_mean_s, "wall_s", "mean", "%.6f")               \
  X(wall_stddev_s, "wall_s", "stddev", "%.6f")           \
  X(wall_cv, "wall_s", "cv", "%.4f")                     \
  X(wall_ci_lo_s, "wall_s", "ci95_lo", "%.6f")           \
  X(wall_ci_hi_s, "wall_s", "ci95_hi", "%.6f")           \
  X(outliers, "wall_s", "outliers", "%.0f")              \
  X(cpu_user_s, NULL, "cpu_user_s", "%.6f")              \
  X(cpu_sys_s, NULL, "cpu_sys_s", "%.6f")                \
  X(peak_rss_kib, NULL, "peak_rss_kib", "%.0f")          \
  X(ctx_voluntary, NULL, "ctx_voluntary", "%.0f")        \
  X(ctx_involuntary, NULL, "ctx_involuntary", "%.0f")    \
  X(p50_ms, NULL, "p50_ms", "%.3f")                      \
  X(p90_ms, NULL, "p90_ms", "%.3f")                      \
  X(p99_ms, NULL, "p99_ms", "%.3f")                      \
  X(p999_ms, NULL, "p999_ms", "%.3f")                    \
  X(max_ms, NULL, "max_ms", "%.3f")                      \
  X(errors, NULL, "errors", "%.0f")                      \
  X(ideal_s, NULL, "ideal_s", "%.6f")                    \
  X(efficiency, NULL, "efficiency", "%.4f")              \
  X(checksum, NULL, "checksum", NULL)                    \
  X(workers, "repetitions", "workers", "%.0f")           \
  X(not_found, NULL, "not_found", "%.0f")                \
  X(rate_target, NULL, "rate_target", "%.3f")            \
  X(rate_achieved, NULL, "rate_achieved", "%.3f")        \
  X(peak_threads, NULL, "peak_threads", "%.0f")          \
  X(peak_procs, NULL, "peak_procs", "%.0f")              \
  X(peak_fds, NULL, "peak_fds", "%.0f")                  \
  X(server_cpu_s, NULL, "server_cpu_s", "%.3f")          \
  X(flags, NULL, "flags", NULL)

typedef struct csv_col { const char *obj, *key, *fmt; } csv_col;

#define COL(name, obj, key, fmt) { obj, key, fmt },
static const csv_col cols[] = { CB_CSV_COLUMNS(COL) };
#undef COL
#define NCOLS (sizeof cols / sizeof cols[0])

/* ",workload,backend,..." from the same list, past its first comma. */
#define HEADER(name, obj, key, fmt) "," #name
const char *const cb_csv_header = &(CB_CSV_COLUMNS(HEADER))[1];
#undef HEADER

static const cJSON *col_item(const cJSON *c, const csv_col *col) {
  const cJSON *o = c;
  if (col->obj) {
    o = cJSON_GetObjectItemCaseSensitive(c, col->obj);
    if (cJSON_IsArray(o)) o = cJSON_GetArrayItem(o, 0);
  }
  return cJSON_GetObjectItemCaseSensitive(o, col->key);
}

/* A string field raw; quoted only if it would break the row, which nothing concbench writes does. */
static void csv_str(cb_sbuf *b, const char *s) {
  if (!strpbrk(s, ",\"\r\n")) { cb_sb_puts(b, s); return; }
  cb_sb_puts(b, "\"");
  for (; *s; s++) cb_sb_puts(b, *s == '"' ? "\"\"" : (char[2]){ *s, 0 });
  cb_sb_puts(b, "\"");
}

static void csv_field(cb_sbuf *b, const cJSON *v, const csv_col *col) {
  const cJSON *it;
  if (col->fmt) {
    /* null (no ideal time, NaN) and absent (closed loop has no rate) are both empty */
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) cb_sb_printf(b, col->fmt, v->valuedouble);
  } else if (cJSON_IsString(v) && v->valuestring) {
    csv_str(b, v->valuestring);
  } else if (cJSON_IsArray(v)) {
    cb_sbuf j = { 0 };
    int first = 1;
    cJSON_ArrayForEach(it, v)
      if (cJSON_IsString(it) && it->valuestring) {
        cb_sb_printf(&j, "%s%s", first ? "" : ";", it->valuestring);
        first = 0;
      }
    if (j.p) csv_str(b, j.p);
    b->oom |= j.oom;
    free(j.p);
  }
}

char *cb_csv_of_cases(const cJSON *const *cases, size_t n, char *err, size_t len) {
  cb_sbuf b = { 0 };
  cb_sb_printf(&b, "%s\n", cb_csv_header);
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < NCOLS; k++) {
      if (k) cb_sb_puts(&b, ",");
      csv_field(&b, col_item(cases[i], &cols[k]), &cols[k]);
    }
    cb_sb_puts(&b, "\n");
  }
  if (b.oom || !b.p) {
    snprintf(err, len, "out of memory");
    free(b.p);
    return NULL;
  }
  return b.p;
}

char *cb_results_csv(const cb_results *r, char *err, size_t len) {
  const cJSON **cases = malloc((r->n ? r->n : 1) * sizeof *cases);
  if (!cases) {
    snprintf(err, len, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < r->n; i++) cases[i] = r->cases[i].json;
  char *csv = cb_csv_of_cases(cases, r->n, err, len);
  free(cases);
  return csv;
}
