// billing-cap.js: the cap and alert controls of the "Usage & billing" page
// (not a page itself).  GET/PUT /billing/cap (raising or removing the cap
// needs step-up: stepup.js asks and retries), GET/POST/DELETE
// /billing/alerts.  On the free plan the API answers plan_required and the
// section says plainly which plan has them; alerts are percentages of the cap,
// so without a cap the API answers 409 and the form says to set a cap first.
import { t, errorText } from '../i18n.js';
import { h, field, actions, onSubmit, date, money, loading, problem, table, confirmDialog, empty, actionButton, decimalMicros, microsText } from '../dom.js';
import { withStepUp } from '../stepup.js';

const FAMILIES = ['all', 'chat', 'speech', 'video', 'image', 'music', 'voice', 'files'];
const CHANNELS = ['email', 'in_app'];

/** "12.50" -> 12500000 micros; NaN when it is not an amount (empty included). */
export function toMicros(text) {
  const micros = decimalMicros(text, 9, true);
  return micros === null ? NaN : micros;
}

const amountText = microsText; /* 25000000 -> "25.00": what the cap box shows */

const gate = () => h('p', { class: 'gate', role: 'note', 'data-plan-gate': '' }, t('billing.plan_gate'));
const unavailable = (err) => err && (err.code === 'path_unknown' || err.code === 'not_found' || err.status === 404);

function serviceName(s) { return s === 'all' ? t('billing.alert_all') : t('scope.' + s); }

function capFacts(c) {
  const row = (k, v) => [h('dt', {}, t(k)), h('dd', {}, v)];
  const capped = c.cap_micros !== null && c.cap_micros !== undefined;
  return h('dl', { class: 'facts', 'data-cap-facts': '' },
    row('billing.cap', capped ? money(c.cap_micros) : t('billing.no_cap')),
    row('billing.spent', money(c.spent_micros)),
    capped ? row('billing.remaining_label', money(c.remaining_micros)) : null,
    row('billing.resets', date(c.period_end, true)));
}

async function capPart(ctx, slot, opts) {
  let c;
  try { c = await ctx.api.get('/billing/cap'); } catch (err) {
    if (err.code === 'plan_required') { slot.replaceChildren(gate()); return 'gated'; }
    slot.replaceChildren(unavailable(err) ? h('p', { class: 'muted' }, t('billing.cap_unavailable')) : problem(err));
    return unavailable(err) ? 'missing' : 'error';
  }
  const gateSlot = h('div', {}, opts.free ? gate() : null);
  opts.capped = Boolean(c.cap_micros);
  const put = async (capMicros) => {
    try {
      const r = await withStepUp(() => ctx.api.put('/billing/cap', { cap_micros: capMicros }));
      await capPart(ctx, slot, opts);
      if (opts.changed) await opts.changed();
      return r;
    } catch (err) {
      if (err.code === 'plan_required') { gateSlot.replaceChildren(gate()); err.field = 'cap_micros'; }
      throw err;
    }
  };
  const remove = c.cap_micros ? h('button', { type: 'button', 'data-cap-remove': '' }, t('billing.cap_remove')) : null;
  const form = onSubmit(h('form', { class: 'form inline-form', novalidate: true, 'data-cap-form': '' },
    field({ name: 'cap_micros', label: t('billing.cap_new'), hint: t('billing.cap_hint'), autocomplete: 'off',
      value: c.cap_micros ? amountText(c.cap_micros) : '' }),
    actions(t('billing.cap_set'), remove)), async (v) => {
    const micros = toMicros(v.cap_micros);
    if (!(micros > 0)) throw Object.assign(new Error(''), { code: 'cap_invalid', field: 'cap_micros', message: t('billing.cap_invalid') });
    await put(micros);
  });
  form.querySelector('input').setAttribute('inputmode', 'decimal');
  if (remove) remove.addEventListener('click', async () => {
    const out = form.querySelector('.action-error');
    out.textContent = '';
    if (!(await confirmDialog({ title: t('billing.cap_remove_confirm'), body: t('billing.cap_remove_body'), confirm: t('billing.cap_remove') }))) return;
    remove.disabled = true;
    try { await put(null); } catch (err) { out.textContent = errorText(err); } finally { remove.disabled = false; }
  });
  slot.replaceChildren(capFacts(c), gateSlot, form);
  return 'ok';
}

function alertsTable(ctx, list, reload) {
  if (!list.length) return empty(t('billing.alerts_empty'));
  return table(t('billing.alerts_title'), [
    { label: t('billing.alert_service'), cell: (a) => serviceName(a.service) },
    { label: t('billing.alert_threshold'), cell: (a) => a.threshold_percent + '%' },
    { label: t('billing.alert_channels'), cell: (a) => a.channels.map((x) => t('billing.channel_' + x)).join(', ') },
    { label: t('billing.alert_fired'), cell: (a) => (a.fired_this_period ? t('billing.alert_fired_yes') : t('billing.alert_fired_no')) },
    { label: '', cell: (a) => actionButton(t('billing.alert_delete'), async () => {
      const what = t('billing.alert_name', { percent: a.threshold_percent, service: serviceName(a.service) });
      if (!(await confirmDialog({ title: t('billing.alert_delete_confirm', { what }), body: t('billing.alert_delete_body'), confirm: t('billing.alert_delete') }))) return;
      await ctx.api.del('/billing/alerts/' + encodeURIComponent(a.id));
      await reload();
    }, 'small') },
  ], list);
}

async function alertsPart(ctx, slot, hasCap) {
  const listSlot = h('div', {}, loading(2));
  const gateSlot = h('div', {});
  const reload = async () => {
    try {
      const r = await ctx.api.get('/billing/alerts');
      listSlot.replaceChildren(alertsTable(ctx, r.alerts || [], reload));
    } catch (err) {
      if (err.code === 'plan_required') { listSlot.replaceChildren(); gateSlot.replaceChildren(gate()); return; }
      listSlot.replaceChildren(unavailable(err) ? h('p', { class: 'muted' }, t('billing.cap_unavailable')) : problem(err));
    }
  };
  const service = h('select', { name: 'service', id: 'alert-service' }, FAMILIES.map((s) => h('option', { value: s }, serviceName(s))));
  const form = onSubmit(h('form', { class: 'form', novalidate: true, 'data-alert-form': '' }, h('div', { class: 'filters' },
    h('div', { class: 'field', 'data-field': 'service' }, h('label', { for: 'alert-service' }, t('billing.alert_service')), service,
      h('p', { class: 'field-error', 'aria-live': 'polite' })),
    field({ name: 'threshold_percent', label: t('billing.alert_threshold'), hint: t('billing.alert_threshold_hint'), value: '80' }),
    h('fieldset', { class: 'field checks', 'data-field': 'channels' }, h('legend', {}, t('billing.alert_channels')),
      h('div', { class: 'check-row' }, CHANNELS.map((x) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'channel', value: x, checked: true }), t('billing.channel_' + x)))),
      h('p', { class: 'field-error', 'aria-live': 'polite' }))),
    actions(t('billing.alert_add'))), async (v) => {
    const pct = Number(v.threshold_percent);
    if (!Number.isInteger(pct) || pct < 1 || pct > 100)
      throw Object.assign(new Error(''), { code: 'threshold', field: 'threshold_percent', message: t('billing.alert_threshold_invalid') });
    const channels = [...form.querySelectorAll('input[name=channel]:checked')].map((i) => i.value);
    try {
      await ctx.api.post('/billing/alerts', { service: v.service, threshold_percent: pct, channels });
    } catch (err) {
      if (err.code === 'plan_required') gateSlot.replaceChildren(gate());
      if (err.status === 409 && !hasCap()) throw Object.assign(err, { code: 'alerts_need_cap', message: t('billing.alerts_need_cap') });
      throw err;
    }
    await reload();
  });
  form.querySelector('[name=threshold_percent]').setAttribute('inputmode', 'numeric');
  slot.replaceChildren(h('h3', {}, t('billing.alerts_title')), h('p', { class: 'hint' }, t('billing.alerts_intro')), gateSlot, listSlot, form);
  await reload();
}

/** Fills slot with the cap and the alerts; opts.changed() runs after the cap changed. */
export async function capControls(ctx, slot, opts = {}) {
  const capSlot = h('div', { 'data-cap-part': '' }, loading(2));
  const alertSlot = h('div', { 'data-alerts': '' });
  slot.replaceChildren(h('p', { class: 'hint' }, t('billing.cap_intro')), capSlot, alertSlot);
  opts.free = ctx.me && ctx.me.plan === 'free'; // the gate is said up front; the API's plan_required says it again
  const how = await capPart(ctx, capSlot, opts);
  if (how === 'missing' || how === 'gated') return; // no cap API here, or the plan has none: said once above
  await alertsPart(ctx, alertSlot, () => opts.capped);
}

