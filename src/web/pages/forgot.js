import { t } from '../i18n.js';
import { h, field, actions, onSubmit } from '../dom.js';
import { card, links, done } from './parts.js';

export default async function render(ctx) {
  const form = h('form', { novalidate: true, class: 'form' },
    field({ name: 'email', label: t('field.email'), type: 'email', autocomplete: 'email', required: true }),
    actions(t('forgot.submit')));
  const c = card(ctx, t('forgot.title'), t('forgot.intro'), form,
    links(ctx, [['signup.have_account', 'login'], ['login.recovery', 'recovery']]));
  onSubmit(form, async (v) => {
    const email = v.email.trim();
    await ctx.api.post('/password/forgot', { email });
    done(form, t('forgot.done', { email }));
    c.querySelector('h1').focus();
  });
}
