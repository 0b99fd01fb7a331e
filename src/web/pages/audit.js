// audit.js: a table of security events with "Show more" (own and admin audit).
import { t, has } from '../i18n.js';
import { h, date, loading, empty, problem, table } from '../dom.js';

export const eventName = (type) => (has('audit.' + type) ? t('audit.' + type) : type);

/** Appends an audit table fed by fetchPage(cursor) -> {events, next_cursor}. */
export async function auditList(container, fetchPage, { admin = false, emptyKey = 'audit.empty' } = {}) {
  const slot = h('div', { class: 'list-slot' }, loading(4));
  container.append(slot);
  const rows = [];
  const cols = [
    { label: t('audit.col_time'), cell: (e) => date(e.time) },
    { label: t('audit.col_event'), cell: (e) => eventName(e.type) },
    ...(admin ? [{ label: t('audit.col_account'), cell: (e) => (e.account_id ? h('a', { href: '/console/admin/accounts/' + e.account_id }, '#' + e.account_id) : '—') },
      { label: t('audit.col_actor'), cell: (e) => (e.actor_id ? '#' + e.actor_id : '—') }] : []),
    { label: t('audit.col_ip'), cell: (e) => e.ip || '—' },
    { label: t('audit.col_detail'), cell: (e) => e.detail || '' },
  ];
  const more = async (cursor) => {
    let r;
    try { r = await fetchPage(cursor); } catch (err) { slot.replaceChildren(problem(err)); return; }
    rows.push(...r.events);
    if (!rows.length) { slot.replaceChildren(empty(t(emptyKey))); return; }
    const next = r.next_cursor ? h('button', { type: 'button', onclick: () => more(r.next_cursor) }, t('common.show_more')) : null;
    slot.replaceChildren(table(t('audit.caption'), cols, rows), next || '');
  };
  await more('');
}
