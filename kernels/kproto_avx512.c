/*
 * kproto_avx512.c — AVX-512 k-prototypes assignment kernel (compiled with the AVX-512 flags).
 *
 * One prototype per lane (a packed panel of 8 is one ZMM register), the numeric part as the
 * per-lane sequential fma chain of the reference, the mismatches counted per lane as exact
 * int32 (equal codes subtracted from dc), converted exactly to double and added with one fma:
 * the per-pair costs are the reference's bit for bit. Four rows share each loaded panel
 * column so that four independent fma chains hide the adder latency. Each lane keeps its
 * best cost, that cost's prototype index (first strict minimum: panels come in increasing
 * order) and its second cost; one scalar pass per row combines the 8 lanes, lowest index on
 * a tie, exactly as the reference's sequential scan decides. Cost O(n k (dn + dc) / 8).
 */
#ifndef __AVX512F__
#error "kproto_avx512.c must be compiled with -mavx512f -mavx512dq -mavx512vl -mavx2 -mfma"
#endif

#include <immintrin.h>
#include <math.h>

#include "kernels.h"

#define KP_ALWAYS_INLINE static inline __attribute__((always_inline))
#define KP_W STRATA_K_PANEL_F64
#define KP_ROWS 4

/* The 8 lanes' (best, index, second) into one row's label, cost and second cost. */
KP_ALWAYS_INLINE void kp_combine(const double *b1, const double *i1, const double *b2,
                                 int32_t *label, double *cost, double *cost2) {
  int bw = 0;
  for (int w = 1; w < KP_W; w++)
    if (b1[w] < b1[bw] || (b1[w] == b1[bw] && i1[w] < i1[bw])) bw = w;
  *label = (int32_t)i1[bw];
  if (cost != NULL) *cost = b1[bw];
  if (cost2 != NULL) {
    double s = HUGE_VAL;
    for (int w = 0; w < KP_W; w++) {
      if (b2[w] < s) s = b2[w];
      if (w != bw && b1[w] < s) s = b1[w];
    }
    *cost2 = s;
  }
}

/* R rows (R <= KP_ROWS, a constant after inlining) against all panels. */
KP_ALWAYS_INLINE void kp_rows(const int R, int64_t dn, int64_t dc, int64_t k,
                              const double *const *xr, const int32_t *const *cr,
                              const double *restrict packed, const int32_t *restrict pmodes,
                              double gamma, int32_t *label, double *cost, double *cost2) {
  const int64_t np = (k + KP_W - 1) / KP_W;
  const __m512d lane = _mm512_set_pd(7, 6, 5, 4, 3, 2, 1, 0);
  const __m512d g = _mm512_set1_pd(gamma);
  const __m256i vdc = _mm256_set1_epi32((int)dc);
  __m512d b1[KP_ROWS], b2[KP_ROWS], i1[KP_ROWS];
  for (int r = 0; r < R; r++) {
    b1[r] = _mm512_set1_pd(HUGE_VAL);
    b2[r] = b1[r];
    i1[r] = _mm512_setzero_pd();
  }
  for (int64_t p = 0; p < np; p++) {
    const double *pp = packed + p * (dn + 2) * KP_W;
    __m512d acc[KP_ROWS];
    for (int r = 0; r < R; r++) acc[r] = _mm512_loadu_pd(pp);
    for (int64_t t = 0; t < dn; t++) {
      const __m512d c = _mm512_loadu_pd(pp + 2 * KP_W + t * KP_W);
      for (int r = 0; r < R; r++) {
        const __m512d e = _mm512_sub_pd(_mm512_set1_pd(xr[r][t]), c);
        acc[r] = _mm512_fmadd_pd(e, e, acc[r]);
      }
    }
    const int32_t *pm = pmodes + p * dc * KP_W;
    __m256i eq[KP_ROWS];
    for (int r = 0; r < R; r++) eq[r] = _mm256_setzero_si256();
    for (int64_t t = 0; t < dc; t++) {
      const __m256i mv = _mm256_loadu_si256((const __m256i *)(pm + t * KP_W));
      for (int r = 0; r < R; r++) /* an equal lane reads -1: subtracting counts it */
        eq[r] = _mm256_sub_epi32(eq[r], _mm256_cmpeq_epi32(_mm256_set1_epi32(cr[r][t]), mv));
    }
    const __m512d idx = _mm512_add_pd(lane, _mm512_set1_pd((double)(p * KP_W)));
    for (int r = 0; r < R; r++) {
      const __m512d m = _mm512_cvtepi32_pd(_mm256_sub_epi32(vdc, eq[r]));
      const __m512d v = _mm512_fmadd_pd(g, m, acc[r]);
      const __mmask8 lt = _mm512_cmp_pd_mask(v, b1[r], _CMP_LT_OQ);
      b2[r] = _mm512_min_pd(b2[r], _mm512_max_pd(b1[r], v));
      b1[r] = _mm512_min_pd(b1[r], v);
      i1[r] = _mm512_mask_blend_pd(lt, i1[r], idx);
    }
  }
  for (int r = 0; r < R; r++) {
    double s1[KP_W], si[KP_W], s2[KP_W];
    _mm512_storeu_pd(s1, b1[r]);
    _mm512_storeu_pd(si, i1[r]);
    _mm512_storeu_pd(s2, b2[r]);
    kp_combine(s1, si, s2, label + r, cost ? cost + r : NULL, cost2 ? cost2 + r : NULL);
  }
}

void strata_k_mixed_argmin_f64_avx512(int64_t n, int64_t dn, int64_t dc, int64_t k,
                                      const double *restrict x, int64_t ldx,
                                      const int32_t *restrict codes, int64_t ldc,
                                      const double *restrict packed,
                                      const int32_t *restrict pmodes, double gamma,
                                      int32_t *restrict label, double *restrict cost,
                                      double *restrict cost2) {
  const double *xr[KP_ROWS];
  const int32_t *cr[KP_ROWS];
  int64_t i = 0;
  for (; i + KP_ROWS <= n; i += KP_ROWS) {
    for (int r = 0; r < KP_ROWS; r++) { /* no offset on a NULL view (dn or dc = 0) */
      xr[r] = dn > 0 ? x + (i + r) * ldx : x;
      cr[r] = dc > 0 ? codes + (i + r) * ldc : codes;
    }
    kp_rows(KP_ROWS, dn, dc, k, xr, cr, packed, pmodes, gamma, label + i, cost ? cost + i : NULL,
            cost2 ? cost2 + i : NULL);
  }
  for (; i < n; i++) {
    xr[0] = dn > 0 ? x + i * ldx : x;
    cr[0] = dc > 0 ? codes + i * ldc : codes;
    kp_rows(1, dn, dc, k, xr, cr, packed, pmodes, gamma, label + i, cost ? cost + i : NULL,
            cost2 ? cost2 + i : NULL);
  }
}
