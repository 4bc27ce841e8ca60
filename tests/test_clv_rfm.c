/* RFM summary: hand-checked cases (same-day and same-week merges, holdout, monetary as
 * lifetimes computes it), agreement with a naive sort-based reference on random logs (dense
 * and 64-bit-wide ids, days and weeks, with and without holdout), identical output for 1, 2
 * and 3 threads, and clear errors for bad input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clv/clv.h"
#include "core/rng.h"
#include "test_support.h"

#define DAY0 10231 /* 1998-01-05, a Monday */

static strata_clv_rfm *rfm_or_fail(strata_ctx *ctx, const int64_t *id, const int32_t *day,
                                   const double *amount, int64_t m,
                                   const strata_clv_rfm_params *p) {
  strata_clv_rfm *R = NULL;
  strata_status st = strata_clv_rfm_compute(ctx, id, day, amount, m, p, &R);
  if (st != STRATA_OK) fail_msg("RFM failed: %s", strata_ctx_error(ctx));
  return R;
}

static void test_hand_case_days(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  /* customer 7: two rows on day 0 (10 + 5), two on day 3 (20 + 1), one on day 10 (4), then
   * holdout rows on day 12 (2 + 3) and day 15 (7); customer 3: one purchase on day 5;
   * customer 9: only after the calibration end; customer -5: days 1 and 8. Rows shuffled. */
  const int64_t id[] = {7, 3, 7, 9, 7, -5, 7, 7, 7, 7, -5, 7};
  const int32_t day[] = {DAY0 + 3, DAY0 + 5, DAY0,      DAY0 + 12, DAY0 + 10, DAY0 + 8,
                         DAY0 + 3, DAY0,     DAY0 + 12, DAY0 + 15, DAY0 + 1,  DAY0 + 12};
  const double amount[] = {20, 9, 10, 100, 4, 6, 1, 5, 2, 7, 2, 3};
  strata_clv_rfm_params p;
  strata_clv_rfm_params_init(&p);
  p.calibration_end = DAY0 + 10;
  p.holdout_days = 7;
  strata_clv_rfm *R = rfm_or_fail(ctx, id, day, amount, 12, &p);
  assert_int_equal(R->n, 3);
  assert_int_equal(R->rows_used, 12);
  assert_true(R->duration_holdout == 7.0);
  /* ascending ids: -5, 3, 7 (9 has no calibration purchase) */
  assert_int_equal(R->id[0], -5);
  assert_int_equal(R->id[1], 3);
  assert_int_equal(R->id[2], 7);
  assert_true(R->x[0] == 1 && R->t_x[0] == 7 && R->T[0] == 9 && R->monetary[0] == 6);
  assert_true(R->x[1] == 0 && R->t_x[1] == 0 && R->T[1] == 5 && R->monetary[1] == 0);
  assert_true(R->x[2] == 2 && R->t_x[2] == 10 && R->T[2] == 10);
  assert_true(fabs(R->monetary[2] - (21.0 + 4.0) / 2.0) < 1e-15); /* per-day totals */
  assert_true(R->x_holdout[2] == 2 && R->x_holdout[0] == 0 && R->x_holdout[1] == 0);
  assert_true(fabs(R->monetary_holdout[2] - 4.0) < 1e-15); /* (2 + 3 + 7) / 3 rows */
  assert_true(R->monetary_holdout[0] == 0.0);
  strata_clv_rfm_free(R);

  /* Without a holdout: later rows are ignored, no holdout arrays. */
  p.holdout_days = 0;
  R = rfm_or_fail(ctx, id, day, amount, 12, &p);
  assert_int_equal(R->n, 3);
  assert_int_equal(R->rows_used, 8);
  assert_null(R->x_holdout);
  assert_null(R->monetary_holdout);
  strata_clv_rfm_free(R);

  /* Weekly periods (Monday-Sunday, like pandas' "W"): customer 7 buys in weeks 0, 0, 1 ->
   * x = 1, t_x = 1, T = 1; the week-1 total is 4; -5 buys in weeks 0 and 1. */
  p.period_days = 7;
  R = rfm_or_fail(ctx, id, day, amount, 12, &p);
  assert_int_equal(R->n, 3);
  assert_true(R->x[2] == 1 && R->t_x[2] == 1 && R->T[2] == 1 && R->monetary[2] == 4);
  assert_true(R->x[0] == 1 && R->t_x[0] == 1 && R->T[0] == 1);
  assert_true(R->x[1] == 0 && R->T[1] == 1);
  strata_clv_rfm_free(R);

  /* Days in weeks (CDNOW style): freq_multiplier 7 divides the day counts. */
  p.period_days = 1;
  p.freq_multiplier = 7.0;
  R = rfm_or_fail(ctx, id, day, NULL, 12, &p);
  assert_null(R->monetary);
  assert_true(fabs(R->t_x[2] - 10.0 / 7.0) < 1e-15 && fabs(R->T[1] - 5.0 / 7.0) < 1e-15);
  strata_clv_rfm_free(R);

  /* calibration_end defaults to the last transaction day. */
  strata_clv_rfm_params_init(&p);
  R = rfm_or_fail(ctx, id, day, amount, 12, &p);
  assert_int_equal(R->calibration_end, DAY0 + 15);
  assert_int_equal(R->n, 4);
  strata_clv_rfm_free(R);
  strata_ctx_free(ctx);
}

/* ------------------------------------------------------------------ naive reference */

typedef struct ref_row {
  int64_t id, period;
  int hold;
  int64_t row;
  double amount;
} ref_row;

static int cmp_ref(const void *a, const void *b) {
  const ref_row *u = a, *v = b;
  if (u->id != v->id) return u->id < v->id ? -1 : 1;
  if (u->period != v->period) return u->period < v->period ? -1 : 1;
  if (u->hold != v->hold) return u->hold - v->hold;
  return (u->row > v->row) - (u->row < v->row);
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Straightforward lifetimes semantics: compare field by field with strata's output. */
static void check_against_reference(const strata_clv_rfm *R, const int64_t *id, const int32_t *day,
                                    const double *amount, int64_t m,
                                    const strata_clv_rfm_params *p) {
  ref_row *rows = malloc((size_t)m * sizeof *rows);
  int32_t cal = p->calibration_end, end = cal + p->holdout_days;
  int64_t k = 0;
  for (int64_t i = 0; i < m; i++) {
    if (day[i] > end) continue;
    rows[k].id = id[i];
    rows[k].period = floor_div((int64_t)day[i] - p->period_anchor, p->period_days);
    rows[k].hold = day[i] > cal;
    rows[k].row = i;
    rows[k].amount = amount ? amount[i] : 0.0;
    k++;
  }
  qsort(rows, (size_t)k, sizeof *rows, cmp_ref);
  int64_t pc = floor_div((int64_t)cal - p->period_anchor, p->period_days);
  int64_t c = 0;
  for (int64_t i = 0; i < k;) {
    int64_t j = i;
    while (j < k && rows[j].id == rows[i].id) j++;
    if (rows[i].hold) {
      i = j;
      continue;
    }
    int64_t first = rows[i].period, last = first, periods = 0, prev = INT64_MIN;
    int64_t hold_periods = 0, hold_prev = INT64_MIN, hold_rows = 0;
    double first_amt = 0, total = 0, hold_total = 0, g_prev = 0, g_curr = 0;
    int64_t cal_rows = 0;
    const int64_t pg = p->growth_days > 0
                           ? (p->growth_days / p->period_days > 0 ? p->growth_days / p->period_days : 1)
                           : 0;
    for (int64_t q = i; q < j; q++) {
      if (!rows[q].hold) {
        cal_rows++;
        if (rows[q].period > pc - pg)
          g_curr += rows[q].amount;
        else if (rows[q].period > pc - 2 * pg)
          g_prev += rows[q].amount;
        if (rows[q].period != prev) periods++;
        prev = rows[q].period;
        last = rows[q].period;
        if (rows[q].period == first) first_amt += rows[q].amount;
        total += rows[q].amount;
      } else {
        if (rows[q].period != hold_prev) hold_periods++;
        hold_prev = rows[q].period;
        hold_rows++;
        hold_total += rows[q].amount;
      }
    }
    if (c >= R->n) fail_msg("strata has fewer customers than the reference");
    double x = (double)(periods - 1);
    if (R->id[c] != rows[i].id || R->x[c] != x ||
        R->t_x[c] != (double)(last - first) / p->freq_multiplier ||
        R->T[c] != (double)(pc - first) / p->freq_multiplier)
      fail_msg("customer %lld: strata (%lld, %g, %g, %g) vs reference (%lld, %g, %g, %g)",
               (long long)c, (long long)R->id[c], R->x[c], R->t_x[c], R->T[c],
               (long long)rows[i].id, x, (double)(last - first) / p->freq_multiplier,
               (double)(pc - first) / p->freq_multiplier);
    if (R->transactions[c] != (double)cal_rows)
      fail_msg("customer %lld: %g transactions vs %lld", (long long)rows[i].id,
               R->transactions[c], (long long)cal_rows);
    if (amount) {
      if (fabs(R->revenue[c] - total) > 1e-12 * (1.0 + fabs(total)))
        fail_msg("customer %lld: revenue %.17g vs %.17g", (long long)rows[i].id, R->revenue[c],
                 total);
      if (pg > 0 && (fabs(R->revenue_prev[c] - g_prev) > 1e-12 * (1.0 + fabs(g_prev)) ||
                     fabs(R->revenue_curr[c] - g_curr) > 1e-12 * (1.0 + fabs(g_curr))))
        fail_msg("customer %lld: growth windows %.17g, %.17g vs %.17g, %.17g",
                 (long long)rows[i].id, R->revenue_prev[c], R->revenue_curr[c], g_prev, g_curr);
      double mon = periods > 1 ? (total - first_amt) / x : 0.0;
      if (fabs(R->monetary[c] - mon) > 1e-12 * (1.0 + mon))
        fail_msg("customer %lld: monetary %.17g vs %.17g", (long long)rows[i].id, R->monetary[c],
                 mon);
    }
    if (p->holdout_days > 0) {
      if (R->x_holdout[c] != (double)hold_periods)
        fail_msg("customer %lld: holdout x %g vs %lld", (long long)rows[i].id, R->x_holdout[c],
                 (long long)hold_periods);
      if (amount) {
        double hm = hold_rows ? hold_total / (double)hold_rows : 0.0;
        if (fabs(R->monetary_holdout[c] - hm) > 1e-12 * (1.0 + hm))
          fail_msg("customer %lld: holdout monetary %.17g vs %.17g", (long long)rows[i].id,
                   R->monetary_holdout[c], hm);
      }
    }
    c++;
    i = j;
  }
  assert_int_equal(c, R->n);
  free(rows);
}

static void same_output(const strata_clv_rfm *A, const strata_clv_rfm *B) {
  assert_int_equal(A->n, B->n);
  size_t bytes = (size_t)A->n * sizeof(double);
  assert_memory_equal(A->id, B->id, (size_t)A->n * sizeof(int64_t));
  assert_memory_equal(A->x, B->x, bytes);
  assert_memory_equal(A->t_x, B->t_x, bytes);
  assert_memory_equal(A->T, B->T, bytes);
  if (A->monetary) assert_memory_equal(A->monetary, B->monetary, bytes);
  if (A->x_holdout) assert_memory_equal(A->x_holdout, B->x_holdout, bytes);
  if (A->monetary_holdout) assert_memory_equal(A->monetary_holdout, B->monetary_holdout, bytes);
  assert_memory_equal(A->transactions, B->transactions, bytes);
  if (A->revenue) assert_memory_equal(A->revenue, B->revenue, bytes);
  if (A->revenue_prev) assert_memory_equal(A->revenue_prev, B->revenue_prev, bytes);
  if (A->revenue_curr) assert_memory_equal(A->revenue_curr, B->revenue_curr, bytes);
}

static void random_log(uint64_t seed, int64_t m, int64_t customers, int wide_ids, int64_t *id,
                       int32_t *day, double *amount) {
  for (int64_t i = 0; i < m; i++) {
    strata_rng g;
    strata_rng_init(&g, seed, 1, (uint64_t)i);
    int64_t c = (int64_t)strata_rng_below(&g, (uint64_t)customers);
    /* wide ids: a hash over the whole int64 range, negative ones included */
    id[i] = wide_ids ? (int64_t)strata_rng_hash(seed, 2, (uint64_t)c) : 1000 + 3 * c;
    /* each customer starts somewhere in the first year; purchases over two years */
    int32_t start = (int32_t)(strata_rng_hash(seed, 3, (uint64_t)c) % 365);
    day[i] = DAY0 + start + (int32_t)strata_rng_below(&g, 400);
    amount[i] = (double)strata_rng_below(&g, 20000) / 100.0;
  }
}

static void test_random_logs_match_reference(void **state) {
  (void)state;
  const int64_t m = 300000;
  int64_t *id = malloc((size_t)m * sizeof *id);
  int32_t *day = malloc((size_t)m * sizeof *day);
  double *amount = malloc((size_t)m * sizeof *amount);
  strata_ctx *ctx[3] = {test_ctx(1), test_ctx(2), test_ctx(3)};
  struct {
    int wide;
    int32_t period_days, anchor, holdout;
    double mult;
    int with_amount;
    int32_t growth;
  } cases[] = {
      {0, 1, STRATA_CLV_ANCHOR_MONDAY, 0, 1.0, 1, 120},
      {0, 7, STRATA_CLV_ANCHOR_MONDAY, 90, 1.0, 1, 100},
      {1, 1, 0, 60, 7.0, 1, 0},
      {1, 30, 5, 0, 1.0, 0, 365},
      {0, 3, -1000, 45, 2.5, 1, 2},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    random_log(11 + k, m, 20000, cases[k].wide, id, day, amount);
    strata_clv_rfm_params p;
    strata_clv_rfm_params_init(&p);
    p.calibration_end = DAY0 + 500;
    p.holdout_days = cases[k].holdout;
    p.period_days = cases[k].period_days;
    p.period_anchor = cases[k].anchor;
    p.freq_multiplier = cases[k].mult;
    p.growth_days = cases[k].growth;
    const double *amt = cases[k].with_amount ? amount : NULL;
    strata_clv_rfm *R[3];
    for (int t = 0; t < 3; t++) R[t] = rfm_or_fail(ctx[t], id, day, amt, m, &p);
    check_against_reference(R[0], id, day, amt, m, &p);
    same_output(R[0], R[1]);
    same_output(R[0], R[2]);
    for (int t = 0; t < 3; t++) strata_clv_rfm_free(R[t]);
  }
  for (int t = 0; t < 3; t++) strata_ctx_free(ctx[t]);
  free(id);
  free(day);
  free(amount);
}

/* Regression: with few customers and many rows the radix digit took period bits, so one
 * customer's rows landed in several buckets and were summarised as several customers. */
static void test_regression_customer_straddling_buckets(void **state) {
  (void)state;
  const int64_t m = 200000;
  int64_t *id = malloc((size_t)m * sizeof *id);
  int32_t *day = malloc((size_t)m * sizeof *day);
  double *amount = malloc((size_t)m * sizeof *amount);
  for (int customers = 1; customers <= 3; customers++) {
    random_log(5, m, customers, 0, id, day, amount);
    strata_clv_rfm_params p;
    strata_clv_rfm_params_init(&p);
    p.calibration_end = DAY0 + 300;
    p.holdout_days = 100;
    for (int threads = 1; threads <= 2; threads++) {
      strata_ctx *ctx = test_ctx(threads);
      strata_clv_rfm *R = rfm_or_fail(ctx, id, day, amount, m, &p);
      assert_int_equal(R->n, customers);
      check_against_reference(R, id, day, amount, m, &p);
      strata_clv_rfm_free(R);
      strata_ctx_free(ctx);
    }
  }
  free(id);
  free(day);
  free(amount);
}

static void test_extreme_ids_and_days(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  const int64_t id[] = {INT64_MAX, INT64_MIN, 0, INT64_MAX, INT64_MIN, -1};
  const int32_t day[] = {INT32_MIN + 5, INT32_MIN + 5, 0, 2000000000, 7, 2000000000};
  const double amount[] = {1, 2, 3, 4, 5, 6};
  strata_clv_rfm_params p;
  strata_clv_rfm_params_init(&p);
  strata_clv_rfm *R = rfm_or_fail(ctx, id, day, amount, 6, &p);
  check_against_reference(R, id, day, amount, 6,
                          &(strata_clv_rfm_params){2000000000, 0, 1, -3, 1.0, 0});
  assert_int_equal(R->n, 4);
  assert_int_equal(R->id[0], INT64_MIN);
  assert_int_equal(R->id[3], INT64_MAX);
  assert_true(R->x[3] == 1.0 && R->t_x[3] == (double)(2000000000LL - (INT32_MIN + 5)));
  strata_clv_rfm_free(R);
  strata_ctx_free(ctx);
}

static void test_bad_input(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  const int64_t id[] = {1, 2, 3, 4};
  const int32_t day[] = {DAY0, DAY0 + 1, DAY0 + 2, DAY0 + 3};
  double amount[] = {1, 2, -3.5, 4};
  strata_clv_rfm *R = NULL;
  strata_clv_rfm_params p;
  strata_clv_rfm_params_init(&p);
  assert_int_equal(strata_clv_rfm_compute(ctx, id, day, amount, 4, &p, &R), STRATA_ERR_DATA);
  assert_null(R);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 2"));
  assert_non_null(strstr(strata_ctx_error(ctx), "negative"));
  amount[2] = NAN;
  assert_int_equal(strata_clv_rfm_compute(ctx, id, day, amount, 4, &p, &R), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "not a finite number"));
  amount[2] = 3;
  assert_int_equal(strata_clv_rfm_compute(ctx, id, day, amount, 0, &p, &R), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "empty"));
  assert_int_equal(strata_clv_rfm_compute(ctx, NULL, day, amount, 4, &p, &R), STRATA_ERR_USAGE);
  p.holdout_days = 10;
  assert_int_equal(strata_clv_rfm_compute(ctx, id, day, amount, 4, &p, &R), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "calibration_end"));
  strata_clv_rfm_params_init(&p);
  p.calibration_end = DAY0 - 1;
  assert_int_equal(strata_clv_rfm_compute(ctx, id, day, amount, 4, &p, &R), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "no transaction on or before"));
  strata_clv_rfm_params_init(&p);
  p.period_days = 0;
  assert_int_equal(strata_clv_rfm_compute(ctx, id, day, amount, 4, &p, &R), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "period_days"));
  strata_clv_rfm_params_init(&p);
  p.freq_multiplier = 0.0;
  assert_int_equal(strata_clv_rfm_compute(ctx, id, day, amount, 4, &p, &R), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "freq_multiplier"));
  strata_clv_rfm_free(NULL);
  strata_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hand_case_days),
      cmocka_unit_test(test_random_logs_match_reference),
      cmocka_unit_test(test_regression_customer_straddling_buckets),
      cmocka_unit_test(test_extreme_ids_and_days),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
