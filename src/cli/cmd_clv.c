/* `strata clv fit` and `strata clv score`: CLV models on transaction logs (src/clv). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "clv/run.h"
#include "io/dates.h"

typedef struct clv_flags {
  const char *in, *out, *model, *spend, *calibration_end, *time_unit;
  int64_t holdout_days, clv_months;
  double penalizer, horizon, discount;
} clv_flags;

static strata_status read_transactions(strata_ctx *ctx, const char *path, strata_transactions *t) {
  strata_h5_file *f = NULL;
  double t0 = strata_now_seconds();
  strata_status st = strata_h5_open(ctx, path, &f);
  if (st == STRATA_OK) st = strata_transactions_read(ctx, f, t);
  strata_h5_close(f);
  strata_ctx_add_phase(ctx, "read", strata_now_seconds() - t0);
  return st;
}

/* Flags shared by fit and score into run parameters; returns an exit code. */
static int apply_flags(cli_run *run, const clv_flags *fl, strata_clv_run_params *p) {
  if (fl->model) {
    if (strata_clv_model_parse(run->ctx, fl->model, &p->model) != STRATA_OK ||
        p->model == STRATA_CLV_GAMMA_GAMMA)
      return cli_usage_error(run, "--model must be bgnbd, mbgnbd or paretonbd, got '%s'",
                             fl->model);
  }
  static const char *const spend_names[] = {"none", "gamma-gamma"};
  static const char *const unit_names[] = {"week", "day"};
  int choice = 0, rc;
  if (fl->spend) {
    if ((rc = cli_parse_choice(run, "spend", fl->spend, spend_names, 2, &choice)) != CLI_EXIT_OK)
      return rc;
    p->spend = choice;
  }
  if ((rc = cli_parse_choice(run, "time-unit", fl->time_unit, unit_names, 2, &choice)) !=
      CLI_EXIT_OK)
    return rc;
  p->unit_days = choice == 0 ? 7.0 : 1.0;
  p->score.clv_period_length = choice == 0 ? 4.345 : 30.0; /* a month, as lifetimes */
  if (fl->calibration_end) {
    int32_t day;
    if (!strata_parse_date(fl->calibration_end, strlen(fl->calibration_end), &day))
      return cli_usage_error(run, "--calibration-end expects a date YYYY-MM-DD, got '%s'",
                             fl->calibration_end);
    p->rfm.calibration_end = day;
  }
  if (fl->holdout_days > 0 && !fl->calibration_end)
    return cli_usage_error(run, "--holdout-days needs --calibration-end");
  p->rfm.holdout_days = (int32_t)fl->holdout_days;
  p->fit.penalizer = fl->penalizer;
  p->score.horizon = fl->horizon;
  p->score.clv_periods = (int)fl->clv_months;
  p->score.discount_rate = fl->discount;
  return CLI_EXIT_OK;
}

static void report(cli_run *run, const strata_clv_result *r, const char *out) {
  const strata_clv_rfm *f = r->rfm;
  double sum_pa = 0, sum_ep = 0, sum_clv = 0;
  for (int64_t i = 0; i < f->n; i++) {
    sum_pa += r->p_alive[i];
    sum_ep += r->expected_purchases[i];
    if (r->clv) sum_clv += r->clv[i];
  }
  const strata_clv_fit *fits[2] = {&r->counts, r->has_spend ? &r->spend : NULL};
  cJSON *models = cJSON_AddArrayToObject(run->result, "models");
  for (int m = 0; m < 2; m++) {
    if (!fits[m]) continue;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model", strata_clv_model_name(fits[m]->model));
    cJSON *params = cJSON_AddObjectToObject(o, "params");
    cJSON *se = cJSON_AddObjectToObject(o, "se");
    for (int i = 0; i < fits[m]->n_params; i++) {
      cJSON_AddNumberToObject(params, strata_clv_param_name(fits[m]->model, i), fits[m]->params[i]);
      if (isfinite(fits[m]->se[i]))
        cJSON_AddNumberToObject(se, strata_clv_param_name(fits[m]->model, i), fits[m]->se[i]);
    }
    if (isfinite(fits[m]->loglik)) cJSON_AddNumberToObject(o, "loglik", fits[m]->loglik);
    if (fits[m]->evaluations > 0) cJSON_AddNumberToObject(o, "evaluations", fits[m]->evaluations);
    cJSON_AddItemToArray(models, o);
  }
  cJSON_AddNumberToObject(run->result, "customers", (double)f->n);
  cJSON_AddNumberToObject(run->result, "transactions_used", (double)f->rows_used);
  cJSON_AddNumberToObject(run->result, "mean_p_alive", f->n ? sum_pa / (double)f->n : 0);
  cJSON_AddNumberToObject(run->result, "total_expected_purchases", sum_ep);
  if (r->clv) cJSON_AddNumberToObject(run->result, "total_clv", sum_clv);
  cJSON_AddStringToObject(run->result, "out", out);
  FILE *text = cli_text(run);
  if (!text) return;
  for (int m = 0; m < 2; m++) {
    if (!fits[m]) continue;
    fprintf(text, "%-11s", strata_clv_model_name(fits[m]->model));
    for (int i = 0; i < fits[m]->n_params; i++)
      fprintf(text, " %s = %.6g", strata_clv_param_name(fits[m]->model, i), fits[m]->params[i]);
    if (isfinite(fits[m]->loglik) && fits[m]->n_obs > 0)
      fprintf(text, "   log-likelihood %.3f (%g customers)", fits[m]->loglik, fits[m]->n_obs);
    fprintf(text, "\n");
  }
  fprintf(text, "%lld customers: mean P(alive) %.3f, %.0f purchases expected", (long long)f->n,
          f->n ? sum_pa / (double)f->n : 0.0, sum_ep);
  if (r->clv) fprintf(text, ", total CLV %.2f", sum_clv);
  fprintf(text, "\nwrote %s\n", out);
}

static int run_clv(int fit_mode, int argc, char **argv, int argc_all, char **argv_all) {
  clv_flags fl = {NULL, NULL, NULL, NULL, NULL, "week", 0, 12, 0.0, 52.0, 0.01};
  cli_option fit_options[] = {
      {"in", 'i', CLI_STRING, &fl.in, "FILE", "HDF5 file with /transactions", 1, 0, 0, 0},
      {"out", 'o', CLI_STRING, &fl.out, "FILE", "output HDF5 file", 1, 0, 0, 0},
      {"model", 'm', CLI_STRING, &fl.model, fit_mode ? "NAME" : "FILE",
       fit_mode ? "bgnbd (default), mbgnbd or paretonbd"
                : "output of `strata clv fit` or of `strata segment` (its /model/clv)",
       !fit_mode,
       0, 0, 0},
      {"spend", 0, CLI_STRING, &fl.spend, "MODEL", "gamma-gamma (default) or none", 0, 0, 0, 0},
      {"calibration-end", 0, CLI_STRING, &fl.calibration_end, "DATE",
       "last day of the calibration period, YYYY-MM-DD (default: last transaction)", 0, 0, 0, 0},
      {"holdout-days", 0, CLI_INT, &fl.holdout_days, "N",
       "days after the calibration end counted as holdout purchases", 0, 0, 1e6, 0},
      {"time-unit", 0, CLI_STRING, &fl.time_unit, "UNIT", "week (default) or day", 0, 0, 0, 0},
      {"penalizer", 0, CLI_DOUBLE, &fl.penalizer, "C", "L2 penalty as lifetimes (default 0)", 0, 0,
       1e6, 0},
      {"horizon", 0, CLI_DOUBLE, &fl.horizon, "H",
       "expected purchases over the next H time units (default 52)", 0, 0, 1e6, 0},
      {"clv-months", 0, CLI_INT, &fl.clv_months, "M", "months of discounted CLV (default 12)", 0, 0,
       1200, 0},
      {"discount", 0, CLI_DOUBLE, &fl.discount, "R", "monthly discount rate (default 0.01)", 0, 0,
       10, 0},
  };
  size_t n_options = sizeof fit_options / sizeof fit_options[0];
  cli_command cmd = {
      fit_mode ? "clv fit" : "clv score",
      fit_mode ? "Fit a CLV model (BG/NBD, MBG/NBD or Pareto/NBD, with Gamma-Gamma spend) to "
                 "transactions and score every customer."
               : "Score the customers of a transaction log with a saved CLV model.",
      fit_mode ? "clv fit --in FILE --model bgnbd|mbgnbd|paretonbd --out FILE [options]"
               : "clv score --model FILE --in FILE --out FILE [options]",
      "Writes /rfm/{customer_id, x, t_x, T, monetary} and /clv/{customer_id, p_alive,\n"
      "expected_purchases, expected_spend, clv}; model parameters, standard errors and the\n"
      "log-likelihood are attributes of /clv. Same-day transactions count as one purchase.",
      fit_options,
      n_options,
      1,
      NULL,
      0};
  cli_run run;
  strata_transactions t = {0};
  strata_clv_result *r = NULL, fitted;
  memset(&fitted, 0, sizeof fitted);
  strata_h5_writer *w = NULL;
  strata_status st = STRATA_OK;
  int rc;
  if (!cli_start(&run, &cmd, argc, argv, argc_all, argv_all, &rc)) goto done;
  strata_clv_run_params p;
  strata_clv_run_params_init(&p);
  const char *model_file = fit_mode ? NULL : fl.model;
  if (!fit_mode) fl.model = NULL;
  if ((rc = apply_flags(&run, &fl, &p)) != CLI_EXIT_OK) goto done;
  if ((rc = cli_check_distinct(&run, fl.in, fl.out)) != CLI_EXIT_OK) goto done;
  if (model_file && (rc = cli_check_distinct(&run, model_file, fl.out)) != CLI_EXIT_OK) goto done;
  if (model_file) {
    strata_h5_file *mf = NULL;
    /* A `strata segment` output keeps its CLV models under /model/clv, a `clv fit` one
     * under /clv: either serves. */
    if ((st = strata_h5_open(run.ctx, model_file, &mf)) == STRATA_OK)
      st = strata_clv_model_read(run.ctx, mf,
                                 strata_h5_exists(mf, "/model/clv") ? "/model/clv" : "/clv", &fitted);
    strata_h5_close(mf);
    if (st != STRATA_OK) goto failed;
  }
  if ((st = strata_h5_writer_create(run.ctx, fl.out, run.common.force, &w)) != STRATA_OK ||
      (st = read_transactions(run.ctx, fl.in, &t)) != STRATA_OK ||
      (st = strata_clv_run(run.ctx, t.id, t.day, t.amount, t.m, &p, model_file ? &fitted : NULL,
                           &r)) != STRATA_OK)
    goto failed;
  double t0 = strata_now_seconds();
  if ((st = strata_clv_result_write(run.ctx, w, r)) != STRATA_OK ||
      (st = strata_clv_model_write(run.ctx, w, "/clv", r)) != STRATA_OK ||
      (st = strata_h5_write_attr_double(run.ctx, w, "/clv", "horizon", &p.score.horizon, 1)) !=
          STRATA_OK ||
      (st = strata_h5_write_attr_double(run.ctx, w, "/clv", "discount_rate", &p.score.discount_rate,
                                        1)) != STRATA_OK ||
      (st = strata_h5_write_provenance(run.ctx, w, run.command_line, t.m, 3)) != STRATA_OK)
    goto failed;
  st = strata_h5_writer_commit(run.ctx, w);
  w = NULL;
  if (st != STRATA_OK) goto failed;
  strata_ctx_add_phase(run.ctx, "write", strata_now_seconds() - t0);
  report(&run, r, fl.out);
  rc = cli_finish(&run);
  goto done;
failed:
  rc = cli_fail(&run, st);
done:
  strata_h5_writer_free(w);
  strata_clv_result_free(r);
  strata_transactions_release(&t);
  cli_run_free(&run);
  return rc;
}

int cli_cmd_clv(int argc, char **argv, int argc_all, char **argv_all) {
  if (argc >= 1 && strcmp(argv[0], "fit") == 0)
    return run_clv(1, argc - 1, argv + 1, argc_all, argv_all);
  if (argc >= 1 && strcmp(argv[0], "score") == 0)
    return run_clv(0, argc - 1, argv + 1, argc_all, argv_all);
  if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
    printf(
        "usage: strata clv fit|score [options]\n\n"
        "  fit     fit BG/NBD, MBG/NBD or Pareto/NBD (+ Gamma-Gamma) and score customers\n"
        "  score   score customers with a saved model\n\n"
        "`strata clv fit --help` and `strata clv score --help` describe the options.\n");
    return CLI_EXIT_OK;
  }
  fprintf(stderr, "strata clv: error: expected 'fit' or 'score'%s%s (see: strata clv --help)\n",
          argc ? ", got " : "", argc ? argv[0] : "");
  return CLI_EXIT_USAGE;
}
