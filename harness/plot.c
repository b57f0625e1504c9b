/* plot.c: (being written) */
#include "plot.h"
#include "cmd.h"
int cb_plot(const char *dir, char *err, size_t len) { (void)dir; (void)err; (void)len; return -1; }
int cb_cmd_plot(int argc, char **argv) { (void)argc; (void)argv; return 2; }
