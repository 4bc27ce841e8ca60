/* Transactions per block of accounts; see txn_blocks.h. One pass over /accounts/id and
 * /transactions/{customer_id, day} in 8 MiB chunks: O(n + m) reads, O(n / block_rows) memory
 * beyond the chunk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "clv/run.h"
#include "core/core.h"
#include "io/prefetch.h"
#include "segment/txn_blocks.h"

#define TXN_CHUNK ((int64_t)1 << 20)

void strata_txn_blocks_release(strata_txn_blocks *t) {
  if (t == NULL) return;
  free(t->bounds);
  strata_h5_dataset_close(t->id);
  strata_h5_dataset_close(t->day);
  strata_h5_dataset_close(t->amount);
  memset(t, 0, sizeof *t);
}

/* Opens a column of /transactions as strata_transactions_read does (rank 1, type, row count). */
static strata_status open_column(strata_ctx *ctx, strata_h5_file *f, const char *name,
                                 unsigned types, int64_t m, strata_h5_dataset **out) {
  strata_status st = STRATA_OK;
  STRATA_TRY(strata_h5_dataset_open(ctx, f, name, 1, types, 0, out));
  int64_t rows = strata_h5_dataset_info(*out)->dims[0];
  STRATA_FAIL_IF(m > 0 && rows != m, ctx, STRATA_ERR_DATA,
                 "%s: %s has %lld rows, expected %lld (one per row of the data)", strata_h5_path(f),
                 name, (long long)rows, (long long)m);
cleanup:
  return st;
}

/* The layout does not allow per-block reads: say why (the caller falls back to a whole read). */
static void note_unsorted(strata_txn_blocks *out, int64_t row) {
  snprintf(out->note, sizeof out->note,
           "/transactions/customer_id is not sorted by customer (row %lld): "
           "transactions read whole",
           (long long)row);
}

/* out->day_max: the last day of the whole log, read in chunks. */
static strata_status read_last_day(strata_ctx *ctx, strata_txn_blocks *out) {
  strata_status st = STRATA_OK;
  int32_t *days = NULL;
  const int64_t m = out->m;
  STRATA_TRY(strata_alloc(ctx, (size_t)(m < TXN_CHUNK ? m : TXN_CHUNK), sizeof(int32_t),
                          "day chunk", (void **)&days));
  int32_t day_max = INT32_MIN;
  for (int64_t r0 = 0; r0 < m; r0 += TXN_CHUNK) {
    int64_t rows = m - r0 < TXN_CHUNK ? m - r0 : TXN_CHUNK;
    STRATA_TRY(strata_h5_dataset_read_rows(ctx, out->day, r0, rows, STRATA_I32, days));
    for (int64_t i = 0; i < rows; i++)
      if (days[i] > day_max) day_max = days[i];
  }
  out->day_max = day_max;
cleanup:
  strata_free(days);
  return st;
}

strata_status strata_txn_blocks_probe(strata_ctx *ctx, strata_h5_file *f,
                                      strata_h5_dataset *account_ids, int64_t n, int64_t block_rows,
                                      strata_txn_blocks *out) {
  strata_status st = STRATA_OK;
  int64_t *last_id = NULL, *chunk = NULL;
  memset(out, 0, sizeof *out);
  STRATA_FAIL_IF(n < 1 || block_rows < 1, ctx, STRATA_ERR_USAGE,
                 "strata_txn_blocks_probe: %lld accounts in blocks of %lld", (long long)n,
                 (long long)block_rows);
  STRATA_TRY(open_column(ctx, f, "/transactions/customer_id", STRATA_TYPES_INT, 0, &out->id));
  const int64_t m = out->m = strata_h5_dataset_info(out->id)->dims[0];
  STRATA_TRY(open_column(ctx, f, "/transactions/day", STRATA_TYPES_INT, m, &out->day));
  STRATA_TRY(open_column(ctx, f, "/transactions/amount", STRATA_TYPES_ANY, m, &out->amount));
  const int64_t nb = out->n_blocks = (n + block_rows - 1) / block_rows;
  last_id = malloc((size_t)nb * sizeof *last_id);
  out->bounds = malloc((size_t)(nb + 1) * sizeof *out->bounds);
  STRATA_FAIL_IF(last_id == NULL || out->bounds == NULL, ctx, STRATA_ERR_NOMEM,
                 "out of memory for the transaction blocks");
  const int64_t txn_rows = m < TXN_CHUNK ? m : TXN_CHUNK,
                acc_rows = n < block_rows ? n : block_rows;
  STRATA_TRY(strata_alloc(ctx, (size_t)(txn_rows > acc_rows ? txn_rows : acc_rows), sizeof(int64_t),
                          "id chunk", (void **)&chunk));

  /* The accounts' last id per block; a merge needs them strictly ascending. */
  int64_t prev = INT64_MIN;
  for (int64_t b = 0; b < nb; b++) {
    int64_t r0 = b * block_rows, rows = n - r0 < block_rows ? n - r0 : block_rows;
    if (account_ids == NULL) {
      last_id[b] = r0 + rows - 1;
      continue;
    }
    STRATA_TRY(strata_h5_dataset_read_rows(ctx, account_ids, r0, rows, STRATA_I64, chunk));
    for (int64_t i = 0; i < rows; i++) {
      if (chunk[i] <= prev) {
        snprintf(out->note, sizeof out->note,
                 "/accounts/id does not ascend (row %lld): transactions read whole",
                 (long long)(r0 + i));
        goto cleanup;
      }
      prev = chunk[i];
    }
    last_id[b] = prev;
  }

  /* bounds[b + 1] = rows whose customer id is at most block b's last id; the last block
   * takes the rest. */
  int64_t b = 0;
  prev = INT64_MIN;
  out->bounds[0] = 0;
  for (int64_t r0 = 0; r0 < m; r0 += TXN_CHUNK) {
    int64_t rows = m - r0 < TXN_CHUNK ? m - r0 : TXN_CHUNK;
    STRATA_TRY(strata_h5_dataset_read_rows(ctx, out->id, r0, rows, STRATA_I64, chunk));
    for (int64_t i = 0; i < rows; i++) {
      int64_t id = chunk[i];
      if (id < prev) {
        note_unsorted(out, r0 + i);
        goto cleanup;
      }
      prev = id;
      while (b < nb - 1 && id > last_id[b]) out->bounds[++b] = r0 + i;
    }
  }
  while (b < nb) out->bounds[++b] = m;

  /* The calibration end of the whole file (the summary's default: its last day). */
  STRATA_TRY(read_last_day(ctx, out));
  out->grouped = 1;
cleanup:
  free(last_id);
  strata_free(chunk);
  if (st != STRATA_OK) strata_txn_blocks_release(out);
  return st;
}

strata_status strata_txn_chunks_probe(strata_ctx *ctx, strata_h5_file *f, int64_t chunk_rows,
                                      strata_txn_blocks *out) {
  strata_status st = STRATA_OK;
  int64_t *chunk = NULL;
  memset(out, 0, sizeof *out);
  STRATA_FAIL_IF(chunk_rows < 1, ctx, STRATA_ERR_USAGE,
                 "strata_txn_chunks_probe: chunks of %lld rows", (long long)chunk_rows);
  STRATA_TRY(open_column(ctx, f, "/transactions/customer_id", STRATA_TYPES_INT, 0, &out->id));
  const int64_t m = out->m = strata_h5_dataset_info(out->id)->dims[0];
  STRATA_TRY(open_column(ctx, f, "/transactions/day", STRATA_TYPES_INT, m, &out->day));
  STRATA_TRY(open_column(ctx, f, "/transactions/amount", STRATA_TYPES_ANY, m, &out->amount));
  out->bounds = malloc((size_t)(m / chunk_rows + 2) * sizeof *out->bounds);
  STRATA_FAIL_IF(out->bounds == NULL, ctx, STRATA_ERR_NOMEM,
                 "out of memory for the transaction chunks");
  STRATA_TRY(strata_alloc(ctx, (size_t)(m < TXN_CHUNK ? m : TXN_CHUNK), sizeof(int64_t), "id chunk",
                          (void **)&chunk));
  int64_t nb = 0, prev = INT64_MIN;
  out->bounds[0] = 0;
  for (int64_t r0 = 0; r0 < m; r0 += TXN_CHUNK) {
    int64_t rows = m - r0 < TXN_CHUNK ? m - r0 : TXN_CHUNK;
    STRATA_TRY(strata_h5_dataset_read_rows(ctx, out->id, r0, rows, STRATA_I64, chunk));
    for (int64_t i = 0; i < rows; i++) {
      int64_t id = chunk[i];
      if (id < prev) {
        note_unsorted(out, r0 + i);
        goto cleanup;
      }
      if (id != prev) {
        out->customers++;
        if (r0 + i - out->bounds[nb] >= chunk_rows) out->bounds[++nb] = r0 + i;
      }
      prev = id;
    }
  }
  out->bounds[++nb] = m;
  out->n_blocks = nb;
  STRATA_TRY(read_last_day(ctx, out));
  out->grouped = 1;
cleanup:
  strata_free(chunk);
  if (st != STRATA_OK) strata_txn_blocks_release(out);
  return st;
}

/* The per-customer arrays of an RFM summary (8-byte values each), in one list so that
 * growing and appending treat them alike. */
#define RFM_ARRAYS 9
static void rfm_arrays(strata_clv_rfm *r, void **slots[RFM_ARRAYS]) {
  void **all[RFM_ARRAYS] = {(void **)&r->id,           (void **)&r->x,
                            (void **)&r->t_x,          (void **)&r->T,
                            (void **)&r->transactions, (void **)&r->monetary,
                            (void **)&r->revenue,      (void **)&r->revenue_prev,
                            (void **)&r->revenue_curr};
  memcpy(slots, all, sizeof all);
}

/* Makes room for `want` customers in dst: the money arrays (monetary, revenue) when
 * `with_money`, the growth windows' when `with_growth`. */
static strata_status reserve_rfm(strata_ctx *ctx, strata_clv_rfm *dst, int64_t *cap, int64_t want,
                                 int with_money, int with_growth) {
  strata_status st = STRATA_OK;
  if (want <= *cap) goto cleanup;
  void **slots[RFM_ARRAYS];
  rfm_arrays(dst, slots);
  const int present[RFM_ARRAYS] = {1, 1, 1, 1, 1, with_money, with_money, with_growth, with_growth};
  void *grown[RFM_ARRAYS] = {NULL};
  for (int a = 0; a < RFM_ARRAYS && st == STRATA_OK; a++)
    if (present[a]) st = strata_alloc(ctx, (size_t)want, 8, "RFM summary", &grown[a]);
  if (st != STRATA_OK) {
    for (int a = 0; a < RFM_ARRAYS; a++) strata_free(grown[a]);
    goto cleanup;
  }
  for (int a = 0; a < RFM_ARRAYS; a++) {
    if (dst->n && grown[a] && *slots[a]) memcpy(grown[a], *slots[a], (size_t)dst->n * 8);
    strata_free(*slots[a]);
    *slots[a] = grown[a];
  }
  *cap = want;
cleanup:
  return st;
}

/* Appends src's customers to dst. */
static strata_status append_rfm(strata_ctx *ctx, strata_clv_rfm *dst, int64_t *cap,
                                const strata_clv_rfm *src) {
  strata_status st = STRATA_OK;
  if (dst->n + src->n > *cap)
    STRATA_TRY(reserve_rfm(ctx, dst, cap, 2 * (dst->n + src->n), src->monetary != NULL,
                           src->revenue_prev != NULL));
  const size_t bytes = (size_t)src->n * 8;
  void **to[RFM_ARRAYS], **from[RFM_ARRAYS];
  rfm_arrays(dst, to);
  rfm_arrays((strata_clv_rfm *)src, from);
  for (int a = 0; a < RFM_ARRAYS; a++)
    if (*from[a] && *to[a]) memcpy((char *)*to[a] + (size_t)dst->n * 8, *from[a], bytes);
  dst->n += src->n;
  dst->rows_used += src->rows_used;
cleanup:
  return st;
}

strata_status strata_txn_rfm_stream(strata_ctx *ctx, const char *path, const strata_txn_blocks *t,
                                    const strata_clv_rfm_params *params, strata_clv_rfm **out) {
  strata_status st = STRATA_OK;
  strata_prefetch *pf = NULL;
  strata_clv_rfm *whole = NULL, *part = NULL;
  int64_t cap = 0;
  STRATA_FAIL_IF(
      t == NULL || !t->grouped || params == NULL || out == NULL || params->holdout_days != 0, ctx,
      STRATA_ERR_USAGE, "strata_txn_rfm_stream: needs sorted transactions and no holdout");
  *out = NULL;
  strata_clv_rfm_params p = *params;
  if (p.calibration_end == STRATA_CLV_DAY_LAST) p.calibration_end = t->day_max;
  whole = calloc(1, sizeof *whole);
  STRATA_FAIL_IF(whole == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for the RFM summary");
  whole->calibration_end = p.calibration_end;
  /* The result first, at its final size: allocated after the chunks' temporaries, it would
   * sit above them in the heap and keep their freed pages resident (glibc only trims the
   * top). */
  STRATA_TRY(reserve_rfm(ctx, whole, &cap, t->customers > 0 ? t->customers : 1, 1,
                         p.growth_days > 0));
  /* One "row" of the stream per chunk: every column's rows come from the chunk bounds. */
  const strata_prefetch_column cols[3] = {
      {t->id, STRATA_I64, t->bounds, NULL, NULL},
      {t->day, STRATA_I32, t->bounds, NULL, NULL},
      {t->amount, STRATA_F64, t->bounds, path, "/transactions/amount"}};
  STRATA_TRY(strata_prefetch_start(ctx, cols, 3, NULL, 0, t->n_blocks, 1, &pf));
  for (;;) {
    strata_prefetch_block *blk = NULL;
    STRATA_TRY(strata_prefetch_next(ctx, pf, &blk));
    if (blk == NULL) break;
    const int64_t mc = blk->col_rows[0], first = blk->col_row0[0];
    const int64_t *id = blk->col[0];
    const double *amount = blk->col[2];
    /* The log's row numbers rather than the chunk's. */
    STRATA_TRY(strata_transactions_check_amounts(ctx, path, first, id, amount, mc));
    STRATA_TRY(strata_clv_rfm_compute(ctx, id, blk->col[1], amount, mc, &p, &part));
    STRATA_TRY(append_rfm(ctx, whole, &cap, part));
    strata_clv_rfm_free(part);
    part = NULL;
  }
  STRATA_TRY(strata_prefetch_finish(ctx, pf));
#ifdef __GLIBC__
  /* The chunks' temporaries came and went in sizes near glibc's moving mmap threshold, so
   * many were served from the heap and stay resident once freed; give those pages back
   * before the pipeline's large arrays arrive. */
  malloc_trim(0);
#endif
  *out = whole;
  whole = NULL;
cleanup:
  strata_prefetch_free(pf);
  strata_clv_rfm_free(part);
  strata_clv_rfm_free(whole);
  return st;
}
