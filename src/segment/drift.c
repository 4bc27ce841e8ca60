/* Population stability index over segment shares and over fitted feature bins; see drift.h. */
#include "segment/drift.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

double strata_psi(const double *expected, const double *actual, int64_t nb, double epsilon) {
  const double eps = epsilon > 0.0 ? epsilon : STRATA_PSI_EPSILON;
  double psi = 0.0;
  for (int64_t j = 0; j < nb; j++) {
    /* Written so that a NaN share propagates instead of being floored away. */
    double e = expected[j] < eps ? eps : expected[j];
    double a = actual[j] < eps ? eps : actual[j];
    psi += (a - e) * log(a / e);
  }
  return psi;
}

const char *strata_psi_reading(double psi, double watch, double shifted) {
  if (watch <= 0.0) watch = STRATA_PSI_WATCH;
  if (shifted <= 0.0) shifted = STRATA_PSI_SHIFTED;
  if (isnan(psi)) return "unknown";
  if (psi < watch) return "stable";
  if (psi < shifted) return "watch";
  return "shifted";
}

strata_status strata_label_shares(strata_ctx *ctx, const int32_t *labels, int64_t n, int64_t k,
                                  double *shares) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(labels == NULL || shares == NULL, ctx, STRATA_ERR_USAGE,
                 "label shares: labels and shares must not be NULL");
  STRATA_FAIL_IF(n < 1 || k < 1, ctx, STRATA_ERR_USAGE,
                 "label shares: n = %lld and k = %lld must be at least 1", (long long)n,
                 (long long)k);
  for (int64_t c = 0; c < k; c++) shares[c] = 0.0;
  for (int64_t i = 0; i < n; i++) {
    STRATA_FAIL_IF(labels[i] < 0 || labels[i] >= k, ctx, STRATA_ERR_DATA,
                   "label shares: label %d of row %lld is outside [0, k = %lld)", (int)labels[i],
                   (long long)i, (long long)k);
    shares[labels[i]] += 1.0;
  }
  for (int64_t c = 0; c < k; c++) shares[c] /= (double)n;
cleanup:
  return st;
}

void strata_psi_bins_free(strata_psi_bins *b) {
  if (b == NULL) return;
  strata_free(b->edges);
  strata_free(b->shares);
  strata_free(b);
}

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* Number of edges[0..ne) strictly below x: the right-closed numeric bin of x. */
static int64_t numeric_bin(const double *edges, int64_t ne, double x) {
  int64_t lo = 0, hi = ne;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (edges[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Index of level x among levels[0..nl), or nl (the unseen-level bin). */
static int64_t level_bin(const double *levels, int64_t nl, double x) {
  int64_t lo = numeric_bin(levels, nl, x);
  return lo < nl && levels[lo] == x ? lo : nl;
}

static strata_status check_values(strata_ctx *ctx, const double *values, int64_t n,
                                  const char *what) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(values == NULL, ctx, STRATA_ERR_USAGE, "%s: values must not be NULL", what);
  STRATA_FAIL_IF(n < 1, ctx, STRATA_ERR_USAGE, "%s: n = %lld values, need at least 1", what,
                 (long long)n);
  for (int64_t i = 0; i < n; i++)
    STRATA_FAIL_IF(!isfinite(values[i]), ctx, STRATA_ERR_DATA,
                   "%s: value of row %lld is not finite", what, (long long)i);
cleanup:
  return st;
}

strata_status strata_psi_bins_shares(strata_ctx *ctx, const strata_psi_bins *b,
                                     const double *values, int64_t n, double *shares) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(b == NULL || shares == NULL, ctx, STRATA_ERR_USAGE,
                 "PSI bins: bins and shares must not be NULL");
  STRATA_TRY(check_values(ctx, values, n, "PSI bins"));
  const int64_t ne = b->nb - 1;
  for (int64_t j = 0; j < b->nb; j++) shares[j] = 0.0;
  for (int64_t i = 0; i < n; i++) {
    int64_t bin =
        b->categorical ? level_bin(b->edges, ne, values[i]) : numeric_bin(b->edges, ne, values[i]);
    shares[bin] += 1.0;
  }
  for (int64_t j = 0; j < b->nb; j++) shares[j] /= (double)n;
cleanup:
  return st;
}

strata_status strata_psi_bins_compare(strata_ctx *ctx, const strata_psi_bins *b,
                                      const double *values, int64_t n, double epsilon,
                                      double *psi) {
  strata_status st = STRATA_OK;
  double *actual = NULL;
  STRATA_FAIL_IF(b == NULL || psi == NULL, ctx, STRATA_ERR_USAGE,
                 "PSI compare: bins and psi must not be NULL");
  STRATA_TRY(strata_alloc(ctx, (size_t)b->nb, sizeof *actual, "PSI shares", (void **)&actual));
  STRATA_TRY(strata_psi_bins_shares(ctx, b, values, n, actual));
  *psi = strata_psi(b->shares, actual, b->nb, epsilon);
cleanup:
  strata_free(actual);
  return st;
}

/* Sorted copy of the values, after checking them. */
static strata_status sorted_copy(strata_ctx *ctx, const double *values, int64_t n, const char *what,
                                 double **out) {
  strata_status st = STRATA_OK;
  double *s = NULL;
  STRATA_TRY(check_values(ctx, values, n, what));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof *s, "PSI sorted values", (void **)&s));
  memcpy(s, values, (size_t)n * sizeof *s);
  qsort(s, (size_t)n, sizeof *s, cmp_double);
  *out = s;
  s = NULL;
cleanup:
  strata_free(s);
  return st;
}

static strata_status new_bins(strata_ctx *ctx, int categorical, int64_t nb, strata_psi_bins **out) {
  strata_status st = STRATA_OK;
  strata_psi_bins *b = NULL;
  STRATA_TRY(strata_calloc(ctx, 1, sizeof *b, "PSI bins", (void **)&b));
  b->categorical = categorical;
  b->nb = nb;
  /* One spare slot so that nb = 1 (no edges) still allocates. */
  STRATA_TRY(strata_alloc(ctx, (size_t)nb, sizeof(double), "PSI edges", (void **)&b->edges));
  STRATA_TRY(strata_calloc(ctx, (size_t)nb, sizeof(double), "PSI shares", (void **)&b->shares));
  *out = b;
  b = NULL;
cleanup:
  strata_psi_bins_free(b);
  return st;
}

strata_status strata_psi_bins_fit(strata_ctx *ctx, const double *values, int64_t n, int64_t bins,
                                  strata_psi_bins **out) {
  strata_status st = STRATA_OK;
  double *s = NULL, *edges = NULL;
  strata_psi_bins *b = NULL;
  STRATA_FAIL_IF(out == NULL, ctx, STRATA_ERR_USAGE, "PSI bins fit: out is NULL");
  *out = NULL;
  if (bins == 0) bins = STRATA_PSI_BINS;
  /* The bound keeps j * n within int64 for any n below 2^43. */
  STRATA_FAIL_IF(bins < 1 || bins > 1000000, ctx, STRATA_ERR_USAGE,
                 "PSI bins fit: bins = %lld must be in [1, 1000000]", (long long)bins);
  STRATA_TRY(sorted_copy(ctx, values, n, "PSI bins fit", &s));
  STRATA_TRY(strata_alloc(ctx, (size_t)bins, sizeof *edges, "PSI edges", (void **)&edges));
  const double max = s[n - 1];
  int64_t ne = 0;
  for (int64_t j = 1; j < bins; j++) {
    /* Sorted row ceil(j n / bins), 1-based, in integers: exact at every boundary. */
    int64_t idx = (j * n + bins - 1) / bins - 1;
    double e = s[idx];
    /* Increasing candidates: a tie is equal to the last kept edge. An edge at the maximum
     * would leave its upper bin empty in training, so it is dropped. */
    if (e == max) break;
    if (ne > 0 && e == edges[ne - 1]) continue;
    edges[ne++] = e;
  }
  STRATA_TRY(new_bins(ctx, 0, ne + 1, &b));
  if (ne > 0) memcpy(b->edges, edges, (size_t)ne * sizeof *edges);
  STRATA_TRY(strata_psi_bins_shares(ctx, b, values, n, b->shares));
  *out = b;
  b = NULL;
cleanup:
  strata_free(s);
  strata_free(edges);
  strata_psi_bins_free(b);
  return st;
}

strata_status strata_psi_levels_fit(strata_ctx *ctx, const double *values, int64_t n,
                                    strata_psi_bins **out) {
  strata_status st = STRATA_OK;
  double *s = NULL;
  strata_psi_bins *b = NULL;
  STRATA_FAIL_IF(out == NULL, ctx, STRATA_ERR_USAGE, "PSI levels fit: out is NULL");
  *out = NULL;
  STRATA_TRY(sorted_copy(ctx, values, n, "PSI levels fit", &s));
  int64_t nl = 1;
  for (int64_t i = 1; i < n; i++) nl += s[i] != s[i - 1];
  STRATA_TRY(new_bins(ctx, 1, nl + 1, &b));
  /* Runs of the sorted copy are the levels and their counts. */
  int64_t l = 0;
  b->edges[0] = s[0];
  b->shares[0] = 1.0;
  for (int64_t i = 1; i < n; i++) {
    if (s[i] != s[i - 1]) b->edges[++l] = s[i];
    b->shares[l] += 1.0;
  }
  for (int64_t j = 0; j < nl; j++) b->shares[j] /= (double)n;
  b->shares[nl] = 0.0;
  *out = b;
  b = NULL;
cleanup:
  strata_free(s);
  strata_psi_bins_free(b);
  return st;
}

strata_status strata_psi_bins_from(strata_ctx *ctx, int categorical, const double *edges,
                                   const double *shares, int64_t nb, strata_psi_bins **out) {
  strata_status st = STRATA_OK;
  strata_psi_bins *b = NULL;
  STRATA_FAIL_IF(out == NULL || shares == NULL || (nb > 1 && edges == NULL), ctx, STRATA_ERR_USAGE,
                 "PSI bins: edges, shares and out must not be NULL");
  *out = NULL;
  STRATA_FAIL_IF(nb < 1, ctx, STRATA_ERR_USAGE, "PSI bins: nb = %lld, need at least 1",
                 (long long)nb);
  for (int64_t j = 0; j + 1 < nb; j++) {
    STRATA_FAIL_IF(!isfinite(edges[j]), ctx, STRATA_ERR_DATA, "PSI bins: edge %lld is not finite",
                   (long long)j);
    STRATA_FAIL_IF(j > 0 && !(edges[j] > edges[j - 1]), ctx, STRATA_ERR_DATA,
                   "PSI bins: edge %lld (%g) does not exceed edge %lld (%g)", (long long)j,
                   edges[j], (long long)(j - 1), edges[j - 1]);
  }
  for (int64_t j = 0; j < nb; j++)
    STRATA_FAIL_IF(!(shares[j] >= 0.0 && isfinite(shares[j])), ctx, STRATA_ERR_DATA,
                   "PSI bins: share %lld (%g) is negative or not finite", (long long)j, shares[j]);
  STRATA_TRY(new_bins(ctx, categorical != 0, nb, &b));
  if (nb > 1) memcpy(b->edges, edges, (size_t)(nb - 1) * sizeof *edges);
  memcpy(b->shares, shares, (size_t)nb * sizeof *shares);
  *out = b;
  b = NULL;
cleanup:
  strata_psi_bins_free(b);
  return st;
}
