/*
 * The original customer ids of an imported log (/customers/id, the dense int64 ids strata
 * works with, and /customers/key, the ids as the source system wrote them) carried from an
 * input file into a result file, so that a result file alone can speak the source's ids
 * (`strata export`, messages). O(N) for N customers.
 */
#include <stdlib.h>

#include "core/core.h"
#include "segment/customer_keys.h"

strata_status strata_customer_keys_copy(strata_ctx *ctx, const char *in, strata_h5_writer *w) {
  strata_status st = STRATA_OK;
  strata_h5_file *f = NULL;
  int64_t *ids = NULL;
  char **keys = NULL;
  int64_t count = 0;
  STRATA_TRY(strata_h5_open(ctx, in, &f));
  if (!strata_h5_exists(f, "/customers/key") || !strata_h5_exists(f, "/customers/id")) goto cleanup;
  STRATA_TRY(strata_h5_read_strings(ctx, f, "/customers/key", &keys, &count));
  STRATA_TRY(strata_h5_read_vector(ctx, f, "/customers/id", STRATA_TYPES_INT, count, STRATA_I64,
                                   (void **)&ids));
  int64_t dims[1] = {count};
  STRATA_TRY(strata_h5_write(ctx, w, "/customers/id", STRATA_I64, 1, dims, ids));
  STRATA_TRY(
      strata_h5_write_strings(ctx, w, "/customers/key", count, (const char *const *)keys));
  STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/customers", "source", in));
cleanup:
  strata_h5_close(f);
  strata_buffer_free(ids);
  free(keys);
  return st;
}
