/* The feature table of the segmentation; see features.h. O(n log n) for the id join. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "segment/features.h"
#include "segment/txn_blocks.h"

/* Transactions per chunk of the streamed RFM summary (at least; chunks end between customers):
 * 2^20 rows are 20 MiB of columns, read twice over (read ahead), plus the summary's keys. */
#define FEATURES_TXN_CHUNK ((int64_t)1 << 20)
/* Logs whose whole read would take more than this (or an eighth of the memory budget) are
 * streamed. */
#define FEATURES_STREAM_MIN_BYTES (512.0 * 1048576.0)

const char *const strata_value_column_names[STRATA_VALUE_COLUMNS] = {
    "frequency",    "recency", "tenure",       "monetary",     "p_alive",
    "expected_purchases", "clv", "btyd_recency", "transactions", "revenue",
    "revenue_prev", "revenue_curr", "expected_spend", "has_transactions", "spend_per_purchase"};
/* By default the customer's behaviour joins the account features: how often (repeat
 * purchases) and how much per purchase (spend_per_purchase: the first purchase counts, so
 * one-time buyers are not all at 0, as they are in the repeat-spend mean Gamma-Gamma takes,
 * which ties the two columns together). Recency and CLV stay out of the distance and in the
 * profiles, names and lenses: recency measures when the log ends as much as the customer,
 * and CLV is the models' function of frequency, recency, age and spend, so it would count
 * the same behaviour again, with the heaviest tail of all (on generated bases with known
 * segments, adding either took the agreement with the truth from ARI 0.96 to 0.55). */
const int strata_value_column_default[STRATA_VALUE_COLUMNS] = {1, 0, 0, 0, 0, 0, 0, 0,
                                                               0, 0, 0, 0, 0, 0, 1};

const strata_account_value_output strata_account_value_outputs[STRATA_ACCOUNT_VALUE_OUTPUTS] = {
    {"/segments/clv", STRATA_V_CLV},
    {"/segments/p_alive", STRATA_V_P_ALIVE},
    {"/segments/expected_purchases", STRATA_V_EXPECTED},
    {"/segments/expected_spend", STRATA_V_EXPECTED_SPEND}};

double strata_clv_value(const strata_clv_result *r, int64_t c, int v) {
  const strata_clv_rfm *f = r->rfm;
  switch (v) {
    case STRATA_V_FREQUENCY: return f->x[c];
    /* Whole days: T and t_x are day counts divided by the time unit, and the product back
     * is off by an ulp often enough to move a customer across an RFM break. */
    case STRATA_V_RECENCY: return rint((f->T[c] - f->t_x[c]) * r->unit_days);
    case STRATA_V_TENURE: return f->T[c];
    case STRATA_V_MONETARY: return f->monetary ? f->monetary[c] : 0.0;
    case STRATA_V_P_ALIVE: return r->p_alive[c];
    case STRATA_V_EXPECTED: return r->expected_purchases[c];
    case STRATA_V_CLV: return r->clv ? r->clv[c] : 0.0;
    case STRATA_V_BTYD_RECENCY: return f->t_x[c];
    case STRATA_V_TRANSACTIONS: return f->transactions ? f->transactions[c] : f->x[c] + 1.0;
    case STRATA_V_REVENUE: return f->revenue ? f->revenue[c] : 0.0;
    case STRATA_V_REVENUE_PREV: return f->revenue_prev ? f->revenue_prev[c] : 0.0;
    case STRATA_V_REVENUE_CURR: return f->revenue_curr ? f->revenue_curr[c] : 0.0;
    case STRATA_V_EXPECTED_SPEND: return r->expected_spend ? r->expected_spend[c] : 0.0;
    case STRATA_V_HAS_TRANSACTIONS: return 1.0;
    case STRATA_V_SPEND_PER_PURCHASE: {
      double rows = f->transactions ? f->transactions[c] : f->x[c] + 1.0;
      return f->revenue && rows > 0 ? f->revenue[c] / rows : 0.0;
    }
  }
  return 0.0;
}

typedef struct id_index {
  int64_t id, row;
} id_index;

static int cmp_id(const void *a, const void *b) {
  const id_index *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

/* Accounts by id; a repeated id fails (outputs are keyed by it). */
static strata_status sort_ids(strata_ctx *ctx, const strata_feature_table *t, id_index **out) {
  strata_status st = STRATA_OK;
  const int64_t n = t->n;
  id_index *order = malloc((size_t)n * sizeof *order);
  STRATA_FAIL_IF(order == NULL, ctx, STRATA_ERR_NOMEM, "out of memory sorting accounts");
  int ascending = 1;
  for (int64_t i = 0; i < n; i++) {
    order[i] = (id_index){t->account_id[i], i};
    ascending &= i == 0 || t->account_id[i] > t->account_id[i - 1];
  }
  /* Producers (strata gen, exports sorted by key) mostly write ids ascending: then the order
   * is the identity and the sort, a third of a 10M-account run's reading time, is skipped. */
  if (!ascending) qsort(order, (size_t)n, sizeof *order, cmp_id);
  for (int64_t i = 1; i < n; i++)
    STRATA_FAIL_IF(order[i].id == order[i - 1].id, ctx, STRATA_ERR_DATA,
                   "/accounts/id: account %lld appears twice (rows %lld and %lld)",
                   (long long)order[i].id, (long long)order[i - 1].row, (long long)order[i].row);
  *out = order;
  order = NULL;
cleanup:
  free(order);
  return st;
}

/* Value columns per account, joined on the id (`order`: accounts by id); accounts without
 * transactions get zeros. */
static strata_status join_values(strata_ctx *ctx, strata_feature_table *t, const id_index *order) {
  strata_status st = STRATA_OK;
  const int64_t n = t->n;
  STRATA_TRY(strata_calloc(ctx, (size_t)(n * STRATA_VALUE_COLUMNS), sizeof(double), "value columns",
                           (void **)&t->values));
  const strata_clv_result *r = t->clv;
  const strata_clv_rfm *f = r->rfm;
  int64_t a = 0, matched = 0;
  for (int64_t c = 0; c < f->n; c++) {
    while (a < n && order[a].id < f->id[c]) a++;
    if (a == n || order[a].id != f->id[c]) {
      t->customers_without_account++;
      continue;
    }
    double *v = t->values + order[a].row * STRATA_VALUE_COLUMNS;
    for (int col = 0; col < STRATA_VALUE_COLUMNS; col++) v[col] = strata_clv_value(r, c, col);
    matched++;
  }
  t->accounts_without_transactions = n - matched;
cleanup:
  return st;
}

void strata_feature_table_release(strata_feature_table *t) {
  if (t == NULL) return;
  strata_free(t->account_id);
  free(t->account_names);
  if (t->level_names)
    for (int64_t j = 0; j < t->d_accounts; j++) free(t->level_names[j]);
  free(t->level_names);
  free(t->level_name_count);
  strata_matrix_release(&t->accounts);
  strata_clv_result_free(t->clv);
  strata_free(t->values);
  memset(t, 0, sizeof *t);
}

/* Level names of the nominal columns, from /accounts/levels/<column> where the file has
 * them. */
static strata_status read_level_names(strata_ctx *ctx, strata_h5_file *f, const char *in,
                                      strata_feature_table *t) {
  strata_status st = STRATA_OK;
  const int64_t da = t->d_accounts;
  if (da == 0) goto cleanup;
  t->level_names = calloc((size_t)da, sizeof *t->level_names);
  t->level_name_count = calloc((size_t)da, sizeof *t->level_name_count);
  STRATA_FAIL_IF(t->level_names == NULL || t->level_name_count == NULL, ctx, STRATA_ERR_NOMEM,
                 "out of memory for level names");
  for (int64_t j = 0; j < da; j++) {
    char path[300];
    snprintf(path, sizeof path, "/accounts/levels/%.250s", t->account_names[j]);
    if (!strata_h5_exists(f, path)) continue;
    st = strata_h5_read_strings(ctx, f, path, &t->level_names[j], &t->level_name_count[j]);
    if (st != STRATA_OK) {
      strata_error_prefix(ctx, "%s", in);
      goto cleanup;
    }
  }
cleanup:
  return st;
}

int strata_feature_table_is_nominal(const strata_feature_table *t, const char *list, int64_t j) {
  if (j < 0 || j >= t->d_accounts) return 0;
  const char *names = list ? list : t->categorical;
  const char *name = t->account_names[j];
  size_t len = strlen(name);
  for (const char *p = names; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t l = comma ? (size_t)(comma - p) : strlen(p);
    if (l == len && strncmp(p, name, len) == 0) return 1;
    p = comma ? comma + 1 : p + l;
  }
  return 0;
}

static double account_value(const strata_feature_table *t, int64_t i, int64_t j) {
  return t->accounts.dtype == STRATA_F32
             ? (double)((const float *)t->accounts.data)[i * t->accounts.ld + j]
             : ((const double *)t->accounts.data)[i * t->accounts.ld + j];
}

strata_status strata_feature_table_codes(strata_ctx *ctx, const strata_feature_table *t,
                                         int64_t j, int32_t *codes, int64_t ld, double **values,
                                         int64_t *count) {
  strata_status st = STRATA_OK;
  double *distinct = NULL;
  int32_t *index = NULL;
  *values = NULL;
  *count = 0;
  const int64_t n = t->n;
  /* Codes are small integers: a presence table over [0, max] finds the distinct values in
   * O(n + max) where a sort would take O(n log n). */
  double top = 0.0;
  for (int64_t i = 0; i < n; i++) {
    double v = account_value(t, i, j);
    STRATA_FAIL_IF(!(v >= 0.0) || v != floor(v) || v > 16777216.0, ctx, STRATA_ERR_DATA,
                   "/accounts/features: column '%s' is nominal (the 'categorical' attribute) but "
                   "account %lld (row %lld) holds %g, not a level code (an integer 0..2^24)",
                   t->account_names[j], (long long)t->account_id[i], (long long)i, v);
    if (v > top) top = v;
  }
  const int64_t span = (int64_t)top + 1;
  STRATA_TRY(strata_alloc(ctx, (size_t)span, sizeof(int32_t), "level table", (void **)&index));
  for (int64_t v = 0; v < span; v++) index[v] = -1;
  /* The stored value goes to the codes now and is renumbered below: the second walk is over
   * the compact codes, not the wide account matrix. */
  for (int64_t i = 0; i < n; i++) {
    int32_t v = (int32_t)account_value(t, i, j);
    index[v] = 0;
    codes[i * ld] = v;
  }
  int64_t levels = 0;
  for (int64_t v = 0; v < span; v++)
    if (index[v] == 0) levels++;
  STRATA_TRY(strata_alloc(ctx, (size_t)(levels > 0 ? levels : 1), sizeof(double), "levels",
                          (void **)&distinct));
  for (int64_t v = 0, at = 0; v < span; v++)
    if (index[v] == 0) {
      distinct[at] = (double)v;
      index[v] = (int32_t)at++;
    }
  for (int64_t i = 0; i < n; i++) codes[i * ld] = index[codes[i * ld]];
  *values = distinct;
  *count = levels;
  distinct = NULL;
cleanup:
  strata_free(index);
  strata_free(distinct);
  return st;
}

void strata_feature_table_level_name(const strata_feature_table *t, int64_t j, double v, char *buf,
                                     size_t len) {
  if (t->level_names && t->level_names[j] && v >= 0 && v < (double)t->level_name_count[j])
    snprintf(buf, len, "%s", t->level_names[j][(int64_t)v]);
  else
    snprintf(buf, len, "%g", v);
}

strata_status strata_feature_table_read(strata_ctx *ctx, const char *in, int use_clv,
                                        const strata_clv_run_params *clv,
                                        const strata_clv_result *fitted, strata_feature_table *t) {
  strata_status st = STRATA_OK;
  strata_h5_file *f = NULL;
  strata_transactions txn = {0};
  strata_txn_blocks tb;
  memset(&tb, 0, sizeof tb);
  strata_clv_rfm *rfm = NULL;
  id_index *order = NULL;
  memset(t, 0, sizeof *t);
  double t0 = strata_now();
  STRATA_TRY(strata_h5_open(ctx, in, &f));
  const int has_log = strata_h5_exists(f, "/transactions/customer_id");
  if (!strata_h5_exists(f, "/accounts/features")) {
    /* The most common input of a B2C shop: a transaction log and nothing else. */
    STRATA_FAIL_IF(!has_log, ctx, STRATA_ERR_DATA,
                   "%s: neither /accounts/features nor /transactions/customer_id: nothing to "
                   "segment",
                   in);
    STRATA_FAIL_IF(!use_clv, ctx, STRATA_ERR_USAGE,
                   "%s has no /accounts/features: its customers can only be segmented on their "
                   "RFM and CLV values, which --no-clv turns off",
                   in);
    t->from_log = 1;
  } else {
    STRATA_TRY(
        strata_h5_read_matrix(ctx, f, "/accounts/features", STRATA_TYPES_FLOAT, &t->accounts));
  }
  const int64_t da = t->from_log ? 0 : t->accounts.d;
  int64_t n = t->from_log ? 0 : t->accounts.n;
  t->n = n;
  t->d_accounts = da;
  if (t->from_log) {
    /* ids come from the log's summary below */
  } else if (strata_h5_exists(f, "/accounts/id")) {
    STRATA_TRY(strata_h5_read_vector(ctx, f, "/accounts/id", STRATA_TYPES_INT, n, STRATA_I64,
                                     (void **)&t->account_id));
  } else {
    STRATA_TRY(
        strata_alloc(ctx, (size_t)n, sizeof(int64_t), "account ids", (void **)&t->account_id));
    for (int64_t i = 0; i < n; i++) t->account_id[i] = i;
  }
  if (!t->from_log) STRATA_TRY(sort_ids(ctx, t, &order));
  if (t->from_log) {
    t->account_names = NULL;
  } else if (strata_h5_exists(f, "/accounts/feature_names")) {
    int64_t count = 0;
    STRATA_TRY(
        strata_h5_read_strings(ctx, f, "/accounts/feature_names", &t->account_names, &count));
    STRATA_FAIL_IF(count != da, ctx, STRATA_ERR_DATA,
                   "%s: /accounts/feature_names has %lld names for %lld feature columns", in,
                   (long long)count, (long long)da);
  } else {
    /* Unnamed columns are feature_0, feature_1, ...: one block, like names that were read. */
    t->account_names = malloc((size_t)da * (sizeof(char *) + 32));
    STRATA_FAIL_IF(t->account_names == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    char *text = (char *)(t->account_names + da);
    for (int64_t j = 0; j < da; j++) {
      t->account_names[j] = text + j * 32;
      snprintf(t->account_names[j], 32, "feature_%lld", (long long)j);
    }
  }
  /* Nominal codes (region, channel...) have no distances: the producer lists them. */
  if (strata_h5_read_attr_string(ctx, f, "/accounts/features", "categorical", t->categorical,
                                 sizeof t->categorical) != STRATA_OK) {
    t->categorical[0] = '\0';
    strata_ctx_clear_error(ctx);
  }
  STRATA_TRY(read_level_names(ctx, f, in, t));
  int with_clv = use_clv && has_log;
  t->transactions = with_clv ? "whole" : "none";
  strata_phase_add(ctx, "read", strata_now() - t0);
  if (with_clv) {
    /* The log is streamed when holding it whole would weigh: its columns and the summary's
     * sort keys take about 36 bytes a row. Below that the whole read is as fast and leaves
     * the allocator calmer (the chunks' mid-size temporaries raise glibc's mmap threshold,
     * which kept ~90 MB more resident in the later phases of a 1M-account run). A holdout or a
     * calibration end inside the log would leave chunks without calibration rows: the
     * chunked summary only takes the default window. */
    strata_h5_dataset *cid = NULL;
    STRATA_TRY(
        strata_h5_dataset_open(ctx, f, "/transactions/customer_id", 1, STRATA_TYPES_INT, 0, &cid));
    const double whole_bytes = 36.0 * (double)strata_h5_dataset_info(cid)->dims[0];
    strata_h5_dataset_close(cid);
    double limit = (double)strata_ctx_memory_budget(ctx) / 8.0;
    if (limit > FEATURES_STREAM_MIN_BYTES) limit = FEATURES_STREAM_MIN_BYTES;
    if (whole_bytes <= limit) {
      /* small enough: read whole, no note */
    } else if (clv->rfm.holdout_days == 0 && clv->rfm.calibration_end == STRATA_CLV_DAY_LAST) {
      t0 = strata_now();
      STRATA_TRY(strata_txn_chunks_probe(ctx, f, FEATURES_TXN_CHUNK, &tb));
      strata_phase_add(ctx, "transaction layout", strata_now() - t0);
    } else {
      snprintf(tb.note, sizeof tb.note,
               "a holdout or calibration end is set: transactions read whole");
    }
    snprintf(t->transactions_note, sizeof t->transactions_note, "%s", tb.note);
    if (tb.grouped) {
      strata_clv_rfm_params rp = clv->rfm;
      rp.freq_multiplier = fitted ? fitted->unit_days : clv->unit_days;
      rp.growth_days = STRATA_GROWTH_DAYS;
      STRATA_TRY(strata_txn_rfm_stream(ctx, in, &tb, &rp, &rfm));
      t->transactions = "streamed";
    } else {
      t0 = strata_now();
      STRATA_TRY(strata_transactions_read(ctx, f, &txn));
      strata_phase_add(ctx, "read", strata_now() - t0);
    }
  }
  strata_txn_blocks_release(&tb);
  strata_h5_close(f);
  f = NULL;
  if (with_clv) {
    strata_clv_run_params cp = *clv;
    cp.rfm.growth_days = STRATA_GROWTH_DAYS;
    if (rfm) {
      st = strata_clv_run_rfm(ctx, rfm, &cp, fitted, &t->clv);
      rfm = NULL; /* the result owns it, or it was freed */
      if (st != STRATA_OK) goto cleanup;
    } else {
      STRATA_TRY(strata_clv_run(ctx, txn.id, txn.day, txn.amount, txn.m, &cp, fitted, &t->clv));
    }
    if (t->from_log) {
      /* The accounts are the log's customers, in the summary's (ascending id) order. */
      t->n = n = t->clv->rfm->n;
      STRATA_TRY(
          strata_alloc(ctx, (size_t)n, sizeof(int64_t), "account ids", (void **)&t->account_id));
      memcpy(t->account_id, t->clv->rfm->id, (size_t)n * sizeof(int64_t));
      t->accounts = (strata_matrix){NULL, n, 0, 0, STRATA_F64};
      STRATA_TRY(sort_ids(ctx, t, &order));
    }
    STRATA_TRY(join_values(ctx, t, order));
  }
cleanup:
  free(order);
  strata_clv_rfm_free(rfm);
  strata_txn_blocks_release(&tb);
  strata_h5_close(f);
  strata_transactions_release(&txn);
  if (st != STRATA_OK) strata_feature_table_release(t);
  return st;
}

const char *strata_feature_table_name(const strata_feature_table *t, int64_t j) {
  return j < t->d_accounts ? t->account_names[j] : strata_value_column_names[j - t->d_accounts];
}

int64_t strata_feature_table_find(const strata_feature_table *t, const char *name, size_t len) {
  int64_t total = t->d_accounts + (t->values ? STRATA_VALUE_COLUMNS : 0);
  for (int64_t j = 0; j < total; j++) {
    const char *c = strata_feature_table_name(t, j);
    if (strlen(c) == len && strncmp(c, name, len) == 0) return j;
  }
  return -1;
}

strata_status strata_feature_table_columns(strata_ctx *ctx, const strata_feature_table *t,
                                           const int64_t *columns, int64_t d, double **out) {
  strata_status st = STRATA_OK;
  double *x = NULL;
  const int64_t n = t->n, da = t->d_accounts;
  STRATA_TRY(strata_alloc(ctx, (size_t)(n * d), sizeof(double), "feature matrix", (void **)&x));
  for (int64_t i = 0; i < n; i++)
    for (int64_t q = 0; q < d; q++) {
      int64_t j = columns[q];
      x[i * d + q] =
          j < da ? account_value(t, i, j) : t->values[i * STRATA_VALUE_COLUMNS + (j - da)];
    }
  *out = x;
cleanup:
  return st;
}
