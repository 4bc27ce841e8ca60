/*
 * hier_kernels.h — pure numeric kernels of hierarchical clustering (src/hier) and their own
 * small dispatch table (the k-means table in kernels.h is shared and left alone).
 *
 * Points or centroids are stored in the k-means packed f64 layout (kernels.h): panels of
 * W = STRATA_K_PANEL_F64 = 8 lanes, one point per lane, panel p at packed + p (d + 2) W with
 *     [0, W)          direct-form bias: 0 for a live lane, +inf for a dead or padding lane
 *     [W, 2W)         unused here (the dot-form bias of k-means)
 *     [2W + t W + w]  coordinate t of lane w
 * so strata_k_pack_centers_f64 builds it and a dead point is switched off by its bias.
 *
 * Every squared distance is the sequential chain acc = bias; acc = fma(x_t - c_t, x_t - c_t,
 * acc) for t = 0..d-1, exactly as in the k-means kernels: the reference and every SIMD variant
 * give BIT-IDENTICAL values, and since (x - c)^2 == (c - x)^2 the distance of a pair does not
 * depend on which point is the query. The Lance-Williams row updates are plain expressions
 * compiled with -ffp-contract=off (ISO C mode), so they round exactly as fastcluster's do.
 *
 * Ties: every argmin returns the lowest index among equal minima (the order fastcluster and
 * SciPy scan in). NaN never wins a comparison; inputs are checked finite upstream.
 * Kernels allocate nothing, start no threads and are reentrant.
 */
#ifndef STRATA_HIER_KERNELS_H
#define STRATA_HIER_KERNELS_H

#include <stdint.h>

#include "kernels.h"

#define STRATA_H_W STRATA_K_PANEL_F64

/* Lance-Williams update of one distance row (see strata_h_merge_row_fn). */
typedef enum strata_h_update {
  STRATA_H_COMPLETE = 0, /* b = max(a, b) */
  STRATA_H_AVERAGE = 1,  /* b = s a + t b, s and t the size ratios */
  STRATA_H_WEIGHTED = 2, /* b = (a + b) / 2 */
  STRATA_H_WARD = 3      /* b = ((v + s) a - v c + (v + t) b) / (s + t + v), squared distances */
} strata_h_update;

/* out[W (p - p0) + w] = squared distance of x (d contiguous doubles) to lane w of panel p,
 * for every panel p in [p0, p1); dead lanes give +inf. */
typedef void (*strata_h_sqdist_row_fn)(int64_t d, const double *restrict x,
                                       const double *restrict packed, int64_t p0, int64_t p1,
                                       double *restrict out);
/* Prim's step: key[j] = min(key[j], sqdist(x, lane j)) for the lanes of panels [p0, p1);
 * returns the smallest key of those lanes and its lowest index in *arg (p0 W when every key
 * is +inf). */
typedef double (*strata_h_prim_update_fn)(int64_t d, const double *restrict x,
                                          const double *restrict packed, int64_t p0, int64_t p1,
                                          double *restrict key, int64_t *arg);
/* Smallest v[j] + pen[j] over j in [0, n) (pen is 0 for live entries, +inf for dead ones; NULL
 * for none) and its lowest index in *arg (0 when all are +inf). n >= 1. */
typedef double (*strata_h_argmin_fn)(int64_t n, const double *restrict v,
                                     const double *restrict pen, int64_t *arg);
/* Ward transform of a squared-distance row in place, then its argmin as strata_h_argmin_fn:
 * v[j] = v[j] * ((m * size[j]) / (m + size[j])) for j in [0, n). The factor is symmetric in
 * the two sizes, so the value of a pair does not depend on which cluster asks. */
typedef double (*strata_h_ward_argmin_fn)(int64_t n, double *restrict v,
                                          const double *restrict size, double m, int64_t *arg);
/* rb[j] = f(ra[j], rb[j]) for j in [0, n), f the update `u` with parameters s, t, c and, for
 * Ward, v = size[j] (size may be NULL for the other updates). */
/* Ward nearest neighbour of a query (x, size m) over the lanes of panels [p0, p1), lane `self`
 * excluded: row[j] = sqdist(x, lane j) * ((m * size[j]) / (m + size[j])) for those lanes
 * (row and size indexed by lane, +inf at self), as sqdist_row then ward_argmin would leave it;
 * returns the smallest and its lowest lane in *arg (p0 W when all are +inf). */
typedef double (*strata_h_ward_scan_fn)(int64_t d, const double *restrict x,
                                        const double *restrict packed, int64_t p0, int64_t p1,
                                        const double *restrict size, double m, int64_t self,
                                        double *restrict row, int64_t *arg);
typedef void (*strata_h_merge_row_fn)(strata_h_update u, int64_t n, const double *restrict ra,
                                      double *restrict rb, const double *restrict size, double s,
                                      double t, double c);

/* v[j] = sqrt(v[j]) for j in [0, n) (correctly rounded: identical in every variant). */
typedef void (*strata_h_sqrt_row_fn)(int64_t n, double *restrict v);

typedef struct strata_hier_kernels {
  strata_isa isa;
  const char *name;
  strata_h_sqdist_row_fn sqdist_row;
  strata_h_prim_update_fn prim_update;
  strata_h_argmin_fn argmin;
  strata_h_ward_argmin_fn ward_argmin;
  strata_h_merge_row_fn merge_row;
  strata_h_sqrt_row_fn sqrt_row;
  strata_h_ward_scan_fn ward_scan;
} strata_hier_kernels;

/* The table of the process, chosen once like strata_kernels_get (STRATA_ISA honoured). */
const strata_hier_kernels *strata_hier_kernels_get(void);
/* The table of one ISA, or NULL when this CPU cannot run it. For tests and benchmarks. */
const strata_hier_kernels *strata_hier_kernels_for(strata_isa isa);

/* One Lance-Williams update, the scalar the row kernel applies lane by lane (lazy refresh of
 * single entries uses it, so both paths round identically). */
static inline double strata_h_update1(strata_h_update u, double a, double b, double s, double t,
                                      double c, double v) {
  switch (u) {
    case STRATA_H_COMPLETE: return b < a ? a : b;
    case STRATA_H_AVERAGE: return s * a + t * b;
    case STRATA_H_WEIGHTED: return (a + b) * .5;
    case STRATA_H_WARD: return ((v + s) * a - v * c + (v + t) * b) / (s + t + v);
  }
  return b;
}

#define STRATA_H_DECLARE(isa)                                                                     \
  void strata_h_sqdist_row_##isa(int64_t d, const double *restrict x,                             \
                                 const double *restrict packed, int64_t p0, int64_t p1,           \
                                 double *restrict out);                                           \
  double strata_h_prim_update_##isa(int64_t d, const double *restrict x,                          \
                                    const double *restrict packed, int64_t p0, int64_t p1,        \
                                    double *restrict key, int64_t *arg);                          \
  double strata_h_argmin_##isa(int64_t n, const double *restrict v, const double *restrict pen,   \
                               int64_t *arg);                                                     \
  double strata_h_ward_argmin_##isa(int64_t n, double *restrict v, const double *restrict size,   \
                                    double m, int64_t *arg);                                      \
  void strata_h_merge_row_##isa(strata_h_update u, int64_t n, const double *restrict ra,          \
                                double *restrict rb, const double *restrict size, double s,       \
                                double t, double c);                                              \
  void strata_h_sqrt_row_##isa(int64_t n, double *restrict v);                                    \
  double strata_h_ward_scan_##isa(                                                                \
      int64_t d, const double *restrict x, const double *restrict packed, int64_t p0, int64_t p1, \
      const double *restrict size, double m, int64_t self, double *restrict row, int64_t *arg);

STRATA_H_DECLARE(ref)
STRATA_H_DECLARE(avx2)
STRATA_H_DECLARE(avx512)

#endif
