/* Hennig's cluster-wise Jaccard bootstrap (clusterboot); see stability.h.
 *
 * Per resample: draw (O(n) with one Philox cursor), compact to the distinct rows in
 * increasing order with their multiplicities, call the re-clustering, then one pass over the
 * m rows fills the k x k contingency table t[c][d] = |C ∩ X* ∩ D| (weighted by multiplicity
 * in the multiple mode). Jaccard(C ∩ X*, D) = t / (|C ∩ X*| + |D| - t) from the table's row
 * and column sums, and the adjusted Rand index from the same table: O(m + k^2). */
#include "segment/stability.h"

#include <math.h>
#include <string.h>

#include "core/core.h"
#include "core/rng.h"

void strata_stability_params_init(strata_stability_params *p) {
  memset(p, 0, sizeof *p);
  p->resamples = 100;
  p->method = STRATA_STABILITY_BOOTSTRAP;
  p->multiple = 0;
  p->fraction = 0.5;
  p->dissolution = 0.5;
  p->recover = 0.75;
  p->seed = 0;
}

void strata_stability_free(strata_stability *s) {
  if (s == NULL) return;
  strata_free(s->jaccard_mean);
  strata_free(s->jaccard);
  strata_free(s->dissolved);
  strata_free(s->recovered);
  strata_free(s->ari);
  strata_free(s->rows_used);
  strata_free(s);
}

const char *strata_stability_reading(double jaccard) {
  if (isnan(jaccard)) return "unknown";
  if (jaccard >= 0.85) return "highly stable";
  if (jaccard >= 0.75) return "stable";
  if (jaccard >= 0.6) return "pattern";
  return "dissolved";
}

static double pairs(double m) { return m * (m - 1.0) / 2.0; }

/* Hubert & Arabie's adjusted Rand index from a ka x kb table with its margins; the same
 * formula and trivial-partition convention as strata_adjusted_rand (agreement.c), which
 * would need the labels again instead of the table already in hand. */
static double ari_of_table(const double *t, const double *rows, const double *cols, int64_t k,
                           double total) {
  /* Fewer than two items have no pairs to disagree on: identical by convention. */
  if (total < 2.0) return 1.0;
  double index = 0.0, sum_rows = 0.0, sum_cols = 0.0;
  for (int64_t c = 0; c < k * k; c++) index += pairs(t[c]);
  for (int64_t c = 0; c < k; c++) sum_rows += pairs(rows[c]);
  for (int64_t d = 0; d < k; d++) sum_cols += pairs(cols[d]);
  double expected = sum_rows * sum_cols / pairs(total);
  double max_index = 0.5 * (sum_rows + sum_cols);
  if (max_index == expected) return 1.0;
  return (index - expected) / (max_index - expected);
}

/* Resample b: the distinct rows in increasing order into rows[0..*m) and, when weight is not
 * NULL, their multiplicities. `scratch` holds n int64 and is left dirty. */
static void draw_resample(const strata_stability_params *p, int64_t n, int b, int64_t *scratch,
                          int64_t *rows, double *weight, int64_t *m) {
  strata_rng g;
  strata_rng_init(&g, p->seed, STRATA_STABILITY_STREAM_DRAW, (uint64_t)b);
  int64_t count = 0;
  if (p->method == STRATA_STABILITY_BOOTSTRAP) {
    /* Multiplicities by counting: O(n), and the scan gives the rows already sorted. */
    memset(scratch, 0, (size_t)n * sizeof *scratch);
    for (int64_t j = 0; j < n; j++) scratch[strata_rng_below(&g, (uint64_t)n)]++;
    for (int64_t i = 0; i < n; i++) {
      if (scratch[i] == 0) continue;
      if (weight != NULL) weight[count] = (double)scratch[i];
      rows[count++] = i;
    }
  } else {
    /* Partial Fisher-Yates: the first `want` entries are a uniform sample without
     * replacement; marking them and scanning gives increasing order in O(n). */
    int64_t want = (int64_t)floor(p->fraction * (double)n);
    for (int64_t i = 0; i < n; i++) scratch[i] = i;
    for (int64_t j = 0; j < want; j++) {
      int64_t r = j + (int64_t)strata_rng_below(&g, (uint64_t)(n - j));
      int64_t tmp = scratch[j];
      scratch[j] = scratch[r];
      scratch[r] = tmp;
    }
    /* rows[] holds the sample in draw order for a moment; flags and a scan sort it. */
    for (int64_t j = 0; j < want; j++) rows[j] = scratch[j];
    memset(scratch, 0, (size_t)n * sizeof *scratch);
    for (int64_t j = 0; j < want; j++) scratch[rows[j]] = 1;
    for (int64_t i = 0; i < n; i++)
      if (scratch[i]) rows[count++] = i;
  }
  *m = count;
}

strata_status strata_stability_run(strata_ctx *ctx, int64_t n, const int32_t *labels, int64_t k,
                                   const strata_stability_params *p_in, strata_recluster_fn fn,
                                   void *arg, strata_stability **out) {
  strata_status st = STRATA_OK;
  strata_stability *s = NULL;
  int64_t *scratch = NULL, *rows = NULL;
  double *weight = NULL, *table = NULL;
  int32_t *newlab = NULL;
  strata_stability_params p;
  if (p_in != NULL)
    p = *p_in;
  else
    strata_stability_params_init(&p);
  if (out != NULL) *out = NULL;
  STRATA_FAIL_IF(out == NULL || fn == NULL || labels == NULL, ctx, STRATA_ERR_USAGE,
                 "stability: labels, callback and out must not be NULL");
  STRATA_FAIL_IF(n < 1, ctx, STRATA_ERR_USAGE, "stability: n = %lld rows, need at least 1",
                 (long long)n);
  STRATA_FAIL_IF(k < 1 || k > n, ctx, STRATA_ERR_USAGE,
                 "stability: k = %lld must be in [1, n = %lld]", (long long)k, (long long)n);
  STRATA_FAIL_IF(p.resamples < 1, ctx, STRATA_ERR_USAGE,
                 "stability: resamples = %d, need at least 1", p.resamples);
  STRATA_FAIL_IF(p.method != STRATA_STABILITY_BOOTSTRAP && p.method != STRATA_STABILITY_SUBSAMPLE,
                 ctx, STRATA_ERR_USAGE, "stability: unknown method %d", (int)p.method);
  STRATA_FAIL_IF(!(p.dissolution >= 0.0 && p.dissolution <= 1.0), ctx, STRATA_ERR_USAGE,
                 "stability: dissolution = %g must be in [0, 1]", p.dissolution);
  STRATA_FAIL_IF(!(p.recover >= 0.0 && p.recover <= 1.0), ctx, STRATA_ERR_USAGE,
                 "stability: recover = %g must be in [0, 1]", p.recover);
  if (p.method == STRATA_STABILITY_SUBSAMPLE) {
    STRATA_FAIL_IF(!(p.fraction > 0.0 && p.fraction < 1.0), ctx, STRATA_ERR_USAGE,
                   "stability: fraction = %g must be in (0, 1)", p.fraction);
    int64_t want = (int64_t)floor(p.fraction * (double)n);
    STRATA_FAIL_IF(want < k, ctx, STRATA_ERR_USAGE,
                   "stability: fraction = %g keeps %lld of %lld rows, fewer than k = %lld",
                   p.fraction, (long long)want, (long long)n, (long long)k);
  }
  for (int64_t i = 0; i < n; i++)
    STRATA_FAIL_IF(labels[i] < 0 || labels[i] >= k, ctx, STRATA_ERR_DATA,
                   "stability: label %d of row %lld is outside [0, k = %lld)", (int)labels[i],
                   (long long)i, (long long)k);

  const int B = p.resamples;
  const int use_weight = p.method == STRATA_STABILITY_BOOTSTRAP && p.multiple;
  STRATA_TRY(strata_calloc(ctx, 1, sizeof *s, "stability result", (void **)&s));
  s->k = k;
  s->resamples = B;
  STRATA_TRY(strata_calloc(ctx, (size_t)k, sizeof(double), "stability jaccard_mean",
                           (void **)&s->jaccard_mean));
  size_t bk;
  STRATA_FAIL_IF(!strata_mul_size((size_t)B, (size_t)k, &bk), ctx, STRATA_ERR_USAGE,
                 "stability: resamples x k overflows");
  STRATA_TRY(strata_alloc(ctx, bk, sizeof(double), "stability jaccard", (void **)&s->jaccard));
  STRATA_TRY(
      strata_calloc(ctx, (size_t)k, sizeof(double), "stability dissolved", (void **)&s->dissolved));
  STRATA_TRY(
      strata_calloc(ctx, (size_t)k, sizeof(double), "stability recovered", (void **)&s->recovered));
  STRATA_TRY(strata_alloc(ctx, (size_t)B, sizeof(double), "stability ari", (void **)&s->ari));
  STRATA_TRY(
      strata_alloc(ctx, (size_t)B, sizeof(int64_t), "stability rows_used", (void **)&s->rows_used));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof *scratch, "stability scratch", (void **)&scratch));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof *rows, "stability rows", (void **)&rows));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof *newlab, "stability labels", (void **)&newlab));
  if (use_weight)
    STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof *weight, "stability weights", (void **)&weight));
  size_t kk;
  STRATA_FAIL_IF(!strata_mul_size((size_t)k, (size_t)k + 2, &kk), ctx, STRATA_ERR_USAGE,
                 "stability: k x k overflows");
  STRATA_TRY(strata_alloc(ctx, kk, sizeof *table, "stability contingency table", (void **)&table));
  double *rsum = table + k * k, *csum = rsum + k;

  double ari_total = 0.0;
  for (int b = 0; b < B; b++) {
    int64_t m = 0;
    draw_resample(&p, n, b, scratch, rows, weight, &m);
    s->rows_used[b] = m;
    uint64_t seed_b = strata_rng_hash(p.seed, STRATA_STABILITY_STREAM_RECLUSTER, (uint64_t)b);
    STRATA_TRY(fn(ctx, arg, rows, weight, m, k, seed_b, newlab));
    memset(table, 0, kk * sizeof *table);
    double total = 0.0;
    for (int64_t i = 0; i < m; i++) {
      int32_t d = newlab[i];
      STRATA_FAIL_IF(d < 0 || d >= k, ctx, STRATA_ERR_DATA,
                     "stability: re-clustering of resample %d gave label %d to row %lld "
                     "(must be in [0, k = %lld))",
                     b, (int)d, (long long)rows[i], (long long)k);
      double w = weight != NULL ? weight[i] : 1.0;
      int32_t c = labels[rows[i]];
      table[(int64_t)c * k + d] += w;
      rsum[c] += w;
      csum[d] += w;
      total += w;
    }
    for (int64_t c = 0; c < k; c++) {
      double best = 0.0;
      for (int64_t d = 0; d < k; d++) {
        double inter = table[c * k + d];
        double uni = rsum[c] + csum[d] - inter;
        /* zerobyzero = 0 as in clusterboot: an empty C ∩ X* against an empty D. */
        double jac = uni > 0.0 ? inter / uni : 0.0;
        if (jac > best) best = jac;
      }
      s->jaccard[(int64_t)b * k + c] = best;
      if (best <= p.dissolution) s->dissolved[c] += 1.0;
      if (best > p.recover) s->recovered[c] += 1.0;
    }
    s->ari[b] = ari_of_table(table, rsum, csum, k, total);
    ari_total += s->ari[b];
    strata_progress(ctx, "stability", (double)(b + 1) / (double)B);
  }
  /* Means in resample order: the same numbers whatever the callback's threads. */
  for (int64_t c = 0; c < k; c++) {
    double sum = 0.0;
    for (int b = 0; b < B; b++) sum += s->jaccard[(int64_t)b * k + c];
    s->jaccard_mean[c] = sum / (double)B;
    s->dissolved[c] /= (double)B;
    s->recovered[c] /= (double)B;
  }
  s->ari_mean = ari_total / (double)B;
  *out = s;
  s = NULL;

cleanup:
  strata_stability_free(s);
  strata_free(scratch);
  strata_free(rows);
  strata_free(weight);
  strata_free(table);
  strata_free(newlab);
  return st;
}
