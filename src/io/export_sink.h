/*
 * The byte stream of `strata export`: plain, gzip (zlib) or zstd (libzstd), written to an
 * atomic file (atomic.h) so that a failed export leaves nothing under the destination's name.
 */
#ifndef STRATA_IO_EXPORT_SINK_H
#define STRATA_IO_EXPORT_SINK_H

#include <stddef.h>

#include "core/core.h"

typedef enum strata_export_compress {
  STRATA_EXPORT_PLAIN = 0,
  STRATA_EXPORT_GZIP = 1,
  STRATA_EXPORT_ZSTD = 2
} strata_export_compress;

typedef struct strata_export_sink_s strata_export_sink;

/* Creates the temporary file beside `path` (an existing `path` without force:
 * STRATA_ERR_EXISTS) and the compressor. zstd uses `threads` workers (0 or 1: none). */
strata_status strata_export_sink_open(strata_ctx *ctx, const char *path, int force,
                                      strata_export_compress how, int threads,
                                      strata_export_sink **out);
/* Appends bytes (compressed as chosen). Write errors name the file. */
strata_status strata_export_sink_write(strata_ctx *ctx, strata_export_sink *s, const void *buf,
                                       size_t len);
/* Ends the compressed stream, closes the file and renames it into place; releases `s` either
 * way (on failure the temporary file is removed). */
strata_status strata_export_sink_commit(strata_ctx *ctx, strata_export_sink *s);
/* Removes the temporary file and releases `s`; accepts NULL. */
void strata_export_sink_abort(strata_export_sink *s);

#endif
