/* Civil dates <-> days since 1970-01-01 (proleptic Gregorian), exact for any int32 day. */
#ifndef STRATA_DATES_H
#define STRATA_DATES_H

#include <stdint.h>

/* Days since 1970-01-01 of year-month-day; 0 (and *days untouched) for an invalid date such as
 * 2023-02-29 or month 13, else 1. */
int strata_days_from_civil(int64_t year, int month, int day, int32_t *days);
/* The civil date of a day number. */
void strata_civil_from_days(int32_t days, int64_t *year, int *month, int *day);
/* Parses "YYYYMMDD" (compact) or "YYYY-MM-DD" (ISO 8601, optionally followed by 'T' or ' '
 * and a time of day, which is ignored): 1 on success. `len` is the field's length. */
int strata_parse_date(const char *s, size_t len, int32_t *days);
/* Parses a date written after a strftime-style pattern: %Y (4 digits), %y (2 digits; 69-99 are
 * 19xx, 00-68 20xx, as POSIX strptime), %m and %d (1 or 2 digits), %j (day of the year, 1-3
 * digits, with %Y or %y), %b (Jan..Dec) and %B (January..December), both case-insensitive, %%
 * and any other character literally. The pattern must cover the whole field, except that a time
 * of day after a 'T' or a space is ignored (the calendar date as written; no time-zone
 * conversion). A NULL pattern is strata_parse_date. 1 on success. */
int strata_parse_date_pattern(const char *pattern, const char *s, size_t len, int32_t *days);
/* NULL when the pattern is usable, else why not (an unknown directive, no year, ...). */
const char *strata_date_pattern_check(const char *pattern);

#endif
