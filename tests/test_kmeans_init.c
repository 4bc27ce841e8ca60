/* k-means initialisation: greedy k-means++ picks exactly the rows of a plain reference
 * implementation of its definition (same Philox draws, same summation order) in both of its
 * data layouts and for any thread count; k-means|| is thread-count invariant, recovers the
 * generating centres of separated blobs, copes with repeated rows, and `auto` picks as
 * documented. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "kmeans/kmeans_internal.h"
#include "test_support.h"

/* Gaussian blobs around `clusters` centres drawn in [-spread, spread]^d; the centres are
 * returned in *truth (double) when truth is not NULL. */
static km_problem problem(strata_ctx *ctx, strata_dtype dtype, const void *x, int64_t n, int64_t d,
                          int64_t k, const double *w) {
  km_problem p;
  memset(&p, 0, sizeof p);
  p.ctx = ctx;
  p.kern = strata_kernels_get();
  p.dtype = dtype;
  p.x = x;
  p.n = n;
  p.d = d;
  p.ldx = d;
  p.k = k;
  p.w = w;
  p.total_weight = (double)n;
  if (w) {
    p.total_weight = 0.0;
    for (int64_t i = 0; i < n; i++) p.total_weight += w[i];
  }
  p.max_iter = 300;
  p.phase = "test";
  return p;
}

/* ---- the reference: greedy k-means++ as defined in init_tmpl.h, written plainly. Distances
 * are the kernels' sequential fma chains in the data type; every sum is a per-block sum in
 * row order, the blocks then added in order (KM_BLOCK_ROWS rows each). */
#define REF_KMEANSPP(T, FMA, sfx)                                                                 \
  static T ref_dist_##sfx(const T *a, const T *b, int64_t d) {                                    \
    T acc = 0;                                                                                    \
    for (int64_t t = 0; t < d; t++) {                                                             \
      T df = a[t] - b[t];                                                                         \
      acc = FMA(df, df, acc);                                                                     \
    }                                                                                             \
    return acc;                                                                                   \
  }                                                                                               \
  static int64_t ref_search_##sfx(const km_problem *p, const T *closest, const double *mass,      \
                                  double target) {                                                \
    int64_t nb = (p->n + KM_BLOCK_ROWS - 1) / KM_BLOCK_ROWS, b = 0;                               \
    double acc = 0.0;                                                                             \
    while (b < nb - 1 && acc + mass[b] <= target) acc += mass[b++];                               \
    int64_t end = (b + 1) * KM_BLOCK_ROWS < p->n ? (b + 1) * KM_BLOCK_ROWS : p->n, last = -1;     \
    for (int64_t i = b * KM_BLOCK_ROWS; i < end; i++) {                                           \
      double m = (p->w ? p->w[i] : 1.0) * (closest ? (double)closest[i] : 1.0);                   \
      if (m > 0.0) last = i;                                                                      \
      acc += m;                                                                                   \
      if (acc > target && m > 0.0) return i;                                                      \
    }                                                                                             \
    if (last >= 0) return last;                                                                   \
    for (int64_t i = p->n - 1; i >= 0; i--)                                                       \
      if ((p->w ? p->w[i] : 1.0) * (closest ? (double)closest[i] : 1.0) > 0.0) return i;          \
    return 0;                                                                                     \
  }                                                                                               \
  /* Per-block sums of w_i min(closest_i, D(x_i, c)) (c may be NULL: closest alone). */           \
  static void ref_masses_##sfx(const km_problem *p, const T *closest, const T *c, double *mass) { \
    const T *x = p->x;                                                                            \
    int64_t nb = (p->n + KM_BLOCK_ROWS - 1) / KM_BLOCK_ROWS;                                      \
    for (int64_t b = 0; b < nb; b++) {                                                            \
      double s = 0.0;                                                                             \
      int64_t end = (b + 1) * KM_BLOCK_ROWS < p->n ? (b + 1) * KM_BLOCK_ROWS : p->n;              \
      for (int64_t i = b * KM_BLOCK_ROWS; i < end; i++) {                                         \
        T v = closest[i];                                                                         \
        if (c) {                                                                                  \
          T dd = ref_dist_##sfx(x + i * p->d, c, p->d);                                           \
          if (dd < v) v = dd;                                                                     \
        }                                                                                         \
        s += (p->w ? p->w[i] : 1.0) * (double)v;                                                  \
      }                                                                                           \
      mass[b] = s;                                                                                \
    }                                                                                             \
  }                                                                                               \
  static void ref_kmeanspp_##sfx(const km_problem *p, uint64_t seed, int64_t trials, T *out) {    \
    const T *x = p->x;                                                                            \
    int64_t n = p->n, d = p->d, nb = (n + KM_BLOCK_ROWS - 1) / KM_BLOCK_ROWS;                     \
    T *closest = malloc((size_t)n * sizeof(T));                                                   \
    double *mass = malloc((size_t)nb * sizeof(double));                                           \
    double *cm = malloc((size_t)nb * sizeof(double));                                             \
    int64_t *rows = malloc((size_t)trials * sizeof(int64_t));                                     \
    for (int64_t b = 0; b < nb; b++) {                                                            \
      double s = 0.0;                                                                             \
      for (int64_t i = b * KM_BLOCK_ROWS; i < n && i < (b + 1) * KM_BLOCK_ROWS; i++)              \
        s += p->w ? p->w[i] : 1.0;                                                                \
      mass[b] = s;                                                                                \
    }                                                                                             \
    strata_rng g;                                                                                 \
    strata_rng_init(&g, seed, KM_STREAM_KMPP, 0);                                                 \
    int64_t first = ref_search_##sfx(p, NULL, mass, strata_rng_uniform(&g) * p->total_weight);    \
    memcpy(out, x + first * d, (size_t)d * sizeof(T));                                            \
    for (int64_t i = 0; i < n; i++) closest[i] = ref_dist_##sfx(x + i * d, out, d);               \
    ref_masses_##sfx(p, closest, NULL, mass);                                                     \
    for (int64_t c = 1; c < p->k; c++) {                                                          \
      double potential = 0.0;                                                                     \
      for (int64_t b = 0; b < nb; b++) potential += mass[b];                                      \
      strata_rng_init(&g, seed, KM_STREAM_KMPP, (uint64_t)c);                                     \
      for (int64_t t = 0; t < trials; t++)                                                        \
        rows[t] = ref_search_##sfx(p, closest, mass, strata_rng_uniform(&g) * potential);         \
      int64_t best = -1;                                                                          \
      double best_pot = 0.0;                                                                      \
      for (int64_t t = 0; t < trials; t++) {                                                      \
        ref_masses_##sfx(p, closest, x + rows[t] * d, cm);                                        \
        double pot = 0.0;                                                                         \
        for (int64_t b = 0; b < nb; b++) pot += cm[b];                                            \
        if (best < 0 || pot < best_pot) best = t, best_pot = pot;                                 \
      }                                                                                           \
      memcpy(out + c * d, x + rows[best] * d, (size_t)d * sizeof(T));                             \
      for (int64_t i = 0; i < n; i++) {                                                           \
        T dd = ref_dist_##sfx(x + i * d, out + c * d, d);                                         \
        if (dd < closest[i]) closest[i] = dd;                                                     \
      }                                                                                           \
      ref_masses_##sfx(p, closest, NULL, mass);                                                   \
    }                                                                                             \
    free(closest);                                                                                \
    free(mass);                                                                                   \
    free(cm);                                                                                     \
    free(rows);                                                                                   \
  }

REF_KMEANSPP(float, fmaf, f32)
REF_KMEANSPP(double, fma, f64)

static strata_status run_kmeanspp(const km_problem *p, uint64_t seed, int64_t trials, void *out) {
  return p->dtype == STRATA_F32 ? km_init_kmeanspp_f32(p, seed, trials, out)
                                : km_init_kmeanspp_f64(p, seed, trials, out);
}

/* Regression guard for the fused one-pass greedy k-means++ (candidates scored with the
 * previous centre folded into the same pass, lazily updated blocks, row-panel layout): it
 * must choose exactly the rows of the definition. Awkward sizes: n not a multiple of the
 * block, d = 1 and odd d, k = 1, trials from 1 to 17 (more lanes than one panel). */
static void test_kmeanspp_matches_reference(void **state) {
  (void)state;
  const strata_dtype types[2] = {STRATA_F32, STRATA_F64};
  const struct {
    int64_t n, d, k, trials;
  } cases[] = {{1, 3, 1, 3},      {9, 1, 9, 2},      {500, 2, 17, 1},  {8193, 7, 12, 4},
               {20011, 16, 9, 6}, {17000, 9, 5, 17}, {30000, 3, 40, 5}};
  for (int ti = 0; ti < 2; ti++)
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
      for (int weighted = 0; weighted < 2; weighted++) {
        int64_t n = cases[ci].n, d = cases[ci].d, k = cases[ci].k, trials = cases[ci].trials;
        void *x = test_blobs(types[ti], n, d, 6, 8.0, 40 + ci, NULL);
        double *w = NULL;
        if (weighted) {
          w = malloc((size_t)n * sizeof *w);
          for (int64_t i = 0; i < n; i++) w[i] = i % 7 == 3 ? 0.0 : 0.25 + (double)(i % 5);
        }
        size_t bytes = (size_t)(k * d) * strata_dtype_size(types[ti]);
        void *want = malloc(bytes), *got = malloc(bytes);
        strata_ctx *ctx1 = test_ctx(1);
        km_problem p = problem(ctx1, types[ti], x, n, d, k, w);
        if (types[ti] == STRATA_F32)
          ref_kmeanspp_f32(&p, 77 + ci, trials, want);
        else
          ref_kmeanspp_f64(&p, 77 + ci, trials, want);
        for (int threads = 1; threads <= 2; threads++)
          for (int layout = 0; layout < 2; layout++) {
            strata_ctx *ctx = test_ctx(threads);
            /* A budget below the packed copy of the data (about (d + 2) n elements) but above
             * every other array forces the row layout (from n ~ 17000 float, 8500 double). */
            if (layout == 1)
              strata_ctx_set_memory_budget(ctx,
                                           (uint64_t)n * strata_dtype_size(types[ti]) + 140000);
            km_problem q = problem(ctx, types[ti], x, n, d, k, w);
            memset(got, 0, bytes);
            assert_int_equal(run_kmeanspp(&q, 77 + ci, trials, got), STRATA_OK);
            if (memcmp(want, got, bytes) != 0)
              fail_msg("%s n=%lld d=%lld k=%lld trials=%lld weighted=%d threads=%d layout=%d",
                       strata_dtype_name(types[ti]), (long long)n, (long long)d, (long long)k,
                       (long long)trials, weighted, threads, layout);
            strata_ctx_free(ctx);
          }
        strata_ctx_free(ctx1);
        free(want);
        free(got);
        free(w);
        free(x);
      }
}

static void test_kmeans_parallel_any_thread_count(void **state) {
  (void)state;
  const strata_dtype types[2] = {STRATA_F32, STRATA_F64};
  for (int ti = 0; ti < 2; ti++) {
    int64_t n = 40000, d = 6, k = 30;
    void *x = test_blobs(types[ti], n, d, 25, 10.0, 5, NULL);
    double *w = malloc((size_t)n * sizeof *w);
    for (int64_t i = 0; i < n; i++) w[i] = 1.0 + (double)(i % 3);
    size_t bytes = (size_t)(k * d) * strata_dtype_size(types[ti]);
    void *first = malloc(bytes), *got = malloc(bytes);
    for (int weighted = 0; weighted < 2; weighted++)
      for (int threads = 1; threads <= 3; threads++) {
        strata_ctx *ctx = test_ctx(threads);
        km_problem p = problem(ctx, types[ti], x, n, d, k, weighted ? w : NULL);
        strata_status st = types[ti] == STRATA_F32
                               ? km_init_parallel_f32(&p, 9, 5, 0.0, 0, threads == 1 ? first : got)
                               : km_init_parallel_f64(&p, 9, 5, 0.0, 0, threads == 1 ? first : got);
        assert_int_equal(st, STRATA_OK);
        if (threads > 1) assert_memory_equal(first, got, bytes);
        strata_ctx_free(ctx);
      }
    /* And the whole fit through the public API, auto resolving to k-means||. */
    strata_matrix m = {x, n, d, d, types[ti]};
    strata_kmeans_params p;
    strata_kmeans_params_init(&p);
    p.k = k;
    p.seed = 4;
    strata_kmeans *models[2];
    for (int t = 0; t < 2; t++) {
      strata_ctx *ctx = test_ctx(t + 1);
      models[t] = test_kmeans_fit(ctx, &m, &p);
      strata_ctx_free(ctx);
    }
    assert_int_equal(strata_kmeans_init_used(models[0]), STRATA_KMEANS_INIT_KMEANS_PARALLEL);
    test_assert_same_kmeans(models[0], models[1], n);
    strata_kmeans_free(models[0]);
    strata_kmeans_free(models[1]);
    free(first);
    free(got);
    free(w);
    free(x);
  }
}

/* Separated blobs with known centres: k-means|| followed by Lloyd (no refinement jumps, so
 * that the init alone has to find every blob) puts one centre near each generating centre. */
static void test_kmeans_parallel_recovers_generating_centres(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  int64_t n = 30000, d = 5;
  const int k = 20;
  double *truth;
  double *x = test_blobs(STRATA_F64, n, d, k, 60.0, 12, &truth);
  strata_matrix m = {x, n, d, d, STRATA_F64};
  for (uint64_t seed = 0; seed < 5; seed++) {
    strata_kmeans_params p;
    strata_kmeans_params_init(&p);
    p.k = k;
    p.seed = seed;
    p.refine = 0;
    p.init = STRATA_KMEANS_INIT_KMEANS_PARALLEL;
    strata_kmeans *model = test_kmeans_fit(ctx, &m, &p);
    const double *c = strata_kmeans_centers(model);
    for (int j = 0; j < k; j++) {
      double best = INFINITY;
      for (int a = 0; a < k; a++) {
        double s = 0.0;
        for (int64_t t = 0; t < d; t++) s += pow(c[a * d + t] - truth[j * d + t], 2);
        if (s < best) best = s;
      }
      /* The mean of ~1500 unit-variance rows is within ~0.03 per coordinate. */
      if (!(sqrt(best) < 0.25))
        fail_msg("seed %llu: blob %d missed by %g", (unsigned long long)seed, j, sqrt(best));
    }
    strata_kmeans_free(model);
  }
  free(truth);
  free(x);
  strata_ctx_free(ctx);
}

/* Rows repeated many times: a row at distance 0 is never drawn again, so the candidates are
 * the distinct rows; with exactly k distinct rows every one of them must become a centre. */
static void test_kmeans_parallel_repeated_rows(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  int64_t n = 12000, d = 3;
  const int distinct = 12;
  double *x = malloc((size_t)(n * d) * sizeof *x);
  for (int64_t i = 0; i < n; i++)
    for (int64_t t = 0; t < d; t++) x[i * d + t] = (double)((i * 7) % distinct) * (t + 1);
  strata_matrix m = {x, n, d, d, STRATA_F64};
  for (int kk = distinct - 2; kk <= distinct; kk++) {
    strata_kmeans_params p;
    strata_kmeans_params_init(&p);
    p.k = kk;
    p.init = STRATA_KMEANS_INIT_KMEANS_PARALLEL;
    strata_kmeans *model = test_kmeans_fit(ctx, &m, &p);
    if (kk == distinct) assert_true(strata_kmeans_inertia(model) == 0.0);
    assert_true(isfinite(strata_kmeans_inertia(model)));
    strata_kmeans_free(model);
  }
  free(x);
  strata_ctx_free(ctx);
}

static void test_init_auto_rule_and_bad_parameters(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  int64_t n = 10000, d = 2;
  double *x = test_blobs(STRATA_F64, n, d, 20, 20.0, 3, NULL);
  const struct {
    int64_t n, k;
    strata_kmeans_init want;
  } cases[] = {{10000, 16, STRATA_KMEANS_INIT_KMEANS_PARALLEL},
               {10000, 15, STRATA_KMEANS_INIT_KMEANSPP},
               {9999, 16, STRATA_KMEANS_INIT_KMEANSPP}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    strata_matrix m = {x, cases[c].n, d, d, STRATA_F64};
    strata_kmeans_params p;
    strata_kmeans_params_init(&p);
    assert_int_equal(p.init, STRATA_KMEANS_INIT_AUTO);
    p.k = cases[c].k;
    p.max_iter = 2;
    p.refine = 0;
    strata_kmeans *model = test_kmeans_fit(ctx, &m, &p);
    assert_int_equal(strata_kmeans_init_used(model), cases[c].want);
    strata_kmeans_free(model);
  }
  strata_matrix m = {x, n, d, d, STRATA_F64};
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  p.k = 4;
  strata_kmeans *model = NULL;
  p.oversampling = -1;
  assert_int_equal(strata_kmeans_fit(ctx, &m, &p, &model), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "oversampling"));
  p.oversampling = NAN;
  assert_int_equal(strata_kmeans_fit(ctx, &m, &p, &model), STRATA_ERR_USAGE);
  p.oversampling = 0;
  p.init_rounds = -2;
  assert_int_equal(strata_kmeans_fit(ctx, &m, &p, &model), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "init_rounds"));
  p.init_rounds = 0;
  p.init = (strata_kmeans_init)99;
  assert_int_equal(strata_kmeans_fit(ctx, &m, &p, &model), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "unknown init"));
  assert_null(model);
  free(x);
  strata_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kmeanspp_matches_reference),
      cmocka_unit_test(test_kmeans_parallel_any_thread_count),
      cmocka_unit_test(test_kmeans_parallel_recovers_generating_centres),
      cmocka_unit_test(test_kmeans_parallel_repeated_rows),
      cmocka_unit_test(test_init_auto_rule_and_bad_parameters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
