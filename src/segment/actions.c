/*
 * Action hints of segments: the rule table of actions.h applied to one segment's profile
 * ratios (segment mean over base mean). The thresholds sit here once so that the code, the
 * header's table and the report's glossary (strata_action_rules) cannot drift apart.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "segment/actions.h"

#define HIGH_CLV 1.2     /* mean CLV at least this x base: high value */
#define HIGH_REVENUE 1.5 /* mean revenue at least this x base: high value by past spend */
#define AT_RISK 0.8      /* mean P(alive) at most this x base: at risk */
#define LAPSED 0.5       /* mean P(alive) at most this x base: lapsed */
#define PAST_REVENUE 0.5 /* mean revenue at least this x base: worth winning back */
#define AT_STAKE 2.0     /* share of CLV in "high value / high risk" at least this x base */
#define MAJORITY 0.5     /* share of accounts that makes a group "mostly" something */
#define NEW_TENURE 0.6   /* mean tenure at most this x base: new */
#define HEALTHY 0.8      /* mean P(alive) at least this x base: healthy enough to nurture */
#define LOW_CLV 0.67     /* mean CLV at most this x base: low value */

const strata_action_rule strata_action_rules[STRATA_ACTION_RULES] = {
    {STRATA_ACTION_REVIEW, "no value columns (no transactions, or --no-clv)",
     "value and risk are unknown: treat by the profile alone"},
    {STRATA_ACTION_NURTURE, "no purchase in the log for at least half of the accounts",
     "convert them to a first purchase"},
    {STRATA_ACTION_RETAIN,
     "mean CLV >= 1.2 x the base's or mean revenue >= 1.5 x, and mean P(alive) <= 0.8 x the "
     "base's or a share of its CLV in the \"high value / high risk\" cell >= 2 x the base's",
     "high value at risk: keep them (service, loyalty offers, account reviews)"},
    {STRATA_ACTION_WIN_BACK,
     "mean P(alive) <= 0.5 x the base's and mean revenue >= 0.5 x the base's",
     "lapsed or dormant, but they spent before: win them back"},
    {STRATA_ACTION_GROW, "mean CLV >= 1.2 x the base's (and not at risk)",
     "high value and healthy: upsell and cross-sell"},
    {STRATA_ACTION_NURTURE,
     "one-time buyers for at least half, or mean tenure <= 0.6 x the base's; and mean P(alive) "
     ">= 0.8 x the base's",
     "new or one-time buyers who are still active: bring them to the second purchase"},
    {STRATA_ACTION_DEPRIORITISE,
     "mean CLV <= 0.67 x the base's and mean P(alive) <= 0.8 x, or mean P(alive) <= 0.5 x",
     "low value or low activity: serve at low cost"},
    {STRATA_ACTION_MAINTAIN, "otherwise",
     "neither high value nor slipping away: keep the service level"},
};

const char *strata_action_name(strata_action a) {
  switch (a) {
    case STRATA_ACTION_RETAIN: return "Retain";
    case STRATA_ACTION_WIN_BACK: return "Win back";
    case STRATA_ACTION_GROW: return "Grow";
    case STRATA_ACTION_NURTURE: return "Nurture";
    case STRATA_ACTION_DEPRIORITISE: return "Deprioritise";
    case STRATA_ACTION_MAINTAIN: return "Maintain";
    case STRATA_ACTION_REVIEW: break;
  }
  return "Review";
}

/* A base of 0 (or NaN) gives ratio 1: "as the base", so no threshold rule fires on it. */
static double ratio(double a, double base) {
  return (isfinite(a) && isfinite(base) && base > 0.0) ? a / base : 1.0;
}

/* Share of segment s's CLV (and of the base's) in the "high value / high risk" cell; -1 when
 * the lenses cannot say (no lenses or no CLV). */
static void at_stake(const strata_lenses *l, int64_t s, double *seg, double *base) {
  *seg = *base = -1.0;
  if (l == NULL || l->x_vr_clv == NULL) return;
  double seg_total = 0.0, base_total = 0.0;
  const double *row = l->x_vr_clv + s * (STRATA_VR_CELLS + 1);
  for (int c = 0; c <= STRATA_VR_CELLS; c++) seg_total += row[c];
  for (int c = 0; c < STRATA_VR_CELLS; c++) base_total += l->vr.clv_total[c];
  if (seg_total > 0.0) *seg = row[0] / seg_total;
  if (base_total > 0.0) *base = l->vr.clv_total[0] / base_total;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
set(strata_action_hint *out, int rule, const char *fmt, ...) {
  va_list ap;
  out->rule = rule;
  out->action = strata_action_rules[rule].action;
  va_start(ap, fmt);
  vsnprintf(out->reason, sizeof out->reason, fmt, ap);
  va_end(ap);
}

void strata_action_for_segment(const strata_profile *p, const strata_lenses *lenses,
                               int64_t segment, strata_action_hint *out) {
  memset(out, 0, sizeof *out);
  if (!p->has_value) {
    set(out, 0, "no purchase data: value and risk unknown");
    return;
  }
  const int64_t s = segment;
  const double clv = ratio(p->clv_mean[s], p->base_clv_mean);
  const double alive = ratio(p->p_alive_mean[s], p->base_p_alive_mean);
  const double revenue = p->revenue_mean ? ratio(p->revenue_mean[s], p->base_revenue_mean) : 1.0;
  const double tenure = ratio(p->age_mean[s], p->base_age_mean);
  const double no_purchase = p->no_purchase_share ? p->no_purchase_share[s] : 0.0;
  const double one_time = p->one_time_share ? p->one_time_share[s] : 0.0;
  double stake, stake_base;
  at_stake(lenses, s, &stake, &stake_base);
  const int high_value = clv >= HIGH_CLV || revenue >= HIGH_REVENUE;
  const int stake_high = stake >= 0.0 && stake_base > 0.0 && stake >= AT_STAKE * stake_base;

  if (no_purchase >= MAJORITY) {
    set(out, 1, "%.0f%% have not bought yet", 100.0 * no_purchase);
  } else if (high_value && (alive <= AT_RISK || stake_high)) {
    if (alive <= AT_RISK)
      set(out, 2, "high value (mean CLV %.2f x the base's) at risk (mean P(alive) %.2f x)", clv,
          alive);
    else
      set(out, 2,
          "high value (mean CLV %.2f x the base's) with %.0f%% of its CLV in the \"high value / "
          "high risk\" cell",
          clv, 100.0 * stake);
  } else if (alive <= LAPSED && revenue >= PAST_REVENUE) {
    set(out, 3, "lapsed (mean P(alive) %.2f x the base's) after spending %.2f x the base's", alive,
        revenue);
  } else if (clv >= HIGH_CLV) {
    set(out, 4, "high value (mean CLV %.2f x the base's) and active (mean P(alive) %.2f x)", clv,
        alive);
  } else if ((one_time >= MAJORITY || tenure <= NEW_TENURE) && alive >= HEALTHY) {
    if (one_time >= MAJORITY)
      set(out, 5, "%.0f%% one-time buyers, still active (mean P(alive) %.2f x the base's)",
          100.0 * one_time, alive);
    else
      set(out, 5, "new (mean tenure %.2f x the base's) and active (mean P(alive) %.2f x)", tenure,
          alive);
  } else if ((clv <= LOW_CLV && alive <= AT_RISK) || alive <= LAPSED) {
    /* Low value alone is not a reason to stop serving active customers (a base's CLV is
     * skewed: most segments sit below its mean); low value that is also slipping away is. */
    set(out, 6, "low value (mean CLV %.2f x the base's), mean P(alive) %.2f x", clv, alive);
  } else {
    set(out, 7, "not high value (mean CLV %.2f x the base's), not slipping away (mean P(alive) %.2f x)",
        clv, alive);
  }
}
