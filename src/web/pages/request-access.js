import { t } from '../i18n.js';
import { h, field, actions, onSubmit } from '../dom.js';
import { card, links, done } from './parts.js';

export default async function render(ctx) {
  const cfg = await ctx.config();
  if (cfg && cfg.signup_mode === 'open') return ctx.navigate(ctx.root + 'signup', { replace: true });
  const form = h('form', { novalidate: true, class: 'form' },
    field({ name: 'email', label: t('field.email'), type: 'email', autocomplete: 'email', required: true }),
    field({ name: 'note', label: t('request.note'), type: 'textarea', rows: 3, maxlength: 1000, hint: t('request.note_hint') }),
    actions(t('request.submit')));
  const c = card(ctx, t('request.title'), t('request.intro'), form, links(ctx, [['signup.have_account', 'login']]));
  onSubmit(form, async (v) => {
    const email = v.email.trim();
    const body = { email };
    if (v.note && v.note.trim()) body.note = v.note.trim();
    await ctx.api.post('/access-requests', body);
    done(form, t('request.done', { email }));
    c.querySelector('h1').focus();
  });
}
