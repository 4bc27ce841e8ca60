/* k-means engine: Hamerly equals Lloyd, thread count and weights do not change results,
 * empty clusters are re-seeded, bad input is refused, and the Fränti benchmark sets are
 * solved (centroid index 0 against their ground truth). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "test_support.h"

static void test_hamerly_equals_lloyd(void **state) {
  (void)state;
  const strata_dtype types[2] = {STRATA_F32, STRATA_F64};
  const int64_t dims[3] = {2, 7, 16};
  /* k = 200: several Yinyang groups (3 of float, 6 of double centres). */
  const int64_t ks[4] = {3, 10, 40, 200};
  strata_ctx *ctx = test_ctx(2);
  for (int ti = 0; ti < 2; ti++)
    for (int di = 0; di < 3; di++)
      for (int ki = 0; ki < 4; ki++) {
        int64_t n = 6007, d = dims[di], k = ks[ki];
        void *data = test_blobs(types[ti], n, d, 12, 10.0, 100 + (uint64_t)(di * 3 + ki), NULL);
        strata_matrix x = {data, n, d, d, types[ti]};
        strata_kmeans_params p;
        strata_kmeans_params_init(&p);
        p.k = k;
        p.seed = 7;
        p.tol = 0; /* run to label convergence: the longest comparison */
        p.refine = 0;
        p.algorithm = STRATA_KMEANS_LLOYD;
        strata_kmeans *lloyd = test_kmeans_fit(ctx, &x, &p);
        p.algorithm = STRATA_KMEANS_HAMERLY;
        strata_kmeans *hamerly = test_kmeans_fit(ctx, &x, &p);
        assert_int_equal(strata_kmeans_algorithm_used(hamerly), STRATA_KMEANS_HAMERLY);
        assert_true(strata_kmeans_n_iter(lloyd) > 2);
        test_assert_same_kmeans(lloyd, hamerly, n);
        p.algorithm = STRATA_KMEANS_YINYANG;
        strata_kmeans *yinyang = test_kmeans_fit(ctx, &x, &p);
        assert_int_equal(strata_kmeans_algorithm_used(yinyang), STRATA_KMEANS_YINYANG);
        test_assert_same_kmeans(lloyd, yinyang, n);
        strata_kmeans_free(yinyang);
        /* Also when stopped by max_iter before convergence. */
        p.max_iter = 2;
        p.algorithm = STRATA_KMEANS_LLOYD;
        strata_kmeans *l2 = test_kmeans_fit(ctx, &x, &p);
        p.algorithm = STRATA_KMEANS_HAMERLY;
        strata_kmeans *h2 = test_kmeans_fit(ctx, &x, &p);
        test_assert_same_kmeans(l2, h2, n);
        p.algorithm = STRATA_KMEANS_YINYANG;
        strata_kmeans *y2 = test_kmeans_fit(ctx, &x, &p);
        test_assert_same_kmeans(l2, y2, n);
        strata_kmeans_free(y2);
        /* And with the refinement jumps, which rerun the algorithm many times. */
        p.max_iter = 300;
        p.refine = 1;
        strata_kmeans *h3 = test_kmeans_fit(ctx, &x, &p);
        p.algorithm = STRATA_KMEANS_LLOYD;
        strata_kmeans *l3 = test_kmeans_fit(ctx, &x, &p);
        test_assert_same_kmeans(l3, h3, n);
        p.algorithm = STRATA_KMEANS_YINYANG;
        strata_kmeans *y3 = test_kmeans_fit(ctx, &x, &p);
        test_assert_same_kmeans(l3, y3, n);
        strata_kmeans_free(y3);
        assert_true(strata_kmeans_inertia(h3) <= strata_kmeans_inertia(hamerly));
        strata_kmeans_free(h3);
        strata_kmeans_free(l3);
        strata_kmeans_free(lloyd);
        strata_kmeans_free(hamerly);
        strata_kmeans_free(l2);
        strata_kmeans_free(h2);
        free(data);
      }
  strata_ctx_free(ctx);
}

static void test_same_result_for_any_thread_count(void **state) {
  (void)state;
  int64_t n = 50000, d = 8;
  void *data = test_blobs(STRATA_F32, n, d, 9, 10.0, 3, NULL);
  strata_matrix x = {data, n, d, d, STRATA_F32};
  for (int alg = STRATA_KMEANS_LLOYD; alg <= STRATA_KMEANS_YINYANG; alg++) {
    strata_kmeans_params p;
    strata_kmeans_params_init(&p);
    p.k = alg == STRATA_KMEANS_YINYANG ? 70 : 9; /* Yinyang: two groups */
    p.seed = 11;
    p.n_init = alg == STRATA_KMEANS_LLOYD ? 3 : 1;
    p.algorithm = (strata_kmeans_algorithm)alg;
    strata_kmeans *models[3];
    for (int t = 0; t < 3; t++) {
      strata_ctx *ctx = test_ctx(t + 1);
      models[t] = test_kmeans_fit(ctx, &x, &p);
      strata_ctx_free(ctx);
    }
    test_assert_same_kmeans(models[0], models[1], n);
    test_assert_same_kmeans(models[0], models[2], n);
    for (int t = 0; t < 3; t++) strata_kmeans_free(models[t]);
  }
  free(data);
}

/* Integer weights are the same as repeating rows (from the same initial centres). */
static void test_weights_equal_duplication(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  int64_t n = 3000, d = 5, k = 6;
  double *data = test_blobs(STRATA_F64, n, d, 6, 10.0, 21, NULL);
  double *w = malloc((size_t)n * sizeof *w);
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++) {
    w[i] = (double)(i % 3); /* 0, 1, 2: zero weights too */
    m += (int64_t)w[i];
  }
  double *dup = malloc((size_t)(m * d) * sizeof *dup);
  int64_t r = 0;
  for (int64_t i = 0; i < n; i++)
    for (int c = 0; c < (int)w[i]; c++)
      memcpy(dup + (r++) * d, data + i * d, (size_t)d * sizeof(double));
  double init[6 * 5];
  for (int j = 0; j < k; j++)
    memcpy(init + j * d, data + (j * 97 + 1) * d, (size_t)d * sizeof(double));
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  p.k = k;
  p.init = STRATA_KMEANS_INIT_GIVEN;
  p.init_centers = init;
  p.weights = w;
  strata_matrix xw = {data, n, d, d, STRATA_F64};
  strata_matrix xd = {dup, m, d, d, STRATA_F64};
  strata_kmeans *a = test_kmeans_fit(ctx, &xw, &p);
  p.weights = NULL;
  strata_kmeans *b = test_kmeans_fit(ctx, &xd, &p);
  assert_int_equal(strata_kmeans_n_iter(a), strata_kmeans_n_iter(b));
  const double *ca = strata_kmeans_centers(a), *cb = strata_kmeans_centers(b);
  for (int64_t j = 0; j < k * d; j++) assert_true(fabs(ca[j] - cb[j]) <= 1e-9 * (1 + fabs(cb[j])));
  assert_true(fabs(strata_kmeans_inertia(a) - strata_kmeans_inertia(b)) <=
              1e-9 * strata_kmeans_inertia(b));
  r = 0;
  for (int64_t i = 0; i < n; i++)
    for (int c = 0; c < (int)w[i]; c++)
      assert_int_equal(strata_kmeans_labels(a)[i], strata_kmeans_labels(b)[r++]);
  strata_kmeans_free(a);
  strata_kmeans_free(b);
  free(data);
  free(dup);
  free(w);
  strata_ctx_free(ctx);
}

/* scikit-learn's policy: an empty cluster takes the row farthest from its centre. */
static void test_empty_cluster_is_reseeded(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  double x1[5] = {0, 1, 2, 10, 11};
  double init[2] = {0, 100};
  strata_matrix x = {x1, 5, 1, 1, STRATA_F64};
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  p.k = 2;
  p.init = STRATA_KMEANS_INIT_GIVEN;
  p.init_centers = init;
  for (int alg = STRATA_KMEANS_LLOYD; alg <= STRATA_KMEANS_YINYANG; alg++) {
    p.algorithm = (strata_kmeans_algorithm)alg;
    strata_kmeans *m = test_kmeans_fit(ctx, &x, &p);
    const double *c = strata_kmeans_centers(m);
    assert_true(c[0] == 1.0 && c[1] == 10.5);
    const int32_t want[5] = {0, 0, 0, 1, 1};
    assert_memory_equal(strata_kmeans_labels(m), want, sizeof want);
    assert_true(fabs(strata_kmeans_inertia(m) - 2.5) < 1e-12);
    assert_true(strata_kmeans_converged(m));
    strata_kmeans_free(m);
  }
  strata_ctx_free(ctx);
}

/* After the first pass the centre sums are updated by the rows that change label (km_totals):
 * at strict convergence the centres must still be the exact means of their rows, in float and
 * double, with and without an emptied cluster re-seeded on the way (k = 30 on 12 blobs from
 * random rows), for every exact algorithm. The means here are summed afresh in long double. */
static void test_kept_sums_are_the_means(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  const strata_dtype types[2] = {STRATA_F32, STRATA_F64};
  for (int ti = 0; ti < 2; ti++)
    for (int64_t k = 12; k <= 30; k += 18)
      for (int alg = STRATA_KMEANS_LLOYD; alg <= STRATA_KMEANS_YINYANG; alg++) {
        const int64_t n = 20000, d = 5;
        void *data = test_blobs(types[ti], n, d, 12, 10.0, 300 + (uint64_t)k, NULL);
        strata_matrix x = {data, n, d, d, types[ti]};
        strata_kmeans_params p;
        strata_kmeans_params_init(&p);
        p.k = k;
        p.seed = 3;
        p.tol = 0;
        p.refine = 0;
        p.max_iter = 1000;
        p.init = STRATA_KMEANS_INIT_RANDOM;
        p.algorithm = (strata_kmeans_algorithm)alg;
        strata_kmeans *m = test_kmeans_fit(ctx, &x, &p);
        assert_true(strata_kmeans_converged(m));
        assert_true(strata_kmeans_n_iter(m) > 3); /* several passes of changes only */
        const int32_t *lab = strata_kmeans_labels(m);
        const void *c = strata_kmeans_centers(m);
        long double *sum = calloc((size_t)(k * d), sizeof *sum);
        int64_t *count = calloc((size_t)k, sizeof *count);
        for (int64_t i = 0; i < n; i++) {
          count[lab[i]]++;
          for (int64_t t = 0; t < d; t++) {
            const int64_t e = i * d + t;
            sum[lab[i] * d + t] += types[ti] == STRATA_F32 ? (long double)((float *)data)[e]
                                                            : (long double)((double *)data)[e];
          }
        }
        /* Centres are stored in the data's type: within its rounding of the exact mean. */
        const double tol = types[ti] == STRATA_F32 ? 1e-6 : 1e-13;
        for (int64_t j = 0; j < k; j++) {
          assert_true(count[j] > 0);
          for (int64_t t = 0; t < d; t++) {
            const double mean = (double)(sum[j * d + t] / (long double)count[j]);
            const double cj = types[ti] == STRATA_F32 ? (double)((const float *)c)[j * d + t]
                                                      : ((const double *)c)[j * d + t];
            assert_true(fabs(cj - mean) <= tol * (1.0 + fabs(mean)));
          }
        }
        free(sum);
        free(count);
        strata_kmeans_free(m);
        free(data);
      }
  strata_ctx_free(ctx);
}

static void test_predict_reproduces_labels(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  int64_t n = 20000, d = 6;
  void *data = test_blobs(STRATA_F32, n, d, 5, 10.0, 8, NULL);
  strata_matrix x = {data, n, d, d, STRATA_F32};
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  p.k = 5;
  strata_kmeans *m = test_kmeans_fit(ctx, &x, &p);
  int32_t *labels = malloc((size_t)n * sizeof *labels);
  double *dist = malloc((size_t)n * sizeof *dist);
  assert_int_equal(strata_kmeans_predict(ctx, m, &x, labels, dist), STRATA_OK);
  assert_memory_equal(labels, strata_kmeans_labels(m), (size_t)n * sizeof *labels);
  double sum = 0;
  for (int64_t i = 0; i < n; i++) sum += dist[i];
  assert_true(fabs(sum - strata_kmeans_inertia(m)) <= 1e-9 * sum);
  /* Wrong width is refused. */
  strata_matrix narrow = {data, n, d - 1, d, STRATA_F32};
  assert_int_equal(strata_kmeans_predict(ctx, m, &narrow, labels, NULL), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "features"));
  free(labels);
  free(dist);
  strata_kmeans_free(m);
  free(data);
  strata_ctx_free(ctx);
}

static void test_bad_input(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  double v[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  strata_matrix x = {v, 6, 2, 2, STRATA_F64};
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  strata_kmeans *m = NULL;
  p.k = 0;
  assert_int_equal(strata_kmeans_fit(ctx, &x, &p, &m), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "k must be >= 1"));
  p.k = 7;
  assert_int_equal(strata_kmeans_fit(ctx, &x, &p, &m), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "more than the 6 rows"));
  p.k = 2;
  strata_matrix empty = {v, 6, 0, 2, STRATA_F64};
  assert_int_equal(strata_kmeans_fit(ctx, &empty, &p, &m), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "d = 0"));
  v[7] = NAN;
  assert_int_equal(strata_kmeans_fit(ctx, &x, &p, &m), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 3, column 1 is NaN"));
  v[7] = 8;
  v[10] = -INFINITY; /* the first offender is named, whatever comes after */
  v[11] = NAN;
  assert_int_equal(strata_kmeans_fit(ctx, &x, &p, &m), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 5, column 0 is -Inf"));
  v[10] = 11;
  v[11] = 12;
  {
    float vf[12];
    for (int i = 0; i < 12; i++) vf[i] = (float)v[i];
    vf[3] = INFINITY;
    strata_matrix xf = {vf, 6, 2, 2, STRATA_F32};
    assert_int_equal(strata_kmeans_fit(ctx, &xf, &p, &m), STRATA_ERR_DATA);
    assert_non_null(strstr(strata_ctx_error(ctx), "row 1, column 1 is +Inf"));
  }
  double w[6] = {1, 1, -1, 1, 1, 1};
  p.weights = w;
  assert_int_equal(strata_kmeans_fit(ctx, &x, &p, &m), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "weight of row 2"));
  p.weights = NULL;
  p.tol = -1;
  assert_int_equal(strata_kmeans_fit(ctx, &x, &p, &m), STRATA_ERR_USAGE);
  assert_null(m);
  strata_ctx_free(ctx);
}

/* ---- Fränti's S and A sets: centroid index (Fränti & Rezaei 2014) must be 0. */

static double *read_points(const char *path, int64_t *n) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return NULL;
  int64_t cap = 1024, m = 0;
  double *p = malloc((size_t)cap * 2 * sizeof *p);
  double a, b;
  while (fscanf(f, "%lf %lf", &a, &b) == 2) {
    if (m == cap) p = realloc(p, (size_t)(cap *= 2) * 2 * sizeof *p);
    p[2 * m] = a;
    p[2 * m + 1] = b;
    m++;
  }
  fclose(f);
  *n = m;
  return p;
}

/* Orphans of a -> b: centroids of b that no centroid of a has as its nearest. */
static int orphans(const double *a, int64_t ka, const double *b, int64_t kb) {
  int *hit = calloc((size_t)kb, sizeof *hit);
  for (int64_t i = 0; i < ka; i++) {
    int64_t best = 0;
    double bd = INFINITY;
    for (int64_t j = 0; j < kb; j++) {
      double dx = a[2 * i] - b[2 * j], dy = a[2 * i + 1] - b[2 * j + 1];
      if (dx * dx + dy * dy < bd) bd = dx * dx + dy * dy, best = j;
    }
    hit[best] = 1;
  }
  int o = 0;
  for (int64_t j = 0; j < kb; j++) o += !hit[j];
  free(hit);
  return o;
}

static void test_franti_sets_centroid_index_zero(void **state) {
  (void)state;
  const char *names[] = {"s1", "s2", "s3", "s4", "a1", "a2", "a3"};
  int ran = 0;
  strata_ctx *ctx = test_ctx(2);
  for (size_t s = 0; s < sizeof names / sizeof names[0]; s++) {
    char rel[64];
    snprintf(rel, sizeof rel, "franti/uef-bkm/%s.txt", names[s]);
    const char *path = test_shared_dataset(rel);
    if (path == NULL) continue;
    int64_t n, kgt;
    double *x = read_points(path, &n);
    snprintf(rel, sizeof rel, "franti/uef-bkm/%s-gt.txt", names[s]);
    double *gt = read_points(test_shared_dataset(rel), &kgt);
    assert_non_null(x);
    assert_non_null(gt);
    strata_matrix m = {x, n, 2, 2, STRATA_F64};
    /* Defaults (auto: greedy k-means++ at these sizes), then k-means|| explicitly. */
    for (int init = 0; init < 2; init++) {
      strata_kmeans_params p;
      strata_kmeans_params_init(&p);
      p.k = kgt;
      if (init) p.init = STRATA_KMEANS_INIT_KMEANS_PARALLEL;
      strata_kmeans *model = test_kmeans_fit(ctx, &m, &p);
      const double *c = strata_kmeans_centers(model);
      int o1 = orphans(c, kgt, gt, kgt), o2 = orphans(gt, kgt, c, kgt);
      int ci = o1 > o2 ? o1 : o2;
      print_message("%s %s: n = %lld, k = %lld, CI = %d, SSE = %.5g, %d iterations\n", names[s],
                    init ? "k-means||" : "auto", (long long)n, (long long)kgt, ci,
                    strata_kmeans_inertia(model), strata_kmeans_n_iter(model));
      assert_int_equal(ci, 0);
      strata_kmeans_free(model);
    }
    free(x);
    free(gt);
    ran++;
  }
  strata_ctx_free(ctx);
  if (ran == 0) skip(); /* ../shared/datasets/franti absent */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_empty_cluster_is_reseeded),
      cmocka_unit_test(test_kept_sums_are_the_means),
      cmocka_unit_test(test_hamerly_equals_lloyd),
      cmocka_unit_test(test_same_result_for_any_thread_count),
      cmocka_unit_test(test_weights_equal_duplication),
      cmocka_unit_test(test_predict_reproduces_labels),
      cmocka_unit_test(test_franti_sets_centroid_index_zero),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
