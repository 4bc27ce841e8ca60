/* Action hints (segment/actions.h): hand-made profiles hit every rule of the table, in its
 * order (an earlier rule wins over a later one that also applies), at the thresholds'
 * boundaries, with and without lenses; bases of zero never fire a rule; the reasons quote the
 * segment's ratios; the same input gives the same hint. */
#include <math.h>
#include <string.h>

#include "segment/actions.h"
#include "test_support.h"

/* Two segments; segment 0 is the one under test, everything is a ratio to a base of 1. */
typedef struct fixture {
  strata_profile p;
  double clv[2], alive[2], revenue[2], age[2], none[2], once[2];
  strata_lenses l;
  double x_vr_clv[2 * (STRATA_VR_CELLS + 1)];
} fixture;

static void init(fixture *f) {
  memset(f, 0, sizeof *f);
  f->p.k = 2;
  f->p.has_value = 1;
  f->p.clv_mean = f->clv;
  f->p.p_alive_mean = f->alive;
  f->p.revenue_mean = f->revenue;
  f->p.age_mean = f->age;
  f->p.no_purchase_share = f->none;
  f->p.one_time_share = f->once;
  for (int s = 0; s < 2; s++) f->clv[s] = f->alive[s] = f->revenue[s] = f->age[s] = 1.0;
  f->p.base_clv_mean = f->p.base_p_alive_mean = f->p.base_revenue_mean = f->p.base_age_mean = 1.0;
  /* lenses: 10 % of the base's CLV and of segment 0's in "high value / high risk" */
  f->l.k = 2;
  f->l.x_vr_clv = f->x_vr_clv;
  for (int c = 0; c < STRATA_VR_CELLS; c++) f->l.vr.clv_total[c] = c == 0 ? 10.0 : 90.0 / 8;
  for (int s = 0; s < 2; s++) {
    f->x_vr_clv[s * (STRATA_VR_CELLS + 1)] = 10.0;
    f->x_vr_clv[s * (STRATA_VR_CELLS + 1) + 4] = 90.0;
  }
}

static void set_stake(fixture *f, double share) {
  f->x_vr_clv[0] = 100.0 * share;
  f->x_vr_clv[4] = 100.0 * (1.0 - share);
}

static strata_action_hint hint(const fixture *f, int with_lenses) {
  strata_action_hint h;
  strata_action_for_segment(&f->p, with_lenses ? &f->l : NULL, 0, &h);
  return h;
}

static void expect(const fixture *f, int with_lenses, strata_action a, int rule) {
  strata_action_hint h = hint(f, with_lenses);
  if (h.action != a || h.rule != rule)
    fail_msg("expected %s (rule %d), got %s (rule %d): %s", strata_action_name(a), rule,
             strata_action_name(h.action), h.rule, h.reason);
  assert_true(strlen(h.reason) > 0);
}

static void test_table_matches_names(void **state) {
  (void)state;
  const strata_action want[STRATA_ACTION_RULES] = {
      STRATA_ACTION_REVIEW,       STRATA_ACTION_NURTURE, STRATA_ACTION_RETAIN,
      STRATA_ACTION_WIN_BACK,     STRATA_ACTION_GROW,    STRATA_ACTION_NURTURE,
      STRATA_ACTION_DEPRIORITISE, STRATA_ACTION_MAINTAIN};
  for (int r = 0; r < STRATA_ACTION_RULES; r++) {
    assert_int_equal(strata_action_rules[r].action, want[r]);
    assert_true(strlen(strata_action_rules[r].when) > 0 && strlen(strata_action_rules[r].why) > 0);
  }
  assert_string_equal(strata_action_name(STRATA_ACTION_RETAIN), "Retain");
  assert_string_equal(strata_action_name(STRATA_ACTION_WIN_BACK), "Win back");
  assert_string_equal(strata_action_name(STRATA_ACTION_GROW), "Grow");
  assert_string_equal(strata_action_name(STRATA_ACTION_NURTURE), "Nurture");
  assert_string_equal(strata_action_name(STRATA_ACTION_DEPRIORITISE), "Deprioritise");
  assert_string_equal(strata_action_name(STRATA_ACTION_MAINTAIN), "Maintain");
  assert_string_equal(strata_action_name((strata_action)99), "Review");
}

static void test_review_without_value_columns(void **state) {
  (void)state;
  fixture f;
  init(&f);
  f.p.has_value = 0;
  f.clv[0] = 5.0; /* ignored: without value columns nothing is known */
  expect(&f, 1, STRATA_ACTION_REVIEW, 0);
}

static void test_no_purchase_yet_is_nurtured_first(void **state) {
  (void)state;
  fixture f;
  init(&f);
  f.none[0] = 0.5;
  f.clv[0] = 3.0;
  f.alive[0] = 0.2; /* would be Retain, but most have not bought at all */
  expect(&f, 1, STRATA_ACTION_NURTURE, 1);
  f.none[0] = 0.49;
  expect(&f, 1, STRATA_ACTION_RETAIN, 2);
}

static void test_retain_high_value_at_risk(void **state) {
  (void)state;
  fixture f;
  init(&f);
  f.clv[0] = 2.0;
  f.alive[0] = 0.8; /* boundary: <= 0.8 x base is at risk */
  expect(&f, 0, STRATA_ACTION_RETAIN, 2);
  assert_non_null(strstr(hint(&f, 0).reason, "2.00 x"));
  assert_non_null(strstr(hint(&f, 0).reason, "0.80 x"));
  f.alive[0] = 0.81;
  expect(&f, 0, STRATA_ACTION_GROW, 4);
  /* high value by past revenue alone, CLV as the base's */
  f.clv[0] = 1.0;
  f.revenue[0] = 1.5;
  f.alive[0] = 0.7;
  expect(&f, 0, STRATA_ACTION_RETAIN, 2);
  f.revenue[0] = 1.49;
  expect(&f, 0, STRATA_ACTION_MAINTAIN, 7);
}

static void test_retain_by_clv_at_stake_needs_lenses(void **state) {
  (void)state;
  fixture f;
  init(&f);
  f.clv[0] = 1.5;
  f.alive[0] = 1.0;   /* healthy on average, yet a fifth of its CLV is high value / high risk */
  set_stake(&f, 0.2); /* 2 x the base's 10 % */
  expect(&f, 1, STRATA_ACTION_RETAIN, 2);
  assert_non_null(strstr(hint(&f, 1).reason, "20% of its CLV"));
  expect(&f, 0, STRATA_ACTION_GROW, 4); /* without lenses the profile alone says Grow */
  set_stake(&f, 0.19);
  expect(&f, 1, STRATA_ACTION_GROW, 4);
}

static void test_win_back_lapsed_with_past_revenue(void **state) {
  (void)state;
  fixture f;
  init(&f);
  f.alive[0] = 0.5;
  f.clv[0] = 0.3;
  f.revenue[0] = 0.5;
  expect(&f, 1, STRATA_ACTION_WIN_BACK, 3);
  f.revenue[0] = 0.49; /* lapsed and never spent much */
  expect(&f, 1, STRATA_ACTION_DEPRIORITISE, 6);
  f.revenue[0] = 1.0;
  f.alive[0] = 0.51; /* not lapsed: at risk, but low value */
  expect(&f, 1, STRATA_ACTION_DEPRIORITISE, 6);
}

static void test_grow_high_value_healthy(void **state) {
  (void)state;
  fixture f;
  init(&f);
  f.clv[0] = 1.2;
  f.alive[0] = 1.1;
  expect(&f, 1, STRATA_ACTION_GROW, 4);
  f.clv[0] = 1.19;
  expect(&f, 1, STRATA_ACTION_MAINTAIN, 7);
}

static void test_nurture_new_or_one_time(void **state) {
  (void)state;
  fixture f;
  init(&f);
  f.once[0] = 0.5;
  f.clv[0] = 0.4; /* low value now, but active one-time buyers: nurture before deprioritise */
  f.alive[0] = 1.3;
  expect(&f, 1, STRATA_ACTION_NURTURE, 5);
  assert_non_null(strstr(hint(&f, 1).reason, "50% one-time"));
  f.alive[0] = 0.79; /* no longer active enough */
  expect(&f, 1, STRATA_ACTION_DEPRIORITISE, 6);
  init(&f);
  f.age[0] = 0.6;
  f.alive[0] = 0.8;
  expect(&f, 1, STRATA_ACTION_NURTURE, 5);
  assert_non_null(strstr(hint(&f, 1).reason, "new"));
  f.age[0] = 0.61;
  expect(&f, 1, STRATA_ACTION_MAINTAIN, 7);
}

static void test_deprioritise_low_value(void **state) {
  (void)state;
  fixture f;
  init(&f);
  f.clv[0] = 0.67;
  f.alive[0] = 0.8;
  expect(&f, 1, STRATA_ACTION_DEPRIORITISE, 6);
  f.clv[0] = 0.68;
  expect(&f, 1, STRATA_ACTION_MAINTAIN, 7);
  f.clv[0] = 0.67;
  f.alive[0] = 0.81; /* low value but active: kept */
  expect(&f, 1, STRATA_ACTION_MAINTAIN, 7);
}

static void test_zero_or_nan_base_never_fires(void **state) {
  (void)state;
  fixture f;
  init(&f);
  f.p.base_clv_mean = 0.0;
  f.clv[0] = 100.0;
  expect(&f, 1, STRATA_ACTION_MAINTAIN, 7);
  f.p.base_clv_mean = 1.0;
  f.clv[0] = NAN;
  expect(&f, 1, STRATA_ACTION_MAINTAIN, 7);
  /* missing optional columns read as "like the base" */
  init(&f);
  f.p.revenue_mean = NULL;
  f.p.one_time_share = NULL;
  f.p.no_purchase_share = NULL;
  expect(&f, 1, STRATA_ACTION_MAINTAIN, 7);
}

static void test_deterministic_and_per_segment(void **state) {
  (void)state;
  fixture f;
  init(&f);
  f.clv[0] = 2.5;
  f.alive[0] = 0.6;
  f.clv[1] = 0.2;
  f.alive[1] = 0.7;
  strata_action_hint a = hint(&f, 1), b = hint(&f, 1), c;
  assert_int_equal(a.action, b.action);
  assert_string_equal(a.reason, b.reason);
  strata_action_for_segment(&f.p, &f.l, 1, &c);
  assert_int_equal(c.action, STRATA_ACTION_DEPRIORITISE);
  assert_int_equal(a.action, STRATA_ACTION_RETAIN);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_matches_names),
      cmocka_unit_test(test_review_without_value_columns),
      cmocka_unit_test(test_no_purchase_yet_is_nurtured_first),
      cmocka_unit_test(test_retain_high_value_at_risk),
      cmocka_unit_test(test_retain_by_clv_at_stake_needs_lenses),
      cmocka_unit_test(test_win_back_lapsed_with_past_revenue),
      cmocka_unit_test(test_grow_high_value_healthy),
      cmocka_unit_test(test_nurture_new_or_one_time),
      cmocka_unit_test(test_deprioritise_low_value),
      cmocka_unit_test(test_zero_or_nan_base_never_fires),
      cmocka_unit_test(test_deterministic_and_per_segment),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
