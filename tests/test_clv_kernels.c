/*
 * test_clv_kernels.c — the vectorised CLV scoring kernels (kernels/clv_*.c): every ISA this
 * CPU runs equals the scalar reference bit for bit (SLEEF's FMA builds round alike), and the
 * reference equals the closed form evaluated with libm to a few ulps, over lengths around the
 * vector widths, both BG/NBD variants (sure-alive x == 0 only for BG/NBD) and heavy buyers
 * whose odds overflow, which must give P(alive) = 0, never NaN.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#include "clv_kernels.h"
#include "core/rng.h"

#define MAXN 203

static void make_customers(uint64_t seed, double *x, double *t_x, double *T, int64_t n) {
  strata_rng rng;
  strata_rng_init(&rng, seed, 0, 0);
  for (int64_t i = 0; i < n; i++) {
    T[i] = 1.0 + 100.0 * strata_rng_uniform(&rng);
    /* a quarter without repeat purchases, a few heavy buyers */
    double u = strata_rng_uniform(&rng);
    x[i] = u < 0.25 ? 0.0 : u > 0.97 ? floor(1000.0 + 4000.0 * u) : floor(1.0 + 30.0 * u);
    t_x[i] = x[i] == 0.0 ? 0.0 : T[i] * strata_rng_uniform(&rng);
  }
}

static double libm_p_alive(const strata_clv_bg_consts *c, double x, double t_x, double T) {
  if (!c->modified && x == 0.0) return 1.0;
  double odds = log(c->a / (c->bb + x - 1.0)) + (c->r + x) * log1p((T - t_x) / (c->alpha + t_x));
  return 1.0 / (1.0 + exp(odds));
}

static void test_variants_equal_reference(void **state) {
  (void)state;
  double x[MAXN], t_x[MAXN], T[MAXN], ref[MAXN], got[MAXN + 1];
  const strata_clv_kernels *rk = strata_clv_kernels_for(STRATA_ISA_REF);
  assert_non_null(rk);
  static const int64_t lengths[] = {0, 1, 3, 4, 5, 7, 8, 9, 15, 17, 64, MAXN};
  for (int modified = 0; modified <= 1; modified++) {
    strata_clv_bg_consts c = {0.243, 4.414, 0.793, modified ? 3.426 : 2.426, modified};
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
      int64_t n = lengths[li];
      make_customers(11 + (uint64_t)li, x, t_x, T, n);
      rk->bg_p_alive(&c, x, t_x, T, n, ref);
      for (int64_t i = 0; i < n; i++) {
        double want = libm_p_alive(&c, x[i], t_x[i], T[i]);
        assert_true(isfinite(ref[i]) && ref[i] >= 0.0 && ref[i] <= 1.0);
        /* 1-ulp functions: a few ulps of the odds (|odds| up to ~1e4 for heavy buyers) give
         * a relative error of P(alive) of at most a few ulps of |odds| */
        assert_true(fabs(ref[i] - want) <= 1e-11 * want + 1e-300);
        if (!modified && x[i] == 0.0) assert_true(ref[i] == 1.0);
      }
      for (int isa = STRATA_ISA_AVX2; isa < STRATA_ISA_COUNT; isa++) {
        const strata_clv_kernels *k = strata_clv_kernels_for((strata_isa)isa);
        if (k == NULL) continue; /* this CPU cannot run it */
        got[n] = -7.0;           /* the kernel must not write past n */
        k->bg_p_alive(&c, x, t_x, T, n, got);
        assert_memory_equal(got, ref, (size_t)n * sizeof(double));
        assert_true(got[n] == -7.0);
      }
    }
  }
}

static void test_heavy_buyers_stay_finite(void **state) {
  (void)state;
  /* x in the thousands, a long silence: the odds overflow exp and P(alive) must be 0. */
  strata_clv_bg_consts c = {0.243, 4.414, 0.793, 2.426, 0};
  double x[8] = {5000, 5000, 20000, 1, 2, 3000, 1e6, 0};
  double t_x[8] = {10, 0.5, 1, 0.1, 100, 999, 1, 0};
  double T[8] = {1000, 1000, 5000, 1000, 100, 1000, 1e4, 1e4};
  for (int isa = STRATA_ISA_REF; isa < STRATA_ISA_COUNT; isa++) {
    const strata_clv_kernels *k = strata_clv_kernels_for((strata_isa)isa);
    if (k == NULL) continue;
    double p[8];
    k->bg_p_alive(&c, x, t_x, T, 8, p);
    for (int i = 0; i < 8; i++) assert_true(isfinite(p[i]) && p[i] >= 0.0 && p[i] <= 1.0);
    assert_true(p[0] == 0.0 && p[2] == 0.0 && p[6] == 0.0);
    assert_true(p[4] > 0.5); /* bought on the last day */
    assert_true(p[7] == 1.0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_variants_equal_reference),
      cmocka_unit_test(test_heavy_buyers_stay_finite),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
