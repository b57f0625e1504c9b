/* listen.c: the plain listening socket every backend's cb_tcp_listen may hand out as it is. */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include "backend.h"

int cb_listen_socket(const struct sockaddr *addr, int backlog, int *fd) {
  socklen_t alen = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  int s = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  int one = 1;
  /* A port freed by an earlier case's reset connections is at once reusable. */
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s, addr, alen) != 0 || listen(s, backlog > 0 ? backlog : SOMAXCONN) != 0) {
    int e = -errno;
    close(s);
    return e;
  }
  *fd = s;
  return 0;
}
