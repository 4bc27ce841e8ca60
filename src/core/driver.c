/* Deterministic block-parallel driver; see driver.h. */
#include <omp.h>
#include <string.h>

#include "core/driver.h"

strata_status strata_for_blocks(strata_ctx *ctx, const char *phase, int64_t n, int64_t block_rows,
                                size_t n_partial, strata_block_fn fn, void *arg, double *sum) {
  strata_status st = STRATA_OK;
  double *partials = NULL;
  STRATA_FAIL_IF(n < 0 || block_rows < 1 || fn == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_for_blocks: n = %lld, block_rows = %lld", (long long)n,
                 (long long)block_rows);
  int64_t n_blocks = strata_block_count(n, block_rows);
  if (n_partial > 0 && n_blocks > 0)
    STRATA_TRY(strata_calloc(ctx, (size_t)n_blocks, n_partial * sizeof(double),
                             "per-block partial sums", (void **)&partials));
  double t0 = strata_now();
  /* No more threads than blocks: starting an idle team costs more than a small job. */
  int threads = strata_ctx_threads(ctx);
  if (n_blocks < threads) threads = n_blocks > 0 ? (int)n_blocks : 1;
  int64_t done = 0;
  /* Dynamic scheduling balances uneven blocks; results stay fixed because each block owns its
   * slot of `partials` and the final sum runs in block order below. */
#pragma omp parallel num_threads(threads) default(none) \
    shared(n, block_rows, n_blocks, n_partial, fn, arg, partials, done, ctx, phase)
  {
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < n_blocks; b++) {
      int64_t begin = b * block_rows;
      int64_t end = begin + block_rows < n ? begin + block_rows : n;
      fn(arg, b, begin, end, partials ? partials + (size_t)b * n_partial : NULL);
      int64_t finished;
#pragma omp atomic capture
      finished = ++done;
      if (omp_get_thread_num() == 0 && ctx != NULL && ctx->progress != NULL)
        strata_progress(ctx, phase, (double)finished / (double)n_blocks);
    }
  }
  if (sum != NULL) {
    memset(sum, 0, n_partial * sizeof(double));
    for (int64_t b = 0; b < n_blocks; b++)
      for (size_t j = 0; j < n_partial; j++) sum[j] += partials[(size_t)b * n_partial + j];
  }
  strata_phase_add(ctx, phase, strata_now() - t0);
cleanup:
  strata_free(partials);
  return st;
}
