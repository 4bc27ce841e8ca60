/*
 * kproto_avx512.c — AVX-512 k-prototypes assignment kernel (compiled with the AVX-512 flags).
 *
 * Two register layouts with the same per-pair arithmetic (so both are the reference's bit for
 * bit): rows in lanes (below, for groups of 8 rows) and, for the remaining rows and for
 * dn > 128 or dc > 64, centres in lanes:
 * one prototype per lane (a packed panel of 8 is one ZMM register), the numeric part as the
 * per-lane sequential fma chain of the reference, the mismatches counted per lane as exact
 * int32 (equal codes subtracted from dc), converted exactly to double and added with one fma:
 * the per-pair costs are the reference's bit for bit. Four rows share each loaded panel
 * column so that four independent fma chains hide the adder latency. Each lane keeps its
 * best cost, that cost's prototype index (first strict minimum: panels come in increasing
 * order) and its second cost; per row, vector min-reductions combine the 8 lanes (the lowest
 * index among the lanes holding the smallest cost), exactly as the reference's sequential
 * scan decides. Cost O(n k (dn + dc) / 8).
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
  /* Across the lanes without branches (data-dependent branches mispredicted about twice a
   * row): the smallest cost, the lowest index holding it, and the second cost as the least of
   * every lane's second and every other lane's best. All exact (min and compares only). */
  const __m512d inf = _mm512_set1_pd(HUGE_VAL);
  for (int r = 0; r < R; r++) {
    const double best = _mm512_reduce_min_pd(b1[r]);
    const __mmask8 at = _mm512_cmp_pd_mask(b1[r], _mm512_set1_pd(best), _CMP_EQ_OQ);
    const double idx = _mm512_reduce_min_pd(_mm512_mask_blend_pd(at, inf, i1[r]));
    label[r] = (int32_t)idx;
    if (cost != NULL) cost[r] = best;
    if (cost2 != NULL) {
      const __mmask8 own = at & _mm512_cmp_pd_mask(i1[r], _mm512_set1_pd(idx), _CMP_EQ_OQ);
      cost2[r] = _mm512_reduce_min_pd(_mm512_min_pd(b2[r], _mm512_mask_blend_pd(own, b1[r], inf)));
    }
  }
}

/* ---- rows in lanes: 8 rows per register, prototypes in turn.
 * For dn <= KP_RL_MAX_DN and dc <= KP_RL_MAX_DC: each group of 8 rows is gathered once into
 * column vectors (xt[t] = column t of the 8 rows, ct[t] likewise for the codes), then for
 * each prototype j in increasing order every lane runs the reference's chain for its row
 * (acc = 0, acc = fma(e, e, acc) over t, then fma(gamma, mismatches, acc)) and the same
 * sequential update of best / label / second, with strict compares. So every lane computes
 * exactly what the reference computes for its row, no lane idles when k is not a multiple of
 * 8, and no horizontal reduction is needed. Four prototypes at a time keep four independent
 * fma chains in flight. Measured in cache on this Zen 4 (a loaded 2-vCPU VM, best of 5,
 * ns a row, rows in lanes / centres in lanes): dn 20 k 5: 22 / 23; dn 20 k 16: 29 / 58;
 * dn 64 k 5: 48 / 86. Centres in lanes stays for the tails and the widest rows. */
#define KP_RL_MAX_DN 128
#define KP_RL_MAX_DC 64

KP_ALWAYS_INLINE void kp_rl_update(__m512d v, double j, __m512d *b1, __m512d *b2, __m512d *lab) {
  const __mmask8 lt = _mm512_cmp_pd_mask(v, *b1, _CMP_LT_OQ);
  *b2 = _mm512_min_pd(*b2, _mm512_max_pd(*b1, v));
  *b1 = _mm512_min_pd(*b1, v);
  *lab = _mm512_mask_mov_pd(*lab, lt, _mm512_set1_pd(j));
}

/* J prototypes from j0 for the gathered group (J a constant after inlining). */
KP_ALWAYS_INLINE void kp_rl_protos(const int J, int64_t j0, int64_t dn, int64_t dc,
                                   const double *xt, const int32_t *ct,
                                   const double *restrict packed, const int32_t *restrict pmodes,
                                   __m512d g, __m512d *b1, __m512d *b2, __m512d *lab) {
  const double *cp[4];
  const int32_t *mp[4];
  for (int q = 0; q < J; q++) {
    const int64_t j = j0 + q, pnl = j / KP_W, w = j % KP_W;
    cp[q] = packed + pnl * (dn + 2) * KP_W + 2 * KP_W + w;
    mp[q] = pmodes + pnl * dc * KP_W + w;
  }
  __m512d acc[4];
  for (int q = 0; q < J; q++) acc[q] = _mm512_setzero_pd();
  for (int64_t t = 0; t < dn; t++) {
    const __m512d xv = _mm512_load_pd(xt + t * KP_W);
    for (int q = 0; q < J; q++) {
      const __m512d e = _mm512_sub_pd(xv, _mm512_set1_pd(cp[q][t * KP_W]));
      acc[q] = _mm512_fmadd_pd(e, e, acc[q]);
    }
  }
  __m256i eq[4];
  for (int q = 0; q < J; q++) eq[q] = _mm256_setzero_si256();
  for (int64_t t = 0; t < dc; t++) {
    const __m256i cv = _mm256_load_si256((const __m256i *)(ct + t * KP_W));
    for (int q = 0; q < J; q++)
      eq[q] = _mm256_sub_epi32(eq[q], _mm256_cmpeq_epi32(cv, _mm256_set1_epi32(mp[q][t * KP_W])));
  }
  const __m256i vdc = _mm256_set1_epi32((int)dc);
  for (int q = 0; q < J; q++) {
    const __m512d v = _mm512_fmadd_pd(g, _mm512_cvtepi32_pd(_mm256_sub_epi32(vdc, eq[q])), acc[q]);
    kp_rl_update(v, (double)(j0 + q), b1, b2, lab);
  }
}

/* Eight rows at element offsets xoff (numeric) and coff (codes) from x and codes. */
static void kp_rl_group(__m512i xoff, __m512i coff, int64_t dn, int64_t dc, int64_t k,
                        const double *restrict x, const int32_t *restrict codes,
                        const double *restrict packed, const int32_t *restrict pmodes, double gamma,
                        int32_t *label, double *cost, double *cost2) {
  _Alignas(64) double xt[KP_RL_MAX_DN * KP_W];
  _Alignas(64) int32_t ct[KP_RL_MAX_DC * KP_W];
  /* Plain copies, not gathers: on this Zen 4 the gathers made the kernel 3x slower. */
  _Alignas(64) int64_t xo[KP_W], co[KP_W];
  _mm512_store_si512((void *)xo, xoff);
  _mm512_store_si512((void *)co, coff);
  for (int r = 0; r < KP_W; r++) { /* no offset on an absent array (dn or dc = 0) */
    for (int64_t t = 0; t < dn; t++) xt[t * KP_W + r] = x[xo[r] + t];
    for (int64_t t = 0; t < dc; t++) ct[t * KP_W + r] = codes[co[r] + t];
  }
  const __m512d g = _mm512_set1_pd(gamma);
  __m512d b1 = _mm512_set1_pd(HUGE_VAL), b2 = b1, lab = _mm512_setzero_pd();
  int64_t j = 0;
  for (; j + 4 <= k; j += 4) kp_rl_protos(4, j, dn, dc, xt, ct, packed, pmodes, g, &b1, &b2, &lab);
  for (; j < k; j++) kp_rl_protos(1, j, dn, dc, xt, ct, packed, pmodes, g, &b1, &b2, &lab);
  _mm256_storeu_si256((__m256i *)label, _mm512_cvtpd_epi32(lab));
  if (cost != NULL) _mm512_storeu_pd(cost, b1);
  if (cost2 != NULL) _mm512_storeu_pd(cost2, b2);
}

static inline int kp_rl_fits(int64_t dn, int64_t dc) {
  return dn <= KP_RL_MAX_DN && dc <= KP_RL_MAX_DC;
}

void strata_k_mixed_argmin_f64_avx512(int64_t n, int64_t dn, int64_t dc, int64_t k,
                                      const double *restrict x, int64_t ldx,
                                      const int32_t *restrict codes, int64_t ldc,
                                      const double *restrict packed, const int32_t *restrict pmodes,
                                      double gamma, int32_t *restrict label, double *restrict cost,
                                      double *restrict cost2) {
  const double *xr[KP_ROWS];
  const int32_t *cr[KP_ROWS];
  int64_t i = 0;
  if (kp_rl_fits(dn, dc)) {
    const __m512i r8 = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i xo = _mm512_mullo_epi64(r8, _mm512_set1_epi64(ldx));
    const __m512i co = _mm512_mullo_epi64(r8, _mm512_set1_epi64(ldc));
    for (; i + KP_W <= n; i += KP_W)
      kp_rl_group(xo, co, dn, dc, k, dn > 0 ? x + i * ldx : x, dc > 0 ? codes + i * ldc : codes,
                  packed, pmodes, gamma, label + i, cost ? cost + i : NULL,
                  cost2 ? cost2 + i : NULL);
  }
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

void strata_k_mixed_argmin_rows_f64_avx512(int64_t m, const int64_t *restrict rows, int64_t dn,
                                           int64_t dc, int64_t k, const double *restrict x,
                                           int64_t ldx, const int32_t *restrict codes, int64_t ldc,
                                           const double *restrict packed,
                                           const int32_t *restrict pmodes, double gamma,
                                           int32_t *restrict label, double *restrict cost,
                                           double *restrict cost2) {
  const double *xr[KP_ROWS];
  const int32_t *cr[KP_ROWS];
  int64_t r0 = 0;
  if (kp_rl_fits(dn, dc)) {
    for (; r0 + KP_W <= m; r0 += KP_W) {
      const __m512i rv = _mm512_loadu_si512((const void *)(rows + r0));
      kp_rl_group(_mm512_mullo_epi64(rv, _mm512_set1_epi64(ldx)),
                  _mm512_mullo_epi64(rv, _mm512_set1_epi64(ldc)), dn, dc, k, x, codes, packed,
                  pmodes, gamma, label + r0, cost ? cost + r0 : NULL, cost2 ? cost2 + r0 : NULL);
    }
  }
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
