/*
 * One run's distributions (model.h): separation, draws and per-segment log-densities.
 *
 * Separation (strata.h): for a positive parameter, log m_k(S) = (1 - S) log m_0 + S log m_k
 * with log m_0 the weighted mean of log m_k over the K segments; for a share, the same on
 * the logit scale (which is the two-level case of the categorical rule); for level
 * probabilities, log p_k(S) = (1 - S) log p_0 + S log p_k + const with log p_0 the weighted
 * mean of log p_k. At S = 0 every segment gets the very same numbers, so no classifier can do
 * better than the largest weight.
 *
 * Log-densities drop every term that is the same for all segments (the posterior only needs
 * differences), which leaves O(1) multiply-adds per column and segment:
 *   Gamma(shape s, mean mu):   c0 - x / theta, theta = mu / s, c0 = -s log theta
 *   Beta(a, b):                c0 + (a - 1) log x + (b - 1) log(1 - x), c0 = -log B(a, b)
 *   NegBin(shape s, mean mu):  c0 + x c1, c0 = s log(s / (s + mu)), c1 = log(mu / (s + mu))
 *   rounded log-normal:        log P(v - 1/2 <= X < v + 1/2) exactly for small v, where the
 *                              rounding matters; beyond, the log-normal density at v
 *   categorical:               log p_k[level]; a band column adds nothing (it is a function
 *                              of the column it bands)
 * Cost: O(K d) per account.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gen/model.h"

/* Up to this many employees the rounding of the log-normal is priced exactly. */
#define EXACT_ROUNDING_BELOW 64.0

static double logit(double x) { return log(x) - log1p(-x); }
static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }

/* P(lo <= Z < hi) for a standard normal Z, accurate in both tails. */
static double normal_interval(double lo, double hi) {
  const double r = 0.70710678118654752440;
  if (lo > 0.0) return 0.5 * (erfc(lo * r) - erfc(hi * r));
  if (hi < 0.0) return 0.5 * (erfc(-hi * r) - erfc(-lo * r));
  return 1.0 - 0.5 * erfc(-lo * r) - 0.5 * erfc(hi * r);
}

/* P(max(1, round(X)) = v) for log X ~ N(mu, sd). */
static double rounded_lognormal_pmf(double v, double mu, double sd) {
  double lo = v <= 1.0 ? -INFINITY : (log(v - 0.5) - mu) / sd;
  return normal_interval(lo, (log(v + 0.5) - mu) / sd);
}

/* E[max(1, round(X))] for log X ~ N(mu, sd): 1 + sum over v >= 2 of P(X >= v - 1/2), summed
 * exactly up to V and closed-form beyond (the sum's tail is E[(X - V)^+] to the midpoint
 * rule, whose error is far below any sampling error). */
static double rounded_lognormal_mean(double mu, double sd) {
  const double V = 20000.0, r = 0.70710678118654752440;
  double sum = 1.0;
  for (double v = 2.0; v <= V; v += 1.0) {
    double tail = 0.5 * erfc((log(v - 0.5) - mu) / sd * r);
    sum += tail;
    if (tail < 1e-17 * sum) return sum;
  }
  double z = (mu - log(V)) / sd;
  return sum + exp(mu + 0.5 * sd * sd) * 0.5 * erfc(-(z + sd) * r) - V * 0.5 * erfc(-z * r);
}

static const char *const extra_levels[GEN_EXTRA_LEVELS] = {"a", "b", "c", "d", "e", "f"};

/* The column table and the prototype tables before separation. The extra columns' tables are
 * a pure function of (seed, column, segment) drawn from their own stream: an extra numeric
 * column is Gamma(GEN_EXTRA_SHAPE) with segment mean 10 exp(0.25 Z), Z ~ N(0, 1): each column
 * alone tells segments apart only weakly (a typical mean ratio of 1.3 against a CV of 0.5),
 * so a wide base stays a clustering problem rather than a lookup; an extra categorical column has
 * GEN_EXTRA_LEVELS levels, one of them dominant in each segment (weight 4 against 1: share 4/9
 * before separation), chosen uniformly per segment, so that segments may share a dominant level. */
static void build_columns(const strata_gen_params *p, gen_model *m) {
  const gen_profile *pr = m->profile;
  for (int j = 0; j < pr->columns; j++) {
    m->column[j] = pr->column[j];
    for (int k = 0; k < m->K; k++) {
      m->proto_centre[k][j] = pr->prototype[k].centre[j];
      for (int l = 0; l < STRATA_GEN_MAX_LEVELS; l++)
        m->proto_level[k][j][l] = pr->prototype[k].level_weight[j][l];
    }
  }
  for (int e = 0; e < p->extra_numeric + p->extra_categorical; e++) {
    int j = pr->columns + e, numeric = e < p->extra_numeric;
    int index = numeric ? e : e - p->extra_numeric;
    char *name = m->extra_name[e];
    snprintf(name, sizeof m->extra_name[e], numeric ? "extra_num_%02d" : "extra_cat_%02d",
             index + 1);
    gen_column c = {name,
                    numeric ? GEN_GAMMA : GEN_CATEGORICAL,
                    numeric ? GEN_EXTRA_SHAPE : 0,
                    numeric ? 0 : GEN_EXTRA_LEVELS,
                    numeric ? NULL : extra_levels,
                    0,
                    NULL};
    m->column[j] = c;
    for (int k = 0; k < m->K; k++) {
      /* Numeric and categorical extras index the stream apart, so adding columns of one kind
       * never changes the tables of the other. */
      uint64_t at =
          ((uint64_t)(numeric ? 0 : 1) << 32) | (uint64_t)(index * STRATA_GEN_MAX_SEGMENTS + k);
      strata_rng g;
      strata_rng_init(&g, p->seed, GEN_STREAM_EXTRA_TABLE, at);
      if (numeric) {
        m->proto_centre[k][j] = 10.0 * exp(0.25 * strata_rng_normal(&g));
      } else {
        int top = (int)strata_rng_below(&g, GEN_EXTRA_LEVELS);
        for (int l = 0; l < GEN_EXTRA_LEVELS; l++) m->proto_level[k][j][l] = l == top ? 4.0 : 1.0;
      }
    }
  }
}

strata_status gen_model_build(strata_ctx *ctx, const strata_gen_params *p, gen_model *m) {
  strata_status st = STRATA_OK;
  memset(m, 0, sizeof *m);
  const gen_profile *pr = strata_gen_profile_get(p->profile);
  STRATA_FAIL_IF(pr == NULL, ctx, STRATA_ERR_USAGE, "--profile: unknown profile %d", p->profile);
  STRATA_FAIL_IF(p->segments < 1 || p->segments > pr->prototypes, ctx, STRATA_ERR_USAGE,
                 "--segments must be between 1 and %d for --profile %s, got %d", pr->prototypes,
                 pr->name, p->segments);
  STRATA_FAIL_IF(p->extra_numeric < 0 || p->extra_numeric > STRATA_GEN_MAX_EXTRA_NUMERIC, ctx,
                 STRATA_ERR_USAGE, "--extra-numeric must be between 0 and %d, got %d",
                 STRATA_GEN_MAX_EXTRA_NUMERIC, p->extra_numeric);
  STRATA_FAIL_IF(
      p->extra_categorical < 0 || p->extra_categorical > STRATA_GEN_MAX_EXTRA_CATEGORICAL, ctx,
      STRATA_ERR_USAGE, "--extra-categorical must be between 0 and %d, got %d",
      STRATA_GEN_MAX_EXTRA_CATEGORICAL, p->extra_categorical);
  m->profile = pr;
  m->K = p->segments;
  m->base_d = pr->columns;
  m->d = pr->columns + p->extra_numeric + p->extra_categorical;
  build_columns(p, m);
  m->shared = p->behaviour == STRATA_GEN_BEHAVIOUR_SHARED;
  const int K = m->K, d = m->d;
  const double S = p->separation;

  double wsum = 0.0;
  for (int k = 0; k < K; k++) wsum += pr->prototype[k].weight;
  for (int k = 0; k < K; k++) {
    m->weight[k] = pr->prototype[k].weight / wsum;
    m->log_weight[k] = log(m->weight[k]);
  }

  /* Behaviour: log-linear in every (positive) parameter, or the flags for everyone. */
  const double shared[STRATA_GEN_BEHAVIOUR] = {p->r,       p->alpha, p->a,    p->b,
                                               p->p_spend, p->q,     p->gamma};
  for (int j = 0; j < STRATA_GEN_BEHAVIOUR; j++) {
    double base = 0.0;
    for (int k = 0; k < K; k++) base += m->weight[k] * log(pr->prototype[k].behaviour[j]);
    for (int k = 0; k < K; k++) {
      double v =
          m->shared ? shared[j] : exp((1.0 - S) * base + S * log(pr->prototype[k].behaviour[j]));
      STRATA_FAIL_IF(!(v > 0.0 && v < DBL_MAX), ctx, STRATA_ERR_USAGE,
                     "--separation %g drives segment %d's %s to %g", S, k,
                     strata_gen_behaviour_names[j], v);
      m->behaviour[k][j] = v;
    }
  }

  for (int j = 0; j < d; j++) {
    const gen_column *c = &m->column[j];
    if (c->kind == GEN_CATEGORICAL) {
      double base[STRATA_GEN_MAX_LEVELS] = {0};
      double lp[STRATA_GEN_MAX_SEGMENTS][STRATA_GEN_MAX_LEVELS];
      for (int k = 0; k < K; k++) {
        double t = 0.0;
        for (int l = 0; l < c->levels; l++) t += m->proto_level[k][j][l];
        for (int l = 0; l < c->levels; l++) {
          lp[k][l] = log(m->proto_level[k][j][l] / t);
          base[l] += m->weight[k] * lp[k][l];
        }
      }
      for (int k = 0; k < K; k++) {
        double t = 0.0, top = -INFINITY, e[STRATA_GEN_MAX_LEVELS];
        for (int l = 0; l < c->levels; l++) {
          e[l] = (1.0 - S) * base[l] + S * lp[k][l];
          if (e[l] > top) top = e[l];
        }
        for (int l = 0; l < c->levels; l++) t += exp(e[l] - top);
        for (int l = 0; l < c->levels; l++) {
          m->log_prob[k][j][l] = e[l] - top - log(t);
          m->prob[k][j][l] = exp(m->log_prob[k][j][l]);
        }
      }
      continue;
    }
    if (c->kind == GEN_BAND) continue; /* after its source column, below */
    int share = c->kind == GEN_BETA;
    double base = 0.0;
    for (int k = 0; k < K; k++) {
      double v = m->proto_centre[k][j];
      base += m->weight[k] * (share ? logit(v) : log(v));
    }
    for (int k = 0; k < K; k++) {
      double v = m->proto_centre[k][j];
      double e = (1.0 - S) * base + S * (share ? logit(v) : log(v));
      double mu = share ? logistic(e) : exp(e);
      STRATA_FAIL_IF(!(mu > 0.0 && mu < (share ? 1.0 : 1e12)), ctx, STRATA_ERR_USAGE,
                     "--separation %g drives segment %d's mean %s to %g", S, k, c->name, mu);
      m->centre[k][j] = mu;
      double s = c->shape;
      switch (c->kind) {
        case GEN_GAMMA: /* c1 = theta (the scale) for the draw */
          m->c1[k][j] = mu / s;
          m->c0[k][j] = -s * log(mu / s);
          break;
        case GEN_BETA: { /* c1, c2 = a, b */
          double a = mu * s, b = (1.0 - mu) * s;
          m->c1[k][j] = a;
          m->c2[k][j] = b;
          m->c0[k][j] = lgamma(a + b) - lgamma(a) - lgamma(b);
          break;
        }
        case GEN_NEGBIN: /* c2 = mean / shape for the draw */
          m->c0[k][j] = s * log(s / (s + mu));
          m->c1[k][j] = log(mu / (s + mu));
          m->c2[k][j] = mu / s;
          break;
        case GEN_LOGNORMAL: /* c0 = log median */ m->c0[k][j] = log(mu); break;
        default: break;
      }
    }
  }
  for (int j = 0; j < d; j++) {
    const gen_column *c = &m->column[j];
    if (c->kind != GEN_BAND) continue;
    double sd = m->column[c->source].shape;
    for (int k = 0; k < K; k++) {
      double mu = m->c0[k][c->source];
      for (int l = 0; l < c->levels; l++) {
        double lo = l == 0 ? -INFINITY : (log(c->band_lo[l] - 0.5) - mu) / sd;
        double hi = l + 1 == c->levels ? INFINITY : (log(c->band_lo[l + 1] - 0.5) - mu) / sd;
        m->prob[k][j][l] = normal_interval(lo, hi);
        m->log_prob[k][j][l] = log(m->prob[k][j][l]);
      }
    }
  }
cleanup:
  return st;
}

int gen_model_draw_segment(const gen_model *m, strata_rng *g) {
  return strata_rng_discrete(g, m->weight, m->K);
}

void gen_model_draw_features(const gen_model *m, int k, strata_rng *g, double *x) {
  for (int j = 0; j < m->base_d; j++) {
    const gen_column *c = &m->column[j];
    switch (c->kind) {
      case GEN_GAMMA: x[j] = strata_rng_gamma(g, c->shape) * m->c1[k][j]; break;
      case GEN_BETA: x[j] = strata_rng_beta(g, m->c1[k][j], m->c2[k][j]); break;
      case GEN_NEGBIN:
        x[j] = (double)strata_rng_poisson(g, strata_rng_gamma(g, c->shape) * m->c2[k][j]);
        break;
      case GEN_LOGNORMAL: {
        double v = floor(m->centre[k][j] * exp(c->shape * strata_rng_normal(g)) + 0.5);
        x[j] = v < 1.0 ? 1.0 : v;
        break;
      }
      case GEN_CATEGORICAL: x[j] = (double)strata_rng_discrete(g, m->prob[k][j], c->levels); break;
      case GEN_BAND: break;
    }
  }
  /* Bands once their source is drawn (a band column may come first in the table). */
  for (int j = 0; j < m->base_d; j++) {
    const gen_column *c = &m->column[j];
    if (c->kind != GEN_BAND) continue;
    int l = 0;
    while (l + 1 < c->levels && x[c->source] >= c->band_lo[l + 1]) l++;
    x[j] = (double)l;
  }
}

void gen_model_draw_extra(const gen_model *m, int k, strata_rng *g, double *x) {
  for (int j = m->base_d; j < m->d; j++) {
    const gen_column *c = &m->column[j];
    if (c->kind == GEN_GAMMA)
      x[j] = strata_rng_gamma(g, c->shape) * m->c1[k][j];
    else
      x[j] = (double)strata_rng_discrete(g, m->prob[k][j], c->levels);
  }
}

int gen_model_most_probable(const gen_model *m, const double *x) {
  double ll[STRATA_GEN_MAX_SEGMENTS];
  for (int k = 0; k < m->K; k++) ll[k] = m->log_weight[k];
  for (int j = 0; j < m->d; j++) {
    const gen_column *c = &m->column[j];
    double v = x[j];
    switch (c->kind) {
      case GEN_GAMMA:
        for (int k = 0; k < m->K; k++) ll[k] += m->c0[k][j] - v / m->c1[k][j];
        break;
      case GEN_BETA: {
        /* A draw can round to 0 or 1 in double: keep the logs finite. */
        double lx = v > 0.0 ? log(v) : -745.0, l1x = v < 1.0 ? log1p(-v) : -745.0;
        for (int k = 0; k < m->K; k++)
          ll[k] += m->c0[k][j] + (m->c1[k][j] - 1.0) * lx + (m->c2[k][j] - 1.0) * l1x;
        break;
      }
      case GEN_NEGBIN:
        for (int k = 0; k < m->K; k++) ll[k] += m->c0[k][j] + v * m->c1[k][j];
        break;
      case GEN_LOGNORMAL: {
        double sd = c->shape;
        if (v < EXACT_ROUNDING_BELOW) {
          for (int k = 0; k < m->K; k++) {
            double pmf = rounded_lognormal_pmf(v, m->c0[k][j], sd);
            ll[k] += pmf > 0.0 ? log(pmf) : -745.0;
          }
        } else {
          double lv = log(v);
          for (int k = 0; k < m->K; k++) {
            double z = (lv - m->c0[k][j]) / sd;
            ll[k] -= 0.5 * z * z;
          }
        }
        break;
      }
      case GEN_CATEGORICAL: {
        int l = (int)v;
        for (int k = 0; k < m->K; k++) ll[k] += m->log_prob[k][j][l];
        break;
      }
      case GEN_BAND: break;
    }
  }
  int best = 0;
  for (int k = 1; k < m->K; k++)
    if (ll[k] > ll[best]) best = k;
  return best;
}

double gen_model_column_mean(const gen_model *m, int k, int j) {
  const gen_column *c = &m->column[j];
  if (gen_column_is_categorical(c)) return NAN;
  if (c->kind == GEN_LOGNORMAL) return rounded_lognormal_mean(m->c0[k][j], c->shape);
  return m->centre[k][j];
}
