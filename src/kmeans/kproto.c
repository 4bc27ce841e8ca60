/*
 * strata_kproto_fit and strata_kproto_assign (kproto.h): checks the view and the parameters
 * (one parallel pass naming the first bad value by row and column), resolves gamma, runs
 * n_init seeded runs of LLOYD or HUANG (or one from given prototypes) and keeps the lowest
 * cost, the first on a tie. The iterations are in kproto_lloyd.c and kproto_huang.c, the
 * seeding in kproto_seed.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/driver.h"
#include "core/rng.h"
#include "kmeans/kproto.h"

struct strata_kproto_s {
  int64_t k, dn, dc, n;
  double gamma;
  double *centers;
  int32_t *modes;
  int32_t *labels;
  double cost;
  int n_iter;
  int converged;
  strata_kproto_algorithm algorithm;
};

void strata_kproto_params_init(strata_kproto_params *params) {
  if (params == NULL) return;
  memset(params, 0, sizeof *params);
  params->k = 8;
  params->gamma = -1.0;
  params->max_iter = 100;
  params->n_init = 1;
  params->algorithm = STRATA_KPROTO_LLOYD;
}

void strata_kproto_free(strata_kproto *m) {
  if (m == NULL) return;
  strata_free(m->centers);
  strata_free(m->modes);
  strata_free(m->labels);
  free(m);
}

int64_t strata_kproto_k(const strata_kproto *m) { return m ? m->k : 0; }
int64_t strata_kproto_dn(const strata_kproto *m) { return m ? m->dn : 0; }
int64_t strata_kproto_dc(const strata_kproto *m) { return m ? m->dc : 0; }
int64_t strata_kproto_n(const strata_kproto *m) { return m ? m->n : 0; }
double strata_kproto_gamma(const strata_kproto *m) { return m ? m->gamma : NAN; }
const double *strata_kproto_centers(const strata_kproto *m) { return m ? m->centers : NULL; }
const int32_t *strata_kproto_modes(const strata_kproto *m) { return m ? m->modes : NULL; }
const int32_t *strata_kproto_labels(const strata_kproto *m) { return m ? m->labels : NULL; }
double strata_kproto_cost(const strata_kproto *m) { return m ? m->cost : NAN; }
int strata_kproto_n_iter(const strata_kproto *m) { return m ? m->n_iter : 0; }
int strata_kproto_converged(const strata_kproto *m) { return m ? m->converged : 0; }
strata_kproto_algorithm strata_kproto_algorithm_used(const strata_kproto *m) {
  return m ? m->algorithm : STRATA_KPROTO_LLOYD;
}

/* ---- the data check: one parallel pass, the first offender by row then column */

typedef struct kp_check {
  const kp_problem *p;
  int64_t *bad; /* per block: row, column, kind (0 numeric, 1 code), or row -1 */
} kp_check;

static void check_block(void *arg, int64_t b, int64_t begin, int64_t end, double *partial) {
  (void)partial;
  const kp_check *c = arg;
  const kp_problem *p = c->p;
  int64_t *bad = c->bad + 3 * b;
  bad[0] = -1;
  for (int64_t i = begin; i < end; i++) {
    if (p->dn > 0) {
      const double *xi = p->x + i * p->ldx;
      /* x * 0 is 0 for a finite x and NaN for an infinite or NaN one: a zero sum proves the
       * row finite without a branch per value; only a bad row takes the per-value scan. */
      double s = 0.0;
      for (int64_t t = 0; t < p->dn; t++) s += xi[t] * 0.0;
      if (s != 0.0)
        for (int64_t t = 0; t < p->dn; t++)
          if (!isfinite(xi[t])) {
            bad[0] = i;
            bad[1] = t;
            bad[2] = 0;
            return;
          }
    }
    if (p->dc > 0) {
      const int32_t *ci = p->codes + i * p->ldc;
      for (int64_t t = 0; t < p->dc; t++)
        if (ci[t] < 0 || ci[t] >= p->levels[t]) {
          bad[0] = i;
          bad[1] = t;
          bad[2] = 1;
          return;
        }
    }
  }
}

static strata_status check_values(const kp_problem *p) {
  strata_status st = STRATA_OK;
  strata_ctx *ctx = p->ctx;
  kp_check c = {p, NULL};
  const int64_t nb = strata_block_count(p->n, KP_BLOCK_ROWS);
  STRATA_TRY(
      strata_alloc(ctx, (size_t)nb * 3, sizeof(int64_t), "k-prototypes check", (void **)&c.bad));
  STRATA_TRY(strata_for_blocks(ctx, "check", p->n, KP_BLOCK_ROWS, 0, check_block, &c, NULL));
  for (int64_t b = 0; b < nb; b++) {
    const int64_t *bad = c.bad + 3 * b;
    if (bad[0] < 0) continue;
    if (bad[2] == 0) {
      const double v = p->x[bad[0] * p->ldx + bad[1]];
      st = strata_fail(ctx, STRATA_ERR_DATA, "k-prototypes: row %lld, numeric column %lld is %s",
                       (long long)bad[0], (long long)bad[1],
                       isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf"));
    } else {
      st = strata_fail(ctx, STRATA_ERR_DATA,
                       "k-prototypes: row %lld, categorical column %lld has code %d outside "
                       "[0, %d)",
                       (long long)bad[0], (long long)bad[1],
                       (int)p->codes[bad[0] * p->ldc + bad[1]], (int)p->levels[bad[1]]);
    }
    goto cleanup;
  }
cleanup:
  strata_free(c.bad);
  return st;
}

/* Shape checks of the view and the level counts, then the problem with its level offsets. */
static strata_status prepare(strata_ctx *ctx, const strata_mixed *x, int64_t k,
                             const double *weights, int fit, kp_problem *p) {
  strata_status st = STRATA_OK;
  memset(p, 0, sizeof *p);
  STRATA_FAIL_IF(ctx == NULL, ctx, STRATA_ERR_USAGE, "k-prototypes: no context");
  STRATA_FAIL_IF(x == NULL, ctx, STRATA_ERR_USAGE, "k-prototypes: no data");
  STRATA_FAIL_IF(x->n < 1, ctx, STRATA_ERR_DATA, "k-prototypes: the data has no rows");
  STRATA_FAIL_IF(x->n > INT32_MAX, ctx, STRATA_ERR_USAGE,
                 "k-prototypes: %lld rows are beyond the 2^31 of a label", (long long)x->n);
  STRATA_FAIL_IF(x->dn < 0 || x->dc < 0 || x->dn + x->dc == 0, ctx, STRATA_ERR_USAGE,
                 "k-prototypes: dn = %lld numeric and dc = %lld categorical columns (need at "
                 "least one)",
                 (long long)x->dn, (long long)x->dc);
  STRATA_FAIL_IF(x->dn > 0 && x->numeric == NULL, ctx, STRATA_ERR_USAGE,
                 "k-prototypes: dn = %lld but no numeric array", (long long)x->dn);
  STRATA_FAIL_IF(x->dc > 0 && (x->codes == NULL || x->levels == NULL), ctx, STRATA_ERR_USAGE,
                 "k-prototypes: dc = %lld but no codes or levels array", (long long)x->dc);
  STRATA_FAIL_IF(x->dn > 0 && x->ld_num < x->dn, ctx, STRATA_ERR_USAGE,
                 "k-prototypes: ld_num (%lld) < dn (%lld)", (long long)x->ld_num, (long long)x->dn);
  STRATA_FAIL_IF(x->dc > 0 && x->ld_cat < x->dc, ctx, STRATA_ERR_USAGE,
                 "k-prototypes: ld_cat (%lld) < dc (%lld)", (long long)x->ld_cat, (long long)x->dc);
  STRATA_FAIL_IF(k > INT32_MAX || (!fit && k < 1), ctx, STRATA_ERR_USAGE,
                 "k-prototypes: k = %lld must lie in [1, 2^31)", (long long)k);
  /* Scoring may meet fewer new rows than prototypes; a fit may not. */
  STRATA_FAIL_IF(fit && (k < 1 || k > x->n), ctx, STRATA_ERR_USAGE,
                 "k-prototypes: k = %lld must lie in [1, n = %lld]", (long long)k, (long long)x->n);
  for (int64_t t = 0; t < x->dc; t++)
    STRATA_FAIL_IF(x->levels[t] < 1, ctx, STRATA_ERR_USAGE,
                   "k-prototypes: levels[%lld] = %d; a categorical column needs >= 1 level",
                   (long long)t, (int)x->levels[t]);
  p->ctx = ctx;
  p->kern = strata_kernels_get();
  p->x = x->numeric;
  p->codes = x->codes;
  p->n = x->n;
  p->dn = x->dn;
  p->dc = x->dc;
  p->ldx = x->ld_num;
  p->ldc = x->ld_cat;
  p->k = k;
  p->levels = x->levels;
  p->w = weights;
  STRATA_TRY(strata_alloc(ctx, (size_t)x->dc + 1, sizeof(int64_t), "level offsets",
                          (void **)&p->level_off));
  p->level_off[0] = 0;
  for (int64_t t = 0; t < x->dc; t++) p->level_off[t + 1] = p->level_off[t] + x->levels[t];
  p->n_levels = p->level_off[x->dc];
  STRATA_TRY(check_values(p));
  if (weights != NULL) {
    double total = 0.0;
    for (int64_t i = 0; i < x->n; i++) {
      STRATA_FAIL_IF(!(weights[i] >= 0.0) || !isfinite(weights[i]), ctx, STRATA_ERR_DATA,
                     "k-prototypes: weight of row %lld is %g; weights must be finite and >= 0",
                     (long long)i, weights[i]);
      total += weights[i];
    }
    STRATA_FAIL_IF(!(total > 0.0), ctx, STRATA_ERR_DATA, "k-prototypes: all weights are zero");
  }
cleanup:
  if (st != STRATA_OK) {
    strata_free(p->level_off);
    p->level_off = NULL;
  }
  return st;
}

/* Given prototypes: finite numbers and codes within the levels, named by prototype. */
static strata_status check_prototypes(const kp_problem *p, const double *centers,
                                      const int32_t *modes, const char *what) {
  strata_status st = STRATA_OK;
  for (int64_t j = 0; j < p->k; j++) {
    for (int64_t t = 0; t < p->dn; t++)
      STRATA_FAIL_IF(!isfinite(centers[j * p->dn + t]), p->ctx, STRATA_ERR_DATA,
                     "k-prototypes: %s numeric value of prototype %lld, column %lld is %g", what,
                     (long long)j, (long long)t, centers[j * p->dn + t]);
    for (int64_t t = 0; t < p->dc; t++) {
      const int32_t c = modes[j * p->dc + t];
      STRATA_FAIL_IF(c < 0 || c >= p->levels[t], p->ctx, STRATA_ERR_DATA,
                     "k-prototypes: %s mode of prototype %lld, column %lld is %d, outside "
                     "[0, %d)",
                     what, (long long)j, (long long)t, (int)c, (int)p->levels[t]);
    }
  }
cleanup:
  return st;
}

/* ---- default gamma: 0.5 x mean population sd of the numeric columns, as kmodes */

typedef struct kp_moments {
  const kp_problem *p;
  const double *mean; /* NULL: first pass (sums) */
} kp_moments;

static void moments_block(void *arg, int64_t b, int64_t begin, int64_t end, double *partial) {
  (void)b;
  const kp_moments *m = arg;
  const kp_problem *p = m->p;
  for (int64_t i = begin; i < end; i++) {
    const double *xi = p->x + i * p->ldx;
    if (m->mean == NULL) {
      for (int64_t t = 0; t < p->dn; t++) partial[t] += xi[t];
    } else {
      for (int64_t t = 0; t < p->dn; t++) {
        const double e = xi[t] - m->mean[t];
        const double e2 = e * e; /* apart: no contraction into an fma */
        partial[t] += e2;
      }
    }
  }
}

static strata_status default_gamma(const kp_problem *p, double *gamma) {
  strata_status st = STRATA_OK;
  double *sum = NULL;
  *gamma = 1.0; /* no numeric columns: any positive gamma gives the same clusters */
  if (p->dn == 0) goto cleanup;
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)p->dn * 2, sizeof(double), "column moments", (void **)&sum));
  kp_moments m = {p, NULL};
  STRATA_TRY(strata_for_blocks(p->ctx, "init", p->n, KP_BLOCK_ROWS, (size_t)p->dn, moments_block,
                               &m, sum));
  for (int64_t t = 0; t < p->dn; t++) sum[t] /= (double)p->n;
  m.mean = sum;
  STRATA_TRY(strata_for_blocks(p->ctx, "init", p->n, KP_BLOCK_ROWS, (size_t)p->dn, moments_block,
                               &m, sum + p->dn));
  double s = 0.0;
  for (int64_t t = 0; t < p->dn; t++) s += sqrt(sum[p->dn + t] / (double)p->n);
  *gamma = 0.5 * (s / (double)p->dn);
cleanup:
  strata_free(sum);
  return st;
}

/* ---- fit */

static void run_free(kp_run *r) {
  strata_free(r->centers);
  strata_free(r->modes);
  strata_free(r->labels);
  memset(r, 0, sizeof *r);
}

static strata_status run_alloc(const kp_problem *p, kp_run *r) {
  strata_status st = STRATA_OK;
  memset(r, 0, sizeof *r);
  /* One element at least: dn = 0 or dc = 0 must still give distinct, freeable arrays. */
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(p->k * p->dn + 1), sizeof(double), "prototypes",
                          (void **)&r->centers));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(p->k * p->dc + 1), sizeof(int32_t), "modes",
                          (void **)&r->modes));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->n, sizeof(int32_t), "labels", (void **)&r->labels));
cleanup:
  if (st != STRATA_OK) run_free(r);
  return st;
}

strata_status strata_kproto_fit(strata_ctx *ctx, const strata_mixed *x,
                                const strata_kproto_params *params, strata_kproto **out) {
  strata_status st = STRATA_OK;
  kp_problem p;
  kp_run best = {0}, cur = {0};
  int have_best = 0;
  strata_kproto *m = NULL;
  memset(&p, 0, sizeof p);
  STRATA_FAIL_IF(out == NULL, ctx, STRATA_ERR_USAGE, "k-prototypes: no output pointer");
  *out = NULL;
  STRATA_FAIL_IF(params == NULL, ctx, STRATA_ERR_USAGE, "k-prototypes: no parameters");
  STRATA_FAIL_IF(params->max_iter < 1, ctx, STRATA_ERR_USAGE,
                 "k-prototypes: max_iter = %d must be >= 1", params->max_iter);
  STRATA_FAIL_IF(params->n_init < 1, ctx, STRATA_ERR_USAGE,
                 "k-prototypes: n_init = %d must be >= 1", params->n_init);
  STRATA_FAIL_IF(!isfinite(params->gamma), ctx, STRATA_ERR_USAGE,
                 "k-prototypes: gamma = %g must be finite", params->gamma);
  STRATA_FAIL_IF(
      params->algorithm != STRATA_KPROTO_LLOYD && params->algorithm != STRATA_KPROTO_HUANG &&
          params->algorithm != STRATA_KPROTO_LLOYD_PLAIN &&
          params->algorithm != STRATA_KPROTO_LLOYD_BOUNDED,
      ctx, STRATA_ERR_USAGE, "k-prototypes: unknown algorithm %d", (int)params->algorithm);
  STRATA_TRY(prepare(ctx, x, params->k, params->weights, 1, &p));
  const int given = params->init_numeric != NULL || params->init_codes != NULL;
  STRATA_FAIL_IF(
      given &&
          ((p.dn > 0 && params->init_numeric == NULL) || (p.dc > 0 && params->init_codes == NULL)),
      ctx, STRATA_ERR_USAGE, "k-prototypes: init_numeric and init_codes must be given together");
  if (given) STRATA_TRY(check_prototypes(&p, params->init_numeric, params->init_codes, "initial"));
  p.max_iter = params->max_iter;
  /* The measured rule of kproto.h: at k <= 8 the scan is cheaper than keeping bounds. */
  p.bounds = params->algorithm == STRATA_KPROTO_LLOYD_BOUNDED ||
             (params->algorithm == STRATA_KPROTO_LLOYD && params->k > 8);
  if (params->gamma < 0.0)
    STRATA_TRY(default_gamma(&p, &p.gamma));
  else
    p.gamma = params->gamma;
  const int runs = given ? 1 : params->n_init;
  for (int r = 0; r < runs; r++) {
    STRATA_TRY(run_alloc(&p, &cur));
    if (given) {
      if (p.dn > 0)
        memcpy(cur.centers, params->init_numeric, (size_t)(p.k * p.dn) * sizeof(double));
      if (p.dc > 0) memcpy(cur.modes, params->init_codes, (size_t)(p.k * p.dc) * sizeof(int32_t));
    } else {
      STRATA_TRY(kp_seed(&p, strata_rng_hash(params->seed, KP_STREAM_RUN, (uint64_t)r), cur.centers,
                         cur.modes));
    }
    if (params->algorithm == STRATA_KPROTO_HUANG)
      STRATA_TRY(kp_huang(&p, &cur));
    else
      STRATA_TRY(kp_lloyd(&p, &cur));
    /* The lowest cost, the first run on a tie: deterministic for a seed. */
    if (!have_best || cur.cost < best.cost) {
      run_free(&best);
      best = cur;
      have_best = 1;
    } else {
      run_free(&cur);
    }
    memset(&cur, 0, sizeof cur);
  }
  m = calloc(1, sizeof *m);
  STRATA_FAIL_IF(m == NULL, ctx, STRATA_ERR_NOMEM, "k-prototypes: out of memory for the model");
  m->k = p.k;
  m->dn = p.dn;
  m->dc = p.dc;
  m->n = p.n;
  m->gamma = p.gamma;
  m->centers = best.centers;
  m->modes = best.modes;
  m->labels = best.labels;
  m->cost = best.cost;
  m->n_iter = best.n_iter;
  m->converged = best.converged;
  m->algorithm = params->algorithm;
  memset(&best, 0, sizeof best);
  *out = m;
cleanup:
  run_free(&cur);
  run_free(&best);
  strata_free(p.level_off);
  return st;
}

strata_status strata_kproto_assign(strata_ctx *ctx, const strata_mixed *x, const double *centers,
                                   const int32_t *modes, int64_t k, double gamma, int32_t *labels,
                                   double *cost) {
  strata_status st = STRATA_OK;
  kp_problem p;
  memset(&p, 0, sizeof p);
  STRATA_FAIL_IF(labels == NULL, ctx, STRATA_ERR_USAGE, "k-prototypes assign: no labels array");
  STRATA_FAIL_IF(!isfinite(gamma) || gamma < 0.0, ctx, STRATA_ERR_USAGE,
                 "k-prototypes assign: gamma = %g must be finite and >= 0", gamma);
  STRATA_TRY(prepare(ctx, x, k, NULL, 0, &p));
  STRATA_FAIL_IF((p.dn > 0 && centers == NULL) || (p.dc > 0 && modes == NULL), ctx,
                 STRATA_ERR_USAGE, "k-prototypes assign: no prototypes");
  STRATA_TRY(check_prototypes(&p, centers, modes, "given"));
  p.gamma = gamma;
  double total;
  STRATA_TRY(kp_assign_all(&p, centers, modes, labels, cost, &total));
cleanup:
  strata_free(p.level_off);
  return st;
}
