/* Whole datasets into memory: a feature matrix read block by block with the finiteness check
 * on each block (so the message names the real row), and numeric vectors such as weights. */
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"

/* Rows per read: about 8 MiB per block keeps HDF5's conversion buffers small. */
static int64_t rows_per_block(int64_t cols, size_t esize) {
  int64_t rows = (int64_t)((8u << 20) / ((size_t)cols * esize));
  return rows < 1 ? 1 : rows;
}

strata_status strata_h5_read_matrix(strata_ctx *ctx, strata_h5_file *file, const char *name,
                                    unsigned types, strata_matrix *out) {
  strata_status st = STRATA_OK;
  strata_h5_dataset *ds = NULL;
  void *data = NULL;
  STRATA_FAIL_IF(out == NULL, ctx, STRATA_ERR_USAGE, "strata_h5_read_matrix: out is NULL");
  memset(out, 0, sizeof *out);
  STRATA_TRY(strata_h5_dataset_open(ctx, file, name, 2, types, 0, &ds));
  const strata_dataset_info *info = strata_h5_dataset_info(ds);
  const int64_t n = info->dims[0], d = info->dims[1];
  const size_t esize = strata_dtype_size(info->dtype);
  size_t count;
  STRATA_FAIL_IF(!strata_mul_size((size_t)n, (size_t)d, &count), ctx, STRATA_ERR_BUDGET,
                 "%s: %s is too large to address", strata_h5_path(file), name);
  STRATA_TRY(strata_alloc(ctx, count, esize, name, &data));
  const int64_t block = rows_per_block(d, esize);
  for (int64_t row0 = 0; row0 < n; row0 += block) {
    int64_t rows = n - row0 < block ? n - row0 : block;
    char *dst = (char *)data + (size_t)(row0 * d) * esize;
    STRATA_TRY(strata_h5_dataset_read_rows(ctx, ds, row0, rows, info->dtype, dst));
    strata_matrix view = {dst, rows, d, d, info->dtype};
    STRATA_TRY(strata_check_finite(ctx, &view, row0, strata_h5_path(file), name));
    strata_progress(ctx, "read", (double)(row0 + rows) / (double)n);
  }
  out->data = data;
  out->n = n;
  out->d = d;
  out->ld = d;
  out->dtype = info->dtype;
  data = NULL;
cleanup:
  strata_free(data);
  strata_h5_dataset_close(ds);
  return st;
}

strata_status strata_h5_read_vector(strata_ctx *ctx, strata_h5_file *file, const char *name,
                                    unsigned types, int64_t expected_rows, strata_dtype memtype,
                                    void **out) {
  strata_status st = STRATA_OK;
  strata_h5_dataset *ds = NULL;
  void *data = NULL;
  STRATA_FAIL_IF(out == NULL, ctx, STRATA_ERR_USAGE, "strata_h5_read_vector: out is NULL");
  *out = NULL;
  STRATA_TRY(strata_h5_dataset_open(ctx, file, name, 1, types, 0, &ds));
  const int64_t n = strata_h5_dataset_info(ds)->dims[0];
  STRATA_FAIL_IF(expected_rows > 0 && n != expected_rows, ctx, STRATA_ERR_DATA,
                 "%s: %s has %lld rows, expected %lld (one per row of the data)",
                 strata_h5_path(file), name, (long long)n, (long long)expected_rows);
  STRATA_TRY(strata_alloc(ctx, (size_t)n, strata_dtype_size(memtype), name, &data));
  STRATA_TRY(strata_h5_dataset_read_rows(ctx, ds, 0, n, memtype, data));
  if (memtype == STRATA_F32 || memtype == STRATA_F64) {
    strata_matrix view = {data, n, 1, 1, memtype};
    STRATA_TRY(strata_check_finite(ctx, &view, 0, strata_h5_path(file), name));
  }
  *out = data;
  data = NULL;
cleanup:
  strata_free(data);
  strata_h5_dataset_close(ds);
  return st;
}

void strata_matrix_release(strata_matrix *m) {
  if (m == NULL) return;
  strata_free(m->data);
  memset(m, 0, sizeof *m);
}
