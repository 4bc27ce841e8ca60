/*
 * The segmentation report (`strata segment --report`): the page's frame (report_page.c), the
 * data block (report_data.c) and the script that builds the sections from it
 * (report_script.c). The page is built by the script so that every section appears only
 * when its data exists: a transaction log alone, or a run without CLV, gives a complete
 * report without empty charts.
 */
#include <stdio.h>

#include "core/core.h"
#include "segment/report.h"
#include "segment/report_page.h"

strata_status strata_report_check_path(strata_ctx *ctx, const char *path, int force) {
  strata_atomic_file a;
  strata_status st = strata_atomic_begin(ctx, path, force, &a);
  strata_atomic_abort(&a);
  return st;
}

strata_status strata_report_write(strata_ctx *ctx, const strata_segmentation *s,
                                  const strata_report_options *o, const char *path, int force) {
  strata_status st = STRATA_OK;
  strata_report_page pg = {0};
  char title[512];
  STRATA_FAIL_IF(s == NULL || s->profile == NULL || o == NULL || o->input == NULL, ctx,
                 STRATA_ERR_USAGE, "report '%s': no segmentation or no input name", path);
  if (o->title && *o->title)
    snprintf(title, sizeof title, "%s", o->title);
  else
    snprintf(title, sizeof title, "Customer segments of %s", o->input);
  STRATA_TRY(strata_report_page_begin(ctx, &pg, path, force, title));
  fputs("<div id=\"app\"><h1>", pg.f);
  strata_html_text(pg.f, title);
  fputs(
      "</h1><noscript>This report draws its tables and charts with JavaScript.</noscript>"
      "</div>\n<script>\nconst DATA = ",
      pg.f);
  strata_report_data_write(pg.f, s, o);
  fputs(";\n", pg.f);
  for (const char *const *line = strata_report_script; *line; line++) {
    fputs(*line, pg.f);
    fputc('\n', pg.f);
  }
  fputs("</script>\n", pg.f);
  STRATA_TRY(strata_report_page_commit(ctx, &pg));
cleanup:
  strata_report_page_abort(&pg);
  return st;
}
