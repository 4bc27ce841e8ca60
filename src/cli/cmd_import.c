/* `strata import`: a transaction log (CDNOW layout or CSV) into /transactions. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_cmd_import(int argc, char **argv, int argc_all, char **argv_all) {
  strata_import_params p;
  strata_import_params_init(&p);
  const char *format = NULL, *out = NULL, *delimiter = ",";
  int skip = 0;
  cli_option options[] = {
      {"format", 'f', CLI_STRING, &format, "FMT", "cdnow or csv", 1, 0, 0, 0},
      {"out", 'o', CLI_STRING, &out, "FILE", "output HDF5 file", 1, 0, 0, 0},
      {"id-col", 0, CLI_STRING, &p.id_col, "NAME", "CSV: customer id column (customer_id)", 0, 0, 0,
       0},
      {"date-col", 0, CLI_STRING, &p.date_col, "NAME", "CSV: date column, YYYY-MM-DD (date)", 0, 0,
       0, 0},
      {"amount-col", 0, CLI_STRING, &p.amount_col, "NAME", "CSV: amount column (amount)", 0, 0, 0,
       0},
      {"quantity-col", 0, CLI_STRING, &p.quantity_col, "NAME", "CSV: optional quantity column", 0,
       0, 0, 0},
      {"delimiter", 0, CLI_STRING, &delimiter, "C", "CSV: field separator (,)", 0, 0, 0, 0},
      {"skip-bad-rows", 0, CLI_FLAG, &skip, NULL,
       "skip unparseable rows and report how many (default: fail on the first)", 0, 0, 0, 0},
  };
  cli_command cmd = {
      "import",
      "Import a transaction log (CDNOW layout or CSV) into /transactions of an HDF5 file.",
      "import --format cdnow|csv IN --out FILE [options]",
      "CDNOW: whitespace-separated 'id date quantity amount' (or with the sample id as second\n"
      "column), dates YYYYMMDD, an optional header line. CSV: a header line names the columns;\n"
      "ids are integers, dates YYYY-MM-DD. Every bad row is reported with its line (record)\n"
      "number; nothing is dropped silently.",
      options,
      sizeof options / sizeof options[0],
      1,
      "IN",
      1};
  cli_run run;
  int rc;
  if (!cli_start(&run, &cmd, argc, argv, argc_all, argv_all, &rc)) {
    cli_run_free(&run);
    return rc;
  }
  static const char *const format_names[] = {"cdnow", "csv"};
  int choice = 0;
  if ((rc = cli_parse_choice(&run, "format", format, format_names, 2, &choice)) != CLI_EXIT_OK) {
    cli_run_free(&run);
    return rc;
  }
  p.format = choice == 0 ? STRATA_IMPORT_CDNOW : STRATA_IMPORT_CSV;
  if (strlen(delimiter) != 1) {
    rc = cli_usage_error(&run, "--delimiter must be one character, got '%s'", delimiter);
    cli_run_free(&run);
    return rc;
  }
  p.delimiter = delimiter[0];
  p.skip_bad_rows = skip;
  if ((rc = cli_check_distinct(&run, run.positional, out)) != CLI_EXIT_OK) {
    cli_run_free(&run);
    return rc;
  }
  strata_import_summary s;
  strata_status st =
      strata_import(run.ctx, run.positional, &p, out, run.common.force, run.command_line, &s);
  if (st != STRATA_OK) {
    rc = cli_fail(&run, st);
    cli_run_free(&run);
    return rc;
  }
  cJSON_AddStringToObject(run.result, "out", out);
  cJSON_AddNumberToObject(run.result, "rows", (double)s.rows);
  cJSON_AddNumberToObject(run.result, "skipped_rows", (double)s.skipped);
  if (s.skipped) cJSON_AddStringToObject(run.result, "first_bad_row", s.first_bad);
  cJSON_AddNumberToObject(run.result, "first_day", s.first_day);
  cJSON_AddNumberToObject(run.result, "last_day", s.last_day);
  cJSON_AddNumberToObject(run.result, "total_amount", s.total_amount);
  FILE *text = cli_text(&run);
  if (text) {
    fprintf(text, "imported %lld transactions from %s into %s (total amount %.2f)\n",
            (long long)s.rows, run.positional, out, s.total_amount);
    if (s.skipped)
      fprintf(text, "skipped %lld bad rows; the first: %s\n", (long long)s.skipped, s.first_bad);
  }
  rc = cli_finish(&run);
  cli_run_free(&run);
  return rc;
}
