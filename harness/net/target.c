/* target.c: the target server a run starts for the workloads that need one, and always stops. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "target.h"
#include "clock.h"
#include "procfs.h"

int cb_target_up(const cb_target *t) { return t->external || t->pid > 0; }

int cb_target_parse_url(cb_target *t, const char *url, char *err, size_t len) {
  memset(t, 0, sizeof *t);
  t->external = 1;
  char host[256];
  const char *p = url;
  if (strncmp(p, "http://", 7) != 0) {
    snprintf(err, len, "--target '%s' is not http://HOST:PORT (https is not supported), e.g. http://127.0.0.1:8080", url);
    return -1;
  }
  p += 7;
  const char *colon = strchr(p, ':');
  size_t hl = colon ? (size_t)(colon - p) : strcspn(p, "/");
  if (hl == 0 || hl >= sizeof host || memchr(p, '@', hl) || memchr(p, '/', hl)) {
    snprintf(err, len, "--target '%s': give HOST:PORT, e.g. http://127.0.0.1:8080", url);
    return -1;
  }
  memcpy(host, p, hl);
  host[hl] = '\0';
  long port = 80;
  if (colon) {
    char *end;
    port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || port < 1 || port > 65535 || (*end && strcmp(end, "/") != 0)) {
      snprintf(err, len, "--target '%s': the port must be 1 to 65535 and nothing may follow it (the path is -p path=...)", url);
      return -1;
    }
  } else if (p[hl] && strcmp(p + hl, "/") != 0) {
    snprintf(err, len, "--target '%s': give only http://HOST:PORT; the path is -p path=...", url);
    return -1;
  }
  struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai = NULL;
  int rc = getaddrinfo(host, NULL, &hints, &ai);
  if (rc != 0 || !ai) {
    snprintf(err, len, "--target '%s': cannot resolve %s: %s", url, host, gai_strerror(rc));
    return -1;
  }
  t->addr = *(struct sockaddr_in *)ai->ai_addr;
  t->addr.sin_port = htons((uint16_t)port);
  freeaddrinfo(ai);
  snprintf(t->authority, sizeof t->authority, "%s:%ld", host, port);
  return 0;
}

int cb_target_matches(const cb_target *t, const cb_server_opts *o) {
  if (t->external) return 1;   /* whatever it serves, it is the one asked for */
  return t->pid > 0 && t->opts.site.pages == o->site.pages && t->opts.site.links == o->site.links &&
         t->opts.site.seed == o->site.seed && t->opts.fault_rate == o->fault_rate &&
         t->opts.fault_seed == o->fault_seed;
}

int cb_target_start(cb_target *t, const cb_server_opts *opts, char *err, size_t len) {
  int fds[2];
  memset(t, 0, sizeof *t);
  t->opts = *opts;
  t->opts.host = "127.0.0.1";
  t->opts.port = 0;
  t->opts.quiet = 1;
  if (pipe2(fds, O_CLOEXEC) != 0) {
    snprintf(err, len, "cannot start the target server: pipe: %s", strerror(errno));
    return -1;
  }
  pid_t parent = getpid();
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, len, "cannot start the target server: fork: %s; raise the process limit (ulimit -u)", strerror(errno));
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    close(fds[0]);
    /* SIGTERM, not SIGKILL: the server closes its connections and exits cleanly. */
    if (cb_die_with_parent(SIGTERM, parent) != 0) _exit(1);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    _exit(cb_server_run(&t->opts, fds[1]) == 0 ? 0 : 1);
  }
  close(fds[1]);
  t->pid = pid;

  /* The server writes its port once it listens. */
  char line[32] = "";
  size_t got = 0;
  int64_t deadline = cb_now_ns() + 5 * (int64_t)1000000000;
  struct pollfd p = { .fd = fds[0], .events = POLLIN };
  while (got < sizeof line - 1 && !memchr(line, '\n', got)) {
    int ms = (int)((deadline - cb_now_ns()) / 1000000);
    if (ms <= 0 || poll(&p, 1, ms) <= 0) break;
    ssize_t r = read(fds[0], line + got, sizeof line - 1 - got);
    if (r <= 0) break;
    got += (size_t)r;
    line[got] = '\0';
  }
  close(fds[0]);
  long port = strtol(line, NULL, 10);
  if (port <= 0 || port > 65535) {
    snprintf(err, len, "the target server did not start (its error is above); the run needs it for this workload");
    cb_target_stop(t);
    return -1;
  }
  t->addr.sin_family = AF_INET;
  t->addr.sin_port = htons((uint16_t)port);
  t->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  snprintf(t->authority, sizeof t->authority, "127.0.0.1:%ld", port);
  return 0;
}

int cb_target_ended(cb_target *t, char *how, size_t len) {
  int status;
  if (t->pid <= 0 || waitpid(t->pid, &status, WNOHANG) != t->pid) return 0;
  if (WIFSIGNALED(status))
    snprintf(how, len, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  else
    snprintf(how, len, "exited with status %d", WEXITSTATUS(status));
  t->pid = 0;
  return 1;
}

void cb_target_stop(cb_target *t) {
  if (t->external || t->pid <= 0) return;
  kill(t->pid, SIGTERM);
  int64_t deadline = cb_now_ns() + 2 * (int64_t)1000000000;
  int status;
  for (;;) {
    pid_t r = waitpid(t->pid, &status, WNOHANG);
    if (r == t->pid || (r < 0 && errno != EINTR)) break;
    if (cb_now_ns() > deadline) {
      kill(t->pid, SIGKILL);
      while (waitpid(t->pid, &status, 0) < 0 && errno == EINTR) {}
      break;
    }
    cb_sleep_until(cb_now_ns() + 2000000);
  }
  t->pid = 0;
}
