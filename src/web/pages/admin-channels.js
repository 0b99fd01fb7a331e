// admin-channels.js: Admin > Channels (GW-7): the upstream channels of the
// config and of the database with their live state, Add (the upstream key in
// a password field, stored encrypted, never shown again; step-up), Edit
// (base URL, weight, models of a database channel), the on/off switch (live),
// Remove (a database channel), and Test (one request through the channel:
// the upstream's status and the latency beside the row).  Every change
// applies from the gateway's next request (requests already on a channel
// finish on it); a channel the gateway could not start shows "Not running".
import { t, errorText, has, language } from '../i18n.js';
import { h, heading, field, actions, onSubmit, showError, date, loading, empty, problem, table, confirmDialog, id } from '../dom.js';
import { withStepUp } from '../stepup.js';

function say(el, text, ok) { el.textContent = text; el.className = ok ? 'action-error action-ok' : 'action-error'; }

/** The API's own sentence says more for a conflict (which name, edit the config) than the catalogue can. */
function errText(err) {
  if (err && err.code === 'conflict' && err.message) return language() === 'en' ? err.message : `${t('error.conflict')}（${err.message}）`;
  return errorText(err);
}

function modelsOf(text) {
  return String(text || '').split(',').map((s) => s.trim()).filter(Boolean);
}

function weightOf(text) {
  const v = String(text || '').trim();
  if (!v) return null;
  return /^[1-9]\d{0,6}$/.test(v) && Number(v) <= 1000000 ? Number(v) : NaN;
}

function regionSelect(fid) {
  return h('div', { class: 'field', 'data-field': 'region' },
    h('label', { for: fid }, t('channels.region')),
    h('select', { id: fid, name: 'region' }, ['global', 'cn'].map((r) => h('option', { value: r }, t('region.' + r)))),
    h('p', { class: 'field-error', 'aria-live': 'polite' }));
}

/** A dialog with a form; resolves what submit(values) returns, or null on Cancel / Esc. */
function formDialog(title, fields, submitLabel, submit) {
  return new Promise((resolve) => {
    const titleId = id('ch');
    const cancel = h('button', { type: 'button' }, t('common.cancel'));
    const form = h('form', { novalidate: true, class: 'form' }, h('h2', { id: titleId }, title), ...fields, actions(submitLabel, cancel));
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, form);
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    cancel.addEventListener('click', () => done(null));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(null); });
    onSubmit(form, async (v) => {
      let r;
      try { r = await submit(v, form); } catch (err) {
        if (err.code !== 'conflict') throw err; // shown by onSubmit, next to its field
        return showError(form, { code: 'channel_conflict', field: err.field, message: errText(err) });
      }
      if (r) done(r);
    });
    document.body.append(dlg);
    dlg.showModal();
    form.querySelector('input, select').focus();
  });
}

function addDialog(ctx) {
  return formDialog(t('channels.add_title'), [
    field({ name: 'name', label: t('channels.name'), required: true, maxlength: 63, hint: t('channels.name_hint') }),
    regionSelect(id('ch-region')),
    field({ name: 'base_url', label: t('channels.base_url'), required: true, maxlength: 511, hint: t('channels.base_url_hint') }),
    field({ name: 'key', label: t('channels.key'), type: 'password', autocomplete: 'off', required: true, maxlength: 400, hint: t('channels.key_hint') }),
    field({ name: 'weight', label: t('channels.weight'), value: '1', hint: t('channels.weight_hint') }),
    field({ name: 'models', label: t('channels.models'), hint: t('channels.models_hint') }),
  ], t('channels.add'), async (v, form) => {
    const name = (v.name || '').trim(), base = (v.base_url || '').trim();
    if (!name) return showError(form, { code: 'field_missing', field: 'name' });
    if (!base) return showError(form, { code: 'field_missing', field: 'base_url' });
    if (!v.key) return showError(form, { code: 'field_missing', field: 'key' });
    const weight = weightOf(v.weight);
    if (Number.isNaN(weight)) return showError(form, { code: 'channel_weight', field: 'weight' });
    const body = { name, region: v.region || 'global', base_url: base, key: v.key, models: modelsOf(v.models) };
    if (weight !== null) body.weight = weight;
    const r = await withStepUp(() => ctx.api.post('/admin/channels', body));
    form.elements.key.value = ''; // the key leaves the page with the dialog
    return r;
  });
}

function editDialog(ctx, c) {
  return formDialog(t('channels.edit_title', { name: c.name }), [
    h('p', { class: 'hint' }, t('channels.edit_now')),
    field({ name: 'base_url', label: t('channels.base_url'), required: true, maxlength: 511, value: c.base_url }),
    field({ name: 'weight', label: t('channels.weight'), value: String(c.weight), hint: t('channels.weight_hint') }),
    field({ name: 'models', label: t('channels.models'), hint: t('channels.models_hint'), value: (c.models || []).join(', ') }),
  ], t('common.save'), async (v, form) => {
    const weight = weightOf(v.weight);
    if (weight === null || Number.isNaN(weight)) return showError(form, { code: 'channel_weight', field: 'weight' });
    const base = (v.base_url || '').trim();
    if (!base) return showError(form, { code: 'field_missing', field: 'base_url' });
    return ctx.api.patch('/admin/channels/' + encodeURIComponent(c.name), { base_url: base, weight, models: modelsOf(v.models) });
  });
}

function stateCell(c) {
  const st = c.state || {};
  const parts = [];
  if (!st.running) parts.push(h('span', { class: 'tag warn', 'data-state': 'not-running' }, t('channels.not_running')));
  else if (!c.enabled) parts.push(h('span', { class: 'tag off', 'data-state': 'off' }, t('channels.state_off')));
  else if (st.cooling_down_until) parts.push(h('span', { class: 'tag warn', 'data-state': 'cooling' }, t('channels.state_cooling')), date(st.cooling_down_until));
  else parts.push(h('span', { class: 'tag', 'data-state': 'on' }, t('channels.state_on')));
  if (st.running && st.failures) parts.push(h('span', { class: 'muted' }, t('channels.failures', { n: st.failures })));
  return h('span', { class: 'cell-stack' }, parts);
}

/** The test's result, for the slot beside the row's buttons. */
function testText(r) {
  if (r.ok) return t('channels.test_ok', { status: r.status, ms: r.latency_ms });
  const code = r.error && r.error.code;
  const why = code && has('channels.test_' + code) ? t('channels.test_' + code) : (r.error && r.error.message) || t('error.unknown');
  return r.status ? t('channels.test_status', { status: r.status, ms: r.latency_ms, why }) : t('channels.test_failed', { why });
}

export default async function render(ctx) {
  const note = h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const slot = h('div', { class: 'list-slot' }, loading(4));
  const addBtn = h('button', { type: 'button', class: 'primary', 'data-add': '' }, t('channels.add'));
  let list = [];
  const draw = () => {
    if (!list.length) return slot.replaceChildren(empty(t('channels.none')));
    const act = (c) => {
      const out = h('span', { class: 'action-error', role: 'status', 'aria-live': 'polite', 'data-result': '' });
      const b = (label, fn, cls, attrs) => {
        const btn = h('button', { type: 'button', class: 'small ' + (cls || ''), 'data-action': label, ...(attrs || {}) }, t('channels.' + label));
        btn.addEventListener('click', async () => {
          btn.disabled = true;
          say(out, '');
          try { await fn(out); } catch (err) { say(out, errText(err)); } finally { btn.disabled = false; }
        });
        return btn;
      };
      const db = c.source === 'database';
      return h('div', { class: 'channel-actions' }, h('span', { class: 'row-actions' },
        b(c.enabled ? 'turn_off' : 'turn_on', async () => {
          const r = await ctx.api.patch('/admin/channels/' + encodeURIComponent(c.name), { enabled: !c.enabled });
          await load(t(r.channel.enabled ? 'channels.turned_on' : 'channels.turned_off', { name: c.name }));
        }),
        b('test', async (o) => {
          say(o, t('channels.testing'), true);
          const r = await ctx.api.post('/admin/channels/' + encodeURIComponent(c.name) + '/test');
          say(o, testText(r), r.ok);
          o.dataset.status = r.status === null ? 'none' : String(r.status);
        }),
        db ? b('edit', async () => {
          const r = await editDialog(ctx, c);
          if (r) await load(t('channels.updated', { name: c.name }));
        }) : null,
        db ? b('remove', async (o) => {
          const ok = await confirmDialog({ title: t('channels.remove_title', { name: c.name }), body: t('channels.remove_body'), confirm: t('channels.remove') });
          if (!ok) return;
          await ctx.api.del('/admin/channels/' + encodeURIComponent(c.name));
          await load(t('channels.removed', { name: c.name }));
        }, 'danger') : null), out);
    };
    slot.replaceChildren(table(t('channels.title'), [
      { label: t('channels.col_name'), cell: (c) => h('span', { class: 'cell-stack' }, h('span', { class: 'key-name' }, c.name), h('span', { class: 'muted', 'data-source': c.source }, t('channels.source_' + c.source))) },
      { label: t('channels.col_upstream'), cell: (c) => h('span', { class: 'cell-stack' }, h('code', { class: 'channel-url' }, c.base_url), h('span', { class: 'muted' }, t('region.' + c.region))) },
      { label: t('channels.col_routing'), cell: (c) => h('span', { class: 'cell-stack' }, h('span', { class: 'nowrap' }, t('channels.weight_n', { n: c.weight })),
        h('span', { class: 'muted' }, c.models && c.models.length ? c.models.join(', ') : t('channels.any_model'))) },
      { label: t('channels.col_key'), cell: (c) => h('span', { class: 'muted' }, t('channels.key_' + (c.key_source || 'database'))) },
      { label: t('channels.col_state'), cell: stateCell },
      { label: t('security.col_action'), cell: act },
    ], list));
    for (const tr of slot.querySelectorAll('tbody tr')) tr.dataset.channel = list[tr.sectionRowIndex].name;
  };
  const load = async (message) => {
    say(note, message || '', true);
    try { list = (await ctx.api.get('/admin/channels')).channels || []; } catch (err) { slot.replaceChildren(problem(err)); return; }
    draw();
  };
  addBtn.addEventListener('click', async () => {
    const r = await addDialog(ctx);
    if (r) await load(t('channels.added', { name: r.channel.name }));
    else addBtn.focus();
  });
  ctx.main.append(h('section', { class: 'page' }, heading(t('channels.title')), h('p', { class: 'hint' }, t('channels.intro')), note,
    h('section', { class: 'card', 'aria-labelledby': 'chl-h' }, h('div', { class: 'toolbar' }, h('h2', { id: 'chl-h' }, t('channels.list_title')), addBtn), slot)));
  await load();
}
