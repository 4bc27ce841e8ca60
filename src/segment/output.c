/* The segmentation's HDF5 output: /segments for people and tools, /model for `strata score`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "segment/actions.h"
#include "segment/features.h"
#include "segment/pipeline.h"

/* The profile as one table: a row per segment, named float64 columns. */
static strata_status write_profile(strata_ctx *ctx, strata_h5_writer *w, const strata_profile *p) {
  strata_status st = STRATA_OK;
  const int64_t k = p->k, d = p->d;
  const int64_t fixed = 2 + (p->has_value ? 9 + STRATA_PROFILE_QUANTILES : 0);
  const int64_t cols = fixed + 3 * d;
  char **names = calloc((size_t)cols, sizeof *names);
  double *v = calloc((size_t)(k * cols), sizeof *v);
  STRATA_FAIL_IF(names == NULL || v == NULL, ctx, STRATA_ERR_NOMEM,
                 "out of memory for the profile");
  int64_t c = 0;
  const char *base[] = {"size",          "share",          "clv_total",
                        "clv_mean",      "clv_share",      "p_alive_mean",
                        "monetary_mean", "p_alive_p10",    "p_alive_p25",
                        "p_alive_median", "p_alive_p75",   "p_alive_p90",
                        "one_time_share", "revenue_mean",  "spend_per_purchase",
                        "days_since_last_mean"};
  for (; c < fixed; c++) names[c] = strdup(base[c]);
  for (int64_t j = 0; j < d; j++) {
    char buf[160];
    snprintf(buf, sizeof buf, "mean_%.140s", p->feature_names[j]);
    names[c++] = strdup(buf);
    snprintf(buf, sizeof buf, "median_%.140s", p->feature_names[j]);
    names[c++] = strdup(buf);
    snprintf(buf, sizeof buf, "z_%.140s", p->feature_names[j]);
    names[c++] = strdup(buf);
  }
  for (int64_t j = 0; j < cols; j++)
    STRATA_FAIL_IF(names[j] == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for the profile");
  for (int64_t s = 0; s < k; s++) {
    double *row = v + s * cols;
    row[0] = p->count[s];
    row[1] = p->share[s];
    if (p->has_value) {
      row[2] = p->clv_total[s];
      row[3] = p->clv_mean[s];
      row[4] = p->clv_share[s];
      row[5] = p->p_alive_mean[s];
      row[6] = p->monetary_mean[s];
      for (int q = 0; q < STRATA_PROFILE_QUANTILES; q++)
        row[7 + q] = p->p_alive_q[s * STRATA_PROFILE_QUANTILES + q];
      row[7 + STRATA_PROFILE_QUANTILES] = p->one_time_share[s];
      row[8 + STRATA_PROFILE_QUANTILES] = p->revenue_mean[s];
      row[9 + STRATA_PROFILE_QUANTILES] = p->spend_per_purchase[s];
      row[10 + STRATA_PROFILE_QUANTILES] = p->days_since_mean[s];
    }
    for (int64_t j = 0; j < d; j++) {
      row[fixed + 3 * j] = p->mean[s * d + j];
      row[fixed + 3 * j + 1] = p->median[s * d + j];
      row[fixed + 3 * j + 2] = p->z[s * d + j];
    }
  }
  STRATA_TRY(
      strata_h5_write_table(ctx, w, "/segments/profile", k, cols, (const char *const *)names, v));
cleanup:
  if (names)
    for (int64_t j = 0; j < cols; j++) free(names[j]);
  free(names);
  free(v);
  return st;
}

/* Level shares and lifts of the nominal columns: /segments/levels/<column>/{name, share,
 * lift, base_share}. */
static strata_status write_nominal_profile(strata_ctx *ctx, strata_h5_writer *w,
                                           const strata_profile *p) {
  strata_status st = STRATA_OK;
  char path[320];
  for (int64_t j = 0; j < p->dc; j++) {
    const int64_t L = p->levels[j];
    int64_t d2[2] = {p->k, L}, d1[1] = {L};
#define PATH(leaf) \
  (snprintf(path, sizeof path, "/segments/levels/%.250s/%s", p->nominal_names[j], leaf), path)
    STRATA_TRY(
        strata_h5_write_strings(ctx, w, PATH("name"), L, (const char *const *)p->level_names[j]));
    STRATA_TRY(strata_h5_write(ctx, w, PATH("share"), STRATA_F64, 2, d2, p->level_share[j]));
    STRATA_TRY(strata_h5_write(ctx, w, PATH("lift"), STRATA_F64, 2, d2, p->level_lift[j]));
    STRATA_TRY(strata_h5_write(ctx, w, PATH("base_share"), STRATA_F64, 1, d1, p->level_base[j]));
#undef PATH
  }
cleanup:
  return st;
}

/* Bootstrap stability of the segments: /segments/stability (a row per segment) with the
 * scheme's figures as attributes. */
static strata_status write_stability(strata_ctx *ctx, strata_h5_writer *w,
                                     const strata_segmentation *s) {
  strata_status st = STRATA_OK;
  const strata_stability *b = s->stability;
  const int64_t k = s->k;
  double *rows = calloc((size_t)(k * 3), sizeof *rows);
  const char **readings = calloc((size_t)k, sizeof *readings);
  STRATA_FAIL_IF(rows == NULL || readings == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  for (int64_t c = 0; c < k; c++) {
    rows[c * 3] = b->jaccard_mean[c];
    rows[c * 3 + 1] = b->dissolved[c];
    rows[c * 3 + 2] = b->recovered[c];
    readings[c] = strata_stability_reading(b->jaccard_mean[c]);
  }
  const char *cols[3] = {"jaccard_mean", "dissolved", "recovered"};
  STRATA_TRY(strata_h5_write_table(ctx, w, "/segments/stability", k, 3, cols, rows));
  STRATA_TRY(strata_h5_write_strings(ctx, w, "/segments/stability_reading", k, readings));
  int64_t resamples = b->resamples, m = s->stability_rows;
  STRATA_TRY(strata_h5_write_attr_double(ctx, w, "/segments/stability", "ari_mean", &b->ari_mean, 1));
  STRATA_TRY(
      strata_h5_write_attr_int64(ctx, w, "/segments/stability", "resamples", &resamples, 1));
  STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/segments/stability", "rows", &m, 1));
  STRATA_TRY(strata_h5_write_attr_string(
      ctx, w, "/segments/stability", "method",
      "Hennig's cluster-wise Jaccard bootstrap (fpc clusterboot, boot method) on a seeded "
      "sample of accounts: mean Jaccard of each segment with its best match among the "
      "re-clustered resample's segments; below 0.6 dissolves, 0.75 stable, 0.85 highly "
      "stable"));
cleanup:
  free(rows);
  free(readings);
  return st;
}

/* What scoring needs of the nominal columns: /model/nominal/{names, levels, level_values,
 * level_names} (levels concatenated column after column), /model/modes and gamma. */
static strata_status write_nominal_model(strata_ctx *ctx, strata_h5_writer *w,
                                         const strata_segmentation *s) {
  strata_status st = STRATA_OK;
  int64_t total = 0;
  for (int64_t j = 0; j < s->dc; j++) total += s->levels[j];
  double *values = malloc((size_t)total * sizeof *values);
  const char **names = malloc((size_t)total * sizeof *names);
  STRATA_FAIL_IF(values == NULL || names == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  for (int64_t j = 0, at = 0; j < s->dc; j++)
    for (int64_t v = 0; v < s->levels[j]; v++, at++) {
      values[at] = s->level_values[j][v];
      names[at] = s->level_names[j][v];
    }
  int64_t dc[1] = {s->dc}, dt[1] = {total}, dm[2] = {s->k, s->dc};
  STRATA_TRY(strata_h5_write_strings(ctx, w, "/model/nominal/names", s->dc,
                                     (const char *const *)s->nominal_names));
  STRATA_TRY(strata_h5_write(ctx, w, "/model/nominal/levels", STRATA_I64, 1, dc, s->levels));
  STRATA_TRY(strata_h5_write(ctx, w, "/model/nominal/level_values", STRATA_F64, 1, dt, values));
  STRATA_TRY(strata_h5_write_strings(ctx, w, "/model/nominal/level_names", total, names));
  STRATA_TRY(strata_h5_write(ctx, w, "/model/modes", STRATA_I32, 2, dm, s->modes));
cleanup:
  free(values);
  free(names);
  return st;
}

/* A growth group as a table row. */
static void growth_row(const strata_growth_group *g, double *r) {
  const double v[] = {(double)g->accounts,    g->prev_total,         g->curr_total,
                      g->new_revenue,         g->retained_revenue,   g->expanded_revenue,
                      g->contracted_revenue,  g->lost_revenue,       (double)g->n_new,
                      (double)g->n_retained,  (double)g->n_lost,     g->growth_rate,
                      g->account_retention,   g->gross_revenue_retention,
                      g->net_revenue_retention};
  memcpy(r, v, sizeof v);
}
#define GROWTH_COLS 15

/* The lenses: /segments/rfm (scores, cells, rules, breaks), /segments/value_risk,
 * /segments/growth and the cross-tables of segments against both grids. */
static strata_status write_lenses(strata_ctx *ctx, strata_h5_writer *w,
                                  const strata_segmentation *s) {
  strata_status st = STRATA_OK;
  const strata_lenses *l = s->lenses;
  const int64_t n = s->n, k = s->k, cells = l->rules->n_cells;
  int32_t *scores = NULL;
  double *table = NULL;
  const char **names = NULL;
  int64_t dn[1] = {n};
  STRATA_TRY(strata_alloc(ctx, (size_t)(n * 3 > 0 ? n * 3 : 1), sizeof(int32_t), "RFM scores",
                          (void **)&scores));
  for (int64_t i = 0; i < n; i++) {
    scores[i] = l->r[i];
    scores[n + i] = l->f[i];
    scores[2 * n + i] = l->m[i];
  }
  STRATA_TRY(strata_h5_write(ctx, w, "/segments/rfm/r_score", STRATA_I32, 1, dn, scores));
  STRATA_TRY(strata_h5_write(ctx, w, "/segments/rfm/f_score", STRATA_I32, 1, dn, scores + n));
  STRATA_TRY(strata_h5_write(ctx, w, "/segments/rfm/m_score", STRATA_I32, 1, dn, scores + 2 * n));
  STRATA_TRY(strata_h5_write(ctx, w, "/segments/rfm/cell", STRATA_I32, 1, dn, l->rfm_cell));
  STRATA_TRY(strata_h5_write_attr_string(
      ctx, w, "/segments/rfm", "definition",
      "R package rfm 0.3.0: recency = days from the last purchase to the day after the log "
      "ends, frequency = transactions, monetary = total revenue; scores 1-5 by rfm's quantile "
      "breaks (5 = most recent, frequent, highest spend); cell = the first rule of the table "
      "that matches (-1 Others, -2 no transaction)"));
  names = calloc((size_t)(cells + 2 > 10 ? cells + 2 : 10), sizeof *names);
  STRATA_FAIL_IF(names == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  for (int64_t c = 0; c < cells; c++) names[c] = l->rules->cell_name[c];
  names[cells] = "Others";
  names[cells + 1] = "No purchase";
  STRATA_TRY(strata_h5_write_strings(ctx, w, "/segments/rfm/cell_name", cells + 1, names));
  int64_t dc[1] = {cells + 1};
  STRATA_TRY(strata_h5_write(ctx, w, "/segments/rfm/cell_accounts", STRATA_I64, 1, dc,
                             l->rfm_counts));
  int64_t db[2] = {3, STRATA_RFM_BINS - 1};
  STRATA_TRY(strata_h5_write(ctx, w, "/segments/rfm/breaks", STRATA_F64, 2, db, l->breaks));
  {
    const int64_t nr = l->rules->n_rules;
    const char *cols[6] = {"r_lo", "r_hi", "f_lo", "f_hi", "m_lo", "m_hi"};
    double *rt = calloc((size_t)(nr * 6), sizeof *rt);
    const char **rn = calloc((size_t)nr, sizeof *rn);
    if (rt == NULL || rn == NULL) {
      free(rt);
      free(rn);
      STRATA_FAIL_IF(1, ctx, STRATA_ERR_NOMEM, "out of memory");
    }
    for (int64_t q = 0; q < nr; q++) {
      const strata_rfm_rule *r = &l->rules->rule[q];
      for (int a = 0; a < 3; a++) {
        rt[q * 6 + 2 * a] = r->lo[a];
        rt[q * 6 + 2 * a + 1] = r->hi[a];
      }
      rn[q] = r->name;
    }
    st = strata_h5_write_table(ctx, w, "/segments/rfm/rules", nr, 6, cols, rt);
    if (st == STRATA_OK) st = strata_h5_write_strings(ctx, w, "/segments/rfm/rule_name", nr, rn);
    free(rt);
    free(rn);
    if (st != STRATA_OK) goto cleanup;
  }
  int64_t dx[2] = {k, cells + 2};
  STRATA_TRY(strata_h5_write(ctx, w, "/segments/rfm/segment_accounts", STRATA_I64, 2, dx, l->x_rfm));
  STRATA_TRY(strata_h5_write(ctx, w, "/segments/rfm/segment_clv", STRATA_F64, 2, dx, l->x_rfm_clv));

  /* value x risk */
  STRATA_TRY(strata_h5_write(ctx, w, "/segments/value_risk/cell", STRATA_I32, 1, dn, l->vr_cell));
  for (int c = 0; c < STRATA_VR_CELLS; c++) names[c] = strata_value_risk_cell_name(c);
  names[STRATA_VR_CELLS] = "No purchase";
  STRATA_TRY(strata_h5_write_strings(ctx, w, "/segments/value_risk/cell_name", STRATA_VR_CELLS,
                                     names));
  {
    double rows[STRATA_VR_CELLS * 4];
    for (int c = 0; c < STRATA_VR_CELLS; c++) {
      rows[c * 4] = (double)l->vr.accounts[c];
      rows[c * 4 + 1] = l->vr.clv_total[c];
      rows[c * 4 + 2] = l->vr.p_alive_mean[c];
      rows[c * 4 + 3] = l->vr.revenue_total[c];
    }
    const char *cols[4] = {"accounts", "clv_at_stake", "p_alive_mean", "revenue_to_date"};
    STRATA_TRY(strata_h5_write_table(ctx, w, "/segments/value_risk/cells", STRATA_VR_CELLS, 4,
                                     cols, rows));
  }
  STRATA_TRY(strata_h5_write_attr_string(
      ctx, w, "/segments/value_risk", "definition",
      "cell = 3 x CLV tier (0: top 20 %, 1: next 30 %, 2: rest, by CLV rank; ties join the "
      "higher tier) + P(alive) band (0: high risk < 0.5, 1: medium, 2: low risk >= 0.8); "
      "-2: no transaction"));
  int64_t dv[2] = {k, STRATA_VR_CELLS + 1};
  STRATA_TRY(
      strata_h5_write(ctx, w, "/segments/value_risk/segment_accounts", STRATA_I64, 2, dv, l->x_vr));
  STRATA_TRY(
      strata_h5_write(ctx, w, "/segments/value_risk/segment_clv", STRATA_F64, 2, dv, l->x_vr_clv));

  /* growth: a row per segment, then the base */
  {
    const char *cols[GROWTH_COLS] = {"accounts",         "revenue_prev",     "revenue_curr",
                                     "new",              "retained",         "expanded",
                                     "contracted",       "lost",             "new_accounts",
                                     "retained_accounts", "lost_accounts",   "growth_rate",
                                     "account_retention", "gross_revenue_retention",
                                     "net_revenue_retention"};
    STRATA_TRY(strata_alloc(ctx, (size_t)((k + 1) * GROWTH_COLS), sizeof(double), "growth",
                            (void **)&table));
    for (int64_t j = 0; j < k; j++) growth_row(&l->growth[j], table + j * GROWTH_COLS);
    growth_row(&l->growth_total, table + k * GROWTH_COLS);
    STRATA_TRY(strata_h5_write_table(ctx, w, "/segments/growth", k + 1, GROWTH_COLS, cols, table));
    int64_t days = l->growth_days;
    STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/segments/growth", "window_days", &days, 1));
    STRATA_TRY(strata_h5_write_attr_string(
        ctx, w, "/segments/growth", "definition",
        "revenue of the window_days up to the as-of date (the log's last day) against the "
        "window_days before; a row per segment, the last row the whole base; new = current "
        "revenue of accounts without previous revenue, lost = previous revenue of accounts "
        "without current revenue, retained = min(previous, current), expanded / contracted = "
        "the rest of a change"));
  }
cleanup:
  strata_free(scores);
  strata_free(table);
  free(names);
  return st;
}

/* The RFM rule table as the CSV strata_rfm_rules_parse reads (names quoted). */
static char *rules_csv(const strata_rfm_rules *r) {
  size_t cap = 64 + (size_t)r->n_rules * (STRATA_RFM_NAME_MAX * 2 + 40), used = 0;
  char *text = malloc(cap);
  if (text == NULL) return NULL;
  used += (size_t)snprintf(text, cap, "segment,r_lo,r_hi,f_lo,f_hi,m_lo,m_hi\n");
  for (int64_t q = 0; q < r->n_rules; q++) {
    const strata_rfm_rule *u = &r->rule[q];
    text[used++] = '"';
    for (const char *c = u->name; *c; c++) {
      if (*c == '"') text[used++] = '"';
      text[used++] = *c;
    }
    used += (size_t)snprintf(text + used, cap - used, "\",%d,%d,%d,%d,%d,%d\n", u->lo[0], u->hi[0],
                             u->lo[1], u->hi[1], u->lo[2], u->hi[2]);
  }
  return text;
}

/* What scoring needs to place new accounts on the training base's lenses and to measure drift:
 * the RFM breaks and rules, the value x risk boundaries, each feature's reference bins. */
static strata_status write_scoring_references(strata_ctx *ctx, strata_h5_writer *w,
                                              const strata_segmentation *s) {
  strata_status st = STRATA_OK;
  char *csv = NULL;
  char path[64];
  if (s->lenses) {
    const strata_lenses *l = s->lenses;
    int64_t db[2] = {3, STRATA_RFM_BINS - 1};
    STRATA_TRY(strata_h5_write(ctx, w, "/model/rfm/breaks", STRATA_F64, 2, db, l->breaks));
    csv = rules_csv(l->rules);
    STRATA_FAIL_IF(csv == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/model/rfm", "rules", csv));
    double bounds[4] = {l->vr.clv_top_min, l->vr.clv_upper_min, 0.5, 0.8};
    STRATA_TRY(strata_h5_write_attr_double(ctx, w, "/model/rfm", "value_risk_bounds", bounds, 4));
  }
  for (int64_t j = 0; j < s->n_drift; j++) {
    const strata_psi_bins *b = s->drift[j];
    const int64_t dn = s->transform->d;
    const char *name = j < dn ? s->transform->names[j] : s->nominal_names[j - dn];
    int64_t de[1] = {b->nb > 1 ? b->nb - 1 : 1}, ds[1] = {b->nb};
    double none = 0.0;
    snprintf(path, sizeof path, "/model/drift/%lld/edges", (long long)j);
    STRATA_TRY(strata_h5_write(ctx, w, path, STRATA_F64, 1, de, b->nb > 1 ? b->edges : &none));
    snprintf(path, sizeof path, "/model/drift/%lld/shares", (long long)j);
    STRATA_TRY(strata_h5_write(ctx, w, path, STRATA_F64, 1, ds, b->shares));
    snprintf(path, sizeof path, "/model/drift/%lld", (long long)j);
    STRATA_TRY(strata_h5_write_attr_string(ctx, w, path, "feature", name));
    int64_t cat = b->categorical;
    STRATA_TRY(strata_h5_write_attr_int64(ctx, w, path, "categorical", &cat, 1));
  }
  int64_t count = s->n_drift;
  STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/model", "drift_features", &count, 1));
cleanup:
  free(csv);
  return st;
}

/* Per-account values beside the labels, in /segments/account_id's order: the one key of the
 * file's per-account outputs. */
static strata_status write_account_values(strata_ctx *ctx, strata_h5_writer *w,
                                          const strata_segmentation *s) {
  strata_status st = STRATA_OK;
  double *col = NULL;
  const int64_t n = s->n;
  int64_t dn[1] = {n};
  STRATA_TRY(strata_alloc(ctx, (size_t)(n > 0 ? n : 1), sizeof(double), "value column",
                          (void **)&col));
  for (int c = 0; c < STRATA_ACCOUNT_VALUE_OUTPUTS; c++) {
    const strata_account_value_output *o = &strata_account_value_outputs[c];
    for (int64_t i = 0; i < n; i++) col[i] = s->values[i * STRATA_VALUE_COLUMNS + o->column];
    STRATA_TRY(strata_h5_write(ctx, w, o->dataset, STRATA_F64, 1, dn, col));
  }
cleanup:
  strata_free(col);
  return st;
}

strata_status strata_segment_write(strata_ctx *ctx, strata_h5_writer *w,
                                   const strata_segmentation *s, const strata_segment_params *p) {
  strata_status st = STRATA_OK;
  const int64_t n = s->n, k = s->k, dz = s->transform->d_out;
  int64_t dn[1] = {n}, dk[1] = {k}, dc[2] = {k, dz};
  STRATA_TRY(strata_h5_write(ctx, w, "/segments/account_id", STRATA_I64, 1, dn, s->account_id));
  STRATA_TRY(strata_h5_write(ctx, w, "/segments/label", STRATA_I32, 1, dn, s->labels));
  STRATA_TRY(
      strata_h5_write_strings(ctx, w, "/segments/name", k, (const char *const *)s->profile->names));
  STRATA_TRY(write_profile(ctx, w, s->profile));
  STRATA_TRY(write_nominal_profile(ctx, w, s->profile));
  if (s->stability) STRATA_TRY(write_stability(ctx, w, s));
  {
    /* Every score computed for every candidate k, and the criterion that chose. */
    const char *cols[9] = {"k",           "inertia",      "calinski_harabasz",
                           "bic",         "jaccard_min",  "jaccard_mean",
                           "stability_ari", "silhouette", "davies_bouldin"};
    const int64_t nc = s->has_silhouette ? 9 : 7;
    double rows[STRATA_SEGMENT_MAX_K * 9];
    for (int64_t i = 0; i < s->n_k; i++) {
      double *r = rows + i * nc;
      r[0] = (double)s->k_values[i];
      r[1] = s->k_inertia[i];
      r[2] = s->k_calinski[i];
      r[3] = s->k_bic[i];
      r[4] = s->k_jaccard_min[i];
      r[5] = s->k_jaccard_mean[i];
      r[6] = s->k_stability_ari[i];
      if (s->has_silhouette) {
        r[7] = s->k_silhouette[i];
        r[8] = s->k_davies_bouldin[i];
      }
    }
    STRATA_TRY(strata_h5_write_table(ctx, w, "/segments/k_selection", s->n_k, nc, cols, rows));
    STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/segments/k_selection", "rule", s->k_rule));
    const char *criterion = s->k_criterion;
    STRATA_TRY(
        strata_h5_write_attr_string(ctx, w, "/segments/k_selection", "criterion", criterion));
    STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/segments", "k_criterion", criterion));
    if (s->has_silhouette) {
      int64_t srows = s->silhouette_rows;
      STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/segments/k_selection", "silhouette_rows",
                                            &srows, 1));
    }
  }
  int64_t k64 = k;
  STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/segments", "k", &k64, 1));
  if (s->linkage) {
    int64_t dl[2] = {k - 1, 4};
    STRATA_TRY(strata_h5_write(ctx, w, "/segments/tree", STRATA_F64, 2, dl, s->linkage));
    STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/segments/tree", "method",
                                           "ward on the segment centres weighted by their sizes, "
                                           "SciPy linkage layout"));
  }
  if (s->clv) STRATA_TRY(strata_clv_result_write(ctx, w, s->clv));
  if (s->lenses) STRATA_TRY(write_lenses(ctx, w, s));
  if (s->profile->has_value) {
    /* The action hint of every segment (segment/actions.h), and why. */
    const char **action = calloc((size_t)k, sizeof *action);
    const char **reason = calloc((size_t)k, sizeof *reason);
    if (action == NULL || reason == NULL) {
      free(action);
      free(reason);
      STRATA_FAIL_IF(1, ctx, STRATA_ERR_NOMEM, "out of memory");
    }
    for (int64_t j = 0; j < k; j++) {
      action[j] = strata_action_name(s->actions[j].action);
      reason[j] = s->actions[j].reason;
    }
    st = strata_h5_write_strings(ctx, w, "/segments/action", k, action);
    if (st == STRATA_OK) st = strata_h5_write_strings(ctx, w, "/segments/action_reason", k, reason);
    free(action);
    free(reason);
    if (st != STRATA_OK) goto cleanup;
  }
  if (s->values) STRATA_TRY(write_account_values(ctx, w, s));
  STRATA_TRY(write_scoring_references(ctx, w, s));

  /* Everything `strata score` needs, and the training shares for drift checks. */
  STRATA_TRY(strata_transform_write(ctx, w, "/model/transform", s->transform));
  STRATA_TRY(strata_h5_write(ctx, w, "/model/centers", STRATA_F64, 2, dc, s->centers));
  STRATA_TRY(strata_h5_write_attr_double(ctx, w, "/model", "gamma", &s->gamma, 1));
  if (s->dc > 0) STRATA_TRY(write_nominal_model(ctx, w, s));
  STRATA_TRY(strata_h5_write_strings(ctx, w, "/model/segment_names", k,
                                     (const char *const *)s->profile->names));
  STRATA_TRY(strata_h5_write(ctx, w, "/model/train_share", STRATA_F64, 1, dk, s->profile->share));
  int64_t seed = (int64_t)p->seed, uses_clv = s->clv != NULL;
  STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/model", "k", &k64, 1));
  STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/model", "seed", &seed, 1));
  STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/model", "uses_clv", &uses_clv, 1));
  if (s->clv) {
    STRATA_TRY(strata_clv_model_write(ctx, w, "/model/clv", s->clv));
    STRATA_TRY(
        strata_h5_write_attr_double(ctx, w, "/model/clv", "horizon", &p->clv.score.horizon, 1));
    STRATA_TRY(strata_h5_write_attr_double(ctx, w, "/model/clv", "discount_rate",
                                           &p->clv.score.discount_rate, 1));
    int64_t months = p->clv.score.clv_periods;
    STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/model/clv", "clv_months", &months, 1));
    STRATA_TRY(strata_h5_write_attr_double(ctx, w, "/model/clv", "clv_period_length",
                                           &p->clv.score.clv_period_length, 1));
  }
cleanup:
  return st;
}
