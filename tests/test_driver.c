/* Block driver: every row is visited once, and reductions are bit-identical for any thread
 * count because partials are added in block order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/driver.h"
#include "core/rng.h"
#include "test_support.h"

typedef struct {
  const double *x;
  int *visits;
} sum_job;

static void sum_block(void *arg, int64_t block, int64_t begin, int64_t end, double *partial) {
  (void)block;
  sum_job *job = arg;
  for (int64_t i = begin; i < end; i++) {
    job->visits[i]++;
    partial[0] += job->x[i];
    partial[1] += job->x[i] * job->x[i];
  }
}

static void test_every_row_once_and_same_sum_for_any_threads(void **state) {
  (void)state;
  const int64_t n = 1000003; /* not a multiple of the block */
  double *x = malloc((size_t)n * sizeof *x);
  int *visits = calloc((size_t)n, sizeof *visits);
  for (int64_t i = 0; i < n; i++) {
    strata_rng g;
    strata_rng_init(&g, 5, 0, (uint64_t)i);
    /* Wildly different magnitudes make floating-point sums order-sensitive. */
    x[i] = strata_rng_normal(&g) * pow(10.0, (double)(i % 17) - 8.0);
  }
  sum_job job = {x, visits};
  double sums[3][2];
  const int threads[3] = {1, 2, 3};
  for (int t = 0; t < 3; t++) {
    strata_ctx *ctx = test_ctx(threads[t]);
    for (int64_t i = 0; i < n; i++) visits[i] = 0;
    assert_int_equal(strata_for_blocks(ctx, "sum", n, 4096, 2, sum_block, &job, sums[t]),
                     STRATA_OK);
    for (int64_t i = 0; i < n; i++) assert_int_equal(visits[i], 1);
    assert_true(strata_ctx_phase_count(ctx) == 1);
    strata_ctx_free(ctx);
  }
  for (int t = 1; t < 3; t++) {
    assert_memory_equal(&sums[0][0], &sums[t][0], sizeof sums[0]);
  }
  /* And the sum is right (compensated reference). */
  double s = 0, c = 0;
  for (int64_t i = 0; i < n; i++) {
    double y = x[i] - c, tsum = s + y;
    c = (tsum - s) - y;
    s = tsum;
  }
  assert_true(fabs(sums[0][0] - s) <= 1e-9 * fabs(s) + 1e-6);
  free(x);
  free(visits);
}

static void test_bad_arguments(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  assert_int_equal(strata_for_blocks(ctx, "x", 10, 0, 0, sum_block, NULL, NULL), STRATA_ERR_USAGE);
  assert_int_equal(strata_for_blocks(ctx, "x", -1, 16, 0, sum_block, NULL, NULL), STRATA_ERR_USAGE);
  /* n = 0 is no work, not an error. */
  double sum[2] = {1, 1};
  assert_int_equal(strata_for_blocks(ctx, "x", 0, 16, 2, sum_block, NULL, sum), STRATA_OK);
  assert_true(sum[0] == 0 && sum[1] == 0);
  assert_int_equal(strata_ctx_set_threads(ctx, -2), STRATA_ERR_USAGE);
  strata_ctx_free(ctx);
}

static void test_memory_budget_is_enforced(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  strata_ctx_set_memory_budget(ctx, 1 << 20);
  void *p = NULL;
  assert_int_equal(strata_alloc(ctx, 1 << 21, 1, "test matrix", &p), STRATA_ERR_BUDGET);
  assert_null(p);
  assert_non_null(strstr(strata_ctx_error(ctx), "test matrix"));
  assert_int_equal(strata_alloc(ctx, SIZE_MAX / 2, 4, "huge", &p), STRATA_ERR_BUDGET);
  assert_int_equal(strata_alloc(ctx, 1000, 8, "small", &p), STRATA_OK);
  assert_true(((uintptr_t)p % 64) == 0);
  strata_free(p);
  strata_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_row_once_and_same_sum_for_any_threads),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_memory_budget_is_enforced),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
