/*
 * The Bayesian information criterion of a segmentation read as a latent class model
 * (Lazarsfeld's latent structure analysis; latent class cluster analysis as marketing tools
 * such as LatentGOLD use it, Magidson & Vermunt 2002): within a segment the features are
 * independent, each with its own distribution. Numeric features are cut into quantile bins of
 * the base (deciles by default), nominal ones keep their levels, so every feature has a
 * multinomial per segment and no shape is assumed (counts, shares and money are far from
 * Gaussian). For a hard partition with segment sizes n_c and counts n_cjv (segment c, feature
 * j, bin v) the classification log-likelihood is
 *     sum_c n_c ln(n_c / n) + sum_c sum_j sum_v n_cjv ln(n_cjv / n_c),
 * with (k - 1) + k sum_j (bins_j - 1) parameters, and BIC = -2 ln L + parameters ln n; the
 * lower the better. Why it finds the number of segments where k-means' criteria do not: a
 * split of a segment along a feature that is independent of the others within it gains
 * nothing in ln L (the chain rule of entropy) while it adds parameters, so BIC refuses it,
 * whereas any split lowers the squared-distance cost. Cost: O(n d) per partition.
 */
#ifndef STRATA_SEGMENT_CLASS_BIC_H
#define STRATA_SEGMENT_CLASS_BIC_H

#include <stdint.h>

#include "segment/space.h"

#define STRATA_BIC_BINS 10

/* The space's rows as bin / level codes: n x (dz + dc) codes (row-major) and each column's
 * count of codes. Numeric column t is cut at its quantiles j / bins (j = 1..bins - 1) of the
 * space's own rows, equal cut points merged; a value falls in the bin of the cut points it
 * reaches (v >= cut). */
typedef struct strata_binned {
  int64_t n, d;
  int32_t *codes;  /* n x d */
  int32_t *levels; /* d */
} strata_binned;

strata_status strata_binned_make(strata_ctx *ctx, const strata_space *s, int bins,
                                 strata_binned *out);
void strata_binned_release(strata_binned *b);

/* BIC of the partition `labels` (n, in [0, k)) of the binned rows. */
strata_status strata_class_bic(strata_ctx *ctx, const strata_binned *b, const int32_t *labels,
                               int64_t k, double *bic);

#endif
