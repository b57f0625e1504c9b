/* resp.c: the Redis client every backend's tasks share: hiredis encodes commands and parses
 * replies, the contract's TCP calls carry the bytes, so each backend uses its own IO. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include "resp.h"

void cb_resp_init(cb_resp *r, const struct sockaddr *addr, int db) {
  memset(r, 0, sizeof *r);
  r->addr = addr;
  r->db = db;
}

/* Append len encoded bytes to the queue. */
static int queue(cb_resp *r, const char *cmd, size_t len) {
  if (r->olen + len > r->ocap) {
    size_t cap = r->ocap ? r->ocap : 4096;
    while (cap < r->olen + len) cap *= 2;
    char *n = realloc(r->out, cap);
    if (!n) return -ENOMEM;
    r->out = n;
    r->ocap = cap;
  }
  memcpy(r->out + r->olen, cmd, len);
  r->olen += len;
  r->inflight++;
  return 0;
}

int cb_resp_append(cb_resp *r, int argc, const char **argv, const size_t *argvlen) {
  char *cmd = NULL;
  int len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
  if (len < 0) return -ENOMEM;
  int rc = queue(r, cmd, (size_t)len);
  redisFreeCommand(cmd);
  return rc;
}

int cb_resp_appendf(cb_resp *r, const char *fmt, ...) {
  char *cmd = NULL;
  va_list ap;
  va_start(ap, fmt);
  int len = redisvFormatCommand(&cmd, fmt, ap);
  va_end(ap);
  if (len == -2) return -EINVAL;   /* a bad format string */
  if (len < 0) return -ENOMEM;
  int rc = queue(r, cmd, (size_t)len);
  redisFreeCommand(cmd);
  return rc;
}

void cb_resp_close(cb_ctx *ctx, cb_resp *r) {
  if (r->conn) cb_tcp_close(ctx, r->conn);
  r->conn = NULL;
  r->olen = 0;
  r->inflight = 0;
  /* A reply cut off midway must not be glued to the next connection's first one. */
  if (r->rd) redisReaderFree(r->rd);
  r->rd = NULL;
}

void cb_resp_free(cb_ctx *ctx, cb_resp *r) {
  cb_resp_close(ctx, r);
  free(r->out);
  r->out = NULL;
  r->ocap = 0;
}

void cb_resp_reply_free(struct redisReply *reply) {
  if (reply) freeReplyObject(reply);
}

/* Receive until the parser has a whole reply. */
static int next_reply(cb_ctx *ctx, cb_resp *r, redisReply **out, int64_t deadline) {
  char buf[16384];
  for (;;) {
    void *rep = NULL;
    if (redisReaderGetReply(r->rd, &rep) != REDIS_OK) return CB_EBADREPLY;
    if (rep) {
      *out = rep;
      return 0;
    }
    ssize_t n = cb_tcp_recv(ctx, r->conn, buf, sizeof buf, deadline);
    if (n == 0) return CB_EOF;
    if (n < 0) return (int)n;
    if (redisReaderFeed(r->rd, buf, (size_t)n) != REDIS_OK) return CB_EBADREPLY;
  }
}

/* A new connection, its database selected. */
static int connect_db(cb_ctx *ctx, cb_resp *r, int64_t deadline) {
  int rc = cb_tcp_connect(ctx, r->addr, deadline, &r->conn);
  if (rc) {
    r->conn = NULL;
    return rc;
  }
  if (!(r->rd = redisReaderCreate())) return -ENOMEM;
  if (r->db == 0) return 0;
  char *cmd = NULL;
  int len = redisFormatCommand(&cmd, "SELECT %d", r->db);
  if (len < 0) return -ENOMEM;
  ssize_t s = cb_tcp_send(ctx, r->conn, cmd, (size_t)len, deadline);
  redisFreeCommand(cmd);
  if (s < 0) return (int)s;
  redisReply *rep = NULL;
  if ((rc = next_reply(ctx, r, &rep, deadline)) != 0) return rc;
  rc = rep->type == REDIS_REPLY_STATUS ? 0 : CB_EREDIS;
  freeReplyObject(rep);
  return rc;
}

int cb_resp_flush(cb_ctx *ctx, cb_resp *r, int64_t deadline) {
  int rc = 0;
  if (!r->conn) {
    size_t keep = r->olen;
    unsigned inflight = r->inflight;
    if ((rc = connect_db(ctx, r, deadline)) != 0) goto fail;
    r->olen = keep;
    r->inflight = inflight;
  }
  if (r->olen) {
    ssize_t s = cb_tcp_send(ctx, r->conn, r->out, r->olen, deadline);
    if (s < 0) { rc = (int)s; goto fail; }
    r->olen = 0;
  }
  return 0;
fail:
  cb_resp_close(ctx, r);
  return rc;
}

int cb_resp_read(cb_ctx *ctx, cb_resp *r, redisReply **out, int64_t deadline) {
  *out = NULL;
  if (!r->conn || !r->inflight) return -EINVAL;   /* nothing was sent */
  int rc = next_reply(ctx, r, out, deadline);
  if (rc) {
    cb_resp_close(ctx, r);
    return rc;
  }
  r->inflight--;
  return 0;
}

int cb_resp_command(cb_ctx *ctx, cb_resp *r, redisReply **out, int64_t deadline, const char *fmt, ...) {
  char *cmd = NULL;
  va_list ap;
  *out = NULL;
  va_start(ap, fmt);
  int len = redisvFormatCommand(&cmd, fmt, ap);
  va_end(ap);
  if (len < 0) return len == -2 ? -EINVAL : -ENOMEM;
  int rc = queue(r, cmd, (size_t)len);
  redisFreeCommand(cmd);
  if (rc == 0) rc = cb_resp_flush(ctx, r, deadline);
  if (rc == 0) rc = cb_resp_read(ctx, r, out, deadline);
  return rc;
}

uint64_t cb_resp_hash(uint64_t h, const redisReply *rep) {
  unsigned char t = (unsigned char)rep->type;
  h = cb_fnv1a(h, &t, 1);
  switch (rep->type) {
  case REDIS_REPLY_STRING: case REDIS_REPLY_STATUS: case REDIS_REPLY_ERROR:
    h = cb_fnv1a(h, &rep->len, sizeof rep->len);
    return cb_fnv1a(h, rep->str, rep->len);
  case REDIS_REPLY_INTEGER:
    return cb_fnv1a(h, &rep->integer, sizeof rep->integer);
  case REDIS_REPLY_ARRAY:
    h = cb_fnv1a(h, &rep->elements, sizeof rep->elements);
    for (size_t i = 0; i < rep->elements; i++) h = cb_resp_hash(h, rep->element[i]);
    return h;
  default:
    return h;
  }
}

int cb_resp_parse_all(const char *data, size_t len, const size_t *cuts, size_t ncuts, uint64_t *hash) {
  redisReader *rd = redisReaderCreate();
  if (!rd) return -ENOMEM;
  uint64_t h = CB_FNV_INIT;
  int count = 0, rc = 0;
  size_t off = 0, k = 0;
  while (off < len || k == 0) {
    size_t piece = k < ncuts ? cuts[k] : len - off;
    if (piece > len - off) piece = len - off;
    k++;
    if (redisReaderFeed(rd, data + off, piece) != REDIS_OK) { rc = CB_EBADREPLY; break; }
    off += piece;
    void *rep;
    for (;;) {
      rep = NULL;
      if (redisReaderGetReply(rd, &rep) != REDIS_OK) { rc = CB_EBADREPLY; break; }
      if (!rep) break;
      h = cb_resp_hash(h, rep);
      freeReplyObject(rep);
      count++;
    }
    if (rc || off >= len) break;
  }
  redisReaderFree(rd);
  if (hash) *hash = h;
  return rc ? rc : count;
}
