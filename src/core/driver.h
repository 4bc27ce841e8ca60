/*
 * The block driver: splits rows 0..n-1 into fixed blocks and runs them over one OpenMP team.
 * The blocks do not depend on the thread count, and per-block partial results are summed in
 * block order after the parallel region, so every reduction is identical for 1 or 64 threads.
 */
#ifndef STRATA_DRIVER_H
#define STRATA_DRIVER_H

#include "core/core.h"

/* Work on rows [begin, end) of block `block`. `partial` has n_partial doubles, zeroed, that
 * belong to this block alone. Runs concurrently with other blocks: touch only this block's
 * rows and partials. */
typedef void (*strata_block_fn)(void *arg, int64_t block, int64_t begin, int64_t end,
                                double *partial);

/* Number of blocks of block_rows rows covering n rows. */
static inline int64_t strata_block_count(int64_t n, int64_t block_rows) {
  return n <= 0 ? 0 : (n + block_rows - 1) / block_rows;
}

/* Runs fn over every block with the context's threads; when `sum` is not NULL it receives
 * the n_partial partials added in block order. `phase` (a string literal) names the work for
 * progress and timing. Fails only for bad arguments or when the partials cannot be
 * allocated. */
strata_status strata_for_blocks(strata_ctx *ctx, const char *phase, int64_t n, int64_t block_rows,
                                size_t n_partial, strata_block_fn fn, void *arg, double *sum);

#endif
