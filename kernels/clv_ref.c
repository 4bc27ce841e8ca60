/*
 * clv_ref.c — scalar reference of the CLV scoring kernels (clv_kernels.h), compiled for
 * baseline x86-64. It calls SLEEF's scalar FMA build when the CPU has FMA, which rounds
 * exactly as the AVX2 and AVX-512 builds do, and SLEEF's plain scalar build otherwise.
 */
#include <sleef.h>

#include "clv_kernels.h"

/* sleef.h declares the FMA scalar build only when the translation unit itself may use FMA
 * (FP_FAST_FMA); this file stays baseline and calls it only after the CPUID check. */
#ifndef FP_FAST_FMA
double Sleef_logd1_u10purecfma(double);
double Sleef_log1pd1_u10purecfma(double);
double Sleef_expd1_u10purecfma(double);
#endif

typedef double (*unary_fn)(double);

void strata_clv_bg_p_alive_ref(const strata_clv_bg_consts *c, const double *x, const double *t_x,
                               const double *T, int64_t n, double *out) {
  /* __builtin_cpu_supports is cheap (a load from libgcc's cached CPUID words). */
  int fma = __builtin_cpu_supports("fma");
  unary_fn lg = fma ? Sleef_logd1_u10purecfma : Sleef_logd1_u10purec;
  unary_fn lg1p = fma ? Sleef_log1pd1_u10purecfma : Sleef_log1pd1_u10purec;
  unary_fn ex = fma ? Sleef_expd1_u10purecfma : Sleef_expd1_u10purec;
  for (int64_t i = 0; i < n; i++) {
    if (!c->modified && x[i] == 0.0) {
      out[i] = 1.0;
      continue;
    }
    double odds = lg(c->a / (c->bb + x[i] - 1.0)) +
                  (c->r + x[i]) * lg1p((T[i] - t_x[i]) / (c->alpha + t_x[i]));
    out[i] = 1.0 / (1.0 + ex(odds));
  }
}
