/* test_params.c: cmocka tests for parsing and files (harness/util.c), workload parameters (harness/params.c) and plan expansion (harness/plan.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend.h"
#include "registry.h"
#include "plan.h"
#include "testutil.h"
#include "util.h"

/* ---- numbers ---------------------------------------------------------------------------- */

static void parse_u64_accepts(void **state) {
  (void)state;
  uint64_t v = 7;
  assert_int_equal(cb_parse_u64("0", &v), 0);
  assert_true(v == 0);
  assert_int_equal(cb_parse_u64("42", &v), 0);
  assert_true(v == 42);
  assert_int_equal(cb_parse_u64("18446744073709551615", &v), 0);
  assert_true(v == UINT64_MAX);
  assert_int_equal(cb_parse_u64("007", &v), 0);
  assert_true(v == 7);
}

static void parse_u64_rejects(void **state) {
  (void)state;
  static const char *const bad[] = {
    "", "abc", "12x", "-3", " 5", "5 ", "+5", "18446744073709551616", "99999999999999999999999", "1.0", "0x10",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint64_t v = 0;
    if (cb_parse_u64(bad[i], &v) != -1) fail_msg("cb_parse_u64(\"%s\") accepted it as %llu", bad[i], (unsigned long long)v);
  }
  uint64_t v;
  assert_int_equal(cb_parse_u64(NULL, &v), -1);
}

static void parse_double_accepts(void **state) {
  (void)state;
  double v = -1;
  assert_int_equal(cb_parse_double("0", &v), 0);
  assert_true(v == 0.0);
  assert_int_equal(cb_parse_double("1.5", &v), 0);
  assert_true(v == 1.5);
  assert_int_equal(cb_parse_double("-2", &v), 0);
  assert_true(v == -2.0);
  assert_int_equal(cb_parse_double("1e3", &v), 0);
  assert_true(v == 1000.0);
}

static void parse_double_rejects(void **state) {
  (void)state;
  static const char *const bad[] = { "", "1.5x", "nan", "NaN", "inf", "-inf", "infinity", " 1", "x1", "1e999" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    double v = 0;
    if (cb_parse_double(bad[i], &v) != -1) fail_msg("cb_parse_double(\"%s\") accepted it as %g", bad[i], v);
  }
  double v;
  assert_int_equal(cb_parse_double(NULL, &v), -1);
}

static void parse_size_accepts(void **state) {
  (void)state;
  static const struct { const char *s; size_t want; } ok[] = {
    { "4096", 4096 },
    { "64K", (size_t)64 * 1024 },
    { "64k", (size_t)64 * 1024 },
    { "64KiB", (size_t)64 * 1024 },
    { "64KB", (size_t)64 * 1024 },
    { "1M", (size_t)1024 * 1024 },
    { "1MiB", (size_t)1024 * 1024 },
    { "2G", (size_t)2 * 1024 * 1024 * 1024 },
    { "0", 0 },
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    size_t v = 1;
    if (cb_parse_size(ok[i].s, &v) != 0) fail_msg("cb_parse_size(\"%s\") rejected it", ok[i].s);
    if (v != ok[i].want) fail_msg("cb_parse_size(\"%s\") = %zu, want %zu", ok[i].s, v, ok[i].want);
  }
}

static void parse_size_rejects(void **state) {
  (void)state;
  static const char *const bad[] = {
    "", "12Q", "K", "-1", " 64K", "64K ", "64KiBx", "64KK", "1.5M",
    "18446744073709551615K",   /* overflows when scaled */
    "18446744073709551616",    /* overflows unscaled */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t v = 0;
    if (cb_parse_size(bad[i], &v) != -1) fail_msg("cb_parse_size(\"%s\") accepted it as %zu", bad[i], v);
  }
}

/* ---- lists ------------------------------------------------------------------------------ */

static void split_three(void **state) {
  (void)state;
  char s[] = "a,bb,ccc";
  char *items[8] = { 0 };
  assert_int_equal(cb_split(s, ',', items, 8), 3);
  assert_string_equal(items[0], "a");
  assert_string_equal(items[1], "bb");
  assert_string_equal(items[2], "ccc");
  assert_null(items[3]);

  char one[] = "solo";
  assert_int_equal(cb_split(one, ',', items, 8), 1);
  assert_string_equal(items[0], "solo");

  char semi[] = "x;y";
  assert_int_equal(cb_split(semi, ';', items, 8), 2);
  assert_string_equal(items[0], "x");
  assert_string_equal(items[1], "y");

  /* Only the separator splits. */
  char other[] = "p;q,r";
  assert_int_equal(cb_split(other, ',', items, 8), 2);
  assert_string_equal(items[0], "p;q");
  assert_string_equal(items[1], "r");
}

static void split_rejects_empty_items(void **state) {
  (void)state;
  static const char *const bad[] = { "a,,b", ",a", "a,", ",", "", ",,", "a,b,,c" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char buf[32];
    char *items[8];
    snprintf(buf, sizeof buf, "%s", bad[i]);
    int n = cb_split(buf, ',', items, 8);
    if (n != -1) fail_msg("cb_split(\"%s\") = %d, want -1 (empty item)", bad[i], n);
  }
}

static void split_respects_max(void **state) {
  (void)state;
  char *sentinel = (char *)"untouched";
  char *items[4] = { sentinel, sentinel, sentinel, sentinel };
  char s1[] = "a,b,c";
  assert_int_equal(cb_split(s1, ',', items, 2), -2);   /* too many, told apart from an empty item */
  assert_ptr_equal(items[2], sentinel);   /* nothing written past max */
  assert_ptr_equal(items[3], sentinel);

  char s2[] = "a,b,c";
  assert_int_equal(cb_split(s2, ',', items, 3), 3);
  assert_string_equal(items[2], "c");
  assert_ptr_equal(items[3], sentinel);

  char s3[] = "a";
  items[1] = sentinel;
  assert_int_equal(cb_split(s3, ',', items, 1), 1);
  assert_ptr_equal(items[1], sentinel);
}

/* ---- files: a fresh temporary directory per test --------------------------------------- */

typedef struct tmpdir {
  char path[PATH_MAX];
} tmpdir;

static int tmp_setup(void **state) {
  tmpdir *t = calloc(1, sizeof *t);
  if (!t) return -1;
  if (tu_tmpdir(t->path, sizeof t->path, "params") != 0) {
    free(t);
    return -1;
  }
  *state = t;
  return 0;
}

static int tmp_teardown(void **state) {
  tmpdir *t = *state;
  if (!t) return 0;
  /* Read-only directories from a test get their write bit back first. */
  int rc = tu_rmtree(t->path);
  free(t);
  return rc;
}

static void path_of(char *buf, size_t len, const tmpdir *t, const char *rel) {
  if (snprintf(buf, len, "%s/%s", t->path, rel) >= (int)len) fail_msg("path too long");
}

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void write_plain(const char *p, const char *s) {
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  assert_int_equal(fputs(s, f) >= 0, 1);
  assert_int_equal(fclose(f), 0);
}

static void assert_file_is(const char *p, const char *want) {
  size_t n = 0;
  char *got = cb_read_file(p, &n);
  if (!got) fail_msg("cannot read %s: %s", p, strerror(errno));
  if (n != strlen(want) || memcmp(got, want, n) != 0) {
    free(got);
    fail_msg("%s does not hold the expected %zu bytes", p, strlen(want));
  }
  free(got);
}

static void mkdirs_nested(void **state) {
  tmpdir *t = *state;
  char p[PATH_MAX], q[PATH_MAX];
  path_of(p, sizeof p, t, "a/b/c/d");
  assert_int_equal(cb_mkdirs(p), 0);
  assert_true(is_dir(p));
  path_of(q, sizeof q, t, "a/b");
  assert_true(is_dir(q));
  /* Again: everything exists already, which is fine. */
  assert_int_equal(cb_mkdirs(p), 0);
  /* A trailing slash names the same directory. */
  path_of(q, sizeof q, t, "a/b/e/");
  assert_int_equal(cb_mkdirs(q), 0);
  path_of(q, sizeof q, t, "a/b/e");
  assert_true(is_dir(q));
  /* The top itself. */
  assert_int_equal(cb_mkdirs(t->path), 0);
  /* No name at all is no directory (mkdir -p '' fails too). */
  assert_true(cb_mkdirs("") < 0);
}

static void mkdirs_file_in_path(void **state) {
  tmpdir *t = *state;
  char f[PATH_MAX], p[PATH_MAX];
  path_of(f, sizeof f, t, "plain");
  write_plain(f, "data");
  path_of(p, sizeof p, t, "plain/sub/deeper");
  assert_int_equal(cb_mkdirs(p), -ENOTDIR);
  /* The last component being a file is no directory either. */
  assert_int_equal(cb_mkdirs(f), -ENOTDIR);
  assert_file_is(f, "data");
}

static void mkdirs_too_long(void **state) {
  (void)state;
  char *p = malloc(PATH_MAX + 64);
  assert_non_null(p);
  memset(p, 'x', PATH_MAX + 63);
  p[0] = '/';
  p[PATH_MAX + 63] = '\0';
  assert_int_equal(cb_mkdirs(p), -ENAMETOOLONG);
  free(p);
}

static void write_atomic_creates_and_replaces(void **state) {
  tmpdir *t = *state;
  char p[PATH_MAX];
  int hidden;
  path_of(p, sizeof p, t, "results.csv");
  const char *first = "first version, fairly long\nline two\n";
  assert_int_equal(cb_write_atomic(p, first, strlen(first)), 0);
  assert_file_is(p, first);
  assert_int_equal(tu_dir_entries(t->path, &hidden), 1);
  assert_int_equal(hidden, 0);

  /* Shorter content: nothing of the old file may remain. */
  const char *second = "v2\n";
  assert_int_equal(cb_write_atomic(p, second, strlen(second)), 0);
  assert_file_is(p, second);

  /* Binary data with NULs, and an empty file. */
  const char bin[] = { 'a', '\0', 'b', '\n', '\0' };
  assert_int_equal(cb_write_atomic(p, bin, sizeof bin), 0);
  size_t n = 0;
  char *got = cb_read_file(p, &n);
  assert_non_null(got);
  assert_int_equal(n, sizeof bin);
  assert_memory_equal(got, bin, sizeof bin);
  free(got);
  assert_int_equal(cb_write_atomic(p, "", 0), 0);
  assert_file_is(p, "");

  assert_int_equal(tu_dir_entries(t->path, &hidden), 1);
  assert_int_equal(hidden, 0);
}

static void write_atomic_large(void **state) {
  tmpdir *t = *state;
  char p[PATH_MAX];
  int hidden;
  size_t len = (size_t)3 << 20;   /* several write() calls' worth */
  char *data = malloc(len + 1);
  assert_non_null(data);
  for (size_t i = 0; i < len; i++) data[i] = (char)('a' + (i * 31 + i / 4096) % 26);
  data[len] = '\0';
  path_of(p, sizeof p, t, "big.json");
  assert_int_equal(cb_write_atomic(p, data, len), 0);
  assert_file_is(p, data);
  free(data);
  assert_int_equal(tu_dir_entries(t->path, &hidden), 1);
  assert_int_equal(hidden, 0);
}

static void write_atomic_relative_path(void **state) {
  tmpdir *t = *state;
  char cwd[PATH_MAX], p[PATH_MAX];
  int hidden;
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(t->path), 0);
  int rc = cb_write_atomic("rel.txt", "relative\n", 9);
  assert_int_equal(chdir(cwd), 0);
  assert_int_equal(rc, 0);
  path_of(p, sizeof p, t, "rel.txt");
  assert_file_is(p, "relative\n");
  assert_int_equal(tu_dir_entries(t->path, &hidden), 1);
  assert_int_equal(hidden, 0);
}

static void write_atomic_missing_dir(void **state) {
  tmpdir *t = *state;
  char p[PATH_MAX], d[PATH_MAX];
  int hidden;
  path_of(p, sizeof p, t, "nosuch/results.csv");
  path_of(d, sizeof d, t, "nosuch");
  int rc = cb_write_atomic(p, "x", 1);
  assert_true(rc < 0);
  assert_int_equal(rc, -ENOENT);
  assert_false(tu_exists(d));
  assert_int_equal(tu_dir_entries(t->path, &hidden), 0);
}

/* The target is a directory: the rename fails, and the temporary file must go. */
static void write_atomic_rename_fails_cleans_up(void **state) {
  tmpdir *t = *state;
  char p[PATH_MAX], inner[PATH_MAX];
  int hidden;
  path_of(p, sizeof p, t, "adir");
  assert_int_equal(mkdir(p, 0700), 0);
  path_of(inner, sizeof inner, t, "adir/keep");
  write_plain(inner, "kept");
  int rc = cb_write_atomic(p, "new", 3);
  assert_true(rc < 0);
  assert_true(is_dir(p));
  assert_file_is(inner, "kept");
  assert_int_equal(tu_dir_entries(t->path, &hidden), 1);
  assert_int_equal(hidden, 0);
}

/* A directory this process cannot write into. Root writes anywhere, so as root a child drops
 * to nobody first. Returns cb_write_atomic's result, or 1 when the test cannot be set up. */
static int write_as_unprivileged(const char *path, const char *data) {
  if (geteuid() != 0) return cb_write_atomic(path, data, strlen(data));
  int fds[2];
  if (pipe(fds) != 0) return 1;
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    close(fds[0]);
    int rc = 1;
    if (setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0)
      rc = cb_write_atomic(path, data, strlen(data));
    if (write(fds[1], &rc, sizeof rc) != (ssize_t)sizeof rc) _exit(2);
    _exit(0);
  }
  close(fds[1]);
  int rc = 1;
  if (read(fds[0], &rc, sizeof rc) != (ssize_t)sizeof rc) rc = 1;
  close(fds[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  return rc;
}

static void write_atomic_unwritable_dir(void **state) {
  tmpdir *t = *state;
  char d[PATH_MAX], p[PATH_MAX];
  int hidden;
  path_of(d, sizeof d, t, "ro");
  assert_int_equal(mkdir(d, 0755), 0);
  path_of(p, sizeof p, t, "ro/results.csv");
  const char *old = "old content\n";
  assert_int_equal(cb_write_atomic(p, old, strlen(old)), 0);
  /* Readable and searchable by anyone, writable by no one but root. */
  assert_int_equal(chmod(d, 0555), 0);
  assert_int_equal(chmod(t->path, 0755), 0);
  int rc = write_as_unprivileged(p, "new content that must not land\n");
  chmod(d, 0755);
  if (rc == 1) {
    print_message("cannot drop privileges here; skipping\n");
    skip();
  }
  assert_true(rc < 0);
  assert_file_is(p, old);
  assert_int_equal(tu_dir_entries(d, &hidden), 1);
  assert_int_equal(hidden, 0);
}

/* ---- parameters ------------------------------------------------------------------------- */

static void param_check_integer(void **state) {
  (void)state;
  const cb_param_spec s = { .name = "k", .unit = "things", .def = 5, .min = 1, .max = 10, .integer = 1 };
  char err[256];
  assert_int_equal(cb_param_check(&s, 1, err, sizeof err), 0);
  assert_int_equal(cb_param_check(&s, 10, err, sizeof err), 0);
  assert_int_equal(cb_param_check(&s, 5, err, sizeof err), 0);
  static const double bad[] = { 1.5, 0, 11, -1, 0.999, 10.001, 1e300 };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    if (cb_param_check(&s, bad[i], err, sizeof err) != -1) fail_msg("cb_param_check accepted %g", bad[i]);
    assert_true(strlen(err) > 0);
    assert_non_null(strstr(err, "k"));
  }
  /* The message is cut to the buffer, not written past it. */
  char small[8];
  memset(small, 'Z', sizeof small);
  assert_int_equal(cb_param_check(&s, 99, small, 4), -1);
  assert_int_equal(strlen(small), 3);
  assert_int_equal(small[4], 'Z');
}

static void param_check_real(void **state) {
  (void)state;
  const cb_param_spec s = { .name = "ratio", .unit = "", .def = 0.5, .min = 0, .max = 1, .integer = 0 };
  char err[256];
  assert_int_equal(cb_param_check(&s, 0.25, err, sizeof err), 0);
  assert_int_equal(cb_param_check(&s, 0, err, sizeof err), 0);
  assert_int_equal(cb_param_check(&s, 1, err, sizeof err), 0);
  assert_int_equal(cb_param_check(&s, 1.0001, err, sizeof err), -1);
  assert_int_equal(cb_param_check(&s, -0.0001, err, sizeof err), -1);
}

/* The registered workloads' own specs: bounds accepted, just outside them refused. */
static void param_check_registered_bounds(void **state) {
  (void)state;
  char err[256];
  for (const cb_workload *const *w = cb_workloads(); *w; w++)
    for (unsigned k = 0; k < (*w)->nparams; k++) {
      const cb_param_spec *s = &(*w)->params[k];
      assert_int_equal(cb_param_check(s, s->min, err, sizeof err), 0);
      assert_int_equal(cb_param_check(s, s->max, err, sizeof err), 0);
      assert_int_equal(cb_param_check(s, s->def, err, sizeof err), 0);
      assert_int_equal(cb_param_check(s, s->min - 1, err, sizeof err), -1);
      assert_int_equal(cb_param_check(s, s->max + 1, err, sizeof err), -1);
      if (s->integer) assert_int_equal(cb_param_check(s, s->min + 0.5, err, sizeof err), -1);
    }
}

static const cb_param_spec three_specs[] = {
  { .name = "a", .unit = "u", .def = 1, .min = 0, .max = 100, .integer = 1 },
  { .name = "bb", .unit = "u", .def = 2.5, .min = 0, .max = 100, .integer = 0 },
  { .name = "c", .unit = "u", .def = 1e6, .min = 0, .max = 1e9, .integer = 1 },
};
static const cb_workload three = {
  .name = "three", .summary = "test workload", .kind = CB_KIND_MIXED,
  .params = three_specs, .nparams = 3,
};

static void params_index_and_defaults(void **state) {
  (void)state;
  assert_int_equal(cb_params_index(&three, "a"), 0);
  assert_int_equal(cb_params_index(&three, "bb"), 1);
  assert_int_equal(cb_params_index(&three, "c"), 2);
  assert_int_equal(cb_params_index(&three, "b"), -1);
  assert_int_equal(cb_params_index(&three, ""), -1);
  assert_int_equal(cb_params_index(&three, "A"), -1);
  cb_params p;
  memset(&p, 0x7f, sizeof p);
  cb_params_defaults(&three, &p);
  assert_true(p.v[0] == 1 && p.v[1] == 2.5 && p.v[2] == 1e6);
  for (int i = 3; i < CB_MAX_PARAMS; i++) assert_true(p.v[i] == 0);
}

static void params_format(void **state) {
  (void)state;
  cb_params p = { .v = { 3, 0.125, 1e6 } };
  char buf[256];
  cb_params_format(&three, &p, buf, sizeof buf);
  assert_string_equal(buf, "a=3;bb=0.125;c=1000000");
  assert_null(strchr(buf, ','));

  const cb_workload *sl = cb_workload_find("sleep");
  assert_non_null(sl);
  int k = cb_params_index(sl, "delay_ms");
  assert_true(k >= 0);
  cb_params q;
  cb_params_defaults(sl, &q);
  q.v[k] = 20;
  cb_params_format(sl, &q, buf, sizeof buf);
  char want[256] = "";
  for (unsigned i = 0; i < sl->nparams; i++) {
    size_t off = strlen(want);
    snprintf(want + off, sizeof want - off, "%s%s=%g", i ? ";" : "", sl->params[i].name, q.v[i]);
  }
  assert_string_equal(buf, want);
  assert_non_null(strstr(buf, "delay_ms=20"));

  /* No parameters: the empty string. */
  const cb_workload none = { .name = "none", .nparams = 0 };
  buf[0] = 'X';
  cb_params_format(&none, &p, buf, sizeof buf);
  assert_string_equal(buf, "");

  /* A short buffer is cut, terminated, and never overrun. */
  char small[16];
  memset(small, 'Z', sizeof small);
  cb_params_format(&three, &p, small, 6);
  assert_true(strlen(small) < 6);
  assert_int_equal(strncmp(small, "a=3;b", strlen(small)), 0);
  for (size_t i = 6; i < sizeof small; i++) assert_int_equal(small[i], 'Z');
}

/* ---- plan expansion --------------------------------------------------------------------- */

static const cb_machine test_machine = { .cores = 2, .unit_s = 1e-6 };

static void plan_sleep_matrix(void **state) {
  (void)state;
  cb_run_cfg cfg;
  cb_plan plan;
  memset(&cfg, 0, sizeof cfg);
  const cb_backend *be_sync = cb_backend_find("sync"), *uv = cb_backend_find("uv");
  const cb_workload *sl = cb_workload_find("sleep");
  assert_non_null(be_sync);
  assert_non_null(uv);
  assert_non_null(sl);
  assert_true(be_sync->flags & CB_BACKEND_SERIAL);
  assert_false(uv->flags & CB_BACKEND_SERIAL);
  int kd = cb_params_index(sl, "delay_ms");
  assert_true(kd >= 0);

  cfg.be[0] = be_sync;
  cfg.be[1] = uv;
  cfg.nbe = 2;
  cfg.wl[0] = sl;
  cfg.nwl = 1;
  cfg.tasks = 7;
  cfg.conc[0] = 1;
  cfg.conc[1] = 5;
  cfg.nconc = 2;
  snprintf(cfg.ps[0].name, sizeof cfg.ps[0].name, "%s", "delay_ms");
  cfg.ps[0].vals[0] = 10;
  cfg.ps[0].vals[1] = 20;
  cfg.ps[0].n = 2;
  cfg.nps = 1;
  cfg.reps = 3;

  assert_int_equal(cb_plan_build(&cfg, &test_machine, &plan), 0);
  assert_int_equal(plan.n, 8);
  assert_int_equal(plan.reps, 3);

  /* workload -> parameter value -> concurrency -> backend, the last fastest. */
  static const double delays[2] = { 10, 20 };
  static const uint32_t concs[2] = { 1, 5 };
  size_t i = 0;
  for (int d = 0; d < 2; d++)
    for (int c = 0; c < 2; c++)
      for (int b = 0; b < 2; b++, i++) {
        const cb_case *cs = &plan.cases[i];
        char want[64];
        assert_ptr_equal(cs->wl, sl);
        assert_ptr_equal(cs->be, cfg.be[b]);
        assert_true(cs->params.v[kd] == delays[d]);
        snprintf(want, sizeof want, "delay_ms=%g", delays[d]);
        assert_non_null(strstr(cs->params_str, want));
        assert_int_equal(cs->tasks, 7);
        assert_int_equal(cs->conc, concs[c]);
        uint32_t eff = cs->be == be_sync ? 1 : (concs[c] < 7 ? concs[c] : 7);
        assert_int_equal(cs->eff_conc, eff);
        double ideal = ceil(7.0 / (double)eff) * delays[d] / 1000.0;
        if (fabs(cs->ideal_s - ideal) > 1e-12) fail_msg("case %zu: ideal_s %g, want %g", i, cs->ideal_s, ideal);
        /* Room for every repetition, none taken yet. */
        assert_int_equal(cs->nreps, 0);
        assert_non_null(cs->reps);
        assert_true(cb_keep_size(cs->reps) >= cfg.reps * sizeof(cb_sample));
        for (unsigned r = 0; r < cfg.reps; r++) {
          assert_int_equal(cs->reps[r].status, 0);
          assert_int_equal(cs->reps[r].done, 0);
          cs->reps[r].wall_s = 1.0;   /* writable; ASan/valgrind would flag an overrun */
        }
      }
  /* Every case owns its own samples. */
  for (size_t a = 0; a < plan.n; a++)
    for (size_t b = a + 1; b < plan.n; b++) assert_true(plan.cases[a].reps != plan.cases[b].reps);

  cb_plan_free(&plan);
  assert_int_equal(plan.n, 0);
  assert_null(plan.cases);
}

/* Concurrency above the task count is capped for the model, but the row keeps what was asked. */
static void plan_eff_conc_capped_by_tasks(void **state) {
  (void)state;
  cb_run_cfg cfg;
  cb_plan plan;
  memset(&cfg, 0, sizeof cfg);
  cfg.be[0] = cb_backend_find("threads");
  cfg.be[1] = cb_backend_find("sync");
  cfg.nbe = 2;
  assert_non_null(cfg.be[0]);
  assert_non_null(cfg.be[1]);
  cfg.wl[0] = cb_workload_find("sleep");
  cfg.nwl = 1;
  cfg.tasks = 3;
  cfg.conc[0] = 100;
  cfg.nconc = 1;
  cfg.reps = 1;
  assert_int_equal(cb_plan_build(&cfg, &test_machine, &plan), 0);
  assert_int_equal(plan.n, 2);
  assert_int_equal(plan.cases[0].conc, 100);
  assert_int_equal(plan.cases[0].eff_conc, 3);
  assert_int_equal(plan.cases[1].conc, 100);
  assert_int_equal(plan.cases[1].eff_conc, 1);
  /* No -p: the default delay alone. */
  const cb_workload *sl = cfg.wl[0];
  int kd = cb_params_index(sl, "delay_ms");
  double def = sl->params[kd].def;
  assert_true(plan.cases[0].params.v[kd] == def);
  assert_true(fabs(plan.cases[0].ideal_s - def / 1000.0) < 1e-12);        /* one round of 3 */
  assert_true(fabs(plan.cases[1].ideal_s - 3 * def / 1000.0) < 1e-12);    /* three rounds */
  cb_plan_free(&plan);
}

/* Several parameters: the cartesian product, first parameter slowest; several workloads in
 * the order given; a -p that a workload does not take leaves it at its default. */
static void plan_cartesian_product(void **state) {
  (void)state;
  cb_run_cfg cfg;
  cb_plan plan;
  memset(&cfg, 0, sizeof cfg);
  cfg.be[0] = cb_backend_find("sync");
  cfg.nbe = 1;
  cfg.wl[0] = &three;
  cfg.wl[1] = cb_workload_find("sleep");
  assert_non_null(cfg.wl[1]);
  cfg.nwl = 2;
  cfg.tasks = 4;
  cfg.conc[0] = 2;
  cfg.nconc = 1;
  cfg.reps = 2;
  cfg.ps[0] = (cb_pset){ .name = "c", .vals = { 7, 8, 9 }, .n = 3 };
  cfg.ps[1] = (cb_pset){ .name = "a", .vals = { 1, 2 }, .n = 2 };
  cfg.ps[2] = (cb_pset){ .name = "delay_ms", .vals = { 5 }, .n = 1 };
  cfg.nps = 3;
  assert_int_equal(cb_plan_build(&cfg, &test_machine, &plan), 0);
  assert_int_equal(plan.n, 2 * 3 + 1);
  size_t i = 0;
  for (int a = 0; a < 2; a++)
    for (int c = 0; c < 3; c++, i++) {
      const cb_case *cs = &plan.cases[i];
      char want[64];
      assert_ptr_equal(cs->wl, &three);
      assert_true(cs->params.v[0] == cfg.ps[1].vals[a]);
      assert_true(cs->params.v[1] == three_specs[1].def);
      assert_true(cs->params.v[2] == cfg.ps[0].vals[c]);
      snprintf(want, sizeof want, "a=%g;bb=%g;c=%g", cfg.ps[1].vals[a], three_specs[1].def, cfg.ps[0].vals[c]);
      assert_string_equal(cs->params_str, want);
      assert_true(cs->ideal_s == 0);   /* no ideal function */
    }
  assert_ptr_equal(plan.cases[6].wl, cfg.wl[1]);
  assert_true(plan.cases[6].params.v[cb_params_index(cfg.wl[1], "delay_ms")] == 5);
  cb_plan_free(&plan);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(parse_u64_accepts),
    cmocka_unit_test(parse_u64_rejects),
    cmocka_unit_test(parse_double_accepts),
    cmocka_unit_test(parse_double_rejects),
    cmocka_unit_test(parse_size_accepts),
    cmocka_unit_test(parse_size_rejects),
    cmocka_unit_test(split_three),
    cmocka_unit_test(split_rejects_empty_items),
    cmocka_unit_test(split_respects_max),
    cmocka_unit_test_setup_teardown(mkdirs_nested, tmp_setup, tmp_teardown),
    cmocka_unit_test_setup_teardown(mkdirs_file_in_path, tmp_setup, tmp_teardown),
    cmocka_unit_test(mkdirs_too_long),
    cmocka_unit_test_setup_teardown(write_atomic_creates_and_replaces, tmp_setup, tmp_teardown),
    cmocka_unit_test_setup_teardown(write_atomic_large, tmp_setup, tmp_teardown),
    cmocka_unit_test_setup_teardown(write_atomic_relative_path, tmp_setup, tmp_teardown),
    cmocka_unit_test_setup_teardown(write_atomic_missing_dir, tmp_setup, tmp_teardown),
    cmocka_unit_test_setup_teardown(write_atomic_rename_fails_cleans_up, tmp_setup, tmp_teardown),
    cmocka_unit_test_setup_teardown(write_atomic_unwritable_dir, tmp_setup, tmp_teardown),
    cmocka_unit_test(param_check_integer),
    cmocka_unit_test(param_check_real),
    cmocka_unit_test(param_check_registered_bounds),
    cmocka_unit_test(params_index_and_defaults),
    cmocka_unit_test(params_format),
    cmocka_unit_test(plan_sleep_matrix),
    cmocka_unit_test(plan_eff_conc_capped_by_tasks),
    cmocka_unit_test(plan_cartesian_product),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
