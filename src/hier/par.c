/*
 * Row operations of the linkage algorithms split over the context's threads. A row is cut
 * into one contiguous chunk per thread on panel boundaries; each chunk's minimum and lowest
 * index are combined in chunk order, taking the first chunk on a tie, which is exactly the
 * serial answer (lowest index among equal minima): results do not depend on the thread
 * count. Short rows (under PAR_MIN lanes) stay serial, where a parallel region costs more
 * than it saves.
 */
#include <omp.h>

#include "hier/hier_internal.h"

#define PAR_MIN 4096
#define PAR_MAX_THREADS 64

static int par_threads(strata_ctx *ctx, int64_t lanes) {
  int t = strata_ctx_threads(ctx);
  if (t > PAR_MAX_THREADS) t = PAR_MAX_THREADS;
  if (lanes < PAR_MIN || t < 2) return 1;
  return t;
}

/* Panels [*p0, *p1) of thread `i` of `t` over np panels. */
static void chunk(int64_t np, int t, int i, int64_t *p0, int64_t *p1) {
  *p0 = np * i / t;
  *p1 = np * (i + 1) / t;
}

static double combine(int t, const double *best, const int64_t *arg, int64_t *out) {
  double b = best[0];
  int64_t a = arg[0];
  for (int i = 1; i < t; i++)
    if (best[i] < b) {
      b = best[i];
      a = arg[i];
    }
  *out = a;
  return b;
}

double hier_par_prim(strata_ctx *ctx, const strata_hier_kernels *kt, int64_t d, const double *x,
                     const double *packed, int64_t np, double *key, int64_t *arg) {
  const int t = par_threads(ctx, np * STRATA_H_W);
  if (t == 1) return kt->prim_update(d, x, packed, 0, np, key, arg);
  double best[PAR_MAX_THREADS];
  int64_t args[PAR_MAX_THREADS];
#pragma omp parallel num_threads(t) default(none) shared(kt, d, x, packed, np, key, best, args, t)
  {
    const int i = omp_get_thread_num();
    int64_t p0, p1;
    chunk(np, t, i, &p0, &p1);
    best[i] = p1 > p0 ? kt->prim_update(d, x, packed, p0, p1, key, &args[i]) : HUGE_VAL;
    if (p1 <= p0) args[i] = 0;
  }
  return combine(t, best, args, arg);
}

double hier_par_ward_row(strata_ctx *ctx, const strata_hier_kernels *kt, int64_t d, const double *c,
                         const double *packed, int64_t np, const double *size, double m,
                         int64_t self, double *row, int64_t *arg) {
  const int t = par_threads(ctx, np * STRATA_H_W);
  double best[PAR_MAX_THREADS];
  int64_t args[PAR_MAX_THREADS];
#pragma omp parallel num_threads(t) default(none) \
    shared(kt, d, c, packed, np, size, m, self, row, best, args, t)
  {
    const int i = omp_get_thread_num();
    int64_t p0, p1;
    chunk(np, t, i, &p0, &p1);
    best[i] = HUGE_VAL;
    args[i] = 0;
    if (p1 > p0) {
      const int64_t j0 = p0 * STRATA_H_W, len = (p1 - p0) * STRATA_H_W;
      kt->sqdist_row(d, c, packed, p0, p1, row + j0);
      if (self >= j0 && self < j0 + len) row[self] = HUGE_VAL;
      best[i] = kt->ward_argmin(len, row + j0, size + j0, m, &args[i]);
      args[i] += j0;
    }
  }
  return combine(t, best, args, arg);
}

double hier_par_argmin(strata_ctx *ctx, const strata_hier_kernels *kt, int64_t n, const double *row,
                       const double *pen, int64_t *arg) {
  const int64_t np = hier_panels(n);
  const int t = par_threads(ctx, n);
  if (t == 1) return kt->argmin(n, row, pen, arg);
  double best[PAR_MAX_THREADS];
  int64_t args[PAR_MAX_THREADS];
#pragma omp parallel num_threads(t) default(none) shared(kt, n, np, row, pen, best, args, t)
  {
    const int i = omp_get_thread_num();
    int64_t p0, p1;
    chunk(np, t, i, &p0, &p1);
    int64_t j0 = p0 * STRATA_H_W, j1 = p1 * STRATA_H_W;
    if (j1 > n) j1 = n;
    best[i] = HUGE_VAL;
    args[i] = 0;
    if (j1 > j0) {
      best[i] = kt->argmin(j1 - j0, row + j0, pen + j0, &args[i]);
      args[i] += j0;
    }
  }
  return combine(t, best, args, arg);
}

void hier_par_merge_row(strata_ctx *ctx, const strata_hier_kernels *kt, strata_h_update u,
                        int64_t n, const double *ra, double *rb, const double *size, double s,
                        double tt, double c) {
  const int64_t np = hier_panels(n);
  const int t = par_threads(ctx, n);
  if (t == 1) {
    kt->merge_row(u, n, ra, rb, size, s, tt, c);
    return;
  }
#pragma omp parallel num_threads(t) default(none) shared(kt, u, n, np, ra, rb, size, s, tt, c, t)
  {
    const int i = omp_get_thread_num();
    int64_t p0, p1;
    chunk(np, t, i, &p0, &p1);
    int64_t j0 = p0 * STRATA_H_W, j1 = p1 * STRATA_H_W;
    if (j1 > n) j1 = n;
    if (j1 > j0) kt->merge_row(u, j1 - j0, ra + j0, rb + j0, size + j0, s, tt, c);
  }
}
