/* capacity.c: can this machine give a case the workers it asks for? Checked before anything runs. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "capacity.h"
#include "util.h"

void cb_capacity_count_tasks(long long *all, long long *mine) {
  char path[64], line[256];
  uid_t uid = getuid();
  *all = *mine = 0;
  DIR *d = opendir("/proc");
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    if (snprintf(path, sizeof path, "/proc/%.20s/status", e->d_name) >= (int)sizeof path) continue;
    FILE *f = fopen(path, "r");
    if (!f) continue;
    long long threads = 1, ruid = -1;
    while (fgets(line, sizeof line, f)) {
      if (strncmp(line, "Uid:", 4) == 0) ruid = atoll(line + 4);
      else if (strncmp(line, "Threads:", 8) == 0) threads = atoll(line + 8);
    }
    fclose(f);
    *all += threads;
    if (ruid == (long long)uid) *mine += threads;
  }
  closedir(d);
}

static long long count_lines(const char *path) {
  FILE *f = fopen(path, "r");
  long long n = 0;
  int ch;
  if (!f) return 0;
  while ((ch = getc(f)) != EOF) n += ch == '\n';
  fclose(f);
  return n;
}

static long long mem_available_kib(void) {
  char line[256];
  long long v = -1;
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "MemAvailable:", 13) == 0) { v = atoll(line + 13); break; }
  fclose(f);
  return v;
}

void cb_capacity_raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int cb_capacity_tasks(unsigned long long tasks, const char *what, const char *lower, char *err, size_t len) {
  long long all, mine;
  struct rlimit rl;
  cb_capacity_count_tasks(&all, &mine);
  /* A margin for the runner, the measurement process and what else starts meanwhile. */
  unsigned long long want = tasks + 16;
  if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (unsigned long long)mine + want > rl.rlim_cur) {
    long long left = (long long)rl.rlim_cur - mine;
    snprintf(err, len, "%s and concbench about 16 more, but the process limit (ulimit -u %llu) leaves room for %lld; "
             "%sraise it with ulimit -u %llu", what, (unsigned long long)rl.rlim_cur, left < 0 ? 0 : left, lower,
             (unsigned long long)mine + want);
    return -1;
  }
  static const struct { const char *path, *name; } sys[] = {
    { "/proc/sys/kernel/threads-max", "kernel.threads-max" },
    { "/proc/sys/kernel/pid_max", "kernel.pid_max" },
  };
  for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++) {
    long long max = cb_read_ll(sys[i].path, -1);
    if (max > 0 && (unsigned long long)all + want > (unsigned long long)max) {
      snprintf(err, len, "%s and concbench about 16 more, but %s (%lld) leaves room for %lld; %sraise it: sysctl -w %s=%llu",
               what, sys[i].name, max, max - all, lower, sys[i].name, (unsigned long long)all + want);
      return -1;
    }
  }
  return 0;
}

int cb_capacity_check(const cb_case *c, char *err, size_t len) {
  const cb_backend_needs *nd = &c->be->needs;
  unsigned long long w = c->eff_conc;
  const char *be = c->be->name;
  char why[240];
  /* The kernel first: a backend this machine cannot run at all is refused whatever its size. */
  if (cb_backend_available(c->be, why, sizeof why) != 0) {
    snprintf(err, len, "backend %s cannot run here: %s", be, why);
    return -1;
  }
  unsigned long long tasks = nd->threads_per_worker * w;
  /* A helper pool may abort the process when it cannot start (libuv's does), so it is checked
   * up front with the workers. */
  uint32_t extra = cb_backend_extra_threads(nd);
  tasks += extra;

  if (tasks) {
    char what[128], lower[96] = "lower -c or ";
    snprintf(what, sizeof what, "-c %u on %s needs %llu %s", c->conc, be, tasks,
             nd->procs_per_worker ? "processes" : "threads");
    if (extra && nd->extra_threads_option)
      snprintf(lower, sizeof lower, "lower -c or %s, or ", nd->extra_threads_option);
    if (cb_capacity_tasks(tasks, what, lower, err, len))
      return -1;
  }

  if (nd->maps_per_worker) {
    long long maxmaps = cb_read_ll("/proc/sys/vm/max_map_count", -1);
    unsigned long long need = nd->maps_per_worker * w + (unsigned long long)count_lines("/proc/self/maps") + 256;
    if (maxmaps > 0 && need > (unsigned long long)maxmaps) {
      snprintf(err, len, "-c %u on %s needs about %llu memory maps (a stack and a guard page per worker), "
               "more than vm.max_map_count (%lld) allows; lower -c or raise it: sysctl -w vm.max_map_count=%llu",
               c->conc, be, need, maxmaps, need * 2);
      return -1;
    }
  }

  struct rlimit nf;
  if (c->wl->load) {
    /* A server under load: the load process holds all K connections; the server one per worker
     * serving (in one process, or one each for fork's), the rest waiting in the accept queue. */
    unsigned long long k = c->wl->load->connections(&c->params, c->conc);
    unsigned long long srv = nd->procs_per_worker ? 1 : (k < w ? k : w);
    unsigned long long most = (k > srv ? k : srv) + 256;
    if (getrlimit(RLIMIT_NOFILE, &nf) == 0 && nf.rlim_cur != RLIM_INFINITY && most > nf.rlim_cur) {
      snprintf(err, len, "%s with %llu connections on %s -c %u needs about %llu file descriptors in the load process "
               "and %llu in the server, more than ulimit -n (%llu) allows; lower -p connections or raise it: ulimit -n %llu",
               c->wl->name, k, be, c->conc, k + 256, srv + 256, (unsigned long long)nf.rlim_cur, most + 768);
      return -1;
    }
  }
  /* Connections: the measurement process holds one per worker (threads, uv), and the target
   * server holds the other end of every one, whatever the backend. */
  unsigned long long fds = c->wl->load ? 0 : (unsigned long long)c->wl->fds_per_worker * w;
  if (fds && getrlimit(RLIMIT_NOFILE, &nf) == 0 && nf.rlim_cur != RLIM_INFINITY && fds + 256 > nf.rlim_cur) {
    snprintf(err, len, "-c %u on %s needs about %llu file descriptors (a connection per worker), more than "
             "ulimit -n (%llu) allows; lower -c or raise it: ulimit -n %llu",
             c->conc, be, fds + 256, (unsigned long long)nf.rlim_cur, fds + 1024);
    return -1;
  }

  long long avail = mem_available_kib();
  unsigned long long mem = nd->mem_kib_per_worker * w;
  if (avail > 0 && mem > (unsigned long long)avail * 9 / 10) {
    snprintf(err, len, "-c %u on %s needs about %llu MiB (%llu KiB per %s), more than the %lld MiB of memory available; lower -c",
             c->conc, be, mem / 1024, (unsigned long long)nd->mem_kib_per_worker,
             nd->procs_per_worker ? "process" : nd->threads_per_worker ? "thread" : "coroutine", avail / 1024);
    return -1;
  }
  return 0;
}

int cb_capacity_disk_fits(unsigned long long need, unsigned long long avail, const char *dir, const char *what,
                          char *err, size_t len) {
  if (need <= avail) return 0;
  char n[32], a[32];
  cb_fmt_bytes(need, n, sizeof n);
  cb_fmt_bytes(avail, a, sizeof a);
  snprintf(err, len, "%s writes up to %s at once in %s, but only %s is free there; lower -c or bytes, "
           "or set TMPDIR to a directory with more room", what, n, dir, a);
  return -1;
}

int cb_capacity_disk(const cb_case *c, const char *dir, char *err, size_t len) {
  if (!c->wl->disk_bytes || !(c->wl->flags & CB_WL_TMPDIR)) return 0;
  unsigned long long need = c->wl->disk_bytes(&c->params, c->tasks, c->eff_conc);
  struct statvfs vs;
  /* A directory whose room cannot be known is left to fail, if it must, as it writes. */
  if (!need || statvfs(dir, &vs) != 0) return 0;
  unsigned long long avail = (unsigned long long)vs.f_bavail * (vs.f_frsize ? vs.f_frsize : vs.f_bsize);
  char what[400];
  snprintf(what, sizeof what, "%s on %s, -c %u, %s", c->wl->name, c->be->name, c->conc, c->params_str);
  return cb_capacity_disk_fits(need, avail, dir, what, err, len);
}
