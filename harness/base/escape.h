/* escape.h: text from input files (names, values, paths) made safe for each output: a terminal, a
 * markdown table cell, HTML. Every writer goes through these, so a crafted name cannot move the
 * cursor, retitle a terminal, break a table or inject markup. */
#ifndef CB_ESCAPE_H
#define CB_ESCAPE_H

#include <stddef.h>
#include "sbuf.h"

/* For a terminal: control characters (C0, DEL, C1) and bytes that are not UTF-8 are shown, not
 * sent: "\n", "\r", "\t", "\x1b", "\u009b"; valid UTF-8 passes through. */
void cb_sb_term(cb_sbuf *b, const char *s);
/* For markdown (a table cell or a line of text): as for a terminal, newlines become spaces, and
 * \ ` * [ ] < | & get a backslash, and > or # at the start, so nothing starts markup or ends a
 * cell. */
void cb_sb_md(cb_sbuf *b, const char *s);
/* For HTML text and attribute values: & < > " ' as entities, control characters as for a
 * terminal (a newline and a tab stay). */
void cb_sb_html(cb_sbuf *b, const char *s);

/* cb_sb_term into buf (truncated at a character, never inside an escape); returns buf. */
const char *cb_term(const char *s, char *buf, size_t len);

#endif
