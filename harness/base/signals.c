/* signals.c: SIGINT and SIGTERM turned into a flag that long loops look at. */
#include <string.h>
#include "signals.h"

volatile sig_atomic_t cb_interrupted;

static void on_signal(int sig) { cb_interrupted = sig; }

void cb_signals_catch(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN);
}
