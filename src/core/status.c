/* Status names and the per-context error message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"

const char *strata_status_str(strata_status status) {
  switch (status) {
    case STRATA_OK: return "ok";
    case STRATA_ERR_USAGE: return "invalid parameter";
    case STRATA_ERR_DATA: return "bad input data";
    case STRATA_ERR_IO: return "I/O failure";
    case STRATA_ERR_EXISTS: return "output exists";
    case STRATA_ERR_NOMEM: return "out of memory";
    case STRATA_ERR_BUDGET: return "over the memory budget";
    case STRATA_ERR_NOT_CONVERGED: return "did not converge";
    case STRATA_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

strata_status strata_fail(strata_ctx *ctx, strata_status status, const char *fmt, ...) {
  if (ctx == NULL) return status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
  va_end(ap);
  ctx->last_status = status;
  return status;
}

void strata_error_prefix(strata_ctx *ctx, const char *fmt, ...) {
  if (ctx == NULL) return;
  char prefix[STRATA_ERROR_LEN / 2];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  size_t plen = strlen(prefix);
  size_t room = sizeof ctx->error - plen - 3; /* prefix, ": " and the terminator */
  size_t olen = strlen(ctx->error);
  if (olen > room) olen = room; /* the tail of an over-long message is what gets cut */
  memmove(ctx->error + plen + 2, ctx->error, olen);
  memcpy(ctx->error, prefix, plen);
  ctx->error[plen] = ':';
  ctx->error[plen + 1] = ' ';
  ctx->error[plen + 2 + olen] = '\0';
}

const char *strata_ctx_error(const strata_ctx *ctx) { return ctx ? ctx->error : ""; }

strata_status strata_ctx_last_status(const strata_ctx *ctx) {
  return ctx ? ctx->last_status : STRATA_ERR_USAGE;
}

void strata_ctx_clear_error(strata_ctx *ctx) {
  if (ctx == NULL) return;
  ctx->error[0] = '\0';
  ctx->last_status = STRATA_OK;
}
