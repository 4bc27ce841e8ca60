/*
 * Compressed output for `strata export`. The compressors own no file: they hand their output
 * to one stdio stream on the atomic temporary file, so plain, gzip and zstd share the error
 * and commit path. gzip runs at Z_BEST_SPEED and zstd at level 3 because an export is read
 * once by a CRM or BI loader: speed matters more than the last percent of size.
 */
#include "io/export_sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#include "io/atomic.h"

#define SINK_OUT_BYTES (1u << 20)

struct strata_export_sink_s {
  strata_atomic_file a;
  FILE *fp;
  strata_export_compress how;
  z_stream z;
  int z_live;
  ZSTD_CCtx *zc;
  unsigned char *obuf; /* compressor output, SINK_OUT_BYTES */
};

static strata_status put(strata_ctx *ctx, strata_export_sink *s, const void *buf, size_t len) {
  if (len && fwrite(buf, 1, len, s->fp) != len)
    return strata_fail(ctx, STRATA_ERR_IO, "%s: write failed: %s", s->a.path, strerror(errno));
  return STRATA_OK;
}

void strata_export_sink_abort(strata_export_sink *s) {
  if (s == NULL) return;
  if (s->fp) fclose(s->fp);
  if (s->z_live) deflateEnd(&s->z);
  ZSTD_freeCCtx(s->zc);
  free(s->obuf);
  strata_atomic_abort(&s->a);
  free(s);
}

strata_status strata_export_sink_open(strata_ctx *ctx, const char *path, int force,
                                      strata_export_compress how, int threads,
                                      strata_export_sink **out) {
  strata_status st = STRATA_OK;
  *out = NULL;
  strata_export_sink *s = calloc(1, sizeof *s);
  STRATA_FAIL_IF(s == NULL, ctx, STRATA_ERR_NOMEM, "%s: out of memory", path);
  s->how = how;
  STRATA_TRY(strata_atomic_begin(ctx, path, force, &s->a));
  s->fp = fopen(s->a.temp, "wb");
  STRATA_FAIL_IF(s->fp == NULL, ctx, STRATA_ERR_IO, "%s: cannot open %s: %s", path, s->a.temp,
                 strerror(errno));
  if (how != STRATA_EXPORT_PLAIN) {
    s->obuf = malloc(SINK_OUT_BYTES);
    STRATA_FAIL_IF(s->obuf == NULL, ctx, STRATA_ERR_NOMEM, "%s: out of memory", path);
  }
  if (how == STRATA_EXPORT_GZIP) {
    /* windowBits 15 + 16: a gzip header and trailer, so `gunzip` and Python's gzip read it. */
    int zr = deflateInit2(&s->z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    STRATA_FAIL_IF(zr != Z_OK, ctx, STRATA_ERR_NOMEM, "%s: zlib deflateInit2 failed (%d)", path,
                   zr);
    s->z_live = 1;
  } else if (how == STRATA_EXPORT_ZSTD) {
    s->zc = ZSTD_createCCtx();
    STRATA_FAIL_IF(s->zc == NULL, ctx, STRATA_ERR_NOMEM, "%s: ZSTD_createCCtx failed", path);
    ZSTD_CCtx_setParameter(s->zc, ZSTD_c_compressionLevel, 3);
    /* Ignored (an error we do not need) by a libzstd built without multithreading. */
    if (threads > 1) ZSTD_CCtx_setParameter(s->zc, ZSTD_c_nbWorkers, threads);
  }
  *out = s;
  s = NULL;
cleanup:
  strata_export_sink_abort(s);
  return st;
}

static strata_status gz_feed(strata_ctx *ctx, strata_export_sink *s, const void *buf, size_t len,
                             int flush) {
  strata_status st = STRATA_OK;
  /* zlib counts in uInt: feed a huge buffer in pieces. */
  const unsigned char *p = buf;
  do {
    size_t piece = len > (1u << 30) ? (1u << 30) : len;
    s->z.next_in = (unsigned char *)p;
    s->z.avail_in = (uInt)piece;
    int last = flush && piece == len;
    int zr;
    do {
      s->z.next_out = s->obuf;
      s->z.avail_out = SINK_OUT_BYTES;
      zr = deflate(&s->z, last ? Z_FINISH : Z_NO_FLUSH);
      STRATA_FAIL_IF(zr == Z_STREAM_ERROR, ctx, STRATA_ERR_INTERNAL, "%s: zlib deflate failed",
                     s->a.path);
      STRATA_TRY(put(ctx, s, s->obuf, SINK_OUT_BYTES - s->z.avail_out));
    } while (s->z.avail_out == 0 || (last && zr != Z_STREAM_END));
    p += piece;
    len -= piece;
  } while (len > 0);
cleanup:
  return st;
}

static strata_status zstd_feed(strata_ctx *ctx, strata_export_sink *s, const void *buf,
                               size_t len, int end) {
  strata_status st = STRATA_OK;
  ZSTD_inBuffer in = {buf, len, 0};
  for (;;) {
    ZSTD_outBuffer o = {s->obuf, SINK_OUT_BYTES, 0};
    size_t left = ZSTD_compressStream2(s->zc, &o, &in, end ? ZSTD_e_end : ZSTD_e_continue);
    STRATA_FAIL_IF(ZSTD_isError(left), ctx, STRATA_ERR_INTERNAL, "%s: zstd: %s", s->a.path,
                   ZSTD_getErrorName(left));
    STRATA_TRY(put(ctx, s, s->obuf, o.pos));
    if (end ? left == 0 : in.pos == in.size) break;
  }
cleanup:
  return st;
}

strata_status strata_export_sink_write(strata_ctx *ctx, strata_export_sink *s, const void *buf,
                                       size_t len) {
  switch (s->how) {
    case STRATA_EXPORT_GZIP: return len ? gz_feed(ctx, s, buf, len, 0) : STRATA_OK;
    case STRATA_EXPORT_ZSTD: return len ? zstd_feed(ctx, s, buf, len, 0) : STRATA_OK;
    default: return put(ctx, s, buf, len);
  }
}

strata_status strata_export_sink_commit(strata_ctx *ctx, strata_export_sink *s) {
  strata_status st = STRATA_OK;
  if (s->how == STRATA_EXPORT_GZIP) STRATA_TRY(gz_feed(ctx, s, "", 0, 1));
  if (s->how == STRATA_EXPORT_ZSTD) STRATA_TRY(zstd_feed(ctx, s, "", 0, 1));
  FILE *fp = s->fp;
  s->fp = NULL;
  /* fclose flushes stdio's buffer: a full disk can surface only here. */
  STRATA_FAIL_IF(fclose(fp) != 0, ctx, STRATA_ERR_IO, "%s: write failed: %s", s->a.path,
                 strerror(errno));
  st = strata_atomic_commit(ctx, &s->a);
cleanup:
  strata_export_sink_abort(s);
  return st;
}
