/*
 * The N accounts of highest CLV for `strata export --top N`: a bounded min-heap, so that the
 * selection over any number of rows costs O(rows log N) time and O(N) memory, never a sort of
 * the whole file. Ties go to the smaller account id; a NaN CLV ranks below every number.
 */
#ifndef STRATA_IO_EXPORT_TOP_H
#define STRATA_IO_EXPORT_TOP_H

#include <stdint.h>

#include "core/core.h"

/* One account's exported values (the columns a file lacks stay zero). */
typedef struct strata_export_row {
  double p_alive, expected_purchases, expected_spend, clv;
  int64_t account_id;
  int32_t label, r, f, m, rfm_cell, vr_cell;
} strata_export_row;

typedef struct strata_export_top {
  strata_export_row *heap; /* heap[0] is the weakest kept row */
  int64_t n, cap;
} strata_export_top;

/* 1 when a ranks above b (higher CLV, then smaller id). */
int strata_export_row_better(const strata_export_row *a, const strata_export_row *b);
strata_status strata_export_top_init(strata_ctx *ctx, strata_export_top *t, int64_t cap);
/* Offers a row; kept when fewer than cap are held or it beats the weakest. */
void strata_export_top_offer(strata_export_top *t, const strata_export_row *row);
/* Sorts the kept rows best first (destroys the heap order). */
void strata_export_top_sort(strata_export_top *t);
void strata_export_top_free(strata_export_top *t);

#endif
