/* capacity.h: can this machine give a case the workers it asks for? Checked before anything runs. */
#ifndef CB_CAPACITY_H
#define CB_CAPACITY_H

#include <stddef.h>
#include "plan.h"

/* 0 when it can; else -1 and one line in err saying which limit and how to raise it. */
int cb_capacity_check(const cb_case *c, char *err, size_t len);
/* Room for tasks more threads or processes (and concbench's own margin) under ulimit -u,
 * kernel.threads-max and kernel.pid_max. what begins the refusal ("-c 500 on fork needs 500
 * processes"), lower is advice before "raise it" ("lower -c or ", or ""). 0, or -1 with err set. */
int cb_capacity_tasks(unsigned long long tasks, const char *what, const char *lower, char *err, size_t len);

/* Room on the disk for what the case's tasks write at once into dir (the directory its workload
 * writes to; nothing to check when it writes nothing there). 0, or -1 with one line in err
 * giving the figures: what it needs, what is free, where. */
int cb_capacity_disk(const cb_case *c, const char *dir, char *err, size_t len);
/* The verdict of cb_capacity_disk on figures already known (tests give a free space of their
 * own): need bytes against avail free in dir; what begins the refusal ("file on threads, -c 100,
 * bytes=1000000"). 0 or -1 with err set. */
int cb_capacity_disk_fits(unsigned long long need, unsigned long long avail, const char *dir, const char *what,
                          char *err, size_t len);

/* Kernel tasks (threads) running now: all of them, and those of our real user (what
 * RLIMIT_NPROC counts). */
void cb_capacity_count_tasks(long long *all, long long *mine);

/* Raise the soft limit on open files to the hard one, as servers do: connections need them. */
void cb_capacity_raise_nofile(void);

#endif
