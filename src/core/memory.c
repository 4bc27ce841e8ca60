/* Checked, aligned, budgeted allocation. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static strata_status alloc_impl(strata_ctx *ctx, size_t count, size_t size, const char *what,
                                int zero, void **out) {
  *out = NULL;
  size_t bytes;
  if (!strata_mul_size(count, size, &bytes))
    return strata_fail(ctx, STRATA_ERR_BUDGET, "%s: %zu x %zu bytes overflows the address space",
                       what, count, size);
  if (ctx != NULL && (uint64_t)bytes > ctx->memory_budget)
    return strata_fail(ctx, STRATA_ERR_BUDGET,
                       "%s needs %.2f GiB, over the memory budget of %.2f GiB (raise --memory)",
                       what, (double)bytes / 1073741824.0,
                       (double)ctx->memory_budget / 1073741824.0);
  if (bytes == 0) bytes = STRATA_ALIGN;
  /* aligned_alloc wants a multiple of the alignment. */
  size_t rounded = (bytes + STRATA_ALIGN - 1) / STRATA_ALIGN * STRATA_ALIGN;
  if (rounded < bytes)
    return strata_fail(ctx, STRATA_ERR_BUDGET, "%s: size overflows the address space", what);
  void *p = aligned_alloc(STRATA_ALIGN, rounded);
  if (p == NULL)
    return strata_fail(ctx, STRATA_ERR_NOMEM, "out of memory allocating %.2f GiB for %s",
                       (double)bytes / 1073741824.0, what);
  if (zero) memset(p, 0, rounded);
  *out = p;
  return STRATA_OK;
}

strata_status strata_alloc(strata_ctx *ctx, size_t count, size_t size, const char *what,
                           void **out) {
  return alloc_impl(ctx, count, size, what, 0, out);
}

strata_status strata_calloc(strata_ctx *ctx, size_t count, size_t size, const char *what,
                            void **out) {
  return alloc_impl(ctx, count, size, what, 1, out);
}

void strata_free(void *p) { free(p); }

void strata_buffer_free(void *p) { free(p); }
