/* procfs.c: reading /proc for a process's memory, CPU time, status and descriptors; tying a child to its parent. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "procfs.h"

/* The number after a "Rss:" or "Pss:" line's key, added to *r or *p. */
static void mem_line(const char *line, uint64_t *r, uint64_t *p, int *seen) {
  /* "Pss:" only: the rollup also has Pss_Anon:, Pss_File: ..., parts of the same figure. */
  if (strncmp(line, "Rss:", 4) == 0) { *r += strtoull(line + 4, NULL, 10); *seen |= 1; }
  else if (strncmp(line, "Pss:", 4) == 0) { *p += strtoull(line + 4, NULL, 10); *seen |= 2; }
}

int cb_proc_mem_kib(pid_t pid, uint64_t *rss, uint64_t *pss) {
  char path[64];
  if (pid) snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
  else snprintf(path, sizeof path, "/proc/self/smaps_rollup");
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0 && errno == ENOENT) {
    /* Before 4.14 there is no rollup; the per-mapping file, summed, says the same (slower). */
    if (pid) snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    else snprintf(path, sizeof path, "/proc/self/smaps");
    f = open(path, O_RDONLY | O_CLOEXEC);
  }
  if (f < 0) return -errno;
  /* Plain reads into a small buffer on the stack, no stdio: a fork worker reads its own figure
   * at the end, and a FILE's allocations would add pages of its own to what it measures. */
  char buf[512];
  size_t have = 0;
  uint64_t r = 0, p = 0;
  int seen = 0, skip = 0;
  for (;;) {
    ssize_t n = read(f, buf + have, sizeof buf - 1 - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(f);
      return -e;
    }
    have += (size_t)n;
    buf[have] = '\0';
    char *line = buf, *nl;
    while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
      *nl = '\0';
      if (!skip) mem_line(line, &r, &p, &seen);
      skip = 0;
      line = nl + 1;
    }
    have -= (size_t)(line - buf);
    if (n == 0) {                 /* the last line, without its newline */
      if (have && !skip) mem_line(line, &r, &p, &seen);
      break;
    }
    if (have == sizeof buf - 1) { /* a line longer than the buffer (a long path): not ours */
      have = 0;
      skip = 1;
    } else {
      memmove(buf, line, have);
    }
  }
  close(f);
  if (seen != 3) return -ENODATA;
  if (rss) *rss = r;
  if (pss) *pss = p;
  return 0;
}

uint64_t cb_proc_pss_kib(pid_t pid) {
  uint64_t kib = 0;
  return cb_proc_mem_kib(pid, NULL, &kib) == 0 ? kib : 0;
}

long long cb_proc_status_field(pid_t pid, const char *key) {
  char path[64], line[256];
  size_t kl = strlen(key);
  long long v = -1;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, key, kl) == 0) { v = atoll(line + kl); break; }
  fclose(f);
  return v;
}

int cb_proc_cpu_split(pid_t pid, double *user_s, double *sys_s) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return -1;
  ssize_t n = read(f, buf, sizeof buf - 1);
  close(f);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');      /* the command name may hold spaces */
  unsigned long long ut = 0, st = 0;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return -1;
  double hz = (double)sysconf(_SC_CLK_TCK);
  if (user_s) *user_s = (double)ut / hz;
  if (sys_s) *sys_s = (double)st / hz;
  return 0;
}

double cb_proc_cpu_s(pid_t pid) {
  double u, s;
  return cb_proc_cpu_split(pid, &u, &s) == 0 ? u + s : -1;
}

char cb_proc_state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return 0;
  ssize_t n = read(f, buf, sizeof buf - 1);
  close(f);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');      /* the command name may hold spaces and parentheses */
  return p && p[1] == ' ' && p[2] ? p[2] : 0;
}

int cb_proc_cpu_busy_s(double *busy_s, double *user_s, double *steal_s) {
  char buf[512];
  int f = open("/proc/stat", O_RDONLY | O_CLOEXEC);
  if (f < 0) return -errno;
  ssize_t n = read(f, buf, sizeof buf - 1);   /* the first line is all we need */
  int e = errno;
  close(f);
  if (n <= 0) return n < 0 ? -e : -ENODATA;
  buf[n] = '\0';
  unsigned long long v[8] = { 0 };   /* user nice system idle iowait irq softirq steal */
  if (strncmp(buf, "cpu ", 4) != 0 ||
      sscanf(buf + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
             &v[7]) < 7)
    return -ENODATA;
  /* guest and guest_nice (after steal) are already inside user and nice. */
  double hz = (double)sysconf(_SC_CLK_TCK);
  if (busy_s) *busy_s = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
  if (user_s) *user_s = (double)(v[0] + v[1]) / hz;
  if (steal_s) *steal_s = (double)v[7] / hz;
  return 0;
}

uint32_t cb_proc_count_fds(pid_t pid) {
  char path[64];
  uint32_t n = 0;
  snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
  DIR *d = opendir(path);
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d))) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

int cb_die_with_parent(int sig, pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, sig) != 0) return -errno;
  /* A parent that died before the prctl sent no signal: we were already handed to another. */
  if (getppid() != parent) return -ESRCH;
  return 0;
}
