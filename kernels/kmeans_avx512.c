/*
 * kmeans_avx512.c — AVX-512 k-means kernels (F, BW, DQ, VL; compiled with -mavx512*).
 *
 * Distance + argmin: a register tile of R rows x V panels (one ZMM of W = 16 floats or
 * 8 doubles per panel, one centre per lane). For each dimension t the V panel vectors are
 * loaded once and each row's x[t] is broadcast once, feeding R x V independent FMAs. R = 4,
 * V = 4 gives 16 accumulators, 8 loads per 16 FMAs and 64 float (32 double) centres per sweep
 * of the row tile; on Zen 4 it beat 6 x 4, 5 x 4, 8 x 3 and 12 x 2, since fewer live
 * accumulators leave the per-lane best values and indices in registers. Every lane runs the
 * same sequential fma chain over t as the scalar reference, so results are bit-identical
 * (see kernels.h). Measured (Zen 4, one thread, float, dot / direct form): 87 / 76 GFLOP/s at
 * d = 16, k = 64 and 106 / 87 GFLOP/s at d = 32, k = 256, against a 116 GFLOP/s FMA peak.
 *
 * The running best value and index are kept per lane across panel groups (strict compare in
 * increasing centre order: the lowest index wins a tie within a lane); one horizontal
 * reduction per row picks the best value and, among equal lanes, the lowest index (for float,
 * a single reduction over 64-bit keys; see kb_finish1_f32). Rows past n in the last tile
 * repeat the last row and are not written, so tails need no second code path; the lanes past
 * k are the padding lanes of the packed format (bias +inf / -inf), so they never win.
 *
 * The file instantiates itself for float and double (the VLFeat idiom).
 */
#ifndef STRATA_KAVX512_PASS

#ifndef __AVX512F__
#error "kmeans_avx512.c must be compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma"
#endif

#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels.h"

#define KA_ALWAYS_INLINE static inline __attribute__((always_inline))
#define KA_FORM_DIRECT 0
#define KA_FORM_DOT 1
#define KA_MODE_BEST1 0
#define KA_MODE_BEST2 1
#define KA_MODE_STORE 2

/* ---- float */
#define STRATA_KAVX512_PASS 1
#define T float
#define W 16
#define RT 4 /* rows per register tile */
#define VT 4 /* panels per register tile (the tail switch in drive assumes 4) */
#define TINF HUGE_VALF
#define FMA fmaf
#define VEC __m512
#define MASK __mmask16
#define VLOAD _mm512_loadu_ps
#define VSTORE _mm512_storeu_ps
#define VSET1 _mm512_set1_ps
#define VZERO _mm512_setzero_ps
#define VADD _mm512_add_ps
#define VSUB _mm512_sub_ps
#define VFMA _mm512_fmadd_ps
#define VMIN _mm512_min_ps
#define VMAX _mm512_max_ps
#define VCMP _mm512_cmp_ps_mask
#define VMASKMOV _mm512_mask_mov_ps
#define VMASKLOAD _mm512_mask_loadu_ps
#define VMASKSTORE _mm512_mask_storeu_ps
#define VREDMIN _mm512_reduce_min_ps
#define VREDMAX _mm512_reduce_max_ps
#define IVEC __m512i
#define IIOTA _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#define IADDJ(v, j) _mm512_add_epi32((v), _mm512_set1_epi32((int)(j)))
#define IZERO _mm512_setzero_si512()
#define IMASKMOV _mm512_mask_mov_epi32
#define IREDMIN_MASK(m, v) ((int32_t)_mm512_mask_reduce_min_epi32((m), (v)))
#define ICMPEQ_J(v, j) _mm512_cmpeq_epi32_mask((v), _mm512_set1_epi32((int)(j)))
#define TAILMASK(r) ((MASK)((1u << (r)) - 1u))
#define L(name) name##_f32
#define SFX(name) name##_f32_avx512
#include __FILE__
#undef STRATA_KAVX512_PASS
#undef T
#undef W
#undef RT
#undef VT
#undef TINF
#undef FMA
#undef VEC
#undef MASK
#undef VLOAD
#undef VSTORE
#undef VSET1
#undef VZERO
#undef VADD
#undef VSUB
#undef VFMA
#undef VMIN
#undef VMAX
#undef VCMP
#undef VMASKMOV
#undef VMASKLOAD
#undef VMASKSTORE
#undef VREDMIN
#undef VREDMAX
#undef IVEC
#undef IIOTA
#undef IADDJ
#undef IZERO
#undef IMASKMOV
#undef IREDMIN_MASK
#undef ICMPEQ_J
#undef TAILMASK
#undef L
#undef SFX

/* ---- double: the index of a lane is kept as a double (exact below 2^53). */
#define STRATA_KAVX512_PASS 2
#define T double
#define W 8
#define RT 4
#define VT 4
#define TINF HUGE_VAL
#define FMA fma
#define VEC __m512d
#define MASK __mmask8
#define VLOAD _mm512_loadu_pd
#define VSTORE _mm512_storeu_pd
#define VSET1 _mm512_set1_pd
#define VZERO _mm512_setzero_pd
#define VADD _mm512_add_pd
#define VSUB _mm512_sub_pd
#define VFMA _mm512_fmadd_pd
#define VMIN _mm512_min_pd
#define VMAX _mm512_max_pd
#define VCMP _mm512_cmp_pd_mask
#define VMASKMOV _mm512_mask_mov_pd
#define VMASKLOAD _mm512_mask_loadu_pd
#define VMASKSTORE _mm512_mask_storeu_pd
#define VREDMIN _mm512_reduce_min_pd
#define VREDMAX _mm512_reduce_max_pd
#define IVEC __m512d
#define IIOTA _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7)
#define IADDJ(v, j) _mm512_add_pd((v), _mm512_set1_pd((double)(j)))
#define IZERO _mm512_setzero_pd()
#define IMASKMOV _mm512_mask_mov_pd
#define IREDMIN_MASK(m, v) ((int32_t)_mm512_mask_reduce_min_pd((m), (v)))
#define ICMPEQ_J(v, j) _mm512_cmp_pd_mask((v), _mm512_set1_pd((double)(j)), _CMP_EQ_OQ)
#define TAILMASK(r) ((MASK)((1u << (r)) - 1u))
#define L(name) name##_f64
#define SFX(name) name##_f64_avx512
#include __FILE__

#else /* ---------------------------------------------------------------- template */

/* One register tile: rows xr[0..R) against panels [p, p + V) whose first panel is at pp. */
KA_ALWAYS_INLINE void L(tile)(const int R, const int V, const int form, const int mode,
                              const int64_t d, const T *const *xr, const T *pp,
                              const int64_t pstride, const int64_t j0, VEC *b1, VEC *b2,
                              IVEC *bi, T *const *orow, const int nr, const int64_t m) {
  VEC acc[RT][VT];
  const T *cp[VT];
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) {
    cp[v] = pp + v * pstride;
    const VEC bias = VLOAD(cp[v] + (form == KA_FORM_DIRECT ? 0 : W));
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) acc[r][v] = bias;
    cp[v] += 2 * W;
  }
  for (int64_t t = 0; t < d; t++) {
    VEC c[VT];
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) c[v] = VLOAD(cp[v] + t * W);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const VEC bx = VSET1(xr[r][t]);
#pragma GCC unroll 8
      for (int v = 0; v < V; v++) {
        if (form == KA_FORM_DIRECT) {
          const VEC df = VSUB(bx, c[v]);
          acc[r][v] = VFMA(df, df, acc[r][v]);
        } else {
          acc[r][v] = VFMA(bx, c[v], acc[r][v]);
        }
      }
    }
  }
  if (mode == KA_MODE_STORE) {
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      if (r >= nr) break;
#pragma GCC unroll 8
      for (int v = 0; v < V; v++) {
        const int64_t j = j0 + (int64_t)v * W;
        if (j + W <= m)
          VSTORE(orow[r] + j, acc[r][v]);
        else if (j < m)
          VMASKSTORE(orow[r] + j, TAILMASK(m - j), acc[r][v]);
      }
    }
    return;
  }
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) {
    const IVEC vid = IADDJ(IIOTA, j0 + (int64_t)v * W);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const VEC a = acc[r][v];
      /* Direct form: keep the smallest distance; dot form: the largest score. */
      const MASK better = form == KA_FORM_DIRECT ? VCMP(a, b1[r], _CMP_LT_OQ)
                                                 : VCMP(a, b1[r], _CMP_GT_OQ);
      if (mode == KA_MODE_BEST2)
        b2[r] = form == KA_FORM_DIRECT ? VMIN(b2[r], VMAX(a, b1[r])) : VMAX(b2[r], VMIN(a, b1[r]));
      b1[r] = VMASKMOV(b1[r], better, a);
      bi[r] = IMASKMOV(bi[r], better, vid);
    }
  }
}

/* Best lane of one row: the extreme value, then the lowest index among the lanes that hold
 * it. With BEST2, the second value is the extreme over every lane's second value and every
 * other lane's best. */
#if STRATA_KAVX512_PASS == 1
/* Single best of a float row in one reduction: each lane becomes the 64-bit key
 * (order-preserving bits of the value) << 32 | index, so the unsigned minimum is the best
 * value and, among equal values, the lowest index. The dot form's -0 is first turned into +0
 * (x + 0), since the bit order would otherwise put them apart where the reference sees a tie.
 * Half the instructions and latency of a value reduction followed by an index reduction. */
KA_ALWAYS_INLINE void kb_finish1_f32(const int form, __m512 b1, __m512i bi, float *best,
                                     int32_t *label) {
  __m512i hk;
  if (form == KA_FORM_DIRECT) {
    hk = _mm512_castps_si512(b1); /* distances are >= +0: their bits already sort */
  } else {
    /* Largest score first: non-negative s -> 0x7fffffff - s, negative s -> s (as unsigned). */
    const __m512i s = _mm512_castps_si512(_mm512_add_ps(b1, _mm512_setzero_ps()));
    hk = _mm512_xor_si512(s, _mm512_andnot_si512(_mm512_srai_epi32(s, 31),
                                                 _mm512_set1_epi32(0x7fffffff)));
  }
  const __m512i k0 = _mm512_unpacklo_epi32(bi, hk), k1 = _mm512_unpackhi_epi32(bi, hk);
  const unsigned long long key = _mm512_reduce_min_epu64(_mm512_min_epu64(k0, k1));
  uint32_t h = (uint32_t)(key >> 32);
  if (form == KA_FORM_DOT && (h & 0x80000000u) == 0) h ^= 0x7fffffffu;
  *label = (int32_t)(uint32_t)key;
  memcpy(best, &h, sizeof h);
}
#endif

KA_ALWAYS_INLINE void L(finish)(const int form, const int mode, VEC b1, VEC b2, IVEC bi,
                                T *best, int32_t *label, T *second) {
#if STRATA_KAVX512_PASS == 1
  kb_finish1_f32(form, b1, bi, best, label);
  if (mode == KA_MODE_BEST2) {
    /* Masking every lane whose index equals the winner's also hits lanes that never took a
     * value (index 0, value +-inf), which changes nothing. */
    const MASK lane = ICMPEQ_J(bi, *label);
    if (form == KA_FORM_DIRECT)
      *second = VREDMIN(VMIN(b2, VMASKMOV(b1, lane, VSET1(TINF))));
    else
      *second = VREDMAX(VMAX(b2, VMASKMOV(b1, lane, VSET1(-TINF))));
  }
  return;
#endif
  const T v = form == KA_FORM_DIRECT ? VREDMIN(b1) : VREDMAX(b1);
  const MASK eq = VCMP(b1, VSET1(v), _CMP_EQ_OQ);
  const int32_t id = eq ? IREDMIN_MASK(eq, bi) : 0;
  *best = v;
  *label = id;
  if (mode == KA_MODE_BEST2) {
    const MASK lane = eq & ICMPEQ_J(bi, id);
    if (form == KA_FORM_DIRECT)
      *second = VREDMIN(VMIN(b2, VMASKMOV(b1, lane, VSET1(TINF))));
    else
      *second = VREDMAX(VMAX(b2, VMASKMOV(b1, lane, VSET1(-TINF))));
  }
}

KA_ALWAYS_INLINE T L(dot_dist)(T xn, T a) {
  T r = xn - (T)2 * a; /* 2 a is exact: one rounding, as the reference */
  return r < 0 ? (T)0 : r;
}

KA_ALWAYS_INLINE void L(drive)(const int form, const int mode, const int64_t n, const int64_t d,
                               const int64_t k, const T *restrict x, const int64_t ldx,
                               const T *restrict xnorm, const T *restrict packed,
                               int32_t *restrict label, T *restrict dist, T *restrict dist2,
                               T *restrict out, const int64_t ldo) {
  const int64_t np = (k + W - 1) / W, pstride = (d + 2) * W;
  const T init = form == KA_FORM_DIRECT ? TINF : -TINF;
  for (int64_t i0 = 0; i0 < n; i0 += RT) {
    const int nr = n - i0 < RT ? (int)(n - i0) : RT;
    const T *xr[RT];
    T *orow[RT];
    VEC b1[RT], b2[RT];
    IVEC bi[RT];
    for (int r = 0; r < RT; r++) {
      const int64_t i = i0 + (r < nr ? r : nr - 1);
      xr[r] = x + i * ldx;
      orow[r] = mode == KA_MODE_STORE ? out + i * ldo : NULL;
      b1[r] = VSET1(init);
      b2[r] = VSET1(init);
      bi[r] = IZERO;
    }
    int64_t p = 0;
    for (; p + VT <= np; p += VT)
      L(tile)(RT, VT, form, mode, d, xr, packed + p * pstride, pstride, p * W, b1, b2, bi, orow,
              nr, k);
    switch (np - p) {
      case 3:
        L(tile)(RT, 3, form, mode, d, xr, packed + p * pstride, pstride, p * W, b1, b2, bi, orow,
                nr, k);
        break;
      case 2:
        L(tile)(RT, 2, form, mode, d, xr, packed + p * pstride, pstride, p * W, b1, b2, bi, orow,
                nr, k);
        break;
      case 1:
        L(tile)(RT, 1, form, mode, d, xr, packed + p * pstride, pstride, p * W, b1, b2, bi, orow,
                nr, k);
        break;
      default:
        break;
    }
    if (mode == KA_MODE_STORE) continue;
    for (int r = 0; r < nr; r++) {
      T best, second = 0;
      L(finish)(form, mode, b1[r], b2[r], bi[r], &best, &label[i0 + r], &second);
      if (form == KA_FORM_DIRECT) {
        dist[i0 + r] = best;
        if (mode == KA_MODE_BEST2) dist2[i0 + r] = second;
      } else {
        dist[i0 + r] = L(dot_dist)(xnorm[i0 + r], best);
        if (mode == KA_MODE_BEST2) dist2[i0 + r] = L(dot_dist)(xnorm[i0 + r], second);
      }
    }
  }
}

void SFX(strata_k_sqdist_argmin)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                                 int64_t ldx, const T *restrict packed, int32_t *restrict label,
                                 T *restrict dist) {
  L(drive)(KA_FORM_DIRECT, KA_MODE_BEST1, n, d, k, x, ldx, NULL, packed, label, dist, NULL,
           NULL, 0);
}

void SFX(strata_k_sqdist_argmin2)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                                  int64_t ldx, const T *restrict packed,
                                  int32_t *restrict label, T *restrict dist,
                                  T *restrict dist2) {
  L(drive)(KA_FORM_DIRECT, KA_MODE_BEST2, n, d, k, x, ldx, NULL, packed, label, dist, dist2,
           NULL, 0);
}

void SFX(strata_k_dot_argmin)(int64_t n, int64_t d, int64_t k, const T *restrict x, int64_t ldx,
                              const T *restrict xnorm, const T *restrict packed,
                              int32_t *restrict label, T *restrict dist) {
  L(drive)(KA_FORM_DOT, KA_MODE_BEST1, n, d, k, x, ldx, xnorm, packed, label, dist, NULL, NULL,
           0);
}

void SFX(strata_k_dot_argmin2)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                               int64_t ldx, const T *restrict xnorm, const T *restrict packed,
                               int32_t *restrict label, T *restrict dist, T *restrict dist2) {
  L(drive)(KA_FORM_DOT, KA_MODE_BEST2, n, d, k, x, ldx, xnorm, packed, label, dist, dist2, NULL,
           0);
}

void SFX(strata_k_sqdist)(int64_t n, int64_t d, int64_t m, const T *restrict x, int64_t ldx,
                          const T *restrict packed, T *restrict out, int64_t ldo) {
  L(drive)(KA_FORM_DIRECT, KA_MODE_STORE, n, d, m, x, ldx, NULL, packed, NULL, NULL, NULL, out,
           ldo);
}

/* Row-wise O(n d) kernels: one row's chain is sequential in t (to match the reference), so
 * the parallelism comes from running several rows' chains side by side; they are bound by
 * memory bandwidth rather than arithmetic. */
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

/* Eight doubles of row xi from column t (masked to `mk` lanes), widened from float. */
#if STRATA_KAVX512_PASS == 1
#define KA_LOAD8(xi, t) _mm512_cvtps_pd(_mm256_loadu_ps((xi) + (t)))
#define KA_LOAD8_MASKED(xi, t, mk) _mm512_cvtps_pd(_mm256_maskz_loadu_ps((mk), (xi) + (t)))
#else
#define KA_LOAD8(xi, t) _mm512_loadu_pd((xi) + (t))
#define KA_LOAD8_MASKED(xi, t, mk) _mm512_maskz_loadu_pd((mk), (xi) + (t))
#endif

/* Lloyd update: each element gets the reference's two roundings (product, then sum) in row
 * order, so vectorising along d changes nothing but speed. */
void SFX(strata_k_accumulate)(int64_t n, int64_t d, const T *restrict x, int64_t ldx,
                              const int32_t *restrict label, const double *restrict weight,
                              double *restrict sums, int64_t lds, double *restrict wsum) {
  const int64_t d8 = d & ~(int64_t)7;
  const __mmask8 tail = (__mmask8)((1u << (d - d8)) - 1u);
  for (int64_t i = 0; i < n; i++) {
    const T *xi = x + i * ldx;
    const int32_t l = label[i];
    double *s = sums + (int64_t)l * lds;
    if (weight != NULL) {
      const double w = weight[i];
      const __m512d vw = _mm512_set1_pd(w);
      for (int64_t t = 0; t < d8; t += 8)
        _mm512_storeu_pd(s + t, _mm512_add_pd(_mm512_loadu_pd(s + t),
                                              _mm512_mul_pd(vw, KA_LOAD8(xi, t))));
      if (tail)
        _mm512_mask_storeu_pd(s + d8, tail,
                              _mm512_add_pd(_mm512_maskz_loadu_pd(tail, s + d8),
                                            _mm512_mul_pd(vw, KA_LOAD8_MASKED(xi, d8, tail))));
      wsum[l] += w;
    } else {
      for (int64_t t = 0; t < d8; t += 8)
        _mm512_storeu_pd(s + t, _mm512_add_pd(_mm512_loadu_pd(s + t), KA_LOAD8(xi, t)));
      if (tail)
        _mm512_mask_storeu_pd(s + d8, tail,
                              _mm512_add_pd(_mm512_maskz_loadu_pd(tail, s + d8),
                                            KA_LOAD8_MASKED(xi, d8, tail)));
      wsum[l] += 1.0;
    }
  }
}
#undef KA_LOAD8
#undef KA_LOAD8_MASKED

/* GEMM epilogue: a = g - cnorm / 2 along the row, best (and second) per lane, then the same
 * reduction as the tiles. Masked loads fill the tail with -inf so it can never win. */
KA_ALWAYS_INLINE void L(gemm_argmin)(const int mode, int64_t n, int64_t k, const T *restrict g,
                                     int64_t ldg, const T *restrict cnorm,
                                     const T *restrict xnorm, int32_t *restrict label,
                                     T *restrict dist, T *restrict dist2) {
  const VEC mhalf = VSET1((T)-0.5), ninf = VSET1(-TINF);
  const int64_t kw = k - k % W;
  const MASK tail = TAILMASK(k - kw);
  for (int64_t i = 0; i < n; i++) {
    const T *gi = g + i * ldg;
    VEC b1 = ninf, b2 = ninf;
    IVEC bi = IZERO;
    for (int64_t j = 0; j <= kw; j += W) {
      VEC a;
      if (j < kw)
        a = VFMA(mhalf, VLOAD(cnorm + j), VLOAD(gi + j));
      else if (tail)
        a = VFMA(mhalf, VMASKLOAD(VZERO(), tail, cnorm + j), VMASKLOAD(ninf, tail, gi + j));
      else
        break;
      const MASK better = VCMP(a, b1, _CMP_GT_OQ);
      if (mode == KA_MODE_BEST2) b2 = VMAX(b2, VMIN(a, b1));
      b1 = VMASKMOV(b1, better, a);
      bi = IMASKMOV(bi, better, IADDJ(IIOTA, j));
    }
    T best, second = 0;
    L(finish)(KA_FORM_DOT, mode, b1, b2, bi, &best, &label[i], &second);
    dist[i] = L(dot_dist)(xnorm[i], best);
    if (mode == KA_MODE_BEST2) dist2[i] = L(dot_dist)(xnorm[i], second);
  }
}

void SFX(strata_k_gemm_argmin)(int64_t n, int64_t k, const T *restrict g, int64_t ldg,
                               const T *restrict cnorm, const T *restrict xnorm,
                               int32_t *restrict label, T *restrict dist, T *restrict dist2) {
  if (dist2 != NULL)
    L(gemm_argmin)(KA_MODE_BEST2, n, k, g, ldg, cnorm, xnorm, label, dist, dist2);
  else
    L(gemm_argmin)(KA_MODE_BEST1, n, k, g, ldg, cnorm, xnorm, label, dist, NULL);
}

#endif
