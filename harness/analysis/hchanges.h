/* hchanges.h: `history changes`: the change points of every case of a history, reported as a
 * table, markdown or JSON, with the exit status a CI job fails on. */
#ifndef CB_HCHANGES_H
#define CB_HCHANGES_H

#include <stddef.h>
#include "changepoint.h"
#include "history.h"

typedef enum { CB_HFMT_TEXT, CB_HFMT_MD, CB_HFMT_JSON } cb_hfmt;

typedef struct cb_hchanges_cfg {
  cb_cp_cfg cp;
  double threshold;        /* a change slower by more than this fails (default 0.05) */
  const char *since;       /* report changes from the first run with this label on, or NULL */
  cb_hfmt format;
} cb_hchanges_cfg;

/* One change of one series of d. */
typedef struct cb_hchange {
  size_t series;           /* index into d->series */
  cb_cp cp;                /* cp.index is into the series' points */
} cb_hchange;

/* The change points of every series of d with enough points, in series order. 0 or -ENOMEM. */
int cb_hchanges_find(const cb_hdata *d, const cb_cp_cfg *cfg, cb_hchange **out, size_t *n);

/* Prints the report of d's changes on stdout and each failing one on stderr; returns the exit
 * status: 0, 1 (a change slower than the threshold at or after since), 2 (since names no run). */
int cb_hchanges_report(const cb_hdata *d, const cb_hchanges_cfg *cfg);

#endif
