/*
 * Calendar arithmetic after Howard Hinnant's "chrono-Compatible Low-Level Date Algorithms"
 * (days_from_civil / civil_from_days): O(1), no tables, exact over the proleptic Gregorian
 * calendar, so day numbers agree with numpy's datetime64[D] and pandas.
 */
#include <stddef.h>

#include "io/dates.h"

static int days_in_month(int64_t year, int month) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 ? 28 + leap : days[month - 1];
}

int strata_days_from_civil(int64_t year, int month, int day, int32_t *days) {
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return 0;
  if (year < -5000000 || year > 5000000) return 0;
  int64_t y = year - (month <= 2);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t result = era * 146097 + doe - 719468;
  if (result < INT32_MIN || result > INT32_MAX) return 0;
  *days = (int32_t)result;
  return 1;
}

void strata_civil_from_days(int32_t days, int64_t *year, int *month, int *day) {
  int64_t z = (int64_t)days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *day = (int)(doy - (153 * mp + 2) / 5 + 1);
  *month = (int)(mp < 10 ? mp + 3 : mp - 9);
  *year = yoe + era * 400 + (*month <= 2);
}

static int digits(const char *s, size_t n, int64_t *out) {
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 1;
}

int strata_parse_date(const char *s, size_t len, int32_t *days) {
  int64_t y, m, d;
  if (len == 8) {
    if (!digits(s, 4, &y) || !digits(s + 4, 2, &m) || !digits(s + 6, 2, &d)) return 0;
  } else if (len >= 10 && s[4] == '-' && s[7] == '-') {
    if (len > 10 && s[10] != 'T' && s[10] != ' ') return 0;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d)) return 0;
  } else {
    return 0;
  }
  return strata_days_from_civil(y, (int)m, (int)d, days);
}
