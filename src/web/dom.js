// dom.js: small helpers every page uses: elements, forms with errors next to
// their cause, dates for people, confirmation dialogs.
import { t, errorText, language } from './i18n.js';

/** h('p', {class: 'x', onclick: fn}, 'text', child...) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false || c === '') continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let uid = 0;
export const id = (p) => `${p}-${++uid}`;

/** The page heading: focused by the router after each navigation. */
export function heading(text) {
  return h('h1', { class: 'page-title', tabindex: '-1' }, text);
}

/** A date in the browser's locale (in UTC, said so, when `utc`: a billing period's edge), the UTC time
 * in its title. */
export function date(iso, utc = false) {
  if (!iso) return h('span', { class: 'muted' }, t('common.never'));
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', {}, iso);
  const opts = utc ? { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' } : { dateStyle: 'medium', timeStyle: 'short' };
  const shown = new Intl.DateTimeFormat(language(), opts).format(d) + (utc ? ' UTC' : '');
  return h('time', { datetime: iso, title: d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') }, shown);
}

/** Money in micro-units. */
/** A decimal amount of the currency ("12", "0.30"; "12,5" too when `comma`; at most 6 decimals and
 * `whole` digits before the point) -> integer micros without floating point; null when empty, NaN
 * when it is not such an amount.  Every money input of the console reads through it. */
export function decimalMicros(text, whole = 9, comma = false) {
  const v = String(text ?? '').trim();
  if (!v) return null;
  const m = new RegExp(`^(\\d{1,${whole}})(?:[${comma ? '.,' : '.'}](\\d{1,6}))?$`).exec(v);
  if (!m) return NaN;
  return Number(m[1]) * 1e6 + Number((m[2] || '').padEnd(6, '0'));
}

/** Integer micros -> "5.00", "0.000001" (at least 2 decimals): what an edit field shows. */
export function microsText(micros) {
  const frac = String(micros % 1e6).padStart(6, '0').replace(/0+$/, '').padEnd(2, '0');
  return Math.floor(micros / 1e6) + '.' + frac;
}

export function money(micros, currency) {
  const v = (micros || 0) / 1e6;
  // two decimals, or for a small amount enough of them to show two significant digits (at most the 6 of a micro)
  const digits = v !== 0 && Math.abs(v) < 0.01 ? Math.min(6, Math.max(4, 1 - Math.floor(Math.log10(Math.abs(v))))) : 2;
  return new Intl.NumberFormat(language(), { style: 'currency', currency: currency || 'USD', minimumFractionDigits: digits }).format(v);
}

/** A price exactly: at least two decimals, and every digit it has ($0.052, $0.375, $0.0035). */
export function exactMoney(micros, currency) {
  const frac = String(Math.abs(micros || 0) % 1e6).padStart(6, '0').replace(/0+$/, '');
  const digits = Math.max(2, frac.length);
  return new Intl.NumberFormat(language(), { style: 'currency', currency: currency || 'USD', minimumFractionDigits: digits, maximumFractionDigits: digits }).format((micros || 0) / 1e6);
}

/**
 * A labelled input with its error slot under it.
 * field({name, label, type, autocomplete, required, hint, value})
 */
export function field(o) {
  const fid = id('f-' + o.name);
  const err = h('p', { class: 'field-error', id: fid + '-err', 'aria-live': 'polite' });
  const hint = o.hint ? h('p', { class: 'hint', id: fid + '-hint' }, o.hint) : null;
  const input = h(o.type === 'textarea' ? 'textarea' : 'input', {
    id: fid, name: o.name, type: o.type === 'textarea' ? undefined : (o.type || 'text'),
    autocomplete: o.autocomplete, required: o.required, maxlength: o.maxlength, rows: o.rows,
    'aria-describedby': [hint && hint.id, err.id].filter(Boolean).join(' '),
  });
  if (o.value !== undefined) input.value = o.value;
  return h('div', { class: 'field', 'data-field': o.name }, h('label', { for: fid }, o.label), hint, input, err);
}

/** A labelled <select> of [value, text] options with its error slot, as field() is for an input. */
export function selectField(name, label, options) {
  const fid = id('f-' + name);
  const err = h('p', { class: 'field-error', id: fid + '-err', 'aria-live': 'polite' });
  return h('div', { class: 'field', 'data-field': name }, h('label', { for: fid }, label),
    h('select', { name, id: fid, 'aria-describedby': err.id }, options.map(([v, text]) => h('option', { value: v }, text))), err);
}

/** The action row: the button and, beside it, the action's error or result. */
export function actions(label, extra) {
  return h('div', { class: 'actions' },
    h('button', { type: 'submit', class: 'primary' }, label), extra || null,
    h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' }));
}

/** Clears a form's errors. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error, .action-error, .action-ok')) { el.textContent = ''; el.className = el.className.replace(' action-ok', ''); }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/** Shows an ApiError: under its field when the form has it, else beside the button. */
export function showError(form, err) {
  const slot = err.field && form.querySelector(`[data-field="${CSS.escape(err.field)}"]`);
  if (slot) {
    slot.querySelector('.field-error').textContent = errorText(err);
    const input = slot.querySelector('input, textarea, select');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  const a = form.querySelector('.action-error');
  if (a) a.textContent = errorText(err);
}

/** A success line beside the button. */
export function showOk(form, text) {
  const a = form.querySelector('.action-error');
  if (a) { a.textContent = text; a.className = 'action-error action-ok'; }
}

/**
 * Wires a form: onsubmit(values) may throw an ApiError, shown next to its
 * cause.  The button is disabled while it runs (its width does not change).
 */
export function onSubmit(form, fn) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const btn = form.querySelector('button[type=submit]');
    const values = Object.fromEntries(new FormData(form).entries());
    btn.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try { await fn(values); } catch (err) { showError(form, err); } finally {
      btn.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  return form;
}

/** A confirmation in a <dialog>: resolves true when confirmed. */
export function confirmDialog({ title, body, confirm, danger = true }) {
  return new Promise((resolve) => {
    const titleId = id('dlg');
    const yes = h('button', { type: 'button', class: danger ? 'danger' : 'primary' }, confirm);
    const no = h('button', { type: 'button' }, t('common.cancel'));
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title), h('p', {}, body), h('div', { class: 'actions' }, yes, no));
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    yes.addEventListener('click', () => done(true));
    no.addEventListener('click', () => done(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    document.body.append(dlg);
    dlg.showModal();
    no.focus();
  });
}

/** A placeholder block of fixed height while data loads (no jump). */
export function loading(lines = 3) {
  return h('div', { class: 'loading', 'aria-busy': 'true' },
    h('span', { class: 'sr-only' }, t('common.loading')),
    ...Array.from({ length: lines }, () => h('div', { class: 'skeleton' })));
}

/** An empty state: what there is not, and what to do. */
export function empty(text) { return h('p', { class: 'empty' }, text); }

/** A page-level problem loading data (a lost session has its one banner instead). */
export function problem(err) {
  if (err && (err.code === 'session_required' || err.code === 'session_expired')) return h('p', { class: 'muted' }, '');
  return h('p', { class: 'problem', role: 'alert' }, errorText(err));
}

/** A table: cols [{label, cell(row)}].  The roles are explicit because the
 * phone layout restyles the cells as blocks, which would drop them. */
export function table(caption, cols, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { role: 'table' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, cols.map((c) => h('th', { scope: 'col', role: 'columnheader' }, c.label)))),
    h('tbody', { role: 'rowgroup' }, rows.map((r) => h('tr', { role: 'row' }, cols.map((c) => h('td', { role: 'cell', 'data-label': c.label }, c.cell(r))))))));
}

/** A button that runs fn, with its error beside it. */
export function actionButton(label, fn, cls) {
  const out = h('span', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const b = h('button', { type: 'button', class: cls || '' }, label);
  b.addEventListener('click', async () => {
    out.textContent = '';
    b.disabled = true;
    try { await fn(); } catch (err) { out.textContent = errorText(err); } finally { b.disabled = false; }
  });
  return h('span', { class: 'inline-action' }, b, out);
}

/** Reads the fragment's token (#token=...) and removes it from the address bar. */
export function takeFragmentToken() {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (location.hash) history.replaceState(history.state, '', location.pathname + location.search);
  return m ? m[1] : '';
}
