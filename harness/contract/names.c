/* names.c: the names the tables' enumerations go by in `concbench list` and results.json. */
#include <string.h>
#include "backend.h"

const char *const cb_kind_names[3] = { [CB_KIND_IO] = "io", [CB_KIND_CPU] = "cpu", [CB_KIND_MIXED] = "mixed" };

#define XX(flag, text) text,
const char *const cb_backend_flag_names[CB_BACKEND_NFLAGS] = { CB_BACKEND_FLAG_MAP(XX) };
#undef XX

int cb_kind_parse(const char *name) {
  for (int k = 0; k < 3; k++)
    if (strcmp(cb_kind_names[k], name) == 0) return k;
  return -1;
}

unsigned cb_backend_flag_parse(const char *name) {
  for (unsigned k = 0; k < CB_BACKEND_NFLAGS; k++)
    if (strcmp(cb_backend_flag_names[k], name) == 0) return 1u << k;
  return 0;
}
