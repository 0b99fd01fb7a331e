// stepup.js: when the API answers reauth_required, ask for the password in a
// small dialog, POST /me/reauth, and run the action again; what the user typed
// in the page stays where it is.
import { post } from './api.js';
import { t, errorText } from './i18n.js';
import { h, field, id } from './dom.js';

function askPassword() {
  return new Promise((resolve) => {
    const titleId = id('reauth');
    const f = field({ name: 'password', label: t('reauth.password'), type: 'password', autocomplete: 'current-password', required: true });
    const err = h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
    const cancel = h('button', { type: 'button' }, t('common.cancel'));
    const form = h('form', { method: 'dialog', novalidate: true }, h('h2', { id: titleId }, t('reauth.title')),
      h('p', {}, t('reauth.intro')), f,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('reauth.confirm')), cancel, err));
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, form);
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    cancel.addEventListener('click', () => done(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.textContent = '';
      try {
        await post('/me/reauth', { password: form.elements.password.value });
        done(true);
      } catch (ex) {
        err.textContent = errorText(ex);
      }
    });
    document.body.append(dlg);
    dlg.showModal();
    form.elements.password.focus();
  });
}

/** Runs fn(); on reauth_required asks for the password once and runs it again. */
export async function withStepUp(fn) {
  try {
    return await fn();
  } catch (err) {
    if (err.code !== 'reauth_required') throw err;
    if (!(await askPassword())) throw Object.assign(err, { code: 'reauth_cancelled' });
    return fn();
  }
}
