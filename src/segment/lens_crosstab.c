/*
 * Cross-table of two labellings of the same customers (segments x any lens), with an
 * "other" column for labels_b = -1 (RFM's Others): counts and optional weighted sums, one
 * O(n) pass in row order.
 */
#include <math.h>
#include <string.h>

#include "core/core.h"
#include "segment/lens.h"

strata_status strata_lens_crosstab(strata_ctx *ctx, const int32_t *labels_a, int64_t ka,
                                   const int32_t *labels_b, int64_t kb, const double *weight,
                                   int64_t n, int64_t *counts, double *sums) {
  strata_status st = STRATA_OK;
  size_t cells = 0;
  STRATA_FAIL_IF(ka < 1 || kb < 0, ctx, STRATA_ERR_USAGE,
                 "crosstab: ka = %lld must be >= 1 and kb = %lld >= 0", (long long)ka,
                 (long long)kb);
  STRATA_FAIL_IF(
      !strata_mul_size((size_t)ka, (size_t)kb + 1, &cells) || cells > SIZE_MAX / sizeof(double),
      ctx, STRATA_ERR_USAGE, "crosstab: %lld x %lld cells overflow", (long long)ka,
      (long long)kb + 1);
  STRATA_FAIL_IF(n < 0 || (n > 0 && (!labels_a || !labels_b)), ctx, STRATA_ERR_USAGE,
                 "crosstab: n = %lld with NULL labels", (long long)n);
  STRATA_FAIL_IF(!counts, ctx, STRATA_ERR_USAGE, "crosstab: NULL counts");
  STRATA_FAIL_IF(sums && !weight, ctx, STRATA_ERR_USAGE, "crosstab: sums asked without weights");
  memset(counts, 0, cells * sizeof *counts);
  if (sums) memset(sums, 0, cells * sizeof *sums);
  const int64_t cols = kb + 1;
  for (int64_t i = 0; i < n; i++) {
    int64_t a = labels_a[i], b = labels_b[i];
    STRATA_FAIL_IF(a < 0 || a >= ka, ctx, STRATA_ERR_DATA,
                   "crosstab: labels_a of row %lld is %lld, outside [0, %lld)", (long long)i,
                   (long long)a, (long long)ka);
    STRATA_FAIL_IF(b < -1 || b >= kb, ctx, STRATA_ERR_DATA,
                   "crosstab: labels_b of row %lld is %lld, outside [-1, %lld)", (long long)i,
                   (long long)b, (long long)kb);
    STRATA_FAIL_IF(weight && !isfinite(weight[i]), ctx, STRATA_ERR_DATA,
                   "crosstab: weight of row %lld is not finite", (long long)i);
    int64_t at = a * cols + (b < 0 ? kb : b);
    counts[at]++;
    if (sums) sums[at] += weight[i];
  }
cleanup:
  return st;
}
