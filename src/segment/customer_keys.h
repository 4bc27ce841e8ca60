/* The original customer ids of an imported log carried into result files; see
 * customer_keys.c. */
#ifndef STRATA_SEGMENT_CUSTOMER_KEYS_H
#define STRATA_SEGMENT_CUSTOMER_KEYS_H

#include "strata.h"

/* Copies /customers/{id, key} of `in` into w when `in` has them (nothing otherwise). */
strata_status strata_customer_keys_copy(strata_ctx *ctx, const char *in, strata_h5_writer *w);

#endif
