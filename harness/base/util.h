/* util.h: number parsing, lists, atomic file writes and error lines shared by the commands. */
#ifndef CB_UTIL_H
#define CB_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The cores this process may run on (its affinity), at least 1. */
unsigned cb_cpu_count(void);

/* Whole strings only: "12x", "", "-3" and overflow are rejected. 0 or -1. */
int cb_parse_u64(const char *s, uint64_t *out);
int cb_parse_double(const char *s, double *out);
/* A byte size with an optional K, M or G suffix (powers of 1024). */
int cb_parse_size(const char *s, size_t *out);

/* A number as people write it, in buf: 67108864, not 6.71089e+07; 0.25, not 2.5e-01. */
const char *cb_fmt_plain(double v, char *buf, size_t len);
/* A size in bytes as people write it, in buf: "100.0 GiB", "3.5 MiB", "512 bytes". */
const char *cb_fmt_bytes(uint64_t b, char *buf, size_t len);

/* Split "a,b,c" in place into at most max pointers; returns the count, -1 on an empty item,
 * -2 when there are more than max. */
int cb_split(char *s, char sep, char **items, int max);

/* A new results directory's name: results/<prefix><YYYYmmdd-HHMMSS>, with -2, -3... when taken.
 * Not created. */
void cb_results_dirname(const char *prefix, char *buf, size_t len);

/* rm -rf, without following symbolic links. 0 or -errno. */
int cb_rmtree(const char *path);

/* Whether path, its links resolved, is dir or lies within it (dir's links resolved too): 1 yes,
 * 0 no, -errno when either cannot be resolved. So a DIR/plots that links out of DIR is seen. */
int cb_path_inside(const char *dir, const char *path);

/* mkdir -p. 0 or -errno. */
int cb_mkdirs(const char *path);

/* All len bytes to fd, across short writes and EINTR. 0 or -errno. */
int cb_write_all(int fd, const void *buf, size_t len);

/* Write len bytes to path atomically: a temporary file in the same directory, fsync, rename.
 * Readers see the old file or the new one, never a torn one. 0 or -errno. */
int cb_write_atomic(const char *path, const void *data, size_t len);
/* n files at once: each written in full and fsynced beside its path before any is renamed over
 * its old self, so a full disk or a write error leaves every old file as it was. 0 or -errno. */
int cb_write_atomic_all(size_t n, const char *const *paths, const void *const *data, const size_t *lens);

/* Memory the runner keeps for itself (the results it gathers): zeroed, and not inherited by the
 * processes it forks (MADV_DONTFORK). A measurement process is forked from the runner, and fork's
 * workers from it: every anonymous page they inherit is copied into each worker's page tables,
 * so a 10 MB heap of gathered results made 10,000 fork workers 2.5x as slow to start late in a
 * suite as early on. NULL on failure; free with cb_keep_free. */
void *cb_keep_alloc(size_t len);
void cb_keep_free(void *p);
/* How many bytes from p are usable (at least the len asked). */
size_t cb_keep_size(const void *p);

/* The one-line error convention: "concbench: <message>" on stderr. */
void cb_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A whole regular file of at most max bytes in a malloc'ed buffer with a NUL after it; *len (if
 * given) its size. Every file a user names is read through it: anything but a regular file (a
 * directory, a FIFO, a device, a socket, or a symbolic link to one) is refused without blocking
 * or reading, and so is a file over max, before a byte is read. NULL with errno set (EISDIR,
 * EINVAL for other special files, EFBIG over max) and, when why is given, a phrase for after the
 * path: "is a FIFO (named pipe), not a regular file", "is 3.0 GiB, more than the 512.0 MiB such
 * a file may be", or the open error. */
char *cb_read_regular(const char *path, size_t max, size_t *len, char *why, size_t whylen);
/* The same with the default cap, CB_READ_MAX. */
#define CB_READ_MAX ((size_t)1 << 30)
char *cb_read_file(const char *path, size_t *len);

/* Read a small text file (e.g. under /proc) into buf; trailing newline stripped. 0 or -errno. */
int cb_read_text(const char *path, char *buf, size_t len);
/* First integer in a /proc-style file, or def. */
long long cb_read_ll(const char *path, long long def);

/* Do a and b name the same file (device and inode, after symbolic links)? 0 when either is
 * missing. Names differ for one file (./a, a/, links), so outputs are checked against inputs so. */
int cb_same_file(const char *a, const char *b);

/* Point the symbolic link linkpath at target (as given, so relative targets stay relative): a
 * new link beside it renamed over the old one, so readers see the old link or the new one, never
 * none. A linkpath that is something other than a symbolic link is left alone: -EEXIST. 0 or -errno. */
int cb_symlink_replace(const char *target, const char *linkpath);

/* The lock a command holds on a results directory while it writes there: flock on
 * DIR/.concbench.lock, which holds the holder's PID. Returns the lock's descriptor (>= 0); or
 * -EWOULDBLOCK with *holder the PID of the process that holds it (0 if unknown); or -errno. */
#define CB_DIR_LOCK ".concbench.lock"
int cb_dir_lock(const char *dir, long *holder);
/* Removes the lock file and lets the lock go. */
void cb_dir_unlock(const char *dir, int fd);

/* Can files be written in dir? A small temporary file is created, written and removed. 0 or -errno. */
int cb_probe_writable(const char *dir);
/* What to do when an output cannot be written for err (a positive errno): read-only file system,
 * permission and no space told apart. */
const char *cb_write_advice(int err);

/* A watcher process that removes path (rm -rf) once the guard's descriptor is closed in every
 * process that holds it: when the owner and the processes it forked are gone, however they end
 * (a kill -9 included, which no process can clean up after by itself). The watcher ignores the
 * terminal's signals. An owner that ends normally removes path itself, then cb_guard_end stops
 * and reaps the watcher, so nothing outlives it. */
typedef struct cb_guard {
  int fd;       /* the pipe's write end (close-on-exec), or -1 */
  int pid;      /* the watcher, or 0 */
} cb_guard;
#define CB_GUARD_NONE { -1, 0 }
/* 0 or -errno (then g is CB_GUARD_NONE). */
int cb_guard_start(cb_guard *g, const char *path);
void cb_guard_end(cb_guard *g);
/* Remove what a killed owner left: directories base/<prefix><PID>-* whose PID is no longer a
 * process. Best effort. */
void cb_sweep_orphans(const char *base, const char *prefix);

#endif
