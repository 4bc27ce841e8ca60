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

#endif
