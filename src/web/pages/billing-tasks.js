// billing-tasks.js: the "Async tasks" view of the usage log page (not a page
// itself): the account's video and speech tasks newest first (GET
// /usage/tasks) with the last state the gateway saw in a query answer —
// "submitted" until someone queries it — as a labelled tag (the word is the
// information, the colour only repeats it), model, key, created, a video's
// length and whether it is billed, filtered by kind and key, and "Load more"
// through next_cursor.
import { t, has, language } from '../i18n.js';
import { h, date, selectField, actions, onSubmit, loading, empty, problem, table } from '../dom.js';
import { qs } from '../api.js';

const PAGE = 50;

/** The upstream's word (Queueing, Processing, Success, Fail, ... or "processing" for speech) as one of ours. */
function stateKey(state) {
  const s = String(state || '').toLowerCase();
  if (s === 'fail' || s === 'failed') return 'failed';
  if (s === 'queueing' || s === 'queued') return 'queued';
  return s;
}

/** The state as a tag with its word; when the gateway first saw it is the tag's title (one element, so
 * the phone's label-and-value cell layout keeps it on one line). */
export function stateTag(state, at) {
  const k = stateKey(state);
  const label = has('tasks.state.' + k) ? t('tasks.state.' + k) : state;
  const cls = k === 'success' ? 'tag' : k === 'failed' ? 'tag warn' : 'tag off';
  const when = at ? new Intl.DateTimeFormat(language(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(at)) : '';
  return h('span', { class: cls, 'data-state': k, title: when ? t('tasks.state_since', { when }) : undefined }, label);
}

/** A video's length and resolution as its creation asked: "6 s · 768P". */
export function videoText(seconds, resolution) {
  const parts = [];
  if (seconds) parts.push(t('log.unit_video_seconds', { n: seconds }));
  if (resolution) parts.push(resolution);
  return parts.join(' · ');
}

function rows(tasks) {
  return table(t('tasks.title'), [
    { label: t('tasks.col_created'), cell: (x) => date(x.created_at) },
    { label: t('tasks.col_task'), cell: (x) => h('span', { class: 'mono', 'data-task-id': x.task_id }, x.task_id) },
    { label: t('tasks.col_kind'), cell: (x) => (has('scope.' + x.kind) ? t('scope.' + x.kind) : x.kind) },
    { label: t('tasks.col_model'), cell: (x) => x.model || '—' },
    { label: t('tasks.col_key'), cell: (x) => h('span', { class: 'mono' }, x.key || '—') },
    { label: t('tasks.col_state'), cell: (x) => stateTag(x.state, x.state_at) },
    { label: t('tasks.col_video'), cell: (x) => (x.kind === 'video' ? videoText(x.video_seconds, x.video_resolution) || '—' : '—') },
    { label: t('tasks.col_billed'), cell: (x) => (x.billed === undefined ? '—' : x.billed ? t('tasks.billed_yes') : t('tasks.billed_no')) },
  ], tasks);
}

/** The view: a section whose list loads when show() is first called; keys are the account's (GET /keys),
 * for the key filter. */
export function tasksView(ctx, keys = []) {
  const list = h('div', { class: 'list-slot', 'data-tasks': '' }, loading(3));
  const more = h('button', { type: 'button', 'data-tasks-more': '' }, t('log.load_more'));
  const moreSlot = h('span', {});
  const moreErr = h('span', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const refresh = h('button', { type: 'button', class: 'small', 'data-tasks-refresh': '' }, t('billing.refresh'));
  const form = h('form', { class: 'form log-filters', novalidate: true, 'data-tasks-filters': '' },
    h('div', { class: 'filters' },
      selectField('kind', t('tasks.col_kind'), [['', t('log.any')], ['video', t('scope.video')], ['speech', t('scope.speech')]]),
      selectField('key', t('log.key'), [['', t('log.any')], ...keys.map((k) => [k.id, `${k.name} (${k.id})`])])),
    actions(t('log.apply'), refresh));
  const el = h('section', { 'data-tasks-view': '', 'aria-labelledby': 'tasks-h', hidden: true },
    h('h2', { id: 'tasks-h', class: 'sr-only' }, t('tasks.title')),
    h('p', { class: 'intro' }, t('tasks.intro')), form, list,
    h('div', { class: 'actions' }, moreSlot, moreErr));
  let filters = {}, cursor = null, shown = [], started = false;
  const paint = () => {
    const any = filters.kind || filters.key;
    list.replaceChildren(shown.length ? rows(shown) : empty(any ? t('tasks.none_match') : t('tasks.empty')));
    moreSlot.replaceChildren(...(cursor ? [more] : []));
  };
  const page = async () => {
    const r = await ctx.api.get('/usage/tasks' + qs({ ...filters, limit: PAGE, cursor }));
    shown = shown.concat(r.tasks);
    cursor = r.next_cursor;
    paint();
  };
  const reload = async () => {
    cursor = null;
    shown = [];
    list.setAttribute('aria-busy', 'true');
    try { await page(); } finally { list.removeAttribute('aria-busy'); }
  };
  onSubmit(form, async (v) => {
    filters = { kind: v.kind, key: v.key };
    await reload();
  });
  refresh.addEventListener('click', () => reload().catch((err) => list.replaceChildren(problem(err))));
  more.addEventListener('click', async () => {
    moreErr.textContent = '';
    more.disabled = true;
    try { await page(); } catch (err) { moreErr.append(problem(err)); } finally { more.disabled = false; }
  });
  return {
    el,
    show() {
      el.hidden = false;
      if (!started) { started = true; reload().catch((err) => list.replaceChildren(problem(err))); }
    },
    hide() { el.hidden = true; },
  };
}
