/* targets.c: one input through each fuzz target (server, client, suite, results), with the
 * invariants each checks besides memory safety; shared by fuzz/fuzz_*.c and the regression test. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "cb.h"
#include "compare.h"
#include "hchanges.h"
#include "hist.h"
#include "history.h"
#include "http.h"
#include "net_int.h"
#include "resp.h"
#include "resread.h"
#include "runcfg.h"
#include "server.h"
#include "stats.h"
#include "suite.h"
#include "targets.h"

/* Internal entry points: the net layer's are in net_int.h. */

/* A broken invariant: say which, then abort so libFuzzer (or the test) stops on it. */
static void fuzz_fail(const char *target, const char *what) {
  fprintf(stderr, "fuzz: %s: %s\n", target, what);
  abort();
}

#define CHECK(target, cond, what) \
  do {                            \
    if (!(cond)) fuzz_fail((target), (what)); \
  } while (0)

/* ---- pieces --------------------------------------------------------------------------------- */

#define MAX_CUTS 512

static uint64_t piece_rng(uint64_t *s) {
  uint64_t x = (*s += 0x9e3779b97f4a7c15ull);
  return cb_mix64(x);
}

/* Piece sizes for len bytes under split byte s (see targets.h); returns how many. */
static size_t make_cuts(uint8_t s, size_t len, size_t *cuts) {
  size_t n = 0, total = 0;
  uint64_t st = s;
  if (s == 0) return 0;
  while (total < len && n < MAX_CUTS) {
    cuts[n] = 1 + (size_t)(piece_rng(&st) % s);
    total += cuts[n++];
  }
  return n;
}

/* ---- server --------------------------------------------------------------------------------- */

/* Options byte: bit 0 the client's FIN right after its bytes, else bit 6 its FIN once the server
 * has nothing more to do (answers and delays done); bit 1 server-wide faults at rate 0.5 (seeded
 * with the split byte); bits 2-3 the site: 100 pages of 8 links, 1 of 8, 5 of 1, or 70000 of 1000
 * (past the page cache, pages over 64 KiB); bits 4-5 bytes the client reads before it gives up:
 * 64 KiB, 256 KiB, 4 KiB or 64; bit 7 a slow client: small socket buffers, and at most 512,
 * 1024, 2048 or 4096 bytes (split % 4) read a turn. */
static const cb_site server_sites[4] = { { 100, 8, 1 }, { 1, 8, 1 }, { 5, 1, 1 }, { 70000, 1000, 1 } };
static const size_t server_caps[4] = { 64u << 10, 256u << 10, 4u << 10, 64 };

static const char *find(const char *s, size_t len, const char *lit) {
  return memmem(s, len, lit, strlen(lit));
}

static int known_status(int st) {
  return st == 200 || st == 400 || st == 404 || st == 405 || st == 431 || st == 500;
}

/* What the server wrote must be whole HTTP/1.1 responses, one after another, each with a known
 * status, a Content-Length and a Connection header, /bytes bodies the pattern, nothing after
 * Connection: close; the last may be cut short only when may_cut. A 405 may have no body: the
 * answer to HEAD (its body never starts with "HTTP/1.1 "). */
static void check_responses(const char *out, size_t len, int may_cut) {
  const char *p = out, *end = out + len;
  while (p < end) {
    size_t left = (size_t)(end - p);
    const char *he = find(p, left, "\r\n\r\n");
    if (!he) {
      CHECK("server", may_cut, "a response cut short in its header");
      return;
    }
    he += 4;
    size_t hlen = (size_t)(he - p);
    CHECK("server", hlen >= 13 && memcmp(p, "HTTP/1.1 ", 9) == 0 && p[12] == ' ', "a malformed status line");
    int st = 0;
    for (int i = 9; i < 12; i++) {
      CHECK("server", p[i] >= '0' && p[i] <= '9', "a malformed status code");
      st = st * 10 + (p[i] - '0');
    }
    CHECK("server", known_status(st), "an unknown status");
    const char *cl = find(p, hlen, "\r\nContent-Length: ");
    CHECK("server", cl != NULL, "a response without Content-Length");
    uint64_t clen = 0;
    for (cl += 18; *cl >= '0' && *cl <= '9'; cl++) clen = clen * 10 + (uint64_t)(*cl - '0');
    CHECK("server", cl[0] == '\r', "a malformed Content-Length");
    int closing = find(p, hlen, "\r\nConnection: close\r\n") != NULL;
    CHECK("server", closing || find(p, hlen, "\r\nConnection: keep-alive\r\n"), "a response without Connection");
    int octets = find(p, hlen, "\r\nContent-Type: application/octet-stream\r\n") != NULL;
    size_t have = (size_t)(end - he);
    uint64_t body = clen;
    if (st == 405 && (have == 0 || (have >= 9 && memcmp(he, "HTTP/1.1 ", 9) == 0))) body = 0;
    size_t check = body < have ? (size_t)body : have;
    if (octets)
      for (size_t j = 0; j < check; j++) CHECK("server", he[j] == cb_body_byte(j), "a /bytes body that is not the pattern");
    if (body > have) {
      CHECK("server", may_cut, "a body cut short");
      return;
    }
    p = he + body;
    if (closing) CHECK("server", p == end, "bytes after a Connection: close response");
  }
}

int cb_fuzz_server(const uint8_t *data, size_t size) {
  static size_t cuts[MAX_CUTS];
  if (size < 2) return 0;
  uint8_t opt = data[0], split = data[1];
  const char *req = (const char *)data + 2;
  size_t len = size - 2, outlen = 0;
  size_t ncuts = make_cuts(split, len, cuts);
  cb_server_opts o = {
    .site = server_sites[(opt >> 2) & 3],
    .fault_rate = opt & 2 ? 0.5 : 0,
    .fault_seed = split,
    .quiet = 1,
  };
  size_t cap = server_caps[(opt >> 4) & 3];
  char *out = malloc(cap);
  if (!out) return 0;
  int eof = opt & 1 ? 1 : opt & 0x40 ? 2 : 0;
  size_t read_max = opt & 0x80 ? (size_t)512 << (split & 3) : 0;
  int rc = cb__server_feed(&o, req, len, cuts, ncuts, eof, read_max, out, cap, &outlen);
  CHECK("server", rc >= 0, "cb__server_feed could not start");
  CHECK("server", outlen <= cap, "more output than asked for");
  /* Cut short legitimately: the client stopped reading or saw a reset; a fault (an RST drops
   * what was queued); or a client that left while a delay ran. */
  int may_cut = (rc & (CB__FEED_CAP | CB__FEED_ERR)) || o.fault_rate > 0 || find(req, len, "fail") ||
                ((opt & 1) && find(req, len, "delay"));
  check_responses(out, outlen, may_cut);
  free(out);
  return 0;
}

/* ---- client --------------------------------------------------------------------------------- */

/* Options byte: bit 0 keep-alive; bit 1 keep the body; bits 2-3 GETs made, 1 to 4; bit 4 the
 * stream ends in a reset instead of EOF; bit 5 the second send fails with EPIPE (a kept
 * connection the server closed). The rest of the input is what the server sends, over however
 * many connections the client opens, delivered in pieces as the split byte says. */
typedef struct fake_net {
  const uint8_t *data;
  size_t len, pos;
  size_t cuts[MAX_CUTS];
  size_t ncuts, k;
  int reset_at_end, fail_second_send;
  unsigned sends, connects;
  int open;
} fake_net;

static int f_connect(cb_ctx *ctx, const struct sockaddr *addr, int64_t deadline, cb_conn **out) {
  fake_net *f = ctx->impl;
  CHECK("client", f->open == 0, "a second connection while one is open");
  if (++f->connects > 16) return -ECONNREFUSED;
  *out = malloc(8);   /* freed by f_close: a leak or a double close is a finding */
  if (!*out) return -ENOMEM;
  f->open++;
  return 0;
}

static ssize_t f_send(cb_ctx *ctx, cb_conn *c, const void *buf, size_t len, int64_t deadline) {
  fake_net *f = ctx->impl;
  CHECK("client", f->open == 1, "a send without a connection");
  CHECK("client", len > 0 && memcmp(buf, "GET ", 4) == 0, "a request that is not a GET");
  if (++f->sends == 2 && f->fail_second_send) return -EPIPE;
  return (ssize_t)len;
}

static ssize_t f_recv(cb_ctx *ctx, cb_conn *c, void *buf, size_t cap, int64_t deadline) {
  fake_net *f = ctx->impl;
  CHECK("client", f->open == 1 && cap > 0, "a receive without a connection");
  if (f->pos >= f->len) return f->reset_at_end ? -ECONNRESET : 0;
  size_t n = f->len - f->pos;
  if (f->k < f->ncuts && f->cuts[f->k] < n) n = f->cuts[f->k];
  f->k++;
  if (n > cap) n = cap;
  memcpy(buf, f->data + f->pos, n);
  f->pos += n;
  return (ssize_t)n;
}

static void f_close(cb_ctx *ctx, cb_conn *c) {
  fake_net *f = ctx->impl;
  CHECK("client", f->open == 1, "a close without a connection");
  free(c);
  f->open--;
}

static const cb_io fake_io = {
  .name = "fuzz",
  .tcp_connect = f_connect,
  .tcp_send = f_send,
  .tcp_recv = f_recv,
  .tcp_close = f_close,
};

int cb_fuzz_client(const uint8_t *data, size_t size) {
  static const char *const targets[] = { "/bytes/10", "/site/1.html", "/health", "/bytes/0?delay_ms=1" };
  if (size < 2) return 0;
  uint8_t opt = data[0];
  fake_net *f = calloc(1, sizeof *f);
  cb_http *h = malloc(sizeof *h);
  if (!f || !h) {
    free(f);
    free(h);
    return 0;
  }
  f->data = data + 2;
  f->len = size - 2;
  f->ncuts = make_cuts(data[1], f->len, f->cuts);
  f->reset_at_end = (opt >> 4) & 1;
  f->fail_second_send = (opt >> 5) & 1;
  cb_ctx ctx = { .io = &fake_io, .impl = f };
  cb_http_resp r = { .keep_body = (opt >> 1) & 1 };
  cb_http_init(h, NULL, "127.0.0.1:8080", opt & 1);
  int gets = ((opt >> 2) & 3) + 1;
  for (int i = 0; i < gets; i++) {
    int rc = cb_http_get(&ctx, h, targets[i], &r, 0);
    if (rc == 0) {
      CHECK("client", r.status >= 0 && r.status <= 999, "an answer with an impossible status");   /* http-parser takes 0 to 999 */
      CHECK("client", r.status < 100 || r.status >= 200 || r.status == 101, "an interim (1xx) answer taken for the answer");
      if (r.keep_body && r.body_len) {
        CHECK("client", r.body && r.body_len < r.body_cap && r.body[r.body_len] == '\0', "a kept body not NUL-terminated");
        CHECK("client", cb_fnv1a(CB_FNV_INIT, r.body, (size_t)r.body_len) == r.body_hash, "a kept body that does not match its hash");
      }
      if (!h->keepalive) CHECK("client", h->conn == NULL, "a connection kept without keep-alive");
    } else {
      CHECK("client", rc < 0, "a positive error");
      CHECK("client", h->conn == NULL, "a connection kept after an error");
    }
    CHECK("client", f->open == (h->conn != NULL), "a connection lost or leaked");
  }
  cb_http_close(&ctx, h);
  CHECK("client", f->open == 0, "a connection left open");
  cb_http_resp_free(&r);
  free(h);
  free(f);
  return 0;
}

/* ---- suite ---------------------------------------------------------------------------------- */

int cb_fuzz_suite(const uint8_t *data, size_t size) {
  static cb_suite suite;   /* 1.2 MB: kept, not mapped afresh for every input */
  cb_suite *s = &suite;
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';   /* as cb_suite_load gives it (which refuses text with a NUL) */
  for (int quick = 0; quick < 2; quick++) {
    char err[1024] = "";
    int rc = cb_suite_parse(text, "fuzz.ini", quick, s, err, sizeof err);
    if (rc != 0) {
      CHECK("suite", rc == -1, "an error other than -1");
      CHECK("suite", strncmp(err, "fuzz.ini", 8) == 0, "an error that does not name the file");
      continue;
    }
    CHECK("suite", s->ngroups >= 1 && s->ngroups <= CB_MAX_GROUPS, "a suite without groups");
    CHECK("suite", s->ngates >= 0 && s->ngates <= CB_MAX_GATES, "a bad gate count");
    CHECK("suite", memchr(s->name, '\0', sizeof s->name) && memchr(s->description, '\0', sizeof s->description),
          "an unterminated name");
    for (int i = 0; i < s->ngroups; i++) {
      const cb_run_cfg *g = &s->groups[i];
      CHECK("suite", s->group_names[i][0] && memchr(s->group_names[i], '\0', sizeof s->group_names[i]), "a bad group name");
      CHECK("suite", g->nbe >= 1 && g->nbe <= CB_MAX_LIST && g->nwl >= 1 && g->nwl <= CB_MAX_LIST, "a group without backends or workloads");
      for (int j = 0; j < g->nbe; j++) CHECK("suite", g->be[j] != NULL, "a NULL backend");
      for (int j = 0; j < g->nwl; j++) CHECK("suite", g->wl[j] != NULL, "a NULL workload");
      CHECK("suite", g->nconc >= 0 && g->nconc <= CB_MAX_LIST && g->nps >= 0 && g->nps <= CB_MAX_PSETS, "bad list counts");
      CHECK("suite", g->tasks <= CB_MAX_TASKS && g->reps >= 1 && g->reps <= CB_MAX_REPS, "bad counts");
    }
  }
  free(text);
  return 0;
}

/* ---- results -------------------------------------------------------------------------------- */

/* What compare does with two cases: the ratio of medians with its bootstrap interval (fewer
 * resamples than compare's 10000, the same code) and the U test. */
static void compare_cases(const cb_rcase *b, const cb_rcase *n) {
  double ratio, lo, hi, u, p;
  int rc = cb_ratio_ci(b->wall, b->reps, n->wall, n->reps, 0.95, 200, 1, &ratio, &lo, &hi);
  CHECK("results", rc == 0, "cb_ratio_ci failed on a parsed file");
  CHECK("results", ratio >= 0 && lo >= 0 && hi >= 0, "a ratio or interval that is negative or NaN");
  CHECK("results", lo <= hi, "an interval with lo > hi");
  rc = cb_mann_whitney(n->wall, n->reps, b->wall, b->reps, &u, &p);
  CHECK("results", rc == 0, "cb_mann_whitney failed on a parsed file");
  CHECK("results", p >= 0 && p <= 1 + 1e-9, "a p-value outside [0, 1]");
  CHECK("results", u >= 0 && u <= (double)n->reps * (double)b->reps, "a U outside [0, na*nb]");
}

static void check_hist(const cb_hist *h) {
  static char enc[CB_HIST_ENCODE_MAX];
  static cb_hist back;
  static cb_hist_point pts[CB_HIST_SPECTRUM_MAX];
  CHECK("results", h->count > 0 || (h->min_ns == UINT64_MAX && h->max_ns == 0), "a decoded histogram in a bad state");
  if (h->count) {
    uint64_t p50 = cb_hist_percentile(h, 50), p99 = cb_hist_percentile(h, 99);
    CHECK("results", h->min_ns <= p50 && p50 <= p99 && p99 <= h->max_ns, "histogram percentiles out of order");
    CHECK("results", cb_hist_percentile(h, 100) == h->max_ns && cb_hist_percentile(h, 0) == h->min_ns,
          "histogram min or max not exact");
    double mean = cb_hist_mean(h);
    CHECK("results", mean >= (double)h->min_ns * 0.999 && mean <= (double)h->max_ns * 1.001, "histogram mean out of range");
  }
  size_t np = cb_hist_spectrum(h, pts, CB_HIST_SPECTRUM_MAX);
  CHECK("results", np <= CB_HIST_SPECTRUM_MAX, "a spectrum too long");
  for (size_t i = 1; i < np; i++)
    CHECK("results", pts[i].percentile > pts[i - 1].percentile && pts[i].value_ms >= pts[i - 1].value_ms,
          "a spectrum out of order");
  /* What resread decoded encodes back to something that decodes to the same histogram. */
  size_t n = cb_hist_encode(h, enc, sizeof enc);
  CHECK("results", n < sizeof enc, "an encoding longer than CB_HIST_ENCODE_MAX");
  CHECK("results", cb_hist_decode(&back, enc) == 0, "a histogram that does not decode its own encoding");
  CHECK("results", memcmp(&back, h, sizeof back) == 0, "a histogram that changes through encode and decode");
}

#define MAX_COMPARED 64

int cb_fuzz_results(const uint8_t *data, size_t size) {
  char err[1024] = "";
  cb_results *r = malloc(sizeof *r);
  char *text = malloc(size + 1);
  if (!r || !text) goto cleanup;
  memcpy(text, data, size);
  text[size] = '\0';   /* as cb_read_file gives it */
  int rc = cb_results_parse(text, size, "fuzz.json", r, err, sizeof err);
  if (rc != 0) {
    CHECK("results", rc < 0 && strncmp(err, "fuzz.json", 9) == 0, "an error without a reason");
    CHECK("results", r->cases == NULL && r->root == NULL && r->n == 0, "a failed parse that keeps memory");
    goto cleanup;
  }
  for (size_t i = 0; i < r->n; i++) {
    const cb_rcase *c = &r->cases[i];
    CHECK("results", c->reps >= 1 && c->wall && c->conc >= 1, "a case without repetitions");
    for (unsigned j = 0; j < c->reps; j++) CHECK("results", c->wall[j] >= 0, "a bad repetition");
    const cb_rcase *f = cb_results_find(r, c->workload, c->backend, c->params_str, c->conc);
    CHECK("results", f && f <= c, "a case that cb_results_find does not find");
    for (unsigned j = 0; j < c->nparams; j++) {
      unsigned first = 0;   /* a name given twice: the first one counts, as in cJSON */
      while (strcmp(c->params[first].name, c->params[j].name) != 0) first++;
      CHECK("results", cb_rcase_param(c, c->params[j].name) == c->params[first].value, "a parameter that cb_rcase_param does not find");
    }
    if (c->lat_buckets) {
      static cb_hist h;
      CHECK("results", cb_rcase_hist(c, &h) == 0, "a histogram that read but does not decode");
      check_hist(&h);
    }
    if (i < MAX_COMPARED) {
      compare_cases(c, c);
      compare_cases(c, &r->cases[(i + 1) % r->n]);
    }
  }
  cb_results_free(r);
cleanup:
  free(text);
  free(r);
  return 0;
}

/* ---- history ------------------------------------------------------------------------------- */

/* The importer: a parsed results file into a history in memory, twice, then read back and
 * analysed. Every measured case comes back as a series of two points with its median. */
int cb_fuzz_history(const uint8_t *data, size_t size) {
  char err[1024] = "";
  cb_results *r = malloc(sizeof *r);
  char *text = malloc(size + 1);
  cb_history h;
  cb_hdata d;
  if (!r || !text) goto cleanup;
  memcpy(text, data, size);
  text[size] = '\0';
  if (cb_results_parse(text, size, "fuzz.json", r, err, sizeof err) != 0) goto cleanup;
  CHECK("history", cb_history_open(&h, ":memory:", 1, err, sizeof err) == 0, "cannot open a history in memory");
  int a = cb_history_add(&h, r, NULL, "fuzz", NULL, err, sizeof err);
  int b = cb_history_add(&h, r, "second", "fuzz", NULL, err, sizeof err);
  /* A label it refuses (a git revision of control characters) is the only reason to fail. */
  CHECK("history", a == 0 || a == -EINVAL, "an add that failed for another reason than its label");
  CHECK("history", b == 0, "an add that failed");
  CHECK("history", cb_history_load(&h, &d, err, sizeof err) == 0, "a history that does not read back");
  cb_history_close(&h);
  size_t measured = 0, points = 0;
  for (size_t i = 0; i < r->n; i++) measured += r->cases[i].reps > 0 && isfinite(r->cases[i].wall_median);
  for (size_t i = 0; i < d.nseries; i++) points += d.series[i].n;
  CHECK("history", d.nruns == (a == 0 ? 2u : 1u), "runs lost");
  /* Cases that share a key in one run (only a crafted file has them) count once. */
  CHECK("history", points <= measured * d.nruns, "more points than cases");
  CHECK("history", measured == 0 || points > 0, "cases lost");
  cb_cp_cfg cfg;
  cb_hchange *ch;
  size_t n;
  cb_cp_defaults(&cfg);
  CHECK("history", cb_hchanges_find(&d, &cfg, &ch, &n) == 0, "changes failed");
  free(ch);
  cb_hdata_free(&d);
  cb_results_free(r);
cleanup:
  free(text);
  free(r);
  return 0;
}

/* ---- by name -------------------------------------------------------------------------------- */

/* ---- resp ----------------------------------------------------------------------------------- */

/* Options byte: bits 0-3 the commands the Redis client pipelines (1 to 16) before it reads their
 * replies; bit 4 the stream ends in a reset instead of EOF. The rest is what the server sends,
 * in pieces as the split byte says. Invariants: cut anywhere, hiredis's parser gives the same
 * replies as in one piece (cb_resp_parse_all); the client (cb_resp_read over a fake runtime)
 * reads exactly those, in order, until it has them all or meets an error; one connection at
 * most, closed after an error, and no memory kept. */
static ssize_t r_send(cb_ctx *ctx, cb_conn *c, const void *buf, size_t len, int64_t deadline) {
  fake_net *f = ctx->impl;
  CHECK("resp", f->open == 1, "a send without a connection");
  CHECK("resp", len > 0 && ((const char *)buf)[0] == '*', "a command that is not a RESP array");
  f->sends++;
  return (ssize_t)len;
}

static const cb_io resp_io = {
  .name = "fuzz",
  .tcp_connect = f_connect,
  .tcp_send = r_send,
  .tcp_recv = f_recv,
  .tcp_close = f_close,
};

int cb_fuzz_resp(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  uint8_t opt = data[0];
  unsigned n = 1 + (opt & 15u);
  fake_net *f = calloc(1, sizeof *f);
  if (!f) return 0;
  f->data = data + 2;
  f->len = size - 2;
  f->ncuts = make_cuts(data[1], f->len, f->cuts);
  f->reset_at_end = (opt >> 4) & 1;

  /* The parser alone: pieces change nothing. */
  uint64_t h_whole, h_cut;
  int c_whole = cb_resp_parse_all((const char *)f->data, f->len, NULL, 0, &h_whole);
  int c_cut = cb_resp_parse_all((const char *)f->data, f->len, f->cuts, f->ncuts, &h_cut);
  CHECK("resp", (c_whole < 0) == (c_cut < 0), "a malformed reply found in one piece but not in pieces, or the reverse");
  if (c_whole >= 0) CHECK("resp", c_whole == c_cut && h_whole == h_cut, "pieces give other replies than one piece");

  /* The client: n commands, then their replies. */
  struct sockaddr_storage ss = { 0 };
  cb_ctx ctx = { .io = &resp_io, .impl = f };
  cb_resp r;
  cb_resp_init(&r, (const struct sockaddr *)&ss, 0);
  for (unsigned i = 0; i < n; i++) {
    const char *argv[] = { "GET", "k" };
    size_t argl[] = { 3, 1 };
    CHECK("resp", cb_resp_append(&r, 2, argv, argl) == 0, "a command could not be queued");
  }
  int rc = cb_resp_flush(&ctx, &r, 0);
  CHECK("resp", rc == 0 && f->sends == 1, "the queued commands were not sent in one piece");
  uint64_t h = CB_FNV_INIT;
  unsigned got = 0;
  while (got < n) {
    struct redisReply *rep;
    if ((rc = cb_resp_read(&ctx, &r, &rep, 0)) != 0) break;
    h = cb_resp_hash(h, rep);
    cb_resp_reply_free(rep);
    got++;
  }
  if (rc == 0) {
    CHECK("resp", c_whole >= (int)n || c_whole < 0, "more replies read than the bytes hold");
  } else {
    CHECK("resp", rc == CB_EBADREPLY || rc == CB_EOF || rc == -ECONNRESET, "an error other than the stream's");
    CHECK("resp", r.conn == NULL && f->open == 0, "the connection was kept after an error");
    if (rc == CB_EBADREPLY) CHECK("resp", c_whole < 0, "a malformed reply the parser alone accepts");
    else CHECK("resp", c_whole >= 0 && (unsigned)c_whole == got, "the stream ended with replies unread");
  }
  /* What the client read is the first replies of the whole parse. */
  if (c_whole >= 0 && got == (unsigned)c_whole) CHECK("resp", h == h_whole, "the client read other replies than the parser");
  cb_resp_free(&ctx, &r);
  CHECK("resp", f->open == 0, "a connection left open");
  free(f);
  return 0;
}

cb_fuzz_fn cb_fuzz_target(const char *name) {
  if (strcmp(name, "resp") == 0) return cb_fuzz_resp;
  if (strcmp(name, "server") == 0) return cb_fuzz_server;
  if (strcmp(name, "client") == 0) return cb_fuzz_client;
  if (strcmp(name, "suite") == 0) return cb_fuzz_suite;
  if (strcmp(name, "results") == 0) return cb_fuzz_results;
  if (strcmp(name, "history") == 0) return cb_fuzz_history;
  return NULL;
}
