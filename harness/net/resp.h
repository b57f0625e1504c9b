/* resp.h: the Redis client every backend's tasks share: hiredis encodes commands and parses
 * replies, the contract's TCP calls carry the bytes, so each backend uses its own IO. */
#ifndef CB_RESP_H
#define CB_RESP_H

#include <stdarg.h>
#include <stddef.h>
#include "cb.h"

struct redisReader;
struct redisReply;

/* One per worker: its kept-alive connection, the commands not yet sent and the reply parser. */
typedef struct cb_resp {
  const struct sockaddr *addr;
  int db;                      /* SELECT on each new connection when not 0 */
  cb_conn *conn;
  struct redisReader *rd;
  char *out;                   /* encoded commands waiting for cb_resp_flush */
  size_t olen, ocap;
  unsigned inflight;           /* commands queued or sent whose replies were not read yet */
} cb_resp;

void cb_resp_init(cb_resp *r, const struct sockaddr *addr, int db);
/* Queue one command (hiredis's redisFormatCommandArgv): nothing is sent yet. 0 or -ENOMEM. */
int cb_resp_append(cb_resp *r, int argc, const char **argv, const size_t *argvlen);
/* The same with hiredis's printf-like format ("SET %s %b"). 0, -EINVAL or -ENOMEM. */
int cb_resp_appendf(cb_resp *r, const char *fmt, ...);
/* Send what is queued, connecting first (and selecting the database) if needed. 0 or a negative
 * error; after an error the connection is closed. */
int cb_resp_flush(cb_ctx *ctx, cb_resp *r, int64_t deadline);
/* The next reply, in order: 0 with *out (free with cb_resp_reply_free), or a negative error:
 * CB_EOF (the server closed), -ETIMEDOUT, CB_EBADREPLY (malformed), a receive error. An -ERR reply
 * is a reply (type REDIS_REPLY_ERROR), not an error here. */
int cb_resp_read(cb_ctx *ctx, cb_resp *r, struct redisReply **out, int64_t deadline);
/* One command and its reply: append, flush, read. */
int cb_resp_command(cb_ctx *ctx, cb_resp *r, struct redisReply **out, int64_t deadline, const char *fmt, ...);
void cb_resp_reply_free(struct redisReply *reply);
/* Close the connection (queued commands dropped); the client can connect again. */
void cb_resp_close(cb_ctx *ctx, cb_resp *r);
/* Close and free the parser and buffers. */
void cb_resp_free(cb_ctx *ctx, cb_resp *r);

/* Feed bytes to a fresh hiredis parser and take every whole reply out: their count, or
 * CB_EBADREPLY at the first malformed byte. *hash (when given) gets an FNV-1a over the replies'
 * types and contents, the way the redis workload checksums them: the same bytes cut anywhere give
 * the same result. For tests and fuzzing. */
int cb_resp_parse_all(const char *data, size_t len, const size_t *cuts, size_t ncuts, uint64_t *hash);
/* FNV-1a continued over one reply: its type and content, nested arrays included. */
uint64_t cb_resp_hash(uint64_t h, const struct redisReply *reply);

#endif
