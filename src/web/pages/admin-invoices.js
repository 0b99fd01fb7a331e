// admin-invoices.js: Admin > Invoices: every account's invoices filtered by
// status (and account), "Record payment" (amount and reference, in a dialog;
// partial payments add up, more than the balance is refused by the server),
// "Void" (confirmed), the PDF, and closing a finished month now.
import { t, errorText } from '../i18n.js';
import { h, heading, field, actions, onSubmit, showError, showOk, money, loading, empty, problem, table, confirmDialog, id, decimalMicros } from '../dom.js';
import { statusTag, dueCell, pdfLink } from './invoices.js';

const FILTERS = ['open', 'paid', 'void', ''];

/** "12.34" (currency units, at most 6 decimals) -> micros, or null when empty or malformed. */
export function toMicros(text) {
  const micros = decimalMicros(text, 9, true);
  return Number.isNaN(micros) ? null : micros;
}

function paymentDialog(ctx, inv) {
  return new Promise((resolve) => {
    const titleId = id('pay');
    const cancel = h('button', { type: 'button' }, t('common.cancel'));
    const form = h('form', { novalidate: true, class: 'form' }, h('h2', { id: titleId }, t('admin_invoices.pay_title', { number: inv.number })),
      h('p', { class: 'hint' }, t('admin_invoices.pay_balance', { amount: money(inv.balance_micros, inv.currency) })),
      field({ name: 'amount_micros', label: t('admin_invoices.amount', { currency: inv.currency }), required: true,
        value: (inv.balance_micros / 1e6).toFixed(2), hint: t('admin_invoices.amount_hint') }),
      field({ name: 'reference', label: t('admin_invoices.reference'), required: true, maxlength: 120, hint: t('admin_invoices.reference_hint') }),
      actions(t('admin_invoices.record'), cancel));
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, 'data-pay-dialog': '' }, form);
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    cancel.addEventListener('click', () => done(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    onSubmit(form, async (v) => {
      const micros = toMicros(v.amount_micros);
      if (!micros) return showError(form, { code: 'amount_invalid', field: 'amount_micros' });
      const reference = (v.reference || '').trim();
      if (!reference) return showError(form, { code: 'field_missing', field: 'reference' });
      try {
        await ctx.api.post('/admin/invoices/' + inv.id + '/payments', { amount_micros: micros, reference });
      } catch (err) {
        if (err.code === 'conflict' && err.field === 'amount_micros') return showError(form, { code: 'payment_over', field: 'amount_micros' });
        throw err;
      }
      done(true);
    });
    document.body.append(dlg);
    dlg.showModal();
    form.querySelector('input').focus();
  });
}

function actionsCell(ctx, inv, reload) {
  const out = h('span', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const pay = h('button', { type: 'button', class: 'primary small', 'data-pay': inv.id, onclick: async () => {
    if (await paymentDialog(ctx, inv)) await reload(); else pay.focus();
  } }, t('admin_invoices.record_payment'));
  const voidBtn = h('button', { type: 'button', class: 'danger small', 'data-void': inv.id, onclick: async () => {
    const ok = await confirmDialog({ title: t('admin_invoices.void_title', { number: inv.number }), body: t('admin_invoices.void_body'),
      confirm: t('admin_invoices.void') });
    if (!ok) return voidBtn.focus();
    out.textContent = '';
    try { await ctx.api.post('/admin/invoices/' + inv.id + '/void'); await reload(); } catch (err) { out.textContent = errorText(err); }
  } }, t('admin_invoices.void'));
  const open = inv.status === 'open';
  return h('span', { class: 'inline-action' }, open ? pay : null, ' ', open && !inv.paid_micros ? voidBtn : null, ' ',
    pdfLink('/platform/v1/admin/invoices/' + inv.id + '/pdf', inv), out);
}

function closeSection(ctx, reload) {
  const now = new Date();
  const prev = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const form = h('form', { novalidate: true, class: 'form inline-form' },
    field({ name: 'period', label: t('admin_invoices.period'), required: true, maxlength: 7, hint: t('admin_invoices.period_hint'),
      value: prev.toISOString().slice(0, 7) }),
    actions(t('admin_invoices.close')));
  onSubmit(form, async (v) => {
    const r = await ctx.api.post('/admin/invoices/close', { period: (v.period || '').trim() });
    showOk(form, t('admin_invoices.closed', { period: r.period, issued: r.issued, existing: r.existing }));
    await reload();
  });
  return h('section', { class: 'card', 'aria-labelledby': 'ic-h' }, h('h2', { id: 'ic-h' }, t('admin_invoices.close_title')),
    h('p', { class: 'hint' }, t('admin_invoices.close_intro')), form);
}

export default async function render(ctx) {
  let status = 'open';
  const slot = h('div', { class: 'list-slot' }, loading(3));
  const buttons = FILTERS.map((s) => h('button', { type: 'button', 'aria-pressed': String(s === status), 'data-status': s || 'all',
    onclick: () => { status = s; for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.status === (s || 'all'))); slot.replaceChildren(loading(3)); load(); } },
  s ? t('invoice_status.' + s) : t('admin_invoices.all')));
  const load = async () => {
    let r;
    try { r = await ctx.api.get('/admin/invoices' + ctx.api.qs({ status })); } catch (err) { slot.replaceChildren(problem(err)); return; }
    if (!r.invoices.length) { slot.replaceChildren(empty(t('admin_invoices.empty'))); return; }
    slot.replaceChildren(table(t('admin_invoices.title'), [
      { label: t('invoices.number'), cell: (x) => h('span', { class: 'mono' }, x.number) },
      { label: t('admin_invoices.account'), cell: (x) => h('a', { href: ctx.root + 'admin/accounts/' + x.account_id }, '#' + x.account_id) },
      { label: t('invoices.period'), cell: (x) => x.period },
      { label: t('invoices.due'), cell: (x) => dueCell(x) },
      { label: t('invoices.status'), cell: (x) => statusTag(x.status) },
      { label: t('invoices.total'), cell: (x) => money(x.amount_due_micros, x.currency) },
      { label: t('admin_invoices.paid'), cell: (x) => money(x.paid_micros, x.currency) },
      { label: t('admin_invoices.actions'), cell: (x) => actionsCell(ctx, x, load) },
    ], r.invoices));
  };
  ctx.main.append(h('section', { class: 'page' }, heading(t('admin_invoices.title')),
    h('section', { class: 'card' }, h('div', { class: 'tabs', role: 'group', 'aria-label': t('invoices.status') }, buttons), slot),
    closeSection(ctx, load)));
  load();
}
