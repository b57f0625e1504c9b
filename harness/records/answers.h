/* answers.h: the run's answer checks: the same checksum from every backend for the same case, and
 * no task errors but the faults the parameters asked for. */
#ifndef CB_ANSWERS_H
#define CB_ANSWERS_H

#include <stddef.h>
#include "rows.h"

/* Checks every measured case of plan (rows[i] its row) and says on stderr, one line each, what
 * does not hold. 0 when everything does, 1 otherwise. */
int cb_answers_check(const cb_plan *plan, const cb_row *rows);

/* "280 ECONNREFUSED (connection refused: did the server exit?), 20 not run": a case's errors
 * over its repetitions by kind, most frequent first, with what to do about the ones a limit
 * explains. */
void cb_answers_describe_errors(const cb_case *c, char *buf, size_t len);

#endif
