/* signals.h: SIGINT and SIGTERM turned into a flag that long loops look at, so a run stops cleanly. */
#ifndef CB_SIGNALS_H
#define CB_SIGNALS_H

#include <signal.h>

/* The signal that asked us to stop (SIGINT, SIGTERM), or 0. Written only by the handler. */
extern volatile sig_atomic_t cb_interrupted;

/* Catch SIGINT and SIGTERM into cb_interrupted (without SA_RESTART, so a blocked call returns
 * EINTR at once), and ignore SIGPIPE and SIGXFSZ: a closed pipe or a full file is an error
 * return, not a death. */
void cb_signals_catch(void);

#endif
