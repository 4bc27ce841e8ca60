/*
 * `strata gen`: a synthetic customer base with known truth.
 *
 * Each account first draws its latent segment k (model.h: the first K prototypes of the
 * profile, sharpened or blurred by --separation). Purchases: BG/NBD (Fader, Hardie & Lee,
 * "Counting your customers the easy way", Marketing Science 2005) with segment k's
 * parameters, or the shared ones with --behaviour shared. Customer i makes a first purchase at
 * t0 ~ U(0, cohort_days); while alive, repeat purchases arrive at Poisson rate
 * lambda_i ~ Gamma(r, rate alpha); right after each repeat purchase the customer drops out with
 * probability p_i ~ Beta(a, b). Observation ends at window_days, so T_i = window_days - t0.
 * Spend: each transaction's amount is Gamma(p, rate nu_i) with nu_i ~ Gamma(q, rate gamma)
 * (Gamma-Gamma), rounded to cents. Account features come from segment k's distributions, and
 * the generator, which knows every density, records each account's most probable segment
 * given its features: the share it gets right is the base's Bayes-optimal accuracy.
 *
 * Determinism: every draw is a Philox function of (seed, stream, customer), so the output is
 * byte-identical for any thread count. Cost: O(n + m) for n customers and m transactions,
 * done twice for the purchase process (a counting pass sizes the output, a filling pass
 * writes it) so that memory stays O(n) plus one chunk of customers; O(K d) more per account
 * for the posterior.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/driver.h"
#include "core/rng.h"
#include "gen/model.h"
#include "gen/truth.h"

/* Streams: independent sequences per purpose, so that changing one part of the model leaves
 * the others' draws untouched (--behaviour shared draws the very purchases and spend it drew
 * before segments had their own behaviour). */
enum {
  STREAM_PURCHASES = 1,
  STREAM_SPEND = 2,
  STREAM_FEATURES = 3,
  STREAM_SEGMENT = 4,
  STREAM_EXTRA_FEATURES = 5 /* model.h: GEN_STREAM_EXTRA_TABLE = 6 */
};

#define GEN_BLOCK 2048      /* customers per parallel block */
#define GEN_CHUNK (1 << 18) /* customers generated and written per chunk */
#define FIRST_ACCOUNT_ID 10000001

void strata_gen_params_init(strata_gen_params *params) {
  if (params == NULL) return;
  memset(params, 0, sizeof *params);
  params->customers = 10000;
  params->seed = 1;
  params->segments = 5;
  params->profile = STRATA_GEN_B2C;
  params->behaviour = STRATA_GEN_BEHAVIOUR_SEGMENT;
  params->separation = 1.0;
  params->r = 0.9;
  params->alpha = 25.0;
  params->a = 0.9;
  params->b = 9.0;
  params->p_spend = 6.25;
  params->q = 3.74;
  params->gamma = 15.44;
  params->start_day = 19723; /* 2024-01-01 */
  params->cohort_days = 365;
  params->window_days = 730;
}

typedef struct customer_draws {
  double lambda, dropout, nu, t0;
} customer_draws;

/* behaviour: r, alpha, a, b, p, q, gamma of the customer's segment (or the shared ones). */
static customer_draws draw_customer(const strata_gen_params *p, const double *behaviour,
                                    strata_rng *g) {
  customer_draws c;
  c.lambda = strata_rng_gamma(g, behaviour[0]) / behaviour[1];
  c.dropout = strata_rng_beta(g, behaviour[2], behaviour[3]);
  c.nu = strata_rng_gamma(g, behaviour[5]) / behaviour[6];
  c.t0 = strata_rng_uniform(g) * p->cohort_days;
  return c;
}

static int draw_segment(const strata_gen_params *p, const gen_model *m, int64_t i) {
  strata_rng g;
  strata_rng_init(&g, p->seed, STREAM_SEGMENT, (uint64_t)i);
  return gen_model_draw_segment(m, &g);
}

/* Runs customer i's purchase process with segment k's behaviour. With `days` NULL it only
 * counts; otherwise it writes the transaction days and amounts. Returns the number of
 * transactions, first included. */
static int64_t simulate(const strata_gen_params *p, const gen_model *m, int k, int64_t i,
                        customer_draws *out, int *alive, int32_t *days, double *amounts) {
  strata_rng g, spend;
  strata_rng_init(&g, p->seed, STREAM_PURCHASES, (uint64_t)i);
  strata_rng_init(&spend, p->seed, STREAM_SPEND, (uint64_t)i);
  const double *behaviour = m->behaviour[k];
  const double p_spend = behaviour[4];
  customer_draws c = draw_customer(p, behaviour, &g);
  int64_t count = 0;
  double t = c.t0;
  int is_alive = 1;
  for (;;) {
    if (days != NULL) {
      days[count] = p->start_day + (int32_t)floor(t);
      double amount = strata_rng_gamma(&spend, p_spend) / c.nu;
      amount = floor(amount * 100.0 + 0.5) / 100.0;
      amounts[count] = amount < 0.01 ? 0.01 : amount;
    }
    count++;
    if (count > 1 && strata_rng_uniform(&g) < c.dropout) {
      is_alive = 0;
      break;
    }
    t += strata_rng_exponential(&g) / c.lambda;
    if (!(t < (double)p->window_days)) break;
  }
  if (out) *out = c;
  if (alive) *alive = is_alive;
  return count;
}

typedef struct gen_job {
  const strata_gen_params *params;
  const gen_model *model;
  int64_t *counts;        /* pass 1: transactions per customer (all n) */
  const int64_t *offsets; /* pass 2: first transaction of each customer (all n, + 1) */
  int64_t chunk_begin;    /* pass 2: first customer of the chunk */
  int64_t txn_base;       /* pass 2: offsets[chunk_begin] */
  /* pass 2 outputs, indexed from the chunk's first customer / transaction */
  int64_t *account_id;
  double *features;
  int32_t *segment, *bayes_segment;
  double *lambda, *dropout, *nu, *age;
  int32_t *alive;
  int64_t *txn_customer;
  int32_t *txn_day;
  double *txn_amount;
} gen_job;

static void count_block(void *arg, int64_t block, int64_t begin, int64_t end, double *partial) {
  (void)block;
  gen_job *job = arg;
  for (int64_t i = begin; i < end; i++) {
    int k = draw_segment(job->params, job->model, i);
    job->counts[i] = simulate(job->params, job->model, k, i, NULL, NULL, NULL, NULL);
    partial[0] += (double)job->counts[i];
  }
}

/* partial[0] counts the block's accounts whose most probable segment is their own: an integer
 * in a double, so the block-ordered sum is exact. */
static void fill_block(void *arg, int64_t block, int64_t begin, int64_t end, double *partial) {
  (void)block;
  gen_job *job = arg;
  const strata_gen_params *p = job->params;
  const gen_model *m = job->model;
  const int d = m->d;
  for (int64_t local = begin; local < end; local++) {
    int64_t i = job->chunk_begin + local;
    int64_t first = job->offsets[i] - job->txn_base;
    int k = draw_segment(p, m, i);
    customer_draws c;
    int alive;
    int64_t count = simulate(p, m, k, i, &c, &alive, job->txn_day + first, job->txn_amount + first);
    for (int64_t t = 0; t < count; t++) job->txn_customer[first + t] = FIRST_ACCOUNT_ID + i;
    job->account_id[local] = FIRST_ACCOUNT_ID + i;
    double *x = job->features + local * d;
    strata_rng g;
    strata_rng_init(&g, p->seed, STREAM_FEATURES, (uint64_t)i);
    gen_model_draw_features(m, k, &g, x);
    if (m->d > m->base_d) {
      strata_rng_init(&g, p->seed, STREAM_EXTRA_FEATURES, (uint64_t)i);
      gen_model_draw_extra(m, k, &g, x);
    }
    int best = gen_model_most_probable(m, x);
    partial[0] += best == k;
    job->segment[local] = k;
    job->bayes_segment[local] = best;
    job->lambda[local] = c.lambda;
    job->dropout[local] = c.dropout;
    job->nu[local] = c.nu;
    job->age[local] = (double)p->window_days - c.t0;
    job->alive[local] = alive;
  }
}

static strata_status check_params(strata_ctx *ctx, const strata_gen_params *p) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(p == NULL, ctx, STRATA_ERR_USAGE, "strata_gen_write: params is NULL");
  STRATA_FAIL_IF(p->customers < 1, ctx, STRATA_ERR_USAGE, "--customers must be >= 1, got %lld",
                 (long long)p->customers);
  STRATA_FAIL_IF(p->customers > ((int64_t)1 << 40), ctx, STRATA_ERR_USAGE,
                 "--customers %lld is beyond what strata gen supports (2^40)",
                 (long long)p->customers);
  STRATA_FAIL_IF(p->profile != STRATA_GEN_B2C && p->profile != STRATA_GEN_B2B, ctx,
                 STRATA_ERR_USAGE, "--profile must be b2c or b2b (got code %d)", p->profile);
  STRATA_FAIL_IF(
      p->behaviour != STRATA_GEN_BEHAVIOUR_SEGMENT && p->behaviour != STRATA_GEN_BEHAVIOUR_SHARED,
      ctx, STRATA_ERR_USAGE, "--behaviour must be segment or shared (got code %d)", p->behaviour);
  STRATA_FAIL_IF(p->segments < 1 || p->segments > STRATA_GEN_MAX_SEGMENTS, ctx, STRATA_ERR_USAGE,
                 "--segments must be between 1 and %d, got %d", STRATA_GEN_MAX_SEGMENTS,
                 p->segments);
  STRATA_FAIL_IF(!(p->separation >= 0.0 && p->separation <= 3.0), ctx, STRATA_ERR_USAGE,
                 "--separation must be between 0 and 3, got %g", p->separation);
  const struct {
    const char *name;
    double value;
  } positive[] = {{"--r", p->r},
                  {"--alpha", p->alpha},
                  {"--a", p->a},
                  {"--b", p->b},
                  {"--spend-p", p->p_spend},
                  {"--spend-q", p->q},
                  {"--spend-gamma", p->gamma}};
  for (size_t j = 0; j < sizeof positive / sizeof positive[0]; j++)
    STRATA_FAIL_IF(!(positive[j].value > 0.0 && isfinite(positive[j].value)), ctx, STRATA_ERR_USAGE,
                   "%s must be a positive finite number, got %g", positive[j].name,
                   positive[j].value);
  STRATA_FAIL_IF(p->cohort_days < 1 || p->window_days < p->cohort_days, ctx, STRATA_ERR_USAGE,
                 "need 1 <= --cohort-days (%d) <= --window-days (%d)", p->cohort_days,
                 p->window_days);
  STRATA_FAIL_IF(
      (int64_t)p->start_day + p->window_days > INT32_MAX || p->start_day < -INT32_MAX / 2, ctx,
      STRATA_ERR_USAGE, "start day %d with a %d-day window overflows int32 days", p->start_day,
      p->window_days);
cleanup:
  return st;
}

/* The per-account datasets written chunk by chunk; buffer j of the chunk holds dataset j. */
static const struct {
  const char *name;
  strata_dtype type;
} account_sets[] = {
    {"/truth/segment", STRATA_I32}, {"/truth/bayes_segment", STRATA_I32},
    {"/truth/lambda", STRATA_F64},  {"/truth/dropout_p", STRATA_F64},
    {"/truth/nu", STRATA_F64},      {"/truth/T", STRATA_F64},
    {"/truth/alive", STRATA_I32},
};
#define ACCOUNT_SETS ((int)(sizeof account_sets / sizeof account_sets[0]))

strata_status strata_gen_write(strata_ctx *ctx, const strata_gen_params *params, const char *path,
                               int force, const char *command_line) {
  strata_status st = STRATA_OK;
  strata_h5_writer *w = NULL;
  int64_t *counts = NULL, *offsets = NULL;
  gen_job job;
  memset(&job, 0, sizeof job);
  gen_model model;
  void *chunk_mem[5 + ACCOUNT_SETS] = {0};
  STRATA_TRY(check_params(ctx, params));
  STRATA_TRY(gen_model_build(ctx, params, &model));
  STRATA_TRY(strata_h5_writer_create(ctx, path, force, &w));
  const int64_t n = params->customers;
  const int d = model.d;
  job.params = params;
  job.model = &model;

  /* Pass 1: transactions per customer, to size the output. */
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof *counts, "transaction counts", (void **)&counts));
  STRATA_TRY(
      strata_alloc(ctx, (size_t)n + 1, sizeof *offsets, "transaction offsets", (void **)&offsets));
  job.counts = counts;
  double total_d = 0.0;
  STRATA_TRY(strata_for_blocks(ctx, "count", n, GEN_BLOCK, 1, count_block, &job, &total_d));
  offsets[0] = 0;
  for (int64_t i = 0; i < n; i++) offsets[i + 1] = offsets[i] + counts[i];
  const int64_t m = offsets[n];
  job.offsets = offsets;

  int64_t dims[2] = {n, d};
  STRATA_TRY(strata_h5_create_dataset(ctx, w, "/accounts/id", STRATA_I64, 1, dims));
  STRATA_TRY(strata_h5_create_dataset(ctx, w, "/accounts/features", STRATA_F64, 2, dims));
  STRATA_TRY(gen_truth_write_columns(ctx, w, &model));
  for (int j = 0; j < ACCOUNT_SETS; j++)
    STRATA_TRY(
        strata_h5_create_dataset(ctx, w, account_sets[j].name, account_sets[j].type, 1, dims));
  int64_t tdims[1] = {m};
  STRATA_TRY(strata_h5_create_dataset(ctx, w, "/transactions/customer_id", STRATA_I64, 1, tdims));
  STRATA_TRY(strata_h5_create_dataset(ctx, w, "/transactions/day", STRATA_I32, 1, tdims));
  STRATA_TRY(strata_h5_create_dataset(ctx, w, "/transactions/amount", STRATA_F64, 1, tdims));

  /* Chunk buffers are sized for the largest chunk so they are allocated once. */
  int64_t chunk_rows = n < GEN_CHUNK ? n : GEN_CHUNK;
  int64_t max_txn = 0;
  for (int64_t c0 = 0; c0 < n; c0 += GEN_CHUNK) {
    int64_t c1 = c0 + GEN_CHUNK < n ? c0 + GEN_CHUNK : n;
    if (offsets[c1] - offsets[c0] > max_txn) max_txn = offsets[c1] - offsets[c0];
  }
  STRATA_TRY(strata_alloc(ctx, (size_t)chunk_rows, sizeof(int64_t), "account ids", &chunk_mem[0]));
  STRATA_TRY(strata_alloc(ctx, (size_t)chunk_rows * (size_t)d, sizeof(double), "account features",
                          &chunk_mem[1]));
  STRATA_TRY(strata_alloc(ctx, (size_t)max_txn, sizeof(int64_t), "transactions", &chunk_mem[2]));
  STRATA_TRY(strata_alloc(ctx, (size_t)max_txn, sizeof(int32_t), "transactions", &chunk_mem[3]));
  STRATA_TRY(strata_alloc(ctx, (size_t)max_txn, sizeof(double), "transactions", &chunk_mem[4]));
  for (int j = 0; j < ACCOUNT_SETS; j++)
    STRATA_TRY(strata_alloc(ctx, (size_t)chunk_rows, strata_dtype_size(account_sets[j].type),
                            "truth", &chunk_mem[5 + j]));
  job.account_id = chunk_mem[0];
  job.features = chunk_mem[1];
  job.txn_customer = chunk_mem[2];
  job.txn_day = chunk_mem[3];
  job.txn_amount = chunk_mem[4];
  job.segment = chunk_mem[5];
  job.bayes_segment = chunk_mem[6];
  job.lambda = chunk_mem[7];
  job.dropout = chunk_mem[8];
  job.nu = chunk_mem[9];
  job.age = chunk_mem[10];
  job.alive = chunk_mem[11];

  /* Pass 2, chunk by chunk: generate in parallel, then write the chunk's rows. */
  double correct = 0.0;
  for (int64_t c0 = 0; c0 < n; c0 += GEN_CHUNK) {
    int64_t c1 = c0 + GEN_CHUNK < n ? c0 + GEN_CHUNK : n;
    int64_t rows = c1 - c0;
    job.chunk_begin = c0;
    job.txn_base = offsets[c0];
    double chunk_correct = 0.0;
    STRATA_TRY(
        strata_for_blocks(ctx, "generate", rows, GEN_BLOCK, 1, fill_block, &job, &chunk_correct));
    correct += chunk_correct;
    double t0 = strata_now();
    STRATA_TRY(strata_h5_write_rows(ctx, w, "/accounts/id", c0, rows, job.account_id));
    STRATA_TRY(strata_h5_write_rows(ctx, w, "/accounts/features", c0, rows, job.features));
    for (int j = 0; j < ACCOUNT_SETS; j++)
      STRATA_TRY(strata_h5_write_rows(ctx, w, account_sets[j].name, c0, rows, chunk_mem[5 + j]));
    int64_t t_rows = offsets[c1] - offsets[c0];
    STRATA_TRY(strata_h5_write_rows(ctx, w, "/transactions/customer_id", offsets[c0], t_rows,
                                    job.txn_customer));
    STRATA_TRY(strata_h5_write_rows(ctx, w, "/transactions/day", offsets[c0], t_rows, job.txn_day));
    STRATA_TRY(
        strata_h5_write_rows(ctx, w, "/transactions/amount", offsets[c0], t_rows, job.txn_amount));
    strata_phase_add(ctx, "write", strata_now() - t0);
  }

  {
    double t0 = strata_now();
    STRATA_TRY(gen_truth_write_segments(ctx, w, params, &model, m, correct / (double)n));
    STRATA_TRY(strata_h5_write_provenance(ctx, w, command_line, n, 0));
    STRATA_TRY(strata_h5_writer_commit(ctx, w));
    w = NULL;
    strata_phase_add(ctx, "write", strata_now() - t0);
  }
cleanup:
  for (size_t j = 0; j < sizeof chunk_mem / sizeof chunk_mem[0]; j++) strata_free(chunk_mem[j]);
  strata_free(counts);
  strata_free(offsets);
  strata_h5_writer_free(w);
  return st;
}
