/*
 * The frame of every strata HTML report: one self-contained page, Chart.js read from Debian's
 * libjs-chart.js and inlined (a report must open offline and years later), the style sheet
 * sized for 1280 px screens and printers, and an atomic write so that a failed run never
 * leaves half a report behind.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/core.h"
#include "segment/report_page.h"

#ifndef STRATA_CHARTJS_PATH
#define STRATA_CHARTJS_PATH "/usr/share/javascript/chart.js/chart.min.js"
#endif

/* Grid items get min-width 0: a canvas would otherwise push its column wider than the page.
 * Wide tables scroll inside their own box instead of widening the page. */
static const char *const page_style =
    "body{font-family:system-ui,sans-serif;margin:24px auto;padding:0 16px;color:#222;"
    "max-width:1240px;box-sizing:border-box}\n"
    "h1{font-size:24px;margin-bottom:4px} h2{font-size:18px;margin-top:32px;border-bottom:1px "
    "solid #ddd;padding-bottom:4px} h3{font-size:15px;margin:12px 0 4px}\n"
    ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:24px}\n"
    ".grid>div{min-width:0}\n"
    ".box{height:360px;position:relative;width:100%}\n"
    ".box.tall{height:440px}\n"
    ".scroll{overflow-x:auto;max-width:100%}\n"
    "table{border-collapse:collapse;font-size:13px;margin-top:8px}\n"
    "td,th{border:1px solid #ddd;padding:4px 6px;text-align:right;vertical-align:top}\n"
    "th{background:#f4f4f4}\n"
    "td:first-child,th:first-child{text-align:left}\n"
    "td{white-space:nowrap}\n"
    "#overview td.text{min-width:160px}\n"
    "td.text,th.text{text-align:left;max-width:360px;white-space:normal}\n"
    ".note{color:#555;font-size:13px;max-width:1000px}\n"
    ".facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:4px 24px;"
    "font-size:14px;margin:12px 0}\n"
    ".facts>div{display:flex;gap:8px} .facts>div>b{flex:0 0 110px;color:#555;font-weight:normal} "
    ".facts>div>span{min-width:0;overflow-wrap:anywhere}\n"
    ".action{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;"
    "white-space:nowrap}\n"
    "dl.glossary dt{font-weight:bold;margin-top:10px} dl.glossary dd{margin-left:16px;"
    "max-width:1000px}\n"
    "@media print{.box{height:300px} body{max-width:none}}\n";

strata_status strata_report_page_begin(strata_ctx *ctx, strata_report_page *pg, const char *path,
                                       int force, const char *title) {
  strata_status st = STRATA_OK;
  FILE *js = NULL;
  memset(pg, 0, sizeof *pg);
  pg->path = path;
  js = fopen(STRATA_CHARTJS_PATH, "rb");
  STRATA_FAIL_IF(js == NULL, ctx, STRATA_ERR_IO,
                 "the report needs Chart.js at %s (Debian package libjs-chart.js): %s",
                 STRATA_CHARTJS_PATH, strerror(errno));
  STRATA_TRY(strata_atomic_begin(ctx, path, force, &pg->atomic));
  pg->f = fopen(pg->atomic.temp, "w");
  STRATA_FAIL_IF(pg->f == NULL, ctx, STRATA_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
  fputs(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
      pg->f);
  strata_html_text(pg->f, title);
  fprintf(pg->f,
          "</title>\n<meta name=\"generator\" content=\"strata %s\">\n<style>\n%s</style>\n"
          "<script>\n",
          strata_version(), page_style);
  char buf[1 << 16];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, js)) > 0) fwrite(buf, 1, got, pg->f);
  STRATA_FAIL_IF(ferror(js), ctx, STRATA_ERR_IO, "cannot read Chart.js at %s", STRATA_CHARTJS_PATH);
  fputs("\n</script>\n</head><body>\n", pg->f);
cleanup:
  if (js) fclose(js);
  if (st != STRATA_OK) strata_report_page_abort(pg);
  return st;
}

strata_status strata_report_page_commit(strata_ctx *ctx, strata_report_page *pg) {
  strata_status st = STRATA_OK;
  fputs("</body></html>\n", pg->f);
  STRATA_FAIL_IF(ferror(pg->f), ctx, STRATA_ERR_IO, "cannot write '%s'", pg->path);
  int closed = fclose(pg->f);
  pg->f = NULL;
  STRATA_FAIL_IF(closed != 0, ctx, STRATA_ERR_IO, "cannot write '%s': %s", pg->path,
                 strerror(errno));
  STRATA_TRY(strata_atomic_commit(ctx, &pg->atomic));
cleanup:
  return st;
}

void strata_report_page_abort(strata_report_page *pg) {
  if (pg->f) fclose(pg->f);
  pg->f = NULL;
  strata_atomic_abort(&pg->atomic);
}

void strata_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
    if (*c == '"' || *c == '\\')
      fprintf(f, "\\%c", *c);
    else if (*c == '<')
      fputs("\\u003c", f); /* no "</script>" can end the data block early */
    else if (*c < 0x20)
      fprintf(f, "\\u%04x", *c);
    else
      fputc(*c, f);
  }
  fputc('"', f);
}

void strata_json_number(FILE *f, double v) {
  if (isfinite(v))
    fprintf(f, "%.6g", v);
  else
    fputs("null", f);
}

void strata_json_array(FILE *f, const double *v, int64_t n, int64_t stride) {
  fputc('[', f);
  for (int64_t i = 0; i < n; i++) {
    if (i) fputc(',', f);
    strata_json_number(f, v[i * stride]);
  }
  fputc(']', f);
}

void strata_json_int_array(FILE *f, const int64_t *v, int64_t n, int64_t stride) {
  fputc('[', f);
  for (int64_t i = 0; i < n; i++) fprintf(f, "%s%lld", i ? "," : "", (long long)v[i * stride]);
  fputc(']', f);
}

void strata_json_key(FILE *f, int *first, const char *key) {
  if (!*first) fputc(',', f);
  *first = 0;
  strata_json_string(f, key);
  fputc(':', f);
}

void strata_html_text(FILE *f, const char *s) {
  for (; s && *s; s++) {
    if (*s == '<')
      fputs("&lt;", f);
    else if (*s == '>')
      fputs("&gt;", f);
    else if (*s == '&')
      fputs("&amp;", f);
    else if (*s == '"')
      fputs("&quot;", f);
    else
      fputc(*s, f);
  }
}
