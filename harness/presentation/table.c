/* table.c: the human table printed after a run; nothing parses it. */
#include <stdio.h>
#include <string.h>
#include "backend.h"
#include "table.h"
#include "rows.h"

/* The baseline's row of the same workload and parameters, whatever its tasks (cases sized by time
 * run different numbers): at the same concurrency if the run has one, else, for a serial baseline
 * (sync runs one task at a time whatever the concurrency), at any. */
static const cb_case *base_of(const cb_plan *plan, const cb_case *c) {
  const cb_case *any = NULL;
  for (size_t i = 0; i < plan->n; i++) {
    const cb_case *s = &plan->cases[i];
    if (s->nreps && s->wl == c->wl && (s->be->flags & CB_BACKEND_BASELINE) &&
        strcmp(s->params_str, c->params_str) == 0) {
      if (s->conc == c->conc) return s;
      if (!any && (s->be->flags & CB_BACKEND_SERIAL)) any = s;
    }
  }
  return any;
}

/* The baseline's median wall over c's, or, when they ran different numbers of tasks, c's
 * throughput over the baseline's. */
static double speedup(uint64_t base_tasks, double base_wall, uint64_t tasks, double wall) {
  if (base_tasks == tasks || !base_tasks || !tasks) return base_wall / wall;
  return ((double)tasks / wall) / ((double)base_tasks / base_wall);
}

/* The speedup column's head: "vs_sync", after the plan's baseline. */
static void speed_head(const cb_plan *plan, char *out, size_t len) {
  snprintf(out, len, "vs_base");
  for (size_t i = 0; i < plan->n; i++)
    if (plan->cases[i].be->flags & CB_BACKEND_BASELINE) {
      snprintf(out, len, "vs_%s", plan->cases[i].be->name);
      return;
    }
}

size_t cb_table_wrap(const char *s, size_t width) {
  size_t n = strlen(s);
  if (n <= width) return n;
  /* The longest prefix that ends just after a ';' and fits; a single name=value wider than the
   * column is kept whole (the line runs over) rather than cut. */
  size_t fit = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] == ';') {
      if (i + 1 <= width) fit = i + 1;
      else break;
    }
  if (fit) return fit;
  const char *semi = strchr(s, ';');
  return semi ? (size_t)(semi - s) + 1 : n;
}

/* The params column: as wide as the widest params, within bounds that keep a row on a screen;
 * wider ones wrap at a ';' onto lines of their own. */
enum { PARAMS_MIN = 6, PARAMS_MAX = 36 };

static int params_width(const cb_plan *plan) {
  size_t w = PARAMS_MIN;
  for (size_t i = 0; i < plan->n; i++) {
    size_t n = strlen(plan->cases[i].params_str);
    if (n > w) w = n;
  }
  return (int)(w > PARAMS_MAX ? PARAMS_MAX : w);
}

/* The lines of params after the first, each under the params column. */
static void params_rest(FILE *out, const char *rest, int pw) {
  while (*rest) {
    size_t n = cb_table_wrap(rest, (size_t)pw);
    fprintf(out, "%*s %.*s\n", 8 + 1 + 10 + 1 + 6 + 1 + 6, "", (int)n, rest);
    rest += n;
  }
}

void cb_table_print(FILE *out, const cb_plan *plan, const cb_row *rows) {
  char head[16];
  speed_head(plan, head, sizeof head);
  int pw = params_width(plan);
  fprintf(out, "%-8s %-10s %6s %6s %-*s %10s %6s %9s %5s %8s %8s %9s %8s %8s %6s  %s\n",
          "workload", "backend", "tasks", "conc", pw, "params", "wall_s", "cv%", "ideal_s", "eff",
          head, "cpu_s", "rss_MiB", "p50_ms", "p99_ms", "errors", "flags");
  const cb_case *prev = NULL;
  for (size_t i = 0; i < plan->n; i++) {
    const cb_case *c = &plan->cases[i];
    if (!c->nreps && !c->skipped[0]) continue;
    const cb_row r = rows[i];
    if (prev && (prev->wl != c->wl || strcmp(prev->params_str, c->params_str) != 0 || prev->conc != c->conc))
      fputc('\n', out);
    prev = c;
    size_t first = cb_table_wrap(c->params_str, (size_t)pw);
    const char *rest = c->params_str + first;
    if (!c->nreps) {
      fprintf(out, "%-8s %-10s %6llu %6u %-*.*s skipped: %s\n", c->wl->name, c->be->name,
              (unsigned long long)c->tasks, c->conc, pw, (int)first, c->params_str, c->skipped);
      params_rest(out, rest, pw);
      continue;
    }
    char speed[16] = "-";
    const cb_case *s = base_of(plan, c);
    if (s) {
      const cb_row sr = rows[s - plan->cases];
      if (r.wall.median > 0 && sr.wall.median > 0)
        snprintf(speed, sizeof speed, "%.2fx", speedup(s->tasks, sr.wall.median, c->tasks, r.wall.median));
    }
    double cv = 100 * r.cv;
    char flags[128];
    cb_flags_format(r.flags, flags, sizeof flags);
    char ideal[16] = "-", eff[16] = "-";
    if (c->wl->ideal) {
      snprintf(ideal, sizeof ideal, "%.4f", c->ideal_s);
      snprintf(eff, sizeof eff, "%.2f", r.efficiency);
    }
    fprintf(out, "%-8s %-10s %6llu %6u %-*.*s %10.4f %6.1f %9s %5s %8s %8.3f %9.1f %8.2f %8.2f %6llu  %s\n",
            c->wl->name, c->be->name, (unsigned long long)c->tasks, c->conc, pw, (int)first, c->params_str,
            r.wall.median, cv, ideal, eff, speed, r.user_s + r.sys_s,
            r.peak_rss_kib / 1024, r.p50_ms, r.p99_ms, (unsigned long long)r.errors, flags);
    params_rest(out, rest, pw);
  }
}
