/* One call from transactions to CLV scores, and the model's HDF5 form; see run.h. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clv/run.h"
#include "core/core.h"

void strata_clv_run_params_init(strata_clv_run_params *p) {
  if (p == NULL) return;
  memset(p, 0, sizeof *p);
  p->model = STRATA_CLV_BGNBD;
  p->spend = 1;
  p->unit_days = 7.0;
  strata_clv_rfm_params_init(&p->rfm);
  strata_clv_fit_params_init(&p->fit);
  strata_clv_score_params_init(&p->score);
  p->score.horizon = 52.0;
  p->score.clv_periods = 12;
  p->score.clv_period_length = 4.345;
  p->score.discount_rate = 0.01;
}

void strata_clv_result_free(strata_clv_result *r) {
  if (r == NULL) return;
  strata_clv_rfm_free(r->rfm);
  strata_free(r->p_alive);
  strata_free(r->expected_purchases);
  strata_free(r->expected_spend);
  strata_free(r->clv);
  free(r);
}

strata_status strata_clv_run(strata_ctx *ctx, const int64_t *id, const int32_t *day,
                             const double *amount, int64_t m, const strata_clv_run_params *params,
                             const strata_clv_result *fitted, strata_clv_result **out) {
  strata_status st = STRATA_OK;
  strata_clv_rfm *rfm = NULL;
  STRATA_FAIL_IF(params == NULL || out == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_clv_run: params and out are required");
  *out = NULL;
  STRATA_FAIL_IF(!(params->unit_days > 0.0), ctx, STRATA_ERR_USAGE,
                 "time unit must be a positive number of days, got %g", params->unit_days);
  strata_clv_rfm_params rp = params->rfm;
  rp.freq_multiplier = fitted ? fitted->unit_days : params->unit_days;
  STRATA_TRY(strata_clv_rfm_compute(ctx, id, day, amount, m, &rp, &rfm));
  st = strata_clv_run_rfm(ctx, rfm, params, fitted, out);
  rfm = NULL; /* owned by the result, or freed, whatever the outcome */
cleanup:
  strata_clv_rfm_free(rfm);
  return st;
}

strata_status strata_clv_run_rfm(strata_ctx *ctx, strata_clv_rfm *rfm,
                                 const strata_clv_run_params *params,
                                 const strata_clv_result *fitted, strata_clv_result **out) {
  strata_status st = STRATA_OK;
  strata_clv_result *r = NULL;
  strata_clv_suffstats *ss = NULL;
  double *spend_weight = NULL;
  STRATA_FAIL_IF(rfm == NULL || params == NULL || out == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_clv_run_rfm: rfm, params and out are required");
  *out = NULL;
  r = calloc(1, sizeof *r);
  STRATA_FAIL_IF(r == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for CLV results");
  r->unit_days = fitted ? fitted->unit_days : params->unit_days;
  r->rfm = rfm;
  rfm = NULL;
  const strata_clv_rfm *f = r->rfm;
  const int have_amount = f->monetary != NULL;
  if (fitted) {
    r->counts = fitted->counts;
    r->spend = fitted->spend;
    r->has_spend = fitted->has_spend && have_amount;
  } else {
    STRATA_TRY(strata_clv_suffstats_build(ctx, f->x, f->t_x, f->T, NULL, f->n, &ss));
    double t0 = strata_now();
    STRATA_TRY(strata_clv_fit_counts(ctx, params->model, ss, &params->fit, &r->counts));
    strata_phase_add(ctx, "fit purchases", strata_now() - t0);
    if (params->spend && have_amount) {
      t0 = strata_now();
      /* Real logs hold repeat purchases of amount 0 (free items, vouchers); Gamma-Gamma has no
       * density at 0, so by default those customers sit out of the fit, weight 0, and are
       * scored at the population's mean spend. */
      int64_t zero = 0;
      for (int64_t i = 0; i < f->n; i++) {
        if (!(f->x[i] > 0.0 && f->monetary[i] == 0.0)) continue;
        STRATA_FAIL_IF(params->zero_spend_error, ctx, STRATA_ERR_DATA,
                       "Gamma-Gamma: customer %lld has %g repeat purchases of total amount 0; "
                       "the spend model needs positive amounts (by default such customers are "
                       "left out of the fit and get the population's expected spend)",
                       (long long)f->id[i], f->x[i]);
        zero++;
      }
      if (zero > 0) {
        STRATA_TRY(strata_alloc(ctx, (size_t)f->n, sizeof(double), "spend weights",
                                (void **)&spend_weight));
        for (int64_t i = 0; i < f->n; i++)
          spend_weight[i] = f->x[i] > 0.0 && f->monetary[i] == 0.0 ? 0.0 : 1.0;
      }
      r->zero_spend_customers = zero;
      STRATA_TRY(strata_clv_fit_spend(ctx, f->x, f->monetary, spend_weight, f->n, &params->fit,
                                      &r->spend));
      strata_phase_add(ctx, "fit spend", strata_now() - t0);
      r->has_spend = 1;
    }
  }
  STRATA_TRY(strata_alloc(ctx, (size_t)f->n, sizeof(double), "P(alive)", (void **)&r->p_alive));
  STRATA_TRY(strata_alloc(ctx, (size_t)f->n, sizeof(double), "expected purchases",
                          (void **)&r->expected_purchases));
  if (r->has_spend) {
    STRATA_TRY(strata_alloc(ctx, (size_t)f->n, sizeof(double), "expected spend",
                            (void **)&r->expected_spend));
    STRATA_TRY(strata_alloc(ctx, (size_t)f->n, sizeof(double), "CLV", (void **)&r->clv));
  }
  strata_clv_scores scores = {r->p_alive, r->expected_purchases, r->expected_spend, r->clv};
  STRATA_TRY(strata_clv_score(ctx, &r->counts, r->has_spend ? &r->spend : NULL, f->x, f->t_x, f->T,
                              r->has_spend ? f->monetary : NULL, f->n, &params->score, &scores));
  *out = r;
  r = NULL;
cleanup:
  strata_free(spend_weight);
  strata_clv_rfm_free(rfm);
  strata_clv_suffstats_free(ss);
  strata_clv_result_free(r);
  return st;
}

static strata_status write_fit(strata_ctx *ctx, strata_h5_writer *w, const char *group,
                               const char *prefix, const strata_clv_fit *fit) {
  strata_status st = STRATA_OK;
  char name[64], names[128] = "";
  for (int i = 0; i < fit->n_params; i++) {
    size_t used = strlen(names);
    snprintf(names + used, sizeof names - used, "%s%s", i ? "," : "",
             strata_clv_param_name(fit->model, i));
  }
#define ATTR(suffix) (snprintf(name, sizeof name, "%s%s", prefix, suffix), name)
  STRATA_TRY(
      strata_h5_write_attr_string(ctx, w, group, ATTR("model"), strata_clv_model_name(fit->model)));
  STRATA_TRY(strata_h5_write_attr_string(ctx, w, group, ATTR("param_names"), names));
  STRATA_TRY(
      strata_h5_write_attr_double(ctx, w, group, ATTR("params"), fit->params, fit->n_params));
  STRATA_TRY(strata_h5_write_attr_double(ctx, w, group, ATTR("se"), fit->se, fit->n_params));
  STRATA_TRY(strata_h5_write_attr_double(ctx, w, group, ATTR("loglik"), &fit->loglik, 1));
  STRATA_TRY(strata_h5_write_attr_double(ctx, w, group, ATTR("n_obs"), &fit->n_obs, 1));
  int64_t evals = fit->evaluations;
  STRATA_TRY(strata_h5_write_attr_int64(ctx, w, group, ATTR("evaluations"), &evals, 1));
  STRATA_TRY(strata_h5_write_attr_string(ctx, w, group, ATTR("optimizer"),
                                         fit->optimizer ? fit->optimizer : "given"));
#undef ATTR
cleanup:
  return st;
}

strata_status strata_clv_model_write(strata_ctx *ctx, strata_h5_writer *w, const char *group,
                                     const strata_clv_result *r) {
  strata_status st = STRATA_OK;
  STRATA_TRY(strata_h5_create_group(ctx, w, group));
  STRATA_TRY(write_fit(ctx, w, group, "", &r->counts));
  if (r->has_spend) STRATA_TRY(write_fit(ctx, w, group, "spend_", &r->spend));
  STRATA_TRY(strata_h5_write_attr_double(ctx, w, group, "unit_days", &r->unit_days, 1));
  STRATA_TRY(strata_h5_write_attr_string(ctx, w, group, "time_unit",
                                         r->unit_days == 7.0   ? "week"
                                         : r->unit_days == 1.0 ? "day"
                                                               : "days"));
  if (r->rfm) {
    int64_t end = r->rfm->calibration_end;
    STRATA_TRY(strata_h5_write_attr_int64(ctx, w, group, "calibration_end_day", &end, 1));
  }
cleanup:
  return st;
}

static strata_status read_fit(strata_ctx *ctx, strata_h5_file *f, const char *group,
                              const char *prefix, strata_clv_fit *fit) {
  strata_status st = STRATA_OK;
  char name[64], model[64];
  memset(fit, 0, sizeof *fit);
  snprintf(name, sizeof name, "%smodel", prefix);
  STRATA_TRY(strata_h5_read_attr_string(ctx, f, group, name, model, sizeof model));
  STRATA_TRY(strata_clv_model_parse(ctx, model, &fit->model));
  snprintf(name, sizeof name, "%sparams", prefix);
  int64_t count = 0;
  STRATA_TRY(
      strata_h5_read_attr_doubles(ctx, f, group, name, fit->params, STRATA_CLV_MAX_PARAMS, &count));
  fit->n_params = strata_clv_model_nparams(fit->model);
  STRATA_FAIL_IF(count != fit->n_params, ctx, STRATA_ERR_DATA,
                 "%s: %s@%s has %lld values, model %s needs %d", strata_h5_path(f), group, name,
                 (long long)count, model, fit->n_params);
  for (int i = 0; i < fit->n_params; i++)
    STRATA_FAIL_IF(!(fit->params[i] > 0.0) || !isfinite(fit->params[i]), ctx, STRATA_ERR_DATA,
                   "%s: %s@%s[%d] = %g is not a valid parameter", strata_h5_path(f), group, name, i,
                   fit->params[i]);
  for (int i = 0; i < STRATA_CLV_MAX_PARAMS; i++) fit->se[i] = NAN;
  fit->loglik = NAN; /* not refitted: no likelihood on these data */
  fit->optimizer = "read from file";
cleanup:
  return st;
}

strata_status strata_clv_model_read(strata_ctx *ctx, strata_h5_file *f, const char *group,
                                    strata_clv_result *r) {
  strata_status st = STRATA_OK;
  STRATA_TRY(read_fit(ctx, f, group, "", &r->counts));
  STRATA_FAIL_IF(r->counts.model == STRATA_CLV_GAMMA_GAMMA, ctx, STRATA_ERR_DATA,
                 "%s: %s@model is a spend model, expected a purchase model", strata_h5_path(f),
                 group);
  char model[64];
  r->has_spend =
      strata_h5_read_attr_string(ctx, f, group, "spend_model", model, sizeof model) == STRATA_OK;
  strata_ctx_clear_error(ctx);
  if (r->has_spend) STRATA_TRY(read_fit(ctx, f, group, "spend_", &r->spend));
  STRATA_TRY(strata_h5_read_attr_double(ctx, f, group, "unit_days", &r->unit_days));
  STRATA_FAIL_IF(!(r->unit_days > 0.0), ctx, STRATA_ERR_DATA, "%s: %s@unit_days must be > 0",
                 strata_h5_path(f), group);
cleanup:
  return st;
}

strata_status strata_clv_result_write(strata_ctx *ctx, strata_h5_writer *w,
                                      const strata_clv_result *r) {
  strata_status st = STRATA_OK;
  const strata_clv_rfm *f = r->rfm;
  int64_t dims[1] = {f->n};
  STRATA_TRY(strata_h5_write(ctx, w, "/rfm/customer_id", STRATA_I64, 1, dims, f->id));
  STRATA_TRY(strata_h5_write(ctx, w, "/rfm/x", STRATA_F64, 1, dims, f->x));
  STRATA_TRY(strata_h5_write(ctx, w, "/rfm/t_x", STRATA_F64, 1, dims, f->t_x));
  STRATA_TRY(strata_h5_write(ctx, w, "/rfm/T", STRATA_F64, 1, dims, f->T));
  if (f->monetary)
    STRATA_TRY(strata_h5_write(ctx, w, "/rfm/monetary", STRATA_F64, 1, dims, f->monetary));
  if (f->x_holdout) {
    STRATA_TRY(strata_h5_write(ctx, w, "/rfm/x_holdout", STRATA_F64, 1, dims, f->x_holdout));
    STRATA_TRY(
        strata_h5_write_attr_double(ctx, w, "/rfm", "duration_holdout", &f->duration_holdout, 1));
  }
  int64_t end = f->calibration_end;
  STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/rfm", "calibration_end_day", &end, 1));
  STRATA_TRY(strata_h5_write_attr_double(ctx, w, "/rfm", "unit_days", &r->unit_days, 1));
  if (r->p_alive) {
    STRATA_TRY(strata_h5_write(ctx, w, "/clv/customer_id", STRATA_I64, 1, dims, f->id));
    STRATA_TRY(strata_h5_write(ctx, w, "/clv/p_alive", STRATA_F64, 1, dims, r->p_alive));
    STRATA_TRY(strata_h5_write(ctx, w, "/clv/expected_purchases", STRATA_F64, 1, dims,
                               r->expected_purchases));
    if (r->expected_spend) {
      STRATA_TRY(
          strata_h5_write(ctx, w, "/clv/expected_spend", STRATA_F64, 1, dims, r->expected_spend));
      STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/clv", "zero_spend_customers",
                                            &r->zero_spend_customers, 1));
      STRATA_TRY(strata_h5_write_attr_string(
          ctx, w, "/clv", "zero_spend_policy",
          "customers whose repeat purchases total 0 are left out of the Gamma-Gamma fit and "
          "get the population's expected spend"));
      STRATA_TRY(strata_h5_write(ctx, w, "/clv/clv", STRATA_F64, 1, dims, r->clv));
    }
  }
cleanup:
  return st;
}

strata_status strata_transactions_read(strata_ctx *ctx, strata_h5_file *f, strata_transactions *t) {
  strata_status st = STRATA_OK;
  strata_h5_dataset *ds = NULL;
  memset(t, 0, sizeof *t);
  STRATA_TRY(
      strata_h5_dataset_open(ctx, f, "/transactions/customer_id", 1, STRATA_TYPES_INT, 0, &ds));
  t->m = strata_h5_dataset_info(ds)->dims[0];
  STRATA_TRY(strata_h5_read_vector(ctx, f, "/transactions/customer_id", STRATA_TYPES_INT, t->m,
                                   STRATA_I64, (void **)&t->id));
  STRATA_TRY(strata_h5_read_vector(ctx, f, "/transactions/day", STRATA_TYPES_INT, t->m, STRATA_I32,
                                   (void **)&t->day));
  STRATA_TRY(strata_h5_read_vector(ctx, f, "/transactions/amount", STRATA_TYPES_ANY, t->m,
                                   STRATA_F64, (void **)&t->amount));
  STRATA_TRY(strata_transactions_check_amounts(ctx, strata_h5_path(f), 0, t->id, t->amount, t->m));
cleanup:
  strata_h5_dataset_close(ds);
  if (st != STRATA_OK) strata_transactions_release(t);
  return st;
}

void strata_transactions_release(strata_transactions *t) {
  if (t == NULL) return;
  strata_buffer_free(t->id);
  strata_buffer_free(t->day);
  strata_buffer_free(t->amount);
  memset(t, 0, sizeof *t);
}

strata_status strata_transactions_check_amounts(strata_ctx *ctx, const char *path,
                                                int64_t first_row, const int64_t *id,
                                                const double *amount, int64_t m) {
  strata_status st = STRATA_OK;
  for (int64_t i = 0; i < m; i++)
    STRATA_FAIL_IF(!(amount[i] >= 0.0 && amount[i] <= DBL_MAX), ctx, STRATA_ERR_DATA,
                   "%s: /transactions/amount row %lld (customer %lld) is %g: %s", path,
                   (long long)(first_row + i), (long long)id[i], amount[i],
                   amount[i] < 0.0 ? "negative (refunds must be netted out before the RFM summary)"
                                   : "not a finite number");
cleanup:
  return st;
}
