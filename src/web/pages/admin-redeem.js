// admin-redeem.js: Admin > Redeem codes (issue 12): create a batch of codes
// (value, count, optional expiry and label; step-up) — shown once in a
// dialog with a Copy button per code and one for all, that closes only on
// "I have saved them" — and the list of codes by their hint and state,
// never a code.
import { t } from '../i18n.js';
import { h, heading, field, actions, onSubmit, showError, money, date, loading, empty, problem, table, id } from '../dom.js';
import { withStepUp } from '../stepup.js';
import { toMicros } from './admin-invoices.js';

function say(el, text, ok) { el.textContent = text; el.className = ok ? 'action-error action-ok' : 'action-error'; }

function copyButton(value, label, text) {
  const out = h('span', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const b = h('button', { type: 'button', class: 'small', 'aria-label': label, onclick: async () => {
    try { await navigator.clipboard.writeText(value); say(out, t('keys.copied'), true); } catch { say(out, t('keys.copy_failed')); }
  } }, text || t('keys.copy'));
  return h('span', { class: 'inline-action' }, b, out);
}

/** The new codes, once: resolves when the admin says they are saved (Esc does not close it). */
function showCodesOnce(r) {
  return new Promise((resolve) => {
    const titleId = id('codes');
    const done = h('button', { type: 'button', class: 'primary', 'data-done': '' }, t('redeem_admin.saved_them'));
    const list = h('ul', { class: 'code-list', 'data-codes': '' }, r.codes.map((c) =>
      h('li', {}, h('code', { class: 'mono', 'data-code': '' }, c), ' ', copyButton(c, t('redeem_admin.copy_one', { code: c.slice(0, 8) })))));
    const dlg = h('dialog', { class: 'dialog key-dialog', 'aria-labelledby': titleId, 'data-codes-dialog': '' },
      h('h2', { id: titleId }, t('redeem_admin.created_title', { count: r.codes.length, value: money(r.value_micros, 'USD') })),
      h('p', { class: 'warn-line' }, t('redeem_admin.once')),
      list,
      h('div', { class: 'actions' }, copyButton(r.codes.join('\n'), t('redeem_admin.copy_all'), t('redeem_admin.copy_all')), done));
    done.addEventListener('click', () => { dlg.close(); dlg.remove(); resolve(); });
    dlg.addEventListener('cancel', (e) => e.preventDefault());
    document.body.append(dlg);
    dlg.showModal();
    done.focus();
  });
}

function stateTag(st) {
  return h('span', { class: 'tag' + (st === 'open' ? '' : ' warn'), 'data-state': st }, t('redeem_admin.state.' + st));
}

export default async function render(ctx) {
  const slot = h('div', { class: 'list-slot' }, loading(3));
  const load = async () => {
    let r;
    try { r = await ctx.api.get('/admin/redeem-codes'); } catch (err) { slot.replaceChildren(problem(err)); return; }
    if (!r.codes.length) { slot.replaceChildren(empty(t('redeem_admin.empty'))); return; }
    slot.replaceChildren(table(t('redeem_admin.list'), [
      { label: t('redeem_admin.hint'), cell: (x) => h('span', { class: 'mono' }, 'MGR-' + x.hint + '-…') },
      { label: t('redeem_admin.value'), cell: (x) => money(x.value_micros, 'USD') },
      { label: t('redeem_admin.batch'), cell: (x) => x.batch },
      { label: t('redeem_admin.state_col'), cell: (x) => stateTag(x.state) },
      { label: t('redeem_admin.expires'), cell: (x) => (x.expires_at ? date(x.expires_at) : t('common.never')) },
      { label: t('redeem_admin.redeemed'), cell: (x) => (x.redeemed_at ? h('a', { href: ctx.root + 'admin/accounts/' + x.redeemed_by }, date(x.redeemed_at)) : '') },
    ], r.codes));
  };
  const form = h('form', { novalidate: true, class: 'form', 'data-create-codes': '' },
    field({ name: 'value', label: t('redeem_admin.value_field'), required: true, hint: t('redeem_admin.value_hint'), value: '10.00' }),
    field({ name: 'count', label: t('redeem_admin.count'), required: true, hint: t('redeem_admin.count_hint'), value: '1', inputmode: 'numeric' }),
    field({ name: 'days', label: t('redeem_admin.days'), hint: t('redeem_admin.days_hint'), inputmode: 'numeric' }),
    field({ name: 'batch', label: t('redeem_admin.batch'), maxlength: 64, hint: t('redeem_admin.batch_hint') }),
    actions(t('redeem_admin.create')));
  onSubmit(form, async (v) => {
    const value = toMicros(v.value);
    if (!value) return showError(form, { code: 'amount_invalid', field: 'value' });
    const count = Number(v.count);
    if (!Number.isInteger(count) || count < 1 || count > 1000) return showError(form, { code: 'count_invalid', field: 'count' });
    const body = { value_micros: value, count };
    if ((v.days || '').trim()) {
      const days = Number(v.days);
      if (!Number.isInteger(days) || days < 1) return showError(form, { code: 'limit_whole', field: 'days' });
      body.expires_at = new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
    }
    if ((v.batch || '').trim()) body.batch = v.batch.trim();
    const r = await withStepUp(() => ctx.api.post('/admin/redeem-codes', body));
    await showCodesOnce(r);
    await load();
  });
  ctx.main.append(h('section', { class: 'page' }, heading(t('redeem_admin.title')),
    h('section', { class: 'card', 'aria-labelledby': 'rc-h' }, h('h2', { id: 'rc-h' }, t('redeem_admin.create_title')),
      h('p', { class: 'hint' }, t('redeem_admin.intro')), form),
    h('section', { class: 'card', 'aria-labelledby': 'rl-h' }, h('h2', { id: 'rl-h' }, t('redeem_admin.list')), slot)));
  load();
}
