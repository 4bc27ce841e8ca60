/*
 * `strata score`: a saved segmentation (/model of a `strata segment` output) applied to new or
 * updated accounts, and a re-validation that says whether the scheme still fits them.
 */
#ifndef STRATA_SEGMENT_SCORE_H
#define STRATA_SEGMENT_SCORE_H

#include "segment/drift.h"
#include "segment/features.h"
#include "segment/lens_stage.h"
#include "segment/migration.h"
#include "segment/transform.h"

typedef struct strata_segment_model {
  int64_t k;
  strata_transform *transform;
  double *centers;     /* k x transform->d_out */
  char **names;        /* k segment names (one allocation) */
  double *train_share; /* k */
  /* Nominal columns (dc, 0 when none): names, level counts, the training levels' stored
   * values (ascending per column, concatenated: column j's start at level_offset[j]), the
   * segments' modes (k x dc) and the mismatch weight. */
  int64_t dc;
  char **nominal_names;
  int64_t *levels, *level_offset;
  double *level_values;
  int32_t *modes;
  double gamma;
  /* The training base's lens boundaries (has_lenses): RFM breaks of recency, frequency and
   * monetary, the rule table, the value x risk boundaries (top and upper CLV tier minima,
   * P(alive) cuts); and the drift references of every feature (transform inputs, then the
   * nominal columns). */
  int has_lenses;
  double rfm_breaks[3][4];
  strata_rfm_rules *rules;
  double vr_bounds[4];
  int64_t n_drift;
  strata_psi_bins **drift;
  char **drift_names;
  int uses_clv;
  strata_clv_result clv; /* models only (counts, spend, unit_days) */
  strata_clv_run_params clv_params;
} strata_segment_model;

strata_status strata_segment_model_read(strata_ctx *ctx, const char *path, strata_segment_model *m);
void strata_segment_model_release(strata_segment_model *m);

typedef struct strata_score_options {
  int revalidate;           /* also re-cluster a sample afresh and compare */
  uint64_t seed;            /* of the re-validation */
  const char *previous;     /* an earlier `strata score` or `strata segment` output, or NULL */
  double psi_watch;         /* PSI reading thresholds (defaults 0.1 and 0.25) */
  double psi_shifted;
} strata_score_options;

void strata_score_options_init(strata_score_options *o);

typedef struct strata_segment_scores {
  int64_t n;                 /* accounts scored */
  double *share;             /* k: today's shares */
  double psi;                /* population stability of the shares against training */
  int revalidated;           /* 1 when a re-fit was compared */
  int64_t revalidation_rows; /* rows of the seeded sample the re-fit ran on */
  double refit_ari;          /* adjusted Rand index of a fresh k-means with the same k */
  const char *verdict; /* "stable", "moderate drift", "significant drift", "structure changed" */
  double *feature_psi;       /* model->n_drift: PSI of each feature against training */
  int64_t shifted_features;  /* features read "shifted" */
  strata_migration *migration; /* with options->previous */
  int64_t k_previous;
  char **previous_names;     /* k_previous (one allocation) */
  const char *transactions;    /* how CLV read /transactions: "per block", "whole" or "none" */
  char transactions_note[256]; /* why not per block, for people ("" otherwise) */
} strata_segment_scores;

/* Scores the accounts of `in` and writes /segments/{account_id, label} to `w`, streaming the
 * accounts in row blocks, each read (and its labels written) by a reader thread while the
 * previous one is scored (io/prefetch.h). Value columns come from the saved CLV models applied
 * to the file's /transactions; an account without transactions gets zeros. When /transactions
 * is sorted by customer and /accounts/id ascends, each block reads only its own customers'
 * transactions (segment/txn_blocks.h), so memory is bounded by the block and the model
 * whatever the number of accounts and transactions; otherwise /transactions is read whole and
 * out->transactions_note says why.
 * With CLV, each account also gets /segments/{clv, p_alive, expected_purchases,
 * expected_spend}, its RFM scores and cell and its value x risk cell against the training
 * base's boundaries (so that cells mean the same in every run). Every feature's PSI against
 * its training distribution and the shares' PSI give the verdict (options' thresholds).
 * With `revalidate`, a seeded sample of up to 200,000 accounts is also clustered afresh (same
 * k) and compared with the assignment. With `previous`, the migration matrix from that run's
 * segments to these, joined on account id. */
strata_status strata_segment_score(strata_ctx *ctx, const strata_segment_model *m, const char *in,
                                   strata_h5_writer *w, const strata_score_options *opt,
                                   strata_segment_scores *out);
void strata_segment_scores_release(strata_segment_scores *s);

#endif
