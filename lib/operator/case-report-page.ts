/**
 * The fixed parts of the HTML case report (lib/operator/case-report.ts): its style sheet and its one script, both
 * inlined, so the page loads nothing. Neither holds anything from the case: the script reads the timeline from the
 * page's `<script type="application/json" id="case-data">` block and writes it with `textContent` and `setAttribute`
 * only (never `innerHTML`), so a string from a finding or a member account stays text.
 */

/** The page's style sheet. */
export const CASE_REPORT_STYLE = `  :root { --ok: #1a7f37; --bad: #cf222e; --info: #57606a; --muted: #57606a; --line: #d0d7de; --bar: #0969da; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1f2328; max-width: 1400px; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
  h3 { font-size: 15px; margin: 16px 0 6px; }
  .muted { color: var(--muted); } .SUCCEEDED { color: var(--ok); } .FAILED { color: var(--bad); font-weight: 600; } .INFO { color: var(--info); }
  table { border-collapse: collapse; margin: 6px 0; } th, td { text-align: left; vertical-align: top; padding: 3px 8px; border-bottom: 1px solid var(--line); }
  th { font-weight: 600; white-space: nowrap; } td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
  code, .value { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; overflow-wrap: anywhere; }
  dl.value { margin: 0; display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0 10px; }
  dl.value dt { color: var(--muted); } dl.value dd { margin: 0; }
  ul.value { margin: 0; padding-left: 16px; }
  details summary { cursor: pointer; color: var(--muted); }
  svg.timeline text { font: 11px system-ui, sans-serif; fill: #1f2328; }
  svg.timeline rect.SUCCEEDED { fill: var(--bar); } svg.timeline rect.FAILED { fill: var(--bad); } svg.timeline rect.INFO { fill: #8c959f; }
  svg.timeline line.grid { stroke: var(--line); }
  #script-errors:empty { display: none; } #script-errors { color: var(--bad); white-space: pre-wrap; border: 1px solid var(--bad); padding: 8px; }
`;

/**
 * The page's script: draws the timeline chart (SVG, one row per ledger entry in order, x = time since the first entry,
 * a bar as long as the step took) into `#timeline-chart` from `#case-data`, records its own errors in `#script-errors`
 * and sets `data-rendered="true"` on `<body>` when done (what the headless-browser test reads).
 */
export const CASE_REPORT_SCRIPT = `(function () {
  'use strict';
  var errors = document.getElementById('script-errors');
  window.addEventListener('error', function (e) { errors.textContent += (e.message || String(e.error)) + '\\n'; });
  var SVG = 'http://www.w3.org/2000/svg';
  function svgEl(tag, attrs, text) {
    var n = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function span(ms) { return ms < 1000 ? Math.round(ms) + ' ms' : ms < 120000 ? (ms / 1000).toFixed(2) + ' s' : (ms / 60000).toFixed(1) + ' min'; }
  var data = JSON.parse(document.getElementById('case-data').textContent);
  var entries = data.timeline;
  var t0 = entries.length ? Date.parse(entries[0].at) : 0;
  var end = Math.max.apply(null, entries.map(function (e) { return Date.parse(e.at) - t0 + (e.durationMs || 0); }).concat([1]));
  var labelW = 330, chartW = 620, rowH = 18, top = 22;
  var svg = svgEl('svg', { class: 'timeline', width: labelW + chartW + 80, height: top + entries.length * rowH + 8, role: 'img', 'aria-label': 'case timeline' });
  for (var t = 0; t <= 4; t++) {
    var x = labelW + (chartW * t) / 4;
    svg.appendChild(svgEl('line', { class: 'grid', x1: x, x2: x, y1: top - 4, y2: top + entries.length * rowH }));
    svg.appendChild(svgEl('text', { x: x, y: 12, 'text-anchor': 'middle' }, '+' + span((end * t) / 4)));
  }
  entries.forEach(function (e, i) {
    var y = top + i * rowH;
    var g = svgEl('g', { class: 'entry', 'data-index': i });
    g.appendChild(svgEl('text', { x: labelW - 6, y: y + 12, 'text-anchor': 'end' }, e.at + '  ' + e.step));
    var x0 = labelW + (chartW * (Date.parse(e.at) - t0)) / end;
    var w = Math.max(3, (chartW * (e.durationMs || 0)) / end);
    var r = svgEl('rect', { class: e.status, x: x0, y: y + 3, width: w, height: rowH - 6, rx: 2 });
    r.appendChild(svgEl('title', {}, e.at + ' ' + e.step + ' ' + e.status + (e.by ? ' by ' + e.by : '') + (e.executionName ? ' (' + e.executionName + ')' : '')));
    g.appendChild(r);
    if (e.durationMs) g.appendChild(svgEl('text', { x: x0 + w + 4, y: y + 12, class: 'muted' }, span(e.durationMs)));
    svg.appendChild(g);
  });
  var chart = document.getElementById('timeline-chart');
  chart.textContent = '';
  chart.appendChild(svg);
  document.body.setAttribute('data-rendered', 'true');
})();
`;
