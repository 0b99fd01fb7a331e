import { t } from '../i18n.js';
import { h, heading, field, date, loading, empty, problem, table } from '../dom.js';

export default async function render(ctx) {
  const q0 = new URLSearchParams(location.search).get('q') || '';
  const form = h('form', { class: 'form search', role: 'search' },
    field({ name: 'q', label: t('admin.search_label'), type: 'search', value: q0, hint: t('admin.search_hint') }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('admin.search'))));
  const slot = h('div', { class: 'list-slot' });
  ctx.main.append(h('section', { class: 'page' }, heading(t('admin.accounts_title')), form, slot));
  const rows = [];
  const cols = [
    { label: t('field.email'), cell: (a) => h('a', { href: ctx.root + 'admin/accounts/' + a.id }, a.email) },
    { label: t('field.plan'), cell: (a) => t('plan.' + a.plan) },
    { label: t('field.role'), cell: (a) => t('role.' + a.role) },
    { label: t('field.status'), cell: (a) => [t('status.' + a.status), a.locked ? h('span', { class: 'tag warn' }, t('admin.locked')) : null] },
    { label: t('field.created'), cell: (a) => date(a.created_at) },
    { label: t('admin.last_login'), cell: (a) => date(a.last_login_at) },
  ];
  let seq = 0; // a search sent while another is running wins: the older answer is dropped
  const load = async (q, cursor) => {
    const mine = ++seq;
    if (!cursor) slot.replaceChildren(loading(4));
    let r;
    try { r = await ctx.api.get('/admin/accounts' + ctx.api.qs({ q, cursor, limit: 50 })); } catch (err) {
      if (mine === seq) slot.replaceChildren(problem(err));
      return;
    }
    if (mine !== seq) return;
    if (!cursor) rows.length = 0;
    rows.push(...r.accounts);
    if (!rows.length) { slot.replaceChildren(empty(q ? t('admin.no_match', { q }) : t('admin.no_accounts'))); return; }
    const more = r.next_cursor ? h('button', { type: 'button', onclick: () => load(q, r.next_cursor) }, t('common.show_more')) : null;
    slot.replaceChildren(table(t('admin.accounts_title'), cols, rows), more || '');
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = form.elements.q.value.trim();
    history.replaceState(null, '', location.pathname + ctx.api.qs({ q }));
    load(q, '');
  });
  await load(q0, '');
}
