/* `strata segment`: accounts and transactions -> named, profiled segments (src/segment). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "segment/actions.h"
#include "segment/customer_keys.h"
#include "segment/pipeline.h"
#include "segment/report.h"

static int parse_range(const char *s, int64_t *lo, int64_t *hi) {
  char *end;
  long long a = strtoll(s, &end, 10);
  if (end == s || *end != ':') return 0;
  const char *b_start = end + 1;
  long long b = strtoll(b_start, &end, 10);
  if (end == b_start || *end != '\0') return 0;
  *lo = a;
  *hi = b;
  return 1;
}

static void print_profile(FILE *out, const strata_segmentation *s) {
  const strata_profile *p = s->profile;
  fprintf(out, "\n%-3s %-62s %9s %6s", "#", "segment", "accounts", "share");
  if (p->has_value) fprintf(out, " %11s %9s %8s  %s", "mean CLV", "CLV share", "P(alive)", "action");
  fprintf(out, "\n");
  for (int64_t j = 0; j < p->k; j++) {
    fprintf(out, "%-3lld %-62.62s %9.0f %5.1f%%", (long long)j, p->names[j], p->count[j],
            100.0 * p->share[j]);
    if (p->has_value)
      fprintf(out, " %11.2f %8.1f%% %8.2f  %s", p->clv_mean[j], 100.0 * p->clv_share[j],
              p->p_alive_mean[j], strata_action_name(s->actions[j].action));
    fprintf(out, "\n");
  }
}

static void json_result(cli_run *run, const strata_segmentation *s) {
  const strata_profile *p = s->profile;
  cJSON_AddNumberToObject(run->result, "accounts", (double)s->n);
  cJSON_AddNumberToObject(run->result, "k", (double)s->k);
  cJSON_AddStringToObject(run->result, "k_rule", s->k_rule);
  cJSON_AddStringToObject(run->result, "k_criterion", s->k_criterion);
  if (s->has_silhouette)
    cJSON_AddNumberToObject(run->result, "silhouette_rows", (double)s->silhouette_rows);
  cJSON_AddBoolToObject(run->result, "k_chosen_stable", s->k_chosen_stable);
  cJSON_AddBoolToObject(run->result, "accounts_from_log", s->from_log);
  cJSON_AddNumberToObject(run->result, "gamma", s->gamma);
  cJSON *ks = cJSON_AddArrayToObject(run->result, "k_selection");
  for (int64_t i = 0; i < s->n_k; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "k", (double)s->k_values[i]);
    cJSON_AddNumberToObject(o, "inertia", s->k_inertia[i]);
    cJSON_AddNumberToObject(o, "calinski_harabasz", s->k_calinski[i]);
    cJSON_AddNumberToObject(o, "bic", s->k_bic[i]);
    if (!isnan(s->k_jaccard_min[i])) {
      cJSON_AddNumberToObject(o, "jaccard_min", s->k_jaccard_min[i]);
      cJSON_AddNumberToObject(o, "jaccard_mean", s->k_jaccard_mean[i]);
      cJSON_AddNumberToObject(o, "stability_ari", s->k_stability_ari[i]);
    }
    if (s->has_silhouette) {
      /* NaN (a sample holding one segment) has no JSON spelling: null. */
      if (isnan(s->k_silhouette[i]))
        cJSON_AddNullToObject(o, "silhouette");
      else
        cJSON_AddNumberToObject(o, "silhouette", s->k_silhouette[i]);
      if (isnan(s->k_davies_bouldin[i]))
        cJSON_AddNullToObject(o, "davies_bouldin");
      else
        cJSON_AddNumberToObject(o, "davies_bouldin", s->k_davies_bouldin[i]);
    }
    cJSON_AddItemToArray(ks, o);
  }
  cJSON *feats = cJSON_AddArrayToObject(run->result, "features");
  for (int64_t j = 0; j < s->transform->d; j++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", s->transform->names[j]);
    cJSON_AddBoolToObject(o, "log1p", s->transform->log1p[j]);
    cJSON_AddBoolToObject(o, "used", s->transform->kept[j]);
    cJSON_AddItemToArray(feats, o);
  }
  if (s->clv) {
    cJSON_AddNumberToObject(run->result, "accounts_without_transactions",
                            (double)s->accounts_without_transactions);
    cJSON_AddNumberToObject(run->result, "customers_without_account",
                            (double)s->customers_without_account);
    cJSON_AddStringToObject(run->result, "transactions", s->transactions);
    cJSON_AddNumberToObject(run->result, "zero_spend_customers",
                            (double)s->clv->zero_spend_customers);
    if (s->transactions_note[0])
      cJSON_AddStringToObject(run->result, "transactions_note", s->transactions_note);
  }
  cJSON *nominal = cJSON_AddArrayToObject(run->result, "nominal_features");
  for (int64_t j = 0; j < s->dc; j++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", s->nominal_names[j]);
    cJSON_AddNumberToObject(o, "levels", (double)s->levels[j]);
    cJSON_AddItemToArray(nominal, o);
  }
  if (s->stability) {
    cJSON *o = cJSON_AddObjectToObject(run->result, "stability");
    cJSON_AddStringToObject(o, "method", "bootstrap Jaccard (Hennig)");
    cJSON_AddNumberToObject(o, "resamples", s->stability->resamples);
    cJSON_AddNumberToObject(o, "rows", (double)s->stability_rows);
    cJSON_AddNumberToObject(o, "ari_mean", s->stability->ari_mean);
  }
  if (s->lenses) {
    const strata_lenses *l = s->lenses;
    cJSON *lens = cJSON_AddObjectToObject(run->result, "lenses");
    cJSON_AddNumberToObject(lens, "accounts_in_log", (double)l->in_log);
    cJSON *rfm = cJSON_AddArrayToObject(lens, "rfm_cells");
    for (int64_t c = 0; c <= l->rules->n_cells; c++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "name", c < l->rules->n_cells ? l->rules->cell_name[c] : "Others");
      cJSON_AddNumberToObject(o, "accounts", (double)l->rfm_counts[c]);
      cJSON_AddItemToArray(rfm, o);
    }
    cJSON *vr = cJSON_AddArrayToObject(lens, "value_risk");
    for (int c = 0; c < STRATA_VR_CELLS; c++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "name", strata_value_risk_cell_name(c));
      cJSON_AddNumberToObject(o, "accounts", (double)l->vr.accounts[c]);
      cJSON_AddNumberToObject(o, "clv_at_stake", l->vr.clv_total[c]);
      cJSON_AddItemToArray(vr, o);
    }
    const strata_growth_group *g = &l->growth_total;
    cJSON *gr = cJSON_AddObjectToObject(lens, "growth");
    cJSON_AddNumberToObject(gr, "window_days", l->growth_days);
    cJSON_AddNumberToObject(gr, "revenue_prev", g->prev_total);
    cJSON_AddNumberToObject(gr, "revenue_curr", g->curr_total);
    if (isfinite(g->growth_rate)) cJSON_AddNumberToObject(gr, "growth_rate", g->growth_rate);
  }
  cJSON *segs = cJSON_AddArrayToObject(run->result, "segments");
  for (int64_t j = 0; j < p->k; j++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "label", (double)j);
    cJSON_AddStringToObject(o, "name", p->names[j]);
    cJSON_AddNumberToObject(o, "size", p->count[j]);
    cJSON_AddNumberToObject(o, "share", p->share[j]);
    if (p->has_value) {
      cJSON_AddNumberToObject(o, "clv_total", p->clv_total[j]);
      cJSON_AddNumberToObject(o, "clv_mean", p->clv_mean[j]);
      cJSON_AddNumberToObject(o, "clv_share", p->clv_share[j]);
      cJSON_AddNumberToObject(o, "p_alive_mean", p->p_alive_mean[j]);
    }
    if (p->has_value) {
      cJSON_AddNumberToObject(o, "one_time_share", p->one_time_share[j]);
      cJSON_AddNumberToObject(o, "revenue_mean", p->revenue_mean[j]);
      cJSON_AddNumberToObject(o, "spend_per_purchase", p->spend_per_purchase[j]);
      cJSON_AddNumberToObject(o, "days_since_last_mean", p->days_since_mean[j]);
    }
    if (p->has_value) {
      cJSON_AddStringToObject(o, "action", strata_action_name(s->actions[j].action));
      cJSON_AddStringToObject(o, "action_reason", s->actions[j].reason);
    }
    if (s->stability) {
      cJSON_AddNumberToObject(o, "stability_jaccard", s->stability->jaccard_mean[j]);
      cJSON_AddStringToObject(o, "stability", strata_stability_reading(s->stability->jaccard_mean[j]));
    }
    if (s->lenses) {
      const strata_growth_group *g = &s->lenses->growth[j];
      cJSON *gr = cJSON_AddObjectToObject(o, "growth");
      cJSON_AddNumberToObject(gr, "revenue_prev", g->prev_total);
      cJSON_AddNumberToObject(gr, "revenue_curr", g->curr_total);
      cJSON_AddNumberToObject(gr, "new", g->new_revenue);
      cJSON_AddNumberToObject(gr, "retained", g->retained_revenue);
      cJSON_AddNumberToObject(gr, "expanded", g->expanded_revenue);
      cJSON_AddNumberToObject(gr, "contracted", g->contracted_revenue);
      cJSON_AddNumberToObject(gr, "lost", g->lost_revenue);
      if (isfinite(g->growth_rate)) cJSON_AddNumberToObject(gr, "growth_rate", g->growth_rate);
    }
    cJSON *means = cJSON_AddObjectToObject(o, "feature_means");
    for (int64_t f = 0; f < p->d; f++)
      cJSON_AddNumberToObject(means, p->feature_names[f], p->mean[j * p->d + f]);
    cJSON *levels = cJSON_AddObjectToObject(o, "level_shares");
    for (int64_t c = 0; c < p->dc; c++) {
      cJSON *col = cJSON_AddObjectToObject(levels, p->nominal_names[c]);
      for (int64_t v = 0; v < p->levels[c]; v++) {
        cJSON *lv = cJSON_AddObjectToObject(col, p->level_names[c][v]);
        cJSON_AddNumberToObject(lv, "share", p->level_share[c][j * p->levels[c] + v]);
        cJSON_AddNumberToObject(lv, "lift", p->level_lift[c][j * p->levels[c] + v]);
      }
    }
    cJSON_AddItemToArray(segs, o);
  }
}

int cli_cmd_segment(int argc, char **argv, int argc_all, char **argv_all) {
  strata_segment_params p;
  strata_segment_params_init(&p);
  const char *in = NULL, *out = NULL, *report = NULL, *range = NULL, *log1p_mode = "auto";
  const char *scale = "zscore", *time_unit = "week", *k_criterion = "bic";
  const char *title = NULL, *currency = NULL;
  int64_t k = 0, n_init = p.n_init, sample = p.sample, clv_months = p.clv.score.clv_periods;
  int64_t resamples = p.stability_resamples;
  uint64_t seed = 0;
  int no_clv = 0;
  cli_option options[] = {
      {"in", 'i', CLI_STRING, &in, "FILE", "HDF5 file with /accounts (and /transactions)", 1, 0, 0,
       0},
      {"out", 'o', CLI_STRING, &out, "FILE", "output HDF5 file (/segments, /model, /rfm, /clv)", 1,
       0, 0, 0},
      {"k", 'k', CLI_INT, &k, "K", "number of segments (default: chosen in --k-range)", 0, 1,
       STRATA_SEGMENT_MAX_K, 0},
      {"k-range", 0, CLI_STRING, &range, "A:B", "segments to consider (default 3:8)", 0, 0, 0, 0},
      {"k-criterion", 0, CLI_STRING, &k_criterion, "C",
       "how k is chosen in --k-range among the stable candidates: bic (latent class BIC, "
       "default), calinski-harabasz or silhouette (mean silhouette of a seeded 10,000-account "
       "sample)",
       0, 0, 0, 0},
      {"features", 0, CLI_STRING, &p.features, "A,B,..",
       "features to segment on (default: every account feature + frequency and "
       "spend_per_purchase; a transaction log alone: frequency, recency, spend_per_purchase)",
       0, 0, 0, 0},
      {"categorical", 0, CLI_STRING, &p.categorical, "A,B,..",
       "nominal account columns (level codes), compared by mismatch in k-prototypes (default: "
       "the 'categorical' attribute of /accounts/features)",
       0, 0, 0, 0},
      {"gamma", 0, CLI_DOUBLE, &p.gamma, "G",
       "weight of one nominal mismatch against the scaled numeric distance (default: Huang's "
       "rule, the mean sd of the scaled numeric features)",
       0, 0, 1e6, 0},
      {"rfm-rules", 0, CLI_STRING, &p.rfm_rules, "FILE.csv",
       "rules of the named RFM grid, rows segment,r_lo,r_hi,f_lo,f_hi,m_lo,m_hi (default: the R "
       "package rfm's documented table, datasets/rfm_rules.csv)",
       0, 0, 0, 0},
      {"stability-resamples", 0, CLI_INT, &resamples, "B",
       "bootstrap resamples of the stability check per candidate k and for the result "
       "(default 20; 0 turns it off)",
       0, 0, 1000, 0},
      {"no-clv", 0, CLI_FLAG, &no_clv, NULL, "ignore /transactions (no RFM/CLV features)", 0, 0, 0,
       0},
      {"log1p", 0, CLI_STRING, &log1p_mode, "MODE",
       "auto (skewed non-negative columns, default), all or none", 0, 0, 0, 0},
      {"scale", 0, CLI_STRING, &scale, "MODE", "zscore (default) or robust (median/IQR)", 0, 0, 0,
       0},
      {"n-init", 0, CLI_INT, &n_init, "N", "k-means runs per k (default 1)", 0, 1, 1000, 0},
      {"seed", 's', CLI_UINT64, &seed, "S", "random seed (default 0)", 0, 0, 0, 0},
      {"report", 'r', CLI_STRING, &report, "FILE.html", "write a self-contained HTML report", 0, 0,
       0, 0},
      {"title", 0, CLI_STRING, &title, "TEXT",
       "the report's title (default: \"Customer segments of <input>\")", 0, 0, 0, 0},
      {"currency", 0, CLI_STRING, &currency, "CODE",
       "currency of the money figures in the report, e.g. USD or EUR (default: plain numbers)",
       0, 0, 0, 0},
      {"sample", 0, CLI_INT, &sample, "N", "accounts in the report's 2-D view (default 4000)", 0,
       10, 1e6, 0},
      {"time-unit", 0, CLI_STRING, &time_unit, "UNIT", "CLV time unit: week (default) or day", 0, 0,
       0, 0},
      {"clv-months", 0, CLI_INT, &clv_months, "M", "months of discounted CLV (default 12)", 0, 1,
       1200, 0},
  };
  cli_command cmd = {
      "segment",
      "Segment accounts into a handful of named, profiled segments.",
      "segment --in FILE --out FILE [--k K | --k-range 3:8] [--report FILE.html] [options]",
      "Features: every account feature (numeric, and nominal ones by mismatch: k-prototypes)\n"
      "plus frequency and spend per purchase from /transactions (BG/NBD + Gamma-Gamma give\n"
      "CLV and P(alive) for profiles, names and lenses); a transaction log alone is enough\n"
      "(its customers are the accounts, segmented on frequency, recency and spend). Skewed\n"
      "non-negative numeric features get log1p, then z-scores. k is the lowest latent class\n"
      "BIC (or --k-criterion) among the candidates whose segments stay stable under bootstrap\n"
      "resampling; every candidate's scores are kept. Lenses: the named RFM grid, value x\n"
      "risk and revenue growth per segment. A transaction log too large to hold whole (over\n"
      "512 MiB or 1/8 of --memory) is summarised chunk by chunk when it is sorted by customer.\n"
      "Writes /segments (labels, names, profiles, lenses, stability, per-account values) and\n"
      "/model (what `strata score` needs).",
      options,
      sizeof options / sizeof options[0],
      1,
      NULL,
      0};
  cli_run run;
  strata_segmentation *s = NULL;
  strata_h5_writer *w = NULL;
  strata_status st = STRATA_OK;
  int rc;
  if (!cli_start(&run, &cmd, argc, argv, argc_all, argv_all, &rc)) goto done;
  if (range && k) {
    rc = cli_usage_error(&run, "give --k or --k-range, not both");
    goto done;
  }
  if (range && !parse_range(range, &p.k_min, &p.k_max)) {
    rc = cli_usage_error(&run, "--k-range expects A:B such as 3:8, got '%s'", range);
    goto done;
  }
  if (range && (p.k_min < 2 || p.k_max < p.k_min || p.k_max > STRATA_SEGMENT_MAX_K)) {
    rc = cli_usage_error(&run, "--k-range must be A:B with 2 <= A <= B <= %d, got '%s'",
                         STRATA_SEGMENT_MAX_K, range);
    goto done;
  }
  static const char *const log1p_names[] = {"auto", "all", "none"};
  static const char *const scale_names[] = {"zscore", "robust"};
  static const char *const unit_names[] = {"week", "day"};
  /* "ch" is the spelling of earlier releases; kmeans --k-criterion names it in full. */
  static const char *const criterion_names[] = {"bic", "calinski-harabasz", "silhouette", "ch"};
  int choice = 0, unit = 0;
  if ((rc = cli_parse_choice(&run, "log1p", log1p_mode, log1p_names, 3, &choice)) != CLI_EXIT_OK)
    goto done;
  p.log1p = (strata_log1p_mode)choice; /* same order as the enum */
  if ((rc = cli_parse_choice(&run, "scale", scale, scale_names, 2, &choice)) != CLI_EXIT_OK)
    goto done;
  p.scale = (strata_scale_mode)choice;
  if ((rc = cli_parse_choice(&run, "time-unit", time_unit, unit_names, 2, &unit)) != CLI_EXIT_OK)
    goto done;
  if ((rc = cli_parse_choice(&run, "k-criterion", k_criterion, criterion_names, 4, &choice)) !=
      CLI_EXIT_OK)
    goto done;
  p.k_criterion = choice == 0   ? STRATA_K_BIC
                  : choice == 2 ? STRATA_K_SILHOUETTE
                                : STRATA_K_CALINSKI_HARABASZ;
  p.clv.unit_days = unit == 0 ? 7.0 : 1.0;
  p.clv.score.clv_period_length = unit == 0 ? 4.345 : 30.0; /* a month, as lifetimes */
  p.clv.score.horizon = unit == 0 ? 52.0 : 365.0;
  p.clv.score.clv_periods = (int)clv_months;
  p.k = k;
  p.n_init = (int)n_init;
  p.seed = seed;
  p.sample = sample;
  p.use_clv = !no_clv;
  p.stability_resamples = (int)resamples;
  if ((rc = cli_check_distinct(&run, in, out)) != CLI_EXIT_OK ||
      (report && (rc = cli_check_distinct(&run, in, report)) != CLI_EXIT_OK))
    goto done;
  /* Refuse existing outputs before the work. */
  if ((st = strata_h5_writer_create(run.ctx, out, run.common.force, &w)) != STRATA_OK) goto failed;
  if (report && (st = strata_report_check_path(run.ctx, report, run.common.force)) != STRATA_OK)
    goto failed;
  if ((st = strata_segment_run(run.ctx, in, &p, &s)) != STRATA_OK) goto failed;
  double t0 = strata_now_seconds();
  if ((st = strata_segment_write(run.ctx, w, s, &p)) != STRATA_OK ||
      (st = strata_customer_keys_copy(run.ctx, in, w)) != STRATA_OK ||
      (st = strata_h5_write_provenance(run.ctx, w, run.command_line, s->n, s->transform->d)) !=
          STRATA_OK)
    goto failed;
  st = strata_h5_writer_commit(run.ctx, w);
  w = NULL;
  if (st != STRATA_OK) goto failed;
  strata_ctx_add_phase(run.ctx, "write", strata_now_seconds() - t0);
  if (report) {
    t0 = strata_now_seconds();
    strata_report_options ro = {in, title, currency, &p};
    if ((st = strata_report_write(run.ctx, s, &ro, report, run.common.force)) != STRATA_OK)
      goto failed;
    strata_ctx_add_phase(run.ctx, "report", strata_now_seconds() - t0);
  }
  json_result(&run, s);
  if (report) cJSON_AddStringToObject(run.result, "report", report);
  cJSON_AddStringToObject(run.result, "out", out);
  FILE *text = cli_text(&run);
  if (text) {
    fprintf(text, "%lld accounts, %lld features, %lld segments (%s)\n", (long long)s->n,
            (long long)s->d, (long long)s->k, s->k_rule);
    if (s->transactions_note[0]) fprintf(text, "note: %s\n", s->transactions_note);
    if (s->clv && s->clv->zero_spend_customers > 0)
      fprintf(text,
              "note: %lld customers whose repeat purchases total 0 were left out of the "
              "Gamma-Gamma fit and get the population's expected spend\n",
              (long long)s->clv->zero_spend_customers);
    print_profile(text, s);
    fprintf(text, "\nwrote %s\n", out);
    if (report) fprintf(text, "report: %s\n", report);
  }
  rc = cli_finish(&run);
  goto done;
failed:
  rc = cli_fail(&run, st);
done:
  strata_h5_writer_free(w);
  strata_segmentation_free(s);
  cli_run_free(&run);
  return rc;
}
