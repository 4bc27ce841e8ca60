/*
 * Drift between a training population and today's: the population stability index
 *   PSI = sum over bins (a - e) ln(a / e),
 * with e the expected (training) share and a the actual share of each bin, both floored at
 * `epsilon` (default STRATA_PSI_EPSILON = 1e-4) so that a bin empty on either side gives a
 * large but finite term. Flooring does not renormalise: it is strata_population_stability's
 * rule (agreement.c), which strata_psi generalises.
 *
 * Bins of a numeric feature are fitted once on the training values and kept as (edges,
 * shares), so that `strata score` can compare new data without the training data:
 *  - candidate edges are the training quantiles at j / bins, j = 1 .. bins - 1, by the
 *    inverted empirical CDF (numpy's method="inverted_cdf", R's type 1): the value of sorted
 *    row ceil(j n / bins) (1-based), always a training value;
 *  - ties: equal candidates collapse into one edge, and a candidate equal to the training
 *    maximum is dropped, so every training bin holds at least one training value and a
 *    feature that is 70 % zeros gets one bin (-inf, 0] for all of them;
 *  - bins are closed on the right: bin 0 = (-inf, edge[0]], bin b = (edge[b-1], edge[b]],
 *    last bin = (edge[nb-2], +inf). Values outside the training range therefore fall in the
 *    end bins. The bin of x is the number of edges < x (numpy.searchsorted(edges, x, "left"));
 *  - a constant training feature has a single bin, so its PSI is 0 whatever the new values.
 * Bins of a categorical feature (codes stored as doubles) are its training levels, in
 * increasing order, plus one final bin of expected share 0 for levels unseen in training.
 *
 * Cost: fit O(n log n) (a sort of a copy), compare O(n log nb). Non-finite values are
 * refused with STRATA_ERR_DATA naming the row. Single-threaded, deterministic.
 */
#ifndef STRATA_SEGMENT_DRIFT_H
#define STRATA_SEGMENT_DRIFT_H

#include <stdint.h>

#include "strata.h"

#define STRATA_PSI_EPSILON 1e-4
#define STRATA_PSI_WATCH 0.1    /* default: PSI below this is "stable" */
#define STRATA_PSI_SHIFTED 0.25 /* default: PSI at or above this is "shifted" */
#define STRATA_PSI_BINS 10      /* default: deciles */

/* PSI of `actual` against `expected` shares over nb bins, each share floored at epsilon
 * (epsilon <= 0 means STRATA_PSI_EPSILON). strata_psi(before, now, k, 1e-4) equals
 * strata_population_stability(before, now, k). Pure; NaN in gives NaN out. */
double strata_psi(const double *expected, const double *actual, int64_t nb, double epsilon);

/* Shares of labels in [0, k) among n rows into shares[0..k) (caller's array); for the PSI of
 * segment shares, today's against the training run's. STRATA_ERR_USAGE for n < 1 or k < 1,
 * STRATA_ERR_DATA for a label outside [0, k) naming the row. */
strata_status strata_label_shares(strata_ctx *ctx, const int32_t *labels, int64_t n, int64_t k,
                                  double *shares);

/* Fitted bins of one feature; arrays owned by the struct, released by strata_psi_bins_free.
 * Numeric: edges[nb - 1] increasing strictly, shares[nb] (sum 1). Categorical: edges[nb - 1]
 * are the levels (strictly increasing) and shares[nb] ends with the unseen-level bin's 0. */
typedef struct strata_psi_bins {
  int categorical;
  int64_t nb; /* number of bins, >= 1 */
  double *edges;
  double *shares;
} strata_psi_bins;

/* Fits numeric bins (bins >= 1; 0 means STRATA_PSI_BINS) on n >= 1 training values.
 * Errors: STRATA_ERR_USAGE (NULL, n < 1, bins < 0), STRATA_ERR_DATA (a non-finite value,
 * naming the row), STRATA_ERR_NOMEM / STRATA_ERR_BUDGET. *out NULL on failure. */
strata_status strata_psi_bins_fit(strata_ctx *ctx, const double *values, int64_t n, int64_t bins,
                                  strata_psi_bins **out);

/* Fits categorical bins: one per distinct training value, plus the unseen-level bin. Same
 * errors as strata_psi_bins_fit. */
strata_status strata_psi_levels_fit(strata_ctx *ctx, const double *values, int64_t n,
                                    strata_psi_bins **out);

/* Bins given as stored arrays (e.g. read back from /model): copies edges[nb - 1] and
 * shares[nb]. STRATA_ERR_DATA when the edges are not strictly increasing or a share is
 * negative or not finite. */
strata_status strata_psi_bins_from(strata_ctx *ctx, int categorical, const double *edges,
                                   const double *shares, int64_t nb, strata_psi_bins **out);

/* Accepts NULL. */
void strata_psi_bins_free(strata_psi_bins *b);

/* Shares of n >= 1 new values in the fitted bins, into shares[0..nb) (caller's array). */
strata_status strata_psi_bins_shares(strata_ctx *ctx, const strata_psi_bins *b,
                                     const double *values, int64_t n, double *shares);

/* PSI of n >= 1 new values against the fitted bins (epsilon as in strata_psi). Allocates
 * nb doubles. */
strata_status strata_psi_bins_compare(strata_ctx *ctx, const strata_psi_bins *b,
                                      const double *values, int64_t n, double epsilon, double *psi);

/* Reading of a PSI: "stable" below `watch`, "watch" below `shifted`, else "shifted";
 * "unknown" for NaN. watch <= 0 or shifted <= 0 mean the defaults 0.1 and 0.25. */
const char *strata_psi_reading(double psi, double watch, double shifted);

#endif
