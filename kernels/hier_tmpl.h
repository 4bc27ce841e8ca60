/*
 * hier_tmpl.h — the body of the hierarchical-clustering kernels, included once per ISA by
 * hier_ref.c, hier_avx2.c and hier_avx512.c with HK(name) giving the suffixed name. The loops
 * are written lane-wise (W = 8 doubles, one point per lane, a sequential fma chain over the
 * dimensions per lane) so that the compiler vectorises them over lanes with the file's ISA
 * flags: every variant performs the reference's operations in the reference's order, hence the
 * identical results. Four panels are interleaved in the distance loops so that four
 * independent fma chains hide the fma latency. Cost: O(panels x d) for the distance kernels,
 * O(n) for the rest.
 */
#include <math.h>

#include "hier_kernels.h"

#define HK_W STRATA_H_W
#define HK_STRIDE(d) (((d) + 2) * HK_W)

#ifdef HK_VEC
/* SIMD variant: HK_VPP registers of HK_VW doubles per panel (hier_avx2.c, hier_avx512.c
 * define them). vfmadd computes fma(df, df, acc) with one rounding and min_pd(a, b) is
 * a < b ? a : b, so every lane performs the reference's operations exactly. */
static inline void HK(panels4)(int64_t d, const double *restrict x, const double *restrict pp,
                               int64_t stride, double *restrict out) {
  HK_VEC acc[4][HK_VPP];
#pragma GCC unroll 8
  for (int q = 0; q < 4; q++)
#pragma GCC unroll 4
    for (int v = 0; v < HK_VPP; v++) acc[q][v] = HK_LOAD(pp + q * stride + v * HK_VW);
  const double *c = pp + 2 * HK_W;
  for (int64_t t = 0; t < d; t++, c += HK_W) {
    const HK_VEC xt = HK_SET1(x[t]);
#pragma GCC unroll 8
    for (int q = 0; q < 4; q++)
#pragma GCC unroll 4
      for (int v = 0; v < HK_VPP; v++) {
        const HK_VEC df = HK_SUB(xt, HK_LOAD(c + q * stride + v * HK_VW));
        acc[q][v] = HK_FMA(df, df, acc[q][v]);
      }
  }
#pragma GCC unroll 8
  for (int q = 0; q < 4; q++)
#pragma GCC unroll 4
    for (int v = 0; v < HK_VPP; v++) HK_STORE(out + q * HK_W + v * HK_VW, acc[q][v]);
}

static inline void HK(panel1)(int64_t d, const double *restrict x, const double *restrict pp,
                              double *restrict out) {
  HK_VEC acc[HK_VPP];
#pragma GCC unroll 4
  for (int v = 0; v < HK_VPP; v++) acc[v] = HK_LOAD(pp + v * HK_VW);
  const double *c = pp + 2 * HK_W;
  for (int64_t t = 0; t < d; t++, c += HK_W) {
    const HK_VEC xt = HK_SET1(x[t]);
#pragma GCC unroll 4
    for (int v = 0; v < HK_VPP; v++) {
      const HK_VEC df = HK_SUB(xt, HK_LOAD(c + v * HK_VW));
      acc[v] = HK_FMA(df, df, acc[v]);
    }
  }
#pragma GCC unroll 4
  for (int v = 0; v < HK_VPP; v++) HK_STORE(out + v * HK_VW, acc[v]);
}

/* Lane-wise minimum of v[0, n) (+ pen) into a register set; n a multiple of HK_W. */
static inline double HK(vmin)(int64_t n, const double *restrict v, const double *restrict pen) {
  HK_VEC m[2 * HK_VPP];
#pragma GCC unroll 8
  for (int u = 0; u < 2 * HK_VPP; u++) m[u] = HK_SET1(HUGE_VAL);
  int64_t j = 0;
  if (pen != NULL) {
    for (; j + 2 * HK_W <= n; j += 2 * HK_W)
#pragma GCC unroll 8
      for (int u = 0; u < 2 * HK_VPP; u++)
        m[u] = HK_MIN(HK_ADD(HK_LOAD(v + j + u * HK_VW), HK_LOAD(pen + j + u * HK_VW)), m[u]);
    for (; j < n; j += HK_VW) m[0] = HK_MIN(HK_ADD(HK_LOAD(v + j), HK_LOAD(pen + j)), m[0]);
  } else {
    for (; j + 2 * HK_W <= n; j += 2 * HK_W)
#pragma GCC unroll 8
      for (int u = 0; u < 2 * HK_VPP; u++) m[u] = HK_MIN(HK_LOAD(v + j + u * HK_VW), m[u]);
    for (; j < n; j += HK_VW) m[0] = HK_MIN(HK_LOAD(v + j), m[0]);
  }
  double lanes[2 * HK_W];
#pragma GCC unroll 8
  for (int u = 0; u < 2 * HK_VPP; u++) HK_STORE(lanes + u * HK_VW, m[u]);
  double best = lanes[0];
  for (int w = 1; w < 2 * HK_W; w++) best = lanes[w] < best ? lanes[w] : best;
  return best;
}
#else
static inline void HK(panels4)(int64_t d, const double *restrict x, const double *restrict pp,
                               int64_t stride, double *restrict out) {
  double acc[4][HK_W];
  for (int q = 0; q < 4; q++)
    for (int w = 0; w < HK_W; w++) acc[q][w] = pp[q * stride + w];
  for (int64_t t = 0; t < d; t++) {
    const double xt = x[t];
    for (int q = 0; q < 4; q++) {
      const double *c = pp + q * stride + 2 * HK_W + t * HK_W;
      for (int w = 0; w < HK_W; w++) {
        const double df = xt - c[w];
        acc[q][w] = fma(df, df, acc[q][w]);
      }
    }
  }
  for (int q = 0; q < 4; q++)
    for (int w = 0; w < HK_W; w++) out[q * HK_W + w] = acc[q][w];
}

static inline void HK(panel1)(int64_t d, const double *restrict x, const double *restrict pp,
                              double *restrict out) {
  double acc[HK_W];
  for (int w = 0; w < HK_W; w++) acc[w] = pp[w];
  for (int64_t t = 0; t < d; t++) {
    const double xt = x[t];
    const double *c = pp + 2 * HK_W + t * HK_W;
    for (int w = 0; w < HK_W; w++) {
      const double df = xt - c[w];
      acc[w] = fma(df, df, acc[w]);
    }
  }
  for (int w = 0; w < HK_W; w++) out[w] = acc[w];
}

#endif

void HK(strata_h_sqdist_row)(int64_t d, const double *restrict x, const double *restrict packed,
                             int64_t p0, int64_t p1, double *restrict out) {
  const int64_t stride = HK_STRIDE(d);
  int64_t p = p0;
  for (; p + 4 <= p1; p += 4) HK(panels4)(d, x, packed + p * stride, stride, out + (p - p0) * HK_W);
  for (; p < p1; p++) HK(panel1)(d, x, packed + p * stride, out + (p - p0) * HK_W);
}

double HK(strata_h_prim_update)(int64_t d, const double *restrict x, const double *restrict packed,
                                int64_t p0, int64_t p1, double *restrict key, int64_t *arg) {
  const int64_t stride = HK_STRIDE(d);
  double buf[4 * HK_W];
  int64_t p = p0;
  for (; p + 4 <= p1; p += 4) {
    HK(panels4)(d, x, packed + p * stride, stride, buf);
    double *k = key + p * HK_W;
    for (int w = 0; w < 4 * HK_W; w++) k[w] = buf[w] < k[w] ? buf[w] : k[w];
  }
  for (; p < p1; p++) {
    HK(panel1)(d, x, packed + p * stride, buf);
    double *k = key + p * HK_W;
    for (int w = 0; w < HK_W; w++) k[w] = buf[w] < k[w] ? buf[w] : k[w];
  }
  const double best = HK(strata_h_argmin)((p1 - p0) * HK_W, key + p0 * HK_W, NULL, arg);
  *arg += p0 * HK_W;
  return best;
}

/* out[j] = sqrt(v[j]) for j in [0, n): correctly rounded in every variant. */
void HK(strata_h_sqrt_row)(int64_t n, double *restrict v) {
  int64_t j = 0;
#ifdef HK_VEC
  for (; j + HK_VW <= n; j += HK_VW) HK_STORE(v + j, HK_SQRT(HK_LOAD(v + j)));
#endif
  for (; j < n; j++) v[j] = sqrt(v[j]);
}

double HK(strata_h_argmin)(int64_t n, const double *restrict v, const double *restrict pen,
                           int64_t *arg) {
  const int64_t bulk = n / HK_W * HK_W;
  double best = HUGE_VAL;
#ifdef HK_VEC
  if (bulk > 0) best = HK(vmin)(bulk, v, pen);
#else
  double m[HK_W];
  for (int w = 0; w < HK_W; w++) m[w] = HUGE_VAL;
  for (int64_t j = 0; j < bulk; j += HK_W)
    for (int w = 0; w < HK_W; w++) {
      double x = pen ? v[j + w] + pen[j + w] : v[j + w];
      m[w] = x < m[w] ? x : m[w];
    }
  for (int w = 0; w < HK_W; w++) best = m[w] < best ? m[w] : best;
#endif
  for (int64_t j = bulk; j < n; j++) {
    double x = pen ? v[j] + pen[j] : v[j];
    best = x < best ? x : best;
  }
  *arg = 0;
  if (best == HUGE_VAL) return best;
  for (int64_t j = 0; j < n; j++) {
    double x = pen ? v[j] + pen[j] : v[j];
    if (x == best) {
      *arg = j;
      break;
    }
  }
  return best;
}

double HK(strata_h_ward_argmin)(int64_t n, double *restrict v, const double *restrict size,
                                double m, int64_t *arg) {
  for (int64_t j = 0; j < n; j++) v[j] = v[j] * ((m * size[j]) / (m + size[j]));
  return HK(strata_h_argmin)(n, v, NULL, arg);
}

/* sqdist_row, the Ward factor and the minimum in one pass: each group of panels is transformed
 * and folded into the running minimum while it is still in L1, instead of three more passes
 * over the whole row from L2. Same expressions as sqdist_row then ward_argmin: same values. */
double HK(strata_h_ward_scan)(int64_t d, const double *restrict x, const double *restrict packed,
                              int64_t p0, int64_t p1, const double *restrict size, double m,
                              int64_t self, double *restrict row, int64_t *arg) {
  const int64_t stride = HK_STRIDE(d);
  const int64_t j0 = p0 * HK_W, j1 = p1 * HK_W;
#ifdef HK_VEC
  const HK_VEC mv = HK_SET1(m);
  HK_VEC mn[HK_VPP];
#pragma GCC unroll 4
  for (int v = 0; v < HK_VPP; v++) mn[v] = HK_SET1(HUGE_VAL);
#else
  double mn[HK_W];
  for (int w = 0; w < HK_W; w++) mn[w] = HUGE_VAL;
#endif
  int64_t p = p0;
  while (p < p1) {
    const int64_t q = p + 4 <= p1 ? 4 : 1;
    double *o = row + p * HK_W;
    if (q == 4)
      HK(panels4)(d, x, packed + p * stride, stride, o);
    else
      HK(panel1)(d, x, packed + p * stride, o);
    if (self >= p * HK_W && self < (p + q) * HK_W) o[self - p * HK_W] = HUGE_VAL;
    const double *sz = size + p * HK_W;
    for (int64_t k = 0; k < q * HK_W; k += HK_W) {
#ifdef HK_VEC
#pragma GCC unroll 4
      for (int v = 0; v < HK_VPP; v++) {
        const HK_VEC sv = HK_LOAD(sz + k + v * HK_VW);
        const HK_VEC r = HK_MUL(HK_LOAD(o + k + v * HK_VW), HK_DIV(HK_MUL(mv, sv), HK_ADD(mv, sv)));
        HK_STORE(o + k + v * HK_VW, r);
        mn[v] = HK_MIN(r, mn[v]);
      }
#else
      for (int w = 0; w < HK_W; w++) {
        const double r = o[k + w] * ((m * sz[k + w]) / (m + sz[k + w]));
        o[k + w] = r;
        mn[w] = r < mn[w] ? r : mn[w];
      }
#endif
    }
    p += q;
  }
  double lanes[HK_W];
#ifdef HK_VEC
#pragma GCC unroll 4
  for (int v = 0; v < HK_VPP; v++) HK_STORE(lanes + v * HK_VW, mn[v]);
#else
  for (int w = 0; w < HK_W; w++) lanes[w] = mn[w];
#endif
  double best = lanes[0];
  for (int w = 1; w < HK_W; w++) best = lanes[w] < best ? lanes[w] : best;
  *arg = j0;
  if (best == HUGE_VAL) return best;
  for (int64_t j = j0; j < j1; j++)
    if (row[j] == best) {
      *arg = j;
      break;
    }
  return best;
}

void HK(strata_h_merge_row)(strata_h_update u, int64_t n, const double *restrict ra,
                            double *restrict rb, const double *restrict size, double s, double t,
                            double c) {
  switch (u) {
    case STRATA_H_COMPLETE:
      for (int64_t j = 0; j < n; j++) rb[j] = rb[j] < ra[j] ? ra[j] : rb[j];
      break;
    case STRATA_H_AVERAGE:
      for (int64_t j = 0; j < n; j++) rb[j] = s * ra[j] + t * rb[j];
      break;
    case STRATA_H_WEIGHTED:
      for (int64_t j = 0; j < n; j++) rb[j] = (ra[j] + rb[j]) * .5;
      break;
    case STRATA_H_WARD:
      for (int64_t j = 0; j < n; j++) {
        const double v = size[j];
        rb[j] = ((v + s) * ra[j] - v * c + (v + t) * rb[j]) / (s + t + v);
      }
      break;
  }
}
