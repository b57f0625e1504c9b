/* file.c: each task writes its own file, fsyncs it, reads it back, checks it and deletes it (the
 * seeds' aiofiles). On uv the calls go to libuv's thread pool. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "workload.h"
#include "util.h"

enum { P_BYTES, P_FSYNC };

#define CHUNK (64u * 1024)

static const cb_param_spec file_params[] = {
  [P_BYTES] = { .name = "bytes", .unit = "bytes", .def = 65536, .min = 1, .max = 1 << 30, .integer = 1,
                .help = "size of each task's file" },
  [P_FSYNC] = { .name = "fsync", .unit = "0/1", .def = 1, .min = 0, .max = 1, .integer = 1,
                .help = "fsync each file before reading it back" },
};

typedef struct state {
  char dir[4096];
} state;

static int file_setup(const cb_setup *su, void **out) {
  state *st = calloc(1, sizeof *st);
  if (!st) return -ENOMEM;
  /* A directory of its own inside the run's, so a repetition never sees another's files. */
  snprintf(st->dir, sizeof st->dir, "%s/file-XXXXXX", su->tmpdir ? su->tmpdir : "/tmp");
  if (!mkdtemp(st->dir)) {
    int e = -errno;
    free(st);
    return e;
  }
  *out = st;
  return 0;
}

/* Bytes [off, off+len) of task index's file: a pure function, so what is read can be checked. */
static void fill(unsigned char *buf, uint64_t index, uint64_t off, size_t len) {
  /* Byte pos is byte pos % 8 (little end first) of word pos / 8: one mix per 8 bytes. */
  for (uint64_t w = off / 8; w * 8 < off + len; w++) {
    uint64_t v = cb_mix64(index * 0x100000001b3ull + w);
    for (unsigned b = 0; b < 8; b++) {
      uint64_t pos = w * 8 + b;
      if (pos >= off && pos < off + len) buf[pos - off] = (unsigned char)(v >> (8 * b));
    }
  }
}

static int file_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  state *st = vst;
  char path[4200];
  uint64_t size = (uint64_t)p->v[P_BYTES], h = CB_FNV_INIT;
  unsigned char *buf = malloc(2 * CHUNK), *want = buf + CHUNK;
  int fd = -1, rc = 0;
  if (!buf) return -ENOMEM;
  snprintf(path, sizeof path, "%s/task-%llu", st->dir, (unsigned long long)index);
  if ((fd = cb_file_open(ctx, path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) { rc = fd; goto cleanup; }
  for (uint64_t off = 0; off < size;) {
    size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
    fill(buf, index, off, n);
    ssize_t w = cb_file_write(ctx, fd, buf, n, (int64_t)off);
    if (w <= 0) { rc = w < 0 ? (int)w : -EIO; goto cleanup; }
    off += (uint64_t)w;
  }
  if (p->v[P_FSYNC] != 0 && (rc = cb_file_fsync(ctx, fd)) != 0) goto cleanup;
  rc = cb_file_close(ctx, fd);
  fd = -1;
  if (rc) goto cleanup;

  if ((fd = cb_file_open(ctx, path, O_RDONLY, 0)) < 0) { rc = fd; fd = -1; goto cleanup; }
  for (uint64_t off = 0; off < size;) {
    size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
    ssize_t r = cb_file_read(ctx, fd, buf, n, (int64_t)off);
    if (r <= 0) { rc = r < 0 ? (int)r : CB_EVERIFY; goto cleanup; }   /* 0: shorter than written */
    fill(want, index, off, (size_t)r);
    if (memcmp(buf, want, (size_t)r) != 0) { rc = CB_EVERIFY; goto cleanup; }
    h = cb_fnv1a(h, buf, (size_t)r);
    off += (uint64_t)r;
  }
  *sum = cb_mix64(h ^ index);

cleanup:
  if (fd >= 0) cb_file_close(ctx, fd);
  int urc = cb_file_unlink(ctx, path);
  if (rc == 0 && urc != 0) rc = urc;
  free(buf);
  return rc;
}

static int file_teardown(void *vst) {
  state *st = vst;
  int rc = cb_rmtree(st->dir);   /* what failed tasks left, and the directory itself */
  free(st);
  return rc;
}

/* Each task deletes its file before the next starts on its worker, so at most conc files are
 * there at once; a block each is added for what the file system keeps beside the data. */
static uint64_t file_disk_bytes(const cb_params *p, uint64_t n, uint32_t conc) {
  uint64_t live = n < conc ? n : conc;
  return live * ((uint64_t)p->v[P_BYTES] + 4096);
}

const cb_workload cb_workload_file = {
  .name = "file",
  .summary = "each task writes `bytes` to its own file, fsyncs, reads back, checks, deletes",
  .kind = CB_KIND_IO,
  .uses = CB_USES_FILE,
  .flags = CB_WL_TMPDIR,
  .params = file_params,
  .nparams = sizeof file_params / sizeof file_params[0],
  .setup = file_setup,
  .task = file_task,
  .teardown = file_teardown,
  .disk_bytes = file_disk_bytes,
};
