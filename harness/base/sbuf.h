/* sbuf.h: a growing string for the files concbench writes (CSV, JSON pieces, data, reports). */
#ifndef CB_SBUF_H
#define CB_SBUF_H

#include <stddef.h>

typedef struct cb_sbuf {
  char *p;               /* NUL-terminated once anything was added */
  size_t len, cap;
  int oom;               /* sticky: checked once at the end instead of after every append */
} cb_sbuf;

void cb_sb_put(cb_sbuf *b, const char *s, size_t len);
void cb_sb_puts(cb_sbuf *b, const char *s);
void cb_sb_printf(cb_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cb_sb_free(cb_sbuf *b);

#endif
