/* The segmentation report: one self-contained HTML file (no network) with Chart.js charts. */
#ifndef STRATA_SEGMENT_REPORT_H
#define STRATA_SEGMENT_REPORT_H

#include "segment/pipeline.h"

/* Fails early (STRATA_ERR_EXISTS / STRATA_ERR_IO) when the report could not be written later:
 * an existing file without force, a missing directory. */
strata_status strata_report_check_path(strata_ctx *ctx, const char *path, int force);
/* Writes the report atomically (temporary file + rename). `input` names the data in the
 * title. */
strata_status strata_report_write(strata_ctx *ctx, const strata_segmentation *s, const char *input,
                                  const char *path, int force);

#endif
