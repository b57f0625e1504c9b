/* table.h: the human table printed after a run; nothing parses it. */
#ifndef CB_TABLE_H
#define CB_TABLE_H

#include <stdio.h>
#include "rows.h"

/* rows[i] is plan->cases[i]'s row (cb_rows_compute). */
void cb_table_print(FILE *out, const cb_plan *plan, const cb_row *rows);

#endif
