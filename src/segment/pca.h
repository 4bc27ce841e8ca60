/* Principal components for the report's 2-D view of the segments. */
#ifndef STRATA_SEGMENT_PCA_H
#define STRATA_SEGMENT_PCA_H

#include <stdint.h>

#include "strata.h"

/* The two leading principal axes of x (n x d row-major, already scaled): the covariance is
 * accumulated over every row (O(n d^2), fixed order) and decomposed with LAPACK's dsyev from
 * OpenBLAS. axes is 2 x d (unit vectors, sign fixed so that the largest component is
 * positive), explained gets each axis' share of the total variance. d = 1 gives a zero second
 * axis. */
strata_status strata_pca2(strata_ctx *ctx, const double *x, int64_t n, int64_t d, double *axes,
                          double explained[2]);

#endif
