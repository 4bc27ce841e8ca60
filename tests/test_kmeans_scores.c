/* Validity scores (strata_kmeans_scores): values on a partition small enough to score by hand,
 * thread-count invariance, the sampled silhouette near the exact one, scikit-learn's edge
 * cases and clear errors. (Agreement with scikit-learn's metrics on random data is checked by
 * py_kmeans_select.py.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "test_support.h"

static int close_to(double a, double b, double rel) {
  return fabs(a - b) <= rel * (fabs(b) > 1e-300 ? fabs(b) : 1.0);
}

/* Four points on a line in two clusters {0, 1} and {10, 12}: means 0.5 and 11, overall 5.75.
 * W = 0.25 + 0.25 + 1 + 1 = 2.5; B = 2 (5.25^2) + 2 (5.25^2) = 110.25;
 * CH = B (n - k) / (W (k - 1)) = 110.25 x 2 / 2.5 = 88.2.
 * S = (0.5, 1), M = 10.5: DB = mean over the two clusters of 1.5 / 10.5 = 1 / 7.
 * Silhouette: point 0: a = 1, b = (10 + 12) / 2 = 11, s = 10/11; point 1: a = 1, b = 10,
 * s = 9/10; point 10: a = 2, b = 9.5, s = 7.5/9.5; point 12: a = 2, b = 11.5, s = 9.5/11.5. */
static void test_scores_by_hand(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  double v[4] = {0, 1, 10, 12};
  float vf[4] = {0, 1, 10, 12};
  int32_t labels[4] = {0, 0, 1, 1};
  const double sil = (10.0 / 11 + 9.0 / 10 + 7.5 / 9.5 + 9.5 / 11.5) / 4;
  for (int f = 0; f < 2; f++) {
    strata_matrix x = {f ? (void *)vf : (void *)v, 4, 1, 1, f ? STRATA_F32 : STRATA_F64};
    strata_cluster_scores s;
    assert_int_equal(strata_kmeans_scores(ctx, &x, labels, 2, 0, 0, &s), STRATA_OK);
    assert_int_equal(s.clusters, 2);
    assert_true(close_to(s.inertia, 2.5, 1e-12));
    assert_true(close_to(s.calinski_harabasz, 88.2, 1e-12));
    assert_true(close_to(s.davies_bouldin, 1.0 / 7.0, 1e-12));
    assert_true(close_to(s.silhouette, sil, 1e-7));
    assert_int_equal(s.silhouette_rows, 4);
  }
  /* An unused label does not count as a cluster (k = 5, two present). */
  strata_matrix x = {v, 4, 1, 1, STRATA_F64};
  int32_t sparse[4] = {1, 1, 4, 4};
  strata_cluster_scores s;
  assert_int_equal(strata_kmeans_scores(ctx, &x, sparse, 5, 0, 0, &s), STRATA_OK);
  assert_int_equal(s.clusters, 2);
  assert_true(close_to(s.calinski_harabasz, 88.2, 1e-12));
  assert_true(close_to(s.silhouette, sil, 1e-12));
  strata_ctx_free(ctx);
}

/* scikit-learn's conventions: one cluster has no score (it raises; NaN here); a cluster of one
 * row has silhouette 0; identical clusters give DB 0. */
static void test_scores_edge_cases(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  double v[5] = {0, 1, 2, 3, 50};
  strata_matrix x = {v, 5, 1, 1, STRATA_F64};
  int32_t one[5] = {0, 0, 0, 0, 0};
  strata_cluster_scores s;
  assert_int_equal(strata_kmeans_scores(ctx, &x, one, 1, 0, 0, &s), STRATA_OK);
  assert_true(isnan(s.calinski_harabasz) && isnan(s.davies_bouldin) && isnan(s.silhouette));
  assert_true(close_to(s.inertia, 1886.8, 1e-12)); /* sum of (v - 11.2)^2 */
  int32_t single[5] = {0, 0, 0, 0, 1};
  assert_int_equal(strata_kmeans_scores(ctx, &x, single, 2, 0, 0, &s), STRATA_OK);
  /* Rows 0-3: a = mean distance within {0..3}, b = distance to 50; row 4 contributes 0. */
  double total = 0.0;
  for (int i = 0; i < 4; i++) {
    double a = 0.0;
    for (int j = 0; j < 4; j++) a += fabs(v[i] - v[j]);
    a /= 3.0;
    double b = 50.0 - v[i];
    total += (b - a) / (a > b ? a : b);
  }
  assert_true(close_to(s.silhouette, total / 5.0, 1e-12));
  double same[4] = {7, 7, 7, 7};
  strata_matrix xs = {same, 4, 1, 1, STRATA_F64};
  int32_t two[4] = {0, 0, 1, 1};
  assert_int_equal(strata_kmeans_scores(ctx, &xs, two, 2, 0, 0, &s), STRATA_OK);
  assert_true(s.davies_bouldin == 0.0);
  assert_true(s.calinski_harabasz == 1.0); /* W = 0: scikit-learn returns 1 */
  strata_ctx_free(ctx);
}

static void test_scores_threads_and_sample(void **state) {
  (void)state;
  int64_t n = 20000, d = 5;
  const int k = 6;
  double *x = malloc((size_t)(n * d) * sizeof *x);
  int32_t *labels = malloc((size_t)n * sizeof *labels);
  for (int64_t i = 0; i < n; i++) {
    strata_rng g;
    strata_rng_init(&g, 3, 0, (uint64_t)i);
    labels[i] = (int32_t)(i % k);
    for (int64_t t = 0; t < d; t++)
      x[i * d + t] = 4.0 * labels[i] * (t == labels[i] % d) + strata_rng_normal(&g);
  }
  strata_matrix m = {x, n, d, d, STRATA_F64};
  strata_cluster_scores s[3], full;
  for (int t = 0; t < 3; t++) {
    strata_ctx *ctx = test_ctx(t + 1);
    assert_int_equal(strata_kmeans_scores(ctx, &m, labels, k, 3000, 42, &s[t]), STRATA_OK);
    strata_ctx_free(ctx);
  }
  for (int t = 1; t < 3; t++) {
    assert_true(s[t].inertia == s[0].inertia);
    assert_true(s[t].calinski_harabasz == s[0].calinski_harabasz);
    assert_true(s[t].davies_bouldin == s[0].davies_bouldin);
    assert_true(s[t].silhouette == s[0].silhouette);
  }
  assert_int_equal(s[0].silhouette_rows, 3000);
  strata_ctx *ctx = test_ctx(2);
  assert_int_equal(strata_kmeans_scores(ctx, &m, labels, k, 0, 42, &full), STRATA_OK);
  assert_int_equal(full.silhouette_rows, n);
  /* A 3000-row sample's mean silhouette is within a few standard errors of the exact one. */
  assert_true(fabs(s[0].silhouette - full.silhouette) < 0.03);
  /* Another seed, another sample. */
  strata_cluster_scores other;
  assert_int_equal(strata_kmeans_scores(ctx, &m, labels, k, 3000, 43, &other), STRATA_OK);
  assert_true(other.silhouette != s[0].silhouette);
  assert_true(other.calinski_harabasz == s[0].calinski_harabasz);
  strata_ctx_free(ctx);
  free(x);
  free(labels);
}

static void test_scores_bad_input(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  double v[6] = {0, 1, 2, 3, 4, 5};
  strata_matrix x = {v, 6, 1, 1, STRATA_F64};
  int32_t labels[6] = {0, 1, 0, 1, 2, 0};
  strata_cluster_scores s;
  assert_int_equal(strata_kmeans_scores(ctx, &x, labels, 2, 0, 0, &s), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 4"));
  labels[4] = -1;
  assert_int_equal(strata_kmeans_scores(ctx, &x, labels, 2, 0, 0, &s), STRATA_ERR_DATA);
  labels[4] = 1;
  assert_int_equal(strata_kmeans_scores(ctx, &x, labels, 0, 0, 0, &s), STRATA_ERR_USAGE);
  assert_int_equal(strata_kmeans_scores(ctx, &x, NULL, 2, 0, 0, &s), STRATA_ERR_USAGE);
  v[3] = NAN;
  assert_int_equal(strata_kmeans_scores(ctx, &x, labels, 2, 0, 0, &s), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 3"));
  strata_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scores_by_hand),
      cmocka_unit_test(test_scores_edge_cases),
      cmocka_unit_test(test_scores_threads_and_sample),
      cmocka_unit_test(test_scores_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
