// prices.js: the customer's price list (BL-1): what the signed-in account pays
// per unit for each model (GET /prices: the official price times its ratio,
// already applied; no ratio is ever shown here).
import { t } from '../i18n.js';
import { h, heading, exactMoney, loading, problem, table, empty } from '../dom.js';

/** The price columns of a row, in the API's order. */
export const PRICE_COLS = ['input_per_mtok', 'output_per_mtok', 'cached_per_mtok', 'per_10k_chars', 'per_image', 'per_video', 'per_track', 'per_voice'];

/** The token columns get a column each; the others share one ("Per image: $0.0035"). */
export const TOKEN_COLS = PRICE_COLS.slice(0, 3);
const OTHER_COLS = PRICE_COLS.slice(3);

/** The table's price columns: the token ones some row has, then "Other prices" when some row has one. */
export function priceColumns(rows, currency) {
  const cols = TOKEN_COLS.filter((c) => rows.some((r) => r[c + '_micros']))
    .map((c) => ({ label: t('prices.col_' + c), cell: (r) => priceCell(r[c + '_micros'], currency) }));
  const hasVideo = (r) => r.video && r.video.length;
  if (rows.some((r) => hasVideo(r) || OTHER_COLS.some((c) => r[c + '_micros']))) {
    cols.push({ label: t('prices.col_other'), cell: (r) => {
      const parts = OTHER_COLS.filter((c) => r[c + '_micros']);
      if (!parts.length && !hasVideo(r)) return h('span', { class: 'muted' }, '—');
      return h('span', {}, parts.map((c, i) => h('span', { 'data-col': c }, i ? ' · ' : '', t('prices.col_' + c) + ': ', priceCell(r[c + '_micros'], currency))),
        hasVideo(r) ? h('span', { 'data-col': 'video' }, parts.length ? ' · ' : '', t('prices.col_video') + ': ', videoText(r.video, currency)) : null);
    } });
  }
  return cols;
}

/** A row's video entries: "768P 6 s $0.25, any resolution 10 s $0.52, 2K $0.13 a second". */
export function videoText(entries, currency) {
  return entries.map((v) => {
    const what = [v.resolution === '*' ? t('prices.video_any_res') : v.resolution];
    if (v.seconds) what.push(t('prices.video_seconds', { n: v.seconds }));
    const price = exactMoney(v.price_micros, currency);
    return what.join(' ') + ' ' + (v.per === 'second' ? t('prices.video_per_second', { price }) : price);
  }).join(', ');
}

/** A price in micros as money, or a dash for none. */
export function priceCell(micros, currency) {
  return micros ? h('span', { 'data-micros': String(micros) }, exactMoney(micros, currency)) : h('span', { class: 'muted' }, '—');
}

export default async function render(ctx) {
  const currency = (ctx.me && ctx.me.currency) || 'USD';
  const slot = h('div', { class: 'list-slot' }, loading(4));
  ctx.main.append(h('section', { class: 'page' }, heading(t('prices.title')), h('p', { class: 'hint' }, t('prices.intro')),
    h('section', { class: 'card', 'aria-labelledby': 'pr-h' }, h('h2', { id: 'pr-h' }, t('prices.list_title')), slot)));
  let rows;
  try { rows = (await ctx.api.get('/prices')).prices || []; } catch (err) { slot.replaceChildren(problem(err)); return; }
  if (!rows.length) return slot.replaceChildren(empty(t('prices.none')));
  slot.replaceChildren(table(t('prices.list_title'), [
    { label: t('prices.col_model'), cell: (r) => h('code', {}, r.model) },
    ...priceColumns(rows, currency),
    { label: t('prices.col_max_output'), cell: (r) => (r.max_output_tokens ? String(r.max_output_tokens) : '—') },
  ], rows));
  for (const tr of slot.querySelectorAll('tbody tr')) tr.dataset.model = rows[tr.sectionRowIndex].model;
}
