/*
 * strata_kmeans_fit: checks the input, initialises (greedy k-means++, k-means||, random or
 * given centres; AUTO by shape), runs the chosen algorithm (Lloyd, Hamerly or Yinyang, exact
 * and interchangeable, or mini-batch; AUTO by k) n_init times from seeds derived from the
 * user's, refines, and keeps the run with the lowest inertia (the first on a tie). Also the
 * out-of-core fit (strata_kmeans_fit_h5), prediction on new rows and the validity scores.
 * The rules that AUTO follows are measured; the numbers are next to resolve_init and
 * resolve_algorithm.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/driver.h"
#include "core/rng.h"
#include "kmeans/kmeans_internal.h"

struct strata_kmeans_s {
  int64_t k, d, n;
  strata_dtype dtype;
  void *centers;
  int32_t *labels;
  double inertia;
  int n_iter;
  int converged;
  int jumps;
  strata_kmeans_algorithm algorithm;
  strata_kmeans_init init;
};

void strata_kmeans_params_init(strata_kmeans_params *params) {
  if (params == NULL) return;
  memset(params, 0, sizeof *params);
  params->k = 8;
  params->algorithm = STRATA_KMEANS_AUTO;
  params->init = STRATA_KMEANS_INIT_AUTO;
  params->max_iter = 300;
  params->tol = 1e-4;
  params->n_init = 1;
  params->seed = 0;
  params->refine = 1;
  params->batch_size = 1024;
  params->max_no_improvement = 10;
  params->reassignment_ratio = 0.01;
}

void strata_kmeans_free(strata_kmeans *model) {
  if (model == NULL) return;
  strata_free(model->centers);
  strata_free(model->labels);
  free(model);
}

int64_t strata_kmeans_k(const strata_kmeans *m) { return m ? m->k : 0; }
int64_t strata_kmeans_d(const strata_kmeans *m) { return m ? m->d : 0; }
strata_dtype strata_kmeans_dtype(const strata_kmeans *m) { return m ? m->dtype : STRATA_F64; }
const void *strata_kmeans_centers(const strata_kmeans *m) { return m ? m->centers : NULL; }
const int32_t *strata_kmeans_labels(const strata_kmeans *m) { return m ? m->labels : NULL; }
double strata_kmeans_inertia(const strata_kmeans *m) { return m ? m->inertia : NAN; }
int strata_kmeans_n_iter(const strata_kmeans *m) { return m ? m->n_iter : 0; }
int strata_kmeans_converged(const strata_kmeans *m) { return m ? m->converged : 0; }
int strata_kmeans_jumps(const strata_kmeans *m) { return m ? m->jumps : 0; }
strata_kmeans_algorithm strata_kmeans_algorithm_used(const strata_kmeans *m) {
  return m ? m->algorithm : STRATA_KMEANS_AUTO;
}
strata_kmeans_init strata_kmeans_init_used(const strata_kmeans *m) {
  return m ? m->init : STRATA_KMEANS_INIT_AUTO;
}

static strata_status check_matrix(strata_ctx *ctx, const strata_matrix *x) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(x == NULL || x->data == NULL, ctx, STRATA_ERR_USAGE, "k-means: no data");
  STRATA_FAIL_IF(x->dtype != STRATA_F32 && x->dtype != STRATA_F64, ctx, STRATA_ERR_DATA,
                 "k-means needs float32 or float64 data, got %s", strata_dtype_name(x->dtype));
  STRATA_FAIL_IF(x->n < 1, ctx, STRATA_ERR_DATA, "k-means: the data has no rows");
  STRATA_FAIL_IF(x->d < 1, ctx, STRATA_ERR_DATA, "k-means: the data has no columns (d = 0)");
  STRATA_FAIL_IF(x->ld < x->d, ctx, STRATA_ERR_USAGE, "k-means: ld (%lld) < d (%lld)",
                 (long long)x->ld, (long long)x->d);
  STRATA_FAIL_IF(x->n > INT32_MAX || x->d > INT32_MAX, ctx, STRATA_ERR_USAGE,
                 "k-means: %lld x %lld is beyond the 2^31 rows/columns of a label", (long long)x->n,
                 (long long)x->d);
cleanup:
  return st;
}

/* Seconds already booked to phase `name` on the context. */
static double phase_seconds(const strata_ctx *ctx, const char *name) {
  for (size_t i = 0; i < strata_ctx_phase_count(ctx); i++)
    if (strcmp(strata_ctx_phase_name(ctx, i), name) == 0) return strata_ctx_phase_seconds(ctx, i);
  return 0.0;
}

/* A stage of the fit: the driver books its parallel passes to p->phase itself, so the stage
 * adds only the rest of its wall time (serial steps between passes) and no second counts. */
typedef struct km_stage {
  const char *name;
  double t0, booked;
} km_stage;

static km_stage stage_begin(km_problem *p, const char *name) {
  km_stage s = {name, strata_now(), phase_seconds(p->ctx, name)};
  p->phase = name;
  return s;
}

static void stage_end(const km_problem *p, const km_stage *s) {
  double rest = (strata_now() - s->t0) - (phase_seconds(p->ctx, s->name) - s->booked);
  if (rest > 0.0) strata_phase_add(p->ctx, s->name, rest);
}

static strata_status prepare(strata_ctx *ctx, const strata_matrix *x, int64_t k,
                             const double *weights, km_problem *p) {
  strata_status st = STRATA_OK;
  memset(p, 0, sizeof *p);
  STRATA_TRY(check_matrix(ctx, x));
  p->ctx = ctx;
  p->kern = strata_kernels_get();
  p->dtype = x->dtype;
  p->x = x->data;
  p->n = x->n;
  p->d = x->d;
  p->ldx = x->ld;
  p->k = k;
  p->w = weights;
  p->phase = "check";
  int64_t bad_row, bad_col;
  if (x->dtype == STRATA_F32)
    STRATA_TRY(km_count_nonfinite_f32(p, &bad_row, &bad_col));
  else
    STRATA_TRY(km_count_nonfinite_f64(p, &bad_row, &bad_col));
  if (bad_row >= 0) {
    double v = x->dtype == STRATA_F32 ? ((const float *)x->data)[bad_row * x->ld + bad_col]
                                      : ((const double *)x->data)[bad_row * x->ld + bad_col];
    st = strata_fail(ctx, STRATA_ERR_DATA, "k-means: row %lld, column %lld is %s",
                     (long long)bad_row, (long long)bad_col,
                     isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf"));
    goto cleanup;
  }
  p->total_weight = (double)x->n;
  if (weights != NULL) {
    double total = 0.0;
    for (int64_t i = 0; i < x->n; i++) {
      STRATA_FAIL_IF(!(weights[i] >= 0.0) || !isfinite(weights[i]), ctx, STRATA_ERR_DATA,
                     "k-means: weight of row %lld is %g; weights must be finite and >= 0",
                     (long long)i, weights[i]);
      total += weights[i];
    }
    STRATA_FAIL_IF(!(total > 0.0), ctx, STRATA_ERR_DATA, "k-means: all weights are zero");
    p->total_weight = total;
  }
cleanup:
  return st;
}

/* AUTO: k-means|| once k >= 16 on at least 10,000 rows, else greedy k-means++. Greedy makes
 * k + 1 passes over the data with 3 + ln k distances per row each; k-means|| makes 1 + 3 passes
 * with about 2k distances per row each (in the full-tile argmin kernel) plus 3 light passes
 * for the draws, whatever k. Measured on 1M x 16 float blobs, one thread, init alone
 * (greedy / k-means||): k = 4 78 / 91 ms, k = 8 103 / 93, k = 16 158 / 108, k = 32 264 / 145,
 * k = 64 502 / 219, k = 128 970 / 368; the same ratios within 20 % at 20k, 50k and 200k rows.
 * At k = 8 the gain is 10-50 % of a few milliseconds, not worth leaving scikit-learn's
 * semantics for; from k = 16 it is 1.5-3x and grows with k. Below 10,000 rows the whole init
 * takes milliseconds either way. Quality (inertia ratio to greedy, mean of 4 seeds, Franti S1-S4
 * and A1-A3, D31, 200k blobs, strata gen data at k = 8, 32, 128): 0.76-0.98 after one Lloyd
 * iteration, 0.80-1.00 at convergence without refinement, 1.0000 +- 0.0006 with it. */
static strata_kmeans_init resolve_init(strata_kmeans_init requested, int64_t n, int64_t k) {
  if (requested != STRATA_KMEANS_INIT_AUTO) return requested;
  return k >= 16 && n >= 10000 ? STRATA_KMEANS_INIT_KMEANS_PARALLEL : STRATA_KMEANS_INIT_KMEANSPP;
}

static strata_status init_centers(const km_problem *p, const strata_kmeans_params *params,
                                  strata_kmeans_init init, uint64_t seed, void *centers) {
  size_t esize = strata_dtype_size(p->dtype);
  if (init == STRATA_KMEANS_INIT_GIVEN) {
    memcpy(centers, params->init_centers, (size_t)(p->k * p->d) * esize);
    return STRATA_OK;
  }
  if (init == STRATA_KMEANS_INIT_RANDOM)
    return p->dtype == STRATA_F32 ? km_init_random_f32(p, seed, centers)
                                  : km_init_random_f64(p, seed, centers);
  int64_t trials =
      params->local_trials > 0 ? params->local_trials : 2 + (int64_t)floor(log((double)p->k));
  if (init == STRATA_KMEANS_INIT_KMEANS_PARALLEL)
    return p->dtype == STRATA_F32 ? km_init_parallel_f32(p, seed, trials, params->oversampling,
                                                         params->init_rounds, centers)
                                  : km_init_parallel_f64(p, seed, trials, params->oversampling,
                                                         params->init_rounds, centers);
  return p->dtype == STRATA_F32 ? km_init_kmeanspp_f32(p, seed, trials, centers)
                                : km_init_kmeanspp_f64(p, seed, trials, centers);
}

/* Rows of mini-batch's init sample (scikit-learn's init_size): 3 batches, at least 3 k. */
static int64_t minibatch_sample_rows(const km_problem *p, const km_minibatch_opts *o) {
  int64_t m = 3 * (o->batch_size < p->n ? o->batch_size : p->n);
  if (m < 3 * p->k) m = 3 * p->k;
  return m < p->n ? m : p->n;
}

/* Mini-batch's init: given centres as they are; otherwise the method on a sample of rows
 * drawn with replacement, weighted by the rows' weights. */
static strata_status minibatch_init(const km_problem *p, const strata_kmeans_params *params,
                                    const km_minibatch_opts *o, strata_kmeans_init init,
                                    uint64_t seed, void *centers) {
  strata_status st = STRATA_OK;
  void *rows = NULL;
  double *w = NULL;
  int64_t m = 0;
  if (init == STRATA_KMEANS_INIT_GIVEN) return init_centers(p, params, init, seed, centers);
  STRATA_TRY(p->dtype == STRATA_F32 ? km_minibatch_sample_f32(p, o, seed, &m, &rows, &w)
                                    : km_minibatch_sample_f64(p, o, seed, &m, &rows, &w));
  km_problem q = *p;
  q.x = rows;
  q.n = m;
  q.ldx = p->d;
  q.w = w;
  q.total_weight = 0.0;
  for (int64_t i = 0; i < m; i++) q.total_weight += w[i];
  STRATA_FAIL_IF(!(q.total_weight > 0.0), p->ctx, STRATA_ERR_DATA,
                 "mini-batch k-means: the %lld rows drawn for the init all have weight 0",
                 (long long)m);
  STRATA_TRY(init_centers(&q, params, init, seed, centers));
cleanup:
  strata_free(rows);
  strata_free(w);
  return st;
}

/* AUTO: Lloyd for k <= 32, Hamerly below k = 384, Yinyang from there. All three give the same
 * result; measured (one thread, seconds of iterations from the same k-means|| init; 200k-row
 * strata gen data d = 6, overlapping float blobs d = 16 and 32, separated blobs 200k and 1M x
 * 16; Lloyd / Hamerly / Yinyang):
 *   k = 16:  0.09/0.13/0.14  0.46/0.76/0.79  0.61/0.97/1.00  0.05/0.08/0.08  0.56/0.85/0.78
 *   k = 32:  0.24/0.25/0.27  0.28/0.39/0.42  0.45/0.59/0.61  0.03/0.04/0.04  0.26/0.24/0.26
 *   k = 64:  0.41/0.37/0.44  1.69/1.71/1.84  1.96/1.86/1.92  0.10/0.05/0.04  0.48/0.23/0.23
 *   k = 384: 1.67/0.94/0.78  1.88/1.19/1.23  2.50/1.13/0.96  1.89/1.23/0.75  9.65/5.59/3.85
 * and at k = 1024 Yinyang is 1.7-2.7x faster than Hamerly. For small k the packed kernel's
 * full pass costs little more than the bounds' bookkeeping, and a bound algorithm's first
 * iteration is a full pass anyway (with the second-nearest distance too). */
static strata_kmeans_algorithm resolve_algorithm(strata_kmeans_algorithm requested,
                                                 const km_problem *p) {
  if (requested != STRATA_KMEANS_AUTO) return requested;
  if (p->k <= 32) return STRATA_KMEANS_LLOYD;
  if (p->k < 384) return STRATA_KMEANS_HAMERLY;
  /* Yinyang's group bounds (4 bytes per row and group) must fit well within the budget. */
  const int64_t groups =
      p->dtype == STRATA_F32 ? km_yinyang_groups_f32(p->k) : km_yinyang_groups_f64(p->k);
  const double bounds = 4.0 * (double)p->n * (double)groups;
  return bounds <= 0.5 * (double)strata_ctx_memory_budget(p->ctx) ? STRATA_KMEANS_YINYANG
                                                                  : STRATA_KMEANS_HAMERLY;
}

/* The parameters of a fit on n rows. */
static strata_status check_params(strata_ctx *ctx, const strata_kmeans_params *params, int64_t n) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(params->k < 1, ctx, STRATA_ERR_USAGE, "k-means: k must be >= 1, got %lld",
                 (long long)params->k);
  STRATA_FAIL_IF(params->k > n, ctx, STRATA_ERR_USAGE,
                 "k-means: k = %lld is more than the %lld rows of the data", (long long)params->k,
                 (long long)n);
  STRATA_FAIL_IF(params->max_iter < 1, ctx, STRATA_ERR_USAGE,
                 "k-means: max_iter must be >= 1, got %d", params->max_iter);
  STRATA_FAIL_IF(!(params->tol >= 0.0) || !isfinite(params->tol), ctx, STRATA_ERR_USAGE,
                 "k-means: tol must be a finite number >= 0, got %g", params->tol);
  STRATA_FAIL_IF(params->n_init < 1, ctx, STRATA_ERR_USAGE, "k-means: n_init must be >= 1, got %d",
                 params->n_init);
  STRATA_FAIL_IF((int)params->algorithm < STRATA_KMEANS_AUTO ||
                     (int)params->algorithm > STRATA_KMEANS_MINIBATCH,
                 ctx, STRATA_ERR_USAGE, "k-means: unknown algorithm %d", (int)params->algorithm);
  STRATA_FAIL_IF((int)params->init < STRATA_KMEANS_INIT_KMEANSPP ||
                     (int)params->init > STRATA_KMEANS_INIT_AUTO,
                 ctx, STRATA_ERR_USAGE, "k-means: unknown init %d", (int)params->init);
  STRATA_FAIL_IF(!(params->oversampling >= 0.0) || !isfinite(params->oversampling), ctx,
                 STRATA_ERR_USAGE, "k-means: oversampling must be a finite number >= 0, got %g",
                 params->oversampling);
  STRATA_FAIL_IF(params->init_rounds < 0, ctx, STRATA_ERR_USAGE,
                 "k-means: init_rounds must be >= 0, got %d", params->init_rounds);
  if (params->algorithm == STRATA_KMEANS_MINIBATCH) {
    STRATA_FAIL_IF(params->batch_size < 1, ctx, STRATA_ERR_USAGE,
                   "k-means: batch_size must be >= 1, got %lld", (long long)params->batch_size);
    STRATA_FAIL_IF(params->max_no_improvement < 0, ctx, STRATA_ERR_USAGE,
                   "k-means: max_no_improvement must be >= 0, got %d", params->max_no_improvement);
    STRATA_FAIL_IF(!(params->reassignment_ratio >= 0.0) || !isfinite(params->reassignment_ratio),
                   ctx, STRATA_ERR_USAGE,
                   "k-means: reassignment_ratio must be a finite number >= 0, got %g",
                   params->reassignment_ratio);
  }
  STRATA_FAIL_IF(params->init == STRATA_KMEANS_INIT_GIVEN && params->init_centers == NULL, ctx,
                 STRATA_ERR_USAGE, "k-means: init 'given' needs initial centres");
  STRATA_FAIL_IF(params->sample_rows < 0, ctx, STRATA_ERR_USAGE,
                 "k-means: sample_rows must be >= 0, got %lld", (long long)params->sample_rows);
  STRATA_FAIL_IF(params->sample_rows > 0 && params->sample_rows < params->k, ctx,
                 STRATA_ERR_USAGE, "k-means: a sample of %lld rows cannot hold k = %lld centres",
                 (long long)params->sample_rows, (long long)params->k);
cleanup:
  return st;
}

/* m distinct rows of n, uniformly, in increasing order (Floyd's algorithm over a bitmap:
 * m draws and an n / 64 word scan, instead of a key per row). Serial and seeded, so the
 * sample does not depend on the thread count. */
static strata_status draw_rows(strata_ctx *ctx, int64_t n, int64_t m, uint64_t seed,
                               int64_t *rows) {
  strata_status st = STRATA_OK;
  uint64_t *taken = NULL;
  const size_t words = (size_t)(n + 63) / 64;
  STRATA_TRY(strata_calloc(ctx, words, sizeof *taken, "k-means sample bitmap", (void **)&taken));
  strata_rng g;
  strata_rng_init(&g, seed, KM_STREAM_SAMPLE, 0);
  for (int64_t j = n - m; j < n; j++) {
    uint64_t t = strata_rng_below(&g, (uint64_t)j + 1);
    if (taken[t / 64] >> (t % 64) & 1) t = (uint64_t)j;
    taken[t / 64] |= (uint64_t)1 << (t % 64);
  }
  int64_t r = 0;
  for (size_t wd = 0; wd < words; wd++)
    for (uint64_t bits = taken[wd]; bits != 0; bits &= bits - 1)
      rows[r++] = (int64_t)(wd * 64) + __builtin_ctzll(bits);
cleanup:
  strata_free(taken);
  return st;
}

/* strata_kmeans_fit with sample_rows: the fit on a seeded uniform sample, then one exact
 * assignment of every row (labels, inertia). The sample keeps its rows' weights, so weights
 * still act as duplicated rows within it (rows of weight 0 may be drawn and count for
 * nothing). */
static strata_status fit_on_sample(strata_ctx *ctx, const strata_matrix *x, const km_problem *p,
                                   const strata_kmeans_params *params, strata_kmeans **out) {
  strata_status st = STRATA_OK;
  double *sample_w = NULL;
  int64_t *rows = NULL;
  void *sample = NULL;
  int32_t *labels = NULL;
  strata_kmeans *model = NULL;
  const int64_t n = p->n, d = p->d, m = params->sample_rows;
  const size_t esize = strata_dtype_size(p->dtype);
  km_problem q = *p;
  km_stage stage = stage_begin(&q, "sample");
  STRATA_TRY(strata_alloc(ctx, (size_t)m, sizeof *rows, "k-means sample rows", (void **)&rows));
  STRATA_TRY(draw_rows(ctx, n, m, params->seed, rows));
  STRATA_TRY(strata_alloc(ctx, (size_t)m, (size_t)d * esize, "k-means sample", &sample));
  for (int64_t r = 0; r < m; r++)
    memcpy((char *)sample + (size_t)(r * d) * esize,
           (const char *)p->x + (size_t)(rows[r] * p->ldx) * esize, (size_t)d * esize);
  if (p->w != NULL) {
    STRATA_TRY(
        strata_alloc(ctx, (size_t)m, sizeof *sample_w, "k-means sample weights", (void **)&sample_w));
    for (int64_t r = 0; r < m; r++) sample_w[r] = p->w[rows[r]];
  }
  stage_end(&q, &stage);

  strata_kmeans_params sub = *params;
  sub.sample_rows = 0;
  sub.weights = sample_w;
  strata_matrix sm = {sample, m, d, d, x->dtype};
  STRATA_TRY(strata_kmeans_fit(ctx, &sm, &sub, &model));

  stage = stage_begin(&q, "assign");
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof *labels, "labels", (void **)&labels));
  double inertia;
  if (p->dtype == STRATA_F32)
    STRATA_TRY(km_assign_f32(&q, model->centers, labels, NULL, &inertia));
  else
    STRATA_TRY(km_assign_f64(&q, model->centers, labels, NULL, &inertia));
  stage_end(&q, &stage);
  strata_free(model->labels);
  model->labels = labels;
  labels = NULL;
  model->n = n;
  model->inertia = inertia;
  *out = model;
  model = NULL;
cleanup:
  strata_free(rows);
  strata_free(sample);
  strata_free(sample_w);
  strata_free(labels);
  strata_kmeans_free(model);
  return st;
}

strata_status strata_kmeans_fit(strata_ctx *ctx, const strata_matrix *x,
                                const strata_kmeans_params *params, strata_kmeans **out) {
  strata_status st = STRATA_OK;
  strata_kmeans *best = NULL;
  void *centers = NULL;
  int32_t *labels = NULL;
  km_problem p;
  STRATA_FAIL_IF(params == NULL || out == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_kmeans_fit: params and out must not be NULL");
  *out = NULL;
  STRATA_TRY(check_matrix(ctx, x));
  STRATA_TRY(check_params(ctx, params, x->n));
  STRATA_TRY(prepare(ctx, x, params->k, params->weights, &p));
  if (params->sample_rows > 0 && params->sample_rows < x->n)
    return fit_on_sample(ctx, x, &p, params, out);
  if (params->init == STRATA_KMEANS_INIT_GIVEN) {
    strata_matrix c = {(void *)params->init_centers, params->k, x->d, x->d, x->dtype};
    STRATA_TRY(strata_check_finite(ctx, &c, 0, "initial centres", "centres"));
  }
  p.max_iter = params->max_iter;
  double variance;
  if (p.dtype == STRATA_F32)
    STRATA_TRY(km_mean_variance_f32(&p, &variance));
  else
    STRATA_TRY(km_mean_variance_f64(&p, &variance));
  p.tol_abs = params->tol * variance;

  const size_t esize = strata_dtype_size(p.dtype);
  const size_t kd = (size_t)(p.k * p.d);
  best = calloc(1, sizeof *best);
  STRATA_FAIL_IF(best == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for the k-means model");
  best->k = p.k;
  best->d = p.d;
  best->n = p.n;
  best->dtype = p.dtype;
  best->inertia = INFINITY;
  best->algorithm = resolve_algorithm(params->algorithm, &p);
  const km_minibatch_opts mb = {params->batch_size, params->max_no_improvement,
                                params->reassignment_ratio};
  const int minibatch = best->algorithm == STRATA_KMEANS_MINIBATCH;
  /* Mini-batch initialises on a sample (see minibatch_init): its size decides AUTO. */
  best->init = resolve_init(params->init, minibatch ? minibatch_sample_rows(&p, &mb) : p.n, p.k);
  STRATA_TRY(strata_alloc(ctx, kd, esize, "centres", &best->centers));
  STRATA_TRY(strata_alloc(ctx, (size_t)p.n, sizeof(int32_t), "labels", (void **)&best->labels));
  STRATA_TRY(strata_alloc(ctx, kd, esize, "centres", &centers));
  STRATA_TRY(strata_alloc(ctx, (size_t)p.n, sizeof(int32_t), "labels", (void **)&labels));
  int runs = params->init == STRATA_KMEANS_INIT_GIVEN ? 1 : params->n_init;
  for (int r = 0; r < runs; r++) {
    /* Run 0 uses the seed itself, so n_init = 1 and n_init = 5 share their first run. */
    uint64_t seed =
        r == 0 ? params->seed : strata_rng_hash(params->seed, KM_STREAM_RUN, (uint64_t)r);
    km_stage stage = stage_begin(&p, "init");
    if (minibatch)
      STRATA_TRY(minibatch_init(&p, params, &mb, best->init, seed, centers));
    else
      STRATA_TRY(init_centers(&p, params, best->init, seed, centers));
    stage_end(&p, &stage);
    km_run run = {centers, labels, 0.0, 0, 0, 0};
    stage = stage_begin(&p, "iterate");
    if (minibatch)
      STRATA_TRY(p.dtype == STRATA_F32 ? km_minibatch_f32(&p, &mb, seed, &run)
                                       : km_minibatch_f64(&p, &mb, seed, &run));
    else
      STRATA_TRY(p.dtype == STRATA_F32 ? km_iterate_f32(&p, best->algorithm, &run)
                                       : km_iterate_f64(&p, best->algorithm, &run));
    stage_end(&p, &stage);
    /* Refinement reruns exact k-means to convergence: not for the mini-batch approximation. */
    if (params->refine && !minibatch) {
      stage = stage_begin(&p, "refine");
      STRATA_TRY(p.dtype == STRATA_F32 ? km_refine_f32(&p, seed, best->algorithm, &run)
                                       : km_refine_f64(&p, seed, best->algorithm, &run));
      stage_end(&p, &stage);
    }
    if (run.inertia < best->inertia) {
      best->inertia = run.inertia;
      best->n_iter = run.n_iter;
      best->converged = run.converged;
      best->jumps = run.jumps;
      memcpy(best->centers, centers, kd * esize);
      memcpy(best->labels, labels, (size_t)p.n * sizeof(int32_t));
    }
  }
  *out = best;
  best = NULL;
cleanup:
  strata_free(centers);
  strata_free(labels);
  strata_kmeans_free(best);
  return st;
}

strata_status strata_kmeans_predict(strata_ctx *ctx, const strata_kmeans *model,
                                    const strata_matrix *x, int32_t *labels, double *sqdist) {
  strata_status st = STRATA_OK;
  km_problem p;
  STRATA_FAIL_IF(model == NULL || labels == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_kmeans_predict: model and labels must not be NULL");
  STRATA_TRY(check_matrix(ctx, x));
  STRATA_FAIL_IF(x->dtype != model->dtype, ctx, STRATA_ERR_DATA,
                 "k-means predict: the model is %s, the data %s", strata_dtype_name(model->dtype),
                 strata_dtype_name(x->dtype));
  STRATA_FAIL_IF(x->d != model->d, ctx, STRATA_ERR_DATA,
                 "k-means predict: the model has %lld features, the data %lld", (long long)model->d,
                 (long long)x->d);
  STRATA_TRY(prepare(ctx, x, model->k, NULL, &p));
  p.phase = "predict";
  double inertia;
  if (p.dtype == STRATA_F32)
    STRATA_TRY(km_assign_f32(&p, model->centers, labels, sqdist, &inertia));
  else
    STRATA_TRY(km_assign_f64(&p, model->centers, labels, sqdist, &inertia));
cleanup:
  return st;
}

strata_status strata_kmeans_from_centers(strata_ctx *ctx, const void *centers, int64_t k, int64_t d,
                                         strata_dtype dtype, strata_kmeans **out) {
  strata_status st = STRATA_OK;
  strata_kmeans *m = NULL;
  STRATA_FAIL_IF(centers == NULL || out == NULL || k < 1 || d < 1, ctx, STRATA_ERR_USAGE,
                 "strata_kmeans_from_centers: centres, k >= 1 and d >= 1 are required");
  STRATA_FAIL_IF(dtype != STRATA_F32 && dtype != STRATA_F64, ctx, STRATA_ERR_USAGE,
                 "strata_kmeans_from_centers: centres must be float32 or float64");
  *out = NULL;
  strata_matrix view = {(void *)centers, k, d, d, dtype};
  STRATA_TRY(strata_check_finite(ctx, &view, 0, "model", "centres"));
  m = calloc(1, sizeof *m);
  STRATA_FAIL_IF(m == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for the k-means model");
  m->k = k;
  m->d = d;
  m->dtype = dtype;
  m->inertia = NAN;
  m->algorithm = STRATA_KMEANS_LLOYD;
  m->init = STRATA_KMEANS_INIT_GIVEN;
  STRATA_TRY(strata_alloc(ctx, (size_t)(k * d), strata_dtype_size(dtype), "centres", &m->centers));
  memcpy(m->centers, centers, (size_t)(k * d) * strata_dtype_size(dtype));
  *out = m;
  m = NULL;
cleanup:
  strata_kmeans_free(m);
  return st;
}

strata_status strata_kmeans_scores(strata_ctx *ctx, const strata_matrix *x, const int32_t *labels,
                                   int64_t k, int64_t silhouette_sample, uint64_t seed,
                                   strata_cluster_scores *out) {
  strata_status st = STRATA_OK;
  km_problem p;
  STRATA_FAIL_IF(labels == NULL || out == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_kmeans_scores: labels and out must not be NULL");
  STRATA_FAIL_IF(k < 1 || k > INT32_MAX, ctx, STRATA_ERR_USAGE,
                 "strata_kmeans_scores: k must be in [1, 2^31), got %lld", (long long)k);
  STRATA_TRY(prepare(ctx, x, k, NULL, &p));
  for (int64_t i = 0; i < x->n; i++)
    STRATA_FAIL_IF(labels[i] < 0 || labels[i] >= k, ctx, STRATA_ERR_DATA,
                   "k-means scores: label of row %lld is %d, outside [0, %lld)", (long long)i,
                   (int)labels[i], (long long)k);
  p.phase = "scores";
  STRATA_TRY(p.dtype == STRATA_F32 ? km_scores_f32(&p, labels, silhouette_sample, seed, out)
                                   : km_scores_f64(&p, labels, silhouette_sample, seed, out));
cleanup:
  return st;
}

strata_status strata_kmeans_fit_h5(strata_ctx *ctx, strata_h5_file *file, const char *dataset,
                                   const strata_kmeans_params *params, strata_kmeans **out) {
  strata_status st = STRATA_OK;
  strata_h5_dataset *ds = NULL;
  strata_kmeans *best = NULL;
  void *centers = NULL, *sample = NULL;
  double *sample_w = NULL;
  int32_t *labels = NULL;
  km_stream src;
  memset(&src, 0, sizeof src);
  STRATA_FAIL_IF(file == NULL || dataset == NULL || params == NULL || out == NULL, ctx,
                 STRATA_ERR_USAGE,
                 "strata_kmeans_fit_h5: file, dataset, params and out are needed");
  *out = NULL;
  STRATA_TRY(strata_h5_dataset_open(ctx, file, dataset, 2, STRATA_TYPES_FLOAT, 0, &ds));
  const strata_dataset_info *info = strata_h5_dataset_info(ds);
  const int64_t n = info->dims[0], d = info->dims[1], k = params->k;
  STRATA_TRY(check_params(ctx, params, n));
  STRATA_FAIL_IF(params->sample_rows > 0 && params->sample_rows < n, ctx, STRATA_ERR_USAGE,
                 "%s: %s does not fit the memory budget, so it is clustered out of core, "
                 "which trains on every row (a training sample needs the data in memory)",
                 strata_h5_path(file), dataset);
  STRATA_FAIL_IF(params->algorithm == STRATA_KMEANS_MINIBATCH, ctx, STRATA_ERR_USAGE,
                 "k-means: mini-batch reads rows at random and needs the data in memory; "
                 "out-of-core k-means runs exact Lloyd");
  STRATA_FAIL_IF(n > INT32_MAX || d > INT32_MAX, ctx, STRATA_ERR_USAGE,
                 "k-means: %lld x %lld is beyond the 2^31 rows/columns of a label", (long long)n,
                 (long long)d);
  km_problem p;
  memset(&p, 0, sizeof p);
  p.ctx = ctx;
  p.kern = strata_kernels_get();
  p.dtype = info->dtype;
  p.n = n;
  p.d = d;
  p.ldx = d;
  p.k = k;
  p.w = params->weights;
  p.max_iter = params->max_iter;
  p.total_weight = (double)n;
  if (p.w != NULL) {
    double total = 0.0;
    for (int64_t i = 0; i < n; i++) {
      STRATA_FAIL_IF(!(p.w[i] >= 0.0) || !isfinite(p.w[i]), ctx, STRATA_ERR_DATA,
                     "k-means: weight of row %lld is %g; weights must be finite and >= 0",
                     (long long)i, p.w[i]);
      total += p.w[i];
    }
    STRATA_FAIL_IF(!(total > 0.0), ctx, STRATA_ERR_DATA, "k-means: all weights are zero");
    p.total_weight = total;
  }
  /* Memory: labels (one array, two with n_init > 1), then as many whole blocks of rows per
   * chunk as the budget leaves room for, each with its partial sums (ours and the driver's). */
  const size_t esize = strata_dtype_size(p.dtype);
  const double budget = (double)strata_ctx_memory_budget(ctx);
  const size_t plen = km_partial_len(k, d) > (size_t)d ? km_partial_len(k, d) : (size_t)d;
  const double fixed = (double)n * sizeof(int32_t) * (params->n_init > 1 ? 2 : 1) +
                       (double)(k * d) * (double)esize * 8 + 65536.0;
  const double per_block =
      (double)KM_BLOCK_ROWS * (double)(d * (int64_t)esize) + 2.0 * (double)plen * sizeof(double);
  int64_t blocks = (int64_t)((budget - fixed) / per_block);
  const int64_t all_blocks = strata_block_count(n, KM_BLOCK_ROWS);
  if (blocks > all_blocks) blocks = all_blocks;
  STRATA_FAIL_IF(blocks < 1, ctx, STRATA_ERR_BUDGET,
                 "%s: out-of-core k-means of %s needs %.1f MiB (labels and one block of %d rows), "
                 "over the memory budget of %.1f MiB (raise --memory)",
                 strata_h5_path(file), dataset, (fixed + per_block) / 1048576.0, KM_BLOCK_ROWS,
                 budget / 1048576.0);
  src.ds = ds;
  src.file = strata_h5_path(file);
  src.dataset = dataset;
  src.chunk_rows = blocks * KM_BLOCK_ROWS;
  STRATA_TRY(strata_alloc(ctx, (size_t)src.chunk_rows, (size_t)d * esize, "out-of-core row chunk",
                          &src.buf));
  STRATA_TRY(strata_alloc(ctx, (size_t)blocks, plen * sizeof(double), "per-block partial sums",
                          (void **)&src.bpart));
  p.phase = "check";
  double variance;
  STRATA_TRY(p.dtype == STRATA_F32 ? km_stream_check_f32(&src, &p, &variance)
                                   : km_stream_check_f64(&src, &p, &variance));
  p.tol_abs = params->tol * variance;
  if (params->init == STRATA_KMEANS_INIT_GIVEN) {
    strata_matrix c = {(void *)params->init_centers, k, d, d, p.dtype};
    STRATA_TRY(strata_check_finite(ctx, &c, 0, "initial centres", "centres"));
  }

  best = calloc(1, sizeof *best);
  STRATA_FAIL_IF(best == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for the k-means model");
  best->k = k;
  best->d = d;
  best->n = n;
  best->dtype = p.dtype;
  best->inertia = INFINITY;
  best->algorithm = STRATA_KMEANS_LLOYD;
  /* The init runs on a sample of rows that fits a quarter of what the budget leaves. */
  int64_t m = 100 * k > 65536 ? 100 * k : 65536;
  const double room = (budget - fixed) / 4.0 / (double)(d * (int64_t)esize + 16);
  if ((double)m > room) m = (int64_t)room;
  if (m < k) m = k;
  if (m > n) m = n;
  best->init = resolve_init(params->init, m, k);
  STRATA_TRY(strata_alloc(ctx, (size_t)(k * d), esize, "centres", &best->centers));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int32_t), "labels", (void **)&best->labels));
  STRATA_TRY(strata_alloc(ctx, (size_t)(k * d), esize, "centres", &centers));
  const int runs = params->init == STRATA_KMEANS_INIT_GIVEN ? 1 : params->n_init;
  if (runs > 1)
    STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int32_t), "labels", (void **)&labels));
  for (int r = 0; r < runs; r++) {
    uint64_t seed =
        r == 0 ? params->seed : strata_rng_hash(params->seed, KM_STREAM_RUN, (uint64_t)r);
    km_stage stage = stage_begin(&p, "init");
    if (best->init == STRATA_KMEANS_INIT_GIVEN) {
      memcpy(centers, params->init_centers, (size_t)(k * d) * esize);
    } else {
      STRATA_TRY(p.dtype == STRATA_F32
                     ? km_stream_sample_f32(&src, &p, m, seed, &sample, &sample_w)
                     : km_stream_sample_f64(&src, &p, m, seed, &sample, &sample_w));
      km_problem q = p;
      q.x = sample;
      q.n = m;
      q.w = sample_w;
      q.total_weight = 0.0;
      for (int64_t i = 0; i < m; i++) q.total_weight += sample_w[i];
      STRATA_FAIL_IF(!(q.total_weight > 0.0), ctx, STRATA_ERR_DATA,
                     "k-means: the %lld rows sampled for the init all have weight 0", (long long)m);
      STRATA_TRY(init_centers(&q, params, best->init, seed, centers));
      strata_free(sample);
      strata_free(sample_w);
      sample = NULL;
      sample_w = NULL;
    }
    stage_end(&p, &stage);
    km_run run = {centers, runs > 1 ? labels : best->labels, 0.0, 0, 0, 0};
    stage = stage_begin(&p, "iterate");
    STRATA_TRY(p.dtype == STRATA_F32 ? km_stream_lloyd_f32(&src, &p, &run)
                                     : km_stream_lloyd_f64(&src, &p, &run));
    stage_end(&p, &stage);
    if (run.inertia < best->inertia) {
      best->inertia = run.inertia;
      best->n_iter = run.n_iter;
      best->converged = run.converged;
      memcpy(best->centers, centers, (size_t)(k * d) * esize);
      if (runs > 1) memcpy(best->labels, labels, (size_t)n * sizeof(int32_t));
    }
  }
  *out = best;
  best = NULL;
cleanup:
  strata_free(centers);
  strata_free(sample);
  strata_free(sample_w);
  strata_free(labels);
  strata_free(src.buf);
  strata_free(src.bpart);
  strata_kmeans_free(best);
  strata_h5_dataset_close(ds);
  return st;
}
