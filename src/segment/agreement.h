/* Agreement between two labelings, and drift of segment shares. */
#ifndef STRATA_SEGMENT_AGREEMENT_H
#define STRATA_SEGMENT_AGREEMENT_H

#include <stdint.h>

/* Adjusted Rand index (Hubert & Arabie 1985) of two labelings of n items with labels in
 * [0, ka) and [0, kb): 1 for identical partitions up to renaming, about 0 for independent
 * ones. O(n + ka kb). Returns NaN if the contingency table cannot be allocated. */
double strata_adjusted_rand(const int32_t *a, const int32_t *b, int64_t n, int64_t ka, int64_t kb);

/* Population stability index of shares `now` against `before` (k entries each, summing to 1):
 * sum (now - before) ln(now / before), with each share floored at 1e-4 so that an empty
 * segment gives a large but finite index. Conventional reading: < 0.1 stable, 0.1-0.25
 * moderate shift, > 0.25 significant shift. */
double strata_population_stability(const double *before, const double *now, int64_t k);

#endif
