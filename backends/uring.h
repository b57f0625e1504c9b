/* uring.h: the uring backend's knobs for white-box tests (a short ring, refused submissions). */
#ifndef CB_URING_H
#define CB_URING_H

/* Tests only; a run leaves them zero. entries: the ring's submission entries (0: sized from the
 * coroutines); cq_entries: its completion entries (0: twice what may be in flight). fail_submits:
 * that many submissions are refused with fail_errno (-EAGAIN or -EBUSY) before reaching the
 * kernel, as a kernel short of memory or with completions to reap refuses them. */
typedef struct cb__uring_knobs {
  unsigned entries, cq_entries;
  unsigned fail_submits;
  int fail_errno;
  unsigned refused;          /* out: submissions refused (injected or by the kernel) */
  unsigned sq_waits;         /* out: times a coroutine waited for room in the submission queue */
} cb__uring_knobs;

extern cb__uring_knobs cb__uring_test;

#endif
