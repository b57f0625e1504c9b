/* procfs.h: what /proc says about a process (memory, CPU time, status, descriptors), and a child's tie to its parent. */
#ifndef CB_PROCFS_H
#define CB_PROCFS_H

#include <stdint.h>
#include <sys/types.h>

/* Rss and Pss of a process (pid 0: ourselves) in KiB, from /proc/PID/smaps_rollup (the sum over
 * /proc/PID/smaps on kernels before 4.14). Pss splits each shared page among its sharers, so the
 * Pss of a process tree adds up to the tree's footprint. Either pointer may be NULL. 0, or
 * -errno (-ENODATA when the file has no Rss or Pss). */
int cb_proc_mem_kib(pid_t pid, uint64_t *rss, uint64_t *pss);
/* The Pss of cb_proc_mem_kib, or 0 when it cannot be read (the process is gone). */
uint64_t cb_proc_pss_kib(pid_t pid);

/* The number after key ("Threads:") in /proc/PID/status, or -1. */
long long cb_proc_status_field(pid_t pid, const char *key);
/* CPU seconds a process has used (utime + stime, from /proc/PID/stat), or -1. */
double cb_proc_cpu_s(pid_t pid);
/* Its two parts, user (utime) and system (stime) seconds: 0, or -1. */
int cb_proc_cpu_split(pid_t pid, double *user_s, double *sys_s);
/* The state letter of a process (R, S, D, Z ...) from /proc/PID/stat, or 0 when it is gone. */
char cb_proc_state(pid_t pid);
/* CPU time the whole machine spent busy since boot, summed over every CPU (user + nice + system +
 * irq + softirq + steal of /proc/stat's "cpu" line), its user part (user + nice), and the steal
 * part alone, in seconds.
 * Tick-counted: each CPU's figure moves in steps of 1/USER_HZ. 0, or -errno. */
int cb_proc_cpu_busy_s(double *busy_s, double *user_s, double *steal_s);
/* Open descriptors of a process (entries of /proc/PID/fd); 0 when it cannot be read. */
uint32_t cb_proc_count_fds(pid_t pid);

/* For a child just forked: get sig when the parent dies (PR_SET_PDEATHSIG), then make sure the
 * parent is still parent, since one that died before the prctl sends nothing. 0, or -errno
 * (-ESRCH: the parent is gone); the child should then _exit. */
int cb_die_with_parent(int sig, pid_t parent);

#endif
