/* report.h: the report of a run: findings as sentences computed from the data, the table, the
 * validity flags and the environment, as DIR/report.md and a self-contained DIR/report.html. */
#ifndef CB_REPORT_H
#define CB_REPORT_H

#include <stddef.h>

/* Write DIR/report.md and DIR/report.html from DIR/results.json and the plots in DIR/plots/
 * (drawn first by cb_plot; the report says so when they are missing). 0, or a negative error
 * with err. */
int cb_report(const char *dir, char *err, size_t len);

/* The same, with the paths of the two files it wrote in md_path and html_path (plen bytes each)
 * for the command to print. */
int cb_report_write(const char *dir, char *err, size_t len, char *md_path, char *html_path, size_t plen);

#endif
