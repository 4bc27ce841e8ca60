/*
 * `strata export`: the per-account results of `strata segment` / `strata score` (/segments)
 * as one CSV (RFC 4180) for CRMs and BI tools, optionally gzip or zstd compressed, filtered,
 * streamed in row blocks so that memory stays bounded for any number of accounts.
 *
 * Columns, in this fixed order, each present only when the file has its dataset:
 *   account_id          the string key when /customers/{id,key} map ids to keys (in the
 *                       results file or params->keys), else the integer id
 *   segment_label       /segments/label (0-based)
 *   segment             /segments/name[label]
 *   r_score, f_score, m_score   /segments/rfm/{r,f,m}_score (1-5, 0 = no transaction)
 *   rfm_cell            /segments/rfm/cell_name[cell] ("Others" for -1, empty for -2 = no
 *                       transaction); the cell number when the file has no cell names
 *   value_risk_cell     /segments/value_risk/cell_name[cell] (empty for -2); else the number
 *   p_alive, expected_purchases, expected_spend, clv   shortest round-trip decimals; empty
 *                       for NaN
 * Rows come in the order of /segments/account_id, or best CLV first (ties: smaller id) with
 * --top. The input is never modified; the output is atomic (export_sink.h).
 */
#ifndef STRATA_IO_EXPORT_H
#define STRATA_IO_EXPORT_H

#include <stdint.h>

#include "core/core.h"
#include "io/export_sink.h"

typedef struct strata_export_params {
  const char *keys;            /* NULL: look for /customers/{id,key} in the results file */
  strata_export_compress compress;
  const char *segment;         /* NULL, an exact segment name, or a label number */
  const char *rfm_cell;        /* NULL, an exact RFM cell name, or a cell number */
  const char *value_risk_cell; /* NULL, a name, its part before ':', or a cell number */
  double p_alive_below;        /* NaN: no filter; else keep p_alive < X */
  double clv_above;            /* NaN: no filter; else keep clv > X */
  int64_t top;                 /* 0: all rows; else the `top` rows of highest CLV */
  int threads;                 /* formatting threads (0: the context's) */
  int64_t block_rows;          /* rows per read block (0: 65536) */
} strata_export_params;

typedef struct strata_export_summary {
  int64_t rows_in;  /* accounts in the file */
  int64_t rows_out; /* rows written (the header line not counted) */
  int columns;
  int keyed;        /* 1 when account ids were written as string keys */
} strata_export_summary;

void strata_export_params_init(strata_export_params *p);

/* Writes the CSV. A filter naming an unknown segment or cell: STRATA_ERR_USAGE listing the
 * valid names; a file without /segments, a length mismatch, a label or cell out of range, an
 * id missing from the keys: STRATA_ERR_DATA naming the file and dataset. On any failure
 * nothing appears at `out`. */
strata_status strata_export(strata_ctx *ctx, const char *in, const char *out, int force,
                            const strata_export_params *p, strata_export_summary *summary);

#endif
