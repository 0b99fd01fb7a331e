import { t } from '../i18n.js';
import { h, heading } from '../dom.js';

export default function render(ctx) {
  ctx.main.append(h('section', { class: ctx.me ? 'page' : 'card auth-card' }, heading(t('notfound.title')),
    h('p', {}, t('notfound.text')), h('p', {}, h('a', { href: ctx.root + (ctx.me ? '' : 'login') }, ctx.me ? t('nav.dashboard') : t('login.title')))));
}
