/* test_cli.c: cmocka end-to-end tests of the concbench binary (path in $CB_BIN): usage, bad input, results files, interruption. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "cb.h"
#include "env.h"
#include "job.h"
#include "table.h"
#include "testutil.h"
#include "util.h"

/* CB_BIN, a fresh temporary directory and the last run; "@OUT" in arguments stands for dir/out. */
typedef tu_cli cli;

static int cli_setup(void **state) { return tu_cli_setup(state, "cli"); }

/* Whitespace-separated word w appears in s. */
static int has_word(const char *s, const char *w) {
  size_t wl = strlen(w);
  for (const char *p = s; (p = strstr(p, w)); p++) {
    int start = p == s || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n';
    char e = p[wl];
    if (start && (e == ' ' || e == '\t' || e == '\n' || e == '\0')) return 1;
  }
  return 0;
}

/* ---- usage ------------------------------------------------------------------------------ */

static void version(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  TU_RUN(c, "--version");
  tu_expect_exit(&c->cmd, 0);
  assert_non_null(strstr(c->cmd.so, "concbench"));
  /* The version and the revision it was built from, "concbench 0.1.0 (abc123)". */
  char want[128];
  snprintf(want, sizeof want, "concbench %s (%s)\n", CB_VERSION, cb_git_rev());
  assert_string_equal(c->cmd.so, want);
  /* Every spelling a user tries says the same. */
  static const char *const other[] = { "-V", "-v", "version" };
  for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
    TU_RUN(c, other[i]);
    tu_expect_exit(&c->cmd, 0);
    if (strcmp(c->cmd.so, want) != 0) fail_msg("concbench %s printed '%s', want '%s'", other[i], c->cmd.so, want);
  }
}

/* The top-level help's command descriptions start in one column. */
static void help_aligned(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  TU_RUN(c, "--help");
  tu_expect_exit(&c->cmd, 0);
  const char *p = strstr(c->cmd.so, "commands:\n");
  assert_non_null(p);
  p += strlen("commands:\n");
  int col = -1, n = 0;
  while (*p == ' ') {
    const char *nl = strchr(p, '\n');
    assert_non_null(nl);
    const char *q = p;
    while (*q == ' ') q++;
    while (q < nl && *q != ' ') q++;             /* the command */
    while (q < nl && *q == ' ') q++;             /* the gap */
    if (col < 0) col = (int)(q - p);
    if ((int)(q - p) != col) fail_msg("a description starts at column %d, not %d: %.*s", (int)(q - p), col, (int)(nl - p), p);
    n++;
    p = nl + 1;
  }
  assert_true(n >= 10);
  assert_non_null(strstr(c->cmd.so, "  version "));
}

static void help(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  TU_RUN(c, "--help");
  tu_expect_exit(&c->cmd, 0);
  assert_non_null(strstr(c->cmd.so, "usage"));
  assert_non_null(strstr(c->cmd.so, "run"));
  TU_RUN(c, "run", "--help");
  tu_expect_exit(&c->cmd, 0);
  assert_non_null(strstr(c->cmd.so, "usage"));
  assert_non_null(strstr(c->cmd.so, "-b"));
  TU_RUN(c, "list", "--help");
  tu_expect_exit(&c->cmd, 0);
  assert_non_null(strstr(c->cmd.so, "usage"));
}

static void list(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  TU_RUN(c, "list");
  tu_expect_exit(&c->cmd, 0);
  static const char *const names[] = { "sync", "threads", "fork", "uv", "sleep", "cpu" };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!has_word(c->cmd.so, names[i])) fail_msg("concbench list does not name %s:\n%s", names[i], c->cmd.so);
  /* Parameters are listed too. */
  assert_non_null(strstr(c->cmd.so, "delay_ms"));
  assert_non_null(strstr(c->cmd.so, "work"));
  /* As people write numbers: 67108864, not 6.71089e+07; no empty unit before a range. */
  for (const char *p = c->cmd.so; *p; p++)
    if ((*p == 'e' || *p == 'E') && p > c->cmd.so && p[-1] >= '0' && p[-1] <= '9' && (p[1] == '+' || p[1] == '-') &&
        p[2] >= '0' && p[2] <= '9')
      fail_msg("list prints an exponent: %.30s", p - 8 > c->cmd.so ? p - 8 : c->cmd.so);
  tu_expect_not_in(c->cmd.so, "(, ");
  tu_expect_in(c->cmd.so, "-p bytes=1024  (bytes, 0..67108864)");
  tu_expect_in(c->cmd.so, "-p seed=1  (0..4294967295)");
  tu_expect_in(c->cmd.so, "-p io_fraction=0.5  (0..1)");
}

/* -p is --param in run; serve gives its port only the long --port and says so when given -p. */
static void serve_port_option(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  TU_RUN(c, "serve", "-p", "0");
  tu_expect_usage_error(&c->cmd);
  tu_expect_in(c->cmd.se, "--port");
  TU_RUN(c, "serve", "--help");
  tu_expect_exit(&c->cmd, 0);
  tu_expect_not_in(c->cmd.so, "-p,");
  tu_expect_in(c->cmd.so, "--port P");
}

/* params wider than the table's column wrap at a ';' onto a line of their own, never within a
 * name=value. */
static void table_wrap(void **state) {
  (void)state;
  const char *s = "producers=2;consumers=5;items=20;maxsize=5;delay_ms=10";
  assert_int_equal(cb_table_wrap(s, 100), strlen(s));
  assert_int_equal(cb_table_wrap(s, 36), strlen("producers=2;consumers=5;items=20;"));
  assert_int_equal(cb_table_wrap(s, 12), strlen("producers=2;"));
  /* One name=value wider than the column is kept whole. */
  assert_int_equal(cb_table_wrap(s, 5), strlen("producers=2;"));
  assert_int_equal(cb_table_wrap("delay_ms=5", 4), strlen("delay_ms=5"));
  assert_int_equal(cb_table_wrap("", 4), 0);
}

static void table_keeps_params_whole(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  TU_RUN(c, "run", "-w", "queue", "-b", "sync", "-c", "7", "-r", "1", "--warmup", "0", "-p", "items=2",
         "-p", "delay_ms=0", "-o", "@OUT");
  tu_expect_exit(&c->cmd, 0);
  /* The params, 49 characters, come out as whole name=value pieces, in order. */
  const char *want[] = { "producers=2;", "consumers=5;", "items=2;", "maxsize=5;", "delay_ms=0" };
  const char *p = c->cmd.so;
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    const char *q = strstr(p, want[i]);
    if (!q) fail_msg("the table does not show '%s' whole:\n%s", want[i], c->cmd.so);
    if (q > c->cmd.so && q[-1] != ' ' && q[-1] != ';') fail_msg("'%s' follows '%c':\n%s", want[i], q[-1], c->cmd.so);
    p = q + strlen(want[i]);
  }
}

/* A run straight under a directory named results points results/latest at itself (a relative
 * link, replaced atomically); elsewhere nothing is linked, and a real results/latest is left. */
static void latest_link(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  char a[PATH_MAX], b[PATH_MAX], link[PATH_MAX], got[PATH_MAX], other[PATH_MAX];
  snprintf(a, sizeof a, "%s/results/a", c->dir);
  snprintf(b, sizeof b, "%s/results/b", c->dir);
  snprintf(link, sizeof link, "%s/results/latest", c->dir);
  snprintf(other, sizeof other, "%s/elsewhere/latest", c->dir);
  const char *dirs[] = { a, b };
  for (int i = 0; i < 2; i++) {
    TU_RUN(c, "run", "-w", "sleep", "-b", "sync", "-n", "2", "-c", "1", "-p", "delay_ms=1", "-r", "1", "--warmup", "0",
           "-q", "-o", dirs[i]);
    tu_expect_exit(&c->cmd, 0);
    ssize_t n = readlink(link, got, sizeof got - 1);
    if (n < 0) {
      fail_msg("no link %s after a run into %s: %s", link, dirs[i], strerror(errno));
      return;
    }
    got[n] = 0;
    assert_string_equal(got, i ? "b" : "a");
  }
  /* compare reads through it, as compare --help's example does. */
  TU_RUN(c, "compare", a, link);
  assert_true(c->cmd.status == 0 || c->cmd.status == 1);
  char odir[PATH_MAX];
  snprintf(odir, sizeof odir, "%s/elsewhere/c", c->dir);
  TU_RUN(c, "run", "-w", "sleep", "-b", "sync", "-n", "2", "-c", "1", "-p", "delay_ms=1", "-r", "1", "--warmup", "0",
         "-q", "-o", odir);
  tu_expect_exit(&c->cmd, 0);
  assert_false(tu_exists(other));
  /* No temporary link is left beside it. */
  snprintf(odir, sizeof odir, "%s/results", c->dir);
  assert_int_equal(tu_dir_entries(odir, NULL), 3);
  /* A directory of the user's own named latest is not replaced. */
  assert_int_equal(unlink(link), 0);
  assert_int_equal(mkdir(link, 0755), 0);
  TU_RUN(c, "run", "-w", "sleep", "-b", "sync", "-n", "2", "-c", "1", "-p", "delay_ms=1", "-r", "1", "--warmup", "0",
         "-q", "-o", a, "--replace");
  tu_expect_exit(&c->cmd, 0);
  struct stat st;
  assert_int_equal(lstat(link, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  tu_expect_in(c->cmd.se, "not a symbolic link");
}

/* A suite goes on without what the machine cannot give: fork at c=500 under a process limit of
 * 50 is skipped, its row says why, and the run still ends well (an ad-hoc run refuses it: below). */
static void suite_skips_beyond_limits(void **state) {
  cli *c = *state;
  char suite[128], path[256];
  tu_need_bin(c->bin);
  snprintf(suite, sizeof suite, "%s/s.ini", c->dir);
  tu_write_text(suite, "[suite]\nreps = 1\nwarmup = 0\n[group s]\nworkload = sleep\nbackends = fork\n"
                       "tasks = 500\nconcurrency = 500\nparam.delay_ms = 1\n");
  c->opts.nproc = 50;
  TU_RUN(c, "run", suite, "--no-report", "-o", "@OUT");
  c->opts.nproc = 0;
  tu_expect_exit(&c->cmd, 0);
  tu_expect_in(c->cmd.so, "skipped: -c 500 on fork needs 500 processes");
  tu_csv t;
  tu_csv_results(&t, c->out);
  assert_int_equal(t.nrows, 1);
  assert_string_equal(tu_csv_get(&t, 0, "flags"), "skip");
  assert_string_equal(tu_csv_get(&t, 0, "wall_median_s"), "");
  tu_csv_free(&t);
  snprintf(path, sizeof path, "%s/results.json", c->out);
  char *json = tu_read_file(path, NULL);
  tu_expect_in(json, "\"skipped\":\t\"-c 500 on fork needs 500 processes");
  tu_expect_in(json, "ulimit -u");
  free(json);
}

/* ---- bad input: exit 2, one line on stderr, no results directory ------------------------ */

/* why: a word the message must contain when the reason matters (which limit), or NULL. */
static void check_rejected(cli *c, const char *const *args, long nproc, const char *why) {
  c->opts.nproc = nproc;
  tu_cli_run(c, args);
  c->opts.nproc = 0;
  tu_expect_exit(&c->cmd, 2);
  tu_expect_one_error_line(&c->cmd);
  if (why && !strstr(c->cmd.se, why)) fail_msg("the message does not mention %s: %s", why, c->cmd.se);
  if (tu_exists(c->out)) fail_msg("the -o directory %s was created for a rejected run", c->out);
}

/* Each is a small valid run with one thing wrong: were the error missed, it would run and
 * create the -o directory. nproc > 0: RLIMIT_NPROC set so low that the workers cannot fit. */
#define BAD_CASE(fn, nproc, ...)                                \
  static void fn(void **state) {                                \
    cli *c = *state;                                            \
    tu_need_bin(c->bin);                                        \
    const char *const a_[] = { __VA_ARGS__, NULL };             \
    check_rejected(c, a_, (nproc), (nproc) ? "ulimit -u" : NULL); \
  }
#define OK_TAIL "-r", "1", "-q", "-o", "@OUT"

BAD_CASE(bad_backend, 0, "run", "-b", "nosuch", "-w", "sleep", "-n", "2", "-p", "delay_ms=1", OK_TAIL)
BAD_CASE(bad_workload, 0, "run", "-b", "sync", "-w", "nosuch", "-n", "2", OK_TAIL)
BAD_CASE(bad_conc_zero, 0, "run", "-b", "sync", "-w", "sleep", "-n", "2", "-c", "0", "-p", "delay_ms=1", OK_TAIL)
BAD_CASE(bad_tasks_abc, 0, "run", "-b", "sync", "-w", "sleep", "-n", "abc", "-p", "delay_ms=1", OK_TAIL)
BAD_CASE(bad_tasks_zero, 0, "run", "-b", "sync", "-w", "sleep", "-n", "0", "-p", "delay_ms=1", OK_TAIL)
BAD_CASE(bad_param_unknown, 0, "run", "-b", "sync", "-w", "sleep", "-n", "2", "-p", "delay_ms=1", "-p", "nosuch=1", OK_TAIL)
BAD_CASE(bad_param_negative, 0, "run", "-b", "sync", "-w", "sleep", "-n", "2", "-p", "delay_ms=-5", OK_TAIL)
BAD_CASE(bad_param_fraction, 0, "run", "-b", "sync", "-w", "sleep", "-n", "2", "-p", "delay_ms=1.5", OK_TAIL)
BAD_CASE(bad_param_no_value, 0, "run", "-b", "sync", "-w", "sleep", "-n", "2", "-p", "delay_ms", OK_TAIL)
BAD_CASE(bad_reps_zero, 0, "run", "-b", "sync", "-w", "sleep", "-n", "2", "-p", "delay_ms=1", "-q", "-o", "@OUT", "-r", "0")
BAD_CASE(bad_option, 0, "run", "-b", "sync", "-w", "sleep", "-n", "2", "-p", "delay_ms=1", "--frobnicate", OK_TAIL)
BAD_CASE(bad_command, 0, "frobnicate", "-b", "sync", "-w", "sleep", "-n", "2", OK_TAIL)
BAD_CASE(bad_fork_beyond_nproc, 50, "run", "-b", "fork", "-w", "sleep", "-p", "delay_ms=1", "-c", "500", "-n", "500", OK_TAIL)
BAD_CASE(bad_loops_zero, 0, "run", "-b", "uv-mt", "-w", "sleep", "-n", "2", "-p", "delay_ms=1", "--loops", "0", OK_TAIL)
BAD_CASE(bad_threads_beyond_nproc, 50, "run", "-b", "threads", "-w", "sleep", "-p", "delay_ms=1", "-c", "500", "-n", "500", OK_TAIL)

/* uv-mt's loops are threads, with libuv's pool beside them: 100 loops need 99 threads beside the
 * caller's and the pool's 4, 2 loops 1 and 4 (the check's figure is exact; the limit of 1 makes
 * it refuse, whatever else runs). */
static void bad_uv_mt_loops_beyond_nproc(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  const char *const many[] = { "run", "-b", "uv-mt", "-w", "sleep", "-p", "delay_ms=1", "-c", "500", "-n", "500",
                               "--loops", "100", OK_TAIL, NULL };
  check_rejected(c, many, 1, "-c 500 on uv-mt needs 103 threads");
  check_rejected(c, many, 1, "lower -c or --loops or --uv-threadpool");
  const char *const two[] = { "run", "-b", "uv-mt", "-w", "sleep", "-p", "delay_ms=1", "-c", "500", "-n", "500",
                              "--loops", "2", "--uv-threadpool", "8", OK_TAIL, NULL };
  check_rejected(c, two, 1, "-c 500 on uv-mt needs 9 threads");
}

/* list follows the same convention. */
static void bad_list_option(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  TU_RUN(c, "list", "--frobnicate");
  tu_expect_exit(&c->cmd, 2);
  tu_expect_one_error_line(&c->cmd);
}

/* uv's coroutine stacks take two maps each: ask for more than vm.max_map_count allows. */
static void bad_uv_beyond_max_map_count(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  long long maps = -1;
  FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
  if (f) {
    if (fscanf(f, "%lld", &maps) != 1) maps = -1;
    fclose(f);
  }
  if (maps <= 0 || maps + 1000 > 1000000) {
    print_message("vm.max_map_count %lld: cannot ask for more within -c's range; skipping\n", maps);
    skip();
  }
  char n[32];
  snprintf(n, sizeof n, "%lld", maps + 1000);
  const char *const args[] = { "run", "-b", "uv", "-w", "sleep", "-p", "delay_ms=1", "-c", n, "-n", n,
                               "-r", "1", "-q", "-o", "@OUT", NULL };
  check_rejected(c, args, 0, "max_map_count");
}

/* ---- a good run and its results --------------------------------------------------------- */

/* What the checksum of a case must be, from the runtime contract: the sum over tasks of their
 * contributions, computed here without running any backend. */
static uint64_t expected_checksum(const char *wl, uint64_t tasks, uint64_t delay_ms, uint64_t work) {
  uint64_t sum = 0;
  for (uint64_t i = 0; i < tasks; i++) {
    sum += strcmp(wl, "sleep") == 0 ? cb_mix64(i << 32 ^ delay_ms) : cb_hash_chain(i, work);
  }
  return sum;
}

static const char *const good_backends[] = { "sync", "threads", "fork", "uv" };
static const char *const good_workloads[] = { "sleep", "cpu" };

static void good_run(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  TU_RUN(c, "run", "-b", "sync,threads,fork,uv", "-w", "sleep,cpu", "-n", "5", "-c", "2", "-p", "delay_ms=1",
      "-p", "work=10", "-r", "2", "-q", "-o", "@OUT");
  tu_expect_exit(&c->cmd, 0);
  assert_true(tu_exists(c->out));

  tu_csv t;
  tu_csv_results(&t, c->out);
  assert_int_equal(t.nrows, 8);

  int seen[2][4] = { { 0 } };
  const char *sums[2] = { NULL, NULL };
  for (int r = 0; r < t.nrows; r++) {
    const char *wl = tu_csv_get(&t, r, "workload"), *be = tu_csv_get(&t, r, "backend"), *sum = tu_csv_get(&t, r, "checksum");
    int w = -1, b = -1;
    for (int i = 0; i < 2; i++) if (strcmp(wl, good_workloads[i]) == 0) w = i;
    for (int i = 0; i < 4; i++) if (strcmp(be, good_backends[i]) == 0) b = i;
    if (w < 0 || b < 0) fail_msg("row %d: unexpected %s on %s", r + 1, wl, be);
    seen[w][b]++;
    assert_string_equal(tu_csv_get(&t, r, "tasks"), "5");
    assert_string_equal(tu_csv_get(&t, r, "concurrency"), "2");
    assert_string_equal(tu_csv_get(&t, r, "reps"), "2");
    assert_string_equal(tu_csv_get(&t, r, "errors"), "0");
    assert_non_null(strstr(tu_csv_get(&t, r, "params"), w == 0 ? "delay_ms=1" : "work=10"));
    double med = tu_csv_num(&t, r, "wall_median_s"), mn = tu_csv_num(&t, r, "wall_min_s"), mx = tu_csv_num(&t, r, "wall_max_s");
    if (!(mn > 0 && mn <= med && med <= mx)) fail_msg("row %d: min %g, median %g, max %g", r + 1, mn, med, mx);
    static const char *const nonneg[] = { "cpu_user_s", "cpu_sys_s", "peak_rss_kib", "ctx_voluntary", "ctx_involuntary",
                                          "p50_ms", "p99_ms", "efficiency" };
    for (size_t k = 0; k < sizeof nonneg / sizeof nonneg[0]; k++) assert_true(tu_csv_num(&t, r, nonneg[k]) >= 0);
    assert_true(tu_csv_num(&t, r, "peak_rss_kib") > 0);
    assert_true(tu_csv_num(&t, r, "p50_ms") <= tu_csv_num(&t, r, "p99_ms"));
    double ideal = tu_csv_num(&t, r, "ideal_s");
    assert_true(ideal > 0);
    /* Waiting cannot beat its lower bound (the CSV keeps 6 decimals). */
    if (w == 0 && med < ideal - 1e-6) fail_msg("sleep on %s: median %g below the ideal %g", be, med, ideal);
    if (!sums[w]) sums[w] = sum;
    else if (strcmp(sums[w], sum) != 0)
      fail_msg("%s: checksum %s on %s, but %s on another backend", good_workloads[w], sum, be, sums[w]);
  }
  for (int w = 0; w < 2; w++)
    for (int b = 0; b < 4; b++)
      if (seen[w][b] != 1) fail_msg("%s on %s: %d rows", good_workloads[w], good_backends[b], seen[w][b]);
  /* And the checksum is the one the tasks' contributions add up to. */
  for (int w = 0; w < 2; w++) {
    char want[17];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)expected_checksum(good_workloads[w], 5, 1, 10));
    if (strcmp(sums[w], want) != 0) fail_msg("%s: checksum %s, expected %s", good_workloads[w], sums[w], want);
  }

  /* results.json: the environment, and every case with its two repetitions. */
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/results.json", c->out);
  cJSON *root = tu_load_json(path);
  assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "environment")));
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "status");
  if (cJSON_IsString(st)) assert_string_equal(st->valuestring, "complete");
  const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
  assert_true(cJSON_IsArray(cases));
  assert_int_equal(cJSON_GetArraySize(cases), 8);
  const cJSON *cs;
  cJSON_ArrayForEach(cs, cases) {
    const cJSON *reps = cJSON_GetObjectItemCaseSensitive(cs, "repetitions");
    assert_true(cJSON_IsArray(reps));
    assert_int_equal(cJSON_GetArraySize(reps), 2);
    const cJSON *wl = cJSON_GetObjectItemCaseSensitive(cs, "workload");
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(cs, "checksum");
    if (cJSON_IsString(wl) && cJSON_IsString(sum))
      for (int w = 0; w < 2; w++)
        if (strcmp(wl->valuestring, good_workloads[w]) == 0) assert_string_equal(sum->valuestring, sums[w]);
  }
  cJSON_Delete(root);
  tu_csv_free(&t);

  /* No temporary files left over. */
  DIR *d = opendir(c->out);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      char name[256];
      snprintf(name, sizeof name, "%s", e->d_name);
      closedir(d);
      fail_msg("stray file %s left in %s", name, c->out);
    }
  closedir(d);
}

/* ---- interruption ----------------------------------------------------------------------- */

/* SIGINT during a run: exit 130 within 2 s, and no worker or measurement process outlives it.
 * We are a child subreaper, so anything orphaned lands on us where it can be seen. */
static void interrupted(void **state, const char *const *args) {
  cli *c = *state;
  tu_need_bin(c->bin);
  assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
  tu_cli_spawn(c, args);
  pid_t pid = c->cmd.pid;
  tu_sleep_ms(500);
  int64_t t0 = tu_now_ms();
  assert_int_equal(kill(pid, SIGINT), 0);
  tu_wait(&c->cmd, 2000);
  int64_t took = tu_now_ms() - t0;
  print_message("exited %d, %lld ms after SIGINT\n", c->cmd.status, (long long)took);

  /* Orphans either belong to the dead concbench still or have been reparented to us; give
   * the kernel a moment to finish off the ones that die with their parent. */
  char left[1024];
  int n = tu_left_behind(pid, 300, left, sizeof left);
  prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
  if (n > 0) fail_msg("%d process(es) outlived the interrupted concbench:%s", n, left);
  tu_expect_exit(&c->cmd, 130);
  if (took > 2000) fail_msg("took %lld ms to exit after SIGINT", (long long)took);
}

static void interrupted_sync(void **state) {
  const char *const args[] = { "run", "-b", "sync", "-w", "sleep", "-n", "50", "-c", "1", "-p", "delay_ms=100",
                               "-r", "1", "-o", "@OUT", NULL };
  interrupted(state, args);
}

/* The same with worker processes under the measurement process (5 s of work left: were any
 * orphaned, they would still be running when we look). */
static void interrupted_fork(void **state) {
  const char *const args[] = { "run", "-b", "fork", "-w", "sleep", "-n", "200", "-c", "4", "-p", "delay_ms=100",
                               "-r", "1", "-q", "-o", "@OUT", NULL };
  interrupted(state, args);
}

#define T(f) cmocka_unit_test_setup_teardown(f, cli_setup, tu_cli_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(version),
    T(help),
    T(help_aligned),
    T(list),
    T(serve_port_option),
    cmocka_unit_test(table_wrap),
    T(table_keeps_params_whole),
    T(latest_link),
    T(bad_backend),
    T(bad_workload),
    T(bad_conc_zero),
    T(bad_tasks_abc),
    T(bad_tasks_zero),
    T(bad_param_unknown),
    T(bad_param_negative),
    T(bad_param_fraction),
    T(bad_param_no_value),
    T(bad_reps_zero),
    T(bad_option),
    T(bad_command),
    T(bad_fork_beyond_nproc),
    T(suite_skips_beyond_limits),
    T(bad_threads_beyond_nproc),
    T(bad_uv_mt_loops_beyond_nproc),
    T(bad_loops_zero),
    T(bad_uv_beyond_max_map_count),
    T(bad_list_option),
    T(good_run),
    T(interrupted_sync),
    T(interrupted_fork),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
