/* Counter-based RNG: Philox known-answer vectors, stream independence, and the moments of
 * every non-uniform sampler against its distribution. */
#include <math.h>
#include <stdlib.h>

#include "core/rng.h"
#include "test_support.h"

/* Known-answer vectors of Philox4x32-10 published with Random123 (kat_vectors). */
static void test_philox_known_answers(void **state) {
  (void)state;
  struct {
    uint32_t ctr[4], key[2], expect[4];
  } kat[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
      {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
       {0xffffffffu, 0xffffffffu},
       {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
      {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
       {0xa4093822u, 0x299f31d0u},
       {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
  };
  for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
    uint32_t out[4];
    strata_philox4x32_10(kat[i].key, kat[i].ctr, out);
    for (int j = 0; j < 4; j++) assert_int_equal(out[j], kat[i].expect[j]);
  }
}

static void test_draws_are_pure_functions_of_position(void **state) {
  (void)state;
  strata_rng a, b;
  strata_rng_init(&a, 42, 3, 1000);
  double first[10];
  for (int i = 0; i < 10; i++) first[i] = strata_rng_uniform(&a);
  strata_rng_init(&b, 42, 3, 1000);
  for (int i = 0; i < 10; i++) assert_true(strata_rng_uniform(&b) == first[i]);
  /* Another index, stream or seed gives other numbers. */
  strata_rng_init(&b, 42, 3, 1001);
  assert_true(strata_rng_uniform(&b) != first[0]);
  strata_rng_init(&b, 42, 4, 1000);
  assert_true(strata_rng_uniform(&b) != first[0]);
  strata_rng_init(&b, 43, 3, 1000);
  assert_true(strata_rng_uniform(&b) != first[0]);
}

/* Mean and variance of n draws within 5 standard errors of the truth. */
typedef double (*sampler)(strata_rng *g, const double *params);

static void check_moments(sampler draw, const double *params, double mean, double var,
                          const char *what) {
  const int n = 200000;
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; i++) {
    strata_rng g;
    strata_rng_init(&g, 7, 11, (uint64_t)i);
    double x = draw(&g, params);
    if (!isfinite(x)) fail_msg("%s: draw %d is not finite", what, i);
    sum += x;
    sum2 += x * x;
  }
  double m = sum / n, v = sum2 / n - m * m;
  double se_mean = sqrt(var / n);
  if (fabs(m - mean) > 5 * se_mean) fail_msg("%s: mean %g, expected %g", what, m, mean);
  /* The variance of the sample variance needs the 4th moment; 5% relative is ample at n. */
  if (fabs(v - var) > 0.05 * var) fail_msg("%s: variance %g, expected %g", what, v, var);
}

static double draw_uniform(strata_rng *g, const double *p) {
  (void)p;
  return strata_rng_uniform(g);
}
static double draw_normal(strata_rng *g, const double *p) {
  (void)p;
  return strata_rng_normal(g);
}
static double draw_exp(strata_rng *g, const double *p) {
  (void)p;
  return strata_rng_exponential(g);
}
static double draw_gamma(strata_rng *g, const double *p) { return strata_rng_gamma(g, p[0]); }
static double draw_beta(strata_rng *g, const double *p) { return strata_rng_beta(g, p[0], p[1]); }
static double draw_poisson(strata_rng *g, const double *p) {
  return (double)strata_rng_poisson(g, p[0]);
}
static double draw_below(strata_rng *g, const double *p) {
  return (double)strata_rng_below(g, (uint64_t)p[0]);
}

static void test_sampler_moments(void **state) {
  (void)state;
  check_moments(draw_uniform, NULL, 0.5, 1.0 / 12.0, "uniform");
  check_moments(draw_normal, NULL, 0.0, 1.0, "normal");
  check_moments(draw_exp, NULL, 1.0, 1.0, "exponential");
  const double shapes[] = {0.05, 0.3, 0.9, 1.0, 3.74, 25.0};
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    check_moments(draw_gamma, &shapes[i], shapes[i], shapes[i], "gamma");
  const double betas[][2] = {{0.9, 9.0}, {0.5, 0.5}, {2.0, 3.0}, {11.0, 9.0}};
  for (size_t i = 0; i < 4; i++) {
    double a = betas[i][0], b = betas[i][1];
    check_moments(draw_beta, betas[i], a / (a + b), a * b / ((a + b) * (a + b) * (a + b + 1)),
                  "beta");
  }
  const double means[] = {0.2, 3.0, 9.9, 10.0, 45.0, 1000.0};
  for (size_t i = 0; i < sizeof means / sizeof means[0]; i++)
    check_moments(draw_poisson, &means[i], means[i], means[i], "poisson");
  const double ranges[] = {1.0, 7.0, 1000.0, 4294967311.0};
  for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
    double r = ranges[i];
    check_moments(draw_below, &ranges[i], (r - 1) / 2, (r * r - 1) / 12, "below");
  }
}

static void test_discrete(void **state) {
  (void)state;
  const double w[4] = {0.1, 0.0, 0.6, 0.3};
  int counts[4] = {0};
  const int n = 100000;
  for (int i = 0; i < n; i++) {
    strata_rng g;
    strata_rng_init(&g, 3, 0, (uint64_t)i);
    counts[strata_rng_discrete(&g, w, 4)]++;
  }
  assert_int_equal(counts[1], 0);
  for (int k = 0; k < 4; k++) {
    double se = sqrt(w[k] * (1 - w[k]) / n);
    assert_true(fabs((double)counts[k] / n - w[k]) <= 5 * se + 1e-12);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_philox_known_answers),
      cmocka_unit_test(test_draws_are_pure_functions_of_position),
      cmocka_unit_test(test_sampler_moments),
      cmocka_unit_test(test_discrete),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
