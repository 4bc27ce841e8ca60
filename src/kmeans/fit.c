/*
 * strata_kmeans_fit: checks the input, initialises (k-means++, random or given centres),
 * runs the chosen exact algorithm n_init times from seeds derived from the user's, and keeps
 * the run with the lowest inertia (the first on a tie). Also prediction on new rows.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
};

void strata_kmeans_params_init(strata_kmeans_params *params) {
  if (params == NULL) return;
  memset(params, 0, sizeof *params);
  params->k = 8;
  params->algorithm = STRATA_KMEANS_AUTO;
  params->init = STRATA_KMEANS_INIT_KMEANSPP;
  params->max_iter = 300;
  params->tol = 1e-4;
  params->n_init = 1;
  params->seed = 0;
  params->refine = 1;
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

static strata_status init_centers(const km_problem *p, const strata_kmeans_params *params,
                                  uint64_t seed, void *centers) {
  size_t esize = strata_dtype_size(p->dtype);
  if (params->init == STRATA_KMEANS_INIT_GIVEN) {
    memcpy(centers, params->init_centers, (size_t)(p->k * p->d) * esize);
    return STRATA_OK;
  }
  if (params->init == STRATA_KMEANS_INIT_RANDOM)
    return p->dtype == STRATA_F32 ? km_init_random_f32(p, seed, centers)
                                  : km_init_random_f64(p, seed, centers);
  int64_t trials =
      params->local_trials > 0 ? params->local_trials : 2 + (int64_t)floor(log((double)p->k));
  return p->dtype == STRATA_F32 ? km_init_kmeanspp_f32(p, seed, trials, centers)
                                : km_init_kmeanspp_f64(p, seed, trials, centers);
}

static strata_kmeans_algorithm resolve_algorithm(strata_kmeans_algorithm requested, int64_t k) {
  if (requested != STRATA_KMEANS_AUTO) return requested;
  /* One centre has nothing to skip; otherwise Hamerly's bounds pay for themselves after the
   * first iteration (its first iteration costs the same as Lloyd's). */
  return k == 1 ? STRATA_KMEANS_LLOYD : STRATA_KMEANS_HAMERLY;
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
  STRATA_FAIL_IF(params->k < 1, ctx, STRATA_ERR_USAGE, "k-means: k must be >= 1, got %lld",
                 (long long)params->k);
  STRATA_FAIL_IF(params->k > x->n, ctx, STRATA_ERR_USAGE,
                 "k-means: k = %lld is more than the %lld rows of the data", (long long)params->k,
                 (long long)x->n);
  STRATA_FAIL_IF(params->max_iter < 1, ctx, STRATA_ERR_USAGE,
                 "k-means: max_iter must be >= 1, got %d", params->max_iter);
  STRATA_FAIL_IF(!(params->tol >= 0.0) || !isfinite(params->tol), ctx, STRATA_ERR_USAGE,
                 "k-means: tol must be a finite number >= 0, got %g", params->tol);
  STRATA_FAIL_IF(params->n_init < 1, ctx, STRATA_ERR_USAGE, "k-means: n_init must be >= 1, got %d",
                 params->n_init);
  STRATA_FAIL_IF(params->algorithm != STRATA_KMEANS_AUTO &&
                     params->algorithm != STRATA_KMEANS_LLOYD &&
                     params->algorithm != STRATA_KMEANS_HAMERLY,
                 ctx, STRATA_ERR_USAGE, "k-means: unknown algorithm %d", (int)params->algorithm);
  STRATA_FAIL_IF(params->init != STRATA_KMEANS_INIT_KMEANSPP &&
                     params->init != STRATA_KMEANS_INIT_RANDOM &&
                     params->init != STRATA_KMEANS_INIT_GIVEN,
                 ctx, STRATA_ERR_USAGE, "k-means: unknown init %d", (int)params->init);
  STRATA_FAIL_IF(params->init == STRATA_KMEANS_INIT_GIVEN && params->init_centers == NULL, ctx,
                 STRATA_ERR_USAGE, "k-means: init 'given' needs initial centres");
  STRATA_TRY(prepare(ctx, x, params->k, params->weights, &p));
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
  best->algorithm = resolve_algorithm(params->algorithm, p.k);
  STRATA_TRY(strata_alloc(ctx, kd, esize, "centres", &best->centers));
  STRATA_TRY(strata_alloc(ctx, (size_t)p.n, sizeof(int32_t), "labels", (void **)&best->labels));
  STRATA_TRY(strata_alloc(ctx, kd, esize, "centres", &centers));
  STRATA_TRY(strata_alloc(ctx, (size_t)p.n, sizeof(int32_t), "labels", (void **)&labels));
  int runs = params->init == STRATA_KMEANS_INIT_GIVEN ? 1 : params->n_init;
  for (int r = 0; r < runs; r++) {
    /* Run 0 uses the seed itself, so n_init = 1 and n_init = 5 share their first run. */
    uint64_t seed =
        r == 0 ? params->seed : strata_rng_hash(params->seed, KM_STREAM_RUN, (uint64_t)r);
    double t0 = strata_now();
    STRATA_TRY(init_centers(&p, params, seed, centers));
    strata_phase_add(ctx, "init", strata_now() - t0);
    km_run run = {centers, labels, 0.0, 0, 0, 0};
    t0 = strata_now();
    if (best->algorithm == STRATA_KMEANS_HAMERLY)
      STRATA_TRY(p.dtype == STRATA_F32 ? km_hamerly_f32(&p, &run) : km_hamerly_f64(&p, &run));
    else
      STRATA_TRY(p.dtype == STRATA_F32 ? km_lloyd_f32(&p, &run) : km_lloyd_f64(&p, &run));
    strata_phase_add(ctx, "iterate", strata_now() - t0);
    if (params->refine) {
      t0 = strata_now();
      STRATA_TRY(p.dtype == STRATA_F32 ? km_refine_f32(&p, seed, best->algorithm, &run)
                                       : km_refine_f64(&p, seed, best->algorithm, &run));
      strata_phase_add(ctx, "refine", strata_now() - t0);
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
  STRATA_TRY(strata_alloc(ctx, (size_t)(k * d), strata_dtype_size(dtype), "centres", &m->centers));
  memcpy(m->centers, centers, (size_t)(k * d) * strata_dtype_size(dtype));
  *out = m;
  m = NULL;
cleanup:
  strata_kmeans_free(m);
  return st;
}
