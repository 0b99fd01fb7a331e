// stepup.js: when the API answers reauth_required, ask for the password or a
// second factor (as GET /me's mfa.methods offers: an authenticator code, a
// security key) in a small dialog, POST /me/reauth, and run the action again;
// what the user typed in the page stays where it is.
import { post, me } from './api.js';
import { t, errorText } from './i18n.js';
import { h, field, id } from './dom.js';
import { assertion } from './webauthn.js';

const WAYS = {
  password: { tab: 'reauth.with_password', intro: 'reauth.intro' },
  totp: { tab: 'reauth.with_totp', intro: 'reauth.intro_totp' },
  webauthn: { tab: 'reauth.with_key', intro: 'reauth.intro_key' },
};

function input(way) {
  if (way === 'password')
    return field({ name: 'password', label: t('reauth.password'), type: 'password', autocomplete: 'current-password', required: true });
  if (way === 'totp') {
    const f = field({ name: 'totp_code', label: t('reauth.totp_code'), autocomplete: 'one-time-code', required: true, maxlength: 6 });
    f.querySelector('input').setAttribute('inputmode', 'numeric');
    f.querySelector('input').classList.add('code-input');
    return f;
  }
  return null;
}

async function proof(way, form) {
  if (way === 'password') return { password: form.elements.password.value };
  if (way === 'totp') return { totp_code: form.elements.totp_code.value.replace(/\s/g, '') };
  return { webauthn: await assertion('/me/reauth/webauthn/options', {}) };
}

function ask(methods) {
  const ways = ['password', ...['totp', 'webauthn'].filter((m) => methods.includes(m))];
  return new Promise((resolve) => {
    const titleId = id('reauth');
    const intro = h('p', {});
    const slot = h('div', { class: 'reauth-slot' });
    const err = h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
    const cancel = h('button', { type: 'button' }, t('common.cancel'));
    let way = ways[0];
    const tabs = ways.length > 1 ? h('div', { class: 'tabs', role: 'group', 'aria-label': t('reauth.how') }) : null;
    const form = h('form', { method: 'dialog', novalidate: true }, h('h2', { id: titleId }, t('reauth.title')), tabs, intro, slot,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('reauth.confirm')), cancel, err));
    const pick = (w) => {
      way = w;
      intro.textContent = t(WAYS[w].intro);
      slot.replaceChildren(...[input(w)].filter(Boolean));
      err.textContent = '';
      if (tabs) for (const b of tabs.children) b.setAttribute('aria-pressed', String(b.dataset.way === w));
      (slot.querySelector('input') || form.querySelector('button[type=submit]')).focus();
    };
    if (tabs) for (const w of ways) tabs.append(h('button', { type: 'button', class: 'small', 'data-way': w, onclick: () => pick(w) }, t(WAYS[w].tab)));
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, form);
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    cancel.addEventListener('click', () => done(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.textContent = '';
      const btn = form.querySelector('button[type=submit]');
      btn.disabled = true;
      try {
        await post('/me/reauth', await proof(way, form));
        done(true);
      } catch (ex) {
        err.textContent = errorText(ex);
      } finally { btn.disabled = false; }
    });
    document.body.append(dlg);
    dlg.showModal();
    pick(way);
  });
}

/** The second factors the account can confirm with (GET /me's mfa.methods); none when it cannot be read. */
async function methods() {
  try { const m = await me(); return (m.mfa && m.mfa.methods) || []; } catch { return []; }
}

/** Runs fn(); on reauth_required asks for the password or a second factor once and runs it again. */
export async function withStepUp(fn) {
  try {
    return await fn();
  } catch (err) {
    if (err.code !== 'reauth_required') throw err;
    if (!(await ask(await methods()))) throw Object.assign(err, { code: 'reauth_cancelled' });
    return fn();
  }
}
