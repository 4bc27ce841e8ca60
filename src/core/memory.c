/* Checked, aligned, budgeted allocation. */
#define _DEFAULT_SOURCE 1 /* madvise(MADV_HUGEPAGE) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/core.h"

#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_ALLOC_MIN ((size_t)4 << 20)

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
  /* Large arrays go on 2 MiB boundaries with a transparent-huge-page hint: first touch of
   * the score, label and matrix arrays otherwise costs one page fault per 4 KiB, and the
   * faults of both threads serialise in the kernel (measured: the CLV scoring phase of 1M
   * customers did not scale from 1 to 2 threads). The hint is harmless where THP is off. */
  int huge = rounded >= HUGE_ALLOC_MIN;
  if (huge) {
    if (rounded > SIZE_MAX - HUGE_PAGE)
      return strata_fail(ctx, STRATA_ERR_BUDGET, "%s: size overflows the address space", what);
    rounded = (rounded + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
  }
  void *p = aligned_alloc(huge ? HUGE_PAGE : STRATA_ALIGN, rounded);
#ifdef MADV_HUGEPAGE
  if (p != NULL && huge) madvise(p, rounded, MADV_HUGEPAGE);
#endif
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
