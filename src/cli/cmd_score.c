/* `strata score`: a saved segmentation applied to new or updated accounts (src/segment). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "segment/customer_keys.h"
#include "segment/report.h"
#include "segment/score.h"

/* Drift per feature (/drift) and the migration matrix (/migration). */
static strata_status score_write_monitoring(strata_ctx *ctx, strata_h5_writer *w,
                                            const strata_segment_model *m,
                                            const strata_segment_scores *s,
                                            const strata_score_options *opt) {
  strata_status st = STRATA_OK;
  const char **readings = NULL;
  if (m->n_drift > 0) {
    int64_t d[1] = {m->n_drift};
    readings = calloc((size_t)m->n_drift, sizeof *readings);
    if (readings == NULL) return STRATA_ERR_NOMEM;
    for (int64_t j = 0; j < m->n_drift; j++)
      readings[j] = strata_psi_reading(s->feature_psi[j], opt->psi_watch, opt->psi_shifted);
    if ((st = strata_h5_write_strings(ctx, w, "/drift/feature", m->n_drift,
                                      (const char *const *)m->drift_names)) != STRATA_OK ||
        (st = strata_h5_write(ctx, w, "/drift/psi", STRATA_F64, 1, d, s->feature_psi)) != STRATA_OK ||
        (st = strata_h5_write_strings(ctx, w, "/drift/reading", m->n_drift, readings)) != STRATA_OK ||
        (st = strata_h5_write_attr_double(ctx, w, "/drift", "psi_shares", &s->psi, 1)) != STRATA_OK ||
        (st = strata_h5_write_attr_double(ctx, w, "/drift", "psi_watch", &opt->psi_watch, 1)) != STRATA_OK ||
        (st = strata_h5_write_attr_double(ctx, w, "/drift", "psi_shifted", &opt->psi_shifted, 1)) != STRATA_OK ||
        (st = strata_h5_write_attr_string(ctx, w, "/drift", "verdict", s->verdict)) != STRATA_OK)
      goto cleanup;
  }
  if (m->has_lenses) {
    /* The cells' names beside their codes, as a segment output has them. */
    const int64_t cells = m->rules->n_cells;
    const char **names = calloc((size_t)(cells + 1 > STRATA_VR_CELLS ? cells + 1 : STRATA_VR_CELLS),
                                sizeof *names);
    if (names == NULL) {
      st = STRATA_ERR_NOMEM;
      goto cleanup;
    }
    for (int64_t c = 0; c < cells; c++) names[c] = m->rules->cell_name[c];
    names[cells] = "Others";
    st = strata_h5_write_strings(ctx, w, "/segments/rfm/cell_name", cells + 1, names);
    for (int c = 0; st == STRATA_OK && c < STRATA_VR_CELLS; c++)
      names[c] = strata_value_risk_cell_name(c);
    if (st == STRATA_OK)
      st = strata_h5_write_strings(ctx, w, "/segments/value_risk/cell_name", STRATA_VR_CELLS, names);
    free(names);
    if (st != STRATA_OK) goto cleanup;
  }
  if (s->migration) {
    const strata_migration *g = s->migration;
    int64_t d[2] = {g->k_old + 1, g->k_new + 1};
    if ((st = strata_h5_write(ctx, w, "/migration/accounts", STRATA_I64, 2, d, g->accounts)) != STRATA_OK ||
        (g->clv && (st = strata_h5_write(ctx, w, "/migration/clv", STRATA_F64, 2, d, g->clv)) != STRATA_OK) ||
        (st = strata_h5_write_strings(ctx, w, "/migration/from_name", s->k_previous,
                                      (const char *const *)s->previous_names)) != STRATA_OK ||
        (st = strata_h5_write_strings(ctx, w, "/migration/to_name", m->k,
                                      (const char *const *)m->names)) != STRATA_OK ||
        (st = strata_h5_write_attr_int64(ctx, w, "/migration", "matched", &g->matched, 1)) != STRATA_OK ||
        (st = strata_h5_write_attr_int64(ctx, w, "/migration", "added", &g->added, 1)) != STRATA_OK ||
        (st = strata_h5_write_attr_int64(ctx, w, "/migration", "gone", &g->gone, 1)) != STRATA_OK ||
        (st = strata_h5_write_attr_double(ctx, w, "/migration", "stayed_share", &g->stayed_share, 1)) != STRATA_OK ||
        (st = strata_h5_write_attr_string(ctx, w, "/migration", "previous", opt->previous)) != STRATA_OK ||
        (st = strata_h5_write_attr_string(
             ctx, w, "/migration", "layout",
             "row = the previous run's segment (last row: accounts new in this run), column = "
             "this run's segment (last column: accounts gone since); clv: this run's CLV, the "
             "previous run's in the last column")) != STRATA_OK)
      goto cleanup;
  }
cleanup:
  free(readings);
  return st;
}

int cli_cmd_score(int argc, char **argv, int argc_all, char **argv_all) {
  const char *model_path = NULL, *in = NULL, *out = NULL, *report = NULL, *title = NULL;
  const char *currency = NULL;
  int revalidate = 0;
  uint64_t seed = 0;
  strata_score_options opt;
  strata_score_options_init(&opt);
  cli_option options[] = {
      {"model", 'm', CLI_STRING, &model_path, "FILE", "output of `strata segment`", 1, 0, 0, 0},
      {"in", 'i', CLI_STRING, &in, "FILE", "accounts (and transactions) to score", 1, 0, 0, 0},
      {"out", 'o', CLI_STRING, &out, "FILE", "output HDF5 file", 1, 0, 0, 0},
      {"revalidate", 0, CLI_FLAG, &revalidate, NULL,
       "also re-cluster a sample of the new data afresh and say whether the scheme still fits",
       0, 0, 0, 0},
      {"seed", 's', CLI_UINT64, &seed, "S", "seed of the re-validation fit (default 0)", 0, 0, 0,
       0},
      {"previous", 0, CLI_STRING, &opt.previous, "FILE",
       "an earlier `strata score` or `strata segment` output: adds the migration matrix of "
       "accounts and CLV between its segments and these, joined on account id",
       0, 0, 0, 0},
      {"psi-watch", 0, CLI_DOUBLE, &opt.psi_watch, "X",
       "PSI from which a feature or the segment shares are read as 'watch' (default 0.1)", 0,
       1e-9, 1e9, 0},
      {"psi-shifted", 0, CLI_DOUBLE, &opt.psi_shifted, "X",
       "PSI from which they are read as 'shifted' (default 0.25)", 0, 1e-9, 1e9, 0},
      {"report", 'r', CLI_STRING, &report, "FILE.html",
       "with --previous: an HTML report of the migration matrix and the drift of every feature",
       0, 0, 0, 0},
      {"title", 0, CLI_STRING, &title, "TEXT", "title of the report", 0, 0, 0, 0},
      {"currency", 0, CLI_STRING, &currency, "CODE", "currency of the report's money figures", 0, 0,
       0, 0},
  };
  cli_command cmd = {
      "score",
      "Assign accounts to the segments of a saved model (batch scoring) and check for drift.",
      "score --model FILE --in FILE --out FILE [--revalidate] [--previous FILE [--report R.html]]",
      "Applies the model's features (CLV with its saved BG/NBD and Gamma-Gamma parameters),\n"
      "transforms and prototypes. Writes /segments/{account_id, label, name, clv, p_alive,\n"
      "expected_purchases, expected_spend}, the RFM scores and cell and the value x risk\n"
      "cell (against the training base's boundaries), the shares, the PSI of the shares and\n"
      "of every feature (/drift, with a verdict), with --revalidate the adjusted Rand index\n"
      "of a fresh fit, and with --previous the migration matrix (/migration). A transaction\n"
      "log alone scores with a model made from one. Accounts stream in blocks, read ahead of\n"
      "the scoring by a reader thread; when /transactions is sorted by customer (as `strata\n"
      "gen` writes it) each block reads only its customers' transactions, otherwise the log\n"
      "is read whole and a note says why.",
      options,
      sizeof options / sizeof options[0],
      1,
      NULL,
      0};
  cli_run run;
  strata_segment_model model;
  strata_segment_scores scores;
  memset(&model, 0, sizeof model);
  memset(&scores, 0, sizeof scores);
  strata_h5_writer *w = NULL;
  strata_status st = STRATA_OK;
  int rc;
  if (!cli_start(&run, &cmd, argc, argv, argc_all, argv_all, &rc)) goto done;
  if ((rc = cli_check_distinct(&run, in, out)) != CLI_EXIT_OK ||
      (rc = cli_check_distinct(&run, model_path, out)) != CLI_EXIT_OK)
    goto done;
  if (opt.psi_shifted <= opt.psi_watch) {
    rc = cli_usage_error(&run, "--psi-shifted (%g) must be above --psi-watch (%g)",
                         opt.psi_shifted, opt.psi_watch);
    goto done;
  }
  if (opt.previous && (rc = cli_check_distinct(&run, opt.previous, out)) != CLI_EXIT_OK) goto done;
  if (report && !opt.previous) {
    rc = cli_usage_error(&run, "--report draws the migration from an earlier run: give --previous");
    goto done;
  }
  if (report && ((rc = cli_check_distinct(&run, report, out)) != CLI_EXIT_OK ||
                 (rc = cli_check_distinct(&run, report, in)) != CLI_EXIT_OK))
    goto done;
  if (report && (st = strata_report_check_path(run.ctx, report, run.common.force)) != STRATA_OK)
    goto failed;
  opt.revalidate = revalidate;
  opt.seed = seed;
  if ((st = strata_segment_model_read(run.ctx, model_path, &model)) != STRATA_OK ||
      (st = strata_h5_writer_create(run.ctx, out, run.common.force, &w)) != STRATA_OK ||
      (st = strata_segment_score(run.ctx, &model, in, w, &opt, &scores)) != STRATA_OK)
    goto failed;
  if ((st = score_write_monitoring(run.ctx, w, &model, &scores, &opt)) != STRATA_OK ||
      (st = strata_customer_keys_copy(run.ctx, in, w)) != STRATA_OK)
    goto failed;
  double t0 = strata_now_seconds();
  int64_t dk[1] = {model.k};
  if ((st = strata_h5_write_strings(run.ctx, w, "/segments/name", model.k,
                                    (const char *const *)model.names)) != STRATA_OK ||
      (st = strata_h5_write(run.ctx, w, "/segments/share", STRATA_F64, 1, dk, scores.share)) !=
          STRATA_OK ||
      (st = strata_h5_write_attr_double(run.ctx, w, "/segments", "psi", &scores.psi, 1)) !=
          STRATA_OK ||
      (st = strata_h5_write_attr_string(run.ctx, w, "/segments", "verdict", scores.verdict)) !=
          STRATA_OK ||
      (st = strata_h5_write_attr_string(run.ctx, w, "/segments", "model", model_path)) != STRATA_OK)
    goto failed;
  if (scores.revalidated && (st = strata_h5_write_attr_double(run.ctx, w, "/segments", "refit_ari",
                                                              &scores.refit_ari, 1)) != STRATA_OK)
    goto failed;
  if ((st = strata_h5_write_provenance(run.ctx, w, run.command_line, scores.n,
                                       model.transform->d)) != STRATA_OK)
    goto failed;
  st = strata_h5_writer_commit(run.ctx, w);
  w = NULL;
  if (st != STRATA_OK) goto failed;
  strata_ctx_add_phase(run.ctx, "write", strata_now_seconds() - t0);
  if (report) {
    const strata_migration *g = scores.migration;
    double *share_old = calloc((size_t)g->k_old + 1, sizeof *share_old);
    if (share_old == NULL) {
      st = STRATA_ERR_NOMEM;
      goto failed;
    }
    double old_total = 0.0;
    for (int64_t a = 0; a < g->k_old; a++)
      for (int64_t b = 0; b <= g->k_new; b++) {
        share_old[a] += (double)g->accounts[a * (g->k_new + 1) + b];
        old_total += (double)g->accounts[a * (g->k_new + 1) + b];
      }
    for (int64_t a = 0; a < g->k_old; a++) share_old[a] = old_total > 0 ? share_old[a] / old_total : 0.0;
    strata_migration_report mr = {title, currency, opt.previous, in, g->k_old, g->k_new,
                                  (const char *const *)scores.previous_names,
                                  (const char *const *)model.names, g->accounts, g->clv,
                                  share_old, scores.share, scores.psi, model.n_drift,
                                  (const char *const *)model.drift_names, scores.feature_psi,
                                  opt.psi_watch, opt.psi_shifted, scores.verdict};
    t0 = strata_now_seconds();
    st = strata_report_migration_write(run.ctx, &mr, report, run.common.force);
    free(share_old);
    if (st != STRATA_OK) goto failed;
    strata_ctx_add_phase(run.ctx, "report", strata_now_seconds() - t0);
    cJSON_AddStringToObject(run.result, "report", report);
  }

  cJSON_AddNumberToObject(run.result, "accounts", (double)scores.n);
  cJSON_AddNumberToObject(run.result, "psi", scores.psi);
  cJSON_AddStringToObject(run.result, "verdict", scores.verdict);
  if (scores.revalidated) cJSON_AddNumberToObject(run.result, "refit_ari", scores.refit_ari);
  cJSON_AddStringToObject(run.result, "transactions", scores.transactions);
  if (scores.transactions_note[0])
    cJSON_AddStringToObject(run.result, "transactions_note", scores.transactions_note);
  if (model.n_drift > 0) {
    cJSON *drift = cJSON_AddArrayToObject(run.result, "drift");
    for (int64_t j = 0; j < model.n_drift; j++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "feature", model.drift_names[j]);
      cJSON_AddNumberToObject(o, "psi", scores.feature_psi[j]);
      cJSON_AddStringToObject(o, "reading",
                              strata_psi_reading(scores.feature_psi[j], opt.psi_watch, opt.psi_shifted));
      cJSON_AddItemToArray(drift, o);
    }
  }
  if (scores.migration) {
    const strata_migration *g = scores.migration;
    cJSON *mig = cJSON_AddObjectToObject(run.result, "migration");
    cJSON_AddNumberToObject(mig, "matched", (double)g->matched);
    cJSON_AddNumberToObject(mig, "added", (double)g->added);
    cJSON_AddNumberToObject(mig, "gone", (double)g->gone);
    cJSON_AddNumberToObject(mig, "stayed", (double)g->stayed);
    if (isfinite(g->stayed_share)) cJSON_AddNumberToObject(mig, "stayed_share", g->stayed_share);
    cJSON *rows = cJSON_AddArrayToObject(mig, "accounts");
    for (int64_t a = 0; a <= g->k_old; a++) {
      cJSON *row = cJSON_CreateArray();
      for (int64_t b = 0; b <= g->k_new; b++)
        cJSON_AddItemToArray(row, cJSON_CreateNumber((double)g->accounts[a * (g->k_new + 1) + b]));
      cJSON_AddItemToArray(rows, row);
    }
  }
  cJSON *segs = cJSON_AddArrayToObject(run.result, "segments");
  for (int64_t j = 0; j < model.k; j++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", model.names[j]);
    cJSON_AddNumberToObject(o, "share", scores.share[j]);
    cJSON_AddNumberToObject(o, "train_share", model.train_share[j]);
    cJSON_AddItemToArray(segs, o);
  }
  cJSON_AddStringToObject(run.result, "out", out);
  FILE *text = cli_text(&run);
  if (text) {
    fprintf(text, "%lld accounts scored with %s\n\n%-3s %-44s %9s %9s\n", (long long)scores.n,
            model_path, "#", "segment", "share", "training");
    for (int64_t j = 0; j < model.k; j++)
      fprintf(text, "%-3lld %-44.44s %8.1f%% %8.1f%%\n", (long long)j, model.names[j],
              100.0 * scores.share[j], 100.0 * model.train_share[j]);
    fprintf(text, "\npopulation stability index %.4f", scores.psi);
    if (scores.revalidated)
      fprintf(text, ", adjusted Rand index of a re-fit %.3f", scores.refit_ari);
    fprintf(text, ": %s\n", scores.verdict);
    if (scores.transactions_note[0]) fprintf(text, "note: %s\n", scores.transactions_note);
    if (model.n_drift > 0)
      fprintf(text, "%lld of %lld features shifted (PSI >= %g)\n", (long long)scores.shifted_features,
              (long long)model.n_drift, opt.psi_shifted);
    if (scores.migration)
      fprintf(text, "migration from %s: %lld accounts in both runs, %.1f%% in the same segment, "
              "%lld new, %lld gone\n",
              opt.previous, (long long)scores.migration->matched,
              100.0 * scores.migration->stayed_share, (long long)scores.migration->added,
              (long long)scores.migration->gone);
    fprintf(text, "wrote %s\n", out);
  }
  rc = cli_finish(&run);
  goto done;
failed:
  rc = cli_fail(&run, st);
done:
  strata_h5_writer_free(w);
  strata_segment_scores_release(&scores);
  strata_segment_model_release(&model);
  cli_run_free(&run);
  return rc;
}
