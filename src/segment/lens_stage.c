/* The lenses of a segmentation; see lens_stage.h. O(n) passes plus three radix sorts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "segment/features.h"
#include "segment/lens_stage.h"

void strata_lenses_free(strata_lenses *l) {
  if (l == NULL) return;
  strata_free(l->r);
  strata_free(l->f);
  strata_free(l->m);
  strata_free(l->rfm_cell);
  strata_rfm_rules_free(l->rules);
  free(l->rfm_counts);
  free(l->x_rfm);
  free(l->x_rfm_clv);
  strata_free(l->vr_cell);
  free(l->x_vr);
  free(l->x_vr_clv);
  free(l->growth);
  free(l);
}

strata_status strata_lenses_run(strata_ctx *ctx, int64_t n, int64_t k, const int32_t *labels,
                                const double *values, strata_rfm_rules *rules,
                                strata_lenses **out) {
  strata_status st = STRATA_OK;
  strata_lenses *l = NULL;
  int64_t *rows = NULL;
  double *col = NULL, *prev = NULL, *curr = NULL;
  uint8_t *score = NULL;
  int32_t *cell = NULL;
  *out = NULL;
  l = calloc(1, sizeof *l);
  if (l == NULL) strata_rfm_rules_free(rules);
  STRATA_FAIL_IF(l == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for the lenses");
  l->n = n;
  l->k = k;
  l->growth_days = STRATA_GROWTH_DAYS;
  const int64_t V = STRATA_VALUE_COLUMNS;
  l->rules = rules; /* owned from here, freed with the lenses */
  if (rules == NULL) STRATA_TRY(strata_rfm_rules_default(ctx, &l->rules));
  const int64_t cells = l->rules->n_cells;

  /* The accounts of the log, compacted: rfm scores customers that bought. */
  STRATA_TRY(strata_alloc(ctx, (size_t)(n > 0 ? n : 1), sizeof(int64_t), "lens rows",
                          (void **)&rows));
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++)
    if (values[i * V + STRATA_V_HAS_TRANSACTIONS] != 0.0) rows[m++] = i;
  l->in_log = m;
  STRATA_TRY(strata_calloc(ctx, (size_t)n, 1, "RFM scores", (void **)&l->r));
  STRATA_TRY(strata_calloc(ctx, (size_t)n, 1, "RFM scores", (void **)&l->f));
  STRATA_TRY(strata_calloc(ctx, (size_t)n, 1, "RFM scores", (void **)&l->m));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int32_t), "RFM cells", (void **)&l->rfm_cell));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int32_t), "value x risk cells",
                          (void **)&l->vr_cell));
  for (int64_t i = 0; i < n; i++) l->rfm_cell[i] = l->vr_cell[i] = STRATA_LENS_NONE;
  l->rfm_counts = calloc((size_t)cells + 1, sizeof *l->rfm_counts);
  STRATA_FAIL_IF(l->rfm_counts == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  if (m > 0) {
    const int64_t mm = m;
    STRATA_TRY(strata_alloc(ctx, (size_t)(3 * mm), sizeof(double), "RFM columns", (void **)&col));
    STRATA_TRY(strata_alloc(ctx, (size_t)(3 * mm), 1, "RFM scores", (void **)&score));
    STRATA_TRY(strata_alloc(ctx, (size_t)mm, sizeof(int32_t), "lens cells", (void **)&cell));
    double *rec = col, *freq = col + mm, *mon = col + 2 * mm;
    for (int64_t q = 0; q < mm; q++) {
      const double *v = values + rows[q] * V;
      /* Days to the day after the log ends, the analysis date rfm's examples use. */
      rec[q] = v[STRATA_V_RECENCY] + 1.0;
      freq[q] = v[STRATA_V_TRANSACTIONS];
      mon[q] = v[STRATA_V_REVENUE];
    }
    uint8_t *r = score, *f = score + mm, *mo = score + 2 * mm;
    STRATA_TRY(strata_lens_rfm_score(ctx, rec, freq, mon, mm, STRATA_RFM_BINS, r, f, mo,
                                     l->breaks[0], l->breaks[1], l->breaks[2]));
    STRATA_TRY(strata_lens_rfm_grid(ctx, l->rules, STRATA_RFM_FIRST_MATCH, r, f, mo, mm, cell,
                                    l->rfm_counts));
    for (int64_t q = 0; q < mm; q++) {
      const int64_t i = rows[q];
      l->r[i] = r[q];
      l->f[i] = f[q];
      l->m[i] = mo[q];
      l->rfm_cell[i] = cell[q];
    }
    /* value x risk over the same customers */
    double *clv = col, *alive = col + mm, *revenue = col + 2 * mm;
    for (int64_t q = 0; q < mm; q++) {
      const double *v = values + rows[q] * V;
      clv[q] = v[STRATA_V_CLV];
      alive[q] = v[STRATA_V_P_ALIVE];
      revenue[q] = v[STRATA_V_REVENUE];
    }
    strata_value_risk_params vp;
    strata_value_risk_params_init(&vp);
    STRATA_TRY(strata_lens_value_risk(ctx, &vp, clv, alive, revenue, mm, cell, &l->vr));
    for (int64_t q = 0; q < mm; q++) l->vr_cell[rows[q]] = cell[q];
  }

  /* Cross-tables: per segment, each cell, then Others (RFM only), then no purchase. */
  const int64_t wr = cells + 2, wv = STRATA_VR_CELLS + 1;
  l->x_rfm = calloc((size_t)(k * wr), sizeof *l->x_rfm);
  l->x_rfm_clv = calloc((size_t)(k * wr), sizeof *l->x_rfm_clv);
  l->x_vr = calloc((size_t)(k * wv), sizeof *l->x_vr);
  l->x_vr_clv = calloc((size_t)(k * wv), sizeof *l->x_vr_clv);
  STRATA_FAIL_IF(!l->x_rfm || !l->x_rfm_clv || !l->x_vr || !l->x_vr_clv, ctx, STRATA_ERR_NOMEM,
                 "out of memory for the cross-tables");
  for (int64_t i = 0; i < n; i++) {
    const int64_t s = labels[i];
    const double clv = values[i * V + STRATA_V_CLV];
    int64_t c = l->rfm_cell[i] >= 0 ? l->rfm_cell[i] : l->rfm_cell[i] == -1 ? cells : cells + 1;
    l->x_rfm[s * wr + c]++;
    l->x_rfm_clv[s * wr + c] += clv;
    int64_t v = l->vr_cell[i] >= 0 ? l->vr_cell[i] : STRATA_VR_CELLS;
    l->x_vr[s * wv + v]++;
    l->x_vr_clv[s * wv + v] += clv;
  }

  /* Growth per segment from the two windows' revenue. */
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "growth", (void **)&prev));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "growth", (void **)&curr));
  for (int64_t i = 0; i < n; i++) {
    prev[i] = values[i * V + STRATA_V_REVENUE_PREV];
    curr[i] = values[i * V + STRATA_V_REVENUE_CURR];
  }
  l->growth = calloc((size_t)k, sizeof *l->growth);
  STRATA_FAIL_IF(l->growth == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  STRATA_TRY(strata_lens_growth(ctx, prev, curr, labels, n, k, l->growth, &l->growth_total));
  *out = l;
  l = NULL;
cleanup:
  strata_lenses_free(l);
  strata_free(rows);
  strata_free(col);
  strata_free(score);
  strata_free(cell);
  strata_free(prev);
  strata_free(curr);
  return st;
}
