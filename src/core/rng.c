/*
 * Non-uniform draws on top of Philox. Algorithms: Box-Muller for normals; Marsaglia & Tsang
 * (2000) for gamma, with the U^(1/a) boost for shape < 1; beta as a ratio of gammas;
 * Poisson by inversion for small means and Hormann's PTRS transformed rejection (1993) for
 * large ones. All are exact samplers (no approximation by a normal).
 */
#include <math.h>

#include "core/rng.h"

double strata_rng_normal(strata_rng *g) {
  if (g->has_spare) {
    g->has_spare = 0;
    return g->spare;
  }
  double u1 = strata_rng_uniform(g);
  double u2 = strata_rng_uniform(g);
  double radius = sqrt(-2.0 * log(u1));
  double angle = 6.283185307179586476925 * u2;
  g->spare = radius * sin(angle);
  g->has_spare = 1;
  return radius * cos(angle);
}

double strata_rng_exponential(strata_rng *g) { return -log(strata_rng_uniform(g)); }

double strata_rng_gamma(strata_rng *g, double shape) {
  if (!(shape > 0.0)) return NAN;
  if (shape < 1.0) {
    /* Gamma(a) = Gamma(a + 1) * U^(1/a); log form keeps tiny shapes from underflowing to 0. */
    double x = strata_rng_gamma(g, shape + 1.0);
    double u = strata_rng_uniform(g);
    return x * exp(log(u) / shape);
  }
  double d = shape - 1.0 / 3.0;
  double c = 1.0 / sqrt(9.0 * d);
  for (;;) {
    double z, v;
    do {
      z = strata_rng_normal(g);
      v = 1.0 + c * z;
    } while (v <= 0.0);
    v = v * v * v;
    double u = strata_rng_uniform(g);
    if (u < 1.0 - 0.0331 * (z * z) * (z * z)) return d * v;
    if (log(u) < 0.5 * z * z + d * (1.0 - v + log(v))) return d * v;
  }
}

double strata_rng_beta(strata_rng *g, double a, double b) {
  double x = strata_rng_gamma(g, a);
  double y = strata_rng_gamma(g, b);
  double s = x + y;
  /* Both shapes tiny can give 0/0: fall back on the Bernoulli limit with the right mean. */
  if (!(s > 0.0)) return strata_rng_uniform(g) < a / (a + b) ? 1.0 : 0.0;
  return x / s;
}

int64_t strata_rng_poisson(strata_rng *g, double mean) {
  if (!(mean > 0.0)) return 0;
  if (mean < 10.0) {
    /* Inversion by sequential search: expected mean + 1 steps. */
    double p = exp(-mean);
    double cdf = p;
    double u = strata_rng_uniform(g);
    int64_t k = 0;
    while (u > cdf && k < 1000) {
      k++;
      p *= mean / (double)k;
      cdf += p;
    }
    return k;
  }
  /* PTRS: Hormann, "The transformed rejection method for generating Poisson random
   * variables", Insurance: Mathematics and Economics 12 (1993). */
  double slam = sqrt(mean);
  double loglam = log(mean);
  double b = 0.931 + 2.53 * slam;
  double a = -0.059 + 0.02483 * b;
  double invalpha = 1.1239 + 1.1328 / (b - 3.4);
  double vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    double u = strata_rng_uniform(g) - 0.5;
    double v = strata_rng_uniform(g);
    double us = 0.5 - fabs(u);
    double k = floor((2.0 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return (int64_t)k;
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (log(v) + log(invalpha) - log(a / (us * us) + b) <= -mean + k * loglam - lgamma(k + 1.0))
      return (int64_t)k;
  }
}

int strata_rng_discrete(strata_rng *g, const double *weights, int n) {
  double total = 0.0;
  for (int i = 0; i < n; i++) total += weights[i];
  double u = strata_rng_uniform(g) * total;
  double acc = 0.0;
  for (int i = 0; i < n; i++) {
    acc += weights[i];
    if (u < acc) return i;
  }
  return n - 1;
}
