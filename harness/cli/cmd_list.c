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
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    char why[240];
    if (cb_backend_available(*b, why, sizeof why) == 0) printf("  %-10s %s\n", (*b)->name, (*b)->summary);
    else printf("  %-10s (unavailable here: %s) %s\n", (*b)->name, why, (*b)->summary);
  }
  printf("\nworkloads:\n");
  for (const cb_workload *const *w = cb_workloads(); *w; w++) {
    printf("  %-10s [%s] %s\n", (*w)->name, cb_kind_names[(*w)->kind], (*w)->summary);
    for (unsigned k = 0; k < (*w)->nparams; k++) {
      const cb_param_spec *p = &(*w)->params[k];
      char d[32], lo[32], hi[32], range[72];
      snprintf(range, sizeof range, "%s..%s", cb_fmt_plain(p->min, lo, sizeof lo), cb_fmt_plain(p->max, hi, sizeof hi));
      /* A unitless count, or a share whose unit already is its range, shows the range alone. */
      if (!p->unit || !*p->unit || strcmp(p->unit, range) == 0)
        printf("      -p %s=%s  (%s)  %s\n", p->name, cb_fmt_plain(p->def, d, sizeof d), range, p->help);
      else
        printf("      -p %s=%s  (%s, %s)  %s\n", p->name, cb_fmt_plain(p->def, d, sizeof d), p->unit, range, p->help);
    }
  }
  return 0;
}
