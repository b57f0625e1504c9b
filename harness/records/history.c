/* history.c: the history of runs in an SQLite file: opening it (refusing what is not one, without
 * touching it), its schema, adding a run in one transaction, and reading the series back. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "history.h"
#include "util.h"

/* The schema, documented in the README; sqlite3 can query it as it is. */
static const char schema_sql[] =
  "CREATE TABLE environments (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  cores INTEGER NOT NULL,\n"
  "  build_type TEXT NOT NULL,\n"
  "  cpu_model TEXT NOT NULL,\n"
  "  UNIQUE (cores, build_type, cpu_model));\n"
  "CREATE TABLE runs (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  label TEXT NOT NULL,\n"
  "  date TEXT NOT NULL,\n"
  "  git_revision TEXT NOT NULL,\n"
  "  env_id INTEGER NOT NULL REFERENCES environments(id),\n"
  "  status TEXT NOT NULL,\n"
  "  source TEXT NOT NULL,\n"
  "  added TEXT NOT NULL,\n"
  "  environment TEXT NOT NULL);\n"
  "CREATE TABLE cases (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  run_id INTEGER NOT NULL REFERENCES runs(id),\n"
  "  series TEXT NOT NULL,\n"
  "  workload TEXT NOT NULL,\n"
  "  backend TEXT NOT NULL,\n"
  "  params TEXT NOT NULL,\n"
  "  concurrency INTEGER NOT NULL,\n"
  "  tasks INTEGER NOT NULL,\n"
  "  reps INTEGER NOT NULL,\n"
  "  wall_median_s REAL NOT NULL,\n"
  "  wall_ci_lo_s REAL,\n"
  "  wall_ci_hi_s REAL,\n"
  "  wall_mean_s REAL,\n"
  "  wall_cv REAL,\n"
  "  flags TEXT NOT NULL);\n"
  "CREATE INDEX cases_by_series ON cases (series, run_id);\n"
  "CREATE TABLE repetitions (\n"
  "  case_id INTEGER NOT NULL REFERENCES cases(id),\n"
  "  rep INTEGER NOT NULL,\n"
  "  wall_s REAL NOT NULL,\n"
  "  PRIMARY KEY (case_id, rep));\n";

static int db_fail(cb_history *h, char *err, size_t len, const char *what) {
  snprintf(err, len, "%s: %s: %s", h->path, what, h->db ? sqlite3_errmsg(h->db) : "out of memory");
  return -EIO;
}

static int exec(cb_history *h, const char *sql, char *err, size_t len) {
  char *msg = NULL;
  if (sqlite3_exec(h->db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
  snprintf(err, len, "%s: %s", h->path, msg ? msg : sqlite3_errmsg(h->db));
  sqlite3_free(msg);
  return -EIO;
}

/* One integer from a query, or def. */
static int64_t query_int(cb_history *h, const char *sql, int64_t def, int *rc) {
  sqlite3_stmt *st;
  *rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);
  if (*rc != SQLITE_OK) return def;
  int64_t v = def;
  *rc = sqlite3_step(st);
  if (*rc == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
    *rc = SQLITE_OK;
  } else if (*rc == SQLITE_DONE) {
    *rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return v;
}

/* Refuses, before SQLite opens it, a file that is not an SQLite database at all: SQLite would
 * leave it alone too, but only this way is it certain nothing is written into a stranger's file. */
static int check_header(const char *path, int *empty, char *err, size_t len) {
  struct stat st;
  *empty = 0;
  if (stat(path, &st) != 0) return -errno;
  if (!S_ISREG(st.st_mode)) {
    snprintf(err, len, "%s is not a regular file; give a concbench history file (e.g. %s)", path, CB_HISTORY_DEFAULT);
    return -EINVAL;
  }
  if (st.st_size == 0) {
    *empty = 1;
    return 0;
  }
  char head[16];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    snprintf(err, len, "cannot read %s: %s", path, strerror(e));
    return -e;
  }
  ssize_t n = read(fd, head, sizeof head);
  close(fd);
  if (n != (ssize_t)sizeof head || memcmp(head, "SQLite format 3", 16) != 0) {
    snprintf(err, len, "%s is not a concbench history (not an SQLite database); it was left as it is: "
             "give another file, or move it away", path);
    return -EINVAL;
  }
  return 0;
}

static int create_schema(cb_history *h, char *err, size_t len) {
  int rc, q;
  /* WAL: readers do not block the writer, and a crash mid-write leaves the last commit. Set
   * outside a transaction; it stays with the file. */
  if ((rc = exec(h, "PRAGMA journal_mode=WAL", err, len))) return rc;
  if ((rc = exec(h, "BEGIN IMMEDIATE", err, len))) return rc;
  /* Another process may have made it meanwhile: the transaction holds the write lock now. */
  int64_t tables = query_int(h, "SELECT count(*) FROM sqlite_master", 0, &q);
  if (q == SQLITE_OK && tables == 0) {
    char sql[sizeof schema_sql + 128];
    snprintf(sql, sizeof sql, "%sPRAGMA application_id=%d; PRAGMA user_version=%d;", schema_sql,
             CB_HISTORY_APPID, CB_HISTORY_SCHEMA);
    if ((rc = exec(h, sql, err, len))) {
      sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
      return rc;
    }
  }
  return exec(h, "COMMIT", err, len);
}

int cb_history_open(cb_history *h, const char *path, int create, char *err, size_t len) {
  int empty = 0, rc, q;
  memset(h, 0, sizeof *h);
  if (snprintf(h->path, sizeof h->path, "%s", path) >= (int)sizeof h->path) {
    snprintf(err, len, "history path too long");
    return -ENAMETOOLONG;
  }
  /* ":memory:" is SQLite's database in memory (tests, fuzzing): no file to check. */
  int mem = strcmp(path, ":memory:") == 0;
  rc = mem ? 0 : check_header(path, &empty, err, len);
  if (mem && !create) {
    snprintf(err, len, ":memory: holds no history to read");
    return -ENOENT;
  }
  if (rc == -ENOENT) {
    if (!create) {
      snprintf(err, len, "%s: no such history; concbench run --history %s (or history add) makes one", path, path);
      return -ENOENT;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
      *slash = '\0';
      if ((rc = cb_mkdirs(dir))) {
        snprintf(err, len, "cannot create %s: %s", dir, strerror(-rc));
        return rc;
      }
    }
  } else if (rc) {
    if (rc != -EINVAL && !err[0]) snprintf(err, len, "cannot read %s: %s", path, strerror(-rc));
    return rc;
  } else if (empty && !create) {
    snprintf(err, len, "%s is empty, not a concbench history; concbench run --history %s makes one", path, path);
    return -EINVAL;
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path, &h->db, flags, NULL) != SQLITE_OK) {
    rc = db_fail(h, err, len, "cannot open");
    cb_history_close(h);
    return rc;
  }
  sqlite3_busy_timeout(h->db, CB_HISTORY_BUSY_MS);
  int64_t appid = query_int(h, "PRAGMA application_id", 0, &q);
  if (q == SQLITE_NOTADB || q == SQLITE_CORRUPT) {
    snprintf(err, len, "%s is not a concbench history (a damaged SQLite file); it was left as it is", path);
    cb_history_close(h);
    return -EINVAL;
  }
  if (q != SQLITE_OK) {
    rc = db_fail(h, err, len, "cannot read");
    cb_history_close(h);
    return rc;
  }
  int64_t tables = query_int(h, "SELECT count(*) FROM sqlite_master", 0, &q);
  int64_t version = query_int(h, "PRAGMA user_version", 0, &q);
  if (tables > 0 && appid != CB_HISTORY_APPID) {
    snprintf(err, len, "%s is an SQLite database but not a concbench history; it was left as it is: give another file", path);
    cb_history_close(h);
    return -EINVAL;
  }
  if (tables > 0 && version > CB_HISTORY_SCHEMA) {
    snprintf(err, len, "%s has schema %lld, written by a later concbench (this one reads up to %d); use that version",
             path, (long long)version, CB_HISTORY_SCHEMA);
    cb_history_close(h);
    return -EPROTO;
  }
  if (tables == 0) {
    if (!create) {
      snprintf(err, len, "%s is an empty database, not a concbench history; concbench run --history %s makes one", path, path);
      cb_history_close(h);
      return -EINVAL;
    }
    if ((rc = create_schema(h, err, len))) {
      cb_history_close(h);
      return rc;
    }
  }
  /* Schema 1 is the first: later versions migrate here, one step at a time, in a transaction. */
  return 0;
}

void cb_history_close(cb_history *h) {
  if (h->db) sqlite3_close(h->db);
  h->db = NULL;
}

int cb_history_label_ok(const char *label) {
  size_t n = strlen(label);
  if (n == 0 || n > 127) return -1;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f) return -1;
  return 0;
}

/* ---- adding a run ------------------------------------------------------------------------------ */

static const char *env_str(const cb_results *r, const char *key, const char *def) {
  const cJSON *v = r->env ? cJSON_GetObjectItemCaseSensitive(r->env, key) : NULL;
  return cJSON_IsString(v) && v->valuestring ? v->valuestring : def;
}

/* The series key of c: see history.h. A parameter varies when another case of its workload in
 * r has another value for it (or lacks it). */
static void series_key(const cb_results *r, const cb_rcase *c, char *out, size_t len) {
  size_t off = (size_t)snprintf(out, len, "%s/%s/c=%u", c->workload, c->backend, c->conc);
  for (unsigned i = 0; i < c->nparams && off < len; i++) {
    int varies = 0;
    for (size_t j = 0; j < r->n && !varies; j++) {
      const cb_rcase *o = &r->cases[j];
      if (strcmp(o->workload, c->workload) != 0) continue;
      double v = cb_rcase_param(o, c->params[i].name);
      varies = !(v == c->params[i].value);
    }
    if (varies)
      off += (size_t)snprintf(out + off, len - off, "/%s=%.10g", c->params[i].name, c->params[i].value);
  }
}

static int64_t find_env(cb_history *h, const cb_results *r, const char *cpu, int *rc) {
  sqlite3_stmt *st;
  int64_t id = -1;
  const char *sel = "SELECT id FROM environments WHERE cores=?1 AND build_type=?2 AND cpu_model=?3";
  for (int pass = 0; pass < 2 && id < 0; pass++) {
    if (pass == 1) {
      const char *ins = "INSERT INTO environments (cores, build_type, cpu_model) VALUES (?1, ?2, ?3)";
      if ((*rc = sqlite3_prepare_v2(h->db, ins, -1, &st, NULL)) != SQLITE_OK) return -1;
      sqlite3_bind_int64(st, 1, r->cores);
      sqlite3_bind_text(st, 2, r->build_type, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 3, cpu, -1, SQLITE_TRANSIENT);
      *rc = sqlite3_step(st);
      sqlite3_finalize(st);
      if (*rc != SQLITE_DONE) return -1;
      *rc = SQLITE_OK;
      return sqlite3_last_insert_rowid(h->db);
    }
    if ((*rc = sqlite3_prepare_v2(h->db, sel, -1, &st, NULL)) != SQLITE_OK) return -1;
    sqlite3_bind_int64(st, 1, r->cores);
    sqlite3_bind_text(st, 2, r->build_type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, cpu, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  *rc = SQLITE_OK;
  return id;
}

static void bind_num(sqlite3_stmt *st, int i, double v) {
  if (isfinite(v)) sqlite3_bind_double(st, i, v);
  else sqlite3_bind_null(st, i);
}

static int add_cases(cb_history *h, const cb_results *r, int64_t run) {
  sqlite3_stmt *cs = NULL, *rs = NULL;
  int rc = sqlite3_prepare_v2(h->db,
      "INSERT INTO cases (run_id, series, workload, backend, params, concurrency, tasks, reps, wall_median_s,"
      " wall_ci_lo_s, wall_ci_hi_s, wall_mean_s, wall_cv, flags) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
      -1, &cs, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(h->db, "INSERT INTO repetitions (case_id, rep, wall_s) VALUES (?1, ?2, ?3)", -1, &rs, NULL);
  for (size_t i = 0; rc == SQLITE_OK && i < r->n; i++) {
    const cb_rcase *c = &r->cases[i];
    char key[320];
    /* A skipped case measured nothing: it has no place in a series. */
    if (c->reps == 0 || !c->wall || !isfinite(c->wall_median)) continue;
    series_key(r, c, key, sizeof key);
    sqlite3_reset(cs);
    sqlite3_bind_int64(cs, 1, run);
    sqlite3_bind_text(cs, 2, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(cs, 3, c->workload, -1, SQLITE_STATIC);
    sqlite3_bind_text(cs, 4, c->backend, -1, SQLITE_STATIC);
    sqlite3_bind_text(cs, 5, c->params_str, -1, SQLITE_STATIC);
    sqlite3_bind_int64(cs, 6, c->conc);
    sqlite3_bind_int64(cs, 7, (sqlite3_int64)(c->tasks > INT64_MAX ? INT64_MAX : c->tasks));
    sqlite3_bind_int64(cs, 8, c->reps);
    sqlite3_bind_double(cs, 9, c->wall_median);
    bind_num(cs, 10, c->ci_lo);
    bind_num(cs, 11, c->ci_hi);
    bind_num(cs, 12, c->wall_mean);
    bind_num(cs, 13, c->wall_cv);
    sqlite3_bind_text(cs, 14, c->flags, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(cs)) != SQLITE_DONE) break;
    rc = SQLITE_OK;
    int64_t cid = sqlite3_last_insert_rowid(h->db);
    for (unsigned k = 0; rc == SQLITE_OK && k < c->reps; k++) {
      sqlite3_reset(rs);
      sqlite3_bind_int64(rs, 1, cid);
      sqlite3_bind_int64(rs, 2, k);
      sqlite3_bind_double(rs, 3, c->wall[k]);
      rc = sqlite3_step(rs) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
  }
  sqlite3_finalize(cs);
  sqlite3_finalize(rs);
  return rc == SQLITE_OK ? 0 : -1;
}

int cb_history_add(cb_history *h, const cb_results *r, const char *label, const char *source, int64_t *id,
                   char *err, size_t len) {
  int rc, q;
  if (!label) label = r->git_revision[0] ? r->git_revision : "unknown";
  if (cb_history_label_ok(label) != 0) {
    snprintf(err, len, "label '%.40s' is not 1 to 127 printable characters", label);
    return -EINVAL;
  }
  char *envjson = r->env ? cJSON_PrintUnformatted(r->env) : NULL;
  char added[40];
  time_t now = time(NULL);
  struct tm tm;
  strftime(added, sizeof added, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
  /* One transaction a run: a reader sees all of it or none, and a writer beside this one waits
   * for the lock (the busy timeout) rather than failing. */
  if ((rc = exec(h, "BEGIN IMMEDIATE", err, len))) {
    free(envjson);
    return rc;
  }
  int64_t env = find_env(h, r, env_str(r, "cpu_model", "unknown"), &q);
  sqlite3_stmt *st = NULL;
  if (env < 0) goto fail;
  if (sqlite3_prepare_v2(h->db,
        "INSERT INTO runs (label, date, git_revision, env_id, status, source, added, environment)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &st, NULL) != SQLITE_OK)
    goto fail;
  sqlite3_bind_text(st, 1, label, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, env_str(r, "date", added), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, r->git_revision[0] ? r->git_revision : "unknown", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 4, env);
  sqlite3_bind_text(st, 5, r->status[0] ? r->status : "complete", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 6, source ? source : r->dir, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 7, added, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 8, envjson ? envjson : "{}", -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) != SQLITE_DONE) goto fail;
  sqlite3_finalize(st);
  st = NULL;
  int64_t run = sqlite3_last_insert_rowid(h->db);
  if (add_cases(h, r, run) != 0) goto fail;
  if ((rc = exec(h, "COMMIT", err, len))) {
    sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    free(envjson);
    return rc;
  }
  free(envjson);
  if (id) *id = run;
  return 0;
fail:
  rc = db_fail(h, err, len, "cannot add the run");
  sqlite3_finalize(st);
  sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
  free(envjson);
  return rc;
}

/* ---- reading it back ------------------------------------------------------------------------- */

static void col_text(sqlite3_stmt *st, int i, char *out, size_t len) {
  const unsigned char *t = sqlite3_column_text(st, i);
  snprintf(out, len, "%s", t ? (const char *)t : "");
}

static double col_num(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static void *grow(void *v, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return v;
  size_t c = *cap ? *cap * 2 : 16;
  void *p = realloc(v, c * size);
  if (p) *cap = c;
  return p;
}

int cb_history_load(cb_history *h, cb_hdata *d, char *err, size_t len) {
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  void *p;
  memset(d, 0, sizeof *d);
  /* One read transaction: the runs and the cases are of the same moment. */
  if (exec(h, "BEGIN", err, len)) return -EIO;
  if (sqlite3_prepare_v2(h->db, "SELECT id, cores, build_type, cpu_model FROM environments ORDER BY id", -1, &st, NULL) != SQLITE_OK)
    goto fail;
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (!(p = grow(d->envs, &cap, d->nenvs, sizeof *d->envs))) goto nomem;
    d->envs = p;
    cb_henv *e = &d->envs[d->nenvs++];
    e->id = sqlite3_column_int64(st, 0);
    e->cores = (unsigned)sqlite3_column_int(st, 1);
    col_text(st, 2, e->build_type, sizeof e->build_type);
    col_text(st, 3, e->cpu_model, sizeof e->cpu_model);
  }
  sqlite3_finalize(st);
  cap = 0;
  if (sqlite3_prepare_v2(h->db, "SELECT r.id, r.label, r.date, r.git_revision, r.status, r.env_id,"
                         " (SELECT count(*) FROM cases c WHERE c.run_id = r.id) FROM runs r ORDER BY r.id", -1, &st, NULL) != SQLITE_OK)
    goto fail;
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (!(p = grow(d->runs, &cap, d->nruns, sizeof *d->runs))) goto nomem;
    d->runs = p;
    cb_hrun *r = &d->runs[d->nruns++];
    r->id = sqlite3_column_int64(st, 0);
    col_text(st, 1, r->label, sizeof r->label);
    col_text(st, 2, r->date, sizeof r->date);
    col_text(st, 3, r->git_revision, sizeof r->git_revision);
    col_text(st, 4, r->status, sizeof r->status);
    r->env = sqlite3_column_int64(st, 5);
    r->ncases = (size_t)sqlite3_column_int64(st, 6);
  }
  sqlite3_finalize(st);
  cap = 0;
  if (sqlite3_prepare_v2(h->db, "SELECT r.env_id, c.series, c.workload, c.backend, c.run_id, c.wall_median_s,"
                         " c.wall_ci_lo_s, c.wall_ci_hi_s, c.tasks, c.reps FROM cases c JOIN runs r ON r.id = c.run_id"
                         " ORDER BY r.env_id, c.series, c.run_id", -1, &st, NULL) != SQLITE_OK)
    goto fail;
  size_t ri = 0, pcap = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    int64_t env = sqlite3_column_int64(st, 0), run = sqlite3_column_int64(st, 4);
    const char *key = (const char *)sqlite3_column_text(st, 1);
    if (!key) continue;
    cb_hseries *s = d->nseries ? &d->series[d->nseries - 1] : NULL;
    if (!s || s->env != env || strcmp(s->key, key) != 0) {
      if (!(p = grow(d->series, &cap, d->nseries, sizeof *d->series))) goto nomem;
      d->series = p;
      s = &d->series[d->nseries++];
      memset(s, 0, sizeof *s);
      s->env = env;
      snprintf(s->key, sizeof s->key, "%s", key);
      col_text(st, 2, s->workload, sizeof s->workload);
      col_text(st, 3, s->backend, sizeof s->backend);
      pcap = 0;
      ri = 0;
    }
    /* The same case twice in a run (it cannot be, from concbench): the first counts. */
    if (s->n && d->runs[s->pts[s->n - 1].run].id == run) continue;
    while (ri < d->nruns && d->runs[ri].id < run) ri++;
    if (ri == d->nruns) continue;
    if (!(p = grow(s->pts, &pcap, s->n, sizeof *s->pts))) goto nomem;
    s->pts = p;
    cb_hpoint *pt = &s->pts[s->n++];
    pt->run = ri;
    pt->median = col_num(st, 5);
    pt->lo = col_num(st, 6);
    pt->hi = col_num(st, 7);
    pt->tasks = (uint64_t)sqlite3_column_int64(st, 8);
    pt->reps = (unsigned)sqlite3_column_int(st, 9);
  }
  sqlite3_finalize(st);
  st = NULL;
  exec(h, "COMMIT", err, len);
  /* Runs sized by time may differ in tasks: compare the time per task, at the last run's count. */
  for (size_t i = 0; i < d->nseries; i++) {
    cb_hseries *s = &d->series[i];
    uint64_t last = s->n ? s->pts[s->n - 1].tasks : 0;
    for (size_t k = 0; k < s->n && last; k++) {
      cb_hpoint *pt = &s->pts[k];
      if (pt->tasks == last || pt->tasks == 0) continue;
      double f = (double)last / (double)pt->tasks;
      pt->median *= f;
      pt->lo *= f;
      pt->hi *= f;
    }
  }
  return 0;
nomem:
  sqlite3_finalize(st);
  sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
  cb_hdata_free(d);
  snprintf(err, len, "%s: out of memory", h->path);
  return -ENOMEM;
fail:
  db_fail(h, err, len, "cannot read");
  sqlite3_finalize(st);
  sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
  cb_hdata_free(d);
  return -EIO;
}

void cb_hdata_free(cb_hdata *d) {
  for (size_t i = 0; i < d->nseries; i++) free(d->series[i].pts);
  free(d->series);
  free(d->runs);
  free(d->envs);
  memset(d, 0, sizeof *d);
}

const cb_henv *cb_hdata_env(const cb_hdata *d, int64_t id) {
  for (size_t i = 0; i < d->nenvs; i++)
    if (d->envs[i].id == id) return &d->envs[i];
  return NULL;
}

/* The length of s's leading hex digits when s is a revision ("-dirty" may follow), else 0. */
static size_t rev_len(const char *s) {
  size_t n = 0;
  while (isxdigit((unsigned char)s[n])) n++;
  if (s[n] && strcmp(s + n, "-dirty") != 0) return 0;
  return n >= 7 ? n : 0;
}

int cb_history_label_match(const char *label, const char *asked) {
  if (strcmp(label, asked) == 0) return 1;
  size_t a = rev_len(label), b = rev_len(asked);
  if (!a || !b) return 0;
  return strncasecmp(label, asked, a < b ? a : b) == 0;
}
