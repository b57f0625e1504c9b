/* test_coro.c: cmocka tests for stackful coroutines (backends/coro.c). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "coro.h"

/* cmocka's assert_* longjmp to the runner, which must not happen from a
 * coroutine stack; coroutine code records the first failing line instead and
 * the test asserts on it from the main context. Thread-local so the pthread
 * test can use it too. */
static _Thread_local int co_fail_line;
#define CO_CHECK(cond)                                   \
  do {                                                   \
    if (!(cond) && co_fail_line == 0) co_fail_line = __LINE__; \
  } while (0)

#define KiB 1024u

typedef struct fixture {
  cb_coro_stack st;
  cb_coro co;
} fixture;

static int setup_64k(void **state) {
  fixture *f = calloc(1, sizeof(*f));

  if (f == NULL) return -1;
  if (cb_coro_stack_alloc(&f->st, 64 * KiB) != 0) {
    free(f);
    return -1;
  }
  co_fail_line = 0;
  *state = f;
  return 0;
}

static int teardown_fixture(void **state) {
  fixture *f = *state;

  cb_coro_destroy(&f->co);
  cb_coro_stack_free(&f->st);
  free(f);
  return 0;
}

/* ---- stack allocation -------------------------------------------------- */

static void test_stack_alloc(void **state) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  cb_coro_stack st;

  (void)state;
  assert_int_equal(cb_coro_stack_alloc(&st, 0), -EINVAL);
  assert_int_equal(cb_coro_stack_alloc(&st, SIZE_MAX), -ENOMEM);

  assert_int_equal(cb_coro_stack_alloc(&st, page + 1), 0);
  assert_int_equal(st.size, 2 * page);
  assert_int_equal(st.map_len, 3 * page);
  assert_ptr_equal(st.base, (char *)st.map + page);
  assert_int_equal((uintptr_t)st.base % page, 0);
  /* usable part is really writable end to end */
  memset(st.base, 0xab, st.size);
  cb_coro_stack_free(&st);
  assert_null(st.map);
  cb_coro_stack_free(&st); /* second free is harmless */
}

static int maps_perms(uintptr_t addr, char perms[5]);

/* The pool: stacks reserved once are handed out and taken back, each with its guard page below
 * it and its top page already resident; past the reservation, a get maps a stack of its own. */
static void test_stack_pool(void **state) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  cb_coro_stack st[4];
  char perms[5];
  unsigned char vec;

  (void)state;
  cb_coro_pool_release();
  assert_int_equal(cb_coro_pool_reserve(3, 16 * page), 0);
  for (int i = 0; i < 4; i++) assert_int_equal(cb_coro_stack_get(&st[i], 16 * page), 0);
  for (int i = 0; i < 3; i++) {
    assert_true(st[i].pooled);
    assert_int_equal(st[i].size, 16 * page);
    assert_true(maps_perms((uintptr_t)st[i].base - 1, perms));
    assert_string_equal(perms, "---p");
    /* the top page was touched when the pool was made: resident before any coroutine runs */
    assert_int_equal(mincore((char *)st[i].base + st[i].size - page, page, &vec), 0);
    assert_true(vec & 1);
    memset(st[i].base, 0xcd, st[i].size);
  }
  assert_false(st[3].pooled);               /* beyond the reservation: its own mapping */
  /* another size cannot replace the pool while its stacks are out */
  assert_int_equal(cb_coro_pool_reserve(1, 32 * page), -EBUSY);
  void *first = st[2].base;
  for (int i = 0; i < 4; i++) cb_coro_stack_put(&st[i]);
  assert_null(st[0].base);
  /* reused, not mapped again */
  assert_int_equal(cb_coro_pool_reserve(3, 16 * page), 0);
  assert_int_equal(cb_coro_stack_get(&st[0], 16 * page), 0);
  assert_true(st[0].pooled);
  assert_ptr_equal(st[0].base, first);
  cb_coro_stack_put(&st[0]);
  /* a size the pool does not hold is mapped apart */
  assert_int_equal(cb_coro_stack_get(&st[0], 8 * page), 0);
  assert_false(st[0].pooled);
  cb_coro_stack_put(&st[0]);
  cb_coro_pool_release();
}

/* ---- ping-pong --------------------------------------------------------- */

typedef struct pingpong {
  cb_coro *self;
  int in, out;
  char log[32];
  int nlog;
} pingpong;

/* The ABI's stack alignment holds on a coroutine stack: a 16-aligned local
 * really lands on a 16-byte boundary (the asm hides the address from the
 * optimiser, which would otherwise assume the answer). */
static int stack_aligned(void) {
  _Alignas(16) volatile char probe[16];
  uintptr_t addr = (uintptr_t)probe;

  probe[0] = 0;
  __asm__ volatile("" : "+r"(addr));
  return addr % 16 == 0;
}

static void pp_fn(void *arg) {
  pingpong *p = arg;

  CO_CHECK(stack_aligned());
  CO_CHECK(cb_coro_current() == p->self);
  for (int i = 0; i < 5; i++) {
    p->log[p->nlog++] = 'c';
    p->out = p->in * 2 + 1;
    cb_coro_yield();
    CO_CHECK(cb_coro_current() == p->self);
  }
  p->log[p->nlog++] = 'e';
  p->out = -1;
}

static void test_ping_pong(void **state) {
  fixture *f = *state;
  pingpong p;

  memset(&p, 0, sizeof(p));
  p.self = &f->co;
  assert_null(cb_coro_current());
  cb_coro_init(&f->co, &f->st, pp_fn, &p);
  assert_false(cb_coro_done(&f->co));
  assert_int_equal(p.nlog, 0); /* init must not run fn */

  for (int i = 0; i < 5; i++) {
    p.in = i * 10;
    p.log[p.nlog++] = 'm';
    cb_coro_resume(&f->co);
    assert_int_equal(p.out, i * 20 + 1);
    assert_false(cb_coro_done(&f->co));
    assert_null(cb_coro_current());
  }
  p.log[p.nlog++] = 'm';
  cb_coro_resume(&f->co);
  assert_true(cb_coro_done(&f->co));
  assert_int_equal(p.out, -1);
  assert_null(cb_coro_current());
  p.log[p.nlog] = '\0';
  assert_string_equal(p.log, "mcmcmcmcmcme");
  assert_int_equal(co_fail_line, 0);
}

/* ---- deep recursion ---------------------------------------------------- */

typedef struct deep {
  uintptr_t base;
  size_t size;
  uintptr_t lowest;
  unsigned depth;
  unsigned long result;
} deep;

/* Non-tail recursion with a live buffer per frame; stops once the frame
 * address is within a quarter of the stack from the bottom, i.e. ~75% used.
 * Frame addresses stay on the real stack even when ASan moves locals to its
 * fake stack. */
static unsigned long recurse(deep *d, unsigned n) {
  volatile unsigned char pad[160];
  uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
  unsigned long r;

  pad[0] = (unsigned char)n;
  pad[sizeof(pad) - 1] = (unsigned char)(n >> 8);
  if (fp < d->lowest) d->lowest = fp;
  if (fp - d->base < d->size / 4) {
    d->depth = n;
    cb_coro_yield(); /* switch away and back at the deepest point */
    r = 0;
  } else {
    r = recurse(d, n + 1);
  }
  if (pad[0] != (unsigned char)n || pad[sizeof(pad) - 1] != (unsigned char)(n >> 8))
    r += 1000000000ul; /* a clobbered frame shows up in the result */
  return r + n;
}

static void deep_fn(void *arg) {
  deep *d = arg;

  d->result = recurse(d, 1);
}

static void test_deep_recursion(void **state) {
  fixture *f = *state;
  deep d;

  memset(&d, 0, sizeof(d));
  d.base = (uintptr_t)f->st.base;
  d.size = f->st.size;
  d.lowest = UINTPTR_MAX;
  cb_coro_init(&f->co, &f->st, deep_fn, &d);
  cb_coro_resume(&f->co);
  assert_false(cb_coro_done(&f->co));
  assert_true(d.depth > 50);
  cb_coro_resume(&f->co);
  assert_true(cb_coro_done(&f->co));
  assert_int_equal(d.result, (unsigned long)d.depth * (d.depth + 1) / 2);
  /* ran on the coroutine stack, used most of it, stayed above the guard */
  assert_true(d.lowest > d.base);
  assert_true(d.base + d.size - d.lowest >= d.size * 7 / 10);
}

/* ---- registers and floating point across switches ---------------------- */

typedef struct mixstate {
  long seed;
  int rounds;
  unsigned long isum;
  double dsum;
} mixstate;

/* Many integer and double values live across each hook() call, so the
 * compiler keeps them in callee-saved registers or spill slots: both must
 * survive a switch. */
#define MIX_DECL(seed)                                                    \
  unsigned long a = (unsigned long)(seed), b = a * 3 + 1, c = a ^ 0x5a5a,  \
                d = a + 7, e = a * a, g = ~a, h = a << 3, k = a - 99,      \
                l = a * 5 - 2, m = a | 0x111;                              \
  double x = (double)(seed) / 7.0, y = x * 1.5 + 0.25, z = x - 3.125,     \
         u = x * x, v = 1.0 / (x + 2.0), w = x + 0.5, p = x * 0.75,       \
         q = x - 1.0 / 3.0
#define MIX_STEP(i)                                                       \
  do {                                                                    \
    a += b; b ^= c + (unsigned long)(i); c = c * 31 + d; d -= e;          \
    e ^= g >> 3; g += h; h = h * 7 + k; k ^= l; l += m; m = m * 3 + a;    \
    x = x * 1.0001 + y; y = y * 0.999 - z; z += u * 1e-3;                 \
    u = u * 0.5 + v; v = v * 1.25 - w * 1e-2; w += p; p = p * 0.97 + q;   \
    q -= x * 1e-4;                                                        \
  } while (0)
#define MIX_SUMS(st)                                                         \
  do {                                                                       \
    (st)->isum = a + b + c + d + e + g + h + k + l + m;                      \
    (st)->dsum = x + y + z + u + v + w + p + q;                              \
  } while (0)

static void mix_run(mixstate *s, void (*hook)(void)) {
  MIX_DECL(s->seed);
  for (int i = 0; i < s->rounds; i++) {
    MIX_STEP(i);
    hook();
  }
  MIX_SUMS(s);
}

static void no_hook(void) {}

static void mix_fn(void *arg) {
  mix_run(arg, cb_coro_yield);
}

static void test_registers_survive(void **state) {
  fixture *f = *state;
  cb_coro_stack st2;
  cb_coro co2;
  mixstate s1 = {12345, 40, 0, 0}, s2 = {-987, 40, 0, 0};
  mixstate r1 = s1, r2 = s2, rm = {4242, 40, 0, 0}, sm = rm;

  mix_run(&r1, no_hook);
  mix_run(&r2, no_hook);
  mix_run(&rm, no_hook);

  assert_int_equal(cb_coro_stack_alloc(&st2, 64 * KiB), 0);
  cb_coro_init(&f->co, &f->st, mix_fn, &s1);
  cb_coro_init(&co2, &st2, mix_fn, &s2);
  {
    /* main's own computation, interleaved with both coroutines */
    MIX_DECL(sm.seed);
    for (int i = 0; i < sm.rounds; i++) {
      MIX_STEP(i);
      cb_coro_resume(&f->co);
      cb_coro_resume(&co2);
    }
    MIX_SUMS(&sm);
  }
  cb_coro_resume(&f->co);
  cb_coro_resume(&co2);
  assert_true(cb_coro_done(&f->co));
  assert_true(cb_coro_done(&co2));

  assert_int_equal(s1.isum, r1.isum);
  assert_int_equal(s2.isum, r2.isum);
  assert_int_equal(sm.isum, rm.isum);
  /* same operations in the same order: bit-identical */
  assert_memory_equal(&s1.dsum, &r1.dsum, sizeof(double));
  assert_memory_equal(&s2.dsum, &r2.dsum, sizeof(double));
  assert_memory_equal(&sm.dsum, &rm.dsum, sizeof(double));
  assert_true(r1.isum != r2.isum); /* the seeds really differ */

  cb_coro_destroy(&co2);
  cb_coro_stack_free(&st2);
}

#if defined(__x86_64__)
/* MXCSR and the x87 control word belong to each context. */
static unsigned get_mxcsr(void) {
  unsigned v;
  __asm__ volatile("stmxcsr %0" : "=m"(v));
  return v;
}
static void set_mxcsr(unsigned v) {
  __asm__ volatile("ldmxcsr %0" : : "m"(v));
}
static unsigned short get_fpucw(void) {
  unsigned short v;
  __asm__ volatile("fnstcw %0" : "=m"(v));
  return v;
}
static void set_fpucw(unsigned short v) {
  __asm__ volatile("fldcw %0" : : "m"(v));
}

#define MXCSR_RC_MASK 0x6000u /* rounding control */
#define MXCSR_RC_ZERO 0x6000u
#define FPUCW_PC_MASK 0x0300u /* precision control */
#define FPUCW_PC_24 0x0000u

typedef struct fpenv {
  unsigned start_mxcsr;
  unsigned short start_cw;
} fpenv;

/* Phase 1 changes only MXCSR, phase 2 only the x87 control word, so each has
 * to be switched on its own. */
static void fpenv_fn(void *arg) {
  fpenv *e = arg;
  unsigned rz;
  unsigned short pc24;

  e->start_mxcsr = get_mxcsr();
  e->start_cw = get_fpucw();
  rz = (e->start_mxcsr & ~MXCSR_RC_MASK) | MXCSR_RC_ZERO;
  pc24 = (unsigned short)((e->start_cw & ~FPUCW_PC_MASK) | FPUCW_PC_24);

  set_mxcsr(rz);
  cb_coro_yield();
  CO_CHECK((get_mxcsr() & 0xffc0u) == (rz & 0xffc0u));
  CO_CHECK(get_fpucw() == e->start_cw);

  set_mxcsr(e->start_mxcsr);
  set_fpucw(pc24);
  cb_coro_yield();
  CO_CHECK((get_mxcsr() & 0xffc0u) == (e->start_mxcsr & 0xffc0u));
  CO_CHECK(get_fpucw() == pc24);
}

static void test_fp_control_per_context(void **state) {
  fixture *f = *state;
  unsigned main_mxcsr = get_mxcsr();
  unsigned short main_cw = get_fpucw();
  fpenv e;

  memset(&e, 0, sizeof(e));
  cb_coro_init(&f->co, &f->st, fpenv_fn, &e);
  /* the low 6 MXCSR bits are sticky exception flags, not modes */
  for (int phase = 0; phase < 3; phase++) {
    cb_coro_resume(&f->co);
    assert_int_equal(get_mxcsr() & 0xffc0u, main_mxcsr & 0xffc0u);
    assert_int_equal(get_fpucw(), main_cw);
  }
  assert_true(cb_coro_done(&f->co));
  /* the coroutine started with the creating thread's modes */
  assert_int_equal(e.start_mxcsr & 0xffc0u, main_mxcsr & 0xffc0u);
  assert_int_equal(e.start_cw, main_cw);
  assert_int_equal(co_fail_line, 0);
}
#endif

/* ---- stack reuse ------------------------------------------------------- */

typedef struct reuse {
  unsigned n;
  unsigned long out;
} reuse;

static void reuse_yield_fn(void *arg) {
  reuse *r = arg;
  unsigned long sum = 0;

  for (unsigned i = 1; i <= r->n; i++) {
    sum += i;
    cb_coro_yield();
  }
  r->out = sum;
}

static unsigned long tri(unsigned n) {
  volatile unsigned keep = n;
  return n == 0 ? 0 : keep + tri(n - 1);
}

static void reuse_recurse_fn(void *arg) {
  reuse *r = arg;

  r->out = tri(r->n) * 3;
}

static void test_stack_reuse(void **state) {
  fixture *f = *state;

  for (unsigned iter = 0; iter < 2000; iter++) {
    reuse r = {iter % 17, 0};
    int yields = 0;

    if (iter % 2 == 0)
      cb_coro_init(&f->co, &f->st, reuse_yield_fn, &r);
    else
      cb_coro_init(&f->co, &f->st, reuse_recurse_fn, &r);
    while (!cb_coro_done(&f->co)) {
      cb_coro_resume(&f->co);
      yields++;
    }
    if (iter % 2 == 0) {
      assert_int_equal(yields, r.n + 1);
      assert_int_equal(r.out, (unsigned long)r.n * (r.n + 1) / 2);
    } else {
      assert_int_equal(yields, 1);
      assert_int_equal(r.out, 3ul * r.n * (r.n + 1) / 2);
    }
    assert_null(cb_coro_current());
  }
}

/* ---- thousands alive at once ------------------------------------------- */

#define MANY 5000
#define MANY_ROUNDS 4

typedef struct many_arg {
  cb_coro *self;
  unsigned id;
  unsigned rounds_seen;
  int bad;
} many_arg;

static void many_fn(void *arg) {
  many_arg *m = arg;
  volatile unsigned loc[24];
  unsigned id = m->id;

  for (unsigned i = 0; i < 24; i++) loc[i] = id * 2654435761u + i;
  for (unsigned r = 0; r < MANY_ROUNDS; r++) {
    cb_coro_yield();
    if (cb_coro_current() != m->self || m->id != id) m->bad = 1;
    for (unsigned i = 0; i < 24; i++)
      if (loc[i] != id * 2654435761u + i) m->bad = 1;
    m->rounds_seen++;
  }
}

typedef struct many_state {
  cb_coro_stack *st;
  cb_coro *co;
  many_arg *arg;
} many_state;

static int setup_many(void **state) {
  many_state *s = calloc(1, sizeof(*s));

  if (s == NULL) return -1;
  s->st = calloc(MANY, sizeof(*s->st));
  s->co = calloc(MANY, sizeof(*s->co));
  s->arg = calloc(MANY, sizeof(*s->arg));
  *state = s;
  if (s->st == NULL || s->co == NULL || s->arg == NULL) return -1;
  return 0;
}

static int teardown_many(void **state) {
  many_state *s = *state;

  if (s == NULL) return 0;
  for (unsigned i = 0; s->st != NULL && i < MANY; i++) {
    if (s->co != NULL) cb_coro_destroy(&s->co[i]);
    cb_coro_stack_free(&s->st[i]);
  }
  free(s->st);
  free(s->co);
  free(s->arg);
  free(s);
  return 0;
}

static void test_thousands(void **state) {
  many_state *s = *state;

  for (unsigned i = 0; i < MANY; i++) {
    assert_int_equal(cb_coro_stack_alloc(&s->st[i], 16 * KiB), 0);
    s->arg[i].self = &s->co[i];
    s->arg[i].id = i;
    cb_coro_init(&s->co[i], &s->st[i], many_fn, &s->arg[i]);
  }
  /* start all: every one is now suspended on its own stack */
  for (unsigned i = 0; i < MANY; i++) cb_coro_resume(&s->co[i]);
  for (unsigned r = 0; r < MANY_ROUNDS; r++) {
    for (unsigned i = 0; i < MANY; i++) {
      assert_false(cb_coro_done(&s->co[i]));
      cb_coro_resume(&s->co[i]);
    }
  }
  for (unsigned i = 0; i < MANY; i++) {
    assert_true(cb_coro_done(&s->co[i]));
    assert_int_equal(s->arg[i].rounds_seen, MANY_ROUNDS);
    assert_int_equal(s->arg[i].bad, 0);
    cb_coro_stack_free(&s->st[i]);
    assert_null(s->st[i].map);
  }
}

/* ---- nested resume ----------------------------------------------------- */

typedef struct nest {
  cb_coro *a, *b;
  cb_coro_stack *st_b;
  char log[32];
  int nlog;
} nest;

static nest *g_nest;

static void nest_log(char c) {
  g_nest->log[g_nest->nlog++] = c;
}

static void nest_b1(void *arg) {
  nest *n = arg;

  CO_CHECK(cb_coro_current() == n->b);
  nest_log('b');
  cb_coro_yield(); /* back to A */
  CO_CHECK(cb_coro_current() == n->b);
  nest_log('B');
}

static void nest_b2(void *arg) {
  nest *n = arg;

  nest_log('x');
  cb_coro_yield(); /* back to A this time... */
  /* ...and resumed from main next time, so this yield-free return must land
   * in main, not in A (which is done by then) */
  CO_CHECK(cb_coro_current() == n->b);
  nest_log('X');
}

static void nest_a(void *arg) {
  nest *n = arg;

  nest_log('a');
  cb_coro_init(n->b, n->st_b, nest_b1, n);
  cb_coro_resume(n->b);
  CO_CHECK(cb_coro_current() == n->a);
  CO_CHECK(!cb_coro_done(n->b));
  nest_log('2');
  cb_coro_yield(); /* to main while B is suspended inside us */
  CO_CHECK(cb_coro_current() == n->a);
  cb_coro_resume(n->b); /* B finishes: must come back here */
  CO_CHECK(cb_coro_done(n->b));
  CO_CHECK(cb_coro_current() == n->a);
  nest_log('3');
  cb_coro_init(n->b, n->st_b, nest_b2, n); /* reuse B's stack from inside A */
  cb_coro_resume(n->b);
  CO_CHECK(cb_coro_current() == n->a);
  nest_log('4');
}

static void test_nested_resume(void **state) {
  fixture *f = *state;
  cb_coro_stack st_b;
  cb_coro b;
  nest n;

  memset(&n, 0, sizeof(n));
  memset(&b, 0, sizeof(b));
  assert_int_equal(cb_coro_stack_alloc(&st_b, 64 * KiB), 0);
  n.a = &f->co;
  n.b = &b;
  n.st_b = &st_b;
  g_nest = &n;

  cb_coro_init(&f->co, &f->st, nest_a, &n);
  cb_coro_resume(&f->co); /* a, b, 2 */
  assert_null(cb_coro_current());
  nest_log('m');
  cb_coro_resume(&f->co); /* B, 3, x, 4 */
  assert_true(cb_coro_done(&f->co));
  assert_false(cb_coro_done(&b));
  assert_null(cb_coro_current());
  nest_log('M');
  cb_coro_resume(&b); /* X, returns to main */
  assert_true(cb_coro_done(&b));
  assert_null(cb_coro_current());
  nest_log('.');
  n.log[n.nlog] = '\0';
  assert_string_equal(n.log, "ab2mB3x4MX.");
  assert_int_equal(co_fail_line, 0);

  cb_coro_destroy(&b);
  cb_coro_stack_free(&st_b);
}

/* ---- two threads ------------------------------------------------------- */

#define THR_COROS 8
#define THR_ROUNDS 5000

typedef struct thr_co {
  cb_coro *self;
  unsigned long in, out;
} thr_co;

typedef struct thr_arg {
  pthread_barrier_t *barrier;
  unsigned long salt;
  int err;
  int fail_line;
  unsigned long checksum;
} thr_arg;

static void thr_fn(void *arg) {
  thr_co *t = arg;

  for (;;) {
    CO_CHECK(cb_coro_current() == t->self);
    t->out = t->in * 3 + 1;
    if (t->in == 0) return;
    cb_coro_yield();
  }
}

static void *thr_main(void *p) {
  thr_arg *ta = p;
  cb_coro_stack st[THR_COROS];
  cb_coro co[THR_COROS];
  thr_co tc[THR_COROS];
  unsigned long sum = 0;

  co_fail_line = 0;
  memset(st, 0, sizeof(st));
  for (int i = 0; i < THR_COROS; i++) {
    if (cb_coro_stack_alloc(&st[i], 32 * KiB) != 0) {
      ta->err = 1;
      goto cleanup;
    }
    tc[i].self = &co[i];
    cb_coro_init(&co[i], &st[i], thr_fn, &tc[i]);
  }
  pthread_barrier_wait(ta->barrier);
  for (unsigned long r = 1; r <= THR_ROUNDS; r++) {
    for (int i = 0; i < THR_COROS; i++) {
      /* the other thread is inside its coroutines right now: ours is NULL */
      if (cb_coro_current() != NULL) ta->err = 1;
      tc[i].in = r * ta->salt + (unsigned long)i;
      cb_coro_resume(&co[i]);
      if (tc[i].out != tc[i].in * 3 + 1) ta->err = 1;
      sum += tc[i].out;
    }
  }
  for (int i = 0; i < THR_COROS; i++) {
    tc[i].in = 0;
    cb_coro_resume(&co[i]);
    if (!cb_coro_done(&co[i])) ta->err = 1;
  }
  ta->checksum = sum;
  ta->fail_line = co_fail_line;

cleanup:
  for (int i = 0; i < THR_COROS; i++) {
    if (st[i].map != NULL) cb_coro_destroy(&co[i]);
    cb_coro_stack_free(&st[i]);
  }
  return NULL;
}

static unsigned long thr_expected(unsigned long salt) {
  unsigned long sum = 0;

  for (unsigned long r = 1; r <= THR_ROUNDS; r++)
    for (unsigned long i = 0; i < THR_COROS; i++) sum += (r * salt + i) * 3 + 1;
  return sum;
}

static void test_two_threads(void **state) {
  pthread_barrier_t barrier;
  pthread_t th[2];
  thr_arg ta[2];

  (void)state;
  assert_int_equal(pthread_barrier_init(&barrier, NULL, 2), 0);
  for (int i = 0; i < 2; i++) {
    memset(&ta[i], 0, sizeof(ta[i]));
    ta[i].barrier = &barrier;
    ta[i].salt = 1000003ul * (unsigned long)(i + 1);
    assert_int_equal(pthread_create(&th[i], NULL, thr_main, &ta[i]), 0);
  }
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
  pthread_barrier_destroy(&barrier);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(ta[i].err, 0);
    assert_int_equal(ta[i].fail_line, 0);
    assert_int_equal(ta[i].checksum, thr_expected(ta[i].salt));
  }
  assert_null(cb_coro_current());
}

/* ---- guard page -------------------------------------------------------- */

/* Permission string of the /proc/self/maps line containing addr. */
static int maps_perms(uintptr_t addr, char perms[5]) {
  FILE *fp = fopen("/proc/self/maps", "r");
  char line[512];
  int found = 0;

  if (fp == NULL) return 0;
  while (fgets(line, sizeof(line), fp) != NULL) {
    unsigned long lo, hi;
    char p[5];

    if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) != 3) continue;
    if (addr >= lo && addr < hi) {
      memcpy(perms, p, 5);
      found = 1;
      break;
    }
  }
  fclose(fp);
  return found;
}

static volatile unsigned long overflow_stop = ~0ul;

static unsigned long overflow(unsigned long n) {
  volatile char buf[256];

  buf[0] = (char)n;
  if (n == overflow_stop) return 0;
  return overflow(n + 1) + (unsigned long)buf[0];
}

static void overflow_fn(void *arg) {
  *(unsigned long *)arg = overflow(0);
}

static void test_guard_page(void **state) {
  fixture *f = *state;
  uintptr_t map = (uintptr_t)f->st.map;
  uintptr_t base = (uintptr_t)f->st.base;
  char perms[5];
  int pfd[2];
  pid_t pid;
  int status;

  /* the lowest page is PROT_NONE, the usable part read-write */
  assert_true(maps_perms(map, perms));
  assert_string_equal(perms, "---p");
  assert_true(maps_perms(base - 1, perms));
  assert_string_equal(perms, "---p");
  assert_true(maps_perms(base, perms));
  assert_string_equal(perms, "rw-p");
  assert_true(maps_perms(base + f->st.size - 1, perms));
  assert_string_equal(perms, "rw-p");

  /* the kernel refuses to read the guard, without a signal */
  assert_int_equal(pipe(pfd), 0);
  errno = 0;
  assert_int_equal(write(pfd[1], (void *)(base - 1), 1), -1);
  assert_int_equal(errno, EFAULT);
  assert_int_equal(write(pfd[1], (void *)base, 1), 1);
  close(pfd[0]);
  close(pfd[1]);

  /* runaway recursion on a coroutine stack dies on the guard, in a child */
  fflush(NULL);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    struct rlimit no_core = {0, 0};
    unsigned long out = 0;

    setrlimit(RLIMIT_CORE, &no_core);
    /* cmocka (and sanitizers) catch SIGSEGV; we want the plain kernel kill */
    signal(SIGSEGV, SIG_DFL);
    cb_coro_init(&f->co, &f->st, overflow_fn, &out);
    cb_coro_resume(&f->co);
    _exit(0); /* not reached when the guard works */
  }
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGSEGV);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stack_alloc),
      cmocka_unit_test(test_stack_pool),
      cmocka_unit_test_setup_teardown(test_ping_pong, setup_64k, teardown_fixture),
      cmocka_unit_test_setup_teardown(test_deep_recursion, setup_64k, teardown_fixture),
      cmocka_unit_test_setup_teardown(test_registers_survive, setup_64k, teardown_fixture),
#if defined(__x86_64__)
      cmocka_unit_test_setup_teardown(test_fp_control_per_context, setup_64k,
                                      teardown_fixture),
#endif
      cmocka_unit_test_setup_teardown(test_stack_reuse, setup_64k, teardown_fixture),
      cmocka_unit_test_setup_teardown(test_thousands, setup_many, teardown_many),
      cmocka_unit_test_setup_teardown(test_nested_resume, setup_64k, teardown_fixture),
      cmocka_unit_test(test_two_threads),
      cmocka_unit_test_setup_teardown(test_guard_page, setup_64k, teardown_fixture),
  };

  printf("coro backend: %s\n", cb_coro_backend());
  return cmocka_run_group_tests(tests, NULL, NULL);
}
