import { t } from '../i18n.js';
import { h, heading, field, id } from '../dom.js';
import { auditList, eventName } from './audit.js';

const TYPES = ['login.success', 'login.failure', 'login.locked', 'logout', 'session.revoked', 'sessions.revoked_all',
  'password.changed', 'password.reset_requested', 'password.reset', 'signup', 'signup.verified', 'access.requested',
  'access.approved', 'access.denied', 'recovery.requested', 'recovery.approved', 'recovery.denied', 'account.suspended',
  'account.unsuspended', 'account.unlocked', 'account.sessions_ended', 'account.updated', 'reauth.success', 'reauth.failure',
  'admin.created', 'login.password_ok', 'login.mfa_failure', 'mfa.totp_enabled', 'mfa.totp_removed', 'mfa.recovery_used',
  'mfa.recovery_regenerated', 'mfa.webauthn_added', 'mfa.webauthn_removed', 'mfa.sign_count_regressed'];

export default async function render(ctx) {
  const params = new URLSearchParams(location.search);
  const tid = id('type');
  const form = h('form', { class: 'form inline-form', role: 'search' },
    field({ name: 'account', label: t('audit.filter_account'), type: 'text', value: params.get('account') || '', hint: t('audit.filter_account_hint') }),
    h('div', { class: 'field' }, h('label', { for: tid }, t('audit.filter_type')),
      h('select', { id: tid, name: 'type' }, h('option', { value: '' }, t('audit.all_types')),
        TYPES.map((x) => h('option', { value: x, selected: x === params.get('type') }, eventName(x))))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('audit.filter'))));
  const list = h('div', {});
  ctx.main.append(h('section', { class: 'page' }, heading(t('audit.title')), form, list));
  const load = () => {
    const account = form.elements.account.value.trim(), type = form.elements.type.value;
    list.replaceChildren();
    return auditList(list, (cursor) => ctx.api.get('/admin/audit' + ctx.api.qs({ account, type, cursor, limit: 50 })), { admin: true, emptyKey: 'audit.empty_admin' });
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    history.replaceState(null, '', location.pathname + ctx.api.qs({ account: form.elements.account.value.trim(), type: form.elements.type.value }));
    load();
  });
  await load();
}
