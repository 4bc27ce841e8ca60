/* Helpers shared by the files of src/clv/ (not part of the module's API in clv.h). */
#ifndef STRATA_CLV_INTERNAL_H
#define STRATA_CLV_INTERNAL_H

#include "clv/clv.h"
#include "core/core.h"

/* Validates n customers' (x, t_x, T[, w]) rows: finite, x a non-negative integer,
 * 0 <= t_x <= T, t_x == 0 when x == 0, w finite and >= 0. STRATA_ERR_DATA naming `what`
 * and the first bad row (the same row for any thread count). */
strata_status strata_clv_validate_rows(strata_ctx *ctx, const double *x, const double *t_x,
                                       const double *T, const double *w, int64_t n,
                                       const char *what);

/* Distinct values of the non-negative integers x[0..n) into a new ascending array *xv_out
 * (release with strata_free) and the index of each row into it in xi[0..n). */
strata_status strata_clv_x_table(strata_ctx *ctx, const double *x, int64_t n, int32_t *xi,
                                 double **xv_out, int64_t *n_x_out);

#endif
