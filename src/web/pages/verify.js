import { t, errorText } from '../i18n.js';
import { h, takeFragmentToken, loading } from '../dom.js';
import { card, links } from './parts.js';

export default async function render(ctx) {
  const token = takeFragmentToken();
  const body = h('div', { class: 'result', role: 'status', 'aria-live': 'polite' });
  card(ctx, t('verify.title'), null, body, links(ctx, [['verify.to_login', 'login']]));
  if (!token) {
    body.append(h('p', { class: 'problem' }, t('link.missing_token')));
    return;
  }
  body.append(loading(1));
  try {
    await ctx.api.post('/signup/verify', { token });
    body.replaceChildren(h('p', {}, t('verify.done')));
  } catch (err) {
    body.replaceChildren(h('p', { class: 'problem' }, errorText(err)));
  }
}
