/* test_redis.c: the Redis client's reply parsing (fragmented, malformed), the redis-server a run
 * starts and stops (SIGTERM, a killed runner), --redis with its key prefix cleared, --target, and
 * two crawler processes sharing one crawl through Redis. */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "cb.h"
#include "resp.h"
#include "rserver.h"
#include "target.h"
#include "testutil.h"

/* ---- the reply parser ----------------------------------------------------------------------- */

static const char replies[] = "+OK\r\n$5\r\nhello\r\n:42\r\n*3\r\n$1\r\na\r\n$-1\r\n*1\r\n:7\r\n-ERR wrong type\r\n$0\r\n\r\n";
#define NREPLIES 6

/* The same bytes cut anywhere give the same replies: every cut point, and random pieces. */
static void parser_fragments(void **state) {
  uint64_t whole, h;
  size_t len = sizeof replies - 1, cuts[256];
  assert_int_equal(cb_resp_parse_all(replies, len, NULL, 0, &whole), NREPLIES);
  for (size_t at = 1; at < len; at++) {
    cuts[0] = at;
    assert_int_equal(cb_resp_parse_all(replies, len, cuts, 1, &h), NREPLIES);
    assert_true(h == whole);
  }
  for (size_t i = 0; i < len; i++) cuts[i] = 1;
  assert_int_equal(cb_resp_parse_all(replies, len, cuts, len, &h), NREPLIES);
  assert_true(h == whole);
  uint64_t seed = 1;
  for (int round = 0; round < 50; round++) {
    size_t n = 0, total = 0;
    while (total < len) total += cuts[n++] = 1 + (size_t)((seed = cb_mix64(seed + 1)) % 7);
    assert_int_equal(cb_resp_parse_all(replies, len, cuts, n, &h), NREPLIES);
    assert_true(h == whole);
  }
  /* A different reply changes the hash: it covers the contents. */
  char other[sizeof replies];
  memcpy(other, replies, sizeof replies);
  other[12] = 'j';   /* hello -> jello */
  assert_int_equal(cb_resp_parse_all(other, len, NULL, 0, &h), NREPLIES);
  assert_true(h != whole);
}

static void parser_malformed(void **state) {
  static const char *const bad[] = { "?what\r\n", "$abc\r\n", "*x\r\n", ":12a\r\n", "$-7\r\n", "+OK\r\n!\r\n" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(cb_resp_parse_all(bad[i], strlen(bad[i]), NULL, 0, NULL), CB_EBADREPLY);
  /* Cut short: no whole reply yet, which is not an error. */
  assert_int_equal(cb_resp_parse_all("$5\r\nhel", 8, NULL, 0, NULL), 0);
  assert_int_equal(cb_resp_parse_all("+OK\r\n*2\r\n:1\r\n", 13, NULL, 0, NULL), 1);
}

/* ---- the server a run starts ------------------------------------------------------------------- */

static int have(const char *prog) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
  return system(cmd) == 0;
}

#define NEED_REDIS() do { if (!have("redis-server")) { print_message("no redis-server: skipped\n"); skip(); } } while (0)

static int alive(pid_t pid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *rp = strrchr(buf, ')');
  return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

/* The redis-server whose parent is ppid, or 0. */
static pid_t redis_child(pid_t ppid) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  pid_t found = 0;
  while (d && (e = readdir(d)) && !found) {
    char path[300], buf[512];
    long pid = strtol(e->d_name, NULL, 10);
    if (pid <= 0) continue;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
    int parent = 0;
    if (!lp || !rp || sscanf(rp + 2, "%*c %d", &parent) != 1) continue;
    if (parent == ppid && strncmp(lp + 1, "redis-server", 12) == 0) found = (pid_t)pid;
  }
  if (d) closedir(d);
  return found;
}

static int wait_gone(pid_t pid, long ms) {
  int64_t end = tu_now_ms() + ms;
  while (alive(pid) && tu_now_ms() < end) tu_sleep_ms(20);
  return !alive(pid);
}

static void lifecycle(void **state) {
  NEED_REDIS();
  cb_rserver r;
  char err[512], why[512], dir[PATH_MAX];
  assert_int_equal(cb_rserver_start(&r, "/tmp", 64 << 20, err, sizeof err), 0);
  pid_t pid = r.pid;
  assert_true(pid > 0 && alive(pid));
  assert_true(r.port > 0 && !r.external);
  snprintf(dir, sizeof dir, "%s", r.dir);
  assert_true(tu_exists(dir));
  assert_int_equal(cb_rserver_ping(&r, why, sizeof why), 0);
  /* Its settings: no persistence, the memory it was given, bound to loopback. */
  redisContext *c = redisConnect("127.0.0.1", r.port);
  assert_non_null(c);
  redisReply *rep = redisCommand(c, "CONFIG GET save");
  assert_true(rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 && strcmp(rep->element[1]->str, "") == 0);
  freeReplyObject(rep);
  rep = redisCommand(c, "CONFIG GET maxmemory");
  assert_true(rep && rep->elements == 2 && strcmp(rep->element[1]->str, "67108864") == 0);
  freeReplyObject(rep);
  rep = redisCommand(c, "CONFIG GET appendonly");
  assert_string_equal(rep->element[1]->str, "no");
  freeReplyObject(rep);
  redisFree(c);
  cb_rserver_stop(&r);
  assert_int_equal(r.pid, 0);
  assert_true(wait_gone(pid, 1000));
  assert_false(tu_exists(dir));
  assert_int_not_equal(cb_rserver_ping(&r, why, sizeof why), 0);
}

static void url_parsing(void **state) {
  cb_rserver r;
  cb_target t;
  char err[512];
  assert_int_equal(cb_rserver_parse_url(&r, "redis://127.0.0.1:6390/3", err, sizeof err), 0);
  assert_int_equal(r.port, 6390);
  assert_int_equal(r.db, 3);
  assert_true(r.external);
  assert_int_equal(cb_rserver_parse_url(&r, "redis://localhost", err, sizeof err), 0);
  assert_int_equal(r.port, 6379);
  assert_int_equal(r.db, 0);
  static const char *const bad[] = { "http://127.0.0.1:1", "redis://", "redis://h:0", "redis://h:70000",
                                     "redis://u:p@h:1", "redis://h:1/x" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = 0;
    assert_int_equal(cb_rserver_parse_url(&r, bad[i], err, sizeof err), -1);
    assert_true(err[0] != 0);
  }
  assert_int_equal(cb_target_parse_url(&t, "http://127.0.0.1:8080", err, sizeof err), 0);
  assert_string_equal(t.authority, "127.0.0.1:8080");
  assert_true(t.external && cb_target_up(&t));
  assert_int_equal(cb_target_parse_url(&t, "http://127.0.0.1:8080/x", err, sizeof err), -1);
  assert_int_equal(cb_target_parse_url(&t, "https://127.0.0.1:8080", err, sizeof err), -1);
}

/* A run that starts redis-server, stopped by sig once its server answers: the server goes too,
 * and with SIGKILL (no cleanup possible) its directory is removed by the watcher. */
static void stopped_run(void **state, int sig) {
  NEED_REDIS();
  tu_cli *c = *state;
  tu_need_bin(c->bin);
  char tmpenv[128];
  snprintf(tmpenv, sizeof tmpenv, "TMPDIR=%s", c->dir);
  const char *const env[] = { tmpenv, NULL };
  c->opts.env = env;
  tu_cli_spawn(c, TU_ARGS("run", "-w", "redis", "-b", "sync", "-n", "2000000", "-c", "1", "-r", "1", "--warmup", "0",
                          "-o", "@OUT", "-q"));
  c->opts.env = NULL;
  pid_t runner = c->cmd.pid, server = 0;
  int64_t end = tu_now_ms() + 20000;
  while (!(server = redis_child(runner)) && tu_now_ms() < end) tu_sleep_ms(20);
  assert_true(server > 0);
  tu_sleep_ms(300);   /* into the case */
  glob_t g;
  char pat[256];
  snprintf(pat, sizeof pat, "%s/concbench-redis-%d-*", c->dir, (int)runner);
  assert_int_equal(glob(pat, 0, NULL, &g), 0);
  globfree(&g);
  kill(runner, sig);
  tu_collect(&c->cmd, 20000);
  if (sig == SIGTERM) assert_int_equal(c->cmd.status, 128 + SIGTERM);
  assert_true(wait_gone(server, 10000));
  /* Its directory: removed by the run, or after a kill -9 by the watcher. */
  end = tu_now_ms() + 10000;
  int left;
  while ((left = glob(pat, 0, NULL, &g)) == 0 && tu_now_ms() < end) {
    globfree(&g);
    tu_sleep_ms(50);
  }
  if (left == 0) globfree(&g);
  assert_int_equal(left, GLOB_NOMATCH);
}

static void sigterm_stops_server(void **state) { stopped_run(state, SIGTERM); }
static void killed_runner_stops_server(void **state) { stopped_run(state, SIGKILL); }

/* ---- an external Redis ------------------------------------------------------------------------ */

static long long dbsize(int port) {
  redisContext *c = redisConnect("127.0.0.1", port);
  redisReply *rep = c ? redisCommand(c, "DBSIZE") : NULL;
  long long n = rep && rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
  if (rep) freeReplyObject(rep);
  if (c) redisFree(c);
  return n;
}

static void external_prefix_cleared(void **state) {
  NEED_REDIS();
  tu_cli *c = *state;
  tu_need_bin(c->bin);
  cb_rserver r;
  char err[512], url[64];
  assert_int_equal(cb_rserver_start(&r, "/tmp", 64 << 20, err, sizeof err), 0);
  redisContext *rc = redisConnect("127.0.0.1", r.port);
  freeReplyObject(redisCommand(rc, "SET %s %s", "someone:else", "keep"));
  freeReplyObject(redisCommand(rc, "SET %s %s", "concbench:not-this-run", "keep"));
  snprintf(url, sizeof url, "redis://127.0.0.1:%d", r.port);
  TU_RUN(c, "run", "-w", "redis", "-b", "sync,uv", "-n", "300", "-c", "4", "-p", "keys=50", "-r", "1", "--warmup", "0",
         "--redis", url, "-o", "@OUT", "-q");
  tu_expect_exit(&c->cmd, 0);
  /* The run made 50 keys and removed them: only the others' are left. */
  assert_int_equal(dbsize(r.port), 2);
  redisReply *rep = redisCommand(rc, "GET %s", "someone:else");
  assert_true(rep && rep->type == REDIS_REPLY_STRING);
  freeReplyObject(rep);
  redisFree(rc);
  char path[256];
  snprintf(path, sizeof path, "%s/results.json", c->out);
  cJSON *j = tu_load_json(path);
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(j, "environment");
  tu_expect_in(cJSON_GetObjectItemCaseSensitive(env, "redis")->valuestring, "(external)");
  cJSON_Delete(j);
  cb_rserver_stop(&r);
}

static void unreachable_is_usage_error(void **state) {
  tu_cli *c = *state;
  tu_need_bin(c->bin);
  TU_RUN(c, "run", "-w", "redis", "-b", "uv", "-n", "10", "-c", "1", "--redis", "redis://127.0.0.1:1", "-o", "@OUT");
  tu_expect_usage_error(&c->cmd);
  tu_expect_in(c->cmd.se, "cannot reach Redis");
  assert_false(tu_exists(c->out));
  TU_RUN(c, "run", "-w", "http", "-b", "uv", "-n", "10", "-c", "1", "--target", "http://127.0.0.1:9", "-p", "delay_ms=5",
         "-o", "@OUT");
  tu_expect_usage_error(&c->cmd);
  tu_expect_in(c->cmd.se, "delay_ms");
  TU_RUN(c, "run", "-w", "http", "-b", "uv", "-n", "10", "-c", "1", "-p", "path=/x", "-o", "@OUT");
  tu_expect_usage_error(&c->cmd);
}

/* ---- two crawlers, one Redis ------------------------------------------------------------------ */

/* The lines of every .tsv file of dir/output, into a cJSON object used as a set. */
static cJSON *edges_of(const char *dir) {
  char pat[300];
  glob_t g;
  cJSON *set = cJSON_CreateObject();
  snprintf(pat, sizeof pat, "%s/output/*.tsv", dir);
  if (glob(pat, 0, NULL, &g) != 0) return set;
  for (size_t i = 0; i < g.gl_pathc; i++) {
    char *text = tu_read_file(g.gl_pathv[i], NULL);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
      if (!cJSON_GetObjectItemCaseSensitive(set, line)) cJSON_AddTrueToObject(set, line);
    free(text);
  }
  globfree(&g);
  return set;
}

static double taken(const char *dir) {
  char path[300];
  snprintf(path, sizeof path, "%s/results.json", dir);
  cJSON *j = tu_load_json(path);
  const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "cases"), 0);
  const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c0, "repetitions"), 0);
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r0, "metrics"), "pages_taken");
  double v = cJSON_IsNumber(m) ? m->valuedouble : -1;
  cJSON_Delete(j);
  return v;
}

static void two_crawlers_share(void **state) {
  NEED_REDIS();
  tu_cli *c = *state;
  tu_need_bin(c->bin);
  cb_rserver r;
  cb_target t;
  char err[512], rurl[64], turl[320], one[160], a[160], b[160];
  cb_server_opts so = { .site = { .pages = 300, .links = 8, .seed = 1 } };
  assert_int_equal(cb_rserver_start(&r, "/tmp", 64 << 20, err, sizeof err), 0);
  assert_int_equal(cb_target_start(&t, &so, err, sizeof err), 0);
  snprintf(rurl, sizeof rurl, "redis://127.0.0.1:%d", r.port);
  snprintf(turl, sizeof turl, "http://%s", t.authority);
  snprintf(one, sizeof one, "%s/one", c->dir);
  snprintf(a, sizeof a, "%s/a", c->dir);
  snprintf(b, sizeof b, "%s/b", c->dir);
  tu_proc p1 = { 0 }, p2 = { 0 }, p0 = { 0 };
  tu_run(&p0, c->bin, TU_ARGS("run", "-w", "crawl", "-b", "uv", "-c", "10", "-p", "pages=300", "-r", "1", "--warmup", "0",
                              "--target", turl, "-o", one, "-q"), NULL, 60000);
  tu_expect_exit(&p0, 0);
  assert_int_equal(tu_spawn(&p1, c->bin, TU_ARGS("run", "-w", "crawl", "-b", "uv", "-c", "10", "-p", "pages=300", "-p",
                                                 "store=redis", "-p", "join_ms=8000", "-r", "1", "--warmup", "0", "--redis", rurl, "--target", turl,
                                                 "-o", a, "-q"), NULL), 0);
  assert_int_equal(tu_spawn(&p2, c->bin, TU_ARGS("run", "-w", "crawl", "-b", "threads", "-c", "10", "-p", "pages=300", "-p",
                                                 "store=redis", "-p", "join_ms=8000", "-r", "1", "--warmup", "0", "--redis", rurl, "--target", turl,
                                                 "-o", b, "-q"), NULL), 0);
  tu_wait(&p1, 60000);
  tu_wait(&p2, 60000);
  tu_expect_exit(&p1, 0);
  tu_expect_exit(&p2, 0);
  /* Both took part, no URL twice: their shares add up to the whole crawl's URLs. */
  double ta = taken(a), tb = taken(b), t0 = taken(one);
  print_message("crawl shared: %g + %g of %g URLs\n", ta, tb, t0);
  assert_true(ta > 0 && tb > 0);
  assert_true(ta + tb == t0);
  /* Their edges: disjoint by page, and together the single crawl's. */
  cJSON *e0 = edges_of(one), *ea = edges_of(a), *eb = edges_of(b), *it;
  int n0 = cJSON_GetArraySize(e0), na = cJSON_GetArraySize(ea), nb = cJSON_GetArraySize(eb);
  assert_true(na > 0 && nb > 0);
  assert_int_equal(na + nb, n0);
  cJSON_ArrayForEach(it, ea) assert_non_null(cJSON_GetObjectItemCaseSensitive(e0, it->string));
  cJSON_ArrayForEach(it, eb) assert_non_null(cJSON_GetObjectItemCaseSensitive(e0, it->string));
  cJSON_ArrayForEach(it, ea) {
    char src[300];
    snprintf(src, sizeof src, "%.*s", (int)strcspn(it->string, "\t"), it->string);
    const cJSON *jt;
    cJSON_ArrayForEach(jt, eb) assert_false(strncmp(jt->string, src, strlen(src)) == 0 && jt->string[strlen(src)] == '\t');
  }
  cJSON_Delete(e0);
  cJSON_Delete(ea);
  cJSON_Delete(eb);
  /* The last crawler out removed the crawl's keys: only the generation counter is left. */
  assert_true(dbsize(r.port) <= 1);
  tu_proc_free(&p0);
  tu_proc_free(&p1);
  tu_proc_free(&p2);
  cb_target_stop(&t);
  cb_rserver_stop(&r);
}

static int cli_setup(void **state) {
  *state = tu_cli_new(sizeof(tu_cli), "redis");
  if (*state) ((tu_cli *)*state)->timeout_ms = 60000;
  return *state ? 0 : -1;
}

static int cli_teardown(void **state) {
  tu_cli *c = *state;
  int rc = c ? tu_cli_fini(c) : 0;
  free(c);
  return rc;
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(parser_fragments),
    cmocka_unit_test(parser_malformed),
    cmocka_unit_test(url_parsing),
    cmocka_unit_test(lifecycle),
    cmocka_unit_test_setup_teardown(sigterm_stops_server, cli_setup, cli_teardown),
    cmocka_unit_test_setup_teardown(killed_runner_stops_server, cli_setup, cli_teardown),
    cmocka_unit_test_setup_teardown(external_prefix_cleared, cli_setup, cli_teardown),
    cmocka_unit_test_setup_teardown(unreachable_is_usage_error, cli_setup, cli_teardown),
    cmocka_unit_test_setup_teardown(two_crawlers_share, cli_setup, cli_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
