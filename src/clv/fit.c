/*
 * Maximum-likelihood fits of the CLV models with NLopt, on log-parameters.
 *
 *  BG/NBD, MBG/NBD  LL_i = A1 + A2 + log(exp(A3) + [x>0 or MBG] exp(A4))   (FHL 2005 sec. 7,
 *                   lifetimes' ModifiedBetaGeoFitter); analytic gradient with digamma.
 *                   Optimiser NLopt LD_LBFGS.
 *  Pareto/NBD       LL_i = log Gamma(r+x)/Gamma(r) + r log alpha + s log beta
 *                          + log((alpha+T)^-(r+x) (beta+T)^-s + s I)   (Fader & Hardie 2005
 *                   note), I from strata_clv_pnbd_log_gap. Derivative-free NLopt LN_BOBYQA: the
 *                   gradient would have to differentiate the hypergeometric series in all four
 *                   parameters.
 *  Gamma-Gamma      LL_i = log Gamma(px+q) - log Gamma(px) - log Gamma(q) + q log gamma
 *                          + (px-1) log m + px log x - (px+q) log(x m + gamma)
 *                   (Fader & Hardie 2013 eq. 1a); analytic gradient, LD_LBFGS.
 *
 * Terms that depend on x alone (log-gammas, digammas) are computed once per distinct x and
 * evaluation; the sum over rows runs on the block driver with per-block partials added in
 * block order, so the log-likelihood, hence every optimiser step, is bit-identical for any
 * thread count. Convergence is judged by the gradient of the objective at the end (analytic,
 * or central differences for Pareto/NBD), not only by NLopt's return code. Standard errors
 * come from the inverse of the numerical Hessian (central differences of the gradient, or
 * second differences of the objective for Pareto/NBD) of the penalised total log-likelihood in
 * log-parameters, mapped back with the delta method (exact at a stationary point).
 * Cost per evaluation: O(unique rows + distinct x), a few logs and exps per row.
 */
#include <math.h>
#include <nlopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clv/clv_internal.h"
#include "clv/clv_math.h"
#include "core/driver.h"

#define BLOCK_ROWS 2048
#define LOG_BOUND 20.7 /* parameters kept in [1e-9, 1e9] */

void strata_clv_fit_params_init(strata_clv_fit_params *p) {
  if (p == NULL) return;
  memset(p, 0, sizeof *p);
  p->penalizer = 0.0;
  p->max_evals = 5000;
  p->xtol_rel = 1e-10;
  p->gtol = 1e-5;
}

/* ------------------------------------------------------------------ evaluation state */

typedef struct fit_problem fit_problem;
/* Total weighted log-likelihood at theta; gradient with respect to theta into `grad` when it
 * is not NULL (only for problems with analytic gradients). */
typedef strata_status (*loglik_fn)(fit_problem *P, const double *theta, double *ll, double *grad);

struct fit_problem {
  strata_ctx *ctx;
  strata_clv_model model;
  int np;
  int analytic; /* loglik_fn gives a gradient */
  loglik_fn loglik;
  double W; /* total weight: the objective is a mean */
  double penalizer;
  double pen_scale[STRATA_CLV_MAX_PARAMS];
  int evals;
  strata_status status; /* first failure inside an NLopt callback */
  /* purchase models */
  const strata_clv_suffstats *ss;
  /* Gamma-Gamma rows (x > 0 only) */
  int64_t g_n;
  double *g_x, *g_logm, *g_m, *g_w;
  int32_t *g_xi;
  double *g_xv;
  int64_t g_nx;
  /* per-x tables, recomputed at each evaluation */
  double *tab; /* 8 doubles per distinct x */
  double theta[STRATA_CLV_MAX_PARAMS];
};

/* The block driver, except that a sum that fits one block runs on the calling thread: waking
 * a team for a few hundred rows costs more than the rows (and far more when the cores are
 * shared). The arithmetic is the driver's: one block's partials added to zeros. */
static strata_status sum_blocks(strata_ctx *ctx, int64_t n, int64_t block_rows, size_t np,
                                strata_block_fn fn, void *arg, double *sum) {
  if (n > block_rows)
    return strata_for_blocks(ctx, "clv likelihood", n, block_rows, np, fn, arg, sum);
  double t0 = strata_now();
  double partial[8] = {0};
  if (n > 0) fn(arg, 0, 0, n, partial);
  for (size_t j = 0; j < np; j++) sum[j] = 0.0 + partial[j];
  strata_phase_add(ctx, "clv likelihood", strata_now() - t0);
  return STRATA_OK;
}

/* ------------------------------------------------------------------ BG/NBD and MBG/NBD */

enum { BG_A12, BG_DR, BG_DA, BG_DB, BG_L4, BG_I4, BG_HAS4, BG_TAB };

static void bg_block(void *arg, int64_t block, int64_t begin, int64_t end, double *partial) {
  const fit_problem *P = arg;
  const strata_clv_suffstats *ss = P->ss;
  (void)block;
  double r = P->theta[0], alpha = P->theta[1], a = P->theta[2];
  double log_alpha = log(alpha);
  double ll = 0, g0 = 0, g1 = 0, g2 = 0, g3 = 0;
  for (int64_t i = begin; i < end; i++) {
    const double *t = P->tab + (size_t)ss->xi[i] * 8;
    double x = ss->xv[ss->xi[i]], n = r + x, w = ss->w[i];
    double la3 = log(alpha + ss->T[i]);
    double a3 = -n * la3;
    double li, w3 = 1.0, w4 = 0.0, la4 = 0.0;
    if (t[BG_HAS4] != 0.0) {
      la4 = log(alpha + ss->t_x[i]);
      double a4 = t[BG_L4] - n * la4;
      /* log(e^a3 + e^a4) = max + log1p(e^-|a3 - a4|): one exp and one log1p per row */
      double e = exp(-fabs(a3 - a4));
      double inv = 1.0 / (1.0 + e);
      li = t[BG_A12] + (a3 > a4 ? a3 : a4) + log1p(e);
      w3 = a3 >= a4 ? inv : e * inv;
      w4 = 1.0 - w3;
    } else {
      li = t[BG_A12] + a3;
    }
    ll += w * li;
    g0 += w * (t[BG_DR] + log_alpha - w3 * la3 - w4 * la4);
    g1 += w * (r / alpha - w3 * n / (alpha + ss->T[i]) - w4 * n / (alpha + ss->t_x[i]));
    g2 += w * (t[BG_DA] + w4 / a);
    g3 += w * (t[BG_DB] - w4 * t[BG_I4]);
  }
  partial[0] = ll;
  partial[1] = g0;
  partial[2] = g1;
  partial[3] = g2;
  partial[4] = g3;
}

static strata_status bg_loglik(fit_problem *P, const double *theta, double *ll, double *grad) {
  const strata_clv_suffstats *ss = P->ss;
  int modified = P->model == STRATA_CLV_MBGNBD;
  double r = theta[0], alpha = theta[1], a = theta[2], b = theta[3];
  double bb = modified ? b + 1.0 : b;
  memcpy(P->theta, theta, 4 * sizeof *theta);
  double lg_r = strata_clv_lgamma(r), lg_b = strata_clv_lgamma(b);
  double lg_ab = strata_clv_lgamma(a + b);
  double ps_r = strata_clv_digamma(r), ps_b = strata_clv_digamma(b);
  double ps_ab = strata_clv_digamma(a + b);
  for (int64_t j = 0; j < ss->n_x; j++) {
    double x = ss->xv[j];
    double *t = P->tab + (size_t)j * 8;
    double ps_abx = strata_clv_digamma(a + bb + x);
    t[BG_A12] = strata_clv_lgamma(r + x) - lg_r + r * log(alpha) + lg_ab +
                strata_clv_lgamma(bb + x) - lg_b - strata_clv_lgamma(a + bb + x);
    t[BG_DR] = strata_clv_digamma(r + x) - ps_r;
    t[BG_DA] = ps_ab - ps_abx;
    t[BG_DB] = ps_ab + strata_clv_digamma(bb + x) - ps_b - ps_abx;
    int has4 = modified || x > 0.0;
    t[BG_HAS4] = has4;
    t[BG_L4] = has4 ? log(a) - log(bb + x - 1.0) : 0.0;
    t[BG_I4] = has4 ? 1.0 / (bb + x - 1.0) : 0.0;
  }
  double sum[5];
  strata_status st = sum_blocks(P->ctx, ss->n, BLOCK_ROWS, 5, bg_block, P, sum);
  if (st != STRATA_OK) return st;
  *ll = sum[0];
  if (grad)
    for (int j = 0; j < 4; j++) grad[j] = sum[1 + j];
  return STRATA_OK;
}

/* ------------------------------------------------------------------ Pareto/NBD */

static void pnbd_block(void *arg, int64_t block, int64_t begin, int64_t end, double *partial) {
  const fit_problem *P = arg;
  const strata_clv_suffstats *ss = P->ss;
  (void)block;
  double r = P->theta[0], alpha = P->theta[1], s = P->theta[2], beta = P->theta[3];
  double log_s = log(s);
  double ll = 0.0;
  for (int64_t i = begin; i < end; i++) {
    double x = ss->xv[ss->xi[i]];
    double l1 = -(r + x) * log(alpha + ss->T[i]) - s * log(beta + ss->T[i]);
    double l2 = log_s + strata_clv_pnbd_log_gap(r, alpha, s, beta, x, ss->t_x[i], ss->T[i]);
    ll += ss->w[i] * (P->tab[ss->xi[i]] + strata_clv_logaddexp(l1, l2));
  }
  partial[0] = ll;
}

static strata_status pnbd_loglik(fit_problem *P, const double *theta, double *ll, double *grad) {
  const strata_clv_suffstats *ss = P->ss;
  (void)grad;
  memcpy(P->theta, theta, 4 * sizeof *theta);
  double r = theta[0], alpha = theta[1], s = theta[2], beta = theta[3];
  double base = -strata_clv_lgamma(r) + r * log(alpha) + s * log(beta);
  for (int64_t j = 0; j < ss->n_x; j++) P->tab[j] = strata_clv_lgamma(r + ss->xv[j]) + base;
  double sum[1];
  strata_status st = sum_blocks(P->ctx, ss->n, BLOCK_ROWS / 4, 1, pnbd_block, P, sum);
  if (st != STRATA_OK) return st;
  *ll = sum[0];
  return STRATA_OK;
}

/* ------------------------------------------------------------------ Gamma-Gamma */

enum { GG_LG, GG_PSI_PXQ, GG_PSI_PX, GG_LOGX, GG_TAB };

static void gg_block(void *arg, int64_t block, int64_t begin, int64_t end, double *partial) {
  const fit_problem *P = arg;
  (void)block;
  double p = P->theta[0], q = P->theta[1], gamma = P->theta[2];
  double lg_q = strata_clv_lgamma(q), ps_q = strata_clv_digamma(q), log_g = log(gamma);
  double ll = 0, g0 = 0, g1 = 0, g2 = 0;
  for (int64_t i = begin; i < end; i++) {
    const double *t = P->tab + (size_t)P->g_xi[i] * 8;
    double x = P->g_x[i], lm = P->g_logm[i], w = P->g_w[i];
    double px = p * x;
    double xmg = x * P->g_m[i] + gamma;
    double lxmg = log(xmg);
    ll += w * (t[GG_LG] - lg_q + q * log_g + (px - 1.0) * lm + px * t[GG_LOGX] - (px + q) * lxmg);
    g0 += w * x * (t[GG_PSI_PXQ] - t[GG_PSI_PX] + lm + t[GG_LOGX] - lxmg);
    g1 += w * (t[GG_PSI_PXQ] - ps_q + log_g - lxmg);
    g2 += w * (q / gamma - (px + q) / xmg);
  }
  partial[0] = ll;
  partial[1] = g0;
  partial[2] = g1;
  partial[3] = g2;
}

static strata_status gg_loglik(fit_problem *P, const double *theta, double *ll, double *grad) {
  double p = theta[0], q = theta[1];
  memcpy(P->theta, theta, 3 * sizeof *theta);
  for (int64_t j = 0; j < P->g_nx; j++) {
    double x = P->g_xv[j], px = p * x;
    double *t = P->tab + (size_t)j * 8;
    t[GG_LG] = strata_clv_lgamma(px + q) - strata_clv_lgamma(px);
    t[GG_PSI_PXQ] = strata_clv_digamma(px + q);
    t[GG_PSI_PX] = strata_clv_digamma(px);
    t[GG_LOGX] = log(x);
  }
  double sum[4];
  strata_status st = sum_blocks(P->ctx, P->g_n, BLOCK_ROWS, 4, gg_block, P, sum);
  if (st != STRATA_OK) return st;
  *ll = sum[0];
  if (grad)
    for (int j = 0; j < 3; j++) grad[j] = sum[1 + j];
  return STRATA_OK;
}

/* ------------------------------------------------------------------ objective in log-parameters */

/* f(phi) = -LL(exp(phi)) / W + penalizer * sum (exp(phi_j) * scale_j)^2, and its gradient with
 * respect to phi (analytic problems only) into gphi. */
static strata_status objective(fit_problem *P, const double *phi, double *f, double *gphi) {
  double theta[STRATA_CLV_MAX_PARAMS], g[STRATA_CLV_MAX_PARAMS];
  for (int j = 0; j < P->np; j++) theta[j] = exp(phi[j]);
  double ll;
  strata_status st = P->loglik(P, theta, &ll, gphi ? g : NULL);
  if (st != STRATA_OK) return st;
  double pen = 0.0;
  for (int j = 0; j < P->np; j++) {
    double v = theta[j] * P->pen_scale[j];
    pen += v * v;
  }
  *f = -ll / P->W + P->penalizer * pen;
  if (gphi) {
    for (int j = 0; j < P->np; j++) {
      double v = theta[j] * P->pen_scale[j];
      gphi[j] = -theta[j] * g[j] / P->W + 2.0 * P->penalizer * v * v;
    }
  }
  return STRATA_OK;
}

/* Gradient of f in phi: analytic, or central differences (h = 1e-5: truncation ~1e-10,
 * rounding ~1e-11 for an objective of order 1). */
static strata_status objective_grad(fit_problem *P, const double *phi, double *f, double *gphi) {
  if (P->analytic) return objective(P, phi, f, gphi);
  strata_status st = objective(P, phi, f, NULL);
  if (st != STRATA_OK) return st;
  const double h = 1e-5;
  double tmp[STRATA_CLV_MAX_PARAMS];
  for (int j = 0; j < P->np; j++) {
    double fp, fm;
    memcpy(tmp, phi, (size_t)P->np * sizeof *phi);
    tmp[j] = phi[j] + h;
    if ((st = objective(P, tmp, &fp, NULL)) != STRATA_OK) return st;
    tmp[j] = phi[j] - h;
    if ((st = objective(P, tmp, &fm, NULL)) != STRATA_OK) return st;
    gphi[j] = (fp - fm) / (2.0 * h);
  }
  return STRATA_OK;
}

static double nlopt_objective(unsigned n, const double *x, double *grad, void *data) {
  fit_problem *P = data;
  (void)n;
  P->evals++;
  double f;
  strata_status st = objective(P, x, &f, grad);
  if (st != STRATA_OK) {
    if (P->status == STRATA_OK) P->status = st;
    return HUGE_VAL;
  }
  if (!isfinite(f)) return HUGE_VAL; /* steers the optimiser away from overflowing corners */
  return f;
}

/* Cholesky inverse of a symmetric positive definite np x np matrix in place; 0 when it is not
 * positive definite. */
static int spd_inverse(double *A, int np) {
  double L[16] = {0}, inv[16] = {0};
  for (int i = 0; i < np; i++) {
    for (int j = 0; j <= i; j++) {
      double s = A[i * np + j];
      for (int k = 0; k < j; k++) s -= L[i * 4 + k] * L[j * 4 + k];
      if (i == j) {
        if (!(s > 0.0)) return 0;
        L[i * 4 + i] = sqrt(s);
      } else {
        L[i * 4 + j] = s / L[j * 4 + j];
      }
    }
  }
  /* Solve L L^T X = I column by column. */
  for (int c = 0; c < np; c++) {
    double y[4];
    for (int i = 0; i < np; i++) {
      double s = i == c ? 1.0 : 0.0;
      for (int k = 0; k < i; k++) s -= L[i * 4 + k] * y[k];
      y[i] = s / L[i * 4 + i];
    }
    for (int i = np - 1; i >= 0; i--) {
      double s = y[i];
      for (int k = i + 1; k < np; k++) s -= L[k * 4 + i] * inv[k * 4 + c];
      inv[i * 4 + c] = s / L[i * 4 + i];
    }
  }
  for (int i = 0; i < np; i++)
    for (int j = 0; j < np; j++) A[i * np + j] = inv[i * 4 + j];
  return 1;
}

/* Standard errors of theta from the Hessian of W * f in phi. */
static strata_status standard_errors(fit_problem *P, const double *phi, double f0, double *se) {
  int np = P->np;
  double H[16];
  double tmp[STRATA_CLV_MAX_PARAMS];
  strata_status st = STRATA_OK;
  if (P->analytic) {
    const double h = 1e-4;
    double gp[STRATA_CLV_MAX_PARAMS], gm[STRATA_CLV_MAX_PARAMS], fd;
    for (int k = 0; k < np; k++) {
      memcpy(tmp, phi, (size_t)np * sizeof *phi);
      tmp[k] = phi[k] + h;
      if ((st = objective(P, tmp, &fd, gp)) != STRATA_OK) return st;
      tmp[k] = phi[k] - h;
      if ((st = objective(P, tmp, &fd, gm)) != STRATA_OK) return st;
      for (int j = 0; j < np; j++) H[j * np + k] = (gp[j] - gm[j]) / (2.0 * h);
    }
    for (int j = 0; j < np; j++)
      for (int k = 0; k < j; k++)
        H[j * np + k] = H[k * np + j] = 0.5 * (H[j * np + k] + H[k * np + j]);
  } else {
    const double h = 2e-3;
    for (int j = 0; j < np; j++) {
      double fp, fm;
      memcpy(tmp, phi, (size_t)np * sizeof *phi);
      tmp[j] = phi[j] + h;
      if ((st = objective(P, tmp, &fp, NULL)) != STRATA_OK) return st;
      tmp[j] = phi[j] - h;
      if ((st = objective(P, tmp, &fm, NULL)) != STRATA_OK) return st;
      H[j * np + j] = (fp - 2.0 * f0 + fm) / (h * h);
      for (int k = 0; k < j; k++) {
        double fpp, fpm, fmp, fmm;
        memcpy(tmp, phi, (size_t)np * sizeof *phi);
        tmp[j] = phi[j] + h;
        tmp[k] = phi[k] + h;
        if ((st = objective(P, tmp, &fpp, NULL)) != STRATA_OK) return st;
        tmp[k] = phi[k] - h;
        if ((st = objective(P, tmp, &fpm, NULL)) != STRATA_OK) return st;
        tmp[j] = phi[j] - h;
        if ((st = objective(P, tmp, &fmm, NULL)) != STRATA_OK) return st;
        tmp[k] = phi[k] + h;
        if ((st = objective(P, tmp, &fmp, NULL)) != STRATA_OK) return st;
        H[j * np + k] = H[k * np + j] = (fpp - fpm - fmp + fmm) / (4.0 * h * h);
      }
    }
  }
  /* Information = W * Hessian of the mean objective. */
  for (int i = 0; i < np * np; i++) H[i] *= P->W;
  if (!spd_inverse(H, np)) {
    for (int j = 0; j < np; j++) se[j] = NAN;
    return STRATA_OK;
  }
  for (int j = 0; j < np; j++) se[j] = exp(phi[j]) * sqrt(H[j * np + j]);
  return STRATA_OK;
}

static strata_status run_fit(fit_problem *P, const strata_clv_fit_params *user, const double *init,
                             strata_clv_fit *out) {
  strata_status st = STRATA_OK;
  strata_ctx *ctx = P->ctx;
  nlopt_opt opt = NULL;
  int np = P->np;
  strata_clv_fit_params fp;
  if (user)
    fp = *user;
  else
    strata_clv_fit_params_init(&fp);
  STRATA_FAIL_IF(!(fp.penalizer >= 0.0) || !isfinite(fp.penalizer), ctx, STRATA_ERR_USAGE,
                 "%s fit: penalizer must be finite and >= 0, got %g",
                 strata_clv_model_name(P->model), fp.penalizer);
  if (fp.max_evals <= 0) fp.max_evals = 5000;
  if (!(fp.xtol_rel > 0.0)) fp.xtol_rel = 1e-10;
  if (!(fp.gtol > 0.0)) fp.gtol = 1e-5;
  P->penalizer = fp.penalizer;

  double phi[STRATA_CLV_MAX_PARAMS], lb[STRATA_CLV_MAX_PARAMS], ub[STRATA_CLV_MAX_PARAMS];
  for (int j = 0; j < np; j++) {
    double v = fp.init[j] > 0.0 ? fp.init[j] : init[j];
    STRATA_FAIL_IF(!isfinite(v), ctx, STRATA_ERR_USAGE, "%s fit: initial %s is not finite",
                   strata_clv_model_name(P->model), strata_clv_param_name(P->model, j));
    phi[j] = log(v);
    lb[j] = -LOG_BOUND;
    ub[j] = LOG_BOUND;
    if (phi[j] < lb[j]) phi[j] = lb[j];
    if (phi[j] > ub[j]) phi[j] = ub[j];
  }
  memset(out, 0, sizeof *out);
  out->model = P->model;
  out->n_params = np;
  out->n_obs = P->W;
  out->optimizer = P->analytic ? "NLopt LD_LBFGS (analytic gradient, log-parameters)"
                               : "NLopt LN_BOBYQA (derivative-free, log-parameters)";
  double t0 = strata_now();
  double f = HUGE_VAL, gphi[STRATA_CLV_MAX_PARAMS] = {0}, gmax = HUGE_VAL;
  nlopt_result res = NLOPT_FAILURE;
  /* L-BFGS often stops on "roundoff limited" a hair short of the gradient test; a restart
   * from the point reached rebuilds its Hessian approximation and usually finishes. */
  for (int attempt = 0; attempt < 4 && P->evals < fp.max_evals; attempt++) {
    opt = nlopt_create(P->analytic ? NLOPT_LD_LBFGS : NLOPT_LN_BOBYQA, (unsigned)np);
    STRATA_FAIL_IF(opt == NULL, ctx, STRATA_ERR_NOMEM, "cannot create the NLopt optimiser");
    nlopt_set_min_objective(opt, nlopt_objective, P);
    nlopt_set_lower_bounds(opt, lb);
    nlopt_set_upper_bounds(opt, ub);
    nlopt_set_xtol_rel(opt, fp.xtol_rel);
    nlopt_set_ftol_rel(opt, 1e-15);
    nlopt_set_maxeval(opt, fp.max_evals - P->evals);
    if (!P->analytic) nlopt_set_initial_step1(opt, attempt == 0 ? 0.5 : 0.05);
    res = nlopt_optimize(opt, phi, &f);
    nlopt_destroy(opt);
    opt = NULL;
    STRATA_TRY(P->status);
    STRATA_TRY(objective_grad(P, phi, &f, gphi));
    gmax = 0.0;
    for (int j = 0; j < np; j++)
      if (fabs(gphi[j]) > gmax || gphi[j] != gphi[j]) gmax = fabs(gphi[j]);
    if (gmax <= fp.gtol && isfinite(f)) break;
  }
  out->evaluations = P->evals;
  out->optimizer_code = (int)res;
  out->objective = f;
  out->grad_norm = gmax;
  for (int j = 0; j < np; j++) {
    out->params[j] = exp(phi[j]);
    out->se[j] = NAN;
  }
  {
    double ll, theta[STRATA_CLV_MAX_PARAMS];
    for (int j = 0; j < np; j++) theta[j] = out->params[j];
    STRATA_TRY(P->loglik(P, theta, &ll, NULL));
    out->loglik = ll;
  }
  if (!(gmax <= fp.gtol) || !isfinite(f)) {
    char where[256];
    int len = 0;
    for (int j = 0; j < np && len < (int)sizeof where - 40; j++)
      len += snprintf(where + len, sizeof where - (size_t)len, "%s%s = %.6g", j ? ", " : "",
                      strata_clv_param_name(P->model, j), out->params[j]);
    int at_bound = 0;
    for (int j = 0; j < np; j++)
      if (fabs(phi[j]) > LOG_BOUND - 1e-6) at_bound = 1;
    st = strata_fail(ctx, STRATA_ERR_NOT_CONVERGED,
                     "%s fit did not converge after %d likelihood evaluations (NLopt code %d): "
                     "largest gradient %.3g > tolerance %.3g at %s%s",
                     strata_clv_model_name(P->model), P->evals, (int)res, gmax, fp.gtol, where,
                     at_bound ? "; a parameter ran to its bound (1e-9 or 1e9): the data may "
                                "not identify the model, try a penalizer"
                              : "; try a penalizer, other starting values or more evaluations");
    goto cleanup;
  }
  STRATA_TRY(standard_errors(P, phi, f, out->se));
  if (out->se[0] != out->se[0]) {
    /* A stationary point without curvature in some direction: the optimiser can stop there
     * with a tiny gradient, but the estimates mean nothing. */
    st = strata_fail(ctx, STRATA_ERR_NOT_CONVERGED,
                     "%s fit stopped where the likelihood is flat in some direction (its Hessian "
                     "is not negative definite) at %s = %.6g, %s = %.6g, ...: the data do not "
                     "identify the model; try a penalizer",
                     strata_clv_model_name(P->model), strata_clv_param_name(P->model, 0),
                     out->params[0], strata_clv_param_name(P->model, 1), out->params[1]);
    goto cleanup;
  }
  strata_phase_add(ctx, "clv fit", strata_now() - t0);
cleanup:
  if (opt) nlopt_destroy(opt);
  return st;
}

/* ------------------------------------------------------------------ public entry points */

static strata_status counts_problem(strata_ctx *ctx, strata_clv_model model,
                                    const strata_clv_suffstats *ss, fit_problem *P) {
  memset(P, 0, sizeof *P);
  P->ctx = ctx;
  P->model = model;
  P->np = 4;
  P->ss = ss;
  if (ss == NULL || ss->n <= 0)
    return strata_fail(ctx, STRATA_ERR_USAGE, "%s: no sufficient statistics (ss is NULL or empty)",
                       strata_clv_model_name(model));
  switch (model) {
    case STRATA_CLV_BGNBD:
    case STRATA_CLV_MBGNBD:
      P->loglik = bg_loglik;
      P->analytic = 1;
      break;
    case STRATA_CLV_PARETO_NBD:
      P->loglik = pnbd_loglik;
      P->analytic = 0;
      break;
    case STRATA_CLV_GAMMA_GAMMA:
    default:
      return strata_fail(ctx, STRATA_ERR_USAGE,
                         "model %d (%s) is not a purchase model (bgnbd, mbgnbd, paretonbd)",
                         (int)model, strata_clv_model_name(model));
  }
  P->W = ss->total_weight;
  /* lifetimes scales time so that the largest T is 1 before fitting: its penalty sees
   * alpha / max T (and beta / max T). */
  double scale = ss->max_T > 0.0 ? 1.0 / ss->max_T : 1.0;
  for (int j = 0; j < 4; j++) P->pen_scale[j] = 1.0;
  P->pen_scale[1] = scale;
  if (model == STRATA_CLV_PARETO_NBD) P->pen_scale[3] = scale;
  return strata_alloc(ctx, (size_t)ss->n_x, 8 * sizeof(double), "CLV per-x tables",
                      (void **)&P->tab);
}

strata_status strata_clv_fit_counts(strata_ctx *ctx, strata_clv_model model,
                                    const strata_clv_suffstats *ss,
                                    const strata_clv_fit_params *params, strata_clv_fit *out) {
  strata_status st = STRATA_OK;
  fit_problem P;
  memset(&P, 0, sizeof P);
  STRATA_FAIL_IF(out == NULL, ctx, STRATA_ERR_USAGE, "strata_clv_fit_counts: out is NULL");
  STRATA_TRY(counts_problem(ctx, model, ss, &P));
  int repeat = 0;
  for (int64_t i = 0; i < ss->n && !repeat; i++) repeat = ss->x[i] > 0.0 && ss->w[i] > 0.0;
  STRATA_FAIL_IF(!repeat, ctx, STRATA_ERR_DATA,
                 "%s fit: no customer with a repeat purchase (x > 0) and positive weight; the "
                 "model is not identified",
                 strata_clv_model_name(model));
  double T1 = ss->max_T > 0.0 ? ss->max_T : 1.0;
  double init[4] = {1.0, T1, 1.0, model == STRATA_CLV_PARETO_NBD ? T1 : 1.0};
  STRATA_TRY(run_fit(&P, params, init, out));
cleanup:
  strata_free(P.tab);
  return st;
}

strata_status strata_clv_loglik_counts(strata_ctx *ctx, strata_clv_model model, const double *theta,
                                       const strata_clv_suffstats *ss, double *loglik,
                                       double *grad) {
  strata_status st = STRATA_OK;
  fit_problem P;
  memset(&P, 0, sizeof P);
  STRATA_FAIL_IF(theta == NULL || loglik == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_clv_loglik_counts: theta and loglik must not be NULL");
  STRATA_TRY(counts_problem(ctx, model, ss, &P));
  for (int j = 0; j < 4; j++)
    STRATA_FAIL_IF(!(theta[j] > 0.0) || !isfinite(theta[j]), ctx, STRATA_ERR_USAGE,
                   "%s: parameter %s = %g must be positive and finite",
                   strata_clv_model_name(model), strata_clv_param_name(model, j), theta[j]);
  STRATA_TRY(P.loglik(&P, theta, loglik, P.analytic ? grad : NULL));
  if (grad && !P.analytic) {
    double tmp[4], fp, fm;
    for (int j = 0; j < 4; j++) {
      double h = 1e-6 * theta[j];
      memcpy(tmp, theta, sizeof tmp);
      tmp[j] = theta[j] + h;
      STRATA_TRY(P.loglik(&P, tmp, &fp, NULL));
      tmp[j] = theta[j] - h;
      STRATA_TRY(P.loglik(&P, tmp, &fm, NULL));
      grad[j] = (fp - fm) / (2.0 * h);
    }
  }
cleanup:
  strata_free(P.tab);
  return st;
}

static void gg_problem_free(fit_problem *P) {
  strata_free(P->g_x);
  strata_free(P->g_logm);
  strata_free(P->g_m);
  strata_free(P->g_w);
  strata_free(P->g_xi);
  strata_free(P->g_xv);
  strata_free(P->tab);
}

static strata_status gg_problem(strata_ctx *ctx, const double *x, const double *monetary,
                                const double *weight, int64_t n, fit_problem *P) {
  strata_status st = STRATA_OK;
  memset(P, 0, sizeof *P);
  P->ctx = ctx;
  P->model = STRATA_CLV_GAMMA_GAMMA;
  P->np = 3;
  P->analytic = 1;
  P->loglik = gg_loglik;
  for (int j = 0; j < 3; j++) P->pen_scale[j] = 1.0;
  STRATA_FAIL_IF(x == NULL || monetary == NULL, ctx, STRATA_ERR_USAGE,
                 "Gamma-Gamma: x and monetary must not be NULL");
  STRATA_FAIL_IF(n <= 0, ctx, STRATA_ERR_DATA, "Gamma-Gamma: no customers (n = %lld)",
                 (long long)n);
  int64_t k = 0;
  double W = 0.0;
  for (int64_t i = 0; i < n; i++) {
    double xi = x[i], mi = monetary[i], wi = weight ? weight[i] : 1.0;
    STRATA_FAIL_IF(!(xi >= 0.0) || xi != floor(xi) || !isfinite(xi), ctx, STRATA_ERR_DATA,
                   "Gamma-Gamma: customer row %lld: x = %g is not a non-negative integer",
                   (long long)i, xi);
    STRATA_FAIL_IF(!(wi >= 0.0) || !isfinite(wi), ctx, STRATA_ERR_DATA,
                   "Gamma-Gamma: customer row %lld: weight %g must be finite and >= 0",
                   (long long)i, wi);
    /* Customers without repeat purchases, or weighted out (zero spend), have no term. */
    if (xi == 0.0 || wi == 0.0) continue;
    STRATA_FAIL_IF(!(mi > 0.0) || !isfinite(mi), ctx, STRATA_ERR_DATA,
                   "Gamma-Gamma: customer row %lld (x = %g): monetary value %g must be > 0 and "
                   "finite for customers with repeat purchases",
                   (long long)i, xi, mi);
    k++;
    W += wi;
  }
  STRATA_FAIL_IF(k == 0 || !(W > 0.0), ctx, STRATA_ERR_DATA,
                 "Gamma-Gamma: no customer with repeat purchases (x > 0) and positive weight");
  P->g_n = k;
  P->W = W;
  STRATA_TRY(strata_alloc(ctx, (size_t)k, sizeof(double), "Gamma-Gamma x", (void **)&P->g_x));
  STRATA_TRY(
      strata_alloc(ctx, (size_t)k, sizeof(double), "Gamma-Gamma log m", (void **)&P->g_logm));
  STRATA_TRY(strata_alloc(ctx, (size_t)k, sizeof(double), "Gamma-Gamma m", (void **)&P->g_m));
  STRATA_TRY(strata_alloc(ctx, (size_t)k, sizeof(double), "Gamma-Gamma w", (void **)&P->g_w));
  STRATA_TRY(
      strata_alloc(ctx, (size_t)k, sizeof(int32_t), "Gamma-Gamma x index", (void **)&P->g_xi));
  k = 0;
  for (int64_t i = 0; i < n; i++) {
    if (x[i] == 0.0 || (weight && weight[i] == 0.0)) continue;
    P->g_x[k] = x[i];
    P->g_m[k] = monetary[i];
    P->g_logm[k] = log(monetary[i]);
    P->g_w[k] = weight ? weight[i] : 1.0;
    k++;
  }
  STRATA_TRY(strata_clv_x_table(ctx, P->g_x, k, P->g_xi, &P->g_xv, &P->g_nx));
  STRATA_TRY(strata_alloc(ctx, (size_t)P->g_nx, 8 * sizeof(double), "Gamma-Gamma per-x tables",
                          (void **)&P->tab));
cleanup:
  return st;
}

strata_status strata_clv_fit_spend(strata_ctx *ctx, const double *x, const double *monetary,
                                   const double *weight, int64_t n,
                                   const strata_clv_fit_params *params, strata_clv_fit *out) {
  strata_status st = STRATA_OK;
  fit_problem P;
  memset(&P, 0, sizeof P);
  STRATA_FAIL_IF(out == NULL, ctx, STRATA_ERR_USAGE, "strata_clv_fit_spend: out is NULL");
  STRATA_TRY(gg_problem(ctx, x, monetary, weight, n, &P));
  /* Start: p = q = 1 would give an infinite mean; q = 2 and gamma = mean spend make the
   * starting population mean p gamma / (q - 1) the observed mean. */
  double msum = 0.0;
  for (int64_t i = 0; i < P.g_n; i++) msum += P.g_m[i];
  double init[3] = {1.0, 2.0, msum / (double)P.g_n};
  STRATA_TRY(run_fit(&P, params, init, out));
cleanup:
  gg_problem_free(&P);
  return st;
}

strata_status strata_clv_loglik_spend(strata_ctx *ctx, const double *theta, const double *x,
                                      const double *monetary, const double *weight, int64_t n,
                                      double *loglik, double *grad) {
  strata_status st = STRATA_OK;
  fit_problem P;
  memset(&P, 0, sizeof P);
  STRATA_FAIL_IF(theta == NULL || loglik == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_clv_loglik_spend: theta and loglik must not be NULL");
  for (int j = 0; j < 3; j++)
    STRATA_FAIL_IF(!(theta[j] > 0.0) || !isfinite(theta[j]), ctx, STRATA_ERR_USAGE,
                   "gammagamma: parameter %s = %g must be positive and finite",
                   strata_clv_param_name(STRATA_CLV_GAMMA_GAMMA, j), theta[j]);
  STRATA_TRY(gg_problem(ctx, x, monetary, weight, n, &P));
  STRATA_TRY(P.loglik(&P, theta, loglik, grad));
cleanup:
  gg_problem_free(&P);
  return st;
}
