/* table.h: the human table printed after a run; nothing parses it. */
#ifndef CB_TABLE_H
#define CB_TABLE_H

#include <stdio.h>
#include "plan.h"

void cb_table_print(FILE *out, const cb_plan *plan);

#endif
