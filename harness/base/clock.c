/* clock.c: monotonic sleeping. */
#include <errno.h>
#include "clock.h"

void cb_sleep_until(int64_t deadline_ns) {
  struct timespec ts = { .tv_sec = deadline_ns / 1000000000, .tv_nsec = deadline_ns % 1000000000 };
  /* An absolute deadline makes EINTR restarts exact. */
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}
