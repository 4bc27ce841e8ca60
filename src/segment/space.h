/*
 * The space the segments live in: the scaled numeric features (segment/transform.h) and the
 * level codes of the nominal ones, with the cost of k-prototypes (Huang 1998) between a row
 * and a prototype: squared Euclidean distance on the scaled numeric columns plus gamma per
 * mismatched nominal column. Without nominal columns it is plain k-means (and runs on the
 * k-means engine, with its refinement jumps); with them k-prototypes (kmeans/kproto.h).
 *
 * gamma follows Huang's suggestion: the mean standard deviation of the scaled numeric
 * columns (1 after z-scores), so that a mismatch weighs what one standard deviation of a
 * numeric column does; 1 when every column is nominal. `--gamma` overrides it.
 */
#ifndef STRATA_SEGMENT_SPACE_H
#define STRATA_SEGMENT_SPACE_H

#include <stdint.h>

#include "strata.h"

typedef struct strata_space {
  int64_t n, dz, dc;
  double *z;       /* n x dz scaled numeric columns, owned (NULL when dz = 0) */
  int32_t *codes;  /* n x dc level codes, owned (NULL when dc = 0) */
  int32_t *levels; /* dc level counts, owned */
  double gamma;    /* weight of one mismatched nominal column */
} strata_space;

/* The result of clustering a space: k prototypes and the labels of its rows. */
typedef struct strata_space_fit {
  int64_t k, n;
  double *centers; /* k x dz */
  int32_t *modes;  /* k x dc */
  int32_t *labels; /* n */
  double cost;     /* weighted total cost (inertia without nominal columns) */
  int n_iter, converged;
} strata_space_fit;

void strata_space_release(strata_space *s);
void strata_space_fit_release(strata_space_fit *f);

/* Up to `cap` row indices in increasing order, each row kept with probability cap / n by a
 * hash of (seed, stream, row): the same rows for any thread count. Returns the count. */
int64_t strata_sample_rows(uint64_t seed, uint32_t stream, int64_t n, int64_t cap, int64_t *rows);

/* Huang's gamma for the space's numeric columns (see above). */
double strata_space_default_gamma(const strata_space *s);

/* The rows `rows` (m of them, NULL: all) as a space of their own (copies). */
strata_status strata_space_subset(strata_ctx *ctx, const strata_space *s, const int64_t *rows,
                                  int64_t m, strata_space *out);

/* Clusters the space into k segments from `seed` (weights: n sample weights or NULL). With
 * `refine`, k-means' refinement jumps (numeric spaces only). */
strata_status strata_space_cluster(strata_ctx *ctx, const strata_space *s, int64_t k,
                                   const double *weights, uint64_t seed, int n_init, int refine,
                                   strata_space_fit *out);

/* Labels (and, unless cost is NULL, each row's cost) of the space's rows against k given
 * prototypes. */
strata_status strata_space_assign(strata_ctx *ctx, const strata_space *s, const double *centers,
                                  const int32_t *modes, int64_t k, int32_t *labels, double *cost);

/* Calinski-Harabasz index of a fit, generalised to the mixed cost as the pseudo-F of its
 * decomposition: total = cost of one prototype (the base's means and modes), within = the
 * fit's cost, (total - within) / (k - 1) over within / (n - k). Equals the usual index when
 * there are no nominal columns. */
strata_status strata_space_calinski(strata_ctx *ctx, const strata_space *s,
                                    const strata_space_fit *fit, double *out);

/* The space's rows embedded in Euclidean space so that squared distances between rows equal
 * their mixed cost: the numeric columns, then each nominal column one-hot, scaled by
 * sqrt(gamma / 2). n x (dz + sum levels), caller frees with strata_free. For row-to-row
 * measures (silhouette). */
strata_status strata_space_embed(strata_ctx *ctx, const strata_space *s, double **out,
                                 int64_t *d_out);

#endif
