import { t, errorText } from '../i18n.js';
import { h, heading } from '../dom.js';

export default function render(ctx) {
  ctx.main.append(h('section', { class: 'card auth-card' }, heading(t('unavailable.title')),
    h('p', { role: 'alert' }, errorText(ctx.error || { code: 'unavailable' })),
    h('p', {}, h('button', { type: 'button', class: 'primary', onclick: () => location.reload() }, t('common.retry')))));
}
