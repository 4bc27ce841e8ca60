/* Lloyd's algorithm and the shared assignment/update steps, for float and double data. */
#include <math.h>
#include <string.h>

#include "core/driver.h"
#include "kmeans/kmeans_internal.h"

strata_status km_totals_init(const km_problem *p, km_totals *kept) {
  kept->deltas = 0;
  return strata_alloc(p->ctx, (size_t)(p->k * p->d + p->k), sizeof(double), "centre sums",
                      (void **)&kept->sum);
}

void km_totals_add(const km_problem *p, km_totals *kept, const double *pass) {
  const int64_t k = p->k, d = p->d, m = k * d + k;
  if (kept->deltas)
    for (int64_t j = 0; j < m; j++) kept->sum[j] += pass[j];
  else
    memcpy(kept->sum, pass, (size_t)m * sizeof(double));
  int empty = 0;
  for (int64_t j = 0; j < k; j++) empty |= kept->sum[k * d + j] == 0.0;
  kept->deltas = p->w == NULL && !empty;
}

void km_totals_free(km_totals *kept) {
  strata_free(kept->sum);
  kept->sum = NULL;
}

#define KM_F32
#include "kmeans/typed.h"
#include "kmeans/lloyd_tmpl.h"
#include "kmeans/typed_undef.h"

#define KM_F64
#include "kmeans/typed.h"
#include "kmeans/lloyd_tmpl.h"
#include "kmeans/typed_undef.h"
