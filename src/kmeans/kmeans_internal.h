/*
 * Internals of the k-means engine shared by its files: the problem being solved, the typed
 * steps (instantiated for float and double from the *_tmpl.h templates), and the block size.
 */
#ifndef STRATA_KMEANS_INTERNAL_H
#define STRATA_KMEANS_INTERNAL_H

#include "core/core.h"
#include "kernels.h"

/* Rows per parallel block: big enough that per-block partial sums (k x d doubles each) stay
 * cheap to combine, small enough to balance two to dozens of threads on a million rows. */
#define KM_BLOCK_ROWS 8192

/* RNG streams of the engine; see core/rng.h. */
enum { KM_STREAM_RUN = 101, KM_STREAM_KMPP = 102, KM_STREAM_RANDOM = 103, KM_STREAM_REFINE = 104 };

typedef struct km_problem {
  strata_ctx *ctx;
  const strata_kernels *kern;
  strata_dtype dtype;
  const void *x; /* n x d, row i at x + i * ldx elements */
  int64_t n, d, ldx, k;
  const double *w; /* n weights or NULL for all 1 */
  double total_weight;
  double tol_abs; /* tol x mean feature variance */
  int max_iter;
} km_problem;

/* One run of the iterations from given initial centres. */
typedef struct km_run {
  void *centers;   /* k x d in the data's dtype: initial on entry, final on return */
  int32_t *labels; /* n */
  double inertia;
  int n_iter;
  int converged;
  int jumps; /* refinement jumps accepted */
} km_run;

#define KM_DECLARE(T, sfx)                                                                        \
  strata_status km_init_kmeanspp_##sfx(const km_problem *p, uint64_t seed, int64_t trials,        \
                                       T *centers);                                               \
  strata_status km_init_random_##sfx(const km_problem *p, uint64_t seed, T *centers);             \
  strata_status km_lloyd_##sfx(const km_problem *p, km_run *run);                                 \
  strata_status km_hamerly_##sfx(const km_problem *p, km_run *run);                               \
  strata_status km_assign_##sfx(const km_problem *p, const T *centers, int32_t *labels,           \
                                double *sqdist, double *inertia);                                 \
  strata_status km_update_##sfx(const km_problem *p, const int32_t *labels, const T *old_centers, \
                                T *new_centers, double *sums, double *shift);                     \
  strata_status km_refine_##sfx(const km_problem *p, uint64_t seed, strata_kmeans_algorithm alg,  \
                                km_run *run);                                                     \
  strata_status km_mean_variance_##sfx(const km_problem *p, double *out);                         \
  strata_status km_count_nonfinite_##sfx(const km_problem *p, int64_t *first_row,                 \
                                         int64_t *first_col);

KM_DECLARE(float, f32)
KM_DECLARE(double, f64)

/* Per-block partials of the Lloyd step: sums (k x d), weights (k), inertia, labels changed. */
static inline size_t km_partial_len(int64_t k, int64_t d) { return (size_t)(k * d + k + 2); }

#endif
