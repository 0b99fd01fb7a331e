import { t } from '../i18n.js';
import { h, field, actions, onSubmit } from '../dom.js';
import { card, links } from './parts.js';

export default async function render(ctx) {
  const form = h('form', { novalidate: true, class: 'form' },
    field({ name: 'email', label: t('field.email'), type: 'email', autocomplete: 'username', required: true }),
    field({ name: 'password', label: t('field.password'), type: 'password', autocomplete: 'current-password', required: true }),
    actions(t('login.submit')));
  const cfg = await ctx.config();
  const mode = cfg ? cfg.signup_mode : null;
  card(ctx, t('login.title'), t('login.intro'), form,
    links(ctx, [['login.forgot', 'forgot'],
      mode === 'open' ? ['login.signup', 'signup'] : mode === 'request' ? ['login.request', 'request-access'] : null,
      ['login.recovery', 'recovery']]));
  onSubmit(form, async (v) => {
    const account = await ctx.api.login(v.email.trim(), v.password);
    ctx.signedIn(account);
  });
}
