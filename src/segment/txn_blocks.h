/*
 * The transactions of each block of accounts, when /transactions is sorted by customer id
 * (what `strata gen` writes, and `strata import` of a log sorted by customer such as CDNOW's)
 * and /accounts/id ascends: then block b's customers own one contiguous run of transaction
 * rows, and CLV can be scored block by block in memory bounded by the block instead of the
 * whole log.
 *
 * The per-block result is the whole-file result: RFM per customer depends only on that
 * customer's rows (kept in file order by the stable sort of the summary) and on the
 * calibration end, which is the last day of the whole file and is found here.
 */
#ifndef STRATA_SEGMENT_TXN_BLOCKS_H
#define STRATA_SEGMENT_TXN_BLOCKS_H

#include <stdint.h>

#include "clv/clv.h"
#include "strata.h"

typedef struct strata_txn_blocks {
  int grouped;       /* 1: bounds, day_max hold; 0: note says why, read /transactions whole */
  char note[256];    /* for people: why the per-block path is not taken ("" when it is) */
  int64_t m;         /* transactions */
  int32_t day_max;   /* last transaction day of the file */
  int64_t n_blocks;  /* blocks of block_rows accounts (chunks of the log for chunks_probe) */
  int64_t customers; /* distinct customer ids of the log (chunks_probe only) */
  int64_t *bounds;   /* n_blocks + 1: block b owns rows [bounds[b], bounds[b + 1]); the first
                        and last blocks also take the rows of customers before the first and
                        after the last account, so that every row is read (and checked) once */
  strata_h5_dataset *id, *day, *amount; /* the three columns, open */
} strata_txn_blocks;

/* Opens /transactions/{customer_id, day, amount} of f with the checks of
 * strata_transactions_read (same messages), then scans the ids of the accounts (account_ids,
 * or row numbers when NULL) and of the transactions in bounded chunks to decide whether the
 * per-block path holds. Fails only on read errors and malformed columns; an unsuitable
 * layout is reported through out->grouped and out->note. */
strata_status strata_txn_blocks_probe(strata_ctx *ctx, strata_h5_file *f,
                                      strata_h5_dataset *account_ids, int64_t n, int64_t block_rows,
                                      strata_txn_blocks *out);
void strata_txn_blocks_release(strata_txn_blocks *t);

/* The same for the whole log rather than blocks of accounts: chunks of at least chunk_rows
 * transactions (the last may be shorter) ending at a change of customer, so that no customer
 * straddles two chunks. out->n_blocks counts the chunks. */
strata_status strata_txn_chunks_probe(strata_ctx *ctx, strata_h5_file *f, int64_t chunk_rows,
                                      strata_txn_blocks *out);

/* The RFM summary of the whole log, chunk by chunk (t from strata_txn_chunks_probe, grouped):
 * equal to strata_clv_rfm_compute on the whole log bit for bit, in memory bounded by two
 * chunks plus the O(customers) result. `params` must have no holdout; its calibration_end
 * (STRATA_CLV_DAY_LAST: t->day_max) and freq_multiplier are used. Chunk i + 1 is read while
 * chunk i is summarised (io/prefetch.h): the caller must not use HDF5 meanwhile. */
strata_status strata_txn_rfm_stream(strata_ctx *ctx, const char *path, const strata_txn_blocks *t,
                                    const strata_clv_rfm_params *params, strata_clv_rfm **out);

#endif
