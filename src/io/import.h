/* The full `strata import`: several inputs, string customer ids, date patterns, decimal commas
 * and quantity x price. Internal to strata (src/io and src/cli); strata_import in strata.h is
 * the one-file form of it. */
#ifndef STRATA_IO_IMPORT_H
#define STRATA_IO_IMPORT_H

#include "strata.h"

typedef struct strata_import_options {
  strata_import_params base; /* amount_col NULL with price_col set: amount = quantity x price */
  const char *date_format;   /* strftime-style pattern (io/dates.h); NULL: YYYY-MM-DD/YYYYMMDD */
  int decimal_comma;         /* amounts written "12,50"; the delimiter must then not be ',' */
  const char *price_col;     /* CSV: unit price, with quantity_col; exclusive with amount_col */
} strata_import_options;

typedef struct strata_import_report {
  strata_import_summary base;
  int64_t customers;   /* distinct customer keys */
  int64_t zero_amount; /* rows whose amount is 0 */
  int64_t negative;    /* rows whose amount is < 0 (refunds) */
  int ids_mapped;      /* 1: ids are 1..N in order of first appearance; 0: the integer ids */
} strata_import_report;

/* Reads n_in logs in the order given into one /transactions, maps customer keys to ids (the rule
 * is strata_import's header comment in import.c and the /customers attribute "id_rule"), and
 * writes /customers/{id, key}. Errors name the input file and line or record. `report` may be
 * NULL. Inputs are only read; on failure no output is left. */
strata_status strata_import_files(strata_ctx *ctx, const char *const *in, int n_in,
                                  const strata_import_options *options, const char *out, int force,
                                  const char *command_line, strata_import_report *report);

#endif
