/*
 * The segmentation pipeline; see pipeline.h. Each stage is a function of its own: features
 * (select_features, build_space), the choice of k (choose_k.c), the segment tree, profiles
 * and names, the stability of the result and the report's 2-D projection. Cost: O(m) for
 * the CLV summary of m transactions, O(n d) for features and transforms, one fit per
 * candidate k on at most 200,000 rows plus the stability resamples (choose_k.c), one refined
 * fit on the n x d space, O(s d^2) for the projection of s sampled rows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/rng.h"
#include "segment/choose_k.h"
#include "segment/features.h"
#include "segment/pca.h"
#include "segment/pipeline.h"

enum { SEG_STREAM_SAMPLE = 301, SEG_STREAM_STABILITY_FINAL = 304, SEG_STREAM_DRIFT = 306 };

void strata_segment_params_init(strata_segment_params *p) {
  if (p == NULL) return;
  memset(p, 0, sizeof *p);
  p->use_clv = 1;
  p->log1p = STRATA_LOG1P_AUTO;
  p->scale = STRATA_SCALE_ZSCORE;
  p->k = 0;
  p->k_min = 3;
  p->k_max = 8;
  p->k_criterion = STRATA_K_BIC;
  p->n_init = 1; /* k-means' refinement jumps already escape poor local optima */
  p->seed = 0;
  p->sample = 4000;
  p->gamma = 0.0;
  p->stability_resamples = 20;
  p->stability_rows = 10000;
  strata_clv_run_params_init(&p->clv);
}

void strata_segmentation_free(strata_segmentation *s) {
  if (s == NULL) return;
  strata_free(s->account_id);
  strata_free(s->labels);
  strata_transform_free(s->transform);
  strata_free(s->centers);
  for (int64_t j = 0; j < s->dc; j++) {
    if (s->nominal_names) free(s->nominal_names[j]);
    if (s->level_values) strata_free(s->level_values[j]);
    if (s->level_names && s->level_names[j]) {
      for (int64_t v = 0; v < s->levels[j]; v++) free(s->level_names[j][v]);
      free(s->level_names[j]);
    }
  }
  free(s->nominal_names);
  free(s->levels);
  free(s->level_values);
  free(s->level_names);
  strata_free(s->modes);
  strata_profile_free(s->profile);
  strata_clv_result_free(s->clv);
  strata_stability_free(s->stability);
  strata_lenses_free(s->lenses);
  free(s->actions);
  strata_free(s->values);
  for (int64_t j = 0; j < s->n_drift; j++) strata_psi_bins_free(s->drift[j]);
  free(s->drift);
  free(s->linkage);
  free(s->projection);
  free(s->projection_label);
  free(s);
}

/* The features: named by --features, or every account column plus the default value
 * columns (features.h); a transaction log alone has nothing but its behaviour to tell its
 * customers apart, so recency joins them: the three dimensions of RFM. Nominal account
 * columns go to `nominal`, the rest to `numeric` (table indices). */
static strata_status select_features(strata_ctx *ctx, const strata_feature_table *t,
                                     const strata_segment_params *params, const char *in,
                                     int64_t *numeric, int64_t *dn, int64_t *nominal,
                                     int64_t *dnom) {
  strata_status st = STRATA_OK;
  const int64_t da = t->d_accounts;
  int64_t d = 0, cap = da + STRATA_VALUE_COLUMNS + 1;
  for (const char *c = params->features; c && *c; c++) cap += *c == ',';
  int64_t *picked = calloc((size_t)cap, sizeof *picked);
  STRATA_FAIL_IF(picked == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  *dn = *dnom = 0;
  if (params->features && params->features[0]) {
    for (const char *p = params->features; *p;) {
      const char *comma = strchr(p, ',');
      size_t len = comma ? (size_t)(comma - p) : strlen(p);
      int64_t j = strata_feature_table_find(t, p, len);
      STRATA_FAIL_IF(j < 0, ctx, STRATA_ERR_USAGE,
                     "--features: no feature '%.*s' (available: %s%s)", (int)len, p,
                     da ? "the names of /accounts/feature_names" : "",
                     t->values ? (da ? " and the value columns frequency, recency, tenure, "
                                       "monetary, p_alive, expected_purchases, clv, "
                                       "btyd_recency, transactions, revenue"
                                     : "the value columns frequency, recency, tenure, monetary, "
                                       "p_alive, expected_purchases, clv, btyd_recency, "
                                       "transactions, revenue")
                               : "");
      for (int64_t q = 0; q < d; q++)
        STRATA_FAIL_IF(picked[q] == j, ctx, STRATA_ERR_USAGE, "--features names '%.*s' twice",
                       (int)len, p);
      picked[d++] = j;
      p = comma ? comma + 1 : p + len;
    }
  } else {
    for (int64_t j = 0; j < da; j++) picked[d++] = j;
    for (int64_t v = 0; t->values && v < STRATA_VALUE_COLUMNS; v++)
      if (strata_value_column_default[v] || (t->from_log && v == STRATA_V_RECENCY))
        picked[d++] = da + v;
  }
  /* Every name of --categorical must be an account column. */
  for (const char *p = params->categorical; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    int64_t j = strata_feature_table_find(t, p, len);
    STRATA_FAIL_IF(j < 0 || j >= da, ctx, STRATA_ERR_USAGE,
                   "--categorical: '%.*s' is not a column of /accounts/feature_names in %s",
                   (int)len, p, in);
    p = comma ? comma + 1 : p + len;
  }
  for (int64_t q = 0; q < d; q++) {
    if (strata_feature_table_is_nominal(t, params->categorical, picked[q]))
      nominal[(*dnom)++] = picked[q];
    else
      numeric[(*dn)++] = picked[q];
  }
  STRATA_FAIL_IF(d == 0, ctx, STRATA_ERR_DATA, "%s: no features to segment on", in);
cleanup:
  free(picked);
  return st;
}

/* The segments' space: the numeric columns transformed (fitted here), the nominal ones as
 * level codes (their levels recorded in s for the model), gamma by Huang's rule unless
 * given. *raw receives the numeric columns in original units (n x dn) for the profiles. */
static strata_status build_space(strata_ctx *ctx, const strata_feature_table *t,
                                 const strata_segment_params *params, const int64_t *numeric,
                                 int64_t dn, const int64_t *nominal, int64_t dnom,
                                 strata_segmentation *s, strata_space *space, double **raw) {
  strata_status st = STRATA_OK;
  const char **names = NULL;
  const int64_t n = t->n;
  memset(space, 0, sizeof *space);
  *raw = NULL;
  space->n = n;
  if (dn > 0) {
    STRATA_TRY(strata_feature_table_columns(ctx, t, numeric, dn, raw));
    names = calloc((size_t)dn, sizeof *names);
    STRATA_FAIL_IF(names == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    for (int64_t q = 0; q < dn; q++) names[q] = strata_feature_table_name(t, numeric[q]);
    STRATA_TRY(strata_transform_fit(ctx, *raw, n, dn, names, params->log1p, params->scale,
                                    &s->transform));
    space->dz = s->transform->d_out;
    STRATA_TRY(strata_alloc(ctx, (size_t)(n * space->dz), sizeof(double), "scaled features",
                            (void **)&space->z));
    STRATA_TRY(strata_transform_apply(ctx, s->transform, *raw, n, space->z));
  } else {
    /* Only nominal columns: an empty transform keeps the model's layout uniform. */
    STRATA_TRY(strata_transform_fit(ctx, NULL, n, 0, NULL, params->log1p, params->scale,
                                    &s->transform));
  }
  s->d = space->dz;
  if (dnom > 0) {
    space->dc = dnom;
    s->dc = dnom;
    s->nominal_names = calloc((size_t)dnom, sizeof(char *));
    s->levels = calloc((size_t)dnom, sizeof(int64_t));
    s->level_values = calloc((size_t)dnom, sizeof(double *));
    s->level_names = calloc((size_t)dnom, sizeof(char **));
    STRATA_FAIL_IF(!s->nominal_names || !s->levels || !s->level_values || !s->level_names, ctx,
                   STRATA_ERR_NOMEM, "out of memory for the nominal columns");
    STRATA_TRY(strata_alloc(ctx, (size_t)(n * dnom), sizeof(int32_t), "level codes",
                            (void **)&space->codes));
    STRATA_TRY(
        strata_alloc(ctx, (size_t)dnom, sizeof(int32_t), "level counts", (void **)&space->levels));
    for (int64_t q = 0; q < dnom; q++) {
      const int64_t j = nominal[q];
      s->nominal_names[q] = strdup(t->account_names[j]);
      STRATA_FAIL_IF(s->nominal_names[q] == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
      STRATA_TRY(strata_feature_table_codes(ctx, t, j, space->codes + q, dnom, &s->level_values[q],
                                            &s->levels[q]));
      space->levels[q] = (int32_t)s->levels[q];
      s->level_names[q] = calloc((size_t)s->levels[q], sizeof(char *));
      STRATA_FAIL_IF(s->level_names[q] == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
      for (int64_t v = 0; v < s->levels[q]; v++) {
        char buf[256];
        strata_feature_table_level_name(t, j, s->level_values[q][v], buf, sizeof buf);
        s->level_names[q][v] = strdup(buf);
        STRATA_FAIL_IF(s->level_names[q][v] == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
      }
    }
  }
  STRATA_FAIL_IF(space->dz == 0 && space->dc == 0, ctx, STRATA_ERR_DATA,
                 "every feature is constant: nothing sets the accounts apart");
  space->gamma = params->gamma > 0.0 ? params->gamma : strata_space_default_gamma(space);
  s->gamma = space->gamma;
cleanup:
  free(names);
  return st;
}

/* The segment tree: Ward on the prototypes weighted by the segments' sizes (the hierarchical
 * engine's exact NN-chain), i.e. the order in which Ward would merge the segments. Modes
 * enter through the mixed cost's Euclidean embedding (space.h). */
static strata_status segment_tree(strata_ctx *ctx, const strata_space *space,
                                  strata_segmentation *s) {
  strata_status st = STRATA_OK;
  double *sizes = NULL, *points = NULL;
  strata_hier *tree = NULL;
  strata_space protos;
  memset(&protos, 0, sizeof protos);
  const int64_t k = s->k;
  if (k < 2) goto cleanup;
  STRATA_TRY(strata_calloc(ctx, (size_t)k, sizeof(double), "segment sizes", (void **)&sizes));
  for (int64_t i = 0; i < s->n; i++) sizes[s->labels[i]] += 1.0;
  for (int64_t j = 0; j < k; j++)
    if (sizes[j] <= 0.0) sizes[j] = 1.0; /* an empty segment still needs a positive weight */
  protos = (strata_space){k, space->dz, space->dc, s->centers, s->modes, space->levels, space->gamma};
  int64_t de = 0;
  STRATA_TRY(strata_space_embed(ctx, &protos, &points, &de));
  strata_hier_params hp;
  strata_hier_params_init(&hp);
  hp.method = STRATA_HIER_WARD;
  hp.weights = sizes;
  strata_matrix cm = {points, k, de, de, STRATA_F64};
  STRATA_TRY(strata_hier_fit(ctx, &cm, &hp, &tree));
  s->linkage = malloc((size_t)(k - 1) * 4 * sizeof(double));
  STRATA_FAIL_IF(s->linkage == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for the segment tree");
  memcpy(s->linkage, strata_hier_linkage(tree), (size_t)(k - 1) * 4 * sizeof(double));
cleanup:
  strata_hier_free(tree);
  strata_free(sizes);
  strata_free(points);
  return st;
}

/* Profiles in original units over the numeric features used, the nominal columns' level
 * shares, the value columns when there are any; then the names. */
static strata_status profile_and_name(strata_ctx *ctx, const strata_feature_table *t,
                                      const double *raw, int64_t dn, const strata_space *space,
                                      strata_segmentation *s) {
  strata_status st = STRATA_OK;
  double *cols = NULL;
  const int64_t n = s->n, k = s->k;
  strata_matrix raw_view = {(void *)raw, n, dn, dn, STRATA_F64};
  strata_value_columns vc;
  memset(&vc, 0, sizeof vc);
  if (t->values) {
    /* Column copies of the value table's columns the profile reads (a strided view would
     * need a stride in every loop of the profile; ten columns of eight bytes per account). */
    static const int used[] = {STRATA_V_FREQUENCY, STRATA_V_BTYD_RECENCY, STRATA_V_TENURE,
                               STRATA_V_MONETARY,  STRATA_V_P_ALIVE,      STRATA_V_CLV,
                               STRATA_V_RECENCY,   STRATA_V_REVENUE,      STRATA_V_TRANSACTIONS,
                               STRATA_V_HAS_TRANSACTIONS};
    const int nu = (int)(sizeof used / sizeof used[0]);
    const double *col_of[STRATA_VALUE_COLUMNS] = {NULL};
    STRATA_TRY(strata_alloc(ctx, (size_t)(n * nu), sizeof(double), "value columns",
                            (void **)&cols));
    for (int u = 0; u < nu; u++) {
      double *c = cols + (int64_t)u * n;
      for (int64_t i = 0; i < n; i++) c[i] = t->values[i * STRATA_VALUE_COLUMNS + used[u]];
      col_of[used[u]] = c;
    }
    vc.frequency = col_of[STRATA_V_FREQUENCY];
    vc.recency = col_of[STRATA_V_BTYD_RECENCY];
    vc.age = col_of[STRATA_V_TENURE];
    vc.monetary = col_of[STRATA_V_MONETARY];
    vc.p_alive = col_of[STRATA_V_P_ALIVE];
    vc.clv = col_of[STRATA_V_CLV];
    vc.days_since = col_of[STRATA_V_RECENCY];
    vc.revenue = col_of[STRATA_V_REVENUE];
    vc.transactions = col_of[STRATA_V_TRANSACTIONS];
    vc.has_log = col_of[STRATA_V_HAS_TRANSACTIONS];
  }
  STRATA_TRY(strata_profile_build(ctx, &raw_view, (const char *const *)s->transform->names,
                                  s->labels, k, t->values ? &vc : NULL, &s->profile));
  if (s->dc > 0) {
    strata_nominal_columns nom = {s->dc,
                                  s->dc,
                                  space->codes,
                                  s->levels,
                                  (const char *const *)s->nominal_names,
                                  (const char *const *const *)s->level_names};
    STRATA_TRY(strata_profile_add_nominal(ctx, s->profile, s->labels, &nom));
  }
  STRATA_TRY(strata_profile_name(ctx, s->profile));
cleanup:
  strata_free(cols);
  return st;
}

/* The report's 2-D view: a seeded sample of accounts projected on its two leading principal
 * axes, in the mixed cost's Euclidean embedding. */
static strata_status projection(strata_ctx *ctx, const strata_space *space,
                                const strata_segment_params *params, strata_segmentation *s) {
  strata_status st = STRATA_OK;
  int64_t *rows = NULL;
  double *embedded = NULL, *axes = NULL;
  strata_space sample;
  memset(&sample, 0, sizeof sample);
  const int64_t n = s->n;
  const int64_t cap = params->sample > n ? n : params->sample;
  STRATA_TRY(strata_alloc(ctx, (size_t)cap, sizeof(int64_t), "projection rows", (void **)&rows));
  s->m = strata_sample_rows(params->seed, SEG_STREAM_SAMPLE, n, cap, rows);
  STRATA_TRY(strata_space_subset(ctx, space, rows, s->m, &sample));
  int64_t de = 0;
  STRATA_TRY(strata_space_embed(ctx, &sample, &embedded, &de));
  STRATA_TRY(strata_alloc(ctx, (size_t)(2 * de), sizeof(double), "axes", (void **)&axes));
  STRATA_TRY(strata_pca2(ctx, embedded, s->m, de, axes, s->explained));
  s->projection = malloc((size_t)(s->m > 0 ? s->m : 1) * 2 * sizeof(double));
  s->projection_label = malloc((size_t)(s->m > 0 ? s->m : 1) * sizeof(int32_t));
  STRATA_FAIL_IF(s->projection == NULL || s->projection_label == NULL, ctx, STRATA_ERR_NOMEM,
                 "out of memory for the projection");
  for (int64_t r = 0; r < s->m; r++) {
    const double *e = embedded + r * de;
    for (int c = 0; c < 2; c++) {
      double acc = 0.0;
      for (int64_t t = 0; t < de; t++) acc += e[t] * axes[c * de + t];
      s->projection[r * 2 + c] = acc;
    }
    s->projection_label[r] = s->labels[rows[r]];
  }
cleanup:
  strata_space_release(&sample);
  strata_free(rows);
  strata_free(embedded);
  strata_free(axes);
  return st;
}

/* The training distributions that `strata score` measures drift against: deciles of every
 * numeric feature in original units, the level shares of every nominal one, from a seeded
 * sample of accounts (deciles of 200,000 rows are within a fraction of a percent of the
 * base's, and a full sort of every column of a large base would cost more than the fit). */
#define SEG_DRIFT_SAMPLE 200000
static strata_status drift_reference(strata_ctx *ctx, const double *raw, int64_t dn,
                                     const strata_space *space, const strata_segment_params *params,
                                     strata_segmentation *s) {
  strata_status st = STRATA_OK;
  double *col = NULL;
  int64_t *rows = NULL;
  const int64_t n = s->n;
  const int64_t cap = n < SEG_DRIFT_SAMPLE ? n : SEG_DRIFT_SAMPLE;
  s->drift = calloc((size_t)(dn + s->dc > 0 ? dn + s->dc : 1), sizeof *s->drift);
  STRATA_FAIL_IF(s->drift == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for drift references");
  STRATA_TRY(strata_alloc(ctx, (size_t)(cap > 0 ? cap : 1), sizeof(int64_t), "drift rows",
                          (void **)&rows));
  const int64_t m = strata_sample_rows(params->seed, SEG_STREAM_DRIFT, n, cap, rows);
  STRATA_TRY(strata_alloc(ctx, (size_t)(m > 0 ? m : 1), sizeof(double), "drift column",
                          (void **)&col));
  for (int64_t j = 0; j < dn; j++) {
    for (int64_t r = 0; r < m; r++) col[r] = raw[rows[r] * dn + j];
    STRATA_TRY(strata_psi_bins_fit(ctx, col, m, STRATA_PSI_BINS, &s->drift[s->n_drift]));
    s->n_drift++;
  }
  for (int64_t q = 0; q < s->dc; q++) {
    for (int64_t r = 0; r < m; r++) col[r] = s->level_values[q][space->codes[rows[r] * s->dc + q]];
    STRATA_TRY(strata_psi_levels_fit(ctx, col, m, &s->drift[s->n_drift]));
    s->n_drift++;
  }
cleanup:
  strata_free(col);
  strata_free(rows);
  return st;
}

/* Hennig's bootstrap stability of the chosen segments, on a seeded sample of accounts. */
static strata_status final_stability(strata_ctx *ctx, const strata_space *space,
                                     const strata_segment_params *params, strata_segmentation *s) {
  strata_status st = STRATA_OK;
  int64_t *rows = NULL;
  int32_t *labels = NULL;
  strata_space sample;
  memset(&sample, 0, sizeof sample);
  if (params->stability_resamples <= 0 || s->k < 2) goto cleanup;
  double t0 = strata_now();
  const int64_t n = s->n;
  const int64_t cap = params->stability_rows < n ? params->stability_rows : n;
  STRATA_TRY(strata_alloc(ctx, (size_t)cap, sizeof(int64_t), "stability rows", (void **)&rows));
  int64_t m = strata_sample_rows(params->seed, SEG_STREAM_STABILITY_FINAL, n, cap, rows);
  STRATA_TRY(strata_space_subset(ctx, space, rows, m, &sample));
  STRATA_TRY(strata_alloc(ctx, (size_t)m, sizeof(int32_t), "stability labels", (void **)&labels));
  for (int64_t r = 0; r < m; r++) labels[r] = s->labels[rows[r]];
  s->stability_rows = m;
  st = strata_segment_stability(ctx, &sample, labels, s->k, params->stability_resamples,
                                params->seed, &s->stability);
  if (st != STRATA_OK && st != STRATA_ERR_NOMEM && st != STRATA_ERR_BUDGET) {
    /* A sample too small to resample (tiny bases) has no stability to report. */
    strata_ctx_clear_error(ctx);
    st = STRATA_OK;
  }
  strata_phase_add(ctx, "stability", strata_now() - t0);
cleanup:
  strata_space_release(&sample);
  strata_free(rows);
  strata_free(labels);
  return st;
}

strata_status strata_segment_run(strata_ctx *ctx, const char *in,
                                 const strata_segment_params *params, strata_segmentation **out) {
  strata_status st = STRATA_OK;
  strata_segmentation *s = NULL;
  strata_feature_table table;
  memset(&table, 0, sizeof table);
  strata_space space;
  memset(&space, 0, sizeof space);
  strata_space_fit fit;
  memset(&fit, 0, sizeof fit);
  double *raw = NULL;
  int64_t *numeric = NULL, *nominal = NULL;
  strata_rfm_rules *rules = NULL;
  STRATA_FAIL_IF(in == NULL || params == NULL || out == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_segment_run: input, params and out are required");
  *out = NULL;
  STRATA_FAIL_IF(params->k < 0 || params->k > STRATA_SEGMENT_MAX_K, ctx, STRATA_ERR_USAGE,
                 "the number of segments must be between 1 and %d, got %lld",
                 STRATA_SEGMENT_MAX_K, (long long)params->k);
  STRATA_FAIL_IF(params->k == 0 && (params->k_min < 2 || params->k_max < params->k_min ||
                                    params->k_max > STRATA_SEGMENT_MAX_K),
                 ctx, STRATA_ERR_USAGE,
                 "the range of segments must be A:B with 2 <= A <= B <= %d, got %lld:%lld",
                 STRATA_SEGMENT_MAX_K, (long long)params->k_min, (long long)params->k_max);
  STRATA_FAIL_IF(!(params->gamma >= 0.0) || !isfinite(params->gamma), ctx, STRATA_ERR_USAGE,
                 "the nominal mismatch weight gamma must be finite and >= 0, got %g",
                 params->gamma);
  s = calloc(1, sizeof *s);
  STRATA_FAIL_IF(s == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for the segmentation");
  /* A bad rule file is refused before the work, not after it. */
  if (params->rfm_rules) STRATA_TRY(strata_rfm_rules_read(ctx, params->rfm_rules, &rules));

  STRATA_TRY(strata_feature_table_read(ctx, in, params->use_clv, &params->clv, NULL, &table));
  const int64_t n = table.n;
  s->n = n;
  s->from_log = table.from_log;
  s->account_id = table.account_id;
  table.account_id = NULL;
  s->accounts_without_transactions = table.accounts_without_transactions;
  s->customers_without_account = table.customers_without_account;
  s->transactions = table.transactions;
  memcpy(s->transactions_note, table.transactions_note, sizeof s->transactions_note);

  double t0 = strata_now();
  const int64_t dall = table.d_accounts + STRATA_VALUE_COLUMNS;
  numeric = calloc((size_t)dall, sizeof *numeric);
  nominal = calloc((size_t)dall, sizeof *nominal);
  STRATA_FAIL_IF(numeric == NULL || nominal == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  int64_t dn = 0, dnom = 0;
  STRATA_TRY(select_features(ctx, &table, params, in, numeric, &dn, nominal, &dnom));
  STRATA_TRY(build_space(ctx, &table, params, numeric, dn, nominal, dnom, s, &space, &raw));
  /* The space and the raw columns hold all that is needed of the accounts from here on: the
   * matrix as stored (the largest array of a wide base) goes back now. */
  strata_matrix_release(&table.accounts);
  strata_phase_add(ctx, "features", strata_now() - t0);

  STRATA_TRY(strata_choose_k(ctx, &space, params, s, &s->k, &fit));
  s->labels = fit.labels;
  s->centers = fit.centers;
  s->modes = fit.modes;
  fit.labels = NULL;
  fit.centers = NULL;
  fit.modes = NULL;
  if (s->centers == NULL)
    STRATA_TRY(strata_calloc(ctx, 1, sizeof(double), "centres", (void **)&s->centers));

  STRATA_TRY(segment_tree(ctx, &space, s));
  STRATA_TRY(final_stability(ctx, &space, params, s));
  t0 = strata_now();
  STRATA_TRY(projection(ctx, &space, params, s));
  strata_phase_add(ctx, "projection", strata_now() - t0);
  /* The scaled numeric columns have served their last stage (what follows reads the raw
   * columns and the level codes): freed before the profile's own arrays arrive. */
  strata_free(space.z);
  space.z = NULL;
  t0 = strata_now();
  STRATA_TRY(profile_and_name(ctx, &table, raw, dn, &space, s));
  STRATA_TRY(drift_reference(ctx, raw, dn, &space, params, s));
  strata_phase_add(ctx, "profile", strata_now() - t0);
  if (table.values) {
    t0 = strata_now();
    st = strata_lenses_run(ctx, n, s->k, s->labels, table.values, rules, &s->lenses);
    rules = NULL; /* taken over by the lenses */
    if (st != STRATA_OK) goto cleanup;
    strata_phase_add(ctx, "lenses", strata_now() - t0);
  }
  /* Each segment's action hint, once, for the file, the text, --json and the report. */
  s->actions = calloc((size_t)s->k, sizeof *s->actions);
  STRATA_FAIL_IF(s->actions == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  for (int64_t j = 0; j < s->k; j++)
    strata_action_for_segment(s->profile, s->lenses, j, &s->actions[j]);
  s->clv = table.clv;
  table.clv = NULL;
  s->values = table.values;
  table.values = NULL;
  *out = s;
  s = NULL;
cleanup:
  strata_feature_table_release(&table);
  strata_space_release(&space);
  strata_space_fit_release(&fit);
  free(numeric);
  free(nominal);
  strata_free(raw);
  strata_rfm_rules_free(rules);
  strata_segmentation_free(s);
  return st;
}
