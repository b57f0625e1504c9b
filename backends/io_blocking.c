/* io_blocking.c: the runtime contract as ordinary blocking calls, for sync, threads and fork. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "backend.h"
#include "clock.h"
#include "shared.h"

struct cb_conn {
  int fd;
};

static int blocking_sleep(cb_ctx *ctx, uint64_t ms) {
  cb_sleep_until(cb_now_ns() + (int64_t)ms * 1000000);
  return 0;
}

static int blocking_sleep_until(cb_ctx *ctx, int64_t deadline) {
  cb_sleep_until(deadline);
  return 0;
}

static uint64_t blocking_compute(cb_ctx *ctx, uint64_t seed, uint64_t units) {
  return cb_hash_chain(seed, units);
}

/* Block until fd is ready for `events` or the deadline passes. */
static int wait_fd(int fd, short events, int64_t deadline) {
  struct pollfd p = { .fd = fd, .events = events };
  for (;;) {
    int ms = -1;
    if (deadline) {
      int64_t left = deadline - cb_now_ns();
      if (left <= 0) return -ETIMEDOUT;
      ms = (int)((left + 999999) / 1000000);
    }
    int r = poll(&p, 1, ms);
    if (r > 0) return 0;
    if (r == 0) continue;          /* re-check the deadline: poll may round down */
    if (errno != EINTR) return -errno;
  }
}

static int blocking_connect(cb_ctx *ctx, const struct sockaddr *addr, int64_t deadline, cb_conn **out) {
  socklen_t alen = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  cb_conn *c = malloc(sizeof *c);
  if (!c) return -ENOMEM;
  /* Non-blocking underneath so every call can honour its deadline; the caller still blocks. */
  c->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) { int e = -errno; free(c); return e; }
  int one = 1, rc = 0;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(c->fd, addr, alen) != 0) {
    if (errno != EINPROGRESS) { rc = -errno; goto fail; }
    if ((rc = wait_fd(c->fd, POLLOUT, deadline)) != 0) goto fail;
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0) err = errno;
    if (err) { rc = -err; goto fail; }
  }
  *out = c;
  return 0;
fail:
  close(c->fd);
  free(c);
  return rc;
}

static ssize_t blocking_send(cb_ctx *ctx, cb_conn *c, const void *buf, size_t len, int64_t deadline) {
  const char *p = buf;
  size_t done = 0;
  while (done < len) {
    ssize_t w = send(c->fd, p + done, len - done, MSG_NOSIGNAL);
    if (w >= 0) { done += (size_t)w; continue; }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return -errno;
    int rc = wait_fd(c->fd, POLLOUT, deadline);
    if (rc) return rc;
  }
  return (ssize_t)len;
}

static ssize_t blocking_recv(cb_ctx *ctx, cb_conn *c, void *buf, size_t cap, int64_t deadline) {
  for (;;) {
    /* Wait first: right after a request the answer is almost never there yet. */
    int rc = wait_fd(c->fd, POLLIN, deadline);
    if (rc) return rc;
    ssize_t r = recv(c->fd, buf, cap, 0);
    if (r >= 0) return r;
    if (errno != EAGAIN && errno != EINTR) return -errno;
  }
}

static void blocking_close(cb_ctx *ctx, cb_conn *c) {
  if (!c) return;
  struct linger reset = { .l_onoff = 1, .l_linger = 0 };   /* no TIME_WAIT: see cb_tcp_close */
  setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  close(c->fd);
  free(c);
}

static int blocking_listen(cb_ctx *ctx, const struct sockaddr *addr, int backlog, int *fd) {
  return cb_listen_socket(addr, backlog, fd);
}

/* Every worker (thread or process) waits on the one listening socket, each through an epoll of
 * its own with EPOLLEXCLUSIVE: a connection wakes one waiter, not all of them (with poll, 10,000
 * threads woke for every connection, and took minutes of system time to accept 10,000). A
 * shutdown wakes them all. */
static int blocking_accept(cb_ctx *ctx, int fd, int64_t deadline, cb_conn **out) {
  int ep = -1, rc = 0;
  for (;;) {
    int s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (s >= 0) {
      cb_conn *c = malloc(sizeof *c);
      if (!c) { close(s); return -ENOMEM; }
      int one = 1;
      setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      c->fd = s;
      *out = c;
      break;
    }
    if (errno == EINVAL) { rc = CB_EOF; break; }   /* the harness shut the listener down */
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno != EAGAIN) { rc = -errno; break; }
    if (ep < 0) {
      struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
      if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        if (ep >= 0) close(ep);
        ep = -2;                                   /* no epoll: poll, as every waiter wakes */
      }
    }
    if (ep == -2) {
      if ((rc = wait_fd(fd, POLLIN, deadline)) != 0) break;
      continue;
    }
    int ms = -1;
    if (deadline) {
      int64_t left = deadline - cb_now_ns();
      if (left <= 0) { rc = -ETIMEDOUT; break; }
      ms = (int)((left + 999999) / 1000000);
    }
    struct epoll_event got;
    if (epoll_wait(ep, &got, 1, ms) < 0 && errno != EINTR) { rc = -errno; break; }
  }
  if (ep >= 0) close(ep);
  return rc;
}

static int blocking_open(cb_ctx *ctx, const char *path, int flags, int mode) {
  int fd = open(path, flags | O_CLOEXEC, mode);
  return fd < 0 ? -errno : fd;
}

static ssize_t blocking_write(cb_ctx *ctx, int fd, const void *buf, size_t len, int64_t off) {
  ssize_t w;
  while ((w = pwrite(fd, buf, len, off)) < 0 && errno == EINTR) {}
  return w < 0 ? -errno : w;
}

static ssize_t blocking_read(cb_ctx *ctx, int fd, void *buf, size_t len, int64_t off) {
  ssize_t r;
  while ((r = pread(fd, buf, len, off)) < 0 && errno == EINTR) {}
  return r < 0 ? -errno : r;
}

static int blocking_fsync(cb_ctx *ctx, int fd) { return fsync(fd) ? -errno : 0; }
static int blocking_fclose(cb_ctx *ctx, int fd) { return close(fd) ? -errno : 0; }
static int blocking_unlink(cb_ctx *ctx, const char *path) { return unlink(path) ? -errno : 0; }

static int blocking_put(cb_ctx *ctx, cb_queue *q, const void *item, int64_t deadline) {
  return cb__queue_put_wait(q, item, deadline);
}

static int blocking_get(cb_ctx *ctx, cb_queue *q, void *item, int64_t deadline) {
  return cb__queue_get_wait(q, item, deadline);
}

static void blocking_qclose(cb_ctx *ctx, cb_queue *q) { cb__queue_close_wait(q); }

static int blocking_set_add(cb_ctx *ctx, cb_set *s, const void *key, size_t len) {
  return cb__set_add(s, key, len);
}

const cb_io cb_io_blocking = {
  .name = "blocking",
  .sleep = blocking_sleep,
  .sleep_until = blocking_sleep_until,
  .compute = blocking_compute,
  .tcp_connect = blocking_connect,
  .tcp_send = blocking_send,
  .tcp_recv = blocking_recv,
  .tcp_close = blocking_close,
  .file_open = blocking_open,
  .file_write = blocking_write,
  .file_read = blocking_read,
  .file_fsync = blocking_fsync,
  .file_close = blocking_fclose,
  .file_unlink = blocking_unlink,
  .queue_put = blocking_put,
  .queue_get = blocking_get,
  .queue_close = blocking_qclose,
  .set_add = blocking_set_add,
  .tcp_listen = blocking_listen,
  .tcp_accept = blocking_accept,
};
