/* table.h: the human table printed after a run; nothing parses it. */
#ifndef CB_TABLE_H
#define CB_TABLE_H

#include <stdio.h>
#include "rows.h"

/* How much of params s (name=value;name=value...) goes on one line of a column width wide: all
 * of it when it fits, else up to and including a ';', never within a name=value. */
size_t cb_table_wrap(const char *s, size_t width);

/* rows[i] is plan->cases[i]'s row (cb_rows_compute). */
void cb_table_print(FILE *out, const cb_plan *plan, const cb_row *rows);

#endif
