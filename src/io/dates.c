/*
 * Calendar arithmetic after Howard Hinnant's "chrono-Compatible Low-Level Date Algorithms"
 * (days_from_civil / civil_from_days): O(1), no tables, exact over the proleptic Gregorian
 * calendar, so day numbers agree with numpy's datetime64[D] and pandas.
 */
#include <stddef.h>
#include <string.h>

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

/* Up to `max` (at least `min`) digits at s[*i]; 1 on success. */
static int take_digits(const char *s, size_t len, size_t *i, int min, int max, int64_t *out) {
  int64_t v = 0;
  int n = 0;
  while (n < max && *i < len && s[*i] >= '0' && s[*i] <= '9') {
    v = v * 10 + (s[*i] - '0');
    (*i)++;
    n++;
  }
  *out = v;
  return n >= min;
}

static const char *const month_names[12] = {"january",   "february", "march",    "april",
                                            "may",       "june",     "july",     "august",
                                            "september", "october",  "november", "december"};

static int lower(char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

static int take_month_name(const char *s, size_t len, size_t *i, int full, int64_t *month) {
  for (int m = 0; m < 12; m++) {
    size_t n = full ? strlen(month_names[m]) : 3;
    if (*i + n > len) continue;
    size_t j = 0;
    while (j < n && lower(s[*i + j]) == month_names[m][j]) j++;
    if (j == n) {
      *i += n;
      *month = m + 1;
      return 1;
    }
  }
  return 0;
}

const char *strata_date_pattern_check(const char *pattern) {
  if (pattern == NULL) return NULL;
  int year = 0, month = 0, day = 0, yday = 0;
  for (const char *p = pattern; *p; p++) {
    if (*p != '%') continue;
    switch (*++p) {
      case 'Y':
      case 'y': year++; break;
      case 'm':
      case 'b':
      case 'B': month++; break;
      case 'd': day++; break;
      case 'j': yday++; break;
      case '%': break;
      case '\0': return "it ends in a lone '%'";
      default: return "it has a directive other than %Y %y %m %d %j %b %B %%";
    }
  }
  if (year != 1) return "it needs exactly one year (%Y or %y)";
  if (yday ? (yday != 1 || month || day) : (month != 1 || day != 1))
    return "it needs one month (%m, %b or %B) and one day (%d), or one day of the year (%j)";
  return NULL;
}

int strata_parse_date_pattern(const char *pattern, const char *s, size_t len, int32_t *days) {
  if (pattern == NULL) return strata_parse_date(s, len, days);
  int64_t y = 0, m = 1, d = 1, yday = 0;
  int has_yday = 0;
  size_t i = 0;
  for (const char *p = pattern; *p; p++) {
    if (*p != '%' || p[1] == '%') {
      if (*p == '%') p++;
      if (i >= len || s[i] != *p) return 0;
      i++;
      continue;
    }
    int ok = 1;
    switch (*++p) {
      case 'Y': ok = take_digits(s, len, &i, 4, 4, &y); break;
      case 'y':
        ok = take_digits(s, len, &i, 2, 2, &y);
        y += y >= 69 ? 1900 : 2000;
        break;
      case 'm': ok = take_digits(s, len, &i, 1, 2, &m); break;
      case 'd': ok = take_digits(s, len, &i, 1, 2, &d); break;
      case 'j':
        ok = take_digits(s, len, &i, 1, 3, &yday);
        has_yday = 1;
        break;
      case 'b': ok = take_month_name(s, len, &i, 0, &m); break;
      case 'B': ok = take_month_name(s, len, &i, 1, &m); break;
      default: return 0;
    }
    if (!ok) return 0;
  }
  if (i < len && s[i] != 'T' && s[i] != ' ') return 0;
  if (has_yday) {
    int32_t jan1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (yday < 1 || yday > 365 + leap || !strata_days_from_civil(y, 1, 1, &jan1)) return 0;
    *days = jan1 + (int32_t)(yday - 1);
    return 1;
  }
  if (m < 1 || m > 12) return 0;
  return strata_days_from_civil(y, (int)m, (int)d, days);
}
