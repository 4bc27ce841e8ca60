/* CLV on the CDNOW sample (2,357 customers, 39-week calibration, weeks): the RFM summary
 * against lifetimes' summary files, and the BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma
 * fits against the published estimates listed in ../shared/datasets/cdnow/README.md
 * (Fader, Hardie & Lee 2005; CLVTools' correctness tests; Fader & Hardie 2013). Skipped
 * (exit 77) when the shared data set is absent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clv/clv.h"
#include "test_support.h"

#define MAX_CUSTOMERS 3000
#define MAX_ROWS 8000

typedef struct cdnow_summary {
  int n;
  int id[MAX_CUSTOMERS];
  double x[MAX_CUSTOMERS], t_x[MAX_CUSTOMERS], T[MAX_CUSTOMERS], zbar[MAX_CUSTOMERS];
} cdnow_summary;

typedef struct cdnow_log {
  int64_t m;
  int64_t id[MAX_ROWS];
  int32_t day[MAX_ROWS];
  double amount[MAX_ROWS];
} cdnow_log;

static cdnow_summary summary;
static cdnow_log sample;

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static int32_t days_from_ymd(int ymd) {
  int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int load_summary(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return 0;
  char line[256];
  if (fgets(line, sizeof line, f) == NULL || strncmp(line, "ID,x,t_x,T,zbar", 15) != 0) {
    fclose(f);
    return 0;
  }
  summary.n = 0;
  while (summary.n < MAX_CUSTOMERS && fgets(line, sizeof line, f)) {
    int k = summary.n;
    if (sscanf(line, "%d,%lf,%lf,%lf,%lf", &summary.id[k], &summary.x[k], &summary.t_x[k],
               &summary.T[k], &summary.zbar[k]) == 5)
      summary.n++;
  }
  fclose(f);
  return summary.n == 2357;
}

static int load_sample(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return 0;
  int master, id, ymd, cds;
  double amount;
  sample.m = 0;
  while (sample.m < MAX_ROWS &&
         fscanf(f, "%d %d %d %d %lf", &master, &id, &ymd, &cds, &amount) == 5) {
    sample.id[sample.m] = id;
    sample.day[sample.m] = days_from_ymd(ymd);
    sample.amount[sample.m] = amount;
    sample.m++;
  }
  fclose(f);
  return sample.m == 6919;
}

/* |got - want| within one unit of the third significant digit of `want`, and within
 * `rel` relative to the full-precision value when one is given. */
static void expect_3sf(const char *what, double got, double published) {
  double unit = pow(10.0, floor(log10(fabs(published))) - 2.0);
  if (!(fabs(got - published) <= unit))
    fail_msg("%s = %.7g, published %.4g: differs by more than %.3g", what, got, published, unit);
}

static void expect_rel(const char *what, double got, double want, double rel) {
  if (!(fabs(got - want) <= rel * fabs(want)))
    fail_msg("%s = %.9g, expected %.9g within %.1e relative", what, got, want, rel);
}

static strata_clv_suffstats *summary_stats(strata_ctx *ctx) {
  strata_clv_suffstats *ss = NULL;
  assert_int_equal(
      strata_clv_suffstats_build(ctx, summary.x, summary.t_x, summary.T, NULL, summary.n, &ss),
      STRATA_OK);
  return ss;
}

static void test_bgnbd_published(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  strata_clv_suffstats *ss = summary_stats(ctx);
  assert_true(ss->n < summary.n); /* compression found duplicate rows */
  assert_true(ss->total_weight == 2357.0);
  strata_clv_fit fit;
  strata_status st = strata_clv_fit_counts(ctx, STRATA_CLV_BGNBD, ss, NULL, &fit);
  if (st != STRATA_OK) fail_msg("BG/NBD fit: %s", strata_ctx_error(ctx));
  /* Fader, Hardie & Lee (2005): r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4;
   * full precision from CLVTools. */
  expect_3sf("r", fit.params[0], 0.243);
  expect_3sf("alpha", fit.params[1], 4.414);
  expect_3sf("a", fit.params[2], 0.793);
  expect_3sf("b", fit.params[3], 2.426);
  expect_rel("r", fit.params[0], 0.2425945, 1e-3);
  expect_rel("alpha", fit.params[1], 4.4136019, 1e-3);
  expect_rel("a", fit.params[2], 0.7929199, 1e-3);
  expect_rel("b", fit.params[3], 2.4258881, 1e-3);
  assert_true(fabs(fit.loglik - (-9582.429)) < 0.01);
  for (int j = 0; j < 4; j++) assert_true(fit.se[j] > 0.0 && isfinite(fit.se[j]));
  assert_true(fit.evaluations > 0 && fit.grad_norm <= 1e-5);
  /* The log-likelihood at the published point agrees with the fitted one. */
  double theta[4] = {0.2425945, 4.4136019, 0.7929199, 2.4258881}, ll, grad[4];
  assert_int_equal(strata_clv_loglik_counts(ctx, STRATA_CLV_BGNBD, theta, ss, &ll, grad),
                   STRATA_OK);
  assert_true(fabs(ll - fit.loglik) < 1e-3);
  strata_clv_suffstats_free(ss);
  strata_ctx_free(ctx);
}

static void test_mbgnbd_published(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  strata_clv_suffstats *ss = summary_stats(ctx);
  strata_clv_fit fit;
  if (strata_clv_fit_counts(ctx, STRATA_CLV_MBGNBD, ss, NULL, &fit) != STRATA_OK)
    fail_msg("MBG/NBD fit: %s", strata_ctx_error(ctx));
  /* BTYDplus estimates as asserted in lifetimes' tests: 0.525, 6.183, 0.891, 1.614. */
  expect_3sf("r", fit.params[0], 0.525);
  expect_3sf("alpha", fit.params[1], 6.183);
  expect_3sf("a", fit.params[2], 0.891);
  expect_3sf("b", fit.params[3], 1.614);
  assert_true(fabs(fit.loglik - (-9582.13)) < 0.01);
  strata_clv_suffstats_free(ss);
  strata_ctx_free(ctx);
}

static void test_paretonbd_published(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  strata_clv_suffstats *ss = summary_stats(ctx);
  strata_clv_fit fit;
  if (strata_clv_fit_counts(ctx, STRATA_CLV_PARETO_NBD, ss, NULL, &fit) != STRATA_OK)
    fail_msg("Pareto/NBD fit: %s", strata_ctx_error(ctx));
  /* FHL (2005): r 0.553, alpha 10.578, s 0.606, beta 11.669, LL -9595.0; full precision and
   * standard errors from CLVTools. */
  expect_3sf("r", fit.params[0], 0.553);
  expect_3sf("alpha", fit.params[1], 10.578);
  expect_3sf("s", fit.params[2], 0.606);
  expect_3sf("beta", fit.params[3], 11.669);
  expect_rel("r", fit.params[0], 0.55315, 1e-3);
  expect_rel("alpha", fit.params[1], 10.57633, 1e-3);
  expect_rel("s", fit.params[2], 0.60625, 1e-3);
  expect_rel("beta", fit.params[3], 11.67150, 1e-3);
  assert_true(fabs(fit.loglik - (-9594.976)) < 0.01);
  expect_rel("se(r)", fit.se[0], 0.0476, 0.02);
  expect_rel("se(alpha)", fit.se[1], 0.843, 0.02);
  expect_rel("se(s)", fit.se[2], 0.187, 0.02);
  expect_rel("se(beta)", fit.se[3], 6.21, 0.02);
  strata_clv_suffstats_free(ss);
  strata_ctx_free(ctx);
}

static void test_gamma_gamma_published(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  strata_clv_fit fit;
  if (strata_clv_fit_spend(ctx, summary.x, summary.zbar, NULL, summary.n, NULL, &fit) != STRATA_OK)
    fail_msg("Gamma-Gamma fit: %s", strata_ctx_error(ctx));
  /* Fader & Hardie (2013): p 6.25, q 3.74, gamma 15.44, LL -4055.92 on the 946 customers
   * with x > 0. */
  assert_true(fit.n_obs == 946.0);
  expect_3sf("p", fit.params[0], 6.25);
  expect_3sf("q", fit.params[1], 3.74);
  expect_3sf("gamma", fit.params[2], 15.44);
  assert_true(fabs(fit.loglik - (-4055.92)) < 0.01);
  /* Expected spend of the spot customers of btyd_reference_check.py (first rows). */
  assert_true(fabs(strata_clv_expected_spend((double[]){6.25, 3.74, 15.44}, 2, 22.35) - 24.66) <
              0.005);
  assert_true(fabs(strata_clv_expected_spend((double[]){6.25, 3.74, 15.44}, 0, 0.0) - 35.22) <
              0.005);
  strata_ctx_free(ctx);
}

static void test_spot_values(void **state) {
  (void)state;
  /* Hardie's spreadsheet: BG/NBD E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226. */
  double bg[4] = {0.2425945, 4.4136019, 0.7929199, 2.4258881};
  double e = strata_clv_expected_purchases(STRATA_CLV_BGNBD, bg, 39, 2, 30.43, 38.86);
  assert_true(fabs(e - 1.226) < 0.0005);
  /* BTYD walkthrough: Pareto/NBD P(alive | 26, 30.86, 31) = 0.9979, E[Y(52)] = 25.46. */
  double pn[4] = {0.5534, 10.5802, 0.6061, 11.6562};
  assert_true(fabs(strata_clv_p_alive(STRATA_CLV_PARETO_NBD, pn, 26, 30.86, 31) - 0.9979) <
              0.00005);
  e = strata_clv_expected_purchases(STRATA_CLV_PARETO_NBD, pn, 52, 26, 30.86, 31);
  assert_true(fabs(e - 25.46) < 0.01); /* 25.4549 in btyd_reference_check.py */
  /* Holdout forecasts summed over the sample (weeks 40-78; 1,882 actual): BG/NBD 1653.41 and
   * Pareto/NBD 1665.54 in btyd_reference_check.py's independent evaluation. */
  double pn2[4] = {0.55315, 10.57633, 0.60625, 11.67150};
  double sb = 0, sp = 0;
  for (int i = 0; i < summary.n; i++) {
    sb += strata_clv_expected_purchases(STRATA_CLV_BGNBD, bg, 39, summary.x[i], summary.t_x[i],
                                        summary.T[i]);
    sp += strata_clv_expected_purchases(STRATA_CLV_PARETO_NBD, pn2, 39, summary.x[i],
                                        summary.t_x[i], summary.T[i]);
  }
  assert_true(fabs(sb - 1653.41496) < 1e-3);
  assert_true(fabs(sp - 1665.54263) < 1e-3);
}

/* lifetimes' calibration_and_holdout_data(freq='D', freq_multiplier=7) on CDNOW_sample.txt is
 * what cdnow_customers_summary_with_transactions.csv holds (to its 2 decimals). */
static void test_rfm_matches_lifetimes_summary(void **state) {
  (void)state;
  for (int threads = 1; threads <= 2; threads++) {
    strata_ctx *ctx = test_ctx(threads);
    strata_clv_rfm_params p;
    strata_clv_rfm_params_init(&p);
    p.calibration_end = days_from_ymd(19970930);
    p.holdout_days = days_from_ymd(19980630) - p.calibration_end;
    p.freq_multiplier = 7.0;
    strata_clv_rfm *R = NULL;
    strata_status st =
        strata_clv_rfm_compute(ctx, sample.id, sample.day, sample.amount, sample.m, &p, &R);
    if (st != STRATA_OK) fail_msg("RFM: %s", strata_ctx_error(ctx));
    assert_int_equal(R->n, 2357);
    assert_true(R->duration_holdout == 39.0);
    double sum_x = 0, sum_hold = 0;
    int repeaters = 0;
    for (int i = 0; i < summary.n; i++) {
      if (R->id[i] != summary.id[i] || R->x[i] != summary.x[i] ||
          fabs(R->t_x[i] - summary.t_x[i]) > 0.00501 || fabs(R->T[i] - summary.T[i]) > 0.00501 ||
          fabs(R->monetary[i] - summary.zbar[i]) > 0.00501)
        fail_msg("customer %d: strata (%lld, %g, %g, %g, %g) vs lifetimes (%d, %g, %g, %g, %g)", i,
                 (long long)R->id[i], R->x[i], R->t_x[i], R->T[i], R->monetary[i], summary.id[i],
                 summary.x[i], summary.t_x[i], summary.T[i], summary.zbar[i]);
      sum_x += R->x[i];
      sum_hold += R->x_holdout[i];
      repeaters += R->x[i] > 0;
    }
    assert_true(sum_x == 2457.0);    /* README: repeat transactions in calibration */
    assert_true(sum_hold == 1882.0); /* README: unique customer-days in the holdout */
    assert_int_equal(repeaters, 946);
    strata_clv_rfm_free(R);
    strata_ctx_free(ctx);
  }
}

/* Transactions -> RFM -> compressed statistics -> BG/NBD and Gamma-Gamma: the unrounded
 * times give the published estimates too. */
static void test_pipeline_from_transactions(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  strata_clv_rfm_params p;
  strata_clv_rfm_params_init(&p);
  p.calibration_end = days_from_ymd(19970930);
  p.freq_multiplier = 7.0;
  strata_clv_rfm *R = NULL;
  assert_int_equal(
      strata_clv_rfm_compute(ctx, sample.id, sample.day, sample.amount, sample.m, &p, &R),
      STRATA_OK);
  assert_null(R->x_holdout);
  strata_clv_suffstats *ss = NULL;
  assert_int_equal(strata_clv_suffstats_build(ctx, R->x, R->t_x, R->T, NULL, R->n, &ss), STRATA_OK);
  strata_clv_fit bg, gg;
  assert_int_equal(strata_clv_fit_counts(ctx, STRATA_CLV_BGNBD, ss, NULL, &bg), STRATA_OK);
  expect_3sf("r", bg.params[0], 0.243);
  expect_3sf("alpha", bg.params[1], 4.414);
  expect_3sf("a", bg.params[2], 0.793);
  expect_3sf("b", bg.params[3], 2.426);
  assert_int_equal(strata_clv_fit_spend(ctx, R->x, R->monetary, NULL, R->n, NULL, &gg), STRATA_OK);
  expect_3sf("p", gg.params[0], 6.25);
  expect_3sf("q", gg.params[1], 3.74);
  expect_3sf("gamma", gg.params[2], 15.44);

  /* Scores: the batch path equals the single-customer closed forms, for 1 and 2 threads. */
  int64_t n = R->n;
  double *out[2][4];
  for (int t = 0; t < 2; t++)
    for (int k = 0; k < 4; k++) out[t][k] = malloc((size_t)n * sizeof(double));
  strata_clv_score_params sp;
  strata_clv_score_params_init(&sp);
  sp.horizon = 39;
  sp.clv_periods = 12;
  sp.clv_period_length = 4.345;
  for (int t = 0; t < 2; t++) {
    assert_int_equal(strata_ctx_set_threads(ctx, t + 1), STRATA_OK);
    strata_clv_scores sc = {out[t][0], out[t][1], out[t][2], out[t][3]};
    assert_int_equal(strata_clv_score(ctx, &bg, &gg, R->x, R->t_x, R->T, R->monetary, n, &sp, &sc),
                     STRATA_OK);
  }
  double total = 0.0;
  for (int64_t i = 0; i < n; i++) {
    for (int k = 0; k < 4; k++) {
      assert_true(isfinite(out[0][k][i]));
      assert_memory_equal(&out[0][k][i], &out[1][k][i], sizeof(double));
    }
    double pa = strata_clv_p_alive(STRATA_CLV_BGNBD, bg.params, R->x[i], R->t_x[i], R->T[i]);
    double e =
        strata_clv_expected_purchases(STRATA_CLV_BGNBD, bg.params, 39, R->x[i], R->t_x[i], R->T[i]);
    assert_true(fabs(out[0][0][i] - pa) <= 1e-14);
    assert_true(fabs(out[0][1][i] - e) <= 1e-12 * (1.0 + e));
    /* CLV = spend * sum_i (E[Y(t_i)] - E[Y(t_{i-1})]) / 1.01^i, here from the closed forms. */
    double clv = 0.0, prev = 0.0;
    for (int k = 1; k <= 12; k++) {
      double ek = strata_clv_expected_purchases(STRATA_CLV_BGNBD, bg.params, k * 4.345, R->x[i],
                                                R->t_x[i], R->T[i]);
      clv += (ek - prev) / pow(1.01, k);
      prev = ek;
    }
    clv *= out[0][2][i];
    assert_true(fabs(out[0][3][i] - clv) <= 1e-10 * (1.0 + clv));
    total += e;
  }
  assert_true(fabs(total - 1653.4) < 5.0); /* near the rounded-input forecast */
  for (int t = 0; t < 2; t++)
    for (int k = 0; k < 4; k++) free(out[t][k]);
  strata_clv_suffstats_free(ss);
  strata_clv_rfm_free(R);
  strata_ctx_free(ctx);
}

/* lifetimes' penalizer: coefficient * sum(theta^2) on the mean negative log-likelihood, alpha
 * in units where max T = 1. The penalised optimum must beat the unpenalised one on the
 * penalised objective, and shrink the parameters. */
static void test_penalizer(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  strata_clv_suffstats *ss = summary_stats(ctx);
  strata_clv_fit plain, pen;
  assert_int_equal(strata_clv_fit_counts(ctx, STRATA_CLV_BGNBD, ss, NULL, &plain), STRATA_OK);
  strata_clv_fit_params fp;
  strata_clv_fit_params_init(&fp);
  fp.penalizer = 0.01;
  assert_int_equal(strata_clv_fit_counts(ctx, STRATA_CLV_BGNBD, ss, &fp, &pen), STRATA_OK);
  double s = 1.0 / ss->max_T;
  double pen_at_plain =
      -plain.loglik / ss->total_weight +
      0.01 * (plain.params[0] * plain.params[0] + plain.params[1] * s * plain.params[1] * s +
              plain.params[2] * plain.params[2] + plain.params[3] * plain.params[3]);
  assert_true(pen.objective <= pen_at_plain + 1e-12);
  assert_true(pen.loglik < plain.loglik);
  assert_true(pen.params[2] < plain.params[2] && pen.params[3] < plain.params[3]);
  fp.penalizer = -1.0;
  assert_int_equal(strata_clv_fit_counts(ctx, STRATA_CLV_BGNBD, ss, &fp, &pen), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "penalizer"));
  strata_clv_suffstats_free(ss);
  strata_ctx_free(ctx);
}

int main(void) {
  const char *sum_path = test_shared_dataset("cdnow/cdnow_customers_summary_with_transactions.csv");
  if (sum_path == NULL || !load_summary(sum_path)) {
    fprintf(stderr, "skipped: the CDNOW data set (../shared/datasets/cdnow) is absent\n");
    return STRATA_TEST_SKIP_CODE;
  }
  const char *log_path = test_shared_dataset("cdnow/CDNOW_sample.txt");
  if (log_path == NULL || !load_sample(log_path)) {
    fprintf(stderr, "skipped: ../shared/datasets/cdnow/CDNOW_sample.txt is absent\n");
    return STRATA_TEST_SKIP_CODE;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bgnbd_published),
      cmocka_unit_test(test_mbgnbd_published),
      cmocka_unit_test(test_paretonbd_published),
      cmocka_unit_test(test_gamma_gamma_published),
      cmocka_unit_test(test_spot_values),
      cmocka_unit_test(test_rfm_matches_lifetimes_summary),
      cmocka_unit_test(test_pipeline_from_transactions),
      cmocka_unit_test(test_penalizer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
