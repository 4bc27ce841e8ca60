/* `strata score`: a saved segmentation applied to new or updated accounts (src/segment). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "segment/score.h"

int cli_cmd_score(int argc, char **argv, int argc_all, char **argv_all) {
  const char *model_path = NULL, *in = NULL, *out = NULL;
  int revalidate = 0;
  uint64_t seed = 0;
  cli_option options[] = {
      {"model", 'm', CLI_STRING, &model_path, "FILE", "output of `strata segment`", 1, 0, 0, 0},
      {"in", 'i', CLI_STRING, &in, "FILE", "accounts (and transactions) to score", 1, 0, 0, 0},
      {"out", 'o', CLI_STRING, &out, "FILE", "output HDF5 file", 1, 0, 0, 0},
      {"revalidate", 0, CLI_FLAG, &revalidate, NULL,
       "also re-fit k-means on the new data and say whether the scheme has drifted", 0, 0, 0, 0},
      {"seed", 's', CLI_UINT64, &seed, "S", "seed of the re-validation fit (default 0)", 0, 0, 0,
       0},
  };
  cli_command cmd = {
      "score",
      "Assign accounts to the segments of a saved model (batch scoring) and check for drift.",
      "score --model FILE --in FILE --out FILE [--revalidate]",
      "Applies the model's features (CLV with its saved BG/NBD and Gamma-Gamma parameters),\n"
      "transforms and centres. Writes /segments/{account_id, label, name} and the shares, the\n"
      "population stability index against training and, with --revalidate, the adjusted Rand\n"
      "index of a fresh k-means as attributes of /segments. Accounts stream in blocks, read\n"
      "ahead of the scoring by a reader thread; when /transactions is sorted by customer (as\n"
      "`strata gen` writes it) each block reads only its customers' transactions, otherwise\n"
      "the log is read whole and a note says why.",
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
  if ((st = strata_segment_model_read(run.ctx, model_path, &model)) != STRATA_OK ||
      (st = strata_h5_writer_create(run.ctx, out, run.common.force, &w)) != STRATA_OK ||
      (st = strata_segment_score(run.ctx, &model, in, w, revalidate, seed, &scores)) != STRATA_OK)
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

  cJSON_AddNumberToObject(run.result, "accounts", (double)scores.n);
  cJSON_AddNumberToObject(run.result, "psi", scores.psi);
  cJSON_AddStringToObject(run.result, "verdict", scores.verdict);
  if (scores.revalidated) cJSON_AddNumberToObject(run.result, "refit_ari", scores.refit_ari);
  cJSON_AddStringToObject(run.result, "transactions", scores.transactions);
  if (scores.transactions_note[0])
    cJSON_AddStringToObject(run.result, "transactions_note", scores.transactions_note);
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
