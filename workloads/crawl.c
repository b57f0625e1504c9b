/* crawl.c: the seeds' crawler: workers take URLs from a shared frontier, fetch, extract hrefs, add
 * unseen same-site URLs through a shared set, and record every edge found. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "workload.h"
#include "clock.h"
#include "http.h"
#include "url.h"
#include "server.h"
#include "shared.h"
#include "site.h"
#include "util.h"
#include <unistd.h>
#include <hiredis/hiredis.h>
#include "resp.h"
#include "rserver.h"

enum { P_PAGES, P_LINKS, P_SEED, P_DELAY, P_STORE, P_JOIN, P_LEASE };

static const char *const store_names[] = { "local", "redis", NULL };

#define URL_MAX CB_URL_MAX
#define TIMEOUT_NS (30 * (int64_t)1000000000)

static const cb_param_spec crawl_params[] = {
  [P_PAGES] = { .name = "pages", .unit = "pages", .def = 100, .min = 1, .max = 100000, .integer = 1,
                .help = "pages of the synthetic site (all reachable from page 0)" },
  [P_LINKS] = { .name = "links", .unit = "hrefs", .def = 8, .min = 1, .max = 64, .integer = 1,
                .help = "hrefs on each page, duplicates, missing pages and non-HTTP links included" },
  [P_SEED] = { .name = "seed", .unit = "", .def = 1, .min = 0, .max = 4294967295.0, .integer = 1,
               .help = "which synthetic site" },
  [P_DELAY] = { .name = "delay_ms", .unit = "ms", .def = 0, .min = 0, .max = 3600000, .integer = 1,
                .help = "how long the server waits before each page" },
  [P_STORE] = { .name = "store", .unit = "local/redis", .def = 0, .min = 0, .max = 1, .integer = 1, .names = store_names,
                .help = "where the frontier and visited set live: this process (local), or Redis, shared by "
                        "every concbench crawling the same --target through the same --redis" },
  [P_JOIN] = { .name = "join_ms", .unit = "ms", .def = 3000, .min = 0, .max = 600000, .integer = 1,
               .help = "store=redis: how long a new crawl waits for other crawlers to join before it starts (not timed)" },
  [P_LEASE] = { .name = "lease_ms", .unit = "ms", .def = 60000, .min = 100, .max = 86400000, .integer = 1,
                .help = "store=redis: a page taken and not finished for this long goes back to the frontier "
                        "(its crawler died)" },
};

/* The crawl's state in Redis, under P = <shared prefix>crawl:<site and target>:<generation>:
 *   frontier (list)  URLs to fetch          seen (set)     every URL ever queued
 *   pending (int)    URLs queued or taken and not yet finished: 0 exactly when the crawl is over
 *   leases (zset)    taken URLs by expiry   owner (hash)   taken URL -> its crawler
 *   start, done, members: when taking begins, the end, the crawlers still attached.
 * A list and a set rather than a stream: a page is taken once and forgotten, with no consumer
 * group to trim or acknowledge, and LPOP and SADD run inside the scripts below, so every step
 * that must be atomic is one script. */

/* Join the running crawl of this site, or begin a new generation when there is none (or it is
 * over); returns {generation, ms until taking begins}. */
static const char lua_join[] =
  "local S = ARGV[1]\n"
  "local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
  "local g = redis.call('GET', S .. 'gen')\n"
  "if g and redis.call('EXISTS', S .. g .. ':done') == 0 and redis.call('EXISTS', S .. g .. ':pending') == 1 then\n"
  "  redis.call('INCR', S .. g .. ':members')\n"
  "  return {g, tonumber(redis.call('GET', S .. g .. ':start') or now) - now}\n"
  "end\n"
  "g = tostring(redis.call('INCR', S .. 'gen'))\n"
  "local P = S .. g .. ':'\n"
  "redis.call('SADD', P .. 'seen', ARGV[2]); redis.call('RPUSH', P .. 'frontier', ARGV[2])\n"
  "redis.call('SET', P .. 'pending', 1); redis.call('SET', P .. 'start', now + tonumber(ARGV[3]))\n"
  "redis.call('SET', P .. 'members', 1)\n"
  "for _, k in ipairs({'gen'}) do redis.call('EXPIRE', S .. k, 86400) end\n"
  "for _, k in ipairs({'seen', 'frontier', 'pending', 'start', 'members'}) do redis.call('EXPIRE', P .. k, 86400) end\n"
  "return {g, tonumber(ARGV[3])}\n";

/* Take a URL: {'url', u}, {'wait'} (none free, some still taken) or {'done'}. A URL whose lease ran
 * out is taken again: a crawler that died cannot hold the crawl up. */
static const char lua_take[] =
  "local P = ARGV[1]\n"
  "if redis.call('EXISTS', P .. 'done') == 1 or redis.call('EXISTS', P .. 'pending') == 0 then return {'done'} end\n"
  "local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
  "local u = redis.call('LPOP', P .. 'frontier')\n"
  "if not u then\n"
  "  local late = redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', now, 'LIMIT', 0, 1)\n"
  "  if #late == 0 then return {'wait'} end\n"
  "  u = late[1]\n"
  "end\n"
  "redis.call('ZADD', P .. 'leases', now + tonumber(ARGV[3]), u)\n"
  "redis.call('HSET', P .. 'owner', u, ARGV[2])\n"
  "return {'url', u}\n";

/* Finish a URL: queue the unseen ones found on it and count it done, in one step, so pending never
 * reaches 0 while a URL is queued or taken. -1 when the lease was lost (someone else has it now). */
static const char lua_finish[] =
  "local P = ARGV[1]\n"
  "if redis.call('HGET', P .. 'owner', ARGV[2]) ~= ARGV[3] then return -1 end\n"
  "local added = 0\n"
  "for i = 4, #ARGV do\n"
  "  if redis.call('SADD', P .. 'seen', ARGV[i]) == 1 then redis.call('RPUSH', P .. 'frontier', ARGV[i]); added = added + 1 end\n"
  "end\n"
  "redis.call('INCRBY', P .. 'pending', added)\n"
  "redis.call('ZREM', P .. 'leases', ARGV[2]); redis.call('HDEL', P .. 'owner', ARGV[2])\n"
  "if redis.call('DECR', P .. 'pending') == 0 then redis.call('SET', P .. 'done', 1, 'EX', 86400) end\n"
  "return added\n";

/* Leave: the last crawler out of a finished crawl removes its keys. */
static const char lua_leave[] =
  "local P = ARGV[1]\n"
  "local left = redis.call('DECR', P .. 'members')\n"
  "if left <= 0 and redis.call('EXISTS', P .. 'done') == 1 then\n"
  "  for _, k in ipairs({'frontier', 'seen', 'pending', 'leases', 'owner', 'start', 'done', 'members'}) do\n"
  "    redis.call('UNLINK', P .. k)\n"
  "  end\n"
  "end\n"
  "return left\n";

/* What every process of the crawl shares (MAP_SHARED: fork children write it). */
typedef struct shared {
  _Atomic int64_t outstanding;   /* URLs put in the frontier and not yet fully handled */
  _Atomic uint64_t fetched;
  _Atomic uint64_t taken;        /* URLs this process took (store=redis: its share of the crawl) */
  _Atomic uint64_t used;         /* bytes of edges */
  uint64_t cap;
  char edges[];                  /* "source\tfound\n" lines, in the order found */
} shared;

typedef struct state {
  cb_site site;
  char origin[80];               /* "http://127.0.0.1:PORT" */
  size_t origin_len;
  const char *output;
  cb_queue *frontier;
  cb_set *seen;
  shared *sh;
  size_t sh_len;
  cb_http *clients;
  cb_http_resp *resps;
  uint32_t workers;
  int external;                  /* --target: the server's own delays, none asked */
  /* store=redis */
  int redis;
  const struct sockaddr *raddr;
  int rdb;
  cb_resp *rclients;             /* one per worker */
  char prefix[256];              /* the generation's keys: P above */
  char owner[128];               /* this process: host:pid */
  char sha_take[41], sha_finish[41];
  uint64_t lease_ms;
} state;

static cb_site site_of(const cb_params *p) {
  return (cb_site){ .pages = (uint32_t)p->v[P_PAGES], .links = (uint32_t)p->v[P_LINKS], .seed = (uint64_t)p->v[P_SEED] };
}

/* Breadth-first over the site's link lists (not its HTML): how many same-site URLs are reachable
 * from page 0, existing pages and the missing ones they link to, and in how many levels. */
static void site_walk(const cb_params *p, uint64_t *urls, uint32_t *levels) {
  cb_site s = site_of(p);
  uint32_t *level = malloc(s.pages * sizeof *level), *todo = malloc(s.pages * sizeof *todo);
  uint32_t *missing = NULL, nmissing = 0, capmissing = 0;
  cb_site_link *links = malloc(s.links * sizeof *links);
  *urls = 1;
  *levels = 1;
  if (!level || !todo || !links) goto cleanup;
  for (uint32_t i = 0; i < s.pages; i++) level[i] = UINT32_MAX;
  uint32_t head = 0, tail = 0;
  todo[tail++] = 0;
  level[0] = 0;
  while (head < tail) {
    uint32_t i = todo[head++];
    unsigned n = cb_site_links(&s, i, links, s.links);
    for (unsigned k = 0; k < n && k < s.links; k++) {
      uint32_t t = links[k].target, lv = level[i] + 1;
      if (links[k].kind == CB_LINK_PAGE && t < s.pages && level[t] == UINT32_MAX) {
        level[t] = lv;
        todo[tail++] = t;
      } else if (links[k].kind == CB_LINK_MISSING) {
        uint32_t j = 0;
        while (j < nmissing && missing[j] != t) j++;
        if (j < nmissing) continue;
        if (nmissing == capmissing) {
          uint32_t *nm = realloc(missing, (capmissing = capmissing ? capmissing * 2 : 64) * sizeof *nm);
          if (!nm) goto cleanup;
          missing = nm;
        }
        missing[nmissing++] = t;
      } else {
        continue;
      }
      if (lv + 1 > *levels) *levels = lv + 1;
    }
  }
  *urls = tail + nmissing;
cleanup:
  free(level);
  free(todo);
  free(missing);
  free(links);
}

/* The crawl fetches every reachable same-site URL once: that is its task count. */
static uint64_t crawl_tasks(const cb_params *p) {
  uint64_t urls;
  uint32_t levels;
  site_walk(p, &urls, &levels);
  return urls;
}

/* A page cannot be fetched before the page linking to it: at least one delay per level of the
 * breadth-first walk, and at least ceil(n / c) delays in all. */
static double crawl_ideal(const cb_params *p, uint64_t n, uint32_t conc, const cb_machine *m) {
  uint64_t urls;
  uint32_t levels;
  site_walk(p, &urls, &levels);
  if (conc == 0) conc = 1;
  uint64_t rounds = (n + conc - 1) / conc;
  if (rounds < levels) rounds = levels;
  return (double)rounds * p->v[P_DELAY] / 1000.0;
}

static void crawl_server(const cb_params *p, cb_server_opts *o) {
  o->site = site_of(p);
}

static int crawl_redis_needed(const cb_params *p) { return p->v[P_STORE] == 1; }

static void crawl_free(state *st) {
  if (st->rclients)
    for (uint32_t w = 0; w < st->workers; w++)
      if (!st->rclients[w].conn) cb_resp_free(NULL, &st->rclients[w]);
  free(st->rclients);
  if (st->resps)
    for (uint32_t w = 0; w < st->workers; w++) cb_http_resp_free(&st->resps[w]);
  free(st->resps);
  free(st->clients);
  cb_queue_destroy(st->frontier);
  cb_set_destroy(st->seen);
  cb_shm_free(st->sh, st->sh_len);
  free(st);
}

/* Load a script, its SHA1 into sha. */
static int load_script(const cb_setup *su, const char *text, char *sha) {
  redisReply *rep;
  int rc = cb_redis_call(su->redis, su->redis_db, &rep, "SCRIPT LOAD %s", text);
  if (rc) return rc;
  rc = rep->type == REDIS_REPLY_STRING && rep->len == 40 ? 0 : CB_EBADREPLY;
  if (rc == 0) memcpy(sha, rep->str, 41);
  freeReplyObject(rep);
  return rc;
}

/* store=redis: join (or begin) the shared crawl, then wait for its start, outside the timed work. */
static int redis_join(state *st, const cb_setup *su, const char *first) {
  char host[64] = "", base[200];
  if (!su->redis) return -EDESTADDRREQ;
  st->redis = 1;
  st->raddr = su->redis;
  st->rdb = su->redis_db;
  st->lease_ms = (uint64_t)su->p->v[P_LEASE];
  gethostname(host, sizeof host - 1);
  snprintf(st->owner, sizeof st->owner, "%s:%d", host, (int)getpid());
  /* Crawlers of the same site at the same server share one crawl. */
  uint64_t id = cb_fnv1a(CB_FNV_INIT, su->authority, strlen(su->authority));
  id = cb_fnv1a(id, &st->site, sizeof st->site);
  snprintf(base, sizeof base, "%scrawl:%016llx:", su->redis_shared ? su->redis_shared : "concbench:shared:",
           (unsigned long long)id);
  if (!(st->rclients = calloc(st->workers, sizeof *st->rclients))) return -ENOMEM;
  for (uint32_t w = 0; w < st->workers; w++) cb_resp_init(&st->rclients[w], su->redis, su->redis_db);
  int rc;
  if ((rc = load_script(su, lua_take, st->sha_take)) || (rc = load_script(su, lua_finish, st->sha_finish))) return rc;
  redisReply *rep;
  char join[32];
  snprintf(join, sizeof join, "%llu", (unsigned long long)su->p->v[P_JOIN]);
  if ((rc = cb_redis_call(su->redis, su->redis_db, &rep, "EVAL %s 0 %s %s %s", lua_join, base, first, join))) return rc;
  if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 || rep->element[0]->type != REDIS_REPLY_STRING ||
      rep->element[1]->type != REDIS_REPLY_INTEGER) {
    freeReplyObject(rep);
    return CB_EBADREPLY;
  }
  snprintf(st->prefix, sizeof st->prefix, "%s%s:", base, rep->element[0]->str);
  long long wait_ms = rep->element[1]->integer;
  freeReplyObject(rep);
  if (wait_ms > 0) cb_sleep_until(cb_now_ns() + wait_ms * 1000000);
  return 0;
}

static int crawl_setup(const cb_setup *su, void **out) {
  int rc = -ENOMEM;
  state *st = calloc(1, sizeof *st);
  if (!st) return -ENOMEM;
  st->site = site_of(su->p);
  st->output = su->output;
  st->external = su->external;
  st->workers = su->workers ? su->workers : 1;
  st->origin_len = (size_t)snprintf(st->origin, sizeof st->origin, "http://%s", su->authority);
  uint64_t urls = su->ntasks;
  st->clients = calloc(st->workers, sizeof *st->clients);
  st->resps = calloc(st->workers, sizeof *st->resps);
  if (!st->clients || !st->resps) goto fail;
  for (uint32_t w = 0; w < st->workers; w++) {
    cb_http_init(&st->clients[w], su->server, su->authority, 1);
    st->resps[w].keep_body = 1;
  }
  /* The frontier never holds more than every URL once, so puts never wait. */
  if ((rc = cb_queue_create(&st->frontier, URL_MAX, (uint32_t)urls, (uint32_t)urls, su->serial)) != 0) goto fail;
  if ((rc = cb_set_create(&st->seen, urls, URL_MAX)) != 0) goto fail;
  uint64_t cap = urls * (uint64_t)st->site.links * 2 * (URL_MAX / 2) + 4096;
  st->sh_len = sizeof(shared) + cap;
  if (!(st->sh = cb_shm_alloc(st->sh_len))) { rc = -ENOMEM; goto fail; }
  st->sh->cap = cap;
  char first[URL_MAX] = { 0 };
  snprintf(first, sizeof first, "%s/site/0.html", st->origin);
  if (su->p->v[P_STORE] == 1) {
    if ((rc = redis_join(st, su, first)) != 0) goto fail;
    *out = st;
    return 0;
  }
  cb__set_add(st->seen, first, strlen(first));
  cb__queue_try_put(st->frontier, first);
  atomic_store(&st->sh->outstanding, 1);
  *out = st;
  return 0;
fail:
  crawl_free(st);
  return rc;
}

/* The next href value in html[*pos..), or 0 when there is none. */
static int next_href(const char *html, size_t *pos, const char **val, size_t *vlen) {
  const char *p = html + *pos;
  while ((p = strcasestr(p, "href"))) {
    /* An attribute: preceded by whitespace, followed by optional spaces and '='. */
    if (p == html || !(p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n' || p[-1] == '\r')) { p += 4; continue; }
    const char *q = p + 4;
    while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
    if (*q != '=') { p = q; continue; }
    q++;
    while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
    const char *end;
    if (*q == '"' || *q == '\'') {
      end = strchr(q + 1, *q);
      if (!end) return 0;
      *val = q + 1;
    } else {
      end = q + strcspn(q, " \t\r\n>");
      *val = q;
    }
    *vlen = (size_t)(end - *val);
    *pos = (size_t)(end - html) + (*end != '\0');
    return 1;
  }
  return 0;
}

/* An edge's checksum term: without the server's origin, so runs on other ports agree. */
static uint64_t edge_term(const state *st, const char *src, const char *dst) {
  uint64_t h = CB_FNV_INIT;
  if (strncmp(src, st->origin, st->origin_len) == 0) src += st->origin_len;
  if (strncmp(dst, st->origin, st->origin_len) == 0) dst += st->origin_len;
  h = cb_fnv1a(h, src, strlen(src));
  h = cb_fnv1a(h, "\t", 1);
  h = cb_fnv1a(h, dst, strlen(dst));
  return cb_mix64(h);
}

/* store=redis: the next URL of the shared crawl into url: 1, 0 when the crawl is over, or a
 * negative error. Waits (polling every 2 ms) while every queued URL is taken by someone. */
static int redis_take(cb_ctx *ctx, state *st, char *url, char *me) {
  cb_resp *r = &st->rclients[ctx->worker];
  char lease[32];
  snprintf(me, 160, "%s:%u", st->owner, ctx->worker);
  snprintf(lease, sizeof lease, "%llu", (unsigned long long)st->lease_ms);
  for (;;) {
    redisReply *rep;
    int rc = cb_resp_command(ctx, r, &rep, cb_now_ns() + TIMEOUT_NS, "EVALSHA %s 0 %s %s %s", st->sha_take, st->prefix, me, lease);
    if (rc) return rc;
    if (rep->type == REDIS_REPLY_ERROR) rc = CB_EREDIS;
    else if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1 || rep->element[0]->type != REDIS_REPLY_STRING) rc = CB_EBADREPLY;
    else if (strcmp(rep->element[0]->str, "done") == 0) rc = 0;
    else if (strcmp(rep->element[0]->str, "wait") == 0) rc = 2;
    else if (rep->elements == 2 && rep->element[1]->type == REDIS_REPLY_STRING && rep->element[1]->len < URL_MAX) {
      memcpy(url, rep->element[1]->str, rep->element[1]->len + 1);
      rc = 1;
    } else rc = CB_EBADREPLY;
    cb_resp_reply_free(rep);
    if (rc != 2) return rc;
    if ((rc = cb_sleep(ctx, 2)) != 0) return rc;
  }
}

/* store=redis: finish url, queueing the same-site URLs found (found[0..n)): 0, 1 when the lease was
 * lost (its edges are someone else's to record), or a negative error. */
static int redis_finish(cb_ctx *ctx, state *st, const char *url, const char *me, char (*found)[URL_MAX], unsigned n) {
  const char *argv[64 + 7];
  size_t argl[64 + 7];
  unsigned k = 0;
  argv[k++] = "EVALSHA";
  argv[k++] = st->sha_finish;
  argv[k++] = "0";
  argv[k++] = st->prefix;
  argv[k++] = url;
  argv[k++] = me;
  for (unsigned i = 0; i < n; i++) argv[k++] = found[i];
  for (unsigned i = 0; i < k; i++) argl[i] = strlen(argv[i]);
  cb_resp *r = &st->rclients[ctx->worker];
  int64_t deadline = cb_now_ns() + TIMEOUT_NS;
  redisReply *rep;
  int rc = cb_resp_append(r, (int)k, argv, argl);
  if (rc == 0) rc = cb_resp_flush(ctx, r, deadline);
  if (rc == 0) rc = cb_resp_read(ctx, r, &rep, deadline);
  if (rc) return rc;
  if (rep->type == REDIS_REPLY_ERROR) rc = CB_EREDIS;
  else if (rep->type != REDIS_REPLY_INTEGER) rc = CB_EBADREPLY;
  else rc = rep->integer < 0;
  cb_resp_reply_free(rep);
  return rc;
}

/* store=redis: fetch a taken URL, finish it in Redis with the same-site URLs found, and only then
 * record its edges: a page whose lease was lost meanwhile is recorded by whoever took it next. */
static int redis_page(cb_ctx *ctx, const cb_params *p, state *st, const char *url, const char *me, uint64_t *sum) {
  char target[URL_MAX + 32];
  char (*found)[URL_MAX] = malloc(64 * sizeof *found), (*local)[URL_MAX] = malloc(64 * sizeof *local);
  unsigned nfound = 0, nlocal = 0;
  int rc = found && local ? 0 : -ENOMEM;
  uint64_t s = cb_mix64(cb_fnv1a(CB_FNV_INIT, url + st->origin_len, strlen(url + st->origin_len)));
  if (st->external) snprintf(target, sizeof target, "%s", url + st->origin_len);
  else snprintf(target, sizeof target, "%s?delay_ms=%llu", url + st->origin_len, (unsigned long long)p->v[P_DELAY]);
  cb_http_resp *r = &st->resps[ctx->worker];
  if (rc == 0) rc = cb_http_get(ctx, &st->clients[ctx->worker], target, r, cb_now_ns() + TIMEOUT_NS);
  if (rc == 0 && r->status == 404) {
    cb_job_not_found(ctx);
  } else if (rc == 0 && r->status != 200) {
    rc = r->status >= 500 ? CB_EHTTP5XX : CB_EHTTPSTATUS;
  } else if (rc == 0) {
    const char *html = r->body ? r->body : "";
    size_t pos = 0, vlen;
    const char *val;
    char u[URL_MAX];
    while (nfound < 64 && next_href(html, &pos, &val, &vlen)) {
      if (cb_url_resolve(url, val, vlen, u, sizeof u) != 0) continue;
      unsigned k = 0;
      while (k < nfound && strcmp(found[k], u) != 0) k++;
      if (k < nfound) continue;   /* one edge per distinct target on a page */
      memcpy(found[nfound++], u, strlen(u) + 1);
      if (strncmp(u, st->origin, st->origin_len) == 0 && u[st->origin_len] == '/') memcpy(local[nlocal++], u, strlen(u) + 1);
    }
  }
  /* Finished whatever the fetch gave, an error included: the crawl must not wait for this URL. */
  int frc = found && local ? redis_finish(ctx, st, url, me, local, nlocal) : -ENOMEM;
  if (rc == 0 && frc < 0) rc = frc;
  if (rc == 0 && frc == 0) {
    atomic_fetch_add(&st->sh->fetched, r->status == 200);
    char line[2 * URL_MAX + 2];
    for (unsigned i = 0; i < nfound && rc == 0; i++) {
      int ll = snprintf(line, sizeof line, "%s\t%s\n", url, found[i]);
      uint64_t at = atomic_fetch_add(&st->sh->used, (uint64_t)ll);
      if (at + (uint64_t)ll > st->sh->cap) { rc = -ENOSPC; break; }
      memcpy(st->sh->edges + at, line, (size_t)ll);
      s += edge_term(st, url, found[i]);
    }
    if (rc == 0) *sum = s;
  }
  free(found);
  free(local);
  return rc;
}

/* Take one URL, fetch it, record its edges, and queue what is new. */
static int crawl_task(cb_ctx *ctx, const cb_params *p, void *vst, uint64_t index, uint64_t *sum) {
  state *st = vst;
  char url[URL_MAX], target[URL_MAX + 32], me[160];
  int rc;
  if (st->redis) {
    if ((rc = redis_take(ctx, st, url, me)) <= 0) return rc;   /* 0: over, taken by others */
    atomic_fetch_add(&st->sh->taken, 1);
    return redis_page(ctx, p, st, url, me, sum);
  }
  rc = cb_queue_get(ctx, st->frontier, url, cb_now_ns() + TIMEOUT_NS);
  if (rc) return rc;            /* CB_EOF: the crawl ended without this task, after failures */
  atomic_fetch_add(&st->sh->taken, 1);
  uint64_t s = cb_mix64(cb_fnv1a(CB_FNV_INIT, url + st->origin_len, strlen(url + st->origin_len)));
  if (st->external) snprintf(target, sizeof target, "%s", url + st->origin_len);
  else snprintf(target, sizeof target, "%s?delay_ms=%llu", url + st->origin_len, (unsigned long long)p->v[P_DELAY]);
  cb_http_resp *r = &st->resps[ctx->worker];
  rc = cb_http_get(ctx, &st->clients[ctx->worker], target, r, cb_now_ns() + TIMEOUT_NS);
  if (rc == 0 && r->status == 404) {
    cb_job_not_found(ctx);
  } else if (rc == 0 && r->status != 200) {
    rc = r->status >= 500 ? CB_EHTTP5XX : CB_EHTTPSTATUS;
  } else if (rc == 0) {
    atomic_fetch_add(&st->sh->fetched, 1);
    const char *html = r->body ? r->body : "";
    size_t pos = 0, vlen;
    const char *val;
    uint64_t seen_here[64];
    unsigned nseen = 0;
    char found[URL_MAX], line[2 * URL_MAX + 2];
    while (rc == 0 && next_href(html, &pos, &val, &vlen)) {
      if (cb_url_resolve(url, val, vlen, found, sizeof found) != 0) continue;
      /* One edge per distinct target on a page. */
      uint64_t fh = cb_fnv1a(CB_FNV_INIT, found, strlen(found));
      unsigned k = 0;
      while (k < nseen && seen_here[k] != fh) k++;
      if (k < nseen) continue;
      if (nseen < 64) seen_here[nseen++] = fh;
      int ll = snprintf(line, sizeof line, "%s\t%s\n", url, found);
      uint64_t at = atomic_fetch_add(&st->sh->used, (uint64_t)ll);
      if (at + (uint64_t)ll > st->sh->cap) { rc = -ENOSPC; break; }
      memcpy(st->sh->edges + at, line, (size_t)ll);
      s += edge_term(st, url, found);
      if (strncmp(found, st->origin, st->origin_len) != 0 || found[st->origin_len] != '/') continue;
      int added = cb_set_add(ctx, st->seen, found, strlen(found));
      if (added < 0) { rc = added; break; }
      if (added) {
        atomic_fetch_add(&st->sh->outstanding, 1);
        if ((rc = cb_queue_put(ctx, st->frontier, found, cb_now_ns() + TIMEOUT_NS)) != 0)
          atomic_fetch_sub(&st->sh->outstanding, 1);
      }
    }
  }
  /* The last URL handled ends the crawl: workers still waiting for one see the end. */
  if (atomic_fetch_sub(&st->sh->outstanding, 1) == 1) cb_queue_close(ctx, st->frontier);
  if (rc == 0) *sum = s;
  return rc;
}

static void crawl_worker_end(cb_ctx *ctx, const cb_params *p, void *vst) {
  state *st = vst;
  cb_http_close(ctx, &st->clients[ctx->worker]);
  if (st->rclients) cb_resp_close(ctx, &st->rclients[ctx->worker]);
}

static int cmp_line(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DIR/output/<case>.tsv: the edges, sorted, as the seed's foundURLs.txt. */
static int write_edges(state *st) {
  uint64_t used = atomic_load(&st->sh->used);
  if (used > st->sh->cap) used = st->sh->cap;
  size_t n = 0;
  for (uint64_t i = 0; i < used; i++) n += st->sh->edges[i] == '\n';
  char **lines = malloc((n ? n : 1) * sizeof *lines);
  char *text = malloc(used + 1);
  int rc = -ENOMEM;
  if (!lines || !text) goto cleanup;
  memcpy(text, st->sh->edges, used);
  text[used] = '\0';
  size_t k = 0;
  for (char *p = text; k < n && *p; k++) {
    lines[k] = p;
    p = strchr(p, '\n');
    *p++ = '\0';
  }
  qsort(lines, k, sizeof *lines, cmp_line);
  char *outbuf = malloc(used + 1), *o = outbuf;
  if (!outbuf) goto cleanup;
  for (size_t i = 0; i < k; i++) {
    size_t l = strlen(lines[i]);
    memcpy(o, lines[i], l);
    o += l;
    *o++ = '\n';
  }
  rc = cb_write_atomic(st->output, outbuf, (size_t)(o - outbuf));
  free(outbuf);
cleanup:
  free(lines);
  free(text);
  return rc;
}

static unsigned crawl_metrics(void *vst, cb_metric *out, unsigned max) {
  state *st = vst;
  if (max < 3) return 0;
  out[0] = (cb_metric){ "pages_fetched", (double)atomic_load(&st->sh->fetched) };
  out[2] = (cb_metric){ "pages_taken", (double)atomic_load(&st->sh->taken) };
  size_t edges = 0;
  uint64_t used = atomic_load(&st->sh->used);
  for (uint64_t i = 0; i < used && i < st->sh->cap; i++) edges += st->sh->edges[i] == '\n';
  out[1] = (cb_metric){ "edges", (double)edges };
  return 3;
}

static int crawl_teardown(void *vst) {
  state *st = vst;
  int rc = st->output ? write_edges(st) : 0;
  if (st->redis && st->prefix[0]) {
    redisReply *rep;
    if (cb_redis_call(st->raddr, st->rdb, &rep, "EVAL %s 0 %s", lua_leave, st->prefix) == 0) freeReplyObject(rep);
  }
  crawl_free(st);
  return rc;
}

const cb_workload cb_workload_crawl = {
  .name = "crawl",
  .summary = "workers take URLs from a shared frontier, fetch, extract hrefs, follow unseen ones once; edges to output/",
  .kind = CB_KIND_IO,
  .uses = CB_USES_TCP | CB_USES_QUEUE | CB_USES_SET,
  .fds_per_worker = 1,
  .flags = CB_WL_SERVER | CB_WL_OUTPUT | CB_WL_REDIS,
  .redis_needed = crawl_redis_needed,
  .params = crawl_params,
  .nparams = sizeof crawl_params / sizeof crawl_params[0],
  .tasks = crawl_tasks,
  .server = crawl_server,
  .setup = crawl_setup,
  .task = crawl_task,
  .worker_end = crawl_worker_end,
  .metrics = crawl_metrics,
  .teardown = crawl_teardown,
  .ideal = crawl_ideal,
  .serial_note = "sync fetches one URL at a time in frontier (breadth-first) order",
};
