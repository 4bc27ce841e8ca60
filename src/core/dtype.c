/* Element types and the finiteness check on feature blocks. */
#include <math.h>

#include "core/core.h"

size_t strata_dtype_size(strata_dtype dtype) {
  switch (dtype) {
    case STRATA_F32: return 4;
    case STRATA_F64: return 8;
    case STRATA_I32: return 4;
    case STRATA_I64: return 8;
  }
  return 0;
}

const char *strata_dtype_name(strata_dtype dtype) {
  switch (dtype) {
    case STRATA_F32: return "float32";
    case STRATA_F64: return "float64";
    case STRATA_I32: return "int32";
    case STRATA_I64: return "int64";
  }
  return "unknown";
}

strata_status strata_check_finite(strata_ctx *ctx, const strata_matrix *block, int64_t first_row,
                                  const char *file, const char *dataset) {
  if (block == NULL || block->data == NULL)
    return strata_fail(ctx, STRATA_ERR_USAGE, "strata_check_finite: block is NULL");
  if (block->dtype != STRATA_F32 && block->dtype != STRATA_F64) return STRATA_OK;
  for (int64_t i = 0; i < block->n; i++) {
    for (int64_t j = 0; j < block->d; j++) {
      double v = block->dtype == STRATA_F32
                     ? (double)((const float *)block->data)[i * block->ld + j]
                     : ((const double *)block->data)[i * block->ld + j];
      if (!isfinite(v))
        return strata_fail(
            ctx, STRATA_ERR_DATA, "%s: %s row %lld, column %lld is %s; remove or impute it first",
            file ? file : "input", dataset ? dataset : "data", (long long)(first_row + i),
            (long long)j, isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf"));
    }
  }
  return STRATA_OK;
}
