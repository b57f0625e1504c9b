/* util.h: number parsing, lists, atomic file writes and error lines shared by the commands. */
#ifndef CB_UTIL_H
#define CB_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Whole strings only: "12x", "", "-3" and overflow are rejected. 0 or -1. */
int cb_parse_u64(const char *s, uint64_t *out);
int cb_parse_double(const char *s, double *out);
/* A byte size with an optional K, M or G suffix (powers of 1024). */
int cb_parse_size(const char *s, size_t *out);

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

#endif
