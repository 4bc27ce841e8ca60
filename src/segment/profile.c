/*
 * Segment profiles: size and share, mean and median of every feature, z-scores against the
 * whole base, the most distinguishing features, and the value columns (CLV totals and shares,
 * P(alive) distribution). Medians and quantiles are exact order statistics found by
 * selection (Hoare's quickselect, median-of-three pivots), O(n) per segment and column, with
 * numpy's linear interpolation between order statistics.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "segment/segment.h"

static double get(const strata_matrix *x, int64_t i, int64_t j) {
  return x->dtype == STRATA_F32 ? (double)((const float *)x->data)[i * x->ld + j]
                                : ((const double *)x->data)[i * x->ld + j];
}

/* Rearranges v so that v[nth] is the value of rank nth; O(m) expected. */
static double select_nth(double *v, int64_t m, int64_t nth) {
  int64_t lo = 0, hi = m - 1;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    /* median of three as the pivot keeps sorted input linear */
    double a = v[lo], b = v[mid], c = v[hi];
    double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
    int64_t i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        double t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        j--;
      }
    }
    if (nth <= j)
      hi = j;
    else if (nth >= i)
      lo = i;
    else
      return v[nth];
  }
  return v[nth];
}

/* numpy.percentile(v, q) with the default linear interpolation; v is reordered. */
static double percentile(double *v, int64_t m, double q) {
  if (m == 0) return NAN;
  double pos = q / 100.0 * (double)(m - 1);
  int64_t below = (int64_t)floor(pos);
  double lo = select_nth(v, m, below);
  if (below + 1 >= m || pos == (double)below) return lo;
  /* The next order statistic is the minimum of the upper part after selection. */
  double hi = v[below + 1];
  for (int64_t i = below + 2; i < m; i++)
    if (v[i] < hi) hi = v[i];
  return lo + (pos - (double)below) * (hi - lo);
}

void strata_profile_free(strata_profile *p) {
  if (p == NULL) return;
  if (p->feature_names)
    for (int64_t j = 0; j < p->d; j++) free(p->feature_names[j]);
  if (p->names)
    for (int64_t j = 0; j < p->k; j++) free(p->names[j]);
  free(p->feature_names);
  free(p->names);
  free(p->count);
  free(p->share);
  free(p->mean);
  free(p->median);
  free(p->z);
  free(p->base_mean);
  free(p->base_sd);
  free(p->top);
  free(p->clv_total);
  free(p->clv_mean);
  free(p->clv_share);
  free(p->p_alive_mean);
  free(p->p_alive_q);
  free(p->frequency_mean);
  free(p->recency_mean);
  free(p->age_mean);
  free(p->monetary_mean);
  free(p->one_time_share);
  free(p->no_purchase_share);
  free(p->days_since_mean);
  free(p->revenue_mean);
  free(p->spend_per_purchase);
  for (int64_t j = 0; j < p->dc; j++) {
    if (p->nominal_names) free(p->nominal_names[j]);
    if (p->level_names && p->level_names[j]) {
      for (int64_t v = 0; v < p->levels[j]; v++) free(p->level_names[j][v]);
      free(p->level_names[j]);
    }
    if (p->level_share) free(p->level_share[j]);
    if (p->level_base) free(p->level_base[j]);
    if (p->level_lift) free(p->level_lift[j]);
  }
  free(p->nominal_names);
  free(p->levels);
  free(p->level_names);
  free(p->level_share);
  free(p->level_base);
  free(p->level_lift);
  free(p);
}

/* Share of rows (per segment and over the base) where pred holds for v[i]. */
static void column_shares(const double *v, int zero_test, const int32_t *labels, int64_t n,
                          int64_t k, const double *count, double *seg, double *base) {
  double total = 0.0;
  for (int64_t s = 0; s < k; s++) seg[s] = 0.0;
  for (int64_t i = 0; i < n; i++) {
    int hit = zero_test ? v[i] == 0.0 : v[i] != 0.0;
    seg[labels[i]] += hit;
    total += hit;
  }
  for (int64_t s = 0; s < k; s++) seg[s] = count[s] > 0 ? seg[s] / count[s] : 0.0;
  *base = n > 0 ? total / (double)n : 0.0;
}

/* Mean of a value column per segment, and over the base. */
static void column_means(const double *v, const int32_t *labels, int64_t n, int64_t k,
                         const double *count, double *seg_mean, double *base_mean) {
  double total = 0.0;
  for (int64_t s = 0; s < k; s++) seg_mean[s] = 0.0;
  for (int64_t i = 0; i < n; i++) {
    seg_mean[labels[i]] += v[i];
    total += v[i];
  }
  for (int64_t s = 0; s < k; s++) seg_mean[s] = count[s] > 0 ? seg_mean[s] / count[s] : 0.0;
  *base_mean = n > 0 ? total / (double)n : 0.0;
}

strata_status strata_profile_build(strata_ctx *ctx, const strata_matrix *x,
                                   const char *const *feature_names, const int32_t *labels,
                                   int64_t k, const strata_value_columns *values,
                                   strata_profile **out) {
  strata_status st = STRATA_OK;
  strata_profile *p = NULL;
  int64_t *order = NULL, *start = NULL;
  double *buf = NULL, *cols_buf = NULL;
  STRATA_FAIL_IF(x == NULL || labels == NULL || out == NULL || k < 1, ctx, STRATA_ERR_USAGE,
                 "strata_profile_build: bad arguments");
  *out = NULL;
  const int64_t n = x->n, d = x->d;
  for (int64_t i = 0; i < n; i++)
    STRATA_FAIL_IF(labels[i] < 0 || labels[i] >= k, ctx, STRATA_ERR_USAGE,
                   "profile: label %d of row %lld is outside 0..%lld", labels[i], (long long)i,
                   (long long)(k - 1));
  p = calloc(1, sizeof *p);
  STRATA_FAIL_IF(p == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for the profile");
  p->n = n;
  p->k = k;
  p->d = d;
  p->feature_names = calloc((size_t)d, sizeof(char *));
  p->names = calloc((size_t)k, sizeof(char *));
  p->count = calloc((size_t)k, sizeof(double));
  p->share = calloc((size_t)k, sizeof(double));
  p->mean = calloc((size_t)(k * d), sizeof(double));
  p->median = calloc((size_t)(k * d), sizeof(double));
  p->z = calloc((size_t)(k * d), sizeof(double));
  p->base_mean = calloc((size_t)d, sizeof(double));
  p->base_sd = calloc((size_t)d, sizeof(double));
  p->top = calloc((size_t)(k * STRATA_PROFILE_TOP), sizeof(int64_t));
  STRATA_FAIL_IF(!p->feature_names || !p->names || !p->count || !p->share || !p->mean ||
                     !p->median || !p->z || !p->base_mean || !p->base_sd || !p->top,
                 ctx, STRATA_ERR_NOMEM, "out of memory for the profile");
  for (int64_t j = 0; j < d; j++) {
    char fallback[32];
    snprintf(fallback, sizeof fallback, "feature_%lld", (long long)j);
    const char *name = feature_names && feature_names[j] ? feature_names[j] : fallback;
    p->feature_names[j] = strdup(name);
    STRATA_FAIL_IF(p->feature_names[j] == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  }

  /* Rows grouped by segment (a counting sort keeps row order inside each segment). */
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "profile row order", (void **)&order));
  STRATA_TRY(
      strata_calloc(ctx, (size_t)k + 1, sizeof(int64_t), "profile offsets", (void **)&start));
  for (int64_t i = 0; i < n; i++) start[labels[i] + 1]++;
  for (int64_t s = 0; s < k; s++) start[s + 1] += start[s];
  {
    int64_t *fill = calloc((size_t)k, sizeof(int64_t));
    STRATA_FAIL_IF(fill == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++) order[start[labels[i]] + fill[labels[i]]++] = i;
    free(fill);
  }
  for (int64_t s = 0; s < k; s++) {
    p->count[s] = (double)(start[s + 1] - start[s]);
    p->share[s] = n > 0 ? p->count[s] / (double)n : 0.0;
  }

  /* One gather of each column, in segment order (each segment's rows ascending: k sequential
   * streams through the matrix), then every statistic from the contiguous copy: a strided walk
   * over a wide n x d matrix costs a cache line per value, so it is done once per column.
   * Columns are independent, so they go to the threads whole: each column's numbers are the
   * same whatever thread computes them. */
  const int threads = strata_ctx_threads(ctx);
  STRATA_TRY(strata_alloc(ctx, (size_t)(n > 0 ? n : 1) * (size_t)threads, sizeof(double),
                          "profile columns", (void **)&cols_buf));
  buf = cols_buf; /* the first thread's column serves the sequential parts below */
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) default(none) \
    shared(x, p, order, start, cols_buf, n, d, k)
  for (int64_t j = 0; j < d; j++) {
    double *col = cols_buf + (size_t)omp_get_thread_num() * (size_t)n;
    for (int64_t r = 0; r < n; r++) col[r] = get(x, order[r], j);
    double total = 0.0;
    for (int64_t r = 0; r < n; r++) total += col[r];
    p->base_mean[j] = total / (double)n;
    double sq = 0.0;
    for (int64_t r = 0; r < n; r++) {
      double dev = col[r] - p->base_mean[j];
      sq += dev * dev;
    }
    p->base_sd[j] = sqrt(sq / (double)n);
    for (int64_t s = 0; s < k; s++) {
      int64_t m = start[s + 1] - start[s];
      double *seg = col + start[s], sum = 0.0;
      for (int64_t r = 0; r < m; r++) sum += seg[r];
      p->mean[s * d + j] = m > 0 ? sum / (double)m : NAN;
      p->median[s * d + j] = percentile(seg, m, 50.0); /* reorders this segment's slice only */
      p->z[s * d + j] = p->base_sd[j] > 0.0 && m > 0
                            ? (p->mean[s * d + j] - p->base_mean[j]) / p->base_sd[j]
                            : 0.0;
    }
  }
  for (int64_t s = 0; s < k; s++) {
    /* Largest |z| first; ties keep the lower column. */
    for (int t = 0; t < STRATA_PROFILE_TOP; t++) {
      int64_t best = -1;
      for (int64_t j = 0; j < d; j++) {
        int taken = 0;
        for (int u = 0; u < t; u++) taken |= p->top[s * STRATA_PROFILE_TOP + u] == j;
        if (taken) continue;
        if (best < 0 || fabs(p->z[s * d + j]) > fabs(p->z[s * d + best])) best = j;
      }
      p->top[s * STRATA_PROFILE_TOP + t] = best;
    }
  }

  if (values != NULL && values->clv != NULL && values->p_alive != NULL) {
    p->has_value = 1;
    p->clv_total = calloc((size_t)k, sizeof(double));
    p->clv_mean = calloc((size_t)k, sizeof(double));
    p->clv_share = calloc((size_t)k, sizeof(double));
    p->p_alive_mean = calloc((size_t)k, sizeof(double));
    p->p_alive_q = calloc((size_t)(k * STRATA_PROFILE_QUANTILES), sizeof(double));
    p->frequency_mean = calloc((size_t)k, sizeof(double));
    p->recency_mean = calloc((size_t)k, sizeof(double));
    p->age_mean = calloc((size_t)k, sizeof(double));
    p->monetary_mean = calloc((size_t)k, sizeof(double));
    STRATA_FAIL_IF(!p->clv_total || !p->clv_mean || !p->clv_share || !p->p_alive_mean ||
                       !p->p_alive_q || !p->frequency_mean || !p->recency_mean || !p->age_mean ||
                       !p->monetary_mean,
                   ctx, STRATA_ERR_NOMEM, "out of memory for the profile");
    column_means(values->clv, labels, n, k, p->count, p->clv_mean, &p->base_clv_mean);
    double clv_all = 0.0;
    for (int64_t s = 0; s < k; s++) {
      p->clv_total[s] = p->clv_mean[s] * p->count[s];
      clv_all += p->clv_total[s];
    }
    for (int64_t s = 0; s < k; s++) p->clv_share[s] = clv_all > 0 ? p->clv_total[s] / clv_all : 0.0;
    column_means(values->p_alive, labels, n, k, p->count, p->p_alive_mean, &p->base_p_alive_mean);
    const double qs[STRATA_PROFILE_QUANTILES] = {10, 25, 50, 75, 90};
    for (int64_t s = 0; s < k; s++) {
      int64_t m = start[s + 1] - start[s];
      /* Selection only reorders: one gather serves every quantile. */
      for (int64_t r = 0; r < m; r++) buf[r] = values->p_alive[order[start[s] + r]];
      for (int q = 0; q < STRATA_PROFILE_QUANTILES; q++)
        p->p_alive_q[s * STRATA_PROFILE_QUANTILES + q] = percentile(buf, m, qs[q]);
    }
    double ignored;
    if (values->frequency)
      column_means(values->frequency, labels, n, k, p->count, p->frequency_mean,
                   &p->base_frequency_mean);
    if (values->recency)
      column_means(values->recency, labels, n, k, p->count, p->recency_mean, &ignored);
    if (values->age)
      column_means(values->age, labels, n, k, p->count, p->age_mean, &p->base_age_mean);
    if (values->monetary)
      column_means(values->monetary, labels, n, k, p->count, p->monetary_mean,
                   &p->base_monetary_mean);
    p->one_time_share = calloc((size_t)k, sizeof(double));
    p->no_purchase_share = calloc((size_t)k, sizeof(double));
    p->days_since_mean = calloc((size_t)k, sizeof(double));
    p->revenue_mean = calloc((size_t)k, sizeof(double));
    p->spend_per_purchase = calloc((size_t)k, sizeof(double));
    STRATA_FAIL_IF(!p->one_time_share || !p->no_purchase_share || !p->days_since_mean ||
                       !p->revenue_mean || !p->spend_per_purchase,
                   ctx, STRATA_ERR_NOMEM, "out of memory for the profile");
    /* One-time buyers: in the log, no repeat purchase. Accounts missing from the log are
     * counted apart (no purchase at all). */
    if (values->frequency) {
      double *one = buf;
      for (int64_t i = 0; i < n; i++)
        one[i] = values->frequency[i] == 0.0 && (!values->has_log || values->has_log[i] != 0.0);
      column_shares(one, 0, labels, n, k, p->count, p->one_time_share, &p->base_one_time_share);
    }
    if (values->has_log)
      column_shares(values->has_log, 1, labels, n, k, p->count, p->no_purchase_share,
                    &p->base_no_purchase_share);
    if (values->days_since)
      column_means(values->days_since, labels, n, k, p->count, p->days_since_mean,
                   &p->base_days_since_mean);
    if (values->revenue)
      column_means(values->revenue, labels, n, k, p->count, p->revenue_mean,
                   &p->base_revenue_mean);
    if (values->revenue && values->transactions) {
      double *txn_mean = buf, base_txn = 0.0;
      column_means(values->transactions, labels, n, k, p->count, txn_mean, &base_txn);
      for (int64_t s = 0; s < k; s++)
        p->spend_per_purchase[s] = txn_mean[s] > 0 ? p->revenue_mean[s] / txn_mean[s] : 0.0;
      p->base_spend_per_purchase = base_txn > 0 ? p->base_revenue_mean / base_txn : 0.0;
    }
  }
  *out = p;
  p = NULL;
cleanup:
  strata_profile_free(p);
  strata_free(order);
  strata_free(start);
  strata_free(cols_buf);
  return st;
}

strata_status strata_profile_add_nominal(strata_ctx *ctx, strata_profile *p, const int32_t *labels,
                                         const strata_nominal_columns *nominal) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(p == NULL || labels == NULL || nominal == NULL || p->dc != 0, ctx,
                 STRATA_ERR_USAGE, "strata_profile_add_nominal: bad arguments");
  const int64_t dc = nominal->dc, k = p->k, n = p->n;
  if (dc == 0) goto cleanup;
  p->nominal_names = calloc((size_t)dc, sizeof(char *));
  p->levels = calloc((size_t)dc, sizeof(int64_t));
  p->level_names = calloc((size_t)dc, sizeof(char **));
  p->level_share = calloc((size_t)dc, sizeof(double *));
  p->level_base = calloc((size_t)dc, sizeof(double *));
  p->level_lift = calloc((size_t)dc, sizeof(double *));
  STRATA_FAIL_IF(!p->nominal_names || !p->levels || !p->level_names || !p->level_share ||
                     !p->level_base || !p->level_lift,
                 ctx, STRATA_ERR_NOMEM, "out of memory for the nominal profile");
  p->dc = dc;
  for (int64_t j = 0; j < dc; j++) {
    const int64_t L = nominal->levels[j];
    p->levels[j] = L;
    p->nominal_names[j] = strdup(nominal->names[j]);
    p->level_names[j] = calloc((size_t)L, sizeof(char *));
    p->level_share[j] = calloc((size_t)(k * L), sizeof(double));
    p->level_base[j] = calloc((size_t)L, sizeof(double));
    p->level_lift[j] = calloc((size_t)(k * L), sizeof(double));
    STRATA_FAIL_IF(!p->nominal_names[j] || !p->level_names[j] || !p->level_share[j] ||
                       !p->level_base[j] || !p->level_lift[j],
                   ctx, STRATA_ERR_NOMEM, "out of memory for the nominal profile");
    for (int64_t v = 0; v < L; v++) {
      p->level_names[j][v] = strdup(nominal->level_names[j][v]);
      STRATA_FAIL_IF(p->level_names[j][v] == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    }
    double *share = p->level_share[j], *base = p->level_base[j];
    for (int64_t i = 0; i < n; i++) {
      int32_t c = nominal->codes[i * nominal->ld + j];
      share[labels[i] * L + c] += 1.0;
      base[c] += 1.0;
    }
    for (int64_t v = 0; v < L; v++) base[v] = n > 0 ? base[v] / (double)n : 0.0;
    for (int64_t s = 0; s < k; s++)
      for (int64_t v = 0; v < L; v++) {
        double *x = &share[s * L + v];
        *x = p->count[s] > 0 ? *x / p->count[s] : 0.0;
        p->level_lift[j][s * L + v] = base[v] > 0 ? *x / base[v] : 0.0;
      }
  }
cleanup:
  return st;
}
