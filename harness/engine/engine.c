/* engine.c: the run engine: limits checked, directories made, repetitions measured in rounds, the
 * target server started and replaced, rows computed and results written after every round. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine.h"
#include "capacity.h"
#include "env.h"
#include "clock.h"
#include "results.h"
#include "runner.h"
#include "stats.h"
#include "util.h"

static int fail(cb_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(cb_engine *e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->err, sizeof e->err, fmt, ap);
  va_end(ap);
  return -1;
}

/* Where the run's temporary directory goes: $TMPDIR, else /tmp. */
static const char *tmp_base(void) {
  const char *base = getenv("TMPDIR");
  return base && *base ? base : "/tmp";
}

/* What the machine cannot give, refused before anything runs or is written. */
static int check_plan(cb_engine *e) {
  cb_plan *plan = e->plan;
  cb_capacity_raise_nofile();
  for (size_t i = 0; i < plan->n; i++) {
    const cb_case *c = &plan->cases[i], *same = NULL;
    for (size_t j = 0; j < i && !same; j++)
      if (plan->cases[j].be == c->be && plan->cases[j].eff_conc == c->eff_conc) same = &plan->cases[j];
    if (same) {
      /* The same backend at the same concurrency: the same verdict. */
      memcpy(plan->cases[i].skipped, same->skipped, sizeof plan->cases[i].skipped);
    } else if (cb_capacity_check(c, e->err, sizeof e->err) != 0) {
      if (!e->o.skip_impossible) return -1;
      /* A suite goes on without what this machine cannot give; the row says why. */
      snprintf(plan->cases[i].skipped, sizeof plan->cases[i].skipped, "%.*s", (int)sizeof plan->cases[i].skipped - 1, e->err);
      e->err[0] = '\0';
    }
    /* The disk, per case: the room it needs follows its parameters, not only its backend. */
    if (!plan->cases[i].skipped[0] && cb_capacity_disk(c, tmp_base(), e->err, sizeof e->err) != 0) {
      if (!e->o.skip_impossible) return -1;
      snprintf(plan->cases[i].skipped, sizeof plan->cases[i].skipped, "%.*s", (int)sizeof plan->cases[i].skipped - 1, e->err);
      e->err[0] = '\0';
    }
    /* Producers and consumers must all be in flight at once, or they wait on each other forever. */
    if ((c->wl->flags & CB_WL_ALL_AT_ONCE) && !(c->be->flags & CB_BACKEND_SERIAL) && c->eff_conc < c->tasks)
      return fail(e, "%s runs %llu tasks that must all be in flight at once, but -c is %u on %s; "
                  "give -c %llu or more, or fewer tasks (concbench list)", c->wl->name,
                  (unsigned long long)c->tasks, c->conc, c->be->name, (unsigned long long)c->tasks);
  }
  return 0;
}

/* The results directory: created, found writable (before anything is measured, with advice that
 * tells a read-only file system, a permission and a full disk apart), locked for the whole run
 * (the caller's plots and report included: cb_engine_free lets go), and not one that holds
 * another run's results unless asked. 0, or -1 with e->err. */
static int take_outdir(cb_engine *e) {
  long holder = 0;
  int rc;
  if ((rc = cb_mkdirs(e->outdir)) != 0)
    return fail(e, "cannot create the results directory %s: %s; %s", e->outdir, strerror(-rc), cb_write_advice(-rc));
  if ((rc = cb_probe_writable(e->outdir)) != 0)
    return fail(e, "cannot write in the results directory %s: %s; %s", e->outdir, strerror(-rc), cb_write_advice(-rc));
  if ((e->lockfd = cb_dir_lock(e->outdir, &holder)) == -EWOULDBLOCK) {
    e->lockfd = -1;
    if (holder > 0)
      return fail(e, "%s is in use by another concbench (PID %ld); wait for it to end, or choose another -o", e->outdir, holder);
    return fail(e, "%s is in use by another concbench; wait for it to end, or choose another -o", e->outdir);
  }
  if (e->lockfd < 0) {
    rc = e->lockfd;
    e->lockfd = -1;
    return fail(e, "cannot lock the results directory %s: %s; %s", e->outdir, strerror(-rc), cb_write_advice(-rc));
  }
  if (!e->o.replace && cb_results_exist(e->outdir))
    return fail(e, "%s already holds results (results.json or results.csv); choose another -o, or pass --replace to replace them",
                e->outdir);
  return 0;
}

/* The results directory, DIR/output when a workload writes there, and one private temporary
 * directory for the run. The temporary directory is removed by cb_engine_free when the run ends;
 * a runner killed with SIGKILL cannot, so a watcher process (cb_guard_start) removes it once
 * the runner and its measurement processes are gone, and each run sweeps what a killed one's
 * watcher could not (its name carries the owner's PID). */
static int make_dirs(cb_engine *e) {
  int rc, output = 0, tmp = 0;
  if (e->o.outdir) snprintf(e->outdir, sizeof e->outdir, "%s", e->o.outdir);
  else cb_results_dirname("", e->outdir, sizeof e->outdir);
  if (take_outdir(e) != 0) return -1;
  for (size_t i = 0; i < e->plan->n; i++) {
    output |= (e->plan->cases[i].wl->flags & CB_WL_OUTPUT) != 0;
    tmp |= (e->plan->cases[i].wl->flags & CB_WL_TMPDIR) != 0;
  }
  if (output) {
    char odir[PATH_MAX + 8];
    snprintf(odir, sizeof odir, "%s/output", e->outdir);
    if ((rc = cb_mkdirs(odir)) != 0) return fail(e, "cannot create %s: %s", odir, strerror(-rc));
  }
  if (tmp) {
    const char *base = tmp_base();
    cb_sweep_orphans(base, "concbench-");
    snprintf(e->tmpdir, sizeof e->tmpdir, "%s/concbench-%d-XXXXXX", base, (int)getpid());
    if (!mkdtemp(e->tmpdir)) {
      e->tmpdir[0] = '\0';
      return fail(e, "cannot create a temporary directory in %s: %s; set TMPDIR to a writable directory", base,
                  strerror(errno));
    }
    if ((rc = cb_guard_start(&e->tmpguard, e->tmpdir)) != 0)
      return fail(e, "cannot start the process that removes %s after the run: %s", e->tmpdir, strerror(-rc));
  }
  return 0;
}

/* Does case c need a Redis? */
static int needs_redis(const cb_case *c) {
  return (c->wl->flags & CB_WL_REDIS) && (!c->wl->redis_needed || c->wl->redis_needed(&c->params));
}

/* The Redis and the target the options name: an external Redis must answer before anything runs
 * (else a usage error), and the run's keys get a prefix of their own. 0, or -1 with e->err. */
static int take_services(cb_engine *e) {
  char host[64] = "", why[512];
  int redis = 0;
  for (size_t i = 0; i < e->plan->n; i++) redis |= needs_redis(&e->plan->cases[i]);
  if (e->o.target) e->target = *e->o.target;
  e->redis.guard = (cb_guard)CB_GUARD_NONE;
  if (e->o.redis) e->redis = *e->o.redis;
  gethostname(host, sizeof host - 1);
  snprintf(e->redis_prefix, sizeof e->redis_prefix, "concbench:%.40s:%d-%lld:", host, (int)getpid(), (long long)cb_now_ns());
  if (redis && e->o.redis && cb_rserver_ping(&e->redis, why, sizeof why) != 0)
    return fail(e, "%s; start it, or check --redis (without --redis the run starts its own redis-server)", why);
  if (e->o.target) {
    snprintf(why, sizeof why, "http://%s (external)%s%s", e->target.authority, e->o.target_path ? ", path " : "",
             e->o.target_path ? e->o.target_path : "");
    cb_env_service("target", why);
  }
  if (redis && e->o.redis) {
    snprintf(why, sizeof why, "redis://%s:%d/%d (external), keys %s*", e->redis.host, e->redis.port, e->redis.db,
             e->redis_prefix);
    cb_env_service("redis", why);
  } else if (redis) {
    cb_env_service("redis", "redis-server started by the run on a free loopback port, no persistence");
  }
  return 0;
}

int cb_engine_prepare(cb_engine *e, cb_plan *plan, const cb_machine *m, const cb_engine_opts *o) {
  memset(e, 0, sizeof *e);
  e->redis.guard = (cb_guard)CB_GUARD_NONE;
  e->tmpguard = (cb_guard)CB_GUARD_NONE;
  e->lockfd = -1;
  e->plan = plan;
  e->m = *m;
  e->unit_s = m->unit_s;
  e->o = *o;
  e->status = CB_ENGINE_READY;
  if (!(e->rows = calloc(plan->n ? plan->n : 1, sizeof *e->rows))) return fail(e, "out of memory for the rows");
  if (check_plan(e) != 0) return -1;
  if (take_services(e) != 0) return -1;
  return make_dirs(e);
}

void cb_engine_stop(cb_engine *e) { e->stop = 1; }

size_t cb_engine_kept(const cb_engine *e) {
  size_t kept = 0;
  for (size_t i = 0; i < e->plan->n; i++) kept += e->plan->cases[i].nreps;
  return kept;
}

/* The run's Redis, done with: its own server stopped, or on an external one the keys it made
 * cleared (only those: the run's prefix). */
static void release_redis(cb_engine *e) {
  if (e->redis.external && e->redis_used) {
    long n = cb_rserver_clear(&e->redis, e->redis_prefix);
    if (n < 0) cb_errorf("run: could not clear the keys %s* from Redis at %s:%d: %s", e->redis_prefix, e->redis.host,
                         e->redis.port, strerror((int)-n));
  }
  e->redis_used = 0;
  cb_rserver_stop(&e->redis);
}

void cb_engine_free(cb_engine *e) {
  cb_target_stop(&e->target);
  release_redis(e);
  if (e->tmpdir[0]) cb_rmtree(e->tmpdir);
  e->tmpdir[0] = '\0';
  cb_guard_end(&e->tmpguard);
  cb_dir_unlock(e->outdir, e->lockfd);
  e->lockfd = -1;
  free(e->rows);
  e->rows = NULL;
}

/* Where the run stands, for the caller's progress callback. */
typedef struct round_state {
  int64_t started;
  size_t done, total;
} round_state;

static void tell(cb_engine *e, const round_state *rs, cb_engine_event ev, const cb_case *c, int warm,
                 const cb_sample *s, const char *note) {
  if (!e->o.progress) {
    if (ev == CB_ENGINE_NOTE) cb_errorf("run: %s", note);
    return;
  }
  cb_engine_progress p = { .event = ev, .c = c, .warm = warm, .sample = s, .note = note, .done = rs->done,
                           .total = rs->total, .elapsed_s = (double)(cb_now_ns() - rs->started) / 1e9 };
  e->o.progress(e->o.arg, &p);
}

/* The target server c needs, started (or replaced when another configuration runs). 0, or -1
 * with e->err. */
static int ensure_redis(cb_engine *e, const cb_case *c) {
  char why[512];
  if (!needs_redis(c)) return 0;
  if (!cb_rserver_up(&e->redis)) {
    /* Sized for the largest case of the run, twice over, plus room for Redis's own needs. */
    uint64_t most = 0;
    for (size_t i = 0; i < e->plan->n; i++) {
      const cb_case *k = &e->plan->cases[i];
      if (!needs_redis(k) || !k->wl->redis_bytes) continue;
      uint64_t b = k->wl->redis_bytes(&k->params, k->tasks, k->eff_conc);
      if (b > most) most = b;
    }
    if (cb_rserver_start(&e->redis, tmp_base(), 2 * most + (64ull << 20), e->err, sizeof e->err) != 0) return -1;
  }
  /* Answering before every case, so that a case never measures a dead server. */
  if (cb_rserver_ping(&e->redis, why, sizeof why) != 0) return fail(e, "%s", why);
  e->redis_used = 1;
  return 0;
}

static int ensure_server(cb_engine *e, const cb_case *c) {
  if (ensure_redis(e, c) != 0) return -1;
  if (!(c->wl->flags & CB_WL_SERVER)) return 0;
  cb_server_opts so = { .site = { .pages = 100, .links = 8, .seed = 1 } };
  if (c->wl->server) c->wl->server(&c->params, &so);
  if (cb_target_matches(&e->target, &so)) return 0;
  cb_target_stop(&e->target);
  return cb_target_start(&e->target, &so, e->err, sizeof e->err);
}

/* Has the run used up its budget for adaptive rounds? */
static int over_budget(const cb_engine *e, const round_state *rs) {
  return e->plan->budget_s > 0 && (double)(cb_now_ns() - rs->started) / 1e9 > e->plan->budget_s;
}

/* One repetition of c: counted into c->reps, or a warm-up measured and dropped. 0, -EINTR, or
 * another negative error when no measurement process could start. */
static int measure_one(cb_engine *e, const round_state *rs, cb_case *c, int warm) {
  cb_measure_env env = { .stack_size = e->o.stack_size, .outdir = e->outdir, .target = &e->target,
                         .target_path = e->o.target_path, .redis = &e->redis, .redis_prefix = e->redis_prefix,
                         .tmpdir = e->tmpdir[0] ? e->tmpdir : NULL, .unit_s = e->unit_s,
                         .case_timeout_s = e->o.case_timeout_s };
  cb_sample scratch_s, *s = warm ? &scratch_s : &c->reps[c->nreps];
  int rc;
  /* Measured into a scratch case, so that only a kept repetition's latencies reach c. A warm-up is
   * measured like the others, then dropped. A counted one that other processes disturbed (they
   * took CPU meanwhile: cb_runner_disturbed) is measured again, up to twice; still disturbed, the
   * last is kept and marked busy. */
  for (int attempt = 0;; attempt++) {
    cb_case scratch = *c;
    for (int k = 0; k < CB_CASE_HISTS; k++) *cb_case_hist(&scratch, k) = NULL;
    rc = cb_runner_measure(&scratch, &env, s);
    int again = 0;
    if (rc == 0 && !warm) {
      int disturbed = s->status == 0 && !s->timed_out && cb_runner_disturbed(s, c->cores);
      /* Past the budget, a disturbed repetition is kept (flagged) rather than measured again: a
       * busy machine must not make the run three times as long. */
      again = disturbed && s->errors == 0 && attempt < 2 && !cb_interrupted && !e->stop && !over_budget(e, rs);
      s->busy = disturbed && !again;
      if (!again) {
        /* Kept: its latencies join the case's (the first are taken as they are). */
        for (int k = 0; k < CB_CASE_HISTS; k++) {
          cb_hist **src = cb_case_hist(&scratch, k), **dst = cb_case_hist(c, k);
          if (!*src) continue;
          if (!*dst) *dst = *src;
          else {
            cb_hist_merge(*dst, *src);
            cb_keep_free(*src);
          }
          *src = NULL;
        }
      }
    }
    cb_case_free_hists(&scratch);
    if (!again) break;
  }
  if (rc != 0) return rc;
  char how[96], note[512];
  if (cb_target_ended(&e->target, how, sizeof how)) {
    /* Its requests failed (counted as errors); the next case gets a server of its own. */
    snprintf(note, sizeof note, "the target server %s during %s on %s, c=%u; a new one starts for the next case",
             how, c->wl->name, c->be->name, c->conc);
    tell(e, rs, CB_ENGINE_NOTE, c, warm, NULL, note);
    if (!s->err[0]) snprintf(s->err, sizeof s->err, "the target server %s meanwhile", how);
  }
  if (cb_rserver_ended(&e->redis, how, sizeof how)) {
    snprintf(note, sizeof note, "redis-server %s during %s on %s, c=%u; a new one starts for the next case",
             how, c->wl->name, c->be->name, c->conc);
    tell(e, rs, CB_ENGINE_NOTE, c, warm, NULL, note);
    if (!s->err[0]) snprintf(s->err, sizeof s->err, "redis-server %s meanwhile", how);
    cb_rserver_stop(&e->redis);
  }
  if (!warm) c->nreps++;
  return 0;
}

/* One round over the cases order[0..n), in that order; an adaptive round (extra) ends early once
 * the budget is spent. 0 to go on, 1 when the budget ended it, -1 to end the run (status set). */
static int run_round(cb_engine *e, round_state *rs, const size_t *order, size_t n, int warm, int extra) {
  cb_plan *plan = e->plan;
  for (size_t k = 0; k < n; k++) {
    if (e->stop || cb_interrupted) {
      e->status = CB_ENGINE_STOPPED;
      return -1;
    }
    if (extra && over_budget(e, rs)) return 1;
    cb_case *c = &plan->cases[order[k]];
    tell(e, rs, CB_ENGINE_REP_START, c, warm, NULL, NULL);
    if (ensure_server(e, c) != 0) {
      e->status = CB_ENGINE_FAILED;
      return -1;
    }
    int rc = measure_one(e, rs, c, warm);
    if (rc == -EINTR) {
      e->status = CB_ENGINE_STOPPED;
      return -1;
    }
    if (rc != 0) {
      const char *hint = cb_err_hint(rc);
      fail(e, "cannot start a measurement process: %s; %s", strerror(-rc),
           hint ? hint : "lower -c or raise the process limit (ulimit -u)");
      e->status = CB_ENGINE_FAILED;
      return -1;
    }
    rs->done++;
    tell(e, rs, CB_ENGINE_REP_END, c, warm, warm ? NULL : &c->reps[c->nreps - 1], NULL);
  }
  return 0;
}

/* Is case i's median pinned down: its 95% interval within +-ci of it? */
static int pinned(const cb_engine *e, size_t i) {
  const cb_row *r = &e->rows[i];
  return r->wall.median > 0 && (r->ci_hi - r->ci_lo) / 2 <= e->plan->ci * r->wall.median;
}

/* The cases round `r` (0-based, counted) measures, into order; how many. Fixed repetitions and
 * the first plan->reps rounds: every case that runs. Then, with -r auto, only those whose median
 * is not pinned down yet and that have room for more. */
static size_t select_round(const cb_engine *e, unsigned r, size_t *order) {
  const cb_plan *plan = e->plan;
  size_t n = 0;
  for (size_t i = 0; i < plan->n; i++) {
    const cb_case *c = &plan->cases[i];
    if (c->skipped[0]) continue;
    /* A server's wall time is its load's schedule, the same every time: no interval to narrow. */
    if (r >= plan->reps && (!plan->reps_auto || c->nreps >= plan->reps_max || pinned(e, i) || c->wl->load)) continue;
    order[n++] = i;
  }
  return n;
}

/* A round in a fresh random order (seeded: the same run gives the same order): no case always
 * runs after the same other one, and drift on a shared machine spreads over every case. */
static void shuffle(size_t *order, size_t n, uint64_t seed, unsigned round) {
  cb_rng g;
  cb_rng_seed(&g, seed * 1000003u + round);
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)cb_rng_below(&g, i);
    size_t t = order[i - 1];
    order[i - 1] = order[j];
    order[j] = t;
  }
}

/* Why each case has the repetitions it has, once the rounds are over. */
static void stop_reasons(cb_engine *e, int budget_spent) {
  cb_plan *plan = e->plan;
  for (size_t i = 0; i < plan->n; i++) {
    cb_case *c = &plan->cases[i];
    if (c->skipped[0] || !c->nreps) c->stop = NULL;
    else if (!plan->reps_auto) c->stop = "reps";
    else if (pinned(e, i)) c->stop = "ci";
    else if (c->wl->load) c->stop = "schedule";
    else if (c->nreps >= plan->reps_max) c->stop = "max";
    else if (budget_spent) c->stop = "budget";
    else c->stop = "stopped";
  }
}

/* Rows once, then both files from them. 0, or -1 with e->err. */
static int write_results(cb_engine *e, unsigned r, int last) {
  if (e->status == CB_ENGINE_FAILED) last = 0;
  /* The last write has the rows of the last round already: it adds the stop reasons. */
  if (!last) {
    cb_plan_learn(e->plan, &e->m);
    cb_rows_compute(e->plan, e->rows);
  }
  int rc = cb_results_write(e->outdir, e->plan, e->rows, &e->m, e->o.argc, e->o.argv, last ? "complete" : "partial");
  if (rc == 0 && e->o.replace && !e->replaced) {
    /* The earlier run's results are gone now: so go its report and plots, which would describe
     * them beside ours (this run draws its own at the end, if it draws any). */
    static const char *const stale[] = { "report.md", "report.html", "plots" };
    char path[PATH_MAX + 16];
    for (size_t i = 0; i < sizeof stale / sizeof *stale; i++) {
      snprintf(path, sizeof path, "%s/%s", e->outdir, stale[i]);
      cb_rmtree(path);
    }
    e->replaced = 1;
  }
  if (rc == 0) return 0;
  if (e->status == CB_ENGINE_FAILED) return -1;   /* the first failure is the one to tell */
  return fail(e, "cannot write results to %s: %s; %s%s", e->outdir, strerror(-rc),
              r ? "the previous round's results there are intact; " : "", cb_write_advice(-rc));
}

/* Each Redis case beside redis-benchmark: the same server, clients, pipeline and values, as many
 * commands as the case sent. Only on the run's own server: redis-benchmark's keys are not under
 * the run's prefix, and an external server is someone else's. Once per parameters and
 * concurrency: every backend of it compares with the same figure. */
static void references(cb_engine *e) {
  cb_plan *plan = e->plan;
  for (size_t i = 0; i < plan->n; i++) {
    cb_case *c = &plan->cases[i];
    cb_redis_like like;
    if (!c->nreps || !needs_redis(c) || !c->wl->redis_like || c->wl->redis_like(&c->params, &like) != 0) continue;
    c->ops_per_task = like.ops_per_task;
    for (size_t j = 0; j < i && !c->ref_ops_s; j++) {
      const cb_case *k = &plan->cases[j];
      if (k->wl == c->wl && k->conc == c->conc && k->ref_ops_s > 0 && strcmp(k->params_str, c->params_str) == 0)
        c->ref_ops_s = k->ref_ops_s;
    }
    if (c->ref_ops_s > 0 || e->redis.external || cb_interrupted || e->stop) continue;
    if (ensure_redis(e, c) != 0) {
      e->err[0] = '\0';
      continue;
    }
    double req = (double)c->tasks * like.ops_per_task;
    if (req < 20000) req = 20000;
    double ops = cb_rserver_benchmark(&e->redis, c->conc, like.pipeline, (uint64_t)req, like.value_bytes, like.keys);
    if (ops > 0) c->ref_ops_s = ops;
  }
}

cb_engine_status cb_engine_run(cb_engine *e) {
  cb_plan *plan = e->plan;
  round_state rs = { .started = cb_now_ns() };
  size_t *order = malloc((plan->n ? plan->n : 1) * sizeof *order), n;
  int budget_spent = 0, rc = 0;
  cb_runner_signals();
  e->status = CB_ENGINE_COMPLETE;
  if (!order) {
    fail(e, "out of memory for the rounds");
    return e->status = CB_ENGINE_FAILED;
  }
  n = select_round(e, 0, order);
  rs.total = n * (plan->reps + e->o.warmup);
  for (unsigned w = 0; w < e->o.warmup && rc == 0; w++) {
    n = select_round(e, 0, order);
    shuffle(order, n, plan->seed, w);
    rc = run_round(e, &rs, order, n, 1, 0);
  }
  /* Stopped during the warm-ups: nothing counted, nothing to write. */
  for (unsigned r = 0; rc == 0; r++) {
    if (!(n = select_round(e, r, order))) break;
    if (r >= plan->reps) {
      if (over_budget(e, &rs)) {
        budget_spent = 1;
        break;
      }
      rs.total += n;
    }
    shuffle(order, n, plan->seed, e->o.warmup + r);
    rc = run_round(e, &rs, order, n, 0, r >= plan->reps);
    if (rc == 1) {
      budget_spent = 1;
      rc = 0;
      if (write_results(e, r, 0) != 0) e->status = CB_ENGINE_FAILED;
      break;
    }
    /* Whatever has been measured is on disk after every round, an interrupted one included. */
    if (write_results(e, r, 0) != 0) {
      e->status = CB_ENGINE_FAILED;
      break;
    }
  }
  if (e->status == CB_ENGINE_COMPLETE) references(e);
  stop_reasons(e, budget_spent);
  if (e->status == CB_ENGINE_COMPLETE && write_results(e, 1, 1) != 0) e->status = CB_ENGINE_FAILED;
  free(order);
  if (e->status == CB_ENGINE_STOPPED) e->signal = cb_interrupted > 0 ? cb_interrupted : 0;
  cb_target_stop(&e->target);
  release_redis(e);
  return e->status;
}
