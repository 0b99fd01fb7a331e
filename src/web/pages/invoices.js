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

export default async function render(ctx) {
  const slot = h('div', { class: 'list-slot' }, loading(3));
  ctx.main.append(h('section', { class: 'page' },
    h('p', { class: 'crumb' }, t('nav.billing')), heading(t('invoices.title')),
    h('section', { class: 'card' }, h('p', { class: 'hint' }, t('invoices.intro')), slot)));
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
