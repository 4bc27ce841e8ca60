/* The marketers' lenses (src/segment/lens*.c): RFM scores against hand-worked quantiles of
 * rfm 0.3.0's rule (ties, repeated breaks, n = 1, n < 5, all-equal), the order statistics against
 * qsort, the rule-table parser (default = datasets/rfm_rules.csv, bad lines named) and the
 * grid under first and last match, value x risk tiers and bands at their boundaries, the
 * growth decomposition on a hand-checked log (and its two identities on random logs), and
 * cross-tables. The CDNOW comparison with pandas is test_segment_lenses_cdnow.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "segment/lens.h"
#include "test_support.h"

#define CHECK_OK(ctx, call)                                                       \
  do {                                                                            \
    strata_status s_ = (call);                                                    \
    if (s_ != STRATA_OK) fail_msg("%s failed: %s", #call, strata_ctx_error(ctx)); \
  } while (0)

static void expect_error(strata_ctx *ctx, strata_status got, strata_status want,
                         const char *needle) {
  assert_int_equal(got, want);
  if (strstr(strata_ctx_error(ctx), needle) == NULL)
    fail_msg("message '%s' does not name '%s'", strata_ctx_error(ctx), needle);
}

/* ---------------------------------------------------------------- RFM scores */

static void test_rfm_distinct_values(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  /* x = 1..10 (shuffled). Type-7 quantiles at 0.2, 0.4, 0.6, 0.8: 1 + 9p = 2.8, 4.6, 6.4, 8.2
   * -> q = 2.8, 4.6, 6.4, 8.2; breaks q + 1 = 3.8, 5.6, 7.4, 9.2. Bins: {1,2,3} {4,5} {6,7}
   * {8,9} {10}. */
  const double x[10] = {7, 2, 10, 5, 1, 9, 4, 8, 3, 6};
  const uint8_t want_up[10] = {3, 1, 5, 2, 1, 4, 2, 4, 1, 3};
  uint8_t s[10];
  double br[4];
  CHECK_OK(ctx, strata_lens_rfm_score_column(ctx, x, 10, 5, 1, "frequency", s, br));
  for (int i = 0; i < 10; i++) assert_int_equal(s[i], want_up[i]);
  const double want_br[4] = {3.8, 5.6, 7.4, 9.2};
  for (int j = 0; j < 4; j++) assert_true(fabs(br[j] - want_br[j]) < 1e-12);
  /* Recency: fewest days scores 5. */
  CHECK_OK(ctx, strata_lens_rfm_score_column(ctx, x, 10, 5, 0, "recency_days", s, NULL));
  for (int i = 0; i < 10; i++) assert_int_equal(s[i], 6 - want_up[i]);
  strata_ctx_free(ctx);
}

static void test_rfm_ties_repeat_breaks(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  /* Sorted 1,1,1,1,1,1,2,2,3,4. h = 2.8: x2 = x3 = 1 -> q = 1; h = 4.6: q = 1; h = 6.4:
   * 0.6*1 + 0.4*2 = 1.4; h = 8.2: 0.8*2 + 0.2*3 = 2.2. Breaks 2, 2, 2.4, 3.2: the bin [2, 2)
   * is empty, so the 2s skip score 2 and get 3 (what rfm gives); equal values share a score. */
  const double x[10] = {2, 1, 1, 4, 1, 3, 1, 2, 1, 1};
  const uint8_t want[10] = {3, 1, 1, 5, 1, 4, 1, 3, 1, 1};
  uint8_t s[10];
  double br[4];
  CHECK_OK(ctx, strata_lens_rfm_score_column(ctx, x, 10, 5, 1, "monetary", s, br));
  for (int i = 0; i < 10; i++) assert_int_equal(s[i], want[i]);
  assert_true(br[0] == 2.0 && br[1] == 2.0);
  assert_true(fabs(br[2] - 2.4) < 1e-12 && fabs(br[3] - 3.2) < 1e-12);
  strata_ctx_free(ctx);
}

static void test_rfm_small_and_equal(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  uint8_t r[7], f[7], m[7];
  double br[4];
  /* n = 1: every break is x + 1, x sits in bin 1: R = 5, F = 1, M = 1. */
  const double one = 42.5;
  CHECK_OK(ctx, strata_lens_rfm_score(ctx, &one, &one, &one, 1, 5, r, f, m, br, NULL, NULL));
  assert_int_equal(r[0], 5);
  assert_int_equal(f[0], 1);
  assert_int_equal(m[0], 1);
  for (int j = 0; j < 4; j++) assert_true(br[j] == 43.5);
  /* All equal: the same as n = 1 for every row. */
  const double eq[7] = {3, 3, 3, 3, 3, 3, 3};
  CHECK_OK(ctx, strata_lens_rfm_score(ctx, eq, eq, eq, 7, 5, r, f, m, NULL, NULL, NULL));
  for (int i = 0; i < 7; i++) {
    assert_int_equal(r[i], 5);
    assert_int_equal(f[i], 1);
    assert_int_equal(m[i], 1);
  }
  /* n = 3 < 5: h = 1.4, 1.8, 2.2, 2.6 -> q = 14, 18, 22, 26; breaks 15, 19, 23, 27:
   * 10 -> bin 1, 20 -> 3, 30 -> 5. */
  const double three[3] = {30, 10, 20};
  CHECK_OK(ctx, strata_lens_rfm_score_column(ctx, three, 3, 5, 1, "monetary", m, br));
  assert_int_equal(m[0], 5);
  assert_int_equal(m[1], 1);
  assert_int_equal(m[2], 3);
  assert_true(fabs(br[0] - 15) < 1e-12 && fabs(br[3] - 27) < 1e-12);
  /* bins = 1: one interval, everyone scores 1. */
  CHECK_OK(ctx, strata_lens_rfm_score_column(ctx, three, 3, 1, 0, "recency_days", m, NULL));
  for (int i = 0; i < 3; i++) assert_int_equal(m[i], 1);
  strata_ctx_free(ctx);
}

static void test_rfm_bad_input(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  uint8_t s[4];
  const double x[4] = {1, 2, NAN, 4};
  expect_error(ctx, strata_lens_rfm_score_column(ctx, x, 4, 5, 1, "monetary", s, NULL),
               STRATA_ERR_DATA, "monetary: customer row 2");
  const double y[3] = {1, INFINITY, 3};
  expect_error(ctx, strata_lens_rfm_score_column(ctx, y, 3, 5, 1, "frequency", s, NULL),
               STRATA_ERR_DATA, "row 1");
  const double big[2] = {1, 1e17};
  expect_error(ctx, strata_lens_rfm_score_column(ctx, big, 2, 5, 1, "monetary", s, NULL),
               STRATA_ERR_DATA, "row 1");
  expect_error(ctx, strata_lens_rfm_score_column(ctx, x, 2, 10, 1, "monetary", s, NULL),
               STRATA_ERR_USAGE, "bins = 10");
  expect_error(ctx, strata_lens_rfm_score_column(ctx, x, 0, 5, 1, "monetary", s, NULL),
               STRATA_ERR_USAGE, "n = 0");
  strata_ctx_free(ctx);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void test_order_stats_against_qsort(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  const int64_t sizes[] = {1, 2, 3, 17, 1000, 70001};
  for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
    int64_t n = sizes[t];
    double *x = malloc((size_t)n * sizeof *x), *a = malloc((size_t)n * sizeof *a);
    double *b = malloc((size_t)n * sizeof *b);
    assert_non_null(x);
    assert_non_null(a);
    assert_non_null(b);
    strata_rng rng;
    strata_rng_init(&rng, 99, (uint32_t)t, 0);
    for (int64_t i = 0; i < n; i++) {
      double u = strata_rng_uniform(&rng);
      /* Negatives, zeros of both signs, repeated values, tiny and large magnitudes. */
      int kind = (int)(u * 6);
      double v = strata_rng_uniform(&rng);
      x[i] = kind == 0   ? -v * 1e6
             : kind == 1 ? (v < 0.5 ? 0.0 : -0.0)
             : kind == 2 ? floor(v * 5)
             : kind == 3 ? v * 1e-300
             : kind == 4 ? -v * 1e300
                         : v;
    }
    memcpy(b, x, (size_t)n * sizeof *b);
    qsort(b, (size_t)n, sizeof *b, cmp_double);
    int64_t *ranks = malloc((size_t)n * sizeof *ranks);
    assert_non_null(ranks);
    for (int64_t i = 0; i < n; i++) ranks[i] = n - 1 - i; /* every rank, in reverse */
    CHECK_OK(ctx, strata_lens_order_stats(ctx, x, n, ranks, n, a));
    for (int64_t i = 0; i < n / 2; i++) {
      double tmp = a[i];
      a[i] = a[n - 1 - i];
      a[n - 1 - i] = tmp;
    }
    free(ranks);
    for (int64_t i = 0; i < n; i++)
      if (!(a[i] == b[i]))
        fail_msg("n = %lld: element %lld is %g, qsort has %g", (long long)n, (long long)i, a[i],
                 b[i]);
    free(x);
    free(a);
    free(b);
  }
  strata_ctx_free(ctx);
}

static void test_rfm_accumulate_recency(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  /* Three customers; the log in two blocks. */
  const int64_t cust[6] = {2, 0, 2, 1, 2, 0};
  const int32_t day[6] = {100, 90, 120, 50, 110, 95};
  const double amt[6] = {5, 10, 7, 3, 1.5, 2};
  int32_t last[3];
  double f[3] = {0, 0, 0}, m[3] = {0, 0, 0}, rec[3];
  for (int i = 0; i < 3; i++) last[i] = STRATA_LENS_NO_DAY;
  CHECK_OK(ctx, strata_lens_rfm_accumulate(ctx, cust, day, amt, 4, 0, 3, last, f, m));
  CHECK_OK(ctx, strata_lens_rfm_accumulate(ctx, cust + 4, day + 4, amt + 4, 2, 4, 3, last, f, m));
  assert_int_equal(last[0], 95);
  assert_int_equal(last[1], 50);
  assert_int_equal(last[2], 120);
  assert_true(f[0] == 2 && f[1] == 1 && f[2] == 3);
  assert_true(m[0] == 12 && m[1] == 3 && m[2] == 13.5);
  CHECK_OK(ctx, strata_lens_rfm_recency(ctx, last, 3, 121, rec));
  assert_true(rec[0] == 26 && rec[1] == 71 && rec[2] == 1);
  expect_error(ctx, strata_lens_rfm_recency(ctx, last, 3, 100, rec), STRATA_ERR_DATA,
               "customer row 2");
  last[1] = STRATA_LENS_NO_DAY;
  expect_error(ctx, strata_lens_rfm_recency(ctx, last, 3, 200, rec), STRATA_ERR_DATA,
               "customer row 1 has no transaction");
  const int64_t bad[2] = {0, 3};
  expect_error(ctx, strata_lens_rfm_accumulate(ctx, bad, day, amt, 2, 1000, 3, last, f, m),
               STRATA_ERR_DATA, "transaction row 1001");
  const double nan_amt[1] = {NAN};
  expect_error(ctx, strata_lens_rfm_accumulate(ctx, cust, day, nan_amt, 1, 7, 3, last, f, m),
               STRATA_ERR_DATA, "transaction row 7");
  strata_ctx_free(ctx);
}

/* ---------------------------------------------------------------- rule table and grid */

/* tests/CMakeLists.txt defines STRATA_SHARED_DATASETS as <source>/../shared/datasets: the
 * source tree is what precedes that suffix. */
static const char *source_path(const char *relative) {
  static char buf[4096];
  const char *root = STRATA_SHARED_DATASETS;
  const char *suffix = "/../shared/datasets";
  size_t len = strlen(root), sl = strlen(suffix);
  if (len < sl || strcmp(root + len - sl, suffix) != 0) fail_msg("unexpected %s", root);
  snprintf(buf, sizeof buf, "%.*s/%s", (int)(len - sl), root, relative);
  return buf;
}

static const char *const default_names[11] = {"Champions",
                                              "Loyal Customers",
                                              "Potential Loyalist",
                                              "New Customers",
                                              "Promising",
                                              "Need Attention",
                                              "About To Sleep",
                                              "At Risk",
                                              "Can't Lose Them",
                                              "Hibernating",
                                              "Lost"};

static void test_rules_default_is_the_data_file(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  strata_rfm_rules *d = NULL, *f = NULL;
  CHECK_OK(ctx, strata_rfm_rules_default(ctx, &d));
  CHECK_OK(ctx, strata_rfm_rules_read(ctx, source_path("datasets/rfm_rules.csv"), &f));
  assert_int_equal(d->n_rules, 11);
  assert_int_equal(d->n_cells, 11);
  assert_int_equal(f->n_rules, d->n_rules);
  for (int i = 0; i < 11; i++) {
    assert_string_equal(d->cell_name[i], default_names[i]);
    assert_string_equal(f->rule[i].name, d->rule[i].name);
    assert_memory_equal(f->rule[i].lo, d->rule[i].lo, 3);
    assert_memory_equal(f->rule[i].hi, d->rule[i].hi, 3);
  }
  /* Spot checks against rfm's documented table: Champions 4-5 x3, At Risk <=2 2-5 2-5. */
  assert_int_equal(d->rule[0].lo[0], 4);
  assert_int_equal(d->rule[0].hi[2], 5);
  assert_int_equal(d->rule[7].hi[0], 2);
  assert_int_equal(d->rule[7].lo[1], 2);
  strata_rfm_rules_free(d);
  strata_rfm_rules_free(f);
  strata_ctx_free(ctx);
}

static void test_grid_first_and_last_match(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  strata_rfm_rules *d = NULL;
  CHECK_OK(ctx, strata_rfm_rules_default(ctx, &d));
  /* (1,1,1): Hibernating first, Lost last (same ranges). (5,5,5): Champions first; Loyal
   * Customers (2-5, 3-5, 3-5) comes later and overwrites under last-match. (5,1,1): Potential
   * Loyalist first, New Customers last. (3,2,4): no rule -> Others. (1,5,5): At Risk first,
   * Can't Lose Them last. */
  const uint8_t r[5] = {1, 5, 5, 3, 1}, f[5] = {1, 5, 1, 2, 5}, m[5] = {1, 5, 1, 4, 5};
  const int32_t want_first[5] = {9, 0, 2, -1, 7}, want_last[5] = {10, 1, 3, -1, 8};
  int32_t cell[5];
  int64_t counts[12];
  CHECK_OK(ctx, strata_lens_rfm_grid(ctx, d, STRATA_RFM_FIRST_MATCH, r, f, m, 5, cell, counts));
  for (int i = 0; i < 5; i++) assert_int_equal(cell[i], want_first[i]);
  assert_int_equal(counts[9], 1);
  assert_int_equal(counts[10], 0);
  assert_int_equal(counts[11], 1);
  CHECK_OK(ctx, strata_lens_rfm_grid(ctx, d, STRATA_RFM_LAST_MATCH, r, f, m, 5, cell, counts));
  for (int i = 0; i < 5; i++) assert_int_equal(cell[i], want_last[i]);
  assert_int_equal(counts[10], 1);
  const uint8_t bad[1] = {0};
  expect_error(ctx, strata_lens_rfm_grid(ctx, d, STRATA_RFM_FIRST_MATCH, r, f, bad, 1, cell, NULL),
               STRATA_ERR_DATA, "customer row 0");
  strata_rfm_rules_free(d);

  /* rfm 0.3.0's vignette table (SEGMENTATION.md), parsed from text, with a quoted name, a
   * comment, a blank line, CRLF and a repeated name that joins two boxes into one cell. */
  const char text[] =
      "# rfm 0.3.0 vignette\r\n"
      "segment,r_lo,r_hi,f_lo,f_hi,m_lo,m_hi\r\n"
      "Champions,5,5,5,5,5,5\r\n"
      "\"Potential, Loyalist\",3,5,3,5,2,5\r\n"
      "\r\n"
      "Loyal Customers , 2 , 4 , 2 , 4 , 2 , 4\n"
      "Lost,1,1,1,5,1,5\n"
      "Champions,1,1,1,1,1,1\n";
  strata_rfm_rules *v = NULL;
  CHECK_OK(ctx, strata_rfm_rules_parse(ctx, text, sizeof text - 1, "vignette", &v));
  assert_int_equal(v->n_rules, 5);
  assert_int_equal(v->n_cells, 4);
  assert_string_equal(v->cell_name[1], "Potential, Loyalist");
  assert_string_equal(v->cell_name[2], "Loyal Customers");
  assert_int_equal(v->rule[4].cell, 0);
  /* (4,4,4): PL first (3-5,3-5,2-5), Loyal last. (1,1,1): Lost first, Champions (the second
   * Champions row) last. (2,1,1): nobody. */
  const uint8_t r2[3] = {4, 1, 2}, f2[3] = {4, 1, 1}, m2[3] = {4, 1, 1};
  CHECK_OK(ctx, strata_lens_rfm_grid(ctx, v, STRATA_RFM_FIRST_MATCH, r2, f2, m2, 3, cell, NULL));
  assert_int_equal(cell[0], 1);
  assert_int_equal(cell[1], 3);
  assert_int_equal(cell[2], -1);
  CHECK_OK(ctx, strata_lens_rfm_grid(ctx, v, STRATA_RFM_LAST_MATCH, r2, f2, m2, 3, cell, NULL));
  assert_int_equal(cell[0], 2);
  assert_int_equal(cell[1], 0);
  strata_rfm_rules_free(v);
  strata_ctx_free(ctx);
}

static void parse_fails(strata_ctx *ctx, const char *text, const char *needle) {
  strata_rfm_rules *R = NULL;
  strata_status st = strata_rfm_rules_parse(ctx, text, strlen(text), "my_rules.csv", &R);
  assert_null(R);
  expect_error(ctx, st, STRATA_ERR_DATA, needle);
}

static void test_rules_parser_errors(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  const char *h = "segment,r_lo,r_hi,f_lo,f_hi,m_lo,m_hi\n";
  char buf[512];
  snprintf(buf, sizeof buf, "%sA,1,5,1,5,1,5\nB,1,5,1,5,1\n", h);
  parse_fails(ctx, buf, "my_rules.csv line 3: 6 fields");
  snprintf(buf, sizeof buf, "%sA,1,5,1,5,1,5,9\n", h);
  parse_fails(ctx, buf, "my_rules.csv line 2: more than 7 fields");
  snprintf(buf, sizeof buf, "%s\n# c\nA,1,5,1,5x,1,5\n", h);
  parse_fails(ctx, buf, "my_rules.csv line 4: f_hi '5x' is not a whole number");
  snprintf(buf, sizeof buf, "%sA,4,2,1,5,1,5\n", h);
  parse_fails(ctx, buf, "line 2: r_lo = 4 is above r_hi = 2");
  snprintf(buf, sizeof buf, "%sA,0,2,1,5,1,5\n", h);
  parse_fails(ctx, buf, "line 2: r_lo = 0 is outside 1..9");
  snprintf(buf, sizeof buf, "%sA,1,2,1,5,1,10\n", h);
  parse_fails(ctx, buf, "line 2: m_hi = 10 is outside 1..9");
  snprintf(buf, sizeof buf, "%s ,1,2,1,5,1,5\n", h);
  parse_fails(ctx, buf, "line 2: empty segment name");
  snprintf(buf, sizeof buf, "%s\"A,1,2,1,5,1,5\n", h);
  parse_fails(ctx, buf, "line 2: unterminated");
  snprintf(buf, sizeof buf, "%sA,1,,1,5,1,5\n", h);
  parse_fails(ctx, buf, "line 2: r_hi '' is not a whole number");
  parse_fails(ctx, "# only a comment\n", "my_rules.csv: no rules");
  parse_fails(ctx, h, "my_rules.csv: no rules");
  /* Through a file: the path is the source named. */
  char path[1024];
  test_path(path, sizeof path, "bad_rules.csv");
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs("Champions,5,5,5,5,5,5\nAt Risk,1,2,2,5,2\n", fp);
  fclose(fp);
  strata_rfm_rules *R = NULL;
  strata_status st = strata_rfm_rules_read(ctx, path, &R);
  assert_null(R);
  char want[1100];
  snprintf(want, sizeof want, "%s line 2: 6 fields", path);
  expect_error(ctx, st, STRATA_ERR_DATA, want);
  test_path(path, sizeof path, "no_such_rules.csv");
  expect_error(ctx, strata_rfm_rules_read(ctx, path, &R), STRATA_ERR_IO, "no_such_rules.csv");
  strata_ctx_free(ctx);
}

/* ---------------------------------------------------------------- value x risk */

static void test_value_risk_boundaries(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  strata_value_risk_params p;
  strata_value_risk_params_init(&p);
  /* n = 10: n_top = 2, n_upper = 5. CLV sorted down 9, 8, 8, 8, 5, 5, 5, 3, 2, 1: the 2nd
   * largest is 8, so all three 8s join the top (4 accounts); the 5th largest is 5, so all
   * 5s are middle (3); the rest 3. P(alive) on the band edges: 0.5 is medium, 0.8 low. */
  const double clv[10] = {5, 8, 1, 9, 8, 3, 5, 8, 2, 5};
  const double pa[10] = {0.5, 0.4999, 0.8, 0.1, 0.79999, 1.0, 0.0, 0.8, 0.5, 0.3};
  const double rev[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  /* tier: 5->1, 8->0, 1->2, 9->0, 8->0, 3->2, 5->1, 8->0, 2->2, 5->1;
   * band: 1, 0, 2, 0, 1, 2, 0, 2, 1, 0 */
  const int32_t want[10] = {4, 0, 8, 0, 1, 8, 3, 2, 7, 3};
  int32_t cell[10];
  strata_value_risk_cells c;
  CHECK_OK(ctx, strata_lens_value_risk(ctx, &p, clv, pa, rev, 10, cell, &c));
  for (int i = 0; i < 10; i++) assert_int_equal(cell[i], want[i]);
  assert_true(c.clv_top_min == 8 && c.clv_upper_min == 5);
  assert_int_equal(c.accounts[0], 2); /* rows 1, 3 */
  assert_true(c.clv_total[0] == 17);
  assert_true(fabs(c.p_alive_mean[0] - (0.4999 + 0.1) / 2) < 1e-15);
  assert_true(c.revenue_total[0] == 6);
  assert_int_equal(c.accounts[3], 2); /* rows 6, 9 */
  assert_true(c.clv_total[3] == 10 && c.revenue_total[3] == 17);
  assert_int_equal(c.accounts[5], 0);
  assert_true(isnan(c.p_alive_mean[5]));
  int64_t total = 0;
  for (int k = 0; k < STRATA_VR_CELLS; k++) total += c.accounts[k];
  assert_int_equal(total, 10);
  assert_string_equal(strata_value_risk_cell_name(0), "High value / high risk: retention priority");
  /* Segments x value-risk cells: the cross-table's sums are the cells' CLV at stake. */
  const int32_t seg[10] = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  int64_t xc[2 * 10];
  double xs[2 * 10];
  CHECK_OK(ctx, strata_lens_crosstab(ctx, seg, 2, cell, STRATA_VR_CELLS, clv, 10, xc, xs));
  for (int k = 0; k < STRATA_VR_CELLS; k++) {
    assert_int_equal(xc[k] + xc[10 + k], c.accounts[k]);
    assert_true(xs[k] + xs[10 + k] == c.clv_total[k]);
  }
  assert_int_equal(xc[9] + xc[19], 0); /* no "other" column in use */
  assert_null(strata_value_risk_cell_name(9));
  /* Small bases: n = 1 -> round(0.2) = 0 top, round(0.5) = 1 (half up): middle. n = 3 -> 1
   * top, round(1.5) = 2 upper. */
  CHECK_OK(ctx, strata_lens_value_risk(ctx, &p, clv, pa, NULL, 1, cell, &c));
  assert_int_equal(cell[0], 4);
  assert_true(isnan(c.clv_top_min) && isnan(c.revenue_total[4]));
  const double clv3[3] = {1, 3, 2}, pa3[3] = {0.9, 0.9, 0.9};
  CHECK_OK(ctx, strata_lens_value_risk(ctx, &p, clv3, pa3, NULL, 3, cell, NULL));
  assert_int_equal(cell[0], 8);
  assert_int_equal(cell[1], 2);
  assert_int_equal(cell[2], 5);
  /* All equal CLV: everybody is "top" (nobody has a strictly larger CLV). */
  const double same[3] = {4, 4, 4};
  CHECK_OK(ctx, strata_lens_value_risk(ctx, &p, same, pa3, NULL, 3, cell, NULL));
  for (int i = 0; i < 3; i++) assert_int_equal(cell[i], 2);
  /* Custom cut points. */
  p.risk_high_below = 0.3;
  p.risk_low_from = 0.95;
  CHECK_OK(ctx, strata_lens_value_risk(ctx, &p, clv3, pa3, NULL, 3, cell, NULL));
  assert_int_equal(cell[1], 1);
  const double bad_pa[3] = {0.5, 1.5, 0.2};
  expect_error(ctx, strata_lens_value_risk(ctx, &p, clv3, bad_pa, NULL, 3, cell, NULL),
               STRATA_ERR_DATA, "customer row 1");
  const double bad_clv[3] = {0.5, 1, NAN};
  expect_error(ctx, strata_lens_value_risk(ctx, &p, bad_clv, pa3, NULL, 3, cell, NULL),
               STRATA_ERR_DATA, "customer row 2");
  p.top_share = 0.8;
  expect_error(ctx, strata_lens_value_risk(ctx, &p, clv3, pa3, NULL, 3, cell, NULL),
               STRATA_ERR_USAGE, "top_share");
  strata_ctx_free(ctx);
}

/* ---------------------------------------------------------------- growth */

static void test_growth_hand_log(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  strata_growth_params gp;
  strata_growth_params_init(&gp);
  gp.as_of = 1000; /* current [635, 1000), previous [270, 635) */
  /* 0: prev 100, curr 150 (expanded 50); 1: prev 120 + 80, curr 50 (contracted 150);
   * 2: curr 70 only (new, on the split day); 3: prev 40 on the first day, plus rows on day 269
   * and on the as-of day, both outside; 4: nothing; 5: prev 60, curr 60. */
  const int64_t cust[10] = {0, 0, 1, 1, 1, 2, 3, 3, 3, 5};
  const int32_t day[10] = {300, 700, 634, 400, 999, 635, 270, 269, 1000, 300};
  const double amt[10] = {100, 150, 120, 80, 50, 70, 40, 1000, 500, 60};
  double prev[6] = {0}, curr[6] = {0};
  CHECK_OK(ctx, strata_lens_growth_accumulate(ctx, &gp, cust, day, amt, 5, 0, 6, prev, curr));
  CHECK_OK(ctx, strata_lens_growth_accumulate(ctx, &gp, cust + 5, day + 5, amt + 5, 5, 5, 6, prev,
                                              curr));
  /* customer 5's current purchase */
  const int64_t c5 = 5;
  const int32_t d5 = 800;
  const double a5 = 60;
  CHECK_OK(ctx, strata_lens_growth_accumulate(ctx, &gp, &c5, &d5, &a5, 1, 10, 6, prev, curr));
  const double want_prev[6] = {100, 200, 0, 40, 0, 60}, want_curr[6] = {150, 50, 70, 0, 0, 60};
  for (int i = 0; i < 6; i++) {
    assert_true(prev[i] == want_prev[i]);
    assert_true(curr[i] == want_curr[i]);
  }
  const int32_t labels[6] = {0, 0, 2, 1, 1, 0};
  strata_growth_group g[3], t;
  CHECK_OK(ctx, strata_lens_growth(ctx, prev, curr, labels, 6, 3, g, &t));
  assert_true(t.prev_total == 400 && t.curr_total == 330);
  assert_true(t.retained_revenue == 210 && t.expanded_revenue == 50);
  assert_true(t.contracted_revenue == 150 && t.new_revenue == 70 && t.lost_revenue == 40);
  assert_true(t.curr_total == t.retained_revenue + t.expanded_revenue + t.new_revenue);
  assert_true(t.prev_total == t.retained_revenue + t.contracted_revenue + t.lost_revenue);
  assert_int_equal(t.accounts, 6);
  assert_int_equal(t.n_new, 1);
  assert_int_equal(t.n_retained, 3);
  assert_int_equal(t.n_lost, 1);
  assert_int_equal(t.n_expanded, 1);
  assert_int_equal(t.n_contracted, 1);
  assert_int_equal(t.n_inactive, 1);
  assert_true(fabs(t.growth_rate - (-0.175)) < 1e-15);
  assert_true(t.account_retention == 0.75);
  assert_true(fabs(t.gross_revenue_retention - 0.525) < 1e-15);
  assert_true(fabs(t.net_revenue_retention - 0.65) < 1e-15);
  /* group 0 = {0, 1, 5}: 360 -> 260; group 1 = {3, 4}: lost 40; group 2 = {2}: new only. */
  assert_true(g[0].prev_total == 360 && g[0].curr_total == 260);
  assert_true(g[0].account_retention == 1.0);
  assert_true(g[1].lost_revenue == 40 && g[1].account_retention == 0.0);
  assert_true(g[1].growth_rate == -1.0);
  assert_true(g[2].new_revenue == 70 && isnan(g[2].growth_rate));
  assert_true(isnan(g[2].account_retention) && isnan(g[2].net_revenue_retention));
  /* No labels: one group equal to the total. */
  CHECK_OK(ctx, strata_lens_growth(ctx, prev, curr, NULL, 6, 1, g, NULL));
  assert_true(g[0].new_revenue == t.new_revenue && g[0].n_lost == t.n_lost);
  /* Errors name the row. */
  const int64_t bad_c[1] = {6};
  expect_error(ctx, strata_lens_growth_accumulate(ctx, &gp, bad_c, day, amt, 1, 41, 6, prev, curr),
               STRATA_ERR_DATA, "transaction row 41");
  prev[4] = -1;
  expect_error(ctx, strata_lens_growth(ctx, prev, curr, labels, 6, 3, g, &t), STRATA_ERR_DATA,
               "customer row 4");
  prev[4] = 0;
  const int32_t bad_l[6] = {0, 0, 3, 1, 1, 0};
  expect_error(ctx, strata_lens_growth(ctx, prev, curr, bad_l, 6, 3, g, &t), STRATA_ERR_DATA,
               "customer row 2");
  strata_ctx_free(ctx);
}

/* On random logs the decomposition adds up: per group and in total. */
static void test_growth_identities_random(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  enum { N = 500, M = 4000, K = 4 };
  static int64_t cust[M];
  static int32_t day[M];
  static double amt[M], prev[N], curr[N];
  static int32_t labels[N];
  strata_rng rng;
  strata_rng_init(&rng, 7, 1, 0);
  for (int t = 0; t < M; t++) {
    cust[t] = (int64_t)(strata_rng_uniform(&rng) * N * 1.0) % N;
    day[t] = 10000 + (int32_t)(strata_rng_uniform(&rng) * 900);
    amt[t] = floor(strata_rng_uniform(&rng) * 10000) / 100;
  }
  for (int i = 0; i < N; i++) labels[i] = i % K;
  strata_growth_params gp;
  strata_growth_params_init(&gp);
  gp.as_of = 10800;
  CHECK_OK(ctx, strata_lens_growth_accumulate(ctx, &gp, cust, day, amt, M, 0, N, prev, curr));
  strata_growth_group g[K], t;
  CHECK_OK(ctx, strata_lens_growth(ctx, prev, curr, labels, N, K, g, &t));
  int64_t accounts = 0;
  double sum_prev = 0;
  for (int k = 0; k < K; k++) {
    const strata_growth_group *x = &g[k];
    assert_true(fabs(x->curr_total - (x->retained_revenue + x->expanded_revenue + x->new_revenue)) <
                1e-8);
    assert_true(fabs(x->prev_total -
                     (x->retained_revenue + x->contracted_revenue + x->lost_revenue)) < 1e-8);
    assert_int_equal(x->accounts, x->n_new + x->n_retained + x->n_lost + x->n_inactive);
    accounts += x->accounts;
    sum_prev += x->prev_total;
  }
  assert_int_equal(accounts, N);
  assert_true(fabs(sum_prev - t.prev_total) < 1e-8);
  /* Independent recount of the previous period straight from the log. */
  double direct = 0;
  for (int i = 0; i < M; i++)
    if (day[i] >= 10800 - 730 && day[i] < 10800 - 365) direct += amt[i];
  assert_true(fabs(direct - t.prev_total) < 1e-6);
  assert_true(t.n_new > 0 && t.n_lost > 0 && t.n_retained > 0);
  strata_ctx_free(ctx);
}

/* ---------------------------------------------------------------- cross-tables */

static void test_crosstab(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  const int32_t a[7] = {0, 1, 1, 0, 2, 1, 0};
  const int32_t b[7] = {-1, 0, 1, 1, -1, 1, 0};
  const double w[7] = {1, 2, 4, 8, 16, 32, 64};
  int64_t counts[9];
  double sums[9];
  CHECK_OK(ctx, strata_lens_crosstab(ctx, a, 3, b, 2, w, 7, counts, sums));
  /* rows a = 0..2, columns b = 0, 1, other */
  const int64_t wc[9] = {1, 1, 1, 1, 2, 0, 0, 0, 1};
  const double ws[9] = {64, 8, 1, 2, 36, 0, 0, 0, 16};
  for (int i = 0; i < 9; i++) {
    assert_int_equal(counts[i], wc[i]);
    assert_true(sums[i] == ws[i]);
  }
  CHECK_OK(ctx, strata_lens_crosstab(ctx, a, 3, b, 2, NULL, 7, counts, NULL));
  assert_int_equal(counts[4], 2);
  /* kb = 0: only the "other" column. */
  const int32_t none[3] = {-1, -1, -1};
  CHECK_OK(ctx, strata_lens_crosstab(ctx, a, 3, none, 0, NULL, 3, counts, NULL));
  assert_int_equal(counts[0], 1);
  assert_int_equal(counts[1], 2);
  const int32_t bad_b[2] = {0, 2};
  expect_error(ctx, strata_lens_crosstab(ctx, a, 3, bad_b, 2, NULL, 2, counts, NULL),
               STRATA_ERR_DATA, "labels_b of row 1");
  const int32_t bad_a[2] = {3, 0};
  expect_error(ctx, strata_lens_crosstab(ctx, bad_a, 3, b, 2, NULL, 2, counts, NULL),
               STRATA_ERR_DATA, "labels_a of row 0");
  expect_error(ctx, strata_lens_crosstab(ctx, a, 3, b, 2, NULL, 2, counts, sums), STRATA_ERR_USAGE,
               "without weights");
  expect_error(ctx, strata_lens_crosstab(ctx, a, INT64_MAX / 2, b, 4, NULL, 2, counts, NULL),
               STRATA_ERR_USAGE, "overflow");
  strata_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfm_distinct_values),
      cmocka_unit_test(test_rfm_ties_repeat_breaks),
      cmocka_unit_test(test_rfm_small_and_equal),
      cmocka_unit_test(test_rfm_bad_input),
      cmocka_unit_test(test_order_stats_against_qsort),
      cmocka_unit_test(test_rfm_accumulate_recency),
      cmocka_unit_test(test_rules_default_is_the_data_file),
      cmocka_unit_test(test_grid_first_and_last_match),
      cmocka_unit_test(test_rules_parser_errors),
      cmocka_unit_test(test_value_risk_boundaries),
      cmocka_unit_test(test_growth_hand_log),
      cmocka_unit_test(test_growth_identities_random),
      cmocka_unit_test(test_crosstab),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
