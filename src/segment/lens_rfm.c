/*
 * RFM scores 1..B by rfm 0.3.0's quantile bins (the rule is written out in lens.h): per
 * customer summaries from the transaction log, block by block, then per column an exact
 * type-7 quantile from radix-sorted keys and a half-open bin count.
 *
 * Cost: the summaries are one pass over the log; each score column is one LSD radix sort
 * (O(n), 11-bit digits, digits that are equal for every key are skipped, so whole-day and
 * count columns take two or three passes) and one O(n B) pass.
 */
#include <math.h>
#include <string.h>

#include "core/core.h"
#include "segment/lens.h"

/* |x| from which x + 1 == x may hold: rfm's upper bound max + 1 stops covering max. */
#define LENS_EXACT_LIMIT 9007199254740992.0 /* 2^53 */

strata_status strata_lens_rfm_accumulate(strata_ctx *ctx, const int64_t *customer,
                                         const int32_t *day, const double *amount, int64_t m,
                                         int64_t row0, int64_t n, int32_t *last_day,
                                         double *frequency, double *monetary) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(m < 0 || n < 0, ctx, STRATA_ERR_USAGE,
                 "RFM summary: m = %lld and n = %lld "
                 "must not be negative",
                 (long long)m, (long long)n);
  STRATA_FAIL_IF(m > 0 && (!customer || !day || !amount || !last_day || !frequency || !monetary),
                 ctx, STRATA_ERR_USAGE, "RFM summary: an input or output array is NULL");
  for (int64_t t = 0; t < m; t++) {
    int64_t c = customer[t];
    STRATA_FAIL_IF(c < 0 || c >= n, ctx, STRATA_ERR_DATA,
                   "transaction row %lld: customer index %lld is outside [0, %lld)",
                   (long long)(row0 + t), (long long)c, (long long)n);
    STRATA_FAIL_IF(!isfinite(amount[t]), ctx, STRATA_ERR_DATA,
                   "transaction row %lld: amount is not finite", (long long)(row0 + t));
    if (day[t] > last_day[c]) last_day[c] = day[t];
    frequency[c] += 1.0;
    monetary[c] += amount[t];
  }
cleanup:
  return st;
}

strata_status strata_lens_rfm_recency(strata_ctx *ctx, const int32_t *last_day, int64_t n,
                                      int32_t as_of, double *recency_days) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(n < 0 || (n > 0 && (!last_day || !recency_days)), ctx, STRATA_ERR_USAGE,
                 "RFM recency: n = %lld with a NULL array", (long long)n);
  for (int64_t i = 0; i < n; i++) {
    STRATA_FAIL_IF(last_day[i] == STRATA_LENS_NO_DAY, ctx, STRATA_ERR_DATA,
                   "customer row %lld has no transaction: recency is undefined", (long long)i);
    STRATA_FAIL_IF(last_day[i] > as_of, ctx, STRATA_ERR_DATA,
                   "customer row %lld bought on day %d, after the as-of day %d", (long long)i,
                   (int)last_day[i], (int)as_of);
    recency_days[i] = (double)as_of - (double)last_day[i];
  }
cleanup:
  return st;
}

/* Order-preserving map of a finite double to an unsigned key: flip all bits of negatives
 * (their order reverses), set the sign bit of non-negatives. -0 sorts just below +0, which
 * compare equal, so no quantile or count can tell. */
static inline uint64_t key_of(double x) {
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return (u >> 63) ? ~u : (u | 0x8000000000000000ull);
}

static inline double double_of(uint64_t k) {
  uint64_t u = (k >> 63) ? (k & 0x7fffffffffffffffull) : ~k;
  double x;
  memcpy(&x, &u, sizeof x);
  return x;
}

#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_PASSES 6 /* 6 x 11 >= 64 */

strata_status strata_lens_order_stats(strata_ctx *ctx, const double *x, int64_t n,
                                      const int64_t *ranks, int64_t k, double *values) {
  strata_status st = STRATA_OK;
  uint64_t *a = NULL, *b = NULL;
  size_t(*hist)[RADIX_SIZE] = NULL;
  STRATA_FAIL_IF(n < 1 || k < 0 || (k > 0 && (!ranks || !values)) || !x, ctx, STRATA_ERR_USAGE,
                 "order statistics: n = %lld, k = %lld or a NULL array", (long long)n,
                 (long long)k);
  for (int64_t j = 0; j < k; j++)
    STRATA_FAIL_IF(ranks[j] < 0 || ranks[j] >= n, ctx, STRATA_ERR_USAGE,
                   "order statistics: rank %lld is outside [0, %lld)", (long long)ranks[j],
                   (long long)n);
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof *a, "sort keys", (void **)&a));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof *b, "sort scratch", (void **)&b));
  STRATA_TRY(strata_calloc(ctx, RADIX_PASSES, sizeof *hist, "sort histograms", (void **)&hist));
  for (int64_t i = 0; i < n; i++) {
    uint64_t key = key_of(x[i]);
    a[i] = key;
    for (int p = 0; p < RADIX_PASSES; p++) hist[p][(key >> (p * RADIX_BITS)) & (RADIX_SIZE - 1)]++;
  }
  uint64_t *src = a, *dst = b;
  for (int p = 0; p < RADIX_PASSES; p++) {
    size_t *h = hist[p];
    /* A digit shared by every key leaves the order as it is: skip the pass. */
    if (h[(src[0] >> (p * RADIX_BITS)) & (RADIX_SIZE - 1)] == (size_t)n) continue;
    size_t sum = 0;
    for (size_t d = 0; d < RADIX_SIZE; d++) {
      size_t c = h[d];
      h[d] = sum;
      sum += c;
    }
    for (int64_t i = 0; i < n; i++)
      dst[h[(src[i] >> (p * RADIX_BITS)) & (RADIX_SIZE - 1)]++] = src[i];
    uint64_t *t = src;
    src = dst;
    dst = t;
  }
  for (int64_t j = 0; j < k; j++) values[j] = double_of(src[ranks[j]]);
cleanup:
  strata_free(a);
  strata_free(b);
  strata_free(hist);
  return st;
}

/* R's quantile(x, prob, type = 7), with R's own operations so that ties and the last bit
 * agree: index = 1 + (n - 1) * prob, lo = floor, hi = ceiling (1-based ranks), then
 * qs = x(lo), and (1 - h) x(lo) + h x(hi) when index > lo and x(hi) != x(lo). */
static void quantile7_ranks(int64_t n, double prob, int64_t *lo, int64_t *hi, double *h) {
  double index = 1.0 + (double)(n - 1) * prob;
  double flo = floor(index);
  *lo = (int64_t)flo - 1;
  *hi = (int64_t)ceil(index) - 1;
  *h = index - flo; /* > 0 exactly when index > lo */
}

static double quantile7(double xlo, double xhi, double h) {
  if (h > 0 && xhi != xlo) return (1.0 - h) * xlo + h * xhi;
  return xlo;
}

strata_status strata_lens_rfm_score_column(strata_ctx *ctx, const double *x, int64_t n, int bins,
                                           int higher_is_better, const char *what, uint8_t *score,
                                           double *breaks) {
  strata_status st = STRATA_OK;
  double b[STRATA_RFM_MAX_BINS];
  const char *name = what ? what : "x";
  STRATA_FAIL_IF(n < 1, ctx, STRATA_ERR_USAGE, "RFM %s: n = %lld, need at least one customer", name,
                 (long long)n);
  STRATA_FAIL_IF(bins < 1 || bins > STRATA_RFM_MAX_BINS, ctx, STRATA_ERR_USAGE,
                 "RFM %s: bins = %d is outside 1..%d", name, bins, STRATA_RFM_MAX_BINS);
  STRATA_FAIL_IF(!x || !score, ctx, STRATA_ERR_USAGE, "RFM %s: NULL array", name);
  for (int64_t i = 0; i < n; i++)
    STRATA_FAIL_IF(!(fabs(x[i]) < LENS_EXACT_LIMIT), ctx, STRATA_ERR_DATA,
                   "RFM %s: customer row %lld is %g (need a finite value below 2^53 in "
                   "magnitude)",
                   name, (long long)i, x[i]);
  /* R's seq(0, 1, length.out = B + 1) is from + (1:(B-1)) * ((to - from) / B): j * (1 / B). */
  const double by = 1.0 / (double)bins;
  int64_t ranks[2 * (STRATA_RFM_MAX_BINS - 1)];
  double stats[2 * (STRATA_RFM_MAX_BINS - 1)], h[STRATA_RFM_MAX_BINS - 1];
  for (int j = 1; j < bins; j++)
    quantile7_ranks(n, (double)j * by, &ranks[2 * (j - 1)], &ranks[2 * (j - 1) + 1], &h[j - 1]);
  if (bins > 1) STRATA_TRY(strata_lens_order_stats(ctx, x, n, ranks, 2 * (bins - 1), stats));
  for (int j = 1; j < bins; j++)
    b[j - 1] =
        quantile7(stats[2 * (j - 1)], stats[2 * (j - 1) + 1], h[j - 1]) + 1.0; /* rfm's + 1 */
  if (breaks)
    for (int j = 0; j < bins - 1; j++) breaks[j] = b[j];
  for (int64_t i = 0; i < n; i++) {
    int bin = 1;
    for (int j = 0; j < bins - 1; j++) bin += (b[j] <= x[i]);
    score[i] = (uint8_t)(higher_is_better ? bin : bins + 1 - bin);
  }
cleanup:
  return st;
}

strata_status strata_lens_rfm_score(strata_ctx *ctx, const double *recency_days,
                                    const double *frequency, const double *monetary, int64_t n,
                                    int bins, uint8_t *r, uint8_t *f, uint8_t *m, double *r_breaks,
                                    double *f_breaks, double *m_breaks) {
  strata_status st = STRATA_OK;
  STRATA_TRY(
      strata_lens_rfm_score_column(ctx, recency_days, n, bins, 0, "recency_days", r, r_breaks));
  STRATA_TRY(strata_lens_rfm_score_column(ctx, frequency, n, bins, 1, "frequency", f, f_breaks));
  STRATA_TRY(strata_lens_rfm_score_column(ctx, monetary, n, bins, 1, "monetary", m, m_breaks));
cleanup:
  return st;
}
