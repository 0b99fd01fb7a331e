import { t, errorText } from '../i18n.js';
import { h, heading, date, loading, problem, confirmDialog, id } from '../dom.js';
import { auditList } from './audit.js';

const PLANS = ['free', 'professional', 'enterprise'];
const ROLES = ['user', 'admin'];

export default async function render(ctx) {
  const page = h('section', { class: 'page' }, h('p', { class: 'crumb' }, h('a', { href: ctx.root + 'admin/accounts' }, t('admin.back'))),
    heading(t('admin.account_title')), loading(5));
  ctx.main.append(page);
  let a;
  try { a = await ctx.api.get('/admin/accounts/' + encodeURIComponent(ctx.params.id)); } catch (err) {
    page.lastChild.replaceWith(problem(err));
    return;
  }
  page.querySelector('h1').textContent = a.email;
  const status = h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const act = (label, path, confirm, cls) => h('button', { type: 'button', class: cls || '', onclick: async (ev) => {
    const btn = ev.currentTarget;
    if (confirm && !(await confirmDialog(confirm))) return btn.focus();
    status.textContent = '';
    try { await ctx.api.post('/admin/accounts/' + a.id + '/' + path); await rerender(); } catch (err) { status.textContent = errorText(err); }
  } }, label);
  const rerender = async () => { ctx.main.replaceChildren(); await render(ctx); };

  const row = (k, v) => [h('dt', {}, t(k)), h('dd', {}, v)];
  const facts = h('dl', { class: 'facts' },
    row('field.status', t('status.' + a.status)),
    row('admin.lock', a.locked ? [t('admin.locked_until'), ' ', date(a.locked_until)] : t('admin.not_locked')),
    row('admin.failed_logins', String(a.failed_logins ?? 0)),
    row('admin.sessions', String(a.sessions ?? 0)),
    row('field.created', date(a.created_at)),
    row('admin.last_login', date(a.last_login_at)));
  const buttons = h('div', { class: 'actions wrap' },
    a.status === 'suspended'
      ? act(t('admin.unsuspend'), 'unsuspend', null, 'primary')
      : act(t('admin.suspend'), 'suspend', { title: t('admin.suspend_title', { email: a.email }), body: t('admin.suspend_body'), confirm: t('admin.suspend') }, 'danger'),
    a.locked ? act(t('admin.unlock'), 'unlock') : null,
    act(t('admin.end_sessions'), 'end-sessions', { title: t('admin.end_sessions_title', { email: a.email }),
      body: t('admin.end_sessions_body', { n: a.sessions ?? 0 }), confirm: t('admin.end_sessions') }),
    status);

  const sel = (name, options, value, prefix) => {
    const sid = id('sel');
    const s = h('select', { id: sid, name }, options.map((o) => h('option', { value: o, selected: o === value }, t(prefix + o))));
    return h('div', { class: 'field', 'data-field': name }, h('label', { for: sid }, t('field.' + name)), s, h('p', { class: 'field-error', 'aria-live': 'polite' }));
  };
  const planForm = h('form', { class: 'form inline-form', novalidate: true },
    sel('plan', PLANS, a.plan, 'plan.'), sel('role', ROLES, a.role, 'role.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('common.save')),
      h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' })));
  planForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = planForm.querySelector('.action-error');
    out.textContent = '';
    const body = {};
    if (planForm.elements.plan.value !== a.plan) body.plan = planForm.elements.plan.value;
    if (planForm.elements.role.value !== a.role) body.role = planForm.elements.role.value;
    if (!Object.keys(body).length) { out.textContent = t('admin.nothing_changed'); return; }
    if (body.role && !(await confirmDialog({ title: t('admin.role_title', { email: a.email, role: t('role.' + body.role) }),
      body: t(body.role === 'admin' ? 'admin.role_admin_body' : 'admin.role_user_body'), confirm: t('common.save') }))) return;
    try { await ctx.api.patch('/admin/accounts/' + a.id, body); await rerender(); } catch (err) {
      const slot = err.field && planForm.querySelector(`[data-field="${err.field}"] .field-error`);
      (slot || out).textContent = errorText(err);
    }
  });

  const activity = h('section', { class: 'card', 'aria-labelledby': 'act-h' }, h('h2', { id: 'act-h' }, t('admin.recent_activity')));
  page.lastChild.replaceWith(h('div', { class: 'stack' },
    h('section', { class: 'card', 'aria-labelledby': 'st-h' }, h('h2', { id: 'st-h' }, t('admin.state')), facts, buttons),
    h('section', { class: 'card', 'aria-labelledby': 'pl-h' }, h('h2', { id: 'pl-h' }, t('admin.plan_role')), planForm),
    activity));
  auditList(activity, async () => ({ events: a.recent_activity || [], next_cursor: null }), { emptyKey: 'admin.no_activity' });
}
