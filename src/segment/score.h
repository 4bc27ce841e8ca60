/*
 * `strata score`: a saved segmentation (/model of a `strata segment` output) applied to new or
 * updated accounts, and a re-validation that says whether the scheme still fits them.
 */
#ifndef STRATA_SEGMENT_SCORE_H
#define STRATA_SEGMENT_SCORE_H

#include "segment/features.h"
#include "segment/transform.h"

typedef struct strata_segment_model {
  int64_t k;
  strata_transform *transform;
  double *centers;     /* k x transform->d_out */
  char **names;        /* k segment names (one allocation) */
  double *train_share; /* k */
  int uses_clv;
  strata_clv_result clv; /* models only (counts, spend, unit_days) */
  strata_clv_run_params clv_params;
} strata_segment_model;

strata_status strata_segment_model_read(strata_ctx *ctx, const char *path, strata_segment_model *m);
void strata_segment_model_release(strata_segment_model *m);

typedef struct strata_segment_scores {
  int64_t n;
  int64_t *account_id;
  int32_t *labels;
  double *share;       /* k: today's shares */
  double psi;          /* population stability of the shares against training */
  int revalidated;     /* 1 when a re-fit was compared */
  double refit_ari;    /* adjusted Rand index of a fresh k-means with the same k */
  const char *verdict; /* "stable", "moderate drift" or "significant drift" */
} strata_segment_scores;

/* Scores the accounts of `in`: the model's features (CLV columns with the saved CLV models),
 * its transforms, and the nearest saved centre. With `revalidate`, also fits k-means afresh
 * on the transformed new data (same k, seed) and compares. */
strata_status strata_segment_score(strata_ctx *ctx, const strata_segment_model *m, const char *in,
                                   int revalidate, uint64_t seed, strata_segment_scores *out);
void strata_segment_scores_release(strata_segment_scores *s);

#endif
