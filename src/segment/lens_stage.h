/*
 * The lenses of a segmentation (segment/lens.h computes each): for every account in the
 * transaction log its RFM scores and named RFM cell, its value x risk cell and its revenue in
 * the two growth windows; per segment the cross-tables against both grids and the growth
 * decomposition. Inputs are the value table's columns (segment/features.h): recency = days
 * from the last purchase to the as-of date (the log's last day), frequency = transaction rows,
 * monetary = total revenue, as the R package rfm reads them; value x risk takes CLV and
 * P(alive); growth the revenue of the 365 days up to the as-of date against the 365 before.
 * Accounts without any transaction have no RFM or value x risk cell (code -2).
 */
#ifndef STRATA_SEGMENT_LENS_STAGE_H
#define STRATA_SEGMENT_LENS_STAGE_H

#include <stdint.h>

#include "segment/lens.h"

#define STRATA_LENS_NONE (-2) /* cell of an account without transactions */
#define STRATA_RFM_BINS 5

typedef struct strata_lenses {
  int64_t n, k;
  int64_t in_log; /* accounts with transactions */
  /* RFM */
  uint8_t *r, *f, *m;   /* n scores 1-5 (0 without transactions) */
  int32_t *rfm_cell;    /* n: cell of the rule table, -1 Others, STRATA_LENS_NONE */
  strata_rfm_rules *rules;
  int64_t *rfm_counts;  /* rules->n_cells + 1 (Others last) */
  double breaks[3][STRATA_RFM_BINS - 1]; /* recency (days, ascending), frequency, monetary */
  int64_t *x_rfm;       /* k x (n_cells + 2): per segment, each cell, Others, no purchase */
  double *x_rfm_clv;    /* the same, CLV totals */
  /* value x risk */
  int32_t *vr_cell;     /* n: 0..8 (tier * 3 + band), STRATA_LENS_NONE */
  strata_value_risk_cells vr;
  int64_t *x_vr;        /* k x (STRATA_VR_CELLS + 1): the last column no purchase */
  double *x_vr_clv;
  /* growth */
  strata_growth_group *growth; /* k */
  strata_growth_group growth_total;
  int32_t growth_days;
} strata_lenses;

/* Computes the lenses of n accounts in k segments from the value table (n x
 * STRATA_VALUE_COLUMNS, features.h). `rules` is taken over (freed with the result, or on
 * failure); NULL: rfm's documented default table. */
strata_status strata_lenses_run(strata_ctx *ctx, int64_t n, int64_t k, const int32_t *labels,
                                const double *values, strata_rfm_rules *rules,
                                strata_lenses **out);
void strata_lenses_free(strata_lenses *l);

#endif
