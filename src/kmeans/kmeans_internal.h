/*
 * Internals of the k-means engine shared by its files: the problem being solved, the typed
 * steps (instantiated for float and double from the *_tmpl.h templates), and the block size.
 */
#ifndef STRATA_KMEANS_INTERNAL_H
#define STRATA_KMEANS_INTERNAL_H

#include <math.h>

#include "core/core.h"
#include "kernels.h"

/* Rows per parallel block: big enough that per-block partial sums (k x d doubles each) stay
 * cheap to combine, small enough to balance two to dozens of threads on a million rows. */
#define KM_BLOCK_ROWS 8192

/* RNG streams of the engine; see core/rng.h. */
enum {
  KM_STREAM_RUN = 101,
  KM_STREAM_KMPP = 102,
  KM_STREAM_RANDOM = 103,
  KM_STREAM_REFINE = 104,
  KM_STREAM_PARALLEL = 105,
  KM_STREAM_MINIBATCH = 106,
  KM_STREAM_SILHOUETTE = 107,
  KM_STREAM_REASSIGN = 108,
  KM_STREAM_SAMPLE = 109 /* training sample (sample_rows) */
};

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
  /* Phase that the driver's timings go to: set by the caller for each stage ("init",
   * "iterate", ...), so that nested steps never count the same seconds twice. */
  const char *phase;
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

/* Options of mini-batch k-means (see minibatch_tmpl.h). */
typedef struct km_minibatch_opts {
  int64_t batch_size;
  int max_no_improvement;    /* 0: off */
  double reassignment_ratio; /* 0: off */
} km_minibatch_opts;

/* A dataset read chunk by chunk (out-of-core k-means, stream_tmpl.h). */
typedef struct km_stream {
  strata_h5_dataset *ds;
  const char *file, *dataset; /* for messages */
  int64_t chunk_rows;         /* a multiple of KM_BLOCK_ROWS */
  void *buf;                  /* chunk_rows x d of the stored type */
  double *bpart;              /* per block of a chunk: its partial sums */
} km_stream;

/* Centre sums kept from one iteration to the next (lloyd_tmpl.h): after the first pass, an
 * unweighted pass sends per block only the changes, minus the row at its old centre and plus
 * at its new one, in row order, instead of summing every row again (after a few iterations
 * under 1 % of the rows change; the full sums cost about a tenth of a Lloyd pass at d = 16).
 * Deterministic for any thread count: blocks' changes are added in block order, as full sums
 * are. Every exact algorithm (Lloyd, Hamerly, Yinyang, streamed Lloyd) takes the same update,
 * so identical labels still give identical centres. Weighted fits sum in full every pass (a
 * weight's plus and minus need not cancel to an exact zero, and an empty cluster must read
 * as empty), and so does the pass after an empty cluster was re-seeded (the re-seeding moves
 * a row's weight without moving its label). */
typedef struct km_totals {
  double *sum; /* k d sums then k weights: km_update's `sums` */
  int deltas;  /* the next pass sends changes only */
} km_totals;

#define KM_DECLARE(T, sfx)                                                                         \
  strata_status km_init_kmeanspp_##sfx(const km_problem *p, uint64_t seed, int64_t trials,         \
                                       T *centers);                                                \
  strata_status km_init_random_##sfx(const km_problem *p, uint64_t seed, T *centers);              \
  strata_status km_init_parallel_##sfx(const km_problem *p, uint64_t seed, int64_t trials,         \
                                       double oversampling, int rounds, T *centers);               \
  strata_status km_lloyd_##sfx(const km_problem *p, km_run *run);                                  \
  strata_status km_hamerly_##sfx(const km_problem *p, km_run *run);                                \
  strata_status km_yinyang_##sfx(const km_problem *p, km_run *run);                                \
  int64_t km_yinyang_groups_##sfx(int64_t k);                                                      \
  strata_status km_iterate_##sfx(const km_problem *p, strata_kmeans_algorithm alg, km_run *run);   \
  strata_status km_minibatch_##sfx(const km_problem *p, const km_minibatch_opts *o, uint64_t seed, \
                                   km_run *run);                                                   \
  strata_status km_stream_check_##sfx(km_stream *src, const km_problem *p, double *variance);      \
  strata_status km_stream_sample_##sfx(km_stream *src, const km_problem *p, int64_t m,             \
                                       uint64_t seed, void **rows, double **weights);              \
  strata_status km_stream_lloyd_##sfx(km_stream *src, const km_problem *p, km_run *run);           \
  strata_status km_scores_##sfx(const km_problem *p, const int32_t *labels, int64_t sample,        \
                                uint64_t seed, strata_cluster_scores *out);                        \
  strata_status km_minibatch_sample_##sfx(const km_problem *p, const km_minibatch_opts *o,         \
                                          uint64_t seed, int64_t *count, void **rows,              \
                                          double **weights);                                       \
  strata_status km_assign_##sfx(const km_problem *p, const T *centers, int32_t *labels,            \
                                double *sqdist, double *inertia);                                  \
  /* The final assignment from candidate labels (lloyd_tmpl.h): km_assign's result. */             \
  strata_status km_assign_hinted_##sfx(const km_problem *p, const T *centers, int32_t *labels,     \
                                       double *inertia);                                           \
  strata_status km_update_##sfx(const km_problem *p, const int32_t *labels, const T *old_centers,  \
                                T *new_centers, double *sums, double *shift);                      \
  /* How far each centre moved from `from` to `to` (into move, unless NULL), the centre that  \
   * moved most (the lowest index among equals) and the two largest moves, in double: what   \
   * Hamerly's, Yinyang's and Lloyd's bounded final assignment loosen their bounds by. */      \
  void km_centre_moves_##sfx(int64_t k, int64_t d, const T *from, const T *to, double *move,      \
                             int64_t *fastest, double *first, double *second);                     \
  /* km_update on the kept sums, after adding a pass's block results (`pass`, as             \
   * strata_for_blocks sums them: changes or full sums, then the changed-row count). */       \
  strata_status km_update_kept_##sfx(const km_problem *p, const int32_t *labels,                   \
                                     const T *old_centers, T *new_centers, km_totals *kept,        \
                                     const double *pass, double *shift);                           \
  strata_status km_refine_##sfx(const km_problem *p, uint64_t seed, strata_kmeans_algorithm alg,   \
                                km_run *run);                                                      \
  strata_status km_mean_variance_##sfx(const km_problem *p, double *out);                          \
  strata_status km_count_nonfinite_##sfx(const km_problem *p, int64_t *first_row,                  \
                                         int64_t *first_col);

KM_DECLARE(float, f32)
KM_DECLARE(double, f64)

strata_status km_totals_init(const km_problem *p, km_totals *kept);
/* Adds a pass's block results (changes or full sums, as kept->deltas asked) into the kept sums,
 * and decides whether the next pass may send changes only. */
void km_totals_add(const km_problem *p, km_totals *kept, const double *pass);
void km_totals_free(km_totals *kept);

/* One row's change of label in a pass's block results (unweighted): minus at `from`, plus at
 * `to`, d sums then the count. */
#define KM_MOVE_ROW(T, sfx)                                                                    \
  static inline void km_move_row_##sfx(const T *xi, int64_t d, int64_t k, int32_t from,        \
                                       int32_t to, double *partial) {                          \
    double *a = partial + (int64_t)from * d, *b = partial + (int64_t)to * d;                   \
    for (int64_t t = 0; t < d; t++) {                                                          \
      const double v = (double)xi[t];                                                          \
      a[t] -= v;                                                                               \
      b[t] += v;                                                                               \
    }                                                                                          \
    partial[k * d + from] -= 1.0;                                                              \
    partial[k * d + to] += 1.0;                                                                \
  }
KM_MOVE_ROW(float, f32)
KM_MOVE_ROW(double, f64)
#undef KM_MOVE_ROW

/* Euclidean distance in double for the bounds of Hamerly and Yinyang. Not the kernels' exact
 * value (their slack covers the difference): four chains side by side instead of one keep a
 * long row from waiting on the adder's latency. */
#define KM_DIST(T, sfx)                                                                        \
  static inline double km_dist_##sfx(const T *a, const T *b, int64_t d) {                      \
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;                                             \
    int64_t t = 0;                                                                             \
    for (; t + 4 <= d; t += 4) {                                                               \
      const double e0 = (double)a[t] - (double)b[t], e1 = (double)a[t + 1] - (double)b[t + 1]; \
      const double e2 = (double)a[t + 2] - (double)b[t + 2];                                   \
      const double e3 = (double)a[t + 3] - (double)b[t + 3];                                   \
      s0 += e0 * e0;                                                                           \
      s1 += e1 * e1;                                                                           \
      s2 += e2 * e2;                                                                           \
      s3 += e3 * e3;                                                                           \
    }                                                                                          \
    for (; t < d; t++) {                                                                       \
      const double e = (double)a[t] - (double)b[t];                                            \
      s0 += e * e;                                                                             \
    }                                                                                          \
    return sqrt((s0 + s1) + (s2 + s3));                                                        \
  }
KM_DIST(float, f32)
KM_DIST(double, f64)

/* Per-block partials of the Lloyd step: sums (k x d), weights (k), inertia, labels changed. */
static inline size_t km_partial_len(int64_t k, int64_t d) { return (size_t)(k * d + k + 2); }

#endif
