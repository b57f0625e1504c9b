/* shared.c: a bounded queue and a set in MAP_SHARED memory, usable by threads, by fork children
 * (process-shared robust locks) and by coroutine backends' coroutines (scheduler.h). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "shared.h"
#include "clock.h"

void *cb_shm_alloc(size_t len) {
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void cb_shm_free(void *p, size_t len) {
  if (p) munmap(p, len);
}

static int init_mutex(pthread_mutex_t *mu) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  int rc = pthread_mutex_init(mu, &a);
  pthread_mutexattr_destroy(&a);
  return -rc;
}

static int init_cond(pthread_cond_t *c) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);   /* deadlines are monotonic */
  int rc = pthread_cond_init(c, &a);
  pthread_condattr_destroy(&a);
  return -rc;
}

/* A holder that died left the data as it was mid-operation; every operation here keeps the
 * structure valid at each store, so taking the lock over is safe. */
static void lock(pthread_mutex_t *mu) {
  if (pthread_mutex_lock(mu) == EOWNERDEAD) pthread_mutex_consistent(mu);
}

static int wait_until(pthread_cond_t *c, pthread_mutex_t *mu, int64_t deadline) {
  int rc;
  if (!deadline) {
    rc = pthread_cond_wait(c, mu);
  } else {
    struct timespec ts = { .tv_sec = deadline / 1000000000, .tv_nsec = deadline % 1000000000 };
    rc = pthread_cond_timedwait(c, mu, &ts);
  }
  if (rc == EOWNERDEAD) { pthread_mutex_consistent(mu); rc = 0; }
  return rc == ETIMEDOUT ? -ETIMEDOUT : 0;
}

int cb_queue_create(cb_queue **out, size_t item_size, uint32_t maxsize, uint32_t cap, int serial) {
  if (item_size == 0 || maxsize == 0) return -EINVAL;
  if (cap < maxsize) cap = maxsize;
  size_t len = sizeof(cb_queue) + (size_t)cap * item_size;
  cb_queue *q = cb_shm_alloc(len);
  if (!q) return -ENOMEM;
  int rc;
  if ((rc = init_mutex(&q->mu)) || (rc = init_cond(&q->not_empty)) || (rc = init_cond(&q->not_full))) {
    cb_shm_free(q, len);
    return rc;
  }
  q->item_size = (uint32_t)item_size;
  q->maxsize = maxsize;
  q->cap = cap;
  q->serial = serial;
  q->map_len = len;
  *out = q;
  return 0;
}

void cb_queue_destroy(cb_queue *q) {
  if (!q) return;
  pthread_cond_destroy(&q->not_empty);
  pthread_cond_destroy(&q->not_full);
  pthread_mutex_destroy(&q->mu);
  cb_shm_free(q, q->map_len);
}

uint32_t cb_queue_count(cb_queue *q) {
  lock(&q->mu);
  uint32_t n = q->count;
  pthread_mutex_unlock(&q->mu);
  return n;
}

void cb__queue_lock(cb_queue *q) { lock(&q->mu); }
void cb__queue_unlock(cb_queue *q) { pthread_mutex_unlock(&q->mu); }

int cb__queue_try_put(cb_queue *q, const void *item) {
  if (q->closed) return -EPIPE;
  if (q->count >= (q->serial ? q->cap : q->maxsize)) return q->serial ? -ENOSPC : -EAGAIN;
  uint32_t tail = (q->head + q->count) % q->cap;
  memcpy(q->items + (size_t)tail * q->item_size, item, q->item_size);
  q->count++;
  return 0;
}

int cb__queue_try_get(cb_queue *q, void *item) {
  if (q->count == 0) return q->closed ? CB_EOF : -EAGAIN;
  memcpy(item, q->items + (size_t)q->head * q->item_size, q->item_size);
  q->head = (q->head + 1) % q->cap;
  q->count--;
  return 0;
}

int cb__queue_put_wait(cb_queue *q, const void *item, int64_t deadline) {
  int rc;
  lock(&q->mu);
  while ((rc = cb__queue_try_put(q, item)) == -EAGAIN)
    if (wait_until(&q->not_full, &q->mu, deadline) != 0) { rc = -ETIMEDOUT; break; }
  if (rc == 0) pthread_cond_signal(&q->not_empty);
  pthread_mutex_unlock(&q->mu);
  return rc;
}

int cb__queue_get_wait(cb_queue *q, void *item, int64_t deadline) {
  int rc;
  lock(&q->mu);
  while ((rc = cb__queue_try_get(q, item)) == -EAGAIN) {
    if (q->serial) { rc = -EDEADLK; break; }   /* only this task runs: nothing can arrive */
    if (wait_until(&q->not_empty, &q->mu, deadline) != 0) { rc = -ETIMEDOUT; break; }
  }
  if (rc == 0) pthread_cond_signal(&q->not_full);
  pthread_mutex_unlock(&q->mu);
  return rc;
}

void cb__queue_close_wait(cb_queue *q) {
  lock(&q->mu);
  q->closed = 1;
  pthread_cond_broadcast(&q->not_empty);
  pthread_cond_broadcast(&q->not_full);
  pthread_mutex_unlock(&q->mu);
}

int cb_set_create(cb_set **out, uint64_t capacity, size_t key_max) {
  if (key_max == 0 || key_max > UINT16_MAX) return -EINVAL;
  uint64_t n = 16;
  while (n < capacity * 2) n <<= 1;          /* at most half full: short probes */
  uint32_t slot = (uint32_t)((sizeof(uint64_t) + sizeof(uint16_t) + key_max + 7) & ~(size_t)7);
  size_t len = sizeof(cb_set) + n * slot;
  cb_set *s = cb_shm_alloc(len);
  if (!s) return -ENOMEM;
  int rc = init_mutex(&s->mu);
  if (rc) { cb_shm_free(s, len); return rc; }
  s->key_max = (uint32_t)key_max;
  s->slot_size = slot;
  s->nslots = n;
  s->map_len = len;
  *out = s;
  return 0;
}

void cb_set_destroy(cb_set *s) {
  if (!s) return;
  pthread_mutex_destroy(&s->mu);
  cb_shm_free(s, s->map_len);
}

int cb__set_add(cb_set *s, const void *key, size_t len) {
  if (len > s->key_max) return -ENAMETOOLONG;
  uint64_t h = cb_mix64(cb_fnv1a(CB_FNV_INIT, key, len)) | 1;   /* never 0: 0 marks empty */
  int rc;
  lock(&s->mu);
  /* At most half full, so a probe always ends at an empty slot: a key present is found even
   * when there is no room for another. */
  for (uint64_t i = h & (s->nslots - 1);; i = (i + 1) & (s->nslots - 1)) {
    unsigned char *slot = s->slots + i * s->slot_size;
    uint64_t sh;
    uint16_t sl;
    memcpy(&sh, slot, sizeof sh);
    if (sh == 0) {
      if ((s->count + 1) * 2 > s->nslots) { rc = -ENOSPC; break; }
      uint16_t l16 = (uint16_t)len;
      memcpy(slot + sizeof sh, &l16, sizeof l16);
      memcpy(slot + sizeof sh + sizeof l16, key, len);
      memcpy(slot, &h, sizeof h);              /* last: the slot is whole once it is marked */
      s->count++;
      rc = 1;
      break;
    }
    memcpy(&sl, slot + sizeof sh, sizeof sl);
    if (sh == h && sl == len && memcmp(slot + sizeof sh + sizeof sl, key, len) == 0) { rc = 0; break; }
  }
  pthread_mutex_unlock(&s->mu);
  return rc;
}
