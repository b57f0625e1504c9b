/* names.c: the names the tables' enumerations go by in `concbench list` and results.json. */
#include <stddef.h>
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

const char *const cb_uses_names[CB_USES_NGROUPS] = { "time", "compute", "tcp", "file", "queue", "set", "listen" };

/* Every member of cb_io by group, so that a group is whole only when each of its calls is there. */
static const struct { unsigned group; const char *name; size_t off; } io_members[] = {
#define M(g, m) { CB_USES_##g, #m, offsetof(cb_io, m) }
  M(TIME, sleep), M(TIME, sleep_until), M(COMPUTE, compute),
  M(TCP, tcp_connect), M(TCP, tcp_send), M(TCP, tcp_recv), M(TCP, tcp_close),
  M(FILE, file_open), M(FILE, file_write), M(FILE, file_read), M(FILE, file_fsync), M(FILE, file_close),
  M(FILE, file_unlink),
  M(QUEUE, queue_put), M(QUEUE, queue_get), M(QUEUE, queue_close), M(SET, set_add),
  M(LISTEN, tcp_listen), M(LISTEN, tcp_accept),
#undef M
};

unsigned cb_io_lacks(const cb_io *io, unsigned uses, const char **member) {
  for (size_t i = 0; i < sizeof io_members / sizeof io_members[0]; i++) {
    if (!(uses & io_members[i].group)) continue;
    void (*fn)(void);
    memcpy(&fn, (const char *)io + io_members[i].off, sizeof fn);   /* any function pointer's null */
    if (!fn) {
      if (member) *member = io_members[i].name;
      return io_members[i].group;
    }
  }
  return 0;
}
