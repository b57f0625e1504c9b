/* upward.c: a file that includes a header of the records layer. Built against the records layer
 * it compiles; built against the contract layer (lower) it must not: the build enforces the
 * layers' direction (tests `layers_upward_fails` and `layers_same_compiles`). */
#include "results.h"

int cb_layers_probe(void);
int cb_layers_probe(void) { return (int)sizeof(cb_row); }
