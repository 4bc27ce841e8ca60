/*
 * Two-component PCA: covariance over all rows, then LAPACK dsyev (symmetric eigensolver) on the
 * d x d matrix. d is a handful of features, so the decomposition is negligible; the cost is
 * the O(n d^2) covariance pass.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "segment/pca.h"

/* LAPACK from OpenBLAS (gfortran calling convention: hidden lengths of the character
 * arguments at the end). */
extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                   double *w, double *work, const int *lwork, int *info, size_t jobz_len,
                   size_t uplo_len);

strata_status strata_pca2(strata_ctx *ctx, const double *x, int64_t n, int64_t d, double *axes,
                          double explained[2]) {
  strata_status st = STRATA_OK;
  double *cov = NULL, *mean = NULL, *eig = NULL, *work = NULL;
  STRATA_FAIL_IF(x == NULL || axes == NULL || n < 1 || d < 1 || d > 4096, ctx, STRATA_ERR_USAGE,
                 "strata_pca2: bad arguments");
  cov = calloc((size_t)(d * d), sizeof *cov);
  mean = calloc((size_t)d, sizeof *mean);
  eig = calloc((size_t)d, sizeof *eig);
  STRATA_FAIL_IF(!cov || !mean || !eig, ctx, STRATA_ERR_NOMEM, "out of memory for PCA");
  for (int64_t i = 0; i < n; i++)
    for (int64_t a = 0; a < d; a++) mean[a] += x[i * d + a];
  for (int64_t a = 0; a < d; a++) mean[a] /= (double)n;
  for (int64_t i = 0; i < n; i++)
    for (int64_t a = 0; a < d; a++) {
      double da = x[i * d + a] - mean[a];
      for (int64_t b = 0; b <= a; b++) cov[a * d + b] += da * (x[i * d + b] - mean[b]);
    }
  for (int64_t a = 0; a < d; a++)
    for (int64_t b = 0; b <= a; b++) cov[b * d + a] = cov[a * d + b] /= (double)n;
  int nn = (int)d, lda = (int)d, info = 0, lwork = -1;
  double query;
  dsyev_("V", "U", &nn, cov, &lda, eig, &query, &lwork, &info, 1, 1);
  lwork = (int)query;
  work = malloc((size_t)lwork * sizeof *work);
  STRATA_FAIL_IF(work == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for PCA");
  dsyev_("V", "U", &nn, cov, &lda, eig, work, &lwork, &info, 1, 1);
  STRATA_FAIL_IF(info != 0, ctx, STRATA_ERR_INTERNAL, "PCA: LAPACK dsyev failed (info %d)", info);
  /* Eigenvalues ascend; column j of the (column-major) result is eigenvector j. */
  double total = 0.0;
  for (int64_t a = 0; a < d; a++) total += eig[a] > 0 ? eig[a] : 0.0;
  for (int c = 0; c < 2; c++) {
    int64_t j = d - 1 - c;
    if (j < 0) {
      memset(axes + c * d, 0, (size_t)d * sizeof(double));
      explained[c] = 0.0;
      continue;
    }
    int64_t big = 0;
    for (int64_t a = 0; a < d; a++) {
      axes[c * d + a] = cov[j * d + a];
      if (fabs(axes[c * d + a]) > fabs(axes[c * d + big])) big = a;
    }
    if (axes[c * d + big] < 0)
      for (int64_t a = 0; a < d; a++) axes[c * d + a] = -axes[c * d + a];
    explained[c] = total > 0 ? (eig[j] > 0 ? eig[j] : 0.0) / total : 0.0;
  }
cleanup:
  free(cov);
  free(mean);
  free(eig);
  free(work);
  return st;
}
