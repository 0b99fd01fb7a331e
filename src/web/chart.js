// chart.js: the console's charts as inline SVG, drawn here (no library).
// Two kinds: a bar chart of a series (the daily spend) and a horizontal bar
// chart of a breakdown (by service, key or model).  Colour is never the only
// signal: every bar of a breakdown has its label and amount written beside it
// and a fill pattern of its own; the daily bars have axis labels and a value
// on the tallest.  Each chart is role="img" with an aria-label that says
// what it shows; the table the page puts beside it is the real data.  No
// inline style (the CSP forbids it): sizes are attributes, colours CSS classes.
const NS = 'http://www.w3.org/2000/svg';
const PATTERNS = ['solid', 'stripes', 'dots', 'cross', 'grid', 'back'];
let uid = 0;

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** The fill patterns of a chart (ids unique in the page). */
function patterns(prefix) {
  const p = (name, ...shapes) => s('pattern', { id: `${prefix}-${name}`, width: 6, height: 6, patternUnits: 'userSpaceOnUse' },
    s('rect', { width: 6, height: 6, class: 'chart-fill' }), ...shapes);
  return s('defs', {},
    p('solid'),
    p('stripes', s('path', { d: 'M0,6 L6,0', class: 'chart-ink' })),
    p('dots', s('circle', { cx: 3, cy: 3, r: 1.3, class: 'chart-dot' })),
    p('cross', s('path', { d: 'M0,0 L6,6 M6,0 L0,6', class: 'chart-ink' })),
    p('grid', s('path', { d: 'M3,0 L3,6 M0,3 L6,3', class: 'chart-ink' })),
    p('back', s('path', { d: 'M0,0 L6,6', class: 'chart-ink' })));
}

/** A "nice" top for an axis at or above max: 1, 2 or 5 times a power of ten. */
export function niceTop(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * barChart({title, items: [{label, value, short?}], format(value), summary, width?}) -> <svg>
 * label: the full label (in the tooltip), short: the axis text (every few bars); width: the
 * drawing's width in its units (narrower for a phone, so the text stays readable when scaled).
 */
export function barChart({ title, items, format, summary, width = 640 }) {
  const W = width, H = width < 500 ? 200 : 220, L = 86, R = 12, T = 16, B = 36;
  const prefix = 'chart' + ++uid;
  const max = Math.max(0, ...items.map((i) => i.value));
  const top = Math.max(2, niceTop(max)); // at least 2 units, so the half-way line is a whole one
  const plotW = W - L - R, plotH = H - T - B;
  const step = items.length ? plotW / items.length : plotW;
  const bw = Math.max(1, step * 0.7);
  const every = Math.max(1, Math.ceil(items.length / (W < 500 ? 5 : 8)));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart chart-bars', role: 'img', 'aria-label': `${title}. ${summary}`,
    preserveAspectRatio: 'xMidYMid meet', 'data-chart': 'bars' }, patterns(prefix));
  if (max === 0) { // nothing to draw but the baseline and the sentence that says so
    svg.append(s('line', { x1: L, x2: W - R, y1: T + plotH, y2: T + plotH, class: 'chart-axis' }),
      s('text', { x: L + plotW / 2, y: T + plotH / 2, 'text-anchor': 'middle', class: 'chart-label' }, summary));
    return svg;
  }
  for (const f of [0, 0.5, 1]) { // the grid and the amounts on the y axis
    const y = T + plotH - f * plotH;
    svg.append(s('line', { x1: L, x2: W - R, y1: y, y2: y, class: f ? 'chart-grid' : 'chart-axis' }),
      s('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', class: 'chart-label' }, format(top * f)));
  }
  items.forEach((it, i) => {
    const hgt = top ? (it.value / top) * plotH : 0;
    const x = L + i * step + (step - bw) / 2;
    const bar = s('rect', { x: x.toFixed(1), y: (T + plotH - hgt).toFixed(1), width: bw.toFixed(1), height: Math.max(0, hgt).toFixed(1),
      fill: `url(#${prefix}-stripes)`, class: 'chart-bar', 'data-value': it.value }, s('title', {}, `${it.label}: ${format(it.value)}`));
    svg.append(bar);
    if (i % every === 0)
      svg.append(s('text', { x: (x + bw / 2).toFixed(1), y: H - B + 16, 'text-anchor': 'middle', class: 'chart-label' }, it.short || it.label));
  });
  const peak = items.findIndex((it) => it.value === max && max > 0);
  if (peak >= 0) { // the tallest bar says its amount in words too
    const x = L + peak * step + step / 2;
    svg.append(s('text', { x: Math.min(Math.max(x, L + 30), W - R - 30).toFixed(1), y: T - 4, 'text-anchor': 'middle', class: 'chart-peak' },
      format(max)));
  }
  return svg;
}

/**
 * hbarChart({title, items: [{label, value}], format(value), summary}) -> <svg>
 * One row per item: its label, a bar with its own pattern, its amount.
 */
export function hbarChart({ title, items, format, summary, width = 640 }) {
  const W = width, row = 30, T = 8, labelW = W < 500 ? 120 : 170, amountW = W < 500 ? 90 : 110;
  const H = T * 2 + row * Math.max(1, items.length);
  const prefix = 'chart' + ++uid;
  const max = Math.max(0, ...items.map((i) => i.value));
  const plotW = W - labelW - amountW;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart chart-hbars', role: 'img', 'aria-label': `${title}. ${summary}`,
    preserveAspectRatio: 'xMidYMid meet', 'data-chart': 'hbars' }, patterns(prefix));
  items.forEach((it, i) => {
    const y = T + i * row;
    const w = max > 0 ? Math.max(it.value > 0 ? 2 : 0, (it.value / max) * plotW) : 0;
    const room = W < 500 ? 16 : 24;
    const name = it.label.length > room ? it.label.slice(0, room - 1) + '…' : it.label;
    svg.append(
      s('text', { x: labelW - 8, y: y + row / 2 + 4, 'text-anchor': 'end', class: 'chart-label' }, name),
      s('rect', { x: labelW, y: y + 5, width: w.toFixed(1), height: row - 10, fill: `url(#${prefix}-${PATTERNS[i % PATTERNS.length]})`,
        class: 'chart-bar', 'data-value': it.value }, s('title', {}, `${it.label}: ${format(it.value)}`)),
      s('text', { x: labelW + w + 6, y: y + row / 2 + 4, class: 'chart-label chart-amount' }, format(it.value)));
  });
  return svg;
}
