/*
 * `strata segment`: accounts (and their transactions, or a transaction log alone) -> numeric
 * and nominal features -> transforms -> choice of k (criterion + stability) -> k-means, or
 * k-prototypes with nominal columns -> segment tree -> profiles -> names -> stability of the
 * chosen segments, plus what `strata score` needs to apply the same scheme to new data.
 */
#ifndef STRATA_SEGMENT_PIPELINE_H
#define STRATA_SEGMENT_PIPELINE_H

#include <stdint.h>

#include "clv/run.h"
#include "segment/lens_stage.h"
#include "segment/segment.h"
#include "segment/actions.h"
#include "segment/drift.h"
#include "segment/space.h"
#include "segment/stability.h"
#include "segment/transform.h"

#define STRATA_SEGMENT_MAX_K 64

/* How k is chosen in the range. */
typedef enum strata_k_criterion {
  STRATA_K_CALINSKI_HARABASZ, /* largest Calinski-Harabasz index (O(n d) per k) */
  STRATA_K_SILHOUETTE,        /* largest mean silhouette of a seeded sample of rows */
  STRATA_K_BIC                /* lowest latent class BIC (segment/class_bic.h; default) */
} strata_k_criterion;

typedef struct strata_segment_params {
  const char *features;           /* comma-separated feature names; NULL: the default set */
  const char *categorical;        /* comma-separated nominal account columns (level codes, in
                                     the distance by k-prototypes); NULL: the "categorical"
                                     attribute of /accounts/features */
  double gamma;                   /* weight of a nominal mismatch; <= 0 (default): Huang's
                                     rule (segment/space.h) */
  int stability_resamples;        /* bootstrap resamples per candidate and for the result
                                     (default 20; 0: no stability check) */
  int64_t stability_rows;         /* rows of the stability check's seeded sample (default
                                     10000) */
  int use_clv;                    /* 1 (default): RFM + CLV from /transactions when present */
  strata_log1p_mode log1p;        /* default AUTO */
  strata_scale_mode scale;        /* default ZSCORE */
  int64_t k;                      /* > 0: this many segments; 0: choose in [k_min, k_max] */
  int64_t k_min, k_max;           /* default 3..8 */
  strata_k_criterion k_criterion; /* default BIC */
  int n_init;                     /* default 3 */
  uint64_t seed;                  /* default 0 */
  int64_t sample;                 /* rows of the report's 2-D projection (default 4000) */
  const char *rfm_rules;          /* CSV of the named RFM grid's rules; NULL: rfm's default */
  strata_clv_run_params clv;      /* CLV models and horizons */
} strata_segment_params;

void strata_segment_params_init(strata_segment_params *p);

typedef struct strata_segmentation {
  int64_t n, k, d;     /* accounts, segments, numeric features used (after transforms) */
  int64_t *account_id; /* n */
  int32_t *labels;     /* n */
  strata_transform *transform;
  double *centers;         /* k x transform->d_out, transformed space */
  /* Nominal columns (dc of them): their names, level values as stored and level names,
   * the segments' modes (k x dc codes) and the mismatch weight. */
  int64_t dc;
  char **nominal_names;
  int64_t *levels;
  double **level_values;
  char ***level_names;
  int32_t *modes;
  double gamma;
  int from_log; /* 1: the accounts are the customers of a transaction log alone */
  strata_profile *profile; /* in the features' original units */
  strata_clv_result *clv;  /* NULL without transactions */
  strata_lenses *lenses;   /* RFM grid, value x risk, growth; NULL without transactions */
  strata_action_hint *actions; /* k: each segment's action hint (segment/actions.h) */
  double *values;          /* n x STRATA_VALUE_COLUMNS joined value table; NULL without */
  /* Reference distributions for drift checks (PSI) of every feature used: the transform's
   * input columns (deciles of the training values), then the nominal columns (their levels),
   * in that order; n_drift of them. */
  int64_t n_drift;
  strata_psi_bins **drift;
  int64_t accounts_without_transactions, customers_without_account;
  const char *transactions;    /* "streamed", "whole" or "none" (features.h) */
  char transactions_note[256]; /* why the log was read whole ("" otherwise) */
  /* choice of k */
  int64_t n_k;
  int64_t k_values[STRATA_SEGMENT_MAX_K];
  double k_inertia[STRATA_SEGMENT_MAX_K], k_calinski[STRATA_SEGMENT_MAX_K];
  double k_bic[STRATA_SEGMENT_MAX_K]; /* latent class BIC of each candidate */
  /* with the silhouette criterion (has_silhouette), also its scores; NaN otherwise */
  int has_silhouette;
  double k_silhouette[STRATA_SEGMENT_MAX_K], k_davies_bouldin[STRATA_SEGMENT_MAX_K];
  int64_t silhouette_rows; /* rows of the silhouette's seeded sample */
  const char *k_criterion; /* "bic", "calinski-harabasz", "silhouette" or "given" */
  const char *k_rule;      /* how k was chosen, for people */
  int k_sampled;           /* 1: candidates were fitted on a seeded sample */
  /* stability of each candidate (NaN without the check): its segments' lowest and mean
   * bootstrap Jaccard, and the mean adjusted Rand index of the resamples */
  double k_jaccard_min[STRATA_SEGMENT_MAX_K], k_jaccard_mean[STRATA_SEGMENT_MAX_K];
  double k_stability_ari[STRATA_SEGMENT_MAX_K];
  int k_chosen_stable; /* 1: k is the best of the stable candidates */
  /* stability of the chosen segments (NULL without the check) */
  strata_stability *stability;
  int64_t stability_rows;
  /* segment tree: Ward on the centres weighted by segment sizes, SciPy layout (k-1) x 4 */
  double *linkage;
  /* 2-D projection of a seeded sample */
  int64_t m;
  double *projection;        /* m x 2 */
  int32_t *projection_label; /* m */
  double explained[2];
} strata_segmentation;

void strata_segmentation_free(strata_segmentation *s);

/* Runs the pipeline on an input file holding /accounts (and optionally /transactions). */
strata_status strata_segment_run(strata_ctx *ctx, const char *in,
                                 const strata_segment_params *params, strata_segmentation **out);
/* Writes /segments/{account_id, label, name, profile} and /model/... to an open writer. */
strata_status strata_segment_write(strata_ctx *ctx, strata_h5_writer *w,
                                   const strata_segmentation *s, const strata_segment_params *p);

#endif
