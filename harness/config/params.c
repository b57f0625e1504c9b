/* params.c: workload parameters: lookup, defaults, range checks and their text form. */
#include <math.h>
#include "util.h"
#include <stdio.h>
#include <string.h>
#include "plan.h"

int cb_params_index(const cb_workload *wl, const char *name) {
  for (unsigned i = 0; i < wl->nparams; i++)
    if (strcmp(wl->params[i].name, name) == 0) return (int)i;
  return -1;
}

void cb_params_defaults(const cb_workload *wl, cb_params *p) {
  memset(p, 0, sizeof *p);
  for (unsigned i = 0; i < wl->nparams; i++) p->v[i] = wl->params[i].def;
}

void cb_params_format(const cb_workload *wl, const cb_params *p, char *buf, size_t len) {
  size_t off = 0;
  buf[0] = '\0';
  /* ';' between parameters keeps the CSV column free of commas. */
  for (unsigned i = 0; i < wl->nparams && off < len; i++) {
    const cb_param_spec *s = &wl->params[i];
    int named = 0;
    if (s->names)
      for (int k = 0; s->names[k]; k++)
        if (p->v[i] == k) {
          off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", i ? ";" : "", s->name, s->names[k]);
          named = 1;
          break;
        }
    if (!named) off += (size_t)snprintf(buf + off, len - off, "%s%s=%.10g", i ? ";" : "", s->name, p->v[i]);
  }
}

int cb_param_check(const cb_param_spec *s, double v, char *err, size_t len) {
  if (s->integer && v != floor(v)) {
    snprintf(err, len, "%s takes whole numbers (%s), not %g", s->name, s->unit, v);
    return -1;
  }
  if (!(v >= s->min && v <= s->max)) {   /* written so that NaN fails too */
    char lo[40], hi[40], got[40];
    snprintf(err, len, "%s=%s is out of range: %s takes %s to %s %s", s->name, cb_fmt_plain(v, got, sizeof got), s->name,
             cb_fmt_plain(s->min, lo, sizeof lo), cb_fmt_plain(s->max, hi, sizeof hi), s->unit);
    return -1;
  }
  return 0;
}
