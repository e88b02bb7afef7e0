import type { DrillTrend } from './history';
import type { GameDayScorecard } from './scorecard';

/** The page's style sheet (inlined: the page loads nothing). */
const PAGE_STYLE = `  :root { --ok: #1a7f37; --bad: #cf222e; --muted: #57606a; --line: #d0d7de; --bar: #0969da; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1f2328; max-width: 1200px; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
  .pass { color: var(--ok); font-weight: 600; } .fail { color: var(--bad); font-weight: 600; }
  .muted { color: var(--muted); }
  .totals { display: flex; gap: 24px; flex-wrap: wrap; margin: 12px 0; }
  .totals div { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
  .totals b { display: block; font-size: 20px; }
  .injection { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; margin: 10px 0; }
  .injection header { display: flex; justify-content: space-between; gap: 12px; flex-wrap: wrap; }
  .budget { height: 8px; background: #eaeef2; border-radius: 4px; width: 240px; position: relative; display: inline-block; vertical-align: middle; }
  .budget span { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 4px; background: var(--ok); }
  .budget span.over { background: var(--bad); }
  svg.timeline text { font: 11px system-ui, sans-serif; fill: #1f2328; }
  svg.timeline rect.step { fill: var(--bar); } svg.timeline rect.step.failed { fill: var(--bad); }
  svg.timeline line.grid { stroke: var(--line); }
  ul.checks { columns: 2; margin: 6px 0; padding-left: 18px; }
  details summary { cursor: pointer; color: var(--muted); }
  #script-errors:empty { display: none; } #script-errors { color: var(--bad); white-space: pre-wrap; border: 1px solid var(--bad); padding: 8px; }
`;

/** The page's script: draws the scorecard from the JSON in `#scorecard-data` (inlined: the page loads nothing). */
const PAGE_SCRIPT = `(function () {
  'use strict';
  var errors = document.getElementById('script-errors');
  window.addEventListener('error', function (e) { errors.textContent += (e.message || String(e.error)) + '\\n'; });
  var SVG = 'http://www.w3.org/2000/svg';
  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function svgEl(tag, attrs, text) {
    var n = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function secs(ms) { return ms === undefined || ms === null ? '-' : ms < 1000 ? Math.round(ms) + ' ms' : (ms / 1000).toFixed(2) + ' s'; }
  function verdict(ok) { return el('span', { class: ok ? 'pass' : 'fail' }, ok ? 'PASS' : 'FAIL'); }

  /** A Gantt chart of the steps: one row per step, x = milliseconds from the execution's start. */
  function timeline(steps) {
    var labelW = 210, chartW = 640, rowH = 18, top = 20;
    var end = Math.max.apply(null, steps.map(function (s) { return s.endMs; }).concat([1]));
    var svg = svgEl('svg', { class: 'timeline', width: labelW + chartW + 60, height: top + steps.length * rowH + 8, role: 'img', 'aria-label': 'step timeline' });
    for (var t = 0; t <= 4; t++) {
      var x = labelW + (chartW * t) / 4;
      svg.appendChild(svgEl('line', { class: 'grid', x1: x, x2: x, y1: top - 4, y2: top + steps.length * rowH }));
      svg.appendChild(svgEl('text', { x: x, y: 12, 'text-anchor': 'middle' }, secs((end * t) / 4)));
    }
    steps.forEach(function (s, i) {
      var y = top + i * rowH;
      svg.appendChild(svgEl('text', { x: labelW - 6, y: y + 12, 'text-anchor': 'end' }, s.name));
      var x0 = labelW + (chartW * s.startMs) / end;
      var w = Math.max(2, (chartW * (s.endMs - s.startMs)) / end);
      var r = svgEl('rect', { class: 'step' + (s.status === 'FAILED' ? ' failed' : ''), x: x0, y: y + 3, width: w, height: rowH - 6, rx: 2, 'data-step': s.name });
      r.appendChild(svgEl('title', {}, s.name + ': ' + secs(s.endMs - s.startMs) + ', ' + s.calls + ' API calls' + (s.status === 'FAILED' ? ' (failed)' : '')));
      svg.appendChild(r);
      svg.appendChild(svgEl('text', { x: x0 + w + 4, y: y + 12, class: 'muted' }, secs(s.endMs - s.startMs)));
    });
    return svg;
  }

  /** A line chart of time to contain across runs, with pass (dot) / fail (ring) marks. */
  function trendChart(trend) {
    var w = 420, h = 120, pad = 30;
    var pts = trend.points;
    var max = Math.max.apply(null, pts.map(function (p) { return p.timeToContainMs || 0; }).concat([1]));
    var svg = svgEl('svg', { class: 'trend', width: w, height: h, role: 'img', 'aria-label': 'time to contain across runs' });
    svg.appendChild(svgEl('line', { x1: pad, x2: w - 8, y1: h - pad, y2: h - pad, stroke: '#d0d7de' }));
    svg.appendChild(svgEl('text', { x: 2, y: 12 }, secs(max)));
    var path = '';
    pts.forEach(function (p, i) {
      var x = pad + (pts.length === 1 ? 0 : ((w - pad - 8) * i) / (pts.length - 1));
      var y = h - pad - ((h - pad - 16) * (p.timeToContainMs || 0)) / max;
      if (p.timeToContainMs !== undefined && p.timeToContainMs !== null) path += (path ? ' L ' : 'M ') + x + ' ' + y;
      var c = svgEl('circle', { cx: x, cy: y, r: 4, fill: p.passed ? '#1a7f37' : 'white', stroke: p.passed ? '#1a7f37' : '#cf222e', 'stroke-width': 2 });
      c.appendChild(svgEl('title', {}, p.runId + ': ' + secs(p.timeToContainMs) + (p.passed ? '' : ' (failed)')));
      svg.appendChild(c);
    });
    if (path) svg.insertBefore(svgEl('path', { d: path, fill: 'none', stroke: '#0969da', 'stroke-width': 1.5 }), svg.firstChild);
    return svg;
  }

  var input = JSON.parse(document.getElementById('scorecard-data').textContent);
  var s = input.scorecard;
  var app = document.getElementById('app');
  app.textContent = '';
  var h1 = el('h1', {}, 'Game day ' + s.runId + ' ');
  h1.appendChild(verdict(s.passed));
  app.appendChild(h1);
  app.appendChild(el('div', { class: 'muted' }, 'Started ' + s.startedAt + ', ' + secs(s.wallTimeMs) + ' in all'));
  var totals = el('div', { class: 'totals' });
  [['drills', s.totals.drills], ['injections passed', s.totals.passedInjections + '/' + s.totals.injections],
    ['read-back checks passed', s.totals.passedChecks + '/' + s.totals.checks], ['API calls', s.totals.apiCalls]].forEach(function (t) {
    var d = el('div', {}); d.appendChild(el('b', {}, String(t[1]))); d.appendChild(document.createTextNode(t[0])); totals.appendChild(d);
  });
  app.appendChild(totals);

  s.drills.forEach(function (d) {
    var h2 = el('h2', {}, d.drill + ' ');
    h2.appendChild(verdict(d.passed));
    app.appendChild(h2);
    app.appendChild(el('div', { class: 'muted' }, 'runbook ' + d.runbook + ' · ' + d.file + ' · ' + secs(d.wallTimeMs)));
    d.injections.forEach(function (i) {
      var box = el('section', { class: 'injection', 'data-passed': String(i.passed) });
      var head = el('header', {});
      var title = el('div', {}); title.appendChild(verdict(i.passed)); title.appendChild(document.createTextNode(' ' + i.name));
      head.appendChild(title);
      head.appendChild(el('div', { class: 'muted' }, i.status + (i.outcome ? ' / ' + i.outcome : '') + ' · ' + i.apiCalls.total + ' API calls (' + i.apiCalls.mutating + ' mutating)'));
      if (i.response) head.appendChild(el('div', { class: 'muted response' }, i.response));
      box.appendChild(head);
      if (i.timeToContainMs !== undefined && i.timeToContainMs !== null) {
        var line = el('div', {}, 'time to contain ' + secs(i.timeToContainMs) + (i.budgetMs ? ' of ' + secs(i.budgetMs) + ' budget ' : ' '));
        if (i.budgetMs) {
          var bar = el('span', { class: 'budget' });
          bar.appendChild(el('span', { class: i.timeToContainMs > i.budgetMs ? 'over' : '', style: 'width:' + Math.min(100, (100 * i.timeToContainMs) / i.budgetMs).toFixed(1) + '%' }));
          line.appendChild(bar);
        }
        box.appendChild(line);
      }
      if (i.timeline.length) box.appendChild(timeline(i.timeline));
      if (i.error) box.appendChild(el('div', { class: 'fail' }, i.error));
      var checks = el('ul', { class: 'checks' });
      i.verdicts.concat(i.checks).forEach(function (c) {
        var li = el('li', {}); li.appendChild(verdict(c.passed)); li.appendChild(document.createTextNode(' ' + c.name + ': ' + c.details)); checks.appendChild(li);
      });
      var det = el('details', {}); det.appendChild(el('summary', {}, i.verdicts.length + ' verdicts, ' + i.checks.filter(function (c) { return c.passed; }).length + '/' + i.checks.length + ' read-back checks passed'));
      det.appendChild(checks);
      if (!i.passed) det.setAttribute('open', '');
      box.appendChild(det);
      app.appendChild(box);
    });
  });

  if (input.trends.length) {
    app.appendChild(el('h2', {}, 'Trends across game days'));
    input.trends.forEach(function (t) {
      var box = el('section', { class: 'injection trend-box' });
      box.appendChild(el('div', {}, t.drill + ': ' + t.runs + ' run(s), pass rate ' + Math.round(t.passRate * 100) + '%'));
      box.appendChild(trendChart(t));
      app.appendChild(box);
    });
  }
  document.body.setAttribute('data-rendered', 'true');
})();
`;

/**
 * `scorecard.html`: one self-contained page (no network, no external script or style) that draws, from
 * the scorecard's JSON embedded in it:
 * - the totals;
 * - per drill and injection: pass/fail, status and outcome, time to contain against the budget, API
 *   calls, every read-back check and verdict, and a timeline chart (SVG) of the execution's steps,
 *   when each started and ended;
 * - the trends across game days (`reports/history.jsonl`): time to contain and pass rate per drill.
 *
 * The page records its own script errors in `#script-errors` and sets `data-rendered="true"` on
 * `<body>` when it has drawn everything: what the headless-browser test reads.
 */
export function renderHtml(scorecard: GameDayScorecard, trends: readonly DrillTrend[] = []): string {
  // JSON inside <script>: escape what could close the element or start a comment.
  const data = JSON.stringify({ scorecard, trends }).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Firebreak game day ${escapeHtml(scorecard.runId)}</title>
<style>
${PAGE_STYLE}</style>
</head>
<body>
<pre id="script-errors"></pre>
<main id="app"><p class="muted">This page draws its scorecard with JavaScript.</p></main>
<script type="application/json" id="scorecard-data">${data}</script>
<script>
${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
