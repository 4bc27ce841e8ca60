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
  /* Nominal columns (dc, 0 when none): names, level counts, the training levels' stored
   * values (ascending per column, concatenated: column j's start at level_offset[j]), the
   * segments' modes (k x dc) and the mismatch weight. */
  int64_t dc;
  char **nominal_names;
  int64_t *levels, *level_offset;
  double *level_values;
  int32_t *modes;
  double gamma;
  int uses_clv;
  strata_clv_result clv; /* models only (counts, spend, unit_days) */
  strata_clv_run_params clv_params;
} strata_segment_model;

strata_status strata_segment_model_read(strata_ctx *ctx, const char *path, strata_segment_model *m);
void strata_segment_model_release(strata_segment_model *m);

typedef struct strata_segment_scores {
  int64_t n;                 /* accounts scored */
  double *share;             /* k: today's shares */
  double psi;                /* population stability of the shares against training */
  int revalidated;           /* 1 when a re-fit was compared */
  int64_t revalidation_rows; /* rows of the seeded sample the re-fit ran on */
  double refit_ari;          /* adjusted Rand index of a fresh k-means with the same k */
  const char *verdict; /* "stable", "moderate drift", "significant drift", "structure changed" */
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
 * With `revalidate`, a seeded sample of up to 200,000 accounts is also clustered afresh (same
 * k) and compared with the assignment. */
strata_status strata_segment_score(strata_ctx *ctx, const strata_segment_model *m, const char *in,
                                   strata_h5_writer *w, int revalidate, uint64_t seed,
                                   strata_segment_scores *out);
void strata_segment_scores_release(strata_segment_scores *s);

#endif
