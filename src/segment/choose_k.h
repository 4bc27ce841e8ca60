/*
 * How many segments: every candidate k of the range is fitted (on a seeded sample of a large
 * base), scored by the latent class BIC (default, segment/class_bic.h), the Calinski-Harabasz
 * index (its mixed-cost pseudo-F with nominal columns, segment/space.h) or the mean
 * silhouette, and checked for stability by Hennig's cluster-wise Jaccard bootstrap
 * (segment/stability.h) on a seeded sample. The rule:
 *
 *   1. A candidate is stable when every one of its segments keeps a mean bootstrap Jaccard of
 *      at least 0.75 (Hennig's "stable": the segment is recovered when the data are
 *      resampled). Splitting a real segment in two, or merging two, is seldom stable.
 *   2. Of the stable candidates, the best criterion wins: the lowest BIC, or the largest index
 *      or silhouette with 3-5 segments preferred (a k outside 3-5 must score 15% higher; BIC
 *      has its own penalty per segment).
 *   3. When no candidate is stable, the criterion decides alone, with the same preference.
 * With --k given, nothing is chosen and no stability check runs here.
 */
#ifndef STRATA_SEGMENT_CHOOSE_K_H
#define STRATA_SEGMENT_CHOOSE_K_H

#include "segment/pipeline.h"
#include "segment/space.h"
#include "segment/stability.h"

/* Hennig's reading of a stable segment. */
#define STRATA_STABLE_JACCARD 0.75

/* Bootstrap stability of the k segments `labels` of the space `sample` (its rows are the
 * seeded sample): B resamples clustered afresh with k. */
strata_status strata_segment_stability(strata_ctx *ctx, const strata_space *sample,
                                       const int32_t *labels, int64_t k, int resamples,
                                       uint64_t seed, strata_stability **out);

/* Fits every candidate k of params (k_min..k_max, or params->k alone) on the space, records
 * their scores in s (k_values, k_inertia, k_calinski, k_silhouette, k_jaccard_min, ...),
 * and returns the chosen k in *k_out and its refined fit on every row of the space in *fit
 * (strata_space_fit_release). */
strata_status strata_choose_k(strata_ctx *ctx, const strata_space *space,
                              const strata_segment_params *params, strata_segmentation *s,
                              int64_t *k_out, strata_space_fit *fit);

#endif
