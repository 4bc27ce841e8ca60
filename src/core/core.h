/*
 * Internal core of strata: the context's innards, one-line error propagation, checked and
 * aligned allocation, phase timers. Every module under src/ includes this; the public API is
 * in include/strata.h.
 */
#ifndef STRATA_CORE_H
#define STRATA_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

#define STRATA_MAX_PHASES 32
#define STRATA_ERROR_LEN 1024

struct strata_ctx_s {
  int threads;
  uint64_t memory_budget;
  strata_progress_fn progress;
  void *progress_user;
  strata_status last_status;
  char error[STRATA_ERROR_LEN];
  size_t n_phases;
  const char *phase_name[STRATA_MAX_PHASES];
  double phase_seconds[STRATA_MAX_PHASES];
};

#if defined(__GNUC__)
#define STRATA_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define STRATA_PRINTF(fmt_index, first_arg)
#endif

/* Records `status` and a printf-style message naming what is at fault; returns `status` so
 * that a failure reads `return strata_fail(ctx, STRATA_ERR_DATA, "...", ...)`. */
strata_status strata_fail(strata_ctx *ctx, strata_status status, const char *fmt, ...)
    STRATA_PRINTF(3, 4);
/* Puts "prefix: " in front of the current message, for context a callee could not know. */
void strata_error_prefix(strata_ctx *ctx, const char *fmt, ...) STRATA_PRINTF(2, 3);

/* One-line propagation inside a function that declares `strata_status st = STRATA_OK;` and
 * ends with a single `cleanup:` exit. */
#define STRATA_TRY(expr)                       \
  do {                                         \
    strata_status strata_try_status_ = (expr); \
    if (strata_try_status_ != STRATA_OK) {     \
      st = strata_try_status_;                 \
      goto cleanup;                            \
    }                                          \
  } while (0)

#define STRATA_FAIL_IF(cond, ctx, status, ...)        \
  do {                                                \
    if (cond) {                                       \
      st = strata_fail((ctx), (status), __VA_ARGS__); \
      goto cleanup;                                   \
    }                                                 \
  } while (0)

/* ---- memory: 64-byte aligned so that AVX-512 rows and cache lines line up. */
#define STRATA_ALIGN 64

/* a * b into *out, returning 0 on overflow of size_t. */
static inline int strata_mul_size(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a) return 0;
  *out = a * b;
  return 1;
}

/* Allocates count * size bytes, 64-byte aligned, checking the product for overflow and the
 * total against the context's memory budget. `what` names the array in the error message.
 * Release with strata_free. */
strata_status strata_alloc(strata_ctx *ctx, size_t count, size_t size, const char *what,
                           void **out);
/* Same, zero-filled. */
strata_status strata_calloc(strata_ctx *ctx, size_t count, size_t size, const char *what,
                            void **out);
void strata_free(void *p);

/* ---- phase timers */
double strata_now(void); /* monotonic wall-clock seconds */
/* Adds `seconds` to phase `name` (a string literal: the pointer is kept). */
void strata_phase_add(strata_ctx *ctx, const char *name, double seconds);

/* Reports progress through the context's callback, if any. */
void strata_progress(strata_ctx *ctx, const char *phase, double fraction);

/* Total physical memory in bytes (0 if unknown). */
uint64_t strata_physical_memory(void);

#endif
