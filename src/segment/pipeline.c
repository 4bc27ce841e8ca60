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
#include "segment/pipeline.h"

enum { SEG_STREAM_SAMPLE = 301 };

/* Value columns appended to the account features when transactions are present. */
enum { V_FREQUENCY, V_RECENCY, V_TENURE, V_MONETARY, V_P_ALIVE, V_EXPECTED, V_CLV, V_COUNT };
static const char *const value_names[V_COUNT] = {
    "frequency", "recency", "tenure", "monetary", "p_alive", "expected_purchases", "clv"};
/* By default the business dimensions of RFM/CLV join the account features: how often, how
 * recently, how much per purchase, and the discounted value. */
static const int value_default[V_COUNT] = {1, 1, 0, 1, 0, 0, 1};

void strata_segment_params_init(strata_segment_params *p) {
  if (p == NULL) return;
  memset(p, 0, sizeof *p);
  p->use_clv = 1;
  p->log1p = STRATA_LOG1P_AUTO;
  p->scale = STRATA_SCALE_ZSCORE;
  p->k = 0;
  p->k_min = 3;
  p->k_max = 8;
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

typedef struct id_index {
  int64_t id, row;
} id_index;

static int cmp_id(const void *a, const void *b) {
  const id_index *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

/* Value columns per account, joined on the id; accounts without transactions get zeros. */
static strata_status join_values(strata_ctx *ctx, const int64_t *account_id, int64_t n,
                                 const strata_clv_result *r, double *values, int64_t *without_txn,
                                 int64_t *without_account) {
  strata_status st = STRATA_OK;
  id_index *order = malloc((size_t)n * sizeof *order);
  STRATA_FAIL_IF(order == NULL, ctx, STRATA_ERR_NOMEM, "out of memory joining accounts");
  for (int64_t i = 0; i < n; i++) order[i] = (id_index){account_id[i], i};
  qsort(order, (size_t)n, sizeof *order, cmp_id);
  for (int64_t i = 1; i < n; i++)
    STRATA_FAIL_IF(order[i].id == order[i - 1].id, ctx, STRATA_ERR_DATA,
                   "/accounts/id: account %lld appears twice (rows %lld and %lld)",
                   (long long)order[i].id, (long long)order[i - 1].row, (long long)order[i].row);
  memset(values, 0, (size_t)(n * V_COUNT) * sizeof(double));
  const strata_clv_rfm *f = r->rfm;
  int64_t a = 0, matched = 0;
  *without_account = 0;
  for (int64_t c = 0; c < f->n; c++) {
    while (a < n && order[a].id < f->id[c]) a++;
    if (a == n || order[a].id != f->id[c]) {
      (*without_account)++;
      continue;
    }
    double *v = values + order[a].row * V_COUNT;
    v[V_FREQUENCY] = f->x[c];
    v[V_RECENCY] = f->t_x[c];
    v[V_TENURE] = f->T[c];
    v[V_MONETARY] = f->monetary ? f->monetary[c] : 0.0;
    v[V_P_ALIVE] = r->p_alive[c];
    v[V_EXPECTED] = r->expected_purchases[c];
    v[V_CLV] = r->clv ? r->clv[c] : 0.0;
    matched++;
  }
  *without_txn = n - matched;
cleanup:
  free(order);
  return st;
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

static int name_index(const char *const *names, int64_t count, const char *name, size_t len) {
  for (int64_t j = 0; j < count; j++)
    if (strlen(names[j]) == len && strncmp(names[j], name, len) == 0) return (int)j;
  return -1;
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
  strata_h5_file *f = NULL;
  strata_matrix raw = {0};
  char **account_names = NULL;
  int64_t n_names = 0;
  strata_transactions txn = {0};
  double *values = NULL, *cand = NULL, *z = NULL, *chosen_raw = NULL;
  const char **cand_names = NULL;
  int64_t *pick = NULL;
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

  /* ---- accounts */
  double t0 = strata_now();
  STRATA_TRY(strata_h5_open(ctx, in, &f));
  STRATA_TRY(strata_h5_read_matrix(ctx, f, "/accounts/features", STRATA_TYPES_FLOAT, &raw));
  const int64_t n = raw.n, da = raw.d;
  s->n = n;
  if (strata_h5_exists(f, "/accounts/id")) {
    STRATA_TRY(strata_h5_read_vector(ctx, f, "/accounts/id", STRATA_TYPES_INT, n, STRATA_I64,
                                     (void **)&s->account_id));
  } else {
    STRATA_TRY(
        strata_alloc(ctx, (size_t)n, sizeof(int64_t), "account ids", (void **)&s->account_id));
    for (int64_t i = 0; i < n; i++) s->account_id[i] = i;
  }
  if (strata_h5_exists(f, "/accounts/feature_names")) {
    STRATA_TRY(strata_h5_read_strings(ctx, f, "/accounts/feature_names", &account_names, &n_names));
    STRATA_FAIL_IF(n_names != da, ctx, STRATA_ERR_DATA,
                   "%s: /accounts/feature_names has %lld names for %lld feature columns", in,
                   (long long)n_names, (long long)da);
  }
  /* Nominal codes (region, channel...) have no distances: the producer lists them. */
  char categorical[1024] = "";
  if (params->categorical) {
    snprintf(categorical, sizeof categorical, "%s", params->categorical);
  } else if (strata_h5_read_attr_string(ctx, f, "/accounts/features", "categorical", categorical,
                                        sizeof categorical) != STRATA_OK) {
    categorical[0] = '\0';
    strata_ctx_clear_error(ctx);
  }
  int with_clv = params->use_clv && strata_h5_exists(f, "/transactions/customer_id");
  if (with_clv) STRATA_TRY(strata_transactions_read(ctx, f, &txn));
  strata_h5_close(f);
  f = NULL;
  strata_phase_add(ctx, "read", strata_now() - t0);

  /* ---- CLV scores per account */
  const int64_t dv = with_clv ? V_COUNT : 0, dc = da + dv;
  if (with_clv) {
    STRATA_TRY(
        strata_clv_run(ctx, txn.id, txn.day, txn.amount, txn.m, &params->clv, NULL, &s->clv));
    STRATA_TRY(strata_alloc(ctx, (size_t)(n * V_COUNT), sizeof(double), "value columns",
                            (void **)&values));
    STRATA_TRY(join_values(ctx, s->account_id, n, s->clv, values, &s->accounts_without_transactions,
                           &s->customers_without_account));
  }
  strata_transactions_release(&txn);

  /* ---- candidate features: account columns then value columns, in original units */
  t0 = strata_now();
  cand_names = calloc((size_t)dc, sizeof *cand_names);
  STRATA_FAIL_IF(cand_names == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  if (account_names == NULL) {
    /* Unnamed columns are feature_0, feature_1, ...: one block, freed like read names. */
    account_names = malloc((size_t)da * (sizeof(char *) + 32));
    STRATA_FAIL_IF(account_names == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    char *text = (char *)(account_names + da);
    for (int64_t j = 0; j < da; j++) {
      account_names[j] = text + j * 32;
      snprintf(account_names[j], 32, "feature_%lld", (long long)j);
    }
  }
  for (int64_t j = 0; j < da; j++) cand_names[j] = account_names[j];
  for (int64_t v = 0; v < dv; v++) cand_names[da + v] = value_names[v];
  pick = calloc((size_t)dc, sizeof *pick);
  STRATA_FAIL_IF(pick == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  int64_t d = 0;
  if (params->features && params->features[0]) {
    for (const char *p = params->features; *p;) {
      const char *comma = strchr(p, ',');
      size_t len = comma ? (size_t)(comma - p) : strlen(p);
      int j = name_index(cand_names, dc, p, len);
      STRATA_FAIL_IF(j < 0, ctx, STRATA_ERR_USAGE,
                     "--features: no feature '%.*s' (available: the names of "
                     "/accounts/feature_names%s)",
                     (int)len, p,
                     with_clv ? ", frequency, recency, tenure, monetary, p_alive, "
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
      if (!in_list(categorical, cand_names[j])) pick[d++] = j;
    for (int64_t v = 0; v < dv; v++)
      if (value_default[v]) pick[d++] = da + v;
  }
  STRATA_TRY(
      strata_alloc(ctx, (size_t)(n * d), sizeof(double), "feature matrix", (void **)&chosen_raw));
  for (int64_t i = 0; i < n; i++)
    for (int64_t q = 0; q < d; q++) {
      int64_t j = pick[q];
      chosen_raw[i * d + q] =
          j < da ? (raw.dtype == STRATA_F32 ? (double)((const float *)raw.data)[i * da + j]
                                            : ((const double *)raw.data)[i * da + j])
                 : values[i * V_COUNT + (j - da)];
    }
  const char **chosen_names = calloc((size_t)d, sizeof *chosen_names);
  STRATA_FAIL_IF(chosen_names == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  for (int64_t q = 0; q < d; q++) chosen_names[q] = cand_names[pick[q]];
  st = strata_transform_fit(ctx, chosen_raw, n, d, chosen_names, params->log1p, params->scale,
                            &s->transform);
  free(chosen_names);
  if (st != STRATA_OK) goto cleanup;
  const int64_t dz = s->transform->d_out;
  s->d = dz;
  STRATA_TRY(strata_alloc(ctx, (size_t)(n * dz), sizeof(double), "scaled features", (void **)&z));
  STRATA_TRY(strata_transform_apply(ctx, s->transform, chosen_raw, n, z));
  strata_phase_add(ctx, "features", strata_now() - t0);

  /* ---- k-means over the range, keeping the chosen fit */
  strata_matrix zm = {z, n, dz, dz, STRATA_F64};
  strata_kmeans_params kp;
  strata_kmeans_params_init(&kp);
  kp.n_init = params->n_init;
  kp.seed = params->seed;
  int64_t k_lo = params->k ? params->k : params->k_min,
          k_hi = params->k ? params->k : params->k_max;
  STRATA_FAIL_IF(k_lo > n, ctx, STRATA_ERR_USAGE, "%lld segments asked of %lld accounts",
                 (long long)k_lo, (long long)n);
  if (k_hi > n) k_hi = n;
  int64_t chosen = -1;
  double best_score = -INFINITY;
  for (int64_t k = k_lo; k <= k_hi; k++) {
    kp.k = k;
    STRATA_TRY(strata_kmeans_fit(ctx, &zm, &kp, &fit));
    int64_t at = s->n_k++;
    s->k_values[at] = k;
    s->k_inertia[at] = strata_kmeans_inertia(fit);
    s->k_calinski[at] = calinski_harabasz(z, n, dz, fit);
    strata_progress(ctx, "choose k", (double)(k - k_lo + 1) / (double)(k_hi - k_lo + 1));
    /* The business acts on 3-5 segments: outside that band a k must beat the best in-band
     * score by 15% to be chosen. */
    int in_band = k >= 3 && k <= 5;
    double score = s->k_calinski[at] * (in_band || k_lo > 5 || k_hi < 3 ? 1.0 : 1.0 / 1.15);
    if (score > best_score) {
      best_score = score;
      chosen = k;
      strata_kmeans_free(best);
      best = fit;
    } else {
      strata_kmeans_free(fit);
    }
    fit = NULL;
  }
  s->k_rule = params->k ? "given by --k"
                        : "largest Calinski-Harabasz index, with 3-5 segments preferred: a k "
                          "outside 3-5 must score 15% higher";
  s->k = chosen;
  const int64_t k = chosen;
  STRATA_TRY(strata_alloc(ctx, (size_t)(k * dz), sizeof(double), "centres", (void **)&s->centers));
  memcpy(s->centers, strata_kmeans_centers(best), (size_t)(k * dz) * sizeof(double));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int32_t), "labels", (void **)&s->labels));
  memcpy(s->labels, strata_kmeans_labels(best), (size_t)n * sizeof(int32_t));

  /* ---- profiles and names, in original units over the features used */
  t0 = strata_now();
  strata_matrix chosen_view = {chosen_raw, n, d, d, STRATA_F64};
  strata_value_columns vc = {0};
  if (with_clv) {
    /* Strided views into the joined value table. */
    double *cols = NULL;
    STRATA_TRY(
        strata_alloc(ctx, (size_t)(n * V_COUNT), sizeof(double), "value columns", (void **)&cols));
    for (int64_t v = 0; v < V_COUNT; v++)
      for (int64_t i = 0; i < n; i++) cols[v * n + i] = values[i * V_COUNT + v];
    vc.frequency = cols + V_FREQUENCY * n;
    vc.recency = cols + V_RECENCY * n;
    vc.age = cols + V_TENURE * n;
    vc.monetary = cols + V_MONETARY * n;
    vc.p_alive = cols + V_P_ALIVE * n;
    vc.clv = cols + V_CLV * n;
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
    double keep = params->sample >= n ? 1.0 : (double)params->sample / (double)n;
    s->projection =
        malloc((size_t)(params->sample > n ? n : params->sample) * 2 * sizeof(double) + 16);
    s->projection_label =
        malloc((size_t)(params->sample > n ? n : params->sample) * sizeof(int32_t) + 4);
    STRATA_FAIL_IF(!s->projection || !s->projection_label, ctx, STRATA_ERR_NOMEM, "out of memory");
    int64_t cap = params->sample > n ? n : params->sample;
    for (int64_t i = 0; i < n && s->m < cap; i++) {
      /* A Bernoulli sample by hash: the same rows for any thread count. */
      double u =
          (double)(strata_rng_hash(params->seed, SEG_STREAM_SAMPLE, (uint64_t)i) >> 11) * 0x1.0p-53;
      if (u >= keep) continue;
      for (int c = 0; c < 2; c++) {
        double acc = 0.0;
        for (int64_t t = 0; t < dz; t++) acc += z[i * dz + t] * axes[c * dz + t];
        s->projection[s->m * 2 + c] = acc;
      }
      s->projection_label[s->m++] = s->labels[i];
    }
  }
  strata_phase_add(ctx, "projection", strata_now() - t0);
  *out = s;
  s = NULL;
cleanup:
  strata_h5_close(f);
  strata_matrix_release(&raw);
  free(account_names);
  strata_transactions_release(&txn);
  strata_free(values);
  free(cand);
  free(cand_names);
  free(pick);
  strata_free(z);
  strata_free(chosen_raw);
  strata_kmeans_free(best);
  strata_kmeans_free(fit);
  strata_segmentation_free(s);
  return st;
}
