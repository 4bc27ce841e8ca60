/* Out-of-core k-means (strata_kmeans_fit_h5): with a memory budget smaller than the data, the
 * streamed fit equals the in-memory Lloyd fit bit for bit from the same initial centres
 * (float and double, weights, tol 0, an empty cluster to re-seed, 1 or 2 threads); the budget
 * is respected or refused with a clear error; NaN in the file is reported by row. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "test_support.h"

static void *make_blobs(strata_dtype dtype, int64_t n, int64_t d, int clusters, uint64_t seed) {
  void *x = malloc((size_t)(n * d) * strata_dtype_size(dtype));
  for (int64_t i = 0; i < n; i++) {
    strata_rng g;
    strata_rng_init(&g, seed, 2, (uint64_t)i);
    int c = (int)strata_rng_below(&g, (uint64_t)clusters);
    for (int64_t t = 0; t < d; t++) {
      double v = 3.0 * c * ((t + c) % 3 == 0) + strata_rng_normal(&g);
      if (dtype == STRATA_F32)
        ((float *)x)[i * d + t] = (float)v;
      else
        ((double *)x)[i * d + t] = v;
    }
  }
  return x;
}

static void write_file(const char *path, strata_dtype dtype, const void *x, int64_t n, int64_t d) {
  strata_ctx *ctx = test_ctx(1);
  strata_h5_writer *w = NULL;
  int64_t dims[2] = {n, d};
  assert_int_equal(strata_h5_writer_create(ctx, path, 1, &w), STRATA_OK);
  assert_int_equal(strata_h5_write(ctx, w, "/accounts/features", dtype, 2, dims, x), STRATA_OK);
  assert_int_equal(strata_h5_writer_commit(ctx, w), STRATA_OK);
  strata_ctx_free(ctx);
}

static strata_kmeans *fit_stream(strata_ctx *ctx, const char *path, strata_kmeans_params *p) {
  strata_h5_file *f = NULL;
  strata_kmeans *m = NULL;
  assert_int_equal(strata_h5_open(ctx, path, &f), STRATA_OK);
  if (strata_kmeans_fit_h5(ctx, f, "/accounts/features", p, &m) != STRATA_OK)
    fail_msg("%s", strata_ctx_error(ctx));
  strata_h5_close(f);
  return m;
}

static void test_stream_equals_in_memory(void **state) {
  (void)state;
  const strata_dtype types[2] = {STRATA_F32, STRATA_F64};
  const int64_t n = 50001, d = 5, k = 7;
  double *w = malloc((size_t)n * sizeof *w);
  for (int64_t i = 0; i < n; i++) w[i] = (double)(i % 3); /* zero weights too */
  for (int ti = 0; ti < 2; ti++) {
    void *x = make_blobs(types[ti], n, d, 6, 17 + ti);
    char path[4096];
    test_path(path, sizeof path, ti ? "stream64.h5" : "stream32.h5");
    write_file(path, types[ti], x, n, d);
    const size_t es = strata_dtype_size(types[ti]);
    /* Initial centres: rows of the data, plus (case 3) one far from everything so that its
     * cluster starts empty and is re-seeded from the farthest row. */
    void *init = malloc((size_t)(k * d) * es);
    for (int64_t j = 0; j < k; j++)
      memcpy((char *)init + j * d * es, (char *)x + (j * 977) * d * es, (size_t)d * es);
    for (int c = 0; c < 4; c++) {
      if (c == 3) {
        for (int64_t t = 0; t < d; t++) {
          if (types[ti] == STRATA_F32)
            ((float *)init)[(k - 1) * d + t] = 500.0f;
          else
            ((double *)init)[(k - 1) * d + t] = 500.0;
        }
      }
      strata_kmeans_params p;
      strata_kmeans_params_init(&p);
      p.k = k;
      p.algorithm = STRATA_KMEANS_LLOYD;
      p.refine = 0;
      p.init = STRATA_KMEANS_INIT_GIVEN;
      p.init_centers = init;
      p.weights = c == 1 ? w : NULL;
      p.tol = c == 2 ? 0.0 : 1e-4;
      strata_ctx *mem = test_ctx(2);
      strata_matrix m = {x, n, d, d, types[ti]};
      strata_kmeans *want = NULL;
      assert_int_equal(strata_kmeans_fit(mem, &m, &p, &want), STRATA_OK);
      strata_ctx_free(mem);
      if (c == 2) assert_true(strata_kmeans_n_iter(want) > 3);
      for (int threads = 1; threads <= 2; threads++) {
        strata_ctx *ctx = test_ctx(threads);
        /* A budget below the data (1 or 2 MB of rows): two 8192-row blocks per chunk. */
        strata_ctx_set_memory_budget(ctx, (uint64_t)(n * d) * es / 2);
        p.algorithm = threads == 1 ? STRATA_KMEANS_LLOYD : STRATA_KMEANS_AUTO;
        strata_kmeans *got = fit_stream(ctx, path, &p);
        assert_int_equal(strata_kmeans_algorithm_used(got), STRATA_KMEANS_LLOYD);
        test_assert_same_kmeans(want, got, n);
        strata_kmeans_free(got);
        strata_ctx_free(ctx);
      }
      strata_kmeans_free(want);
    }
    free(init);
    free(x);
  }
  free(w);
}

/* Without given centres the init runs on a seeded sample: still thread-count invariant and a
 * sound clustering (close to the in-memory fit's inertia). */
static void test_stream_sampled_init(void **state) {
  (void)state;
  const int64_t n = 40000, d = 4, k = 6;
  double *x = make_blobs(STRATA_F64, n, d, 6, 5);
  char path[4096];
  test_path(path, sizeof path, "sampled.h5");
  write_file(path, STRATA_F64, x, n, d);
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  p.k = k;
  p.seed = 3;
  strata_kmeans *models[2];
  for (int t = 0; t < 2; t++) {
    strata_ctx *ctx = test_ctx(t + 1);
    strata_ctx_set_memory_budget(ctx, (uint64_t)(n * d) * 8 / 2);
    models[t] = fit_stream(ctx, path, &p);
    strata_ctx_free(ctx);
  }
  test_assert_same_kmeans(models[0], models[1], n);
  strata_ctx *ctx = test_ctx(2);
  strata_matrix m = {x, n, d, d, STRATA_F64};
  strata_kmeans *mem = NULL;
  p.refine = 0; /* out of core has no refinement jumps */
  assert_int_equal(strata_kmeans_fit(ctx, &m, &p, &mem), STRATA_OK);
  print_message("out of core %.6g, in memory %.6g\n", strata_kmeans_inertia(models[0]),
                strata_kmeans_inertia(mem));
  assert_true(strata_kmeans_inertia(models[0]) <= 1.05 * strata_kmeans_inertia(mem));
  strata_kmeans_free(mem);
  strata_ctx_free(ctx);
  strata_kmeans_free(models[0]);
  strata_kmeans_free(models[1]);
  free(x);
}

static void test_stream_budget_and_bad_input(void **state) {
  (void)state;
  const int64_t n = 20000, d = 3;
  double *x = make_blobs(STRATA_F64, n, d, 3, 8);
  char path[4096];
  test_path(path, sizeof path, "bad.h5");
  x[12345 * d + 2] = NAN;
  write_file(path, STRATA_F64, x, n, d);
  strata_ctx *ctx = test_ctx(2);
  strata_h5_file *f = NULL;
  assert_int_equal(strata_h5_open(ctx, path, &f), STRATA_OK);
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  p.k = 3;
  strata_kmeans *m = NULL;
  assert_int_equal(strata_kmeans_fit_h5(ctx, f, "/accounts/features", &p, &m), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 12345"));
  /* Less than the labels and one block of rows: refused, naming the need. */
  strata_ctx_set_memory_budget(ctx, 100000);
  assert_int_equal(strata_kmeans_fit_h5(ctx, f, "/accounts/features", &p, &m), STRATA_ERR_BUDGET);
  assert_non_null(strstr(strata_ctx_error(ctx), "raise --memory"));
  strata_ctx_set_memory_budget(ctx, 0);
  p.algorithm = STRATA_KMEANS_MINIBATCH;
  assert_int_equal(strata_kmeans_fit_h5(ctx, f, "/accounts/features", &p, &m), STRATA_ERR_USAGE);
  p.algorithm = STRATA_KMEANS_AUTO;
  assert_int_equal(strata_kmeans_fit_h5(ctx, f, "/no/such", &p, &m), STRATA_ERR_DATA);
  p.k = n + 1;
  x[12345 * d + 2] = 0.0;
  assert_int_equal(strata_kmeans_fit_h5(ctx, f, "/accounts/features", &p, &m), STRATA_ERR_USAGE);
  assert_null(m);
  strata_h5_close(f);
  strata_ctx_free(ctx);
  free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stream_equals_in_memory),
      cmocka_unit_test(test_stream_sampled_init),
      cmocka_unit_test(test_stream_budget_and_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
