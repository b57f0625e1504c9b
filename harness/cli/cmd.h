/* cmd.h: the concbench commands. Each returns the process exit status: 0, 1 (a failed check),
 * 2 (bad usage or input). */
#ifndef CB_CMD_H
#define CB_CMD_H

#include <stddef.h>

int cb_cmd_run(int argc, char **argv);
int cb_cmd_list(int argc, char **argv);
int cb_cmd_serve(int argc, char **argv);
int cb_cmd_plot(int argc, char **argv);
int cb_cmd_report(int argc, char **argv);
int cb_cmd_primitives(int argc, char **argv);
int cb_cmd_compare(int argc, char **argv);
int cb_cmd_export(int argc, char **argv);
int cb_cmd_merge(int argc, char **argv);

/* export.c: results.csv regenerated from a results file's cases (merge writes it too); NULL
 * with a one-line reason in err. */
struct cb_results;
char *cb__results_csv(const struct cb_results *r, char *err, size_t len);

#endif
