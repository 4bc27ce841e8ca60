/*
 * Scoring: P(alive), conditional expected purchases, Gamma-Gamma expected spend and
 * discounted CLV for every customer (formulas in models.c and special.c).
 *
 * CLV follows lifetimes' customer_lifetime_value: sum_i spend (E[Y(t_i)] - E[Y(t_{i-1})]) /
 * (1 + d)^i with t_i = i L. For BG/NBD and MBG/NBD the hypergeometric series of all the t_i
 * share their coefficients (only the argument z_i changes), so one pass over the terms
 * serves every period: the cost of CLV is one series plus a few logs and exps per period.
 * BG/NBD-family P(alive) runs block-wise in SIMD lanes (kernels/clv_*.c, SLEEF's 1-ulp
 * log, log1p and exp; bit-identical on every ISA). Customers are processed in fixed blocks
 * over the OpenMP team (block driver); each result depends on its own row only, so outputs
 * are identical for any thread count.
 * Cost: O(n (series terms + periods)).
 */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "clv/clv_internal.h"
#include "clv/clv_math.h"
#include "core/driver.h"
#include "clv_kernels.h"

#define SCORE_BLOCK 4096
#define MAX_CLV_PERIODS 4096
#define SERIES_Z_MAX 0.95
#define MEMO_BITS_MAX 17 /* per-thread cache of up to 131072 (x, T) entries: 4 MiB */

/* For BG/NBD and MBG/NBD, the alive-customer forecasts N(t) (and so the discounted sum of
 * CLV) depend on (x, T) only, and real bases repeat (x, T) pairs a lot (integer days or
 * weeks, small x). A direct-mapped per-thread cache keyed by the pair's bits skips the
 * series for repeats. A hit returns exactly what a miss computes, so results do not depend
 * on the cache (or the thread count). */
typedef struct memo_entry {
  double x, T; /* key; x = -1 marks an empty slot */
  double n_h;  /* N(horizon) */
  double d;    /* sum_i disc_i (N(t_i) - N(t_{i-1})) */
} memo_entry;

/* Per-thread cache state, padded to its own cache line. When (x, T) hardly repeat (continuous
 * ages) the cache only costs memory traffic: after MEMO_PROBE lookups with under 1 in 8 hits
 * the thread stops using it for the rest of the call. */
#define MEMO_PROBE 4096
#define MEMO_PREFETCH 8
typedef struct memo_state {
  memo_entry *slots;
  int64_t lookups, hits;
  int off;
  char pad[64 - sizeof(memo_entry *) - 2 * sizeof(int64_t) - sizeof(int)];
} memo_state;

void strata_clv_score_params_init(strata_clv_score_params *p) {
  if (p == NULL) return;
  memset(p, 0, sizeof *p);
  p->horizon = 1.0;
  p->clv_periods = 12;
  p->clv_period_length = 30.0;
  p->discount_rate = 0.01;
}

typedef struct score_job {
  strata_clv_model model;
  double p[4];
  int have_spend;
  double g[3];
  const double *x, *t_x, *T, *m;
  strata_clv_score_params sp;
  strata_clv_scores out;
  int64_t *bad;    /* per block: first bad row or INT64_MAX */
  double *scratch; /* per thread: SCORE_BLOCK P(alive) values, then 3 * clv_periods doubles */
  int n_scratch;
  double *disc;        /* (1 + d)^-i, i = 1..K */
  memo_entry *memo;    /* per thread: 1 << memo_bits entries (BG family) */
  memo_state *memo_st; /* per thread */
  int memo_bits;
  strata_clv_bg_consts bg; /* BG/NBD family: P(alive) by the vector kernel */
  strata_clv_bg_p_alive_fn bg_p_alive;
} score_job;

/* sum_i disc_i (N_i - N_{i-1}) for BG/NBD-family customers, N_i the alive-customer expected
 * purchases by t_i = i L (multiplied by P(alive) and spend by the caller). */
static double bg_discounted(const score_job *J, double *buf, double x, double T) {
  int K = J->sp.clv_periods;
  double r = J->p[0], alpha = J->p[1], a = J->p[2];
  double bb = J->model == STRATA_CLV_MBGNBD ? J->p[3] + 1.0 : J->p[3];
  double c = a + bb + x - 1.0, A = a + bb - 1.0 - r, eps = a - 1.0;
  double base = alpha + T, Lp = J->sp.clv_period_length;
  double *z = buf, *pw = buf + K, *U = buf + 2 * K;
  int ks = 0; /* horizons 0..ks-1 use the shared series */
  for (int i = 0; i < K; i++) {
    double t = (i + 1) * Lp;
    z[i] = t / (base + t);
    if (z[i] <= SERIES_Z_MAX) ks = i + 1;
    pw[i] = z[i];
    U[i] = A * z[i];
  }
  if (ks > 0) {
    /* Horizons [lo, ks) still need terms. z grows with the horizon, so they converge in
     * order and the window only shrinks from the left. */
    double u = A;
    int lo = 0;
    for (int k = 1; k < 4000 && lo < ks; k++) {
      double ratio = (A + k) * (eps + k) / ((c + k) * (k + 1.0));
      u *= ratio;
      for (int i = lo; i < ks; i++) {
        pw[i] *= z[i];
        U[i] += u * pw[i];
      }
      while (lo < ks && fabs(u * pw[lo]) <= 1e-17 * (fabs(U[lo]) + fabs(c) * z[lo]) &&
             fabs(ratio * z[lo]) < 1.0)
        lo++;
    }
  }
  double acc = 0.0, prev = 0.0;
  for (int i = 0; i < K; i++) {
    double t = (i + 1) * Lp;
    double Ni;
    if (i < ks) {
      double L = log1p(t / base);
      double y = eps * L;
      /* one expm1 serves both (1 - e^-y) / eps and e^-y */
      double em = expm1(-y);
      double ratio = fabs(y) < 1e-8 ? L * (1.0 - 0.5 * y) : -em / eps;
      Ni = c * ratio - (1.0 + em) * U[i];
      if (Ni < 0.0) Ni = 0.0;
    } else {
      Ni = strata_clv_bg_alive_purchases_quad(r, alpha, a, bb, x, T, t);
    }
    acc += J->disc[i] * (Ni - prev);
    prev = Ni;
  }
  return acc;
}

static double pnbd_discounted(const score_job *J, double x, double T) {
  int K = J->sp.clv_periods;
  double r = J->p[0], alpha = J->p[1], s = J->p[2], beta = J->p[3];
  double rate = (r + x) / (alpha + T) * (beta + T);
  double acc = 0.0, prev = 0.0;
  for (int i = 0; i < K; i++) {
    double t = (i + 1) * J->sp.clv_period_length;
    double Ni = rate * strata_clv_expm1_ratio(s - 1.0, log1p(t / (beta + T)));
    acc += J->disc[i] * (Ni - prev);
    prev = Ni;
  }
  return acc;
}

static int row_ok(const score_job *J, int64_t i) {
  double x = J->x[i], tx = J->t_x[i], T = J->T[i];
  if (!(isfinite(x) && isfinite(tx) && isfinite(T))) return 0;
  if (x < 0.0 || x != floor(x) || tx < 0.0 || tx > T || (x == 0.0 && tx != 0.0)) return 0;
  if (J->m && x > 0.0 && !(J->m[i] >= 0.0 && isfinite(J->m[i]))) return 0;
  return 1;
}

static inline uint64_t memo_slot(double x, double T, int bits) {
  uint64_t a, b;
  memcpy(&a, &x, sizeof a);
  memcpy(&b, &T, sizeof b);
  uint64_t h = (a * 0x9E3779B97F4A7C15ULL) ^ (b + 0x632BE59BD9B4E019ULL + (a << 6));
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  return (h >> 32) & (((uint64_t)1 << bits) - 1);
}

static void score_block(void *arg, int64_t block, int64_t begin, int64_t end, double *partial) {
  const score_job *J = arg;
  (void)partial;
  int tid = omp_get_thread_num();
  double *pa_block = J->scratch + (size_t)tid * (size_t)J->n_scratch;
  double *buf = pa_block + SCORE_BLOCK;
  memo_state *ms = J->memo_st ? &J->memo_st[tid] : NULL;
  int need_n = J->out.expected_purchases != NULL;
  int need_d = J->have_spend && J->out.clv != NULL && J->sp.clv_periods > 0;
  int64_t bad = INT64_MAX;
  int is_bg = J->model != STRATA_CLV_PARETO_NBD;
  /* The transcendental part of P(alive) for the whole block in SIMD lanes first; rows that
   * fail the checks below are overwritten with NaN. */
  if (is_bg) J->bg_p_alive(&J->bg, J->x + begin, J->t_x + begin, J->T + begin, end - begin, pa_block);
  for (int64_t i = begin; i < end; i++) {
    if (!row_ok(J, i)) {
      if (bad == INT64_MAX) bad = i;
      if (J->out.p_alive) J->out.p_alive[i] = NAN;
      if (J->out.expected_purchases) J->out.expected_purchases[i] = NAN;
      if (J->out.expected_spend) J->out.expected_spend[i] = NAN;
      if (J->out.clv) J->out.clv[i] = NAN;
      continue;
    }
    double x = J->x[i], tx = J->t_x[i], T = J->T[i];
    double pa = is_bg ? pa_block[i - begin] : strata_clv_p_alive(J->model, J->p, x, tx, T);
    /* The cache is direct-mapped over a few MiB: fetch the slot of a row a little ahead so
     * that the lookup below does not wait on memory. */
    if (is_bg && !ms->off && i + MEMO_PREFETCH < end)
      __builtin_prefetch(&ms->slots[memo_slot(J->x[i + MEMO_PREFETCH], J->T[i + MEMO_PREFETCH],
                                              J->memo_bits)]);
    if (J->out.p_alive) J->out.p_alive[i] = pa;
    double n_h = 0.0, d = 0.0;
    if (is_bg && (need_n || need_d)) {
      memo_entry *e = NULL;
      if (!ms->off) {
        e = &ms->slots[memo_slot(x, T, J->memo_bits)];
        ms->lookups++;
        if (e->x == x && e->T == T)
          ms->hits++;
        else
          e = NULL;
        if (ms->lookups == MEMO_PROBE && ms->hits < MEMO_PROBE / 8) ms->off = 1;
      }
      if (e != NULL) {
        n_h = e->n_h;
        d = e->d;
      } else {
        double bb = J->model == STRATA_CLV_MBGNBD ? J->p[3] + 1.0 : J->p[3];
        if (need_n)
          n_h = strata_clv_bg_alive_purchases(J->p[0], J->p[1], J->p[2], bb, x, T, J->sp.horizon);
        if (need_d) d = bg_discounted(J, buf, x, T);
        if (!ms->off) {
          e = &ms->slots[memo_slot(x, T, J->memo_bits)];
          e->x = x;
          e->T = T;
          e->n_h = n_h;
          e->d = d;
        }
      }
    }
    if (J->out.expected_purchases) {
      double e;
      if (is_bg) {
        e = pa * n_h;
      } else {
        double r = J->p[0], alpha = J->p[1], s = J->p[2], beta = J->p[3];
        e = pa * (r + x) / (alpha + T) * (beta + T) *
            strata_clv_expm1_ratio(s - 1.0, log1p(J->sp.horizon / (beta + T)));
      }
      J->out.expected_purchases[i] = e;
    }
    if (J->have_spend) {
      /* A repeat buyer whose repeat purchases total 0 (left out of the spend fit) gets the
       * population's mean spend, as a customer without repeat purchases does. */
      double m = x > 0.0 ? J->m[i] : 0.0;
      double spend = strata_clv_expected_spend(J->g, m > 0.0 ? x : 0.0, m);
      if (J->out.expected_spend) J->out.expected_spend[i] = spend;
      if (J->out.clv) {
        if (!is_bg && J->sp.clv_periods > 0) d = pnbd_discounted(J, x, T);
        J->out.clv[i] = spend * pa * d;
      }
    }
  }
  J->bad[block] = bad;
}

strata_status strata_clv_score(strata_ctx *ctx, const strata_clv_fit *counts,
                               const strata_clv_fit *spend, const double *x, const double *t_x,
                               const double *T, const double *monetary, int64_t n,
                               const strata_clv_score_params *params, strata_clv_scores *out) {
  strata_status st = STRATA_OK;
  score_job J;
  memset(&J, 0, sizeof J);
  double t0 = strata_now();
  STRATA_FAIL_IF(counts == NULL || out == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_clv_score: counts model and out must not be NULL");
  STRATA_FAIL_IF(counts->model != STRATA_CLV_BGNBD && counts->model != STRATA_CLV_MBGNBD &&
                     counts->model != STRATA_CLV_PARETO_NBD,
                 ctx, STRATA_ERR_USAGE,
                 "CLV scoring: counts model must be bgnbd, mbgnbd or paretonbd, got %s",
                 strata_clv_model_name(counts->model));
  for (int j = 0; j < 4; j++)
    STRATA_FAIL_IF(!(counts->params[j] > 0.0) || !isfinite(counts->params[j]), ctx,
                   STRATA_ERR_USAGE, "CLV scoring: %s parameter %s = %g must be positive",
                   strata_clv_model_name(counts->model), strata_clv_param_name(counts->model, j),
                   counts->params[j]);
  STRATA_FAIL_IF(n < 0, ctx, STRATA_ERR_USAGE, "CLV scoring: negative customer count");
  STRATA_FAIL_IF(n > 0 && (x == NULL || t_x == NULL || T == NULL), ctx, STRATA_ERR_USAGE,
                 "CLV scoring: x, t_x and T must not be NULL");
  if (params)
    J.sp = *params;
  else
    strata_clv_score_params_init(&J.sp);
  STRATA_FAIL_IF(!(J.sp.horizon >= 0.0) || !isfinite(J.sp.horizon), ctx, STRATA_ERR_USAGE,
                 "CLV scoring: horizon must be finite and >= 0, got %g", J.sp.horizon);
  int need_spend = out->expected_spend != NULL || out->clv != NULL;
  if (need_spend) {
    STRATA_FAIL_IF(spend == NULL || spend->model != STRATA_CLV_GAMMA_GAMMA, ctx, STRATA_ERR_USAGE,
                   "CLV scoring: expected spend and CLV need a Gamma-Gamma spend model");
    STRATA_FAIL_IF(n > 0 && monetary == NULL, ctx, STRATA_ERR_USAGE,
                   "CLV scoring: expected spend and CLV need the monetary values");
    for (int j = 0; j < 3; j++)
      STRATA_FAIL_IF(!(spend->params[j] > 0.0) || !isfinite(spend->params[j]), ctx,
                     STRATA_ERR_USAGE,
                     "CLV scoring: Gamma-Gamma parameter %s = %g must be positive",
                     strata_clv_param_name(STRATA_CLV_GAMMA_GAMMA, j), spend->params[j]);
    STRATA_FAIL_IF(!(spend->params[1] > 1.0), ctx, STRATA_ERR_DATA,
                   "CLV scoring: the Gamma-Gamma model has q = %g <= 1, so its mean spend is "
                   "infinite; refit (e.g. with a penalizer) before scoring spend",
                   spend->params[1]);
    J.have_spend = 1;
    memcpy(J.g, spend->params, sizeof J.g);
  }
  if (out->clv) {
    STRATA_FAIL_IF(J.sp.clv_periods < 0 || J.sp.clv_periods > MAX_CLV_PERIODS, ctx,
                   STRATA_ERR_USAGE, "CLV scoring: clv_periods must be in 0..%d, got %d",
                   MAX_CLV_PERIODS, J.sp.clv_periods);
    STRATA_FAIL_IF(!(J.sp.clv_period_length > 0.0) || !isfinite(J.sp.clv_period_length), ctx,
                   STRATA_ERR_USAGE, "CLV scoring: clv_period_length must be > 0, got %g",
                   J.sp.clv_period_length);
    STRATA_FAIL_IF(!(J.sp.discount_rate > -1.0) || !isfinite(J.sp.discount_rate), ctx,
                   STRATA_ERR_USAGE, "CLV scoring: discount_rate must be > -1, got %g",
                   J.sp.discount_rate);
  } else {
    J.sp.clv_periods = 0;
  }
  if (n == 0) goto cleanup;
  J.model = counts->model;
  memcpy(J.p, counts->params, sizeof J.p);
  J.x = x;
  J.t_x = t_x;
  J.T = T;
  J.m = need_spend ? monetary : NULL;
  J.out = *out;
  int64_t nb = strata_block_count(n, SCORE_BLOCK);
  STRATA_TRY(strata_alloc(ctx, (size_t)nb, sizeof *J.bad, "CLV score row checks", (void **)&J.bad));
  J.n_scratch = SCORE_BLOCK + 3 * J.sp.clv_periods;
  STRATA_TRY(strata_alloc(ctx, (size_t)strata_ctx_threads(ctx) * (size_t)J.n_scratch,
                          sizeof(double), "CLV score scratch", (void **)&J.scratch));
  if (J.sp.clv_periods > 0) {
    int K = J.sp.clv_periods;
    STRATA_TRY(
        strata_alloc(ctx, (size_t)K, sizeof(double), "CLV discount factors", (void **)&J.disc));
    double lf = log1p(J.sp.discount_rate);
    for (int i = 0; i < K; i++) J.disc[i] = exp(-(i + 1) * lf);
  }
  if (J.model != STRATA_CLV_PARETO_NBD) {
    J.bg = (strata_clv_bg_consts){J.p[0], J.p[1], J.p[2],
                                  J.model == STRATA_CLV_MBGNBD ? J.p[3] + 1.0 : J.p[3],
                                  J.model == STRATA_CLV_MBGNBD};
    J.bg_p_alive = strata_clv_kernels_get()->bg_p_alive;
    /* About two slots per customer a thread sees, within 2^10 .. 2^MEMO_BITS_MAX. */
    int threads = strata_ctx_threads(ctx);
    J.memo_bits = 10;
    while (J.memo_bits < MEMO_BITS_MAX && ((int64_t)1 << J.memo_bits) < 2 * n / threads)
      J.memo_bits++;
    size_t slots = (size_t)threads << J.memo_bits;
    STRATA_TRY(strata_alloc(ctx, slots, sizeof *J.memo, "CLV score cache", (void **)&J.memo));
    for (size_t k = 0; k < slots; k++) J.memo[k].x = -1.0;
    STRATA_TRY(strata_calloc(ctx, (size_t)threads, sizeof *J.memo_st, "CLV score cache state",
                             (void **)&J.memo_st));
    for (int t = 0; t < threads; t++) J.memo_st[t].slots = J.memo + ((size_t)t << J.memo_bits);
  }
  STRATA_TRY(strata_for_blocks(ctx, "clv score", n, SCORE_BLOCK, 0, score_block, &J, NULL));
  for (int64_t b = 0; b < nb; b++) {
    if (J.bad[b] != INT64_MAX) {
      int64_t i = J.bad[b];
      const char *why =
          "x must be a non-negative integer, 0 <= t_x <= T, t_x == 0 when x == 0, "
          "all finite";
      if (J.m && x[i] > 0.0 && !(J.m[i] >= 0.0 && isfinite(J.m[i])))
        why = "monetary value must be finite and >= 0";
      st = strata_fail(ctx, STRATA_ERR_DATA,
                       "CLV scoring: customer row %lld (x = %g, t_x = %g, T = %g): %s",
                       (long long)i, x[i], t_x[i], T[i], why);
      goto cleanup;
    }
  }
  strata_phase_add(ctx, "clv score", strata_now() - t0);
cleanup:
  strata_free(J.bad);
  strata_free(J.scratch);
  strata_free(J.disc);
  strata_free(J.memo);
  strata_free(J.memo_st);
  return st;
}
