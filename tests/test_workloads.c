/* test_workloads.c: cmocka tests for the workloads (sleep, cpu, chain), the hash chain (harness/compute.c), the registry (harness/registry.c) and the check of the calls a workload uses against its backend's. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend.h"
#include "registry.h"
#include "cb.h"
#include "plan.h"
#include "runcfg.h"
#include "testutil.h"
#include "clock.h"

/* ---- registry --------------------------------------------------------------------------- */

static void registry_workloads_well_formed(void **state) {
  (void)state;
  const cb_workload *const *all = cb_workloads();
  assert_non_null(all);
  size_t n = 0;
  for (; all[n]; n++) {
    const cb_workload *w = all[n];
    assert_non_null(w->name);
    assert_true(w->name[0] != '\0');
    assert_null(strchr(w->name, ','));   /* names go in -w lists and CSV columns */
    assert_non_null(w->summary);
    assert_non_null(w->task);
    /* Every workload has an ideal but file IO and Redis, whose speed is the disk's or another
     * server's: no physical lower bound known before the run. */
    if (strcmp(w->name, "file") != 0 && strcmp(w->name, "redis") != 0) assert_non_null(w->ideal);
    assert_true(w->kind == CB_KIND_IO || w->kind == CB_KIND_CPU || w->kind == CB_KIND_MIXED);
    assert_true(w->nparams <= CB_MAX_PARAMS);
    if (w->nparams) assert_non_null(w->params);
    for (size_t j = 0; j < n; j++)
      if (strcmp(all[j]->name, w->name) == 0) fail_msg("workload name '%s' registered twice", w->name);
    for (unsigned k = 0; k < w->nparams; k++) {
      const cb_param_spec *s = &w->params[k];
      assert_non_null(s->name);
      assert_true(s->name[0] != '\0');
      assert_null(strchr(s->name, '='));
      assert_null(strchr(s->name, ';'));
      assert_non_null(s->unit);
      assert_non_null(s->help);
      if (!(s->min <= s->def && s->def <= s->max))
        fail_msg("%s: %s default %g outside [%g, %g]", w->name, s->name, s->def, s->min, s->max);
      if (s->integer && s->def != floor(s->def))
        fail_msg("%s: integer parameter %s has default %g", w->name, s->name, s->def);
      for (unsigned j = 0; j < k; j++)
        if (strcmp(w->params[j].name, s->name) == 0) fail_msg("%s: parameter %s twice", w->name, s->name);
    }
  }
  assert_true(n >= 2);
}

static void registry_backends_well_formed(void **state) {
  (void)state;
  const cb_backend *const *all = cb_backends();
  assert_non_null(all);
  size_t n = 0;
  for (; all[n]; n++) {
    assert_non_null(all[n]->name);
    assert_true(all[n]->name[0] != '\0');
    assert_null(strchr(all[n]->name, ','));
    assert_non_null(all[n]->summary);
    assert_non_null(all[n]->run);
    for (size_t j = 0; j < n; j++)
      if (strcmp(all[j]->name, all[n]->name) == 0) fail_msg("backend name '%s' registered twice", all[n]->name);
  }
  assert_true(n >= 4);
}

static void registry_find(void **state) {
  (void)state;
  for (const cb_workload *const *w = cb_workloads(); *w; w++) assert_ptr_equal(cb_workload_find((*w)->name), *w);
  for (const cb_backend *const *b = cb_backends(); *b; b++) assert_ptr_equal(cb_backend_find((*b)->name), *b);
  /* The ones the rest of the tests and the documentation rely on. */
  static const char *const be[] = { "sync", "threads", "fork", "uv" };
  for (size_t i = 0; i < sizeof be / sizeof be[0]; i++) {
    const cb_backend *b = cb_backend_find(be[i]);
    if (!b) fail_msg("no backend %s", be[i]);
    assert_string_equal(b->name, be[i]);
  }
  static const char *const wl[] = { "sleep", "cpu" };
  for (size_t i = 0; i < sizeof wl / sizeof wl[0]; i++) {
    const cb_workload *w = cb_workload_find(wl[i]);
    if (!w) fail_msg("no workload %s", wl[i]);
    assert_string_equal(w->name, wl[i]);
  }
  /* Exact names only. */
  static const char *const unknown[] = { "nosuch", "", "syn", "sync ", "SYNC", "uvx", "sleep,cpu", "cp" };
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    assert_null(cb_backend_find(unknown[i]));
    assert_null(cb_workload_find(unknown[i]));
  }
  assert_null(cb_workload_find("sync"));   /* a backend is no workload, and the other way */
  assert_null(cb_backend_find("sleep"));
}

/* ---- the hash chain --------------------------------------------------------------------- */

/* splitmix64's finaliser, written out from its definition. */
static uint64_t ref_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* The documented chain: start from seed ^ 0x2545f4914f6cdd1d; each unit is CB_UNIT_ROUNDS
 * rounds of x ^= x >> 33; x *= 0xff51afd7ed558ccd; x += round-within-unit; finally mixed.
 * Written as one flat loop over every round, unlike the implementation's nested loops. */
static uint64_t ref_chain(uint64_t seed, uint64_t units) {
  uint64_t x = seed ^ UINT64_C(0x2545f4914f6cdd1d);
  uint64_t total = units * 1000u;
  for (uint64_t i = 0; i < total; i++) {
    x = (x ^ (x >> 33)) * UINT64_C(0xff51afd7ed558ccd);
    x += i % 1000u;
  }
  return ref_mix(x);
}

static void mix64_matches_reference(void **state) {
  (void)state;
  static const uint64_t xs[] = { 0, 1, 2, 0x9e3779b97f4a7c15ull, UINT64_MAX, 0x123456789abcdefull };
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) assert_true(cb_mix64(xs[i]) == ref_mix(xs[i]));
  /* Known value: splitmix64's first output from state 0 is mix(0x9e3779b97f4a7c15). */
  assert_true(ref_mix(UINT64_C(0x9e3779b97f4a7c15)) == UINT64_C(0xe220a8397b1dcdaf));
}

static void hash_chain_matches_reference(void **state) {
  (void)state;
  assert_int_equal(CB_UNIT_ROUNDS, 1000);
  static const uint64_t seeds[] = { 0, 1, 42, 0xdeadbeefull, UINT64_MAX };
  static const uint64_t units[] = { 0, 1, 2, 7, 100 };
  for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++)
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
      uint64_t got = cb_hash_chain(seeds[s], units[u]), want = ref_chain(seeds[s], units[u]);
      if (got != want)
        fail_msg("cb_hash_chain(%llu, %llu) = %016llx, reference %016llx", (unsigned long long)seeds[s],
                 (unsigned long long)units[u], (unsigned long long)got, (unsigned long long)want);
    }
}

static void hash_chain_zero_units(void **state) {
  (void)state;
  /* No rounds: just the mixed, offset seed. */
  assert_true(cb_hash_chain(0, 0) == ref_mix(UINT64_C(0x2545f4914f6cdd1d)));
  assert_true(cb_hash_chain(5, 0) == ref_mix(5 ^ UINT64_C(0x2545f4914f6cdd1d)));
  assert_true(cb_hash_chain(5, 0) == cb_hash_chain(5, 0));
}

static void hash_chain_deterministic_and_distinct(void **state) {
  (void)state;
  enum { NS = 16, NU = 4 };
  uint64_t h[NS][NU];
  static const uint64_t units[NU] = { 0, 1, 2, 10 };
  for (uint64_t s = 0; s < NS; s++)
    for (int u = 0; u < NU; u++) {
      h[s][u] = cb_hash_chain(s, units[u]);
      assert_true(h[s][u] == cb_hash_chain(s, units[u]));
    }
  /* Different seeds or unit counts: different hashes (64-bit collisions among 64 values
   * would be a defect, not bad luck). */
  for (int a = 0; a < NS * NU; a++)
    for (int b = a + 1; b < NS * NU; b++)
      if (h[a / NU][a % NU] == h[b / NU][b % NU])
        fail_msg("cb_hash_chain(%d, %llu) == cb_hash_chain(%d, %llu)", a / NU, (unsigned long long)units[a % NU],
                 b / NU, (unsigned long long)units[b % NU]);
}

/* ---- ideal times ------------------------------------------------------------------------ */

static void cpu_ideal(void **state) {
  (void)state;
  const cb_workload *w = cb_workload_find("cpu");
  assert_non_null(w);
  int k = cb_params_index(w, "work");
  assert_true(k >= 0);
  cb_params p;
  cb_params_defaults(w, &p);
  p.v[k] = 250;
  const cb_machine m = { .cores = 4, .unit_s = 2e-6 };
  static const uint64_t ns[] = { 1, 10, 1000 };
  static const uint32_t cs[] = { 1, 2, 3, 4, 5, 64 };
  for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
    for (size_t j = 0; j < sizeof cs / sizeof cs[0]; j++) {
      double par = cs[j] < m.cores ? cs[j] : m.cores;
      double want = (double)ns[i] * 250 * 2e-6 / par;
      double got = w->ideal(&p, ns[i], cs[j], &m);
      if (fabs(got - want) > 1e-12 * want)
        fail_msg("cpu ideal n=%llu c=%u: %g, want %g", (unsigned long long)ns[i], cs[j], got, want);
    }
  /* More cores than concurrency: the concurrency limits. One core: serial whatever c is. */
  const cb_machine one = { .cores = 1, .unit_s = 1e-3 };
  assert_true(fabs(w->ideal(&p, 8, 16, &one) - 8 * 250 * 1e-3) < 1e-9);
  p.v[k] = 0;
  assert_true(w->ideal(&p, 8, 2, &m) == 0);
}

static void sleep_ideal(void **state) {
  (void)state;
  const cb_workload *w = cb_workload_find("sleep");
  assert_non_null(w);
  int k = cb_params_index(w, "delay_ms");
  assert_true(k >= 0);
  cb_params p;
  cb_params_defaults(w, &p);
  p.v[k] = 20;
  const cb_machine m = { .cores = 2, .unit_s = 1e-6 };
  static const struct { uint64_t n; uint32_t c; } cases[] = {
    { 1, 1 }, { 7, 1 }, { 7, 5 }, { 10, 5 }, { 11, 5 }, { 1, 100 }, { 100, 100 }, { 101, 100 }, { 1000, 3 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double rounds = ceil((double)cases[i].n / (double)cases[i].c);
    double want = rounds * 20 / 1000.0;
    double got = w->ideal(&p, cases[i].n, cases[i].c, &m);
    if (fabs(got - want) > 1e-12)
      fail_msg("sleep ideal n=%llu c=%u: %g, want %g", (unsigned long long)cases[i].n, cases[i].c, got, want);
  }
  /* Cores do not matter for waiting. */
  const cb_machine big = { .cores = 64, .unit_s = 1 };
  assert_true(w->ideal(&p, 10, 5, &big) == w->ideal(&p, 10, 5, &m));
  assert_true(w->ideal(&p, 0, 5, &m) == 0);
}

/* ---- tasks through a recording io table ------------------------------------------------- */

typedef struct recorder {
  unsigned sleeps, computes;
  uint64_t last_sleep_ms;
  uint64_t sleep_ms[16];   /* the first sixteen sleeps asked, in order */
  uint64_t last_seed, last_units;
  int sleep_rc;            /* what the fake sleep returns */
} recorder;

static int rec_sleep(cb_ctx *ctx, uint64_t ms) {
  recorder *r = ctx->impl;
  if (r->sleeps < 16) r->sleep_ms[r->sleeps] = ms;
  r->sleeps++;
  r->last_sleep_ms = ms;
  return r->sleep_rc;
}

static uint64_t rec_compute(cb_ctx *ctx, uint64_t seed, uint64_t units) {
  recorder *r = ctx->impl;
  r->computes++;
  r->last_seed = seed;
  r->last_units = units;
  return cb_hash_chain(seed, units);
}

static const cb_io recording_io = { .name = "recording", .sleep = rec_sleep, .compute = rec_compute };

typedef struct fixture {
  recorder rec;
  cb_ctx ctx;
} fixture;

static int fx_setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!f) return -1;
  f->ctx.io = &recording_io;
  f->ctx.impl = &f->rec;
  f->ctx.worker = 0;
  *state = f;
  return 0;
}

static int fx_teardown(void **state) {
  free(*state);
  return 0;
}

/* Run task `index` of w with p, setting up and tearing down its state if it has any. */
static int run_task(fixture *f, const cb_workload *w, const cb_params *p, uint64_t ntasks, uint64_t index, uint64_t *sum) {
  void *st = NULL;
  cb_setup su = { .p = p, .ntasks = ntasks, .workers = 1 };
  if (w->setup) assert_int_equal(w->setup(&su, &st), 0);
  int rc = w->task(&f->ctx, p, st, index, sum);
  if (w->teardown) w->teardown(st);
  return rc;
}

static void sleep_task_asks_for_delay(void **state) {
  fixture *f = *state;
  const cb_workload *w = cb_workload_find("sleep");
  assert_non_null(w);
  int k = cb_params_index(w, "delay_ms");
  cb_params p;
  cb_params_defaults(w, &p);
  static const double delays[] = { 0, 1, 37, 1000 };
  for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++) {
    p.v[k] = delays[i];
    memset(&f->rec, 0, sizeof f->rec);
    uint64_t sum = 0;
    assert_int_equal(run_task(f, w, &p, 10, 3, &sum), 0);
    assert_int_equal(f->rec.sleeps, 1);
    assert_true(f->rec.last_sleep_ms == (uint64_t)delays[i]);
    assert_int_equal(f->rec.computes, 0);
  }
}

static void sleep_task_passes_errors_on(void **state) {
  fixture *f = *state;
  const cb_workload *w = cb_workload_find("sleep");
  cb_params p;
  cb_params_defaults(w, &p);
  f->rec.sleep_rc = -EIO;
  uint64_t sum;
  assert_int_equal(run_task(f, w, &p, 1, 0, &sum), -EIO);
  assert_int_equal(f->rec.sleeps, 1);
}

static void cpu_task_sum_is_hash_chain(void **state) {
  fixture *f = *state;
  const cb_workload *w = cb_workload_find("cpu");
  assert_non_null(w);
  int k = cb_params_index(w, "work");
  cb_params p;
  cb_params_defaults(w, &p);
  static const double works[] = { 0, 1, 25 };
  static const uint64_t idx[] = { 0, 1, 99, 123456789 };
  for (size_t i = 0; i < sizeof works / sizeof works[0]; i++)
    for (size_t j = 0; j < sizeof idx / sizeof idx[0]; j++) {
      p.v[k] = works[i];
      memset(&f->rec, 0, sizeof f->rec);
      uint64_t sum = 0;
      assert_int_equal(run_task(f, w, &p, idx[j] + 1, idx[j], &sum), 0);
      assert_true(sum == ref_chain(idx[j], (uint64_t)works[i]));
      assert_int_equal(f->rec.computes, 1);
      assert_true(f->rec.last_seed == idx[j]);
      assert_true(f->rec.last_units == (uint64_t)works[i]);
      assert_int_equal(f->rec.sleeps, 0);
    }
}

/* Every workload, default parameters: the same index gives the same contribution every time. */
static void contributions_repeat(void **state) {
  fixture *f = *state;
  for (const cb_workload *const *w = cb_workloads(); *w; w++) {
    /* Only the workloads whose tasks need nothing but the recording io table (sleep, cpu): the
     * others need a server, files or shared state, and are covered in test_io and test_crawl. */
    if ((*w)->setup) continue;
    cb_params p;
    cb_params_defaults(*w, &p);
    /* Keep the test quick: cap CPU-heavy defaults. */
    int k = cb_params_index(*w, "work");
    if (k >= 0 && p.v[k] > 50) p.v[k] = 50;
    for (uint64_t i = 0; i < 4; i++) {
      uint64_t a = 0, b = ~(uint64_t)0;
      assert_int_equal(run_task(f, *w, &p, 4, i, &a), 0);
      assert_int_equal(run_task(f, *w, &p, 4, i, &b), 0);
      if (a != b) fail_msg("%s: task %llu gave %016llx, then %016llx", (*w)->name, (unsigned long long)i,
                           (unsigned long long)a, (unsigned long long)b);
    }
  }
}

/* ---- chain: dependent waits ------------------------------------------------------------- */

/* The reference generator: chain(n) starts from mix64(n ^ "chain.py"); each step waits
 * mix64(previous) % (max_ms + 1) and derives its result from the previous one and the wait. */
static uint64_t ref_chain_waits(uint64_t index, unsigned steps, uint64_t max_ms, uint64_t *waits) {
  uint64_t r = cb_mix64(index ^ 0x636861696e2e7079ull), total = 0;
  for (unsigned k = 0; k < steps; k++) {
    uint64_t w = max_ms ? cb_mix64(r) % (max_ms + 1) : 0;
    if (waits) waits[k] = w;
    total += w;
    r = cb_mix64(r ^ (uint64_t)(k + 1) * 0x9e3779b97f4a7c15ull ^ w << 17);
  }
  return total;
}

static void chain_params_of(cb_params *p, unsigned steps, double max_ms) {
  const cb_workload *w = cb_workload_find("chain");
  cb_params_defaults(w, p);
  p->v[cb_params_index(w, "steps")] = steps;
  p->v[cb_params_index(w, "max_ms")] = max_ms;
}

/* Each wait is drawn from the previous step's result: the waits are the reference generator's,
 * a longer chain starts with the shorter one's waits, and tasks' chains differ. */
static void chain_waits_follow_previous_step(void **state) {
  fixture *f = *state;
  const cb_workload *w = cb_workload_find("chain");
  assert_non_null(w);
  assert_int_equal(w->kind, CB_KIND_IO);
  cb_params p;
  uint64_t want[16], first[16], sum3, sum5;
  for (uint64_t i = 0; i < 8; i++) {
    chain_params_of(&p, 5, 1000);
    memset(&f->rec, 0, sizeof f->rec);
    assert_int_equal(run_task(f, w, &p, 8, i, &sum5), 0);
    assert_int_equal(f->rec.sleeps, 5);
    ref_chain_waits(i, 5, 1000, want);
    for (int k = 0; k < 5; k++) assert_true(f->rec.sleep_ms[k] == want[k] && want[k] <= 1000);
    if (i == 0) memcpy(first, want, sizeof first);
    else assert_memory_not_equal(first, want, 5 * sizeof want[0]);
    chain_params_of(&p, 3, 1000);
    memset(&f->rec, 0, sizeof f->rec);
    assert_int_equal(run_task(f, w, &p, 8, i, &sum3), 0);
    assert_int_equal(f->rec.sleeps, 3);
    for (int k = 0; k < 3; k++) assert_true(f->rec.sleep_ms[k] == want[k]);
    assert_true(sum3 != sum5);          /* the checksum covers every step */
  }
  /* A failed wait ends the chain with its error. */
  f->rec.sleep_rc = -EIO;
  assert_int_equal(run_task(f, w, &p, 1, 0, &sum3), -EIO);
}

/* The ideal is the largest of three lower bounds, computed here the slow way. */
static void chain_ideal_bounds(void **state) {
  const cb_workload *w = cb_workload_find("chain");
  const cb_machine m = { .cores = 2, .unit_s = 1e-6 };
  cb_params p;
  chain_params_of(&p, 3, 50);
  static const uint64_t ns[] = { 1, 5, 40, 333 };
  static const uint32_t cs[] = { 1, 3, 10, 1000 };
  for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
    for (size_t b = 0; b < sizeof cs / sizeof cs[0]; b++) {
      uint64_t n = ns[a], t[400], longest = 0, total = 0, rounds_ms = 0;
      for (uint64_t i = 0; i < n; i++) {
        t[i] = ref_chain_waits(i, 3, 50, NULL);
        if (t[i] > longest) longest = t[i];
        total += t[i];
      }
      /* the ceil(n / C) shortest, by selection */
      uint64_t rounds = (n + cs[b] - 1) / cs[b];
      for (uint64_t r = 0; r < rounds; r++) {
        uint64_t k = r;
        for (uint64_t j = r + 1; j < n; j++) if (t[j] < t[k]) k = j;
        uint64_t x = t[r]; t[r] = t[k]; t[k] = x;
        rounds_ms += t[r];
      }
      double want = (double)longest;
      if ((double)total / cs[b] > want) want = (double)total / cs[b];
      if ((double)rounds_ms > want) want = (double)rounds_ms;
      assert_true(fabs(w->ideal(&p, n, cs[b], &m) - want / 1000.0) < 1e-12);
      if (cs[b] == 1) assert_true(fabs(w->ideal(&p, n, 1, &m) - (double)total / 1000.0) < 1e-12);
    }
  chain_params_of(&p, 3, 0);
  assert_true(w->ideal(&p, 100, 10, &m) == 0);
}

/* Every backend computes the same checksum, the one the tasks give one by one, in no less time
 * than the ideal. */
static void chain_same_checksum_every_backend(void **state) {
  fixture *f = *state;
  const cb_workload *w = cb_workload_find("chain");
  const cb_machine m = { .cores = 2, .unit_s = 1e-6 };
  cb_params p;
  chain_params_of(&p, 4, 6);
  uint64_t want = 0;
  for (uint64_t i = 0; i < 30; i++) {
    uint64_t s = 0;
    assert_int_equal(run_task(f, w, &p, 30, i, &s), 0);
    want += s;
  }
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    if (tu_backend_skip(*b)) continue;
    cb_job job;
    cb_job_summary sum;
    uint32_t conc = ((*b)->flags & CB_BACKEND_SERIAL) ? 1 : 7;
    assert_int_equal(cb_job_init(&job, w, &p, 30, conc, 0), 0);
    int64_t t0 = cb_now_ns();
    job.t0_ns = t0;
    int rc = (*b)->run(&job);
    double wall = (double)(cb_now_ns() - t0) / 1e9;
    if (rc) fail_msg("%s: %s", (*b)->name, job.err);
    cb_job_summarize(&job, &sum);
    assert_int_equal(sum.done, 30);
    if (sum.checksum != want) fail_msg("chain on %s: checksum %016llx, want %016llx", (*b)->name,
                                       (unsigned long long)sum.checksum, (unsigned long long)want);
    double ideal = w->ideal(&p, 30, conc, &m);
    if (wall < ideal) fail_msg("chain on %s took %.4f s, below its ideal %.4f s", (*b)->name, wall, ideal);
    cb_job_free(&job);
  }
}

/* ---- calls a workload uses, against the calls a backend has ---------------------------------- */

/* A backend with the blocking calls but no files, and one whose io has no timers. */
static cb_io no_files_io, no_time_io;
static const cb_machine calls_machine = { .cores = 2, .unit_s = 1e-6 };
static int never_run(cb_job *job) { return -ENOSYS; }
static cb_backend no_files = { .name = "nofiles", .io = &no_files_io, .run = never_run };
static cb_backend no_time = { .name = "notime", .io = &no_time_io, .run = never_run };

static void calls_checked_before_anything_runs(void **state) {
  no_files_io = cb_io_blocking;
  no_files_io.file_fsync = NULL;
  no_time_io = cb_io_blocking;
  no_time_io.sleep_until = NULL;
  cb_run_cfg cfg;
  cb_plan plan;
  char err[512];
  cb_cfg_defaults(&cfg);
  cfg.be[0] = cb_backend_find("sync");
  cfg.be[1] = &no_files;
  cfg.nbe = 2;
  cfg.wl[0] = cb_workload_find("sleep");
  cfg.wl[1] = cb_workload_find("file");
  cfg.nwl = 2;
  /* One line naming the backend, the workload, the group and the missing member. */
  assert_int_equal(cb_cfg_check(&cfg, err, sizeof err), -1);
  assert_null(strchr(err, '\n'));
  tu_expect_in(err, "backend nofiles cannot run workload file");
  tu_expect_in(err, "file calls");
  tu_expect_in(err, "file_fsync");
  assert_int_equal(cb_plan_build(&cfg, &calls_machine, &plan), -ENOTSUP);
  /* Without the workload that needs files, the same backend is fine. */
  cfg.nwl = 1;
  assert_int_equal(cb_cfg_check(&cfg, err, sizeof err), 0);
  assert_int_equal(cb_plan_build(&cfg, &calls_machine, &plan), 0);
  cb_plan_free(&plan);
  /* The timers: cpu uses none, but an open loop starts every task with sleep_until. */
  cfg.be[1] = &no_time;
  cfg.wl[0] = cb_workload_find("cpu");
  assert_int_equal(cb_cfg_check(&cfg, err, sizeof err), 0);
  cfg.rate = 100;
  cfg.duration = 1;
  assert_int_equal(cb_cfg_check(&cfg, err, sizeof err), -1);
  tu_expect_in(err, "open loop");
  tu_expect_in(err, "sleep_until");
}

/* Every table in the registry says what it uses, and every backend has every call. */
static void registry_declares_calls(void **state) {
  for (const cb_workload *const *w = cb_workloads(); *w; w++) {
    assert_true((*w)->uses != 0);
    assert_true(((*w)->uses & ~((1u << CB_USES_NGROUPS) - 1)) == 0);
  }
  for (const cb_backend *const *b = cb_backends(); *b; b++) {
    const char *member = NULL;
    assert_non_null((*b)->io);
    assert_int_equal(cb_io_lacks((*b)->io, (1u << CB_USES_NGROUPS) - 1, &member), 0);
  }
  cb_io none = { .name = "none" };
  const char *member = NULL;
  assert_int_equal(cb_io_lacks(&none, CB_USES_QUEUE | CB_USES_SET, &member), CB_USES_QUEUE);
  assert_string_equal(member, "queue_put");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(registry_workloads_well_formed),
    cmocka_unit_test(registry_backends_well_formed),
    cmocka_unit_test(registry_find),
    cmocka_unit_test(calls_checked_before_anything_runs),
    cmocka_unit_test(registry_declares_calls),
    cmocka_unit_test(mix64_matches_reference),
    cmocka_unit_test(hash_chain_matches_reference),
    cmocka_unit_test(hash_chain_zero_units),
    cmocka_unit_test(hash_chain_deterministic_and_distinct),
    cmocka_unit_test(cpu_ideal),
    cmocka_unit_test(sleep_ideal),
    cmocka_unit_test_setup_teardown(sleep_task_asks_for_delay, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(sleep_task_passes_errors_on, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(cpu_task_sum_is_hash_chain, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(contributions_repeat, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown(chain_waits_follow_previous_step, fx_setup, fx_teardown),
    cmocka_unit_test(chain_ideal_bounds),
    cmocka_unit_test_setup_teardown(chain_same_checksum_every_backend, fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
