/*
 * clv_math.h — special functions and per-customer model terms shared by the CLV fits and
 * scores (src/clv/ only; tests include it to check the closed forms against quadrature).
 *
 * Everything here is a pure function: no allocation, no context, thread-safe.
 */
#ifndef STRATA_CLV_MATH_H
#define STRATA_CLV_MATH_H

#include <math.h>

/* log Gamma(x) for x > 0. Own implementation (Stirling series after an upward shift):
 * libm's lgamma writes the global `signgam`, a data race when called from threads. Absolute
 * error about 1e-15 for moderate x, relative 1e-16 for large x. */
double strata_clv_lgamma(double x);
/* digamma psi(x) for x > 0 (asymptotic series after an upward shift; about 1e-15). */
double strata_clv_digamma(double x);

/* (1 - exp(-e L)) / e for L >= 0, continuous through e == 0 (where it is L). */
static inline double strata_clv_expm1_ratio(double e, double L) {
  double y = e * L;
  if (fabs(y) < 1e-8) return L * (1.0 - 0.5 * y);
  return -expm1(-y) / e;
}

/* log(exp(a) + exp(b)) without overflow; -inf + -inf gives -inf. */
static inline double strata_clv_logaddexp(double a, double b) {
  double m = a > b ? a : b;
  if (m == -INFINITY) return -INFINITY;
  return m + log1p(exp(-fabs(a - b)));
}

/* Log-integrand for strata_clv_tanh_sinh_log: log f(u) given u, 1 - u and their logs (all
 * accurate even when u or 1 - u underflows). */
typedef double (*strata_clv_logfn)(void *arg, double u, double one_minus_u, double log_u,
                                   double log_one_minus_u);

/* log of the integral of exp(logf(u)) over (0, 1) by tanh-sinh (double-exponential)
 * quadrature (Takahasi & Mori 1974), halving the step until two levels agree to `tol`
 * (relative). Copes with integrable endpoint singularities and boundary layers; the sum is
 * kept in log space so nothing over- or underflows. Cost: 50 to 800 evaluations. */
double strata_clv_tanh_sinh_log(strata_clv_logfn logf, void *arg, double tol);

/* ---- BG/NBD and MBG/NBD (bb = b for BG/NBD, b + 1 for MBG/NBD) */

/* Expected purchases in (T, T + t] of a customer known to be alive at T:
 *   N(t) = E_p[(1 - (1 + p t / (alpha + T))^-(r + x)) / p],  p ~ Beta(a, bb + x),
 * which equals FHL (2005) eq. (10)'s numerator
 *   (a + bb + x - 1) / (a - 1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, bb+x; a+bb+x-1; z)]
 * with z = t / (alpha + T + t). Computed after Euler's transformation
 *   (1-z)^(r+x) 2F1(r+x, bb+x; c; z) = (1-z)^(a-1) 2F1(a+bb-1-r, a-1; c; z),
 * whose series has small numerator parameters and converges fast even for x in the
 * thousands, written so that a == 1 is no special case; tanh-sinh quadrature of the
 * Beta integral when z > 0.95. Finite and >= 0 for all valid input. */
double strata_clv_bg_alive_purchases(double r, double alpha, double a, double bb, double x,
                                     double T, double t);
/* Same with the series alone (no quadrature fallback), for tests of the switch. */
double strata_clv_bg_alive_purchases_series(double r, double alpha, double a, double bb, double x,
                                            double T, double t);
/* Same by quadrature alone. */
double strata_clv_bg_alive_purchases_quad(double r, double alpha, double a, double bb, double x,
                                          double T, double t);

/* log of the odds term of BG/NBD's P(alive): P(alive) = 1 / (1 + exp(result)), or -inf when
 * the customer is surely alive (BG/NBD with x == 0). */
double strata_clv_bg_log_dead_odds(double r, double alpha, double a, double bb, int modified,
                                   double x, double t_x, double T);

/* ---- Pareto/NBD */

/* log of  I = integral over y in [t_x, T] of (alpha + y)^-(r + x) (beta + y)^-(s + 1) dy,
 * the part of the Pareto/NBD likelihood for customers who died between t_x and T
 * (likelihood = Gamma(r+x) alpha^r beta^s / Gamma(r) * [(alpha+T)^-(r+x) (beta+T)^-s + s I]).
 * Fader & Hardie write I with 2F1(r+s+x, s+1 or r+x; r+s+x+1; z) at two arguments; here the
 * larger of alpha, beta is factored out so that 0 <= z < 1, Euler's transformation turns
 * each 2F1 into a series of positive, decreasing terms (ratio < z), and the two ends are
 * combined in log space; when z > 0.95 or the difference loses too many digits, I is
 * computed by tanh-sinh quadrature instead. -inf when t_x == T. */
double strata_clv_pnbd_log_gap(double r, double alpha, double s, double beta, double x, double t_x,
                               double T);
/* Series alone / quadrature alone, for tests. */
double strata_clv_pnbd_log_gap_series(double r, double alpha, double s, double beta, double x,
                                      double t_x, double T);
double strata_clv_pnbd_log_gap_quad(double r, double alpha, double s, double beta, double x,
                                    double t_x, double T);

#endif
