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

int cb_proc_mem_kib(pid_t pid, uint64_t *rss, uint64_t *pss) {
  char path[64], line[256];
  if (pid) snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
  else snprintf(path, sizeof path, "/proc/self/smaps_rollup");
  FILE *f = fopen(path, "r");
  if (!f && errno == ENOENT) {
    /* Before 4.14 there is no rollup; the per-mapping file, summed, says the same (slower). */
    if (pid) snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    else snprintf(path, sizeof path, "/proc/self/smaps");
    f = fopen(path, "r");
  }
  if (!f) return -errno;
  uint64_t r = 0, p = 0;
  int seen = 0;
  /* "Pss:" only: the rollup also has Pss_Anon:, Pss_File: ..., parts of the same figure. */
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "Rss:", 4) == 0) { r += strtoull(line + 4, NULL, 10); seen |= 1; }
    else if (strncmp(line, "Pss:", 4) == 0) { p += strtoull(line + 4, NULL, 10); seen |= 2; }
  }
  fclose(f);
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

double cb_proc_cpu_s(pid_t pid) {
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
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
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
