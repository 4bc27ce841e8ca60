/*
 * The choice of k; see choose_k.h. Cost: one fit per candidate on at most SEG_K_SAMPLE rows,
 * plus (resamples + 1) fits per candidate on the SEG_STABILITY_SAMPLE rows of the stability
 * check, O(s^2 d) per candidate for the silhouette.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "segment/choose_k.h"
#include "segment/class_bic.h"

enum { SEG_STREAM_K_SAMPLE = 302, SEG_STREAM_STABILITY = 303 };

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

typedef struct recluster_arg {
  const strata_space *space;
} recluster_arg;

/* The stability check's re-clustering: the resample's distinct rows, clustered afresh as the
 * candidate was (same engine and start, one run), so that what varies is the data. */
static strata_status recluster(strata_ctx *ctx, void *arg, const int64_t *rows,
                               const double *weight, int64_t m, int64_t k, uint64_t seed,
                               int32_t *labels) {
  strata_status st = STRATA_OK;
  const recluster_arg *a = arg;
  strata_space sub;
  strata_space_fit fit;
  memset(&sub, 0, sizeof sub);
  memset(&fit, 0, sizeof fit);
  STRATA_FAIL_IF(m < k, ctx, STRATA_ERR_DATA,
                 "stability: a resample holds %lld distinct accounts, fewer than %lld segments",
                 (long long)m, (long long)k);
  STRATA_TRY(strata_space_subset(ctx, a->space, rows, m, &sub));
  STRATA_TRY(strata_space_cluster(ctx, &sub, k, weight, seed, 1, 1, &fit));
  memcpy(labels, fit.labels, (size_t)m * sizeof(int32_t));
cleanup:
  strata_space_fit_release(&fit);
  strata_space_release(&sub);
  return st;
}

strata_status strata_segment_stability(strata_ctx *ctx, const strata_space *sample,
                                       const int32_t *labels, int64_t k, int resamples,
                                       uint64_t seed, strata_stability **out) {
  strata_stability_params sp;
  strata_stability_params_init(&sp);
  sp.resamples = resamples;
  sp.seed = seed;
  recluster_arg arg = {sample};
  return strata_stability_run(ctx, sample->n, labels, k, &sp, recluster, &arg, out);
}

strata_status strata_choose_k(strata_ctx *ctx, const strata_space *space,
                              const strata_segment_params *params, strata_segmentation *s,
                              int64_t *k_out, strata_space_fit *fit) {
  strata_status st = STRATA_OK;
  int64_t *rows = NULL, *stab_rows = NULL;
  int32_t *stab_labels = NULL;
  double *embedded = NULL;
  strata_space ksample, stab;
  strata_space_fit cand;
  strata_stability *stability = NULL;
  strata_binned binned;
  memset(&binned, 0, sizeof binned);
  memset(&ksample, 0, sizeof ksample);
  memset(&stab, 0, sizeof stab);
  memset(&cand, 0, sizeof cand);
  memset(fit, 0, sizeof *fit);
  const int64_t n = space->n;
  const int64_t k_lo = params->k ? params->k : params->k_min;
  int64_t k_hi = params->k ? params->k : params->k_max;
  STRATA_FAIL_IF(k_lo > n, ctx, STRATA_ERR_USAGE, "%lld segments asked of %lld accounts",
                 (long long)k_lo, (long long)n);
  if (k_hi > n) k_hi = n;
  const int by_silhouette = params->k == 0 && params->k_criterion == STRATA_K_SILHOUETTE;
  const int by_bic = params->k == 0 && params->k_criterion == STRATA_K_BIC;
  s->has_silhouette = by_silhouette;
  s->k_criterion = params->k        ? "given"
                   : by_silhouette ? "silhouette"
                   : by_bic        ? "bic"
                                   : "calinski-harabasz";

  /* k is chosen on a seeded sample of a large base; the chosen k is then fitted on all rows. */
  const strata_space *kspace = space;
  if (params->k == 0 && n > SEG_K_SAMPLE) {
    STRATA_TRY(
        strata_alloc(ctx, (size_t)SEG_K_SAMPLE, sizeof(int64_t), "sample rows", (void **)&rows));
    int64_t m = strata_sample_rows(params->seed, SEG_STREAM_K_SAMPLE, n, SEG_K_SAMPLE, rows);
    STRATA_TRY(strata_space_subset(ctx, space, rows, m, &ksample));
    kspace = &ksample;
  }
  /* The stability check's own seeded sample, clustered B + 1 times per candidate. */
  const int check_stability = params->stability_resamples > 0 && params->k == 0;
  if (check_stability) {
    int64_t cap = params->stability_rows < n ? params->stability_rows : n;
    STRATA_TRY(
        strata_alloc(ctx, (size_t)cap, sizeof(int64_t), "stability rows", (void **)&stab_rows));
    int64_t m = strata_sample_rows(params->seed, SEG_STREAM_STABILITY, n, cap, stab_rows);
    STRATA_TRY(strata_space_subset(ctx, space, stab_rows, m, &stab));
    STRATA_TRY(
        strata_alloc(ctx, (size_t)m, sizeof(int32_t), "stability labels", (void **)&stab_labels));
  }
  STRATA_TRY(strata_binned_make(ctx, kspace, STRATA_BIC_BINS, &binned));
  /* Silhouettes are row-to-row: on the Euclidean embedding of the mixed cost. */
  strata_matrix kmat = {kspace->z, kspace->n, kspace->dz, kspace->dz, STRATA_F64};
  if (by_silhouette && kspace->dc > 0) {
    int64_t de = 0;
    STRATA_TRY(strata_space_embed(ctx, kspace, &embedded, &de));
    kmat = (strata_matrix){embedded, kspace->n, de, de, STRATA_F64};
  }

  int64_t chosen = -1, chosen_stable = -1;
  double best_score = -INFINITY, best_stable = -INFINITY;
  for (int64_t k = k_lo; k <= k_hi; k++) {
    /* Every candidate is a refined fit: a poor local optimum would make a true k look
     * unstable or costly (on the generated bases plain single runs chose the wrong k). */
    STRATA_TRY(strata_space_cluster(ctx, kspace, k, NULL, params->seed, params->n_init, 1, &cand));
    const int64_t at = s->n_k++;
    s->k_values[at] = k;
    s->k_inertia[at] = cand.cost;
    STRATA_TRY(strata_space_calinski(ctx, kspace, &cand, &s->k_calinski[at]));
    STRATA_TRY(strata_class_bic(ctx, &binned, cand.labels, k, &s->k_bic[at]));
    s->k_silhouette[at] = s->k_davies_bouldin[at] = NAN;
    s->k_jaccard_min[at] = s->k_jaccard_mean[at] = s->k_stability_ari[at] = NAN;
    double score = by_bic ? -s->k_bic[at] : s->k_calinski[at];
    if (by_silhouette) {
      double t1 = strata_now();
      strata_cluster_scores cs;
      STRATA_TRY(strata_kmeans_scores(ctx, &kmat, cand.labels, k, SEG_SILHOUETTE_SAMPLE,
                                      params->seed, &cs));
      s->k_silhouette[at] = cs.silhouette;
      s->k_davies_bouldin[at] = cs.davies_bouldin;
      s->silhouette_rows = cs.silhouette_rows;
      /* A sample holding one cluster has no silhouette: it never wins. */
      score = isnan(cs.silhouette) ? -INFINITY : cs.silhouette;
      strata_phase_add(ctx, "silhouette", strata_now() - t1);
    }
    if (check_stability) {
      double t1 = strata_now();
      /* The candidate's segments on the stability sample, then resampled. */
      STRATA_TRY(strata_space_assign(ctx, &stab, cand.centers, cand.modes, k, stab_labels, NULL));
      STRATA_TRY(strata_segment_stability(ctx, &stab, stab_labels, k,
                                          params->stability_resamples, params->seed, &stability));
      double lo = INFINITY, mean = 0.0;
      for (int64_t c = 0; c < k; c++) {
        double j = stability->jaccard_mean[c];
        if (!(j >= lo)) lo = j;
        mean += j / (double)k;
      }
      s->k_jaccard_min[at] = lo;
      s->k_jaccard_mean[at] = mean;
      s->k_stability_ari[at] = stability->ari_mean;
      strata_stability_free(stability);
      stability = NULL;
      strata_phase_add(ctx, "stability", strata_now() - t1);
    }
    strata_progress(ctx, "choose k", (double)(k - k_lo + 1) / (double)(k_hi - k_lo + 1));
    /* The business acts on 3-5 segments: the distance criteria, which keep improving with
     * k, are held to that; BIC has its own penalty for every segment added. */
    double banded = by_bic ? score : band_score(score, k, k_lo, k_hi);
    int stable = check_stability && s->k_jaccard_min[at] >= STRATA_STABLE_JACCARD;
    int take = chosen < 0 || banded > best_score;
    if (take) {
      best_score = banded;
      chosen = at;
    }
    if (stable && banded > best_stable) {
      best_stable = banded;
      chosen_stable = at;
    }
    if (params->k) {
      /* The one candidate, already refined on every row: it is the result. */
      *fit = cand;
      memset(&cand, 0, sizeof cand);
    }
    strata_space_fit_release(&cand);
  }
  int64_t pick = chosen_stable >= 0 ? chosen_stable : chosen;
  const int64_t k = s->k_values[pick];
  const int sampled = kspace != space;
  s->k_chosen_stable = chosen_stable >= 0;
  s->k_rule = params->k ? "given"
              : chosen_stable >= 0
                  ? (by_bic ? "lowest latent class BIC among the stable candidates (every "
                              "segment's mean bootstrap Jaccard >= 0.75)"
                     : by_silhouette ? "largest mean silhouette among the stable candidates "
                                       "(every segment's mean bootstrap Jaccard >= 0.75), 3-5 "
                                       "segments preferred"
                                     : "largest Calinski-Harabasz index among the stable "
                                       "candidates (every segment's mean bootstrap Jaccard >= "
                                       "0.75), 3-5 segments preferred")
              : (by_bic ? "lowest latent class BIC (no candidate was stable)"
                 : by_silhouette ? "largest mean silhouette (no candidate was stable), 3-5 "
                                   "segments preferred: a k outside 3-5 must score 15% higher"
                                 : "largest Calinski-Harabasz index (no candidate was stable), "
                                   "3-5 segments preferred: a k outside 3-5 must score 15% "
                                   "higher");
  s->k_sampled = sampled;
  /* The chosen k, refined on every row. */
  if (!params->k)
    STRATA_TRY(strata_space_cluster(ctx, space, k, NULL, params->seed, params->n_init, 1, fit));
  *k_out = k;
cleanup:
  strata_space_fit_release(&cand);
  strata_space_release(&ksample);
  strata_space_release(&stab);
  strata_stability_free(stability);
  strata_binned_release(&binned);
  strata_free(rows);
  strata_free(stab_rows);
  strata_free(stab_labels);
  strata_free(embedded);
  if (st != STRATA_OK) strata_space_fit_release(fit);
  return st;
}
