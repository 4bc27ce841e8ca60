/*
 * clv.h — strata's customer-lifetime-value engine (internal API of src/clv/).
 *
 * Buy-till-you-die models on RFM summaries, in four steps:
 *
 *   1. strata_clv_rfm_compute        transactions (id, day, amount)  -> per-customer x, t_x, T, m
 *   2. strata_clv_suffstats_build    (x, t_x, T) rows                -> unique rows with weights
 *   3. strata_clv_fit_counts         BG/NBD, MBG/NBD or Pareto/NBD by maximum likelihood
 *      strata_clv_fit_spend          Gamma-Gamma spend model by maximum likelihood
 *   4. strata_clv_score              P(alive), expected purchases, expected spend, discounted CLV
 *
 * Models and the papers they follow:
 *   BG/NBD      Fader, Hardie & Lee (2005), "Counting your customers the easy way",
 *               Marketing Science 24(2). Parameters r, alpha, a, b.
 *   MBG/NBD     Batislam, Denizel & Filiztekin (2007), IJRM 24(3), as lifetimes'
 *               ModifiedBetaGeoFitter. Parameters r, alpha, a, b.
 *   Pareto/NBD  Schmittlein, Morrison & Colombo (1987), Management Science 33(1), with the
 *               likelihood of Fader & Hardie, "A note on deriving the Pareto/NBD model and
 *               related expressions" (2005). Parameters r, alpha, s, beta.
 *   Gamma-Gamma Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves", JMR 42(4);
 *               Fader & Hardie, "The Gamma-Gamma model of monetary value" (2013).
 *               Parameters p, q, gamma (lifetimes calls gamma "v").
 *
 * Conventions (those of include/strata.h hold too):
 *  - Functions that can fail take `strata_ctx *ctx` first and return a strata_status; on
 *    failure the context holds a message naming the parameter, row or customer at fault.
 *    Nothing here prints or exits.
 *  - Input arrays are borrowed for the duration of the call and never modified.
 *  - Structures returned through `**out` are owned by the caller and released with their
 *    _free function, which accepts NULL. On failure *out is NULL.
 *  - Every parallel computation uses fixed blocks and fixed-order reductions: results are
 *    bit-identical for any thread count (strata_ctx_set_threads).
 *  - A context is used by one calling thread at a time; distinct contexts may run
 *    concurrently. The closed-form functions at the end take no context and are pure and
 *    thread-safe.
 *  - Times (t_x, T, horizons) are in "time units": periods divided by freq_multiplier, see
 *    strata_clv_rfm_params. Model parameters alpha and beta are in those units too.
 */
#ifndef STRATA_CLV_H
#define STRATA_CLV_H

#include <stdint.h>

#include "strata.h"

/* ------------------------------------------------------------------ models */

typedef enum strata_clv_model {
  STRATA_CLV_BGNBD = 1,      /* r, alpha, a, b */
  STRATA_CLV_MBGNBD = 2,     /* r, alpha, a, b */
  STRATA_CLV_PARETO_NBD = 3, /* r, alpha, s, beta */
  STRATA_CLV_GAMMA_GAMMA = 4 /* p, q, gamma */
} strata_clv_model;

#define STRATA_CLV_MAX_PARAMS 4

/* "bgnbd", "mbgnbd", "paretonbd", "gammagamma"; "unknown" for other values. Static storage. */
const char *strata_clv_model_name(strata_clv_model model);
/* Parses the names above (also "pnbd", "pareto", "gamma-gamma", "gg"); STRATA_ERR_USAGE
 * naming the bad value otherwise. */
strata_status strata_clv_model_parse(strata_ctx *ctx, const char *name, strata_clv_model *out);
/* 4 for the purchase models, 3 for Gamma-Gamma, 0 for an unknown value. */
int strata_clv_model_nparams(strata_clv_model model);
/* Name of parameter i ("r", "alpha", ...), or "" when out of range. Static storage. */
const char *strata_clv_param_name(strata_clv_model model, int i);

/* ------------------------------------------------------------------ 1. RFM summary */

/* calibration_end value meaning "the last transaction day in the data". */
#define STRATA_CLV_DAY_LAST INT32_MAX
/* 1969-12-29, a Monday: weekly periods then run Monday..Sunday like pandas' "W" periods. */
#define STRATA_CLV_ANCHOR_MONDAY (-3)

typedef struct strata_clv_rfm_params {
  /* Last day of the calibration period, inclusive, in days since 1970-01-01.
   * STRATA_CLV_DAY_LAST (the default) takes the last transaction day of the data. */
  int32_t calibration_end;
  /* Length of the holdout period in days: holdout = (calibration_end, calibration_end +
   * holdout_days]. 0 (the default) means no holdout; transactions after calibration_end are
   * then ignored. Needs an explicit calibration_end. */
  int32_t holdout_days;
  /* Purchase period in days, >= 1 (default 1). Transactions of one customer in the same
   * period count as one purchase and their amounts are added, as lifetimes does with `freq`
   * ("D" = 1, "W" = 7). */
  int32_t period_days;
  /* A day on which a period starts (any day works; only day modulo period_days matters).
   * Default STRATA_CLV_ANCHOR_MONDAY. Irrelevant when period_days is 1. */
  int32_t period_anchor;
  /* Times are reported in units of freq_multiplier periods (lifetimes' freq_multiplier),
   * > 0, default 1. CDNOW's weekly summaries are period_days = 1, freq_multiplier = 7. */
  double freq_multiplier;
  /* Growth windows in days (0, the default: none): the revenue of the last growth_days
   * before calibration_end (inclusive) and of the growth_days before those, per customer
   * (revenue_curr and revenue_prev below). Counted in whole purchase periods:
   * growth_days / period_days of them (at least one). */
  int32_t growth_days;
} strata_clv_rfm_params;

/* Fills the defaults described above. */
void strata_clv_rfm_params_init(strata_clv_rfm_params *params);

/* Per-customer RFM summary, one entry per customer with at least one transaction on or
 * before calibration_end, in ascending id order. All arrays have n entries, are 64-byte
 * aligned and owned by the structure. */
typedef struct strata_clv_rfm {
  int64_t n;                /* customers */
  int64_t *id;              /* customer ids, strictly ascending */
  double *x;                /* frequency: purchase periods in calibration after the first one */
  double *t_x;              /* recency: first to last purchase period, in time units */
  double *T;                /* age: first purchase period to calibration_end's period */
  double *monetary;         /* mean over the x repeat periods of the period's total amount (0 when
                             * x == 0): lifetimes' monetary_value. NULL when amount was NULL. */
  double *x_holdout;        /* purchase periods in the holdout; NULL without holdout */
  double *monetary_holdout; /* mean amount of the holdout transactions (0 when none), as
                             * lifetimes; NULL without holdout or without amounts */
  double duration_holdout;  /* holdout length in time units (0 without holdout) */
  /* What marketers' RFM reads, beside the BTYD summary (calibration rows only): */
  double *transactions; /* transaction rows (not merged by period) */
  double *revenue;      /* total amount of them; NULL when amount was NULL */
  double *revenue_prev, *revenue_curr; /* amounts in the two growth windows; NULL without
                                        * growth_days or amounts */
  int32_t calibration_end;  /* the calibration end actually used (resolves DAY_LAST) */
  int64_t rows_used;        /* transactions that fell in calibration or holdout */
} strata_clv_rfm;

/* Summarises m transactions given as parallel arrays (any order; several rows per customer
 * and per day allowed). `amount` may be NULL (no monetary columns). Fails with
 * STRATA_ERR_DATA for empty input (m == 0), a negative, NaN or infinite amount (naming the
 * row), or when no transaction falls on or before calibration_end; STRATA_ERR_USAGE for
 * NULL arrays or bad parameters (naming the parameter). The sort is a parallel radix sort
 * on (customer, period): O(m) work, deterministic for any thread count. */
strata_status strata_clv_rfm_compute(strata_ctx *ctx, const int64_t *customer_id,
                                     const int32_t *day, const double *amount, int64_t m,
                                     const strata_clv_rfm_params *params, strata_clv_rfm **out);
void strata_clv_rfm_free(strata_clv_rfm *rfm);

/* ------------------------------------------------------------------ 2. sufficient statistics */

/* Identical (x, t_x, T) rows stored once with their total weight (Fader & Hardie's
 * compressed likelihood). Rows keep the order of their first occurrence. `xi` maps each row
 * to the table of distinct x values `xv`, so that per-x terms (log-gammas) are computed
 * once per distinct x. All arrays owned by the structure. */
typedef struct strata_clv_suffstats {
  int64_t n;           /* unique rows */
  double *x, *t_x, *T; /* the rows */
  double *w;           /* weight of each row (number of customers when no weights given) */
  int32_t *xi;         /* row -> index into xv */
  int64_t n_x;         /* distinct x values */
  double *xv;          /* distinct x values, ascending */
  double total_weight; /* sum of w */
  double max_T;        /* largest T (lifetimes scales time by 1 / max_T for the penalty) */
  int64_t customers;   /* input rows */
} strata_clv_suffstats;

/* Builds the compressed statistics from n customers. `weight` may be NULL (each row counts
 * once); weights must be finite and >= 0. Validation (STRATA_ERR_DATA naming the first bad
 * row): x a non-negative integer, 0 <= t_x <= T, t_x == 0 when x == 0, all finite; n == 0
 * is an error. O(n) expected time (hashing). */
strata_status strata_clv_suffstats_build(strata_ctx *ctx, const double *x, const double *t_x,
                                         const double *T, const double *weight, int64_t n,
                                         strata_clv_suffstats **out);
void strata_clv_suffstats_free(strata_clv_suffstats *ss);

/* ------------------------------------------------------------------ 3. fits */

typedef struct strata_clv_fit_params {
  /* L2 penalty coefficient, >= 0 (lifetimes' penalizer_coef). The objective minimised is
   * -LL / sum(weights) + penalizer * sum(theta_j^2), where for the purchase models the time
   * parameters (alpha, beta) enter the penalty in units in which the largest T is 1, as
   * lifetimes 0.11 does (it fits on time scaled by 1 / max T). Default 0. */
  double penalizer;
  /* Starting values in natural units; an entry <= 0 takes the default (1 for every parameter
   * with alpha and beta set to max T, i.e. lifetimes' start of 1 in scaled time). */
  double init[STRATA_CLV_MAX_PARAMS];
  /* Maximum objective evaluations, default 5000. */
  int max_evals;
  /* Relative tolerance on the parameters, default 1e-10. */
  double xtol_rel;
  /* Convergence is accepted when the largest absolute gradient component of the objective
   * with respect to the log-parameters is at most this, default 1e-5. */
  double gtol;
} strata_clv_fit_params;

void strata_clv_fit_params_init(strata_clv_fit_params *params);

/* A fitted model. Scoring reads only `model` and `params`, so a model read back from a file
 * can be scored by filling those two fields (zero the rest). */
typedef struct strata_clv_fit {
  strata_clv_model model;
  int n_params;
  double params[STRATA_CLV_MAX_PARAMS]; /* natural units, names from strata_clv_param_name */
  double se[STRATA_CLV_MAX_PARAMS];     /* standard errors from the inverse of the observed
                                         * information (numerical Hessian of the penalised
                                         * total log-likelihood); NaN when that Hessian is not
                                         * negative definite */
  double loglik;         /* total log-likelihood at params (weighted, without the penalty) */
  double objective;      /* the penalised mean negative log-likelihood that was minimised */
  double grad_norm;      /* max |d objective / d log theta_j| at the end */
  int evaluations;       /* objective evaluations used by the optimiser */
  int optimizer_code;    /* NLopt's nlopt_result */
  const char *optimizer; /* "NLopt LD_LBFGS (analytic gradient)", ... static storage */
  double n_obs;          /* customers in the fit (sum of weights) */
} strata_clv_fit;

/* Fits BG/NBD, MBG/NBD or Pareto/NBD on compressed statistics. BG/NBD and MBG/NBD use NLopt's
 * LD_LBFGS with analytic gradients; Pareto/NBD uses the derivative-free LN_BOBYQA (its
 * gradient goes through the hypergeometric function), both on log-parameters. The
 * likelihood is summed over rows with the block driver (fixed order: the same result for
 * any thread count). `params` may be NULL for the defaults. Fails with STRATA_ERR_DATA when
 * no customer has a repeat purchase (the model is not identified), and with
 * STRATA_ERR_NOT_CONVERGED, naming the model, the evaluations and the gradient reached, when
 * the optimiser stops before the gradient test passes or where the likelihood is flat (its
 * Hessian not negative definite, e.g. parameters drifting to infinity on degenerate data);
 * `out` then still holds the last point for diagnosis. */
strata_status strata_clv_fit_counts(strata_ctx *ctx, strata_clv_model model,
                                    const strata_clv_suffstats *ss,
                                    const strata_clv_fit_params *params, strata_clv_fit *out);

/* Fits Gamma-Gamma on n customers' (x, monetary) with optional weights (NULL = 1). Rows with
 * x == 0 are skipped (they carry no spend information); the others need monetary > 0 and
 * finite (STRATA_ERR_DATA naming the row otherwise) and x integer. LD_LBFGS with analytic
 * gradients on log-parameters. */
strata_status strata_clv_fit_spend(strata_ctx *ctx, const double *x, const double *monetary,
                                   const double *weight, int64_t n,
                                   const strata_clv_fit_params *params, strata_clv_fit *out);

/* Total (weighted) log-likelihood of a purchase model at `theta`, and when `grad` is not
 * NULL its gradient with respect to theta (natural units; Pareto/NBD by central
 * differences). For checks against published values. */
strata_status strata_clv_loglik_counts(strata_ctx *ctx, strata_clv_model model, const double *theta,
                                       const strata_clv_suffstats *ss, double *loglik,
                                       double *grad);
/* Same for Gamma-Gamma over the rows with x > 0. */
strata_status strata_clv_loglik_spend(strata_ctx *ctx, const double *theta, const double *x,
                                      const double *monetary, const double *weight, int64_t n,
                                      double *loglik, double *grad);

/* ------------------------------------------------------------------ 4. scoring */

typedef struct strata_clv_score_params {
  /* t of expected_purchases: purchases expected in (T, T + horizon], time units, >= 0.
   * Default 1. */
  double horizon;
  /* CLV as lifetimes' customer_lifetime_value: sum over i = 1..clv_periods of
   *   E[spend] * (E[Y(i L)] - E[Y((i-1) L)]) / (1 + discount_rate)^i,
   * with L = clv_period_length time units (lifetimes: 30 for days, 4.345 for weeks, i.e.
   * months). Defaults: 12 periods of 30 time units, discount_rate 0.01. clv_periods == 0
   * gives CLV 0. */
  int clv_periods;
  double clv_period_length;
  double discount_rate; /* per CLV period, > -1 */
} strata_clv_score_params;

void strata_clv_score_params_init(strata_clv_score_params *params);

/* Output arrays of n entries supplied (and owned) by the caller; any may be NULL to skip
 * that score. */
typedef struct strata_clv_scores {
  double *p_alive;            /* P(alive at T | x, t_x, T) */
  double *expected_purchases; /* E[Y(horizon) | x, t_x, T] */
  double *expected_spend;     /* Gamma-Gamma E[M | x, m]; the population mean when x == 0 */
  double *clv;                /* discounted CLV (needs the spend model and monetary) */
} strata_clv_scores;

/* Scores n customers. `counts` is a purchase model (only model and params are read);
 * `spend` a Gamma-Gamma model, needed (with `monetary`) for expected_spend and clv, else
 * may be NULL. Inputs are validated like strata_clv_suffstats_build (monetary >= 0; it is
 * ignored when x == 0); the first bad row is named (STRATA_ERR_DATA). A spend model with
 * q <= 1 has an infinite mean and is refused. Results are finite for every valid input,
 * including heavy buyers (x in the thousands, long T): all powers are taken in log space and
 * the hypergeometric functions are evaluated after Euler's transformation (positive, fast
 * series) with tanh-sinh quadrature of their integral form where the series would be slow
 * (argument near 1). OpenMP over blocks of customers; identical for any thread count.
 * Cost: P(alive) a log and an exp per customer; for BG/NBD and MBG/NBD the forecasts depend
 * on (x, T) only and are memoised in a per-thread cache (up to 4 MiB per thread; values are
 * the same on a hit or a miss), so bases with repeated (x, T) pairs (integer days or weeks)
 * score CLV at close to the cost of P(alive); a miss costs one series shared by all CLV
 * periods plus a log1p and an expm1 per period. Measured on 2 cores, 1M customers (ages in
 * whole days): 60M/s P(alive), 30M/s with E[Y], 16M/s with spend and 12-period CLV;
 * all-distinct ages: 16M/s with E[Y], 2.3M/s with CLV. */
strata_status strata_clv_score(strata_ctx *ctx, const strata_clv_fit *counts,
                               const strata_clv_fit *spend, const double *x, const double *t_x,
                               const double *T, const double *monetary, int64_t n,
                               const strata_clv_score_params *params, strata_clv_scores *out);

/* ------------------------------------------------------------------ closed forms, one customer */

/* Pure functions of one customer for a model's params (no validation: inputs must be valid
 * as above). Thread-safe. They are the same code that strata_clv_score runs. */
double strata_clv_p_alive(strata_clv_model model, const double *params, double x, double t_x,
                          double T);
/* E[Y(t) | x, t_x, T]: purchases expected in the next t time units. With x = t_x = T = 0 this
 * is the unconditional E[X(t)] of a new customer. */
double strata_clv_expected_purchases(strata_clv_model model, const double *params, double t,
                                     double x, double t_x, double T);
/* Gamma-Gamma conditional mean spend per transaction (params p, q, gamma; q > 1). */
double strata_clv_expected_spend(const double *params, double x, double monetary);
/* Log-likelihood of one customer (purchase models). */
double strata_clv_loglik1(strata_clv_model model, const double *params, double x, double t_x,
                          double T);

#endif
