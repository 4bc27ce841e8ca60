/* Hennig's cluster-wise Jaccard bootstrap (segment/stability.h): well-separated blobs are
 * stable under a tiny weighted k-means, an arbitrary split of one blob is not; every Jaccard
 * and Rand value equals a brute-force set computation on the rows the callback was given;
 * resamples are what clusterboot draws (bootstrap distinct share near 1 - 1/e, subsample of
 * exactly floor(fraction n) rows); same seed, same calls and numbers; errors name the row. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/rng.h"
#include "segment/agreement.h"
#include "segment/stability.h"
#include "test_support.h"

/* ---- a tiny weighted k-means of 2-d points: the re-clustering under test */
typedef struct {
  const double *x; /* n x 2 */
  int64_t n;
  /* Recording of every call, for determinism and brute-force checks. */
  int calls;
  int64_t *rows[128];
  double *weight[128];
  int32_t *labels[128];
  int64_t m[128];
  uint64_t seed[128];
} kmeans_arg;

static void record(kmeans_arg *a, const int64_t *rows, const double *weight, int64_t m,
                   uint64_t seed, const int32_t *labels) {
  if (a->calls >= 128) return;
  int c = a->calls;
  a->rows[c] = malloc(sizeof(int64_t) * (size_t)m);
  a->labels[c] = malloc(sizeof(int32_t) * (size_t)m);
  memcpy(a->rows[c], rows, sizeof(int64_t) * (size_t)m);
  memcpy(a->labels[c], labels, sizeof(int32_t) * (size_t)m);
  a->weight[c] = NULL;
  if (weight != NULL) {
    a->weight[c] = malloc(sizeof(double) * (size_t)m);
    memcpy(a->weight[c], weight, sizeof(double) * (size_t)m);
  }
  a->m[c] = m;
  a->seed[c] = seed;
}

static void forget(kmeans_arg *a) {
  int c = a->calls < 128 ? a->calls : 128;
  for (int i = 0; i < c; i++) {
    free(a->rows[i]);
    free(a->weight[i]);
    free(a->labels[i]);
  }
  a->calls = 0;
}

/* Farthest-point start from a seeded first row, then weighted Lloyd iterations. */
static strata_status kmeans_cb(strata_ctx *ctx, void *argp, const int64_t *rows,
                               const double *weight, int64_t m, int64_t k, uint64_t seed,
                               int32_t *labels) {
  (void)ctx;
  kmeans_arg *a = argp;
  double c[8][2];
  strata_rng g;
  strata_rng_init(&g, seed, 0, 0);
  int64_t first = rows[strata_rng_below(&g, (uint64_t)m)];
  c[0][0] = a->x[2 * first];
  c[0][1] = a->x[2 * first + 1];
  for (int64_t j = 1; j < k; j++) {
    double best = -1.0;
    int64_t arg = 0;
    for (int64_t i = 0; i < m; i++) {
      const double *p = a->x + 2 * rows[i];
      double dmin = INFINITY;
      for (int64_t q = 0; q < j; q++) {
        double dx = p[0] - c[q][0], dy = p[1] - c[q][1];
        if (dx * dx + dy * dy < dmin) dmin = dx * dx + dy * dy;
      }
      if (dmin > best) best = dmin, arg = rows[i];
    }
    c[j][0] = a->x[2 * arg];
    c[j][1] = a->x[2 * arg + 1];
  }
  for (int it = 0; it < 30; it++) {
    double s[8][3] = {{0}};
    for (int64_t i = 0; i < m; i++) {
      const double *p = a->x + 2 * rows[i];
      int32_t best = 0;
      double dbest = INFINITY;
      for (int64_t q = 0; q < k; q++) {
        double dx = p[0] - c[q][0], dy = p[1] - c[q][1];
        if (dx * dx + dy * dy < dbest) dbest = dx * dx + dy * dy, best = (int32_t)q;
      }
      labels[i] = best;
      double w = weight != NULL ? weight[i] : 1.0;
      s[best][0] += w * p[0];
      s[best][1] += w * p[1];
      s[best][2] += w;
    }
    for (int64_t q = 0; q < k; q++)
      if (s[q][2] > 0) c[q][0] = s[q][0] / s[q][2], c[q][1] = s[q][1] / s[q][2];
  }
  record(a, rows, weight, m, seed, labels);
  a->calls++;
  return STRATA_OK;
}

/* n points in `blobs` unit-spread blobs at distance 20 apart; row i in blob i % blobs. */
static double *make_blobs(int64_t n, int blobs, uint64_t seed) {
  double *x = malloc(sizeof(double) * 2 * (size_t)n);
  for (int64_t i = 0; i < n; i++) {
    strata_rng g;
    strata_rng_init(&g, seed, 7, (uint64_t)i);
    int b = (int)(i % blobs);
    x[2 * i] = 20.0 * b + strata_rng_normal(&g);
    x[2 * i + 1] = 20.0 * (b % 2) + strata_rng_normal(&g);
  }
  return x;
}

/* Brute force over sets: Jaccard(C ∩ X*, D) as element lists, with multiplicities when
 * weights are given (clusterboot's multipleboot + bscompare), max over D. Quadratic. */
static double brute_jaccard(const int32_t *orig, const kmeans_arg *a, int call, int32_t cseg,
                            int64_t k) {
  const int64_t m = a->m[call];
  double best = 0.0;
  for (int64_t d = 0; d < k; d++) {
    double inter = 0.0, uni = 0.0;
    for (int64_t i = 0; i < m; i++) {
      double w = a->weight[call] != NULL ? a->weight[call][i] : 1.0;
      int in_c = orig[a->rows[call][i]] == cseg, in_d = a->labels[call][i] == d;
      if (in_c && in_d) inter += w;
      if (in_c || in_d) uni += w;
    }
    double j = uni > 0 ? inter / uni : 0.0;
    if (j > best) best = j;
  }
  return best;
}

static void test_separated_blobs_are_stable(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  const int64_t n = 600, k = 3;
  double *x = make_blobs(n, 3, 11);
  int32_t *lab = malloc(sizeof(int32_t) * n);
  for (int64_t i = 0; i < n; i++) lab[i] = (int32_t)(i % 3);
  kmeans_arg a = {.x = x, .n = n};
  strata_stability_params p;
  strata_stability_params_init(&p);
  assert_int_equal(p.resamples, 100);
  p.resamples = 12;
  p.seed = 5;
  strata_stability *s = NULL;
  assert_int_equal(strata_stability_run(ctx, n, lab, k, &p, kmeans_cb, &a, &s), STRATA_OK);
  assert_int_equal(a.calls, 12);
  for (int64_t c = 0; c < k; c++) {
    assert_true(s->jaccard_mean[c] > 0.97);
    assert_string_equal(strata_stability_reading(s->jaccard_mean[c]), "highly stable");
    assert_true(s->dissolved[c] == 0.0);
    assert_true(s->recovered[c] == 1.0);
  }
  assert_true(s->ari_mean > 0.95);
  for (int b = 0; b < 12; b++) {
    /* The bootstrap's distinct rows: about 1 - 1/e of n. */
    assert_true(s->rows_used[b] > 0.58 * n && s->rows_used[b] < 0.69 * n);
    /* ARI per resample equals agreement.c's on the recorded rows (unit weights). */
    int32_t *orig = malloc(sizeof(int32_t) * (size_t)a.m[b]);
    for (int64_t i = 0; i < a.m[b]; i++) orig[i] = lab[a.rows[b][i]];
    assert_float_equal(s->ari[b], strata_adjusted_rand(orig, a.labels[b], a.m[b], k, k), 1e-12);
    free(orig);
    for (int64_t c = 0; c < k; c++)
      assert_float_equal(s->jaccard[b * k + c], brute_jaccard(lab, &a, b, (int32_t)c, k), 1e-12);
  }
  strata_stability_free(s);
  forget(&a);
  free(x);
  free(lab);
  strata_ctx_free(ctx);
}

/* Two blobs, k = 3, the first blob's rows split into segments 0 and 1 by a coin: no
 * re-clustering can recover a split that is not in the data. */
static void test_arbitrary_split_dissolves(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  const int64_t n = 600, k = 3;
  double *x = make_blobs(n, 2, 12);
  int32_t *lab = malloc(sizeof(int32_t) * n);
  for (int64_t i = 0; i < n; i++)
    lab[i] = i % 2 == 1 ? 2 : (int32_t)(strata_rng_hash(99, 0, (uint64_t)i) & 1);
  kmeans_arg a = {.x = x, .n = n};
  strata_stability_params p;
  strata_stability_params_init(&p);
  p.resamples = 10;
  p.seed = 8;
  strata_stability *s = NULL;
  assert_int_equal(strata_stability_run(ctx, n, lab, k, &p, kmeans_cb, &a, &s), STRATA_OK);
  for (int c = 0; c < 2; c++) {
    assert_true(s->jaccard_mean[c] < 0.6);
    assert_string_equal(strata_stability_reading(s->jaccard_mean[c]), "dissolved");
    assert_true(s->dissolved[c] >= 0.5);
  }
  assert_true(s->ari_mean < 0.8);
  for (int b = 0; b < 10; b++)
    for (int64_t c = 0; c < k; c++)
      assert_float_equal(s->jaccard[b * k + c], brute_jaccard(lab, &a, b, (int32_t)c, k), 1e-12);
  strata_stability_free(s);
  forget(&a);
  free(x);
  free(lab);
  strata_ctx_free(ctx);
}

/* Rows 0..3 -> new cluster 0, rows 4..5 -> 1, whatever the resample. */
static strata_status fixed_cb(strata_ctx *ctx, void *argp, const int64_t *rows,
                              const double *weight, int64_t m, int64_t k, uint64_t seed,
                              int32_t *labels) {
  (void)ctx;
  (void)k;
  for (int64_t i = 0; i < m; i++) labels[i] = rows[i] <= 3 ? 0 : 1;
  kmeans_arg *a = argp;
  record(a, rows, weight, m, seed, labels);
  a->calls++;
  return STRATA_OK;
}

/* Six rows, original {0,1,2} {3,4,5}, new {0..3} {4,5}: each resample's Jaccard by hand
 * from which rows it holds. */
static void test_tiny_example_by_hand(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  const int32_t lab[6] = {0, 0, 0, 1, 1, 1};
  kmeans_arg a = {0};
  strata_stability_params p;
  strata_stability_params_init(&p);
  p.resamples = 40;
  p.seed = 3;
  strata_stability *s = NULL;
  assert_int_equal(strata_stability_run(ctx, 6, lab, 2, &p, fixed_cb, &a, &s), STRATA_OK);
  int saw_full_c0 = 0;
  for (int b = 0; b < 40; b++) {
    int in[6] = {0};
    for (int64_t i = 0; i < a.m[b]; i++) in[a.rows[b][i]] = 1;
    int c0 = in[0] + in[1] + in[2], c1 = in[3] + in[4] + in[5];
    int d0 = c0 + in[3], d1 = in[4] + in[5];
    /* C0 ⊆ D0, so J(C0, D0) = |C0| / |D0| and J(C0, D1) = 0. */
    double j0 = d0 > 0 ? (double)c0 / d0 : 0.0;
    /* C1 meets D0 in row 3 only and contains D1. */
    double j1a = c1 + d0 - in[3] > 0 ? (double)in[3] / (c1 + d0 - in[3]) : 0.0;
    double j1b = c1 > 0 ? (double)d1 / c1 : 0.0;
    double j1 = j1a > j1b ? j1a : j1b;
    assert_float_equal(s->jaccard[2 * b], j0, 1e-15);
    assert_float_equal(s->jaccard[2 * b + 1], j1, 1e-15);
    if (c0 == 3 && in[3]) {
      assert_float_equal(s->jaccard[2 * b], 0.75, 1e-15);
      saw_full_c0 = 1;
    }
  }
  assert_true(saw_full_c0);
  double mean0 = 0.0;
  for (int b = 0; b < 40; b++) mean0 += s->jaccard[2 * b];
  assert_float_equal(s->jaccard_mean[0], mean0 / 40, 1e-15);
  strata_stability_free(s);
  forget(&a);
  strata_ctx_free(ctx);
}

/* multipleboot: weights are the draw counts (summing to n) and Jaccard counts them. */
static void test_multiple_bootstrap_weights(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  const int64_t n = 300, k = 3;
  double *x = make_blobs(n, 3, 13);
  int32_t *lab = malloc(sizeof(int32_t) * n);
  /* Segment 2 takes a few rows of blob 1: imperfect, so weighted and plain counts differ. */
  for (int64_t i = 0; i < n; i++) lab[i] = (int32_t)(i % 3 == 1 && i < 60 ? 2 : i % 3);
  kmeans_arg a = {.x = x, .n = n};
  strata_stability_params p;
  strata_stability_params_init(&p);
  p.resamples = 6;
  p.multiple = 1;
  strata_stability *s = NULL;
  assert_int_equal(strata_stability_run(ctx, n, lab, k, &p, kmeans_cb, &a, &s), STRATA_OK);
  for (int b = 0; b < 6; b++) {
    assert_non_null(a.weight[b]);
    double total = 0.0;
    for (int64_t i = 0; i < a.m[b]; i++) {
      assert_true(a.weight[b][i] >= 1.0 && a.weight[b][i] == floor(a.weight[b][i]));
      if (i > 0) assert_true(a.rows[b][i] > a.rows[b][i - 1]);
      total += a.weight[b][i];
    }
    assert_float_equal(total, (double)n, 0.0);
    for (int64_t c = 0; c < k; c++)
      assert_float_equal(s->jaccard[b * k + c], brute_jaccard(lab, &a, b, (int32_t)c, k), 1e-12);
  }
  strata_stability_free(s);
  forget(&a);
  free(x);
  free(lab);
  strata_ctx_free(ctx);
}

static void test_subsample_rows(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  const int64_t n = 201, k = 2;
  double *x = make_blobs(n, 2, 14);
  int32_t *lab = malloc(sizeof(int32_t) * n);
  for (int64_t i = 0; i < n; i++) lab[i] = (int32_t)(i % 2);
  kmeans_arg a = {.x = x, .n = n};
  strata_stability_params p;
  strata_stability_params_init(&p);
  p.method = STRATA_STABILITY_SUBSAMPLE;
  p.resamples = 8;
  p.fraction = 0.3;
  strata_stability *s = NULL;
  assert_int_equal(strata_stability_run(ctx, n, lab, k, &p, kmeans_cb, &a, &s), STRATA_OK);
  int differ = 0;
  for (int b = 0; b < 8; b++) {
    assert_int_equal(a.m[b], 60); /* floor(0.3 * 201) */
    assert_null(a.weight[b]);
    for (int64_t i = 1; i < a.m[b]; i++) assert_true(a.rows[b][i] > a.rows[b][i - 1]);
    if (b > 0 && memcmp(a.rows[b], a.rows[0], sizeof(int64_t) * 60) != 0) differ = 1;
    for (int64_t c = 0; c < k; c++) assert_true(s->jaccard[b * k + c] > 0.95);
  }
  assert_true(differ);
  strata_stability_free(s);
  forget(&a);
  free(x);
  free(lab);
  strata_ctx_free(ctx);
}

static void test_same_seed_same_calls_and_numbers(void **state) {
  (void)state;
  const int64_t n = 400, k = 3;
  double *x = make_blobs(n, 3, 15);
  int32_t *lab = malloc(sizeof(int32_t) * n);
  for (int64_t i = 0; i < n; i++) lab[i] = (int32_t)((i * 7) % 3);
  strata_stability *s[3] = {NULL, NULL, NULL};
  kmeans_arg a[3];
  for (int r = 0; r < 3; r++) {
    strata_ctx *ctx = test_ctx(r == 0 ? 1 : 2);
    memset(&a[r], 0, sizeof a[r]);
    a[r].x = x;
    a[r].n = n;
    strata_stability_params p;
    strata_stability_params_init(&p);
    p.resamples = 5;
    p.seed = r < 2 ? 42 : 43;
    assert_int_equal(strata_stability_run(ctx, n, lab, k, &p, kmeans_cb, &a[r], &s[r]), STRATA_OK);
    strata_ctx_free(ctx);
  }
  assert_int_equal(a[0].calls, a[1].calls);
  for (int b = 0; b < 5; b++) {
    assert_int_equal(a[0].m[b], a[1].m[b]);
    assert_true(a[0].seed[b] == a[1].seed[b]);
    assert_memory_equal(a[0].rows[b], a[1].rows[b], sizeof(int64_t) * (size_t)a[0].m[b]);
    assert_true(a[0].seed[b] != a[2].seed[b]);
  }
  assert_memory_equal(s[0]->jaccard, s[1]->jaccard, sizeof(double) * 5 * k);
  assert_memory_equal(s[0]->ari, s[1]->ari, sizeof(double) * 5);
  assert_memory_equal(s[0]->jaccard_mean, s[1]->jaccard_mean, sizeof(double) * k);
  assert_true(a[0].m[0] != a[2].m[0] ||
              memcmp(a[0].rows[0], a[2].rows[0], sizeof(int64_t) * (size_t)a[0].m[0]) != 0);
  for (int r = 0; r < 3; r++) {
    strata_stability_free(s[r]);
    forget(&a[r]);
  }
  free(x);
  free(lab);
}

static strata_status bad_label_cb(strata_ctx *ctx, void *argp, const int64_t *rows,
                                  const double *weight, int64_t m, int64_t k, uint64_t seed,
                                  int32_t *labels) {
  (void)ctx, (void)argp, (void)rows, (void)weight, (void)seed;
  for (int64_t i = 0; i < m; i++) labels[i] = (int32_t)(i == m - 1 ? k : 0);
  return STRATA_OK;
}

static strata_status failing_cb(strata_ctx *ctx, void *argp, const int64_t *rows,
                                const double *weight, int64_t m, int64_t k, uint64_t seed,
                                int32_t *labels) {
  (void)argp, (void)rows, (void)weight, (void)m, (void)k, (void)seed, (void)labels;
  return strata_fail(ctx, STRATA_ERR_NOT_CONVERGED, "test callback gave up");
}

static void test_errors_name_the_fault(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  int32_t lab[10] = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  strata_stability *s = NULL;
  kmeans_arg a = {0};
  lab[7] = 2;
  assert_int_equal(strata_stability_run(ctx, 10, lab, 2, NULL, fixed_cb, &a, &s), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 7"));
  assert_null(s);
  lab[7] = 1;
  assert_int_equal(strata_stability_run(ctx, 10, lab, 2, NULL, bad_label_cb, NULL, &s),
                   STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "resample 0"));
  assert_int_equal(strata_stability_run(ctx, 10, lab, 2, NULL, failing_cb, NULL, &s),
                   STRATA_ERR_NOT_CONVERGED);
  assert_non_null(strstr(strata_ctx_error(ctx), "gave up"));
  strata_stability_params p;
  strata_stability_params_init(&p);
  p.method = STRATA_STABILITY_SUBSAMPLE;
  p.fraction = 1.0;
  assert_int_equal(strata_stability_run(ctx, 10, lab, 2, &p, fixed_cb, &a, &s), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "fraction"));
  p.fraction = 0.15; /* one row of ten: fewer than k */
  assert_int_equal(strata_stability_run(ctx, 10, lab, 2, &p, fixed_cb, &a, &s), STRATA_ERR_USAGE);
  assert_int_equal(strata_stability_run(ctx, 10, lab, 11, NULL, fixed_cb, &a, &s),
                   STRATA_ERR_USAGE);
  assert_null(s);
  forget(&a);
  strata_ctx_free(ctx);
}

/* One row, one segment: a single-row resample every time, no pairs, ARI 1 by convention. */
static void test_single_row(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  const int32_t lab[1] = {0};
  kmeans_arg a = {0};
  strata_stability_params p;
  strata_stability_params_init(&p);
  p.resamples = 3;
  strata_stability *s = NULL;
  assert_int_equal(strata_stability_run(ctx, 1, lab, 1, &p, fixed_cb, &a, &s), STRATA_OK);
  assert_float_equal(s->jaccard_mean[0], 1.0, 0.0);
  assert_float_equal(s->ari_mean, 1.0, 0.0);
  assert_int_equal(s->rows_used[2], 1);
  strata_stability_free(s);
  forget(&a);
  strata_ctx_free(ctx);
}

static void test_readings(void **state) {
  (void)state;
  assert_string_equal(strata_stability_reading(0.59), "dissolved");
  assert_string_equal(strata_stability_reading(0.6), "pattern");
  assert_string_equal(strata_stability_reading(0.74), "pattern");
  assert_string_equal(strata_stability_reading(0.75), "stable");
  assert_string_equal(strata_stability_reading(0.849), "stable");
  assert_string_equal(strata_stability_reading(0.85), "highly stable");
  assert_string_equal(strata_stability_reading(NAN), "unknown");
  strata_stability_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_separated_blobs_are_stable),
      cmocka_unit_test(test_arbitrary_split_dissolves),
      cmocka_unit_test(test_tiny_example_by_hand),
      cmocka_unit_test(test_multiple_bootstrap_weights),
      cmocka_unit_test(test_subsample_rows),
      cmocka_unit_test(test_same_seed_same_calls_and_numbers),
      cmocka_unit_test(test_errors_name_the_fault),
      cmocka_unit_test(test_single_row),
      cmocka_unit_test(test_readings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
