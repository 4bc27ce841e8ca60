/* Mini-batch k-means: thread-count invariance, recovery of known generating centres, the
 * reassignment of a centre that gets no rows, and clear errors for bad parameters. (Its
 * quality against scikit-learn's MiniBatchKMeans is checked by py_kmeans_modes.py.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "test_support.h"

static void test_minibatch_any_thread_count(void **state) {
  (void)state;
  const strata_dtype types[2] = {STRATA_F32, STRATA_F64};
  for (int ti = 0; ti < 2; ti++) {
    int64_t n = 30000, d = 6;
    void *x = test_blobs(types[ti], n, d, 12, 8.0, 2, NULL);
    double *w = malloc((size_t)n * sizeof *w);
    for (int64_t i = 0; i < n; i++) w[i] = 0.5 + (double)(i % 4);
    strata_matrix m = {x, n, d, d, types[ti]};
    for (int weighted = 0; weighted < 2; weighted++) {
      strata_kmeans_params p;
      strata_kmeans_params_init(&p);
      p.k = 12;
      p.seed = 5;
      p.algorithm = STRATA_KMEANS_MINIBATCH;
      p.batch_size = 700;
      p.weights = weighted ? w : NULL;
      strata_kmeans *models[3];
      for (int t = 0; t < 3; t++) {
        strata_ctx *ctx = test_ctx(t + 1);
        models[t] = test_kmeans_fit(ctx, &m, &p);
        strata_ctx_free(ctx);
      }
      assert_int_equal(strata_kmeans_algorithm_used(models[0]), STRATA_KMEANS_MINIBATCH);
      for (int t = 1; t < 3; t++) test_assert_same_kmeans(models[0], models[t], n);
      /* No refinement jumps for the approximation. */
      assert_int_equal(strata_kmeans_jumps(models[0]), 0);
      for (int t = 0; t < 3; t++) strata_kmeans_free(models[t]);
    }
    free(w);
    free(x);
  }
}

/* Separated blobs: every generating centre gets a mini-batch centre close to it, and the
 * inertia is within a few percent of exact k-means from the same data. */
static void test_minibatch_recovers_generating_centres(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  int64_t n = 60000, d = 4;
  const int k = 10;
  double *truth;
  double *x = test_blobs(STRATA_F64, n, d, k, 40.0, 9, &truth);
  strata_matrix m = {x, n, d, d, STRATA_F64};
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  p.k = k;
  p.refine = 0;
  strata_kmeans *exact = test_kmeans_fit(ctx, &m, &p);
  for (uint64_t seed = 0; seed < 3; seed++) {
    p.seed = seed;
    p.algorithm = STRATA_KMEANS_MINIBATCH;
    strata_kmeans *model = test_kmeans_fit(ctx, &m, &p);
    const double *c = strata_kmeans_centers(model);
    for (int j = 0; j < k; j++) {
      double best = INFINITY;
      for (int a = 0; a < k; a++) {
        double s = 0.0;
        for (int64_t t = 0; t < d; t++) s += pow(c[a * d + t] - truth[j * d + t], 2);
        if (s < best) best = s;
      }
      if (!(sqrt(best) < 0.3))
        fail_msg("seed %llu: blob %d missed by %g", (unsigned long long)seed, j, sqrt(best));
    }
    assert_true(strata_kmeans_inertia(model) <= 1.02 * strata_kmeans_inertia(exact));
    assert_true(strata_kmeans_n_iter(model) >= 1);
    strata_kmeans_free(model);
  }
  strata_kmeans_free(exact);
  free(truth);
  free(x);
  strata_ctx_free(ctx);
}

/* A centre far from every row gets no rows: with reassignment (the default) it moves onto a
 * row of a batch; with reassignment_ratio = 0 it stays where it was, as scikit-learn. */
static void test_minibatch_reassigns_empty_centre(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  int64_t n = 5000, d = 2;
  double *x = test_blobs(STRATA_F64, n, d, 3, 5.0, 4, NULL);
  double init[3 * 2] = {x[0], x[1], x[2], x[3], 1000.0, 1000.0};
  strata_matrix m = {x, n, d, d, STRATA_F64};
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  p.k = 3;
  p.algorithm = STRATA_KMEANS_MINIBATCH;
  p.init = STRATA_KMEANS_INIT_GIVEN;
  p.init_centers = init;
  p.batch_size = 256;
  strata_kmeans *moved = test_kmeans_fit(ctx, &m, &p);
  assert_true(fabs(((const double *)strata_kmeans_centers(moved))[4]) < 100.0);
  p.reassignment_ratio = 0.0;
  strata_kmeans *stuck = test_kmeans_fit(ctx, &m, &p);
  assert_true(((const double *)strata_kmeans_centers(stuck))[4] == 1000.0);
  assert_true(strata_kmeans_inertia(moved) < strata_kmeans_inertia(stuck));
  strata_kmeans_free(moved);
  strata_kmeans_free(stuck);
  free(x);
  strata_ctx_free(ctx);
}

static void test_minibatch_bad_parameters(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  double v[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  strata_matrix x = {v, 10, 2, 2, STRATA_F64};
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  p.k = 2;
  p.algorithm = STRATA_KMEANS_MINIBATCH;
  strata_kmeans *m = NULL;
  p.batch_size = 0;
  assert_int_equal(strata_kmeans_fit(ctx, &x, &p, &m), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "batch_size"));
  p.batch_size = 4;
  p.reassignment_ratio = -0.5;
  assert_int_equal(strata_kmeans_fit(ctx, &x, &p, &m), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "reassignment_ratio"));
  p.reassignment_ratio = 0.01;
  p.max_no_improvement = -1;
  assert_int_equal(strata_kmeans_fit(ctx, &x, &p, &m), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "max_no_improvement"));
  p.max_no_improvement = 10;
  p.algorithm = (strata_kmeans_algorithm)17;
  assert_int_equal(strata_kmeans_fit(ctx, &x, &p, &m), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "unknown algorithm"));
  /* A batch larger than the data is the data (drawn with replacement): still fine. */
  p.algorithm = STRATA_KMEANS_MINIBATCH;
  p.batch_size = 1000;
  assert_int_equal(strata_kmeans_fit(ctx, &x, &p, &m), STRATA_OK);
  assert_true(isfinite(strata_kmeans_inertia(m)));
  strata_kmeans_free(m);
  strata_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minibatch_any_thread_count),
      cmocka_unit_test(test_minibatch_recovers_generating_centres),
      cmocka_unit_test(test_minibatch_reassigns_empty_centre),
      cmocka_unit_test(test_minibatch_bad_parameters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
