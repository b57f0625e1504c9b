/* cmd_serve.c: (being written) */
#include "cmd.h"
int cb_cmd_serve(int argc, char **argv) { (void)argc; (void)argv; return 2; }
