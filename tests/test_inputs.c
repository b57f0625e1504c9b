/* test_inputs.c: hostile inputs refused at once: special files (FIFOs, devices, directories, oversize files) wherever a user's file is read, repeated values in a run's lists, numbers that are not decimal, a file workload larger than the free disk, results figures beyond any measurement, a plots folder linking out of its run. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "capacity.h"
#include "registry.h"
#include "resread.h"
#include "runcfg.h"
#include "suite.h"
#include "testutil.h"
#include "util.h"

typedef tu_cli cli;

static int cli_setup(void **state) { return tu_cli_setup(state, "inputs"); }

static void path_in(char *buf, size_t len, const cli *c, const char *rel) {
  snprintf(buf, len, "%s/%s", c->dir, rel);
}

/* ---- the one reader: cb_read_regular ---------------------------------------------------- */

/* A FIFO with no writer: refused at once (an open without O_NONBLOCK would wait forever). */
static void read_fifo_refused(void **state) {
  cli *c = *state;
  char p[256], why[160];
  path_in(p, sizeof p, c, "fifo");
  assert_int_equal(mkfifo(p, 0600), 0);
  int64_t t0 = tu_now_ms();
  errno = 0;
  assert_null(cb_read_regular(p, 1 << 20, NULL, why, sizeof why));
  assert_true(tu_now_ms() - t0 < 1000);
  assert_int_equal(errno, EINVAL);
  tu_expect_in(why, "is a FIFO");
  tu_expect_in(why, "not a regular file");
}

/* A link to /dev/zero is refused as the device it leads to, before a byte is read. */
static void read_link_to_dev_zero_refused(void **state) {
  cli *c = *state;
  char p[256], why[160];
  path_in(p, sizeof p, c, "zero");
  assert_int_equal(symlink("/dev/zero", p), 0);
  assert_null(cb_read_regular(p, 1 << 20, NULL, why, sizeof why));
  assert_int_equal(errno, EINVAL);
  tu_expect_in(why, "is a character device");
  /* The default cap does not change that: the kind is checked, not the bytes. */
  assert_null(cb_read_file(p, NULL));
}

static void read_directory_refused(void **state) {
  cli *c = *state;
  char why[160];
  assert_null(cb_read_regular(c->dir, 1 << 20, NULL, why, sizeof why));
  assert_int_equal(errno, EISDIR);
  assert_string_equal(why, "is a directory, not a regular file");
}

/* Over the cap: refused with both sizes in the phrase; at the cap exactly: read whole. */
static void read_oversize_refused(void **state) {
  cli *c = *state;
  char p[256], why[160];
  path_in(p, sizeof p, c, "big");
  char *data = malloc(3000);
  assert_non_null(data);
  memset(data, 'x', 3000);
  tu_write_file(p, data, 3000);
  free(data);
  assert_null(cb_read_regular(p, 2048, NULL, why, sizeof why));
  assert_int_equal(errno, EFBIG);
  tu_expect_in(why, "2.9 KiB");
  tu_expect_in(why, "2.0 KiB");
  size_t n = 0;
  char *text = cb_read_regular(p, 3000, &n, why, sizeof why);
  assert_non_null(text);
  assert_int_equal(n, 3000);
  assert_int_equal(text[3000], '\0');
  free(text);
}

/* A link to a regular file is followed: users link their results. A missing file says so. */
static void read_link_to_regular_followed(void **state) {
  cli *c = *state;
  char p[256], l[256], why[160];
  path_in(p, sizeof p, c, "real.txt");
  path_in(l, sizeof l, c, "link.txt");
  tu_write_text(p, "hello\n");
  assert_int_equal(symlink(p, l), 0);
  size_t n;
  char *text = cb_read_regular(l, 100, &n, why, sizeof why);
  assert_non_null(text);
  assert_string_equal(text, "hello\n");
  assert_int_equal(n, 6);
  free(text);
  path_in(p, sizeof p, c, "missing");
  assert_null(cb_read_regular(p, 100, NULL, why, sizeof why));
  assert_int_equal(errno, ENOENT);
  assert_string_equal(why, strerror(ENOENT));
}

/* ---- the readers that use it: suites and results ---------------------------------------- */

static void suite_reader_refuses_special_files(void **state) {
  cli *c = *state;
  char fifo[256], zero[256], big[256], err[512];
  cb_suite s;
  path_in(fifo, sizeof fifo, c, "suite.fifo");
  path_in(zero, sizeof zero, c, "suite.zero");
  path_in(big, sizeof big, c, "suite.big");
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(symlink("/dev/zero", zero), 0);
  FILE *f = fopen(big, "w");
  assert_non_null(f);
  assert_int_equal(ftruncate(fileno(f), (off_t)CB_SUITE_MAX_BYTES + 1), 0);
  fclose(f);
  const char *paths[] = { fifo, zero, c->dir, big };
  const char *want[] = { "is a FIFO", "is a character device", "is a directory", "MiB such a file may be" };
  for (size_t i = 0; i < 4; i++) {
    memset(&s, 0, sizeof s);
    if (cb_suite_load(paths[i], 0, &s, err, sizeof err) == 0) fail_msg("%s was read as a suite", paths[i]);
    tu_expect_in(err, want[i]);
    tu_expect_in(err, paths[i]);
  }
}

static void results_reader_refuses_special_files(void **state) {
  cli *c = *state;
  char d[160], p[256], err[512];
  cb_results r;
  const char *want[] = { "is a FIFO", "is a character device", "is a directory", "MiB such a file may be" };
  for (int i = 0; i < 4; i++) {
    snprintf(d, sizeof d, "%s/run%d", c->dir, i);
    assert_int_equal(cb_mkdirs(d), 0);
    snprintf(p, sizeof p, "%s/results.json", d);
    if (i == 0) assert_int_equal(mkfifo(p, 0600), 0);
    if (i == 1) assert_int_equal(symlink("/dev/zero", p), 0);
    if (i == 2) assert_int_equal(mkdir(p, 0700), 0);
    if (i == 3) {
      FILE *f = fopen(p, "w");
      assert_non_null(f);
      assert_int_equal(ftruncate(fileno(f), (off_t)CB_RESULTS_MAX_BYTES + 1), 0);
      fclose(f);
    }
    int64_t t0 = tu_now_ms();
    if (cb_results_read(d, &r, err, sizeof err) == 0) fail_msg("%s was read as results", p);
    assert_true(tu_now_ms() - t0 < 1000);
    tu_expect_in(err, want[i]);
  }
}

/* End to end: each command exits 2 at once with one line, whatever the special file is. */
static void commands_refuse_special_files(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  char fifo[256], z[160], zl[256], f[160], fl[256];
  path_in(fifo, sizeof fifo, c, "fifo");
  path_in(z, sizeof z, c, "z");
  path_in(f, sizeof f, c, "f");
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(cb_mkdirs(z), 0);
  assert_int_equal(cb_mkdirs(f), 0);
  snprintf(zl, sizeof zl, "%s/results.json", z);
  snprintf(fl, sizeof fl, "%s/results.json", f);
  assert_int_equal(symlink("/dev/zero", zl), 0);
  assert_int_equal(mkfifo(fl, 0600), 0);
  c->timeout_ms = 10000;
  const char *const *runs[] = {
    TU_ARGS("run", fifo, "-o", "@OUT"), TU_ARGS("run", "/dev/zero", "-o", "@OUT"), TU_ARGS("run", c->dir, "-o", "@OUT"),
    TU_ARGS("report", z), TU_ARGS("report", f), TU_ARGS("compare", z, f), TU_ARGS("export", "--format", "csv", f),
    TU_ARGS("plot", z),
  };
  for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
    tu_cli_run(c, runs[i]);
    tu_expect_exit(&c->cmd, 2);
    tu_expect_one_error_line(&c->cmd);
    assert_true(c->cmd.took_ms < 5000);
    assert_true(strstr(c->cmd.se, "not a regular file") != NULL);
  }
  tu_expect_in(c->cmd.se, "is a character device");
  TU_RUN(c, "run", c->dir, "-o", "@OUT");
  tu_expect_in(c->cmd.se, "is a directory");
  assert_false(tu_exists(c->out));
}

/* ---- repeated values and numbers -------------------------------------------------------- */

static void lists_refuse_repeats(void **state) {
  (void)state;
  cb_run_cfg cfg;
  char err[512];
  cb_cfg_defaults(&cfg);
  assert_int_equal(cb_cfg_concurrency(&cfg, "2,4,2", err, sizeof err), -1);
  tu_expect_in(err, "concurrency '2' appears twice");
  assert_int_equal(cb_cfg_concurrency(&cfg, "2,02", err, sizeof err), -1);   /* the same number */
  assert_int_equal(cb_cfg_concurrency(&cfg, "2,4", err, sizeof err), 0);
  assert_int_equal(cfg.nconc, 2);
  assert_int_equal(cb_cfg_backends(&cfg, "sync,uv,sync", err, sizeof err), -1);
  tu_expect_in(err, "backend 'sync' appears twice");
  assert_int_equal(cb_cfg_workloads(&cfg, "sleep,sleep", err, sizeof err), -1);
  tu_expect_in(err, "workload 'sleep' appears twice");
  assert_int_equal(cb_cfg_param(&cfg, "delay_ms", "1,1.0", err, sizeof err), -1);
  tu_expect_in(err, "delay_ms '1.0' appears twice");
  assert_int_equal(cb_cfg_param(&cfg, "delay_ms", "1,2", err, sizeof err), 0);
}

/* A suite's group is read with the same calls, so its lists are held to the same rule. */
static void suite_group_refuses_repeats(void **state) {
  (void)state;
  cb_suite s;
  char err[512];
  memset(&s, 0, sizeof s);
  const char *text = "[suite]\nname = t\n[group a]\nworkload = sleep\nbackends = uv,uv\nconcurrency = 2\n";
  assert_int_not_equal(cb_suite_parse(text, "t.ini", 0, &s, err, sizeof err), 0);
  tu_expect_in(err, "appears twice");
}

static void run_refused(cli *c, const char *const *args, const char *why) {
  tu_cli_run(c, args);
  tu_expect_exit(&c->cmd, 2);
  tu_expect_one_error_line(&c->cmd);
  if (!strstr(c->cmd.se, why)) fail_msg("the message does not say '%s': %s", why, c->cmd.se);
  if (tu_exists(c->out)) fail_msg("%s was created for a refused run", c->out);
}

static void run_refuses_duplicates_and_hex(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  run_refused(c, TU_ARGS("run", "-b", "uv", "-w", "sleep", "-n", "2", "-c", "2,2", "-p", "delay_ms=1", "-q", "-o", "@OUT"),
              "concurrency '2' appears twice in '2,2'");
  run_refused(c, TU_ARGS("run", "-b", "uv", "-w", "sleep", "-n", "2", "-p", "delay_ms=1,1", "-q", "-o", "@OUT"),
              "'1' appears twice");
  run_refused(c, TU_ARGS("run", "-b", "sync,sync", "-w", "sleep", "-n", "2", "-p", "delay_ms=1", "-q", "-o", "@OUT"),
              "backend 'sync' appears twice");
  run_refused(c, TU_ARGS("run", "-b", "uv", "-w", "sleep,sleep", "-n", "2", "-p", "delay_ms=1", "-q", "-o", "@OUT"),
              "workload 'sleep' appears twice");
  run_refused(c, TU_ARGS("run", "-b", "uv", "-w", "sleep", "-n", "2", "-p", "delay_ms=0x10", "-q", "-o", "@OUT"),
              "'0x10' is not a number");
}

static void numbers_decimal_only(void **state) {
  (void)state;
  static const char *const bad[] = { "0x10", "0X1p4", "inf", "nan", "1e", "1e+", ".", "-", "+", "1.2.3", "--1", "1 ", "١" };
  double v;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (cb_parse_double(bad[i], &v) == 0) fail_msg("'%s' was taken as the number %g", bad[i], v);
  static const char *const good[] = { "10", "010", "1.5", ".5", "5.", "-2", "+3", "1e3", "2.5E-2" };
  static const double want[] = { 10, 10, 1.5, 0.5, 5, -2, 3, 1000, 0.025 };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    if (cb_parse_double(good[i], &v) != 0) fail_msg("'%s' was refused", good[i]);
    assert_true(v == want[i]);
  }
}

/* ---- the disk ----------------------------------------------------------------------------- */

static void disk_verdict_arithmetic(void **state) {
  (void)state;
  char err[512];
  assert_int_equal(cb_capacity_disk_fits(100, 100, "/x", "file", err, sizeof err), 0);
  assert_int_equal(cb_capacity_disk_fits(101ull << 30, 100ull << 30, "/scratch", "file on threads, -c 100, bytes=1", err,
                                         sizeof err), -1);
  tu_expect_in(err, "file on threads, -c 100, bytes=1 writes up to 101.0 GiB at once in /scratch");
  tu_expect_in(err, "only 100.0 GiB is free there");
  /* The file workload's own figure: files live at once are min(n, c), each its bytes and a block. */
  const cb_workload *w = cb_workload_find("file");
  assert_non_null(w);
  assert_non_null(w->disk_bytes);
  cb_params p;
  memset(&p, 0, sizeof p);
  p.v[cb_params_index(w, "bytes")] = 1000000;
  assert_true(w->disk_bytes(&p, 1000, 100) == 100ull * (1000000 + 4096));
  assert_true(w->disk_bytes(&p, 10, 100) == 10ull * (1000000 + 4096));
}

/* More than the disk has: refused before anything runs, with the figures and the directory. */
static void run_refuses_file_case_beyond_disk(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  struct statvfs vs;
  assert_int_equal(statvfs(c->dir, &vs), 0);
  if ((unsigned long long)vs.f_bavail * vs.f_frsize >= (1ull << 40)) skip();   /* a disk of a TiB free */
  char tmpdir[160];
  snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s", c->dir);
  const char *const env[] = { tmpdir, NULL };
  c->opts.env = env;
  run_refused(c, TU_ARGS("run", "-b", "threads", "-w", "file", "-n", "1000", "-c", "1000", "-p", "bytes=1073741824", "-r", "1",
                         "--warmup", "0", "-q", "-o", "@OUT"), "is free there");
  tu_expect_in(c->cmd.se, "1000.0 GiB");
  tu_expect_in(c->cmd.se, c->dir);
  assert_true(c->cmd.took_ms < 5000);
  c->opts.env = NULL;
}

/* ---- results figures and the plots folder ----------------------------------------------- */

static void results_refuse_absurd_figures(void **state) {
  cli *c = *state;
  char d[160], p[256], err[512];
  cb_results r;
  static const struct { const char *field; double v; const char *want; } bad[] = {
    { "peak_rss_kib", -1e308, "peak_rss_kib" }, { "cpu_user_s", 1e308, "cpu_user_s" }, { "median", 0, "wall_s.median" },
    { "median", 1e308, "wall_s.median" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(d, sizeof d, "%s/abs%zu", c->dir, i);
    tu_copy_fixture(d);
    snprintf(p, sizeof p, "%s/results.json", d);
    cJSON *root = tu_load_json(p), *cs = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "cases"), 0);
    cJSON *host = strcmp(bad[i].field, "median") == 0 ? cJSON_GetObjectItem(cs, "wall_s") : cs;
    cJSON_ReplaceItemInObject(host, bad[i].field, cJSON_CreateNumber(bad[i].v));
    tu_save_json(p, root);
    cJSON_Delete(root);
    if (cb_results_read(d, &r, err, sizeof err) == 0) fail_msg("%s = %g was accepted", bad[i].field, bad[i].v);
    tu_expect_in(err, bad[i].want);
  }
  /* A figure missing altogether is not absurd: what needs it is left out. */
  snprintf(d, sizeof d, "%s/norss", c->dir);
  tu_copy_fixture(d);
  snprintf(p, sizeof p, "%s/results.json", d);
  cJSON *root = tu_load_json(p), *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "cases")) cJSON_DeleteItemFromObject(it, "peak_rss_kib");
  tu_save_json(p, root);
  cJSON_Delete(root);
  if (cb_results_read(d, &r, err, sizeof err) != 0) fail_msg("%s", err);
  cb_results_free(&r);
}

static void path_inside(void **state) {
  cli *c = *state;
  char in[256], out[256], link[256];
  path_in(in, sizeof in, c, "run/plots");
  path_in(out, sizeof out, c, "elsewhere");
  path_in(link, sizeof link, c, "run2");
  assert_int_equal(cb_mkdirs(in), 0);
  assert_int_equal(cb_mkdirs(out), 0);
  path_in(in, sizeof in, c, "run");
  assert_int_equal(cb_path_inside(in, in), 1);
  path_in(in, sizeof in, c, "run/plots");
  path_in(link, sizeof link, c, "run");
  assert_int_equal(cb_path_inside(link, in), 1);
  assert_int_equal(cb_path_inside(link, out), 0);
  /* run2 holds a plots link out of it; run2x starts with run2 but is another directory. */
  path_in(link, sizeof link, c, "run2");
  assert_int_equal(cb_mkdirs(link), 0);
  path_in(in, sizeof in, c, "run2/plots");
  assert_int_equal(symlink(out, in), 0);
  assert_int_equal(cb_path_inside(link, in), 0);
  path_in(in, sizeof in, c, "run2x");
  assert_int_equal(cb_mkdirs(in), 0);
  assert_int_equal(cb_path_inside(link, in), 0);
  assert_int_equal(cb_path_inside("/", link), 1);
  path_in(in, sizeof in, c, "nope");
  assert_true(cb_path_inside(link, in) < 0);
}

/* report embeds no plot that is a link to /dev/zero or a FIFO, nor any from a plots folder
 * linking out of the run: it ends at once and the page has no image of them. */
static void report_skips_special_plots(void **state) {
  cli *c = *state;
  tu_need_bin(c->bin);
  char d[160], p[256], out[160];
  snprintf(d, sizeof d, "%s/run", c->dir);
  tu_copy_fixture(d);
  snprintf(p, sizeof p, "%s/plots", d);
  assert_int_equal(cb_mkdirs(p), 0);
  snprintf(p, sizeof p, "%s/plots/zero.png", d);
  assert_int_equal(symlink("/dev/zero", p), 0);
  snprintf(p, sizeof p, "%s/plots/fifo.png", d);
  assert_int_equal(mkfifo(p, 0600), 0);
  c->timeout_ms = 20000;
  TU_RUN(c, "report", d);
  tu_expect_exit(&c->cmd, 0);
  assert_true(c->cmd.took_ms < 10000);
  snprintf(p, sizeof p, "%s/report.html", d);
  size_t n;
  char *html = tu_read_file(p, &n);
  assert_true(n < (1u << 20));
  tu_expect_not_in(html, "data:image/png;base64,AAAA");
  free(html);
  /* A plots folder that links out of the run: its plots are not embedded, nor written to. */
  snprintf(out, sizeof out, "%s/outside", c->dir);
  assert_int_equal(cb_mkdirs(out), 0);
  snprintf(p, sizeof p, "%s/secret.png", out);
  tu_write_text(p, "SECRETPNG");
  snprintf(d, sizeof d, "%s/run2", c->dir);
  tu_copy_fixture(d);
  snprintf(p, sizeof p, "%s/plots", d);
  assert_int_equal(symlink(out, p), 0);
  TU_RUN(c, "report", d);
  tu_expect_exit(&c->cmd, 0);
  snprintf(p, sizeof p, "%s/report.html", d);
  html = tu_read_file(p, NULL);
  tu_expect_not_in(html, "secret");
  free(html);
  TU_RUN(c, "plot", d);
  /* Without gnuplot, plot stops before looking (exit 1, naming the package). */
  if (!strstr(c->cmd.se, "gnuplot-nox")) {
    tu_expect_exit(&c->cmd, 2);
    tu_expect_in(c->cmd.se, "link out of");
  }
  assert_int_equal(tu_dir_entries(out, NULL), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(read_fifo_refused, cli_setup, tu_cli_teardown),
    cmocka_unit_test_setup_teardown(read_link_to_dev_zero_refused, cli_setup, tu_cli_teardown),
    cmocka_unit_test_setup_teardown(read_directory_refused, cli_setup, tu_cli_teardown),
    cmocka_unit_test_setup_teardown(read_oversize_refused, cli_setup, tu_cli_teardown),
    cmocka_unit_test_setup_teardown(read_link_to_regular_followed, cli_setup, tu_cli_teardown),
    cmocka_unit_test_setup_teardown(suite_reader_refuses_special_files, cli_setup, tu_cli_teardown),
    cmocka_unit_test_setup_teardown(results_reader_refuses_special_files, cli_setup, tu_cli_teardown),
    cmocka_unit_test_setup_teardown(commands_refuse_special_files, cli_setup, tu_cli_teardown),
    cmocka_unit_test(lists_refuse_repeats),
    cmocka_unit_test(suite_group_refuses_repeats),
    cmocka_unit_test_setup_teardown(run_refuses_duplicates_and_hex, cli_setup, tu_cli_teardown),
    cmocka_unit_test(numbers_decimal_only),
    cmocka_unit_test(disk_verdict_arithmetic),
    cmocka_unit_test_setup_teardown(run_refuses_file_case_beyond_disk, cli_setup, tu_cli_teardown),
    cmocka_unit_test_setup_teardown(results_refuse_absurd_figures, cli_setup, tu_cli_teardown),
    cmocka_unit_test_setup_teardown(path_inside, cli_setup, tu_cli_teardown),
    cmocka_unit_test_setup_teardown(report_skips_special_plots, cli_setup, tu_cli_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
