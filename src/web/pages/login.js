import { t } from '../i18n.js';
import { h, field, actions, onSubmit, clearErrors } from '../dom.js';
import { card, links } from './parts.js';
import { assertion } from '../webauthn.js';

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
    const r = await ctx.api.login(v.email.trim(), v.password);
    if (r.secondStep) return secondStep(ctx, r.secondStep);
    ctx.signedIn(r);
  });
}

/** The attempt's mfa_token is gone (expired, used, too many wrong codes): back to the password. */
function attemptOver(ctx) {
  ctx.main.replaceChildren();
  card(ctx, t('login.mfa_title'), null, h('div', { class: 'done', role: 'alert' }, h('p', {}, t('login.mfa_over')),
    h('button', { type: 'button', class: 'primary', onclick: () => ctx.navigate(ctx.root + 'login', { replace: true }) },
      t('session.sign_in_again'))));
  ctx.main.querySelector('h1').focus();
}

const gone = (err) => err.field === 'mfa_token' || err.code === 'session_required';

/** A code form: the 6-digit authenticator code or a recovery code. */
function codeForm(ctx, mfa, kind) {
  const totp = kind === 'totp';
  const name = totp ? 'totp_code' : 'recovery_code';
  const f = field({ name, label: t(totp ? 'login.totp_code' : 'login.recovery_code'), autocomplete: totp ? 'one-time-code' : 'off',
    required: true, maxlength: totp ? 6 : 64, hint: t(totp ? 'login.totp_hint' : 'login.recovery_hint') });
  const input = f.querySelector('input');
  if (totp) { input.setAttribute('inputmode', 'numeric'); input.setAttribute('pattern', '[0-9]{6}'); }
  input.classList.add(totp ? 'code-input' : 'recovery-input');
  input.setAttribute('spellcheck', 'false');
  input.setAttribute('autocapitalize', 'off');
  const form = h('form', { novalidate: true, class: 'form' }, f, actions(t('login.verify')));
  onSubmit(form, async (v) => {
    const code = (v[name] || '').trim();
    if (totp && !/^\d{6}$/.test(code.replace(/\s/g, ''))) throw { code: 'totp_format', field: name };
    if (!code) throw { code: 'field_missing', field: name };
    try {
      ctx.signedIn(await ctx.api.loginMfa(mfa.token, { [name]: totp ? code.replace(/\s/g, '') : code }));
    } catch (err) {
      if (gone(err)) return attemptOver(ctx);
      if (!err.field || err.field !== 'mfa_token') err.field = name; // a wrong code belongs under the field
      throw err;
    }
  });
  return form;
}

/** The security-key step: one button, the browser dialog, the error beside it. */
function keyForm(ctx, mfa) {
  const form = h('form', { novalidate: true, class: 'form' }, h('p', {}, t('login.key_intro')), actions(t('login.use_key')));
  onSubmit(form, async () => {
    try {
      const webauthn = await assertion('/login/webauthn/options', { mfa_token: mfa.token }, { quiet: true });
      ctx.signedIn(await ctx.api.loginMfa(mfa.token, { webauthn }));
    } catch (err) {
      if (gone(err)) return attemptOver(ctx);
      throw Object.assign(err, { field: null });
    }
  });
  return form;
}

/** The second step: the factor the account has, with the other ones a click away. */
function secondStep(ctx, mfa) {
  const methods = mfa.methods;
  const start = methods.includes('totp') ? 'totp' : methods.includes('webauthn') ? 'webauthn' : 'recovery_code';
  const show = (kind) => {
    ctx.main.replaceChildren();
    const body = kind === 'webauthn' ? keyForm(ctx, mfa) : codeForm(ctx, mfa, kind);
    const other = (k, key) => (k !== kind && methods.includes(k)
      ? h('button', { type: 'button', class: 'link-button', 'data-method': k, onclick: () => show(k) }, t(key)) : null);
    const intro = t(kind === 'totp' ? 'login.mfa_intro_totp' : kind === 'webauthn' ? 'login.mfa_intro_key' : 'login.mfa_intro_recovery');
    card(ctx, t('login.mfa_title'), intro, body,
      h('p', { class: 'card-links' }, other('totp', 'login.use_totp'), other('recovery_code', 'login.use_recovery'),
        other('webauthn', 'login.use_key_instead'),
        h('a', { href: ctx.root + 'login', onclick: (e) => { e.preventDefault(); ctx.navigate(ctx.root + 'login', { replace: true }); } },
          t('login.mfa_back'))));
    clearErrors(body);
    const first = body.querySelector('input') || body.querySelector('button[type=submit]');
    first.focus();
  };
  show(start);
}
