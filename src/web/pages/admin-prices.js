// admin-prices.js: Admin > Prices (BL-1): the official price table (each row's
// source: the database, or built in / the config), Edit and Add model (amounts
// typed as decimals, turned into integer micro-units without floating point),
// Remove for a database row, and the ratios: the operator's, each plan's and
// each account's (typed as 0.40 or 40 %).  Every change needs step-up.
import { t, errorText } from '../i18n.js';
import { h, heading, field, actions, onSubmit, showError, showOk, loading, empty, problem, table, confirmDialog, id, decimalMicros, microsText } from '../dom.js';
import { withStepUp } from '../stepup.js';
import { PRICE_COLS, priceColumns } from './prices.js';

const MICROS = 1000000;
const MAX_PRICE = 1000000000000; // 10^12 micros, the API's ceiling
const MAX_RATIO = 100000000; // 100 times the official price
const PLANS = ['free', 'professional', 'enterprise'];

/** "0.30", "12", "0.000001" -> integer micros without floating point; 0 for empty; NaN if malformed. */
export function priceMicros(text) {
  const micros = decimalMicros(text, 7);
  if (micros === null) return 0;
  return micros <= MAX_PRICE ? micros : NaN;
}

/** Integer micros -> "0.30" (at least 2 decimals), for an edit field; empty for 0. */
export function priceText(micros) { return micros ? microsText(micros) : ''; }

/** "0.40" (a multiple) or "40 %" / "40%" -> ratio_ppm; null for empty; NaN if malformed. */
export function ratioPpm(text) {
  const v = String(text || '').trim();
  if (!v) return null;
  let m = /^(\d{1,5})(?:\.(\d{1,4}))?\s*%$/.exec(v);
  let ppm;
  if (m) ppm = Number(m[1]) * 10000 + Number((m[2] || '').padEnd(4, '0'));
  else if ((m = /^(\d{1,3})(?:\.(\d{1,6}))?$/.exec(v))) ppm = Number(m[1]) * MICROS + Number((m[2] || '').padEnd(6, '0'));
  else return NaN;
  return ppm <= MAX_RATIO ? ppm : NaN;
}

/** ratio_ppm -> "40 % (0.40)". */
export function ratioText(ppm) {
  const pct = String(Math.floor(ppm / 10000)) + (ppm % 10000 ? '.' + String(ppm % 10000).padStart(4, '0').replace(/0+$/, '') : '');
  return `${pct} % (${priceText(ppm) || '0.00'})`;
}

function scopeName(scope) {
  if (scope === 'global') return t('admin_prices.scope_global');
  const [kind, rest] = [scope.slice(0, scope.indexOf(':')), scope.slice(scope.indexOf(':') + 1)];
  if (kind === 'plan') return t('admin_prices.scope_plan', { plan: t('plan.' + rest) });
  return t('admin_prices.scope_account', { id: rest });
}

/** Edit (row given) or Add model (no row) in a dialog; resolves true when stored. */
function priceDialog(ctx, row) {
  return new Promise((resolve) => {
    const titleId = id('price');
    const cancel = h('button', { type: 'button' }, t('common.cancel'));
    const form = h('form', { novalidate: true, class: 'form' },
      h('h2', { id: titleId }, row ? t('admin_prices.edit_title', { model: row.model }) : t('admin_prices.add_title')),
      row ? null : field({ name: 'model', label: t('prices.col_model'), required: true, maxlength: 127, hint: t('admin_prices.model_hint') }),
      h('p', { class: 'hint' }, t('admin_prices.amount_hint')),
      h('div', { class: 'limit-row' }, PRICE_COLS.map((c) => field({ name: c, label: t('prices.col_' + c), value: row ? priceText(row[c + '_micros']) : '' }))),
      field({ name: 'max_output_tokens', label: t('prices.col_max_output'), value: row && row.max_output_tokens ? String(row.max_output_tokens) : '', hint: t('admin_prices.max_output_hint') }),
      field({ name: 'video_text', label: t('admin_prices.video_label'), value: row ? row.video_text || '' : '', maxlength: 600, hint: t('admin_prices.video_hint') }),
      actions(t('common.save'), cancel));
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, form);
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    cancel.addEventListener('click', () => done(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    onSubmit(form, async (v) => {
      const model = row ? row.model : (v.model || '').trim();
      if (!model) return showError(form, { code: 'field_missing', field: 'model' });
      const body = {};
      for (const c of PRICE_COLS) {
        body[c] = priceMicros(v[c]);
        if (Number.isNaN(body[c])) return showError(form, { code: 'price_amount', field: c });
      }
      body.video_text = String(v.video_text || '').trim(); // read by the server, which says what to fix next to the field
      if (!PRICE_COLS.some((c) => body[c] > 0) && !body.video_text) return showError(form, { code: 'price_none', field: PRICE_COLS[0] });
      const max = String(v.max_output_tokens || '').trim();
      if (max) {
        if (!/^[1-9]\d{0,8}$/.test(max)) return showError(form, { code: 'limit_whole', field: 'max_output_tokens' });
        body.max_output_tokens = Number(max);
      }
      await withStepUp(() => ctx.api.put('/admin/prices/' + encodeURIComponent(model), body));
      done(true);
    });
    document.body.append(dlg);
    dlg.showModal();
    form.querySelector('input').focus();
  });
}

function ratioForm(ctx, reload) {
  const fid = id('ratio-scope');
  const scope = h('div', { class: 'field', 'data-field': 'scope' }, h('label', { for: fid }, t('admin_prices.ratio_scope')),
    h('select', { id: fid, name: 'scope' }, h('option', { value: 'global' }, t('admin_prices.scope_global')),
      PLANS.map((p) => h('option', { value: 'plan:' + p }, t('admin_prices.scope_plan', { plan: t('plan.' + p) }))),
      h('option', { value: 'account' }, t('admin_prices.scope_an_account'))),
    h('p', { class: 'field-error', 'aria-live': 'polite' }));
  const account = field({ name: 'account_id', label: t('admin_prices.account_id'), hint: t('admin_prices.account_id_hint') });
  account.hidden = true;
  const form = h('form', { novalidate: true, class: 'form', 'data-ratio-form': '' }, h('h3', { class: 'form-title' }, t('admin_prices.ratio_change')), scope,
    account, field({ name: 'ratio_ppm', label: t('admin_prices.ratio'), hint: t('admin_prices.ratio_hint') }),
    actions(t('admin_prices.ratio_set')));
  const select = scope.querySelector('select');
  select.addEventListener('change', () => { account.hidden = select.value !== 'account'; });
  onSubmit(form, async (v) => {
    let where = v.scope;
    if (where === 'account') {
      const n = String(v.account_id || '').trim();
      if (!/^[1-9]\d{0,15}$/.test(n)) return showError(form, { code: 'account_id', field: 'account_id' });
      where = 'account:' + n;
    }
    const ppm = ratioPpm(v.ratio_ppm);
    if (Number.isNaN(ppm)) return showError(form, { code: 'ratio_amount', field: 'ratio_ppm' });
    if (ppm === null && where === 'global') return showError(form, { code: 'field_missing', field: 'ratio_ppm' });
    const [kind, name] = where === 'global' ? ['global', ''] : [where.slice(0, where.indexOf(':')), where.slice(where.indexOf(':') + 1)];
    const path = kind === 'global' ? '/admin/price-ratio' : `/admin/${kind === 'plan' ? 'plans' : 'accounts'}/${encodeURIComponent(name)}/price-ratio`;
    try {
      await withStepUp(() => ctx.api.put(path, { ratio_ppm: ppm }));
    } catch (err) {
      if (kind === 'account' && err.code === 'resource_not_found') return showError(form, { code: 'account_unknown', field: 'account_id' });
      throw err;
    }
    form.reset();
    account.hidden = true;
    await reload();
    showOk(form, ppm === null ? t('admin_prices.ratio_removed', { scope: scopeName(where) })
      : t('admin_prices.ratio_saved', { scope: scopeName(where), ratio: ratioText(ppm) }));
  });
  return form;
}

export default async function render(ctx) {
  const currency = (ctx.me && ctx.me.currency) || 'USD';
  const slot = h('div', { class: 'list-slot' }, loading(6));
  const ratios = h('div', { class: 'list-slot', 'data-ratios': '' }, loading(2));
  const status = h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const say = (text, ok) => { status.textContent = text; status.className = ok ? 'action-error action-ok' : 'action-error'; };
  const load = async () => {
    let doc;
    try { doc = await ctx.api.get('/admin/prices'); } catch (err) { slot.replaceChildren(problem(err)); ratios.replaceChildren(); return; }
    const rows = doc.prices || [];
    const list = [{ scope: 'global', ratio_ppm: doc.ratio_ppm }, ...(doc.ratios || []).filter((r) => r.scope !== 'global')];
    ratios.replaceChildren(table(t('admin_prices.ratios_title'), [
      { label: t('admin_prices.ratio_scope'), cell: (r) => scopeName(r.scope) },
      { label: t('admin_prices.ratio'), cell: (r) => h('span', { 'data-ppm': String(r.ratio_ppm) }, ratioText(r.ratio_ppm)) },
    ], list));
    for (const tr of ratios.querySelectorAll('tbody tr')) tr.dataset.scope = list[tr.sectionRowIndex].scope;
    if (!rows.length) return slot.replaceChildren(empty(t('prices.none')));
    const act = (r) => h('span', { class: 'row-actions' },
      h('button', { type: 'button', class: 'small', 'data-action': 'edit', onclick: async () => {
        if (await priceDialog(ctx, r)) { await load(); say(t('admin_prices.saved', { model: r.model }), true); }
      } }, t('admin_prices.edit')),
      r.source === 'database' ? h('button', { type: 'button', class: 'small danger', 'data-action': 'remove', onclick: async (ev) => {
        const btn = ev.currentTarget;
        const ok = await confirmDialog({ title: t('admin_prices.remove_title', { model: r.model }), body: t('admin_prices.remove_body'), confirm: t('admin_prices.remove') });
        if (!ok) return btn.focus();
        try {
          await withStepUp(() => ctx.api.del('/admin/prices/' + encodeURIComponent(r.model)));
          await load();
          say(t('admin_prices.removed', { model: r.model }), true);
        } catch (err) { say(errorText(err)); }
      } }, t('admin_prices.remove')) : null);
    slot.replaceChildren(table(t('admin_prices.list_title'), [
      { label: t('prices.col_model'), cell: (r) => h('code', {}, r.model) },
      ...priceColumns(rows, currency),
      { label: t('prices.col_max_output'), cell: (r) => (r.max_output_tokens ? String(r.max_output_tokens) : '—') },
      { label: t('admin_prices.col_source'), cell: (r) => h('span', { class: r.source === 'database' ? 'tag' : 'tag off' }, t(r.source === 'database' ? 'admin_prices.source_database' : 'admin_prices.source_builtin')) },
      { label: t('security.col_action'), cell: act },
    ], rows));
    for (const tr of slot.querySelectorAll('tbody tr')) tr.dataset.model = rows[tr.sectionRowIndex].model;
  };
  const add = h('button', { type: 'button', class: 'primary', 'data-action': 'add', onclick: async () => {
    if (await priceDialog(ctx, null)) { await load(); say(t('admin_prices.added'), true); }
  } }, t('admin_prices.add'));
  ctx.main.append(h('section', { class: 'page' }, heading(t('admin_prices.title')), h('p', { class: 'hint' }, t('admin_prices.intro')), status,
    h('section', { class: 'card', 'aria-labelledby': 'ap-h' }, h('h2', { id: 'ap-h' }, t('admin_prices.list_title')),
      h('div', { class: 'toolbar' }, add), slot),
    h('section', { class: 'card', 'aria-labelledby': 'ar-h' }, h('h2', { id: 'ar-h' }, t('admin_prices.ratios_title')),
      h('p', { class: 'hint' }, t('admin_prices.ratios_intro')), ratios, ratioForm(ctx, load))));
  await load();
}
