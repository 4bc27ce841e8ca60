/*
 * The segmentation pipeline; see pipeline.h. Cost: O(m) for the CLV summary of m
 * transactions, O(n d) for features and transforms, (k_max - k_min + 1) k-means fits on the
 * n x d transformed matrix, O(n d^2) for the 2-D projection.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/rng.h"
#include "segment/pca.h"
#include "segment/features.h"
#include "segment/pipeline.h"

enum { SEG_STREAM_SAMPLE = 301, SEG_STREAM_K_SAMPLE = 302 };

/* Rows on which the number of segments is chosen: the Calinski-Harabasz index of a seeded
 * sample this large estimates the full base's closely, at a fraction of the fits' cost. */
#define SEG_K_SAMPLE 200000
/* Rows of the silhouette (O(s^2 d) per candidate k): the seeded sample of the k-means engine's
 * scores, the size `strata kmeans --k-range` uses by default. */
#define SEG_SILHOUETTE_SAMPLE 10000

/* A candidate's score with the 3-5 preference applied: outside the band a k must score 15%
 * higher (relative to its magnitude, so that negative silhouettes are handicapped too). */
static double band_score(double score, int64_t k, int64_t k_lo, int64_t k_hi) {
  int in_band = k >= 3 && k <= 5;
  if (in_band || k_lo > 5 || k_hi < 3) return score;
  return score >= 0 ? score * (1.0 / 1.15) : score * 1.15;
}

/* Up to `cap` row indices in increasing order, each row kept with probability cap / n by a
 * hash of (seed, stream, row): the same rows for any thread count. Returns the count. */
static int64_t sample_rows(uint64_t seed, uint32_t stream, int64_t n, int64_t cap, int64_t *rows) {
  double keep = cap >= n ? 1.0 : (double)cap / (double)n;
  int64_t m = 0;
  for (int64_t i = 0; i < n && m < cap; i++) {
    double u = (double)(strata_rng_hash(seed, stream, (uint64_t)i) >> 11) * 0x1.0p-53;
    if (u < keep) rows[m++] = i;
  }
  return m;
}

void strata_segment_params_init(strata_segment_params *p) {
  if (p == NULL) return;
  memset(p, 0, sizeof *p);
  p->use_clv = 1;
  p->log1p = STRATA_LOG1P_AUTO;
  p->scale = STRATA_SCALE_ZSCORE;
  p->k = 0;
  p->k_min = 3;
  p->k_max = 8;
  p->k_criterion = STRATA_K_CALINSKI_HARABASZ;
  p->n_init = 1; /* k-means' refinement jumps already escape poor local optima */
  p->seed = 0;
  p->sample = 4000;
  strata_clv_run_params_init(&p->clv);
}

void strata_segmentation_free(strata_segmentation *s) {
  if (s == NULL) return;
  strata_free(s->account_id);
  strata_free(s->labels);
  strata_transform_free(s->transform);
  strata_free(s->centers);
  strata_profile_free(s->profile);
  strata_clv_result_free(s->clv);
  free(s->linkage);
  free(s->projection);
  free(s->projection_label);
  free(s);
}

/* Calinski-Harabasz index from a fit: between-segment over within-segment dispersion, each per
 * degree of freedom. O(k d) from the centres and sizes (the within part is the inertia). */
static double calinski_harabasz(const double *z, int64_t n, int64_t d, const strata_kmeans *m) {
  int64_t k = strata_kmeans_k(m);
  if (k < 2 || n <= k) return 0.0;
  const double *c = strata_kmeans_centers(m);
  const int32_t *labels = strata_kmeans_labels(m);
  double *mean = calloc((size_t)d, sizeof *mean), *size = calloc((size_t)k, sizeof *size);
  if (mean == NULL || size == NULL) {
    free(mean);
    free(size);
    return 0.0;
  }
  for (int64_t i = 0; i < n; i++) {
    size[labels[i]] += 1.0;
    for (int64_t t = 0; t < d; t++) mean[t] += z[i * d + t];
  }
  for (int64_t t = 0; t < d; t++) mean[t] /= (double)n;
  double between = 0.0;
  for (int64_t j = 0; j < k; j++)
    for (int64_t t = 0; t < d; t++)
      between += size[j] * (c[j * d + t] - mean[t]) * (c[j * d + t] - mean[t]);
  free(mean);
  free(size);
  double within = strata_kmeans_inertia(m);
  return within > 0 ? (between / (double)(k - 1)) / (within / (double)(n - k)) : INFINITY;
}

/* 1 when `name` is one of the comma-separated names of `list`. */
static int in_list(const char *list, const char *name) {
  size_t len = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t l = comma ? (size_t)(comma - p) : strlen(p);
    if (l == len && strncmp(p, name, len) == 0) return 1;
    p = comma ? comma + 1 : p + l;
  }
  return 0;
}

strata_status strata_segment_run(strata_ctx *ctx, const char *in,
                                 const strata_segment_params *params, strata_segmentation **out) {
  strata_status st = STRATA_OK;
  strata_segmentation *s = NULL;
  strata_feature_table table;
  memset(&table, 0, sizeof table);
  double *z = NULL, *chosen_raw = NULL, *zs = NULL;
  int64_t *pick = NULL, *sample = NULL;
  strata_kmeans *best = NULL, *fit = NULL;
  STRATA_FAIL_IF(in == NULL || params == NULL || out == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_segment_run: input, params and out are required");
  *out = NULL;
  STRATA_FAIL_IF(params->k < 0 || params->k > STRATA_SEGMENT_MAX_K, ctx, STRATA_ERR_USAGE,
                 "--k must be between 1 and %d, got %lld", STRATA_SEGMENT_MAX_K,
                 (long long)params->k);
  STRATA_FAIL_IF(params->k == 0 && (params->k_min < 2 || params->k_max < params->k_min ||
                                    params->k_max > STRATA_SEGMENT_MAX_K),
                 ctx, STRATA_ERR_USAGE,
                 "--k-range must be A:B with 2 <= A <= B <= %d, got %lld:%lld",
                 STRATA_SEGMENT_MAX_K, (long long)params->k_min, (long long)params->k_max);
  s = calloc(1, sizeof *s);
  STRATA_FAIL_IF(s == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for the segmentation");

  STRATA_TRY(strata_feature_table_read(ctx, in, params->use_clv, &params->clv, NULL, &table));
  const int64_t n = table.n, da = table.d_accounts;
  const int64_t dc = da + (table.values ? STRATA_VALUE_COLUMNS : 0);
  s->n = n;
  s->account_id = table.account_id;
  table.account_id = NULL;
  s->accounts_without_transactions = table.accounts_without_transactions;
  s->customers_without_account = table.customers_without_account;
  s->transactions = table.transactions;
  memcpy(s->transactions_note, table.transactions_note, sizeof s->transactions_note);

  /* ---- the features: named by --features, or every account column that is not nominal plus
   * the default value columns */
  double t0 = strata_now();
  const char *categorical = params->categorical ? params->categorical : table.categorical;
  pick = calloc((size_t)dc, sizeof *pick);
  STRATA_FAIL_IF(pick == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  int64_t d = 0;
  if (params->features && params->features[0]) {
    for (const char *p = params->features; *p;) {
      const char *comma = strchr(p, ',');
      size_t len = comma ? (size_t)(comma - p) : strlen(p);
      int64_t j = strata_feature_table_find(&table, p, len);
      STRATA_FAIL_IF(j < 0, ctx, STRATA_ERR_USAGE,
                     "--features: no feature '%.*s' (available: the names of "
                     "/accounts/feature_names%s)",
                     (int)len, p,
                     table.values ? ", frequency, recency, tenure, monetary, p_alive, "
                                    "expected_purchases, clv"
                                  : "");
      for (int64_t q = 0; q < d; q++)
        STRATA_FAIL_IF(pick[q] == j, ctx, STRATA_ERR_USAGE, "--features names '%.*s' twice",
                       (int)len, p);
      pick[d++] = j;
      p = comma ? comma + 1 : p + len;
    }
  } else {
    for (int64_t j = 0; j < da; j++)
      if (!in_list(categorical, table.account_names[j])) pick[d++] = j;
    for (int64_t v = 0; table.values && v < STRATA_VALUE_COLUMNS; v++)
      if (strata_value_column_default[v]) pick[d++] = da + v;
  }
  STRATA_FAIL_IF(d == 0, ctx, STRATA_ERR_DATA, "%s: no features to segment on", in);
  STRATA_TRY(strata_feature_table_columns(ctx, &table, pick, d, &chosen_raw));
  {
    const char **chosen_names = calloc((size_t)d, sizeof *chosen_names);
    STRATA_FAIL_IF(chosen_names == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    for (int64_t q = 0; q < d; q++) chosen_names[q] = strata_feature_table_name(&table, pick[q]);
    st = strata_transform_fit(ctx, chosen_raw, n, d, chosen_names, params->log1p, params->scale,
                              &s->transform);
    free(chosen_names);
    if (st != STRATA_OK) goto cleanup;
  }
  const int64_t dz = s->transform->d_out;
  s->d = dz;
  STRATA_TRY(strata_alloc(ctx, (size_t)(n * dz), sizeof(double), "scaled features", (void **)&z));
  STRATA_TRY(strata_transform_apply(ctx, s->transform, chosen_raw, n, z));
  strata_phase_add(ctx, "features", strata_now() - t0);

  /* ---- k-means over the range, keeping the chosen fit */
  strata_matrix zm = {z, n, dz, dz, STRATA_F64};
  /* k is chosen on a seeded sample of a large base; the chosen k is then fitted on all rows. */
  strata_matrix zk = zm;
  if (params->k == 0 && n > SEG_K_SAMPLE) {
    STRATA_TRY(
        strata_alloc(ctx, (size_t)SEG_K_SAMPLE, sizeof(int64_t), "sample rows", (void **)&sample));
    int64_t m = sample_rows(params->seed, SEG_STREAM_K_SAMPLE, n, SEG_K_SAMPLE, sample);
    STRATA_TRY(strata_alloc(ctx, (size_t)(m * dz), sizeof(double), "sample", (void **)&zs));
    for (int64_t r = 0; r < m; r++)
      memcpy(zs + r * dz, z + sample[r] * dz, (size_t)dz * sizeof(double));
    zk = (strata_matrix){zs, m, dz, dz, STRATA_F64};
  }
  strata_kmeans_params kp;
  strata_kmeans_params_init(&kp);
  kp.n_init = params->n_init;
  kp.seed = params->seed;
  /* Plain k-means to compare the candidate k; the chosen one is refitted with refinement
   * jumps below (they only ever lower the inertia), which costs one refined fit, not one per
   * candidate. */
  kp.refine = params->k ? 1 : 0;
  int64_t k_lo = params->k ? params->k : params->k_min,
          k_hi = params->k ? params->k : params->k_max;
  STRATA_FAIL_IF(k_lo > n, ctx, STRATA_ERR_USAGE, "%lld segments asked of %lld accounts",
                 (long long)k_lo, (long long)n);
  if (k_hi > n) k_hi = n;
  int64_t chosen = -1;
  double best_score = -INFINITY;
  const int by_silhouette = params->k == 0 && params->k_criterion == STRATA_K_SILHOUETTE;
  s->has_silhouette = by_silhouette;
  s->k_criterion = params->k ? "given" : by_silhouette ? "silhouette" : "calinski-harabasz";
  for (int64_t k = k_lo; k <= k_hi; k++) {
    kp.k = k;
    STRATA_TRY(strata_kmeans_fit(ctx, &zk, &kp, &fit));
    int64_t at = s->n_k++;
    s->k_values[at] = k;
    s->k_inertia[at] = strata_kmeans_inertia(fit);
    s->k_calinski[at] = calinski_harabasz(zk.data, zk.n, dz, fit);
    s->k_silhouette[at] = s->k_davies_bouldin[at] = NAN;
    double score = s->k_calinski[at];
    if (by_silhouette) {
      double t1 = strata_now();
      strata_cluster_scores cs;
      STRATA_TRY(strata_kmeans_scores(ctx, &zk, strata_kmeans_labels(fit), k, SEG_SILHOUETTE_SAMPLE,
                                      params->seed, &cs));
      s->k_silhouette[at] = cs.silhouette;
      s->k_davies_bouldin[at] = cs.davies_bouldin;
      s->silhouette_rows = cs.silhouette_rows;
      /* A sample holding one cluster has no silhouette: it never wins. */
      score = isnan(cs.silhouette) ? -INFINITY : cs.silhouette;
      strata_phase_add(ctx, "silhouette", strata_now() - t1);
    }
    strata_progress(ctx, "choose k", (double)(k - k_lo + 1) / (double)(k_hi - k_lo + 1));
    /* The business acts on 3-5 segments. */
    score = band_score(score, k, k_lo, k_hi);
    if (chosen < 0 || score > best_score) {
      best_score = score;
      chosen = k;
      strata_kmeans_free(best);
      best = fit;
    } else {
      strata_kmeans_free(fit);
    }
    fit = NULL;
  }
  const int sampled = zk.data != zm.data;
  s->k_rule = params->k ? "given by --k"
              : by_silhouette
                  ? (sampled ? "largest mean silhouette (exact on a seeded sample of 10,000 "
                               "accounts) of k-means fitted on a seeded sample of 200,000 "
                               "accounts, with 3-5 segments preferred: a k outside 3-5 must "
                               "score 15% higher"
                             : "largest mean silhouette (exact on a seeded sample of up to "
                               "10,000 accounts), with 3-5 segments preferred: a k outside 3-5 "
                               "must score 15% higher")
              : sampled ? "largest Calinski-Harabasz index on a seeded sample of "
                          "200,000 accounts, with 3-5 segments preferred: a k outside "
                          "3-5 must score 15% higher"
                        : "largest Calinski-Harabasz index, with 3-5 segments "
                          "preferred: a k outside 3-5 must score 15% higher";
  s->k = chosen;
  const int64_t k = chosen;
  if (!kp.refine || zk.data != zm.data) {
    kp.k = k;
    kp.refine = 1;
    STRATA_TRY(strata_kmeans_fit(ctx, &zm, &kp, &fit));
    strata_kmeans_free(best);
    best = fit;
    fit = NULL;
  }
  STRATA_TRY(strata_alloc(ctx, (size_t)(k * dz), sizeof(double), "centres", (void **)&s->centers));
  memcpy(s->centers, strata_kmeans_centers(best), (size_t)(k * dz) * sizeof(double));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int32_t), "labels", (void **)&s->labels));
  memcpy(s->labels, strata_kmeans_labels(best), (size_t)n * sizeof(int32_t));

  /* ---- the segment tree: Ward on the centres weighted by segment sizes (the hierarchical
   * engine's exact NN-chain), i.e. the order in which Ward would merge the segments */
  if (k >= 2) {
    double *sizes = NULL;
    strata_hier *tree = NULL;
    STRATA_TRY(strata_calloc(ctx, (size_t)k, sizeof(double), "segment sizes", (void **)&sizes));
    for (int64_t i = 0; i < n; i++) sizes[s->labels[i]] += 1.0;
    for (int64_t j = 0; j < k; j++)
      if (sizes[j] <= 0.0) sizes[j] = 1.0; /* an empty segment still needs a positive weight */
    strata_hier_params hp;
    strata_hier_params_init(&hp);
    hp.method = STRATA_HIER_WARD;
    hp.weights = sizes;
    strata_matrix cm = {s->centers, k, dz, dz, STRATA_F64};
    st = strata_hier_fit(ctx, &cm, &hp, &tree);
    if (st == STRATA_OK) {
      s->linkage = malloc((size_t)(k - 1) * 4 * sizeof(double));
      if (s->linkage)
        memcpy(s->linkage, strata_hier_linkage(tree), (size_t)(k - 1) * 4 * sizeof(double));
      else
        st = strata_fail(ctx, STRATA_ERR_NOMEM, "out of memory for the segment tree");
    }
    strata_hier_free(tree);
    strata_free(sizes);
    if (st != STRATA_OK) goto cleanup;
  }

  /* ---- profiles and names, in original units over the features used */
  t0 = strata_now();
  strata_matrix chosen_view = {chosen_raw, n, d, d, STRATA_F64};
  strata_value_columns vc = {0};
  if (table.values) {
    /* Column views of the joined value table. */
    double *cols = NULL;
    STRATA_TRY(strata_alloc(ctx, (size_t)(n * STRATA_VALUE_COLUMNS), sizeof(double),
                            "value columns", (void **)&cols));
    for (int64_t v = 0; v < STRATA_VALUE_COLUMNS; v++)
      for (int64_t i = 0; i < n; i++) cols[v * n + i] = table.values[i * STRATA_VALUE_COLUMNS + v];
    vc.frequency = cols + STRATA_V_FREQUENCY * n;
    vc.recency = cols + STRATA_V_RECENCY * n;
    vc.age = cols + STRATA_V_TENURE * n;
    vc.monetary = cols + STRATA_V_MONETARY * n;
    vc.p_alive = cols + STRATA_V_P_ALIVE * n;
    vc.clv = cols + STRATA_V_CLV * n;
    st = strata_profile_build(ctx, &chosen_view, (const char *const *)s->transform->names,
                              s->labels, k, &vc, &s->profile);
    strata_free(cols);
  } else {
    st = strata_profile_build(ctx, &chosen_view, (const char *const *)s->transform->names,
                              s->labels, k, NULL, &s->profile);
  }
  if (st != STRATA_OK) goto cleanup;
  STRATA_TRY(strata_profile_name(ctx, s->profile));
  strata_phase_add(ctx, "profile", strata_now() - t0);

  /* ---- 2-D projection of a seeded sample for the report */
  t0 = strata_now();
  double axes[2 * 256];
  if (dz <= 256) {
    STRATA_TRY(strata_pca2(ctx, z, n, dz, axes, s->explained));
    int64_t cap = params->sample > n ? n : params->sample;
    int64_t *rows = malloc((size_t)cap * sizeof *rows);
    s->projection = malloc((size_t)cap * 2 * sizeof(double));
    s->projection_label = malloc((size_t)cap * sizeof(int32_t));
    if (rows == NULL || s->projection == NULL || s->projection_label == NULL) {
      free(rows);
      STRATA_FAIL_IF(1, ctx, STRATA_ERR_NOMEM, "out of memory for the projection");
    }
    s->m = sample_rows(params->seed, SEG_STREAM_SAMPLE, n, cap, rows);
    for (int64_t r = 0; r < s->m; r++) {
      const double *zi = z + rows[r] * dz;
      for (int c = 0; c < 2; c++) {
        double acc = 0.0;
        for (int64_t t = 0; t < dz; t++) acc += zi[t] * axes[c * dz + t];
        s->projection[r * 2 + c] = acc;
      }
      s->projection_label[r] = s->labels[rows[r]];
    }
    free(rows);
  }
  strata_phase_add(ctx, "projection", strata_now() - t0);
  s->clv = table.clv;
  table.clv = NULL;
  *out = s;
  s = NULL;
cleanup:
  strata_feature_table_release(&table);
  free(pick);
  strata_free(z);
  strata_free(chosen_raw);
  strata_free(zs);
  strata_free(sample);
  strata_kmeans_free(best);
  strata_kmeans_free(fit);
  strata_segmentation_free(s);
  return st;
}
