/* test_primitives.c: cmocka end-to-end tests of `concbench primitives` (binary in $CB_BIN): results files, orderings, bad usage, limits, no process left behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "util.h"

#define RUN_TIMEOUT_MS 240000   /* --quick takes seconds; sanitizer builds are slower */
#define MAX_ARGS 16
#define MAX_ROWS 64

/* ---- running the binary ----------------------------------------------------------------- */

typedef struct row {
  char primitive[32], model[32], unit[16], reference[64];
  double value, min;
  long trials;
} row;

typedef struct cli {
  const char *bin;
  char dir[64];            /* a fresh temporary directory */
  char out[80];            /* dir/out: what -o names; not created by the test */
  pid_t pid;
  int status;              /* exit code, 128+signal, or -1 on a timeout */
  char *so, *se;           /* its stdout and stderr */
  int orphans;             /* processes it left behind (we are their subreaper) */
  char orphan_comm[64];
  /* the quick run's results */
  row rows[MAX_ROWS];
  int nrows;
  char *csv_text;
  cJSON *json;
} cli;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb; (void)flag; (void)ftw;
  return remove(p) == 0 || errno == ENOENT ? 0 : -1;
}

static int path_exists(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0;
}

static cli *cli_new(void) {
  const char *bin = getenv("CB_BIN");
  cli *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->bin = bin && *bin ? bin : NULL;
  snprintf(c->dir, sizeof c->dir, "/tmp/cb-test-prim-XXXXXX");
  if (!mkdtemp(c->dir)) {
    free(c);
    return NULL;
  }
  snprintf(c->out, sizeof c->out, "%s/out", c->dir);
  return c;
}

static int cli_free(cli *c) {
  if (!c) return 0;
  int rc = nftw(c->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  free(c->so);
  free(c->se);
  free(c->csv_text);
  cJSON_Delete(c->json);
  free(c);
  return rc == 0 ? 0 : -1;
}

static void need_bin(const cli *c) {
  if (!c->bin) {
    print_message("CB_BIN is not set (ctest sets it to the concbench binary); skipping\n");
    skip();
  }
  if (access(c->bin, X_OK) != 0) fail_msg("CB_BIN=%s is not executable: %s", c->bin, strerror(errno));
}

/* Live (not zombie) processes whose parent is ppid; the first one's command in comm. */
static int live_children_of(pid_t ppid, char *comm, size_t len) {
  DIR *d = opendir("/proc");
  int n = 0;
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    char p[64], buf[1024];
    snprintf(p, sizeof p, "/proc/%.20s/stat", e->d_name);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r <= 0) continue;
    buf[r] = '\0';
    char *rp = strrchr(buf, ')');   /* the command name may hold spaces and parentheses */
    char st;
    int pp;
    if (!rp || sscanf(rp + 1, " %c %d", &st, &pp) != 2) continue;
    if (pp == (int)ppid && st != 'Z' && st != 'X') {
      if (!n && comm) {
        char *lp = strchr(buf, '(');
        snprintf(comm, len, "%.*s", lp ? (int)(rp - lp - 1) : 1, lp ? lp + 1 : "?");
      }
      n++;
    }
  }
  closedir(d);
  return n;
}

static void reap_zombies(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
}

/* Run CB_BIN with args (NULL-terminated, argv[0] excluded; "@OUT" stands for c->out), stdout
 * and stderr into files, as a child subreaper so that anything it leaves behind lands on us
 * and is counted in c->orphans (then killed). nproc > 0 lowers RLIMIT_NPROC in the child. */
static int cli_run(cli *c, const char *const *args, long nproc) {
  const char *argv[MAX_ARGS + 2];
  char so[PATH_MAX + 16], se[PATH_MAX + 16];
  int n = 0;
  argv[n++] = c->bin;
  for (; args[n - 1]; n++) {
    if (n > MAX_ARGS) return -1;
    argv[n] = strcmp(args[n - 1], "@OUT") == 0 ? c->out : args[n - 1];
  }
  argv[n] = NULL;
  snprintf(so, sizeof so, "%s/.stdout", c->dir);
  snprintf(se, sizeof se, "%s/.stderr", c->dir);
  int fo = open(so, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int fe = open(se, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int fi = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fo < 0 || fe < 0 || fi < 0) return -1;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (dup2(fi, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0) _exit(126);
    signal(SIGPIPE, SIG_DFL);
    if (nproc > 0) {
      struct rlimit rl = { (rlim_t)nproc, (rlim_t)nproc };
      if (setrlimit(RLIMIT_NPROC, &rl) != 0) _exit(125);
    }
    execv(c->bin, (char *const *)argv);
    _exit(127);
  }
  close(fo);
  close(fe);
  close(fi);
  c->pid = pid;

  int64_t end = now_ms() + RUN_TIMEOUT_MS;
  int st = 0;
  pid_t r;
  c->status = -1;
  while ((r = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() < end) sleep_ms(5);
  if (r == 0) {
    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  } else if (r == pid) {
    c->status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -2;
  }
  /* Its children either died with it or were reparented to us; give the kernel a moment. */
  c->orphans = 0;
  for (int i = 0; i < 30; i++) {
    reap_zombies();
    c->orphans = live_children_of(getpid(), c->orphan_comm, sizeof c->orphan_comm);
    if (c->orphans <= 0) break;
    sleep_ms(10);
  }
  if (c->orphans > 0) {
    /* Do not leave them running past the test. */
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      char p[64], buf[512];
      snprintf(p, sizeof p, "/proc/%.20s/stat", e->d_name);
      FILE *f = fopen(p, "r");
      if (!f) continue;
      if (fgets(buf, sizeof buf, f)) {
        char *rp = strrchr(buf, ')');
        char s;
        int pp;
        if (rp && sscanf(rp + 1, " %c %d", &s, &pp) == 2 && pp == (int)getpid()) kill(atoi(e->d_name), SIGKILL);
      }
      fclose(f);
    }
    if (d) closedir(d);
    sleep_ms(50);
    reap_zombies();
  }
  prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);

  free(c->so);
  free(c->se);
  c->so = cb_read_file(so, NULL);
  c->se = cb_read_file(se, NULL);
  unlink(so);
  unlink(se);
  if (!c->so || !c->se) return -1;
  return r == 0 ? -2 : 0;
}

#define RUN(c, nproc, ...) do {                                                   \
    const char *const a_[] = { __VA_ARGS__, NULL };                               \
    int r_ = cli_run((c), a_, (nproc));                                           \
    if (r_ == -2) fail_msg("%s did not finish within %d ms; killed", (c)->bin, RUN_TIMEOUT_MS); \
    assert_int_equal(r_, 0);                                                      \
  } while (0)

static void expect_exit(const cli *c, int want) {
  if (c->status != want)
    fail_msg("exit status %d, want %d\nstdout: %s\nstderr: %s", c->status, want, c->so, c->se);
}

/* The error convention: exactly one non-empty line, "concbench: ...", on stderr. */
static void expect_one_error_line(const cli *c) {
  size_t n = strlen(c->se);
  const char *nl = strchr(c->se, '\n');
  if (n < 2 || !nl || nl != c->se + n - 1)
    fail_msg("want exactly one non-empty line on stderr, got %zu bytes:\n%s", n, c->se);
  if (strncmp(c->se, "concbench: ", 11) != 0 || n <= 12)
    fail_msg("stderr line does not follow \"concbench: <message>\": %s", c->se);
}

static void expect_no_orphans(const cli *c) {
  if (c->orphans > 0)
    fail_msg("%d process(es) outlived concbench primitives, e.g. %s", c->orphans, c->orphan_comm);
}

/* ---- results.csv ------------------------------------------------------------------------ */

/* Split one CSV line (RFC 4180 quoting) into at most max fields, in place. */
static int csv_split(char *line, char **f, int max) {
  int n = 0;
  char *p = line;
  for (;;) {
    if (n == max) return -1;
    if (*p == '"') {
      char *w = ++p;
      f[n++] = w;
      for (;;) {
        if (!*p) return -1;
        if (*p == '"' && p[1] == '"') { *w++ = '"'; p += 2; continue; }
        if (*p == '"') { p++; break; }
        *w++ = *p++;
      }
      *w = '\0';
      if (*p == ',') { p++; continue; }
      if (!*p) return n;
      return -1;
    }
    f[n++] = p;
    char *comma = strchr(p, ',');
    if (!comma) return n;
    *comma = '\0';
    p = comma + 1;
  }
}

static const char csv_header[] = "primitive,model,value,min,unit,trials,reference,reference_source";

static void load_csv(cli *c) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/results.csv", c->out);
  c->csv_text = cb_read_file(path, NULL);
  if (!c->csv_text) fail_msg("cannot read %s: %s", path, strerror(errno));
  char *copy = strdup(c->csv_text), *save = NULL;
  assert_non_null(copy);
  char *line = strtok_r(copy, "\n", &save);
  assert_non_null(line);
  assert_string_equal(line, csv_header);
  c->nrows = 0;
  while ((line = strtok_r(NULL, "\n", &save))) {
    char *f[10];
    int n = csv_split(line, f, 10);
    if (n != 8) fail_msg("results.csv row with %d fields, want 8: %s", n, line);
    if (c->nrows == MAX_ROWS) fail_msg("more than %d rows in results.csv", MAX_ROWS);
    row *r = &c->rows[c->nrows++];
    char *end;
    snprintf(r->primitive, sizeof r->primitive, "%s", f[0]);
    snprintf(r->model, sizeof r->model, "%s", f[1]);
    r->value = strtod(f[2], &end);
    if (end == f[2] || *end) fail_msg("value '%s' is not a number (%s %s)", f[2], f[0], f[1]);
    r->min = strtod(f[3], &end);
    if (end == f[3] || *end) fail_msg("min '%s' is not a number (%s %s)", f[3], f[0], f[1]);
    snprintf(r->unit, sizeof r->unit, "%s", f[4]);
    r->trials = strtol(f[5], &end, 10);
    if (end == f[5] || *end) fail_msg("trials '%s' is not a whole number (%s %s)", f[5], f[0], f[1]);
    snprintf(r->reference, sizeof r->reference, "%s", f[6]);
    if (*f[6] && !*f[7]) fail_msg("%s %s cites a reference (%s) without its source", f[0], f[1], f[6]);
  }
  free(copy);
}

static const row *find_row(const cli *c, const char *primitive, const char *model) {
  const row *hit = NULL;
  for (int i = 0; i < c->nrows; i++)
    if (strcmp(c->rows[i].primitive, primitive) == 0 && strcmp(c->rows[i].model, model) == 0) {
      if (hit) fail_msg("two rows for %s %s in results.csv", primitive, model);
      hit = &c->rows[i];
    }
  if (!hit) fail_msg("no row for %s %s in results.csv:\n%s", primitive, model, c->csv_text);
  return hit;
}

/* Microseconds, whatever time unit the row uses. */
static double as_us(const row *r) {
  if (strcmp(r->unit, "us") == 0) return r->value;
  if (strcmp(r->unit, "ns") == 0) return r->value / 1000;
  if (strcmp(r->unit, "ms") == 0) return r->value * 1000;
  if (strcmp(r->unit, "s") == 0) return r->value * 1e6;
  fail_msg("%s %s: unit '%s' is not a time", r->primitive, r->model, r->unit);
  return NAN;
}

/* ---- the quick run, shared by the tests of its output ----------------------------------- */

static int quick_setup(void **state) {
  cli *c = cli_new();
  if (!c) return -1;
  *state = c;
  if (!c->bin) return 0;   /* each test skips */
  const char *const args[] = { "primitives", "--quick", "-o", "@OUT", NULL };
  int64_t t0 = now_ms();
  int rc = cli_run(c, args, 0);
  print_message("concbench primitives --quick: exit %d in %lld ms\n", c->status, (long long)(now_ms() - t0));
  /* The table, a line at a time (print_message truncates long strings). */
  for (const char *l = rc == 0 && c->so ? c->so : ""; *l;) {
    const char *nl = strchr(l, '\n');
    int n = nl ? (int)(nl - l) : (int)strlen(l);
    print_message("%.*s\n", n, l);
    l += n + (nl != NULL);
  }
  return rc == -1 ? -1 : 0;
}

static int quick_teardown(void **state) {
  return cli_free(*state);
}

static void quick_exit_and_table(void **state) {
  cli *c = *state;
  need_bin(c);
  expect_exit(c, 0);
  if (*c->se) fail_msg("a good run printed on stderr:\n%s", c->se);
  const char *words[] = { "create_join", "switch", "idle_memory", "coroutine", "thread", "process", "reference",
                          "results:" };
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (!strstr(c->so, words[i])) fail_msg("the table does not mention '%s':\n%s", words[i], c->so);
}

static void quick_no_process_left(void **state) {
  cli *c = *state;
  need_bin(c);
  expect_no_orphans(c);
}

static const char *const primitives[] = { "create_join", "switch", "idle_memory" };
static const char *const models[] = { "coroutine", "thread", "process" };

static void quick_csv(void **state) {
  cli *c = *state;
  need_bin(c);
  expect_exit(c, 0);
  load_csv(c);
  for (size_t p = 0; p < 3; p++)
    for (size_t m = 0; m < 3; m++) find_row(c, primitives[p], models[m]);
  for (int i = 0; i < c->nrows; i++) {
    const row *r = &c->rows[i];
    if (!isfinite(r->value) || r->value <= 0 || !isfinite(r->min) || r->min <= 0)
      fail_msg("%s %s: value %g, min %g; want positive finite figures", r->primitive, r->model, r->value, r->min);
    if (r->min > r->value) fail_msg("%s %s: min %g above the median %g", r->primitive, r->model, r->min, r->value);
    if (r->trials < 1) fail_msg("%s %s: %ld trials", r->primitive, r->model, r->trials);
    if (!*r->unit) fail_msg("%s %s: no unit", r->primitive, r->model);
  }
  /* Memory is per unit in KiB; every time figure is a time. */
  for (size_t m = 0; m < 3; m++) {
    assert_string_equal(find_row(c, "idle_memory", models[m])->unit, "KiB");
    as_us(find_row(c, "create_join", models[m]));
    as_us(find_row(c, "switch", models[m]));
  }
}

static void quick_json(void **state) {
  cli *c = *state;
  need_bin(c);
  expect_exit(c, 0);
  if (!c->nrows) load_csv(c);
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/results.json", c->out);
  char *text = cb_read_file(path, NULL);
  if (!text) fail_msg("cannot read %s: %s", path, strerror(errno));
  cJSON *j = cJSON_Parse(text);
  free(text);
  if (!j) fail_msg("results.json does not parse");
  cJSON_Delete(c->json);
  c->json = j;
  assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "concbench")));
  cJSON *cmd = cJSON_GetObjectItem(j, "command");
  assert_true(cJSON_IsArray(cmd));
  assert_string_equal(cJSON_GetArrayItem(cmd, 0)->valuestring, "primitives");
  cJSON *env = cJSON_GetObjectItem(j, "environment");
  assert_true(cJSON_IsObject(env));
  assert_true(cJSON_IsString(cJSON_GetObjectItem(env, "sanitizers")));
  assert_true(cJSON_IsNumber(cJSON_GetObjectItem(env, "cores")));
  cJSON *prims = cJSON_GetObjectItem(j, "primitives");
  assert_true(cJSON_IsArray(prims));
  assert_int_equal(cJSON_GetArraySize(prims), c->nrows);
  int i = 0;
  cJSON *p;
  cJSON_ArrayForEach(p, prims) {
    const row *r = &c->rows[i++];
    const char *keys[] = { "primitive", "model", "unit" };
    for (int k = 0; k < 3; k++) assert_true(cJSON_IsString(cJSON_GetObjectItem(p, keys[k])));
    assert_string_equal(cJSON_GetObjectItem(p, "primitive")->valuestring, r->primitive);
    assert_string_equal(cJSON_GetObjectItem(p, "model")->valuestring, r->model);
    cJSON *v = cJSON_GetObjectItem(p, "value"), *mn = cJSON_GetObjectItem(p, "min");
    cJSON *tr = cJSON_GetObjectItem(p, "trials"), *s = cJSON_GetObjectItem(p, "samples");
    assert_true(cJSON_IsNumber(v) && cJSON_IsNumber(mn) && cJSON_IsNumber(tr) && cJSON_IsArray(s));
    assert_int_equal(cJSON_GetArraySize(s), (int)tr->valuedouble);
    assert_int_equal((long)tr->valuedouble, r->trials);
    double lo = INFINITY, hi = -INFINITY;
    cJSON *x;
    cJSON_ArrayForEach(x, s) {
      assert_true(cJSON_IsNumber(x));
      if (!isfinite(x->valuedouble) || x->valuedouble <= 0)
        fail_msg("%s %s: sample %g; want positive finite", r->primitive, r->model, x->valuedouble);
      if (x->valuedouble < lo) lo = x->valuedouble;
      if (x->valuedouble > hi) hi = x->valuedouble;
    }
    /* min is the smallest sample, the median lies between the extremes. */
    assert_true(fabs(mn->valuedouble - lo) <= 1e-9 * fabs(lo));
    assert_true(v->valuedouble >= lo * (1 - 1e-9) && v->valuedouble <= hi * (1 + 1e-9));
    cJSON *ref = cJSON_GetObjectItem(p, "reference"), *src = cJSON_GetObjectItem(p, "reference_source");
    assert_true(cJSON_IsString(ref) || cJSON_IsNull(ref));
    assert_true(cJSON_IsString(src) || cJSON_IsNull(src));
    if (cJSON_IsString(ref)) assert_true(cJSON_IsString(src) && *src->valuestring);
  }
}

/* ThreadSanitizer makes every thread, fiber and fork cost milliseconds of its own bookkeeping
 * (measured here: coroutine create+join 1 ms, thread 4 ms, process 4-8 ms; a coroutine switch
 * 0.9 us against 2.3 us for threads), so the orderings are not asked of its builds. Under
 * AddressSanitizer they still hold by 10x or more and are checked. */
static int thread_sanitized(const cli *c) {
  cJSON *env = c->json ? cJSON_GetObjectItem(c->json, "environment") : NULL;
  cJSON *san = env ? cJSON_GetObjectItem(env, "sanitizers") : NULL;
  return cJSON_IsString(san) && strstr(san->valuestring, "thread") != NULL;
}

/* What holds on any machine, by orders of magnitude. */
static void quick_orderings(void **state) {
  cli *c = *state;
  need_bin(c);
  expect_exit(c, 0);
  if (!c->nrows) load_csv(c);
  if (!c->json) quick_json(state);
  double cc = as_us(find_row(c, "create_join", "coroutine"));
  double ct = as_us(find_row(c, "create_join", "thread"));
  double cp = as_us(find_row(c, "create_join", "process"));
  double sc = as_us(find_row(c, "switch", "coroutine"));
  double st = as_us(find_row(c, "switch", "thread"));
  print_message("create_join us: coroutine %g, thread %g, process %g; switch us: coroutine %g, thread %g\n",
                cc, ct, cp, sc, st);
  if (thread_sanitized(c)) {
    print_message("ThreadSanitizer build: orderings not checked\n");
    skip();
  }
  if (!(cc < ct)) fail_msg("coroutine create+join (%g us) is not cheaper than a thread's (%g us)", cc, ct);
  if (!(ct < cp)) fail_msg("thread create+join (%g us) is not cheaper than a process's (%g us)", ct, cp);
  if (!(sc < st)) fail_msg("a coroutine switch (%g us) is not cheaper than a thread switch (%g us)", sc, st);
}

/* ---- usage and refusals ----------------------------------------------------------------- */

static int one_setup(void **state) {
  cli *c = cli_new();
  *state = c;
  return c ? 0 : -1;
}

static int one_teardown(void **state) {
  return cli_free(*state);
}

static void help(void **state) {
  cli *c = *state;
  need_bin(c);
  RUN(c, 0, "primitives", "--help");
  expect_exit(c, 0);
  if (!strstr(c->so, "usage: concbench primitives")) fail_msg("no usage line:\n%s", c->so);
  RUN(c, 0, "--help");
  expect_exit(c, 0);
  if (!strstr(c->so, "primitives")) fail_msg("concbench --help does not list primitives:\n%s", c->so);
}

static void rejected(cli *c, int want, const char *why) {
  expect_exit(c, want);
  expect_one_error_line(c);
  if (why && !strstr(c->se, why)) fail_msg("the message does not mention %s: %s", why, c->se);
  if (*c->so) fail_msg("a rejected run printed on stdout:\n%s", c->so);
  if (path_exists(c->out)) fail_msg("the -o directory %s was created for a rejected run", c->out);
  expect_no_orphans(c);
}

static void bad_option(void **state) {
  cli *c = *state;
  need_bin(c);
  RUN(c, 0, "primitives", "--frobnicate", "-o", "@OUT");
  rejected(c, 2, "--frobnicate");
  RUN(c, 0, "primitives", "-x", "-o", "@OUT");
  rejected(c, 2, "-x");
}

static void bad_extra_argument(void **state) {
  cli *c = *state;
  need_bin(c);
  RUN(c, 0, "primitives", "--quick", "-o", "@OUT", "extra");
  rejected(c, 2, "extra");
}

static void bad_missing_value(void **state) {
  cli *c = *state;
  need_bin(c);
  RUN(c, 0, "primitives", "--quick", "-o");
  rejected(c, 2, "-o");
}

static void bad_output_not_a_directory(void **state) {
  cli *c = *state;
  need_bin(c);
  char file[PATH_MAX], out[PATH_MAX + 8];
  snprintf(file, sizeof file, "%s/file", c->dir);
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fclose(f);
  snprintf(out, sizeof out, "%s/sub", file);
  RUN(c, 0, "primitives", "--quick", "-o", out);
  rejected(c, 2, "not a directory");
}

/* Too few processes allowed for 1000 idle threads and processes: one line naming the limit,
 * exit 1, nothing written. */
static void beyond_nproc(void **state) {
  cli *c = *state;
  need_bin(c);
  RUN(c, 50, "primitives", "--quick", "-o", "@OUT");
  rejected(c, 1, "ulimit -u");
}

int main(void) {
  const struct CMUnitTest quick[] = {
    cmocka_unit_test(quick_exit_and_table),
    cmocka_unit_test(quick_no_process_left),
    cmocka_unit_test(quick_csv),
    cmocka_unit_test(quick_json),
    cmocka_unit_test(quick_orderings),
  };
#define T(f) cmocka_unit_test_setup_teardown(f, one_setup, one_teardown)
  const struct CMUnitTest usage[] = {
    T(help),
    T(bad_option),
    T(bad_extra_argument),
    T(bad_missing_value),
    T(bad_output_not_a_directory),
    T(beyond_nproc),
  };
  int failed = cmocka_run_group_tests_name("primitives --quick", quick, quick_setup, quick_teardown);
  failed += cmocka_run_group_tests_name("primitives usage", usage, NULL, NULL);
  return failed ? 1 : 0;
}
