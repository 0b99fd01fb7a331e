import { t } from '../i18n.js';
import { h, field, actions, onSubmit, problem } from '../dom.js';
import { card, links, passwordHint, done } from './parts.js';

export default async function render(ctx) {
  const cfg = await ctx.config();
  if (cfg && cfg.signup_mode === 'request') return ctx.navigate(ctx.root + 'request-access', { replace: true });
  const form = h('form', { novalidate: true, class: 'form' },
    field({ name: 'email', label: t('field.email'), type: 'email', autocomplete: 'email', required: true }),
    field({ name: 'password', label: t('field.password'), type: 'password', autocomplete: 'new-password', required: true,
      hint: passwordHint(cfg), maxlength: (cfg && cfg.password_max) || 128 }),
    actions(t('signup.submit')));
  const c = card(ctx, t('signup.title'), t('signup.intro'), cfg ? form : problem({ code: 'unavailable' }),
    links(ctx, [['signup.have_account', 'login']]));
  onSubmit(form, async (v) => {
    const email = v.email.trim();
    await ctx.api.post('/signup', { email, password: v.password });
    done(form, t('signup.done', { email }));
    c.querySelector('h1').focus();
  });
}
