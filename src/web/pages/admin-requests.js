import { t, errorText } from '../i18n.js';
import { h, heading, date, loading, empty, problem, table, confirmDialog } from '../dom.js';
import { eventName } from './audit.js';

const STATUSES = ['pending', 'approved', 'denied'];

/** Tabs of statuses over a list that reloads when one is chosen. */
function statusTabs(label, onPick) {
  let current = 'pending';
  const buttons = STATUSES.map((s) => h('button', { type: 'button', 'aria-pressed': String(s === current), 'data-status': s,
    onclick: () => { current = s; for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.status === s)); onPick(s); } },
  t('request_status.' + s)));
  return h('div', { class: 'tabs', role: 'group', 'aria-label': label }, buttons);
}

function decide(ctx, kind, r, verb, reload) {
  return h('button', { type: 'button', class: verb === 'approve' ? 'primary small' : 'danger small', onclick: async (ev) => {
    const btn = ev.currentTarget;
    const out = btn.parentElement.querySelector('.action-error');
    const ok = await confirmDialog({ title: t(`${kind}.${verb}_title`, { email: r.email }), body: t(`${kind}.${verb}_body`, { email: r.email }),
      confirm: t('requests.' + verb), danger: verb !== 'approve' });
    if (!ok) return btn.focus();
    out.textContent = '';
    try { await ctx.api.post(`/admin/${kind === 'access' ? 'access' : 'recovery'}-requests/${r.id}/${verb}`); await reload(); } catch (err) { out.textContent = errorText(err); }
  } }, t('requests.' + verb));
}

function decisionCell(ctx, kind, r, reload) {
  if (r.status !== 'pending') return [t('request_status.' + r.status), ' ', date(r.decided_at)];
  return h('span', { class: 'inline-action' }, decide(ctx, kind, r, 'approve', reload), ' ', decide(ctx, kind, r, 'deny', reload),
    h('span', { class: 'action-error', role: 'status', 'aria-live': 'polite' }));
}

function accessSection(ctx) {
  const slot = h('div', { class: 'list-slot' }, loading(3));
  let status = 'pending';
  const load = async () => {
    let r;
    try { r = await ctx.api.get('/admin/access-requests' + ctx.api.qs({ status })); } catch (err) { slot.replaceChildren(problem(err)); return; }
    if (!r.requests.length) { slot.replaceChildren(empty(t('access.empty_' + status))); return; }
    slot.replaceChildren(table(t('access.title'), [
      { label: t('field.email'), cell: (x) => x.email },
      { label: t('access.note'), cell: (x) => x.note || '—' },
      { label: t('requests.received'), cell: (x) => date(x.created_at) },
      { label: t('requests.decision'), cell: (x) => decisionCell(ctx, 'access', x, load) },
    ], r.requests));
  };
  load();
  return h('section', { class: 'card', 'aria-labelledby': 'ar-h' }, h('h2', { id: 'ar-h' }, t('access.title')),
    h('p', { class: 'hint' }, t('access.intro')), statusTabs(t('access.title'), (s) => { status = s; slot.replaceChildren(loading(3)); load(); }), slot);
}

function recoverySection(ctx) {
  const slot = h('div', { class: 'list-slot' }, loading(3));
  let status = 'pending';
  const load = async () => {
    let r;
    try { r = await ctx.api.get('/admin/recovery-requests' + ctx.api.qs({ status })); } catch (err) { slot.replaceChildren(problem(err)); return; }
    if (!r.requests.length) { slot.replaceChildren(empty(t('recovery_admin.empty_' + status))); return; }
    slot.replaceChildren(h('ul', { class: 'requests' }, r.requests.map((x) => h('li', { class: 'request' },
      h('h3', {}, x.email, ' ', x.account_id ? h('a', { href: ctx.root + 'admin/accounts/' + x.account_id }, t('recovery_admin.open_account')) :
        h('span', { class: 'tag warn' }, t('recovery_admin.no_account'))),
      h('p', { class: 'note-meta' }, t('requests.received'), ' ', date(x.created_at)),
      h('blockquote', {}, x.description),
      h('h4', {}, t('recovery_admin.recent_activity')),
      (x.recent_activity || []).length ? h('ul', { class: 'activity' }, x.recent_activity.map((e) => h('li', {}, date(e.time), ' · ', eventName(e.type), e.ip ? ' · ' + e.ip : '')))
        : empty(t('admin.no_activity')),
      h('div', { class: 'actions' }, decisionCell(ctx, 'recovery_admin', x, load))))));
  };
  load();
  return h('section', { class: 'card', 'aria-labelledby': 'rr-h' }, h('h2', { id: 'rr-h' }, t('recovery_admin.title')),
    h('p', { class: 'hint' }, t('recovery_admin.intro')), statusTabs(t('recovery_admin.title'), (s) => { status = s; slot.replaceChildren(loading(3)); load(); }), slot);
}

export default async function render(ctx) {
  ctx.main.append(h('section', { class: 'page' }, heading(t('requests.title')), accessSection(ctx), recoverySection(ctx)));
}
