/* test_fuzz_regress.c: replays the inputs that once broke a fuzz target (fuzz/regress/TARGET/),
 * and the seed corpus (fuzz/corpus/TARGET/), through the targets' own code in the normal build,
 * so what was fixed stays fixed without libFuzzer. A crash or a broken invariant fails the test;
 * the file being replayed is printed just before. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "targets.h"
#include "util.h"

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of CB_SOURCE_DIR/fuzz/KIND/TARGET (none when it does not exist), in name
 * order, through the target; returns how many. */
static size_t replay_dir(const char *kind, const char *target, cb_fuzz_fn fn) {
  char dir[4096], path[4096 + 256];
  char *names[4096];
  size_t n = 0;
  snprintf(dir, sizeof dir, "%s/fuzz/%s/%s", CB_SOURCE_DIR, kind, target);
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < sizeof names / sizeof names[0]) {
    if (e->d_name[0] == '.' || strncmp(e->d_name, "README", 6) == 0) continue;
    names[n] = strdup(e->d_name);
    assert_non_null(names[n]);
    n++;
  }
  closedir(d);
  qsort(names, n, sizeof names[0], by_name);
  size_t done = 0;
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    free(names[i]);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    size_t len;
    char *data = cb_read_file(path, &len);
    assert_non_null(data);
    print_message("fuzz_regress: %s: %s\n", target, path);
    assert_int_equal(fn((const uint8_t *)data, len), 0);
    free(data);
    done++;
  }
  return done;
}

static void replay(const char *target) {
  cb_fuzz_fn fn = cb_fuzz_target(target);
  assert_non_null(fn);
  size_t n = replay_dir("regress", target, fn);
  n += replay_dir("corpus", target, fn);
  print_message("fuzz_regress: %s: %zu inputs replayed\n", target, n);
  assert_true(n > 0);   /* the seed corpus at least */
}

static void regress_server(void **state) { replay("server"); }
static void regress_client(void **state) { replay("client"); }
static void regress_suite(void **state) { replay("suite"); }
static void regress_results(void **state) { replay("results"); }
static void regress_history(void **state) { replay("history"); }
static void regress_resp(void **state) { replay("resp"); }

/* The entry points take the empty input and the smallest ones without complaint. */
static void tiny_inputs(void **state) {
  static const uint8_t bytes[] = { 0, 0, 0 };
  const char *const names[] = { "server", "client", "suite", "results", "history", "resp" };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    for (size_t len = 0; len <= sizeof bytes; len++) assert_int_equal(cb_fuzz_target(names[i])(bytes, len), 0);
  assert_null(cb_fuzz_target("nonesuch"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(tiny_inputs),
    cmocka_unit_test(regress_server),
    cmocka_unit_test(regress_client),
    cmocka_unit_test(regress_suite),
    cmocka_unit_test(regress_results),
    cmocka_unit_test(regress_history),
    cmocka_unit_test(regress_resp),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
