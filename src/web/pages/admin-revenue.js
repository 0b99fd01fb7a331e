// admin-revenue.js: Admin > Revenue (issue 12): a billing month's revenue (what
// customers were billed), its official cost (the same units at the official
// prices) and the margin, then by account and by model; a month picker.
import { t } from '../i18n.js';
import { h, heading, money, loading, problem, table, empty } from '../dom.js';

function thisMonth() {
  const d = new Date();
  return d.getUTCFullYear() + '-' + String(d.getUTCMonth() + 1).padStart(2, '0');
}

function figure(name, label, micros, currency) {
  return h('div', { class: 'figure', 'data-figure': name }, h('dt', {}, label),
    h('dd', {}, h('span', { class: 'amount', 'data-micros': String(micros || 0) }, money(micros, currency))));
}

export default async function render(ctx) {
  const currency = (ctx.me && ctx.me.currency) || 'USD';
  const params = new URLSearchParams(location.search);
  const picker = h('input', { type: 'month', id: 'rev-period', name: 'period', class: 'month-input', value: /^\d{4}-\d{2}$/.test(params.get('period') || '') ? params.get('period') : thisMonth() });
  const slot = h('div', { class: 'list-slot' }, loading(6));
  const load = async () => {
    slot.replaceChildren(loading(6));
    let r;
    try { r = await ctx.api.get('/admin/reports/revenue?period=' + encodeURIComponent(picker.value || thisMonth())); } catch (err) { slot.replaceChildren(problem(err)); return; }
    const money2 = (m) => h('span', { 'data-micros': String(m || 0) }, money(m, currency));
    const cols = [
      { label: t('revenue.col_revenue'), cell: (x) => money2(x.revenue_micros) },
      { label: t('revenue.col_official'), cell: (x) => money2(x.official_cost_micros) },
      { label: t('revenue.col_margin'), cell: (x) => money2((x.revenue_micros || 0) - (x.official_cost_micros || 0)) },
    ];
    const accounts = r.by_account || [], models = r.by_model || [];
    slot.replaceChildren(h('div', {},
      h('dl', { class: 'figures', 'data-period': r.period }, figure('revenue', t('revenue.revenue'), r.revenue_micros, currency),
        figure('official', t('revenue.official'), r.official_cost_micros, currency), figure('margin', t('revenue.margin'), r.margin_micros, currency)),
      h('p', { class: 'hint' }, t('revenue.official_hint')),
      r.truncated ? h('p', { class: 'warn-line' }, t('revenue.truncated')) : '',
      h('h3', { class: 'form-title' }, t('revenue.by_account')),
      accounts.length ? table(t('revenue.by_account'), [
        { label: t('revenue.col_account'), cell: (x) => h('a', { href: ctx.root + 'admin/accounts/' + x.account_id }, x.email || '#' + x.account_id) },
        ...cols], accounts) : empty(t('revenue.none')),
      h('h3', { class: 'form-title' }, t('revenue.by_model')),
      models.length ? h('div', { 'data-by-model': '' }, table(t('revenue.by_model'), [
        { label: t('prices.col_model'), cell: (x) => h('code', {}, x.model) },
        { label: t('revenue.col_service'), cell: (x) => x.service },
        { label: t('revenue.col_requests'), cell: (x) => String(x.requests) },
        ...cols], models)) : empty(t('revenue.none'))));
  };
  picker.addEventListener('change', () => {
    history.replaceState(history.state, '', location.pathname + '?period=' + encodeURIComponent(picker.value));
    load();
  });
  ctx.main.append(h('section', { class: 'page' }, heading(t('revenue.title')), h('p', { class: 'hint' }, t('revenue.intro')),
    h('section', { class: 'card', 'aria-labelledby': 'rv-h' }, h('h2', { id: 'rv-h' }, t('revenue.month')),
      h('div', { class: 'toolbar' }, h('label', { for: 'rev-period' }, t('revenue.period')), picker), slot)));
  await load();
}
