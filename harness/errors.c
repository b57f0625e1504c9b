/* errors.c: names and texts of error codes: errno's and the project's own (CB_ERRNO_MAP). */
#include <string.h>
#include "cb.h"

const char *cb_strerror(int err) {
  switch (err) {
#define XX(name, val, text) case CB_##name: return text;
  CB_ERRNO_MAP(XX)
#undef XX
  default: return strerror(-err);
  }
}

const char *cb_err_name(int err) {
  switch (err) {
#define XX(name, val, text) case CB_##name: return #name;
  CB_ERRNO_MAP(XX)
#undef XX
  default: {
    const char *n = err < 0 ? strerrorname_np(-err) : NULL;
    return n ? n : "EUNKNOWN";
  }
  }
}
