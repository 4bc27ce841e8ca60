/* The context: thread count, memory budget, progress callback, error slot, phase timings. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"

const char *strata_version(void) { return STRATA_VERSION_STRING; }
unsigned strata_version_number(void) { return STRATA_VERSION_NUMBER; }

uint64_t strata_physical_memory(void) {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return (uint64_t)pages * (uint64_t)page_size;
}

/* Three quarters of RAM leaves room for the OS, HDF5's chunk cache and the page cache that
 * keeps the input file warm. */
static uint64_t default_memory_budget(void) {
  uint64_t total = strata_physical_memory();
  return total ? total / 4 * 3 : (uint64_t)4 << 30;
}

strata_status strata_ctx_create(strata_ctx **out) {
  if (out == NULL) return STRATA_ERR_USAGE;
  *out = NULL;
  strata_ctx *ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) return STRATA_ERR_NOMEM;
  ctx->threads = 0;
  ctx->memory_budget = default_memory_budget();
  *out = ctx;
  return STRATA_OK;
}

void strata_ctx_free(strata_ctx *ctx) { free(ctx); }

strata_status strata_ctx_set_threads(strata_ctx *ctx, int threads) {
  if (ctx == NULL) return STRATA_ERR_USAGE;
  if (threads < 0)
    return strata_fail(ctx, STRATA_ERR_USAGE, "threads must be >= 0 (0 = all), got %d", threads);
  ctx->threads = threads;
  return STRATA_OK;
}

int strata_ctx_threads(const strata_ctx *ctx) {
  if (ctx != NULL && ctx->threads > 0) return ctx->threads;
  int t = omp_get_max_threads();
  return t > 0 ? t : 1;
}

void strata_ctx_set_memory_budget(strata_ctx *ctx, uint64_t bytes) {
  if (ctx == NULL) return;
  ctx->memory_budget = bytes ? bytes : default_memory_budget();
}

uint64_t strata_ctx_memory_budget(const strata_ctx *ctx) {
  return ctx ? ctx->memory_budget : default_memory_budget();
}

void strata_ctx_set_progress(strata_ctx *ctx, strata_progress_fn fn, void *user) {
  if (ctx == NULL) return;
  ctx->progress = fn;
  ctx->progress_user = user;
}

void strata_progress(strata_ctx *ctx, const char *phase, double fraction) {
  if (ctx != NULL && ctx->progress != NULL) ctx->progress(ctx->progress_user, phase, fraction);
}

double strata_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void strata_phase_add(strata_ctx *ctx, const char *name, double seconds) {
  if (ctx == NULL) return;
  for (size_t i = 0; i < ctx->n_phases; i++) {
    if (ctx->phase_name[i] == name || strcmp(ctx->phase_name[i], name) == 0) {
      ctx->phase_seconds[i] += seconds;
      return;
    }
  }
  if (ctx->n_phases == STRATA_MAX_PHASES) return; /* timings are informative: drop extras */
  ctx->phase_name[ctx->n_phases] = name;
  ctx->phase_seconds[ctx->n_phases] = seconds;
  ctx->n_phases++;
}

size_t strata_ctx_phase_count(const strata_ctx *ctx) { return ctx ? ctx->n_phases : 0; }

const char *strata_ctx_phase_name(const strata_ctx *ctx, size_t i) {
  return (ctx && i < ctx->n_phases) ? ctx->phase_name[i] : "";
}

double strata_ctx_phase_seconds(const strata_ctx *ctx, size_t i) {
  return (ctx && i < ctx->n_phases) ? ctx->phase_seconds[i] : 0.0;
}

void strata_ctx_add_phase(strata_ctx *ctx, const char *name, double seconds) {
  strata_phase_add(ctx, name, seconds);
}
