// keys.js: the API keys page: the list (sorted, filtered by status), create
// (the full key shown once in a dialog that closes only on a deliberate
// click), "Use this key" snippets, edit, revoke (confirmed by name), rotate
// (the new key once, both listed with the old one's end), per-key limits
// (requests and tokens per minute, a spending cap), and "Try it in the
// playground" from the create dialog (the key handed over in memory only).
// Step-up through stepup.js.
import { t, errorText } from '../i18n.js';
import { h, heading, field, actions, onSubmit, showError, date, money, loading, empty, problem, table, confirmDialog, id, decimalMicros, microsText } from '../dom.js';
import { withStepUp } from '../stepup.js';
import { offerKey } from './playground.js';

const SCOPES = ['chat', 'speech', 'video', 'image', 'music', 'voice', 'files'];
const STATUSES = ['active', 'expiring', 'revoked', 'expired'];
const WINDOWS = [0, 3600, 86400, 604800];

function say(el, text, ok) { el.textContent = text; el.className = ok ? 'action-error action-ok' : 'action-error'; }

/** A read-only monospace value with a Copy button beside it. */
function copyable(value, label, multiline) {
  const out = h('span', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const box = multiline
    ? h('pre', { class: 'snippet', tabindex: '0', 'aria-label': label }, h('code', {}, value))
    : h('input', { class: 'secret key-value', readonly: true, 'aria-label': label, spellcheck: 'false', value });
  if (!multiline) box.value = value;
  const copy = h('button', { type: 'button', class: 'small', onclick: async () => {
    try { await navigator.clipboard.writeText(value); say(out, t('keys.copied'), true); } catch { say(out, t('keys.copy_failed')); if (!multiline) box.select(); }
  } }, t('keys.copy'));
  return h('div', { class: 'copyable' }, box, h('div', { class: 'actions' }, copy, out));
}

/** The "Use this key" snippets, filled with this console's base URL. */
export function snippets(key) {
  const base = location.origin;
  const curl = `curl ${base}/v1/chat/completions \\\n  -H "Authorization: Bearer ${key}" \\\n  -H "Content-Type: application/json" \\\n  -d '{"model":"MiniMax-M2.7","messages":[{"role":"user","content":"Hello"}]}'`;
  const cli = `export MAXGATE_API_KEY=${key}\nmaxgate --base-url ${base} text chat --message "Hello"`;
  return h('div', { class: 'snippets', 'data-snippets': '' }, h('h3', {}, t('keys.use_title')),
    h('p', { class: 'hint' }, t('keys.use_curl')), copyable(curl, t('keys.use_curl'), true),
    h('p', { class: 'hint' }, t('keys.use_cli')), copyable(cli, t('keys.use_cli'), true));
}

/** The key, shown once: Copy, the warning, the snippets; closes on "I have saved it" (resolves
 * 'saved') or, with opts.playground, on "Try it in the playground" (resolves 'play'). */
function showKeyOnce(title, key, extra, opts = {}) {
  return new Promise((resolve) => {
    const titleId = id('key');
    const done = h('button', { type: 'button', class: 'primary', 'data-done': '' }, t('keys.saved_it'));
    const play = opts.playground ? h('button', { type: 'button', 'data-playground': '' }, t('keys.try_playground')) : null;
    const dlg = h('dialog', { class: 'dialog key-dialog', 'aria-labelledby': titleId, 'data-key-dialog': '' },
      h('h2', { id: titleId }, title),
      h('p', { class: 'warn-line' }, t('keys.once')),
      copyable(key, t('keys.full_key')),
      extra || null,
      snippets(key),
      h('div', { class: 'actions' }, done, play));
    const close = (how) => { dlg.close(); dlg.remove(); resolve(how); };
    done.addEventListener('click', () => close('saved'));
    if (play) play.addEventListener('click', () => close('play'));
    dlg.addEventListener('cancel', (e) => e.preventDefault()); // Esc does not lose the key
    document.body.append(dlg);
    dlg.showModal();
    dlg.querySelector('.key-value').focus();
    dlg.querySelector('.key-value').select();
  });
}

function scopeBoxes(name, checked) {
  return h('fieldset', { class: 'field checks', 'data-field': name },
    h('legend', {}, t('keys.scopes')), h('p', { class: 'hint' }, t('keys.scopes_hint')),
    h('div', { class: 'check-row' }, SCOPES.map((s) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'scope', value: s, checked: checked.includes(s) }), t('scope.' + s)))),
    h('p', { class: 'field-error', 'aria-live': 'polite' }));
}

function chosen(form) {
  return [...form.querySelectorAll('input[name=scope]:checked')].map((i) => i.value);
}

function modelsOf(text) {
  return String(text || '').split(',').map((s) => s.trim()).filter(Boolean);
}

// ---- limits: rpm, tpm (whole numbers >= 1) and cap_micros (entered as "5.00"); empty = none


/** "5", "5.2", "0.000001" -> integer micros without floating point; null for empty; NaN if malformed. */
export function capMicros(text) {
  const micros = decimalMicros(text);
  return micros === null || Number.isNaN(micros) || micros >= 1 ? micros : NaN;
}

/** Integer micros -> "5.00" / "0.000001" (at least 2 decimals), for the edit field. */
export function capText(micros) {
  return micros === null || micros === undefined ? '' : microsText(micros);
}

function wholeLimit(text) {
  const v = String(text || '').trim();
  if (!v) return null;
  return /^[1-9]\d{0,9}$/.test(v) ? Number(v) : NaN;
}

function limitFields(currency, limits) {
  const l = limits || {};
  return h('fieldset', { class: 'field limits' }, h('legend', {}, t('keys.limits')),
    h('p', { class: 'hint' }, t('keys.limits_hint', { currency })),
    h('div', { class: 'limit-row' },
      field({ name: 'rpm', label: t('keys.rpm'), value: l.rpm ?? '' }),
      field({ name: 'tpm', label: t('keys.tpm'), value: l.tpm ?? '' }),
      field({ name: 'cap_micros', label: t('keys.cap'), value: capText(l.cap_micros) })));
}

/** The form's limits {rpm, tpm, cap_micros} (null = none), or {error} to show under its field. */
function readLimits(v) {
  const out = { rpm: wholeLimit(v.rpm), tpm: wholeLimit(v.tpm), cap_micros: capMicros(v.cap_micros) };
  for (const f of ['rpm', 'tpm']) if (Number.isNaN(out[f])) return { error: { code: 'limit_whole', field: f } };
  if (Number.isNaN(out.cap_micros)) return { error: { code: 'cap_amount', field: 'cap_micros' } };
  return out;
}

/** The limit fields a request should carry: only those that differ from what the key has
 * (so a create or edit that sets no limit sends none). */
function limitChanges(limits, before) {
  const b = before || {};
  const out = {};
  for (const f of ['rpm', 'tpm', 'cap_micros']) if (limits[f] !== (b[f] ?? null)) out[f] = limits[f];
  return out;
}

function limitsCell(k, currency) {
  const l = k.limits || {};
  const parts = [];
  if (l.rpm) parts.push(t('keys.limit_rpm', { n: l.rpm }));
  if (l.tpm) parts.push(t('keys.limit_tpm', { n: l.tpm }));
  if (l.cap_micros) parts.push(t('keys.limit_cap', { amount: money(l.cap_micros, currency) }));
  return parts.length ? h('span', { 'data-limits': '' }, parts.join(' · ')) : h('span', { class: 'muted', 'data-limits': '' }, t('keys.no_limits'));
}

function statusTag(k) {
  const cls = k.status === 'active' ? 'tag' : k.status === 'expiring' ? 'tag warn' : 'tag off';
  return h('span', { class: cls, 'data-status': k.status }, t('keys.status_' + k.status));
}

/** The create form; after a key is made it shows the dialog and reloads. */
function createForm(ctx, regions, reload, currency) {
  const region = h('div', { class: 'field', 'data-field': 'region' },
    h('label', { for: 'key-region' }, t('keys.region')),
    h('select', { id: 'key-region', name: 'region' }, regions.map((r) => h('option', { value: r }, t('region.' + r)))),
    h('p', { class: 'field-error', 'aria-live': 'polite' }));
  const form = h('form', { novalidate: true, class: 'form', 'data-create': '' },
    field({ name: 'name', label: t('keys.name'), required: true, maxlength: 64, hint: t('keys.name_hint') }),
    region, scopeBoxes('scopes', SCOPES),
    field({ name: 'models', label: t('keys.models'), hint: t('keys.models_hint') }),
    limitFields(currency),
    actions(t('keys.create')));
  onSubmit(form, async (v) => {
    const name = (v.name || '').trim();
    if (!name) return showError(form, { code: 'field_missing', field: 'name' });
    const scopes = chosen(form);
    if (!scopes.length) return showError(form, { code: 'scopes_none', field: 'scopes' });
    const limits = readLimits(v);
    if (limits.error) return showError(form, limits.error);
    const body = { name, region: v.region || 'global', scopes, models: modelsOf(v.models), ...limitChanges(limits, null) };
    const k = await withStepUp(() => ctx.api.post('/keys', body));
    const how = await showKeyOnce(t('keys.created_title', { name: k.name }), k.key, null, { playground: true });
    form.reset();
    if (how === 'play') {
      offerKey(k.key);
      ctx.navigate(ctx.root + 'playground');
      return;
    }
    await reload(t('keys.created', { name: k.name }));
  });
  return h('section', { class: 'card', 'aria-labelledby': 'kc-h' }, h('h2', { id: 'kc-h' }, t('keys.create_title')),
    h('p', { class: 'hint' }, t('keys.create_intro')), form);
}

/** Edit in a dialog: name, scopes, models, limits. */
function editDialog(ctx, k, currency) {
  return new Promise((resolve) => {
    const titleId = id('edit');
    const cancel = h('button', { type: 'button' }, t('common.cancel'));
    const form = h('form', { novalidate: true, class: 'form' }, h('h2', { id: titleId }, t('keys.edit_title', { name: k.name })),
      field({ name: 'name', label: t('keys.name'), required: true, maxlength: 64, value: k.name }),
      scopeBoxes('scopes', k.scopes || []),
      field({ name: 'models', label: t('keys.models'), hint: t('keys.models_hint'), value: (k.models || []).join(', ') }),
      limitFields(currency, k.limits),
      actions(t('common.save'), cancel));
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, form);
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    cancel.addEventListener('click', () => done(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    onSubmit(form, async (v) => {
      const name = (v.name || '').trim();
      if (!name) return showError(form, { code: 'field_missing', field: 'name' });
      const scopes = chosen(form);
      if (!scopes.length) return showError(form, { code: 'scopes_none', field: 'scopes' });
      const limits = readLimits(v);
      if (limits.error) return showError(form, limits.error);
      const body = { name, scopes, models: modelsOf(v.models), ...limitChanges(limits, k.limits) };
      await withStepUp(() => ctx.api.patch('/keys/' + encodeURIComponent(k.id), body));
      done(true);
    });
    document.body.append(dlg);
    dlg.showModal();
    form.querySelector('input').focus();
  });
}

/** Rotate: the window, then the new key once. */
function rotateDialog(ctx, k) {
  return new Promise((resolve) => {
    const titleId = id('rot');
    const cancel = h('button', { type: 'button' }, t('common.cancel'));
    const form = h('form', { novalidate: true, class: 'form' }, h('h2', { id: titleId }, t('keys.rotate_title', { name: k.name })),
      h('p', {}, t('keys.rotate_body')),
      h('div', { class: 'field', 'data-field': 'window_seconds' }, h('label', { for: titleId + '-w' }, t('keys.window')),
        h('select', { id: titleId + '-w', name: 'window_seconds' },
          WINDOWS.map((w) => h('option', { value: String(w), selected: w === 86400 }, t('keys.window_' + w)))),
        h('p', { class: 'field-error', 'aria-live': 'polite' })),
      actions(t('keys.rotate'), cancel));
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, form);
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    cancel.addEventListener('click', () => done(null));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(null); });
    onSubmit(form, async (v) => {
      const r = await withStepUp(() => ctx.api.post('/keys/' + encodeURIComponent(k.id) + '/rotate', { window_seconds: Number(v.window_seconds) }));
      done(r);
    });
    document.body.append(dlg);
    dlg.showModal();
    form.querySelector('select').focus();
  });
}

const COLS = [
  { id: 'name', get: (k) => k.name.toLowerCase() },
  { id: 'status', get: (k) => STATUSES.indexOf(k.status) },
  { id: 'created', get: (k) => k.created_at || '' },
  { id: 'last_used', get: (k) => k.last_used_at || '' },
  { id: 'expires', get: (k) => k.expires_at || '~' },
];

function listSection(ctx, note, currency) {
  const slot = h('div', { class: 'list-slot' }, loading(4));
  const status = h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const view = { filter: '', sort: 'created', dir: -1 };
  let keys = [];
  const filter = h('select', { id: 'key-filter', 'data-filter': '' },
    h('option', { value: '' }, t('keys.filter_all')), STATUSES.map((s) => h('option', { value: s }, t('keys.status_' + s))));
  const sort = h('select', { id: 'key-sort', 'data-sort': '' }, COLS.map((c) => h('option', { value: c.id, selected: c.id === view.sort }, t('keys.sort_' + c.id))));
  const dir = h('button', { type: 'button', class: 'small', 'aria-pressed': 'true' }, t('keys.newest_first'));
  const tools = h('div', { class: 'toolbar' },
    h('label', { for: 'key-filter' }, t('keys.filter')), filter, h('label', { for: 'key-sort' }, t('keys.sort')), sort, dir);
  const draw = () => {
    const col = COLS.find((c) => c.id === view.sort);
    const rows = keys.filter((k) => !view.filter || k.status === view.filter)
      .sort((a, b) => { const x = col.get(a), y = col.get(b); return (x < y ? -1 : x > y ? 1 : 0) * view.dir; });
    dir.textContent = t(view.dir < 0 ? 'keys.desc' : 'keys.asc');
    if (!keys.length) return slot.replaceChildren(empty(t('keys.none')));
    if (!rows.length) return slot.replaceChildren(tools, empty(t('keys.none_status')));
    const act = (k) => {
      if (k.status === 'revoked' || k.status === 'expired') return '';
      const b = (label, fn, cls) => h('button', { type: 'button', class: 'small ' + (cls || ''), 'data-action': label, onclick: fn }, t('keys.' + label));
      return h('span', { class: 'row-actions' },
        b('edit', async () => { if (await editDialog(ctx, k, currency)) await load(t('keys.updated', { name: k.name })); }),
        b('rotate', async () => {
          const r = await rotateDialog(ctx, k);
          if (!r) return;
          const end = r.old_key_expires_at;
          await showKeyOnce(t('keys.rotated_title', { name: r.name }), r.key,
            h('p', { 'data-old-end': end || '' }, end ? [t('keys.old_until'), ' ', date(end)] : t('keys.old_revoked')));
          await load(t('keys.rotated', { name: r.name }));
        }),
        b('revoke', async (ev) => {
          const btn = ev.currentTarget;
          const ok = await confirmDialog({ title: t('keys.revoke_title', { name: k.name }), body: t('keys.revoke_body', { name: k.name }), confirm: t('keys.revoke') });
          if (!ok) return btn.focus();
          try { await withStepUp(() => ctx.api.del('/keys/' + encodeURIComponent(k.id))); await load(t('keys.revoked', { name: k.name })); } catch (err) { say(status, errorText(err)); }
        }, 'danger'));
    };
    const anyLimits = keys.some((k) => k.limits && Object.values(k.limits).some((v) => v !== null && v !== undefined));
    slot.replaceChildren(tools, table(t('keys.title'), [
      { label: t('keys.col_name'), cell: (k) => h('span', {}, h('span', { class: 'key-name' }, k.name), k.unused_90d ? h('span', { class: 'tag warn', 'data-unused': '' }, t('keys.unused_90d')) : null) },
      { label: t('keys.col_prefix'), cell: (k) => h('code', { class: 'key-prefix' }, (k.prefix || k.id) + '…') },
      { label: t('keys.col_region'), cell: (k) => t('region.' + k.region) },
      { label: t('keys.col_scopes'), cell: (k) => (k.scopes || []).map((s) => t('scope.' + s)).join(', ') || '—' },
      anyLimits ? { label: t('keys.col_limits'), cell: (k) => limitsCell(k, currency) } : null,
      { label: t('keys.col_status'), cell: statusTag },
      { label: t('keys.col_created'), cell: (k) => date(k.created_at) },
      { label: t('keys.col_last_used'), cell: (k) => date(k.last_used_at) },
      { label: t('keys.col_expires'), cell: (k) => (k.expires_at ? date(k.expires_at) : h('span', { class: 'muted' }, t('keys.no_expiry'))) },
      { label: t('security.col_action'), cell: act },
    ].filter(Boolean), rows));
    for (const tr of slot.querySelectorAll('tbody tr')) tr.dataset.key = rows[tr.sectionRowIndex].id;
  };
  filter.addEventListener('change', () => { view.filter = filter.value; draw(); });
  sort.addEventListener('change', () => { view.sort = sort.value; draw(); });
  dir.addEventListener('click', () => { view.dir = -view.dir; draw(); });
  const load = async (message) => {
    say(note, message || '', true);
    try { keys = (await ctx.api.get('/keys')).keys || []; } catch (err) { slot.replaceChildren(problem(err)); return; }
    draw();
  };
  return { section: h('section', { class: 'card', 'aria-labelledby': 'kl-h' }, h('h2', { id: 'kl-h' }, t('keys.list_title')), slot, status), load };
}

export default async function render(ctx) {
  const note = h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const currency = (ctx.me && ctx.me.currency) || 'USD';
  const list = listSection(ctx, note, currency);
  const cfg = await ctx.config();
  const regions = (cfg && Array.isArray(cfg.regions) && cfg.regions.length) ? cfg.regions : ['global', 'cn'];
  ctx.main.append(h('section', { class: 'page' }, heading(t('keys.title')), h('p', { class: 'hint' }, t('keys.intro')), note,
    list.section, createForm(ctx, regions, list.load, currency)));
  await list.load();
}
