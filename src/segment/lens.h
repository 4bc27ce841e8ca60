/*
 * The lenses marketers already know, beside the clusters (issue 13, item 4): RFM scores and
 * the named RFM grid, the value x risk matrix, the growth decomposition of revenue between two
 * periods, and cross-tables of any two labellings. Pure functions over arrays: no HDF5, no
 * printing, no threads (each is one or two O(n) passes, or a radix sort; results do not
 * depend on the thread count because there is none). The pipeline wires them in.
 *
 * Conventions: n is the number of customers, customer index i in [0, n). Every pointer is
 * borrowed and must hold the stated number of elements; outputs are written, never freed, by
 * these functions, except the rule table, which the caller frees with strata_rfm_rules_free.
 * Errors: STRATA_ERR_USAGE for a bad parameter (named), STRATA_ERR_DATA for a bad value (named
 * with its row), STRATA_ERR_IO for an unreadable rule file, STRATA_ERR_NOMEM / _BUDGET from
 * strata_alloc. On failure the outputs are unspecified. Thread safety: every function is
 * reentrant; distinct contexts may be used from distinct threads.
 *
 * Typical use in the pipeline: strata_lens_rfm_accumulate per block of /transactions, then
 * strata_lens_rfm_recency (as_of = last day of the log + 1), strata_lens_rfm_score and
 * strata_lens_rfm_grid (strata_rfm_rules_default, or strata_rfm_rules_read of a user's CSV);
 * strata_lens_value_risk on /clv/{clv, p_alive}; strata_lens_growth_accumulate per block, then
 * strata_lens_growth by /segments/label; strata_lens_crosstab of /segments/label against the
 * RFM or value-risk cells, weighted by CLV or revenue.
 */
#ifndef STRATA_SEGMENT_LENS_H
#define STRATA_SEGMENT_LENS_H

#include <stdint.h>

#include "strata.h"

/* ======================================================================================
 * 1. RFM scores (lens_rfm.c)
 *
 * Inputs as the R package rfm 0.3.0 builds them in rfm_table_order():
 *   recency   = as_of - day of the last purchase, in days (analysis_date - max(order_date));
 *   frequency = number of transactions (rows of the log: n(), not distinct purchase days);
 *   monetary  = total revenue (sum of the amounts: rfm's `amount`, not the mean).
 *
 * Binning, exactly as rfm 0.3.0 (R/utils.R bins(), bins_lower(), bins_upper(); the loops of
 * rfm_prep_bins() in R/rfm-table-transaction.R), for `bins` = B:
 *   p_j = j * (1 / B), j = 1 .. B-1         (R's seq(0, 1, length.out = B + 1), inner points)
 *   q_j = R's quantile(x, p_j, type = 7):    index = 1 + (n - 1) p_j, lo = floor(index),
 *         hi = ceiling(index), h = index - lo; q = x(lo), and when h > 0 and x(hi) != x(lo):
 *         q = (1 - h) x(lo) + h x(hi)   (x(k) = k-th smallest, 1-based; the same floating-point
 *         operations as current R's quantile.default, whose x(hi) != x(lo) guard keeps tied
 *         order statistics exact)
 *   b_j = q_j + 1                            (rfm adds 1 to every inner break)
 *   bin intervals [min, b_1), [b_1, b_2), ..., [b_{B-1}, max + 1): left-closed, right-open.
 * So bin(x) = 1 + #{j : b_j <= x}. Repeated breaks (many equal values) give empty bins, which
 * are skipped: equal values always share a score, and a heavily tied column uses fewer than B
 * scores. frequency and monetary score = bin(x) (5 = most frequent / highest spend); recency
 * score = B + 1 - bin(x) (5 = fewest days since the last purchase). Hence for n = 1 or an
 * all-equal column every customer is in bin 1: R = B, F = 1, M = 1 (as rfm gives).
 * The "+ 1" is rfm's: with whole days and counts, x < q + 1 keeps every value up to q (up to
 * floor(q) + 1 for a fractional q) in the lower bin; with money it moves the break one
 * currency unit up. We keep it to match rfm.
 * Values must be finite with |x| < 2^53 (beyond that x + 1 == x and rfm's last interval
 * [b, max + 1) no longer holds max: rfm leaves those scores NA); NaN/Inf fail naming the row.
 * Cost: one LSD radix sort of the column's keys (O(n), 2 n 64-bit keys of scratch) per column.
 * ====================================================================================== */

#define STRATA_RFM_MAX_BINS 9
#define STRATA_LENS_NO_DAY INT32_MIN /* last_day of a customer without any transaction */

/* Accumulates one block of m transactions into per-customer summaries: last_day[c] =
 * max(last_day[c], day), frequency[c] += 1, monetary[c] += amount. Before the first block
 * set last_day to STRATA_LENS_NO_DAY and frequency, monetary to 0. customer[t] must be in
 * [0, n) and amount finite: else STRATA_ERR_DATA naming transaction row row0 + t (row0 is the
 * block's first row in the whole log, for the message only). Blocks may come in any order;
 * sums add in the order the rows are given. */
strata_status strata_lens_rfm_accumulate(strata_ctx *ctx, const int64_t *customer,
                                         const int32_t *day, const double *amount, int64_t m,
                                         int64_t row0, int64_t n, int32_t *last_day,
                                         double *frequency, double *monetary);

/* recency_days[i] = as_of - last_day[i]. A customer without transactions, or with a purchase
 * after as_of, fails with STRATA_ERR_DATA naming the customer row. (rfm's analysis date is
 * usually the day after the log ends, giving recency >= 1.) */
strata_status strata_lens_rfm_recency(strata_ctx *ctx, const int32_t *last_day, int64_t n,
                                      int32_t as_of, double *recency_days);

/* Scores one column x[0..n) into score[0..n) in 1..bins by the rule above: higher_is_better
 * = 1 for frequency and monetary (bin), 0 for recency in days (bins + 1 - bin). breaks, when
 * not NULL, receives the bins - 1 inner breaks b_j (rfm's `threshold` table). `what` names
 * the column in messages ("recency_days"). n >= 1, 1 <= bins <= STRATA_RFM_MAX_BINS. */
strata_status strata_lens_rfm_score_column(strata_ctx *ctx, const double *x, int64_t n, int bins,
                                           int higher_is_better, const char *what, uint8_t *score,
                                           double *breaks);

/* The three scores at once: r from recency_days (descending), f from frequency and m from
 * monetary (ascending). Any of the breaks pointers may be NULL (else bins - 1 each). */
strata_status strata_lens_rfm_score(strata_ctx *ctx, const double *recency_days,
                                    const double *frequency, const double *monetary, int64_t n,
                                    int bins, uint8_t *r, uint8_t *f, uint8_t *m, double *r_breaks,
                                    double *f_breaks, double *m_breaks);

/* Internal helper shared with the value tiers: values[j] = the ranks[j]-th smallest of
 * x[0..n) (0-based rank; finite values, which the caller has checked; 0 <= ranks[j] < n).
 * O(n): one LSD radix sort on order-preserving 64-bit keys, 2 n keys of scratch. */
strata_status strata_lens_order_stats(strata_ctx *ctx, const double *x, int64_t n,
                                      const int64_t *ranks, int64_t k, double *values);

/* ======================================================================================
 * 2. The named RFM grid (lens_rfm_rules.c)
 *
 * A rule table is data: rows `segment,r_lo,r_hi,f_lo,f_hi,m_lo,m_hi` with inclusive score
 * ranges (rfm's dplyr::between). The default is rfm's documented table with Hibernating
 * (vignette "Segments" table of rfm, docs/articles/case-study and Introduction_to_RFM;
 * "<= k" read as 1-k), also committed as datasets/rfm_rules.csv:
 *
 *   Champions           4-5 4-5 4-5     Need Attention   2-3 2-3 2-3
 *   Loyal Customers     2-5 3-5 3-5     About To Sleep   2-3 1-2 1-2
 *   Potential Loyalist  3-5 1-3 1-3     At Risk          1-2 2-5 2-5
 *   New Customers       4-5 1-1 1-1     Can't Lose Them  1-1 4-5 4-5
 *   Promising           3-4 1-1 1-1     Hibernating      1-2 1-2 1-2
 *                                       Lost             1-2 1-2 1-2
 *
 * Matching order. rfm 0.3.0's rfm_segment() (since 0.2.2, "avoid overwriting of segments",
 * rfm issue 67) only assigns customers that have no segment yet: the FIRST matching rule in
 * table order wins (STRATA_RFM_FIRST_MATCH, the default). rfm <= 0.2.1 let every later match
 * overwrite (STRATA_RFM_LAST_MATCH: the last matching rule wins). With the default table,
 * Hibernating and Lost have the same ranges: first-match gives Hibernating (what rfm's
 * documented output shows), last-match gives Lost. No match: "Others" (cell -1).
 * Rows with the same segment name form one cell (a segment may be a union of boxes).
 * Caution, measured over the 125 score triples: rfm's documented table is not a partition.
 * 36 triples match no rule (Others) under either order; under first-match New Customers and
 * Promising (inside Potential Loyalist), Can't Lose Them (inside At Risk) and Lost (behind
 * Hibernating) can never win; under last-match Champions (inside Loyal Customers) and
 * Hibernating cannot. A firm that wants all eleven names needs its own table (CSV below).
 * ====================================================================================== */

typedef enum strata_rfm_match {
  STRATA_RFM_FIRST_MATCH = 0, /* rfm 0.3.0: the first matching rule in table order wins */
  STRATA_RFM_LAST_MATCH = 1   /* rfm <= 0.2.1: each later match overwrites */
} strata_rfm_match;

#define STRATA_RFM_NAME_MAX 64 /* bytes of a segment name, with its terminating NUL */

typedef struct strata_rfm_rule {
  char name[STRATA_RFM_NAME_MAX];
  uint8_t lo[3], hi[3]; /* inclusive score ranges for R, F, M, each within 1..9 */
  int32_t cell;         /* index of the rule's name among the table's distinct names */
} strata_rfm_rule;

/* Owned by the caller: strata_rfm_rules_free. */
typedef struct strata_rfm_rules {
  int64_t n_rules;
  strata_rfm_rule *rule; /* n_rules, in table order */
  int64_t n_cells;       /* distinct names, in order of first appearance */
  char **cell_name;      /* n_cells names (pointers into rule[].name) */
} strata_rfm_rules;

/* The built-in default table above, parsed from its CSV text by strata_rfm_rules_parse. */
strata_status strata_rfm_rules_default(strata_ctx *ctx, strata_rfm_rules **out);
/* Parses CSV text (len bytes, need not be NUL-terminated). An optional first line
 * `segment,r_lo,r_hi,f_lo,f_hi,m_lo,m_hi` is the header; blank lines and lines starting with
 * '#' are skipped; a name may be wrapped in double quotes (then it may hold commas; "" is a
 * quote). Every other line needs 7 fields, a non-empty name shorter than STRATA_RFM_NAME_MAX
 * bytes, whole numbers with 1 <= lo <= hi <= 9. Errors (STRATA_ERR_DATA) name `source` and the
 * 1-based line: "rules.csv line 4: f_hi '7x' is not a whole number". At least one rule. */
strata_status strata_rfm_rules_parse(strata_ctx *ctx, const char *text, size_t len,
                                     const char *source, strata_rfm_rules **out);
/* Reads and parses a rule file (STRATA_ERR_IO naming the path when it cannot be read). */
strata_status strata_rfm_rules_read(strata_ctx *ctx, const char *path, strata_rfm_rules **out);
void strata_rfm_rules_free(strata_rfm_rules *rules); /* NULL is fine */

/* Names each customer's cell: cell[i] in [0, rules->n_cells) or -1 ("Others"). counts, when
 * not NULL, holds n_cells + 1 entries: customers per cell, Others last. Scores must be in
 * 1..9 (else STRATA_ERR_DATA naming the row). O(n) through a 9^3 lookup table. */
strata_status strata_lens_rfm_grid(strata_ctx *ctx, const strata_rfm_rules *rules,
                                   strata_rfm_match match, const uint8_t *r, const uint8_t *f,
                                   const uint8_t *m, int64_t n, int32_t *cell, int64_t *counts);

/* ======================================================================================
 * 3. Value x risk (lens_value_risk.c)
 *
 * Tier by CLV rank. A customer's rank g is the number of customers with strictly larger CLV
 * (competition ranking, independent of row order). With n_top = round(top_share * n) and
 * n_upper = round((top_share + next_share) * n) (round half up), tier = top if g < n_top,
 * middle if g < n_upper, else rest. Ties at a boundary therefore all join the higher tier:
 * equal CLV always means equal tier, and a tier may hold a few more than its share.
 * Band by P(alive): high risk p < risk_high_below, medium risk_high_below <= p <
 * risk_low_from, low risk p >= risk_low_from. Cell = tier * 3 + band with tiers (top, middle,
 * rest) and bands (high, medium, low risk): cell 0 = "High value / high risk" (retention
 * priority). Cost: one radix sort of the CLV column.
 * ====================================================================================== */

#define STRATA_VR_CELLS 9

typedef struct strata_value_risk_params {
  double top_share;       /* 0.2: top 20 % by CLV */
  double next_share;      /* 0.3: the next 30 % */
  double risk_high_below; /* 0.5: P(alive) below this is high risk */
  double risk_low_from;   /* 0.8: P(alive) from this on is low risk */
} strata_value_risk_params;

void strata_value_risk_params_init(strata_value_risk_params *p);

/* Per cell (STRATA_VR_CELLS entries each). */
typedef struct strata_value_risk_cells {
  int64_t accounts[STRATA_VR_CELLS];
  double clv_total[STRATA_VR_CELLS];     /* "CLV at stake" */
  double p_alive_mean[STRATA_VR_CELLS];  /* NaN for an empty cell */
  double revenue_total[STRATA_VR_CELLS]; /* NaN when no revenue was given */
  double clv_top_min, clv_upper_min;     /* smallest CLV of the top / top+middle tiers (NaN if
                                            the tier is empty) */
} strata_value_risk_cells;

/* The manager's name of a cell ("High value / high risk: retention priority"); NULL outside
 * 0..8. Static strings. */
const char *strata_value_risk_cell_name(int cell);

/* clv and p_alive are required (finite; p_alive in [0, 1]), revenue (revenue to date) may be
 * NULL. cell[i] in 0..8 per customer (may be NULL); cells may be NULL. Sums run in row order. */
strata_status strata_lens_value_risk(strata_ctx *ctx, const strata_value_risk_params *p,
                                     const double *clv, const double *p_alive,
                                     const double *revenue, int64_t n, int32_t *cell,
                                     strata_value_risk_cells *cells);

/* ======================================================================================
 * 4. Growth: customer performance segmentation (lens_growth.c)
 *
 * Periods (days since 1970-01-01): current = [as_of - current_days, as_of), previous =
 * [as_of - current_days - previous_days, as_of - current_days). as_of itself is excluded, as
 * for recency (as_of = the day after the last transaction takes the last current_days days of
 * the log). Per account with p = previous, c = current revenue (both >= 0):
 *   new       = c          when p = 0 and c > 0   (conversion)
 *   retained  = min(p, c)  when p > 0 and c > 0
 *   expanded  = c - p      when p > 0 and c > p
 *   contracted= p - c      when p > 0 and 0 < c < p
 *   lost      = p          when p > 0 and c = 0
 * so that curr_total = retained + expanded + new and prev_total = retained + contracted + lost
 * (exactly, up to the rounding of the sums). Rates: growth = (curr - prev) / prev, NaN when
 * prev = 0 (no base to grow from; never +Inf); account retention = retained accounts /
 * accounts active in the previous period; gross revenue retention = retained / prev; net
 * revenue retention = (retained + expanded) / prev; each NaN when its denominator is 0.
 * ====================================================================================== */

typedef struct strata_growth_params {
  int32_t as_of;         /* first day after the current period (required: no default) */
  int32_t current_days;  /* 365 */
  int32_t previous_days; /* 365 */
} strata_growth_params;

void strata_growth_params_init(strata_growth_params *p); /* as_of = 0: set it */

/* Adds one block of m transactions to prev[c] / curr[c] (zero them before the first block);
 * rows outside both periods are skipped. customer[t] in [0, n) and finite amount, else
 * STRATA_ERR_DATA naming transaction row row0 + t. */
strata_status strata_lens_growth_accumulate(strata_ctx *ctx, const strata_growth_params *p,
                                            const int64_t *customer, const int32_t *day,
                                            const double *amount, int64_t m, int64_t row0,
                                            int64_t n, double *prev, double *curr);

typedef struct strata_growth_group {
  double prev_total, curr_total;
  double new_revenue, retained_revenue, expanded_revenue, contracted_revenue, lost_revenue;
  int64_t accounts;                  /* accounts in the group */
  int64_t n_new, n_retained, n_lost; /* by the rules above */
  int64_t n_expanded, n_contracted;  /* retained accounts that grew / shrank */
  int64_t n_inactive;                /* p = 0 and c = 0 */
  double growth_rate;                /* (curr - prev) / prev, NaN when prev = 0 */
  double account_retention;          /* n_retained / (n_retained + n_lost) */
  double gross_revenue_retention;    /* retained / prev */
  double net_revenue_retention;      /* (retained + expanded) / prev */
} strata_growth_group;

/* Decomposes per group: labels[i] in [0, k) (NULL: one group, k must be 1), groups[0..k) and
 * *total (may be NULL) over all accounts. prev and curr must be finite and >= 0 (net refunds
 * beyond sales in a period fail naming the row: the decomposition is undefined for them).
 * Sums run in row order. */
strata_status strata_lens_growth(strata_ctx *ctx, const double *prev, const double *curr,
                                 const int32_t *labels, int64_t n, int64_t k,
                                 strata_growth_group *groups, strata_growth_group *total);

/* ======================================================================================
 * 5. Cross-tables (lens_crosstab.c)
 *
 * counts[a * (kb + 1) + col] = customers with labels_a = a and labels_b = col, where
 * labels_b = -1 goes to column kb ("Others"); sums likewise adds weight[i] (row-major ka x
 * (kb + 1)). weight may be NULL (then sums must be NULL too); sums may be NULL. labels_a in
 * [0, ka), labels_b in [-1, kb) and finite weights, else STRATA_ERR_DATA naming the row.
 * ====================================================================================== */
strata_status strata_lens_crosstab(strata_ctx *ctx, const int32_t *labels_a, int64_t ka,
                                   const int32_t *labels_b, int64_t kb, const double *weight,
                                   int64_t n, int64_t *counts, double *sums);

#endif
