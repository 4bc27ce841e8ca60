/*
 * Stability of segments under resampling: Hennig's cluster-wise Jaccard bootstrap
 * (C. Hennig, "Cluster-wise assessment of cluster stability", Computational Statistics &
 * Data Analysis 52, 2007), as the R package fpc's clusterboot() computes it (fpc 2.2-13,
 * R/clusterboot.R, bootmethod "boot" and "subset").
 *
 * For each of B resamples X* of the n rows, the caller's re-clustering gives new clusters D
 * of X*; every original segment C scores max over D of Jaccard(C ∩ X*, D) (0 when both sets
 * are empty, clusterboot's zerobyzero = 0). The report is the mean over resamples per
 * segment, the share of resamples in which the segment dissolved (Jaccard <= 0.5) or was
 * recovered (Jaccard > 0.75), and the adjusted Rand index between the original labels
 * restricted to X* and the re-clustering, per resample and on average.
 *
 * Resamples, as clusterboot draws them:
 *  - bootstrap: n rows drawn with replacement. clusterboot's default (multipleboot = FALSE)
 *    keeps each drawn row once, both for the re-clustering and for the Jaccard sets; with
 *    `multiple` set (multipleboot = TRUE, bscompare = TRUE) the re-clustering sees every
 *    draw and the Jaccard and Rand counts count a row as often as it was drawn. Either way
 *    the callback receives the distinct rows; in the multiple mode it also receives each
 *    row's multiplicity as a weight, so that a weighted clustering (k-means with weights is
 *    exactly k-means of the data with duplicates) stands for the duplicated data set.
 *  - subsample: floor(fraction n) distinct rows without replacement (clusterboot's
 *    subtuning = floor(n / 2) is fraction 0.5).
 *
 * Cost per resample: O(n) to draw, the callback, then O(m + k^2) for the contingency table
 * of old against new labels from which all Jaccard values and the Rand index follow; never
 * O(n^2). Memory: O(n + k^2) besides the result.
 *
 * Randomness: resample b uses Philox stream STRATA_STABILITY_STREAM_DRAW with item b of
 * params.seed, and the callback's seed for resample b is
 * strata_rng_hash(params.seed, STRATA_STABILITY_STREAM_RECLUSTER, b). Resamples run one
 * after the other in order b = 0, 1, ...; nothing depends on the thread count (the callback
 * may use the context's threads and must itself be thread-count independent).
 */
#ifndef STRATA_SEGMENT_STABILITY_H
#define STRATA_SEGMENT_STABILITY_H

#include <stdint.h>

#include "strata.h"

#define STRATA_STABILITY_STREAM_DRAW 0x57AB0001u
#define STRATA_STABILITY_STREAM_RECLUSTER 0x57AB0002u

/* Re-clusters the rows rows[0..m) (distinct, increasing, in [0, n)) into k clusters,
 * writing labels[i] in [0, k) for rows[i]. `weight` is NULL (every row counts once) or, in
 * the bootstrap's multiple mode, weight[i] >= 1 is how many times rows[i] was drawn.
 * `seed` is the seed to use for any randomness of the clustering. m >= 1; for a bootstrap
 * of a tiny data set m can be smaller than k, in which case a method that needs m >= k should
 * fail. Returning anything but STRATA_OK stops strata_stability_run with that status (leave
 * a message in ctx with strata_fail). The arrays are borrowed for the call only. */
typedef strata_status (*strata_recluster_fn)(strata_ctx *ctx, void *arg, const int64_t *rows,
                                             const double *weight, int64_t m, int64_t k,
                                             uint64_t seed, int32_t *labels);

typedef enum {
  STRATA_STABILITY_BOOTSTRAP = 0,
  STRATA_STABILITY_SUBSAMPLE = 1
} strata_stability_method;

typedef struct strata_stability_params {
  int resamples;                  /* B >= 1; default 100, clusterboot's (Hennig recommends it) */
  strata_stability_method method; /* default STRATA_STABILITY_BOOTSTRAP */
  int multiple;    /* bootstrap only: 1 = clusterboot's multipleboot = TRUE (weights); default 0 */
  double fraction; /* subsample only: share of rows kept, in (0, 1); default 0.5 */
  double dissolution; /* a resample's Jaccard <= this counts as dissolved; default 0.5 */
  double recover;     /* a resample's Jaccard > this counts as recovered; default 0.75 */
  uint64_t seed;      /* default 0 */
} strata_stability_params;

/* Fills the defaults above. */
void strata_stability_params_init(strata_stability_params *p);

/* Result; every array is owned by the struct and released by strata_stability_free. */
typedef struct strata_stability {
  int64_t k;
  int resamples;        /* B */
  double *jaccard_mean; /* [k]: mean over resamples of segment c's Jaccard (clusterboot bootmean) */
  double *jaccard; /* [B x k] row-major: jaccard[b * k + c] (clusterboot bootresult, transposed) */
  double *dissolved;  /* [k]: share of resamples with Jaccard <= dissolution (bootbrd / B) */
  double *recovered;  /* [k]: share of resamples with Jaccard > recover (bootrecover / B) */
  double ari_mean;    /* mean over resamples of ari[b] */
  double *ari;        /* [B]: adjusted Rand index of original vs re-clustered labels on X* */
  int64_t *rows_used; /* [B]: distinct rows of each resample (m passed to the callback) */
} strata_stability;

/* Runs the resampling scheme for n rows whose original segments are labels[0..n) in [0, k).
 * Errors: STRATA_ERR_USAGE for n < 1, k < 1, k > n, fn NULL, bad parameters (naming the
 * field) or a subsample smaller than k; STRATA_ERR_DATA for an original label outside
 * [0, k) (naming the row) or a callback label outside [0, k) (naming the resample and row);
 * any status the callback returns; STRATA_ERR_NOMEM / STRATA_ERR_BUDGET. *out is NULL on
 * failure; on success free it with strata_stability_free. p NULL means the defaults. Not
 * thread-safe with respect to ctx (like every call taking a context). */
strata_status strata_stability_run(strata_ctx *ctx, int64_t n, const int32_t *labels, int64_t k,
                                   const strata_stability_params *p, strata_recluster_fn fn,
                                   void *arg, strata_stability **out);

/* Accepts NULL. */
void strata_stability_free(strata_stability *s);

/* Hennig's reading of a segment's mean Jaccard (clusterboot's documentation): "highly
 * stable" for >= 0.85, "stable" (a valid, stable cluster) for >= 0.75, "pattern" for >= 0.6
 * (indicates a pattern, but which points belong to it is highly doubtful), "dissolved"
 * below 0.6 (Hennig: should not be trusted), "unknown" for NaN. Static strings. */
const char *strata_stability_reading(double jaccard);

#endif
