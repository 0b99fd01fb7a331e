// billing-log.js: the usage log (issue 12): the account's billed requests
// newest first, filtered by key, model, service, status and time, found by
// request id (the x-request-id header of a response), "Load more" through
// next_cursor, and "Export CSV" of the same filters (GET /usage/log.csv).
// Each request shows its latency; a video its length and resolution.  The
// second view, "Async tasks" (billing-tasks.js), lists the video and speech
// tasks with their state.
import { t, has, language } from '../i18n.js';
import { h, heading, field, selectField, actions, onSubmit, date, money, loading, empty, problem, table } from '../dom.js';
import { qs } from '../api.js';
import { tasksView, videoText } from './billing-tasks.js';

const SERVICES = ['chat', 'speech', 'video', 'image', 'music', 'voice', 'files'];
const PAGE = 50;

const num = (v) => new Intl.NumberFormat(language()).format(v);

/** The form's values as the API's filters (local datetimes become UTC). */
function filtersOf(v) {
  const iso = (x) => (x ? new Date(x).toISOString().replace(/\.\d+Z$/, 'Z') : '');
  return { request_id: (v.request_id || '').trim(), key: v.key, model: (v.model || '').trim(), service: v.service, status: v.status,
    from: iso(v.from), to: iso(v.to) };
}

/** 340 -> "340 ms", 1234 -> "1.2 s": the arrival of the request to the end of its answer. */
export function latencyText(ms) {
  if (typeof ms !== 'number') return '—';
  if (ms < 1000) return t('log.latency_ms', { n: num(ms) });
  return t('log.latency_s', { n: new Intl.NumberFormat(language(), { maximumFractionDigits: 1 }).format(Math.floor(ms / 100) / 10) });
}

function units(e) {
  const u = e.units || {};
  if (e.video_seconds || e.video_resolution) return videoText(e.video_seconds, e.video_resolution);
  if (u.input_tokens || u.output_tokens) return t('log.tokens', { input: num(u.input_tokens), output: num(u.output_tokens) });
  for (const k of ['characters', 'images', 'videos', 'tracks', 'voices']) if (u[k]) return t('log.unit_' + k, { n: num(u[k]) });
  return '—';
}

function rows(events) {
  return table(t('log.title'), [
    { label: t('log.col_time'), cell: (e) => date(e.time) },
    { label: t('log.col_request'), cell: (e) => h('span', { class: 'mono', 'data-request-id': e.request_id }, e.request_id) },
    { label: t('log.col_key'), cell: (e) => h('span', { class: 'mono' }, e.key) },
    { label: t('log.col_model'), cell: (e) => e.model },
    { label: t('log.col_service'), cell: (e) => (has('scope.' + e.service) ? t('scope.' + e.service) : e.service) },
    { label: t('log.col_status'), cell: (e) => String(e.http_status) + (e.estimated ? ' · ' + t('log.estimated') : '') },
    { label: t('log.col_latency'), cell: (e) => h('span', { 'data-latency-ms': e.latency_ms }, latencyText(e.latency_ms)) },
    { label: t('log.col_units'), cell: (e) => units(e) },
    { label: t('log.col_cost'), cell: (e) => money(e.cost_micros) },
  ], events);
}

export default async function render(ctx) {
  let keys = [];
  try { keys = (await ctx.api.get('/keys', { quiet: true })).keys || []; } catch { keys = []; }
  const list = h('div', { class: 'list-slot', 'data-log': '' }, loading(4));
  const more = h('button', { type: 'button', 'data-more': '' }, t('log.load_more'));
  const moreSlot = h('span', {});
  const moreErr = h('span', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const exportLink = h('a', { class: 'button', href: '/platform/v1/usage/log.csv', download: '', 'data-export': '' }, t('log.export'));
  const form = h('form', { class: 'form log-filters', novalidate: true, 'data-log-filters': '' },
    field({ name: 'request_id', label: t('log.request_id'), hint: t('log.request_id_hint'), autocomplete: 'off', maxlength: 39 }),
    // the other filters: open on a desktop, folded on a phone so the events are on the first screen
    h('details', { class: 'more-filters', open: !window.matchMedia('(max-width: 760px)').matches },
      h('summary', {}, t('log.more_filters')), h('div', { class: 'filters' },
      selectField('key', t('log.key'), [['', t('log.any')], ...keys.map((k) => [k.id, `${k.name} (${k.id})`])]),
      field({ name: 'model', label: t('log.model'), autocomplete: 'off', maxlength: 95 }),
      selectField('service', t('log.service'), [['', t('log.any')], ...SERVICES.map((s) => [s, t('scope.' + s)])]),
      selectField('status', t('log.status'), [['', t('log.any')], ['ok', t('log.status_ok')], ['error', t('log.status_error')]]),
      field({ name: 'from', label: t('log.from'), type: 'datetime-local' }),
      field({ name: 'to', label: t('log.to'), type: 'datetime-local' }))),
    actions(t('log.apply'), exportLink));
  // two views of the page: the billed requests (the filters, the list) and the async tasks
  const requests = h('div', { 'data-requests-view': '' }, h('p', { class: 'intro' }, t('log.intro')), form, list,
    h('div', { class: 'actions' }, moreSlot, moreErr));
  const tasks = tasksView(ctx, keys);
  const views = h('div', { class: 'tabs', role: 'group', 'aria-label': t('log.views') },
    [['requests', t('log.view_requests')], ['tasks', t('log.view_tasks')]].map(([v, label]) =>
      h('button', { type: 'button', 'data-view': v, 'aria-pressed': String(v === 'requests'), onclick: () => show(v) }, label)));
  const show = (v) => {
    for (const b of views.children) b.setAttribute('aria-pressed', String(b.dataset.view === v));
    requests.hidden = v !== 'requests';
    if (v === 'tasks') tasks.show(); else tasks.hide();
  };
  ctx.main.append(h('section', { class: 'page' },
    h('p', { class: 'crumb' }, h('a', { href: ctx.root + 'billing' }, t('log.back'))),
    heading(t('log.title')), views, requests, tasks.el));

  let filters = {}, cursor = null, shown = [];
  const paint = () => {
    list.replaceChildren(shown.length ? rows(shown) : empty(filters.request_id ? t('log.not_found') : t('log.empty')));
    moreSlot.replaceChildren(...(cursor ? [more] : []));
  };
  const page = async () => {
    const r = await ctx.api.get('/usage/log' + qs({ ...filters, limit: PAGE, cursor }));
    shown = shown.concat(r.events);
    cursor = r.next_cursor;
    paint();
  };
  onSubmit(form, async (v) => {
    filters = filtersOf(v);
    exportLink.href = '/platform/v1/usage/log.csv' + qs(filters);
    cursor = null;
    shown = [];
    list.setAttribute('aria-busy', 'true');
    try { await page(); } finally { list.removeAttribute('aria-busy'); }
  });
  more.addEventListener('click', async () => {
    moreErr.textContent = '';
    more.disabled = true;
    try { await page(); } catch (err) { moreErr.append(problem(err)); } finally { more.disabled = false; }
  });
  try { await page(); } catch (err) { list.replaceChildren(problem(err)); }
}
