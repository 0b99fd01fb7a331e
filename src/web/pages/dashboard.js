import { t } from '../i18n.js';
import { h, heading, date, money, loading, problem } from '../dom.js';

export default async function render(ctx) {
  const me = ctx.me;
  const row = (k, v) => [h('dt', {}, t(k)), h('dd', {}, v)];
  // BL-5 at a glance: this month's spend, its projection and the cap; the charts are a click away
  const slot = h('div', { 'data-summary': '' }, loading(3));
  const month = h('section', { class: 'stack', 'aria-labelledby': 'month-h', 'data-month': '' },
    h('h2', { id: 'month-h' }, t('dashboard.month')), slot,
    h('p', {}, h('a', { href: ctx.root + 'billing' }, t('dashboard.see_billing'))));
  const figures = (s) => { // the Usage & billing page's figures, without their explanations
    const capped = s.cap_micros !== null && s.cap_micros !== undefined;
    const fig = (k, name, micros, text) => h('div', { class: 'figure' }, h('dt', {}, t(k)),
      h('dd', {}, h('span', { class: 'amount', 'data-figure': name, 'data-micros': micros }, text)));
    return h('dl', { class: 'figures' },
      fig('billing.month_to_date', 'mtd', s.month_to_date_micros, money(s.month_to_date_micros, s.currency)),
      fig('billing.projected', 'projected', s.projected_micros, money(s.projected_micros, s.currency)),
      fig('billing.cap', 'cap', s.cap_micros, capped ? money(s.cap_micros, s.currency) : t('billing.no_cap')));
  };
  ctx.main.append(h('section', { class: 'page' }, heading(t('dashboard.title')),
    h('p', { class: 'intro' }, t('dashboard.intro', { email: me.email })),
    month,
    h('div', { class: 'cards' },
      h('section', { class: 'card', 'aria-labelledby': 'acct-h' }, h('h2', { id: 'acct-h' }, t('dashboard.account')),
        h('dl', { class: 'facts' },
          row('field.email', me.email),
          row('field.plan', t('plan.' + me.plan)),
          row('field.role', t('role.' + me.role)),
          row('field.status', t('status.' + me.status)),
          row('field.credit', money(me.credit_micros, me.currency)),
          row('field.created', date(me.created_at)))),
      h('section', { class: 'card', 'aria-labelledby': 'sec-h' }, h('h2', { id: 'sec-h' }, t('dashboard.security')),
        h('dl', { class: 'facts' },
          row('dashboard.mfa', me.mfa && me.mfa.enabled ? t('common.on') : t('common.off')),
          row('dashboard.session_idle', date(me.session && me.session.idle_expires_at)),
          row('dashboard.session_max', date(me.session && me.session.expires_at))),
        h('p', {}, h('a', { href: ctx.root + 'security' }, t('dashboard.review_security')))))));
  try { slot.replaceChildren(figures(await ctx.api.get('/billing/summary'))); } catch (err) { slot.replaceChildren(problem(err)); }
}
