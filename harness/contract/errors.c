/* errors.c: names and texts of error codes: errno's and the project's own (CB_ERRNO_MAP). */
#include <errno.h>
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

const char *cb_err_hint(int err) {
  switch (-err) {
  case EMFILE: return "raise the open-files limit (ulimit -n) or lower -c";
  case ENFILE: return "the system's open-files table is full (fs.file-max): lower -c";
  case EAGAIN: return "a thread or process limit was reached: raise ulimit -u or lower -c";
  case ENOMEM: return "out of memory or mappings: lower -c or --stack-size, or raise vm.max_map_count";
  case ECONNREFUSED: return "nothing listens at the target: did the server exit?";
  case ECONNRESET:
  case EPIPE: return "the server closed the connection";
  case ETIMEDOUT: return "past its deadline (timeout_ms, or --case-timeout)";
  case EADDRNOTAVAIL: return "out of local ports: use keepalive=1 or lower -c";
  case ENOSPC: return "the disk is full";
  default: return NULL;
  }
}
