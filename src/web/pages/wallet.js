// wallet.js: Usage & billing > Wallet (issue 12): the account's prepaid
// credit — the balance, a form to redeem a code, and the ledger of every
// movement (redeemed codes, top-ups, adjustments, what invoices used),
// newest first with "Show more".  Unknown, used and expired codes get the
// one answer the API gives.
import { t } from '../i18n.js';
import { h, heading, field, actions, onSubmit, showError, showOk, money, date, loading, empty, problem, table } from '../dom.js';

const KINDS = ['opening', 'free_credit', 'redeem', 'topup', 'adjustment', 'invoice'];

function kindTag(kind) {
  return h('span', { class: 'tag' + (kind === 'invoice' || kind === 'adjustment' ? ' warn' : ''), 'data-kind': kind },
    KINDS.includes(kind) ? t('wallet.kind.' + kind) : kind);
}

export default async function render(ctx) {
  const balance = h('p', { class: 'big-number', 'data-balance': '', 'aria-live': 'polite' }, '…');
  const mode = h('p', { class: 'hint', 'data-wallet-only': '' });
  const slot = h('div', { class: 'list-slot' }, loading(3));
  const more = h('button', { type: 'button', 'data-more': '' }, t('common.show_more'));
  const moreSlot = h('div', {});
  const rows = [];
  let before = null;

  const form = h('form', { novalidate: true, class: 'form inline-form', 'data-redeem': '' },
    field({ name: 'code', label: t('wallet.code'), required: true, maxlength: 64, hint: t('wallet.code_hint'),
      autocomplete: 'off', spellcheck: 'false' }),
    actions(t('wallet.redeem')));

  const show = (r) => {
    balance.textContent = money(r.balance_micros, r.currency || 'USD');
    mode.textContent = r.wallet_only ? t('wallet.only') : t('wallet.not_only');
  };
  const draw = () => {
    if (!rows.length) { slot.replaceChildren(empty(t('wallet.empty'))); return; }
    slot.replaceChildren(table(t('wallet.ledger'), [
      { label: t('wallet.when'), cell: (x) => date(x.created_at) },
      { label: t('wallet.kind'), cell: (x) => kindTag(x.kind) },
      { label: t('wallet.amount'), cell: (x) => h('span', { class: 'num', 'data-amount': x.amount_micros }, money(x.amount_micros, 'USD')) },
      { label: t('wallet.reference'), cell: (x) => x.reference },
    ], rows));
  };
  const load = async (reset) => {
    let r;
    try { r = await ctx.api.get('/billing/wallet' + ctx.api.qs({ before: reset ? undefined : before || undefined })); } catch (err) {
      slot.replaceChildren(problem(err)); return;
    }
    if (reset) rows.length = 0;
    rows.push(...r.ledger);
    before = r.next_before;
    moreSlot.replaceChildren(...(before ? [more] : []));
    show(r);
    draw();
  };
  more.addEventListener('click', () => load(false));

  onSubmit(form, async (v) => {
    const code = (v.code || '').trim();
    if (!code) return showError(form, { code: 'field_missing', field: 'code' });
    let r;
    try {
      r = await ctx.api.post('/billing/redeem', { code });
    } catch (err) {
      if (err.code === 'field_invalid' && err.field === 'code') return showError(form, { code: 'code_invalid', field: 'code' });
      throw err;
    }
    form.reset();
    showOk(form, t('wallet.redeemed', { amount: money(r.credited_micros, 'USD'), balance: money(r.balance_micros, 'USD') }));
    await load(true);
  });

  ctx.main.append(h('section', { class: 'page' },
    h('p', { class: 'crumb' }, t('nav.billing')), heading(t('wallet.title')),
    h('section', { class: 'card', 'aria-labelledby': 'wb-h' }, h('h2', { id: 'wb-h' }, t('wallet.balance')), balance, mode,
      h('p', { class: 'hint' }, t('wallet.intro'))),
    h('section', { class: 'card', 'aria-labelledby': 'wr-h' }, h('h2', { id: 'wr-h' }, t('wallet.redeem_title')), form),
    h('section', { class: 'card', 'aria-labelledby': 'wl-h' }, h('h2', { id: 'wl-h' }, t('wallet.ledger')), slot, moreSlot)));
  await load(true);
}
