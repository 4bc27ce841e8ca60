/* Deterministic block-parallel driver; see driver.h. */
#include <omp.h>
#include <string.h>

#include "core/driver.h"

/* Columns of the partials that one thread adds up in the final reduction. */
#define STRATA_REDUCE_CHUNK 512

strata_status strata_for_blocks(strata_ctx *ctx, const char *phase, int64_t n, int64_t block_rows,
                                size_t n_partial, strata_block_fn fn, void *arg, double *sum) {
  strata_status st = STRATA_OK;
  double *partials = NULL;
  STRATA_FAIL_IF(n < 0 || block_rows < 1 || fn == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_for_blocks: n = %lld, block_rows = %lld", (long long)n,
                 (long long)block_rows);
  int64_t n_blocks = strata_block_count(n, block_rows);
  /* Not zeroed here: each block zeroes its own slot on the thread that runs it, just before
   * using it, so the slot is in that core's cache and the zeroing is parallel (a calloc of
   * the whole array cost a serial pass over up to 8 MB per Lloyd iteration, plus page faults,
   * and left the slots cold). */
  /* Slots start on 64-byte boundaries: a block's vector updates of its sums must not split
   * cache lines (with k d + k + 2 doubles per slot, every other slot did, which doubled the
   * cost of the Lloyd accumulation). */
  const size_t stride = (n_partial + 7) / 8 * 8;
  if (n_partial > 0 && n_blocks > 0)
    STRATA_TRY(strata_alloc(ctx, (size_t)n_blocks, stride * sizeof(double),
                            "per-block partial sums", (void **)&partials));
  double t0 = strata_now();
  /* No more threads than blocks: starting an idle team costs more than a small job. */
  int threads = strata_ctx_threads(ctx);
  if (n_blocks < threads) threads = n_blocks > 0 ? (int)n_blocks : 1;
  int64_t done = 0;
  const int64_t n_chunks =
      sum != NULL ? (int64_t)((n_partial + STRATA_REDUCE_CHUNK - 1) / STRATA_REDUCE_CHUNK) : 0;
  /* Dynamic scheduling balances uneven blocks; results stay fixed because each block owns its
   * slot of `partials` and the final sum runs in block order below. */
#pragma omp parallel num_threads(threads) default(none) \
    shared(n, block_rows, n_blocks, n_partial, stride, fn, arg, partials, done, ctx, phase, sum, \
               n_chunks)
  {
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < n_blocks; b++) {
      int64_t begin = b * block_rows;
      int64_t end = begin + block_rows < n ? begin + block_rows : n;
      double *slot = partials ? partials + (size_t)b * stride : NULL;
      if (slot != NULL) memset(slot, 0, n_partial * sizeof(double));
      fn(arg, b, begin, end, slot);
      int64_t finished;
#pragma omp atomic capture
      finished = ++done;
      if (omp_get_thread_num() == 0 && ctx != NULL && ctx->progress != NULL)
        strata_progress(ctx, phase, (double)finished / (double)n_blocks);
    }
    /* Fixed-order reduction: every column is 0 + block 0 + block 1 + ... in block order,
     * whichever thread adds it up, so the sums do not depend on the thread count. Columns
     * are split between the threads (after the loop's barrier). */
#pragma omp for schedule(static)
    for (int64_t c = 0; c < n_chunks; c++) {
      const size_t j0 = (size_t)c * STRATA_REDUCE_CHUNK;
      const size_t j1 = j0 + STRATA_REDUCE_CHUNK < n_partial ? j0 + STRATA_REDUCE_CHUNK : n_partial;
      memset(sum + j0, 0, (j1 - j0) * sizeof(double));
      for (int64_t b = 0; b < n_blocks; b++) {
        const double *pb = partials + (size_t)b * stride;
        for (size_t j = j0; j < j1; j++) sum[j] += pb[j];
      }
    }
  }
  strata_phase_add(ctx, phase, strata_now() - t0);
cleanup:
  strata_free(partials);
  return st;
}
