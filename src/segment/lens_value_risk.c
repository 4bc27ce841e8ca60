/*
 * Value x risk: CLV tier (by competition rank, ties kept together in the higher tier) against
 * P(alive) band, with the accounts, CLV at stake, mean P(alive) and revenue to date per cell.
 * The tier boundaries are two order statistics of CLV, from one radix sort of its keys
 * (O(n)); the cells are one pass in row order.
 */
#include <math.h>

#include "core/core.h"
#include "segment/lens.h"

void strata_value_risk_params_init(strata_value_risk_params *p) {
  p->top_share = 0.2;
  p->next_share = 0.3;
  p->risk_high_below = 0.5;
  p->risk_low_from = 0.8;
}

static const char *const cell_names[STRATA_VR_CELLS] = {
    "High value / high risk: retention priority",
    "High value / medium risk: nurture and watch",
    "High value / low risk: protect and grow",
    "Mid value / high risk: win back selectively",
    "Mid value / medium risk: develop",
    "Mid value / low risk: grow share of wallet",
    "Low value / high risk: let go",
    "Low value / medium risk: low-cost reactivation",
    "Low value / low risk: serve at low cost",
};

const char *strata_value_risk_cell_name(int cell) {
  return cell >= 0 && cell < STRATA_VR_CELLS ? cell_names[cell] : NULL;
}

/* round(share * n), half up; shares are in [0, 1] so the result is in [0, n]. */
static int64_t share_count(double share, int64_t n) {
  double c = floor(share * (double)n + 0.5);
  return c > (double)n ? n : (int64_t)c;
}

strata_status strata_lens_value_risk(strata_ctx *ctx, const strata_value_risk_params *p,
                                     const double *clv, const double *p_alive,
                                     const double *revenue, int64_t n, int32_t *cell,
                                     strata_value_risk_cells *cells) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(!p, ctx, STRATA_ERR_USAGE, "value x risk: NULL parameters");
  STRATA_FAIL_IF(!(p->top_share >= 0 && p->next_share >= 0 && p->top_share + p->next_share <= 1),
                 ctx, STRATA_ERR_USAGE,
                 "value x risk: top_share = %g and next_share = %g must be "
                 ">= 0 with a sum <= 1",
                 p->top_share, p->next_share);
  STRATA_FAIL_IF(
      !(p->risk_high_below >= 0 && p->risk_high_below <= p->risk_low_from && p->risk_low_from <= 1),
      ctx, STRATA_ERR_USAGE,
      "value x risk: need 0 <= risk_high_below (%g) <= "
      "risk_low_from (%g) <= 1",
      p->risk_high_below, p->risk_low_from);
  STRATA_FAIL_IF(n < 0 || (n > 0 && (!clv || !p_alive)), ctx, STRATA_ERR_USAGE,
                 "value x risk: n = %lld with a NULL clv or p_alive", (long long)n);
  for (int64_t i = 0; i < n; i++) {
    STRATA_FAIL_IF(!isfinite(clv[i]), ctx, STRATA_ERR_DATA,
                   "value x risk: clv of customer row "
                   "%lld is not finite",
                   (long long)i);
    STRATA_FAIL_IF(!(p_alive[i] >= 0 && p_alive[i] <= 1), ctx, STRATA_ERR_DATA,
                   "value x risk: p_alive of customer row %lld is %g, not in [0, 1]", (long long)i,
                   p_alive[i]);
    STRATA_FAIL_IF(revenue && !isfinite(revenue[i]), ctx, STRATA_ERR_DATA,
                   "value x risk: revenue of customer row %lld is not finite", (long long)i);
  }
  const int64_t n_top = share_count(p->top_share, n);
  const int64_t n_upper = share_count(p->top_share + p->next_share, n);
  /* g < n_top  <=>  clv >= the n_top-th largest value: with ties, every customer equal to the
   * boundary value has fewer than n_top strictly larger ones, so all of them join the tier. */
  double top_min = NAN, upper_min = NAN;
  if (n > 0 && n_upper > 0) {
    const int64_t ranks[2] = {n - (n_top > 0 ? n_top : 1), n - n_upper};
    double v[2];
    STRATA_TRY(strata_lens_order_stats(ctx, clv, n, ranks, 2, v));
    if (n_top > 0) top_min = v[0];
    upper_min = v[1];
  }
  if (cells) {
    for (int c = 0; c < STRATA_VR_CELLS; c++) {
      cells->accounts[c] = 0;
      cells->clv_total[c] = 0;
      cells->p_alive_mean[c] = 0;
      cells->revenue_total[c] = revenue ? 0 : NAN;
    }
    cells->clv_top_min = top_min;
    cells->clv_upper_min = upper_min;
  }
  for (int64_t i = 0; i < n; i++) {
    /* NaN bounds (empty tier) compare false, so nobody enters an empty tier. */
    int tier = clv[i] >= top_min ? 0 : clv[i] >= upper_min ? 1 : 2;
    int band = p_alive[i] < p->risk_high_below ? 0 : p_alive[i] < p->risk_low_from ? 1 : 2;
    int c = tier * 3 + band;
    if (cell) cell[i] = (int32_t)c;
    if (cells) {
      cells->accounts[c]++;
      cells->clv_total[c] += clv[i];
      cells->p_alive_mean[c] += p_alive[i];
      if (revenue) cells->revenue_total[c] += revenue[i];
    }
  }
  if (cells)
    for (int c = 0; c < STRATA_VR_CELLS; c++)
      cells->p_alive_mean[c] =
          cells->accounts[c] ? cells->p_alive_mean[c] / (double)cells->accounts[c] : NAN;
cleanup:
  return st;
}
