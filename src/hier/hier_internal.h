/*
 * Internals of src/hier: the merge list every algorithm produces, and the algorithms.
 *
 * Each algorithm reads a dense n x d float64 copy of the data (x, row-major, ld = d) and
 * optional starting sizes, and appends n - 1 merges. Two output conventions, as fastcluster:
 *  - "unsorted" (MST, NN-chain): a merge names any two points of the clusters it joins
 *    (their slots in 0..n-1); hier_build_linkage sorts by height with a stable sort and
 *    relabels through a union-find (fastcluster's generate_SciPy_dendrogram<false>,
 *    SciPy's label()).
 *  - "sorted" (generic): a merge names cluster ids directly, 0..n-1 for points and n + i for
 *    the cluster of merge i, in merge order (centroid and median heights can decrease).
 */
#ifndef STRATA_HIER_INTERNAL_H
#define STRATA_HIER_INTERNAL_H

#include <math.h>

#include "core/core.h"
#include "core/driver.h"
#include "hier_kernels.h"

typedef struct hier_merge {
  int64_t a, b;
  double height;
} hier_merge;

struct strata_hier_s {
  strata_hier_method method;
  const char *algorithm;
  int64_t leaves, rows, d;
  double *Z;             /* (leaves - 1) x 4 */
  int32_t *micro_labels; /* rows, two-stage only */
  double *micro_sizes;   /* leaves, two-stage only */
  double *micro_centers; /* leaves x d, two-stage only */
};

/* Single linkage by Prim's algorithm on squared distances; heights are square roots. */
strata_status hier_mst(strata_ctx *ctx, int64_t n, int64_t d, const double *x, hier_merge *out);
/* NN-chain on the stored matrix (complete, average, weighted, ward). */
strata_status hier_nnchain_matrix(strata_ctx *ctx, strata_hier_method method, int64_t n, int64_t d,
                                  const double *x, const double *weights, hier_merge *out);
/* NN-chain for Ward from the vectors. */
strata_status hier_nnchain_ward(strata_ctx *ctx, int64_t n, int64_t d, const double *x,
                                const double *weights, hier_merge *out);
/* Generic algorithm from the vectors (centroid, median); output in the "sorted" convention. */
strata_status hier_generic(strata_ctx *ctx, strata_hier_method method, int64_t n, int64_t d,
                           const double *x, const double *weights, hier_merge *out);

/* Row operations over the context's threads (par.c); identical results for any count. The
 * tuner, one per fit, picks per call between the threads and one by measured speed. */
typedef struct hier_par_tuner {
  int64_t call, epoch;
  double sec[2], lanes[2]; /* probe totals: [0] serial, [1] parallel */
  int parallel;
} hier_par_tuner;
void hier_par_tuner_init(hier_par_tuner *tu);
double hier_par_prim(strata_ctx *ctx, hier_par_tuner *tu, const strata_hier_kernels *kt, int64_t d,
                     const double *x, const double *packed, int64_t np, double *key, int64_t *arg);
/* Ward distances of centroid c to all lanes (row), lane `self` excluded, and their argmin. */
double hier_par_ward_row(strata_ctx *ctx, hier_par_tuner *tu, const strata_hier_kernels *kt,
                         int64_t d, const double *c, const double *packed, int64_t np,
                         const double *size, double m, int64_t self, double *row, int64_t *arg);

/* Bytes of the O(n^2) matrix the method would allocate (0 when it works from the vectors). */
uint64_t hier_matrix_bytes(strata_hier_method method, int ward_matrix, int64_t n);

/* Builds SciPy's Z ((n-1) x 4) from merges in either convention. */
strata_status hier_build_linkage(strata_ctx *ctx, int64_t n, hier_merge *merges, int sorted,
                                 double *Z);

/* Packs n points (row-major, ld = d) into the packed layout; padding lanes dead. */
void hier_pack(int64_t n, int64_t d, const double *x, double *packed);
/* Writes point x (d values) into lane j of the packed buffer and makes it live. */
static inline void hier_pack_lane(int64_t d, double *packed, int64_t j, const double *x) {
  double *pp = packed + (j / STRATA_H_W) * (d + 2) * STRATA_H_W;
  const int64_t w = j % STRATA_H_W;
  pp[w] = 0;
  for (int64_t t = 0; t < d; t++) pp[2 * STRATA_H_W + t * STRATA_H_W + w] = x[t];
}
/* Switches lane j off: its distances become +inf. */
static inline void hier_kill_lane(int64_t d, double *packed, int64_t j) {
  packed[(j / STRATA_H_W) * (d + 2) * STRATA_H_W + j % STRATA_H_W] = HUGE_VAL;
}
static inline int64_t hier_panels(int64_t n) { return (n + STRATA_H_W - 1) / STRATA_H_W; }

#endif
