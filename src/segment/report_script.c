/*
 * The segmentation report's script (report.c writes it after the data block): builds the
 * header, every section and chart from DATA with Chart.js, and only the sections whose data
 * exists. Kept as one string per line so that no literal exceeds what C11 compilers must
 * accept (4095 characters) by much and the page stays readable in the file.
 */
#include <stddef.h>

#include "segment/report_page.h"

const char *const strata_report_script[] = {
    "// Builds the report from DATA. Every section is made only when its data exists, so a run",
    "// without CLV or of a transaction log alone has no empty charts.",
    "const D = DATA;",
    "const app = document.getElementById('app');",
    "const palette = "
    "['#4e79a7','#f28e2b','#59a14f','#e15759','#76b7b2','#edc948','#b07aa1','#ff9da7','#9c755f','#"
    "bab0ac'];",
    "const col = i => palette[i % palette.length];",
    "const actionColor = {'Retain': '#e15759', 'Win back': '#f28e2b', 'Grow': '#59a14f', "
    "'Nurture': '#4e79a7', 'Deprioritise': '#9c9c9c', 'Maintain': '#76b7b2', 'Review': '#666'};",
    "const K = D.k;",
    "const cur = D.currency ? ' ' + D.currency : '';",
    "const esc = s => String(s).replace(/[&<>\"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', "
    "'\"': '&quot;'}[c]));",
    "const num = (v, d) => v === null || v === undefined ? 'n/a' : "
    "Number(v).toLocaleString('en-US', {maximumFractionDigits: d === undefined ? 2 : d, "
    "minimumFractionDigits: 0});",
    "const money = (v, d) => v === null || v === undefined ? 'n/a' : num(v, d === undefined ? 0 : "
    "d) + cur;",
    "// Large sums in wide tables: three significant digits with k / M / B.",
    "const moneyShort = v => { if (v === null || v === undefined) return 'n/a'; const a = "
    "Math.abs(v); return a >= 1e9 ? (v / 1e9).toPrecision(3) + ' B' + cur : a >= 1e6 ? (v / "
    "1e6).toPrecision(3) + ' M' + cur : a >= 1e4 ? (v / 1e3).toPrecision(3) + ' k' + cur : "
    "money(v); };",
    "const pct = (v, d) => v === null || v === undefined ? 'n/a' : (100 * v).toFixed(d === "
    "undefined ? 1 : d) + ' %';",
    "// Long segment names break into lines of about 18 characters so that axis labels never "
    "overflow.",
    "function wrap(s, w) { w = w || 18; const out = []; let line = ''; String(s).split(' "
    "').forEach(word => { if (line && (line + ' ' + word).length > w) { out.push(line); line = "
    "word; } else line = line ? line + ' ' + word : word; }); if (line) out.push(line); return "
    "out; }",
    "const segName = i => (i + 1) + '. ' + D.names[i];",
    "const segLabels = D.names.map((n, i) => wrap(segName(i)));",
    "const segLabelsY = D.names.map((n, i) => wrap(segName(i), 26));",
    "const hBarHeight = extra => Math.max(300, 64 * K + (extra || 90));",
    "window.strataCharts = [];",
    "Chart.defaults.font.size = 12;",
    "Chart.defaults.maintainAspectRatio = false;",
    "Chart.defaults.animation = false;",
    "function el(tag, attrs, html) { const e = document.createElement(tag); Object.entries(attrs "
    "|| {}).forEach(([k, v]) => e.setAttribute(k, v)); if (html !== undefined) e.innerHTML = html; "
    "return e; }",
    "function section(title, note) { const s = el('section', {}); s.appendChild(el('h2', {}, "
    "esc(title))); if (note) s.appendChild(el('p', {'class': 'note'}, note)); app.appendChild(s); "
    "return s; }",
    "function grid(parent) { const g = el('div', {'class': 'grid'}); parent.appendChild(g); return "
    "g; }",
    "// tall: true for a taller box, or a height in px (horizontal bars grow with the number of "
    "segments).",
    "function chartBox(parent, id, title, note, tall) { const d = el('div', {}); if (title) "
    "d.appendChild(el('h3', {}, esc(title))); if (note) d.appendChild(el('p', {'class': 'note'}, "
    "note)); const b = el('div', {'class': tall === true ? 'box tall' : 'box'}); if (typeof tall "
    "=== 'number') b.style.height = tall + 'px'; const c = el('canvas', {id: id}); "
    "b.appendChild(c); d.appendChild(b); parent.appendChild(d); return c; }",
    "function chart(canvas, cfg) { cfg.options = cfg.options || {}; cfg.options.responsive = true; "
    "cfg.options.maintainAspectRatio = false; const c = new Chart(canvas, cfg); "
    "window.strataCharts.push(c); return c; }",
    "function table(parent, head, rows, cls) { const w = el('div', {'class': 'scroll'}); const t = "
    "el('table', cls ? {'class': cls} : {}); const textCol = rows.length ? rows[0].map(x => typeof "
    "x === 'object' && x !== null && x.cls === 'text') : []; let h = '<tr>' + head.map((x, i) => "
    "'<th' + (textCol[i] ? ' class=\"text\"' : '') + '>' + x + '</th>').join('') + '</tr>'; "
    "rows.forEach(r => { h += '<tr>' + r.map(x => typeof x === 'object' && x !== null ? '<td' + "
    "(x.style ? ' style=\"' + x.style + '\"' : '') + (x.cls ? ' class=\"' + x.cls + '\"' : '') + "
    "'>' + x.html + '</td>' : '<td>' + x + '</td>').join('') + '</tr>'; }); t.innerHTML = h; "
    "w.appendChild(t); parent.appendChild(w); return t; }",
    "const swatch = i => '<span style=\"display:inline-block;width:10px;height:10px;background:' + "
    "col(i) + ';margin-right:6px\"></span>';",
    "const badge = a => '<span class=\"action\" style=\"background:' + (actionColor[a] || '#666') "
    "+ '\">' + esc(a) + '</span>';",
    "const V = D.value, L = D.lenses, S = D.stability;",
    "",
    "// ---- header: what the data is, when, and how the segments were found",
    "(function header() {",
    "  const facts = el('div', {'class': 'facts'});",
    "  const f = [['Data', esc(D.input)], ['Accounts', num(D.n, 0)], ['Segments', String(K)]];",
    "  if (D.first_day && D.as_of) f.push(['Data period', D.first_day + ' to ' + D.as_of + "
    "(D.unit_days > 1 ? ' (first day to within ' + D.unit_days + ' days)' : '')]);",
    "  if (D.as_of) f.push(['As of', D.as_of]); else f.push(['As of', 'unknown (no "
    "transactions)']);",
    "  f.push(['Currency', D.currency ? esc(D.currency) : 'none given (plain numbers)']);",
    "  if (D.horizon) f.push(['CLV horizon', D.horizon.clv_periods + ' periods of ' + "
    "num(D.horizon.period_days, 1) + ' days (' + num(D.horizon.clv_periods * D.horizon.period_days "
    "/ 30.4375, 1) + ' months), discount ' + num(100 * D.horizon.discount, 2) + ' % per period']);",
    "  if (D.clv_model) f.push(['CLV model', esc(D.clv_model)]);",
    "  f.push(['Features', D.from_log ? 'the transaction log alone (no account features)' : "
    "esc(D.features.length + ' profile columns' + (D.dc ? ', ' + D.dc + ' categorical' : ''))]);",
    "  f.forEach(([k, v]) => facts.appendChild(el('div', {}, '<b>' + k + '</b><span>' + v + "
    "'</span>')));",
    "  app.appendChild(facts);",
    "  const s = section('How many segments', 'k = ' + K + ': ' + esc(D.kc.rule) + '.' + "
    "(D.kc.sampled ? ' Candidates were fitted on a seeded sample.' : ''));",
    "  // One candidate (k given) has no curve to show: the table alone says its scores.",
    "  if (D.kc.k.length) {",
    "    const g = grid(s);",
    "    const hasJ = D.kc.jaccard_mean.some(v => v !== null);",
    "    const sets = [{label: 'Calinski-Harabasz (left axis)', data: D.kc.calinski, borderColor: "
    "'#59a14f', backgroundColor: '#59a14f', yAxisID: 'y'}];",
    "    if (D.kc.silhouette) sets.push({label: 'mean silhouette', data: D.kc.silhouette, "
    "borderColor: '#4e79a7', backgroundColor: '#4e79a7', yAxisID: 'y1'});",
    "    if (hasJ) {",
    "      sets.push({label: 'stability: mean Jaccard', data: D.kc.jaccard_mean, borderColor: "
    "'#b07aa1', backgroundColor: '#b07aa1', yAxisID: 'y1'});",
    "      sets.push({label: 'stability: lowest segment Jaccard', data: D.kc.jaccard_min, "
    "borderColor: '#e15759', backgroundColor: '#e15759', borderDash: [5, 4], yAxisID: 'y1'});",
    "    }",
    "    if (D.kc.k.length > 1) chart(chartBox(g, 'kchoice', 'Scores of the candidates'), {type: "
    "'line', data: {labels: D.kc.k, datasets: sets}, options: {scales: {x: {title: {display: true, "
    "text: 'k (segments)'}}, y: {title: {display: true, text: 'Calinski-Harabasz'}}, y1: "
    "{position: 'right', min: 0, max: 1, grid: {drawOnChartArea: false}, title: {display: true, "
    "text: 'silhouette / Jaccard'}}}}});",
    "    const d = el('div', {});",
    "    d.appendChild(el('h3', {}, 'Candidates'));",
    "    const head = ['k', 'latent class BIC', 'Calinski-Harabasz'].concat(D.kc.silhouette ? "
    "['silhouette'] : []).concat(hasJ ? ['lowest Jaccard', 'mean Jaccard'] : []);",
    "    table(d, head, D.kc.k.map((k, i) => { const r = [(k === K ? '<b>' + k + ' (chosen)</b>' : "
    "String(k)), num(D.kc.bic[i], 0), num(D.kc.calinski[i], 1)]; if (D.kc.silhouette) "
    "r.push(num(D.kc.silhouette[i], "
    "3)); if (hasJ) r.push(num(D.kc.jaccard_min[i], 3), num(D.kc.jaccard_mean[i], 3)); return r; "
    "}));",
    "    g.appendChild(d);",
    "  }",
    "})();",
    "",
    "// ---- the segments at a glance, with their action hints",
    "(function overview() {",
    "  const s = section('Segments at a glance', 'One row per segment. The action is a hint from "
    "the rule table in the glossary, read off the profile and the lenses; it is where a discussion "
    "starts, not a decision.');",
    "  const head = ['segment', 'action', 'accounts', 'share'];",
    "  if (V) head.push('CLV total' + cur, 'CLV mean' + cur, 'share of CLV', 'mean P(alive)', "
    "'one-time buyers', 'spend per purchase' + cur);",
    "  if (S) head.push('stability (mean Jaccard)');",
    "  const rows = D.names.map((n, i) => {",
    "    const a = D.actions[i];",
    "    const r = [{html: swatch(i) + esc(segName(i)), cls: 'text'}, {html: badge(a.action) + "
    "'<br><span class=\"note\">' + esc(a.reason) + '</span>', cls: 'text'}, num(D.size[i], 0), "
    "pct(D.share[i])];",
    "    if (V) r.push(moneyShort(V.clv_total[i]), money(V.clv_mean[i], 2), pct(V.clv_share[i]), "
    "num(V.p_alive_mean[i], 2), V.one_time_share ? pct(V.one_time_share[i]) : 'n/a', "
    "V.spend_per_purchase ? money(V.spend_per_purchase[i], 2) : 'n/a');",
    "    if (S) r.push(S.jaccard_mean[i] === null ? 'n/a' : S.jaccard_mean[i].toFixed(2) + ' (' + "
    "esc(S.reading[i]) + ')');",
    "    return r;",
    "  });",
    "  if (V) { const b = V.base; const tot = V.clv_total.reduce((a, v) => a + (v || 0), 0); const "
    "r = [{html: '<b>all accounts</b>', cls: 'text'}, '', num(D.n, 0), '100 %', moneyShort(tot), "
    "money(b.clv_mean, 2), '100 %', num(b.p_alive_mean, 2), pct(b.one_time_share), "
    "money(b.spend_per_purchase, 2)]; if (S) r.push(''); rows.push(r); }",
    "  table(s, head, rows, 'wide').id = 'overview';",
    "  const g = grid(s);",
    "  const sets = [{label: 'share of accounts', data: D.share.map(v => 100 * v), "
    "backgroundColor: '#4e79a7'}];",
    "  if (V) sets.push({label: 'share of CLV', data: V.clv_share.map(v => v === null ? null : 100 "
    "* v), backgroundColor: '#f28e2b'});",
    "  chart(chartBox(g, 'sizes', V ? 'Segment size against share of CLV' : 'Segment size'), "
    "{type: 'bar', data: {labels: segLabels, datasets: sets}, options: {scales: {x: {ticks: "
    "{autoSkip: false, maxRotation: 0}}, y: {grace: '5%', title: {display: true, text: '%'}}}}});",
    "  if (V) chart(chartBox(g, 'alive', 'P(alive) by segment', 'Bars span the 10-90 % and 25-75 % "
    "ranges of the accounts; the tick is the median.', hBarHeight(110)), {type: 'bar', data: "
    "{labels: segLabelsY, datasets: [",
    "    {label: '10-90 %', data: V.p_alive_q.map(q => [q[0], q[4]]), backgroundColor: "
    "'rgba(78,121,167,0.3)', grouped: false},",
    "    {label: '25-75 %', data: V.p_alive_q.map(q => [q[1], q[3]]), backgroundColor: "
    "'rgba(78,121,167,0.85)', grouped: false},",
    "    {label: 'median', data: V.p_alive_q.map(q => [q[2] - 0.004, q[2] + 0.004]), "
    "backgroundColor: '#222', grouped: false}]},",
    "    options: {indexAxis: 'y', scales: {x: {min: 0, max: 1, title: {display: true, text: "
    "'P(alive)'}}, y: {ticks: {autoSkip: false}}}}});",
    "  if (S) {",
    "    const guides = {id: 'guides', afterDatasetsDraw(c) { const y = c.scales.y, a = "
    "c.chartArea, x = c.ctx; [[0.6, 'dissolved below 0.6'], [0.75, 'stable from 0.75'], [0.85, "
    "'highly stable from 0.85']].forEach(([v, t]) => { const py = y.getPixelForValue(v); x.save(); "
    "x.strokeStyle = '#555'; x.setLineDash([4, 4]); x.beginPath(); x.moveTo(a.left, py); "
    "x.lineTo(a.right, py); x.stroke(); x.font = '11px sans-serif'; x.textAlign = 'right'; "
    "x.lineWidth = 3; x.strokeStyle = '#fff'; x.setLineDash([]); x.strokeText(t, a.right - 4, py - "
    "3); x.fillStyle = '#333'; x.fillText(t, a.right - 4, py - 3); x.restore(); }); }};",
    "    chart(chartBox(g, 'stability', 'Stability of each segment', 'Mean Jaccard similarity of "
    "the segment to its best match over ' + S.resamples + ' bootstrap resamples of ' + num(S.rows, "
    "0) + ' accounts (Hennig 2007).'), {type: 'bar', data: {labels: segLabels, datasets: [{label: "
    "'mean bootstrap Jaccard', data: S.jaccard_mean, backgroundColor: S.jaccard_mean.map(v => v >= "
    "0.75 ? '#59a14f' : v >= 0.6 ? '#edc948' : '#e15759')}]}, options: {scales: {x: {ticks: "
    "{autoSkip: false, maxRotation: 0}}, y: {min: 0, max: 1}}}, plugins: [guides]});",
    "  }",
    "})();",
    "",
    "// ---- value x risk",
    "(function valueRisk() {",
    "  if (!L) { section('Value x risk', 'Not available: the run has no CLV (no transactions, or "
    "--no-clv).'); return; }",
    "  const vr = L.vr;",
    "  const s = section('Value x risk', 'Accounts in the transaction log by CLV tier (top ' + "
    "pct(vr.top_share, 0) + ', next ' + pct(vr.next_share, 0) + ', rest) and P(alive) band (high "
    "risk below ' + vr.risk_high_below + ', low risk from ' + vr.risk_low_from + '). CLV at stake "
    "is the CLV of the accounts in a cell.');",
    "  const clvAll = vr.clv.reduce((a, v) => a + (v || 0), 0);",
    "  const maxc = Math.max.apply(null, vr.clv.map(v => Math.abs(v || 0))) || 1;",
    "  const tiers = ['top CLV tier', 'middle CLV tier', 'rest'], bands = ['high risk (low "
    "P(alive))', 'medium risk', 'low risk (high P(alive))'];",
    "  const rows = tiers.map((t, ti) => [{html: '<b>' + t + '</b>', cls: "
    "'text'}].concat(bands.map((b, bi) => { const c = ti * 3 + bi; const a = Math.min(1, "
    "Math.abs(vr.clv[c] || 0) / maxc); return {html: '<b>' + esc(vr.names[c]) + '</b><br>' + "
    "num(vr.accounts[c], 0) + ' accounts<br>CLV at stake ' + moneyShort(vr.clv[c]) + ' (' + "
    "pct(clvAll ? vr.clv[c] / clvAll : null) + ')<br>mean P(alive) ' + num(vr.p_alive[c], 2), "
    "style: 'background:rgba(225,87,89,' + (0.08 + 0.6 * a).toFixed(2) + ');min-width:150px', cls: "
    "'text'}; })));",
    "  const t = table(s, ['CLV tier \\\\ P(alive) band'].concat(bands), rows); t.id = "
    "'vr-heatmap';",
    "  const g = grid(s);",
    "  const cellColors = ['#b2182b', '#ef8a62', '#fddbc7', '#d6604d', '#f4a582', '#d1e5f0', "
    "'#92c5de', '#4393c3', '#2166ac', '#bbbbbb'];",
    "  const labs = vr.names.concat(['no purchase']);",
    "  const share = (row) => { const tot = row.reduce((a, v) => a + v, 0) || 1; return row.map(v "
    "=> 100 * v / tot); };",
    "  chart(chartBox(g, 'vr-accounts', 'Accounts of each segment by value x risk cell', null, "
    "hBarHeight(200)), {type: 'bar', data: {labels: segLabelsY, datasets: labs.map((n, c) => "
    "({label: n, data: vr.x.map(r => share(r)[c]), backgroundColor: cellColors[c]}))}, options: "
    "{indexAxis: 'y', scales: {x: {stacked: true, max: 100, title: {display: true, text: '% of the "
    "segment\\'s accounts'}}, y: {stacked: true, ticks: {autoSkip: false}}}, plugins: {legend: "
    "{position: 'bottom', labels: {boxWidth: 10, font: {size: 10}}}}}});",
    "  if (vr.x_clv) chart(chartBox(g, 'vr-clv', 'CLV at stake of each segment by cell' + cur, "
    "null, hBarHeight(200)), {type: 'bar', data: {labels: segLabelsY, datasets: labs.slice(0, "
    "9).map((n, c) => ({label: n, data: vr.x_clv.map(r => r[c]), backgroundColor: "
    "cellColors[c]}))}, options: {indexAxis: 'y', scales: {x: {stacked: true, title: {display: "
    "true, text: 'CLV' + cur}}, y: {stacked: true, ticks: {autoSkip: false}}}, plugins: {legend: "
    "{position: 'bottom', labels: {boxWidth: 10, font: {size: 10}}}}}});",
    "})();",
    "",
    "// ---- the named RFM grid",
    "(function rfm() {",
    "  if (!L) { section('RFM grid', 'Not available: the run has no transactions to score.'); "
    "return; }",
    "  const R = L.rfm;",
    "  const s = section('RFM grid', 'Recency, frequency and monetary value each scored 1-5 by "
    "quintiles of the accounts in the log (5 = most recent, most frequent, highest spend), then "
    "named by the rule table below (first matching rule wins; no match: Others).');",
    "  const g = grid(s);",
    "  const cells = R.cells;",
    "  const rc = i => i < cells.length - 1 ? palette[i % palette.length] : '#bbbbbb';",
    "  chart(chartBox(g, 'rfm-counts', 'Accounts per RFM cell'), {type: 'bar', data: {labels: "
    "cells.map(c => wrap(c, 12)), datasets: [{label: 'accounts', data: R.counts, backgroundColor: "
    "cells.map((c, i) => rc(i))}]}, options: {plugins: {legend: {display: false}}, scales: {x: "
    "{ticks: {autoSkip: false, maxRotation: 0, font: {size: 10}}}}}});",
    "  const labs = cells.concat(['no purchase']);",
    "  chart(chartBox(g, 'rfm-segments', 'RFM cells within each segment', null, hBarHeight(180)), "
    "{type: 'bar', data: {labels: segLabelsY, datasets: labs.map((n, c) => ({label: n, data: "
    "R.x.map(r => { const tot = r.reduce((a, v) => a + v, 0) || 1; return 100 * r[c] / tot; }), "
    "backgroundColor: c < cells.length ? rc(c) : '#eeeeee'}))}, options: {indexAxis: 'y', scales: "
    "{x: {stacked: true, max: 100, title: {display: true, text: '% of the segment\\'s accounts'}}, "
    "y: {stacked: true, ticks: {autoSkip: false}}}, plugins: {legend: {position: 'bottom', labels: "
    "{boxWidth: 10, font: {size: 10}}}}}});",
    "  const d = el('div', {}); d.appendChild(el('h3', {}, 'Rule table'));",
    "  table(d, ['cell', 'R', 'F', 'M'], R.rules.map(r => [{html: esc(r.name), cls: 'text'}, "
    "r.lo[0] + '-' + r.hi[0], r.lo[1] + '-' + r.hi[1], r.lo[2] + '-' + r.hi[2]]));",
    "  s.appendChild(d);",
    "  const b = el('div', {}); b.appendChild(el('h3', {}, 'Score breaks'));",
    "  table(b, ['score column', 'breaks between scores 1|2|3|4|5'], [['recency (days, ascending: "
    "score 5 below the first break)', R.breaks[0].map(v => num(v, 1)).join(' | ')], ['frequency "
    "(transactions)', R.breaks[1].map(v => num(v, 1)).join(' | ')], ['monetary (revenue' + cur + "
    "')', R.breaks[2].map(v => num(v, 2)).join(' | ')]]);",
    "  s.appendChild(b);",
    "})();",
    "",
    "// ---- revenue growth",
    "(function growth() {",
    "  if (!L) { section('Revenue growth', 'Not available: the run has no transactions.'); return; "
    "}",
    "  const G = L.growth;",
    "  const s = section('Revenue growth', 'Revenue of the ' + G.days + ' days up to the as-of "
    "date against the ' + G.days + ' days before, split by account: new, retained, expanded, "
    "contracted and lost revenue (see the glossary).');",
    "  const g = grid(s);",
    "  chart(chartBox(g, 'growth-prev-curr', 'Previous and current revenue' + cur), {type: 'bar', "
    "data: {labels: segLabels, datasets: [{label: 'previous ' + G.days + ' days', data: "
    "G.segments.map(x => x.prev), backgroundColor: '#bab0ac'}, {label: 'last ' + G.days + ' days', "
    "data: G.segments.map(x => x.curr), backgroundColor: '#4e79a7'}]}, options: {scales: {x: "
    "{ticks: {autoSkip: false, maxRotation: 0}}, y: {grace: '5%', title: {display: true, text: "
    "'revenue' + cur}}}}});",
    "  const parts = [['retained', '#4e79a7', 1], ['expanded', '#59a14f', 1], ['new', '#8cd17d', "
    "1], ['contracted', '#f28e2b', -1], ['lost', '#e15759', -1]];",
    "  chart(chartBox(g, 'growth-parts', 'Where the revenue came from and went' + cur), {type: "
    "'bar', data: {labels: segLabels, datasets: parts.map(([p, c, sg]) => ({label: p, data: "
    "G.segments.map(x => sg * x[p]), backgroundColor: c}))}, options: {scales: {x: {stacked: true, "
    "ticks: {autoSkip: false, maxRotation: 0}}, y: {stacked: true, title: {display: true, text: "
    "'revenue' + cur + ' (losses below 0)'}}}}});",
    "  const row = (n, x) => [{html: n, cls: 'text'}, moneyShort(x.prev), moneyShort(x.curr), "
    "moneyShort(x.new), moneyShort(x.retained), moneyShort(x.expanded), moneyShort(x.contracted), "
    "moneyShort(x.lost), x.rate === null ? 'n/a' : pct(x.rate), pct(x.nrr), pct(x.grr), "
    "pct(x.account_retention)];",
    "  table(s, ['segment', 'previous', 'current', 'new', 'retained', 'expanded', 'contracted', "
    "'lost', 'growth rate', 'net revenue retention', 'gross revenue retention', 'account "
    "retention'], G.segments.map((x, i) => row(swatch(i) + esc(segName(i)), "
    "x)).concat([row('<b>all accounts</b>', G.total)]));",
    "})();",
    "",
    "// ---- categorical profile",
    "(function nominal() {",
    "  if (!D.nominal.length) return;",
    "  const s = section('Categorical profile', 'For each categorical column, the share of each "
    "level in every segment against its share in the whole base (black line). In the table, lift = "
    "segment share / base share; lifts of 1.25 and above are highlighted.');",
    "  D.nominal.forEach((c, j) => {",
    "    const g = grid(s);",
    "    const many = c.levels.length > 6; // then the labels turn instead of wrapping",
    "    const sets = D.names.map((n, i) => ({type: 'bar', label: wrap(segName(i), 30).join(' '), "
    "data: c.share[i].map(v => 100 * v), backgroundColor: col(i)}));",
    "    sets.push({type: 'line', label: 'base', data: c.base.map(v => 100 * v), borderColor: "
    "'#000', backgroundColor: '#000', pointStyle: 'line', pointRadius: 8, showLine: false, "
    "borderWidth: 3});",
    "    chart(chartBox(g, 'nominal-' + j, esc(c.name) + ': level shares'), {type: 'bar', data: "
    "{labels: many ? c.levels : c.levels.map(l => wrap(l, 12)), datasets: sets}, options: {scales: "
    "{x: {ticks: {autoSkip: false, maxRotation: many ? 60 : 0, font: {size: many ? 10 : 12}}}, y: "
    "{grace: '5%', title: {display: true, text: '% of the segment'}}}, plugins: {legend: "
    "{position: 'bottom', labels: {boxWidth: 10, font: {size: 10}}}}}});",
    "    const d = el('div', {}); d.appendChild(el('h3', {}, esc(c.name) + ': lift (share in the "
    "segment)')); d.appendChild(el('p', {'class': 'note'}, 'Columns are the segments by number "
    "(see the legend).'));",
    "    // Levels down, segments across: a column with many levels grows down the page, not "
    "across it.",
    "    table(d, ['level'].concat(D.names.map((n, i) => swatch(i) + (i + 1))).concat(['base "
    "share']), c.levels.map((lv, l) => [{html: esc(lv), cls: 'text'}].concat(D.names.map((n, i) => "
    "{ const v = c.lift[i][l]; return {html: num(v, 2) + '<br><span class=\"note\">' + "
    "pct(c.share[i][l], 0) + '</span>', style: v >= 1.25 ? 'background:rgba(89,161,79,' + "
    "Math.min(0.8, 0.2 + (v - 1) / 3).toFixed(2) + ');font-weight:bold' : (v > 0 && v <= 0.8 ? "
    "'background:rgba(78,121,167,0.12)' : '')}; })).concat([pct(c.base[l], 0)])));",
    "    g.appendChild(d);",
    "  });",
    "})();",
    "",
    "// ---- numeric profile, projection, tree",
    "(function profile() {",
    "  const s = section('Feature profile', 'Segment means in standard deviations from the base "
    "mean (z-scores): above 0 the segment has more of the feature than the base.');",
    "  const g = grid(s);",
    "  const flabels = D.features.map(f => wrap(f.replace(/_/g, ' '), 12));",
    "  chart(chartBox(g, 'profile', 'Profile (parallel coordinates)', null, true), {type: 'line', "
    "data: {labels: flabels, datasets: D.z.map((z, i) => ({label: wrap(segName(i), 30).join(' '), "
    "data: z, borderColor: col(i), backgroundColor: col(i), tension: 0}))}, options: {scales: {x: "
    "{ticks: {autoSkip: false, maxRotation: 0, font: {size: 10}}}, y: {title: {display: true, "
    "text: 'z-score'}}}, plugins: {legend: {position: 'bottom', labels: {boxWidth: 10}}}}});",
    "  if (D.points.length) chart(chartBox(g, 'pca', '2-D projection of a sample (PCA)', null, "
    "true), {type: 'scatter', data: {datasets: D.names.map((n, i) => ({label: wrap(segName(i), "
    "30).join(' '), pointRadius: 1.5, backgroundColor: col(i), data: D.points.filter(p => p[2] === "
    "i).map(p => ({x: p[0], y: p[1]}))}))}, options: {scales: {x: {title: {display: true, text: "
    "'PC1 (' + num(100 * D.explained[0], 1) + ' % of variance)'}}, y: {title: {display: true, "
    "text: 'PC2 (' + num(100 * D.explained[1], 1) + ' %)'}}}, plugins: {legend: {position: "
    "'bottom', labels: {boxWidth: 10}}}}});",
    "  if (D.linkage) {",
    "    // Dendrogram: leaves in tree order along x, merge heights on y, drawn as line segments.",
    "    const pos = {}, height = {}, order = [];",
    "    (function walk(id) { if (id < K) { order.push(id); return; } const r = D.linkage[id - K]; "
    "walk(r[0]); walk(r[1]); })(2 * K - 2);",
    "    order.forEach((leaf, i) => { pos[leaf] = i; height[leaf] = 0; });",
    "    const segs = [];",
    "    D.linkage.forEach((r, i) => { const a = r[0], b = r[1], h = r[2], id = K + i; "
    "segs.push({x: pos[a], y: height[a]}, {x: pos[a], y: h}, {x: pos[b], y: h}, {x: pos[b], y: "
    "height[b]}, {x: NaN, y: NaN}); pos[id] = (pos[a] + pos[b]) / 2; height[id] = h; });",
    "    chart(chartBox(g, 'tree', 'Segment tree (Ward on the centres)', 'Segments joined low in "
    "the tree are alike; a cut higher up merges them.', true), {type: 'scatter', data: {datasets: "
    "[{label: 'Ward merge height', data: segs, showLine: true, spanGaps: false, pointRadius: 0, "
    "borderColor: '#333'}]}, options: {plugins: {legend: {display: false}}, scales: {x: {type: "
    "'linear', min: -0.5, max: K - 0.5, afterBuildTicks: axis => { axis.ticks = order.map((leaf, "
    "i) => ({value: i})); }, ticks: {autoSkip: false, maxRotation: 0, callback: v => order[v] !== "
    "undefined ? segLabels[order[v]] : ''}}, y: {title: {display: true, text: 'merge "
    "height'}}}}});",
    "  }",
    "  s.appendChild(el('h3', {}, 'Heatmap of z-scores'));",
    "  const hm = table(s, ['segment'].concat(D.features.map(esc)), D.z.map((z, i) => [{html: "
    "swatch(i) + esc(segName(i)), cls: 'text'}].concat(z.map(v => { const a = Math.min(1, "
    "Math.abs(v || 0) / 2); return {html: num(v, 2), style: 'background:' + (v >= 0 ? "
    "'rgba(214,39,40,' : 'rgba(31,119,180,') + a.toFixed(2) + ')'}; }))));",
    "  hm.id = 'heatmap';",
    "  s.appendChild(el('h3', {}, 'Means and medians'));",
    "  const pt = table(s, ['segment'].concat(D.features.map(esc)), D.names.map((n, i) => [{html: "
    "swatch(i) + esc(segName(i)), cls: 'text'}].concat(D.mean[i].map((m, j) => num(m, 3) + ' / ' + "
    "num(D.median[i][j], 3)))).concat([[{html: '<b>base mean</b>', cls: "
    "'text'}].concat(D.base_mean.map(v => num(v, 3)))]));",
    "  pt.id = 'profile-table';",
    "})();",
    "",
    "// ---- glossary",
    "(function glossary() {",
    "  const s = section('Glossary');",
    "  const vr = L ? L.vr : null;",
    "  const G = [",
    "    ['CLV', 'Customer lifetime value: the discounted spend expected from an account over the "
    "CLV horizon' + (D.horizon ? ' (' + D.horizon.clv_periods + ' periods of ' + "
    "num(D.horizon.period_days, 1) + ' days, discount ' + num(100 * D.horizon.discount, 2) + ' % "
    "per period)' : '') + ', from a BTYD purchase model (BG/NBD, MBG/NBD or Pareto/NBD) times the "
    "Gamma-Gamma expected spend per purchase. Money figures are in ' + (D.currency ? "
    "esc(D.currency) : 'the units of the input amounts') + '.'],",
    "    ['P(alive)', 'The probability, under the purchase model, that an account is still an "
    "active customer at the as-of date, given how often and how recently it bought. Accounts with "
    "a single purchase have P(alive) = 1 under BG/NBD: read it together with the one-time "
    "share.'],",
    "    ['Expected purchases', 'Purchases the model expects from an account over the next ' + "
    "(D.horizon ? num(D.horizon.purchases_horizon, 1) + (D.unit_days === 7 ? ' weeks' : "
    "D.unit_days === 1 ? ' days' : ' time units of ' + num(D.unit_days, 0) + ' days') : 'horizon') "
    "+ '.'],",
    "    ['RFM scores', 'Recency (days from the last purchase to the as-of date), frequency "
    "(transactions) and monetary value (total revenue), each scored 1-5 by quintiles of the "
    "accounts in the log as the R package rfm 0.3.0 does (5 = most recent, most frequent, highest "
    "spend; tied values share a score).'],",
    "    ['RFM cells', 'Names given to score triples by a rule table of inclusive R, F and M "
    "ranges, tried in table order: the first matching rule wins, accounts matching none are "
    "\"Others\". ' + (L ? 'This run\\'s table: ' + L.rfm.rules.map(r => esc(r.name) + ' R' + "
    "r.lo[0] + '-' + r.hi[0] + ' F' + r.lo[1] + '-' + r.hi[1] + ' M' + r.lo[2] + '-' + "
    "r.hi[2]).join('; ') + '.' : '')],",
    "    ['Value x risk tiers and bands', 'CLV tier by rank: top ' + (vr ? pct(vr.top_share, 0) : "
    "'20 %') + ' of the accounts, next ' + (vr ? pct(vr.next_share, 0) : '30 %') + ', rest (ties "
    "at a boundary join the higher tier). P(alive) band: high risk below ' + (vr ? "
    "vr.risk_high_below : 0.5) + ', medium, low risk from ' + (vr ? vr.risk_low_from : 0.8) + '. "
    "\"High value / high risk\" is the retention priority; CLV at stake is the CLV of the accounts "
    "in a cell.'],",
    "    ['Growth terms', 'Per account, with p = revenue of the previous and c = of the current ' "
    "+ (L ? L.growth.days : 365) + ' days: new = c when p = 0; retained = min(p, c); expanded = c "
    "- p when c > p > 0; contracted = p - c when 0 < c < p; lost = p when c = 0. Growth rate = "
    "(current - previous) / previous; net revenue retention = (retained + expanded) / previous; "
    "gross revenue retention = retained / previous; account retention = accounts still buying / "
    "accounts that bought in the previous period.'],",
    "    ['Jaccard stability', 'How well a segment survives resampling (Hennig 2007, R fpc "
    "clusterboot): the base is redrawn with replacement, re-segmented, and the segment is compared "
    "with its best match by Jaccard similarity (shared accounts / accounts in either). Mean below "
    "0.6: dissolved (do not trust it); 0.6-0.75: a pattern, but membership is doubtful; 0.75-0.85: "
    "stable; 0.85 and above: highly stable.'],",
    "    ['PSI', 'Population stability index, sum over bins of (a - e) ln(a / e) for the shares e "
    "before and a now (of segments, or of a feature\\'s bins). Below 0.1: stable; 0.1-0.25: watch; "
    "0.25 and above: shifted. Used by the migration report of strata score.'],",
    "    ['Latent class BIC', 'How the number of segments is chosen by default: the segmentation "
    "read as a latent class model (numeric features in decile bins, nominal levels, independent "
    "within a segment), BIC = -2 log-likelihood + parameters x ln(accounts); the lowest BIC among "
    "the stable candidates wins. A split along a feature that is independent of the others "
    "within a segment adds parameters without likelihood, so BIC refuses it.'],",
    "    ['Lift', 'Share of a level (e.g. an industry) in a segment divided by its share in the "
    "whole base: 2 means twice as common as in the base, 1 as common.'],",
    "    ['One-time buyer', 'An account without a repeat purchase (no purchase period after the "
    "first one).'],",
    "    ['Spend per purchase', 'Total revenue of the segment\\'s accounts divided by their "
    "transactions, first purchases included.'],",
    "    ['z-score', 'Segment mean minus base mean, in standard deviations of the base.'],",
    "    ['Action hints', 'A rule table over each segment\\'s ratios to the base, first matching "
    "rule wins (segment/actions.h):']",
    "  ];",
    "  const dl = el('dl', {'class': 'glossary', id: 'glossary'});",
    "  G.forEach(([t, d]) => { dl.appendChild(el('dt', {}, esc(t))); dl.appendChild(el('dd', {}, "
    "d)); });",
    "  s.appendChild(dl);",
    "  const at = table(s, ['#', 'action', 'when', 'why'], D.action_rules.map((r, i) => "
    "[String(i), badge(r.action), {html: esc(r.when), cls: 'text'}, {html: esc(r.why), cls: "
    "'text'}]));",
    "  at.id = 'action-rules';",
    "  s.appendChild(el('p', {'class': 'note'}, 'strata ' + esc(D.version) + '. Transactions: ' + "
    "esc(D.transactions) + '.'));",
    "})();",
    "document.body.dataset.chartsDrawn = String(window.strataCharts.length);",
    NULL};
