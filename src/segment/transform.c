/* Feature transforms: log1p for skewed non-negative columns, z-score or robust scaling. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "segment/transform.h"

void strata_transform_free(strata_transform *t) {
  if (t == NULL) return;
  if (t->names)
    for (int64_t j = 0; j < t->d; j++) free(t->names[j]);
  free(t->names);
  free(t->log1p);
  free(t->kept);
  free(t->center);
  free(t->scale);
  free(t);
}

static strata_transform *transform_new(int64_t d) {
  strata_transform *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  t->d = d;
  /* At least one slot: a segmentation on nominal columns alone has an empty transform. */
  size_t slots = d > 0 ? (size_t)d : 1;
  t->names = calloc(slots, sizeof(char *));
  t->log1p = calloc(slots, sizeof(int));
  t->kept = calloc(slots, sizeof(int));
  t->center = calloc(slots, sizeof(double));
  t->scale = calloc(slots, sizeof(double));
  if (!t->names || !t->log1p || !t->kept || !t->center || !t->scale) {
    strata_transform_free(t);
    return NULL;
  }
  return t;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* numpy's linear-interpolation percentile of a sorted array. */
static double sorted_percentile(const double *v, int64_t n, double q) {
  double pos = q / 100.0 * (double)(n - 1);
  int64_t lo = (int64_t)floor(pos);
  if (lo + 1 >= n) return v[n - 1];
  return v[lo] + (pos - (double)lo) * (v[lo + 1] - v[lo]);
}

strata_status strata_transform_fit(strata_ctx *ctx, const double *x, int64_t n, int64_t d,
                                   const char *const *names, strata_log1p_mode log_mode,
                                   strata_scale_mode scale, strata_transform **out) {
  strata_status st = STRATA_OK;
  strata_transform *t = NULL;
  double *col = NULL;
  STRATA_FAIL_IF((x == NULL && d > 0) || out == NULL || n < 1 || d < 0, ctx, STRATA_ERR_USAGE,
                 "strata_transform_fit: bad arguments");
  *out = NULL;
  t = transform_new(d);
  STRATA_FAIL_IF(t == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for the feature transform");
  t->scale_mode = scale;
  for (int64_t j = 0; j < d; j++) {
    char fallback[32];
    snprintf(fallback, sizeof fallback, "feature_%lld", (long long)j);
    t->names[j] = strdup(names && names[j] ? names[j] : fallback);
    STRATA_FAIL_IF(t->names[j] == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  }
  /* Columns are independent: each goes to one thread whole, with its own copy of the
   * column, so every statistic is the same sequential sum whatever the thread count. */
  const int threads = strata_ctx_threads(ctx);
  STRATA_TRY(strata_alloc(ctx, (size_t)n * (size_t)threads, sizeof(double), "feature columns",
                          (void **)&col));
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) default(none) \
    shared(x, n, d, t, col, log_mode, scale)
  for (int64_t j = 0; j < d; j++) {
    double *c_col = col + (size_t)omp_get_thread_num() * (size_t)n;
    double mean = 0.0, m2 = 0.0, m3 = 0.0, lo = INFINITY;
    for (int64_t i = 0; i < n; i++) {
      c_col[i] = x[i * d + j];
      mean += c_col[i];
      if (c_col[i] < lo) lo = c_col[i];
    }
    mean /= (double)n;
    for (int64_t i = 0; i < n; i++) {
      double dev = c_col[i] - mean;
      m2 += dev * dev;
      m3 += dev * dev * dev;
    }
    m2 /= (double)n;
    m3 /= (double)n;
    double skew = m2 > 0.0 ? m3 / pow(m2, 1.5) : 0.0;
    t->log1p[j] = log_mode == STRATA_LOG1P_ALL    ? lo >= 0.0
                  : log_mode == STRATA_LOG1P_AUTO ? (lo >= 0.0 && skew > 1.0)
                                                  : 0;
    if (t->log1p[j])
      for (int64_t i = 0; i < n; i++) c_col[i] = log1p(c_col[i]);
    double c = 0.0, s = 0.0;
    if (scale == STRATA_SCALE_ROBUST) {
      qsort(c_col, (size_t)n, sizeof(double), cmp_double);
      c = sorted_percentile(c_col, n, 50.0);
      s = sorted_percentile(c_col, n, 75.0) - sorted_percentile(c_col, n, 25.0);
    }
    if (scale == STRATA_SCALE_ZSCORE || !(s > 0.0)) {
      double mu = 0.0, var = 0.0;
      for (int64_t i = 0; i < n; i++) mu += c_col[i];
      mu /= (double)n;
      for (int64_t i = 0; i < n; i++) var += (c_col[i] - mu) * (c_col[i] - mu);
      if (scale == STRATA_SCALE_ZSCORE) c = mu;
      s = sqrt(var / (double)n);
    }
    t->center[j] = c;
    t->kept[j] = s > 0.0;
    t->scale[j] = s > 0.0 ? s : 1.0;
  }
  for (int64_t j = 0; j < d; j++) t->d_out += t->kept[j];
  *out = t;
  t = NULL;
cleanup:
  strata_free(col);
  strata_transform_free(t);
  return st;
}

strata_status strata_transform_apply(strata_ctx *ctx, const strata_transform *t, const double *x,
                                     int64_t n, double *out) {
  strata_status st = STRATA_OK;
  const int64_t d = t->d, d_out = t->d_out;
  /* Rows are independent; the first bad value (the lowest row, then column) is found by a
   * min-reduction so that the message does not depend on the thread count. */
  int64_t bad = INT64_MAX;
  const int threads = strata_ctx_threads(ctx);
#pragma omp parallel for num_threads(threads) schedule(static) default(none) \
    shared(t, x, n, d, d_out, out) reduction(min : bad)
  for (int64_t i = 0; i < n; i++) {
    int64_t o = 0;
    for (int64_t j = 0; j < d; j++) {
      if (!t->kept[j]) continue;
      double v = x[i * d + j];
      if (t->log1p[j]) {
        if (v < 0.0 && i * d + j < bad) bad = i * d + j;
        v = log1p(v);
      }
      out[i * d_out + o++] = (v - t->center[j]) / t->scale[j];
    }
  }
  if (bad != INT64_MAX) {
    const int64_t i = bad / d, j = bad % d;
    STRATA_FAIL_IF(1, ctx, STRATA_ERR_DATA,
                   "row %lld: feature %s is %g, but the model takes its log1p (it was never "
                   "negative in training)",
                   (long long)i, t->names[j], x[i * d + j]);
  }
cleanup:
  return st;
}

strata_status strata_transform_write(strata_ctx *ctx, strata_h5_writer *w, const char *group,
                                     const strata_transform *t) {
  strata_status st = STRATA_OK;
  char name[256];
  int64_t *flags = NULL;
  int64_t dims[1] = {t->d};
  flags = malloc((size_t)(2 * t->d) * sizeof *flags);
  STRATA_FAIL_IF(flags == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  for (int64_t j = 0; j < t->d; j++) {
    flags[j] = t->log1p[j];
    flags[t->d + j] = t->kept[j];
  }
#define PATH(leaf) (snprintf(name, sizeof name, "%s/%s", group, leaf), name)
  STRATA_TRY(strata_h5_write_strings(ctx, w, PATH("names"), t->d, (const char *const *)t->names));
  STRATA_TRY(strata_h5_write(ctx, w, PATH("log1p"), STRATA_I64, 1, dims, flags));
  STRATA_TRY(strata_h5_write(ctx, w, PATH("kept"), STRATA_I64, 1, dims, flags + t->d));
  STRATA_TRY(strata_h5_write(ctx, w, PATH("center"), STRATA_F64, 1, dims, t->center));
  STRATA_TRY(strata_h5_write(ctx, w, PATH("scale"), STRATA_F64, 1, dims, t->scale));
  STRATA_TRY(strata_h5_write_attr_string(
      ctx, w, group, "scaling", t->scale_mode == STRATA_SCALE_ROBUST ? "robust" : "zscore"));
#undef PATH
cleanup:
  free(flags);
  return st;
}

strata_status strata_transform_read(strata_ctx *ctx, strata_h5_file *f, const char *group,
                                    strata_transform **out) {
  strata_status st = STRATA_OK;
  strata_transform *t = NULL;
  char name[256], **names = NULL;
  int64_t d = 0, *log1p_flags = NULL, *kept = NULL;
  double *center = NULL, *scale = NULL;
  *out = NULL;
#define PATH(leaf) (snprintf(name, sizeof name, "%s/%s", group, leaf), name)
  STRATA_TRY(strata_h5_read_strings(ctx, f, PATH("names"), &names, &d));
  if (d == 0) {
    /* A segmentation on nominal columns alone: nothing numeric to transform. */
    t = transform_new(0);
    STRATA_FAIL_IF(t == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    *out = t;
    t = NULL;
    goto cleanup;
  }
  STRATA_TRY(strata_h5_read_vector(ctx, f, PATH("log1p"), STRATA_TYPES_INT, d, STRATA_I64,
                                   (void **)&log1p_flags));
  STRATA_TRY(
      strata_h5_read_vector(ctx, f, PATH("kept"), STRATA_TYPES_INT, d, STRATA_I64, (void **)&kept));
  STRATA_TRY(strata_h5_read_vector(ctx, f, PATH("center"), STRATA_TYPES_FLOAT, d, STRATA_F64,
                                   (void **)&center));
  STRATA_TRY(strata_h5_read_vector(ctx, f, PATH("scale"), STRATA_TYPES_FLOAT, d, STRATA_F64,
                                   (void **)&scale));
#undef PATH
  t = transform_new(d);
  STRATA_FAIL_IF(t == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  for (int64_t j = 0; j < d; j++) {
    t->names[j] = strdup(names[j]);
    t->log1p[j] = log1p_flags[j] != 0;
    t->kept[j] = kept[j] != 0;
    t->center[j] = center[j];
    t->scale[j] = scale[j];
    STRATA_FAIL_IF(t->names[j] == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    STRATA_FAIL_IF(!(scale[j] > 0.0), ctx, STRATA_ERR_DATA, "%s: %s/scale[%lld] must be > 0",
                   strata_h5_path(f), group, (long long)j);
    t->d_out += t->kept[j];
  }
  *out = t;
  t = NULL;
cleanup:
  free(names);
  strata_buffer_free(log1p_flags);
  strata_buffer_free(kept);
  strata_buffer_free(center);
  strata_buffer_free(scale);
  strata_transform_free(t);
  return st;
}
