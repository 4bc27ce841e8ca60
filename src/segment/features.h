/*
 * The feature table of the segmentation: every candidate column of an input file, by name,
 * in original units — the account features of /accounts/features (named by
 * /accounts/feature_names; nominal columns, listed by the "categorical" attribute, hold level
 * codes whose names are in /accounts/levels/<column>) and, when /transactions is there, the
 * RFM and CLV values of each account. A transaction log alone is enough: without
 * /accounts/features the accounts are the log's customers and the value columns are the
 * only features. `strata segment` picks its features from the table; `strata score` rebuilds
 * the same columns on new data.
 */
#ifndef STRATA_SEGMENT_FEATURES_H
#define STRATA_SEGMENT_FEATURES_H

#include <stdint.h>

#include "clv/run.h"

typedef struct strata_feature_table {
  int64_t n;              /* accounts */
  int64_t *account_id;    /* n; 0..n-1 when the file has no /accounts/id */
  int64_t d_accounts;     /* account feature columns (0 for a transaction log alone) */
  char **account_names;   /* d_accounts names (one allocation) */
  strata_matrix accounts; /* n x d_accounts as stored */
  char categorical[1024]; /* the file's "categorical" attribute of /accounts/features, or "" */
  /* Level names of nominal column j from /accounts/levels/<name> (level_names[j][v] names
   * code v), NULL where the file has none. */
  char ***level_names;
  int64_t *level_name_count;
  int from_log;           /* 1: no /accounts, the accounts are the log's customers */
  strata_clv_result *clv; /* NULL without CLV */
  double *values;         /* n x STRATA_VALUE_COLUMNS joined on the id, NULL without CLV */
  int64_t accounts_without_transactions, customers_without_account;
  const char *transactions;    /* "streamed" (chunks of customers), "whole" or "none" */
  char transactions_note[256]; /* why not streamed, for people ("" otherwise) */
} strata_feature_table;

/* The value columns. "recency" is what marketers read (days from the last purchase to the
 * as-of date, the calibration end); the BTYD models' recency (first to last purchase, in
 * the CLV time unit) is "btyd_recency". frequency is the BTYD count of repeat purchase
 * periods, transactions the rows of the log, monetary the mean repeat spend (Gamma-Gamma's
 * input), revenue the total spent, revenue_prev / revenue_curr the spend of the two growth
 * windows before the as-of date, spend_per_purchase revenue over transactions (first purchase
 * included, unlike monetary). has_transactions is 1 for an account found in the log. */
#define STRATA_VALUE_COLUMNS 15
extern const char *const strata_value_column_names[STRATA_VALUE_COLUMNS];
/* Value columns in the default feature set. */
extern const int strata_value_column_default[STRATA_VALUE_COLUMNS];
enum {
  STRATA_V_FREQUENCY,
  STRATA_V_RECENCY,
  STRATA_V_TENURE,
  STRATA_V_MONETARY,
  STRATA_V_P_ALIVE,
  STRATA_V_EXPECTED,
  STRATA_V_CLV,
  STRATA_V_BTYD_RECENCY,
  STRATA_V_TRANSACTIONS,
  STRATA_V_REVENUE,
  STRATA_V_REVENUE_PREV,
  STRATA_V_REVENUE_CURR,
  STRATA_V_EXPECTED_SPEND,
  STRATA_V_HAS_TRANSACTIONS,
  STRATA_V_SPEND_PER_PURCHASE
};
/* The per-account values every result file carries beside the labels (in the order of
 * /segments/account_id): the dataset and the value column it holds. */
typedef struct strata_account_value_output {
  const char *dataset;
  int column;
} strata_account_value_output;
#define STRATA_ACCOUNT_VALUE_OUTPUTS 4
extern const strata_account_value_output
    strata_account_value_outputs[STRATA_ACCOUNT_VALUE_OUTPUTS];

/* Growth windows of the value columns: a year each. */
#define STRATA_GROWTH_DAYS 365

/* Value column v (STRATA_V_*) of customer c of a CLV result. */
double strata_clv_value(const strata_clv_result *r, int64_t c, int v);

/* Reads `in`. With use_clv and /transactions present, computes the value columns: with
 * `fitted` its CLV models are applied as they are (scoring), otherwise they are fitted with
 * `clv` (training). Accounts without transactions get zeros; duplicate account ids fail.
 * When /transactions is sorted by customer, the RFM summary is made chunk by chunk of
 * customers while the next chunk is read (segment/txn_blocks.h): the same numbers, without
 * holding the whole log in memory; otherwise the log is read whole and t->transactions_note
 * says why. */
strata_status strata_feature_table_read(strata_ctx *ctx, const char *in, int use_clv,
                                        const strata_clv_run_params *clv,
                                        const strata_clv_result *fitted, strata_feature_table *t);
void strata_feature_table_release(strata_feature_table *t);

/* Level codes of nominal account column j: its distinct values, ascending, numbered from 0
 * (codes[i * ld] for row i), their values (*values, caller frees with strata_free) and count.
 * Values must be integers >= 0 (codes of a producer); anything else fails naming the row. */
strata_status strata_feature_table_codes(strata_ctx *ctx, const strata_feature_table *t,
                                         int64_t j, int32_t *codes, int64_t ld, double **values,
                                         int64_t *count);
/* Readable name of value v of nominal account column j (its level name when the file has
 * one, else the number), into buf. */
void strata_feature_table_level_name(const strata_feature_table *t, int64_t j, double v, char *buf,
                                     size_t len);
/* 1 when account column j is nominal by the comma-separated list (or, when list is NULL, by
 * the file's "categorical" attribute). */
int strata_feature_table_is_nominal(const strata_feature_table *t, const char *list, int64_t j);

/* Column index of `name` (account columns first, then value columns), or -1. */
int64_t strata_feature_table_find(const strata_feature_table *t, const char *name, size_t len);
/* n x d matrix of the given columns, row-major doubles (caller frees with strata_free). */
strata_status strata_feature_table_columns(strata_ctx *ctx, const strata_feature_table *t,
                                           const int64_t *columns, int64_t d, double **out);
/* Name of column j. */
const char *strata_feature_table_name(const strata_feature_table *t, int64_t j);

#endif
