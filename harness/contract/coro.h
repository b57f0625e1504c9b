/* coro.h: stackful coroutines on mmap'd stacks with a hand-written context switch. */
#ifndef CB_CORO_H
#define CB_CORO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*cb_coro_fn)(void *arg);

/* One mmap'd region: a PROT_NONE guard page at the low end, then the usable
 * stack (stacks grow down, so overflow runs into the guard and faults). */
typedef struct cb_coro_stack {
  void *map;      /* whole mapping */
  size_t map_len;
  void *base;     /* lowest usable address */
  size_t size;    /* usable bytes, a multiple of the page size */
  int pooled;     /* from the stack pool (cb_coro_stack_get): goes back there */
} cb_coro_stack;

enum {
  CB_CORO_READY = 1,  /* initialised, fn not started yet */
  CB_CORO_RUNNING,    /* on the CPU, or resuming another coroutine */
  CB_CORO_SUSPENDED,  /* yielded */
  CB_CORO_DONE        /* fn returned */
};

typedef struct cb_coro cb_coro;

/* Caller-allocated so it can be embedded; treat the fields as private. The
 * layout does not depend on the backend or on sanitizer flags, so objects
 * built with different flags still agree on it. */
struct cb_coro {
  void *sp;            /* own context while not running (asm: saved sp) */
  void *resumer_sp;    /* resumer's context while this one runs */
  cb_coro *resumer;    /* who resumed it: NULL = the thread's main context */
  cb_coro_fn fn;
  void *arg;
  void *stack_base;
  size_t stack_size;
  int state;           /* CB_CORO_* */
  /* Sanitizer bookkeeping; untouched in normal builds. */
  void *asan_fake_stack;
  const void *asan_resumer_bottom;
  size_t asan_resumer_size;
  void *tsan_fiber;
  void *tsan_resumer_fiber;
};

/* size is rounded up to whole pages; returns 0 or -errno. */
int cb_coro_stack_alloc(cb_coro_stack *st, size_t size);
void cb_coro_stack_free(cb_coro_stack *st);

/* The stack pool: stacks mapped once, in one mapping with a guard page below each, their top
 * page touched, and reused by every later get of the same size in this process. Mapping and
 * first-touching thousands of stacks is what a coroutine's start costs; a program that runs many
 * has them ready before its first request, and so does a loop backend (its `prepare`, before the
 * clock starts). Thread-safe. */
/* At least n free stacks of size bytes in the pool. 0, or -errno (the pool then holds what it
 * could map; a get beyond it maps a stack of its own). */
int cb_coro_pool_reserve(size_t n, size_t size);
/* Unmap the pool's stacks when none is out (tests). */
void cb_coro_pool_release(void);
/* A stack of size bytes from the pool, else cb_coro_stack_alloc; give it back with
 * cb_coro_stack_put. 0 or -errno. */
int cb_coro_stack_get(cb_coro_stack *st, size_t size);
void cb_coro_stack_put(cb_coro_stack *st);

/* Prepare co to run fn(arg) on st. Valid on fresh memory and on a coroutine
 * that is done (stacks are reused between tasks). To drop a coroutine that has
 * not finished, call cb_coro_destroy first. st must outlive the run. */
void cb_coro_init(cb_coro *co, cb_coro_stack *st, cb_coro_fn fn, void *arg);

/* Run co until it yields or fn returns, then come back here. Callable from a
 * thread's main context or from another coroutine; co must not be done or
 * already running. Coroutines stay on the thread that first resumed them. */
void cb_coro_resume(cb_coro *co);

/* From inside a coroutine: switch back to whoever resumed it. */
void cb_coro_yield(void);

/* Nonzero once fn has returned. */
int cb_coro_done(const cb_coro *co);

/* Running coroutine of the calling thread; NULL on its main context. */
cb_coro *cb_coro_current(void);

/* Release per-coroutine sanitizer state of a coroutine that will not be run to
 * completion (a finished one has released it already). No-op otherwise; safe
 * to call twice. Must not be called on the running coroutine. */
void cb_coro_destroy(cb_coro *co);

/* Which switch was compiled in: "x86_64-asm", "aarch64-asm" or "ucontext". */
const char *cb_coro_backend(void);

#ifdef __cplusplus
}
#endif

#endif /* CB_CORO_H */
