/*
 * The migration report (`strata score --report`): how accounts moved between two runs of a
 * segmentation, in one self-contained page. The matrix is drawn as a heatmap table (a
 * canvas heatmap would hide the numbers a manager quotes), the segment shares before and
 * after as bars, and the drift of the shares and of each feature as PSI bars with the
 * reading's guide lines. The page frame is report_page.c's; the data go in as JSON.
 */
#include <math.h>
#include <stdio.h>

#include "core/core.h"
#include "segment/drift.h"
#include "segment/report.h"
#include "segment/report_page.h"

/* The page's script, one string per line: builds the sections from DATA. */
static const char *const migration_script[] = {
    "// Builds the migration report from DATA: the matrix as a heatmap table, shares before and",
    "// after, and the PSI bars with their reading.",
    "const D = DATA;",
    "const app = document.getElementById('app');",
    "const cur = D.currency ? ' ' + D.currency : '';",
    "const esc = s => String(s).replace(/[&<>\"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', "
    "'\"': '&quot;'}[c]));",
    "const num = (v, d) => v === null || v === undefined ? 'n/a' : "
    "Number(v).toLocaleString('en-US', {maximumFractionDigits: d === undefined ? 2 : d});",
    "const money = v => v === null || v === undefined ? 'n/a' : num(v, 0) + cur;",
    "const pct = v => v === null || v === undefined ? 'n/a' : (100 * v).toFixed(1) + ' %';",
    "function wrap(s, w) { const out = []; let line = ''; String(s).split(' ').forEach(word => { "
    "if (line && (line + ' ' + word).length > w) { out.push(line); line = word; } else line = line "
    "? line + ' ' + word : word; }); if (line) out.push(line); return out; }",
    "window.strataCharts = [];",
    "Chart.defaults.animation = false;",
    "function el(tag, attrs, html) { const e = document.createElement(tag); Object.entries(attrs "
    "|| {}).forEach(([k, v]) => e.setAttribute(k, v)); if (html !== undefined) e.innerHTML = html; "
    "return e; }",
    "function section(title, note) { const s = el('section', {}); s.appendChild(el('h2', {}, "
    "esc(title))); if (note) s.appendChild(el('p', {'class': 'note'}, note)); app.appendChild(s); "
    "return s; }",
    "function chartBox(parent, id, title, height) { const d = el('div', {}); "
    "d.appendChild(el('h3', {}, esc(title))); const b = el('div', {'class': 'box'}); if (height) "
    "b.style.height = height + 'px'; const c = el('canvas', {id: id}); b.appendChild(c); "
    "d.appendChild(b); parent.appendChild(d); return c; }",
    "function chart(canvas, cfg) { cfg.options = cfg.options || {}; cfg.options.responsive = true; "
    "cfg.options.maintainAspectRatio = false; const c = new Chart(canvas, cfg); "
    "window.strataCharts.push(c); return c; }",
    "const ko = D.old_names.length, kn = D.new_names.length, W = kn + 1;",
    "const A = (i, j) => D.accounts[i * W + j];",
    "const C = (i, j) => D.clv ? D.clv[i * W + j] : null;",
    "let matched = 0, stayed = 0, added = 0, gone = 0;",
    "for (let i = 0; i <= ko; i++) for (let j = 0; j <= kn; j++) { const a = A(i, j); if (i === "
    "ko) added += a; else if (j === kn) gone += a; else { matched += a; if (D.old_names[i] === "
    "D.new_names[j]) stayed += a; } }",
    "const reading = v => v === null ? 'n/a' : v < D.psi_watch ? 'stable' : v < D.psi_shifted ? "
    "'watch' : 'shifted';",
    "const facts = el('div', {'class': 'facts'});",
    "[['Before', esc(D.old_label)], ['After', esc(D.new_label)], ['Accounts in both', num(matched, "
    "0)], ['Stayed in their segment', num(stayed, 0) + ' (' + pct(matched ? stayed / matched : "
    "null) + ')'], ['New accounts', num(added, 0)], ['Gone accounts', num(gone, 0)], ['Currency', "
    "D.currency ? esc(D.currency) : 'none given (plain numbers)'], ['Verdict', '<b "
    "id=\"verdict\">' + esc(D.verdict) + '</b>' + (D.psi_shares !== null ? ' (PSI of the segment "
    "shares ' + num(D.psi_shares, 3) + ')' : '')]].forEach(([k, v]) => facts.appendChild(el('div', "
    "{}, '<b>' + k + '</b><span>' + v + '</span>')));",
    "app.appendChild(facts);",
    "(function matrix() {",
    "  const s = section('Migration matrix', 'Accounts (and their CLV) by segment before (rows) "
    "and after (columns). The last row holds the accounts new since the first run, the last column "
    "those gone; cells on the diagonal of equal names are accounts that stayed. Colour: share of "
    "the row.');",
    "  const w = el('div', {'class': 'scroll'}); const t = el('table', {id: 'migration'});",
    "  let h = '<tr><th class=\"text\">before \\\\ after</th>' + D.new_names.map(n => '<th "
    "class=\"text\">' + esc(n) + '</th>').join('') + '<th "
    "class=\"text\">gone</th><th>total</th></tr>';",
    "  for (let i = 0; i <= ko; i++) {",
    "    let tot = 0; for (let j = 0; j <= kn; j++) tot += A(i, j);",
    "    h += '<tr><td class=\"text\"><b>' + (i < ko ? esc(D.old_names[i]) : 'new accounts') + "
    "'</b></td>';",
    "    for (let j = 0; j <= kn; j++) {",
    "      const a = A(i, j), share = tot ? a / tot : 0, same = i < ko && j < kn && D.old_names[i] "
    "=== D.new_names[j];",
    "      const c = C(i, j);",
    "      h += '<td style=\"background:rgba(78,121,167,' + (0.05 + 0.75 * share).toFixed(2) + "
    "');' + (same ? 'outline:2px solid #222;outline-offset:-2px;' : '') + (share > 0.55 ? "
    "'color:#fff' : '') + '\">' + (i === ko && j === kn ? '' : num(a, 0) + '<br><span "
    "style=\"font-size:11px\">' + pct(share) + (D.clv && c !== null ? '<br>' + money(c) : '') + "
    "'</span>') + '</td>';",
    "    }",
    "    h += '<td>' + num(tot, 0) + '</td></tr>';",
    "  }",
    "  t.innerHTML = h; w.appendChild(t); s.appendChild(w);",
    "})();",
    "const g = el('div', {'class': 'grid'}); app.appendChild(g);",
    "if (D.share_old || D.share_new) {",
    "  const labels = D.old_names.slice(); D.new_names.forEach(n => { if (labels.indexOf(n) < 0) "
    "labels.push(n); });",
    "  const sets = [];",
    "  if (D.share_old) sets.push({label: 'before', data: labels.map(n => { const i = "
    "D.old_names.indexOf(n); return i < 0 ? 0 : 100 * D.share_old[i]; }), backgroundColor: "
    "'#bab0ac'});",
    "  if (D.share_new) sets.push({label: 'after', data: labels.map(n => { const j = "
    "D.new_names.indexOf(n); return j < 0 ? 0 : 100 * D.share_new[j]; }), backgroundColor: "
    "'#4e79a7'});",
    "  chart(chartBox(g, 'shares', 'Segment shares before and after'), {type: 'bar', data: "
    "{labels: labels.map(n => wrap(n, 18)), datasets: sets}, options: {scales: {x: {ticks: "
    "{autoSkip: false, maxRotation: 0}}, y: {grace: '5%', title: {display: true, text: '% of "
    "accounts'}}}}});",
    "}",
    "const psiNames = [], psiValues = [];",
    "if (D.psi_shares !== null) { psiNames.push('segment shares'); psiValues.push(D.psi_shares); }",
    "D.features.forEach((f, i) => { psiNames.push(f); psiValues.push(D.feature_psi[i]); });",
    "if (psiNames.length) {",
    "  const guides = {id: 'guides', afterDatasetsDraw(c) { const x = c.scales.x, a = c.chartArea, "
    "ctx = c.ctx; [[D.psi_watch, 'watch'], [D.psi_shifted, 'shifted']].forEach(([v, t]) => { const "
    "px = x.getPixelForValue(v); if (px < a.left || px > a.right) return; ctx.save(); "
    "ctx.strokeStyle = '#555'; ctx.setLineDash([4, 4]); ctx.beginPath(); ctx.moveTo(px, a.top); "
    "ctx.lineTo(px, a.bottom); ctx.stroke(); ctx.fillStyle = '#333'; ctx.font = '11px sans-serif'; "
    "ctx.fillText(t + ' ' + v, px + 3, a.top + 10); ctx.restore(); }); }};",
    "  const top = Math.max(D.psi_shifted * 1.4, Math.max.apply(null, psiValues.map(v => v || 0)) "
    "* 1.1);",
    "  chart(chartBox(g, 'psi', 'Drift: population stability index', Math.max(260, 34 * "
    "psiNames.length + 90)), {type: 'bar', data: {labels: psiNames.map(n => wrap(n, 22)), "
    "datasets: [{label: 'PSI', data: psiValues, backgroundColor: psiValues.map(v => v === null ? "
    "'#ccc' : v < D.psi_watch ? '#59a14f' : v < D.psi_shifted ? '#edc948' : '#e15759')}]}, "
    "options: {indexAxis: 'y', plugins: {legend: {display: false}, tooltip: {callbacks: {label: c "
    "=> 'PSI ' + num(c.raw, 3) + ' (' + reading(c.raw) + ')'}}}, scales: {x: {min: 0, max: top, "
    "title: {display: true, text: 'PSI'}}, y: {ticks: {autoSkip: false}}}}, plugins: [guides]});",
    "  const s = section('Drift by feature');",
    "  const w = el('div', {'class': 'scroll'}); const t = el('table', {id: 'psi-table'});",
    "  t.innerHTML = '<tr><th class=\"text\">what</th><th>PSI</th><th "
    "class=\"text\">reading</th></tr>' + psiNames.map((n, i) => '<tr><td class=\"text\">' + esc(n) "
    "+ '</td><td>' + num(psiValues[i], 3) + '</td><td class=\"text\">' + reading(psiValues[i]) + "
    "'</td></tr>').join('');",
    "  w.appendChild(t); s.appendChild(w);",
    "}",
    "(function glossary() {",
    "  const s = section('Glossary');",
    "  const dl = el('dl', {'class': 'glossary', id: 'glossary'});",
    "  [['Migration matrix', 'Accounts joined on their id between the two runs: each lands in the "
    "cell of its segment before and after; accounts only in the later run form the last row, "
    "accounts only in the earlier one the last column. CLV is the later run\\'s for accounts "
    "present in it and the earlier run\\'s for gone accounts.'],",
    "   ['PSI', 'Population stability index, sum over bins of (a - e) ln(a / e) with e the share "
    "before and a the share after (of segments, or of a feature\\'s bins; shares floored at "
    "0.0001). Below ' + D.psi_watch + ': stable; ' + D.psi_watch + '-' + D.psi_shifted + ': watch; "
    "' + D.psi_shifted + ' and above: shifted. The thresholds are conventions.'],",
    "   ['CLV', 'Customer lifetime value: discounted spend expected over the CLV horizon of the "
    "model' + (D.currency ? ', in ' + esc(D.currency) : '') + '.']].forEach(([t, d]) => { "
    "dl.appendChild(el('dt', {}, esc(t))); dl.appendChild(el('dd', {}, d)); });",
    "  s.appendChild(dl);",
    "})();",
    "document.body.dataset.chartsDrawn = String(window.strataCharts.length);",
    NULL};

static void names(FILE *f, const char *const *v, int64_t k) {
  fputc('[', f);
  for (int64_t i = 0; i < k; i++) {
    if (i) fputc(',', f);
    if (v && v[i]) {
      strata_json_string(f, v[i]);
    } else {
      fprintf(f, "\"segment %lld\"", (long long)i);
    }
  }
  fputc(']', f);
}

static const char *psi_reading(double v, double watch, double shifted) {
  if (!isfinite(v)) return "unknown";
  return v < watch ? "stable" : v < shifted ? "watch" : "shifted";
}

strata_status strata_report_migration_write(strata_ctx *ctx, const strata_migration_report *m,
                                            const char *path, int force) {
  strata_status st = STRATA_OK;
  strata_report_page pg = {0};
  STRATA_FAIL_IF(m == NULL || m->accounts == NULL, ctx, STRATA_ERR_USAGE,
                 "migration report '%s': no migration matrix", path);
  STRATA_FAIL_IF(m->k_old < 1 || m->k_new < 1 || m->k_old > STRATA_SEGMENT_MAX_K ||
                     m->k_new > STRATA_SEGMENT_MAX_K,
                 ctx, STRATA_ERR_USAGE,
                 "migration report '%s': k_old %lld and k_new %lld must be in 1..%d", path,
                 (long long)m->k_old, (long long)m->k_new, STRATA_SEGMENT_MAX_K);
  STRATA_FAIL_IF(m->n_features < 0 ||
                     (m->n_features > 0 && (m->feature_names == NULL || m->feature_psi == NULL)),
                 ctx, STRATA_ERR_USAGE,
                 "migration report '%s': n_features %lld needs feature_names and feature_psi", path,
                 (long long)m->n_features);
  const char *title = m->title && *m->title ? m->title : "Segment migration";
  const double watch = m->psi_watch > 0.0 ? m->psi_watch : STRATA_PSI_WATCH;
  const double shifted = m->psi_shifted > 0.0 ? m->psi_shifted : STRATA_PSI_SHIFTED;
  const char *verdict = m->verdict ? m->verdict : psi_reading(m->psi_shares, watch, shifted);
  const int64_t cells = (m->k_old + 1) * (m->k_new + 1);
  STRATA_TRY(strata_report_page_begin(ctx, &pg, path, force, title));
  FILE *f = pg.f;
  fputs("<div id=\"app\"><h1>", f);
  strata_html_text(f, title);
  fputs(
      "</h1><noscript>This report draws its tables and charts with JavaScript.</noscript>"
      "</div>\n<script>\nconst DATA = {\"title\":",
      f);
  strata_json_string(f, title);
  fputs(",\"currency\":", f);
  strata_json_string(f, m->currency ? m->currency : "");
  fputs(",\"old_label\":", f);
  strata_json_string(f, m->old_label ? m->old_label : "before");
  fputs(",\"new_label\":", f);
  strata_json_string(f, m->new_label ? m->new_label : "after");
  fputs(",\"old_names\":", f);
  names(f, m->old_names, m->k_old);
  fputs(",\"new_names\":", f);
  names(f, m->new_names, m->k_new);
  fputs(",\"accounts\":", f);
  strata_json_int_array(f, m->accounts, cells, 1);
  fputs(",\"clv\":", f);
  if (m->clv)
    strata_json_array(f, m->clv, cells, 1);
  else
    fputs("null", f);
  fputs(",\"share_old\":", f);
  if (m->share_old)
    strata_json_array(f, m->share_old, m->k_old, 1);
  else
    fputs("null", f);
  fputs(",\"share_new\":", f);
  if (m->share_new)
    strata_json_array(f, m->share_new, m->k_new, 1);
  else
    fputs("null", f);
  fputs(",\"psi_shares\":", f);
  strata_json_number(f, m->psi_shares);
  fputs(",\"features\":", f);
  names(f, m->feature_names, m->n_features);
  fputs(",\"feature_psi\":", f);
  strata_json_array(f, m->feature_psi, m->n_features, 1);
  fputs(",\"psi_watch\":", f);
  strata_json_number(f, watch);
  fputs(",\"psi_shifted\":", f);
  strata_json_number(f, shifted);
  fputs(",\"verdict\":", f);
  strata_json_string(f, verdict);
  fputs("};\n", f);
  for (const char *const *line = migration_script; *line; line++) {
    fputs(*line, f);
    fputc('\n', f);
  }
  fputs("</script>\n", f);
  STRATA_TRY(strata_report_page_commit(ctx, &pg));
cleanup:
  strata_report_page_abort(&pg);
  return st;
}
