/* CLV fits on data simulated from known parameters with the counter-based RNG: BG/NBD,
 * MBG/NBD, Pareto/NBD and Gamma-Gamma estimates recover the truth within a few standard
 * errors (in continuous time, and end to end from a daily transaction log through the RFM
 * summary); fits and scores are bit-identical for 1 and 2 threads; bad input and
 * non-convergence give clear errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clv/clv.h"
#include "core/rng.h"
#include "test_support.h"

enum { SIM_BG, SIM_MBG, SIM_PNBD };

typedef struct sim {
  int64_t n;
  double *x, *t_x, *T, *mbar;
} sim;

static void sim_free(sim *s) {
  free(s->x);
  free(s->t_x);
  free(s->T);
  free(s->mbar);
}

/* One customer's repeat purchases in (0, T] under the model (continuous time); spends are
 * Gamma(p, rate nu) with nu ~ Gamma(q, rate gamma). Purchase times go to `times` (if not NULL,
 * up to cap). Returns x. */
static int64_t simulate_customer(int model, const double *par, const double *spend, uint64_t seed,
                                 uint64_t i, double T, double *t_x, double *mbar, double *times,
                                 int64_t cap) {
  strata_rng g;
  strata_rng_init(&g, seed, 0, i);
  double lambda = strata_rng_gamma(&g, par[0]) / par[1];
  double death = INFINITY, p = 0.0;
  int alive = 1;
  if (model == SIM_PNBD) {
    double mu = strata_rng_gamma(&g, par[2]) / par[3];
    death = strata_rng_exponential(&g) / mu;
  } else {
    p = strata_rng_beta(&g, par[2], par[3]);
    if (model == SIM_MBG && strata_rng_uniform(&g) < p) alive = 0; /* drop at time 0 */
  }
  double nu = spend ? strata_rng_gamma(&g, spend[1]) / spend[2] : 0.0;
  int64_t x = 0;
  double t = 0.0, last = 0.0, total = 0.0;
  while (alive) {
    t += strata_rng_exponential(&g) / lambda;
    if (t > T || t > death) break;
    if (times && x < cap) times[x] = t;
    x++;
    last = t;
    if (spend) total += strata_rng_gamma(&g, spend[0]) / nu;
    if (model != SIM_PNBD && strata_rng_uniform(&g) < p) alive = 0;
  }
  *t_x = last;
  *mbar = x > 0 ? total / (double)x : 0.0;
  return x;
}

static sim simulate(int model, const double *par, const double *spend, int64_t n, uint64_t seed) {
  sim s = {n, malloc((size_t)n * sizeof(double)), malloc((size_t)n * sizeof(double)),
           malloc((size_t)n * sizeof(double)), malloc((size_t)n * sizeof(double))};
  for (int64_t i = 0; i < n; i++) {
    strata_rng g;
    strata_rng_init(&g, seed, 1, (uint64_t)i);
    s.T[i] = 27.0 + 12.0 * strata_rng_uniform(&g); /* CDNOW-like ages, weeks */
    s.x[i] = (double)simulate_customer(model, par, spend, seed, (uint64_t)i, s.T[i], &s.t_x[i],
                                       &s.mbar[i], NULL, 0);
  }
  return s;
}

static void expect_recovered(const strata_clv_fit *fit, const double *truth, double k) {
  for (int j = 0; j < fit->n_params; j++) {
    double z = (fit->params[j] - truth[j]) / fit->se[j];
    if (!(fabs(z) <= k))
      fail_msg("%s %s = %.5g (se %.3g), truth %.5g: %.1f standard errors away",
               strata_clv_model_name(fit->model), strata_clv_param_name(fit->model, j),
               fit->params[j], fit->se[j], truth[j], z);
  }
}

static void fit_counts_or_fail(strata_ctx *ctx, strata_clv_model model,
                               const strata_clv_suffstats *ss, strata_clv_fit *fit) {
  strata_status st = strata_clv_fit_counts(ctx, model, ss, NULL, fit);
  if (st != STRATA_OK) fail_msg("%s fit: %s", strata_clv_model_name(model), strata_ctx_error(ctx));
}

static void test_bgnbd_and_gamma_gamma_recovery(void **state) {
  (void)state;
  const double truth[4] = {0.243, 4.414, 0.793, 2.426};
  const double spend[3] = {6.25, 3.74, 15.44};
  sim s = simulate(SIM_BG, truth, spend, 30000, 2024);
  strata_ctx *ctx1 = test_ctx(1), *ctx2 = test_ctx(2);
  strata_clv_suffstats *ss1 = NULL, *ss2 = NULL;
  assert_int_equal(strata_clv_suffstats_build(ctx1, s.x, s.t_x, s.T, NULL, s.n, &ss1), STRATA_OK);
  assert_int_equal(strata_clv_suffstats_build(ctx2, s.x, s.t_x, s.T, NULL, s.n, &ss2), STRATA_OK);
  strata_clv_fit f1, f2;
  fit_counts_or_fail(ctx1, STRATA_CLV_BGNBD, ss1, &f1);
  fit_counts_or_fail(ctx2, STRATA_CLV_BGNBD, ss2, &f2);
  expect_recovered(&f2, truth, 4.0);
  /* identical for any thread count, to the last bit */
  assert_memory_equal(f1.params, f2.params, sizeof f1.params);
  assert_memory_equal(&f1.loglik, &f2.loglik, sizeof f1.loglik);
  assert_memory_equal(f1.se, f2.se, sizeof f1.se);
  /* the MLE beats the truth */
  double ll_truth;
  assert_int_equal(strata_clv_loglik_counts(ctx2, STRATA_CLV_BGNBD, truth, ss2, &ll_truth, NULL),
                   STRATA_OK);
  assert_true(f2.loglik >= ll_truth);

  strata_clv_fit g1, g2;
  assert_int_equal(strata_clv_fit_spend(ctx1, s.x, s.mbar, NULL, s.n, NULL, &g1), STRATA_OK);
  assert_int_equal(strata_clv_fit_spend(ctx2, s.x, s.mbar, NULL, s.n, NULL, &g2), STRATA_OK);
  expect_recovered(&g2, spend, 4.0);
  assert_memory_equal(g1.params, g2.params, sizeof g1.params);

  /* Scores: identical for 1 and 2 threads. */
  double *o[2][4];
  for (int t = 0; t < 2; t++)
    for (int k = 0; k < 4; k++) o[t][k] = malloc((size_t)s.n * sizeof(double));
  strata_clv_score_params sp;
  strata_clv_score_params_init(&sp);
  sp.horizon = 52;
  sp.clv_period_length = 4.345;
  for (int t = 0; t < 2; t++) {
    strata_clv_scores sc = {o[t][0], o[t][1], o[t][2], o[t][3]};
    assert_int_equal(
        strata_clv_score(t ? ctx2 : ctx1, &f2, &g2, s.x, s.t_x, s.T, s.mbar, s.n, &sp, &sc),
        STRATA_OK);
  }
  for (int k = 0; k < 4; k++) assert_memory_equal(o[0][k], o[1][k], (size_t)s.n * sizeof(double));
  /* Calibration of the forecasts: simulate the same customers' next 52 weeks (alive customers
   * keep their rates), compare totals. */
  double forecast = 0.0, actual = 0.0;
  for (int64_t i = 0; i < s.n; i++) {
    forecast += o[0][1][i];
    double tx, mb;
    double times[4096];
    int64_t all = simulate_customer(SIM_BG, truth, spend, 2024, (uint64_t)i, s.T[i] + 52, &tx, &mb,
                                    times, 4096);
    for (int64_t k = 0; k < all && k < 4096; k++) actual += times[k] > s.T[i];
  }
  if (fabs(forecast - actual) > 0.05 * actual)
    fail_msg("52-week forecast %.1f vs simulated %.1f purchases", forecast, actual);
  for (int t = 0; t < 2; t++)
    for (int k = 0; k < 4; k++) free(o[t][k]);
  strata_clv_suffstats_free(ss1);
  strata_clv_suffstats_free(ss2);
  strata_ctx_free(ctx1);
  strata_ctx_free(ctx2);
  sim_free(&s);
}

static void test_mbgnbd_recovery(void **state) {
  (void)state;
  const double truth[4] = {0.525, 6.183, 0.891, 1.614};
  sim s = simulate(SIM_MBG, truth, NULL, 30000, 77);
  strata_ctx *ctx = test_ctx(2);
  strata_clv_suffstats *ss = NULL;
  assert_int_equal(strata_clv_suffstats_build(ctx, s.x, s.t_x, s.T, NULL, s.n, &ss), STRATA_OK);
  strata_clv_fit f;
  fit_counts_or_fail(ctx, STRATA_CLV_MBGNBD, ss, &f);
  expect_recovered(&f, truth, 4.0);
  strata_clv_suffstats_free(ss);
  strata_ctx_free(ctx);
  sim_free(&s);
}

static void test_paretonbd_recovery(void **state) {
  (void)state;
  const double truth[4] = {0.553, 10.578, 0.606, 11.669};
  sim s = simulate(SIM_PNBD, truth, NULL, 8000, 5);
  strata_ctx *ctx1 = test_ctx(1), *ctx2 = test_ctx(2);
  strata_clv_suffstats *ss = NULL;
  assert_int_equal(strata_clv_suffstats_build(ctx2, s.x, s.t_x, s.T, NULL, s.n, &ss), STRATA_OK);
  strata_clv_fit f1, f2;
  fit_counts_or_fail(ctx1, STRATA_CLV_PARETO_NBD, ss, &f1);
  fit_counts_or_fail(ctx2, STRATA_CLV_PARETO_NBD, ss, &f2);
  expect_recovered(&f2, truth, 4.0);
  assert_memory_equal(f1.params, f2.params, sizeof f1.params);
  strata_clv_suffstats_free(ss);
  strata_ctx_free(ctx1);
  strata_ctx_free(ctx2);
  sim_free(&s);
}

/* strata gen's model end to end: a daily transaction log (alpha in days, customers joining
 * over a year, two years observed), RFM summary, BG/NBD and Gamma-Gamma fits.
 * Recording purchases by day merges same-day purchases, which the continuous-time model does
 * not know about: with alpha = 25 days (strata gen's default) that loses ~4% of the
 * purchases and biases alpha up by ~9% (over 5 standard errors at 20,000 customers). A slower
 * purchase rate (alpha = 150 days) keeps the misspecification below the sampling error. */
static void test_end_to_end_from_daily_log(void **state) {
  (void)state;
  const double truth[4] = {0.9, 150.0, 0.9, 9.0};
  const double spend[3] = {6.25, 3.74, 15.44};
  const int64_t n = 20000;
  int64_t cap = 16 * n, m = 0;
  int64_t *id = malloc((size_t)cap * sizeof *id);
  int32_t *day = malloc((size_t)cap * sizeof *day);
  double *amount = malloc((size_t)cap * sizeof *amount);
  for (int64_t i = 0; i < n && m < cap - 1000; i++) {
    strata_rng g;
    strata_rng_init(&g, 99, 7, (uint64_t)i);
    int32_t start = 19723 + (int32_t)strata_rng_below(&g, 365); /* 2024 */
    double horizon = (double)(19723 + 729 - start) + 0.999;
    double times[1000];
    double tx, mb;
    int64_t x =
        simulate_customer(SIM_BG, truth, NULL, 99, (uint64_t)i, horizon, &tx, &mb, times, 1000);
    double nu = strata_rng_gamma(&g, spend[1]) / spend[2];
    id[m] = 5000000 + i;
    day[m] = start;
    amount[m++] = strata_rng_gamma(&g, spend[0]) / nu;
    for (int64_t k = 0; k < x && k < 1000; k++) {
      id[m] = 5000000 + i;
      day[m] = start + (int32_t)floor(times[k]);
      amount[m++] = strata_rng_gamma(&g, spend[0]) / nu;
    }
  }
  strata_ctx *ctx = test_ctx(2);
  strata_clv_rfm_params p;
  strata_clv_rfm_params_init(&p);
  p.calibration_end = 19723 + 729;
  strata_clv_rfm *R = NULL;
  assert_int_equal(strata_clv_rfm_compute(ctx, id, day, amount, m, &p, &R), STRATA_OK);
  assert_int_equal(R->n, n);
  strata_clv_suffstats *ss = NULL;
  assert_int_equal(strata_clv_suffstats_build(ctx, R->x, R->t_x, R->T, NULL, R->n, &ss), STRATA_OK);
  assert_true(ss->n < n); /* days make duplicates: compression pays */
  strata_clv_fit f, gg;
  fit_counts_or_fail(ctx, STRATA_CLV_BGNBD, ss, &f);
  expect_recovered(&f, truth, 4.0);
  assert_int_equal(strata_clv_fit_spend(ctx, R->x, R->monetary, NULL, R->n, NULL, &gg), STRATA_OK);
  expect_recovered(&gg, spend, 4.0);
  strata_clv_suffstats_free(ss);
  strata_clv_rfm_free(R);
  strata_ctx_free(ctx);
  free(id);
  free(day);
  free(amount);
}

static void test_bad_input_and_errors(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  strata_clv_suffstats *ss = NULL;
  double x[4] = {0, 2, 1, 3}, t_x[4] = {0, 5, 12, 4}, T[4] = {10, 10, 10, 10};
  /* t_x > T on row 2 */
  assert_int_equal(strata_clv_suffstats_build(ctx, x, t_x, T, NULL, 4, &ss), STRATA_ERR_DATA);
  assert_null(ss);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 2"));
  assert_non_null(strstr(strata_ctx_error(ctx), "must not exceed T"));
  t_x[2] = 3;
  x[1] = 2.5;
  assert_int_equal(strata_clv_suffstats_build(ctx, x, t_x, T, NULL, 4, &ss), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 1"));
  x[1] = 2;
  t_x[0] = 1;
  assert_int_equal(strata_clv_suffstats_build(ctx, x, t_x, T, NULL, 4, &ss), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "must be 0 when x"));
  t_x[0] = 0;
  assert_int_equal(strata_clv_suffstats_build(ctx, x, t_x, T, NULL, 0, &ss), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "no customers"));
  assert_int_equal(strata_clv_suffstats_build(ctx, x, t_x, T, NULL, 4, &ss), STRATA_OK);
  assert_int_equal(ss->n, 4);

  /* Gamma-Gamma: a repeat buyer with a non-positive spend is named. */
  double m[4] = {0, 10, -1, 5};
  strata_clv_fit fit;
  assert_int_equal(strata_clv_fit_spend(ctx, x, m, NULL, 4, NULL, &fit), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 2"));
  assert_int_equal(strata_clv_fit_spend(ctx, (double[]){0, 0}, m, NULL, 2, NULL, &fit),
                   STRATA_ERR_DATA);

  /* Not a purchase model; not converged within 3 evaluations. */
  assert_int_equal(strata_clv_fit_counts(ctx, STRATA_CLV_GAMMA_GAMMA, ss, NULL, &fit),
                   STRATA_ERR_USAGE);
  strata_clv_fit_params fp;
  strata_clv_fit_params_init(&fp);
  fp.max_evals = 3;
  const double truth[4] = {0.243, 4.414, 0.793, 2.426};
  sim s = simulate(SIM_BG, truth, NULL, 3000, 1);
  strata_clv_suffstats *big = NULL;
  assert_int_equal(strata_clv_suffstats_build(ctx, s.x, s.t_x, s.T, NULL, s.n, &big), STRATA_OK);
  assert_int_equal(strata_clv_fit_counts(ctx, STRATA_CLV_BGNBD, big, &fp, &fit),
                   STRATA_ERR_NOT_CONVERGED);
  assert_non_null(strstr(strata_ctx_error(ctx), "did not converge"));
  assert_non_null(strstr(strata_ctx_error(ctx), "bgnbd"));

  /* Degenerate data: nobody repeats (not identified); everybody identical (flat likelihood,
   * parameters drifting to infinity). */
  double zx[3] = {0, 0, 0}, zt[3] = {0, 0, 0}, zT[3] = {10, 20, 30};
  strata_clv_suffstats *zero = NULL;
  assert_int_equal(strata_clv_suffstats_build(ctx, zx, zt, zT, NULL, 3, &zero), STRATA_OK);
  assert_int_equal(strata_clv_fit_counts(ctx, STRATA_CLV_BGNBD, zero, NULL, &fit), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "no customer with a repeat purchase"));
  strata_clv_suffstats_free(zero);
  double ox[3] = {1, 1, 1}, ot[3] = {5, 5, 5}, oT[3] = {10, 10, 10};
  assert_int_equal(strata_clv_suffstats_build(ctx, ox, ot, oT, NULL, 3, &zero), STRATA_OK);
  assert_int_equal(strata_clv_fit_counts(ctx, STRATA_CLV_BGNBD, zero, NULL, &fit),
                   STRATA_ERR_NOT_CONVERGED);
  strata_clv_suffstats_free(zero);

  /* Scoring: a negative spend, an infinite-mean spend model, a bad row. */
  strata_clv_fit bg = {0}, gg = {0};
  bg.model = STRATA_CLV_BGNBD;
  memcpy(bg.params, truth, sizeof truth);
  gg.model = STRATA_CLV_GAMMA_GAMMA;
  gg.params[0] = 6.25;
  gg.params[1] = 3.74;
  gg.params[2] = 15.44;
  double o1[4], o2[4], o3[4], o4[4];
  strata_clv_scores sc = {o1, o2, o3, o4};
  assert_int_equal(strata_clv_score(ctx, &bg, &gg, x, t_x, T, m, 4, NULL, &sc), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 2"));
  assert_non_null(strstr(strata_ctx_error(ctx), "monetary"));
  m[2] = 1;
  gg.params[1] = 0.9;
  assert_int_equal(strata_clv_score(ctx, &bg, &gg, x, t_x, T, m, 4, NULL, &sc), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "q = 0.9"));
  gg.params[1] = 3.74;
  T[3] = 3;
  assert_int_equal(strata_clv_score(ctx, &bg, &gg, x, t_x, T, m, 4, NULL, &sc), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 3"));
  T[3] = 10;
  assert_int_equal(strata_clv_score(ctx, &bg, &gg, x, t_x, T, m, 4, NULL, &sc), STRATA_OK);
  /* spend needs the spend model */
  assert_int_equal(strata_clv_score(ctx, &bg, NULL, x, t_x, T, m, 4, NULL, &sc), STRATA_ERR_USAGE);
  strata_clv_model model;
  assert_int_equal(strata_clv_model_parse(ctx, "pnbd", &model), STRATA_OK);
  assert_int_equal(model, STRATA_CLV_PARETO_NBD);
  assert_int_equal(strata_clv_model_parse(ctx, "bgbb", &model), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "bgbb"));
  strata_clv_suffstats_free(big);
  strata_clv_suffstats_free(ss);
  strata_ctx_free(ctx);
  sim_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bgnbd_and_gamma_gamma_recovery),
      cmocka_unit_test(test_mbgnbd_recovery),
      cmocka_unit_test(test_paretonbd_recovery),
      cmocka_unit_test(test_end_to_end_from_daily_log),
      cmocka_unit_test(test_bad_input_and_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
