/* primitives.h: measuring what a coroutine, a thread and a process cost at the bottom (create, switch, idle memory). */
#ifndef CB_PRIMITIVES_H
#define CB_PRIMITIVES_H

#include <stddef.h>
#include <stdint.h>

#define CB_PRIM_MAX_TRIALS 7
#define CB_PRIM_IDLE_UNITS 1000u
#define CB_PRIM_SMALL_STACK (256u * 1024u)   /* the project's default coroutine and thread stack */
/* A figure whose trials vary by more than this coefficient of variation is flagged noisy, as a
 * run flags a case (cv above 10%): its median may be far from what the machine does at rest. */
#define CB_PRIM_NOISY_CV 0.10

typedef struct cb_prim_cfg {
  unsigned trials;         /* per figure, at most CB_PRIM_MAX_TRIALS */
  int64_t target_ns;       /* how long one timed trial should take */
  unsigned units;          /* idle units alive at once in a memory trial */
} cb_prim_cfg;

/* One figure: its trials, their median and minimum, and what to set beside it. */
typedef struct cb_prim_row {
  const char *primitive, *model, *unit;
  const char *reference;   /* in the row's unit; NULL when no published figure is cited */
  const char *source;      /* the reference's full citation */
  const char *source_short;   /* the same in a few words, for a table */
  const char *method;
  char note[200];
  double samples[CB_PRIM_MAX_TRIALS];
  unsigned n;
  double value, min;
  double cv;               /* stddev / mean of the trials; 0 with fewer than two */
  int noisy;               /* cv above CB_PRIM_NOISY_CV */
  uint64_t ops;            /* operations per timed trial; 0 for memory rows */
  unsigned units;          /* idle units per memory trial; 0 for time rows */
  double kernel_kib[CB_PRIM_MAX_TRIALS];   /* memory rows: system KernelStack + PageTables growth per unit */
  unsigned nk;
  int pinned;              /* switch rows: 1 pinned, 0 not, -1 n/a */
  double stack_kib;        /* 0: n/a */
  double parent_rss_kib;   /* process create_join: the forking process's RSS; 0: n/a */
} cb_prim_row;

/* The rows, in the order they are measured and printed. */
enum {
  CB_PRIM_CREATE_CORO, CB_PRIM_CREATE_THREAD, CB_PRIM_CREATE_PROC,
  CB_PRIM_SW_CORO, CB_PRIM_SW_THREAD, CB_PRIM_SW_THREAD_FREE, CB_PRIM_SW_PROC, CB_PRIM_SW_PROC_FREE,
  CB_PRIM_MEM_CORO, CB_PRIM_MEM_THREAD, CB_PRIM_MEM_THREAD_SMALL, CB_PRIM_MEM_PROC,
  CB_PRIM_RSS_CORO, CB_PRIM_RSS_THREAD, CB_PRIM_RSS_THREAD_SMALL, CB_PRIM_RSS_PROC,
  CB_PRIM_ROWS
};

/* Whether n trials vary too much to trust their median: 1 when cv (set in *cv when given) is
 * above CB_PRIM_NOISY_CV, 0 otherwise and with fewer than two trials. */
int cb_prim_noisy(const double *samples, unsigned n, double *cv);

/* Called before each of the steps of cb_prim_measure: step 1..total, and what it measures. */
typedef void (*cb_prim_progress_fn)(void *arg, int step, int total, const char *what);

/* The idle-memory trials keep units threads or processes alive at once: refuse before measuring
 * anything when a limit would stop them. 0, or -1 with one line in err. */
int cb_prim_check_limits(unsigned units, char *err, size_t len);

/* Fill rows[CB_PRIM_ROWS]: names, references, methods, then every trial, median and minimum.
 * progress may be NULL. 0, or -errno with one line in err (a limit met, a child that died). */
int cb_prim_measure(const cb_prim_cfg *cfg, cb_prim_row *rows, cb_prim_progress_fn progress, void *arg,
                    char *err, size_t len);

#endif
