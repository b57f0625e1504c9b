/* escape.c: text from input files made safe for a terminal, markdown and HTML (see escape.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "escape.h"

/* The length of the valid UTF-8 sequence at s (2 to 4), or 0: no overlongs, no surrogates, nothing
 * past U+10FFFF. *cp gets the code point. */
static int utf8_len(const unsigned char *s, uint32_t *cp) {
  int n;
  uint32_t c;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) n = 2, c = s[0] & 0x1f;
  else if (s[0] >= 0xe0 && s[0] <= 0xef) n = 3, c = s[0] & 0x0f;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4) n = 4, c = s[0] & 0x07;
  else return 0;
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;   /* also stops at the NUL */
    c = c << 6 | (s[i] & 0x3f);
  }
  if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff)) return 0;
  *cp = c;
  return n;
}

/* Writes the character at *s visibly when it is a control or not UTF-8, else as it is; advances
 * *s. keep_nl leaves a newline and a tab raw (HTML). */
static void put_char(cb_sbuf *b, const char **s, int keep_nl) {
  const unsigned char *u = (const unsigned char *)*s;
  uint32_t cp = 0;
  int n;
  if (u[0] < 0x20 || u[0] == 0x7f) {
    if (keep_nl && (u[0] == '\n' || u[0] == '\t')) cb_sb_put(b, *s, 1);
    else if (u[0] == '\n') cb_sb_puts(b, "\\n");
    else if (u[0] == '\r') cb_sb_puts(b, "\\r");
    else if (u[0] == '\t') cb_sb_puts(b, "\\t");
    else cb_sb_printf(b, "\\x%02x", u[0]);
    *s += 1;
  } else if (u[0] < 0x80) {
    cb_sb_put(b, *s, 1);
    *s += 1;
  } else if ((n = utf8_len(u, &cp)) == 0) {
    cb_sb_printf(b, "\\x%02x", u[0]);
    *s += 1;
  } else {
    if (cp >= 0x80 && cp <= 0x9f) cb_sb_printf(b, "\\u%04x", (unsigned)cp);   /* C1 controls (CSI...) */
    else cb_sb_put(b, *s, (size_t)n);
    *s += n;
  }
}

void cb_sb_term(cb_sbuf *b, const char *s) {
  while (s && *s) put_char(b, &s, 0);
}

void cb_sb_md(cb_sbuf *b, const char *s) {
  const char *start = s;
  while (s && *s) {
    /* > and # start markup only at the start of a line (a quote, a heading); elsewhere they stay
     * as they are, so "cpu>cores" reads as it should. */
    int lead = (*s == '>' || *s == '#') && s == start;
    if (*s == '\n' || *s == '\r') {
      cb_sb_put(b, " ", 1);   /* a newline would end the table row */
      s++;
    } else if (lead || strchr("\\`*[]<|&", *s)) {
      cb_sb_put(b, "\\", 1);
      cb_sb_put(b, s++, 1);
    } else {
      put_char(b, &s, 0);
    }
  }
}

void cb_sb_html(cb_sbuf *b, const char *s) {
  while (s && *s) {
    switch (*s) {
    case '&': cb_sb_puts(b, "&amp;"); break;
    case '<': cb_sb_puts(b, "&lt;"); break;
    case '>': cb_sb_puts(b, "&gt;"); break;
    case '"': cb_sb_puts(b, "&quot;"); break;
    case '\'': cb_sb_puts(b, "&#39;"); break;
    default: put_char(b, &s, 1); continue;
    }
    s++;
  }
}

const char *cb_term(const char *s, char *buf, size_t len) {
  cb_sbuf b = { 0 };
  if (!len) return buf;
  buf[0] = '\0';
  /* Escaped piece by piece, so truncation ends between two characters' escapes. */
  size_t used = 0;
  while (s && *s) {
    b.len = 0;
    put_char(&b, &s, 0);
    if (b.oom || used + b.len >= len) break;
    memcpy(buf + used, b.p, b.len);
    used += b.len;
  }
  buf[used] = '\0';
  cb_sb_free(&b);
  return buf;
}
