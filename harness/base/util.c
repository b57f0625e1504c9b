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
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "util.h"
#include "escape.h"

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

/* The mapping's length sits in front of the block, a cache line of header. */
#define KEEP_HDR 64

void *cb_keep_alloc(size_t len) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE), total = (len + KEEP_HDR + page - 1) / page * page;
  if (len > SIZE_MAX - KEEP_HDR - page) return NULL;
  void *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  madvise(m, total, MADV_DONTFORK);   /* best effort: without it, only slower forks */
  *(size_t *)m = total;
  return (char *)m + KEEP_HDR;
}

size_t cb_keep_size(const void *p) {
  return *(const size_t *)((const char *)p - KEEP_HDR) - KEEP_HDR;
}

void cb_keep_free(void *p) {
  if (!p) return;
  char *m = (char *)p - KEEP_HDR;
  munmap(m, *(size_t *)m);
}

int cb_write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -errno;
    if (w == 0) return -EIO;
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

/* dir of path into buf ("." when none); 0, or -ENAMETOOLONG. */
static int dir_of(const char *path, char *buf, size_t len) {
  const char *slash = strrchr(path, '/');
  int n = slash ? snprintf(buf, len, "%.*s", (int)(slash - path), path) : snprintf(buf, len, ".");
  return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* data in a new temporary file beside path, fsynced; its name into tmp. 0, or -errno with
 * nothing left behind. */
static int write_temp(const char *path, const void *data, size_t len, char *tmp, size_t cap) {
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  int rc = dir_of(path, dir, sizeof dir), fd;
  if (rc) return rc;
  if (snprintf(tmp, cap, "%s/.%s.XXXXXX", dir, slash ? slash + 1 : path) >= (int)cap) return -ENAMETOOLONG;
  if ((fd = mkstemp(tmp)) < 0) return -errno;
  rc = cb_write_all(fd, data, len);
  if (!rc && (fchmod(fd, 0644) != 0 || fsync(fd) != 0)) rc = -errno;
  if (close(fd) != 0 && !rc) rc = -errno;
  if (rc) unlink(tmp);
  return rc;
}

int cb_write_atomic_all(size_t n, const char *const *paths, const void *const *data, const size_t *lens) {
  char (*tmp)[PATH_MAX] = calloc(n ? n : 1, sizeof *tmp);
  size_t made = 0;
  int rc = tmp ? 0 : -ENOMEM;
  /* Every file is written in full before any replaces its old self: a full disk or a write
   * error leaves all the old files as they were. */
  for (; !rc && made < n; made++)
    if ((rc = write_temp(paths[made], data[made], lens[made], tmp[made], sizeof tmp[made])) != 0) break;
  if (rc) {
    for (size_t i = 0; i < made; i++) unlink(tmp[i]);
    free(tmp);
    return rc;
  }
  for (size_t i = 0; i < n; i++) {
    if (!rc && rename(tmp[i], paths[i]) != 0) rc = -errno;
    if (rc) { unlink(tmp[i]); continue; }
    /* The rename itself must reach the disk for the new file to survive a crash. */
    char dir[PATH_MAX];
    int dfd = dir_of(paths[i], dir, sizeof dir) == 0 ? open(dir, O_RDONLY | O_DIRECTORY) : -1;
    if (dfd >= 0) { fsync(dfd); close(dfd); }
  }
  free(tmp);
  return rc;
}

int cb_write_atomic(const char *path, const void *data, size_t len) {
  return cb_write_atomic_all(1, &path, &data, &len);
}

void cb_errorf(const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  /* Names and paths in it may come from a crafted file: its control characters are shown, not
   * sent to the terminal. One write, so the line stays whole beside other processes' output. */
  char shown[2048];
  dprintf(STDERR_FILENO, "concbench: %s\n", cb_term(line, shown, sizeof shown));
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
