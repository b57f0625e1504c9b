/* test_loadserver.c: cmocka tests for the server workload under the load process: every backend
 * serves keep-alive connections with the same answers, and a case leaves no descriptor, no child
 * process and no listening socket behind. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry.h"
#include "runner.h"

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  if (!d) return -1;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

static void server_case(cb_case *c, const char *be, uint32_t conc, double conns, double rate, double dur) {
  memset(c, 0, sizeof *c);
  c->wl = cb_workload_find("server");
  c->be = cb_backend_find(be);
  assert_non_null(c->wl);
  assert_non_null(c->be);
  cb_params_defaults(c->wl, &c->params);
  c->params.v[cb_params_index(c->wl, "connections")] = conns;
  c->conc = conc;
  c->eff_conc = (c->be->flags & CB_BACKEND_SERIAL) ? 1 : conc;
  c->tasks = c->wl->load->connections(&c->params, conc);
  c->rate = rate;
  c->duration = dur;
  cb_params_format(c->wl, &c->params, c->params_str, sizeof c->params_str);
}

/* Every backend answers every request of a keep-alive load right and in time; the answers'
 * checksum is the same on all; nothing is left open or running afterwards. */
static void every_backend_serves(void **state) {
  (void)state;
  static const char *const bes[] = { "sync", "threads", "fork", "uv", "uv-offload" };
  cb_measure_env env = { 0 };
  uint64_t sum = 0;
  int fds0 = count_fds();
  for (size_t i = 0; i < sizeof bes / sizeof bes[0]; i++) {
    cb_case c;
    cb_sample s;
    /* sync serves one connection at a time: one connection, so none waits behind another. */
    int serial = strcmp(bes[i], "sync") == 0;
    server_case(&c, bes[i], serial ? 1 : 8, serial ? 1 : 8, 400, 0.5);
    assert_int_equal(cb_runner_measure(&c, &env, &s), 0);
    assert_int_equal(s.status, 0);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.done, 200);
    assert_true(s.rate_achieved > 300);
    assert_true(s.p99_ms > 0);
    assert_non_null(c.lat);
    assert_int_equal(c.lat->count, 200);
    if (i == 0) sum = s.checksum;
    assert_int_equal(s.checksum, sum);
    cb_case_free_hists(&c);
    assert_int_equal(count_fds(), fds0);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);   /* no child left, the load's included */
  }
}

/* An iterative server with more connections than it serves at once: the requests behind the
 * first connection time out at their deadline and are counted; the case ends (no hang). */
static void sync_times_out_counted(void **state) {
  (void)state;
  cb_measure_env env = { 0 };
  cb_case c;
  cb_sample s;
  server_case(&c, "sync", 4, 4, 200, 0.5);
  c.params.v[cb_params_index(c.wl, "timeout_ms")] = 200;
  assert_int_equal(cb_runner_measure(&c, &env, &s), 0);
  assert_int_equal(s.errors + s.done, 100);
  assert_true(s.errors >= 50);
  assert_true(s.p99_ms >= 150);
  cb_case_free_hists(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(every_backend_serves),
    cmocka_unit_test(sync_times_out_counted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
