import { t } from '../i18n.js';
import { h, heading, date, money } from '../dom.js';

export default async function render(ctx) {
  const me = ctx.me;
  const row = (k, v) => [h('dt', {}, t(k)), h('dd', {}, v)];
  ctx.main.append(h('section', { class: 'page' }, heading(t('dashboard.title')),
    h('p', { class: 'intro' }, t('dashboard.intro', { email: me.email })),
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
}
