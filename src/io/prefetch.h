/*
 * Double-buffered block streaming over HDF5: one reader thread (pthreads) reads block b+1 of a
 * set of datasets while the caller's OpenMP team computes on block b, and writes the caller's
 * results of block b-1 behind it.
 *
 * Debian's HDF5 is built without its thread-safe lock, so no two threads may be inside the
 * library at once. The rule here is ownership, not locking: between strata_prefetch_start and
 * strata_prefetch_finish (or _free) the reader thread makes every HDF5 call on the file and
 * the writer it was given, and the caller makes none; the hand-over at both ends goes through
 * pthread_create/pthread_join, which order the library's global state between the threads.
 *
 * Errors of the reader thread (a failed read, a NaN in a checked column, a failed write) are
 * recorded with the message the plain synchronous call would have left (file, dataset, rows)
 * and surface, with that message, from the caller's next strata_prefetch_next or _finish.
 * Blocks come in order and hold exactly what strata_h5_dataset_read_rows returns.
 *
 * The environment variable STRATA_READ_AHEAD=0 keeps the thread but removes the overlap (the
 * caller waits for the next block's read before computing on the current one), to measure
 * what the overlap gains or to rule it out when chasing a problem.
 */
#ifndef STRATA_IO_PREFETCH_H
#define STRATA_IO_PREFETCH_H

#include <stdint.h>

#include "core/core.h"

#define STRATA_PREFETCH_MAX_COLUMNS 8
#define STRATA_PREFETCH_MAX_OUTPUTS 12

/* One input column. Block b of a column covers rows [b * block_rows, min(n, (b + 1) *
 * block_rows)) of the stream, or [bounds[b], bounds[b + 1]) when `bounds` is given (a column
 * whose rows per block vary, e.g. the transactions of a block of accounts). */
typedef struct strata_prefetch_column {
  strata_h5_dataset *ds; /* borrowed, opened by the caller; NULL: the column is the row
                            numbers themselves (memtype STRATA_I64), for files without ids */
  strata_dtype memtype;  /* element type in memory */
  const int64_t *bounds; /* NULL, or n_blocks + 1 non-decreasing row numbers (borrowed) */
  const char *finite_in; /* non-NULL: float rows are checked with strata_check_finite, which
                            names this file and the dataset `finite_name` */
  const char *finite_name;
} strata_prefetch_column;

/* One output: rows of block b are written to rows [b * block_rows, ...) of the dataset
 * `name` (created by the caller beforehand) once the caller has moved past block b. */
typedef struct strata_prefetch_output {
  strata_h5_writer *w; /* borrowed */
  const char *name;
  strata_dtype dtype;
  int64_t cols; /* elements per row (1 for a vector) */
} strata_prefetch_output;

typedef struct strata_prefetch_block {
  int64_t index;                                 /* 0, 1, 2, ... */
  int64_t row0, rows;                            /* the block's rows of the stream */
  void *col[STRATA_PREFETCH_MAX_COLUMNS];        /* column data, read-only for the caller */
  int64_t col_row0[STRATA_PREFETCH_MAX_COLUMNS]; /* first row of each column's data */
  int64_t col_rows[STRATA_PREFETCH_MAX_COLUMNS]; /* rows of each column's data */
  void *out[STRATA_PREFETCH_MAX_OUTPUTS];        /* the caller fills `rows` rows of each */
} strata_prefetch_block;

typedef struct strata_prefetch_s strata_prefetch;

/* Starts streaming n rows in blocks of block_rows (> 0). Buffers for two blocks of every
 * column and output are allocated here through strata_alloc (so the budget applies). From
 * here on the caller must not call HDF5 until strata_prefetch_finish or _free returns. */
strata_status strata_prefetch_start(strata_ctx *ctx, const strata_prefetch_column *cols, int ncols,
                                    const strata_prefetch_output *outs, int nouts, int64_t n,
                                    int64_t block_rows, strata_prefetch **out);

/* Hands the previous block back (its outputs get written) and waits for the next one: *block
 * is the next block, or NULL after the last. The block stays valid until the next call. On a
 * reader error returns its status, with the reader's message in ctx. */
strata_status strata_prefetch_next(strata_ctx *ctx, strata_prefetch *pf,
                                   strata_prefetch_block **block);

/* Waits for the last outputs to be written, stops the reader thread and returns the first
 * error it met. Adds the reader's "read ahead" seconds to the ctx's phases. The caller may
 * call HDF5 again afterwards. Call after strata_prefetch_next returned NULL. */
strata_status strata_prefetch_finish(strata_ctx *ctx, strata_prefetch *pf);

/* Stops the reader thread if it still runs (abandoning the rest of the stream: after an error
 * of the caller), joins it and frees everything. Accepts NULL. */
void strata_prefetch_free(strata_prefetch *pf);

#endif
