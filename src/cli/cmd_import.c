/* `strata import`: transaction logs (CDNOW layout or CSV), one or several, into /transactions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/dates.h"
#include "io/import.h"

/* cli_parse takes one positional; the inputs after the first are taken out of argv here, so the
 * option values (which may look like file names) must be skipped the way cli_parse reads them. */
static int takes_value(const cli_option *options, size_t n, const char *arg) {
  if (arg[0] != '-' || arg[1] == '\0') return 0;
  if (arg[1] != '-') return arg[2] == '\0' && (arg[1] == 'f' || arg[1] == 'o');
  const char *name = arg + 2;
  if (strchr(name, '=')) return 0;
  if (strcmp(name, "threads") == 0 || strcmp(name, "memory") == 0) return 1;
  for (size_t i = 0; i < n; i++)
    if (strcmp(options[i].name, name) == 0) return options[i].kind != CLI_FLAG;
  return 0;
}

static void add_date(cJSON *obj, const char *name, int32_t day, char *buf, size_t size) {
  int64_t y;
  int m, d;
  strata_civil_from_days(day, &y, &m, &d);
  snprintf(buf, size, "%04lld-%02d-%02d", (long long)y, m, d);
  if (obj) cJSON_AddStringToObject(obj, name, buf);
}

int cli_cmd_import(int argc, char **argv, int argc_all, char **argv_all) {
  strata_import_options o;
  memset(&o, 0, sizeof o);
  strata_import_params_init(&o.base);
  o.base.amount_col = NULL; /* "amount" unless --price-col: the library settles it */
  const char *format = NULL, *out = NULL, *delimiter = ",";
  int skip = 0;
  cli_option options[] = {
      {"format", 'f', CLI_STRING, &format, "FMT", "cdnow or csv", 1, 0, 0, 0},
      {"out", 'o', CLI_STRING, &out, "FILE", "output HDF5 file", 1, 0, 0, 0},
      {"id-col", 0, CLI_STRING, &o.base.id_col, "NAME",
       "CSV: customer id column (customer_id); any text", 0, 0, 0, 0},
      {"date-col", 0, CLI_STRING, &o.base.date_col, "NAME", "CSV: date column (date)", 0, 0, 0, 0},
      {"date-format", 0, CLI_STRING, &o.date_format, "PATTERN",
       "dates as %Y %y %m %d %j %b %B and literals, e.g. '%d/%m/%Y' (default: YYYY-MM-DD, "
       "ISO 8601 timestamps, YYYYMMDD)",
       0, 0, 0, 0},
      {"amount-col", 0, CLI_STRING, &o.base.amount_col, "NAME", "CSV: amount column (amount)", 0, 0,
       0, 0},
      {"quantity-col", 0, CLI_STRING, &o.base.quantity_col, "NAME",
       "CSV: quantity column (a count, stored; with --price-col any number)", 0, 0, 0, 0},
      {"price-col", 0, CLI_STRING, &o.price_col, "NAME",
       "CSV: unit price column; amount = quantity x price (instead of --amount-col)", 0, 0, 0, 0},
      {"decimal-comma", 0, CLI_FLAG, &o.decimal_comma, NULL,
       "amounts written 12,50 (CSV: needs --delimiter ';' or tab)", 0, 0, 0, 0},
      {"delimiter", 0, CLI_STRING, &delimiter, "C",
       "CSV: field separator: one character or 'tab' (,)", 0, 0, 0, 0},
      {"skip-bad-rows", 0, CLI_FLAG, &skip, NULL,
       "skip unparseable rows and report how many (default: fail on the first)", 0, 0, 0, 0},
  };
  size_t n_options = sizeof options / sizeof options[0];
  cli_command cmd = {
      "import",
      "Import transaction logs (CDNOW layout or CSV) into /transactions of an HDF5 file.",
      "import --format cdnow|csv IN [IN ...] --out FILE [options]",
      "CDNOW: whitespace-separated 'id date quantity amount' (or with the sample id as second\n"
      "column), an optional header line. CSV: a header line names the columns. Several inputs\n"
      "(e.g. monthly extracts) become one log, read in the order given. Customer ids are any\n"
      "text: /customers/key keeps them as written and /customers/id their ids, which are the\n"
      "integers themselves when every id is a distinct integer, else 1..N in order of first\n"
      "appearance. A time of day after a date is ignored (the calendar date as written, no\n"
      "time-zone conversion). Every bad row is reported with its file and line (record)\n"
      "number; nothing is dropped silently.",
      options,
      n_options,
      1,
      "IN",
      1};
  /* Take the inputs after the first out of argv (see takes_value). */
  char **args = malloc(((size_t)argc + 1) * sizeof *args);
  const char **inputs = malloc(((size_t)argc + 1) * sizeof *inputs);
  if (!args || !inputs) {
    free(args);
    free(inputs);
    fprintf(stderr, "strata import: out of memory\n");
    return CLI_EXIT_MEMORY;
  }
  int n_args = 0, n_inputs = 0, only_positional = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!only_positional && strcmp(a, "--") == 0) {
      only_positional = 1;
      args[n_args++] = argv[i];
    } else if (!only_positional && a[0] == '-' && a[1] != '\0') {
      args[n_args++] = argv[i];
      if (takes_value(options, n_options, a) && i + 1 < argc) args[n_args++] = argv[++i];
    } else if (n_inputs++ == 0) {
      args[n_args++] = argv[i];
      inputs[0] = a;
    } else {
      inputs[n_inputs - 1] = a;
    }
  }
  args[n_args] = NULL;
  cli_run run;
  int rc;
  if (!cli_start(&run, &cmd, n_args, args, argc_all, argv_all, &rc)) goto done;
  static const char *const format_names[] = {"cdnow", "csv"};
  int choice = 0;
  if ((rc = cli_parse_choice(&run, "format", format, format_names, 2, &choice)) != CLI_EXIT_OK)
    goto done;
  o.base.format = choice == 0 ? STRATA_IMPORT_CDNOW : STRATA_IMPORT_CSV;
  if (strcmp(delimiter, "tab") == 0 || strcmp(delimiter, "\\t") == 0) delimiter = "\t";
  if (strlen(delimiter) != 1) {
    rc = cli_usage_error(&run, "--delimiter must be one character or 'tab', got '%s'", delimiter);
    goto done;
  }
  o.base.delimiter = delimiter[0];
  o.base.skip_bad_rows = skip;
  for (int i = 0; i < n_inputs; i++)
    if ((rc = cli_check_distinct(&run, inputs[i], out)) != CLI_EXIT_OK) goto done;
  strata_import_report r;
  strata_status st = strata_import_files(run.ctx, inputs, n_inputs, &o, out, run.common.force,
                                         run.command_line, &r);
  if (st != STRATA_OK) {
    rc = cli_fail(&run, st);
    goto done;
  }
  const strata_import_summary *s = &r.base;
  char first[32], last[32];
  cJSON_AddStringToObject(run.result, "out", out);
  cJSON_AddNumberToObject(run.result, "inputs", n_inputs);
  cJSON_AddNumberToObject(run.result, "rows", (double)s->rows);
  cJSON_AddNumberToObject(run.result, "transactions", (double)s->rows);
  cJSON_AddNumberToObject(run.result, "customers", (double)r.customers);
  cJSON_AddStringToObject(run.result, "id_rule", r.ids_mapped ? "first_appearance" : "integer");
  cJSON_AddNumberToObject(run.result, "skipped_rows", (double)s->skipped);
  if (s->skipped) cJSON_AddStringToObject(run.result, "first_bad_row", s->first_bad);
  cJSON_AddNumberToObject(run.result, "first_day", s->first_day);
  cJSON_AddNumberToObject(run.result, "last_day", s->last_day);
  add_date(run.result, "first_date", s->first_day, first, sizeof first);
  add_date(run.result, "last_date", s->last_day, last, sizeof last);
  cJSON_AddNumberToObject(run.result, "total_amount", s->total_amount);
  cJSON_AddNumberToObject(run.result, "zero_amount_rows", (double)r.zero_amount);
  cJSON_AddNumberToObject(run.result, "negative_amount_rows", (double)r.negative);
  /* What the CLV steps of this version do with such rows, so nobody is surprised later. */
  const char *zero_note =
      "customers whose repeat purchases total 0 are left out of the Gamma-Gamma fit and get the "
      "population's expected spend";
  const char *negative_note =
      "strata clv and strata segment reject negative amounts (refunds), naming the row: net "
      "them out or drop them before clv/segment";
  cJSON_AddStringToObject(run.result, "zero_amount_policy", zero_note);
  if (r.negative) cJSON_AddStringToObject(run.result, "negative_amount_policy", negative_note);
  /* The summary is for a person: stderr, so a pipeline's stdout stays clean. */
  if (!run.common.json && !run.common.quiet) {
    fprintf(stderr,
            "imported %lld transactions of %lld customers from %d file%s into %s\n"
            "  dates %s .. %s, total amount %.2f\n"
            "  customer ids: %s\n"
            "  rows with zero amount: %lld; with a negative amount (refunds): %lld\n",
            (long long)s->rows, (long long)r.customers, n_inputs, n_inputs == 1 ? "" : "s", out,
            first, last, s->total_amount,
            r.ids_mapped ? "mapped to 1..N in order of first appearance (/customers/key)"
                         : "the integers as given (/customers/key keeps the text)",
            (long long)r.zero_amount, (long long)r.negative);
    if (r.zero_amount) fprintf(stderr, "  zero amounts: %s\n", zero_note);
    if (r.negative) fprintf(stderr, "  negative amounts: %s\n", negative_note);
    if (s->skipped)
      fprintf(stderr, "skipped %lld bad rows; the first: %s\n", (long long)s->skipped,
              s->first_bad);
  }
  rc = cli_finish(&run);
done:
  cli_run_free(&run);
  free(args);
  free(inputs);
  return rc;
}
