/* sbuf.c: a growing string for the files concbench writes (CSV, JSON pieces, data, reports). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sbuf.h"

void cb_sb_put(cb_sbuf *b, const char *s, size_t len) {
  if (b->oom) return;
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + len + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, len);
  b->len += len;
  b->p[b->len] = '\0';
}

void cb_sb_puts(cb_sbuf *b, const char *s) { cb_sb_put(b, s, strlen(s)); }

void cb_sb_printf(cb_sbuf *b, const char *fmt, ...) {
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (k < 0) {
    b->oom = 1;
    return;
  }
  if ((size_t)k < sizeof small) {
    cb_sb_put(b, small, (size_t)k);
    return;
  }
  char *big = malloc((size_t)k + 1);
  if (!big) {
    b->oom = 1;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)k + 1, fmt, ap);
  va_end(ap);
  cb_sb_put(b, big, (size_t)k);
  free(big);
}

void cb_sb_free(cb_sbuf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}
