import { t } from '../i18n.js';
import { h, field, actions, onSubmit } from '../dom.js';
import { card, links, done } from './parts.js';

export default async function render(ctx) {
  const form = h('form', { novalidate: true, class: 'form' },
    field({ name: 'email', label: t('field.email'), type: 'email', autocomplete: 'email', required: true }),
    field({ name: 'description', label: t('recovery.description'), type: 'textarea', rows: 5, maxlength: 2000, required: true,
      hint: t('recovery.description_hint') }),
    actions(t('recovery.submit')));
  const c = card(ctx, t('recovery.title'), t('recovery.intro'), form, links(ctx, [['forgot.title', 'forgot'], ['signup.have_account', 'login']]));
  onSubmit(form, async (v) => {
    const email = v.email.trim();
    await ctx.api.post('/recovery-requests', { email, description: v.description.trim() });
    done(form, t('recovery.done', { email }));
    c.querySelector('h1').focus();
  });
}
