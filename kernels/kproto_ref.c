/*
 * kproto_ref.c — scalar reference of the k-prototypes assignment kernel (kernels.h, section
 * "k-prototypes") and the mode packing every ISA shares.
 *
 * Written for obviousness: one prototype at a time, the numeric part as the sequential fma
 * chain of the direct form, the mismatches counted as an integer and added with one fma. The
 * AVX2 and AVX-512 variants compute the same per-pair values lane by lane, so they must match
 * this file bit for bit (tests/test_kproto.c checks it). Cost O(n k (dn + dc)).
 */
#include <math.h>

#include "kernels.h"

void strata_k_pack_modes(int64_t k, int64_t dc, const int32_t *restrict modes, int64_t ldm,
                         int32_t *restrict packed) {
  const int W = STRATA_K_PANEL_F64;
  const int64_t np = (k + W - 1) / W;
  for (int64_t p = 0; p < np; p++)
    for (int64_t t = 0; t < dc; t++)
      for (int w = 0; w < W; w++) {
        const int64_t j = p * W + w;
        /* -1 is never a valid code; padding lanes lose through their +inf bias anyway. */
        packed[(p * dc + t) * W + w] = j < k ? modes[j * ldm + t] : -1;
      }
}

/* The value lane j of a SIMD variant computes for one row. */
static double pair_cost(int64_t dn, int64_t dc, const double *restrict xi,
                        const int32_t *restrict ci, const double *restrict packed,
                        const int32_t *restrict pmodes, double gamma, int64_t j) {
  const int W = STRATA_K_PANEL_F64;
  const int64_t p = j / W, w = j % W;
  const double *pp = packed + p * (dn + 2) * W;
  double acc = pp[w];
  for (int64_t t = 0; t < dn; t++) {
    const double e = xi[t] - pp[2 * W + t * W + w];
    acc = fma(e, e, acc);
  }
  const int32_t *pm = pmodes + p * dc * W;
  int32_t m = 0;
  for (int64_t t = 0; t < dc; t++) m += ci[t] != pm[t * W + w];
  return fma(gamma, (double)m, acc);
}

void strata_k_mixed_argmin_f64_ref(int64_t n, int64_t dn, int64_t dc, int64_t k,
                                   const double *restrict x, int64_t ldx,
                                   const int32_t *restrict codes, int64_t ldc,
                                   const double *restrict packed, const int32_t *restrict pmodes,
                                   double gamma, int32_t *restrict label, double *restrict cost,
                                   double *restrict cost2) {
  for (int64_t i = 0; i < n; i++) {
    /* No offset on a NULL view: dn = 0 or dc = 0 may come with no array at all. */
    const double *xi = dn > 0 ? x + i * ldx : x;
    const int32_t *ci = dc > 0 ? codes + i * ldc : codes;
    double b1 = HUGE_VAL, b2 = HUGE_VAL;
    int32_t best = 0;
    for (int64_t j = 0; j < k; j++) {
      const double v = pair_cost(dn, dc, xi, ci, packed, pmodes, gamma, j);
      /* Strict: the first of equal costs keeps the label, and a tie lands in b2. */
      if (v < b1) {
        b2 = b1;
        b1 = v;
        best = (int32_t)j;
      } else if (v < b2) {
        b2 = v;
      }
    }
    label[i] = best;
    if (cost != NULL) cost[i] = b1;
    if (cost2 != NULL) cost2[i] = b2;
  }
}

void strata_k_mixed_argmin_rows_f64_ref(int64_t m, const int64_t *restrict rows, int64_t dn,
                                        int64_t dc, int64_t k, const double *restrict x,
                                        int64_t ldx, const int32_t *restrict codes, int64_t ldc,
                                        const double *restrict packed,
                                        const int32_t *restrict pmodes, double gamma,
                                        int32_t *restrict label, double *restrict cost,
                                        double *restrict cost2) {
  for (int64_t r = 0; r < m; r++)
    strata_k_mixed_argmin_f64_ref(
        1, dn, dc, k, dn > 0 ? x + rows[r] * ldx : x, ldx, dc > 0 ? codes + rows[r] * ldc : codes,
        ldc, packed, pmodes, gamma, label + r, cost ? cost + r : NULL, cost2 ? cost2 + r : NULL);
}
