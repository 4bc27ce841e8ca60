/*
 * Customer performance segmentation: each account's revenue in the previous and the current
 * period, split into new, retained, expanded, contracted and lost revenue, summed per group
 * of accounts (a segment) and over all. Two O(n) passes; sums in row order, so the result
 * is fixed for a given input.
 */
#include <math.h>
#include <string.h>

#include "core/core.h"
#include "segment/lens.h"

void strata_growth_params_init(strata_growth_params *p) {
  p->as_of = 0;
  p->current_days = 365;
  p->previous_days = 365;
}

strata_status strata_lens_growth_accumulate(strata_ctx *ctx, const strata_growth_params *p,
                                            const int64_t *customer, const int32_t *day,
                                            const double *amount, int64_t m, int64_t row0,
                                            int64_t n, double *prev, double *curr) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(!p, ctx, STRATA_ERR_USAGE, "growth: NULL parameters");
  STRATA_FAIL_IF(p->current_days < 1 || p->previous_days < 1, ctx, STRATA_ERR_USAGE,
                 "growth: current_days = %d and previous_days = %d must be positive",
                 (int)p->current_days, (int)p->previous_days);
  STRATA_FAIL_IF(m < 0 || n < 0, ctx, STRATA_ERR_USAGE,
                 "growth: m = %lld and n = %lld must "
                 "not be negative",
                 (long long)m, (long long)n);
  STRATA_FAIL_IF(m > 0 && (!customer || !day || !amount || !prev || !curr), ctx, STRATA_ERR_USAGE,
                 "growth: an input or output array is NULL");
  /* In 64 bits: as_of - 730 days may leave int32 near its ends. */
  const int64_t split = (int64_t)p->as_of - p->current_days;
  const int64_t start = split - p->previous_days;
  for (int64_t t = 0; t < m; t++) {
    int64_t c = customer[t];
    STRATA_FAIL_IF(c < 0 || c >= n, ctx, STRATA_ERR_DATA,
                   "transaction row %lld: customer index %lld is outside [0, %lld)",
                   (long long)(row0 + t), (long long)c, (long long)n);
    STRATA_FAIL_IF(!isfinite(amount[t]), ctx, STRATA_ERR_DATA,
                   "transaction row %lld: amount is not finite", (long long)(row0 + t));
    int64_t d = day[t];
    if (d >= split && d < p->as_of)
      curr[c] += amount[t];
    else if (d >= start && d < split)
      prev[c] += amount[t];
  }
cleanup:
  return st;
}

static void group_add(strata_growth_group *g, double p, double c) {
  g->accounts++;
  g->prev_total += p;
  g->curr_total += c;
  if (p > 0 && c > 0) {
    g->n_retained++;
    if (c >= p) {
      g->retained_revenue += p;
      if (c > p) {
        g->expanded_revenue += c - p;
        g->n_expanded++;
      }
    } else {
      g->retained_revenue += c;
      g->contracted_revenue += p - c;
      g->n_contracted++;
    }
  } else if (p > 0) {
    g->n_lost++;
    g->lost_revenue += p;
  } else if (c > 0) {
    g->n_new++;
    g->new_revenue += c;
  } else {
    g->n_inactive++;
  }
}

/* NaN, not Inf, when there is no base: a rate from nothing is undefined. */
static double ratio(double a, double b) { return b > 0 ? a / b : NAN; }

static void group_rates(strata_growth_group *g) {
  g->growth_rate = ratio(g->curr_total - g->prev_total, g->prev_total);
  g->account_retention = ratio((double)g->n_retained, (double)(g->n_retained + g->n_lost));
  g->gross_revenue_retention = ratio(g->retained_revenue, g->prev_total);
  g->net_revenue_retention = ratio(g->retained_revenue + g->expanded_revenue, g->prev_total);
}

strata_status strata_lens_growth(strata_ctx *ctx, const double *prev, const double *curr,
                                 const int32_t *labels, int64_t n, int64_t k,
                                 strata_growth_group *groups, strata_growth_group *total) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(n < 0 || (n > 0 && (!prev || !curr)), ctx, STRATA_ERR_USAGE,
                 "growth: n = %lld with a NULL prev or curr", (long long)n);
  STRATA_FAIL_IF(k < 1 || !groups, ctx, STRATA_ERR_USAGE,
                 "growth: k = %lld groups (need k >= 1 and a groups array)", (long long)k);
  STRATA_FAIL_IF(!labels && k != 1, ctx, STRATA_ERR_USAGE,
                 "growth: no labels but k = %lld (need k = 1)", (long long)k);
  size_t bytes = 0;
  STRATA_FAIL_IF(!strata_mul_size((size_t)k, sizeof *groups, &bytes), ctx, STRATA_ERR_USAGE,
                 "growth: k = %lld groups overflow", (long long)k);
  memset(groups, 0, bytes);
  if (total) memset(total, 0, sizeof *total);
  for (int64_t i = 0; i < n; i++) {
    STRATA_FAIL_IF(!(prev[i] >= 0 && isfinite(prev[i])), ctx, STRATA_ERR_DATA,
                   "growth: previous-period revenue of customer row %lld is %g (need finite, "
                   ">= 0)",
                   (long long)i, prev[i]);
    STRATA_FAIL_IF(!(curr[i] >= 0 && isfinite(curr[i])), ctx, STRATA_ERR_DATA,
                   "growth: current-period revenue of customer row %lld is %g (need finite, "
                   ">= 0)",
                   (long long)i, curr[i]);
    int64_t g = labels ? labels[i] : 0;
    STRATA_FAIL_IF(g < 0 || g >= k, ctx, STRATA_ERR_DATA,
                   "growth: label of customer row %lld is %lld, outside [0, %lld)", (long long)i,
                   (long long)g, (long long)k);
    group_add(&groups[g], prev[i], curr[i]);
    if (total) group_add(total, prev[i], curr[i]);
  }
  for (int64_t g = 0; g < k; g++) group_rates(&groups[g]);
  if (total) group_rates(total);
cleanup:
  return st;
}
