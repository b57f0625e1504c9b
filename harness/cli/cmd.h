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
int cb_cmd_history(int argc, char **argv);

/* A --threshold as compare and history changes read it: "10%", "0.10" or "10". 0, or -1. */
int cb_cli_threshold(const char *s, double *out);

#endif
