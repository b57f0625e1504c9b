/* util.c: number parsing, lists, atomic file writes and error lines shared by the commands. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "util.h"

int cb_parse_u64(const char *s, uint64_t *out) {
  if (!s || !isdigit((unsigned char)*s)) return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

int cb_parse_double(const char *s, double *out) {
  if (!s || !*s || isspace((unsigned char)*s)) return -1;
  errno = 0;
  char *end;
  double v = strtod(s, &end);
  if (errno || *end || !isfinite(v)) return -1;
  *out = v;
  return 0;
}

int cb_parse_size(const char *s, size_t *out) {
  if (!s || !isdigit((unsigned char)*s)) return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno) return -1;
  unsigned shift = 0;
  switch (toupper((unsigned char)*end)) {
  case '\0': break;
  case 'K': shift = 10; end++; break;
  case 'M': shift = 20; end++; break;
  case 'G': shift = 30; end++; break;
  default: return -1;
  }
  if (*end == 'i' || *end == 'I') end++;
  if ((*end == 'b' || *end == 'B')) end++;
  if (*end) return -1;
  if (shift && v > (ULLONG_MAX >> shift)) return -1;
  *out = (size_t)(v << shift);
  return 0;
}

int cb_split(char *s, char sep, char **items, int max) {
  int n = 0;
  char *p = s;
  for (;;) {
    char *q = strchr(p, sep);
    if (q) *q = '\0';
    if (!*p) return -1;
    if (n == max) return -2;
    items[n++] = p;
    if (!q) return n;
    p = q + 1;
  }
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  return remove(path) == 0 || errno == ENOENT ? 0 : -errno;
}

int cb_rmtree(const char *path) {
  int rc = nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  return rc < 0 ? (errno ? -errno : -EIO) : rc;
}

void cb_results_dirname(const char *prefix, char *buf, size_t len) {
  char stamp[32];
  struct stat st;
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  snprintf(buf, len, "results/%s%s", prefix, stamp);
  for (int k = 2; stat(buf, &st) == 0; k++) snprintf(buf, len, "results/%s%s-%d", prefix, stamp, k);
}

int cb_mkdirs(const char *path) {
  char buf[PATH_MAX];
  if (!*path) return -ENOENT;
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -ENAMETOOLONG;
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -errno;
    *p = '/';
  }
  if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -errno;
  struct stat st;
  if (stat(buf, &st) != 0) return -errno;
  return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int cb_write_atomic(const char *path, const void *data, size_t len) {
  char tmp[PATH_MAX], dir[PATH_MAX];
  int rc = 0, fd;
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  else snprintf(dir, sizeof dir, ".");
  if (snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, base) >= (int)sizeof tmp) return -ENAMETOOLONG;
  if ((fd = mkstemp(tmp)) < 0) return -errno;
  const char *p = data;
  size_t left = len;
  while (left) {
    ssize_t w = write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      rc = -errno;
      goto fail;
    }
    p += w;
    left -= (size_t)w;
  }
  if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) { rc = -errno; goto fail; }
  if (close(fd) != 0) { fd = -1; rc = -errno; goto fail; }
  fd = -1;
  if (rename(tmp, path) != 0) { rc = -errno; goto fail; }
  /* The rename itself must reach the disk for the new file to survive a crash. */
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) { fsync(dfd); close(dfd); }
  return 0;
fail:
  if (fd >= 0) close(fd);
  unlink(tmp);
  return rc;
}

void cb_errorf(const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  /* One write, so the line stays whole beside other processes' output. */
  dprintf(STDERR_FILENO, "concbench: %s\n", line);
}

char *cb_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  while (b) {
    n += fread(b + n, 1, cap - n - 1, f);
    if (n < cap - 1) break;
    char *nb = realloc(b, cap *= 2);
    if (!nb) { free(b); b = NULL; errno = ENOMEM; }
    else b = nb;
  }
  int bad = ferror(f);
  fclose(f);
  if (b && bad) { free(b); b = NULL; errno = EIO; }
  if (!b) return NULL;
  b[n] = '\0';
  if (len) *len = n;
  return b;
}

int cb_read_text(const char *path, char *buf, size_t len) {
  FILE *f = fopen(path, "r");
  if (!f) return -errno;
  size_t n = fread(buf, 1, len - 1, f);
  fclose(f);
  buf[n] = '\0';
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = '\0';
  return 0;
}

long long cb_read_ll(const char *path, long long def) {
  char buf[64];
  if (cb_read_text(path, buf, sizeof buf) != 0) return def;
  char *end;
  errno = 0;
  long long v = strtoll(buf, &end, 10);
  return (errno || end == buf) ? def : v;
}
