/* The latent class BIC of a partition; see class_bic.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "segment/class_bic.h"

void strata_binned_release(strata_binned *b) {
  if (b == NULL) return;
  strata_free(b->codes);
  strata_free(b->levels);
  memset(b, 0, sizeof *b);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

strata_status strata_binned_make(strata_ctx *ctx, const strata_space *s, int bins,
                                 strata_binned *out) {
  strata_status st = STRATA_OK;
  double *col = NULL;
  memset(out, 0, sizeof *out);
  const int64_t n = s->n, dz = s->dz, dc = s->dc, d = dz + dc;
  STRATA_FAIL_IF(n < 1 || bins < 2 || bins > 64, ctx, STRATA_ERR_USAGE,
                 "binning: need rows and 2..64 bins");
  out->n = n;
  out->d = d;
  STRATA_TRY(strata_alloc(ctx, (size_t)(n * d), sizeof(int32_t), "binned rows",
                          (void **)&out->codes));
  STRATA_TRY(strata_alloc(ctx, (size_t)(d > 0 ? d : 1), sizeof(int32_t), "bin counts",
                          (void **)&out->levels));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "binning column", (void **)&col));
  for (int64_t t = 0; t < dz; t++) {
    for (int64_t i = 0; i < n; i++) col[i] = s->z[i * dz + t];
    qsort(col, (size_t)n, sizeof *col, cmp_double);
    double cut[64];
    int m = 0;
    for (int j = 1; j < bins; j++) {
      /* the lower order statistic of the quantile: exact and reproducible */
      double q = col[(int64_t)((double)j / (double)bins * (double)(n - 1))];
      if (q > col[0] && (m == 0 || q > cut[m - 1])) cut[m++] = q;
    }
    for (int64_t i = 0; i < n; i++) {
      const double v = s->z[i * dz + t];
      int32_t c = 0;
      while (c < m && v >= cut[c]) c++;
      out->codes[i * d + t] = c;
    }
    out->levels[t] = m + 1;
  }
  for (int64_t j = 0; j < dc; j++) {
    for (int64_t i = 0; i < n; i++) out->codes[i * d + dz + j] = s->codes[i * dc + j];
    out->levels[dz + j] = s->levels[j];
  }
cleanup:
  strata_free(col);
  if (st != STRATA_OK) strata_binned_release(out);
  return st;
}

/* x ln(x / total), 0 for x = 0. */
static double xlogx(double x, double total) { return x > 0 ? x * log(x / total) : 0.0; }

strata_status strata_class_bic(strata_ctx *ctx, const strata_binned *b, const int32_t *labels,
                               int64_t k, double *bic) {
  strata_status st = STRATA_OK;
  int64_t *offset = NULL;
  double *counts = NULL, *size = NULL;
  const int64_t n = b->n, d = b->d;
  offset = calloc((size_t)d + 1, sizeof *offset);
  STRATA_FAIL_IF(offset == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  for (int64_t j = 0; j < d; j++) offset[j + 1] = offset[j] + b->levels[j];
  const int64_t width = offset[d];
  STRATA_TRY(strata_calloc(ctx, (size_t)(k * (width > 0 ? width : 1)), sizeof(double),
                           "class counts", (void **)&counts));
  STRATA_TRY(strata_calloc(ctx, (size_t)k, sizeof(double), "class sizes", (void **)&size));
  for (int64_t i = 0; i < n; i++) {
    const int32_t c = labels[i];
    size[c] += 1.0;
    double *row = counts + c * width;
    for (int64_t j = 0; j < d; j++) row[offset[j] + b->codes[i * d + j]] += 1.0;
  }
  double ll = 0.0, params = (double)(k - 1);
  for (int64_t c = 0; c < k; c++) {
    ll += xlogx(size[c], (double)n);
    for (int64_t j = 0; j < d; j++)
      for (int64_t v = 0; v < b->levels[j]; v++) ll += xlogx(counts[c * width + offset[j] + v], size[c]);
  }
  for (int64_t j = 0; j < d; j++) params += (double)k * (double)(b->levels[j] - 1);
  *bic = -2.0 * ll + params * log((double)n);
cleanup:
  free(offset);
  strata_free(counts);
  strata_free(size);
  return st;
}
