// billing.js: the "Usage & billing" page (BL-5): month to date, the projected
// total with the plain sentence of how it was made, the cap and what is left,
// the daily spend as a bar chart and a breakdown by service, key or model as a
// horizontal bar chart, each with the table of its numbers beside it (the
// table is the real data), then the cap and alert controls (billing-cap.js)
// and the way to the usage log.
import { t, has, language } from '../i18n.js';
import { h, heading, money, loading, problem, table, empty } from '../dom.js';
import { barChart, hbarChart } from '../chart.js';
import { capControls } from './billing-cap.js';

const GROUPS = ['service', 'key', 'model'];
const DAY_MS = 86400000;

/** The drawing's width: narrower on a phone, so its 12-unit text is not scaled below reading size. */
const chartWidth = () => (window.matchMedia('(max-width: 760px)').matches ? 380 : 640);
const num = (v, digits = 0) => new Intl.NumberFormat(language(), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(v);
const dayOf = (iso, opts) => new Intl.DateTimeFormat(language(), { timeZone: 'UTC', ...opts }).format(new Date(iso + 'T00:00:00Z'));

/** The projection in the reader's words, from the numbers the API used. */
export function projectionSentence(s) {
  const p = s.projection || {};
  if (p.method === 'too_early') return t('billing.projection_early');
  if (p.elapsed_ms >= p.period_ms) return t('billing.projection_over');
  return t('billing.projection_how', {
    mtd: money(s.month_to_date_micros, s.currency),
    days: num(p.period_ms / DAY_MS, 0),
    elapsed: num(Math.round((p.elapsed_ms / DAY_MS) * 10) / 10, 1),
  });
}

function figure(label, amount, extra, name, micros) {
  return h('div', { class: 'figure', 'data-figure': name }, h('dt', {}, label),
    h('dd', {}, h('span', { class: 'amount', 'data-micros': micros }, amount)),
    extra ? h('dd', { class: 'how' }, extra) : null);
}

function figures(s) {
  const last = new Date(Date.parse(s.period.end) - 1).toISOString().slice(0, 10);
  const period = t('billing.period', { start: dayOf(s.period.start.slice(0, 10), { dateStyle: 'medium' }), end: dayOf(last, { dateStyle: 'medium' }) });
  const capped = s.cap_micros !== null && s.cap_micros !== undefined;
  return h('dl', { class: 'figures' },
    figure(t('billing.month_to_date'), money(s.month_to_date_micros, s.currency), period, 'mtd', s.month_to_date_micros),
    figure(t('billing.projected'), money(s.projected_micros, s.currency), projectionSentence(s), 'projected', s.projected_micros),
    figure(t('billing.cap'), capped ? money(s.cap_micros, s.currency) : t('billing.no_cap'),
      capped ? t('billing.remaining', { amount: money(s.remaining_micros, s.currency) }) : t('billing.no_cap_hint'), 'cap', s.cap_micros));
}

/** A chart with its table beside it. */
function pair(chart, tbl) { return h('div', { class: 'chart-pair' }, chart, tbl); }

function dailyView(u) {
  const items = u.rows.map((r) => ({ label: dayOf(r.key, { dateStyle: 'medium' }), short: dayOf(r.key, { day: 'numeric' }), value: r.cost_micros }));
  const peak = u.rows.reduce((a, r) => (r.cost_micros > (a ? a.cost_micros : 0) ? r : a), null);
  const summary = peak
    ? t('billing.daily_summary', { total: money(u.total_micros, u.currency), day: dayOf(peak.key, { dateStyle: 'medium' }), peak: money(peak.cost_micros, u.currency) })
    : t('billing.daily_summary_none');
  const chart = barChart({ title: t('billing.daily_title'), items, format: (v) => money(v, u.currency), summary, width: chartWidth() });
  const tbl = table(t('billing.daily_title'), [
    { label: t('billing.col_day'), cell: (r) => dayOf(r.key, { dateStyle: 'medium' }) },
    { label: t('billing.col_cost'), cell: (r) => money(r.cost_micros, u.currency) },
    { label: t('billing.col_requests'), cell: (r) => num(r.requests) },
  ], u.rows);
  return pair(chart, tbl);
}

function groupLabel(group, key, names) {
  if (group === 'service') return has('scope.' + key) ? t('scope.' + key) : key;
  if (group === 'key') return names[key] ? `${names[key]} (${key})` : key;
  return key;
}

function breakdownView(group, u, names) {
  if (!u.rows.length) return empty(t('billing.breakdown_empty'));
  const items = u.rows.map((r) => ({ label: groupLabel(group, r.key, names), value: r.cost_micros }));
  const top = items[0];
  const summary = t('billing.breakdown_summary', { n: items.length, top: top.label, amount: money(top.value, u.currency) });
  const chart = hbarChart({ title: t('billing.by_' + group), items, format: (v) => money(v, u.currency), summary, width: chartWidth() });
  const tbl = table(t('billing.by_' + group), [
    { label: t('billing.col_' + group), cell: (r) => groupLabel(group, r.key, names) },
    { label: t('billing.col_cost'), cell: (r) => money(r.cost_micros, u.currency) },
    { label: t('billing.col_requests'), cell: (r) => num(r.requests) },
    { label: t('billing.col_tokens'), cell: (r) => `${num(r.input_tokens)} / ${num(r.output_tokens)}` },
  ], u.rows);
  return h('div', {}, pair(chart, tbl), u.truncated ? h('p', { class: 'hint' }, t('billing.truncated')) : null);
}

export default async function render(ctx) {
  const figSlot = h('div', { 'data-summary': '' }, loading(2));
  const dailySlot = h('div', { 'data-daily': '' }, loading(4));
  const byslot = h('div', { 'data-breakdown': '' }, loading(3));
  const capSlot = h('div', { 'data-cap': '' }, loading(2));
  let group = 'service';
  let names = {};
  const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': t('billing.breakdown_by') },
    GROUPS.map((g) => h('button', { type: 'button', class: 'small', 'data-group': g, 'aria-pressed': String(g === group),
      onclick: () => { group = g; for (const b of tabs.children) b.setAttribute('aria-pressed', String(b.dataset.group === g)); loadBreakdown(); } },
    t('billing.by_' + g))));
  const refresh = h('button', { type: 'button', class: 'small', 'data-refresh': '', onclick: () => loadAll() }, t('billing.refresh'));
  ctx.main.append(h('section', { class: 'page' },
    h('div', { class: 'page-head' }, heading(t('billing.title')), refresh),
    h('p', { class: 'intro' }, t('billing.intro')),
    figSlot,
    h('section', { class: 'card', 'aria-labelledby': 'daily-h' }, h('h2', { id: 'daily-h' }, t('billing.daily_title')), dailySlot),
    h('section', { class: 'card', 'aria-labelledby': 'by-h' }, h('h2', { id: 'by-h' }, t('billing.breakdown_title')), tabs, byslot),
    h('section', { class: 'card', 'aria-labelledby': 'cap-h' }, h('h2', { id: 'cap-h' }, t('billing.cap_title')), capSlot),
    h('section', { class: 'card', 'aria-labelledby': 'log-h' }, h('h2', { id: 'log-h' }, t('billing.log_title')),
      h('p', {}, t('billing.log_intro')), h('p', { class: 'card-links' }, h('a', { href: ctx.root + 'billing/log' }, t('billing.log_open')),
        h('a', { href: ctx.root + 'billing/invoices' }, t('billing.invoices_open'))))));

  async function loadSummary() {
    try { figSlot.replaceChildren(figures(await ctx.api.get('/billing/summary'))); } catch (err) { figSlot.replaceChildren(problem(err)); }
  }
  async function loadDaily() {
    try { dailySlot.replaceChildren(dailyView(await ctx.api.get('/billing/usage?group_by=day'))); } catch (err) { dailySlot.replaceChildren(problem(err)); }
  }
  async function loadBreakdown() {
    const want = group;
    byslot.setAttribute('aria-busy', 'true');
    try {
      const u = await ctx.api.get('/billing/usage?group_by=' + want);
      if (want === group) byslot.replaceChildren(breakdownView(want, u, names));
    } catch (err) { byslot.replaceChildren(problem(err)); } finally { byslot.removeAttribute('aria-busy'); }
  }
  async function loadNames() {
    try { names = Object.fromEntries(((await ctx.api.get('/keys', { quiet: true })).keys || []).map((k) => [k.id, k.name])); } catch { names = {}; }
  }
  async function loadAll() {
    await loadNames();
    await Promise.all([loadSummary(), loadDaily(), loadBreakdown()]);
  }
  await Promise.all([loadAll(), capControls(ctx, capSlot, { changed: loadSummary })]);
}
