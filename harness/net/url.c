/* url.c: an href found on a page resolved against the page's URL (RFC 3986 5.2), the way a
 * crawler needs it: absolute http URLs without fragments, dot segments removed. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "url.h"

/* Resolve "." and ".." in an absolute path in place. */
static void dot_segments(char *path) {
  char *out = path, *in = path;
  while (*in) {
    if (in[0] == '/' && in[1] == '.' && (in[2] == '/' || in[2] == '\0')) {
      in += 2;
      if (!*in) *out++ = '/';
    } else if (in[0] == '/' && in[1] == '.' && in[2] == '.' && (in[3] == '/' || in[3] == '\0')) {
      in += 3;
      while (out > path && *--out != '/') {}
      if (!*in) *out++ = '/';
    } else {
      do *out++ = *in++; while (*in && *in != '/');
    }
  }
  *out = '\0';
  if (out == path) { path[0] = '/'; path[1] = '\0'; }
}

int cb_url_resolve(const char *base, const char *href, size_t len, char *out, size_t cap) {
  char h[CB_URL_MAX];
  const char *hash = memchr(href, '#', len);
  if (hash) len = (size_t)(hash - href);
  while (len && strchr(" \t\r\n\f", *href)) { href++; len--; }
  while (len && strchr(" \t\r\n\f", href[len - 1])) len--;
  if (len == 0 || len >= sizeof h) return -1;
  memcpy(h, href, len);
  h[len] = '\0';
  size_t scheme = strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
  char authority[CB_URL_MAX], path[CB_URL_MAX];
  if (scheme > 0 && h[scheme] == ':') {
    if (scheme != 4 || strncasecmp(h, "http", 4) != 0 || strncmp(h + 5, "//", 2) != 0) return -1;
    const char *a = h + 7, *slash = strchr(a, '/');
    size_t alen = slash ? (size_t)(slash - a) : strlen(a);
    snprintf(authority, sizeof authority, "%.*s", (int)alen, a);
    snprintf(path, sizeof path, "%s", slash ? slash : "/");
  } else {
    /* base is ours: http://authority/path */
    const char *a = base + 7, *slash = strchr(a, '/');
    snprintf(authority, sizeof authority, "%.*s", (int)(slash - a), a);
    if (h[0] == '/' && h[1] == '/') {          /* scheme-relative: same scheme as the base */
      char full[CB_URL_MAX + 8];
      int fl = snprintf(full, sizeof full, "http:%s", h);
      return cb_url_resolve(base, full, (size_t)fl, out, cap);
    }
    /* The base's path, without its query (a '/' there is not a directory). */
    size_t bl = strcspn(slash, "?");
    if (h[0] == '/') {
      snprintf(path, sizeof path, "%s", h);
    } else if (h[0] == '?') {                   /* query only: the base's own path (RFC 3986 5.2.2) */
      if (bl + len >= sizeof path) return -1;
      memcpy(path, slash, bl);
      memcpy(path + bl, h, len + 1);
    } else {
      const char *last = slash;
      for (size_t i = 0; i < bl; i++) if (slash[i] == '/') last = slash + i;
      size_t dl = (size_t)(last - slash) + 1;     /* the base's directory, with its '/' */
      if (dl + len >= sizeof path) return -1;
      memcpy(path, slash, dl);
      memcpy(path + dl, h, len + 1);
    }
  }
  char *q = strchr(path, '?');
  char query[CB_URL_MAX] = "";
  if (q) { snprintf(query, sizeof query, "%s", q); *q = '\0'; }
  dot_segments(path);
  for (char *c = authority; *c; c++) if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
  int n = snprintf(out, cap, "http://%s%s%s", authority, path, query);
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

