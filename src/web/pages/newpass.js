// newpass.js: the page behind a mailed link that sets a password (reset and
// set-password): the token comes from the fragment, which is cleared at once.
import { t } from '../i18n.js';
import { h, field, actions, onSubmit, showError, takeFragmentToken } from '../dom.js';
import { card, links, passwordHint, done } from './parts.js';

export async function newPasswordPage(ctx, { title, intro, endpoint, doneKey }) {
  const token = takeFragmentToken();
  const cfg = await ctx.config();
  if (!token) {
    card(ctx, title, null, h('p', { class: 'problem', role: 'alert' }, t('link.missing_token')),
      links(ctx, [['forgot.title', 'forgot'], ['signup.have_account', 'login']]));
    return;
  }
  const form = h('form', { novalidate: true, class: 'form' },
    field({ name: 'new_password', label: t('field.new_password'), type: 'password', autocomplete: 'new-password', required: true,
      hint: passwordHint(cfg), maxlength: (cfg && cfg.password_max) || 128 }),
    field({ name: 'confirm', label: t('field.confirm_password'), type: 'password', autocomplete: 'new-password', required: true }),
    actions(t('newpass.submit')));
  const c = card(ctx, title, intro, form, links(ctx, [['signup.have_account', 'login']]));
  onSubmit(form, async (v) => {
    if (v.new_password !== v.confirm) {
      showError(form, { code: 'passwords_differ', field: 'confirm' });
      return;
    }
    await ctx.api.post(endpoint, { token, new_password: v.new_password });
    done(form, t(doneKey), h('p', {}, h('a', { href: ctx.root + 'login', class: 'button primary' }, t('verify.to_login'))));
    c.querySelector('h1').focus();
  });
}
