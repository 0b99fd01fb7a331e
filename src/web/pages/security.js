import { t, errorText } from '../i18n.js';
import { h, heading, field, actions, onSubmit, showError, showOk, date, loading, empty, problem, table, confirmDialog } from '../dom.js';
import { withStepUp } from '../stepup.js';
import { auditList } from './audit.js';
import { passwordHint } from './parts.js';
import { mfaSection } from './mfa.js';

/** "Firefox on Linux"-ish, short enough for a table cell. */
function device(s) {
  if (!s.user_agent) return t('security.unknown_device');
  const ua = s.user_agent;
  if (/^maxgate\//i.test(ua)) return t('security.cli');
  const browser = /Edg\//.test(ua) ? 'Edge' : /Chrome\//.test(ua) ? 'Chrome' : /Firefox\//.test(ua) ? 'Firefox' : /Safari\//.test(ua) ? 'Safari' : null;
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
  return browser && os ? t('security.browser_on', { browser, os }) : ua.slice(0, 60);
}

function passwordSection(ctx, cfg) {
  const form = h('form', { novalidate: true, class: 'form' },
    field({ name: 'current_password', label: t('field.current_password'), type: 'password', autocomplete: 'current-password', required: true }),
    field({ name: 'new_password', label: t('field.new_password'), type: 'password', autocomplete: 'new-password', required: true,
      hint: passwordHint(cfg), maxlength: (cfg && cfg.password_max) || 128 }),
    field({ name: 'confirm', label: t('field.confirm_password'), type: 'password', autocomplete: 'new-password', required: true }),
    actions(t('security.change_password')));
  onSubmit(form, async (v) => {
    if (v.new_password !== v.confirm) return showError(form, { code: 'passwords_differ', field: 'confirm' });
    await withStepUp(() => ctx.api.post('/me/password', { current_password: v.current_password, new_password: v.new_password }));
    form.reset();
    showOk(form, t('security.password_changed'));
  });
  return h('section', { class: 'card', 'aria-labelledby': 'pw-h' }, h('h2', { id: 'pw-h' }, t('security.password')),
    h('p', { class: 'hint' }, t('security.password_intro')), form);
}

function sessionsSection(ctx) {
  const slot = h('div', { class: 'list-slot' }, loading(3));
  const status = h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite' });
  const say = (text, ok) => { status.textContent = text; status.className = ok ? 'action-error action-ok' : 'action-error'; };
  const section = h('section', { class: 'card', 'aria-labelledby': 'ss-h' }, h('h2', { id: 'ss-h' }, t('security.sessions')),
    h('p', { class: 'hint' }, t('security.sessions_intro')), slot);
  const load = async () => {
    let r;
    try { r = await ctx.api.get('/me/sessions'); } catch (err) { slot.replaceChildren(problem(err)); return; }
    const others = r.sessions.filter((s) => !s.current);
    const endOne = (s) => async (ev) => {
      const btn = ev.currentTarget;
      const ok = await confirmDialog({ title: t('security.end_one_title', { device: device(s) }),
        body: t('security.end_one_body', { device: device(s), ip: s.ip || '—' }), confirm: t('security.end_one') });
      if (!ok) return btn.focus();
      try { await ctx.api.del('/me/sessions/' + s.id); say(t('security.ended_one'), true); await load(); } catch (err) { say(errorText(err)); }
    };
    const cols = [
      { label: t('security.col_device'), cell: (s) => [device(s), s.current ? h('span', { class: 'tag' }, t('security.this_session')) : null] },
      { label: t('security.col_ip'), cell: (s) => s.ip || '—' },
      { label: t('security.col_started'), cell: (s) => date(s.created_at) },
      { label: t('security.col_last'), cell: (s) => date(s.last_seen_at) },
      { label: t('security.col_action'), cell: (s) => (s.current ? '' : h('button', { type: 'button', class: 'small', onclick: endOne(s) }, t('security.end_one'))) },
    ];
    const all = h('button', { type: 'button', class: 'danger', disabled: others.length === 0 }, t('security.end_all'));
    all.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: t('security.end_all_title'), body: t('security.end_all_body', { n: others.length }), confirm: t('security.end_all') });
      if (!ok) return all.focus();
      try { await ctx.api.del('/me/sessions'); say(t('security.ended_all'), true); await load(); } catch (err) { say(errorText(err)); }
    });
    slot.replaceChildren(...[table(t('security.sessions'), cols, r.sessions),
      others.length ? null : empty(t('security.no_other_sessions')),
      h('div', { class: 'actions' }, all, status)].filter(Boolean));
  };
  load();
  return section;
}

export default async function render(ctx) {
  const events = h('section', { class: 'card', 'aria-labelledby': 'ev-h' }, h('h2', { id: 'ev-h' }, t('security.events')),
    h('p', { class: 'hint' }, t('security.events_intro')));
  const cfg = await ctx.config();
  ctx.main.append(h('section', { class: 'page' }, heading(t('security.title')), passwordSection(ctx, cfg), mfaSection(ctx), sessionsSection(ctx), events));
  auditList(events, (cursor) => ctx.api.get('/me/audit' + ctx.api.qs({ cursor, limit: 20 })));
}
