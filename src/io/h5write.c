/*
 * HDF5 output, written atomically: a temporary file beside the destination receives
 * everything and is renamed into place only after a successful close and fsync. Without
 * force, the final step is link(2), which fails instead of replacing a file that appeared
 * meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/atomic.h"
#include "io/h5util.h"

struct strata_h5_writer_s {
  hid_t id;
  char *path; /* for messages (the destination) */
  strata_atomic_file file;
};

void strata_h5_writer_free(strata_h5_writer *w) {
  if (w == NULL) return;
  if (w->id >= 0) H5Fclose(w->id);
  strata_atomic_abort(&w->file);
  free(w->path);
  free(w);
}

strata_status strata_h5_writer_create(strata_ctx *ctx, const char *path, int force,
                                      strata_h5_writer **out) {
  strata_status st = STRATA_OK;
  strata_h5_writer *w = NULL;
  STRATA_FAIL_IF(path == NULL || out == NULL || path[0] == '\0', ctx, STRATA_ERR_USAGE,
                 "strata_h5_writer_create: an output path is required");
  *out = NULL;
  strata_h5_quiet();
  w = calloc(1, sizeof *w);
  STRATA_FAIL_IF(w == NULL || (w->path = strdup(path)) == NULL, ctx, STRATA_ERR_NOMEM,
                 "out of memory creating '%s'", path);
  w->id = H5I_INVALID_HID;
  STRATA_TRY(strata_atomic_begin(ctx, path, force, &w->file));
  w->id = H5Fcreate(w->file.temp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (w->id < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "cannot create HDF5 output for '%s'", path);
    goto cleanup;
  }
  STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/", "strata_version", strata_version()));
  *out = w;
  w = NULL;
cleanup:
  strata_h5_writer_free(w);
  return st;
}

strata_status strata_h5_writer_commit(strata_ctx *ctx, strata_h5_writer *w) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(w == NULL, ctx, STRATA_ERR_USAGE, "strata_h5_writer_commit: writer is NULL");
  herr_t closed = H5Fclose(w->id);
  w->id = H5I_INVALID_HID;
  if (closed < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "cannot finish writing '%s'", w->path);
    goto cleanup;
  }
  STRATA_TRY(strata_atomic_commit(ctx, &w->file));
cleanup:
  strata_h5_writer_free(w);
  return st;
}

/* Row-chunked layout, about 1 MiB per chunk: big enough for fast sequential I/O, small enough
 * that reading a block of rows touches few chunks beyond it. */
static hid_t chunked_dcpl(int rank, const hsize_t *dims, size_t elem) {
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hsize_t row_bytes = (rank == 2 ? dims[1] : 1) * elem;
  hsize_t rows = row_bytes ? ((hsize_t)1 << 20) / row_bytes : 1;
  if (rows < 1) rows = 1;
  if (rows > dims[0]) rows = dims[0];
  if (rows < 1) rows = 1;
  hsize_t chunk[2] = {rows, rank == 2 ? dims[1] : 1};
  if (chunk[1] < 1) chunk[1] = 1;
  H5Pset_chunk(dcpl, rank, chunk);
  return dcpl;
}

static strata_status create_dataset(strata_ctx *ctx, strata_h5_writer *w, const char *name,
                                    hid_t ftype, int rank, const int64_t *dims, size_t elem,
                                    hid_t *out) {
  strata_status st = STRATA_OK;
  hid_t space = H5I_INVALID_HID, lcpl = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
  *out = H5I_INVALID_HID;
  STRATA_FAIL_IF(w == NULL || name == NULL || name[0] != '/', ctx, STRATA_ERR_USAGE,
                 "dataset names are absolute paths such as /kmeans/centers, got '%s'",
                 name ? name : "(null)");
  STRATA_FAIL_IF(rank != 1 && rank != 2, ctx, STRATA_ERR_USAGE, "%s: rank must be 1 or 2, got %d",
                 name, rank);
  hsize_t hdims[2] = {0, 1};
  for (int i = 0; i < rank; i++) {
    STRATA_FAIL_IF(dims[i] < 0, ctx, STRATA_ERR_USAGE, "%s: negative extent %lld", name,
                   (long long)dims[i]);
    hdims[i] = (hsize_t)dims[i];
  }
  STRATA_FAIL_IF(strata_h5_path_exists(w->id, name), ctx, STRATA_ERR_USAGE,
                 "%s: written twice to '%s'", name, w->path);
  space = H5Screate_simple(rank, hdims, NULL);
  lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  int empty = hdims[0] == 0 || (rank == 2 && hdims[1] == 0);
  dcpl = empty ? H5Pcreate(H5P_DATASET_CREATE) : chunked_dcpl(rank, hdims, elem);
  *out = H5Dcreate2(w->id, name, ftype, space, lcpl, dcpl, H5P_DEFAULT);
  if (*out < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "cannot create %s in '%s'", name, w->path);
    goto cleanup;
  }
cleanup:
  if (dcpl >= 0) H5Pclose(dcpl);
  if (lcpl >= 0) H5Pclose(lcpl);
  if (space >= 0) H5Sclose(space);
  return st;
}

/* Files are stored little-endian whatever the host, as numpy and h5py expect. */
static hid_t file_type(strata_dtype dtype) {
  switch (dtype) {
    case STRATA_F32: return H5T_IEEE_F32LE;
    case STRATA_F64: return H5T_IEEE_F64LE;
    case STRATA_I32: return H5T_STD_I32LE;
    case STRATA_I64: return H5T_STD_I64LE;
  }
  return H5I_INVALID_HID;
}

strata_status strata_h5_create_dataset(strata_ctx *ctx, strata_h5_writer *w, const char *name,
                                       strata_dtype dtype, int rank, const int64_t *dims) {
  strata_status st = STRATA_OK;
  hid_t ds = H5I_INVALID_HID;
  STRATA_FAIL_IF(file_type(dtype) < 0 || dims == NULL, ctx, STRATA_ERR_USAGE,
                 "%s: bad element type or NULL dims", name ? name : "(null)");
  STRATA_TRY(
      create_dataset(ctx, w, name, file_type(dtype), rank, dims, strata_dtype_size(dtype), &ds));
cleanup:
  if (ds >= 0) H5Dclose(ds);
  return st;
}

strata_status strata_h5_write_rows(strata_ctx *ctx, strata_h5_writer *w, const char *name,
                                   int64_t row0, int64_t nrows, const void *data) {
  strata_status st = STRATA_OK;
  hid_t ds = H5I_INVALID_HID, fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID,
        ftype = H5I_INVALID_HID;
  STRATA_FAIL_IF(w == NULL || name == NULL || (data == NULL && nrows > 0), ctx, STRATA_ERR_USAGE,
                 "strata_h5_write_rows: NULL argument");
  STRATA_FAIL_IF(!strata_h5_path_exists(w->id, name), ctx, STRATA_ERR_USAGE,
                 "%s: create the dataset before writing rows", name);
  ds = H5Dopen2(w->id, name, H5P_DEFAULT);
  fspace = H5Dget_space(ds);
  ftype = H5Dget_type(ds);
  int rank = H5Sget_simple_extent_ndims(fspace);
  hsize_t dims[2] = {0, 1};
  H5Sget_simple_extent_dims(fspace, dims, NULL);
  STRATA_FAIL_IF(row0 < 0 || nrows < 0 || (hsize_t)(row0 + nrows) > dims[0], ctx, STRATA_ERR_USAGE,
                 "%s: rows %lld..%lld are out of range (%llu rows)", name, (long long)row0,
                 (long long)(row0 + nrows), (unsigned long long)dims[0]);
  if (nrows == 0) goto cleanup;
  hsize_t start[2] = {(hsize_t)row0, 0};
  hsize_t count[2] = {(hsize_t)nrows, rank == 2 ? dims[1] : 1};
  H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL);
  mspace = H5Screate_simple(rank, count, NULL);
  hid_t native = strata_h5_native(strata_h5_dtype_of(ftype));
  if (H5Dwrite(ds, native, mspace, fspace, H5P_DEFAULT, data) < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "cannot write rows %lld..%lld of %s to '%s'",
                        (long long)row0, (long long)(row0 + nrows - 1), name, w->path);
    goto cleanup;
  }
cleanup:
  if (mspace >= 0) H5Sclose(mspace);
  if (ftype >= 0) H5Tclose(ftype);
  if (fspace >= 0) H5Sclose(fspace);
  if (ds >= 0) H5Dclose(ds);
  return st;
}

strata_status strata_h5_write(strata_ctx *ctx, strata_h5_writer *w, const char *name,
                              strata_dtype dtype, int rank, const int64_t *dims, const void *data) {
  strata_status st = STRATA_OK;
  STRATA_TRY(strata_h5_create_dataset(ctx, w, name, dtype, rank, dims));
  STRATA_TRY(strata_h5_write_rows(ctx, w, name, 0, dims[0], data));
cleanup:
  return st;
}

static hid_t utf8_string_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

strata_status strata_h5_write_strings(strata_ctx *ctx, strata_h5_writer *w, const char *name,
                                      int64_t count, const char *const *strings) {
  strata_status st = STRATA_OK;
  hid_t ds = H5I_INVALID_HID, type = utf8_string_type();
  STRATA_FAIL_IF(count < 0 || (count > 0 && strings == NULL), ctx, STRATA_ERR_USAGE,
                 "%s: bad string array", name ? name : "(null)");
  int64_t dims[1] = {count};
  STRATA_TRY(create_dataset(ctx, w, name, type, 1, dims, sizeof(char *), &ds));
  if (count > 0 && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, strings) < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "cannot write %s to '%s'", name, w->path);
    goto cleanup;
  }
cleanup:
  if (ds >= 0) H5Dclose(ds);
  H5Tclose(type);
  return st;
}

/* Writes attribute `attr` (replacing an older one) on object `obj`. */
static strata_status write_attr(strata_ctx *ctx, strata_h5_writer *w, const char *obj,
                                const char *attr, hid_t ftype, hid_t mtype, int64_t count,
                                const void *data) {
  strata_status st = STRATA_OK;
  hid_t space = H5I_INVALID_HID, a = H5I_INVALID_HID;
  STRATA_FAIL_IF(w == NULL || obj == NULL || attr == NULL || (data == NULL && count > 0), ctx,
                 STRATA_ERR_USAGE, "attribute write: NULL argument");
  STRATA_FAIL_IF(!strata_h5_path_exists(w->id, obj), ctx, STRATA_ERR_USAGE,
                 "attribute '%s': object %s does not exist in '%s'", attr, obj, w->path);
  if (H5Aexists_by_name(w->id, obj, attr, H5P_DEFAULT) > 0)
    H5Adelete_by_name(w->id, obj, attr, H5P_DEFAULT);
  if (count < 0) {
    space = H5Screate(H5S_SCALAR);
  } else {
    hsize_t n = (hsize_t)count;
    space = H5Screate_simple(1, &n, NULL);
  }
  a = H5Acreate_by_name(w->id, obj, attr, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0 || (count != 0 && H5Awrite(a, mtype, data) < 0)) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "cannot write attribute '%s' of %s to '%s'", attr, obj,
                        w->path);
    goto cleanup;
  }
cleanup:
  if (a >= 0) H5Aclose(a);
  if (space >= 0) H5Sclose(space);
  return st;
}

/* count == 1 is stored as a scalar, which is what readers expect of a single parameter. */
strata_status strata_h5_write_attr_double(strata_ctx *ctx, strata_h5_writer *w, const char *obj,
                                          const char *attr, const double *values, int64_t count) {
  return write_attr(ctx, w, obj, attr, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, count == 1 ? -1 : count,
                    values);
}

strata_status strata_h5_write_attr_int64(strata_ctx *ctx, strata_h5_writer *w, const char *obj,
                                         const char *attr, const int64_t *values, int64_t count) {
  return write_attr(ctx, w, obj, attr, H5T_STD_I64LE, H5T_NATIVE_INT64, count == 1 ? -1 : count,
                    values);
}

strata_status strata_h5_write_attr_string(strata_ctx *ctx, strata_h5_writer *w, const char *obj,
                                          const char *attr, const char *value) {
  hid_t type = utf8_string_type();
  const char *v = value ? value : "";
  strata_status st = write_attr(ctx, w, obj, attr, type, type, -1, &v);
  H5Tclose(type);
  return st;
}

strata_status strata_h5_write_provenance(strata_ctx *ctx, strata_h5_writer *w,
                                         const char *command_line, int64_t input_rows,
                                         int64_t input_cols) {
  strata_status st = STRATA_OK;
  STRATA_TRY(
      strata_h5_write_attr_string(ctx, w, "/", "command_line", command_line ? command_line : ""));
  STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/", "input_rows", &input_rows, 1));
  STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/", "input_cols", &input_cols, 1));
cleanup:
  return st;
}

strata_status strata_h5_create_group(strata_ctx *ctx, strata_h5_writer *w, const char *name) {
  strata_status st = STRATA_OK;
  hid_t lcpl = H5I_INVALID_HID, g = H5I_INVALID_HID;
  STRATA_FAIL_IF(w == NULL || name == NULL || name[0] != '/', ctx, STRATA_ERR_USAGE,
                 "group names are absolute paths such as /model, got '%s'", name ? name : "(null)");
  if (strata_h5_path_exists(w->id, name)) goto cleanup;
  lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  g = H5Gcreate2(w->id, name, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "cannot create group %s in '%s'", name, w->path);
    goto cleanup;
  }
cleanup:
  if (g >= 0) H5Gclose(g);
  if (lcpl >= 0) H5Pclose(lcpl);
  return st;
}

strata_status strata_h5_write_table(strata_ctx *ctx, strata_h5_writer *w, const char *name,
                                    int64_t rows, int64_t cols, const char *const *col_names,
                                    const double *values) {
  strata_status st = STRATA_OK;
  hid_t type = H5I_INVALID_HID, ds = H5I_INVALID_HID;
  STRATA_FAIL_IF(rows < 0 || cols < 1 || col_names == NULL || (values == NULL && rows > 0), ctx,
                 STRATA_ERR_USAGE, "%s: bad table", name ? name : "(null)");
  type = H5Tcreate(H5T_COMPOUND, (size_t)cols * sizeof(double));
  for (int64_t j = 0; j < cols; j++)
    if (H5Tinsert(type, col_names[j], (size_t)j * sizeof(double), H5T_NATIVE_DOUBLE) < 0) {
      st = strata_h5_fail(ctx, STRATA_ERR_USAGE, "%s: column name '%s' cannot be used (repeated?)",
                          name, col_names[j]);
      goto cleanup;
    }
  int64_t dims[1] = {rows};
  /* Row-major doubles have exactly the packed compound layout above. */
  STRATA_TRY(create_dataset(ctx, w, name, type, 1, dims, (size_t)cols * sizeof(double), &ds));
  if (rows > 0 && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "cannot write %s to '%s'", name, w->path);
    goto cleanup;
  }
cleanup:
  if (ds >= 0) H5Dclose(ds);
  if (type >= 0) H5Tclose(type);
  return st;
}
