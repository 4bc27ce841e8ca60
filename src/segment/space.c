/* The segments' space; see space.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/rng.h"
#include "kmeans/kproto.h"
#include "segment/space.h"

void strata_space_release(strata_space *s) {
  if (s == NULL) return;
  strata_free(s->z);
  strata_free(s->codes);
  strata_free(s->levels);
  memset(s, 0, sizeof *s);
}

void strata_space_fit_release(strata_space_fit *f) {
  if (f == NULL) return;
  strata_free(f->centers);
  strata_free(f->modes);
  strata_free(f->labels);
  memset(f, 0, sizeof *f);
}

int64_t strata_sample_rows(uint64_t seed, uint32_t stream, int64_t n, int64_t cap, int64_t *rows) {
  double keep = cap >= n ? 1.0 : (double)cap / (double)n;
  int64_t m = 0;
  for (int64_t i = 0; i < n && m < cap; i++) {
    double u = (double)(strata_rng_hash(seed, stream, (uint64_t)i) >> 11) * 0x1.0p-53;
    if (u < keep) rows[m++] = i;
  }
  return m;
}

double strata_space_default_gamma(const strata_space *s) {
  if (s->dz == 0 || s->n < 2) return 1.0;
  /* The standard deviations of a large base from every stride-th row (up to about 100,000):
   * a strided walk over all n rows per column would cost as much as a fit pass. */
  const int64_t stride = s->n > 100000 ? s->n / 100000 : 1;
  double sum_sd = 0.0;
  for (int64_t t = 0; t < s->dz; t++) {
    double mean = 0.0, sq = 0.0;
    int64_t m = 0;
    for (int64_t i = 0; i < s->n; i += stride, m++) mean += s->z[i * s->dz + t];
    mean /= (double)m;
    for (int64_t i = 0; i < s->n; i += stride) {
      double dev = s->z[i * s->dz + t] - mean;
      sq += dev * dev;
    }
    sum_sd += sqrt(sq / (double)m);
  }
  double g = sum_sd / (double)s->dz;
  return g > 0.0 ? g : 1.0;
}

strata_status strata_space_subset(strata_ctx *ctx, const strata_space *s, const int64_t *rows,
                                  int64_t m, strata_space *out) {
  strata_status st = STRATA_OK;
  memset(out, 0, sizeof *out);
  const int64_t dz = s->dz, dc = s->dc;
  out->n = m;
  out->dz = dz;
  out->dc = dc;
  out->gamma = s->gamma;
  if (dz > 0) {
    STRATA_TRY(strata_alloc(ctx, (size_t)(m * dz), sizeof(double), "sample", (void **)&out->z));
    for (int64_t r = 0; r < m; r++)
      memcpy(out->z + r * dz, s->z + (rows ? rows[r] : r) * dz, (size_t)dz * sizeof(double));
  }
  if (dc > 0) {
    STRATA_TRY(
        strata_alloc(ctx, (size_t)(m * dc), sizeof(int32_t), "sample", (void **)&out->codes));
    STRATA_TRY(strata_alloc(ctx, (size_t)dc, sizeof(int32_t), "levels", (void **)&out->levels));
    for (int64_t r = 0; r < m; r++)
      memcpy(out->codes + r * dc, s->codes + (rows ? rows[r] : r) * dc,
             (size_t)dc * sizeof(int32_t));
    memcpy(out->levels, s->levels, (size_t)dc * sizeof(int32_t));
  }
cleanup:
  if (st != STRATA_OK) strata_space_release(out);
  return st;
}

/* Rows of the k-means start of a mixed fit (space.h): enough for every segment of a few percent
 * of the base to hold hundreds of rows, small enough (about 10 MB of embedding) to fit beside
 * the fit in a tight --memory. */
#define SPACE_START_ROWS 30000
enum { SPACE_STREAM_START = 305 };

/* A start for k-prototypes from the k-means engine: k-means with refinement jumps (which
 * escape the poor local optima a single seeded k-prototypes run falls into) on the Euclidean
 * embedding of a seeded sample; the numeric part of each centre is a prototype's numbers,
 * the largest one-hot share of each nominal column its mode (the lowest code on a tie). */
static strata_status mixed_start(strata_ctx *ctx, const strata_space *s, int64_t k,
                                 uint64_t seed, int n_init, double *centers, int32_t *modes) {
  strata_status st = STRATA_OK;
  int64_t *rows = NULL;
  double *embedded = NULL;
  strata_space sample;
  memset(&sample, 0, sizeof sample);
  strata_kmeans *km = NULL;
  const int64_t n = s->n, dz = s->dz, dc = s->dc;
  /* A fixed sample size, so that results never depend on the memory budget. */
  int64_t cap = SPACE_START_ROWS;
  if (cap < 50 * k) cap = 50 * k;
  int64_t m = n, de = 0;
  if (n > cap) {
    STRATA_TRY(strata_alloc(ctx, (size_t)cap, sizeof(int64_t), "start rows", (void **)&rows));
    m = strata_sample_rows(seed, SPACE_STREAM_START, n, cap, rows);
  }
  if (m < k) m = n; /* a sample too small for k: start from every row */
  STRATA_TRY(strata_space_subset(ctx, s, m == n ? NULL : rows, m, &sample));
  STRATA_TRY(strata_space_embed(ctx, &sample, &embedded, &de));
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  p.k = k;
  p.seed = seed;
  p.n_init = n_init;
  p.refine = 1;
  strata_matrix em = {embedded, m, de, de, STRATA_F64};
  STRATA_TRY(strata_kmeans_fit(ctx, &em, &p, &km));
  const double *c = strata_kmeans_centers(km);
  for (int64_t j = 0; j < k; j++) {
    const double *cj = c + j * de;
    if (dz > 0) memcpy(centers + j * dz, cj, (size_t)dz * sizeof(double));
    int64_t at = dz;
    for (int64_t q = 0; q < dc; q++) {
      int32_t best = 0;
      for (int32_t v = 1; v < s->levels[q]; v++)
        if (cj[at + v] > cj[at + best]) best = v;
      modes[j * dc + q] = best;
      at += s->levels[q];
    }
  }
cleanup:
  strata_kmeans_free(km);
  strata_space_release(&sample);
  strata_free(rows);
  strata_free(embedded);
  return st;
}

static strata_mixed mixed_view(const strata_space *s) {
  return (strata_mixed){s->z, s->dz, s->codes, s->dc, s->levels, s->n, s->dz, s->dc};
}

strata_status strata_space_cluster(strata_ctx *ctx, const strata_space *s, int64_t k,
                                   const double *weights, uint64_t seed, int n_init, int refine,
                                   strata_space_fit *out) {
  strata_status st = STRATA_OK;
  strata_kmeans *km = NULL;
  strata_kproto *kp = NULL;
  memset(out, 0, sizeof *out);
  const int64_t n = s->n, dz = s->dz, dc = s->dc;
  out->k = k;
  out->n = n;
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int32_t), "labels", (void **)&out->labels));
  if (dz > 0)
    STRATA_TRY(
        strata_alloc(ctx, (size_t)(k * dz), sizeof(double), "centres", (void **)&out->centers));
  if (dc > 0)
    STRATA_TRY(strata_alloc(ctx, (size_t)(k * dc), sizeof(int32_t), "modes", (void **)&out->modes));
  if (dc == 0) {
    strata_kmeans_params p;
    strata_kmeans_params_init(&p);
    p.k = k;
    p.seed = seed;
    p.n_init = n_init;
    p.refine = refine;
    p.weights = weights;
    strata_matrix zm = {s->z, n, dz, dz, STRATA_F64};
    STRATA_TRY(strata_kmeans_fit(ctx, &zm, &p, &km));
    memcpy(out->centers, strata_kmeans_centers(km), (size_t)(k * dz) * sizeof(double));
    memcpy(out->labels, strata_kmeans_labels(km), (size_t)n * sizeof(int32_t));
    out->cost = strata_kmeans_inertia(km);
    out->n_iter = strata_kmeans_n_iter(km);
    out->converged = strata_kmeans_converged(km);
  } else {
    strata_kproto_params p;
    strata_kproto_params_init(&p);
    p.k = k;
    p.gamma = s->gamma;
    p.seed = seed;
    p.n_init = n_init;
    p.weights = weights;
    p.max_iter = 300;
    if (refine && weights == NULL) {
      /* refine: start from the k-means engine's refined fit (mixed_start), into out's
       * arrays, which the fit then overwrites with its own prototypes */
      STRATA_TRY(mixed_start(ctx, s, k, seed, n_init, out->centers,
                             out->modes));
      p.init_numeric = dz > 0 ? out->centers : NULL;
      p.init_codes = out->modes;
      p.n_init = 1;
    }
    strata_mixed x = mixed_view(s);
    STRATA_TRY(strata_kproto_fit(ctx, &x, &p, &kp));
    if (dz > 0) memcpy(out->centers, strata_kproto_centers(kp), (size_t)(k * dz) * sizeof(double));
    memcpy(out->modes, strata_kproto_modes(kp), (size_t)(k * dc) * sizeof(int32_t));
    memcpy(out->labels, strata_kproto_labels(kp), (size_t)n * sizeof(int32_t));
    out->cost = strata_kproto_cost(kp);
    out->n_iter = strata_kproto_n_iter(kp);
    out->converged = strata_kproto_converged(kp);
  }
cleanup:
  strata_kmeans_free(km);
  strata_kproto_free(kp);
  if (st != STRATA_OK) strata_space_fit_release(out);
  return st;
}

strata_status strata_space_assign(strata_ctx *ctx, const strata_space *s, const double *centers,
                                  const int32_t *modes, int64_t k, int32_t *labels, double *cost) {
  strata_status st = STRATA_OK;
  strata_kmeans *km = NULL;
  if (s->dc == 0) {
    STRATA_TRY(strata_kmeans_from_centers(ctx, centers, k, s->dz, STRATA_F64, &km));
    strata_matrix zm = {s->z, s->n, s->dz, s->dz, STRATA_F64};
    STRATA_TRY(strata_kmeans_predict(ctx, km, &zm, labels, cost));
  } else {
    strata_mixed x = mixed_view(s);
    STRATA_TRY(strata_kproto_assign(ctx, &x, centers, modes, k, s->gamma, labels, cost));
  }
cleanup:
  strata_kmeans_free(km);
  return st;
}

strata_status strata_space_calinski(strata_ctx *ctx, const strata_space *s,
                                    const strata_space_fit *fit, double *out) {
  strata_status st = STRATA_OK;
  double *mean = NULL, *cost = NULL;
  int32_t *mode = NULL, *labels = NULL;
  int64_t *counts = NULL;
  const int64_t n = s->n, dz = s->dz, dc = s->dc, k = fit->k;
  *out = 0.0;
  if (k < 2 || n <= k) goto cleanup;
  /* The one-prototype solution: means and modes (smallest code on a tie) of the base. */
  STRATA_TRY(strata_calloc(ctx, (size_t)(dz > 0 ? dz : 1), sizeof(double), "base mean",
                           (void **)&mean));
  STRATA_TRY(strata_calloc(ctx, (size_t)(dc > 0 ? dc : 1), sizeof(int32_t), "base mode",
                           (void **)&mode));
  for (int64_t i = 0; i < n; i++)
    for (int64_t t = 0; t < dz; t++) mean[t] += s->z[i * dz + t];
  for (int64_t t = 0; t < dz; t++) mean[t] /= (double)n;
  for (int64_t j = 0; j < dc; j++) {
    STRATA_TRY(strata_calloc(ctx, (size_t)s->levels[j], sizeof(int64_t), "level counts",
                             (void **)&counts));
    for (int64_t i = 0; i < n; i++) counts[s->codes[i * dc + j]]++;
    int32_t best = 0;
    for (int32_t v = 1; v < s->levels[j]; v++)
      if (counts[v] > counts[best]) best = v;
    mode[j] = best;
    strata_free(counts);
    counts = NULL;
  }
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int32_t), "labels", (void **)&labels));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "costs", (void **)&cost));
  STRATA_TRY(strata_space_assign(ctx, s, mean, mode, 1, labels, cost));
  double total = 0.0;
  for (int64_t i = 0; i < n; i++) total += cost[i];
  const double within = fit->cost;
  *out = within > 0 ? ((total - within) / (double)(k - 1)) / (within / (double)(n - k)) : INFINITY;
cleanup:
  strata_free(mean);
  strata_free(mode);
  strata_free(counts);
  strata_free(labels);
  strata_free(cost);
  return st;
}

strata_status strata_space_embed(strata_ctx *ctx, const strata_space *s, double **out,
                                 int64_t *d_out) {
  strata_status st = STRATA_OK;
  double *e = NULL;
  const int64_t n = s->n, dz = s->dz, dc = s->dc;
  int64_t d = dz;
  for (int64_t j = 0; j < dc; j++) d += s->levels[j];
  STRATA_TRY(strata_calloc(ctx, (size_t)(n * d), sizeof(double), "embedding", (void **)&e));
  /* Two rows differing in one nominal column differ in two one-hot entries of h each:
   * 2 h^2 = gamma. */
  const double h = sqrt(s->gamma / 2.0);
  for (int64_t i = 0; i < n; i++) {
    double *row = e + i * d;
    if (dz > 0) memcpy(row, s->z + i * dz, (size_t)dz * sizeof(double));
    int64_t at = dz;
    for (int64_t j = 0; j < dc; j++) {
      row[at + s->codes[i * dc + j]] = h;
      at += s->levels[j];
    }
  }
  *out = e;
  *d_out = d;
cleanup:
  return st;
}
