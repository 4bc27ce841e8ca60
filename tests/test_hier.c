/* Hierarchical clustering: every kernel ISA equals the reference bit for bit over awkward
 * sizes and unaligned pointers; small trees worked by hand; results identical for any thread
 * count; Ward from vectors equals Ward on the matrix; integer weights equal duplicated rows;
 * two-stage with M = n equals exact Ward; cuts and leaf order; bad input (n < 2, NaN, unknown
 * method, over the memory budget) refused with messages naming the culprit. The comparison
 * with SciPy and fastcluster themselves is tests/py_hier_scipy.py. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "hier_kernels.h"
#include "test_support.h"

static double *random_rows(int64_t n, int64_t d, uint64_t seed) {
  double *x = malloc((size_t)(n * d) * sizeof *x);
  for (int64_t i = 0; i < n; i++) {
    strata_rng g;
    strata_rng_init(&g, seed, 3, (uint64_t)i);
    for (int64_t t = 0; t < d; t++) x[i * d + t] = strata_rng_normal(&g) + (double)(i % 5);
  }
  return x;
}

static strata_hier *fit(strata_ctx *ctx, double *x, int64_t n, int64_t d,
                        const strata_hier_params *p) {
  strata_matrix m = {x, n, d, d, STRATA_F64};
  strata_hier *h = NULL;
  if (strata_hier_fit(ctx, &m, p, &h) != STRATA_OK) fail_msg("%s", strata_ctx_error(ctx));
  return h;
}

/* ---- kernels */

static void test_kernels_match_reference(void **state) {
  (void)state;
  const strata_hier_kernels *ref = strata_hier_kernels_for(STRATA_ISA_REF);
  const int64_t dims[] = {1, 7, 8, 9, 15, 16, 17, 63, 64, 65};
  const int64_t counts[] = {1, 5, 8, 31, 33, 100};
  for (int isa = 1; isa < STRATA_ISA_COUNT; isa++) {
    const strata_hier_kernels *kt = strata_hier_kernels_for((strata_isa)isa);
    if (kt == NULL) continue;
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++)
      for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
        const int64_t d = dims[di], n = counts[ci], np = (n + 7) / 8, lanes = np * 8;
        double *x = random_rows(n, d, 100 + (uint64_t)(di * 10 + ci));
        double *packed = malloc((size_t)(np * (d + 2) * 8) * sizeof(double));
        strata_k_pack_centers_f64(n, d, x, d, packed);
        packed[lanes > 3 ? 3 : 0] = HUGE_VAL; /* a dead lane */
        /* Unaligned query: one double past an allocation start. */
        double *q = malloc((size_t)(d + 1) * sizeof(double));
        memcpy(q + 1, x + (n / 2) * d, (size_t)d * sizeof(double));
        double *r1 = malloc((size_t)lanes * sizeof(double)),
               *r2 = malloc((size_t)lanes * sizeof(double));
        ref->sqdist_row(d, q + 1, packed, 0, np, r1);
        kt->sqdist_row(d, q + 1, packed, 0, np, r2);
        assert_memory_equal(r1, r2, (size_t)lanes * sizeof(double));
        /* Symmetry: the query's own lane is exactly zero and pairs agree both ways. */
        if (n / 2 != 3) assert_true(r1[n / 2] == 0);
        /* Prim update from several starting keys. */
        double *k1 = malloc((size_t)lanes * sizeof(double)),
               *k2 = malloc((size_t)lanes * sizeof(double));
        for (int64_t j = 0; j < lanes; j++) k1[j] = k2[j] = (j % 3 == 0) ? 1.0 : HUGE_VAL;
        int64_t a1, a2;
        double b1 = ref->prim_update(d, q + 1, packed, 0, np, k1, &a1);
        double b2 = kt->prim_update(d, q + 1, packed, 0, np, k2, &a2);
        assert_true(b1 == b2);
        assert_int_equal(a1, a2);
        assert_memory_equal(k1, k2, (size_t)lanes * sizeof(double));
        /* Argmin with a mask, ties included (a repeated minimum: lowest index wins). */
        double *pen = calloc((size_t)lanes, sizeof(double));
        for (int64_t j = 0; j < lanes; j += 4) pen[j] = HUGE_VAL;
        r1[lanes - 1] = r2[lanes - 1] = -1;
        if (lanes > 2) r1[1] = r2[1] = -1;
        for (int64_t len = 1; len <= lanes; len += 7) {
          b1 = ref->argmin(len, r1, pen, &a1);
          b2 = kt->argmin(len, r2, pen, &a2);
          assert_true(b1 == b2 || (isnan(b1) && isnan(b2)));
          assert_int_equal(a1, a2);
          if (len > 1 && len <= lanes && lanes > 2) assert_int_equal(a1, 1);
        }
        /* Ward transform and Lance-Williams rows. */
        double *size = malloc((size_t)lanes * sizeof(double));
        for (int64_t j = 0; j < lanes; j++) size[j] = 1 + (double)(j % 4);
        ref->sqdist_row(d, q + 1, packed, 0, np, r1);
        kt->sqdist_row(d, q + 1, packed, 0, np, r2);
        b1 = ref->ward_argmin(lanes, r1, size, 3, &a1);
        b2 = kt->ward_argmin(lanes, r2, size, 3, &a2);
        assert_true(b1 == b2);
        assert_int_equal(a1, a2);
        assert_memory_equal(r1, r2, (size_t)lanes * sizeof(double));
        /* The fused Ward scan equals sqdist_row, the self lane set to +inf, then ward_argmin
         * (reference kernels), over sub-ranges of panels with the query's lane inside. */
        for (int64_t p0 = 0; p0 < np; p0 += 3) {
          const int64_t self = n / 2, j0 = p0 * STRATA_H_W, len = (np - p0) * STRATA_H_W;
          double *r3 = malloc((size_t)lanes * sizeof(double));
          ref->sqdist_row(d, q + 1, packed, p0, np, r1 + j0);
          if (self >= j0) r1[self] = HUGE_VAL;
          b1 = ref->ward_argmin(len, r1 + j0, size + j0, 3, &a1);
          a1 += j0;
          b2 = kt->ward_scan(d, q + 1, packed, p0, np, size, 3, self, r3, &a2);
          assert_true(b1 == b2);
          assert_int_equal(a1, a2);
          assert_memory_equal(r1 + j0, r3 + j0, (size_t)len * sizeof(double));
          b2 = ref->ward_scan(d, q + 1, packed, p0, np, size, 3, self, r3, &a2);
          assert_true(b1 == b2);
          assert_int_equal(a1, a2);
          assert_memory_equal(r1 + j0, r3 + j0, (size_t)len * sizeof(double));
          free(r3);
        }
        for (int u = 0; u < 4; u++) {
          double *ra = random_rows(1, lanes, 7 + (uint64_t)u), *b1r = random_rows(1, lanes, 9);
          double *b2r = malloc((size_t)lanes * sizeof(double));
          for (int64_t j = 0; j < lanes; j++) {
            ra[j] = fabs(ra[j]);
            b1r[j] = fabs(b1r[j]);
          }
          memcpy(b2r, b1r, (size_t)lanes * sizeof(double));
          ref->merge_row((strata_h_update)u, lanes - 1, ra + 1, b1r + 1, size + 1, 0.25, 0.75, 0.5);
          kt->merge_row((strata_h_update)u, lanes - 1, ra + 1, b2r + 1, size + 1, 0.25, 0.75, 0.5);
          assert_memory_equal(b1r, b2r, (size_t)lanes * sizeof(double));
          ref->sqrt_row(lanes - 1, b1r + 1);
          kt->sqrt_row(lanes - 1, b2r + 1);
          assert_memory_equal(b1r, b2r, (size_t)lanes * sizeof(double));
          free(ra);
          free(b1r);
          free(b2r);
        }
        free(size);
        free(pen);
        free(k1);
        free(k2);
        free(r1);
        free(r2);
        free(q);
        free(packed);
        free(x);
      }
  }
}

/* ---- small trees by hand */

static void test_points_on_a_line(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  /* 0, 1, 3, 7: single merges {0,1}@1, {01,3}@2, {013,7}@4; complete @1, @3, @7. */
  double x[4] = {0, 1, 3, 7};
  strata_hier_params p;
  strata_hier_params_init(&p);
  p.method = STRATA_HIER_SINGLE;
  strata_hier *h = fit(ctx, x, 4, 1, &p);
  const double want_single[12] = {0, 1, 1, 2, 2, 4, 2, 3, 3, 5, 4, 4};
  assert_memory_equal(strata_hier_linkage(h), want_single, sizeof want_single);
  assert_string_equal(strata_hier_algorithm(h), "mst");
  strata_hier_free(h);
  p.method = STRATA_HIER_COMPLETE;
  h = fit(ctx, x, 4, 1, &p);
  const double want_complete[12] = {0, 1, 1, 2, 2, 4, 3, 3, 3, 5, 7, 4};
  assert_memory_equal(strata_hier_linkage(h), want_complete, sizeof want_complete);
  int32_t labels[4], order[4];
  int64_t count = 0;
  assert_int_equal(strata_linkage_cut(ctx, strata_hier_linkage(h), 4, STRATA_HIER_CUT_MAXCLUST, 2,
                                      labels, &count),
                   STRATA_OK);
  assert_int_equal(count, 2);
  assert_true(labels[0] == labels[1] && labels[1] == labels[2] && labels[3] != labels[0]);
  assert_int_equal(strata_linkage_cut(ctx, strata_hier_linkage(h), 4, STRATA_HIER_CUT_MAXCLUST, 4,
                                      labels, &count),
                   STRATA_OK);
  assert_int_equal(count, 4); /* SciPy gives 2 here (its k >= n - 1 off-by-one) */
  assert_int_equal(strata_linkage_cut(ctx, strata_hier_linkage(h), 4, STRATA_HIER_CUT_MAXCLUST, 3,
                                      labels, &count),
                   STRATA_OK);
  assert_int_equal(count, 3);
  assert_int_equal(strata_linkage_cut(ctx, strata_hier_linkage(h), 4, STRATA_HIER_CUT_DISTANCE, 3.0,
                                      labels, &count),
                   STRATA_OK);
  assert_int_equal(count, 2);
  assert_int_equal(strata_linkage_leaf_order(ctx, strata_hier_linkage(h), 4, order), STRATA_OK);
  const int32_t want_order[4] = {3, 2, 0, 1};
  assert_memory_equal(order, want_order, sizeof order);
  strata_hier_free(h);
  strata_ctx_free(ctx);
}

/* Ties: a square's four sides are equal. fastcluster's rule (lowest index, chain keeps its
 * previous element) gives {0,1} first; the result is the same for every run and method path. */
static void test_ties_are_deterministic(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  double sq[8] = {0, 0, 1, 0, 1, 1, 0, 1};
  strata_hier_params p;
  strata_hier_params_init(&p);
  for (int m = 0; m < 7; m++) {
    p.method = (strata_hier_method)m;
    strata_hier *a = fit(ctx, sq, 4, 2, &p), *b = fit(ctx, sq, 4, 2, &p);
    assert_memory_equal(strata_hier_linkage(a), strata_hier_linkage(b), 12 * sizeof(double));
    const double *Z = strata_hier_linkage(a);
    assert_true(Z[0] == 0 && Z[1] == 1);
    strata_hier_free(a);
    strata_hier_free(b);
  }
  strata_ctx_free(ctx);
}

/* ---- invariances */

static void test_same_result_for_any_thread_count(void **state) {
  (void)state;
  const int64_t n = 5000, d = 6; /* rows above the parallel threshold (4096 lanes) */
  double *x = random_rows(n, d, 5);
  strata_hier_params p;
  strata_hier_params_init(&p);
  for (int m = 0; m < 7; m++) {
    p.method = (strata_hier_method)m;
    strata_ctx *c1 = test_ctx(1), *c2 = test_ctx(2);
    strata_hier *a = fit(c1, x, n, d, &p), *b = fit(c2, x, n, d, &p);
    assert_memory_equal(strata_hier_linkage(a), strata_hier_linkage(b),
                        (size_t)(n - 1) * 4 * sizeof(double));
    double ca, cb;
    strata_matrix xm = {x, n, d, d, STRATA_F64};
    assert_int_equal(strata_linkage_cophenetic(c1, strata_hier_linkage(a), &xm, &ca), STRATA_OK);
    assert_int_equal(strata_linkage_cophenetic(c2, strata_hier_linkage(a), &xm, &cb), STRATA_OK);
    assert_true(ca == cb && ca > 0 && ca <= 1);
    strata_hier_free(a);
    strata_hier_free(b);
    strata_ctx_free(c1);
    strata_ctx_free(c2);
  }
  free(x);
}

static void assert_heights_close(const double *a, const double *b, int64_t rows, double rtol) {
  for (int64_t i = 0; i < rows; i++)
    if (fabs(a[4 * i + 2] - b[4 * i + 2]) > rtol * fabs(b[4 * i + 2]))
      fail_msg("row %lld: height %.17g vs %.17g", (long long)i, a[4 * i + 2], b[4 * i + 2]);
}

static void test_ward_vector_equals_matrix(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  const int64_t n = 700, d = 9;
  double *x = random_rows(n, d, 8);
  strata_hier_params p;
  strata_hier_params_init(&p);
  strata_hier *v = fit(ctx, x, n, d, &p);
  p.ward_matrix = 1;
  strata_hier *m = fit(ctx, x, n, d, &p);
  assert_string_equal(strata_hier_algorithm(v), "nn-chain-vector");
  assert_string_equal(strata_hier_algorithm(m), "nn-chain-matrix");
  assert_heights_close(strata_hier_linkage(v), strata_hier_linkage(m), n - 1, 1e-9);
  for (int64_t i = 0; i < n - 1; i++) {
    assert_true(strata_hier_linkage(v)[4 * i] == strata_hier_linkage(m)[4 * i]);
    assert_true(strata_hier_linkage(v)[4 * i + 1] == strata_hier_linkage(m)[4 * i + 1]);
  }
  strata_hier_free(v);
  strata_hier_free(m);
  free(x);
  strata_ctx_free(ctx);
}

/* Integer weights behave as repeated rows: the duplicates merge at height 0 first, after which
 * the heights are the weighted run's (ward, centroid, average use sizes). */
static void test_weights_equal_duplicated_rows(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  const int64_t n = 60, d = 3;
  double *x = random_rows(n, d, 9), w[60];
  int64_t total = 0;
  for (int64_t i = 0; i < n; i++) total += (int64_t)(w[i] = (double)(1 + i % 3));
  double *dup = malloc((size_t)(total * d) * sizeof(double));
  int64_t r = 0;
  for (int64_t i = 0; i < n; i++)
    for (int c = 0; c < (int)w[i]; c++)
      memcpy(dup + (r++) * d, x + i * d, (size_t)d * sizeof(double));
  const strata_hier_method methods[3] = {STRATA_HIER_WARD, STRATA_HIER_CENTROID,
                                         STRATA_HIER_AVERAGE};
  for (int mi = 0; mi < 3; mi++) {
    strata_hier_params p;
    strata_hier_params_init(&p);
    p.method = methods[mi];
    strata_hier *full = fit(ctx, dup, total, d, &p);
    p.weights = w;
    strata_hier *weighted = fit(ctx, x, n, d, &p);
    const double *Zf = strata_hier_linkage(full), *Zw = strata_hier_linkage(weighted);
    double *hf = malloc((size_t)(n - 1) * sizeof(double)),
           *hw = malloc((size_t)(n - 1) * sizeof(double));
    int64_t k = 0;
    for (int64_t i = 0; i < total - 1; i++)
      if (Zf[4 * i + 2] > 0) hf[k++] = Zf[4 * i + 2];
    assert_int_equal(k, n - 1);
    for (int64_t i = 0; i < n - 1; i++) hw[i] = Zw[4 * i + 2];
    for (int64_t i = 0; i < n - 1; i++)
      if (fabs(hf[i] - hw[i]) > 1e-9 * hw[i])
        fail_msg("%s merge %lld: %.17g vs %.17g", strata_hier_method_name(methods[mi]),
                 (long long)i, hf[i], hw[i]);
    free(hf);
    free(hw);
    strata_hier_free(full);
    strata_hier_free(weighted);
  }
  free(dup);
  free(x);
  strata_ctx_free(ctx);
}

static void test_two_stage_equals_exact_at_m_equals_n(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  const int64_t n = 300, d = 4;
  double *x = random_rows(n, d, 10);
  strata_hier_params p;
  strata_hier_params_init(&p);
  strata_hier *exact = fit(ctx, x, n, d, &p);
  p.micro = n;
  strata_hier *two = fit(ctx, x, n, d, &p);
  assert_int_equal(strata_hier_leaves(two), n);
  assert_heights_close(strata_hier_linkage(two), strata_hier_linkage(exact), n - 1, 1e-12);
  int32_t la[300], lb[300];
  for (int k = 2; k <= 12; k += 5) {
    assert_int_equal(strata_hier_cut_rows(ctx, exact, STRATA_HIER_CUT_MAXCLUST, k, la, NULL),
                     STRATA_OK);
    assert_int_equal(strata_hier_cut_rows(ctx, two, STRATA_HIER_CUT_MAXCLUST, k, lb, NULL),
                     STRATA_OK);
    /* Same partition: the label pairs are a bijection. */
    int32_t map[300];
    for (int i = 0; i < 300; i++) map[i] = -1;
    for (int64_t i = 0; i < n; i++) {
      if (map[la[i]] < 0) map[la[i]] = lb[i];
      assert_int_equal(map[la[i]], lb[i]);
    }
  }
  /* And a real reduction: 1000 rows through 50 micro-clusters. */
  double *y = random_rows(1000, d, 12);
  p.micro = 50;
  strata_hier *small = fit(ctx, y, 1000, d, &p);
  assert_int_equal(strata_hier_leaves(small), 50);
  assert_int_equal(strata_hier_rows(small), 1000);
  double total = 0;
  for (int j = 0; j < 50; j++) total += strata_hier_micro_sizes(small)[j];
  assert_true(total == 1000);
  strata_hier_free(small);
  free(y);
  strata_hier_free(exact);
  strata_hier_free(two);
  free(x);
  strata_ctx_free(ctx);
}

/* ---- bad input */

static void expect_fail(strata_ctx *ctx, strata_matrix *x, strata_hier_params *p,
                        strata_status want, const char *fragment) {
  strata_hier *h = NULL;
  strata_status st = strata_hier_fit(ctx, x, p, &h);
  assert_int_equal(st, want);
  assert_null(h);
  if (strstr(strata_ctx_error(ctx), fragment) == NULL)
    fail_msg("message '%s' lacks '%s'", strata_ctx_error(ctx), fragment);
}

static void test_bad_input(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  double x[40];
  for (int i = 0; i < 40; i++) x[i] = i * 0.37;
  strata_matrix one = {x, 1, 4, 4, STRATA_F64}, ten = {x, 10, 4, 4, STRATA_F64};
  strata_hier_params p;
  strata_hier_params_init(&p);
  expect_fail(ctx, &one, &p, STRATA_ERR_USAGE, "at least 2 rows");
  p.method = (strata_hier_method)42;
  expect_fail(ctx, &ten, &p, STRATA_ERR_USAGE, "unknown linkage method");
  strata_hier_params_init(&p);
  x[13] = NAN;
  expect_fail(ctx, &ten, &p, STRATA_ERR_DATA, "row 3, column 1 is NaN");
  x[13] = 1;
  strata_hier_method m;
  assert_false(strata_hier_method_from_name("wards", &m));
  assert_true(strata_hier_method_from_name("median", &m) && m == STRATA_HIER_MEDIAN);
  /* Over the budget: refused before allocating, naming the two-stage option. */
  const int64_t n = 2000;
  double *big = random_rows(n, 2, 3);
  strata_matrix xb = {big, n, 2, 2, STRATA_F64};
  strata_ctx_set_memory_budget(ctx, 16u << 20);
  p.method = STRATA_HIER_AVERAGE;
  expect_fail(ctx, &xb, &p, STRATA_ERR_BUDGET, "--micro");
  p.micro = 100; /* and the two-stage path then fits */
  strata_hier *h = NULL;
  assert_int_equal(strata_hier_fit(ctx, &xb, &p, &h), STRATA_OK);
  strata_hier_free(h);
  p.method = STRATA_HIER_WARD; /* Ward from vectors needs no matrix */
  p.micro = 0;
  assert_int_equal(strata_hier_fit(ctx, &xb, &p, &h), STRATA_OK);
  strata_hier_free(h);
  p.micro = -3;
  expect_fail(ctx, &xb, &p, STRATA_ERR_USAGE, "--micro");
  free(big);
  /* A linkage that reuses a cluster is refused by the cuts. */
  const double badZ[8] = {0, 1, 1, 2, 0, 2, 2, 3};
  int32_t lab[3];
  assert_int_equal(strata_linkage_cut(ctx, badZ, 3, STRATA_HIER_CUT_MAXCLUST, 2, lab, NULL),
                   STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "merged twice"));
  strata_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kernels_match_reference),
      cmocka_unit_test(test_points_on_a_line),
      cmocka_unit_test(test_ties_are_deterministic),
      cmocka_unit_test(test_same_result_for_any_thread_count),
      cmocka_unit_test(test_ward_vector_equals_matrix),
      cmocka_unit_test(test_weights_equal_duplicated_rows),
      cmocka_unit_test(test_two_stage_equals_exact_at_m_equals_n),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
