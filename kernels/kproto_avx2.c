/*
 * kproto_avx2.c — AVX2 + FMA k-prototypes assignment kernel (compiled with -mavx2 -mfma).
 *
 * The scheme of kproto_avx512.c with a panel of 8 prototypes as two YMM halves: per lane the
 * reference's sequential fma chain over the numeric columns, exact int32 mismatch counts
 * converted to double and added with one fma, per-lane best / index / second, and a
 * branch-free combine per row (lowest index on a tie). Two rows share each loaded panel column:
 * four accumulators plus twelve tracking registers fill the sixteen YMM registers. Bit-identical to
 * kproto_ref.c. Cost O(n k (dn + dc) / 4).
 */
#ifndef __AVX2__
#error "kproto_avx2.c must be compiled with -mavx2 -mfma"
#endif
#ifndef __FMA__
#error "kproto_avx2.c must be compiled with -mavx2 -mfma"
#endif

#include <immintrin.h>
#include <math.h>

#include "kernels.h"

#define KP_ALWAYS_INLINE static inline __attribute__((always_inline))
#define KP_W STRATA_K_PANEL_F64
#define KP_ROWS 2

/* The least of four lanes (exact). */
KP_ALWAYS_INLINE double kp_hmin(__m256d v) {
  __m128d m = _mm_min_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  m = _mm_min_sd(m, _mm_unpackhi_pd(m, m));
  return _mm_cvtsd_f64(m);
}

KP_ALWAYS_INLINE void kp_rows(const int R, int64_t dn, int64_t dc, int64_t k,
                              const double *const *xr, const int32_t *const *cr,
                              const double *restrict packed, const int32_t *restrict pmodes,
                              double gamma, int32_t *label, double *cost, double *cost2) {
  const int64_t np = (k + KP_W - 1) / KP_W;
  const __m256d lane[2] = {_mm256_set_pd(3, 2, 1, 0), _mm256_set_pd(7, 6, 5, 4)};
  const __m256d g = _mm256_set1_pd(gamma);
  const __m256i vdc = _mm256_set1_epi32((int)dc);
  __m256d b1[KP_ROWS][2], b2[KP_ROWS][2], i1[KP_ROWS][2];
  for (int r = 0; r < R; r++)
    for (int h = 0; h < 2; h++) {
      b1[r][h] = _mm256_set1_pd(HUGE_VAL);
      b2[r][h] = b1[r][h];
      i1[r][h] = _mm256_setzero_pd();
    }
  for (int64_t p = 0; p < np; p++) {
    const double *pp = packed + p * (dn + 2) * KP_W;
    __m256d acc[KP_ROWS][2];
    for (int r = 0; r < R; r++) {
      acc[r][0] = _mm256_loadu_pd(pp);
      acc[r][1] = _mm256_loadu_pd(pp + 4);
    }
    for (int64_t t = 0; t < dn; t++) {
      const __m256d c0 = _mm256_loadu_pd(pp + 2 * KP_W + t * KP_W);
      const __m256d c1 = _mm256_loadu_pd(pp + 2 * KP_W + t * KP_W + 4);
      for (int r = 0; r < R; r++) {
        const __m256d xb = _mm256_set1_pd(xr[r][t]);
        const __m256d e0 = _mm256_sub_pd(xb, c0), e1 = _mm256_sub_pd(xb, c1);
        acc[r][0] = _mm256_fmadd_pd(e0, e0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_pd(e1, e1, acc[r][1]);
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
    const __m256d base = _mm256_set1_pd((double)(p * KP_W));
    for (int r = 0; r < R; r++) {
      const __m256i mis = _mm256_sub_epi32(vdc, eq[r]);
      const __m256d m[2] = {_mm256_cvtepi32_pd(_mm256_castsi256_si128(mis)),
                            _mm256_cvtepi32_pd(_mm256_extracti128_si256(mis, 1))};
      for (int h = 0; h < 2; h++) {
        const __m256d v = _mm256_fmadd_pd(g, m[h], acc[r][h]);
        const __m256d lt = _mm256_cmp_pd(v, b1[r][h], _CMP_LT_OQ);
        b2[r][h] = _mm256_min_pd(b2[r][h], _mm256_max_pd(b1[r][h], v));
        b1[r][h] = _mm256_min_pd(b1[r][h], v);
        i1[r][h] = _mm256_blendv_pd(i1[r][h], _mm256_add_pd(lane[h], base), lt);
      }
    }
  }
  /* Across the lanes without branches (data-dependent branches mispredicted about twice a
   * row): the smallest cost, the lowest index holding it, and the second cost as the least of
   * every lane's second and every other lane's best. All exact (min and compares only). */
  const __m256d inf = _mm256_set1_pd(HUGE_VAL);
  for (int r = 0; r < R; r++) {
    const double best = kp_hmin(_mm256_min_pd(b1[r][0], b1[r][1]));
    const __m256d bb = _mm256_set1_pd(best);
    const __m256d at0 = _mm256_cmp_pd(b1[r][0], bb, _CMP_EQ_OQ);
    const __m256d at1 = _mm256_cmp_pd(b1[r][1], bb, _CMP_EQ_OQ);
    const double idx = kp_hmin(
        _mm256_min_pd(_mm256_blendv_pd(inf, i1[r][0], at0), _mm256_blendv_pd(inf, i1[r][1], at1)));
    label[r] = (int32_t)idx;
    if (cost != NULL) cost[r] = best;
    if (cost2 != NULL) {
      const __m256d ii = _mm256_set1_pd(idx);
      const __m256d own0 = _mm256_and_pd(at0, _mm256_cmp_pd(i1[r][0], ii, _CMP_EQ_OQ));
      const __m256d own1 = _mm256_and_pd(at1, _mm256_cmp_pd(i1[r][1], ii, _CMP_EQ_OQ));
      const __m256d o0 = _mm256_min_pd(b2[r][0], _mm256_blendv_pd(b1[r][0], inf, own0));
      const __m256d o1 = _mm256_min_pd(b2[r][1], _mm256_blendv_pd(b1[r][1], inf, own1));
      cost2[r] = kp_hmin(_mm256_min_pd(o0, o1));
    }
  }
}

void strata_k_mixed_argmin_f64_avx2(int64_t n, int64_t dn, int64_t dc, int64_t k,
                                    const double *restrict x, int64_t ldx,
                                    const int32_t *restrict codes, int64_t ldc,
                                    const double *restrict packed, const int32_t *restrict pmodes,
                                    double gamma, int32_t *restrict label, double *restrict cost,
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

void strata_k_mixed_argmin_rows_f64_avx2(int64_t m, const int64_t *restrict rows, int64_t dn,
                                         int64_t dc, int64_t k, const double *restrict x,
                                         int64_t ldx, const int32_t *restrict codes, int64_t ldc,
                                         const double *restrict packed,
                                         const int32_t *restrict pmodes, double gamma,
                                         int32_t *restrict label, double *restrict cost,
                                         double *restrict cost2) {
  const double *xr[KP_ROWS];
  const int32_t *cr[KP_ROWS];
  int64_t r0 = 0;
  for (; r0 + KP_ROWS <= m; r0 += KP_ROWS) {
    for (int r = 0; r < KP_ROWS; r++) {
      xr[r] = dn > 0 ? x + rows[r0 + r] * ldx : x;
      cr[r] = dc > 0 ? codes + rows[r0 + r] * ldc : codes;
    }
    kp_rows(KP_ROWS, dn, dc, k, xr, cr, packed, pmodes, gamma, label + r0, cost ? cost + r0 : NULL,
            cost2 ? cost2 + r0 : NULL);
  }
  for (; r0 < m; r0++) {
    xr[0] = dn > 0 ? x + rows[r0] * ldx : x;
    cr[0] = dc > 0 ? codes + rows[r0] * ldc : codes;
    kp_rows(1, dn, dc, k, xr, cr, packed, pmodes, gamma, label + r0, cost ? cost + r0 : NULL,
            cost2 ? cost2 + r0 : NULL);
  }
}
