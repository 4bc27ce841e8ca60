/* CLV closed forms against independent numerics: P(alive), conditional expectations and
 * log-likelihoods of BG/NBD, MBG/NBD and Pareto/NBD against direct two-dimensional numerical
 * integration over the latent rates (GSL's QAGS/QAGIU); the hypergeometric pieces against
 * GSL's 2F1 and one-dimensional quadrature; special functions against GSL; and heavy buyers
 * (x = 5000, T = 1000) that must give finite, consistent scores. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_hyperg.h>
#include <gsl/gsl_sf_psi.h>
#include <math.h>
#include <stdlib.h>

#include "clv/clv.h"
#include "clv/clv_math.h"
#include "test_support.h"

/* ------------------------------------------------------------------ nested GSL quadrature */

typedef double (*fn2)(double outer, double inner, const void *arg);

typedef struct nested {
  fn2 f;
  const void *arg;
  double outer;
  int outer_unit; /* outer variable on (0, 1), else (0, inf) */
  gsl_integration_workspace *w_in, *w_out;
} nested;

static double inner_fn(double v, void *p) {
  nested *N = p;
  return N->f(N->outer, v, N->arg);
}

static double outer_fn(double u, void *p) {
  nested *N = p;
  N->outer = u;
  gsl_function F = {inner_fn, N};
  double res, err;
  int st = gsl_integration_qagiu(&F, 0.0, 0.0, 1e-11, 2000, N->w_in, &res, &err);
  if (st != GSL_SUCCESS && st != GSL_EROUND)
    fail_msg("inner integral failed: %s", gsl_strerror(st));
  return res;
}

/* integral over outer in (0,1) or (0,inf) of integral over inner in (0,inf) of f */
static double integrate2(fn2 f, const void *arg, int outer_unit) {
  nested N = {f,
              arg,
              0.0,
              outer_unit,
              gsl_integration_workspace_alloc(2000),
              gsl_integration_workspace_alloc(2000)};
  gsl_function F = {outer_fn, &N};
  double res, err;
  int st = outer_unit ? gsl_integration_qags(&F, 0.0, 1.0, 0.0, 1e-10, 2000, N.w_out, &res, &err)
                      : gsl_integration_qagiu(&F, 0.0, 0.0, 1e-10, 2000, N.w_out, &res, &err);
  if (st != GSL_SUCCESS && st != GSL_EROUND)
    fail_msg("outer integral failed: %s", gsl_strerror(st));
  gsl_integration_workspace_free(N.w_in);
  gsl_integration_workspace_free(N.w_out);
  return res;
}

static double gamma_pdf(double v, double shape, double rate) {
  return exp(shape * log(rate) + (shape - 1.0) * log(v) - rate * v - lgamma(shape));
}
static double beta_pdf(double p, double a, double b) {
  return exp((a - 1.0) * log(p) + (b - 1.0) * log1p(-p) - gsl_sf_lnbeta(a, b));
}

/* ------------------------------------------------------------------ BG/NBD and MBG/NBD by
 * integration */

typedef struct bg_case {
  double r, alpha, a, b;
  int modified;
  double x, t_x, T, t;
  int part; /* 0 alive likelihood, 1 total likelihood, 2 expected purchases while alive */
} bg_case;

/* outer = p (dropout probability), inner = lambda (purchase rate) */
static double bg_integrand(double p, double lambda, const void *varg) {
  const bg_case *c = varg;
  if (p <= 0.0 || p >= 1.0 || lambda <= 0.0) return 0.0;
  double dens = gamma_pdf(lambda, c->r, c->alpha) * beta_pdf(p, c->a, c->b);
  double lx = pow(lambda, c->x);
  /* Alive at T: survived every dropout chance (one per repeat purchase, plus the one after the
   * first purchase for MBG/NBD). */
  double alive = pow(1.0 - p, c->x + (c->modified ? 1.0 : 0.0)) * lx * exp(-lambda * c->T);
  if (c->part == 2) return (-expm1(-lambda * p * c->t) / p) * alive * dens;
  double dead = 0.0;
  if (c->modified || c->x > 0.0)
    dead = p * pow(1.0 - p, c->x - (c->modified ? 0.0 : 1.0)) * lx * exp(-lambda * c->t_x);
  return (c->part == 0 ? alive : alive + dead) * dens;
}

static void check_bg_case(bg_case c) {
  strata_clv_model model = c.modified ? STRATA_CLV_MBGNBD : STRATA_CLV_BGNBD;
  double params[4] = {c.r, c.alpha, c.a, c.b};
  c.part = 1;
  double total = integrate2(bg_integrand, &c, 1);
  c.part = 0;
  double alive = integrate2(bg_integrand, &c, 1);
  c.part = 2;
  double future = integrate2(bg_integrand, &c, 1);
  double pa = strata_clv_p_alive(model, params, c.x, c.t_x, c.T);
  double ce = strata_clv_expected_purchases(model, params, c.t, c.x, c.t_x, c.T);
  double ll = strata_clv_loglik1(model, params, c.x, c.t_x, c.T);
  if (fabs(pa - alive / total) > 1e-7)
    fail_msg("%s P(alive | %g, %g, %g) = %.12g, integration %.12g", c.modified ? "MBG" : "BG", c.x,
             c.t_x, c.T, pa, alive / total);
  if (fabs(ce - future / total) > 1e-7 * (1.0 + ce))
    fail_msg("%s E[Y(%g) | %g, %g, %g] = %.12g, integration %.12g", c.modified ? "MBG" : "BG", c.t,
             c.x, c.t_x, c.T, ce, future / total);
  if (fabs(ll - log(total)) > 1e-7)
    fail_msg("%s LL(%g, %g, %g) = %.12g, integration %.12g", c.modified ? "MBG" : "BG", c.x, c.t_x,
             c.T, ll, log(total));
}

static void test_bgnbd_against_integration(void **state) {
  (void)state;
  const double cases[][4] = {{0, 0, 30}, {1, 5, 30}, {4, 20.5, 31}, {10, 29.9, 30}, {2, 30, 30}};
  const double params[][4] = {
      {0.243, 4.414, 0.793, 2.426}, {0.9, 25.0, 1.7, 9.0}, {2.5, 3.0, 0.4, 0.6}};
  for (int m = 0; m < 2; m++)
    for (size_t k = 0; k < sizeof params / sizeof params[0]; k++)
      for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bg_case c = {params[k][0], params[k][1], params[k][2], params[k][3],         m,
                     cases[i][0],  cases[i][1],  cases[i][2],  k == 1 ? 90.0 : 39.0, 0};
        check_bg_case(c);
      }
}

/* ------------------------------------------------------------------ Pareto/NBD by integration */

typedef struct pnbd_case {
  double r, alpha, s, beta;
  double x, t_x, T, t;
  int part; /* 0 alive likelihood, 1 total likelihood, 2 expected purchases while alive */
} pnbd_case;

/* outer = mu (death rate), inner = lambda (purchase rate) */
static double pnbd_integrand(double mu, double lambda, const void *varg) {
  const pnbd_case *c = varg;
  if (mu <= 0.0 || lambda <= 0.0) return 0.0;
  double dens = gamma_pdf(lambda, c->r, c->alpha) * gamma_pdf(mu, c->s, c->beta);
  double lx = pow(lambda, c->x);
  double k = lambda + mu;
  double alive = lx * exp(-k * c->T);
  if (c->part == 0) return alive * dens;
  if (c->part == 2) return lambda * (-expm1(-mu * c->t) / mu) * alive * dens;
  /* died in (t_x, T]: mu / (lambda + mu) (e^{-k t_x} - e^{-k T}) */
  double dead = lx * mu * exp(-k * c->t_x) * (-expm1(-k * (c->T - c->t_x))) / k;
  return (alive + dead) * dens;
}

static void check_pnbd_case(pnbd_case c) {
  double params[4] = {c.r, c.alpha, c.s, c.beta};
  c.part = 1;
  double total = integrate2(pnbd_integrand, &c, 0);
  c.part = 0;
  double alive = integrate2(pnbd_integrand, &c, 0);
  c.part = 2;
  double future = integrate2(pnbd_integrand, &c, 0);
  double pa = strata_clv_p_alive(STRATA_CLV_PARETO_NBD, params, c.x, c.t_x, c.T);
  double ce = strata_clv_expected_purchases(STRATA_CLV_PARETO_NBD, params, c.t, c.x, c.t_x, c.T);
  double ll = strata_clv_loglik1(STRATA_CLV_PARETO_NBD, params, c.x, c.t_x, c.T);
  if (fabs(pa - alive / total) > 1e-7)
    fail_msg("Pareto P(alive | %g, %g, %g) = %.12g, integration %.12g", c.x, c.t_x, c.T, pa,
             alive / total);
  if (fabs(ce - future / total) > 1e-7 * (1.0 + ce))
    fail_msg("Pareto E[Y(%g) | %g, %g, %g] = %.12g, integration %.12g", c.t, c.x, c.t_x, c.T, ce,
             future / total);
  if (fabs(ll - log(total)) > 1e-7)
    fail_msg("Pareto LL(%g, %g, %g) = %.12g, integration %.12g", c.x, c.t_x, c.T, ll, log(total));
}

static void test_paretonbd_against_integration(void **state) {
  (void)state;
  const double cases[][3] = {{0, 0, 30}, {1, 5, 30}, {4, 20.5, 31}, {10, 29.9, 30}, {3, 1, 40}};
  /* alpha > beta, alpha < beta (the two branches of the 2F1), s near 1 and s > 1. */
  const double params[][4] = {{0.553, 10.578, 0.606, 11.669},
                              {0.553, 15.0, 0.606, 2.0},
                              {1.3, 2.0, 1.0000001, 30.0},
                              {0.7, 40.0, 2.5, 5.0}};
  for (size_t k = 0; k < sizeof params / sizeof params[0]; k++)
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      pnbd_case c = {params[k][0], params[k][1], params[k][2],
                     params[k][3], cases[i][0],  cases[i][1],
                     cases[i][2],  52.0,         0};
      check_pnbd_case(c);
    }
}

/* ------------------------------------------------------------------ hypergeometric pieces */

typedef struct gap_arg {
  double p, q, alpha, beta, t_x;
} gap_arg;

/* (alpha+y)^-p (beta+y)^-q relative to its value at t_x */
static double gap_integrand(double y, void *varg) {
  const gap_arg *g = varg;
  return exp(-g->p * log((g->alpha + y) / (g->alpha + g->t_x)) -
             g->q * log((g->beta + y) / (g->beta + g->t_x)));
}

static double gap_by_quadrature(double r, double alpha, double s, double beta, double x, double t_x,
                                double T) {
  gap_arg g = {r + x, s + 1.0, alpha, beta, t_x};
  gsl_function F = {gap_integrand, &g};
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(4000);
  double res, err;
  int st = gsl_integration_qag(&F, t_x, T, 0.0, 1e-13, 4000, GSL_INTEG_GAUSS61, w, &res, &err);
  if (st != GSL_SUCCESS && st != GSL_EROUND) fail_msg("gap quadrature: %s", gsl_strerror(st));
  gsl_integration_workspace_free(w);
  return log(res) - g.p * log(alpha + t_x) - g.q * log(beta + t_x);
}

/* Fader & Hardie's A0 with GSL's 2F1, where GSL can evaluate it (moderate parameters). */
static double gap_by_gsl_2f1(double r, double alpha, double s, double beta, double x, double t_x,
                             double T) {
  double c = r + s + x, m, b2, z1, z2;
  if (alpha >= beta) {
    m = alpha;
    b2 = s + 1.0;
    z1 = (alpha - beta) / (alpha + t_x);
    z2 = (alpha - beta) / (alpha + T);
  } else {
    m = beta;
    b2 = r + x;
    z1 = (beta - alpha) / (beta + t_x);
    z2 = (beta - alpha) / (beta + T);
  }
  double a0 = gsl_sf_hyperg_2F1(c, b2, c + 1.0, z1) / pow(m + t_x, c) -
              gsl_sf_hyperg_2F1(c, b2, c + 1.0, z2) / pow(m + T, c);
  return log(a0 / c);
}

static void test_pnbd_gap_against_quadrature(void **state) {
  (void)state;
  const double params[][4] = {{0.553, 10.578, 0.606, 11.669},
                              {0.553, 15.0, 0.606, 2.0},
                              {0.3, 0.5, 0.2, 400.0},
                              {0.3, 900.0, 0.2, 0.05},
                              {2.0, 30.0, 3.0, 30.0}};
  const double rows[][3] = {{0, 0, 30},        {1, 0.5, 30},        {7, 12, 40},
                            {30, 3, 38},       {200, 900, 1000},    {5000, 1, 1000},
                            {5000, 500, 1000}, {5000, 999.9, 1000}, {2, 29.999, 30}};
  for (size_t k = 0; k < sizeof params / sizeof params[0]; k++)
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
      const double *p = params[k], *c = rows[i];
      double got = strata_clv_pnbd_log_gap(p[0], p[1], p[2], p[3], c[0], c[1], c[2]);
      double quad = gap_by_quadrature(p[0], p[1], p[2], p[3], c[0], c[1], c[2]);
      double ts = strata_clv_pnbd_log_gap_quad(p[0], p[1], p[2], p[3], c[0], c[1], c[2]);
      if (!isfinite(got) || fabs(got - quad) > 1e-9 * (1.0 + fabs(quad)))
        fail_msg("log gap(%g,%g,%g,%g | %g,%g,%g) = %.15g, GSL quadrature %.15g", p[0], p[1], p[2],
                 p[3], c[0], c[1], c[2], got, quad);
      if (fabs(ts - quad) > 1e-9 * (1.0 + fabs(quad)))
        fail_msg("tanh-sinh gap %.15g, GSL %.15g", ts, quad);
      if (c[0] <= 30) { /* GSL's 2F1 copes here */
        double h = gap_by_gsl_2f1(p[0], p[1], p[2], p[3], c[0], c[1], c[2]);
        if (isfinite(h) && fabs(got - h) > 1e-8 * (1.0 + fabs(h)))
          fail_msg("log gap %.15g vs 2F1 form %.15g", got, h);
      }
    }
}

typedef struct beta_arg {
  double n, u, a, bp;
} beta_arg;

/* (1 - (1 + p u)^-n) / p times the Beta(a, bp) density */
static double alive_purchases_integrand(double p, void *varg) {
  const beta_arg *g = varg;
  if (p <= 0.0 || p >= 1.0) return 0.0;
  return -expm1(-g->n * log1p(p * g->u)) / p * beta_pdf(p, g->a, g->bp);
}

static void test_bg_alive_purchases(void **state) {
  (void)state;
  const double params[][4] = {{0.243, 4.414, 0.793, 2.426},
                              {0.9, 25.0, 1.0, 9.0},
                              {0.05, 1.0, 3.0, 0.2},
                              {4.0, 100.0, 0.999999, 1.5}};
  const double rows[][2] = {{0, 0}, {1, 30}, {5, 200}, {60, 500}, {5000, 1000}};
  const double horizons[] = {0.5, 39, 365, 5000, 1e5};
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(4000);
  for (size_t k = 0; k < sizeof params / sizeof params[0]; k++)
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
      for (size_t h = 0; h < sizeof horizons / sizeof horizons[0]; h++) {
        double r = params[k][0], alpha = params[k][1], a = params[k][2], b = params[k][3];
        double x = rows[i][0], T = rows[i][1], t = horizons[h];
        double got = strata_clv_bg_alive_purchases(r, alpha, a, b, x, T, t);
        beta_arg g = {r + x, t / (alpha + T), a, b + x};
        gsl_function F = {alive_purchases_integrand, &g};
        double ref, err;
        int st = gsl_integration_qags(&F, 0.0, 1.0, 0.0, 1e-12, 4000, w, &ref, &err);
        if (st != GSL_SUCCESS && st != GSL_EROUND) fail_msg("qags: %s", gsl_strerror(st));
        if (!isfinite(got) || fabs(got - ref) > 1e-8 * ref)
          fail_msg("N(t=%g | r=%g alpha=%g a=%g b=%g x=%g T=%g) = %.15g, quadrature %.15g", t, r,
                   alpha, a, b, x, T, got, ref);
        /* FHL (2005) eq. (10) with GSL's 2F1 where it converges (light buyers, z < 0.9). */
        double z = t / (alpha + T + t);
        if (x <= 5 && z < 0.9 && fabs(a - 1.0) > 1e-3) {
          gsl_sf_result res;
          if (gsl_sf_hyperg_2F1_e(r + x, b + x, a + b + x - 1.0, z, &res) == GSL_SUCCESS) {
            double fhl = (a + b + x - 1.0) / (a - 1.0) *
                         (1.0 - pow((alpha + T) / (alpha + T + t), r + x) * res.val);
            if (fabs(got - fhl) > 1e-8 * (1.0 + fabs(fhl)))
              fail_msg("N = %.15g, FHL eq. 10 with GSL 2F1 = %.15g", got, fhl);
          }
        }
        /* The series and the quadrature agree where both apply. */
        if (z <= 0.95) {
          double q = strata_clv_bg_alive_purchases_quad(r, alpha, a, b, x, T, t);
          if (fabs(q - got) > 1e-9 * got) fail_msg("series %.15g vs tanh-sinh %.15g", got, q);
        }
      }
  gsl_integration_workspace_free(w);
}

static void test_special_functions(void **state) {
  (void)state;
  for (double v = 1e-6; v < 1e7; v *= 1.7) {
    double lg = strata_clv_lgamma(v), ref = gsl_sf_lngamma(v);
    if (fabs(lg - ref) > 2e-14 * (1.0 + fabs(ref)))
      fail_msg("lgamma(%g) = %.17g vs %.17g", v, lg, ref);
    double ps = strata_clv_digamma(v), pref = gsl_sf_psi(v);
    if (fabs(ps - pref) > 2e-14 * (1.0 + fabs(pref)))
      fail_msg("digamma(%g) = %.17g vs %.17g", v, ps, pref);
  }
  /* expm1 ratio through e = 0 */
  assert_true(fabs(strata_clv_expm1_ratio(0.0, 2.0) - 2.0) < 1e-15);
  assert_true(fabs(strata_clv_expm1_ratio(1e-12, 2.0) - 2.0) < 1e-11);
  assert_true(fabs(strata_clv_expm1_ratio(0.5, 2.0) - (1.0 - exp(-1.0)) / 0.5) < 1e-15);
}

typedef struct beta_log_arg {
  double a, b;
} beta_log_arg;

static double log_beta_kernel(void *varg, double u, double v, double lu, double lv) {
  const beta_log_arg *g = varg;
  (void)u;
  (void)v;
  return (g->a - 1.0) * lu + (g->b - 1.0) * lv;
}

static void test_tanh_sinh(void **state) {
  (void)state;
  const double ab[][2] = {{0.05, 0.3}, {1, 1}, {0.5, 0.5}, {30, 2}, {3000, 0.2}, {1e-3, 1e-3}};
  for (size_t i = 0; i < sizeof ab / sizeof ab[0]; i++) {
    beta_log_arg g = {ab[i][0], ab[i][1]};
    double got = strata_clv_tanh_sinh_log(log_beta_kernel, &g, 1e-13);
    double ref = gsl_sf_lnbeta(ab[i][0], ab[i][1]);
    if (fabs(got - ref) > 1e-11 * (1.0 + fabs(ref)))
      fail_msg("log B(%g, %g) = %.15g, tanh-sinh %.15g", ab[i][0], ab[i][1], ref, got);
  }
}

/* ------------------------------------------------------------------ heavy buyers */

static void test_heavy_buyers_are_finite(void **state) {
  (void)state;
  const double bg[][4] = {
      {0.243, 4.414, 0.793, 2.426}, {0.9, 25.0, 0.9, 9.0}, {0.2, 0.01, 5.0, 0.3}};
  const double pn[][4] = {{0.553, 10.578, 0.606, 11.669},
                          {0.553, 900.0, 0.606, 0.5},
                          {0.553, 0.5, 0.606, 900.0},
                          {1.0, 10.0, 1.0, 10.0}};
  const double tx[] = {0.0001, 1, 100, 500, 999, 999.99, 1000};
  const double horizons[] = {1, 39, 1000, 1e6};
  for (size_t k = 0; k < 3; k++)
    for (int mod = 0; mod < 2; mod++)
      for (size_t i = 0; i < sizeof tx / sizeof tx[0]; i++) {
        strata_clv_model m = mod ? STRATA_CLV_MBGNBD : STRATA_CLV_BGNBD;
        double pa = strata_clv_p_alive(m, bg[k], 5000, tx[i], 1000);
        double ll = strata_clv_loglik1(m, bg[k], 5000, tx[i], 1000);
        if (!(pa >= 0.0 && pa <= 1.0) || !isfinite(ll))
          fail_msg("BG heavy buyer t_x = %g: P(alive) %g, LL %g", tx[i], pa, ll);
        double prev = 0.0;
        for (size_t h = 0; h < sizeof horizons / sizeof horizons[0]; h++) {
          double e = strata_clv_expected_purchases(m, bg[k], horizons[h], 5000, tx[i], 1000);
          if (!isfinite(e) || e < prev) fail_msg("BG heavy buyer E[Y(%g)] = %g", horizons[h], e);
          prev = e;
        }
      }
  /* Alive with certainty-ish: x = 5000 purchases up to T. The rate of an alive customer is
   * (r + x) / (alpha + T) per time unit, so E[Y(1)] is close to it. */
  double e1 = strata_clv_expected_purchases(STRATA_CLV_BGNBD, bg[0], 1, 5000, 1000, 1000);
  assert_true(fabs(e1 - 5000.243 / 1004.414) < 0.01);
  for (size_t k = 0; k < sizeof pn / sizeof pn[0]; k++)
    for (size_t i = 0; i < sizeof tx / sizeof tx[0]; i++) {
      double pa = strata_clv_p_alive(STRATA_CLV_PARETO_NBD, pn[k], 5000, tx[i], 1000);
      double ll = strata_clv_loglik1(STRATA_CLV_PARETO_NBD, pn[k], 5000, tx[i], 1000);
      if (!(pa >= 0.0 && pa <= 1.0) || !isfinite(ll))
        fail_msg("Pareto heavy buyer t_x = %g: P(alive) %g, LL %g", tx[i], pa, ll);
      for (size_t h = 0; h < sizeof horizons / sizeof horizons[0]; h++) {
        double e = strata_clv_expected_purchases(STRATA_CLV_PARETO_NBD, pn[k], horizons[h], 5000,
                                                 tx[i], 1000);
        if (!isfinite(e) || e < 0.0) fail_msg("Pareto heavy buyer E[Y(%g)] = %g", horizons[h], e);
      }
    }
  /* The batch scorer on a mix of heavy and light buyers, with CLV. */
  strata_ctx *ctx = test_ctx(2);
  enum { N = 8 };
  double x[N] = {5000, 5000, 5000, 0, 1, 3000, 5000, 20000};
  double t_x[N] = {1000, 0.5, 999.99, 0, 1000, 10, 1000, 1000};
  double T[N] = {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000};
  double m[N] = {35, 35, 35, 0, 10, 1e6, 0.01, 5};
  double pa[N], ep[N], es[N], clv[N];
  strata_clv_fit gg = {0};
  gg.model = STRATA_CLV_GAMMA_GAMMA;
  gg.params[0] = 6.25;
  gg.params[1] = 3.74;
  gg.params[2] = 15.44;
  strata_clv_score_params sp;
  strata_clv_score_params_init(&sp);
  sp.horizon = 52;
  sp.clv_period_length = 4.345;
  sp.clv_periods = 120;
  for (int model = 0; model < 3; model++) {
    strata_clv_fit counts = {0};
    counts.model = model == 0   ? STRATA_CLV_BGNBD
                   : model == 1 ? STRATA_CLV_MBGNBD
                                : STRATA_CLV_PARETO_NBD;
    for (int j = 0; j < 4; j++) counts.params[j] = model == 2 ? pn[0][j] : bg[0][j];
    strata_clv_scores sc = {pa, ep, es, clv};
    assert_int_equal(strata_clv_score(ctx, &counts, &gg, x, t_x, T, m, N, &sp, &sc), STRATA_OK);
    for (int i = 0; i < N; i++)
      if (!(isfinite(pa[i]) && isfinite(ep[i]) && isfinite(es[i]) && isfinite(clv[i]) &&
            pa[i] >= 0 && pa[i] <= 1 && ep[i] >= 0 && clv[i] >= 0))
        fail_msg("%s row %d: P(alive) %g, E[Y] %g, spend %g, CLV %g",
                 strata_clv_model_name(counts.model), i, pa[i], ep[i], es[i], clv[i]);
  }
  strata_ctx_free(ctx);
}

/* Gamma-Gamma conditional mean against integration over the posterior of nu. */
typedef struct gg_arg {
  double p, q, gamma, x, m;
  int part;
} gg_arg;

static double gg_integrand(double nu, void *varg) {
  const gg_arg *g = varg;
  if (nu <= 0.0) return 0.0;
  /* likelihood of the mean of x Gamma(p, nu) spends, up to a factor free of nu, times the
   * Gamma(q, gamma) prior */
  double lik = exp(g->p * g->x * log(nu) - nu * g->x * g->m) * gamma_pdf(nu, g->q, g->gamma);
  return g->part ? g->p / nu * lik : lik;
}

static void test_gamma_gamma_mean(void **state) {
  (void)state;
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
  const double cases[][2] = {{1, 10}, {3, 35.5}, {20, 5}};
  for (size_t i = 0; i < 3; i++) {
    gg_arg g = {6.25, 3.74, 15.44, cases[i][0], cases[i][1], 0};
    gsl_function F = {gg_integrand, &g};
    double den, num, err;
    gsl_integration_qagiu(&F, 0.0, 0.0, 1e-12, 2000, w, &den, &err);
    g.part = 1;
    gsl_integration_qagiu(&F, 0.0, 0.0, 1e-12, 2000, w, &num, &err);
    double got = strata_clv_expected_spend((double[]){6.25, 3.74, 15.44}, g.x, g.m);
    if (fabs(got - num / den) > 1e-8 * got)
      fail_msg("E[M] %.12g vs integration %.12g", got, num / den);
  }
  gsl_integration_workspace_free(w);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_special_functions),
      cmocka_unit_test(test_tanh_sinh),
      cmocka_unit_test(test_bg_alive_purchases),
      cmocka_unit_test(test_pnbd_gap_against_quadrature),
      cmocka_unit_test(test_bgnbd_against_integration),
      cmocka_unit_test(test_paretonbd_against_integration),
      cmocka_unit_test(test_gamma_gamma_mean),
      cmocka_unit_test(test_heavy_buyers_are_finite),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
