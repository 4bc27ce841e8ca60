/* k-means trained on a seeded row sample (sample_rows): a sample of all the rows is the plain
 * fit bit for bit; the labels and inertia are those of every row against the fitted centres
 * (checked with strata_kmeans_predict); separated blobs are recovered from a 3 % sample with
 * an inertia within sampling error of the full fit; the result does not depend on the thread count;
 * bad sizes get clear errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

static void test_sample_of_all_rows_is_the_plain_fit(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  const int64_t n = 3000, d = 4;
  float *x = test_blobs(STRATA_F32, n, d, 6, 20.0, 3, NULL);
  strata_matrix m = {x, n, d, d, STRATA_F32};
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  p.k = 6;
  strata_kmeans *plain = test_kmeans_fit(ctx, &m, &p);
  p.sample_rows = n;
  strata_kmeans *all = test_kmeans_fit(ctx, &m, &p);
  test_assert_same_kmeans(plain, all, n);
  strata_kmeans_free(plain);
  strata_kmeans_free(all);
  free(x);
  strata_ctx_free(ctx);
}

static void test_sample_fit_labels_every_row(void **state) {
  (void)state;
  const int64_t n = 60000, d = 6;
  const int k = 12;
  double *truth;
  double *x = test_blobs(STRATA_F64, n, d, k, 50.0, 21, &truth);
  double *w = malloc((size_t)n * sizeof *w);
  for (int64_t i = 0; i < n; i++) w[i] = 0.5 + (double)(i % 3);
  strata_matrix m = {x, n, d, d, STRATA_F64};
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  p.k = k;
  p.seed = 5;
  p.weights = w;
  strata_ctx *ctx1 = test_ctx(1), *ctx2 = test_ctx(2);
  strata_kmeans *full = test_kmeans_fit(ctx2, &m, &p);
  p.sample_rows = 2000;
  strata_kmeans *one = test_kmeans_fit(ctx1, &m, &p);
  strata_kmeans *two = test_kmeans_fit(ctx2, &m, &p);
  test_assert_same_kmeans(one, two, n);

  /* Labels and inertia over every row, as prediction with the fitted centres gives them. */
  int32_t *labels = malloc((size_t)n * sizeof *labels);
  double *sq = malloc((size_t)n * sizeof *sq);
  assert_int_equal(strata_kmeans_predict(ctx2, two, &m, labels, sq), STRATA_OK);
  assert_memory_equal(labels, strata_kmeans_labels(two), (size_t)n * sizeof *labels);
  double inertia = 0.0;
  for (int64_t i = 0; i < n; i++) inertia += w[i] * sq[i];
  assert_true(fabs(inertia - strata_kmeans_inertia(two)) <= 1e-9 * inertia);

  /* Every generating centre has a fitted centre within 0.3 (unit spread, 2000 / 12 rows per
   * blob in the sample: the standard error of a centre is about 0.08 per coordinate). */
  const double *c = strata_kmeans_centers(two);
  for (int t = 0; t < k; t++) {
    double best = INFINITY;
    for (int j = 0; j < k; j++) {
      double s = 0.0;
      for (int64_t e = 0; e < d; e++) s += (c[j * d + e] - truth[t * d + e]) * (c[j * d + e] - truth[t * d + e]);
      best = fmin(best, s);
    }
    assert_true(sqrt(best) < 0.3);
  }
  /* A centre fitted on m / k rows of a blob is off by sigma^2 d k / m in expectation, so
   * the inertia exceeds the full fit's by about k / m = 0.6 %; allow three times that. */
  assert_true(strata_kmeans_inertia(two) <= (1.0 + 3.0 * k / 2000.0) * strata_kmeans_inertia(full));
  assert_true(strata_kmeans_inertia(two) >= strata_kmeans_inertia(full) * (1.0 - 1e-12));
  strata_kmeans_free(full);
  strata_kmeans_free(one);
  strata_kmeans_free(two);
  free(labels);
  free(sq);
  free(w);
  free(truth);
  free(x);
  strata_ctx_free(ctx1);
  strata_ctx_free(ctx2);
}

static void test_sample_bad_sizes(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  const int64_t n = 500, d = 2;
  double *x = test_blobs(STRATA_F64, n, d, 3, 10.0, 4, NULL);
  strata_matrix m = {x, n, d, d, STRATA_F64};
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  p.k = 10;
  strata_kmeans *model = NULL;
  p.sample_rows = 9;
  assert_int_equal(strata_kmeans_fit(ctx, &m, &p, &model), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "cannot hold k = 10"));
  p.sample_rows = -1;
  assert_int_equal(strata_kmeans_fit(ctx, &m, &p, &model), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "sample_rows"));
  assert_null(model);
  free(x);
  strata_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sample_of_all_rows_is_the_plain_fit),
      cmocka_unit_test(test_sample_fit_labels_every_row),
      cmocka_unit_test(test_sample_bad_sizes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
