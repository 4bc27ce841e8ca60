/* The report writers (segment/report.h): the migration report is one self-contained page
 * holding the matrix, the shares and the PSI values as data, with names escaped so that no
 * "</script>" in a segment name can end the data block; usage errors name the parameter; an
 * existing report is never replaced without force and a refused write leaves nothing behind;
 * report dates are exact civil dates (the data period in the segmentation report). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segment/report.h"
#include "segment/report_page.h"
#include "test_support.h"

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
  s[n] = 0;
  fclose(f);
  return s;
}

static const char *const old_names[] = {"Champions", "Dormant </script> x"};
static const char *const new_names[] = {"Champions", "Dormant </script> x", "New low spenders"};
static const int64_t accounts[] = {               /* 2 + 1 rows x 3 + 1 columns */
                                   90, 5,  3,  2, /* */
                                   10, 70, 15, 5, /* */
                                   4,  6,  20, 0};
static const double clv[] = {900, 50, 30, 20, 100, 700, 150, 50, 40, 60, 200, 0};
static const double share_old[] = {0.5, 0.5};
static const double share_new[] = {0.45, 0.35, 0.2};
static const char *const features[] = {"monetary", "tenure"};
static const double feature_psi[] = {0.05, 0.31};

static strata_migration_report example(void) {
  strata_migration_report m;
  memset(&m, 0, sizeof m);
  m.title = "Q1 against Q4";
  m.currency = "EUR";
  m.old_label = "q4.h5";
  m.new_label = "q1.h5";
  m.k_old = 2;
  m.k_new = 3;
  m.old_names = old_names;
  m.new_names = new_names;
  m.accounts = accounts;
  m.clv = clv;
  m.share_old = share_old;
  m.share_new = share_new;
  m.psi_shares = 0.12;
  m.n_features = 2;
  m.feature_names = features;
  m.feature_psi = feature_psi;
  return m;
}

static void test_migration_page_holds_the_data(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  char path[1024];
  test_path(path, sizeof path, "migration.html");
  strata_migration_report m = example();
  assert_int_equal(strata_report_migration_write(ctx, &m, path, 0), STRATA_OK);
  char *page = slurp(path);
  assert_non_null(strstr(page, "<title>Q1 against Q4</title>"));
  assert_non_null(strstr(page, "Chart.js v"));
  assert_non_null(strstr(page, "\"accounts\":[90,5,3,2,10,70,15,5,4,6,20,0]"));
  assert_non_null(strstr(page, "\"currency\":\"EUR\""));
  assert_non_null(strstr(page, "\"feature_psi\":[0.05,0.31]"));
  assert_non_null(strstr(page, "\"psi_shares\":0.12"));
  /* no verdict given: read off the shares' PSI with the default thresholds */
  assert_non_null(strstr(page, "\"verdict\":\"watch\""));
  assert_non_null(strstr(page, "\"psi_watch\":0.1,\"psi_shifted\":0.25"));
  /* the segment name cannot close the data block */
  assert_non_null(strstr(page, "Dormant \\u003c/script> x"));
  assert_null(strstr(page, "Dormant </script>"));
  free(page);
  /* without names, CLV, shares or PSI of shares: placeholders, nulls, a NaN verdict */
  m.old_names = m.new_names = NULL;
  m.clv = NULL;
  m.share_old = m.share_new = NULL;
  m.psi_shares = NAN;
  m.n_features = 0;
  m.verdict = NULL;
  m.title = NULL;
  assert_int_equal(strata_report_migration_write(ctx, &m, path, 1), STRATA_OK);
  page = slurp(path);
  assert_non_null(strstr(page, "<title>Segment migration</title>"));
  assert_non_null(strstr(page, "\"old_names\":[\"segment 0\",\"segment 1\"]"));
  assert_non_null(strstr(page, "\"clv\":null"));
  assert_non_null(strstr(page, "\"psi_shares\":null"));
  assert_non_null(strstr(page, "\"verdict\":\"unknown\""));
  free(page);
  strata_ctx_free(ctx);
}

static void test_migration_refusals(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  char path[1024];
  test_path(path, sizeof path, "kept.html");
  FILE *f = fopen(path, "w");
  fputs("keep me", f);
  fclose(f);
  strata_migration_report m = example();
  int before = test_dir_count(test_tmpdir());
  assert_int_equal(strata_report_migration_write(ctx, &m, path, 0), STRATA_ERR_EXISTS);
  char *page = slurp(path);
  assert_string_equal(page, "keep me");
  free(page);
  assert_int_equal(test_dir_count(test_tmpdir()), before); /* no temporary file left */
  m.k_old = 0;
  assert_int_equal(strata_report_migration_write(ctx, &m, path, 1), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "k_old"));
  m = example();
  m.feature_names = NULL;
  assert_int_equal(strata_report_migration_write(ctx, &m, path, 1), STRATA_ERR_USAGE);
  assert_non_null(strstr(strata_ctx_error(ctx), "feature_names"));
  assert_int_equal(strata_report_migration_write(ctx, NULL, path, 1), STRATA_ERR_USAGE);
  char missing[1200];
  snprintf(missing, sizeof missing, "%s/no/such/dir/r.html", test_tmpdir());
  m = example();
  assert_int_equal(strata_report_migration_write(ctx, &m, missing, 1), STRATA_ERR_IO);
  strata_ctx_free(ctx);
}

static void test_report_dates(void **state) {
  (void)state;
  char buf[16];
  strata_report_date(0, buf);
  assert_string_equal(buf, "1970-01-01");
  strata_report_date(-1, buf);
  assert_string_equal(buf, "1969-12-31");
  strata_report_date(11016, buf);
  assert_string_equal(buf, "2000-02-29");
  strata_report_date(19722, buf);
  assert_string_equal(buf, "2023-12-31");
  strata_report_date(20453, buf);
  assert_string_equal(buf, "2025-12-31");
  strata_report_date(-719468, buf); /* the algorithm's epoch */
  assert_string_equal(buf, "0000-03-01");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_migration_page_holds_the_data),
      cmocka_unit_test(test_migration_refusals),
      cmocka_unit_test(test_report_dates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
