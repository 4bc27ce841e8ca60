/*
 * The reports a marketer reads: one self-contained HTML file each (Chart.js from Debian's
 * libjs-chart.js inlined, the data as JSON in the page, no network), written atomically
 * (temporary file + rename, io/atomic.h).
 *  - strata_report_write: a segmentation (`strata segment --report`): header (title, data
 *    period, as-of date, accounts, currency, CLV horizon, choice of k), one row per segment
 *    with its action hint (segment/actions.h), charts of sizes and CLV, P(alive), stability,
 *    value x risk, the RFM grid, revenue growth, categorical profiles, z-score profile, 2-D
 *    projection and segment tree, and a glossary of every measure.
 *  - strata_report_migration_write: movement of accounts between two runs (`strata score
 *    --report`): the migration matrix and the drift (PSI) of the segment shares and features.
 */
#ifndef STRATA_SEGMENT_REPORT_H
#define STRATA_SEGMENT_REPORT_H

#include "segment/pipeline.h"

/* Fails early (STRATA_ERR_EXISTS / STRATA_ERR_IO) when the report could not be written later:
 * an existing file without force, a missing directory. */
strata_status strata_report_check_path(strata_ctx *ctx, const char *path, int force);

/* What the segmentation report says besides the segmentation itself. Borrowed strings. */
typedef struct strata_report_options {
  const char *input;    /* the data's name (the input file), required */
  const char *title;    /* NULL or "": "Customer segments of <input>" */
  const char *currency; /* e.g. "USD", shown with every money figure; NULL or "": plain
                           numbers */
  const strata_segment_params *params; /* the run's parameters (CLV horizon and discount);
                                          NULL: not shown */
} strata_report_options;

/* Writes the report of s to path atomically. Errors: STRATA_ERR_USAGE (NULL s, o or
 * o->input), STRATA_ERR_EXISTS / STRATA_ERR_IO (naming the path, or Chart.js when it is
 * missing). Segmentations without CLV (no lenses) and of a transaction log alone give a
 * complete report without the sections they have no data for. */
strata_status strata_report_write(strata_ctx *ctx, const strata_segmentation *s,
                                  const strata_report_options *o, const char *path, int force);

/* The migration report's data, all borrowed. Matrices are (k_old + 1) x (k_new + 1)
 * row-major as segment/migration.h lays them out: the extra row holds the accounts new in the
 * new run, the extra column the accounts gone since the old run. */
typedef struct strata_migration_report {
  const char *title;                 /* NULL or "": "Segment migration" */
  const char *currency;              /* NULL or "": plain numbers */
  const char *old_label, *new_label; /* what the runs are (e.g. file names); NULL: "before" /
                                        "after" */
  int64_t k_old, k_new;
  const char *const *old_names; /* k_old names (NULL: "segment 0", ...) */
  const char *const *new_names; /* k_new names (NULL: "segment 0", ...) */
  const int64_t *accounts;      /* required */
  const double *clv;            /* NULL: no CLV; NaN cells are shown as unknown */
  const double *share_old;      /* k_old shares of the old run's accounts (NULL: not shown) */
  const double *share_new;      /* k_new shares of the new run's accounts (NULL: not shown) */
  double psi_shares;            /* PSI of the segment shares (NaN: not shown) */
  int64_t n_features;
  const char *const *feature_names; /* n_features */
  const double *feature_psi;        /* n_features */
  double psi_watch, psi_shifted;    /* reading thresholds; <= 0: 0.1 and 0.25 */
  const char *verdict;              /* e.g. "stable"; NULL: from psi_shares */
} strata_migration_report;

/* Writes the migration report to path atomically: the matrix as a heatmap table (accounts
 * and CLV per cell, stayed on the diagonal of equal names), shares before and after, and
 * bars of the PSI of the shares and of each feature with their reading (stable < watch <=
 * watch < shifted <= shifted). Errors: STRATA_ERR_USAGE (NULL m or m->accounts, k < 1,
 * n_features > 0 without names or values), STRATA_ERR_EXISTS / STRATA_ERR_IO. */
strata_status strata_report_migration_write(strata_ctx *ctx, const strata_migration_report *m,
                                            const char *path, int force);

#endif
