// invoices.js: Usage & billing > Invoices: the signed-in account's invoices,
// newest first, with their status, the amount due and the PDF to download.
import { t } from '../i18n.js';
import { h, heading, date, money, loading, empty, problem, table } from '../dom.js';

/** The status as a tag (open, paid, void). */
export function statusTag(st) {
  return h('span', { class: 'tag' + (st === 'open' ? ' warn' : ''), 'data-status': st }, t('invoice_status.' + st));
}

/** The due date: "on receipt" when there is none. */
export function dueCell(inv) {
  return inv.due_at ? date(inv.due_at) : h('span', { class: 'muted' }, t('invoices.on_receipt'));
}

/** The PDF download link of an invoice (the API path; the session cookie authenticates it). */
export function pdfLink(path, inv) {
  return h('a', { href: path, download: inv.number + '.pdf', 'data-pdf': inv.id, 'aria-label': t('invoices.pdf_of', { number: inv.number }) },
    t('invoices.pdf'));
}

/** How to pay (BL-7): the account's terms, each way to pay on file, and prepaid credit. */
async function howToPay(ctx, card) {
  let pm;
  try { pm = await ctx.api.get('/billing/payment-methods'); } catch (err) { card.append(problem(err)); return; }
  card.append(h('p', { 'data-terms': pm.billing_mode }, t(pm.billing_mode === 'invoice' ? 'invoices.terms_net30' : 'invoices.terms_receipt')));
  if (!pm.methods.length) card.append(h('p', { class: 'hint', 'data-methods': 'none' }, t('invoices.no_methods')));
  for (const m of pm.methods) {
    card.append(h('div', { class: 'pay-method', 'data-method': m.kind },
      h('h3', {}, t('invoices.method_' + m.kind)), h('p', { class: 'mono pay-details' }, m.details), h('p', { class: 'hint' }, t('invoices.method_' + m.kind + '_how'))));
  }
  card.append(h('p', {}, t('invoices.prepaid'), ' ', h('a', { href: ctx.root + 'billing/wallet' }, t('invoices.wallet_open'))));
}

export default async function render(ctx) {
  const slot = h('div', { class: 'list-slot' }, loading(3));
  const pay = h('section', { class: 'card', 'aria-labelledby': 'pay-h', 'data-how-to-pay': '' }, h('h2', { id: 'pay-h' }, t('invoices.pay_title')));
  ctx.main.append(h('section', { class: 'page' },
    h('p', { class: 'crumb' }, t('nav.billing')), heading(t('invoices.title')),
    h('section', { class: 'card' }, h('p', { class: 'hint' }, t('invoices.intro')), slot), pay));
  howToPay(ctx, pay);
  let r;
  try { r = await ctx.api.get('/invoices'); } catch (err) { slot.replaceChildren(problem(err)); return; }
  if (!r.invoices.length) { slot.replaceChildren(empty(t('invoices.empty'))); return; }
  slot.replaceChildren(table(t('invoices.title'), [
    { label: t('invoices.number'), cell: (x) => h('span', { class: 'mono', 'data-number': '' }, x.number) },
    { label: t('invoices.period'), cell: (x) => x.period },
    { label: t('invoices.issued'), cell: (x) => date(x.issued_at) },
    { label: t('invoices.due'), cell: (x) => dueCell(x) },
    { label: t('invoices.status'), cell: (x) => statusTag(x.status) },
    { label: t('invoices.total'), cell: (x) => money(x.amount_due_micros, x.currency) },
    { label: t('invoices.balance'), cell: (x) => money(x.balance_micros, x.currency) },
    { label: t('invoices.download'), cell: (x) => pdfLink('/platform/v1/invoices/' + x.id + '/pdf', x) },
  ], r.invoices));
}
