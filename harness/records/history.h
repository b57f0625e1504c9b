/* history.h: the history of runs, an embedded SQLite file (runs, cases, repetitions, environments)
 * that run --history and history add append to, and history list/show/changes/plot read. */
#ifndef CB_HISTORY_H
#define CB_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include "resread.h"

/* PRAGMA application_id of a concbench history ("CBH1"), and the schema's PRAGMA user_version:
 * a later schema migrates files of an earlier one, and refuses files of a later one. */
#define CB_HISTORY_APPID 0x43424831
#define CB_HISTORY_SCHEMA 1
#define CB_HISTORY_DEFAULT "results/history.db"
/* How long a writer waits for another one's transaction (SQLite's busy timeout). */
#define CB_HISTORY_BUSY_MS 30000

struct sqlite3;

typedef struct cb_history {
  struct sqlite3 *db;
  char path[4096];
} cb_history;

/* Opens the history at path; with create, makes it (and its directory) when absent. 0, or:
 * -ENOENT absent (without create); -EINVAL not a concbench history (a file of another kind, a
 * corrupt one, another application's database: left untouched); -EPROTO written by a later
 * schema; another negative errno. err says which in one line. */
int cb_history_open(cb_history *h, const char *path, int create, char *err, size_t len);
void cb_history_close(cb_history *h);

/* Adds run r under label (NULL: its git revision) in one transaction: the run, its environment
 * (found or added), each measured case and its repetitions. source names where it came from
 * (its directory). *id gets the run's id. 0, or a negative error with err. */
int cb_history_add(cb_history *h, const cb_results *r, const char *label, const char *source, int64_t *id,
                   char *err, size_t len);

/* 0 when label is one a history takes: 1 to 127 printable characters. */
int cb_history_label_ok(const char *label);

typedef struct cb_henv {
  int64_t id;
  unsigned cores;
  char build_type[32];
  char cpu_model[160];
} cb_henv;

typedef struct cb_hrun {
  int64_t id;
  char label[128], date[40], git_revision[64], status[16];
  int64_t env;        /* cb_henv id */
  size_t ncases;
} cb_hrun;

/* One run's figure in a series. Medians of runs that ran another number of tasks (sized by
 * time) are scaled to the last run's count: the time per task is what is compared. */
typedef struct cb_hpoint {
  size_t run;         /* index into cb_hdata.runs */
  double median, lo, hi;   /* seconds; lo, hi the median's 95% interval */
  uint64_t tasks;
  unsigned reps;
} cb_hpoint;

/* A case across runs, within one environment. Its key is "workload/backend/c=N", with
 * "/name=value" for each parameter the run swept: a parameter held at one value throughout a
 * run is part of what is measured, like the code, so a change of it is a change in the series. */
typedef struct cb_hseries {
  int64_t env;
  char key[320];
  char workload[32], backend[32];
  cb_hpoint *pts;
  size_t n;
} cb_hseries;

typedef struct cb_hdata {
  cb_hrun *runs;      /* in the order they were added */
  size_t nruns;
  cb_henv *envs;
  size_t nenvs;
  cb_hseries *series; /* by environment, then key */
  size_t nseries;
} cb_hdata;

int cb_history_load(cb_history *h, cb_hdata *d, char *err, size_t len);
void cb_hdata_free(cb_hdata *d);
/* The environment of that id in d, or NULL. */
const cb_henv *cb_hdata_env(const cb_hdata *d, int64_t id);
/* Whether a run's label names what was asked: the same text, or the same git revision (one a
 * prefix of the other, at least 7 hex digits, "-dirty" aside), so $GITHUB_SHA finds the run
 * labelled with its 12-digit abbreviation. */
int cb_history_label_match(const char *label, const char *asked);

#endif
