/* job.c: claiming, running and recording the tasks of one measured execution. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "job.h"
#include "clock.h"

int cb_job_init(cb_job *job, const cb_workload *wl, const cb_params *p, uint64_t ntasks,
                uint32_t conc, size_t stack_size) {
  memset(job, 0, sizeof *job);
  job->wl = wl;
  if (p) job->params = *p;
  job->ntasks = ntasks;
  job->conc = conc;
  job->stack_size = stack_size;
  if (ntasks > (SIZE_MAX - sizeof(cb_shared)) / sizeof(cb_task_rec)) return -ENOMEM;
  job->sh_len = sizeof(cb_shared) + ntasks * sizeof(cb_task_rec);
  /* Shared so that fork children's claims and records are seen by the parent. */
  void *m = mmap(NULL, job->sh_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return -errno;
  job->sh = m;
  atomic_init(&job->sh->next, 0);
  return 0;
}

void cb_job_free(cb_job *job) {
  if (job->sh) munmap(job->sh, job->sh_len);
  job->sh = NULL;
}

void cb_job_reset(cb_job *job) {
  memset(job->sh->rec, 0, job->ntasks * sizeof(cb_task_rec));
  atomic_store(&job->sh->next, 0);
  job->children_rss_kib = 0;
  job->workers = 0;
  job->err[0] = '\0';
}

void cb_job_exec(cb_job *job, cb_ctx *ctx, uint64_t index) {
  cb_task_rec *r = &job->sh->rec[index];
  uint64_t sum = 0;
  ctx->task = index;
  r->start_ns = cb_now_ns();
  int rc = job->wl->task(ctx, &job->params, job->state, index, &sum);
  r->end_ns = cb_now_ns();
  r->sum = sum;
  r->status = rc;
  r->runs++;
}

void cb_job_worker_end(cb_job *job, cb_ctx *ctx) {
  if (job->wl->worker_end) job->wl->worker_end(ctx, &job->params, job->state);
}

void cb_job_not_found(cb_ctx *ctx) {
  ctx->job->sh->rec[ctx->task].not_found++;
}

static void count_kind(cb_job_summary *out, int32_t code) {
  for (unsigned k = 0; k < out->nkinds; k++)
    if (out->kinds[k].code == code) { out->kinds[k].count++; return; }
  if (out->nkinds == CB_ERROR_KINDS) return;
  out->kinds[out->nkinds].code = code;
  out->kinds[out->nkinds++].count = 1;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double pct_ms(const int64_t *v, uint64_t n, double q) {
  if (n == 0) return 0;
  uint64_t k = (uint64_t)(q * (double)n + 0.999999);
  if (k < 1) k = 1;
  if (k > n) k = n;
  return (double)v[k - 1] / 1e6;
}

void cb_job_summarize(const cb_job *job, cb_job_summary *out) {
  memset(out, 0, sizeof *out);
  int64_t *lat = malloc((job->ntasks ? job->ntasks : 1) * sizeof *lat);
  uint64_t nlat = 0;
  for (uint64_t i = 0; i < job->ntasks; i++) {
    const cb_task_rec *r = &job->sh->rec[i];
    out->not_found += r->not_found;
    if (r->runs == 1 && r->status == 0) {
      out->done++;
      out->checksum += r->sum;
      if (lat) lat[nlat++] = r->end_ns - r->start_ns;
    } else {
      out->errors++;
      count_kind(out, r->runs == 1 ? r->status : 0);
    }
  }
  if (lat) {
    qsort(lat, nlat, sizeof *lat, cmp_i64);
    out->p50_ms = pct_ms(lat, nlat, 0.50);
    out->p99_ms = pct_ms(lat, nlat, 0.99);
    out->max_ms = nlat ? (double)lat[nlat - 1] / 1e6 : 0;
    free(lat);
  }
}
