/*
 * top_keys.h — the rows with the largest keys, for every seeded row sample of the k-means
 * engine (weighted random init, the silhouette sample): keys come from counter-based random
 * numbers per row, so the sample depends on the seed and the rows only, never on threads.
 */
#ifndef STRATA_KMEANS_TOP_KEYS_H
#define STRATA_KMEANS_TOP_KEYS_H

#include <stdint.h>

/* Writes to rows[0 .. m) the m = min(s, rows whose key is not -inf) rows with the largest
 * keys, in increasing row order, and returns m. Ties go to the lower row, so the choice is
 * a total order. O(n log s) with a min-heap. */
int64_t km_top_keys(const double *key, int64_t n, int64_t s, int64_t *rows);

#endif
