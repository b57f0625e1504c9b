/* util.c: number parsing, lists, atomic file writes and error lines shared by the commands. */
#include <ctype.h>
#include <sched.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "util.h"

unsigned cb_cpu_count(void) {
  cpu_set_t set;
  long n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}
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
  /* Decimal only: [sign] digits [. digits] [e [sign] digits], with a digit before or after the
   * point. strtod alone also takes 0x10, inf and nan, which no one means as a delay. */
  const char *q = s + (*s == '-' || *s == '+');
  size_t whole = strspn(q, "0123456789"), frac = 0;
  q += whole;
  if (*q == '.') {
    frac = strspn(q + 1, "0123456789");
    q += 1 + frac;
  }
  if (whole + frac == 0) return -1;
  if (*q == 'e' || *q == 'E') {
    q += 1 + (q[1] == '-' || q[1] == '+');
    size_t ex = strspn(q, "0123456789");
    if (!ex) return -1;
    q += ex;
  }
  if (*q) return -1;
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

/* A number as people write it: 67108864, not 6.71089e+07; 0.25, not 2.5e-01. */
const char *cb_fmt_plain(double v, char *buf, size_t len) {
  if (v == floor(v) && fabs(v) < 1e18) {
    snprintf(buf, len, "%.0f", v);
    return buf;
  }
  snprintf(buf, len, "%.9f", v);
  char *e = buf + strlen(buf);
  while (e > buf && e[-1] == '0') *--e = 0;   /* %.9f always has a point to stop at */
  if (e > buf && e[-1] == '.') e[-1] = 0;
  return buf;
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

int cb_path_inside(const char *dir, const char *path) {
  char *d = realpath(dir, NULL), *p = realpath(path, NULL);
  int rc = -errno;
  if (d && p) {
    size_t dl = strlen(d);
    /* "/" is the one resolved path that ends in a slash. */
    if (dl == 1) dl = 0;
    rc = strncmp(p, d, dl) == 0 && (p[dl] == '\0' || p[dl] == '/');
  }
  free(d);
  free(p);
  return rc;
}

/* Says in why what kind of file st is, for a refusal. */
static const char *file_kind(mode_t m) {
  if (S_ISDIR(m)) return "is a directory";
  if (S_ISFIFO(m)) return "is a FIFO (named pipe)";
  if (S_ISCHR(m)) return "is a character device";
  if (S_ISBLK(m)) return "is a block device";
  if (S_ISSOCK(m)) return "is a socket";
  return "is not a regular file";
}

const char *cb_fmt_bytes(uint64_t b, char *buf, size_t len) {
  if (b >= (1ull << 30)) snprintf(buf, len, "%.1f GiB", (double)b / (1ull << 30));
  else if (b >= (1ull << 20)) snprintf(buf, len, "%.1f MiB", (double)b / (1ull << 20));
  else if (b >= (1ull << 10)) snprintf(buf, len, "%.1f KiB", (double)b / (1ull << 10));
  else snprintf(buf, len, "%llu bytes", (unsigned long long)b);
  return buf;
}

char *cb_read_regular(const char *path, size_t max, size_t *len, char *why, size_t whylen) {
  char dummy[160];
  if (!why) why = dummy, whylen = sizeof dummy;
  why[0] = '\0';
  /* O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever. open follows a
   * symbolic link (users link their results), and fstat then sees what it leads to, so a link
   * to /dev/zero is refused as the device it is. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    snprintf(why, whylen, "%s", strerror(e));
    errno = e;
    return NULL;
  }
  struct stat st;
  int e = 0;
  char *b = NULL;
  size_t n = 0;
  if (fstat(fd, &st) != 0) {
    e = errno;
    snprintf(why, whylen, "%s", strerror(e));
  } else if (!S_ISREG(st.st_mode)) {
    e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    snprintf(why, whylen, "%s, not a regular file", file_kind(st.st_mode));
  } else if ((uint64_t)st.st_size > max) {
    char has[32], cap[32];
    cb_fmt_bytes((uint64_t)st.st_size, has, sizeof has);
    cb_fmt_bytes(max, cap, sizeof cap);
    e = EFBIG;
    snprintf(why, whylen, "is %s, more than the %s such a file may be", has, cap);
  } else if (!(b = malloc((size_t)st.st_size + 1))) {
    e = ENOMEM;
    snprintf(why, whylen, "%s", strerror(e));
  } else {
    /* Exactly the size fstat gave: a file that grows meanwhile is read as it was. */
    size_t want = (size_t)st.st_size;
    while (n < want) {
      ssize_t r = read(fd, b + n, want - n);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        e = errno;
        snprintf(why, whylen, "%s", strerror(e));
        break;
      }
      if (r == 0) break;
      n += (size_t)r;
    }
  }
  close(fd);
  if (e) {
    free(b);
    errno = e;
    return NULL;
  }
  b[n] = '\0';
  if (len) *len = n;
  return b;
}

char *cb_read_file(const char *path, size_t *len) {
  return cb_read_regular(path, CB_READ_MAX, len, NULL, 0);
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

int cb_symlink_replace(const char *target, const char *linkpath) {
  struct stat st;
  if (lstat(linkpath, &st) == 0 && !S_ISLNK(st.st_mode)) return -EEXIST;
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", linkpath, (long)getpid()) >= (int)sizeof tmp) return -ENAMETOOLONG;
  unlink(tmp);   /* one left by a killed process of the same PID */
  if (symlink(target, tmp) != 0) return -errno;
  if (rename(tmp, linkpath) != 0) {
    int err = errno;
    unlink(tmp);
    return -err;
  }
  return 0;
}

int cb_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return 0;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int cb_dir_lock(const char *dir, long *holder) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/%s", dir, CB_DIR_LOCK) >= (int)sizeof path) return -ENAMETOOLONG;
  *holder = 0;
  for (int tries = 0; tries < 100; tries++) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int e = errno;
      char buf[32] = "";
      ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
      if (n > 0) { buf[n] = '\0'; *holder = strtol(buf, NULL, 10); }
      close(fd);
      return e == EWOULDBLOCK ? -EWOULDBLOCK : -e;
    }
    /* The holder before us removes the file as it lets go: a lock on a file no longer at path
     * holds nothing, so take the one that is there now. */
    struct stat sf, sp;
    if (fstat(fd, &sf) == 0 && stat(path, &sp) == 0 && sf.st_dev == sp.st_dev && sf.st_ino == sp.st_ino) {
      char buf[32];
      int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
      if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) { /* the PID is only for messages */ }
      return fd;
    }
    close(fd);
  }
  return -EAGAIN;
}

void cb_dir_unlock(const char *dir, int fd) {
  char path[PATH_MAX];
  if (fd < 0) return;
  if (snprintf(path, sizeof path, "%s/%s", dir, CB_DIR_LOCK) < (int)sizeof path) unlink(path);
  close(fd);
}

int cb_probe_writable(const char *dir) {
  char path[PATH_MAX];
  static const char block[512];
  if (snprintf(path, sizeof path, "%s/.concbench-probe-XXXXXX", dir) >= (int)sizeof path) return -ENAMETOOLONG;
  int fd = mkstemp(path);
  if (fd < 0) return -errno;
  /* Some bytes too, not only a name: a full disk often still has room for an empty file. */
  int rc = cb_write_all(fd, block, sizeof block);
  if (close(fd) != 0 && !rc) rc = -errno;
  unlink(path);
  return rc;
}

const char *cb_write_advice(int err) {
  switch (err) {
  case EROFS: return "choose another -o, on a file system mounted read-write";
  case EACCES: case EPERM: return "choose another -o that you may write to, or change the directory's permissions";
  case ENOSPC: case EDQUOT: return "free some space or choose another -o";
  default: return "choose another -o";
  }
}

int cb_guard_start(cb_guard *g, const char *path) {
  int p[2];
  g->fd = -1;
  g->pid = 0;
  if (pipe2(p, O_CLOEXEC) != 0) return -errno;
  pid_t pid = fork();
  if (pid < 0) {
    int e = -errno;
    close(p[0]);
    close(p[1]);
    return e;
  }
  if (pid == 0) {
    /* The owner's child, so that an owner that ends normally reaps it; after a kill -9 it is
     * handed to init (or a subreaper), which does. */
    setsid();   /* out of the terminal's process group: Ctrl-C is for the owner, not for it */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    /* Only the pipe's read end stays open: the watcher must hold no lock, socket or output of
     * the owner (a reader of the owner's stdout would wait for it). */
    int in = open("/dev/null", O_RDWR);
    if (in >= 0) { dup2(in, 0); dup2(in, 1); dup2(in, 2); }
    if (dup2(p[0], 3) != 3) _exit(1);
    if (close_range(4, ~0u, 0) != 0)
      for (int fd = 4; fd < 65536; fd++) close(fd);
    char c;
    while (read(3, &c, 1) < 0 && errno == EINTR) {}
    cb_rmtree(path);
    _exit(0);
  }
  close(p[0]);
  g->fd = p[1];
  g->pid = (int)pid;
  return 0;
}

void cb_guard_end(cb_guard *g) {
  if (g->fd >= 0) close(g->fd);
  /* The owner has removed the path itself: the watcher, waiting for processes that may still
   * hold the pipe, is not needed any more. */
  if (g->pid > 0) {
    kill((pid_t)g->pid, SIGKILL);
    while (waitpid((pid_t)g->pid, NULL, 0) < 0 && errno == EINTR) {}
  }
  g->fd = -1;
  g->pid = 0;
}

void cb_sweep_orphans(const char *base, const char *prefix) {
  DIR *d = opendir(base);
  if (!d) return;
  size_t plen = strlen(prefix);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, prefix, plen) != 0) continue;
    char *end;
    long pid = strtol(e->d_name + plen, &end, 10);
    if (pid <= 0 || *end != '-' || pid == (long)getpid()) continue;
    /* A PID reused by another process keeps the directory: never remove a live owner's. */
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    char path[PATH_MAX];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/%s", base, e->d_name) >= (int)sizeof path) continue;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) continue;
    cb_rmtree(path);
  }
  closedir(d);
}
