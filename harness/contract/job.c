/* job.c: claiming, running and recording the tasks of one measured execution. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "job.h"
#include "clock.h"

const char *const cb_op_names[CB_OP_KINDS] = {
#define XX(name, text) text,
  CB_OP_MAP(XX)
#undef XX
};

static void *shm(size_t len) {
  /* Shared so that fork children's claims and records are seen by the parent; NORESERVE since
   * most of the histogram space is never touched. */
  void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return m == MAP_FAILED ? NULL : m;
}

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
  if (!(job->sh = shm(job->sh_len))) return -errno;
  atomic_init(&job->sh->next, 0);
  job->nops = cb_job_workers(job) ? cb_job_workers(job) : 1;
  job->ops_len = job->nops * sizeof(cb_op_hists);
  job->ops_used_len = job->nops * sizeof *job->ops_used;
  if (!(job->ops = shm(job->ops_len)) || !(job->ops_used = shm(job->ops_used_len))) {
    int e = -errno;
    cb_job_free(job);
    return e;
  }
  return 0;
}

void cb_job_free(cb_job *job) {
  if (job->sh) munmap(job->sh, job->sh_len);
  if (job->ops) munmap(job->ops, job->ops_len);
  if (job->ops_used) munmap(job->ops_used, job->ops_used_len);
  job->sh = NULL;
  job->ops = NULL;
  job->ops_used = NULL;
}

void cb_job_reset(cb_job *job) {
  memset(job->sh->rec, 0, job->ntasks * sizeof(cb_task_rec));
  atomic_store(&job->sh->next, 0);
  atomic_store(&job->sh->children_pss_kib, 0);
  atomic_store(&job->sh->children_sampled, 0);
  atomic_store(&job->sh->parent_rss_kib, 0);
  atomic_store(&job->sh->parent_pss_kib, 0);
  /* Zeroed as a fresh mapping is, which first use counts on (cb__op_record). */
  for (uint32_t w = 0; w < job->nops; w++) {
    for (int k = 0; k < CB_OP_KINDS; k++)
      if (job->ops_used[w] & (1u << k)) memset(&job->ops[w].h[k], 0, sizeof job->ops[w].h[k]);
    job->ops_used[w] = 0;
  }
  job->workers = 0;
  job->err[0] = '\0';
}

void cb_job_exec(cb_job *job, cb_ctx *ctx, uint64_t index) {
  cb_task_rec *r = &job->sh->rec[index];
  uint64_t sum = 0;
  ctx->task = index;
  if (job->rate > 0) {
    /* Open loop: the task's slot is fixed whatever the completions. One that starts late (no
     * worker was free) keeps the clock running from its slot. */
    int64_t intended = job->t0_ns + (int64_t)((double)index * 1e9 / job->rate);
    r->intended_ns = intended;
    if (cb_now_ns() < intended) ctx->io->sleep_until(ctx, intended);
    r->start_ns = cb_now_ns();
  } else {
    r->start_ns = r->intended_ns = cb_now_ns();
  }
  int rc = job->wl->task(ctx, &job->params, job->state, index, &sum);
  r->end_ns = cb_now_ns();
  r->sum = sum;
  r->status = rc;
  r->runs++;
}

void cb__op_record(cb_ctx *ctx, int kind, int64_t t0) {
  cb_op_hists *o = ctx->ops;
  if (!o) return;
  int64_t d = cb_now_ns() - t0;
  uint32_t *used = &ctx->job->ops_used[o - ctx->job->ops];
  if (!(*used & (1u << kind))) {
    /* Zero already (a fresh mapping, or cb_job_reset): what cb_hist_init would do, without
     * writing its 16 KiB, so only the pages the worker records into become its memory. */
    o->h[kind].min_ns = UINT64_MAX;
    *used |= 1u << kind;
  }
  cb_hist_record(&o->h[kind], d > 0 ? (uint64_t)d : 0);
}

void cb_job_worker_end(cb_job *job, cb_ctx *ctx) {
  if (job->wl->worker_end) job->wl->worker_end(ctx, &job->params, job->state);
}

uint64_t cb_job_work(cb_job *job, cb_ctx *ctx) {
  uint64_t i, ran = 0;
  for (; cb_job_claim(job, &i); ran++) cb_job_exec(job, ctx, i);
  cb_job_worker_end(job, ctx);
  return ran;
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

void cb_job_summarize_hists(const cb_job *job, cb_job_summary *out, cb_hist *lat, cb_hist *svc, cb_hist *done,
                            cb_hist *ops) {
  cb_hist own_lat, own_svc;
  memset(out, 0, sizeof *out);
  if (!lat) lat = &own_lat;
  if (!svc) svc = &own_svc;
  cb_hist_init(lat);
  cb_hist_init(svc);
  if (done) cb_hist_init(done);
  int64_t last = job->t0_ns, last_any = job->t0_ns;
  int all_ran = 1;
  for (uint64_t i = 0; i < job->ntasks; i++) {
    const cb_task_rec *r = &job->sh->rec[i];
    out->not_found += r->not_found;
    if (r->runs == 0) all_ran = 0;
    else if (r->end_ns > last_any) last_any = r->end_ns;
    if (r->runs == 1 && r->status == 0) {
      out->done++;
      out->checksum += r->sum;
      cb_hist_record(lat, (uint64_t)(r->end_ns - r->intended_ns));
      cb_hist_record(svc, (uint64_t)(r->end_ns - r->start_ns));
      if (done) cb_hist_record(done, r->end_ns > job->t0_ns ? (uint64_t)(r->end_ns - job->t0_ns) : 0);
      if (r->end_ns > last) last = r->end_ns;
    } else {
      out->errors++;
      count_kind(out, r->runs == 1 ? r->status : 0);
    }
  }
  out->p50_ms = (double)cb_hist_percentile(lat, 50) / 1e6;
  out->p90_ms = (double)cb_hist_percentile(lat, 90) / 1e6;
  out->p99_ms = (double)cb_hist_percentile(lat, 99) / 1e6;
  out->p999_ms = (double)cb_hist_percentile(lat, 99.9) / 1e6;
  out->max_ms = (double)cb_hist_percentile(lat, 100) / 1e6;
  out->last_end_ns = all_ran && job->ntasks ? last_any : 0;
  if (last > job->t0_ns && job->t0_ns) out->rate_achieved = (double)out->done / ((double)(last - job->t0_ns) / 1e9);
  if (ops) {
    for (int k = 0; k < CB_OP_KINDS; k++) cb_hist_init(&ops[k]);
    for (uint32_t w = 0; w < job->nops; w++)
      for (int k = 0; k < CB_OP_KINDS; k++)
        if (job->ops_used[w] & (1u << k)) cb_hist_merge(&ops[k], &job->ops[w].h[k]);
  }
}
