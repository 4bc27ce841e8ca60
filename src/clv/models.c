/*
 * Model names and single-customer closed forms: P(alive), conditional expected purchases,
 * Gamma-Gamma conditional spend and the per-customer log-likelihood.
 *
 *  BG/NBD   P(alive) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
 *           (Fader, Hardie & Lee 2008 note "Computing P(alive) using the BG/NBD model");
 *           E[Y(t)] = P(alive) * N(t), N from strata_clv_bg_alive_purchases (FHL 2005 eq. 10).
 *  MBG/NBD  the same with b -> b + 1 and no [x>0] (Batislam et al. 2007; lifetimes).
 *  Pareto   P(alive) = 1 / (1 + s I / ((alpha+T)^-(r+x) (beta+T)^-s)), I the dead-between
 *           integral of strata_clv_pnbd_log_gap; E[Y(t)] = (r+x)(beta+T)/((alpha+T)(s-1))
 *           [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive) (Schmittlein et al. 1987), with the
 *           s -> 1 limit handled by strata_clv_expm1_ratio.
 *  GG       E[M | x, m] = (p (gamma + x m)) / (p x + q - 1)  (Fader, Hardie & Lee 2005b).
 * Cost: O(1) transcendental functions plus one short series per call.
 */
#include <math.h>
#include <string.h>

#include "clv/clv.h"
#include "clv/clv_math.h"
#include "core/core.h"

const char *strata_clv_model_name(strata_clv_model model) {
  switch (model) {
    case STRATA_CLV_BGNBD: return "bgnbd";
    case STRATA_CLV_MBGNBD: return "mbgnbd";
    case STRATA_CLV_PARETO_NBD: return "paretonbd";
    case STRATA_CLV_GAMMA_GAMMA: return "gammagamma";
  }
  return "unknown";
}

strata_status strata_clv_model_parse(strata_ctx *ctx, const char *name, strata_clv_model *out) {
  static const struct {
    const char *name;
    strata_clv_model model;
  } table[] = {{"bgnbd", STRATA_CLV_BGNBD},
               {"bg/nbd", STRATA_CLV_BGNBD},
               {"mbgnbd", STRATA_CLV_MBGNBD},
               {"mbg/nbd", STRATA_CLV_MBGNBD},
               {"paretonbd", STRATA_CLV_PARETO_NBD},
               {"pareto/nbd", STRATA_CLV_PARETO_NBD},
               {"pnbd", STRATA_CLV_PARETO_NBD},
               {"pareto", STRATA_CLV_PARETO_NBD},
               {"gammagamma", STRATA_CLV_GAMMA_GAMMA},
               {"gamma-gamma", STRATA_CLV_GAMMA_GAMMA},
               {"gg", STRATA_CLV_GAMMA_GAMMA}};
  if (out == NULL) return strata_fail(ctx, STRATA_ERR_USAGE, "strata_clv_model_parse: out is NULL");
  if (name != NULL) {
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
      if (strcmp(name, table[i].name) == 0) {
        *out = table[i].model;
        return STRATA_OK;
      }
    }
  }
  return strata_fail(ctx, STRATA_ERR_USAGE,
                     "unknown CLV model '%s' (expected bgnbd, mbgnbd, paretonbd or gammagamma)",
                     name ? name : "(null)");
}

int strata_clv_model_nparams(strata_clv_model model) {
  switch (model) {
    case STRATA_CLV_BGNBD:
    case STRATA_CLV_MBGNBD:
    case STRATA_CLV_PARETO_NBD: return 4;
    case STRATA_CLV_GAMMA_GAMMA: return 3;
  }
  return 0;
}

const char *strata_clv_param_name(strata_clv_model model, int i) {
  static const char *const bg[] = {"r", "alpha", "a", "b"};
  static const char *const pnbd[] = {"r", "alpha", "s", "beta"};
  static const char *const gg[] = {"p", "q", "gamma"};
  if (i < 0 || i >= strata_clv_model_nparams(model)) return "";
  switch (model) {
    case STRATA_CLV_BGNBD:
    case STRATA_CLV_MBGNBD: return bg[i];
    case STRATA_CLV_PARETO_NBD: return pnbd[i];
    case STRATA_CLV_GAMMA_GAMMA: return gg[i];
  }
  return "";
}

double strata_clv_p_alive(strata_clv_model model, const double *p, double x, double t_x, double T) {
  switch (model) {
    case STRATA_CLV_BGNBD:
    case STRATA_CLV_MBGNBD: {
      int modified = model == STRATA_CLV_MBGNBD;
      double bb = modified ? p[3] + 1.0 : p[3];
      double lo = strata_clv_bg_log_dead_odds(p[0], p[1], p[2], bb, modified, x, t_x, T);
      return 1.0 / (1.0 + exp(lo));
    }
    case STRATA_CLV_PARETO_NBD: {
      double r = p[0], alpha = p[1], s = p[2], beta = p[3];
      double l1 = -(r + x) * log(alpha + T) - s * log(beta + T);
      double l2 = log(s) + strata_clv_pnbd_log_gap(r, alpha, s, beta, x, t_x, T);
      return 1.0 / (1.0 + exp(l2 - l1));
    }
    case STRATA_CLV_GAMMA_GAMMA: break;
  }
  return NAN;
}

double strata_clv_expected_purchases(strata_clv_model model, const double *p, double t, double x,
                                     double t_x, double T) {
  if (!(t > 0.0)) return 0.0;
  switch (model) {
    case STRATA_CLV_BGNBD:
    case STRATA_CLV_MBGNBD: {
      double bb = model == STRATA_CLV_MBGNBD ? p[3] + 1.0 : p[3];
      double n = strata_clv_bg_alive_purchases(p[0], p[1], p[2], bb, x, T, t);
      return n * strata_clv_p_alive(model, p, x, t_x, T);
    }
    case STRATA_CLV_PARETO_NBD: {
      double r = p[0], alpha = p[1], s = p[2], beta = p[3];
      double rate = (r + x) / (alpha + T) * (beta + T) *
                    strata_clv_expm1_ratio(s - 1.0, log1p(t / (beta + T)));
      return rate * strata_clv_p_alive(model, p, x, t_x, T);
    }
    case STRATA_CLV_GAMMA_GAMMA: break;
  }
  return NAN;
}

double strata_clv_expected_spend(const double *p, double x, double monetary) {
  double pp = p[0], q = p[1], gamma = p[2];
  double population = pp * gamma / (q - 1.0);
  if (x == 0.0) return population;
  /* lifetimes' weighted form: a convex combination, so no overflow for any finite m */
  double w = pp * x / (pp * x + q - 1.0);
  return (1.0 - w) * population + w * monetary;
}

double strata_clv_loglik1(strata_clv_model model, const double *p, double x, double t_x, double T) {
  double r = p[0], alpha = p[1];
  double a1 = strata_clv_lgamma(r + x) - strata_clv_lgamma(r) + r * log(alpha);
  switch (model) {
    case STRATA_CLV_BGNBD:
    case STRATA_CLV_MBGNBD: {
      int modified = model == STRATA_CLV_MBGNBD;
      double a = p[2], b = p[3], bb = modified ? b + 1.0 : b;
      double a2 = strata_clv_lgamma(a + b) + strata_clv_lgamma(bb + x) - strata_clv_lgamma(b) -
                  strata_clv_lgamma(a + bb + x);
      double a3 = -(r + x) * log(alpha + T);
      double a4 = (modified || x > 0.0) ? log(a) - log(bb + x - 1.0) - (r + x) * log(alpha + t_x)
                                        : -INFINITY;
      return a1 + a2 + strata_clv_logaddexp(a3, a4);
    }
    case STRATA_CLV_PARETO_NBD: {
      double s = p[2], beta = p[3];
      double l1 = -(r + x) * log(alpha + T) - s * log(beta + T);
      double l2 = log(s) + strata_clv_pnbd_log_gap(r, alpha, s, beta, x, t_x, T);
      return a1 + s * log(beta) + strata_clv_logaddexp(l1, l2);
    }
    case STRATA_CLV_GAMMA_GAMMA: break;
  }
  return NAN;
}
