import { t } from '../i18n.js';
import { h, heading, date, loading, empty, problem, actionButton } from '../dom.js';

export default async function render(ctx) {
  const body = h('div', { class: 'list-slot' }, loading(3));
  ctx.main.append(h('section', { class: 'page' }, heading(t('notifications.title')), body));
  const load = async () => {
    let r;
    try { r = await ctx.api.get('/notifications'); } catch (err) { body.replaceChildren(problem(err)); return; }
    if (!r.notifications.length) { body.replaceChildren(empty(t('notifications.empty'))); return; }
    body.replaceChildren(h('ul', { class: 'notes' }, r.notifications.map((n) => h('li', { class: n.read ? 'note read' : 'note unread' },
      h('p', { class: 'note-text' }, n.read ? null : h('span', { class: 'tag' }, t('notifications.new')), n.text),
      h('p', { class: 'note-meta' }, date(n.time)),
      n.read ? null : actionButton(t('notifications.mark_read'), async () => {
        await ctx.api.post('/notifications/' + n.id + '/read');
        await load();
        ctx.refreshUnread();
      })))));
  };
  await load();
}
