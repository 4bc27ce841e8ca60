/* HDF5 input: open files read-only, check datasets, read row blocks through hyperslabs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/h5util.h"

struct strata_h5_file_s {
  hid_t id;
  char *path;
};

struct strata_h5_dataset_s {
  strata_h5_file *file;
  hid_t id;
  hid_t space;
  char *name;
  strata_dataset_info info;
};

static char *dup_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

strata_status strata_h5_open(strata_ctx *ctx, const char *path, strata_h5_file **out) {
  strata_status st = STRATA_OK;
  strata_h5_file *f = NULL;
  STRATA_FAIL_IF(out == NULL || path == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_h5_open: path and out must not be NULL");
  *out = NULL;
  strata_h5_quiet();
  struct stat sb;
  STRATA_FAIL_IF(stat(path, &sb) != 0, ctx, STRATA_ERR_IO, "cannot open '%s': %s", path,
                 strerror(errno));
  STRATA_FAIL_IF(S_ISDIR(sb.st_mode), ctx, STRATA_ERR_IO, "cannot open '%s': it is a directory",
                 path);
  htri_t is_hdf5 = H5Fis_hdf5(path);
  if (is_hdf5 < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "cannot read '%s'", path);
    goto cleanup;
  }
  STRATA_FAIL_IF(is_hdf5 == 0, ctx, STRATA_ERR_DATA,
                 "'%s' is not an HDF5 file (strata reads HDF5; see `strata import` for CSV "
                 "and CDNOW logs)",
                 path);
  f = calloc(1, sizeof *f);
  STRATA_FAIL_IF(f == NULL || (f->path = dup_string(path)) == NULL, ctx, STRATA_ERR_NOMEM,
                 "out of memory opening '%s'", path);
  f->id = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f->id < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "cannot open HDF5 file '%s'", path);
    goto cleanup;
  }
  *out = f;
  f = NULL;
cleanup:
  if (f) {
    free(f->path);
    free(f);
  }
  return st;
}

void strata_h5_close(strata_h5_file *file) {
  if (file == NULL) return;
  if (file->id >= 0) H5Fclose(file->id);
  free(file->path);
  free(file);
}

hid_t strata_h5_file_id(const strata_h5_file *file) { return file ? file->id : H5I_INVALID_HID; }

const char *strata_h5_path(const strata_h5_file *file) { return file ? file->path : ""; }

int strata_h5_exists(const strata_h5_file *file, const char *name) {
  return file != NULL && strata_h5_path_exists(file->id, name);
}

static void describe_types(unsigned types, char *buf, size_t len) {
  buf[0] = '\0';
  const strata_dtype all[] = {STRATA_F32, STRATA_F64, STRATA_I32, STRATA_I64};
  int first = 1;
  for (size_t i = 0; i < 4; i++) {
    if (!(types & (1u << all[i]))) continue;
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", first ? "" : " or ", strata_dtype_name(all[i]));
    first = 0;
  }
}

strata_status strata_h5_dataset_open(strata_ctx *ctx, strata_h5_file *file, const char *name,
                                     int rank, unsigned types, int64_t cols,
                                     strata_h5_dataset **out) {
  strata_status st = STRATA_OK;
  strata_h5_dataset *ds = NULL;
  hid_t type = H5I_INVALID_HID;
  STRATA_FAIL_IF(file == NULL || name == NULL || out == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_h5_dataset_open: file, name and out must not be NULL");
  *out = NULL;
  STRATA_FAIL_IF(rank != 1 && rank != 2, ctx, STRATA_ERR_USAGE,
                 "strata_h5_dataset_open: rank must be 1 or 2, got %d", rank);
  const char *path = file->path;
  STRATA_FAIL_IF(!strata_h5_path_exists(file->id, name), ctx, STRATA_ERR_DATA,
                 "%s: dataset %s is missing", path, name);
  H5O_info_t oinfo;
  if (H5Oget_info_by_name(file->id, name, &oinfo, H5P_DEFAULT) < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "%s: cannot inspect %s", path, name);
    goto cleanup;
  }
  STRATA_FAIL_IF(oinfo.type != H5O_TYPE_DATASET, ctx, STRATA_ERR_DATA,
                 "%s: %s is a group, expected a dataset", path, name);

  ds = calloc(1, sizeof *ds);
  STRATA_FAIL_IF(ds == NULL || (ds->name = dup_string(name)) == NULL, ctx, STRATA_ERR_NOMEM,
                 "out of memory opening %s", name);
  ds->file = file;
  ds->space = H5I_INVALID_HID;
  ds->id = H5Dopen2(file->id, name, H5P_DEFAULT);
  if (ds->id < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "%s: cannot open dataset %s", path, name);
    goto cleanup;
  }
  ds->space = H5Dget_space(ds->id);
  int found_rank = H5Sget_simple_extent_ndims(ds->space);
  STRATA_FAIL_IF(found_rank != rank, ctx, STRATA_ERR_DATA,
                 "%s: dataset %s has rank %d, expected rank %d%s", path, name, found_rank, rank,
                 rank == 2 ? " (rows x columns)" : " (one value per row)");
  hsize_t dims[2] = {0, 1};
  H5Sget_simple_extent_dims(ds->space, dims, NULL);
  ds->info.rank = rank;
  ds->info.dims[0] = (int64_t)dims[0];
  ds->info.dims[1] = rank == 2 ? (int64_t)dims[1] : 1;

  type = H5Dget_type(ds->id);
  strata_dtype dtype = strata_h5_dtype_of(type);
  if (dtype == 0 || !(types & (1u << dtype))) {
    char found[32], wanted[64];
    strata_h5_type_name(type, found, sizeof found);
    describe_types(types, wanted, sizeof wanted);
    st = strata_fail(ctx, STRATA_ERR_DATA, "%s: dataset %s has type %s, expected %s", path, name,
                     found, wanted);
    goto cleanup;
  }
  ds->info.dtype = dtype;
  STRATA_FAIL_IF(ds->info.dims[0] == 0, ctx, STRATA_ERR_DATA, "%s: dataset %s has zero rows", path,
                 name);
  STRATA_FAIL_IF(rank == 2 && ds->info.dims[1] == 0, ctx, STRATA_ERR_DATA,
                 "%s: dataset %s has zero columns", path, name);
  STRATA_FAIL_IF(cols > 0 && ds->info.dims[1] != cols, ctx, STRATA_ERR_DATA,
                 "%s: dataset %s has %lld columns, expected %lld", path, name,
                 (long long)ds->info.dims[1], (long long)cols);
  *out = ds;
  ds = NULL;
cleanup:
  if (type >= 0) H5Tclose(type);
  strata_h5_dataset_close(ds);
  return st;
}

void strata_h5_dataset_close(strata_h5_dataset *ds) {
  if (ds == NULL) return;
  if (ds->space >= 0) H5Sclose(ds->space);
  if (ds->id >= 0) H5Dclose(ds->id);
  free(ds->name);
  free(ds);
}

const strata_dataset_info *strata_h5_dataset_info(const strata_h5_dataset *ds) {
  return ds ? &ds->info : NULL;
}

strata_status strata_h5_dataset_read_rows(strata_ctx *ctx, strata_h5_dataset *ds, int64_t row0,
                                          int64_t nrows, strata_dtype memtype, void *buf) {
  strata_status st = STRATA_OK;
  hid_t memspace = H5I_INVALID_HID;
  STRATA_FAIL_IF(ds == NULL || (buf == NULL && nrows > 0), ctx, STRATA_ERR_USAGE,
                 "strata_h5_dataset_read_rows: dataset and buffer must not be NULL");
  STRATA_FAIL_IF(row0 < 0 || nrows < 0 || row0 > ds->info.dims[0] - nrows, ctx, STRATA_ERR_USAGE,
                 "%s: rows %lld..%lld of %s are out of range (%lld rows)", ds->file->path,
                 (long long)row0, (long long)(row0 + nrows), ds->name, (long long)ds->info.dims[0]);
  hid_t native = strata_h5_native(memtype);
  STRATA_FAIL_IF(native < 0, ctx, STRATA_ERR_USAGE, "strata_h5_dataset_read_rows: bad memtype %d",
                 (int)memtype);
  if (nrows == 0) goto cleanup;
  hsize_t start[2] = {(hsize_t)row0, 0};
  hsize_t count[2] = {(hsize_t)nrows, (hsize_t)ds->info.dims[1]};
  if (H5Sselect_hyperslab(ds->space, H5S_SELECT_SET, start, NULL, count, NULL) < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "%s: cannot select rows of %s", ds->file->path,
                        ds->name);
    goto cleanup;
  }
  memspace = H5Screate_simple(ds->info.rank, count, NULL);
  if (memspace < 0 || H5Dread(ds->id, native, memspace, ds->space, H5P_DEFAULT, buf) < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_IO, "%s: cannot read rows %lld..%lld of %s", ds->file->path,
                        (long long)row0, (long long)(row0 + nrows - 1), ds->name);
    goto cleanup;
  }
cleanup:
  if (memspace >= 0) H5Sclose(memspace);
  return st;
}

/* Packs n strings into one block: the pointer array followed by the characters, so the
 * caller frees everything with a single free(). */
static char **pack_strings(const char *const *src, const size_t *lens, int64_t n) {
  size_t total = (size_t)n * sizeof(char *);
  for (int64_t i = 0; i < n; i++) total += lens[i] + 1;
  char **out = malloc(total ? total : 1);
  if (out == NULL) return NULL;
  char *chars = (char *)(out + n);
  for (int64_t i = 0; i < n; i++) {
    out[i] = chars;
    if (lens[i]) memcpy(chars, src[i], lens[i]);
    chars[lens[i]] = '\0';
    chars += lens[i] + 1;
  }
  return out;
}

strata_status strata_h5_read_strings(strata_ctx *ctx, strata_h5_file *file, const char *name,
                                     char ***out, int64_t *count) {
  strata_status st = STRATA_OK;
  hid_t ds = H5I_INVALID_HID, space = H5I_INVALID_HID, ftype = H5I_INVALID_HID,
        mtype = H5I_INVALID_HID;
  char **vlen = NULL;
  char *fixed = NULL;
  const char **views = NULL;
  size_t *lens = NULL;
  int64_t n = 0;
  STRATA_FAIL_IF(file == NULL || name == NULL || out == NULL || count == NULL, ctx,
                 STRATA_ERR_USAGE, "strata_h5_read_strings: NULL argument");
  *out = NULL;
  *count = 0;
  STRATA_FAIL_IF(!strata_h5_path_exists(file->id, name), ctx, STRATA_ERR_DATA,
                 "%s: dataset %s is missing", file->path, name);
  ds = H5Dopen2(file->id, name, H5P_DEFAULT);
  if (ds < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_DATA, "%s: %s is not a dataset", file->path, name);
    goto cleanup;
  }
  space = H5Dget_space(ds);
  ftype = H5Dget_type(ds);
  STRATA_FAIL_IF(H5Tget_class(ftype) != H5T_STRING, ctx, STRATA_ERR_DATA,
                 "%s: dataset %s does not hold strings", file->path, name);
  STRATA_FAIL_IF(H5Sget_simple_extent_ndims(space) != 1, ctx, STRATA_ERR_DATA,
                 "%s: dataset %s has rank %d, expected rank 1", file->path, name,
                 H5Sget_simple_extent_ndims(space));
  hsize_t dim;
  H5Sget_simple_extent_dims(space, &dim, NULL);
  n = (int64_t)dim;
  views = calloc(n ? (size_t)n : 1, sizeof *views);
  lens = calloc(n ? (size_t)n : 1, sizeof *lens);
  STRATA_FAIL_IF(views == NULL || lens == NULL, ctx, STRATA_ERR_NOMEM, "out of memory reading %s",
                 name);
  mtype = H5Tcopy(H5T_C_S1);
  H5Tset_cset(mtype, H5Tget_cset(ftype)); /* HDF5 converts no character sets */
  if (H5Tis_variable_str(ftype) > 0) {
    H5Tset_size(mtype, H5T_VARIABLE);
    vlen = calloc(n ? (size_t)n : 1, sizeof *vlen);
    STRATA_FAIL_IF(vlen == NULL, ctx, STRATA_ERR_NOMEM, "out of memory reading %s", name);
    if (n > 0 && H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, vlen) < 0) {
      st = strata_h5_fail(ctx, STRATA_ERR_IO, "%s: cannot read %s", file->path, name);
      goto cleanup;
    }
    for (int64_t i = 0; i < n; i++) {
      views[i] = vlen[i] ? vlen[i] : "";
      lens[i] = strlen(views[i]);
    }
  } else {
    size_t width = H5Tget_size(ftype);
    H5Tset_size(mtype, width);
    fixed = calloc(n ? (size_t)n : 1, width);
    STRATA_FAIL_IF(fixed == NULL, ctx, STRATA_ERR_NOMEM, "out of memory reading %s", name);
    if (n > 0 && H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed) < 0) {
      st = strata_h5_fail(ctx, STRATA_ERR_IO, "%s: cannot read %s", file->path, name);
      goto cleanup;
    }
    for (int64_t i = 0; i < n; i++) {
      views[i] = fixed + (size_t)i * width;
      lens[i] = strnlen(views[i], width);
    }
  }
  *out = pack_strings(views, lens, n);
  STRATA_FAIL_IF(*out == NULL, ctx, STRATA_ERR_NOMEM, "out of memory reading %s", name);
  *count = n;
cleanup:
  if (vlen != NULL && n > 0) H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, vlen);
  free(vlen);
  free(fixed);
  free(views);
  free(lens);
  if (mtype >= 0) H5Tclose(mtype);
  if (ftype >= 0) H5Tclose(ftype);
  if (space >= 0) H5Sclose(space);
  if (ds >= 0) H5Dclose(ds);
  return st;
}

strata_status strata_h5_read_attr_double(strata_ctx *ctx, strata_h5_file *file, const char *obj,
                                         const char *attr, double *value) {
  strata_status st = STRATA_OK;
  hid_t a = H5I_INVALID_HID;
  STRATA_FAIL_IF(file == NULL || obj == NULL || attr == NULL || value == NULL, ctx,
                 STRATA_ERR_USAGE, "strata_h5_read_attr_double: NULL argument");
  STRATA_FAIL_IF(!strata_h5_path_exists(file->id, obj), ctx, STRATA_ERR_DATA, "%s: %s is missing",
                 file->path, obj);
  htri_t has = H5Aexists_by_name(file->id, obj, attr, H5P_DEFAULT);
  STRATA_FAIL_IF(has <= 0, ctx, STRATA_ERR_DATA, "%s: %s has no attribute '%s'", file->path, obj,
                 attr);
  a = H5Aopen_by_name(file->id, obj, attr, H5P_DEFAULT, H5P_DEFAULT);
  if (a >= 0) {
    hid_t space = H5Aget_space(a);
    hssize_t points = H5Sget_simple_extent_npoints(space);
    H5Sclose(space);
    STRATA_FAIL_IF(points != 1, ctx, STRATA_ERR_DATA,
                   "%s: attribute '%s' of %s holds %lld values, expected one", file->path, attr,
                   obj, (long long)points);
  }
  if (a < 0 || H5Aread(a, H5T_NATIVE_DOUBLE, value) < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_DATA, "%s: cannot read attribute '%s' of %s as a number",
                        file->path, attr, obj);
    goto cleanup;
  }
cleanup:
  if (a >= 0) H5Aclose(a);
  return st;
}

strata_status strata_h5_read_attr_doubles(strata_ctx *ctx, strata_h5_file *file, const char *obj,
                                          const char *attr, double *values, int64_t max,
                                          int64_t *count) {
  strata_status st = STRATA_OK;
  hid_t a = H5I_INVALID_HID, space = H5I_INVALID_HID;
  STRATA_FAIL_IF(file == NULL || obj == NULL || attr == NULL || values == NULL || count == NULL,
                 ctx, STRATA_ERR_USAGE, "strata_h5_read_attr_doubles: NULL argument");
  STRATA_FAIL_IF(!strata_h5_path_exists(file->id, obj), ctx, STRATA_ERR_DATA, "%s: %s is missing",
                 file->path, obj);
  STRATA_FAIL_IF(H5Aexists_by_name(file->id, obj, attr, H5P_DEFAULT) <= 0, ctx, STRATA_ERR_DATA,
                 "%s: %s has no attribute '%s'", file->path, obj, attr);
  a = H5Aopen_by_name(file->id, obj, attr, H5P_DEFAULT, H5P_DEFAULT);
  space = H5Aget_space(a);
  hssize_t points = H5Sget_simple_extent_npoints(space);
  STRATA_FAIL_IF(points < 0 || points > max, ctx, STRATA_ERR_DATA,
                 "%s: attribute '%s' of %s holds %lld values, at most %lld expected", file->path,
                 attr, obj, (long long)points, (long long)max);
  if (H5Aread(a, H5T_NATIVE_DOUBLE, values) < 0) {
    st = strata_h5_fail(ctx, STRATA_ERR_DATA, "%s: cannot read attribute '%s' of %s as numbers",
                        file->path, attr, obj);
    goto cleanup;
  }
  *count = (int64_t)points;
cleanup:
  if (space >= 0) H5Sclose(space);
  if (a >= 0) H5Aclose(a);
  return st;
}

strata_status strata_h5_read_attr_string(strata_ctx *ctx, strata_h5_file *file, const char *obj,
                                         const char *attr, char *buf, size_t len) {
  strata_status st = STRATA_OK;
  hid_t a = H5I_INVALID_HID, type = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
  STRATA_FAIL_IF(file == NULL || obj == NULL || attr == NULL || buf == NULL || len == 0, ctx,
                 STRATA_ERR_USAGE, "strata_h5_read_attr_string: NULL argument");
  buf[0] = '\0';
  STRATA_FAIL_IF(!strata_h5_path_exists(file->id, obj), ctx, STRATA_ERR_DATA, "%s: %s is missing",
                 file->path, obj);
  STRATA_FAIL_IF(H5Aexists_by_name(file->id, obj, attr, H5P_DEFAULT) <= 0, ctx, STRATA_ERR_DATA,
                 "%s: %s has no attribute '%s'", file->path, obj, attr);
  a = H5Aopen_by_name(file->id, obj, attr, H5P_DEFAULT, H5P_DEFAULT);
  type = H5Aget_type(a);
  STRATA_FAIL_IF(H5Tget_class(type) != H5T_STRING, ctx, STRATA_ERR_DATA,
                 "%s: attribute '%s' of %s is not a string", file->path, attr, obj);
  mtype = H5Tcopy(H5T_C_S1);
  H5Tset_cset(mtype, H5Tget_cset(type));
  if (H5Tis_variable_str(type) > 0) {
    H5Tset_size(mtype, H5T_VARIABLE);
    char *s = NULL;
    if (H5Aread(a, mtype, &s) < 0) {
      st = strata_h5_fail(ctx, STRATA_ERR_DATA, "%s: cannot read attribute '%s'", file->path, attr);
      goto cleanup;
    }
    snprintf(buf, len, "%s", s ? s : "");
    H5free_memory(s);
  } else {
    size_t width = H5Tget_size(type);
    char *s = calloc(1, width + 1);
    STRATA_FAIL_IF(s == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
    H5Tset_size(mtype, width);
    if (H5Aread(a, mtype, s) >= 0) snprintf(buf, len, "%s", s);
    free(s);
  }
cleanup:
  if (mtype >= 0) H5Tclose(mtype);
  if (type >= 0) H5Tclose(type);
  if (a >= 0) H5Aclose(a);
  return st;
}
