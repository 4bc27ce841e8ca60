/* Drift between runs: the PSI (segment/drift.h) against a hand computation and against numpy
 * (the script below), bins under heavy ties, out-of-range and categorical values; and the
 * migration matrix (segment/migration.h) exact on a hand-made pair of runs and against a
 * brute-force join, with duplicate ids named.
 *
 * Expected numbers of test_psi_matches_numpy come from numpy 1.24 (independent of the C:
 * numpy's inverted-CDF quantiles, unique, searchsorted and bincount):
 *
 *   import numpy as np
 *   x = np.array([float(((i*7919) % 1013)//37)**2 for i in range(1000)])
 *   y = np.array([float(((i*104729) % 1009)//31)**2*1.1+3.0 for i in range(800)])
 *   def fit(x, bins):
 *       q = np.quantile(x, [j/bins for j in range(1, bins)], method='inverted_cdf')
 *       e = np.unique(q); e = e[e < x.max()]
 *       return e, np.bincount(np.searchsorted(e, x, 'left'), minlength=len(e)+1)/len(x)
 *   def psi(e, a, eps=1e-4):
 *       e = np.maximum(e, eps); a = np.maximum(a, eps); return np.sum((a-e)*np.log(a/e))
 *   e, sh = fit(x, bins); a = np.bincount(np.searchsorted(e, y, 'left'), minlength=len(e)+1)/len(y)
 *   psi(sh, a)
 *   # categorical: xc = [float((i*31) % 7 % 5) for i < 1000], yc = [float((i*17) % 9 % 6) for i <
 * 800], # levels np.unique(xc), unseen levels of yc in one extra bin of expected share 0.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "segment/agreement.h"
#include "segment/drift.h"
#include "segment/migration.h"
#include "test_support.h"

static void test_psi_by_hand(void **state) {
  (void)state;
  const double e[3] = {0.5, 0.3, 0.2}, a[3] = {0.4, 0.4, 0.2};
  /* (-0.1) ln(0.8) + 0.1 ln(4/3) = 0.1 ln(5/3) */
  assert_float_equal(strata_psi(e, a, 3, 0.0), 0.1 * log(5.0 / 3.0), 1e-15);
  assert_float_equal(strata_psi(e, a, 3, 0.0), strata_population_stability(e, a, 3), 0.0);
  /* An empty bin is floored at epsilon, not renormalised. */
  const double e2[2] = {1.0, 0.0}, a2[2] = {0.5, 0.5};
  double want = (0.5 - 1.0) * log(0.5) + (0.5 - 1e-4) * log(0.5 / 1e-4);
  assert_float_equal(strata_psi(e2, a2, 2, 1e-4), want, 1e-12);
  assert_float_equal(strata_psi(e2, a2, 2, 1e-4), strata_population_stability(e2, a2, 2), 0.0);
  want = (0.5 - 1.0) * log(0.5) + (0.5 - 1e-3) * log(0.5 / 1e-3);
  assert_float_equal(strata_psi(e2, a2, 2, 1e-3), want, 1e-12);
  assert_float_equal(strata_psi(e, e, 3, 0.0), 0.0, 0.0);
  assert_string_equal(strata_psi_reading(0.05, 0, 0), "stable");
  assert_string_equal(strata_psi_reading(0.1, 0, 0), "watch");
  assert_string_equal(strata_psi_reading(0.2499, 0, 0), "watch");
  assert_string_equal(strata_psi_reading(0.25, 0, 0), "shifted");
  assert_string_equal(strata_psi_reading(0.15, 0.2, 0.3), "stable");
  assert_string_equal(strata_psi_reading(0.35, 0.2, 0.4), "watch");
  assert_string_equal(strata_psi_reading(NAN, 0, 0), "unknown");
}

static void test_label_shares(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  const int32_t train[8] = {0, 0, 1, 1, 1, 1, 2, 2}, today[4] = {0, 1, 1, 1};
  double before[3], now[3];
  assert_int_equal(strata_label_shares(ctx, train, 8, 3, before), STRATA_OK);
  assert_int_equal(strata_label_shares(ctx, today, 4, 3, now), STRATA_OK);
  assert_float_equal(before[0], 0.25, 0.0);
  assert_float_equal(before[1], 0.5, 0.0);
  assert_float_equal(now[2], 0.0, 0.0);
  double want =
      (0.25 - 0.25) * log(1.0) + (0.75 - 0.5) * log(0.75 / 0.5) + (1e-4 - 0.25) * log(1e-4 / 0.25);
  assert_float_equal(strata_psi(before, now, 3, 0), want, 1e-12);
  const int32_t bad[3] = {0, 3, 1};
  assert_int_equal(strata_label_shares(ctx, bad, 3, 3, now), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 1"));
  strata_ctx_free(ctx);
}

static double *numpy_train(int64_t n) {
  double *x = malloc(sizeof(double) * (size_t)n);
  for (int64_t i = 0; i < n; i++) {
    double q = (double)(((i * 7919) % 1013) / 37);
    x[i] = q * q;
  }
  return x;
}

static double *numpy_new(int64_t n) {
  double *y = malloc(sizeof(double) * (size_t)n);
  for (int64_t i = 0; i < n; i++) {
    double q = (double)(((i * 104729) % 1009) / 31);
    y[i] = q * q * 1.1 + 3.0;
  }
  return y;
}

static void test_psi_matches_numpy(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  double *x = numpy_train(1000), *y = numpy_new(800);
  strata_psi_bins *b = NULL;
  assert_int_equal(strata_psi_bins_fit(ctx, x, 1000, 0, &b), STRATA_OK);
  const double edges[9] = {4, 25, 64, 100, 169, 256, 361, 441, 576};
  const double shares[10] = {0.109, 0.109, 0.11, 0.072, 0.11, 0.11, 0.11, 0.073, 0.11, 0.087};
  assert_int_equal(b->nb, 10);
  assert_int_equal(b->categorical, 0);
  for (int j = 0; j < 9; j++) assert_float_equal(b->edges[j], edges[j], 0.0);
  for (int j = 0; j < 10; j++) assert_float_equal(b->shares[j], shares[j], 1e-15);
  double psi = 0;
  assert_int_equal(strata_psi_bins_compare(ctx, b, y, 800, 0, &psi), STRATA_OK);
  assert_float_equal(psi, 0.43291017504934404, 1e-12);
  assert_string_equal(strata_psi_reading(psi, 0, 0), "shifted");
  /* Training data against its own bins: no drift. */
  assert_int_equal(strata_psi_bins_compare(ctx, b, x, 1000, 0, &psi), STRATA_OK);
  assert_float_equal(psi, 0.0, 0.0);
  strata_psi_bins_free(b);

  assert_int_equal(strata_psi_bins_fit(ctx, x, 1000, 4, &b), STRATA_OK);
  assert_int_equal(b->nb, 4);
  assert_float_equal(b->edges[0], 36, 0.0);
  assert_float_equal(b->edges[2], 400, 0.0);
  assert_int_equal(strata_psi_bins_compare(ctx, b, y, 800, 0, &psi), STRATA_OK);
  assert_float_equal(psi, 0.1608664607038997, 1e-12);
  strata_psi_bins_free(b);

  /* 40 candidate bins on 28 distinct values: ties collapse to 27 edges. */
  assert_int_equal(strata_psi_bins_fit(ctx, x, 1000, 40, &b), STRATA_OK);
  assert_int_equal(b->nb, 28);
  assert_int_equal(strata_psi_bins_compare(ctx, b, y, 800, 0, &psi), STRATA_OK);
  assert_float_equal(psi, 1.2965528317057204, 1e-12);
  strata_psi_bins_free(b);

  /* Categorical. */
  double *xc = malloc(sizeof(double) * 1000), *yc = malloc(sizeof(double) * 800);
  for (int i = 0; i < 1000; i++) xc[i] = (double)((i * 31) % 7 % 5);
  for (int i = 0; i < 800; i++) yc[i] = (double)((i * 17) % 9 % 6);
  assert_int_equal(strata_psi_levels_fit(ctx, xc, 1000, &b), STRATA_OK);
  assert_int_equal(b->categorical, 1);
  assert_int_equal(b->nb, 6);
  const double lv[5] = {0, 1, 2, 3, 4}, csh[6] = {0.286, 0.286, 0.143, 0.143, 0.142, 0.0};
  for (int j = 0; j < 5; j++) assert_float_equal(b->edges[j], lv[j], 0.0);
  for (int j = 0; j < 6; j++) assert_float_equal(b->shares[j], csh[j], 1e-15);
  double now[6];
  assert_int_equal(strata_psi_bins_shares(ctx, b, yc, 800, now), STRATA_OK);
  assert_float_equal(now[5], 0.11125, 1e-15); /* level 5 was never seen in training */
  assert_int_equal(strata_psi_bins_compare(ctx, b, yc, 800, 0, &psi), STRATA_OK);
  assert_float_equal(psi, 0.8628318204031176, 1e-12);
  strata_psi_bins_free(b);
  free(xc);
  free(yc);
  free(x);
  free(y);
  strata_ctx_free(ctx);
}

/* 70 % zeros: the seven lowest deciles are all 0 and become one bin (-inf, 0]. */
static void test_bins_heavy_ties_and_range(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  double x[100];
  for (int i = 0; i < 100; i++) x[(i * 37) % 100] = i < 70 ? 0.0 : (double)(i - 69);
  strata_psi_bins *b = NULL;
  assert_int_equal(strata_psi_bins_fit(ctx, x, 100, 10, &b), STRATA_OK);
  assert_int_equal(b->nb, 4);
  assert_float_equal(b->edges[0], 0.0, 0.0);
  assert_float_equal(b->edges[1], 10.0, 0.0);
  assert_float_equal(b->edges[2], 20.0, 0.0);
  assert_float_equal(b->shares[0], 0.7, 1e-15);
  for (int j = 1; j < 4; j++) assert_float_equal(b->shares[j], 0.1, 1e-15);
  /* Out of range goes to the end bins; an edge value to the bin it closes. */
  const double y[5] = {-5.0, 0.0, 10.0, 10.5, 1e9};
  double now[4];
  assert_int_equal(strata_psi_bins_shares(ctx, b, y, 5, now), STRATA_OK);
  assert_float_equal(now[0], 0.4, 1e-15);
  assert_float_equal(now[1], 0.2, 1e-15);
  assert_float_equal(now[2], 0.2, 1e-15);
  assert_float_equal(now[3], 0.2, 1e-15);
  strata_psi_bins_free(b);

  /* 70 % at the maximum: the candidates equal to it are dropped, no empty top bin. */
  for (int i = 0; i < 100; i++) x[i] = i < 30 ? (double)(i + 1) : 100.0;
  assert_int_equal(strata_psi_bins_fit(ctx, x, 100, 10, &b), STRATA_OK);
  assert_int_equal(b->nb, 4);
  assert_float_equal(b->edges[2], 30.0, 0.0);
  assert_float_equal(b->shares[3], 0.7, 1e-15);
  strata_psi_bins_free(b);

  /* A constant feature: one bin. */
  for (int i = 0; i < 100; i++) x[i] = 2.5;
  assert_int_equal(strata_psi_bins_fit(ctx, x, 100, 10, &b), STRATA_OK);
  assert_int_equal(b->nb, 1);
  assert_float_equal(b->shares[0], 1.0, 0.0);
  strata_psi_bins_free(b);

  /* Stored bins round-trip; bad ones are refused. */
  const double ed[2] = {1.0, 3.0}, sh[3] = {0.2, 0.5, 0.3};
  assert_int_equal(strata_psi_bins_from(ctx, 0, ed, sh, 3, &b), STRATA_OK);
  const double z[4] = {0.5, 1.0, 2.0, 7.0};
  double psi;
  assert_int_equal(strata_psi_bins_compare(ctx, b, z, 4, 0, &psi), STRATA_OK);
  double want = (0.5 - 0.2) * log(0.5 / 0.2) + (0.25 - 0.5) * log(0.25 / 0.5) +
                (0.25 - 0.3) * log(0.25 / 0.3);
  assert_float_equal(psi, want, 1e-15);
  strata_psi_bins_free(b);
  const double bad_ed[2] = {3.0, 3.0};
  assert_int_equal(strata_psi_bins_from(ctx, 0, bad_ed, sh, 3, &b), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "edge 1"));
  assert_null(b);

  x[42] = NAN;
  assert_int_equal(strata_psi_bins_fit(ctx, x, 100, 10, &b), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 42"));
  strata_ctx_free(ctx);
}

/* ---- migration */

static void test_migration_by_hand(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  const int64_t oid[6] = {50, 10, 40, 20, 30, 60};
  const int32_t olab[6] = {1, 0, 2, 0, 1, 2};
  const double oclv[6] = {5, 1, 4, 2, 3, 6};
  const char *oname[3] = {"Champions", "At Risk", "Lost"};
  const int64_t nid[7] = {30, 70, 10, 20, 80, 50, 90};
  const int32_t nlab[7] = {0, 1, 0, 2, 0, 1, 1};
  const double nclv[7] = {3.5, 7.5, 1.5, 2.5, 8.5, 5.5, 9.5};
  const char *nname[3] = {"At Risk", "Champions", "Loyal"};
  strata_run_view o = {6, oid, olab, 3, oclv, oname}, nw = {7, nid, nlab, 3, nclv, nname};
  strata_migration *m = NULL;
  assert_int_equal(strata_migration_run(ctx, &o, &nw, &m), STRATA_OK);
  /* old Champions {10, 20} -> At Risk, Loyal; old At Risk {50, 30} -> Champions, At Risk;
   * old Lost {40, 60} gone; new {70, 90} Champions, {80} At Risk. */
  const int64_t acc[16] = {1, 0, 1, 0, /**/ 1, 1, 0, 0, /**/ 0, 0, 0, 2, /**/ 1, 2, 0, 0};
  const double clv[16] = {1.5,    0, 2.5, 0,  /**/ 3.5, 5.5, 0, 0,
                          /**/ 0, 0, 0,   10, /**/ 8.5, 17,  0, 0};
  assert_memory_equal(m->accounts, acc, sizeof acc);
  for (int c = 0; c < 16; c++) assert_float_equal(m->clv[c], clv[c], 0.0);
  assert_int_equal(m->matched, 4);
  assert_int_equal(m->added, 3);
  assert_int_equal(m->gone, 2);
  assert_int_equal(m->by_name, 1);
  assert_int_equal(m->stayed, 1); /* only 30: At Risk -> At Risk */
  assert_float_equal(m->stayed_share, 0.25, 0.0);
  strata_migration_free(m);

  /* By label number (no names): 10 (0 -> 0) and 50 (1 -> 1) stay. Only old CLV: the new
   * run's columns are unknown, the gone column is known. */
  strata_run_view o2 = {6, oid, olab, 3, oclv, NULL}, n2 = {7, nid, nlab, 3, NULL, NULL};
  assert_int_equal(strata_migration_run(ctx, &o2, &n2, &m), STRATA_OK);
  assert_int_equal(m->by_name, 0);
  assert_int_equal(m->stayed, 2);
  assert_float_equal(m->stayed_share, 0.5, 0.0);
  assert_true(isnan(m->clv[0]) && isnan(m->clv[3 * 4 + 1]));
  assert_float_equal(m->clv[2 * 4 + 3], 10.0, 0.0);
  assert_float_equal(m->clv[3 * 4 + 3], 0.0, 0.0);
  strata_migration_free(m);
  o2.clv = NULL;
  assert_int_equal(strata_migration_run(ctx, &o2, &n2, &m), STRATA_OK);
  assert_null(m->clv);
  strata_migration_free(m);

  /* Duplicates: in the old run; in the new run for a matched id and for a new id. */
  const int64_t odup[6] = {50, 10, 40, 20, 10, 60};
  strata_run_view o3 = {6, odup, olab, 3, NULL, NULL};
  assert_int_equal(strata_migration_run(ctx, &o3, &n2, &m), STRATA_ERR_DATA);
  assert_non_null(
      strstr(strata_ctx_error(ctx), "id 10 appears twice in the old run (rows 1 and 4)"));
  assert_null(m);
  const int64_t ndup[7] = {30, 70, 10, 20, 80, 30, 90};
  strata_run_view n3 = {7, ndup, nlab, 3, NULL, NULL};
  assert_int_equal(strata_migration_run(ctx, &o2, &n3, &m), STRATA_ERR_DATA);
  assert_non_null(
      strstr(strata_ctx_error(ctx), "id 30 appears twice in the new run (rows 0 and 5)"));
  const int64_t ndup2[7] = {30, 70, 10, 20, 80, 50, 70};
  n3.id = ndup2;
  assert_int_equal(strata_migration_run(ctx, &o2, &n3, &m), STRATA_ERR_DATA);
  assert_non_null(
      strstr(strata_ctx_error(ctx), "id 70 appears twice in the new run (rows 1 and 6)"));
  const int32_t nbad[7] = {0, 1, 0, 3, 0, 1, 1};
  strata_run_view n4 = {7, nid, nbad, 3, NULL, NULL};
  assert_int_equal(strata_migration_run(ctx, &o2, &n4, &m), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "new run, row 3 (id 20)"));
  strata_run_view n5 = {7, nid, nlab, 4, NULL, NULL};
  assert_int_equal(strata_migration_run(ctx, &o2, &n5, &m), STRATA_ERR_USAGE);
  strata_ctx_free(ctx);
}

/* A few thousand accounts with shuffled ids against a quadratic join. */
static void test_migration_matches_brute_force(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  const int64_t no = 3000, nn = 2500, ko = 4, kn = 5;
  int64_t *oid = malloc(sizeof(int64_t) * no), *nid = malloc(sizeof(int64_t) * nn);
  int32_t *ol = malloc(sizeof(int32_t) * no), *nl = malloc(sizeof(int32_t) * nn);
  double *oc = malloc(sizeof(double) * no), *nc = malloc(sizeof(double) * nn);
  /* Old ids 3 i, new ids 2 j (shared when divisible by 6), both in shuffled order. */
  for (int64_t i = 0; i < no; i++) oid[i] = 3 * i;
  for (int64_t j = 0; j < nn; j++) nid[j] = 2 * j;
  for (int64_t i = no - 1; i > 0; i--) {
    strata_rng g;
    strata_rng_init(&g, 1, 0, (uint64_t)i);
    int64_t r = (int64_t)strata_rng_below(&g, (uint64_t)i + 1), t = oid[i];
    oid[i] = oid[r], oid[r] = t;
  }
  for (int64_t j = nn - 1; j > 0; j--) {
    strata_rng g;
    strata_rng_init(&g, 2, 0, (uint64_t)j);
    int64_t r = (int64_t)strata_rng_below(&g, (uint64_t)j + 1), t = nid[j];
    nid[j] = nid[r], nid[r] = t;
  }
  for (int64_t i = 0; i < no; i++)
    ol[i] = (int32_t)(strata_rng_hash(3, 0, i) % ko), oc[i] = (double)(i % 17);
  for (int64_t j = 0; j < nn; j++)
    nl[j] = (int32_t)(strata_rng_hash(4, 0, j) % kn), nc[j] = (double)(j % 13) + 0.5;
  const char *on[4] = {"a", "b", "c", "d"}, *nnm[5] = {"c", "x", "a", "b", "y"};
  strata_run_view o = {no, oid, ol, ko, oc, on}, nw = {nn, nid, nl, kn, nc, nnm};
  strata_migration *m = NULL;
  assert_int_equal(strata_migration_run(ctx, &o, &nw, &m), STRATA_OK);
  int64_t acc[5 * 6] = {0}, stayed = 0, matched = 0;
  double clv[5 * 6] = {0};
  char *hit = calloc((size_t)no, 1);
  for (int64_t j = 0; j < nn; j++) {
    int64_t found = -1;
    for (int64_t i = 0; i < no; i++)
      if (oid[i] == nid[j]) found = i;
    int64_t row = found >= 0 ? ol[found] : ko;
    acc[row * (kn + 1) + nl[j]]++;
    clv[row * (kn + 1) + nl[j]] += nc[j];
    if (found >= 0) {
      hit[found] = 1;
      matched++;
      if (strcmp(on[ol[found]], nnm[nl[j]]) == 0) stayed++;
    }
  }
  for (int64_t i = 0; i < no; i++)
    if (!hit[i]) acc[ol[i] * (kn + 1) + kn]++, clv[ol[i] * (kn + 1) + kn] += oc[i];
  assert_int_equal(matched, 834); /* the multiples of 6 up to 4998 */
  assert_int_equal(m->matched, matched);
  assert_int_equal(m->stayed, stayed);
  assert_int_equal(m->added, nn - matched);
  assert_int_equal(m->gone, no - matched);
  assert_memory_equal(m->accounts, acc, sizeof acc);
  /* Sums of small integers and halves: exact in any order. */
  for (int c = 0; c < 30; c++) assert_float_equal(m->clv[c], clv[c], 0.0);
  strata_migration_free(m);
  free(hit);
  free(oid), free(nid), free(ol), free(nl), free(oc), free(nc);
  strata_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_psi_by_hand),
      cmocka_unit_test(test_label_shares),
      cmocka_unit_test(test_psi_matches_numpy),
      cmocka_unit_test(test_bins_heavy_ties_and_range),
      cmocka_unit_test(test_migration_by_hand),
      cmocka_unit_test(test_migration_matches_brute_force),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
