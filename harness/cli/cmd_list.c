/* cmd_list.c: `concbench list`: the backends and workloads, with their parameters. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "registry.h"
#include "backend.h"
#include "util.h"

static const char list_usage[] =
  "usage: concbench list\n"
  "\n"
  "Lists the backends (concurrency models) and the workloads, with each workload's\n"
  "parameters: name, default, unit, range and what it means. Set them with run -p NAME=V1,V2.\n";

/* A number as people write it: 67108864, not 6.71089e+07; 0.25, not 2.5e-01. */
static const char *plain(double v, char *buf, size_t len) {
  if (v == floor(v) && fabs(v) < 1e18) {
    snprintf(buf, len, "%.0f", v);
    return buf;
  }
  snprintf(buf, len, "%.9f", v);
  char *e = buf + strlen(buf);
  while (e > buf && e[-1] == '0') *--e = 0;   /* %.9f always has a point to stop at */
  if (e > buf && e[-1] == '.') e[-1] = 0;
  return buf;
}

int cb_cmd_list(int argc, char **argv) {
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
  int ch;
  optind = 1;
  opterr = 0;   /* our own one-line messages */
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (ch == 'h') { fputs(list_usage, stdout); return 0; }
    cb_errorf("list: unknown option; see concbench list --help");
    return 2;
  }
  if (optind < argc) {
    cb_errorf("list: unexpected argument '%s'; see concbench list --help", argv[optind]);
    return 2;
  }
  printf("backends:\n");
  for (const cb_backend *const *b = cb_backends(); *b; b++) printf("  %-10s %s\n", (*b)->name, (*b)->summary);
  printf("\nworkloads:\n");
  for (const cb_workload *const *w = cb_workloads(); *w; w++) {
    printf("  %-10s [%s] %s\n", (*w)->name, cb_kind_names[(*w)->kind], (*w)->summary);
    for (unsigned k = 0; k < (*w)->nparams; k++) {
      const cb_param_spec *p = &(*w)->params[k];
      char d[32], lo[32], hi[32], range[72];
      snprintf(range, sizeof range, "%s..%s", plain(p->min, lo, sizeof lo), plain(p->max, hi, sizeof hi));
      /* A unitless count, or a share whose unit already is its range, shows the range alone. */
      if (!p->unit || !*p->unit || strcmp(p->unit, range) == 0)
        printf("      -p %s=%s  (%s)  %s\n", p->name, plain(p->def, d, sizeof d), range, p->help);
      else
        printf("      -p %s=%s  (%s, %s)  %s\n", p->name, plain(p->def, d, sizeof d), p->unit, range, p->help);
    }
  }
  return 0;
}
