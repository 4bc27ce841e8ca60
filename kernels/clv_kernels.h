/*
 * clv_kernels.h — vectorised per-customer CLV terms (src/clv scoring) with their own small
 * dispatch table (the same CPUID/STRATA_ISA policy as the k-means and hierarchical tables).
 *
 * The transcendental functions are SLEEF's 1-ulp ones (u10). SLEEF computes them with the
 * same FMA-based algorithm in its AVX-512, AVX2 and scalar "purecfma" builds, so every
 * variant here gives BIT-IDENTICAL results on a machine with FMA (checked by
 * tests/test_clv_kernels.c); the reference falls back to SLEEF's non-FMA scalar build only
 * on CPUs without FMA. Kernels allocate nothing and are reentrant.
 */
#ifndef STRATA_CLV_KERNELS_H
#define STRATA_CLV_KERNELS_H

#include <stdint.h>

#include "kernels.h"

/* Model constants of BG/NBD-family P(alive) (Fader, Hardie & Lee 2005, eq. 11; Batislam
 * et al. 2007 for MBG/NBD):
 *   P(alive) = 1 / (1 + a / (bb + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x)),
 * with bb = b (BG/NBD) or b + 1 (MBG/NBD); a BG/NBD customer with x == 0 is surely alive. */
typedef struct strata_clv_bg_consts {
  double r, alpha, a, bb;
  int modified; /* MBG/NBD: no sure-alive case at x == 0 */
} strata_clv_bg_consts;

/* out[i] = P(alive) of customer i for i in [0, n); x, t_x, T as in the RFM summary. Rows the
 * caller has not validated may give any value (NaN included) but never trap. */
typedef void (*strata_clv_bg_p_alive_fn)(const strata_clv_bg_consts *c, const double *x,
                                         const double *t_x, const double *T, int64_t n,
                                         double *out);

typedef struct strata_clv_kernels {
  strata_isa isa;
  const char *name;
  strata_clv_bg_p_alive_fn bg_p_alive;
} strata_clv_kernels;

/* The table chosen once per process (best ISA, or STRATA_ISA). */
const strata_clv_kernels *strata_clv_kernels_get(void);
/* The table of one ISA, or NULL when this CPU cannot run it (tests). */
const strata_clv_kernels *strata_clv_kernels_for(strata_isa isa);

#define STRATA_CLV_KERNEL_DECL(isa)                                                      \
  void strata_clv_bg_p_alive_##isa(const strata_clv_bg_consts *c, const double *x,       \
                                   const double *t_x, const double *T, int64_t n,       \
                                   double *out);
STRATA_CLV_KERNEL_DECL(ref)
STRATA_CLV_KERNEL_DECL(avx2)
STRATA_CLV_KERNEL_DECL(avx512)
#undef STRATA_CLV_KERNEL_DECL

#endif
