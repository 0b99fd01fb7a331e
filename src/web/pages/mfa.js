// mfa.js: the Security page's "Two-step verification" card (not a page
// itself): the authenticator app (QR code, secret, first code), the recovery
// codes (shown once), the security keys.  Every change goes through step-up.
import { t, errorText } from '../i18n.js';
import { h, field, actions, onSubmit, showError, date, loading, empty, problem, table, confirmDialog } from '../dom.js';
import { withStepUp } from '../stepup.js';
import { register, supported } from '../webauthn.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * The server's QR code as an SVG element: parsed as image/svg+xml (never as
 * HTML), only SVG shape elements and their geometry/fill attributes kept.
 */
export function qrElement(svgText, label) {
  const doc = new DOMParser().parseFromString(String(svgText || ''), 'image/svg+xml');
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== SVG_NS || root.localName !== 'svg' || doc.getElementsByTagName('parsererror').length) return null;
  const SHAPES = new Set(['svg', 'g', 'rect', 'path', 'polygon', 'circle', 'title', 'desc']);
  const ATTRS = /^(viewBox|width|height|x|y|d|points|cx|cy|r|fill|stroke|stroke-width|shape-rendering|transform|version|xmlns)$/;
  for (const el of [root, ...root.querySelectorAll('*')]) {
    if (el.namespaceURI !== SVG_NS || !SHAPES.has(el.localName)) { el.remove(); continue; }
    for (const a of [...el.attributes]) if (!ATTRS.test(a.name)) el.removeAttribute(a.name);
  }
  const node = document.adoptNode(root);
  node.setAttribute('role', 'img');
  node.setAttribute('aria-label', label);
  node.removeAttribute('width');
  node.removeAttribute('height');
  return node;
}

/** The recovery codes, shown once: Copy, Download (.txt), and a deliberate Done. */
function codesPanel(codes, onDone) {
  const out = h('span', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const text = codes.join('\n') + '\n';
  const copy = h('button', { type: 'button', onclick: async () => {
    try { await navigator.clipboard.writeText(text); out.textContent = t('mfa.copied'); out.className = 'action-error action-ok'; } catch { out.textContent = t('mfa.copy_failed'); }
  } }, t('mfa.copy'));
  const download = h('button', { type: 'button', onclick: () => {
    const url = URL.createObjectURL(new Blob([t('mfa.codes_file_head') + '\n\n' + text], { type: 'text/plain' }));
    const a = h('a', { href: url, download: 'maxgate-recovery-codes.txt', class: 'sr-only' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  } }, t('mfa.download'));
  const box = h('div', { class: 'codes-panel', role: 'region', 'aria-label': t('mfa.codes_title') },
    h('h3', {}, t('mfa.codes_title')),
    h('p', { class: 'warn-line' }, t('mfa.codes_once')),
    h('ol', { class: 'codes' }, codes.map((c) => h('li', {}, h('code', {}, c)))),
    h('p', { class: 'hint' }, t('mfa.codes_hint')),
    h('div', { class: 'actions' }, copy, download, h('button', { type: 'button', class: 'primary', onclick: onDone }, t('mfa.codes_done')), out));
  return box;
}

function statusTag(on) { return h('span', { class: on ? 'tag' : 'tag warn' }, t(on ? 'mfa.on' : 'mfa.off')); }

function say(el, text, ok) { el.textContent = text; el.className = ok ? 'action-error action-ok' : 'action-error'; }

/** The authenticator app: Set up (QR, secret, first code) or Remove. */
function totpBlock(ctx, mfa, reload, showCodes) {
  const on = mfa.methods.includes('totp');
  const status = h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const block = h('div', { class: 'mfa-block', 'data-mfa': 'totp' },
    h('h3', {}, t('mfa.totp'), statusTag(on)), h('p', { class: 'hint' }, t('mfa.totp_intro')));
  if (on) {
    const rm = h('button', { type: 'button', class: 'danger' }, t('mfa.totp_remove'));
    rm.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: t('mfa.totp_remove_title'), body: t('mfa.totp_remove_body'), confirm: t('mfa.totp_remove') });
      if (!ok) return rm.focus();
      try { await withStepUp(() => ctx.api.del('/me/mfa/totp')); await reload(t('mfa.totp_removed')); } catch (err) { say(status, errorText(err)); }
    });
    block.append(h('div', { class: 'actions' }, rm, status));
    return block;
  }
  const setup = h('button', { type: 'button', class: 'primary' }, t('mfa.totp_setup'));
  setup.addEventListener('click', async () => {
    say(status, '');
    setup.disabled = true;
    let r;
    try { r = await withStepUp(() => ctx.api.post('/me/mfa/totp', {})); } catch (err) { say(status, errorText(err)); return; } finally { setup.disabled = false; }
    const qr = qrElement(r.qr_svg, t('mfa.qr_label'));
    const f = field({ name: 'code', label: t('mfa.first_code'), autocomplete: 'one-time-code', required: true, maxlength: 6, hint: t('mfa.first_code_hint') });
    f.querySelector('input').setAttribute('inputmode', 'numeric');
    f.querySelector('input').classList.add('code-input');
    const cancel = h('button', { type: 'button', onclick: () => reload() }, t('common.cancel'));
    const form = h('form', { novalidate: true, class: 'form' }, f, actions(t('mfa.totp_confirm'), cancel));
    onSubmit(form, async (v) => {
      const code = (v.code || '').replace(/\s/g, '');
      if (!/^\d{6}$/.test(code)) return showError(form, { code: 'totp_format', field: 'code' });
      const done = await ctx.api.post('/me/mfa/totp/confirm', { code });
      const codes = (done && done.recovery_codes) || [];
      if (codes.length) showCodes(codes, t('mfa.totp_enabled'));
      else await reload(t('mfa.totp_enabled'));
    });
    block.replaceChildren(h('h3', {}, t('mfa.totp_setup_title')),
      h('ol', { class: 'steps' }, h('li', {}, t('mfa.step_scan')), h('li', {}, t('mfa.step_code'))),
      h('div', { class: 'totp-setup' },
        qr ? h('div', { class: 'qr' }, qr) : h('p', { class: 'problem' }, t('mfa.qr_missing')),
        h('div', { class: 'manual' }, h('p', { class: 'hint' }, t('mfa.manual')),
          h('p', {}, h('code', { class: 'secret', 'data-secret': '' }, r.secret_base32.replace(/(.{4})(?=.)/g, '$1 '))),
          h('p', { class: 'hint' }, t('mfa.manual_params')))),
      form);
    form.querySelector('input').focus();
  });
  block.append(h('div', { class: 'actions' }, setup, status));
  return block;
}

/** How many recovery codes are left, and Regenerate. */
function recoveryBlock(ctx, mfa, showCodes) {
  const left = mfa.recovery_codes_left || 0;
  const status = h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const regen = h('button', { type: 'button' }, t('mfa.regenerate'));
  regen.addEventListener('click', async () => {
    const ok = await confirmDialog({ title: t('mfa.regenerate_title'), body: t('mfa.regenerate_body'), confirm: t('mfa.regenerate') });
    if (!ok) return regen.focus();
    try {
      const r = await withStepUp(() => ctx.api.post('/me/mfa/recovery-codes', {}));
      showCodes(r.recovery_codes || [], t('mfa.regenerated'));
    } catch (err) { say(status, errorText(err)); }
  });
  return h('div', { class: 'mfa-block', 'data-mfa': 'recovery' }, h('h3', {}, t('mfa.recovery')),
    h('p', { class: 'hint' }, t('mfa.recovery_intro')),
    h('p', { 'data-left': String(left) }, left === 1 ? t('mfa.codes_left_one') : t('mfa.codes_left', { n: left })),
    h('div', { class: 'actions' }, regen, status));
}

/** The security keys: list, add (a name, the browser dialog), remove. */
function keysBlock(ctx, mfa, reload, showCodes) {
  const slot = h('div', { class: 'list-slot' }, loading(2));
  const status = h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, class: 'form inline-form' },
    field({ name: 'name', label: t('mfa.key_name'), required: true, maxlength: 64, hint: t('mfa.key_name_hint') }),
    actions(t('mfa.key_add')));
  onSubmit(form, async (v) => {
    const name = (v.name || '').trim();
    if (!name) return showError(form, { code: 'field_missing', field: 'name' });
    const r = await withStepUp(() => register(name));
    const codes = (r && r.recovery_codes) || []; // the first factor of an account comes with recovery codes
    if (codes.length) showCodes(codes, t('mfa.key_added', { name }));
    else await reload(t('mfa.key_added', { name }));
  });
  const block = h('div', { class: 'mfa-block', 'data-mfa': 'webauthn' },
    h('h3', {}, t('mfa.keys'), statusTag(mfa.methods.includes('webauthn'))), h('p', { class: 'hint' }, t('mfa.keys_intro')), slot,
    supported() ? form : h('p', { class: 'problem' }, t('error.webauthn_unsupported')), status);
  (async () => {
    let r;
    try { r = await ctx.api.get('/me/mfa/webauthn'); } catch (err) { slot.replaceChildren(problem(err)); return; }
    const keys = r.keys || [];
    const remove = (k) => async (ev) => {
      const btn = ev.currentTarget;
      const ok = await confirmDialog({ title: t('mfa.key_remove_title', { name: k.name }), body: t('mfa.key_remove_body', { name: k.name }), confirm: t('mfa.key_remove') });
      if (!ok) return btn.focus();
      try { await withStepUp(() => ctx.api.del('/me/mfa/webauthn/' + encodeURIComponent(k.id))); await reload(t('mfa.key_removed', { name: k.name })); } catch (err) { say(status, errorText(err)); }
    };
    slot.replaceChildren(keys.length ? table(t('mfa.keys'), [
      { label: t('mfa.col_name'), cell: (k) => k.name },
      { label: t('mfa.col_added'), cell: (k) => date(k.created_at) },
      { label: t('mfa.col_used'), cell: (k) => date(k.last_used_at) },
      { label: t('security.col_action'), cell: (k) => h('button', { type: 'button', class: 'small', onclick: remove(k) }, t('mfa.key_remove')) },
    ], keys) : empty(t('mfa.no_keys')));
  })();
  return block;
}

/** The card; it redraws itself from GET /me after each change. */
export function mfaSection(ctx) {
  const body = h('div', { class: 'mfa-body' }, loading(4));
  const note = h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const section = h('section', { class: 'card', 'aria-labelledby': 'mfa-h', id: 'two-step' }, h('h2', { id: 'mfa-h' }, t('mfa.title')),
    h('p', { class: 'hint' }, t('mfa.intro')), note, body);
  const draw = async (message) => {
    let me;
    try { me = await ctx.refreshMe(); } catch (err) { body.replaceChildren(problem(err)); return; }
    const mfa = { methods: [], recovery_codes_left: 0, ...(me.mfa || {}) };
    say(note, message || '', true);
    const showCodes = (codes, message2) => {
      say(note, message2 || '', true);
      body.replaceChildren(codesPanel(codes, () => draw()));
      body.querySelector('.codes-panel h3').setAttribute('tabindex', '-1');
      body.querySelector('.codes-panel h3').focus();
    };
    body.replaceChildren(...[totpBlock(ctx, mfa, draw, showCodes),
      mfa.enabled || mfa.recovery_codes_left ? recoveryBlock(ctx, mfa, showCodes) : null,
      keysBlock(ctx, mfa, draw, showCodes)].filter(Boolean));
  };
  draw();
  return section;
}
