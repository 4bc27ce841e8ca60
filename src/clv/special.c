/*
 * Special functions for the CLV models: log-gamma, digamma, tanh-sinh quadrature in log
 * space, and the two hypergeometric quantities the models need:
 *
 *  - BG/NBD's expected purchases of an alive customer (FHL 2005 eq. 10 without the P(alive)
 *    factor), a 2F1(r+x, b+x; a+b+x-1; z) that lifetimes evaluates directly and that
 *    overflows or cancels for heavy buyers. Euler's transformation moves the large
 *    parameters to the denominator, where they speed the series up instead.
 *  - Pareto/NBD's "died between t_x and T" integral (Fader & Hardie 2005 note, eq. for A0),
 *    two 2F1(r+s+x, ., r+s+x+1; z) whose series converge slowly near |z| = 1 and whose
 *    difference cancels. Factoring out the larger rate makes 0 <= z < 1, Euler's
 *    transformation gives positive decreasing terms (ratio < z), and the result stays in
 *    log space.
 *
 * Both fall back on tanh-sinh quadrature of their integral representation where a series
 * would need more than about 800 terms (argument above 0.95). Cost: series O(terms), with
 * terms ~ log(eps) / log(z) at worst and far fewer for heavy buyers.
 */
#include <float.h>
#include <math.h>

#include "clv/clv_math.h"

#define LOG_2PI_HALF 0.91893853320467274178 /* log(2 pi) / 2 */
#define SERIES_Z_MAX 0.95                   /* beyond: quadrature */
#define SERIES_MAX_TERMS 4000

double strata_clv_lgamma(double x) {
  if (!(x > 0.0)) return x == 0.0 ? INFINITY : NAN;
  if (x > 1e15) return x * (log(x) - 1.0); /* beyond double resolution of the correction */
  /* Shift up to x >= 15, where 7 Stirling terms leave an error below 1e-19. The product of
   * the shifted factors stays below 30^15, far from overflow. */
  double prod = 1.0;
  while (x < 15.0) {
    prod *= x;
    x += 1.0;
  }
  double inv = 1.0 / x, inv2 = inv * inv;
  double series =
      inv *
      (1.0 / 12.0 +
       inv2 * (-1.0 / 360.0 +
               inv2 * (1.0 / 1260.0 +
                       inv2 * (-1.0 / 1680.0 + inv2 * (1.0 / 1188.0 + inv2 * (-691.0 / 360360.0 +
                                                                              inv2 / 156.0))))));
  return (x - 0.5) * log(x) - x + LOG_2PI_HALF + series - log(prod);
}

double strata_clv_digamma(double x) {
  if (!(x > 0.0)) return NAN;
  double acc = 0.0;
  while (x < 12.0) {
    acc -= 1.0 / x;
    x += 1.0;
  }
  double f = 1.0 / (x * x);
  double t =
      f * (-1.0 / 12.0 +
           f * (1.0 / 120.0 +
                f * (-1.0 / 252.0 + f * (1.0 / 240.0 + f * (-1.0 / 132.0 + f * 691.0 / 32760.0)))));
  return acc + log(x) - 0.5 / x + t;
}

/* ------------------------------------------------------------------ tanh-sinh */

typedef struct ts_acc {
  double max; /* running maximum of the log-terms */
  double sum; /* sum of exp(term - max) */
} ts_acc;

static void ts_add(ts_acc *acc, double g) {
  if (!(g > -INFINITY)) return;
  if (g > acc->max) {
    acc->sum = acc->sum * exp(acc->max - g) + 1.0;
    acc->max = g;
  } else {
    acc->sum += exp(g - acc->max);
  }
}

/* log of the transformed integrand at tau: u = 1 / (1 + exp(-pi sinh tau)). */
static double ts_node(strata_clv_logfn logf, void *arg, double tau) {
  double s = 3.14159265358979323846 * sinh(tau);
  double u, v, log_u, log_v;
  if (s >= 0.0) {
    double e = exp(-s);
    double l = log1p(e);
    u = 1.0 / (1.0 + e);
    v = e / (1.0 + e);
    log_u = -l;
    log_v = -s - l;
  } else {
    double e = exp(s);
    double l = log1p(e);
    u = e / (1.0 + e);
    v = 1.0 / (1.0 + e);
    log_u = s - l;
    log_v = -l;
  }
  double g = logf(arg, u, v, log_u, log_v);
  /* du/dtau = pi cosh(tau) u (1 - u) */
  return g + log(3.14159265358979323846 * cosh(tau)) + log_u + log_v;
}

double strata_clv_tanh_sinh_log(strata_clv_logfn logf, void *arg, double tol) {
  const double tau_max = 12.0; /* u down to exp(-255000): enough for u^(1e-3 - 1) */
  const double cut = 46.0;     /* terms below exp(-46) ~ 1e-20 of the peak are dropped */
  double h = 0.5;
  ts_acc acc = {-INFINITY, 0.0};
  /* Level 0: walk out from 0 on each side until the terms are negligible. */
  double extent[2] = {tau_max, tau_max};
  ts_add(&acc, ts_node(logf, arg, 0.0));
  for (int side = 0; side < 2; side++) {
    double sign = side ? -1.0 : 1.0;
    int small = 0;
    for (double tau = h; tau <= tau_max; tau += h) {
      double g = ts_node(logf, arg, sign * tau);
      ts_add(&acc, g);
      if (!(g > acc.max - cut)) {
        if (++small == 2) {
          extent[side] = tau;
          break;
        }
      } else {
        small = 0;
      }
    }
  }
  double prev = log(h) + acc.max + log(acc.sum);
  double result = prev;
  for (int level = 1; level <= 8; level++) {
    h *= 0.5;
    for (int side = 0; side < 2; side++) {
      double sign = side ? -1.0 : 1.0;
      for (double tau = h; tau <= extent[side] + 0.5; tau += 2.0 * h)
        ts_add(&acc, ts_node(logf, arg, sign * tau));
    }
    result = log(h) + acc.max + log(acc.sum);
    /* Errors shrink roughly quadratically per level: agreement to tol is conservative. */
    if (level >= 2 && fabs(result - prev) <= tol) break;
    prev = result;
  }
  return result;
}

/* ------------------------------------------------------------------ BG/NBD family */

double strata_clv_bg_alive_purchases_series(double r, double alpha, double a, double bb, double x,
                                            double T, double t) {
  if (!(t > 0.0)) return 0.0;
  double c = a + bb + x - 1.0; /* 2F1's c; c + k > 0 for k >= 1 */
  double A = a + bb - 1.0 - r; /* c - (r + x), without x's rounding */
  double eps = a - 1.0;
  double L = log1p(t / (alpha + T)); /* -log(1 - z) */
  double z = t / (alpha + T + t);
  /* U = c * (2F1(A, eps; c; z) - 1) / eps = sum_{k>=1} (A)_k (eps+1)_{k-1} z^k /
   * ((c+1)_{k-1} k!), free of divisions by eps and by c. */
  double term = A * z, U = term;
  double scale = fabs(c * strata_clv_expm1_ratio(eps, L));
  for (int k = 1; k < SERIES_MAX_TERMS; k++) {
    double ratio = (A + k) * (eps + k) / ((c + k) * (k + 1.0)) * z;
    term *= ratio;
    U += term;
    if (fabs(term) <= 1e-17 * (fabs(U) + scale) && fabs(ratio) < 1.0) break;
  }
  double N = c * strata_clv_expm1_ratio(eps, L) - exp(-eps * L) * U;
  return N > 0.0 ? N : 0.0;
}

typedef struct bg_quad_arg {
  double n, u, a, beta_p, log_beta_fn;
} bg_quad_arg;

/* log of (1 - (1 + p u)^-n) / p * p^(a-1) (1-p)^(beta'-1) / B(a, beta') */
static double bg_quad_logf(void *varg, double p, double q, double log_p, double log_q) {
  const bg_quad_arg *g = varg;
  (void)q;
  double h;
  if (p == 0.0) {
    h = g->n * g->u;
  } else {
    double y = g->n * log1p(p * g->u);
    h = -expm1(-y) / p;
  }
  if (!(h > 0.0)) return -INFINITY;
  return log(h) + (g->a - 1.0) * log_p + (g->beta_p - 1.0) * log_q - g->log_beta_fn;
}

double strata_clv_bg_alive_purchases_quad(double r, double alpha, double a, double bb, double x,
                                          double T, double t) {
  if (!(t > 0.0)) return 0.0;
  bg_quad_arg g;
  g.n = r + x;
  g.u = t / (alpha + T);
  g.a = a;
  g.beta_p = bb + x;
  g.log_beta_fn =
      strata_clv_lgamma(a) + strata_clv_lgamma(g.beta_p) - strata_clv_lgamma(a + g.beta_p);
  return exp(strata_clv_tanh_sinh_log(bg_quad_logf, &g, 1e-13));
}

double strata_clv_bg_alive_purchases(double r, double alpha, double a, double bb, double x,
                                     double T, double t) {
  if (!(t > 0.0)) return 0.0;
  double z = t / (alpha + T + t);
  if (z <= SERIES_Z_MAX) return strata_clv_bg_alive_purchases_series(r, alpha, a, bb, x, T, t);
  return strata_clv_bg_alive_purchases_quad(r, alpha, a, bb, x, T, t);
}

double strata_clv_bg_log_dead_odds(double r, double alpha, double a, double bb, int modified,
                                   double x, double t_x, double T) {
  if (!modified && x == 0.0) return -INFINITY;
  return log(a / (bb + x - 1.0)) + (r + x) * log1p((T - t_x) / (alpha + t_x));
}

/* ------------------------------------------------------------------ Pareto/NBD */

/* The side factored out: I = (m + t_x)^-c * G, G = int_{v0}^{1} v^(c-1) (1 - z v)^(-e) dv. */
typedef struct pnbd_gap {
  double c, e, z, log_m_tx, log_v0;
} pnbd_gap;

static void pnbd_gap_setup(double r, double alpha, double s, double beta, double x, double t_x,
                           double T, pnbd_gap *g) {
  double p = r + x, q = s + 1.0;
  g->c = r + s + x;
  double m;
  if (alpha >= beta) {
    m = alpha;
    g->e = q;
    g->z = (alpha - beta) / (alpha + t_x);
  } else {
    m = beta;
    g->e = p;
    g->z = (beta - alpha) / (beta + t_x);
  }
  g->log_m_tx = log(m + t_x);
  g->log_v0 = -log1p((T - t_x) / (m + t_x));
}

/* H(y) = 2F1(c+1-e, 1; c+1; y) = sum_k (c+1-e)_k / (c+1)_k y^k: positive terms with ratio < y.
 * Both ends of the gap need H, at y1 = z and y0 = z v0 <= y1, with the same coefficients, so
 * one pass serves both, and the coefficients come in pairs from one division (near z = 0.95
 * the series takes hundreds of terms; measured: the Pareto/NBD fit of 100,000 generated
 * customers 9 % faster than two separate series). Writes log H(y1) and log H(y0). */
static void pnbd_log_h2(double c, double e, double y1, double y0, double *log_h1, double *log_h0) {
  const double num = c + 1.0 - e, den = c + 1.0;
  double t1 = 1.0, s1 = 1.0, t0 = 1.0, s0 = 1.0;
  int open1 = 1, open0 = 1;
  for (int k = 0; k < SERIES_MAX_TERMS && (open1 || open0); k += 2) {
    const double inv = 1.0 / ((den + k) * (den + k + 1.0));
    const double ca = (num + k) * (den + k + 1.0) * inv; /* (num + k) / (den + k) */
    const double cb = (num + k + 1.0) * (den + k) * inv; /* (num + k + 1) / (den + k + 1) */
    if (open1) {
      t1 *= ca * y1;
      s1 += t1;
      t1 *= cb * y1;
      s1 += t1;
      open1 = !(t1 * y1 <= 1e-17 * (1.0 - y1) * s1);
    }
    if (open0) {
      t0 *= ca * y0;
      s0 += t0;
      t0 *= cb * y0;
      s0 += t0;
      open0 = !(t0 * y0 <= 1e-17 * (1.0 - y0) * s0);
    }
  }
  *log_h1 = log(s1);
  *log_h0 = log(s0);
}

/* log of the series form, or NaN when the two ends cancel too much (caller falls back). */
static double pnbd_series(const pnbd_gap *g) {
  double c = g->c, e = g->e, z = g->z;
  double zv0 = z * exp(g->log_v0);
  double h1, h0;
  pnbd_log_h2(c, e, z, zv0, &h1, &h0);
  /* int_0^v v'^(c-1) (1 - z v')^-e dv' = v^c / c (1 - z v)^(1-e) H(z v)  (Euler) */
  double l1 = (1.0 - e) * log1p(-z) + h1;
  double l0 = c * g->log_v0 + (1.0 - e) * log1p(-zv0) + h0;
  double d = l0 - l1;
  if (!(d < -1e-4)) return NAN; /* relative error would exceed ~1e-12 */
  return -c * g->log_m_tx + l1 + log(-expm1(d)) - log(c);
}

typedef struct pnbd_quad_arg {
  double c, e, z, w0, one_minus_w0;
} pnbd_quad_arg;

/* Integrand of G after w = v^c, w = w0 + (1 - w0) u:  (1 - z v)^-e, v = w^(1/c). */
static double pnbd_quad_logf(void *varg, double u, double one_minus_u, double log_u,
                             double log_one_minus_u) {
  const pnbd_quad_arg *g = varg;
  (void)log_u;
  (void)log_one_minus_u;
  double gap = g->one_minus_w0 * one_minus_u; /* 1 - w */
  double log_w = gap < 0.5 ? log1p(-gap) : log(g->w0 + g->one_minus_w0 * u);
  double one_minus_v = -expm1(log_w / g->c);
  double base = (1.0 - g->z) + g->z * one_minus_v; /* 1 - z v, both terms >= 0 */
  return -g->e * log(base);
}

static double pnbd_quad(const pnbd_gap *g) {
  pnbd_quad_arg q;
  q.c = g->c;
  q.e = g->e;
  q.z = g->z;
  double cl = g->c * g->log_v0; /* log w0 */
  q.w0 = exp(cl);
  q.one_minus_w0 = -expm1(cl);
  double li = strata_clv_tanh_sinh_log(pnbd_quad_logf, &q, 1e-13);
  return -g->c * g->log_m_tx + log(q.one_minus_w0) - log(g->c) + li;
}

double strata_clv_pnbd_log_gap_series(double r, double alpha, double s, double beta, double x,
                                      double t_x, double T) {
  if (!(T > t_x)) return -INFINITY;
  pnbd_gap g;
  pnbd_gap_setup(r, alpha, s, beta, x, t_x, T, &g);
  return pnbd_series(&g);
}

double strata_clv_pnbd_log_gap_quad(double r, double alpha, double s, double beta, double x,
                                    double t_x, double T) {
  if (!(T > t_x)) return -INFINITY;
  pnbd_gap g;
  pnbd_gap_setup(r, alpha, s, beta, x, t_x, T, &g);
  return pnbd_quad(&g);
}

double strata_clv_pnbd_log_gap(double r, double alpha, double s, double beta, double x, double t_x,
                               double T) {
  if (!(T > t_x)) return -INFINITY;
  pnbd_gap g;
  pnbd_gap_setup(r, alpha, s, beta, x, t_x, T, &g);
  if (g.z <= SERIES_Z_MAX) {
    double v = pnbd_series(&g);
    if (v == v) return v;
  }
  return pnbd_quad(&g);
}
