/* answers.c: same case, same answer: every backend's checksum and error count checked against
 * the others and against the faults the parameters asked for. */
#include <stdio.h>
#include <string.h>
#include "answers.h"
#include "util.h"

/* "280 ECONNREFUSED (connection refused: did the server exit?), 20 not run": the errors of a
 * case's repetitions by kind, most frequent first, with what to do about the ones a limit explains. */
void cb_answers_describe_errors(const cb_case *c, char *buf, size_t len) {
  struct { int32_t code; uint64_t count; } k[CB_ERROR_KINDS * 4];
  size_t nk = 0, used = 0;
  for (unsigned r = 0; r < c->nreps; r++)
    for (uint32_t i = 0; i < c->reps[r].nkinds; i++) {
      size_t j = 0;
      while (j < nk && k[j].code != c->reps[r].kinds[i].code) j++;
      if (j == nk) {
        if (nk == sizeof k / sizeof k[0]) continue;
        k[nk].code = c->reps[r].kinds[i].code;
        k[nk++].count = 0;
      }
      k[j].count += c->reps[r].kinds[i].count;
    }
  buf[0] = '\0';
  for (size_t done = 0; done < nk && used < len; done++) {
    size_t best = done;
    for (size_t j = done + 1; j < nk; j++)
      if (k[j].count > k[best].count) best = j;
    int32_t code = k[best].code;
    uint64_t count = k[best].count;
    k[best] = k[done];
    const char *hint = code ? cb_err_hint(code) : NULL;
    int n = code ? snprintf(buf + used, len - used, "%s%llu %s (%s%s%s)", done ? ", " : "", (unsigned long long)count,
                            cb_err_name(code), cb_strerror(code), hint ? ": " : "", hint ? hint : "")
                 : snprintf(buf + used, len - used, "%s%llu not run", done ? ", " : "", (unsigned long long)count);
    if (n < 0) break;
    used += (size_t)n;
  }
}

/* Same case, same answer: every clean row of a workload, parameters and task count must carry
 * one checksum, whatever the backend or concurrency. 0 when they do. */
int cb_answers_check(const cb_plan *plan, const cb_row *rows) {
  int bad = 0;
  for (size_t i = 0; i < plan->n; i++) {
    const cb_case *a = &plan->cases[i];
    if (!a->nreps) continue;
    const cb_row ra = rows[i];
    /* Faults the parameters asked for are results, not a failed check; any other error is. */
    uint64_t expected = a->wl->expected_errors ? a->wl->expected_errors(&a->params, a->tasks) * a->nreps : 0;
    if (ra.errors != expected) {
      const char *note = "";
      char kinds[384];
      for (unsigned k = 0; k < a->nreps && !*note; k++) note = a->reps[k].err;
      cb_answers_describe_errors(a, kinds, sizeof kinds);
      cb_errorf("%llu task(s) failed or never ran%s: %s on %s, %s, tasks=%llu, c=%u%s%s%s%s",
                (unsigned long long)ra.errors, expected ? " beyond the faults asked for" : "",
                a->wl->name, a->be->name, a->params_str, (unsigned long long)a->tasks, a->conc, *note ? ": " : "", note,
                *kinds ? "; " : "", kinds);
      bad = 1;
      continue;
    }
    if (!ra.checksum_stable) {
      cb_errorf("checksum differs between repetitions: %s on %s, %s, c=%u", a->wl->name, a->be->name, a->params_str, a->conc);
      bad = 1;
    }
    /* Rows whose failures are exactly the ones asked for compare too: the same tasks succeeded. */
    for (size_t j = 0; j < i; j++) {
      const cb_case *b = &plan->cases[j];
      if (!b->nreps || b->wl != a->wl || b->tasks != a->tasks || (a->wl->load && b->rate != a->rate) || strcmp(b->params_str, a->params_str) != 0) continue;
      const cb_row rb = rows[j];
      uint64_t bexp = b->wl->expected_errors ? b->wl->expected_errors(&b->params, b->tasks) * b->nreps : 0;
      if (rb.errors != bexp || rb.checksum == ra.checksum) continue;
      cb_errorf("checksum mismatch on %s, %s, tasks=%llu: %s c=%u gave %016llx, %s c=%u gave %016llx",
                a->wl->name, a->params_str, (unsigned long long)a->tasks, b->be->name, b->conc,
                (unsigned long long)rb.checksum, a->be->name, a->conc, (unsigned long long)ra.checksum);
      bad = 1;
      break;
    }
  }
  return bad;
}

