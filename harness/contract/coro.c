/* coro.c: coroutine stacks, resume/yield bookkeeping, sanitizer fiber annotations, ucontext fallback. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* MAP_STACK, MAP_NORESERVE */
#endif

#include "coro.h"
#include "contract_int.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Backend: hand-written switch where we have one, ucontext elsewhere or when
 * forced with -DCB_CORO_UCONTEXT. The .S files carry the same guards. */
#if defined(CB_CORO_UCONTEXT)
#define USE_UCONTEXT 1
#elif defined(__x86_64__) && !defined(__ILP32__) && defined(__ELF__)
#define USE_ASM_X86_64 1
#elif defined(__aarch64__) && !defined(__ILP32__) && defined(__ELF__)
#define USE_ASM_AARCH64 1
#else
#define USE_UCONTEXT 1
#endif

#ifdef USE_UCONTEXT
#include <ucontext.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define CORO_TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(CORO_ASAN)
#define CORO_ASAN 1
#endif
#if __has_feature(thread_sanitizer) && !defined(CORO_TSAN)
#define CORO_TSAN 1
#endif
#endif

#ifdef CORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef CORO_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#if defined(__GNUC__)
#define NORETURN __attribute__((noreturn))
/* The hooks must sit inside the function doing the switch even at -O0: TSan
 * pairs each function's entry and exit on one fiber's shadow stack, so a
 * separate frame that switches fibers would pop from the wrong one. */
#define HOOK static inline __attribute__((always_inline))
#else
#define NORETURN _Noreturn
#define HOOK static inline
#endif

#if defined(__GNUC__)
/* Skips __tls_get_addr when built -fPIC; the library is not dlopen'ed. */
#define TLS_FAST __attribute__((tls_model("initial-exec")))
#else
#define TLS_FAST
#endif

static _Thread_local cb_coro *current TLS_FAST;

/* ---- stacks ------------------------------------------------------------ */

int cb_coro_stack_alloc(cb_coro_stack *st, size_t size) {
  long pg = sysconf(_SC_PAGESIZE);
  size_t page = pg > 0 ? (size_t)pg : 4096;
  void *map = MAP_FAILED;
  size_t map_len;
  int err = 0;

  memset(st, 0, sizeof(*st));
  if (size == 0) return -EINVAL;
  if (size > SIZE_MAX - 2 * page) return -ENOMEM;
  size = (size + page - 1) & ~(page - 1);
  map_len = size + page;

  /* NORESERVE: thousands of stacks should cost only the pages they touch. */
  map = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (map == MAP_FAILED) {
    err = -errno;
    goto cleanup;
  }
  if (mprotect(map, page, PROT_NONE) != 0) {
    err = -errno;
    goto cleanup;
  }
#ifdef CORO_ASAN
  /* The range may have held an earlier stack whose poisoned redzones ASan
   * still remembers. */
  ASAN_UNPOISON_MEMORY_REGION((char *)map + page, size);
#endif
  st->map = map;
  st->map_len = map_len;
  st->base = (char *)map + page;
  st->size = size;
  return 0;

cleanup:
  if (map != MAP_FAILED) munmap(map, map_len);
  return err;
}

void cb_coro_stack_free(cb_coro_stack *st) {
  if (st->map == NULL) return;
#ifdef CORO_ASAN
  /* Frames that never returned leave poison behind; clear it so a later
   * mapping at this address starts clean. */
  ASAN_UNPOISON_MEMORY_REGION(st->base, st->size);
#endif
  munmap(st->map, st->map_len);
  memset(st, 0, sizeof(*st));
}

/* ---- the stack pool ---------------------------------------------------- */

/* Chunks of stacks, each one mapping, and the free stacks' bases; one stack size at a time. */
static struct {
  pthread_mutex_t mu;
  size_t size;             /* usable bytes of each stack */
  struct { void *map; size_t len; } *chunks;
  size_t nchunks;
  void **free;             /* bases of free stacks */
  size_t nfree, total;     /* free ones; all the chunks hold */
} pool = { .mu = PTHREAD_MUTEX_INITIALIZER };

static size_t page_size(void) {
  long pg = sysconf(_SC_PAGESIZE);
  return pg > 0 ? (size_t)pg : 4096;
}

/* Under pool.mu, with no stack out: unmap everything. */
static void pool_drop(void) {
  for (size_t i = 0; i < pool.nchunks; i++) munmap(pool.chunks[i].map, pool.chunks[i].len);
  free(pool.chunks);
  free(pool.free);
  pool.chunks = NULL;
  pool.free = NULL;
  pool.nchunks = pool.nfree = pool.total = pool.size = 0;
}

int cb_coro_pool_reserve(size_t n, size_t size) {
  size_t page = page_size();
  if (size == 0 || size > SIZE_MAX / 4) return -EINVAL;
  size = (size + page - 1) & ~(page - 1);
  int rc = 0;
  pthread_mutex_lock(&pool.mu);
  if (pool.size != size) {
    if (pool.nfree != pool.total) { rc = -EBUSY; goto out; }   /* stacks of the old size are out */
    pool_drop();
    pool.size = size;
  }
  if (pool.nfree >= n) goto out;
  size_t more = n - pool.nfree, slot = size + page;
  if (more > SIZE_MAX / slot) { rc = -ENOMEM; goto out; }
  void *chunks = realloc(pool.chunks, (pool.nchunks + 1) * sizeof *pool.chunks);
  if (!chunks) { rc = -ENOMEM; goto out; }
  pool.chunks = chunks;
  void **fr = realloc(pool.free, (pool.total + more) * sizeof *pool.free);
  if (!fr) { rc = -ENOMEM; goto out; }
  pool.free = fr;
  /* One mapping for all: NORESERVE, only the pages touched cost memory. */
  char *map = mmap(NULL, more * slot, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (map == MAP_FAILED) { rc = -errno; goto out; }
  pool.chunks[pool.nchunks].map = map;
  pool.chunks[pool.nchunks++].len = more * slot;
  size_t made = 0;
  for (; made < more; made++) {
    char *guard = map + made * slot;
    /* Each guard splits the mapping: two map entries a stack, as stacks mapped one by one. */
    if (mprotect(guard, page, PROT_NONE) != 0) { rc = -errno; break; }
    /* The top page, where a coroutine's first frames go: faulted in now, not at its start. */
    guard[slot - 1] = 0;
    pool.free[pool.nfree++] = guard + page;
  }
  pool.total += made;
out:
  pthread_mutex_unlock(&pool.mu);
  return rc;
}

void cb_coro_pool_release(void) {
  pthread_mutex_lock(&pool.mu);
  if (pool.nfree == pool.total) pool_drop();
  pthread_mutex_unlock(&pool.mu);
}

int cb_coro_stack_get(cb_coro_stack *st, size_t size) {
  size_t page = page_size();
  size_t want = size && size <= SIZE_MAX / 4 ? (size + page - 1) & ~(page - 1) : 0;
  pthread_mutex_lock(&pool.mu);
  if (want && want == pool.size && pool.nfree) {
    memset(st, 0, sizeof *st);
    st->base = pool.free[--pool.nfree];
    st->size = want;
    st->pooled = 1;
    pthread_mutex_unlock(&pool.mu);
#ifdef CORO_ASAN
    ASAN_UNPOISON_MEMORY_REGION(st->base, st->size);
#endif
    return 0;
  }
  pthread_mutex_unlock(&pool.mu);
  return cb_coro_stack_alloc(st, size);
}

void cb_coro_stack_put(cb_coro_stack *st) {
  if (!st->pooled) {
    cb_coro_stack_free(st);
    return;
  }
#ifdef CORO_ASAN
  ASAN_UNPOISON_MEMORY_REGION(st->base, st->size);
#endif
  pthread_mutex_lock(&pool.mu);
  pool.free[pool.nfree++] = st->base;
  pthread_mutex_unlock(&pool.mu);
  memset(st, 0, sizeof *st);
}

/* ---- raw switch -------------------------------------------------------- */

#if defined(USE_ASM_X86_64) || defined(USE_ASM_AARCH64)

#define raw_switch(save, to) cb__coro_switch((save), (to))

#else /* USE_UCONTEXT */

/* The suspended side's ucontext_t lives in the switching function's frame,
 * which stays put until someone switches back to it, so cb_coro needs no room
 * for one. Inlined for the same TSan reason as the hooks below. */
HOOK void raw_switch(void **save, void *to) {
  ucontext_t here;

  /* ASan's swapcontext interceptor clears shadow over uc_stack of the target;
   * make ours describe nothing rather than stack garbage. */
  here.uc_stack.ss_sp = NULL;
  here.uc_stack.ss_size = 0;
  here.uc_stack.ss_flags = 0;
  *save = &here;
  if (swapcontext(&here, (ucontext_t *)to) != 0) abort();
}

#endif

/* ---- sanitizer hooks (empty in normal builds) -------------------------- */

/* resumer -> co */
HOOK void san_before_resume(cb_coro *co, void **fake_save) {
#ifdef CORO_TSAN
  /* Created on first resume, so a coroutine that never runs owns nothing
   * (some TSan runtimes crash destroying a fiber that was never entered). */
  if (co->tsan_fiber == NULL) co->tsan_fiber = __tsan_create_fiber(0);
  co->tsan_resumer_fiber = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(co->tsan_fiber, 0);
#endif
#ifdef CORO_ASAN
  __sanitizer_start_switch_fiber(fake_save, co->stack_base, co->stack_size);
#else
  (void)co;
  (void)fake_save;
#endif
}

/* back on the resumer after co yielded or finished */
HOOK void san_after_resume(cb_coro *co, void *fake_save) {
#ifdef CORO_ASAN
  __sanitizer_finish_switch_fiber(fake_save, NULL, NULL);
  /* The entry frame never returns and leaves its redzones poisoned; clear
   * them so the finished stack is plain memory again. */
  if (co->state == CB_CORO_DONE)
    ASAN_UNPOISON_MEMORY_REGION(co->stack_base, co->stack_size);
#else
  (void)fake_save;
#endif
#ifdef CORO_TSAN
  /* A finished coroutine's fiber can go now that it is not current; its
   * shadow call stack still holds the entry frame that never returns. */
  if (co->state == CB_CORO_DONE && co->tsan_fiber != NULL) {
    __tsan_destroy_fiber(co->tsan_fiber);
    co->tsan_fiber = NULL;
  }
#else
  (void)co;
#endif
}

/* co -> its resumer; finishing means co's stack is left for good */
HOOK void san_before_leave(cb_coro *co, int finishing) {
#ifdef CORO_TSAN
  __tsan_switch_to_fiber(co->tsan_resumer_fiber, 0);
#endif
#ifdef CORO_ASAN
  __sanitizer_start_switch_fiber(finishing ? NULL : &co->asan_fake_stack,
                                 co->asan_resumer_bottom,
                                 co->asan_resumer_size);
#else
  (void)co;
  (void)finishing;
#endif
}

/* running on co's stack after a resume; learn the resumer's stack bounds,
 * which is how we find the thread's main stack */
HOOK void san_after_enter(cb_coro *co, int first) {
#ifdef CORO_ASAN
  __sanitizer_finish_switch_fiber(first ? NULL : co->asan_fake_stack,
                                  &co->asan_resumer_bottom,
                                  &co->asan_resumer_size);
#else
  (void)co;
  (void)first;
#endif
}

/* ---- coroutines -------------------------------------------------------- */

NORETURN static void coro_entry(cb_coro *co) {
  void *dummy;

  san_after_enter(co, 1);
  co->fn(co->arg);
  co->state = CB_CORO_DONE;
  current = co->resumer;
  san_before_leave(co, 1);
  raw_switch(&dummy, co->resumer_sp);
  abort(); /* nobody resumes a done coroutine */
}

#ifdef USE_UCONTEXT
static void uc_entry(void) {
  /* resume() set current before switching here */
  coro_entry(current);
}
#endif

void cb_coro_init(cb_coro *co, cb_coro_stack *st, cb_coro_fn fn, void *arg) {
  uintptr_t top;

  assert(st != NULL && st->base != NULL && fn != NULL);
  memset(co, 0, sizeof(*co));
  co->fn = fn;
  co->arg = arg;
  co->stack_base = st->base;
  co->stack_size = st->size;
  co->state = CB_CORO_READY;

#ifdef CORO_ASAN
  /* A previous task's entry frame never returned; its redzones are stale. */
  ASAN_UNPOISON_MEMORY_REGION(st->base, st->size);
#endif

  /* Leave 16 bytes at the very top unused; keeps the first frame in bounds
   * however a debugger walks past the trampoline. */
  top = ((uintptr_t)st->base + st->size - 16) & ~(uintptr_t)15;

#if defined(USE_ASM_X86_64)
  {
    /* Popped by cb__coro_switch: csr word, r15, r14, r13, r12, rbx, rbp and
     * the address it jumps to. Afterwards rsp == top, 16-aligned, so the
     * trampoline's call enters coro_entry with the alignment the ABI wants. */
    uintptr_t *f = (uintptr_t *)(top - 8 * sizeof(uintptr_t));
    uint32_t mxcsr;
    uint16_t fpucw;

    /* Start with the creating thread's FP modes, as boost.context does. */
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(fpucw));
    f[0] = (uintptr_t)mxcsr | ((uintptr_t)fpucw << 32);
    f[1] = 0;                        /* r15 */
    f[2] = 0;                        /* r14 */
    f[3] = (uintptr_t)coro_entry;    /* r13: function the trampoline calls */
    f[4] = (uintptr_t)co;            /* r12: its argument */
    f[5] = 0;                        /* rbx */
    f[6] = 0;                        /* rbp: ends frame-pointer chains */
    f[7] = (uintptr_t)cb__coro_trampoline;
    co->sp = f;
  }
#elif defined(USE_ASM_AARCH64)
  {
    /* Restored by cb__coro_switch: x19..x28, x29, x30 then d8..d15; sp ends at
     * top. x30 sends the final branch to the trampoline. */
    uintptr_t *f = (uintptr_t *)(top - 20 * sizeof(uintptr_t));

    memset(f, 0, 20 * sizeof(uintptr_t));
    f[0] = (uintptr_t)co;                  /* x19: argument */
    f[1] = (uintptr_t)coro_entry;          /* x20: function */
    f[11] = (uintptr_t)cb__coro_trampoline; /* x30 */
    co->sp = f;
  }
#else
  {
    /* The initial context sits at the top of the coroutine's own stack, above
     * the part makecontext hands out. */
    ucontext_t *uc = (ucontext_t *)((top - sizeof(ucontext_t)) & ~(uintptr_t)63);

    if (getcontext(uc) != 0) abort();
    uc->uc_stack.ss_sp = st->base;
    uc->uc_stack.ss_size = (size_t)((char *)uc - (char *)st->base);
    uc->uc_stack.ss_flags = 0;
    uc->uc_link = NULL;
    makecontext(uc, uc_entry, 0);
    co->sp = uc;
  }
#endif
}

/* Whichever side gives up the CPU also sets current for the side that gets it,
 * so nothing has to run after the switch in a normal build: the compiler then
 * tail-calls cb__coro_switch, whose indirect jump returns straight into the
 * other context's caller without unbalancing the return-stack predictor. */
void cb_coro_resume(cb_coro *co) {
  void *fake_save = NULL;

  assert(co->state == CB_CORO_READY || co->state == CB_CORO_SUSPENDED);
  co->state = CB_CORO_RUNNING;
  co->resumer = current;
  current = co;
  san_before_resume(co, &fake_save);
  raw_switch(&co->resumer_sp, co->sp);
  san_after_resume(co, fake_save);
}

void cb_coro_yield(void) {
  cb_coro *co = current;

  assert(co != NULL && co->state == CB_CORO_RUNNING);
  co->state = CB_CORO_SUSPENDED;
  current = co->resumer;
  san_before_leave(co, 0);
  raw_switch(&co->sp, co->resumer_sp);
  san_after_enter(co, 0);
}

int cb_coro_done(const cb_coro *co) {
  return co->state == CB_CORO_DONE;
}

cb_coro *cb_coro_current(void) {
  return current;
}

void cb_coro_destroy(cb_coro *co) {
  assert(co != current);
#ifdef CORO_TSAN
  if (co->tsan_fiber != NULL) {
    __tsan_destroy_fiber(co->tsan_fiber);
    co->tsan_fiber = NULL;
  }
#else
  (void)co;
#endif
}

const char *cb_coro_backend(void) {
#if defined(USE_ASM_X86_64)
  return "x86_64-asm";
#elif defined(USE_ASM_AARCH64)
  return "aarch64-asm";
#else
  return "ucontext";
#endif
}
