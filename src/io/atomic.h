/*
 * Atomic output files: everything is written to a temporary file beside the destination, and
 * only a successful commit (fsync, then link(2) or rename(2), then fsync of the directory)
 * makes it appear under its name. A failed run leaves no partial output; without `force` an
 * existing file is never replaced, even one that appears while strata works.
 */
#ifndef STRATA_IO_ATOMIC_H
#define STRATA_IO_ATOMIC_H

#include "core/core.h"

typedef struct strata_atomic_file {
  char *path; /* destination */
  char *temp; /* temporary file, created (empty, mode 0666 & ~umask) by strata_atomic_begin */
  char *dir;
  int force;
} strata_atomic_file;

/* Checks the destination (an existing file without force: STRATA_ERR_EXISTS; a directory or a
 * missing directory: STRATA_ERR_IO, naming it) and creates the temporary file. */
strata_status strata_atomic_begin(strata_ctx *ctx, const char *path, int force,
                                  strata_atomic_file *a);
/* Flushes the closed temporary file to disk and moves it into place; on failure the
 * temporary file is removed. Releases `a` either way. */
strata_status strata_atomic_commit(strata_ctx *ctx, strata_atomic_file *a);
/* Removes the temporary file (if any) and releases `a`; safe on a zeroed or released one. */
void strata_atomic_abort(strata_atomic_file *a);

#endif
