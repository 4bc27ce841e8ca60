/*
 * Shared plumbing of the HTML reports (report.c, report_migration.c): the page's head with
 * Chart.js inlined and the style sheet, written to a temporary file that is renamed into place
 * only when complete, and JSON / HTML escaping for the data block. Internal to src/segment/.
 */
#ifndef STRATA_SEGMENT_REPORT_PAGE_H
#define STRATA_SEGMENT_REPORT_PAGE_H

#include <stdint.h>
#include <stdio.h>

#include "io/atomic.h"
#include "segment/report.h"
#include "strata.h"

typedef struct strata_report_page {
  strata_atomic_file atomic;
  FILE *f;
  const char *path;
} strata_report_page;

/* Opens the temporary file of path, writes <head> (title, style, Chart.js) and opens <body>.
 * On failure nothing is left behind (strata_report_page_abort is still safe). */
strata_status strata_report_page_begin(strata_ctx *ctx, strata_report_page *pg, const char *path,
                                       int force, const char *title);
/* Closes <body>, checks every write and renames the file into place. */
strata_status strata_report_page_commit(strata_ctx *ctx, strata_report_page *pg);
/* Drops the temporary file unless committed. Safe to call twice. */
void strata_report_page_abort(strata_report_page *pg);

/* Writers of the data block: a JSON string (safe inside <script>: '<' is escaped), a
 * number (null when not finite), arrays with a stride, and text escaped for HTML. */
void strata_json_string(FILE *f, const char *s);
void strata_json_number(FILE *f, double v);
void strata_json_array(FILE *f, const double *v, int64_t n, int64_t stride);
void strata_json_int_array(FILE *f, const int64_t *v, int64_t n, int64_t stride);
void strata_json_key(FILE *f, int *first, const char *key);
void strata_html_text(FILE *f, const char *s);

/* "YYYY-MM-DD" of a day count since 1970-01-01 (proleptic Gregorian), into buf[16]. */
void strata_report_date(int64_t day, char buf[16]);

/* The segmentation report's data block: one JSON object (report_data.c). */
void strata_report_data_write(FILE *f, const strata_segmentation *s,
                              const strata_report_options *o);

/* The segmentation report's script, one line per entry, NULL-terminated (report_script.c):
 * reads DATA and builds every section and chart. */
extern const char *const strata_report_script[];

#endif
