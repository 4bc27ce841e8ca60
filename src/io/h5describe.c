/* Inventory of an HDF5 file for `strata info`: every group and dataset with shape, type and
 * attributes formatted as text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"

#define MAX_ATTRS 64
#define ATTR_TEXT 256
#define ATTR_SHOWN 8 /* array attributes longer than this are shown as "v0, v1, ... (n values)" */

typedef struct {
  strata_ctx *ctx;
  const char *file;
  strata_h5_visit_fn visit;
  void *user;
  int stopped;
  strata_status status;
  size_t n_attrs;
  char names[MAX_ATTRS][64];
  char values[MAX_ATTRS][ATTR_TEXT];
} walk_state;

static void append(char *buf, size_t len, const char *fmt, double v, int is_int) {
  size_t used = strlen(buf);
  if (used >= len - 1) return;
  if (is_int)
    snprintf(buf + used, len - used, fmt, (long long)v);
  else
    snprintf(buf + used, len - used, fmt, v);
}

static void format_attr(hid_t attr, char *out, size_t len) {
  out[0] = '\0';
  hid_t type = H5Aget_type(attr);
  hid_t space = H5Aget_space(attr);
  hssize_t n = H5Sget_simple_extent_npoints(space);
  H5T_class_t cls = H5Tget_class(type);
  if (cls == H5T_STRING && n == 1) {
    if (H5Tis_variable_str(type) > 0) {
      hid_t mtype = H5Tcopy(H5T_C_S1);
      H5Tset_size(mtype, H5T_VARIABLE);
      H5Tset_cset(mtype, H5Tget_cset(type)); /* no ASCII <-> UTF-8 conversion exists */
      char *s = NULL;
      if (H5Aread(attr, mtype, &s) >= 0 && s != NULL) {
        snprintf(out, len, "%s", s);
        H5free_memory(s);
      }
      H5Tclose(mtype);
    } else {
      size_t width = H5Tget_size(type);
      char *s = calloc(1, width + 1);
      hid_t mtype = H5Tcopy(H5T_C_S1);
      H5Tset_size(mtype, width);
      H5Tset_cset(mtype, H5Tget_cset(type));
      if (s != NULL && H5Aread(attr, mtype, s) >= 0) snprintf(out, len, "%s", s);
      H5Tclose(mtype);
      free(s);
    }
  } else if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && n >= 1) {
    double *v = malloc((size_t)n * sizeof *v);
    if (v != NULL && H5Aread(attr, H5T_NATIVE_DOUBLE, v) >= 0) {
      hssize_t shown = n < ATTR_SHOWN ? n : ATTR_SHOWN;
      if (n > 1) append(out, len, "[", 0, 0);
      for (hssize_t i = 0; i < shown; i++) {
        if (i > 0) append(out, len, ", ", 0, 0);
        if (cls == H5T_INTEGER)
          append(out, len, "%lld", v[i], 1);
        else
          append(out, len, "%.10g", v[i], 0);
      }
      if (n > shown) append(out, len, ", ... (%lld values)", (double)n, 1);
      if (n > 1) append(out, len, "]", 0, 0);
    }
    free(v);
  } else {
    char tname[32];
    strata_h5_type_name(type, tname, sizeof tname);
    snprintf(out, len, "<%s, %lld values>", tname, (long long)n);
  }
  H5Sclose(space);
  H5Tclose(type);
}

static herr_t collect_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
  (void)info;
  walk_state *ws = data;
  if (ws->n_attrs == MAX_ATTRS) return 1;
  hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
  if (attr < 0) return 0;
  snprintf(ws->names[ws->n_attrs], sizeof ws->names[0], "%s", name);
  format_attr(attr, ws->values[ws->n_attrs], sizeof ws->values[0]);
  ws->n_attrs++;
  H5Aclose(attr);
  return 0;
}

static herr_t visit_object(hid_t root, const char *name, const H5O_info_t *info, void *data) {
  walk_state *ws = data;
  char path[1024];
  if (strcmp(name, ".") == 0)
    snprintf(path, sizeof path, "/");
  else
    snprintf(path, sizeof path, "/%s", name);
  if (info->type != H5O_TYPE_GROUP && info->type != H5O_TYPE_DATASET) return 0;

  hid_t obj = H5Oopen(root, name, H5P_DEFAULT);
  if (obj < 0) {
    ws->status = strata_h5_fail(ws->ctx, STRATA_ERR_IO, "%s: cannot open %s", ws->file, path);
    return -1;
  }
  ws->n_attrs = 0;
  H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_attr, ws);

  strata_h5_entry e = {0};
  int64_t dims[H5S_MAX_RANK] = {0};
  char tname[32] = "";
  e.path = path;
  e.is_group = info->type == H5O_TYPE_GROUP;
  e.dims = dims;
  e.type = tname;
  if (!e.is_group) {
    hid_t space = H5Dget_space(obj);
    hid_t type = H5Dget_type(obj);
    hsize_t hd[H5S_MAX_RANK];
    e.rank = H5Sget_simple_extent_ndims(space);
    H5Sget_simple_extent_dims(space, hd, NULL);
    for (int i = 0; i < e.rank; i++) dims[i] = (int64_t)hd[i];
    strata_h5_type_name(type, tname, sizeof tname);
    H5Tclose(type);
    H5Sclose(space);
  }
  const char *names[MAX_ATTRS];
  const char *values[MAX_ATTRS];
  for (size_t i = 0; i < ws->n_attrs; i++) {
    names[i] = ws->names[i];
    values[i] = ws->values[i];
  }
  e.n_attrs = ws->n_attrs;
  e.attr_names = names;
  e.attr_values = values;
  H5Oclose(obj);
  if (ws->visit(ws->user, &e) != 0) {
    ws->stopped = 1;
    return 1;
  }
  return 0;
}

strata_status strata_h5_describe(strata_ctx *ctx, const char *path, strata_h5_visit_fn visit,
                                 void *user) {
  strata_status st = STRATA_OK;
  strata_h5_file *file = NULL;
  walk_state *ws = NULL;
  STRATA_FAIL_IF(visit == NULL, ctx, STRATA_ERR_USAGE, "strata_h5_describe: visit is NULL");
  STRATA_TRY(strata_h5_open(ctx, path, &file));
  ws = calloc(1, sizeof *ws);
  STRATA_FAIL_IF(ws == NULL, ctx, STRATA_ERR_NOMEM, "out of memory describing '%s'", path);
  ws->ctx = ctx;
  ws->file = path;
  ws->visit = visit;
  ws->user = user;
  hid_t root = H5Gopen2(strata_h5_file_id(file), "/", H5P_DEFAULT);
  herr_t rc = H5Ovisit2(root, H5_INDEX_NAME, H5_ITER_INC, visit_object, ws, H5O_INFO_BASIC);
  H5Gclose(root);
  if (rc < 0 && !ws->stopped) {
    st = ws->status != STRATA_OK ? ws->status
                                 : strata_h5_fail(ctx, STRATA_ERR_IO, "cannot walk '%s'", path);
    goto cleanup;
  }
cleanup:
  free(ws);
  strata_h5_close(file);
  return st;
}
