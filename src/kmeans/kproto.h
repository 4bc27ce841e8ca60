/*
 * k-prototypes: clustering of mixed numeric + categorical rows (Huang 1997, "Clustering large
 * data sets with mixed numeric and categorical values"; Huang 1998, "Extensions to the k-means
 * algorithm for clustering large data sets with categorical values", DMKD 2(3)).
 *
 * The cost of a row x against a prototype c is
 *     cost(x, c) = sum_t (x_t - c_t)^2 over the numeric columns
 *                + gamma * (number of categorical columns where x's code != c's mode),
 * a prototype's numeric part is the (weighted) mean of its rows and its categorical part their
 * (weighted) modes, a tie between levels going to the smallest code (as the Python kmodes
 * package's get_max_value_key). The total cost is the weighted sum of every row's cost to its
 * prototype.
 *
 * Internal header of the engine (the segmentation pipeline calls it); the first part is the
 * API, documented as include/strata.h documents k-means. The last part is shared by the
 * kproto*.c files only.
 */
#ifndef STRATA_KPROTO_H
#define STRATA_KPROTO_H

#include <stdint.h>

#include "strata.h"

/* A borrowed, row-major view of n mixed rows; nothing is copied or freed. Row i's numeric part
 * is numeric[i * ld_num .. + dn), its codes codes[i * ld_cat .. + dc) with codes[.. + j] in
 * [0, levels[j]). dn = 0 (numeric may then be NULL) and dc = 0 (codes and levels may then be
 * NULL) are allowed, not both. */
typedef struct strata_mixed {
  const double *numeric;
  int64_t ld_num; /* >= dn */
  const int32_t *codes;
  int64_t ld_cat;        /* >= dc */
  const int32_t *levels; /* dc level counts, each >= 1 */
  int64_t n, dn, dc;
} strata_mixed;

typedef enum strata_kproto_algorithm {
  /* Batch iterations: assign every row to its nearest prototype, then recompute every mean
   * and mode (the default). Parallel over row blocks with fixed-order sums: the same result
   * for any thread count. Converged when no label changes. For k > 8, Hamerly's bounds
   * (LLOYD_BOUNDED); for k <= 8 every row is scanned (LLOYD_PLAIN), which measured faster
   * there (1M x 20 + 5 codes, k = 5, 2 threads: 0.16-0.18 s plain, 0.22-0.27 s bounded per
   * fit; k = 20: 36 % less CPU bounded). The result is the same either way. Unweighted fits keep
   * the numeric sums between passes and add only the moved rows' changes, so a mean may differ from
   * a fresh sum of its rows in the last bits (identically for LLOYD, LLOYD_PLAIN and any thread
   * count). */
  STRATA_KPROTO_LLOYD = 0,
  /* Huang's online iteration exactly as the Python kmodes package 0.12.2 runs KPrototypes:
   * one assignment pass without updates, the prototypes from it, then per iteration a pass
   * that moves one row at a time and updates both clusters' means and modes at once;
   * converged when no row moves or the cost stops decreasing. Sequential (one thread). */
  STRATA_KPROTO_HUANG = 1,
  /* LLOYD, every row scanned every pass whatever k (the oracle of the bounds' tests). */
  STRATA_KPROTO_LLOYD_PLAIN = 2,
  /* LLOYD with Hamerly's bounds whatever k: D = sqrt(cost) is a metric, so after the first
   * passes most rows skip the k-way scan (and, kept sums, are not read at all); the result
   * is LLOYD_PLAIN's bit for bit. 16 bytes a row for the bounds. */
  STRATA_KPROTO_LLOYD_BOUNDED = 3
} strata_kproto_algorithm;

typedef struct strata_kproto_params {
  int64_t k; /* prototypes, 1 <= k <= n (default 8) */
  /* Weight of a categorical mismatch, finite. Negative (the default, -1): 0.5 x the mean over
   * the numeric columns of their population standard deviation, unweighted, from fixed block
   * sums (the kmodes package's rule; Huang suggests the mean sd itself), or 1 when dn = 0.
   * 0 is allowed: the codes are then ignored for the assignment but the modes are still
   * computed. The pipeline sets it. */
  double gamma;
  int max_iter;  /* iterations, >= 1 (default 100, as kmodes) */
  int n_init;    /* runs from seeds derived from `seed`, the lowest cost kept (default 1;
                    1 whenever initial prototypes are given) */
  uint64_t seed; /* of the D^2 seeding; results depend on it, never on the thread count */
  strata_kproto_algorithm algorithm; /* default LLOYD */
  /* Initial prototypes (k x dn numeric and k x dc codes, row-major, borrowed for the call),
   * both or neither; NULL: seeding (below). */
  const double *init_numeric;
  const int32_t *init_codes;
  /* Optional n sample weights, finite and >= 0, not all 0 (NULL: all 1), borrowed. */
  const double *weights;
} strata_kproto_params;

/* Fills the defaults above. NULL is a no-op. */
void strata_kproto_params_init(strata_kproto_params *params);

typedef struct strata_kproto_s strata_kproto;

/* Clusters the rows of x and returns a model with prototypes, labels, cost, iterations and
 * convergence in *out (owned by the caller: strata_kproto_free).
 *
 * Initialisation without given prototypes: D^2 seeding on the mixed cost (k-means++ of Arthur
 * & Vassilvitskii 2007 with the mixed cost in place of the squared distance): the first
 * prototype is a row drawn with probability ~ weight, each next one a row drawn with
 * probability ~ weight x its cost to the nearest prototype so far; a prototype taken from a
 * row has the row's numbers and codes. Draws come from counter-based Philox streams and the
 * costs from fixed row blocks, so the seeding does not depend on the thread count.
 *
 * LLOYD: an empty cluster (no rows, or only zero-weight rows) after an update is re-seeded
 * with the row of largest weighted cost to its prototype (the lowest index on a tie, distinct
 * rows for several empty clusters), as scikit-learn relocates empty k-means clusters. If
 * max_iter ends the run unconverged, labels and cost are a final assignment to the returned
 * prototypes. HUANG: see the enum; kmodes re-seeds a cluster that empties during a pass from
 * a random member of the largest cluster (numpy's RNG): here that member is the one with the
 * largest cost to its prototype, lowest index on a tie; a cluster left empty by the initial
 * pass (kmodes then retries a random initialisation) is filled the same way. Both report, as
 * kmodes does, the labels and cost of a final assignment to the returned prototypes.
 *
 * Errors (message in the context, naming the parameter, row and column): STRATA_ERR_USAGE
 * for a NULL argument, k < 1 or k > n, dn = dc = 0, ld < d, max_iter < 1, n_init < 1, a
 * non-finite gamma, only one of init_numeric / init_codes, a level count < 1, rows beyond
 * 2^31; STRATA_ERR_DATA for a NaN or infinite numeric value or initial prototype, a code
 * outside [0, levels[j]), a negative or non-finite weight or all weights 0; STRATA_ERR_NOMEM /
 * STRATA_ERR_BUDGET from the context's allocator. *out is NULL on failure. Thread safety:
 * concurrent calls on different contexts are safe; x and params are only read. */
strata_status strata_kproto_fit(strata_ctx *ctx, const strata_mixed *x,
                                const strata_kproto_params *params, strata_kproto **out);
/* Frees the model and everything it owns; NULL is a no-op. */
void strata_kproto_free(strata_kproto *model);

/* Accessors: 0 / NULL / NaN for a NULL model. The arrays are owned by the model and live until
 * strata_kproto_free. */
int64_t strata_kproto_k(const strata_kproto *model);
int64_t strata_kproto_dn(const strata_kproto *model);
int64_t strata_kproto_dc(const strata_kproto *model);
int64_t strata_kproto_n(const strata_kproto *model);
double strata_kproto_gamma(const strata_kproto *model);          /* the gamma used */
const double *strata_kproto_centers(const strata_kproto *model); /* k x dn, row-major */
const int32_t *strata_kproto_modes(const strata_kproto *model);  /* k x dc, row-major */
const int32_t *strata_kproto_labels(const strata_kproto *model); /* n, in [0, k) */
double strata_kproto_cost(const strata_kproto *model);           /* weighted total cost */
int strata_kproto_n_iter(const strata_kproto *model);
int strata_kproto_converged(const strata_kproto *model);
strata_kproto_algorithm strata_kproto_algorithm_used(const strata_kproto *model);

/* Assigns the rows of x to the nearest of k given prototypes (centers k x dn, modes k x dc,
 * row-major, borrowed) with the mismatch weight gamma: labels[i] in [0, k) (the lowest index
 * on a tie) and, unless cost is NULL, cost[i] = the row's cost to it. For scoring new rows
 * with a saved model. The costs are the assignment kernel's (kernels.h), the same for every
 * ISA and any thread count. Errors: as strata_kproto_fit for the view, gamma (finite, >= 0),
 * k (>= 1; may exceed n) and the prototypes (finite, modes within the levels); labels must
 * hold n entries. Thread safety as the fit. */
strata_status strata_kproto_assign(strata_ctx *ctx, const strata_mixed *x, const double *centers,
                                   const int32_t *modes, int64_t k, double gamma, int32_t *labels,
                                   double *cost);

/* ------------------------------------------------------------------ between kproto*.c */

#include "core/core.h"
#include "kernels.h"

/* Rows per block of the driver: as k-means (kmeans_internal.h). */
#define KP_BLOCK_ROWS 8192
/* RNG streams of k-prototypes (k-means uses 101..109). */
enum { KP_STREAM_RUN = 121, KP_STREAM_SEED = 122 };

/* A checked problem: the view, the weights and derived sizes. */
typedef struct kp_problem {
  strata_ctx *ctx;
  const strata_kernels *kern;
  const double *x;
  const int32_t *codes;
  int64_t n, dn, dc, ldx, ldc, k;
  const int32_t *levels;
  int64_t *level_off; /* dc + 1 offsets of each column's levels in a count row; owned */
  int64_t n_levels;   /* level_off[dc] */
  const double *w;    /* n weights or NULL */
  double gamma;
  int max_iter;
  int bounds; /* LLOYD: Hamerly's bounds on (1) or every row scanned (0) */
} kp_problem;

/* One run: prototypes in (initial) and out (final), labels, cost, iterations. */
typedef struct kp_run {
  double *centers; /* k x dn */
  int32_t *modes;  /* k x dc */
  int32_t *labels; /* n */
  double cost;
  int n_iter;
  int converged;
} kp_run;

/* D^2 seeding into centers/modes (kproto_seed.c). */
strata_status kp_seed(const kp_problem *p, uint64_t seed, double *centers, int32_t *modes);
/* Batch iterations (kproto_lloyd.c). */
strata_status kp_lloyd(const kp_problem *p, kp_run *run);
/* Huang's online iterations as kmodes (kproto_huang.c). */
strata_status kp_huang(const kp_problem *p, kp_run *run);
/* Parallel assignment of every row to the given prototypes: labels, and the weighted total
 * cost in fixed block order; per-row costs into row_cost unless NULL (kproto_lloyd.c). */
strata_status kp_assign_all(const kp_problem *p, const double *centers, const int32_t *modes,
                            int32_t *labels, double *row_cost, double *total);
/* The rows of the e largest weighted costs (ties: lowest index) under the given prototypes and
 * labels, e <= k, best first, into rows[e] (kproto_lloyd.c). */
strata_status kp_farthest_rows(const kp_problem *p, const double *centers, const int32_t *modes,
                               int64_t e, int64_t *rows);

#endif
