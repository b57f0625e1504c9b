/* test_history.c: cmocka tests of the history store: a round trip of runs through SQLite, the
 * series read back, change points found through it, files that are not a history refused and left
 * untouched, and a second writer waiting on the first (SQLite's busy timeout). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "hchanges.h"
#include "history.h"
#include "resread.h"
#include "util.h"

static char tmpdir[] = "/tmp/cbhist.XXXXXX";

static void fixture(cb_results *r) {
  char err[1024];
  assert_int_equal(cb_results_read(CB_SOURCE_DIR "/tests/fixtures/results.json", r, err, sizeof err), 0);
}

static size_t measured(const cb_results *r) {
  size_t n = 0;
  for (size_t i = 0; i < r->n; i++) n += r->cases[i].reps > 0 && isfinite(r->cases[i].wall_median);
  return n;
}

/* Runs in, runs out: labels in order, one series per measured case, the medians as they were. */
static void round_trip(void **state) {
  char path[128], err[1024];
  cb_history h;
  cb_results r;
  cb_hdata d;
  snprintf(path, sizeof path, "%s/rt/h.db", tmpdir);
  fixture(&r);
  assert_int_equal(cb_history_open(&h, path, 1, err, sizeof err), 0);
  int64_t id1, id2;
  assert_int_equal(cb_history_add(&h, &r, "first", NULL, &id1, err, sizeof err), 0);
  assert_int_equal(cb_history_add(&h, &r, NULL, NULL, &id2, err, sizeof err), 0);
  assert_true(id2 > id1);
  assert_int_equal(cb_history_add(&h, &r, "", NULL, NULL, err, sizeof err), -EINVAL);
  cb_history_close(&h);
  /* Read back through a new connection: WAL mode, the schema version and application id set. */
  assert_int_equal(cb_history_open(&h, path, 0, err, sizeof err), 0);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(h.db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
  sqlite3_finalize(st);
  assert_int_equal(sqlite3_prepare_v2(h.db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(st, 0), CB_HISTORY_SCHEMA);
  sqlite3_finalize(st);
  assert_int_equal(cb_history_load(&h, &d, err, sizeof err), 0);
  cb_history_close(&h);
  assert_int_equal(d.nruns, 2);
  assert_string_equal(d.runs[0].label, "first");
  assert_string_equal(d.runs[1].label, r.git_revision);   /* the default label */
  assert_int_equal(d.nenvs, 1);
  assert_int_equal(d.envs[0].cores, r.cores);
  assert_int_equal(d.nseries, measured(&r));
  for (size_t i = 0; i < d.nseries; i++) {
    assert_int_equal(d.series[i].n, 2);
    const cb_hseries *s = &d.series[i];
    int found = 0;
    for (size_t k = 0; k < r.n && !found; k++) {
      const cb_rcase *c = &r.cases[k];
      if (strcmp(c->workload, s->workload) || strcmp(c->backend, s->backend) || c->wall_median != s->pts[0].median) continue;
      found = 1;
      assert_int_equal(s->pts[0].reps, c->reps);
    }
    assert_true(found);
  }
  cb_hdata_free(&d);
  cb_results_free(&r);
}

/* A history of 16 runs, made from the fixture with every sleep case 20% slower from the ninth on:
 * the change is found at the ninth run on every sleep case and on no other. */
static void changes_through_store(void **state) {
  char err[1024];
  cb_history h;
  cb_results r;
  cb_hdata d;
  fixture(&r);
  double *base = calloc(r.n, sizeof *base);
  assert_non_null(base);
  for (size_t i = 0; i < r.n; i++) base[i] = r.cases[i].wall_median;
  assert_int_equal(cb_history_open(&h, ":memory:", 1, err, sizeof err), 0);
  for (int run = 1; run <= 16; run++) {
    char label[16];
    for (size_t i = 0; i < r.n; i++) {
      /* 1% of noise, the same for every case of a run, alternating: no step in it. */
      double f = 1 + 0.01 * ((run * 7 + (int)i) % 5 - 2) / 2;
      r.cases[i].wall_median = base[i] * f * (run > 8 && strcmp(r.cases[i].workload, "sleep") == 0 ? 1.2 : 1);
    }
    snprintf(label, sizeof label, "r%d", run);
    assert_int_equal(cb_history_add(&h, &r, label, NULL, NULL, err, sizeof err), 0);
  }
  assert_int_equal(cb_history_load(&h, &d, err, sizeof err), 0);
  cb_history_close(&h);
  cb_cp_cfg cfg;
  cb_cp_defaults(&cfg);
  cb_hchange *ch;
  size_t n, sleeps = 0;
  assert_int_equal(cb_hchanges_find(&d, &cfg, &ch, &n), 0);
  for (size_t i = 0; i < d.nseries; i++) sleeps += strcmp(d.series[i].workload, "sleep") == 0;
  assert_true(sleeps > 0);
  assert_int_equal(n, sleeps);
  for (size_t k = 0; k < n; k++) {
    const cb_hseries *s = &d.series[ch[k].series];
    assert_string_equal(s->workload, "sleep");
    assert_string_equal(d.runs[s->pts[ch[k].cp.index].run].label, "r9");
    assert_true(fabs(ch[k].cp.ratio - 1.2) < 0.02);
  }
  /* The report's exit status: 1 for a slowdown past 5%, none past 25%, 2 for an unknown label. */
  cb_hchanges_cfg hc = { .cp = cfg, .threshold = 0.05, .format = CB_HFMT_JSON };
  assert_int_equal(cb_hchanges_report(&d, &hc), 1);
  hc.threshold = 0.25;
  assert_int_equal(cb_hchanges_report(&d, &hc), 0);
  hc.threshold = 0.05;
  hc.since = "r10";
  assert_int_equal(cb_hchanges_report(&d, &hc), 0);
  hc.since = "r9";
  assert_int_equal(cb_hchanges_report(&d, &hc), 1);
  hc.since = "nope";
  assert_int_equal(cb_hchanges_report(&d, &hc), 2);
  free(ch);
  free(base);
  cb_hdata_free(&d);
  cb_results_free(&r);
}

static void write_bytes(const char *path, const char *data, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, n, f), n);
  fclose(f);
}

static int same_bytes(const char *path, const char *data, size_t n) {
  size_t len;
  char *got = cb_read_file(path, &len);
  int same = got && len == n && memcmp(got, data, n) == 0;
  free(got);
  return same;
}

/* Files that are not a history: refused (-EINVAL), byte for byte as they were, no -wal beside. */
static void refusals(void **state) {
  char path[128], side[160], err[1024];
  cb_history h;
  static char junk[4096];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 131 + 7);
  snprintf(path, sizeof path, "%s/junk.db", tmpdir);
  write_bytes(path, junk, sizeof junk);
  assert_int_equal(cb_history_open(&h, path, 1, err, sizeof err), -EINVAL);
  assert_non_null(strstr(err, "not a concbench history"));
  assert_true(same_bytes(path, junk, sizeof junk));
  /* An SQLite header over garbage: a damaged database. */
  memcpy(junk, "SQLite format 3", 16);
  write_bytes(path, junk, sizeof junk);
  assert_int_equal(cb_history_open(&h, path, 1, err, sizeof err), -EINVAL);
  assert_true(same_bytes(path, junk, sizeof junk));
  snprintf(side, sizeof side, "%s-wal", path);
  assert_int_not_equal(access(side, F_OK), 0);
  /* Another application's database. */
  sqlite3 *db;
  snprintf(path, sizeof path, "%s/other.db", tmpdir);
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE runs (x); INSERT INTO runs VALUES (1);", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  size_t len;
  char *before = cb_read_file(path, &len);
  assert_non_null(before);
  assert_int_equal(cb_history_open(&h, path, 1, err, sizeof err), -EINVAL);
  assert_true(same_bytes(path, before, len));
  free(before);
  /* A later schema. */
  snprintf(path, sizeof path, "%s/later.db", tmpdir);
  assert_int_equal(cb_history_open(&h, path, 1, err, sizeof err), 0);
  assert_int_equal(sqlite3_exec(h.db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
  cb_history_close(&h);
  assert_int_equal(cb_history_open(&h, path, 0, err, sizeof err), -EPROTO);
  /* Absent: made only when asked to. */
  snprintf(path, sizeof path, "%s/absent.db", tmpdir);
  assert_int_equal(cb_history_open(&h, path, 0, err, sizeof err), -ENOENT);
  assert_int_not_equal(access(path, F_OK), 0);
}

typedef struct writer {
  const char *path;
  int rc;
  double waited;
} writer;

static void *add_one(void *arg) {
  writer *w = arg;
  char err[1024];
  cb_history h;
  cb_results r;
  fixture(&r);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  w->rc = cb_history_open(&h, w->path, 1, err, sizeof err);
  if (w->rc == 0) w->rc = cb_history_add(&h, &r, "second", NULL, NULL, err, sizeof err);
  clock_gettime(CLOCK_MONOTONIC, &b);
  w->waited = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  if (w->rc) print_message("writer: %s\n", err);
  cb_history_close(&h);
  cb_results_free(&r);
  return NULL;
}

/* A writer that finds another one's transaction open waits for it (the busy timeout) and then
 * adds its run: both runs are there, in the order they committed. */
static void concurrent_writer(void **state) {
  char path[128], err[1024];
  cb_history h;
  cb_results r;
  cb_hdata d;
  snprintf(path, sizeof path, "%s/busy.db", tmpdir);
  fixture(&r);
  assert_int_equal(cb_history_open(&h, path, 1, err, sizeof err), 0);
  assert_int_equal(sqlite3_exec(h.db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
  writer w = { .path = path };
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, add_one, &w), 0);
  usleep(300000);
  /* Still in our transaction: the other writer is waiting, not failing. */
  assert_int_equal(sqlite3_exec(h.db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(cb_history_add(&h, &r, "third", NULL, NULL, err, sizeof err), 0);
  pthread_join(t, NULL);
  assert_int_equal(w.rc, 0);
  assert_true(w.waited >= 0.25);
  assert_int_equal(cb_history_load(&h, &d, err, sizeof err), 0);
  assert_int_equal(d.nruns, 2);
  cb_hdata_free(&d);
  cb_history_close(&h);
  cb_results_free(&r);
}

static void labels(void **state) {
  assert_true(cb_history_label_match("r9", "r9"));
  assert_false(cb_history_label_match("r9", "r90"));
  assert_true(cb_history_label_match("6c07fd6f8b0d", "6c07fd6f8b0d2a4e9c1b0e7f3a2d1c0b9a8f7e6d"));
  assert_true(cb_history_label_match("6c07fd6f8b0d-dirty", "6c07fd6f8b0d2a4e"));
  assert_false(cb_history_label_match("6c07fd6f8b0d", "6c07fd7"));
  assert_false(cb_history_label_match("6c07fd", "6c07fd6f8b0d"));   /* too short to be a revision */
  assert_int_equal(cb_history_label_ok("a\nb"), -1);
  assert_int_equal(cb_history_label_ok("v1.2 (rc)"), 0);
}

static int setup(void **state) { return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { return cb_rmtree(tmpdir); }

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(labels),
    cmocka_unit_test(round_trip),
    cmocka_unit_test(changes_through_store),
    cmocka_unit_test(refusals),
    cmocka_unit_test(concurrent_writer),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
