/*
 * The whole CLV computation of `strata clv` and of the segmentation pipeline in one call:
 * RFM summary -> compressed statistics -> purchase-model fit -> Gamma-Gamma fit -> scores,
 * and the model's HDF5 form (attributes of /clv) so that `strata clv score` and `strata
 * score` can apply a saved model to new transactions.
 */
#ifndef STRATA_CLV_RUN_H
#define STRATA_CLV_RUN_H

#include "clv/clv.h"

typedef struct strata_clv_run_params {
  strata_clv_model model;    /* purchase model, default BG/NBD */
  int spend;                 /* 1 (default): fit Gamma-Gamma and score spend and CLV */
  int zero_spend_error;      /* 0 (default): customers whose repeat purchases total 0 are left
                                out of the Gamma-Gamma fit and get the population's expected
                                spend; 1: they fail the fit */
  double unit_days;          /* time unit in days: 1 (day) or 7 (week, default) */
  strata_clv_rfm_params rfm; /* freq_multiplier is set from unit_days */
  strata_clv_fit_params fit;
  strata_clv_score_params score;
} strata_clv_run_params;

/* Defaults: BG/NBD + Gamma-Gamma in weeks, 12 months (4.345 weeks each) of CLV at 1% per
 * month, expected purchases over 52 weeks. */
void strata_clv_run_params_init(strata_clv_run_params *p);

typedef struct strata_clv_result {
  strata_clv_rfm *rfm; /* per customer, ascending id */
  strata_clv_fit counts;
  strata_clv_fit spend;
  int has_spend;
  int64_t zero_spend_customers; /* left out of the spend fit (zero_spend_error = 0) */
  double unit_days;
  /* n = rfm->n scores, owned (NULL when not scored) */
  double *p_alive, *expected_purchases, *expected_spend, *clv;
} strata_clv_result;

void strata_clv_result_free(strata_clv_result *r);

/* Summarises m transactions, fits the models (unless `fitted` is given: then its models are
 * applied as they are, e.g. read back with strata_clv_model_read) and scores every
 * customer. */
strata_status strata_clv_run(strata_ctx *ctx, const int64_t *id, const int32_t *day,
                             const double *amount, int64_t m, const strata_clv_run_params *params,
                             const strata_clv_result *fitted, strata_clv_result **out);

/* The same from an RFM summary already made (e.g. assembled block by block with a fixed
 * calibration_end and freq_multiplier = the time unit in days): takes ownership of `rfm`
 * (stored in the result, or freed on failure). */
strata_status strata_clv_run_rfm(strata_ctx *ctx, strata_clv_rfm *rfm,
                                 const strata_clv_run_params *params,
                                 const strata_clv_result *fitted, strata_clv_result **out);

/* Writes the fitted models as attributes of `group` (created with the datasets, or an
 * existing group): model, params, se, loglik, n_obs, optimizer, unit_days, calibration_end,
 * and the spend model likewise with a spend_ prefix. */
strata_status strata_clv_model_write(strata_ctx *ctx, strata_h5_writer *w, const char *group,
                                     const strata_clv_result *r);
/* Reads what strata_clv_model_write wrote into r->counts, r->spend, r->has_spend and
 * r->unit_days (other fields untouched). */
strata_status strata_clv_model_read(strata_ctx *ctx, strata_h5_file *f, const char *group,
                                    strata_clv_result *r);
/* Writes /rfm/{customer_id, x, t_x, T, monetary[, x_holdout]} and, when scored,
 * /clv/{customer_id, p_alive, expected_purchases, expected_spend, clv}. */
strata_status strata_clv_result_write(strata_ctx *ctx, strata_h5_writer *w,
                                      const strata_clv_result *r);

/* Transactions of a file: /transactions/{customer_id, day, amount}, read whole. */
typedef struct strata_transactions {
  int64_t m;
  int64_t *id;
  int32_t *day;
  double *amount;
} strata_transactions;

/* Reads the three columns (integer ids and days of any width, amounts of any numeric type);
 * a missing or mis-shaped column fails naming it. Release with strata_transactions_release. */
strata_status strata_transactions_read(strata_ctx *ctx, strata_h5_file *f, strata_transactions *t);
/* Fails at the first amount that is negative or not finite, naming the file, the dataset
 * /transactions/amount, the row (first_row + i) and the customer: the RFM summary would
 * reject it later without knowing where it came from. */
strata_status strata_transactions_check_amounts(strata_ctx *ctx, const char *path,
                                                int64_t first_row, const int64_t *id,
                                                const double *amount, int64_t m);
void strata_transactions_release(strata_transactions *t);

#endif
