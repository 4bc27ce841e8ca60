/*
 * The HTML report of a segmentation: one self-contained file (Chart.js from Debian's
 * libjs-chart.js inlined, the data as JSON in the page, no network). Charts: segment sizes
 * against their share of CLV, a P(alive) range per segment, the feature profile as parallel
 * coordinates of z-scores and as a coloured table (heatmap), a 2-D PCA projection of a seeded
 * sample, the segment tree (Ward on the centres) drawn as line segments, and the profile table.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/atomic.h"
#include "segment/report.h"

#ifndef STRATA_CHARTJS_PATH
#define STRATA_CHARTJS_PATH "/usr/share/javascript/chart.js/chart.min.js"
#endif

strata_status strata_report_check_path(strata_ctx *ctx, const char *path, int force) {
  strata_atomic_file a;
  strata_status st = strata_atomic_begin(ctx, path, force, &a);
  strata_atomic_abort(&a);
  return st;
}

/* A JSON string literal, safe inside a <script> element too. */
static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\')
      fprintf(f, "\\%c", *c);
    else if (*c == '<')
      fputs("\\u003c", f);
    else if (*c < 0x20)
      fprintf(f, "\\u%04x", *c);
    else
      fputc(*c, f);
  }
  fputc('"', f);
}

static void json_number(FILE *f, double v) {
  if (isfinite(v))
    fprintf(f, "%.6g", v);
  else
    fputs("null", f);
}

static void json_array(FILE *f, const double *v, int64_t n, int64_t stride) {
  fputc('[', f);
  for (int64_t i = 0; i < n; i++) {
    if (i) fputc(',', f);
    json_number(f, v[i * stride]);
  }
  fputc(']', f);
}

static void html_text(FILE *f, const char *s) {
  for (; *s; s++) {
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

static void write_data(FILE *f, const strata_segmentation *s, const char *input) {
  const strata_profile *p = s->profile;
  fputs("{\"input\":", f);
  json_string(f, input);
  fprintf(f, ",\"n\":%lld,\"k\":%lld,\"rule\":", (long long)s->n, (long long)s->k);
  json_string(f, s->k_rule);
  fputs(",\"names\":[", f);
  for (int64_t j = 0; j < p->k; j++) {
    if (j) fputc(',', f);
    json_string(f, p->names[j]);
  }
  fputs("],\"features\":[", f);
  for (int64_t j = 0; j < p->d; j++) {
    if (j) fputc(',', f);
    json_string(f, p->feature_names[j]);
  }
  fputs("],\"size\":", f);
  json_array(f, p->count, p->k, 1);
  fputs(",\"share\":", f);
  json_array(f, p->share, p->k, 1);
  fputs(",\"mean\":[", f);
  for (int64_t j = 0; j < p->k; j++) {
    if (j) fputc(',', f);
    json_array(f, p->mean + j * p->d, p->d, 1);
  }
  fputs("],\"median\":[", f);
  for (int64_t j = 0; j < p->k; j++) {
    if (j) fputc(',', f);
    json_array(f, p->median + j * p->d, p->d, 1);
  }
  fputs("],\"z\":[", f);
  for (int64_t j = 0; j < p->k; j++) {
    if (j) fputc(',', f);
    json_array(f, p->z + j * p->d, p->d, 1);
  }
  fputs("]", f);
  if (p->has_value) {
    fputs(",\"clv_share\":", f);
    json_array(f, p->clv_share, p->k, 1);
    fputs(",\"clv_mean\":", f);
    json_array(f, p->clv_mean, p->k, 1);
    fputs(",\"clv_total\":", f);
    json_array(f, p->clv_total, p->k, 1);
    fputs(",\"p_alive_q\":[", f);
    for (int64_t j = 0; j < p->k; j++) {
      if (j) fputc(',', f);
      json_array(f, p->p_alive_q + j * STRATA_PROFILE_QUANTILES, STRATA_PROFILE_QUANTILES, 1);
    }
    fputs("]", f);
  }
  fputs(",\"k_values\":[", f);
  for (int64_t i = 0; i < s->n_k; i++)
    fprintf(f, "%s%lld", i ? "," : "", (long long)s->k_values[i]);
  fputs("],\"k_calinski\":", f);
  json_array(f, s->k_calinski, s->n_k, 1);
  fputs(",\"linkage\":", f);
  if (s->linkage) {
    fputc('[', f);
    for (int64_t i = 0; i + 1 < s->k; i++) {
      if (i) fputc(',', f);
      json_array(f, s->linkage + i * 4, 4, 1);
    }
    fputc(']', f);
  } else {
    fputs("null", f);
  }
  fputs(",\"explained\":", f);
  json_array(f, s->explained, 2, 1);
  fputs(",\"points\":[", f);
  for (int64_t i = 0; i < s->m; i++)
    fprintf(f, "%s[%.4g,%.4g,%d]", i ? "," : "", s->projection[2 * i], s->projection[2 * i + 1],
            s->projection_label[i]);
  fputs("]}", f);
}

/* The page's script: reads DATA and draws every chart with Chart.js. */
static const char *const page_script =
    "const D = DATA;\n"
    "const colors = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2',"
    "'#7f7f7f','#bcbd22','#17becf'];\n"
    "const col = i => colors[i % colors.length];\n"
    "const labels = D.names.map((n, i) => i + ': ' + n);\n"
    "window.strataCharts = [];\n"
    "function chart(id, cfg) { cfg.options = Object.assign({animation: false, responsive: true,"
    " maintainAspectRatio: false}, cfg.options || {});\n"
    "  const c = new Chart(document.getElementById(id), cfg); window.strataCharts.push(c); return "
    "c; }\n"
    "const sizeSets = [{label: 'share of accounts', data: D.share.map(v => 100 * v),"
    " backgroundColor: '#4e79a7'}];\n"
    "if (D.clv_share) sizeSets.push({label: 'share of CLV', data: D.clv_share.map(v => 100 * v),"
    " backgroundColor: '#f28e2b'});\n"
    "chart('sizes', {type: 'bar', data: {labels, datasets: sizeSets}, options: {scales: {y:"
    " {title: {display: true, text: '%'}}}}});\n"
    "if (D.p_alive_q) chart('alive', {type: 'bar', data: {labels, datasets: [\n"
    "  {label: 'P(alive) 10-90 %', data: D.p_alive_q.map(q => [q[0], q[4]]), backgroundColor:"
    " 'rgba(78,121,167,0.35)', grouped: false},\n"
    "  {label: 'P(alive) 25-75 %', data: D.p_alive_q.map(q => [q[1], q[3]]), backgroundColor:"
    " 'rgba(78,121,167,0.9)', grouped: false}]},\n"
    "  options: {indexAxis: 'y', scales: {x: {min: 0, max: 1, title: {display: true, text:"
    " 'P(alive)'}}}}});\n"
    "else document.getElementById('alive-box').style.display = 'none';\n"
    "chart('profile', {type: 'line', data: {labels: D.features, datasets: D.z.map((z, i) =>"
    " ({label: labels[i], data: z, borderColor: col(i), backgroundColor: col(i), tension: 0}))},\n"
    "  options: {scales: {y: {title: {display: true, text: 'segment mean, sd from the "
    "base'}}}}});\n"
    "chart('pca', {type: 'scatter', data: {datasets: D.names.map((n, i) => ({label: labels[i],"
    " pointRadius: 2, backgroundColor: col(i), data: D.points.filter(p => p[2] === i).map(p =>"
    " ({x: p[0], y: p[1]}))}))},\n"
    "  options: {scales: {x: {title: {display: true, text: 'PC1 (' + (100 * D.explained[0])."
    "toFixed(1) + '% of variance)'}}, y: {title: {display: true, text: 'PC2 (' + (100 *"
    " D.explained[1]).toFixed(1) + '%)'}}}}});\n"
    "if (D.linkage) {\n"
    "  // Dendrogram: leaves in tree order along x, merge heights on y, drawn as line segments.\n"
    "  const k = D.k, pos = {}, height = {}, order = [];\n"
    "  (function walk(id) { if (id < k) { order.push(id); return; } const r = D.linkage[id - k];"
    " walk(r[0]); walk(r[1]); })(2 * k - 2);\n"
    "  order.forEach((leaf, i) => { pos[leaf] = i; height[leaf] = 0; });\n"
    "  const segs = [];\n"
    "  D.linkage.forEach((r, i) => { const a = r[0], b = r[1], h = r[2], id = k + i;\n"
    "    segs.push({x: pos[a], y: height[a]}, {x: pos[a], y: h}, {x: pos[b], y: h}, {x: pos[b],"
    " y: height[b]}, {x: NaN, y: NaN});\n"
    "    pos[id] = (pos[a] + pos[b]) / 2; height[id] = h; });\n"
    "  chart('tree', {type: 'scatter', data: {datasets: [{label: 'Ward merge height', data: segs,"
    " showLine: true, spanGaps: false, pointRadius: 0, borderColor: '#333'}]},\n"
    "    options: {scales: {x: {type: 'linear', min: -0.5, max: k - 0.5, afterBuildTicks: axis =>"
    " { axis.ticks = order.map((leaf, i) => ({value: i})); }, ticks: {autoSkip: false,"
    " maxRotation: 30, callback: v => order[v] !== undefined ? labels[order[v]] : ''}}, y:"
    " {title: {display: true, text: 'merge height'}}}}});\n"
    "} else document.getElementById('tree-box').style.display = 'none';\n"
    "chart('kchoice', {type: 'line', data: {labels: D.k_values, datasets: [{label:"
    " 'Calinski-Harabasz', data: D.k_calinski, borderColor: '#59a14f'}]}, options: {scales: {x:"
    " {title: {display: true, text: 'k'}}}}});\n"
    "// Heatmap of z-scores: a coloured table.\n"
    "const hm = document.getElementById('heatmap');\n"
    "let html = '<tr><th>segment</th>' + D.features.map(f => '<th>' + f + '</th>').join('') +"
    " '</tr>';\n"
    "D.z.forEach((z, i) => { html += '<tr><td>' + labels[i] + '</td>' + z.map(v => { const a ="
    " Math.min(1, Math.abs(v) / 2); const c = v >= 0 ? 'rgba(214,39,40,' + a + ')' :"
    " 'rgba(31,119,180,' + a + ')'; return '<td style=\"background:' + c + '\">' + v.toFixed(2)"
    " + '</td>'; }).join('') + '</tr>'; });\n"
    "hm.innerHTML = html;\n"
    "document.body.dataset.chartsDrawn = String(window.strataCharts.length);\n";

strata_status strata_report_write(strata_ctx *ctx, const strata_segmentation *s, const char *input,
                                  const char *path, int force) {
  strata_status st = STRATA_OK;
  strata_atomic_file a;
  FILE *f = NULL, *js = NULL;
  memset(&a, 0, sizeof a);
  js = fopen(STRATA_CHARTJS_PATH, "rb");
  STRATA_FAIL_IF(js == NULL, ctx, STRATA_ERR_IO,
                 "the report needs Chart.js at %s (Debian package libjs-chart.js): %s",
                 STRATA_CHARTJS_PATH, strerror(errno));
  STRATA_TRY(strata_atomic_begin(ctx, path, force, &a));
  f = fopen(a.temp, "w");
  STRATA_FAIL_IF(f == NULL, ctx, STRATA_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
  const strata_profile *p = s->profile;
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
  fprintf(f, "strata segments: ");
  html_text(f, input);
  fputs(
      "</title>\n<style>\n"
      "body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}\n"
      "h1{font-size:22px} h2{font-size:17px;margin-top:28px}\n"
      ".grid{display:grid;grid-template-columns:1fr 1fr;gap:24px}\n"
      ".box{height:340px;position:relative}\n"
      "table{border-collapse:collapse;font-size:13px;margin-top:8px}\n"
      "td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}\n"
      "td:first-child,th:first-child{text-align:left}\n"
      ".note{color:#555;font-size:13px}\n"
      "</style>\n<script>\n",
      f);
  char buf[1 << 16];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, js)) > 0) fwrite(buf, 1, got, f);
  fputs("\n</script>\n</head><body>\n<h1>Customer segments of ", f);
  html_text(f, input);
  fprintf(f, "</h1>\n<p class=\"note\">%lld accounts in %lld segments (strata %s). k: ",
          (long long)s->n, (long long)s->k, strata_version());
  html_text(f, s->k_rule);
  fputs(".</p>\n", f);
  fputs(
      "<div class=\"grid\">\n"
      "<div><h2>Segment size and share of CLV</h2><div class=\"box\"><canvas id=\"sizes\">"
      "</canvas></div></div>\n"
      "<div id=\"alive-box\"><h2>P(alive) by segment</h2><div class=\"box\"><canvas "
      "id=\"alive\"></canvas></div></div>\n"
      "<div><h2>Feature profile (parallel coordinates)</h2><div class=\"box\"><canvas "
      "id=\"profile\"></canvas></div></div>\n"
      "<div><h2>2-D projection of a sample (PCA)</h2><div class=\"box\"><canvas id=\"pca\">"
      "</canvas></div></div>\n"
      "<div id=\"tree-box\"><h2>Segment tree (Ward)</h2><div class=\"box\"><canvas "
      "id=\"tree\"></canvas></div></div>\n"
      "<div><h2>Choice of k</h2><div class=\"box\"><canvas id=\"kchoice\"></canvas></div>"
      "</div>\n</div>\n"
      "<h2>Feature profile heatmap (segment mean in sd from the base)</h2>\n"
      "<table id=\"heatmap\"></table>\n<h2>Profile table</h2>\n<table id=\"profile-table\">\n",
      f);
  fputs("<tr><th>segment</th><th>accounts</th><th>share</th>", f);
  if (p->has_value)
    fputs("<th>mean CLV</th><th>total CLV</th><th>CLV share</th><th>P(alive)</th>", f);
  for (int64_t j = 0; j < p->d; j++) {
    fputs("<th>", f);
    html_text(f, p->feature_names[j]);
    fputs(" (mean / median)</th>", f);
  }
  fputs("</tr>\n", f);
  for (int64_t j = 0; j < p->k; j++) {
    fprintf(f, "<tr><td>%lld: ", (long long)j);
    html_text(f, p->names[j]);
    fprintf(f, "</td><td>%.0f</td><td>%.1f%%</td>", p->count[j], 100.0 * p->share[j]);
    if (p->has_value)
      fprintf(f, "<td>%.2f</td><td>%.0f</td><td>%.1f%%</td><td>%.2f</td>", p->clv_mean[j],
              p->clv_total[j], 100.0 * p->clv_share[j], p->p_alive_mean[j]);
    for (int64_t t = 0; t < p->d; t++)
      fprintf(f, "<td>%.4g / %.4g</td>", p->mean[j * p->d + t], p->median[j * p->d + t]);
    fputs("</tr>\n", f);
  }
  fputs("</table>\n<script>\nconst DATA = ", f);
  write_data(f, s, input);
  fputs(";\n", f);
  fputs(page_script, f);
  fputs("</script>\n</body></html>\n", f);
  STRATA_FAIL_IF(ferror(f), ctx, STRATA_ERR_IO, "cannot write '%s'", path);
  int closed = fclose(f);
  f = NULL;
  STRATA_FAIL_IF(closed != 0, ctx, STRATA_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
  STRATA_TRY(strata_atomic_commit(ctx, &a));
cleanup:
  if (f) fclose(f);
  if (js) fclose(js);
  strata_atomic_abort(&a);
  return st;
}
