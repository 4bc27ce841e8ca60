/* Unit tests of the import's date patterns (io/dates.h) and customer-key table
 * (io/import_keys.h). Dates: every day of 1890..2110 written with snprintf in several layouts
 * must read back to its own day number; keys: 300,000 near-identical keys intern to dense
 * first-appearance indices and read back as written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "io/dates.h"
#include "io/import_keys.h"

static const char *const abbr[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static void every_day_round_trips(void **state) {
  (void)state;
  int32_t start, end;
  assert_true(strata_days_from_civil(1890, 1, 1, &start));
  assert_true(strata_days_from_civil(2110, 12, 31, &end));
  int32_t jan1 = start;
  int64_t jan1_year = 1890;
  for (int32_t day = start; day <= end; day++) {
    int64_t y;
    int m, d;
    strata_civil_from_days(day, &y, &m, &d);
    if (y != jan1_year) {
      jan1_year = y;
      jan1 = day;
    }
    char buf[64];
    int32_t got;
    snprintf(buf, sizeof buf, "%02d/%02d/%04lld", d, m, (long long)y);
    assert_true(strata_parse_date_pattern("%d/%m/%Y", buf, strlen(buf), &got));
    assert_int_equal(got, day);
    snprintf(buf, sizeof buf, "%d.%d.%04lld 10:00", d, m, (long long)y);
    assert_true(strata_parse_date_pattern("%d.%m.%Y", buf, strlen(buf), &got));
    assert_int_equal(got, day);
    snprintf(buf, sizeof buf, "%s %d, %04lld", abbr[m - 1], d, (long long)y);
    assert_true(strata_parse_date_pattern("%b %d, %Y", buf, strlen(buf), &got));
    assert_int_equal(got, day);
    snprintf(buf, sizeof buf, "%04lld-%03d", (long long)y, (int)(day - jan1 + 1));
    assert_true(strata_parse_date_pattern("%Y-%j", buf, strlen(buf), &got));
    assert_int_equal(got, day);
    snprintf(buf, sizeof buf, "%04lld-%02d-%02dT23:59:59+02:00", (long long)y, m, d);
    assert_true(strata_parse_date_pattern(NULL, buf, strlen(buf), &got));
    assert_int_equal(got, day);
  }
}

static void bad_dates_and_patterns(void **state) {
  (void)state;
  int32_t got;
  const char *bad[][2] = {{"%d/%m/%Y", "31/02/1997"}, {"%d/%m/%Y", "1997-02-01"},
                          {"%d/%m/%Y", "01/02/97"},   {"%d/%m/%Y", "01/02/1997x"},
                          {"%b %d %Y", "Foo 1 1997"}, {"%Y-%j", "1997-366"},
                          {"%Y-%j", "1997-000"},      {"%d/%m/%Y", "01/13/1997"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_false(strata_parse_date_pattern(bad[i][0], bad[i][1], strlen(bad[i][1]), &got));
  assert_true(strata_parse_date_pattern("%y%m%d", "690101", 6, &got));
  assert_int_equal(got, -365); /* 69 is 1969, POSIX */
  assert_true(strata_parse_date_pattern("%d %B %Y", "1 FEBRUARY 1997", 15, &got));
  assert_true(strata_parse_date_pattern("100%% %Y%m%d", "100% 19970201", 13, &got));
  assert_null(strata_date_pattern_check("%d/%m/%Y"));
  assert_null(strata_date_pattern_check("%Y%j"));
  assert_non_null(strata_date_pattern_check("%d/%m"));
  assert_non_null(strata_date_pattern_check("%d/%m/%Y/%Y"));
  assert_non_null(strata_date_pattern_check("%d/%q/%Y"));
  assert_non_null(strata_date_pattern_check("%Y-%j-%d"));
  assert_non_null(strata_date_pattern_check("%Y-%m-%d%"));
}

static void keys_are_dense_in_first_appearance_order(void **state) {
  (void)state;
  strata_keys k;
  memset(&k, 0, sizeof k);
  const int64_t n = 300000;
  char buf[64];
  for (int pass = 0; pass < 2; pass++) {
    for (int64_t i = 0; i < n; i++) {
      /* Keys differing only in their last characters, the hard case for weak hashes. */
      int len = snprintf(buf, sizeof buf, "3f2b8c1e-0d4a-4e55-9b1a-%012llx", (unsigned long long)i);
      int64_t index = -1;
      assert_true(strata_keys_intern(&k, buf, (size_t)len, &index));
      assert_int_equal(index, i);
    }
    assert_int_equal(k.n, n);
  }
  for (int64_t i = 0; i < n; i += 9973) {
    snprintf(buf, sizeof buf, "3f2b8c1e-0d4a-4e55-9b1a-%012llx", (unsigned long long)i);
    assert_string_equal(strata_keys_get(&k, i), buf);
  }
  /* A key that is a prefix of another is a key of its own. */
  int64_t a, b;
  assert_true(strata_keys_intern(&k, "C1", 2, &a));
  assert_true(strata_keys_intern(&k, "C12", 3, &b));
  assert_int_equal(a, n);
  assert_int_equal(b, n + 1);
  assert_true(strata_keys_intern(&k, "C1", 2, &a));
  assert_int_equal(a, n);
  assert_int_not_equal(strata_key_hash("C1", 2), strata_key_hash("C2", 2));
  strata_keys_free(&k);
  strata_keys_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_day_round_trips),
      cmocka_unit_test(bad_dates_and_patterns),
      cmocka_unit_test(keys_are_dense_in_first_appearance_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
