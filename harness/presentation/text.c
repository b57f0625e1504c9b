/* text.c: words and numbers for people: base64, ratios, durations, sizes, lists, and the list of sentences. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "presentation_int.h"

void cb__sb_base64(cb_sbuf *b, const unsigned char *d, size_t n) {
  static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char q[4];
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) | (i + 2 < n ? d[i + 2] : 0);
    q[0] = tbl[v >> 18 & 63];
    q[1] = tbl[v >> 12 & 63];
    q[2] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
    q[3] = i + 2 < n ? tbl[v & 63] : '=';
    cb_sb_put(b, q, 4);
  }
}

/* "a", "a and b", "a, b and c". */
void cb__sb_join(cb_sbuf *b, const char *const *items, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (i) cb_sb_puts(b, i + 1 == n ? " and " : ", ");
    cb_sb_puts(b, items[i]);
  }
}

/* ---- sentences ---------------------------------------------------------------------------- */

int cb__sl_push(cb__slist *l, cb_sbuf *s) {
  if (s->oom || !s->p) {
    cb_sb_free(s);
    return -ENOMEM;
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    char **v = realloc(l->v, cap * sizeof *v);
    if (!v) {
      cb_sb_free(s);
      return -ENOMEM;
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = s->p;
  memset(s, 0, sizeof *s);
  return 1;
}

void cb__sl_free(cb__slist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

/* ---- numbers for people ------------------------------------------------------------------- */

/* A ratio as "47×", "1.9×", "0.98×". */
void cb__fmt_x(double x, char *buf, size_t len) {
  if (!isfinite(x)) snprintf(buf, len, "–");
  else if (x >= 9.95) snprintf(buf, len, "%.0f×", x);
  else if (x >= 1) snprintf(buf, len, "%.1f×", x);
  else snprintf(buf, len, "%.2f×", x);
}

/* One memory figure against another (r = mine / theirs), ready for "… the memory of X":
 * "a ninth of", "1/14 of", "59% of", "2.3×". */
void cb__fmt_share(double r, char *buf, size_t len) {
  static const char *const words[] = { NULL, NULL, "half", "a third", "a quarter", "a fifth",
                                       "a sixth", "a seventh", "an eighth", "a ninth", "a tenth" };
  if (r > 1) {
    cb__fmt_x(r, buf, len);
    return;
  }
  double inv = 1 / r;
  long n = lround(inv);
  if (n >= 2 && n <= 10 && fabs(inv - (double)n) <= 0.1 * (double)n) snprintf(buf, len, "%s of", words[n]);
  else if (n > 10) snprintf(buf, len, "1/%ld of", n);
  else snprintf(buf, len, "%.0f%% of", r * 100);
}

void cb__fmt_secs(double s, char *buf, size_t len) {
  if (!isfinite(s)) snprintf(buf, len, "–");
  else if (s < 0.001) snprintf(buf, len, "%.0f µs", s * 1e6);
  else if (s < 0.01) snprintf(buf, len, "%.2f ms", s * 1e3);
  else if (s < 0.1) snprintf(buf, len, "%.1f ms", s * 1e3);
  else if (s < 1) snprintf(buf, len, "%.0f ms", s * 1e3);
  else if (s < 10) snprintf(buf, len, "%.3f s", s);
  else snprintf(buf, len, "%.1f s", s);
}

/* A throughput as people write it: "168,200 tasks/s", "196.5 tasks/s" (4 significant digits). */
void cb__fmt_rate(double per_s, char *buf, size_t len) {
  if (!isfinite(per_s) || per_s < 0) snprintf(buf, len, "–");
  else if (per_s < 1000) snprintf(buf, len, "%.4g tasks/s", per_s);
  else {
    double digits = floor(log10(per_s)) + 1, step = pow(10, digits - 4);
    long long v = (long long)(round(per_s / step) * step);
    char raw[32], out[48];
    int n = snprintf(raw, sizeof raw, "%lld", v), o = 0;
    for (int i = 0; i < n; i++) {
      if (i && (n - i) % 3 == 0) out[o++] = ',';
      out[o++] = raw[i];
    }
    out[o] = '\0';
    snprintf(buf, len, "%s tasks/s", out);
  }
}

void cb__fmt_kib(double kib, char *buf, size_t len) {
  if (kib < 10) snprintf(buf, len, "%.1f KiB", kib);
  else if (kib < 1024) snprintf(buf, len, "%.0f KiB", kib);
  else if (kib < 10 * 1024) snprintf(buf, len, "%.1f MiB", kib / 1024);
  else if (kib < 1024 * 1024) snprintf(buf, len, "%.0f MiB", kib / 1024);
  else snprintf(buf, len, "%.1f GiB", kib / (1024 * 1024));
}

void cb__fmt_ms(double ms, char *buf, size_t len) {
  if (!isfinite(ms)) snprintf(buf, len, "–");
  else if (ms < 1) snprintf(buf, len, "%.3f", ms);
  else if (ms < 10) snprintf(buf, len, "%.2f", ms);
  else snprintf(buf, len, "%.1f", ms);
}

/* "half of each task", for the share of a mixed task spent computing. */
void cb__fmt_compute_share(double share, char *buf, size_t len) {
  static const struct { double v; const char *w; } names[] = {
    { 1, "all" }, { 0.5, "half" }, { 0.25, "a quarter" }, { 0.75, "three quarters" },
    { 0.1, "a tenth" }, { 0.9, "nine tenths" },
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (fabs(share - names[i].v) < 1e-9) {
      snprintf(buf, len, "%s of each task", names[i].w);
      return;
    }
  snprintf(buf, len, "%.0f%% of each task", share * 100);
}
