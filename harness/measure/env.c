/* env.c: the machine a run is measured on: cores, calibration, and the environment record. */
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <uv.h>
#include <http_parser.h>
#include "env.h"
#include "gitrev.h"
#include "clock.h"
#include "util.h"

const char *cb_git_rev(void) { return CB_GIT_REV; }

/* The calibration that sizes work (mixed's compute per task, CPU cases' task counts) on a grid of
 * 2% steps: two runs on one machine calibrate a few percent apart, and without the grid would do
 * different work per task, so their times per task would differ by as much. */
static double quantize(double unit_s) {
  if (!(unit_s > 0)) return unit_s;
  double step = log(1.02);
  return exp(round(log(unit_s) / step) * step);
}

void cb_machine_probe(cb_machine *m, int calibrate) {
  memset(m, 0, sizeof *m);
  m->cores = cb_cpu_count();
  if (calibrate) m->unit_s = quantize(cb_calibrate_unit());
}

double cb_calibrate_unit(void) {
  /* The fastest of many short trials: the unit's cost on an undisturbed core (about 30 ms in all,
   * long enough for the core to leave a low-power state, short enough that some trial runs
   * without interruption). */
  const uint64_t units = 400;
  double best = 1e9;
  volatile uint64_t sink = 0;
  for (int t = 0; t < 40; t++) {
    int64_t t0 = cb_now_ns();
    sink += cb_hash_chain((uint64_t)t, units);
    double s = (double)(cb_now_ns() - t0) / 1e9;
    if (s < best) best = s;
  }
  (void)sink;
  return best / (double)units;
}

/* "model name : Foo" from /proc/cpuinfo. */
static void cpu_model(char *buf, size_t len) {
  char line[512];
  FILE *f = fopen("/proc/cpuinfo", "r");
  snprintf(buf, len, "unknown");
  if (!f) return;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) != 0) continue;
    char *c = strchr(line, ':');
    if (!c) continue;
    c += 1 + (c[1] == ' ');
    c[strcspn(c, "\n")] = '\0';
    snprintf(buf, len, "%s", c);
    break;
  }
  fclose(f);
}

static long long meminfo_kib(const char *key) {
  char line[256];
  long long v = -1;
  size_t kl = strlen(key);
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, key, kl) == 0 && line[kl] == ':') { v = atoll(line + kl + 1); break; }
  fclose(f);
  return v;
}

static void os_release(char *buf, size_t len) {
  char line[512];
  FILE *f = fopen("/etc/os-release", "r");
  snprintf(buf, len, "unknown");
  if (!f) return;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "PRETTY_NAME=", 12) != 0) continue;
    char *v = line + 12;
    v[strcspn(v, "\n")] = '\0';
    if (*v == '"') { v++; v[strcspn(v, "\"")] = '\0'; }
    snprintf(buf, len, "%s", v);
    break;
  }
  fclose(f);
}

static double rlim_num(int res) {
  struct rlimit rl;
  if (getrlimit(res, &rl) != 0) return -1;
  return rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur;
}

/* The servers the run talks to, as the engine set them (cb_env_service). */
static struct { const char *key; char value[320]; } services[4];

void cb_env_service(const char *key, const char *value) {
  for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
    if (!services[i].key || strcmp(services[i].key, key) == 0) {
      services[i].key = key;
      snprintf(services[i].value, sizeof services[i].value, "%s", value);
      return;
    }
}

cJSON *cb_env_json(const cb_machine *m) {
  char buf[512];
  struct utsname u;
  cJSON *e = cJSON_CreateObject();
  cpu_model(buf, sizeof buf);
  cJSON_AddStringToObject(e, "cpu_model", buf);
  cJSON_AddNumberToObject(e, "cores", m->cores);
  cJSON_AddNumberToObject(e, "cores_online", (double)sysconf(_SC_NPROCESSORS_ONLN));
  cJSON_AddNumberToObject(e, "memory_kib", (double)meminfo_kib("MemTotal"));
  cJSON_AddNumberToObject(e, "memory_available_kib", (double)meminfo_kib("MemAvailable"));
  if (uname(&u) == 0) {
    snprintf(buf, sizeof buf, "%s %s %s", u.sysname, u.release, u.machine);
    cJSON_AddStringToObject(e, "kernel", buf);
  }
  os_release(buf, sizeof buf);
  cJSON_AddStringToObject(e, "distribution", buf);
#if defined(__clang__)
  cJSON_AddStringToObject(e, "compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
  cJSON_AddStringToObject(e, "compiler", "gcc " __VERSION__);
#endif
  cJSON_AddStringToObject(e, "build_type", CB_BUILD_TYPE);
  cJSON_AddStringToObject(e, "sanitizers", CB_SANITIZE_FLAGS);
  cJSON_AddStringToObject(e, "libuv", uv_version_string());
  unsigned long hp = http_parser_version();
  snprintf(buf, sizeof buf, "%lu.%lu.%lu", (hp >> 16) & 255, (hp >> 8) & 255, hp & 255);
  cJSON_AddStringToObject(e, "http_parser", buf);
  cJSON_AddStringToObject(e, "compiler_flags", CB_C_FLAGS);
  cJSON_AddStringToObject(e, "concbench", CB_VERSION);
  cJSON_AddStringToObject(e, "git_revision", CB_GIT_REV);
  cJSON_AddBoolToObject(e, "git_dirty", strstr(CB_GIT_REV, "dirty") != NULL);
  cJSON_AddNumberToObject(e, "ulimit_n", rlim_num(RLIMIT_NOFILE));
  cJSON_AddNumberToObject(e, "ulimit_u", rlim_num(RLIMIT_NPROC));
  cJSON_AddNumberToObject(e, "somaxconn", (double)cb_read_ll("/proc/sys/net/core/somaxconn", -1));
  cJSON_AddNumberToObject(e, "max_map_count", (double)cb_read_ll("/proc/sys/vm/max_map_count", -1));
  if (cb_read_text("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf, sizeof buf) == 0)
    cJSON_AddStringToObject(e, "cpu_governor", buf);
  double la[3];
  if (getloadavg(la, 3) == 3) {
    cJSON *l = cJSON_AddArrayToObject(e, "loadavg");
    for (int i = 0; i < 3; i++) cJSON_AddItemToArray(l, cJSON_CreateNumber(la[i]));
  }
  cJSON_AddNumberToObject(e, "compute_unit_ns", m->unit_s * 1e9);
  /* libuv runs file operations on its thread pool: its size shapes the uv rows of file work. */
  const char *tp = getenv("UV_THREADPOOL_SIZE");
  cJSON_AddNumberToObject(e, "uv_threadpool_size", tp && atoi(tp) > 0 ? atoi(tp) : 4);
  /* uv-mt's loops (--loops): one per core unless set. */
  const char *lp = getenv("CB_UV_LOOPS");
  cJSON_AddNumberToObject(e, "uv_loops", lp && atoi(lp) > 0 ? (double)atoi(lp) : (double)m->cores);
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  cJSON_AddStringToObject(e, "date", buf);
  for (size_t i = 0; i < sizeof services / sizeof services[0] && services[i].key; i++)
    cJSON_AddStringToObject(e, services[i].key, services[i].value);
  return e;
}
