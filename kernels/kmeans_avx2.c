/*
 * kmeans_avx2.c — AVX2 + FMA k-means kernels (compiled with -mavx2 -mfma).
 *
 * Same scheme as kmeans_avx512.c (see there and kernels.h): one centre per lane, a sequential
 * fma chain over the dimensions per lane (bit-identical to the reference), a register tile of
 * rows x one packed panel, the best value and index kept per lane and reduced once per row.
 * A panel of W = 16 floats or 8 doubles is two YMM registers here. With 16 YMM registers the
 * tile is 6 rows for the dot form (12 accumulators + 2 centre vectors + 1 broadcast) and
 * 4 rows for the direct form, which needs a register for the difference as well.
 *
 * The file instantiates itself for float and double (the VLFeat idiom).
 */
#ifndef STRATA_KAVX2_PASS

#ifndef __AVX2__
#error "kmeans_avx2.c must be compiled with -mavx2 -mfma"
#endif
#ifndef __FMA__
#error "kmeans_avx2.c must be compiled with -mavx2 -mfma"
#endif

#include <immintrin.h>
#include <limits.h>
#include <math.h>

#include "kernels.h"

#define KB_ALWAYS_INLINE static inline __attribute__((always_inline))
#define KB_FORM_DIRECT 0
#define KB_FORM_DOT 1
#define KB_MODE_BEST1 0
#define KB_MODE_BEST2 1
#define KB_MODE_STORE 2
#define KB_RMAX 6

/* ---- horizontal reductions; min and max are exact, so their order does not matter. */
KB_ALWAYS_INLINE float kb_hmin_f32(__m256 v) {
  __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_min_ps(m, _mm_movehl_ps(m, m));
  m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}
KB_ALWAYS_INLINE float kb_hmax_f32(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}
KB_ALWAYS_INLINE int32_t kb_hmin_i32(__m256i v) {
  __m128i m = _mm_min_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_min_epi32(m, _mm_shuffle_epi32(m, 0x4e));
  m = _mm_min_epi32(m, _mm_shuffle_epi32(m, 0xb1));
  return _mm_cvtsi128_si32(m);
}
KB_ALWAYS_INLINE double kb_hmin_f64(__m256d v) {
  __m128d m = _mm_min_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  m = _mm_min_sd(m, _mm_unpackhi_pd(m, m));
  return _mm_cvtsd_f64(m);
}
KB_ALWAYS_INLINE double kb_hmax_f64(__m256d v) {
  __m128d m = _mm_max_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  m = _mm_max_sd(m, _mm_unpackhi_pd(m, m));
  return _mm_cvtsd_f64(m);
}

/* ---- float: 8 lanes per YMM, index lanes are int32. */
#define STRATA_KAVX2_PASS 1
#define T float
#define VL 8
#define TINF HUGE_VALF
#define FMA fmaf
#define VEC __m256
#define VLOAD _mm256_loadu_ps
#define VSTORE _mm256_storeu_ps
#define VSET1 _mm256_set1_ps
#define VZERO _mm256_setzero_ps
#define VSUB _mm256_sub_ps
#define VFMA _mm256_fmadd_ps
#define VMIN _mm256_min_ps
#define VMAX _mm256_max_ps
#define VCMP _mm256_cmp_ps
#define VBLEND _mm256_blendv_ps
#define VOR _mm256_or_ps
#define VAND _mm256_and_ps
#define VHMIN kb_hmin_f32
#define VHMAX kb_hmax_f32
#define VMASKSTORE(p, m, v) _mm256_maskstore_ps((p), _mm256_castps_si256(m), (v))
#define VMASKLOAD(p, m) _mm256_maskload_ps((p), _mm256_castps_si256(m))
#define IVEC __m256i
#define IIOTA _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
#define IADDJ(v, j) _mm256_add_epi32((v), _mm256_set1_epi32((int)(j)))
#define IZERO _mm256_setzero_si256()
#define IBLEND(a, b, m)                                                                           \
  _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), (m)))
#define IMIN _mm256_min_epi32
#define INONE _mm256_set1_epi32(INT_MAX)
#define IHMIN(v) kb_hmin_i32(v)
#define INONE_S INT_MAX
#define ICMPEQ_J(v, j) _mm256_castsi256_ps(_mm256_cmpeq_epi32((v), _mm256_set1_epi32((int)(j))))
/* A lane mask "lane < r" as a VEC. */
#define LANES_LT(r) _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)(r)), IIOTA))
#define L(name) name##_f32
#define SFX(name) name##_f32_avx2
#define KB_RT_DIRECT 4
#define KB_RT_DOT 6
#include __FILE__
#undef STRATA_KAVX2_PASS
#undef T
#undef VL
#undef TINF
#undef FMA
#undef VEC
#undef VLOAD
#undef VSTORE
#undef VSET1
#undef VZERO
#undef VSUB
#undef VFMA
#undef VMIN
#undef VMAX
#undef VCMP
#undef VBLEND
#undef VOR
#undef VAND
#undef VHMIN
#undef VHMAX
#undef VMASKSTORE
#undef VMASKLOAD
#undef IVEC
#undef IIOTA
#undef IADDJ
#undef IZERO
#undef IBLEND
#undef IMIN
#undef INONE
#undef IHMIN
#undef INONE_S
#undef ICMPEQ_J
#undef LANES_LT
#undef L
#undef SFX
#undef KB_RT_DIRECT
#undef KB_RT_DOT

/* ---- double: 4 lanes per YMM, index lanes are doubles (exact below 2^53). */
#define STRATA_KAVX2_PASS 2
#define T double
#define VL 4
#define TINF HUGE_VAL
#define FMA fma
#define VEC __m256d
#define VLOAD _mm256_loadu_pd
#define VSTORE _mm256_storeu_pd
#define VSET1 _mm256_set1_pd
#define VZERO _mm256_setzero_pd
#define VSUB _mm256_sub_pd
#define VFMA _mm256_fmadd_pd
#define VMIN _mm256_min_pd
#define VMAX _mm256_max_pd
#define VCMP _mm256_cmp_pd
#define VBLEND _mm256_blendv_pd
#define VOR _mm256_or_pd
#define VAND _mm256_and_pd
#define VHMIN kb_hmin_f64
#define VHMAX kb_hmax_f64
#define VMASKSTORE(p, m, v) _mm256_maskstore_pd((p), _mm256_castpd_si256(m), (v))
#define VMASKLOAD(p, m) _mm256_maskload_pd((p), _mm256_castpd_si256(m))
#define IVEC __m256d
#define IIOTA _mm256_setr_pd(0, 1, 2, 3)
#define IADDJ(v, j) _mm256_add_pd((v), _mm256_set1_pd((double)(j)))
#define IZERO _mm256_setzero_pd()
#define IBLEND(a, b, m) _mm256_blendv_pd((a), (b), (m))
#define IMIN _mm256_min_pd
#define INONE _mm256_set1_pd(HUGE_VAL)
#define IHMIN(v) kb_hmin_f64(v)
#define INONE_S HUGE_VAL
#define ICMPEQ_J(v, j) _mm256_cmp_pd((v), _mm256_set1_pd((double)(j)), _CMP_EQ_OQ)
#define LANES_LT(r) _mm256_cmp_pd(IIOTA, _mm256_set1_pd((double)(r)), _CMP_LT_OQ)
#define L(name) name##_f64
#define SFX(name) name##_f64_avx2
#define KB_RT_DIRECT 4
#define KB_RT_DOT 6
#include __FILE__

#else /* ---------------------------------------------------------------- template */

#define W (2 * VL) /* one packed panel = two registers */

/* One register tile: rows xr[0..R) against the panel at pp (centres j0 .. j0 + W). */
KB_ALWAYS_INLINE void L(tile)(const int R, const int form, const int mode, const int64_t d,
                              const T *const *xr, const T *pp, const int64_t j0, VEC (*b1)[2],
                              VEC (*b2)[2], IVEC (*bi)[2], T *const *orow, const int nr,
                              const int64_t m) {
  VEC acc[KB_RMAX][2];
  {
    const T *bias = pp + (form == KB_FORM_DIRECT ? 0 : W);
    const VEC lo = VLOAD(bias), hi = VLOAD(bias + VL);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      acc[r][0] = lo;
      acc[r][1] = hi;
    }
  }
  const T *cp = pp + 2 * W;
  for (int64_t t = 0; t < d; t++) {
    const VEC c0 = VLOAD(cp + t * W), c1 = VLOAD(cp + t * W + VL);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const VEC bx = VSET1(xr[r][t]);
      if (form == KB_FORM_DIRECT) {
        const VEC e0 = VSUB(bx, c0);
        acc[r][0] = VFMA(e0, e0, acc[r][0]);
        const VEC e1 = VSUB(bx, c1);
        acc[r][1] = VFMA(e1, e1, acc[r][1]);
      } else {
        acc[r][0] = VFMA(bx, c0, acc[r][0]);
        acc[r][1] = VFMA(bx, c1, acc[r][1]);
      }
    }
  }
  if (mode == KB_MODE_STORE) {
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      if (r >= nr) break;
#pragma GCC unroll 2
      for (int h = 0; h < 2; h++) {
        const int64_t j = j0 + (int64_t)h * VL;
        if (j + VL <= m)
          VSTORE(orow[r] + j, acc[r][h]);
        else if (j < m)
          VMASKSTORE(orow[r] + j, LANES_LT(m - j), acc[r][h]);
      }
    }
    return;
  }
#pragma GCC unroll 2
  for (int h = 0; h < 2; h++) {
    const IVEC vid = IADDJ(IIOTA, j0 + (int64_t)h * VL);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const VEC a = acc[r][h];
      const VEC better = form == KB_FORM_DIRECT ? VCMP(a, b1[r][h], _CMP_LT_OQ)
                                                : VCMP(a, b1[r][h], _CMP_GT_OQ);
      if (mode == KB_MODE_BEST2)
        b2[r][h] = form == KB_FORM_DIRECT ? VMIN(b2[r][h], VMAX(a, b1[r][h]))
                                          : VMAX(b2[r][h], VMIN(a, b1[r][h]));
      b1[r][h] = VBLEND(b1[r][h], a, better);
      bi[r][h] = IBLEND(bi[r][h], vid, better);
    }
  }
}

/* Best of one row's 2 x VL lanes: the extreme value, then the lowest index among the lanes
 * that hold it; the second value is the extreme over every lane's second and every other
 * lane's best. */
KB_ALWAYS_INLINE void L(finish)(const int form, const int mode, const VEC *b1, const VEC *b2,
                                const IVEC *bi, T *best, int32_t *label, T *second) {
  const T v = form == KB_FORM_DIRECT ? VHMIN(VMIN(b1[0], b1[1])) : VHMAX(VMAX(b1[0], b1[1]));
  const VEC vv = VSET1(v);
  const VEC eq0 = VCMP(b1[0], vv, _CMP_EQ_OQ), eq1 = VCMP(b1[1], vv, _CMP_EQ_OQ);
  const IVEC c0 = IBLEND(INONE, bi[0], eq0), c1 = IBLEND(INONE, bi[1], eq1);
  const double idv = (double)IHMIN(IMIN(c0, c1));
  const int32_t id = idv == (double)INONE_S ? 0 : (int32_t)idv;
  *best = v;
  *label = id;
  if (mode == KB_MODE_BEST2) {
    const VEC l0 = VAND(eq0, ICMPEQ_J(bi[0], id)), l1 = VAND(eq1, ICMPEQ_J(bi[1], id));
    if (form == KB_FORM_DIRECT) {
      const VEC inf = VSET1(TINF);
      const VEC m0 = VMIN(b2[0], VBLEND(b1[0], inf, l0));
      const VEC m1 = VMIN(b2[1], VBLEND(b1[1], inf, l1));
      *second = VHMIN(VMIN(m0, m1));
    } else {
      const VEC ninf = VSET1(-TINF);
      const VEC m0 = VMAX(b2[0], VBLEND(b1[0], ninf, l0));
      const VEC m1 = VMAX(b2[1], VBLEND(b1[1], ninf, l1));
      *second = VHMAX(VMAX(m0, m1));
    }
  }
}

KB_ALWAYS_INLINE T L(dot_dist)(T xn, T a) {
  T r = xn - (T)2 * a; /* 2 a is exact: one rounding, as the reference */
  return r < 0 ? (T)0 : r;
}

KB_ALWAYS_INLINE void L(drive)(const int form, const int mode, const int64_t n, const int64_t d,
                               const int64_t k, const T *restrict x, const int64_t ldx,
                               const T *restrict xnorm, const T *restrict packed,
                               int32_t *restrict label, T *restrict dist, T *restrict dist2,
                               T *restrict out, const int64_t ldo) {
  const int R = form == KB_FORM_DIRECT ? KB_RT_DIRECT : KB_RT_DOT;
  const int64_t np = (k + W - 1) / W, pstride = (d + 2) * W;
  const T init = form == KB_FORM_DIRECT ? TINF : -TINF;
  for (int64_t i0 = 0; i0 < n; i0 += R) {
    const int nr = n - i0 < R ? (int)(n - i0) : R;
    const T *xr[KB_RMAX];
    T *orow[KB_RMAX];
    VEC b1[KB_RMAX][2], b2[KB_RMAX][2];
    IVEC bi[KB_RMAX][2];
    for (int r = 0; r < R; r++) {
      const int64_t i = i0 + (r < nr ? r : nr - 1);
      xr[r] = x + i * ldx;
      orow[r] = mode == KB_MODE_STORE ? out + i * ldo : NULL;
      b1[r][0] = b1[r][1] = b2[r][0] = b2[r][1] = VSET1(init);
      bi[r][0] = bi[r][1] = IZERO;
    }
    for (int64_t p = 0; p < np; p++)
      L(tile)(R, form, mode, d, xr, packed + p * pstride, p * W, b1, b2, bi, orow, nr, k);
    if (mode == KB_MODE_STORE) continue;
    for (int r = 0; r < nr; r++) {
      T best, second = 0;
      L(finish)(form, mode, b1[r], b2[r], bi[r], &best, &label[i0 + r], &second);
      if (form == KB_FORM_DIRECT) {
        if (dist != NULL) dist[i0 + r] = best; /* NULL: labels only */
        if (mode == KB_MODE_BEST2) dist2[i0 + r] = second;
      } else {
        dist[i0 + r] = L(dot_dist)(xnorm[i0 + r], best);
        if (mode == KB_MODE_BEST2) dist2[i0 + r] = L(dot_dist)(xnorm[i0 + r], second);
      }
    }
  }
}

void SFX(strata_k_sqdist_argmin)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                                 int64_t ldx, const T *restrict packed, int32_t *restrict label,
                                 T *restrict dist) {
  L(drive)(KB_FORM_DIRECT, KB_MODE_BEST1, n, d, k, x, ldx, NULL, packed, label, dist, NULL,
           NULL, 0);
}

void SFX(strata_k_sqdist_argmin2)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                                  int64_t ldx, const T *restrict packed,
                                  int32_t *restrict label, T *restrict dist,
                                  T *restrict dist2) {
  L(drive)(KB_FORM_DIRECT, KB_MODE_BEST2, n, d, k, x, ldx, NULL, packed, label, dist, dist2,
           NULL, 0);
}

void SFX(strata_k_dot_argmin)(int64_t n, int64_t d, int64_t k, const T *restrict x, int64_t ldx,
                              const T *restrict xnorm, const T *restrict packed,
                              int32_t *restrict label, T *restrict dist) {
  L(drive)(KB_FORM_DOT, KB_MODE_BEST1, n, d, k, x, ldx, xnorm, packed, label, dist, NULL, NULL,
           0);
}

void SFX(strata_k_dot_argmin2)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                               int64_t ldx, const T *restrict xnorm, const T *restrict packed,
                               int32_t *restrict label, T *restrict dist, T *restrict dist2) {
  L(drive)(KB_FORM_DOT, KB_MODE_BEST2, n, d, k, x, ldx, xnorm, packed, label, dist, dist2, NULL,
           0);
}

void SFX(strata_k_sqdist)(int64_t n, int64_t d, int64_t m, const T *restrict x, int64_t ldx,
                          const T *restrict packed, T *restrict out, int64_t ldo) {
  L(drive)(KB_FORM_DIRECT, KB_MODE_STORE, n, d, m, x, ldx, NULL, packed, NULL, NULL, NULL, out,
           ldo);
}

/* Row-wise O(n d) kernels: one row's chain is sequential in t (to match the reference), so
 * the parallelism comes from several rows' chains side by side; they are bound by memory
 * bandwidth rather than arithmetic. */
/* One centre per row: the direct chain of four rows side by side (each chain is sequential
 * in t, as the reference's), the centre's coordinates read from its packed lane. */
void SFX(strata_k_sqdist_label)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                                int64_t ldx, const T *restrict packed,
                                const int32_t *restrict label, T *restrict dist) {
  (void)k;
  const int64_t pstride = (d + 2) * W;
#define KB_LANE(i) (packed + (label[i] / W) * pstride + 2 * W + label[i] % W)
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const T *x0 = x + i * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx;
    const T *c0 = KB_LANE(i), *c1 = KB_LANE(i + 1), *c2 = KB_LANE(i + 2), *c3 = KB_LANE(i + 3);
    T a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int64_t t = 0; t < d; t++) {
      const T e0 = x0[t] - c0[t * W], e1 = x1[t] - c1[t * W];
      const T e2 = x2[t] - c2[t * W], e3 = x3[t] - c3[t * W];
      a0 = FMA(e0, e0, a0);
      a1 = FMA(e1, e1, a1);
      a2 = FMA(e2, e2, a2);
      a3 = FMA(e3, e3, a3);
    }
    dist[i] = a0;
    dist[i + 1] = a1;
    dist[i + 2] = a2;
    dist[i + 3] = a3;
  }
  for (; i < n; i++) {
    const T *xi = x + i * ldx, *c = KB_LANE(i);
    T a = 0;
    for (int64_t t = 0; t < d; t++) {
      const T e = xi[t] - c[t * W];
      a = FMA(e, e, a);
    }
    dist[i] = a;
  }
#undef KB_LANE
}

void SFX(strata_k_sqdist_min)(int64_t n, int64_t d, const T *restrict x, int64_t ldx,
                              const T *restrict c, T *restrict dmin) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const T *x0 = x + i * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx;
    T a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int64_t t = 0; t < d; t++) {
      const T ct = c[t];
      const T e0 = x0[t] - ct, e1 = x1[t] - ct, e2 = x2[t] - ct, e3 = x3[t] - ct;
      a0 = FMA(e0, e0, a0);
      a1 = FMA(e1, e1, a1);
      a2 = FMA(e2, e2, a2);
      a3 = FMA(e3, e3, a3);
    }
    if (a0 < dmin[i]) dmin[i] = a0;
    if (a1 < dmin[i + 1]) dmin[i + 1] = a1;
    if (a2 < dmin[i + 2]) dmin[i + 2] = a2;
    if (a3 < dmin[i + 3]) dmin[i + 3] = a3;
  }
  for (; i < n; i++) {
    const T *xi = x + i * ldx;
    T a = 0;
    for (int64_t t = 0; t < d; t++) {
      const T e = xi[t] - c[t];
      a = FMA(e, e, a);
    }
    if (a < dmin[i]) dmin[i] = a;
  }
}

void SFX(strata_k_sqnorm)(int64_t n, int64_t d, const T *restrict x, int64_t ldx,
                          T *restrict out) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const T *x0 = x + i * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx;
    T a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int64_t t = 0; t < d; t++) {
      a0 = FMA(x0[t], x0[t], a0);
      a1 = FMA(x1[t], x1[t], a1);
      a2 = FMA(x2[t], x2[t], a2);
      a3 = FMA(x3[t], x3[t], a3);
    }
    out[i] = a0;
    out[i + 1] = a1;
    out[i + 2] = a2;
    out[i + 3] = a3;
  }
  for (; i < n; i++) {
    const T *xi = x + i * ldx;
    T a = 0;
    for (int64_t t = 0; t < d; t++) a = FMA(xi[t], xi[t], a);
    out[i] = a;
  }
}

/* Four doubles of row xi from column t, widened from float when T is float. */
#if STRATA_KAVX2_PASS == 1
#define KB_LOAD4(xi, t) _mm256_cvtps_pd(_mm_loadu_ps((xi) + (t)))
#else
#define KB_LOAD4(xi, t) _mm256_loadu_pd((xi) + (t))
#endif

/* Lloyd update: each element gets the reference's two roundings (product, then sum) in row
 * order, so vectorising along d changes nothing but speed. */
void SFX(strata_k_accumulate)(int64_t n, int64_t d, const T *restrict x, int64_t ldx,
                              const int32_t *restrict label, const double *restrict weight,
                              double *restrict sums, int64_t lds, double *restrict wsum) {
  const int64_t d4 = d & ~(int64_t)3;
  for (int64_t i = 0; i < n; i++) {
    const T *xi = x + i * ldx;
    const int32_t l = label[i];
    double *s = sums + (int64_t)l * lds;
    if (weight != NULL) {
      const double w = weight[i];
      const __m256d vw = _mm256_set1_pd(w);
      for (int64_t t = 0; t < d4; t += 4)
        _mm256_storeu_pd(s + t, _mm256_add_pd(_mm256_loadu_pd(s + t),
                                              _mm256_mul_pd(vw, KB_LOAD4(xi, t))));
      for (int64_t t = d4; t < d; t++) {
        const double prod = w * (double)xi[t];
        s[t] = s[t] + prod;
      }
      wsum[l] += w;
    } else {
      for (int64_t t = 0; t < d4; t += 4)
        _mm256_storeu_pd(s + t, _mm256_add_pd(_mm256_loadu_pd(s + t), KB_LOAD4(xi, t)));
      for (int64_t t = d4; t < d; t++) s[t] = s[t] + (double)xi[t];
      wsum[l] += 1.0;
    }
  }
}
#undef KB_LOAD4

/* GEMM epilogue: a = g - cnorm / 2 along the row, best (and second) per lane over chunks of
 * 2 x VL, then the tiles' reduction; the last partial chunk is finished in scalar code, whose
 * indices are all higher, so a strict compare keeps the lowest-index rule. */
KB_ALWAYS_INLINE void L(gemm_argmin)(const int mode, int64_t n, int64_t k, const T *restrict g,
                                     int64_t ldg, const T *restrict cnorm,
                                     const T *restrict xnorm, int32_t *restrict label,
                                     T *restrict dist, T *restrict dist2) {
  const VEC mhalf = VSET1((T)-0.5), ninf = VSET1(-TINF);
  const int64_t kw = k - k % W;
  for (int64_t i = 0; i < n; i++) {
    const T *gi = g + i * ldg;
    VEC b1[2] = {ninf, ninf}, b2[2] = {ninf, ninf};
    IVEC bi[2] = {IZERO, IZERO};
    for (int64_t j = 0; j < kw; j += W) {
#pragma GCC unroll 2
      for (int h = 0; h < 2; h++) {
        const VEC a = VFMA(mhalf, VLOAD(cnorm + j + h * VL), VLOAD(gi + j + h * VL));
        const VEC better = VCMP(a, b1[h], _CMP_GT_OQ);
        if (mode == KB_MODE_BEST2) b2[h] = VMAX(b2[h], VMIN(a, b1[h]));
        b1[h] = VBLEND(b1[h], a, better);
        bi[h] = IBLEND(bi[h], IADDJ(IIOTA, j + h * VL), better);
      }
    }
    T a1, a2 = -TINF;
    int32_t id;
    L(finish)(KB_FORM_DOT, mode, b1, b2, bi, &a1, &id, &a2);
    for (int64_t j = kw; j < k; j++) {
      const T a = FMA((T)-0.5, cnorm[j], gi[j]);
      if (a > a1) {
        a2 = a1;
        a1 = a;
        id = (int32_t)j;
      } else if (a > a2) {
        a2 = a;
      }
    }
    label[i] = id;
    dist[i] = L(dot_dist)(xnorm[i], a1);
    if (mode == KB_MODE_BEST2) dist2[i] = L(dot_dist)(xnorm[i], a2);
  }
}

void SFX(strata_k_gemm_argmin)(int64_t n, int64_t k, const T *restrict g, int64_t ldg,
                               const T *restrict cnorm, const T *restrict xnorm,
                               int32_t *restrict label, T *restrict dist, T *restrict dist2) {
  if (dist2 != NULL)
    L(gemm_argmin)(KB_MODE_BEST2, n, k, g, ldg, cnorm, xnorm, label, dist, dist2);
  else
    L(gemm_argmin)(KB_MODE_BEST1, n, k, g, ldg, cnorm, xnorm, label, dist, NULL);
}

#undef W
#endif
