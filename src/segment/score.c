/* Batch scoring and re-validation of a saved segmentation; see score.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/rng.h"
#include "io/prefetch.h"
#include "segment/agreement.h"
#include "segment/score.h"
#include "segment/space.h"
#include "segment/txn_blocks.h"

void strata_segment_model_release(strata_segment_model *m) {
  if (m == NULL) return;
  strata_transform_free(m->transform);
  strata_buffer_free(m->centers);
  free(m->names);
  strata_buffer_free(m->train_share);
  free(m->nominal_names);
  strata_buffer_free(m->levels);
  free(m->level_offset);
  strata_buffer_free(m->level_values);
  strata_buffer_free(m->modes);
  strata_rfm_rules_free(m->rules);
  for (int64_t j = 0; j < m->n_drift; j++) strata_psi_bins_free(m->drift[j]);
  free(m->drift);
  if (m->drift_names)
    for (int64_t j = 0; j < m->n_drift; j++) free(m->drift_names[j]);
  free(m->drift_names);
  memset(m, 0, sizeof *m);
}

strata_status strata_segment_model_read(strata_ctx *ctx, const char *path,
                                        strata_segment_model *m) {
  strata_status st = STRATA_OK;
  strata_h5_file *f = NULL;
  strata_matrix centers = {0};
  memset(m, 0, sizeof *m);
  STRATA_TRY(strata_h5_open(ctx, path, &f));
  STRATA_FAIL_IF(!strata_h5_exists(f, "/model/centers"), ctx, STRATA_ERR_DATA,
                 "%s holds no segmentation model (/model/centers is missing); make one with "
                 "`strata segment`",
                 path);
  STRATA_TRY(strata_transform_read(ctx, f, "/model/transform", &m->transform));
  int64_t count = 0;
  STRATA_TRY(strata_h5_read_strings(ctx, f, "/model/segment_names", &m->names, &count));
  if (m->transform->d_out == 0) {
    /* Nominal columns alone: the prototypes are their modes (read below). */
    m->k = count;
  } else {
    STRATA_TRY(strata_h5_read_matrix(ctx, f, "/model/centers", STRATA_TYPES_FLOAT, &centers));
    STRATA_FAIL_IF(centers.dtype != STRATA_F64 || centers.d != m->transform->d_out, ctx,
                   STRATA_ERR_DATA,
                   "%s: /model/centers is %lld x %lld, the transform keeps %lld columns", path,
                   (long long)centers.n, (long long)centers.d, (long long)m->transform->d_out);
    m->k = centers.n;
    m->centers = centers.data;
    centers.data = NULL;
    STRATA_FAIL_IF(count != m->k, ctx, STRATA_ERR_DATA, "%s: %lld segment names for %lld centres",
                   path, (long long)count, (long long)m->k);
  }
  STRATA_TRY(strata_h5_read_vector(ctx, f, "/model/train_share", STRATA_TYPES_FLOAT, m->k,
                                   STRATA_F64, (void **)&m->train_share));
  if (strata_h5_exists(f, "/model/nominal/names")) {
    STRATA_TRY(strata_h5_read_strings(ctx, f, "/model/nominal/names", &m->nominal_names, &m->dc));
    STRATA_TRY(strata_h5_read_vector(ctx, f, "/model/nominal/levels", STRATA_TYPES_INT, m->dc,
                                     STRATA_I64, (void **)&m->levels));
    m->level_offset = calloc((size_t)m->dc + 1, sizeof *m->level_offset);
    STRATA_FAIL_IF(m->level_offset == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    for (int64_t j = 0; j < m->dc; j++) {
      STRATA_FAIL_IF(m->levels[j] < 1 || m->levels[j] > INT32_MAX - 1, ctx, STRATA_ERR_DATA,
                     "%s: /model/nominal/levels[%lld] = %lld is not a level count", path,
                     (long long)j, (long long)m->levels[j]);
      m->level_offset[j + 1] = m->level_offset[j] + m->levels[j];
    }
    STRATA_TRY(strata_h5_read_vector(ctx, f, "/model/nominal/level_values", STRATA_TYPES_FLOAT,
                                     m->level_offset[m->dc], STRATA_F64,
                                     (void **)&m->level_values));
    strata_matrix modes = {0};
    STRATA_TRY(strata_h5_read_matrix(ctx, f, "/model/modes", STRATA_TYPES_INT, &modes));
    int ok = modes.n == m->k && modes.d == m->dc && modes.dtype == STRATA_I32;
    m->modes = modes.data;
    STRATA_FAIL_IF(!ok, ctx, STRATA_ERR_DATA, "%s: /model/modes is not %lld x %lld int32", path,
                   (long long)m->k, (long long)m->dc);
    for (int64_t c = 0; c < m->k * m->dc; c++)
      STRATA_FAIL_IF(m->modes[c] < 0 || m->modes[c] >= m->levels[c % m->dc], ctx, STRATA_ERR_DATA,
                     "%s: /model/modes[%lld] is outside its column's levels", path, (long long)c);
  }
  m->gamma = 1.0;
  if (strata_h5_read_attr_double(ctx, f, "/model", "gamma", &m->gamma) != STRATA_OK) {
    strata_ctx_clear_error(ctx);
    m->gamma = 1.0;
  }
  if (strata_h5_exists(f, "/model/rfm/breaks")) {
    strata_matrix b = {0};
    STRATA_TRY(strata_h5_read_matrix(ctx, f, "/model/rfm/breaks", STRATA_TYPES_FLOAT, &b));
    int ok = b.n == 3 && b.d == 4 && b.dtype == STRATA_F64;
    if (ok) memcpy(m->rfm_breaks, b.data, sizeof m->rfm_breaks);
    strata_matrix_release(&b);
    STRATA_FAIL_IF(!ok, ctx, STRATA_ERR_DATA, "%s: /model/rfm/breaks is not 3 x 4", path);
    char *csv = malloc(1 << 16);
    STRATA_FAIL_IF(csv == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    st = strata_h5_read_attr_string(ctx, f, "/model/rfm", "rules", csv, 1 << 16);
    if (st == STRATA_OK) st = strata_rfm_rules_parse(ctx, csv, strlen(csv), "/model/rfm@rules", &m->rules);
    free(csv);
    if (st != STRATA_OK) goto cleanup;
    int64_t got = 0;
    STRATA_TRY(strata_h5_read_attr_doubles(ctx, f, "/model/rfm", "value_risk_bounds", m->vr_bounds,
                                           4, &got));
    STRATA_FAIL_IF(got != 4, ctx, STRATA_ERR_DATA, "%s: /model/rfm@value_risk_bounds needs 4 values",
                   path);
    m->has_lenses = 1;
  }
  {
    double drift_count = 0;
    if (strata_h5_read_attr_double(ctx, f, "/model", "drift_features", &drift_count) != STRATA_OK) {
      strata_ctx_clear_error(ctx);
      drift_count = 0;
    }
    const int64_t nd = (int64_t)drift_count;
    m->drift = calloc((size_t)(nd > 0 ? nd : 1), sizeof *m->drift);
    m->drift_names = calloc((size_t)(nd > 0 ? nd : 1), sizeof *m->drift_names);
    STRATA_FAIL_IF(m->drift == NULL || m->drift_names == NULL, ctx, STRATA_ERR_NOMEM,
                   "out of memory");
    for (int64_t j = 0; j < nd; j++) {
      char grp[64], edges_path[80], shares_path[80], name[256];
      snprintf(grp, sizeof grp, "/model/drift/%lld", (long long)j);
      snprintf(edges_path, sizeof edges_path, "%s/edges", grp);
      snprintf(shares_path, sizeof shares_path, "%s/shares", grp);
      double *edges = NULL, *shares = NULL, cat = 0;
      int64_t nb = 0;
      strata_h5_dataset *ds = NULL;
      STRATA_TRY(strata_h5_dataset_open(ctx, f, shares_path, 1, STRATA_TYPES_FLOAT, 0, &ds));
      nb = strata_h5_dataset_info(ds)->dims[0];
      strata_h5_dataset_close(ds);
      STRATA_TRY(strata_h5_read_vector(ctx, f, shares_path, STRATA_TYPES_FLOAT, nb, STRATA_F64,
                                       (void **)&shares));
      st = strata_h5_read_vector(ctx, f, edges_path, STRATA_TYPES_FLOAT, nb > 1 ? nb - 1 : 1,
                                 STRATA_F64, (void **)&edges);
      if (st == STRATA_OK) st = strata_h5_read_attr_double(ctx, f, grp, "categorical", &cat);
      if (st == STRATA_OK) st = strata_h5_read_attr_string(ctx, f, grp, "feature", name, sizeof name);
      if (st == STRATA_OK)
        st = strata_psi_bins_from(ctx, cat != 0, nb > 1 ? edges : NULL, shares, nb, &m->drift[j]);
      strata_buffer_free(edges);
      strata_buffer_free(shares);
      if (st != STRATA_OK) goto cleanup;
      m->drift_names[j] = strdup(name);
      m->n_drift = j + 1;
      STRATA_FAIL_IF(m->drift_names[j] == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    }
  }
  double uses_clv = 0;
  STRATA_TRY(strata_h5_read_attr_double(ctx, f, "/model", "uses_clv", &uses_clv));
  m->uses_clv = uses_clv != 0;
  strata_clv_run_params_init(&m->clv_params);
  if (m->uses_clv) {
    STRATA_TRY(strata_clv_model_read(ctx, f, "/model/clv", &m->clv));
    double months = 0;
    STRATA_TRY(
        strata_h5_read_attr_double(ctx, f, "/model/clv", "horizon", &m->clv_params.score.horizon));
    STRATA_TRY(strata_h5_read_attr_double(ctx, f, "/model/clv", "discount_rate",
                                          &m->clv_params.score.discount_rate));
    STRATA_TRY(strata_h5_read_attr_double(ctx, f, "/model/clv", "clv_months", &months));
    STRATA_TRY(strata_h5_read_attr_double(ctx, f, "/model/clv", "clv_period_length",
                                          &m->clv_params.score.clv_period_length));
    m->clv_params.score.clv_periods = (int)months;
    m->clv_params.unit_days = m->clv.unit_days;
  }
cleanup:
  strata_matrix_release(&centers);
  strata_h5_close(f);
  if (st != STRATA_OK) strata_segment_model_release(m);
  return st;
}

void strata_score_options_init(strata_score_options *o) {
  if (o == NULL) return;
  memset(o, 0, sizeof *o);
  o->psi_watch = STRATA_PSI_WATCH;
  o->psi_shifted = STRATA_PSI_SHIFTED;
}

void strata_segment_scores_release(strata_segment_scores *s) {
  if (s == NULL) return;
  free(s->feature_psi);
  strata_migration_free(s->migration);
  free(s->previous_names);
  free(s->share);
  memset(s, 0, sizeof *s);
}

#define SCORE_BLOCK 65536
/* Accounts per block when CLV is scored per block: each block runs the RFM summary and the
 * scorer once (a few OpenMP regions, a cold (x, T) cache), which 2^18 accounts amortise; on 2
 * loaded cores 2^16 doubled the CPU time of scoring. Memory is then about 2^18 accounts'
 * transactions twice (read ahead) plus the summary's keys: ~300 MB at 10 per account. */
#define SCORE_CLV_BLOCK 262144
/* Columns of the read-ahead stream; the transaction columns only on the per-block path. */
enum {
  SCORE_COL_FEATURES,
  SCORE_COL_IDS,
  SCORE_COL_TXN_ID,
  SCORE_COL_TXN_DAY,
  SCORE_COL_TXN_AMOUNT,
  SCORE_COLS
};
#define SCORE_REVALIDATION_SAMPLE 200000
enum { SCORE_STREAM_SAMPLE = 401 };

/* Where each model feature comes from: an account column, or a value column (CLV table). */
typedef struct feature_source {
  int64_t account_col; /* -1 for a value column */
  int value_col;
} feature_source;

static strata_status map_features(strata_ctx *ctx, const strata_transform *t, char **names,
                                  int64_t d_accounts, int has_values, const char *in,
                                  feature_source *src) {
  strata_status st = STRATA_OK;
  for (int64_t j = 0; j < t->d; j++) {
    src[j].account_col = -1;
    src[j].value_col = -1;
    for (int64_t a = 0; a < d_accounts && src[j].account_col < 0; a++)
      if (strcmp(names[a], t->names[j]) == 0) src[j].account_col = a;
    for (int v = 0; has_values && v < STRATA_VALUE_COLUMNS && src[j].account_col < 0; v++)
      if (strcmp(strata_value_column_names[v], t->names[j]) == 0) src[j].value_col = v;
    STRATA_FAIL_IF(src[j].account_col < 0 && src[j].value_col < 0, ctx, STRATA_ERR_DATA,
                   "%s: the model needs feature '%s', which the accounts do not have", in,
                   t->names[j]);
  }
cleanup:
  return st;
}

/* Account column of each nominal column of the model. */
static strata_status map_nominal(strata_ctx *ctx, const strata_segment_model *m, char **names,
                                 int64_t d_accounts, const char *in, int64_t *col) {
  strata_status st = STRATA_OK;
  for (int64_t j = 0; j < m->dc; j++) {
    col[j] = -1;
    for (int64_t a = 0; a < d_accounts && col[j] < 0; a++)
      if (strcmp(names[a], m->nominal_names[j]) == 0) col[j] = a;
    STRATA_FAIL_IF(col[j] < 0, ctx, STRATA_ERR_DATA,
                   "%s: the model needs the nominal column '%s', which the accounts do not have",
                   in, m->nominal_names[j]);
  }
cleanup:
  return st;
}

/* Code of a stored level value among a column's training levels (ascending): its index, or
 * `count` for a level training never saw (it then matches no segment's mode). */
static int32_t level_code(const double *levels, int64_t count, double v) {
  int64_t lo = 0, hi = count - 1;
  while (lo <= hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (levels[mid] == v) return (int32_t)mid;
    if (levels[mid] < v)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return (int32_t)count;
}

/* Position of `id` in the ascending ids of the CLV table, or -1. */
static int64_t find_customer(const strata_clv_rfm *f, int64_t id) {
  int64_t lo = 0, hi = f->n - 1;
  while (lo <= hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (f->id[mid] == id) return mid;
    if (f->id[mid] < id)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

/* Value columns of a block of accounts from the block's own transactions: the scores of the
 * saved models with the whole file's calibration end, as the whole-file path computes them.
 * Amounts are checked here with the file's row numbers. */
static strata_status block_clv(strata_ctx *ctx, const char *in, const strata_segment_model *m,
                               const strata_prefetch_block *blk, int32_t day_max,
                               strata_clv_result **out) {
  strata_status st = STRATA_OK;
  *out = NULL;
  const int64_t mt = blk->col_rows[SCORE_COL_TXN_ID], first = blk->col_row0[SCORE_COL_TXN_ID];
  const int64_t *id = blk->col[SCORE_COL_TXN_ID];
  const int32_t *day = blk->col[SCORE_COL_TXN_DAY];
  const double *amount = blk->col[SCORE_COL_TXN_AMOUNT];
  if (mt == 0) goto cleanup; /* no customer of the block bought anything */
  STRATA_TRY(strata_transactions_check_amounts(ctx, in, first, id, amount, mt));
  strata_clv_run_params p = m->clv_params;
  if (p.rfm.calibration_end == STRATA_CLV_DAY_LAST) p.rfm.calibration_end = day_max;
  STRATA_TRY(strata_clv_run(ctx, id, day, amount, mt, &p, &m->clv, out));
cleanup:
  return st;
}

/* The lens columns of one account from its value columns (c: its row in the CLV table, or -1)
 * against the training base's boundaries (lens_stage.h): RFM scores and value x risk cell. */
static void account_lenses(const strata_segment_model *m, const strata_clv_result *v, int64_t c,
                           uint8_t rfm[3], int32_t *vr) {
  if (c < 0) {
    rfm[0] = rfm[1] = rfm[2] = 0;
    *vr = STRATA_LENS_NONE;
    return;
  }
  const double x[3] = {strata_clv_value(v, c, STRATA_V_RECENCY) + 1.0,
                       strata_clv_value(v, c, STRATA_V_TRANSACTIONS),
                       strata_clv_value(v, c, STRATA_V_REVENUE)};
  for (int a = 0; a < 3; a++) {
    int bin = 1;
    for (int j = 0; j < STRATA_RFM_BINS - 1; j++) bin += m->rfm_breaks[a][j] <= x[a];
    rfm[a] = (uint8_t)(a == 0 ? STRATA_RFM_BINS + 1 - bin : bin);
  }
  const double clv = strata_clv_value(v, c, STRATA_V_CLV), alive = strata_clv_value(v, c, STRATA_V_P_ALIVE);
  int tier = clv >= m->vr_bounds[0] ? 0 : clv >= m->vr_bounds[1] ? 1 : 2;
  int band = alive < m->vr_bounds[2] ? 0 : alive < m->vr_bounds[3] ? 1 : 2;
  *vr = tier * 3 + band;
}

/* The verdict of the worst PSI (of the shares or of any feature) by the options' thresholds. */
static const char *drift_verdict(double worst, const strata_score_options *opt) {
  return worst < opt->psi_watch     ? "stable"
         : worst < opt->psi_shifted ? "moderate drift"
                                    : "significant drift";
}

/* The previous run's segments joined with these on account id. */
static strata_status migrate(strata_ctx *ctx, const strata_segment_model *m, const char *previous,
                             int64_t n, const int64_t *ids, const int32_t *labels,
                             const double *clv, strata_segment_scores *out) {
  strata_status st = STRATA_OK;
  strata_h5_file *f = NULL;
  int64_t *old_ids = NULL;
  int32_t *old_labels = NULL;
  double *old_clv = NULL;
  STRATA_TRY(strata_h5_open(ctx, previous, &f));
  STRATA_FAIL_IF(!strata_h5_exists(f, "/segments/account_id") || !strata_h5_exists(f, "/segments/label") ||
                     !strata_h5_exists(f, "/segments/name"),
                 ctx, STRATA_ERR_DATA,
                 "%s holds no segment assignment (/segments/account_id, label and name); give the "
                 "output of an earlier `strata segment` or `strata score`",
                 previous);
  int64_t count = 0;
  STRATA_TRY(strata_h5_read_strings(ctx, f, "/segments/name", &out->previous_names, &count));
  out->k_previous = count;
  strata_h5_dataset *ds = NULL;
  STRATA_TRY(strata_h5_dataset_open(ctx, f, "/segments/account_id", 1, STRATA_TYPES_INT, 0, &ds));
  const int64_t n_old = strata_h5_dataset_info(ds)->dims[0];
  strata_h5_dataset_close(ds);
  STRATA_TRY(strata_h5_read_vector(ctx, f, "/segments/account_id", STRATA_TYPES_INT, n_old,
                                   STRATA_I64, (void **)&old_ids));
  STRATA_TRY(strata_h5_read_vector(ctx, f, "/segments/label", STRATA_TYPES_INT, n_old, STRATA_I32,
                                   (void **)&old_labels));
  if (strata_h5_exists(f, "/segments/clv"))
    STRATA_TRY(strata_h5_read_vector(ctx, f, "/segments/clv", STRATA_TYPES_FLOAT, n_old,
                                     STRATA_F64, (void **)&old_clv));
  strata_run_view before = {n_old, old_ids, old_labels, count, old_clv,
                            (const char *const *)out->previous_names};
  strata_run_view now = {n, ids, labels, m->k, clv, (const char *const *)m->names};
  st = strata_migration_run(ctx, &before, &now, &out->migration);
  if (st != STRATA_OK) strata_error_prefix(ctx, "migration from %s", previous);
cleanup:
  strata_h5_close(f);
  strata_buffer_free(old_ids);
  strata_buffer_free(old_labels);
  strata_buffer_free(old_clv);
  return st;
}

/* A transaction log alone (no /accounts): its customers are the accounts, read through the
 * feature table as training read them, scored whole (the table already holds one row per
 * customer, a few dozen bytes each). Only models trained on a log alone can score one. */
static strata_status score_log_only(strata_ctx *ctx, const strata_segment_model *m,
                                    const char *in, strata_h5_writer *w,
                                    const strata_score_options *opt, strata_segment_scores *out) {
  strata_status st = STRATA_OK;
  strata_feature_table t;
  memset(&t, 0, sizeof t);
  double *raw = NULL, *z = NULL, *col = NULL, *vals = NULL;
  int32_t *labels = NULL, *ints = NULL;
  uint8_t *scores = NULL;
  int *value_col = NULL;
  strata_kmeans *saved = NULL;
  strata_space_fit refit;
  memset(&refit, 0, sizeof refit);
  const strata_transform *tr = m->transform;
  STRATA_FAIL_IF(!m->uses_clv || m->dc > 0, ctx, STRATA_ERR_DATA,
                 "%s has no /accounts/features, and the model segments on account features: "
                 "only a model made from a transaction log alone scores one",
                 in);
  value_col = calloc((size_t)(tr->d > 0 ? tr->d : 1), sizeof *value_col);
  STRATA_FAIL_IF(value_col == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  for (int64_t j = 0; j < tr->d; j++) {
    value_col[j] = -1;
    for (int v = 0; v < STRATA_VALUE_COLUMNS; v++)
      if (strcmp(strata_value_column_names[v], tr->names[j]) == 0) value_col[j] = v;
    STRATA_FAIL_IF(value_col[j] < 0, ctx, STRATA_ERR_DATA,
                   "%s has no /accounts/features, and the model needs the account feature '%s'", in,
                   tr->names[j]);
  }
  STRATA_TRY(strata_feature_table_read(ctx, in, 1, &m->clv_params, &m->clv, &t));
  const int64_t n = t.n, dz = tr->d_out, V = STRATA_VALUE_COLUMNS;
  out->transactions = "whole";
  STRATA_TRY(strata_alloc(ctx, (size_t)(n * (tr->d > 0 ? tr->d : 1)), sizeof(double), "features",
                          (void **)&raw));
  STRATA_TRY(strata_alloc(ctx, (size_t)(n * (dz > 0 ? dz : 1)), sizeof(double), "scaled features",
                          (void **)&z));
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < tr->d; j++) raw[i * tr->d + j] = t.values[i * V + value_col[j]];
  STRATA_TRY(strata_transform_apply(ctx, tr, raw, n, z));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int32_t), "labels", (void **)&labels));
  STRATA_TRY(strata_kmeans_from_centers(ctx, m->centers, m->k, dz, STRATA_F64, &saved));
  strata_matrix zm = {z, n, dz, dz, STRATA_F64};
  STRATA_TRY(strata_kmeans_predict(ctx, saved, &zm, labels, NULL));
  int64_t dn[1] = {n};
  STRATA_TRY(strata_h5_write(ctx, w, "/segments/account_id", STRATA_I64, 1, dn, t.account_id));
  STRATA_TRY(strata_h5_write(ctx, w, "/segments/label", STRATA_I32, 1, dn, labels));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "values", (void **)&vals));
  for (int c = 0; c < STRATA_ACCOUNT_VALUE_OUTPUTS; c++) {
    const strata_account_value_output *o = &strata_account_value_outputs[c];
    for (int64_t i = 0; i < n; i++) vals[i] = t.values[i * V + o->column];
    STRATA_TRY(strata_h5_write(ctx, w, o->dataset, STRATA_F64, 1, dn, vals));
  }
  if (m->has_lenses) {
    STRATA_TRY(strata_alloc(ctx, (size_t)(5 * n), sizeof(int32_t), "lens cells", (void **)&ints));
    STRATA_TRY(strata_alloc(ctx, (size_t)(3 * n), 1, "RFM scores", (void **)&scores));
    for (int64_t i = 0; i < n; i++) {
      /* every account of a log-only base bought: its row of the CLV table is its row */
      uint8_t r3[3];
      account_lenses(m, t.clv, i, r3, &ints[4 * n + i]);
      for (int a = 0; a < 3; a++) {
        ints[a * n + i] = r3[a];
        scores[a * n + i] = r3[a];
      }
    }
    STRATA_TRY(strata_lens_rfm_grid(ctx, m->rules, STRATA_RFM_FIRST_MATCH, scores, scores + n,
                                    scores + 2 * n, n, ints + 3 * n, NULL));
    static const char *const lens_out[5] = {"/segments/rfm/r_score", "/segments/rfm/f_score",
                                            "/segments/rfm/m_score", "/segments/rfm/cell",
                                            "/segments/value_risk/cell"};
    for (int c = 0; c < 5; c++)
      STRATA_TRY(strata_h5_write(ctx, w, lens_out[c], STRATA_I32, 1, dn, ints + c * n));
  }
  out->n = n;
  out->share = calloc((size_t)m->k, sizeof *out->share);
  STRATA_FAIL_IF(out->share == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  for (int64_t i = 0; i < n; i++) out->share[labels[i]] += 1.0 / (double)n;
  out->psi = strata_population_stability(m->train_share, out->share, m->k);
  double worst = out->psi;
  if (m->n_drift > 0) {
    out->feature_psi = calloc((size_t)m->n_drift, sizeof *out->feature_psi);
    STRATA_FAIL_IF(out->feature_psi == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "drift column", (void **)&col));
    for (int64_t j = 0; j < m->n_drift && j < tr->d; j++) {
      for (int64_t i = 0; i < n; i++) col[i] = raw[i * tr->d + j];
      STRATA_TRY(strata_psi_bins_compare(ctx, m->drift[j], col, n, STRATA_PSI_EPSILON,
                                         &out->feature_psi[j]));
      out->shifted_features += out->feature_psi[j] >= opt->psi_shifted;
      if (out->feature_psi[j] > worst) worst = out->feature_psi[j];
    }
  }
  out->verdict = drift_verdict(worst, opt);
  if (opt->revalidate && n >= m->k) {
    strata_space sp = {n, dz, 0, z, NULL, NULL, m->gamma};
    STRATA_TRY(strata_space_cluster(ctx, &sp, m->k, NULL, opt->seed, 1, 1, &refit));
    out->revalidated = 1;
    out->revalidation_rows = n;
    out->refit_ari = strata_adjusted_rand(labels, refit.labels, n, m->k, m->k);
    if (out->refit_ari < 0.8 && worst < opt->psi_shifted) out->verdict = "structure changed";
  }
  if (opt->previous) {
    double *clv = vals;
    for (int64_t i = 0; i < n; i++) clv[i] = t.values[i * V + STRATA_V_CLV];
    STRATA_TRY(migrate(ctx, m, opt->previous, n, t.account_id, labels, clv, out));
  }
cleanup:
  strata_feature_table_release(&t);
  strata_free(raw);
  strata_free(z);
  strata_free(col);
  strata_free(vals);
  strata_free(labels);
  strata_free(ints);
  strata_free(scores);
  free(value_col);
  strata_kmeans_free(saved);
  strata_space_fit_release(&refit);
  return st;
}

strata_status strata_segment_score(strata_ctx *ctx, const strata_segment_model *m, const char *in,
                                   strata_h5_writer *w, const strata_score_options *opt,
                                   strata_segment_scores *out) {
  strata_status st = STRATA_OK;
  strata_h5_file *f = NULL;
  strata_h5_dataset *features = NULL, *ids = NULL;
  strata_transactions txn = {0};
  strata_txn_blocks tb;
  memset(&tb, 0, sizeof tb);
  strata_clv_result *clv = NULL, *clv_block = NULL;
  strata_prefetch *pf = NULL;
  char **names = NULL;
  feature_source *src = NULL;
  double *raw = NULL, *z = NULL, *sample = NULL;
  int32_t *sample_labels = NULL, *codes = NULL, *sample_codes = NULL, *levels_seen = NULL;
  int64_t *nominal_col = NULL;
  strata_space_fit refit_mixed;
  memset(&refit_mixed, 0, sizeof refit_mixed);
  /* Declared before the first jump to cleanup, which frees them. */
  double **bin_rows = NULL, *bin_tmp = NULL, *column = NULL, *keep_clv = NULL;
  int64_t *keep_ids = NULL;
  int32_t *keep_labels = NULL;
  uint8_t *lens_rfm = NULL;   /* planar r, f, m scores of a block's accounts in the log */
  int64_t *cust_row = NULL;   /* each block row's row of the CLV table, or -1 */
  int64_t *in_log = NULL;     /* block rows of the accounts in the log */
  int32_t *grid_cell = NULL;  /* their RFM cells */
  strata_kmeans *saved = NULL;
  memset(out, 0, sizeof *out);
  const strata_transform *t = m->transform;
  const int64_t dz = t->d_out;
  int64_t block_rows = SCORE_BLOCK;

  STRATA_TRY(strata_h5_open(ctx, in, &f));
  if (!strata_h5_exists(f, "/accounts/features") && strata_h5_exists(f, "/transactions/customer_id")) {
    strata_h5_close(f);
    f = NULL;
    st = score_log_only(ctx, m, in, w, opt, out);
    goto cleanup;
  }
  STRATA_TRY(
      strata_h5_dataset_open(ctx, f, "/accounts/features", 2, STRATA_TYPES_FLOAT, 0, &features));
  const strata_dataset_info *info = strata_h5_dataset_info(features);
  const int64_t n = info->dims[0], da = info->dims[1];
  int64_t n_names = 0;
  STRATA_FAIL_IF(!strata_h5_exists(f, "/accounts/feature_names"), ctx, STRATA_ERR_DATA,
                 "%s: /accounts/feature_names is missing; the model finds its features by name",
                 in);
  STRATA_TRY(strata_h5_read_strings(ctx, f, "/accounts/feature_names", &names, &n_names));
  STRATA_FAIL_IF(n_names != da, ctx, STRATA_ERR_DATA,
                 "%s: /accounts/feature_names has %lld names for %lld feature columns", in,
                 (long long)n_names, (long long)da);
  if (strata_h5_exists(f, "/accounts/id"))
    STRATA_TRY(strata_h5_dataset_open(ctx, f, "/accounts/id", 1, STRATA_TYPES_INT, 0, &ids));
  STRATA_FAIL_IF(ids && strata_h5_dataset_info(ids)->dims[0] != n, ctx, STRATA_ERR_DATA,
                 "%s: /accounts/id has %lld rows, /accounts/features %lld", in,
                 (long long)strata_h5_dataset_info(ids)->dims[0], (long long)n);
  int per_block = 0;
  out->transactions = "none";
  if (m->uses_clv) {
    STRATA_FAIL_IF(!strata_h5_exists(f, "/transactions/customer_id"), ctx, STRATA_ERR_DATA,
                   "%s: the model uses CLV features but /transactions is missing", in);
    double t0 = strata_now();
    STRATA_TRY(strata_txn_blocks_probe(ctx, f, ids, n, SCORE_CLV_BLOCK, &tb));
    strata_phase_add(ctx, "transaction layout", strata_now() - t0);
    per_block = tb.grouped;
    if (per_block) block_rows = SCORE_CLV_BLOCK;
    out->transactions = per_block ? "per block" : "whole";
    snprintf(out->transactions_note, sizeof out->transactions_note, "%s", tb.note);
    if (!per_block) {
      STRATA_TRY(strata_transactions_read(ctx, f, &txn));
      STRATA_TRY(
          strata_clv_run(ctx, txn.id, txn.day, txn.amount, txn.m, &m->clv_params, &m->clv, &clv));
      strata_transactions_release(&txn);
    }
  }
  src = calloc((size_t)t->d, sizeof *src);
  STRATA_FAIL_IF(src == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  STRATA_TRY(map_features(ctx, t, names, da, m->uses_clv, in, src));
  const int64_t dc = m->dc;
  if (dc > 0) {
    nominal_col = calloc((size_t)dc, sizeof *nominal_col);
    levels_seen = calloc((size_t)dc, sizeof *levels_seen);
    STRATA_FAIL_IF(nominal_col == NULL || levels_seen == NULL, ctx, STRATA_ERR_NOMEM,
                   "out of memory");
    STRATA_TRY(map_nominal(ctx, m, names, da, in, nominal_col));
    /* One more code per column for levels training never saw. */
    for (int64_t j = 0; j < dc; j++) levels_seen[j] = (int32_t)m->levels[j] + 1;
  }

  int64_t dn[1] = {n};
  STRATA_TRY(strata_h5_create_dataset(ctx, w, "/segments/account_id", STRATA_I64, 1, dn));
  STRATA_TRY(strata_h5_create_dataset(ctx, w, "/segments/label", STRATA_I32, 1, dn));
  if (m->dc == 0)
    STRATA_TRY(strata_kmeans_from_centers(ctx, m->centers, m->k, dz, STRATA_F64, &saved));
  const int64_t rows_max = n < block_rows ? n : block_rows;
  STRATA_TRY(
      strata_alloc(ctx, (size_t)(rows_max * t->d), sizeof(double), "feature block", (void **)&raw));
  STRATA_TRY(strata_alloc(ctx, (size_t)(rows_max * (dz > 0 ? dz : 1)), sizeof(double),
                          "scaled block", (void **)&z));
  if (dc > 0)
    STRATA_TRY(strata_alloc(ctx, (size_t)(rows_max * dc), sizeof(int32_t), "level codes",
                            (void **)&codes));
  out->share = calloc((size_t)m->k, sizeof *out->share);
  STRATA_FAIL_IF(out->share == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  /* Revalidation keeps a seeded Bernoulli sample of the scaled rows (bounded). */
  const int revalidate = opt->revalidate;
  const uint64_t seed = opt->seed;
  int64_t cap = revalidate ? (n < SCORE_REVALIDATION_SAMPLE ? n : SCORE_REVALIDATION_SAMPLE) : 0;
  double keep = cap >= n ? 1.0 : (double)cap / (double)n;
  if (cap > 0) {
    STRATA_TRY(strata_alloc(ctx, (size_t)(cap * dz), sizeof(double), "revalidation sample",
                            (void **)&sample));
    STRATA_TRY(strata_alloc(ctx, (size_t)cap, sizeof(int32_t), "revalidation labels",
                            (void **)&sample_labels));
    if (dc > 0)
      STRATA_TRY(strata_alloc(ctx, (size_t)(cap * dc), sizeof(int32_t), "revalidation codes",
                              (void **)&sample_codes));
  }

  /* From here the reader thread owns the input file and the writer (prefetch.h): block b + 1
   * is read and block b - 1's labels written while block b is scored. */
  strata_prefetch_column cols[SCORE_COLS];
  memset(cols, 0, sizeof cols);
  cols[SCORE_COL_FEATURES] =
      (strata_prefetch_column){features, info->dtype, NULL, in, "/accounts/features"};
  cols[SCORE_COL_IDS] = (strata_prefetch_column){ids, STRATA_I64, NULL, NULL, NULL};
  if (per_block) {
    cols[SCORE_COL_TXN_ID] = (strata_prefetch_column){tb.id, STRATA_I64, tb.bounds, NULL, NULL};
    cols[SCORE_COL_TXN_DAY] = (strata_prefetch_column){tb.day, STRATA_I32, tb.bounds, NULL, NULL};
    cols[SCORE_COL_TXN_AMOUNT] = (strata_prefetch_column){
        tb.amount, STRATA_F64, tb.bounds, strata_h5_path(f), "/transactions/amount"};
  }
  /* With CLV every account also carries its scores and lens cells (lens_stage.h). */
  /* OUT_CLV.. OUT_SPEND follow strata_account_value_outputs in order. */
  enum { OUT_ID, OUT_LABEL, OUT_CLV, OUT_ALIVE, OUT_EXPECTED, OUT_SPEND, OUT_R, OUT_F, OUT_M,
         OUT_RFM_CELL, OUT_VR_CELL, OUT_COUNT };
  const strata_prefetch_output outs[OUT_COUNT] = {
      {w, "/segments/account_id", STRATA_I64, 1},
      {w, "/segments/label", STRATA_I32, 1},
      {w, strata_account_value_outputs[0].dataset, STRATA_F64, 1},
      {w, strata_account_value_outputs[1].dataset, STRATA_F64, 1},
      {w, strata_account_value_outputs[2].dataset, STRATA_F64, 1},
      {w, strata_account_value_outputs[3].dataset, STRATA_F64, 1},
      {w, "/segments/rfm/r_score", STRATA_I32, 1},  {w, "/segments/rfm/f_score", STRATA_I32, 1},
      {w, "/segments/rfm/m_score", STRATA_I32, 1},  {w, "/segments/rfm/cell", STRATA_I32, 1},
      {w, "/segments/value_risk/cell", STRATA_I32, 1}};
  const int n_outs = !m->uses_clv ? 2 : m->has_lenses ? OUT_COUNT : OUT_R;
  for (int o = 2; o < n_outs; o++)
    STRATA_TRY(strata_h5_create_dataset(ctx, w, outs[o].name, outs[o].dtype, 1, dn));
  /* Drift: per feature, the block's share of each reference bin times its rows. */
  const int64_t n_drift = m->n_drift;
  if (n_drift > 0) {
    bin_rows = calloc((size_t)n_drift, sizeof *bin_rows);
    STRATA_FAIL_IF(bin_rows == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    int64_t widest = 1;
    for (int64_t j = 0; j < n_drift; j++) {
      bin_rows[j] = calloc((size_t)m->drift[j]->nb, sizeof(double));
      STRATA_FAIL_IF(bin_rows[j] == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
      if (m->drift[j]->nb > widest) widest = m->drift[j]->nb;
    }
    STRATA_TRY(strata_alloc(ctx, (size_t)widest, sizeof(double), "drift bins", (void **)&bin_tmp));
    STRATA_TRY(strata_alloc(ctx, (size_t)rows_max, sizeof(double), "drift column", (void **)&column));
  }
  if (opt->previous) {
    STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "account ids", (void **)&keep_ids));
    STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int32_t), "labels", (void **)&keep_labels));
    if (m->uses_clv)
      STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "CLV", (void **)&keep_clv));
  }
  if (m->has_lenses) {
    STRATA_TRY(strata_alloc(ctx, (size_t)rows_max * 3, 1, "RFM scores", (void **)&lens_rfm));
    STRATA_TRY(strata_alloc(ctx, (size_t)rows_max, sizeof(int64_t), "log rows", (void **)&in_log));
    STRATA_TRY(
        strata_alloc(ctx, (size_t)rows_max, sizeof(int32_t), "RFM cells", (void **)&grid_cell));
  }
  STRATA_TRY(strata_alloc(ctx, (size_t)rows_max, sizeof(int64_t), "customer rows",
                          (void **)&cust_row));
  STRATA_TRY(strata_prefetch_start(ctx, cols, per_block ? SCORE_COLS : SCORE_COL_TXN_ID, outs, n_outs, n,
                                   block_rows, &pf));
  int64_t m_sample = 0;
  double *counts = out->share;
  double t0 = strata_now();
  for (;;) {
    strata_prefetch_block *blk = NULL;
    STRATA_TRY(strata_prefetch_next(ctx, pf, &blk));
    if (blk == NULL) break;
    const int64_t row0 = blk->row0, rows = blk->rows;
    const void *block = blk->col[SCORE_COL_FEATURES];
    const int64_t *block_ids = blk->col[SCORE_COL_IDS];
    int32_t *labels = blk->out[1];
    memcpy(blk->out[0], block_ids, (size_t)rows * sizeof(int64_t));
    if (per_block) {
      strata_clv_result_free(clv_block);
      STRATA_TRY(block_clv(ctx, in, m, blk, tb.day_max, &clv_block));
    }
    const strata_clv_result *values = per_block ? clv_block : clv;
    for (int64_t i = 0; i < rows; i++) {
      const int64_t c = cust_row[i] = values ? find_customer(values->rfm, block_ids[i]) : -1;
      for (int64_t j = 0; j < t->d; j++) {
        double v;
        if (src[j].account_col >= 0)
          v = info->dtype == STRATA_F32
                  ? (double)((const float *)block)[i * da + src[j].account_col]
                  : ((const double *)block)[i * da + src[j].account_col];
        else
          v = c >= 0 ? strata_clv_value(values, c, src[j].value_col) : 0.0;
        raw[i * t->d + j] = v;
      }
    }
    st = strata_transform_apply(ctx, t, raw, rows, z);
    if (st != STRATA_OK) {
      strata_error_prefix(ctx, "%s: accounts from row %lld", in, (long long)row0);
      goto cleanup;
    }
    if (dc == 0) {
      strata_matrix zm = {z, rows, dz, dz, STRATA_F64};
      STRATA_TRY(strata_kmeans_predict(ctx, saved, &zm, labels, NULL));
    } else {
      for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < dc; j++) {
          const int64_t a = nominal_col[j];
          double v = info->dtype == STRATA_F32 ? (double)((const float *)block)[i * da + a]
                                               : ((const double *)block)[i * da + a];
          codes[i * dc + j] =
              level_code(m->level_values + m->level_offset[j], m->levels[j], v);
        }
      strata_space block_space = {rows, dz, dc, z, codes, levels_seen, m->gamma};
      STRATA_TRY(
          strata_space_assign(ctx, &block_space, m->centers, m->modes, m->k, labels, NULL));
    }
    for (int64_t i = 0; i < rows; i++) {
      counts[labels[i]] += 1.0;
      if (m_sample < cap) {
        double u =
            (double)(strata_rng_hash(seed, SCORE_STREAM_SAMPLE, (uint64_t)(row0 + i)) >> 11) *
            0x1.0p-53;
        if (u < keep) {
          if (dz > 0) memcpy(sample + m_sample * dz, z + i * dz, (size_t)dz * sizeof(double));
          if (dc > 0)
            memcpy(sample_codes + m_sample * dc, codes + i * dc, (size_t)dc * sizeof(int32_t));
          sample_labels[m_sample++] = labels[i];
        }
      }
    }
    if (n_outs > 2) {
      const double *o_clv = blk->out[OUT_CLV];
      uint8_t *lr = lens_rfm, *lf = lens_rfm + rows_max, *lm = lens_rfm + 2 * rows_max;
      int64_t q = 0;
      for (int64_t i = 0; i < rows; i++) {
        const int64_t c = cust_row[i];
        for (int o = 0; o < STRATA_ACCOUNT_VALUE_OUTPUTS; o++)
          ((double *)blk->out[OUT_CLV + o])[i] =
              c >= 0 ? strata_clv_value(values, c, strata_account_value_outputs[o].column) : 0.0;
        if (m->has_lenses) {
          uint8_t r3[3];
          account_lenses(m, values, c, r3, &((int32_t *)blk->out[OUT_VR_CELL])[i]);
          ((int32_t *)blk->out[OUT_R])[i] = r3[0];
          ((int32_t *)blk->out[OUT_F])[i] = r3[1];
          ((int32_t *)blk->out[OUT_M])[i] = r3[2];
          ((int32_t *)blk->out[OUT_RFM_CELL])[i] = STRATA_LENS_NONE;
          if (c >= 0) {
            lr[q] = r3[0];
            lf[q] = r3[1];
            lm[q] = r3[2];
            in_log[q++] = i;
          }
        }
        if (keep_clv) keep_clv[row0 + i] = o_clv[i];
      }
      /* One grid lookup per block for the accounts in the log. */
      if (q > 0) {
        STRATA_TRY(strata_lens_rfm_grid(ctx, m->rules, STRATA_RFM_FIRST_MATCH, lr, lf, lm, q,
                                        grid_cell, NULL));
        for (int64_t u = 0; u < q; u++) ((int32_t *)blk->out[OUT_RFM_CELL])[in_log[u]] = grid_cell[u];
      }
    }
    if (keep_ids) {
      memcpy(keep_ids + row0, block_ids, (size_t)rows * sizeof(int64_t));
      memcpy(keep_labels + row0, labels, (size_t)rows * sizeof(int32_t));
    }
    for (int64_t j = 0; j < n_drift; j++) {
      const int64_t dnum = t->d;
      for (int64_t i = 0; i < rows; i++) {
        if (j < dnum) {
          column[i] = raw[i * dnum + j];
        } else {
          const int64_t a = nominal_col[j - dnum];
          column[i] = info->dtype == STRATA_F32 ? (double)((const float *)block)[i * da + a]
                                                : ((const double *)block)[i * da + a];
        }
      }
      STRATA_TRY(strata_psi_bins_shares(ctx, m->drift[j], column, rows, bin_tmp));
      for (int64_t b = 0; b < m->drift[j]->nb; b++) bin_rows[j][b] += bin_tmp[b] * (double)rows;
    }
    strata_progress(ctx, "score", (double)(row0 + rows) / (double)n);
  }
  st = strata_prefetch_finish(ctx, pf);
  strata_prefetch_free(pf);
  pf = NULL;
  if (st != STRATA_OK) goto cleanup;
  strata_phase_add(ctx, "assign", strata_now() - t0);
  out->n = n;
  for (int64_t j = 0; j < m->k; j++) out->share[j] = counts[j] / (double)n;
  out->psi = strata_population_stability(m->train_share, out->share, m->k);
  /* The verdict: the worse of the shares' PSI and the most shifted feature's. */
  double worst = out->psi;
  if (n_drift > 0) {
    out->feature_psi = calloc((size_t)n_drift, sizeof *out->feature_psi);
    STRATA_FAIL_IF(out->feature_psi == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    for (int64_t j = 0; j < n_drift; j++) {
      for (int64_t b = 0; b < m->drift[j]->nb; b++) bin_tmp[b] = bin_rows[j][b] / (double)n;
      out->feature_psi[j] = strata_psi(m->drift[j]->shares, bin_tmp, m->drift[j]->nb, STRATA_PSI_EPSILON);
      out->shifted_features += out->feature_psi[j] >= opt->psi_shifted;
      if (out->feature_psi[j] > worst) worst = out->feature_psi[j];
    }
  }
  out->verdict = drift_verdict(worst, opt);
  if (opt->previous)
    STRATA_TRY(migrate(ctx, m, opt->previous, n, keep_ids, keep_labels, keep_clv, out));
  if (revalidate && m_sample >= m->k) {
    /* A fresh clustering of the sample with the same engine and k. */
    strata_space sample_space = {m_sample, dz, dc, sample, sample_codes, levels_seen, m->gamma};
    STRATA_TRY(strata_space_cluster(ctx, &sample_space, m->k, NULL, seed, 1, 1, &refit_mixed));
    out->revalidated = 1;
    out->revalidation_rows = m_sample;
    out->refit_ari = strata_adjusted_rand(sample_labels, refit_mixed.labels, m_sample, m->k, m->k);
    /* The saved centres no longer describe the natural groups of the base. */
    if (out->refit_ari < 0.8 && out->psi < 0.25) out->verdict = "structure changed";
  }
cleanup:
  /* The reader thread stops before the datasets it reads are closed. */
  strata_prefetch_free(pf);
  if (bin_rows)
    for (int64_t j = 0; j < m->n_drift; j++) free(bin_rows[j]);
  free(bin_rows);
  strata_free(bin_tmp);
  strata_free(column);
  strata_free(keep_ids);
  strata_free(keep_labels);
  strata_free(keep_clv);
  strata_free(lens_rfm);
  strata_free(cust_row);
  strata_free(in_log);
  strata_free(grid_cell);
  strata_txn_blocks_release(&tb);
  strata_h5_dataset_close(features);
  strata_h5_dataset_close(ids);
  strata_h5_close(f);
  strata_transactions_release(&txn);
  strata_clv_result_free(clv);
  strata_clv_result_free(clv_block);
  free(names);
  free(src);
  strata_free(raw);
  strata_free(z);
  strata_free(sample);
  strata_free(sample_labels);
  strata_free(codes);
  strata_free(sample_codes);
  free(levels_seen);
  free(nominal_col);
  strata_space_fit_release(&refit_mixed);
  strata_kmeans_free(saved);
  if (st != STRATA_OK) strata_segment_scores_release(out);
  return st;
}
