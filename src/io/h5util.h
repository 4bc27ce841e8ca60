/*
 * Shared plumbing of the HDF5 layer: the only place, with the other files of src/io, that
 * includes hdf5.h. HDF5's own error printing is switched off; its failures become strata
 * statuses whose message ends with HDF5's innermost reason.
 */
#ifndef STRATA_H5UTIL_H
#define STRATA_H5UTIL_H

#include <hdf5.h>

#include "core/core.h"

/* Switches off HDF5's automatic error printing (once per process). */
void strata_h5_quiet(void);

/* Fails with `status` and a message made of the printf-style text plus ": " and HDF5's
 * innermost error description when there is one. */
strata_status strata_h5_fail(strata_ctx *ctx, strata_status status, const char *fmt, ...)
    STRATA_PRINTF(3, 4);

/* 1 when every component of the absolute path `name` exists in `loc`, else 0. */
int strata_h5_path_exists(hid_t loc, const char *name);

/* The strata element type of an HDF5 type, or 0 when strata does not read that type. */
strata_dtype strata_h5_dtype_of(hid_t type);
/* The native HDF5 memory type for a strata element type. */
hid_t strata_h5_native(strata_dtype dtype);
/* A printable name for any HDF5 type ("float64", "uint8", "string", "compound", ...). */
void strata_h5_type_name(hid_t type, char *buf, size_t len);

/* The HDF5 identifier behind a file handle opened by strata_h5_open. */
hid_t strata_h5_file_id(const strata_h5_file *file);

#endif
