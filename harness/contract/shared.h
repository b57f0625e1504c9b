/* shared.h: a bounded queue and a set in MAP_SHARED memory, usable by threads, by fork children
 * (process-shared robust locks) and by the coroutines of any coroutine backend (scheduler.h). */
#ifndef CB_SHARED_H
#define CB_SHARED_H

#include <pthread.h>
#include <stdint.h>
#include "cb.h"
#include "scheduler.h"

struct cb_queue {
  pthread_mutex_t mu;            /* process-shared, robust: a dead fork child cannot wedge it */
  pthread_cond_t not_empty, not_full;
  uint32_t item_size;
  uint32_t maxsize;              /* the bound puts wait on */
  uint32_t cap;                  /* slots allocated: maxsize, or more for a serial backend */
  uint32_t head, count;
  int closed;
  int serial;                    /* one task at a time: puts never wait, gets never wait */
  cb_waitlist getters, putters;  /* coroutines parked on it (scheduler.h): one process's, under mu
                                  * when its schedulers run on several threads */
  size_t map_len;
  unsigned char items[];
};

struct cb_set {
  pthread_mutex_t mu;
  uint32_t key_max;
  uint32_t slot_size;
  uint64_t nslots;               /* a power of two */
  uint64_t count;
  size_t map_len;
  unsigned char slots[];         /* each: uint64_t hash (0 = empty), uint16_t len, key bytes */
};

/* A queue of items of item_size bytes that holds at most maxsize of them. serial: the backend
 * runs one task at a time, so the queue grows up to cap instead of waiting (a put cannot wait
 * for a get that only runs after it). 0 or -errno. */
int  cb_queue_create(cb_queue **q, size_t item_size, uint32_t maxsize, uint32_t cap, int serial);
void cb_queue_destroy(cb_queue *q);
uint32_t cb_queue_count(cb_queue *q);

/* Without waiting, for a caller that already excludes others (a coroutine scheduler's one thread):
 * 0, -EAGAIN (full / empty), -EPIPE (put after close), CB_EOF (get when closed and empty). */
int cb__queue_try_put(cb_queue *q, const void *item);
int cb__queue_try_get(cb_queue *q, void *item);

/* The queue's lock, for coroutine schedulers on several threads (scheduler.c). */
void cb__queue_lock(cb_queue *q);
void cb__queue_unlock(cb_queue *q);

/* The blocking forms, for sync, threads and fork. */
int  cb__queue_put_wait(cb_queue *q, const void *item, int64_t deadline);
int  cb__queue_get_wait(cb_queue *q, void *item, int64_t deadline);
void cb__queue_close_wait(cb_queue *q);

/* A set for up to capacity keys of at most key_max bytes. 0 or -errno. */
int  cb_set_create(cb_set **s, uint64_t capacity, size_t key_max);
void cb_set_destroy(cb_set *s);
/* 1 added, 0 present, -ENAMETOOLONG, -ENOSPC. Locks, never waits long: every backend uses it. */
int  cb__set_add(cb_set *s, const void *key, size_t len);

/* Memory shared with fork children: mmap(MAP_SHARED | MAP_ANONYMOUS), zeroed. */
void *cb_shm_alloc(size_t len);
void  cb_shm_free(void *p, size_t len);

#endif
