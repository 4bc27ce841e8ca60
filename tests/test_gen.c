/* `strata gen`: byte-identical output for any thread count; every account's behaviour and
 * features match its segment's parameters within sampling error; extra columns leave the
 * base's bytes alone and match /truth; bad parameters name their flag. tests/py_gen_truth.py checks
 * the same truth against scipy's densities and the BG/NBD closed forms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/profiles.h"
#include "test_support.h"

static void *read_all(strata_h5_file *f, const char *name, strata_dtype memtype, int64_t *rows,
                      int64_t *cols) {
  strata_ctx *ctx = test_ctx(1);
  strata_h5_dataset *ds = NULL;
  strata_status st = strata_h5_dataset_open(ctx, f, name, 1, STRATA_TYPES_ANY, 0, &ds);
  if (st != STRATA_OK) st = strata_h5_dataset_open(ctx, f, name, 2, STRATA_TYPES_ANY, 0, &ds);
  if (st != STRATA_OK) fail_msg("%s", strata_ctx_error(ctx));
  const strata_dataset_info *info = strata_h5_dataset_info(ds);
  size_t n = (size_t)(info->dims[0] * info->dims[1]);
  void *buf = malloc(n * strata_dtype_size(memtype));
  assert_int_equal(strata_h5_dataset_read_rows(ctx, ds, 0, info->dims[0], memtype, buf), STRATA_OK);
  if (rows) *rows = info->dims[0];
  if (cols) *cols = info->dims[1];
  strata_h5_dataset_close(ds);
  strata_ctx_free(ctx);
  return buf;
}

static void generate_with(const char *path, int threads, int64_t customers, uint64_t seed,
                          int profile, int behaviour) {
  strata_ctx *ctx = test_ctx(threads);
  strata_gen_params p;
  strata_gen_params_init(&p);
  p.customers = customers;
  p.seed = seed;
  p.profile = profile;
  p.behaviour = behaviour;
  if (strata_gen_write(ctx, &p, path, 1, "test") != STRATA_OK)
    fail_msg("%s", strata_ctx_error(ctx));
  strata_ctx_free(ctx);
}

static void generate(const char *path, int threads, int64_t customers, uint64_t seed) {
  generate_with(path, threads, customers, seed, STRATA_GEN_B2C, STRATA_GEN_BEHAVIOUR_SEGMENT);
}

static const struct {
  const char *name;
  strata_dtype type;
} datasets[] = {
    {"/accounts/id", STRATA_I64},
    {"/accounts/features", STRATA_F64},
    {"/transactions/customer_id", STRATA_I64},
    {"/transactions/day", STRATA_I32},
    {"/transactions/amount", STRATA_F64},
    {"/truth/segment", STRATA_I32},
    {"/truth/bayes_segment", STRATA_I32},
    {"/truth/lambda", STRATA_F64},
    {"/truth/dropout_p", STRATA_F64},
    {"/truth/nu", STRATA_F64},
    {"/truth/T", STRATA_F64},
    {"/truth/alive", STRATA_I32},
};

static void test_same_seed_same_bytes_for_any_thread_count(void **state) {
  (void)state;
  char one[512], two[512], other[512];
  test_path(one, sizeof one, "gen-1thread.h5");
  test_path(two, sizeof two, "gen-2threads.h5");
  test_path(other, sizeof other, "gen-seed2.h5");
  /* More than one generation chunk (2^18 customers) so chunk boundaries are exercised. */
  generate(one, 1, 300000, 11);
  generate(two, 2, 300000, 11);
  generate(other, 2, 300000, 12);
  strata_ctx *ctx = test_ctx(1);
  strata_h5_file *f1 = NULL, *f2 = NULL, *f3 = NULL;
  assert_int_equal(strata_h5_open(ctx, one, &f1), STRATA_OK);
  assert_int_equal(strata_h5_open(ctx, two, &f2), STRATA_OK);
  assert_int_equal(strata_h5_open(ctx, other, &f3), STRATA_OK);
  for (size_t i = 0; i < sizeof datasets / sizeof datasets[0]; i++) {
    int64_t r1, c1, r2, c2, r3, c3;
    void *a = read_all(f1, datasets[i].name, datasets[i].type, &r1, &c1);
    void *b = read_all(f2, datasets[i].name, datasets[i].type, &r2, &c2);
    void *c = read_all(f3, datasets[i].name, datasets[i].type, &r3, &c3);
    assert_int_equal(r1, r2);
    assert_int_equal(c1, c2);
    assert_memory_equal(a, b, (size_t)(r1 * c1) * strata_dtype_size(datasets[i].type));
    /* A different seed changes the data (ids excepted: they are 10000001 + row). */
    if (strcmp(datasets[i].name, "/accounts/id") != 0 && r1 == r3)
      assert_true(memcmp(a, c, (size_t)(r1 * c1) * strata_dtype_size(datasets[i].type)) != 0);
    free(a);
    free(b);
    free(c);
  }
  strata_h5_close(f1);
  strata_h5_close(f2);
  strata_h5_close(f3);
  strata_ctx_free(ctx);
}

#define ASSERT_WITHIN_SE(value, expect, se, what)                                       \
  do {                                                                                  \
    double v_ = (value), e_ = (expect), s_ = (se);                                      \
    if (!(fabs(v_ - e_) <= 5.0 * s_))                                                   \
      fail_msg("%s: %g, expected %g (5 standard errors = %g)", what, v_, e_, 5.0 * s_); \
  } while (0)

/* Reads /truth/segment_behaviour [K, 7] into beh; returns K. */
static int64_t read_behaviour(strata_h5_file *f, double **beh) {
  int64_t K, c;
  *beh = read_all(f, "/truth/segment_behaviour", STRATA_F64, &K, &c);
  assert_int_equal(c, STRATA_GEN_BEHAVIOUR);
  return K;
}

/* Every account's own purchase rate, dropout probability and spend rate come from its
 * segment's Gamma(r, alpha), Beta(a, b) and Gamma(q, gamma); its transactions follow BG/NBD
 * given those (Fader, Hardie & Lee 2005, eq. 7 conditioned on lambda and p:
 * E[X(T)] = (1 - exp(-lambda p T)) / p repeat purchases) and its amounts have mean p / nu. */
static void test_moments_match_generating_parameters(void **state) {
  (void)state;
  char path[512];
  test_path(path, sizeof path, "gen-moments.h5");
  const int64_t n = 60000;
  generate(path, 2, n, 2026);
  strata_gen_params p;
  strata_gen_params_init(&p);
  strata_ctx *ctx = test_ctx(1);
  strata_h5_file *f = NULL;
  assert_int_equal(strata_h5_open(ctx, path, &f), STRATA_OK);

  double attr;
  assert_int_equal(strata_h5_read_attr_double(ctx, f, "/truth", "customers", &attr), STRATA_OK);
  assert_true(attr == (double)n);
  /* Per-segment behaviour: the single-population attributes would be a false truth. */
  assert_int_not_equal(strata_h5_read_attr_double(ctx, f, "/truth", "r", &attr), STRATA_OK);
  char text[64];
  assert_int_equal(strata_h5_read_attr_string(ctx, f, "/truth", "behaviour", text, sizeof text),
                   STRATA_OK);
  assert_string_equal(text, "segment");

  double *beh = NULL;
  int64_t K = read_behaviour(f, &beh);
  assert_int_equal(K, 5);
  int32_t *seg = read_all(f, "/truth/segment", STRATA_I32, NULL, NULL);
  double *lambda = read_all(f, "/truth/lambda", STRATA_F64, NULL, NULL);
  double *dropout = read_all(f, "/truth/dropout_p", STRATA_F64, NULL, NULL);
  double *nu = read_all(f, "/truth/nu", STRATA_F64, NULL, NULL);
  double *T = read_all(f, "/truth/T", STRATA_F64, NULL, NULL);
  int64_t *ids = read_all(f, "/accounts/id", STRATA_I64, NULL, NULL);
  int64_t m;
  int64_t *cust = read_all(f, "/transactions/customer_id", STRATA_I64, &m, NULL);
  int32_t *day = read_all(f, "/transactions/day", STRATA_I32, NULL, NULL);
  double *amount = read_all(f, "/transactions/amount", STRATA_F64, NULL, NULL);
  assert_int_equal(strata_h5_read_attr_double(ctx, f, "/truth", "transactions", &attr), STRATA_OK);
  assert_true(attr == (double)m);

  for (int k = 0; k < K; k++) {
    const double *b = beh + k * STRATA_GEN_BEHAVIOUR; /* r, alpha, a, b, p, q, gamma */
    double cnt = 0, s_l = 0, s_p = 0, s_nu = 0;
    for (int64_t i = 0; i < n; i++) {
      if (seg[i] != k) continue;
      cnt++;
      s_l += lambda[i];
      s_p += dropout[i];
      s_nu += nu[i];
    }
    char what[96];
    snprintf(what, sizeof what, "segment %d mean lambda", k);
    ASSERT_WITHIN_SE(s_l / cnt, b[0] / b[1], sqrt(b[0]) / b[1] / sqrt(cnt), what);
    double ab = b[2] + b[3];
    snprintf(what, sizeof what, "segment %d mean dropout p", k);
    ASSERT_WITHIN_SE(s_p / cnt, b[2] / ab, sqrt(b[2] * b[3] / (ab * ab * (ab + 1))) / sqrt(cnt),
                     what);
    snprintf(what, sizeof what, "segment %d mean nu", k);
    ASSERT_WITHIN_SE(s_nu / cnt, b[5] / b[6], sqrt(b[5]) / b[6] / sqrt(cnt), what);
  }

  double s_T = 0;
  for (int64_t i = 0; i < n; i++) {
    s_T += T[i];
    assert_true(T[i] > p.window_days - p.cohort_days && T[i] <= p.window_days);
  }
  double nn = (double)n;
  ASSERT_WITHIN_SE(s_T / nn, p.window_days - p.cohort_days / 2.0,
                   p.cohort_days / sqrt(12.0) / sqrt(nn), "mean T");

  /* Transactions are grouped by customer in id order. */
  double s_d = 0, s_d2 = 0, s_ratio = 0, s_ratio2 = 0;
  int64_t t = 0, repeat_total = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t first = t;
    double p_spend = beh[seg[i] * STRATA_GEN_BEHAVIOUR + 4];
    while (t < m && cust[t] == ids[i]) {
      assert_true(day[t] >= p.start_day && day[t] < p.start_day + p.window_days);
      if (t > first) assert_true(day[t] >= day[t - 1]);
      assert_true(amount[t] >= 0.01);
      double ratio = amount[t] * nu[i] / p_spend; /* E[amount | nu] = p / nu */
      s_ratio += ratio;
      s_ratio2 += ratio * ratio;
      t++;
    }
    int64_t x = t - first - 1;
    assert_true(x >= 0); /* everyone has a first purchase */
    repeat_total += x;
    double expect = (1.0 - exp(-lambda[i] * dropout[i] * T[i])) / dropout[i];
    s_d += (double)x - expect;
    s_d2 += ((double)x - expect) * ((double)x - expect);
  }
  assert_int_equal(t, m); /* every transaction belongs to a listed account, in order */
  double md = s_d / nn, sd = sqrt(s_d2 / nn - md * md);
  ASSERT_WITHIN_SE(md, 0.0, sd / sqrt(nn), "repeat purchases minus E[X(T) | lambda, p]");
  double mm = (double)m;
  double mr = s_ratio / mm, sr = sqrt(s_ratio2 / mm - mr * mr);
  ASSERT_WITHIN_SE(mr, 1.0, sr / sqrt(mm), "amount / E[amount | nu]");
  assert_true(repeat_total > 4 * n); /* a base with real purchase histories */

  free(beh);
  free(seg);
  free(lambda);
  free(dropout);
  free(nu);
  free(T);
  free(ids);
  free(cust);
  free(day);
  free(amount);
  strata_h5_close(f);
  strata_ctx_free(ctx);
}

/* Empirical per-segment means of the numeric columns and level shares of the categorical
 * ones against /truth/segment_feature_means and /truth/levels; segment shares against the
 * weights; and the truth itself against the prototype table at --separation 1. */
static void test_segment_features_match_truth(void **state) {
  (void)state;
  char path[512];
  test_path(path, sizeof path, "gen-moments.h5"); /* made by the previous test */
  strata_ctx *ctx = test_ctx(1);
  strata_h5_file *f = NULL;
  assert_int_equal(strata_h5_open(ctx, path, &f), STRATA_OK);
  int64_t n, d, K, dm, nw;
  double *x = read_all(f, "/accounts/features", STRATA_F64, &n, &d);
  int32_t *seg = read_all(f, "/truth/segment", STRATA_I32, NULL, NULL);
  double *truth = read_all(f, "/truth/segment_feature_means", STRATA_F64, &K, &dm);
  double *weights = read_all(f, "/truth/segment_weights", STRATA_F64, &nw, NULL);
  const gen_profile *pr = strata_gen_profile_get(STRATA_GEN_B2C);
  assert_int_equal(d, pr->columns);
  assert_int_equal(dm, d);
  assert_int_equal(K, 5);
  assert_int_equal(nw, K);
  char **names = NULL;
  int64_t n_names = 0;
  assert_int_equal(strata_h5_read_strings(ctx, f, "/accounts/feature_names", &names, &n_names),
                   STRATA_OK);
  assert_int_equal(n_names, d);
  assert_string_equal(names[0], "tenure_months");
  assert_string_equal(names[7], "loyalty_tier");
  free(names);
  char cat[256];
  assert_int_equal(
      strata_h5_read_attr_string(ctx, f, "/accounts/features", "categorical", cat, sizeof cat),
      STRATA_OK);
  assert_string_equal(cat, "age_band,region,channel,loyalty_tier");

  double wsum = 0;
  for (int k = 0; k < K; k++) wsum += pr->prototype[k].weight;
  for (int k = 0; k < K; k++) {
    double w = pr->prototype[k].weight / wsum;
    assert_true(fabs(weights[k] - w) < 1e-15);
    double count = 0;
    for (int64_t i = 0; i < n; i++) count += seg[i] == k;
    ASSERT_WITHIN_SE(count / (double)n, w, sqrt(w * (1 - w) / (double)n), "segment share");
    for (int j = 0; j < d; j++) {
      const gen_column *c = &pr->column[j];
      char what[96];
      if (c->kind == GEN_CATEGORICAL) {
        assert_true(isnan(truth[k * d + j]));
        char name[96];
        snprintf(name, sizeof name, "/truth/levels/%s", c->name);
        int64_t kl, L;
        double *probs = read_all(f, name, STRATA_F64, &kl, &L);
        assert_int_equal(kl, K);
        assert_int_equal(L, c->levels);
        double total = 0, wt = 0;
        for (int l = 0; l < L; l++) wt += pr->prototype[k].level_weight[j][l];
        for (int l = 0; l < L; l++) {
          double pl = probs[k * L + l], hits = 0;
          total += pl;
          /* At separation 1 the probabilities are the prototype's weights, normalised. */
          assert_true(fabs(pl - pr->prototype[k].level_weight[j][l] / wt) < 1e-12);
          for (int64_t i = 0; i < n; i++) hits += seg[i] == k && x[i * d + j] == (double)l;
          snprintf(what, sizeof what, "segment %d %s level %d share", k, c->name, l);
          ASSERT_WITHIN_SE(hits / count, pl, sqrt(pl * (1 - pl) / count) + 1e-9, what);
        }
        assert_true(fabs(total - 1.0) < 1e-12);
        free(probs);
        continue;
      }
      double sum = 0, sum2 = 0;
      for (int64_t i = 0; i < n; i++) {
        if (seg[i] != k) continue;
        sum += x[i * d + j];
        sum2 += x[i * d + j] * x[i * d + j];
      }
      double mean = sum / count, sd = sqrt(sum2 / count - mean * mean);
      assert_true(fabs(truth[k * d + j] - pr->prototype[k].centre[j]) <
                  1e-12 * pr->prototype[k].centre[j]);
      snprintf(what, sizeof what, "segment %d %s mean", k, c->name);
      ASSERT_WITHIN_SE(mean, truth[k * d + j], sd / sqrt(count), what);
    }
  }
  free(x);
  free(seg);
  free(truth);
  free(weights);
  strata_h5_close(f);
  strata_ctx_free(ctx);
}

/* --extra-numeric / --extra-categorical: the profile's columns, the segments and the
 * transactions are the very bytes of the base without extras (their own stream), and each
 * extra column's per-segment mean or level shares match /truth. */
static void test_extra_columns_leave_the_base_alone_and_match_truth(void **state) {
  (void)state;
  char plain[512], wide[512];
  test_path(plain, sizeof plain, "gen-plain.h5");
  test_path(wide, sizeof wide, "gen-wide.h5");
  const int64_t customers = 40000;
  const int extra_num = 5, extra_cat = 2;
  generate(plain, 2, customers, 23);
  {
    strata_ctx *ctx = test_ctx(2);
    strata_gen_params p;
    strata_gen_params_init(&p);
    p.customers = customers;
    p.seed = 23;
    p.extra_numeric = extra_num;
    p.extra_categorical = extra_cat;
    if (strata_gen_write(ctx, &p, wide, 1, "test") != STRATA_OK)
      fail_msg("%s", strata_ctx_error(ctx));
    strata_ctx_free(ctx);
  }
  strata_ctx *ctx = test_ctx(1);
  strata_h5_file *fp = NULL, *fw = NULL;
  assert_int_equal(strata_h5_open(ctx, plain, &fp), STRATA_OK);
  assert_int_equal(strata_h5_open(ctx, wide, &fw), STRATA_OK);
  /* Everything but the features and the posterior is unchanged. */
  for (size_t s = 2; s < sizeof datasets / sizeof datasets[0]; s++) {
    if (strcmp(datasets[s].name, "/truth/bayes_segment") == 0) continue;
    int64_t ra, rb, ca, cb;
    void *a = read_all(fp, datasets[s].name, datasets[s].type, &ra, &ca);
    void *b = read_all(fw, datasets[s].name, datasets[s].type, &rb, &cb);
    assert_int_equal(ra, rb);
    assert_int_equal(ca, cb);
    if (memcmp(a, b, (size_t)(ra * ca) * strata_dtype_size(datasets[s].type)) != 0)
      fail_msg("%s differs once extra columns are added", datasets[s].name);
    free(a);
    free(b);
  }
  int64_t n, d0, d, K, dm;
  double *x0 = read_all(fp, "/accounts/features", STRATA_F64, &n, &d0);
  double *x = read_all(fw, "/accounts/features", STRATA_F64, NULL, &d);
  assert_int_equal(d, d0 + extra_num + extra_cat);
  for (int64_t i = 0; i < n; i++)
    if (memcmp(x0 + i * d0, x + i * d, (size_t)d0 * sizeof *x) != 0)
      fail_msg("row %lld: the profile's columns changed", (long long)i);
  char cat[512];
  assert_int_equal(
      strata_h5_read_attr_string(ctx, fw, "/accounts/features", "categorical", cat, sizeof cat),
      STRATA_OK);
  assert_string_equal(cat, "age_band,region,channel,loyalty_tier,extra_cat_01,extra_cat_02");
  char **names = NULL;
  int64_t n_names = 0;
  assert_int_equal(strata_h5_read_strings(ctx, fw, "/accounts/feature_names", &names, &n_names),
                   STRATA_OK);
  assert_int_equal(n_names, d);
  assert_string_equal(names[d0], "extra_num_01");
  assert_string_equal(names[d - 1], "extra_cat_02");
  int32_t *seg = read_all(fw, "/truth/segment", STRATA_I32, NULL, NULL);
  double *truth = read_all(fw, "/truth/segment_feature_means", STRATA_F64, &K, &dm);
  assert_int_equal(dm, d);
  for (int k = 0; k < K; k++) {
    double count = 0;
    for (int64_t i = 0; i < n; i++) count += seg[i] == k;
    char what[96];
    for (int j = (int)d0; j < d0 + extra_num; j++) {
      double mu = truth[k * d + j], sum = 0, sum2 = 0;
      /* 10 exp(0.25 Z): five standard deviations either way. */
      assert_true(mu > 10.0 * exp(-1.25) && mu < 10.0 * exp(1.25));
      for (int64_t i = 0; i < n; i++) {
        if (seg[i] != k) continue;
        sum += x[i * d + j];
        sum2 += x[i * d + j] * x[i * d + j];
      }
      double mean = sum / count, sd = sqrt(sum2 / count - mean * mean);
      snprintf(what, sizeof what, "segment %d %s mean", k, names[j]);
      ASSERT_WITHIN_SE(mean, mu, sd / sqrt(count), what);
    }
    for (int j = (int)(d0 + extra_num); j < d; j++) {
      assert_true(isnan(truth[k * d + j]));
      char name[96];
      snprintf(name, sizeof name, "/truth/levels/%s", names[j]);
      int64_t kl, L;
      double *probs = read_all(fw, name, STRATA_F64, &kl, &L);
      assert_int_equal(L, 6);
      int dominant = 0;
      for (int l = 0; l < L; l++) {
        double pl = probs[k * L + l], hits = 0;
        /* Separation 1: one level at weight 4, five at 1. */
        dominant += fabs(pl - 4.0 / 9.0) < 1e-12;
        if (fabs(pl - 4.0 / 9.0) >= 1e-12) assert_true(fabs(pl - 1.0 / 9.0) < 1e-12);
        for (int64_t i = 0; i < n; i++) hits += seg[i] == k && x[i * d + j] == (double)l;
        snprintf(what, sizeof what, "segment %d %s level %d share", k, names[j], l);
        ASSERT_WITHIN_SE(hits / count, pl, sqrt(pl * (1 - pl) / count), what);
      }
      assert_int_equal(dominant, 1);
      free(probs);
    }
  }
  free(names);
  free(x0);
  free(x);
  free(seg);
  free(truth);
  strata_h5_close(fp);
  strata_h5_close(fw);
  strata_ctx_free(ctx);
}

static void test_bad_parameters_write_nothing(void **state) {
  (void)state;
  char path[512];
  test_path(path, sizeof path, "gen-bad.h5");
  strata_ctx *ctx = test_ctx(2);
  strata_gen_params p;
  strata_gen_params_init(&p);
  p.customers = 0;
  assert_int_equal(strata_gen_write(ctx, &p, path, 0, NULL), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "--customers"));
  strata_gen_params_init(&p);
  p.b = -1;
  assert_int_equal(strata_gen_write(ctx, &p, path, 0, NULL), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "--b must be"));
  strata_gen_params_init(&p);
  p.segments = 9;
  assert_int_equal(strata_gen_write(ctx, &p, path, 0, NULL), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "--segments"));
  strata_gen_params_init(&p);
  p.separation = -0.5;
  assert_int_equal(strata_gen_write(ctx, &p, path, 0, NULL), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "--separation"));
  strata_gen_params_init(&p);
  p.profile = 7;
  assert_int_equal(strata_gen_write(ctx, &p, path, 0, NULL), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "--profile"));
  strata_gen_params_init(&p);
  p.behaviour = 3;
  assert_int_equal(strata_gen_write(ctx, &p, path, 0, NULL), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "--behaviour"));
  strata_gen_params_init(&p);
  p.extra_numeric = STRATA_GEN_MAX_EXTRA_NUMERIC + 1;
  assert_int_equal(strata_gen_write(ctx, &p, path, 0, NULL), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "--extra-numeric"));
  strata_gen_params_init(&p);
  p.extra_categorical = -1;
  assert_int_equal(strata_gen_write(ctx, &p, path, 0, NULL), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "--extra-categorical"));
  assert_false(test_file_exists(path));
  /* Over the memory budget: refused with status 'budget', and no output. */
  strata_gen_params_init(&p);
  p.customers = 100000;
  strata_ctx_set_memory_budget(ctx, 1 << 16);
  assert_int_equal(strata_gen_write(ctx, &p, path, 0, NULL), STRATA_ERR_BUDGET);
  assert_false(test_file_exists(path));
  assert_int_equal(test_dir_count(test_tmpdir()), 0);
  strata_ctx_free(ctx);
}

/* The tables the truth comes from: weights summing to 1 (so --segments 8 is the table itself),
 * every level possible in every segment (a zero would make a level impossible and its log
 * -inf), q > 1 (finite mean spend) and a != 1 (BG/NBD's E[X(t)] divides by a - 1). */
static void test_profiles_are_well_formed(void **state) {
  (void)state;
  for (int which = STRATA_GEN_B2C; which <= STRATA_GEN_B2B; which++) {
    const gen_profile *pr = strata_gen_profile_get(which);
    assert_non_null(pr);
    assert_int_equal(pr->prototypes, STRATA_GEN_MAX_SEGMENTS);
    assert_true(pr->columns <= STRATA_GEN_MAX_COLUMNS);
    double wsum = 0;
    for (int k = 0; k < pr->prototypes; k++) {
      const gen_prototype *g = &pr->prototype[k];
      wsum += g->weight;
      for (int j = 0; j < STRATA_GEN_BEHAVIOUR; j++) assert_true(g->behaviour[j] > 0);
      assert_true(g->behaviour[5] > 1.0);
      assert_true(fabs(g->behaviour[2] - 1.0) > 0.05);
      for (int j = 0; j < pr->columns; j++) {
        const gen_column *c = &pr->column[j];
        if (c->kind == GEN_CATEGORICAL) {
          assert_true(c->levels >= 2 && c->levels <= STRATA_GEN_MAX_LEVELS);
          for (int l = 0; l < c->levels; l++) assert_true(g->level_weight[j][l] > 0);
        } else if (c->kind == GEN_BAND) {
          assert_int_equal(pr->column[c->source].kind, GEN_LOGNORMAL);
        } else {
          assert_true(g->centre[j] > 0);
          if (c->kind == GEN_BETA) assert_true(g->centre[j] < 1);
        }
      }
    }
    assert_true(fabs(wsum - 1.0) < 1e-12);
  }
  assert_null(strata_gen_profile_get(2));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_profiles_are_well_formed),
      cmocka_unit_test(test_bad_parameters_write_nothing),
      cmocka_unit_test(test_same_seed_same_bytes_for_any_thread_count),
      cmocka_unit_test(test_moments_match_generating_parameters),
      cmocka_unit_test(test_segment_features_match_truth),
      cmocka_unit_test(test_extra_columns_leave_the_base_alone_and_match_truth),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
