/*
 * Feature transforms of the segmentation pipeline, fitted on the training base and saved with
 * the model so that `strata score` applies exactly the same ones: log1p for skewed
 * non-negative columns (money, counts), then z-score or robust (median / IQR) scaling.
 * Constant columns carry no information for clustering and are dropped, by name.
 */
#ifndef STRATA_SEGMENT_TRANSFORM_H
#define STRATA_SEGMENT_TRANSFORM_H

#include <stdint.h>

#include "strata.h"

typedef enum {
  STRATA_LOG1P_AUTO = 0,
  STRATA_LOG1P_ALL = 1,
  STRATA_LOG1P_NONE = 2
} strata_log1p_mode;
typedef enum { STRATA_SCALE_ZSCORE = 0, STRATA_SCALE_ROBUST = 1 } strata_scale_mode;

typedef struct strata_transform {
  int64_t d;      /* input columns */
  int64_t d_out;  /* columns kept */
  char **names;   /* d input names */
  int *log1p;     /* d: 1 where log1p is applied */
  int *kept;      /* d: 0 for a constant column */
  double *center; /* d: mean or median after log1p */
  double *scale;  /* d: sd or IQR after log1p (1 for dropped columns) */
  strata_scale_mode scale_mode;
} strata_transform;

/* Fits the transform on x (n x d row-major doubles, finite; d = 0 gives an empty transform).
 * AUTO applies log1p to a column whose values are all >= 0 and whose sample skewness exceeds
 * 1. A column is constant when its scale is 0 (robust scaling falls back to the standard
 * deviation when the IQR is 0); d_out = 0 when every column is, which the caller judges. */
strata_status strata_transform_fit(strata_ctx *ctx, const double *x, int64_t n, int64_t d,
                                   const char *const *names, strata_log1p_mode log_mode,
                                   strata_scale_mode scale, strata_transform **out);
/* Applies it: out is n x d_out. A negative value in a log1p column (possible in new data)
 * fails naming the row and column. */
strata_status strata_transform_apply(strata_ctx *ctx, const strata_transform *t, const double *x,
                                     int64_t n, double *out);
void strata_transform_free(strata_transform *t);

/* Saves to / loads from attributes and datasets under `group` (e.g. /model/transform). */
strata_status strata_transform_write(strata_ctx *ctx, strata_h5_writer *w, const char *group,
                                     const strata_transform *t);
strata_status strata_transform_read(strata_ctx *ctx, strata_h5_file *f, const char *group,
                                    strata_transform **out);

#endif
