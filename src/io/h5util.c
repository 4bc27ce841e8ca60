/* HDF5 error capture, path checks and type mapping shared by reader, writer and inventory. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "io/h5util.h"

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void quiet_init(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

void strata_h5_quiet(void) { pthread_once(&quiet_once, quiet_init); }

typedef struct {
  char desc[256];
} innermost_error;

static herr_t take_innermost(unsigned n, const H5E_error2_t *err, void *data) {
  innermost_error *out = data;
  if (n == 0 && err->desc != NULL) snprintf(out->desc, sizeof out->desc, "%s", err->desc);
  return 0;
}

strata_status strata_h5_fail(strata_ctx *ctx, strata_status status, const char *fmt, ...) {
  char msg[STRATA_ERROR_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  innermost_error inner = {{0}};
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &inner);
  H5Eclear2(H5E_DEFAULT);
  if (inner.desc[0] != '\0') return strata_fail(ctx, status, "%s (HDF5: %s)", msg, inner.desc);
  return strata_fail(ctx, status, "%s", msg);
}

int strata_h5_path_exists(hid_t loc, const char *name) {
  if (name == NULL || name[0] == '\0') return 0;
  if (strcmp(name, "/") == 0) return 1;
  char buf[1024];
  size_t len = strlen(name);
  if (len >= sizeof buf) return 0;
  memcpy(buf, name, len + 1);
  /* H5Lexists fails rather than answering 0 when a parent is missing: check each prefix. */
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] == '/' || buf[i] == '\0') {
      char saved = buf[i];
      buf[i] = '\0';
      htri_t link = H5Lexists(loc, buf, H5P_DEFAULT);
      htri_t object = link > 0 ? H5Oexists_by_name(loc, buf, H5P_DEFAULT) : 0;
      buf[i] = saved;
      if (link <= 0 || object <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
      }
    }
  }
  return 1;
}

strata_dtype strata_h5_dtype_of(hid_t type) {
  H5T_class_t cls = H5Tget_class(type);
  size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT) {
    if (size == 4) return STRATA_F32;
    if (size == 8) return STRATA_F64;
  } else if (cls == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_2) {
    if (size == 4) return STRATA_I32;
    if (size == 8) return STRATA_I64;
  }
  return (strata_dtype)0;
}

hid_t strata_h5_native(strata_dtype dtype) {
  switch (dtype) {
    case STRATA_F32: return H5T_NATIVE_FLOAT;
    case STRATA_F64: return H5T_NATIVE_DOUBLE;
    case STRATA_I32: return H5T_NATIVE_INT32;
    case STRATA_I64: return H5T_NATIVE_INT64;
  }
  return H5I_INVALID_HID;
}

void strata_h5_type_name(hid_t type, char *buf, size_t len) {
  H5T_class_t cls = H5Tget_class(type);
  size_t bits = 8 * H5Tget_size(type);
  switch (cls) {
    case H5T_FLOAT: snprintf(buf, len, "float%zu", bits); break;
    case H5T_INTEGER:
      snprintf(buf, len, "%sint%zu", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", bits);
      break;
    case H5T_STRING: snprintf(buf, len, "string"); break;
    case H5T_COMPOUND: snprintf(buf, len, "compound"); break;
    case H5T_ENUM: snprintf(buf, len, "enum"); break;
    case H5T_ARRAY: snprintf(buf, len, "array"); break;
    case H5T_VLEN: snprintf(buf, len, "vlen"); break;
    case H5T_OPAQUE: snprintf(buf, len, "opaque"); break;
    case H5T_BITFIELD: snprintf(buf, len, "bitfield"); break;
    case H5T_REFERENCE: snprintf(buf, len, "reference"); break;
    default: snprintf(buf, len, "unknown"); break;
  }
}
