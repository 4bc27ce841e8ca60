/* `strata export`: per-account segment and CLV results as CSV for CRMs and BI tools. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "io/export.h"

static int ends_with(const char *s, const char *tail) {
  size_t a = strlen(s), b = strlen(tail);
  return a >= b && strcmp(s + a - b, tail) == 0;
}

int cli_cmd_export(int argc, char **argv, int argc_all, char **argv_all) {
  strata_export_params p;
  strata_export_params_init(&p);
  const char *in = NULL, *out = NULL, *compress = NULL;
  double p_alive_below = 0, clv_above = 0;
  int64_t top = 0;
  cli_option options[] = {
      {"in", 'i', CLI_STRING, &in, "FILE", "results of `strata segment` or `strata score`", 1, 0,
       0, 0},
      {"out", 'o', CLI_STRING, &out, "FILE", "CSV file (.csv, .csv.gz, .csv.zst)", 1, 0, 0, 0},
      {"compress", 0, CLI_STRING, &compress, "HOW",
       "gzip, zstd or none (default: from the suffix .gz / .zst)", 0, 0, 0, 0},
      {"keys", 0, CLI_STRING, &p.keys, "FILE",
       "file with /customers/id and /customers/key: write string keys as account_id", 0, 0, 0, 0},
      {"segment", 0, CLI_STRING, &p.segment, "NAME", "only this segment (exact name or label)", 0,
       0, 0, 0},
      {"p-alive-below", 0, CLI_DOUBLE, &p_alive_below, "X", "only accounts with P(alive) < X", 0,
       -1e308, 1e308, 0},
      {"clv-above", 0, CLI_DOUBLE, &clv_above, "X", "only accounts with CLV > X", 0, -1e308,
       1e308, 0},
      {"top", 0, CLI_INT, &top, "N", "the N accounts of highest CLV (ties: smaller id), best first",
       0, 1, 9e18, 0},
      {"rfm-cell", 0, CLI_STRING, &p.rfm_cell, "NAME", "only this RFM cell (name or number)", 0, 0,
       0, 0},
      {"value-risk-cell", 0, CLI_STRING, &p.value_risk_cell, "NAME",
       "only this value x risk cell (name, its part before ':', or number)", 0, 0, 0, 0},
  };
  cli_command cmd = {
      "export",
      "Write the per-account results (/segments) as one CSV for CRMs and BI tools.",
      "export --in RESULTS.h5 --out FILE.csv[.gz|.zst] [filters]",
      "Columns (fixed order, each only when the file has it): account_id, segment_label,\n"
      "segment, r_score, f_score, m_score, rfm_cell, value_risk_cell, p_alive,\n"
      "expected_purchases, expected_spend, clv. account_id is the string key when\n"
      "/customers/{id,key} (in the file or --keys) map ids to keys. A header line always;\n"
      "RFC 4180 quoting; shortest round-trip decimals; empty fields for NaN and for 'no\n"
      "transaction' cells; cell numbers when the file has no cell names (a score output).\n"
      "Filters combine (AND); rows keep the file's order, or best CLV first with --top.",
      options,
      sizeof options / sizeof options[0],
      1,
      NULL,
      0};
  cli_run run;
  int rc;
  if (!cli_start(&run, &cmd, argc, argv, argc_all, argv_all, &rc)) {
    cli_run_free(&run);
    return rc;
  }
  if (compress) {
    static const char *const how[] = {"none", "gzip", "zstd"};
    int choice = 0;
    if ((rc = cli_parse_choice(&run, "compress", compress, how, 3, &choice)) != CLI_EXIT_OK) {
      cli_run_free(&run);
      return rc;
    }
    p.compress = (strata_export_compress)choice;
  } else if (ends_with(out, ".gz")) {
    p.compress = STRATA_EXPORT_GZIP;
  } else if (ends_with(out, ".zst")) {
    p.compress = STRATA_EXPORT_ZSTD;
  }
  for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
    if (!options[i].seen) continue;
    if (strcmp(options[i].name, "p-alive-below") == 0) p.p_alive_below = p_alive_below;
    if (strcmp(options[i].name, "clv-above") == 0) p.clv_above = clv_above;
  }
  p.top = top;
  p.threads = (int)run.common.threads;
  if ((rc = cli_check_distinct(&run, in, out)) != CLI_EXIT_OK ||
      (p.keys && (rc = cli_check_distinct(&run, p.keys, out)) != CLI_EXIT_OK)) {
    cli_run_free(&run);
    return rc;
  }
  strata_export_summary s;
  strata_status st = strata_export(run.ctx, in, out, run.common.force, &p, &s);
  if (st != STRATA_OK) {
    rc = cli_fail(&run, st);
    cli_run_free(&run);
    return rc;
  }
  cJSON_AddStringToObject(run.result, "out", out);
  cJSON_AddNumberToObject(run.result, "accounts", (double)s.rows_in);
  cJSON_AddNumberToObject(run.result, "rows", (double)s.rows_out);
  cJSON_AddNumberToObject(run.result, "columns", s.columns);
  cJSON_AddBoolToObject(run.result, "string_keys", s.keyed);
  FILE *text = cli_text(&run);
  if (text)
    fprintf(text, "exported %lld of %lld accounts (%d columns) to %s\n", (long long)s.rows_out,
            (long long)s.rows_in, s.columns, out);
  rc = cli_finish(&run);
  cli_run_free(&run);
  return rc;
}
